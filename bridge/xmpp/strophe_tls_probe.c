/* strophe_tls_probe.c - tells the pump whether libstrophe's TLS layer read and still
 * holds decrypted bytes.
 *
 * libstrophe 0.12 reads at most 4096 bytes per xmpp_run_once(), and with TLS the rest
 * of a 16 KiB record sits decrypted inside OpenSSL, where poll(2) on the socket cannot
 * see it. This file defines SSL_read, which the dynamic linker binds libstrophe's call
 * to (as strophe_attrs.c does for expat): it calls OpenSSL's own SSL_read, found with
 * dlsym(RTLD_NEXT), and notes that a read happened and whether SSL_pending() is still
 * above zero. libstrophe asks SSL_pending() itself before each read, so a pump that
 * calls again while this says "pending" leaves nothing behind. Built against another
 * TLS backend the function is never called, tls_probe_active() stays false and the
 * pump falls back to a fixed number of extra calls. SSL_write is wrapped the same way
 * to note, by socket (SSL_get_fd), a write that did not take everything (a full
 * socket), which libstrophe's queue length does not show. OpenSSL's headers are not
 * needed: SSL is only passed through. */
#include "strophe_tls_probe.h"

#include <dlfcn.h>
#include <string.h>
#include <sys/select.h>

typedef struct ssl_st SSL;
typedef int ssl_read_fn(SSL *ssl, void *buf, int num);
typedef int ssl_pending_fn(const SSL *ssl);
typedef int ssl_write_fn(SSL *ssl, const void *buf, int num);
typedef int ssl_get_fd_fn(const SSL *ssl);

int SSL_read(SSL *ssl, void *buf, int num);
int SSL_write(SSL *ssl, const void *buf, int num);

static ssl_read_fn *real_read;
static ssl_pending_fn *real_pending;
static ssl_write_fn *real_write;
static ssl_get_fd_fn *real_get_fd;
static bool active, did_read, pending;
/* sockets whose last write stopped short; libstrophe's are all below FD_SETSIZE */
static unsigned char write_short[FD_SETSIZE / 8];

int SSL_read(SSL *ssl, void *buf, int num)
{
	int n;
	if (!real_read) {
		real_read = (ssl_read_fn *)dlsym(RTLD_NEXT, "SSL_read");
		real_pending = (ssl_pending_fn *)dlsym(RTLD_NEXT, "SSL_pending");
		if (!real_read)
			return -1; /* only reachable with libssl's SSL_read gone: cannot happen */
	}
	n = real_read(ssl, buf, num);
	did_read = true;
	if (real_pending) {
		active = true;
		if (real_pending(ssl) > 0)
			pending = true;
	}
	return n;
}

int SSL_write(SSL *ssl, const void *buf, int num)
{
	int n, fd;
	if (!real_write) {
		real_write = (ssl_write_fn *)dlsym(RTLD_NEXT, "SSL_write");
		real_get_fd = (ssl_get_fd_fn *)dlsym(RTLD_NEXT, "SSL_get_fd");
		if (!real_write)
			return -1;
	}
	n = real_write(ssl, buf, num);
	if (n < num && real_get_fd && (fd = real_get_fd(ssl)) >= 0 && fd < FD_SETSIZE)
		write_short[fd / 8] |= (unsigned char)(1u << (fd % 8));
	return n;
}

void tls_probe_reset(void)
{
	did_read = pending = false;
	memset(write_short, 0, sizeof write_short);
}

bool tls_probe_active(void) { return active; }

bool tls_probe_read(void) { return did_read; }

bool tls_probe_pending(void) { return pending; }

bool tls_probe_sees_writes(void) { return active && real_get_fd; }

bool tls_probe_write_short(int fd)
{
	return fd >= 0 && fd < FD_SETSIZE && (write_short[fd / 8] & (1u << (fd % 8)));
}
