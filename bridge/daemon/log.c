/* log.c - owns the log threshold and the single place lines are written to stderr (pure).
 *
 * A line is formatted whole into one buffer and written with one write(2), so lines
 * from the daemon never interleave mid-line with anything else on the same stderr.
 * When stderr is connected to the systemd journal (JOURNAL_STREAM names stderr's
 * device and inode, see systemd.exec(5)), a line is instead "<N>level: message": the
 * journal reads the sd-daemon(3) priority prefix <N> and adds the time and the
 * program's name itself, so neither is repeated in the text. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static enum log_level threshold = LOG_INFO;
static enum log_target target = LOG_TARGET_PLAIN;

static const char *const level_names[] = {"error", "warning", "info", "debug"};
/* syslog priorities of sd-daemon(3): SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG */
static const int level_priorities[] = {3, 4, 6, 7};

void log_set_level(enum log_level level) { threshold = level; }

int log_enabled(enum log_level level) { return level <= threshold; }

enum log_target log_detect_target(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;
	target = LOG_TARGET_PLAIN;
	if (stream && sscanf(stream, "%llu:%llu%c", &dev, &ino, &end) == 2 &&
	    fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino)
		target = LOG_TARGET_JOURNAL;
	return target;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;
	size_t len;

	if (!log_enabled(level))
		return;
	if (target == LOG_TARGET_JOURNAL)
		n = snprintf(line, sizeof line, "<%d>%s: ", level_priorities[level], level_names[level]);
	else
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
