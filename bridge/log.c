/* log.c - owns the log threshold and the single place lines are written to stderr.
 *
 * A line is formatted whole into one buffer and written with one write(2), so lines
 * from the daemon never interleave mid-line with anything else on the same stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum log_level threshold = LOG_INFO;

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_set_level(enum log_level level) { threshold = level; }

int log_enabled(enum log_level level) { return level <= threshold; }

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;
	size_t len;

	if (!log_enabled(level))
		return;
	n = snprintf(line, sizeof line, "xmpp-cgi: %s: ", level_names[level]);
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	len = strlen(line);
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) < 0) {
		/* nowhere left to report it */
	}
}
