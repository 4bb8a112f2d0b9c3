/* muc_logic.c - trigger matching, self-presence meaning, room states, limits (pure;
 * see muc_logic.h). */
#include "muc_logic.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* A byte that continues a word: letters, digits, '_', '-' and any non-ASCII byte, so
 * that a nick followed by "é" is not a mention. */
static bool word_byte(unsigned char c) { return isalnum(c) || c == '_' || c == '-' || c >= 0x80; }

/* Copies the first line of s, trimmed, to out. */
static void first_line(const char *s, char *out, size_t outlen)
{
	size_t n;
	while (is_blank(*s))
		s++;
	n = strcspn(s, "\r\n");
	while (n && is_blank(s[n - 1]))
		n--;
	if (n >= outlen)
		n = outlen ? outlen - 1 : 0;
	if (outlen) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
}

bool muc_mentions(const char *body, const char *nick)
{
	size_t nl = strlen(nick);
	if (!nl)
		return false;
	for (const char *p = body; *p; p++) {
		if (strncasecmp(p, nick, nl) != 0)
			continue;
		if (p > body && word_byte((unsigned char)p[-1]))
			continue;
		if (word_byte((unsigned char)p[nl]))
			continue;
		return true;
	}
	return false;
}

/* "nick: text", "nick, text", "@nick text": the text after the address, or NULL. */
static const char *after_address(const char *body, const char *nick)
{
	size_t nl = strlen(nick);
	const char *p = body;
	while (is_blank(*p))
		p++;
	if (*p == '@')
		p++;
	if (!nl || strncasecmp(p, nick, nl) != 0 || word_byte((unsigned char)p[nl]))
		return NULL;
	p += nl;
	if (*p == ':' || *p == ',')
		p++;
	return p;
}

bool muc_trigger_match(enum muc_trigger t, const char *prefix, const char *nick, const char *body,
                       char *args, size_t args_len)
{
	const char *rest = body;
	size_t pl;
	if (!body)
		return false;
	switch (t) {
	case MUC_TRIGGER_ALL:
		break;
	case MUC_TRIGGER_MENTION:
		if (!nick || !muc_mentions(body, nick))
			return false;
		if ((rest = after_address(body, nick)) == NULL)
			rest = body;
		break;
	case MUC_TRIGGER_PREFIX:
		if (!prefix || !*prefix)
			return false;
		while (is_blank(*rest))
			rest++;
		pl = strlen(prefix);
		if (strncmp(rest, prefix, pl) != 0)
			return false;
		rest += pl;
		/* "!weather" matches "!weather berlin", not "!weatherman" */
		if (*rest && !is_blank(*rest) && *rest != '\r' && *rest != '\n' &&
		    word_byte((unsigned char)prefix[pl - 1]))
			return false;
		break;
	default:
		return false;
	}
	first_line(rest, args, args_len);
	return true;
}

int muc_query_encode(const char *args, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)args; *p; p++) {
		bool plain = isalnum(*p) || (*p && strchr("-._~", *p));
		if (o + (plain ? 1 : 3) >= outlen)
			return -1;
		if (plain)
			out[o++] = (char)*p;
		else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	if (o >= outlen)
		return -1;
	out[o] = '\0';
	return 0;
}

bool muc_has_code(const struct muc_self_presence *p, unsigned code)
{
	for (size_t i = 0; i < p->n_codes; i++)
		if (p->codes[i] == code)
			return true;
	return false;
}

enum muc_event muc_self_event(const struct muc_self_presence *p)
{
	switch (p->kind) {
	case MUC_SELF_ERROR:
		return p->error && strcmp(p->error, "conflict") == 0 ? MUC_EV_NICK_CONFLICT
		                                                     : MUC_EV_JOIN_FAILED;
	case MUC_SELF_AVAILABLE:
		/* 201: the join created the room; a presence after a role change repeats 110 */
		return muc_has_code(p, 201) ? MUC_EV_CREATED : MUC_EV_JOINED;
	case MUC_SELF_UNAVAILABLE:
		if (p->destroyed)
			return MUC_EV_DESTROYED;
		if (muc_has_code(p, 303))
			return MUC_EV_NONE; /* a nick change: the new nick's presence follows */
		if (muc_has_code(p, 301))
			return MUC_EV_BANNED;
		if (muc_has_code(p, 307))
			return MUC_EV_KICKED;
		if (muc_has_code(p, 321) || muc_has_code(p, 322))
			return MUC_EV_REMOVED;
		if (muc_has_code(p, 332))
			return MUC_EV_SHUTDOWN;
		return MUC_EV_LEFT;
	}
	return MUC_EV_NONE;
}

const char *muc_event_name(enum muc_event ev)
{
	static const char *const names[] = {
	    "nothing", "joined", "joined (room created)",        "nick conflict",    "join failed",
	    "kicked",  "banned", "removed (affiliation change)", "service shutdown", "room destroyed",
	    "left"};
	return (unsigned)ev < sizeof names / sizeof *names ? names[ev] : "?";
}

