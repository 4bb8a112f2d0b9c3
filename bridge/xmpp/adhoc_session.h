/* adhoc_session.h - the live sessions of ad-hoc commands (XEP-0050), as a table (pure).
 *
 * A session is made when a person executes a command and lives while the command's
 * handler keeps answering with a form. Each has a random id (made by the caller), the
 * full JID that owns it (checked on every stage), its route, a state and a deadline on
 * the caller's clock:
 *   RUNNING  a stage's handler runs; another stage of it is refused until it answers;
 *   WAITING  the handler answered with a form; the next stage may come until the
 *            deadline, with one of the actions that answer allowed;
 *   EXPIRED  the deadline passed while waiting; kept one more timeout so that a late
 *            stage hears "session expired" rather than "unknown session".
 * A stage that ends the command (completed, canceled, an error) removes the session.
 * The table knows no clock and no timer: the caller passes "now" and arms one timer at
 * adhoc_table_expire()'s answer (bridge/xmpp/adhoc.c). */
#ifndef XC_ADHOC_SESSION_H
#define XC_ADHOC_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define NS_COMMANDS "http://jabber.org/protocol/commands"
#define NS_DATA_FORMS "jabber:x:data"
#define ADHOC_SESSION_ID_LEN 32 /* hex characters */
/* The bridge's own commands (adhoc_builtin.h); a route's command_node may not use the
 * urn:xmpp-cgi: prefix. */
#define ADHOC_BUILTIN_PREFIX "urn:xmpp-cgi:"
#define ADHOC_STATUS_NODE ADHOC_BUILTIN_PREFIX "status"
#define ADHOC_STATUS_NAME "Route status"
#define ADHOC_RELOAD_NODE ADHOC_BUILTIN_PREFIX "reload"
#define ADHOC_RELOAD_NAME "Reload the configuration"

enum adhoc_action {
	ADHOC_EXECUTE,
	ADHOC_NEXT,
	ADHOC_PREV,
	ADHOC_COMPLETE,
	ADHOC_CANCEL,
	ADHOC_BAD
};
/* A set of actions, as bits (1u << action). */
#define ADHOC_BIT(a) (1u << (a))

/* NULL (no action attribute) is execute; anything unknown is ADHOC_BAD. */
enum adhoc_action adhoc_action_of(const char *name);
const char *adhoc_action_name(enum adhoc_action a);

enum adhoc_session_state { SESSION_RUNNING, SESSION_WAITING, SESSION_EXPIRED };

struct adhoc_session {
	char id[ADHOC_SESSION_ID_LEN + 1];
	char *owner; /* full JID */
	char *route;
	enum adhoc_session_state state;
	uint64_t deadline;      /* ms on the caller's clock */
	unsigned timeout_ms;    /* of its route, for every re-arm */
	unsigned actions;       /* WAITING: the actions the last answer allowed */
	enum adhoc_action dflt; /* WAITING: what "execute" means at the next stage */
	struct adhoc_session *next;
};

struct adhoc_table {
	struct adhoc_session *head;
	size_t n_live; /* RUNNING or WAITING */
};

/* How a stage was received. */
enum adhoc_admission {
	ADMIT_OK,
	ADMIT_FULL,       /* the route has its limit of live sessions */
	ADMIT_UNKNOWN,    /* no such session for this owner and route */
	ADMIT_EXPIRED,    /* it timed out */
	ADMIT_BUSY,       /* a stage of it is still running */
	ADMIT_BAD_ACTION, /* an action its last answer did not allow */
	ADMIT_NO_MEMORY,
	ADMIT_MALFORMED_ACTION, /* not an action XEP-0050 knows (for the caller's refusal) */
};

/* The admission in a word or two, for log lines. */
const char *adhoc_admission_name(enum adhoc_admission a);
/* A new RUNNING session id for owner on route, unless route has max live sessions. */
enum adhoc_admission adhoc_table_begin(struct adhoc_table *t, const char *id, const char *owner,
                                       const char *route, size_t max, unsigned timeout_ms,
                                       uint64_t now);
/* A later stage: the session must be WAITING, owned by owner, on route, and allow
 * *action; execute becomes the default action the last answer named. On ADMIT_OK the
 * session is RUNNING again. An EXPIRED session is removed once reported. */
enum adhoc_admission adhoc_table_stage(struct adhoc_table *t, const char *id, const char *owner,
                                       const char *route, enum adhoc_action *action, uint64_t now);
/* The stage's answer: with a form (actions non-zero) the session waits for the next
 * stage until now + its timeout; otherwise the command is over and it is removed.
 * An id no longer in the table (it expired meanwhile) is ignored. */
void adhoc_table_settle(struct adhoc_table *t, const char *id, unsigned actions,
                        enum adhoc_action dflt, uint64_t now);
/* Times sessions out: a RUNNING or WAITING one past its deadline becomes EXPIRED (a
 * RUNNING one whose answer never came, too), an EXPIRED one past its second deadline
 * goes. Returns how many expired now; *next is the next deadline, or UINT64_MAX. */
size_t adhoc_table_expire(struct adhoc_table *t, uint64_t now, uint64_t *next);
const struct adhoc_session *adhoc_table_find(const struct adhoc_table *t, const char *id);
size_t adhoc_table_count(const struct adhoc_table *t, const char *route);
void adhoc_table_free(struct adhoc_table *t);

#endif
