/* readiness.h - tells the service manager when the daemon is ready, how its
 * connections are, and when it stops (the sd_notify(3) protocol of Type=notify).
 *
 * Ready means every XMPP connection has come online or has failed once: a server that
 * is down must not hold up the boot, and the status line says what is online. Without
 * NOTIFY_SOCKET in the environment (not started by systemd) every call does nothing.
 * A reload (reload.c) may add and remove connections; the table follows. */
#ifndef XC_READINESS_H
#define XC_READINESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum link_outcome { LINK_OUTCOME_NONE, LINK_OUTCOME_ONLINE, LINK_OUTCOME_OFFLINE };

struct readiness {
	enum link_outcome *links; /* the latest outcome of each connection */
	size_t n_links;
	const char *noun; /* "route" or "component connection", for the status line */
	bool ready_sent;
	bool stopping;
};

int readiness_init(struct readiness *r, size_t n_links, const char *noun);
/* Connection i came online (true) or failed or was lost (false). */
void readiness_link(struct readiness *r, size_t i, bool online);
/* A reload changed the connections: there are n now, and connection k was connection
 * was[k] before (SIZE_MAX: new, no outcome yet). Updates STATUS once ready. */
int readiness_relink(struct readiness *r, const size_t *was, size_t n);
/* A reload was applied (after readiness_relink): RELOADING=1, then READY=1 with the
 * STATUS, as sd_notify(3) asks of a reload. Nothing before the first READY=1. */
void readiness_reloaded(struct readiness *r);
/* The daemon has begun to shut down. */
void readiness_stopping(struct readiness *r);
void readiness_free(struct readiness *r);

#endif
