/* adhoc_builtin.h - the bridge's own ad-hoc commands, for the admins of [xmpp] admins.
 *
 * Two one-stage commands that run no handler: "Route status" answers each route's
 * backend, running and queued requests, request and timeout counts and open command
 * sessions; "Reload the configuration" does what SIGHUP does (bridge/daemon/reload.c),
 * on the loop's next turn, after its answer has gone out, since a reload may replace
 * the very connection the answer leaves on. They are listed (bridge/xmpp/service.c)
 * only to admins, at the component's domain or, in client mode, at the JID asked. */
#ifndef XC_ADHOC_BUILTIN_H
#define XC_ADHOC_BUILTIN_H

#include <stdbool.h>
#include <uv.h>

#include "adhoc_session.h" /* the nodes and names, which service.c lists */

struct adhoc;
struct dispatcher;
struct inbound;

enum adhoc_builtin_state { BUILTIN_CLOSED, BUILTIN_IDLE, BUILTIN_RELOAD_DUE };

struct adhoc_builtin {
	uv_timer_t later; /* runs a requested reload on the loop's next turn */
	enum adhoc_builtin_state state;
	void (*reload)(void *ud); /* NULL: no reload (--once) */
	void *reload_ud;
};

/* True for a node of the bridge's own commands. */
bool adhoc_builtin_node(const char *node);
void adhoc_builtin_init(struct adhoc_builtin *b, uv_loop_t *loop);
/* The answer to a stage of a built-in command (node known to be one); session is the
 * id to name in it. */
char *adhoc_builtin_stanza(struct adhoc *a, struct dispatcher *d, const struct inbound *in,
                           const char *session);
void adhoc_builtin_close(struct adhoc_builtin *b);

#endif
