/* adhoc.h - ad-hoc command stages (XEP-0050) on their way to a route's handler.
 *
 * A stage arrives as an iq set holding <command node=...> (inbound.h reads it as
 * INBOUND_COMMAND). adhoc_stanza() finds the route offering that node as a command,
 * checks its allow list, and admits the stage in the session table (adhoc_session.h):
 * the first execute opens a session with a random id, a later stage must come from the
 * session's owner with an action the last answer allowed. The stage then goes the way
 * of every request, through dispatch_stanza() and the route's backend; stanza_job.c
 * builds the form request and the command answer, and settles the session through the
 * callback set here. One libuv timer, on the bridge's one loop, times sessions out.
 * The bridge's own commands (adhoc_builtin.h) are answered here, without a handler. */
#ifndef XC_ADHOC_H
#define XC_ADHOC_H

#include <stdbool.h>
#include <uv.h>

#include "adhoc_builtin.h"
#include "adhoc_session.h"
#include "dispatch.h"
#include "inbound.h"

enum adhoc_timer_state { ADHOC_TIMER_NONE, ADHOC_TIMER_OPEN, ADHOC_TIMER_CLOSED };

struct adhoc {
	uv_loop_t *loop;
	uv_timer_t timer; /* fires at the table's next deadline */
	enum adhoc_timer_state timer_state;
	struct adhoc_table table;
	struct adhoc_builtin builtin; /* the bridge's own commands (adhoc_builtin.h) */
};

void adhoc_init(struct adhoc *a, uv_loop_t *loop);
/* False when neither a route nor the bridge offers in's node as a command: the caller
 * goes on as for any iq. Otherwise the stage was dispatched, or *answer is the answer
 * to send (a refusal, or a built-in command's). */
bool adhoc_stanza(struct adhoc *a, struct dispatcher *d, struct inbound *in,
                  const struct reply_sink *sink, char **answer);
/* Closes the timers (with the loop's other handles); the table stays until adhoc_free,
 * since requests still running settle their sessions. */
void adhoc_close(struct adhoc *a);
void adhoc_free(struct adhoc *a);

#endif
