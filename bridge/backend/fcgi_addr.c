/* fcgi_addr.c - one way to write a FastCGI backend's address (pure; see fcgi_addr.h).
 *
 * A unix path loses its empty and "." steps ("/run//php/./fpm.sock" is
 * "/run/php/fpm.sock"); ".." stays, since a symbolic link makes it mean something
 * other than the step it removes. A TCP address goes through inet_pton and back
 * through inet_ntop, so every spelling of one IPv6 address gives the same text. */
#include "fcgi_addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static int unix_key(const char *path, char *out, size_t len)
{
	size_t n = 0;
	const char *p = path;
	if (*p != '/' || len < sizeof "unix:/")
		return -1;
	memcpy(out, "unix:", 5);
	n = 5;
	while (*p) {
		const char *step;
		size_t step_len;
		while (*p == '/')
			p++;
		step = p;
		while (*p && *p != '/')
			p++;
		step_len = (size_t)(p - step);
		if (step_len == 0 || (step_len == 1 && step[0] == '.'))
			continue;
		if (n + 1 + step_len + 1 > len)
			return -1;
		out[n++] = '/';
		memcpy(out + n, step, step_len);
		n += step_len;
	}
	if (n == 5)
		out[n++] = '/'; /* "/" itself: config.c refuses it, but say it one way */
	out[n] = '\0';
	return 0;
}

static int tcp_key(const char *host, unsigned port, char *out, size_t len)
{
	unsigned char bin[16];
	char text[INET6_ADDRSTRLEN];
	int n;
	if (port == 0 || port > 65535)
		return -1;
	if (inet_pton(AF_INET, host, bin) == 1) {
		inet_ntop(AF_INET, bin, text, sizeof text);
		n = snprintf(out, len, "tcp:%s:%u", text, port);
	} else if (inet_pton(AF_INET6, host, bin) == 1) {
		inet_ntop(AF_INET6, bin, text, sizeof text);
		n = snprintf(out, len, "tcp:[%s]:%u", text, port);
	} else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int fcgi_addr_key(const struct fcgi_addr *a, char *out, size_t len)
{
	int rc = -1;
	if (len == 0)
		return -1;
	if (a->kind == FCGI_ADDR_UNIX && a->path)
		rc = unix_key(a->path, out, len);
	else if (a->kind == FCGI_ADDR_TCP && a->host)
		rc = tcp_key(a->host, a->port, out, len);
	if (rc != 0)
		out[0] = '\0';
	return rc;
}
