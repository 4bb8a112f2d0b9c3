/* reload.h - SIGHUP: read the configuration again and apply it without a restart.
 *
 * As nginx -s reload does: a file that does not load is refused with its FILE:LINE
 * reason and the running configuration stays. Otherwise unchanged routes keep their
 * runtime state (connection, queue, running handlers, FastCGI pool), new routes are
 * created and, in client mode, connect; removed and changed routes drain. A changed
 * route (same name, other keys) is replaced: requests already running or queued finish
 * under the old settings, new stanzas go to the new route at once, on the same
 * connection. Changes to [xmpp], [control], [metrics] or [daemon] need a restart:
 * such a file is refused as a whole, with a log line naming the section. */
#ifndef XC_RELOAD_H
#define XC_RELOAD_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "dispatch.h"
#include "strophe_uv.h"
#include "xmpp_link.h"

struct reload_target {
	uv_loop_t *loop;
	struct config *live; /* replaced in place: everything holding &live sees the new file */
	struct dispatcher *disp;
	struct strophe_loop *sl;
	struct xmpp_link ***links; /* client mode: one per route name in use */
	size_t *n_links;
	link_stanza_cb on_stanza;
	link_state_cb on_link_state; /* given to the links a reload makes */
	/* The links changed: there are n now, and links[k] was links[was[k]] before
	 * (SIZE_MAX: new). May be NULL. */
	void (*on_links)(void *ud, const size_t *was, size_t n);
	/* A reload was applied (service readiness: RELOADING=1, READY=1). May be NULL. */
	void (*on_applied)(void *ud);
	void *ud;
};

struct reload;

struct reload *reload_new(const struct reload_target *t);
/* Reads the file at live->path again and applies it, or logs why not. */
void reload_now(struct reload *rl);
/* [0]: reloads applied, [1]: refused (for the metrics). */
const unsigned long *reload_counts(const struct reload *rl);
/* Stops the drain timer (shutdown); draining routes end with the dispatcher. */
void reload_stop(struct reload *rl);
/* Frees the retired configurations; after dispatcher_free(). */
void reload_free(struct reload *rl);

#endif
