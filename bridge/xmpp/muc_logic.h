/* muc_logic.h - the pure decisions of group chat routes (XEP-0045), without I/O.
 *
 * Which room message runs the handler (trigger modes, nick mentions, command prefix),
 * what the room's presence about the bridge's own occupant means (the status codes and
 * errors of XEP-0045 sections 7.2, 9.5, 10.9), the room's state machine (OUT,
 * JOINING, IN, BACKOFF) as a transition table, the rejoin backoff, the per-room rate
 * bucket and the loop guard against other bots. bridge/xmpp/muc_room.c does the sending,
 * the timers and the bookkeeping and asks this file what to do. */
#ifndef XC_MUC_LOGIC_H
#define XC_MUC_LOGIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* MUC_TRIGGER_MENTION first: the default of a zeroed configuration */
enum muc_trigger { MUC_TRIGGER_MENTION, MUC_TRIGGER_ALL, MUC_TRIGGER_PREFIX };

/* Whether body (a groupchat message's text) runs the handler in mode t. prefix is the
 * command prefix (MUC_TRIGGER_PREFIX), nick the bridge's own nick in the room
 * (MUC_TRIGGER_MENTION). On a match, args receives the text the handler gets as its
 * arguments: for a prefix, the rest of the first line after it; for a mention that
 * opens the message ("nick: text", "nick, text", "@nick text"), the text after it;
 * otherwise the whole first line. Leading and trailing blanks are trimmed. */
bool muc_trigger_match(enum muc_trigger t, const char *prefix, const char *nick, const char *body,
                       char *args, size_t args_len);
/* True when nick appears in body as a word of its own, ASCII case folded: not inside a
 * longer word ("weatherman" does not mention "weather"). */
bool muc_mentions(const char *body, const char *nick);
/* args -> QUERY_STRING: every byte outside RFC 3986's unreserved set as %XX (a space as
 * %20). Returns -1 when out is too small. */
int muc_query_encode(const char *args, char *out, size_t outlen);

/* ---- presence about the bridge's own occupant ---- */

enum muc_self_kind { MUC_SELF_AVAILABLE, MUC_SELF_UNAVAILABLE, MUC_SELF_ERROR };

/* What a presence from room/nick says, as muc_room.c reads it. */
struct muc_self_presence {
	enum muc_self_kind kind;
	const unsigned *codes; /* <status code=.../> of the muc#user <x> */
	size_t n_codes;
	bool destroyed;    /* unavailable with <destroy/> */
	const char *error; /* the error's condition element, for MUC_SELF_ERROR */
};

enum muc_event {
	MUC_EV_NONE,          /* nothing for the room's state (e.g. a role change) */
	MUC_EV_JOINED,        /* in the room */
	MUC_EV_CREATED,       /* in the room, which the join made (201): unlock it */
	MUC_EV_NICK_CONFLICT, /* the nick is taken (409): try another */
	MUC_EV_JOIN_FAILED,   /* refused (password, members-only, ban, ...): retry later */
	MUC_EV_KICKED,        /* 307: removed, rejoin */
	MUC_EV_BANNED,        /* 301: outcast, rejoining fails until unbanned */
	MUC_EV_REMOVED,       /* 321/322: affiliation or members-only change */
	MUC_EV_SHUTDOWN,      /* 332: the service is going away */
	MUC_EV_DESTROYED,     /* the room was destroyed */
	MUC_EV_LEFT,          /* any other unavailable presence */
};
bool muc_has_code(const struct muc_self_presence *p, unsigned code);
enum muc_event muc_self_event(const struct muc_self_presence *p);
const char *muc_event_name(enum muc_event ev);

/* What a self-ping's (XEP-0410) answer says: still in, out (rejoin), or unknown
 * (try again later). */
enum muc_ping_verdict { MUC_PING_IN, MUC_PING_OUT, MUC_PING_UNKNOWN };
/* error: NULL for an iq result, else the error's condition element name. */
enum muc_ping_verdict muc_ping_verdict_of(const char *error);

/* ---- the room's state ---- */

enum muc_room_state { ROOM_OUT, ROOM_JOINING, ROOM_IN, ROOM_BACKOFF };
enum muc_room_input {
	RI_LINK_UP,     /* the route's connection is online */
	RI_LINK_DOWN,   /* it is lost: the server forgets the occupant */
	RI_JOINED,      /* self-presence with 110 */
	RI_NICK_TAKEN,  /* join refused with conflict: join again as another nick */
	RI_JOIN_FAILED, /* join refused otherwise */
	RI_REMOVED,     /* kicked, destroyed, shut down, ... */
	RI_GHOST,       /* self-ping says the room forgot us */
	RI_RETRY_DUE,   /* the backoff timer fired */
};
/* The state after input in s; s itself when the input means nothing there. */
enum muc_room_state muc_room_next(enum muc_room_state s, enum muc_room_input in);
const char *muc_room_state_name(enum muc_room_state s);
#define MUC_BACKOFF_MIN_MS 1000u
#define MUC_BACKOFF_MAX_MS 60000u
/* The wait before join attempt number attempt (0 for the first retry): doubling from
 * MUC_BACKOFF_MIN_MS, capped at MUC_BACKOFF_MAX_MS. */
uint64_t muc_backoff_ms(unsigned attempt);
/* nick for attempt n of a nick conflict: nick itself for n = 0, else nick_N+1. */
void muc_nick_for_attempt(const char *nick, unsigned n, char *out, size_t outlen);

/* ---- limits ---- */

/* A token bucket: capacity tokens, refilled at capacity per period_s. */
struct muc_bucket {
	uint64_t milli;   /* tokens * 1000 */
	uint64_t last_ms; /* when milli was last brought up to date */
	bool primed;
};
/* Takes a token at now_ms; false when the bucket is empty. */
bool muc_bucket_take(struct muc_bucket *b, unsigned capacity, unsigned period_s, uint64_t now_ms);

/* Loop guard: how many served messages in a row came from one speaker with nobody but
 * the bridge speaking in between. Two bots answering each other look like that. */
struct muc_loop_guard {
	char speaker[256]; /* nick of the last other speaker */
	unsigned run;      /* served messages of that speaker in a row */
};
/* Notes a message by speaker (not the bridge); served: it would run the handler.
 * Returns false when serving it would exceed limit (0: no limit). */
bool muc_loop_guard_note(struct muc_loop_guard *g, const char *speaker, bool served,
                         unsigned limit);

/* ---- what a served room message tells its handler ---- */

/* A message from a room's occupant, as muc_room.c read it. The strings live as long as
 * the call that handles the stanza. */
struct inbound_muc {
	const char *room;     /* the room's bare JID */
	const char *nick;     /* the speaker's nick */
	const char *self;     /* the route's own nick in the room */
	const char *real_jid; /* the speaker's real JID, NULL when the room hides it */
	const char *subject;  /* the room's subject, NULL if none was seen */
	const char *args;     /* groupchat: the trigger's argument text; else NULL */
	bool groupchat;       /* in the room (else a private message from an occupant) */
	int errors;           /* enum room_errors (config.h) of the route */
};
#define MUC_ENV_MAX 6
struct muc_env_var {
	const char *name, *value;
};
/* The group chat variables for m into out (at most MUC_ENV_MAX); query receives
 * QUERY_STRING (args encoded, "" if none). Returns how many, or -1 if query is too
 * small for the arguments. */
int muc_env_vars(const struct inbound_muc *m, struct muc_env_var *out, char *query,
                 size_t query_len);

#endif
