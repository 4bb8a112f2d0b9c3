/* fcgi_addr.h - the key that says two `fastcgi =` values name one backend.
 *
 * Routes that name the same FastCGI application share its connections, so the pool
 * must know when two addresses written differently are one: a unix socket path with
 * doubled slashes or "." steps, an IPv6 address with or without its zeros compressed.
 * The key is that address written one way. Pure: no I/O, no libuv. */
#ifndef XC_FCGI_ADDR_H
#define XC_FCGI_ADDR_H

#include <stddef.h>

#include "config.h"

#define FCGI_ADDR_KEY_MAX 128 /* "unix:" + 107 bytes, or "tcp:[v6]:65535" */

/* Writes a's key into out (at most len bytes with the NUL). Returns 0, or -1 when it
 * does not fit or the address is not one config.c accepts. */
int fcgi_addr_key(const struct fcgi_addr *a, char *out, size_t len);

#endif
