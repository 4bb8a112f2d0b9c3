/* relay.h - answers to this instance's iqs find it when the server hands them to another.
 *
 * ejabberd spreads the stanzas for one component over all its connections, answers
 * included. Every iq the control socket sends carries the sending instance's name at the
 * end of its id ("xc-...-RAND.NAME"). An instance that receives an answer named for
 * another wraps it in <relay xmlns='urn:xmpp-cgi:relay:0'/> inside a message from the
 * component to the component, which the server spreads again; the instance named takes
 * it, the others pass it on, up to RELAY_MAX_HOPS times. Only the component itself can
 * send from its bare domain, so a relay from anywhere else is ignored. Every answer
 * that ends nowhere is logged. */
#ifndef XC_RELAY_H
#define XC_RELAY_H

#include <stdbool.h>
#include <strophe.h>

#include "config.h"
#include "xmpp_link.h"

#define RELAY_NS "urn:xmpp-cgi:relay:0"
#define RELAY_MAX_HOPS 48

struct control;

/* Handles an inbound stanza if it is an iq answer for a control request (this instance's
 * or another's) or a relay message; returns true then, and the caller does nothing more
 * with it. */
bool relay_take(const struct config *cfg, struct control *ctl, struct xmpp_link *link,
                xmpp_stanza_t *stanza);

#endif
