/* stderr_log.c - handler stderr to log lines (pure; see stderr_log.h). */
#include "stderr_log.h"

#include "log.h"

void stderr_log_flush(struct stderr_log *s)
{
	if (!s->len)
		return;
	s->line[s->len] = '\0';
	if (s->lines < STDERR_MAX_LINES)
		log_info("%s: %s", s->tag, s->line);
	else if (s->lines == STDERR_MAX_LINES)
		log_info("%s: (further stderr output suppressed)", s->tag);
	s->lines++;
	s->len = 0;
}

void stderr_log_feed(struct stderr_log *s, const char *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (c == '\n') {
			stderr_log_flush(s);
			continue;
		}
		if (s->len == STDERR_LINE_MAX)
			continue;
		s->line[s->len++] = (c == '\r' || c == '\t') ? ' ' : ((unsigned char)c < 0x20 ? '?' : c);
	}
}