enum muc_ping_verdict muc_ping_verdict_of(const char *error)
{
	static const char *const still_in[] = {"service-unavailable", "feature-not-implemented"};
	static const char *const out[] = {"not-acceptable", "not-allowed", "item-not-found",
	                                  "bad-request", "gone"};
	if (!error)
		return MUC_PING_IN;
	/* XEP-0410 section 3: the room forwarded the ping to our client, which did not
	 * understand it; that still proves the occupant exists */
	for (size_t i = 0; i < sizeof still_in / sizeof *still_in; i++)
		if (strcmp(error, still_in[i]) == 0)
			return MUC_PING_IN;
	for (size_t i = 0; i < sizeof out / sizeof *out; i++)
		if (strcmp(error, out[i]) == 0)
			return MUC_PING_OUT;
	return MUC_PING_UNKNOWN; /* remote-server-not-found, timeouts: ask again later */
}

enum muc_room_state muc_room_next(enum muc_room_state s, enum muc_room_input in)
{
	if (in == RI_LINK_DOWN)
		return ROOM_OUT;
	switch (s) {
	case ROOM_OUT:
		return in == RI_LINK_UP ? ROOM_JOINING : s;
	case ROOM_JOINING:
		if (in == RI_JOINED)
			return ROOM_IN;
		if (in == RI_JOIN_FAILED || in == RI_REMOVED)
			return ROOM_BACKOFF;
		return s; /* RI_NICK_TAKEN: joining again at once under another nick */
	case ROOM_IN:
		if (in == RI_REMOVED)
			return ROOM_BACKOFF;
		if (in == RI_GHOST)
			return ROOM_JOINING;
		return s;
	case ROOM_BACKOFF:
		if (in == RI_RETRY_DUE)
			return ROOM_JOINING;
		if (in == RI_JOINED) /* a late answer to the attempt before */
			return ROOM_IN;
		return s;
	}
	return s;
}

const char *muc_room_state_name(enum muc_room_state s)
{
	static const char *const names[] = {"out", "joining", "in", "backoff"};
	return (unsigned)s < 4 ? names[s] : "?";
}

uint64_t muc_backoff_ms(unsigned attempt)
{
	uint64_t ms = MUC_BACKOFF_MIN_MS;
	for (unsigned i = 0; i < attempt && ms < MUC_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < MUC_BACKOFF_MAX_MS ? ms : MUC_BACKOFF_MAX_MS;
}

void muc_nick_for_attempt(const char *nick, unsigned n, char *out, size_t outlen)
{
	if (n == 0)
		snprintf(out, outlen, "%s", nick);
	else
		snprintf(out, outlen, "%s_%u", nick, n + 1);
}

bool muc_bucket_take(struct muc_bucket *b, unsigned capacity, unsigned period_s, uint64_t now_ms)
{
	uint64_t cap = (uint64_t)capacity * 1000;
	if (!capacity)
		return true;
	if (!b->primed) {
		b->milli = cap;
		b->last_ms = now_ms;
		b->primed = true;
	}
	if (now_ms > b->last_ms && period_s) {
		/* capacity tokens per period: capacity * 1000 milli-tokens per period_s * 1000 ms */
		uint64_t add = (now_ms - b->last_ms) * capacity / period_s;
		b->milli = b->milli + add > cap ? cap : b->milli + add;
		/* only the time that made whole milli-tokens is spent: no rounding drift */
		b->last_ms = b->milli == cap ? now_ms : b->last_ms + add * period_s / capacity;
	}
	if (b->milli < 1000)
		return false;
	b->milli -= 1000;
	return true;
}

bool muc_loop_guard_note(struct muc_loop_guard *g, const char *speaker, bool served, unsigned limit)
{
	if (strcmp(g->speaker, speaker) != 0) {
		snprintf(g->speaker, sizeof g->speaker, "%s", speaker);
		g->run = 0;
	}
	if (!served)
		return true;
	if (limit && g->run >= limit)
		return false;
	g->run++;
	return true;
}

int muc_env_vars(const struct inbound_muc *m, struct muc_env_var *out, char *query,
                 size_t query_len)
{
	int n = 0;
	query[0] = '\0';
	out[n++] = (struct muc_env_var){"XMPP_MUC_ROOM", m->room};
	out[n++] = (struct muc_env_var){"XMPP_MUC_NICK", m->nick};
	out[n++] = (struct muc_env_var){"XMPP_MUC_SELF", m->self};
	if (m->real_jid)
		out[n++] = (struct muc_env_var){"XMPP_MUC_REAL_JID", m->real_jid};
	if (m->subject)
		out[n++] = (struct muc_env_var){"XMPP_MUC_SUBJECT", m->subject};
	if (m->args) {
		out[n++] = (struct muc_env_var){"XMPP_MUC_ARGS", m->args};
		if (muc_query_encode(m->args, query, query_len) != 0)
			return -1;
	}
	return n;
}
