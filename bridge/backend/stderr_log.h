/* stderr_log.h - a handler's stderr, CGI pipe or FastCGI STDERR records, to the log.
 *
 * Bytes arrive split anywhere; lines go to the log one by one with the handler's tag,
 * control characters replaced, cut at STDERR_LINE_MAX bytes, and at most
 * STDERR_MAX_LINES per request, after which one line says the rest was suppressed. */
#ifndef XC_STDERR_LOG_H
#define XC_STDERR_LOG_H

#include <stddef.h>

#define STDERR_LINE_MAX 512
#define STDERR_MAX_LINES 100

struct stderr_log {
	const char *tag; /* "route NAME [pid N]" or "route NAME [fastcgi ADDR]" */
	char line[STDERR_LINE_MAX + 1];
	size_t len;
	unsigned lines;
};

void stderr_log_feed(struct stderr_log *s, const char *data, size_t len);
/* Logs a last line without its newline. */
void stderr_log_flush(struct stderr_log *s);

#endif
