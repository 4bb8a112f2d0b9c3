/* inbound.h - one inbound stanza as the bridge reads it, read once where it enters.
 *
 * router.c (and --once in main.c) fills one struct inbound per stanza: its kind, what
 * it asks of a route (a plain request, or an XEP-0050 command stage with its node,
 * action and session id), the attributes every later step needs, the sender's bare JID, the remote
 * address the handlers see as REMOTE_ADDR, and the one answer to "may this be answered?". The
 * router, dispatch and the reply builders read the record and never the stanza's
 * attributes again. The strings point into the stanza: the record lives no longer than
 * the call that handles it (dispatch copies what a request keeps). Its depth is
 * measured here first, before anything walks it recursively (stanza_depth.h). */
#ifndef XC_INBOUND_H
#define XC_INBOUND_H

#include <stdbool.h>
#include <strophe.h>

#include "muc_logic.h"
#include "adhoc_session.h"
#include "reply.h"

/* What the stanza asks of a route: a plain request, or a stage of an ad-hoc command
 * (an iq set holding an XEP-0050 <command/>), which bridge/xmpp/adhoc.c admits first. */
enum inbound_payload { INBOUND_PLAIN, INBOUND_COMMAND };

/* A command stage: read here, then completed by bridge/xmpp/adhoc.c (session, settle). */
struct inbound_command {
	const char *node, *sessionid;           /* the <command/>'s attributes, may be NULL */
	enum adhoc_action action;               /* resolved by the session table */
	char session[ADHOC_SESSION_ID_LEN + 1]; /* the session the stage runs in */
	/* called once with the stage's outcome (actions 0: the command is over) */
	void (*settle)(void *ud, const char *session, unsigned actions, enum adhoc_action dflt);
	void *settle_ud;
};

struct inbound {
	xmpp_stanza_t *stanza;
	const char *name; /* the element's name, may be NULL */
	enum stanza_kind kind;
	const char *type, *id, *from, *to; /* attributes, each may be NULL */
	const char *reply_from;            /* our address stamped on replies, or NULL */
	const char *remote_addr;           /* REMOTE_ADDR for handlers */
	char sender[320];                  /* from's bare JID, or "" */
	bool answerable;                   /* not an error nor an iq result */
	bool must_answer;                  /* an iq get/set: exactly one answer */
	bool too_deep;                     /* nests deeper than the bridge allows */
	/* from a room's occupant (muc_room.c), else NULL; sender is then the real JID's bare
	 * JID or "", and the room already applied the route's allow list */
	const struct inbound_muc *muc;
	enum inbound_payload payload;
	struct inbound_command command; /* INBOUND_COMMAND */
};

/* stamp_from: replies carry our address (component mode: the stanza's to). */
void inbound_read(struct inbound *in, xmpp_stanza_t *stanza, const char *remote_addr,
                  bool stamp_from);
/* Where a reply to in goes, and from whom. */
struct reply_target inbound_reply_target(const struct inbound *in, bool message_replies);

#endif
