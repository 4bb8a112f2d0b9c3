/* strophe_tls_probe.h - whether libstrophe's OpenSSL layer read, and holds decrypted
 * bytes that poll(2) cannot see (see strophe_tls_probe.c). */
#ifndef STROPHE_TLS_PROBE_H
#define STROPHE_TLS_PROBE_H

#include <stdbool.h>

/* Forgets what the calls before saw; the pump calls it before each xmpp_run_once(). */
void tls_probe_reset(void);
/* True once an SSL_read went through the probe and SSL_pending() could be asked:
 * until then (or with another TLS backend) nothing below can be trusted. */
bool tls_probe_active(void);
/* Since the last reset: an SSL_read ran. */
bool tls_probe_read(void);
/* Since the last reset: an SSL_read left decrypted bytes behind (SSL_pending > 0). */
bool tls_probe_pending(void);
/* True once short writes can be told apart by socket (SSL_get_fd found). */
bool tls_probe_sees_writes(void);
/* Since the last reset: an SSL_write on libstrophe's socket fd took less than it was
 * given (or failed), so part of a stanza waits for the socket although
 * xmpp_conn_send_queue_len() may say 0. libstrophe retries its unfinished writes at
 * the start of every call, so each call's answer replaces the last. */
bool tls_probe_write_short(int fd);

#endif
