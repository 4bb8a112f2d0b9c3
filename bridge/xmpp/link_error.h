/* link_error.h - why an XMPP connection ended, in words (pure).
 *
 * libstrophe reports a lost connection as numbers: a stream error type (its own enum,
 * not the RFC's names) and an error number that is an errno value or, once TLS runs,
 * OpenSSL's SSL_get_error() code. These functions turn them into the text the log
 * shows: the RFC 6120 condition name with the server's own text, or the system's
 * message with the errno name, or the TLS failure with OpenSSL's reason. */
#ifndef XC_LINK_ERROR_H
#define XC_LINK_ERROR_H

#include <stdbool.h>
#include <stddef.h>
#include <strophe.h>

/* The condition name of a libstrophe stream error type ("not-authorized"), or NULL
 * for a number outside its enum. */
const char *link_stream_condition(xmpp_error_type_t type);

/* "stream error CONDITION[ APP]: \"TEXT\"" into buf. condition may be NULL (the name
 * then comes from type); app names an application-specific condition or is NULL; text
 * may be NULL. The server's text is cut at 200 bytes and control characters become
 * '?'. Returns buf. */
const char *link_stream_error_text(xmpp_error_type_t type, const char *condition, const char *app,
                                   const char *text, char *buf, size_t size);

/* A readable reason for libstrophe's connection error number into buf. With tls true
 * (TLS may run on the connection) a number that is an SSL_get_error() code is named as
 * a TLS failure, followed by tls_reason (OpenSSL's reason string, may be NULL); any
 * other number is an errno value: "Connection reset by peer (ECONNRESET)". The two
 * ranges overlap only on errno values 1-8, which sockets do not report. libstrophe
 * reports a failed TLS handshake as ECONNABORTED: with tls true, a tls_reason wins
 * over the errno message. Returns buf. */
const char *link_socket_error_text(int error, bool tls, const char *tls_reason, char *buf,
                                   size_t size);

#endif
