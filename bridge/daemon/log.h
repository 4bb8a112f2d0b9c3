/* log.h - leveled logging to stderr for the daemon and its libraries.
 *
 * Every line is "xmpp-cgi: LEVEL: message", or "<N>LEVEL: message" when stderr is the
 * systemd journal (N is the syslog priority). The threshold is set once at start-up
 * from -v/-q; the tests and the man page rely on the format. */
#ifndef XC_LOG_H
#define XC_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARNING, LOG_INFO, LOG_DEBUG };

enum log_target { LOG_TARGET_PLAIN, LOG_TARGET_JOURNAL };

void log_set_level(enum log_level level);
/* Picks the line format: the journal's when JOURNAL_STREAM names stderr. */
enum log_target log_detect_target(void);
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                           \
		if (log_enabled(LOG_DEBUG))                                                                \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                                       \
	} while (0)

#endif
