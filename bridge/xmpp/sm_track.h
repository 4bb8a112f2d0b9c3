/* sm_track.h - what a link sent and the server has not acknowledged yet, and which iq
 * requests it has seen lately.
 *
 * XEP-0198 numbers the stanzas a client sends in one session from 0; the server's
 * <a h='N'/> and <resumed h='N'/> say that the first N arrived. The unacked list keeps
 * each stanza sent in the session (with its number and the time it was first written)
 * until the server has counted it, so that after a resumption exactly the rest can be
 * sent again, and after a new session the ones recent enough to matter. libstrophe
 * keeps a queue of its own, but 0.12.2 renumbers it wrongly after a resumption and
 * loses what was queued and not yet written (doc/design-notes.md section 6), so the
 * link drops libstrophe's resends and uses this list instead.
 *
 * The seen table remembers each inbound iq get/set by sender and id while it is being
 * handled and for a short window after its answer left, so that a stanza the server
 * delivers again after a resumption does not start its handler a second time. Pure
 * code: the caller gives the time. */
#ifndef XC_SM_TRACK_H
#define XC_SM_TRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sm_item {
	struct sm_item *next;
	uint32_t seq;     /* its number in the session */
	uint64_t born_ms; /* when it was first handed to the link */
	uint64_t sent_ms; /* when it was last written */
	bool own;         /* the link's own (presence, probe): never resent in a new session */
	size_t len;
	char xml[];
};

struct sm_unacked {
	struct sm_item *head, *tail;
	uint32_t next_seq; /* the number the next stanza sent gets */
	unsigned count;
};

struct sm_item *sm_item_new(const char *xml, size_t len, uint64_t born_ms);
/* Appends an item sent just now and numbers it. */
void sm_unacked_push(struct sm_unacked *u, struct sm_item *it);
/* The server counted h stanzas: forgets those numbered below h. Returns how many were
 * forgotten, or -1 when h claims more than was sent (then nothing changes). */
int sm_unacked_ack(struct sm_unacked *u, uint32_t h);
/* Takes every item out, oldest first, and numbers the next one sent next_seq: after a
 * resumption (next_seq = the server's h, following sm_unacked_ack) or for a new session
 * (next_seq = 0). */
struct sm_item *sm_unacked_take(struct sm_unacked *u, uint32_t next_seq);
void sm_unacked_clear(struct sm_unacked *u);
void sm_items_free(struct sm_item *list);

/* The element name, type, id and to of a serialized stanza's start tag, with the
 * five predefined entities resolved. Missing attributes are "". Returns false when the
 * text does not start with a start tag or a value does not fit. */
bool sm_stanza_key(const char *xml, char *name, size_t name_len, char *type, size_t type_len,
                   char *id, size_t id_len, char *to, size_t to_len);

enum iq_seen_state { IQ_SEEN_RUNNING, IQ_SEEN_ANSWERED };

struct iq_seen_entry;
struct iq_seen {
	struct iq_seen_entry **buckets;
	size_t n_buckets;
	struct iq_seen_entry *oldest, *newest; /* in order of arrival, for expiry */
	size_t count, max;
	uint64_t answered_window_ms, running_max_ms;
};

int iq_seen_init(struct iq_seen *t, size_t max, uint64_t answered_window_ms,
                 uint64_t running_max_ms);
void iq_seen_free(struct iq_seen *t);
/* An iq get/set arrived: true when (from, id) is being handled or was answered within
 * the window (a duplicate: do not start it), else it is noted as running. */
bool iq_seen_arrived(struct iq_seen *t, const char *from, const char *id, uint64_t now_ms);
/* An answer to (to, id) left: the window starts. */
void iq_seen_answered(struct iq_seen *t, const char *to, const char *id, uint64_t now_ms);

#endif
