/* control.h - the local control socket: handlers and local programs send stanzas.
 *
 * A unix stream socket speaking doc/control-protocol.md. Each request is checked
 * (route, recipient, send_allow, size, XML), sent from the route's address through its
 * XMPP link (or queued while the link is down), and answered with one line; an iq
 * request waits for the iq's answer and returns it. */
#ifndef XC_CONTROL_H
#define XC_CONTROL_H

#include <stddef.h>
#include <strophe.h>
#include <uv.h>

#include "config.h"
#include "xmpp_link.h"

struct control;
struct grant_table;

struct control_hooks {
	void *ud;
	/* The link that carries ROUTE's stanzas, writing the route's address to from;
	 * NULL if there is no such route. */
	struct xmpp_link *(*link_for)(void *ud, const char *route, char *from, size_t len);
	/* the running requests' tokens: a connection that presents one sends as its route */
	const struct grant_table *grants;
};

struct control *control_start(uv_loop_t *loop, const struct config *cfg,
                              const struct control_hooks *hooks);
/* Takes an inbound iq result or error if it answers a control request; returns 1 then. */
int control_iq_answer(struct control *ctl, xmpp_stanza_t *stanza);
void control_stop(struct control *ctl);

#endif
