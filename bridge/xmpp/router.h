/* router.h - an inbound stanza -> the bridge's own answer, or a route's request.
 *
 * It reads the stanza's address: in client mode the link is the route; in component
 * mode ROUTE@component[/extra] and component/ROUTE[/extra] both name ROUTE, with the
 * extra resource appended to PATH_INFO, and [route "*"] resolves other names in its
 * cgi_dir. Disco, ping and version are answered here; nothing else is. */
#ifndef XC_ROUTER_H
#define XC_ROUTER_H

#include <strophe.h>

#include "config.h"
#include "dispatch.h"
#include "muc_room.h"
#include "xmpp_link.h"

struct adhoc;

struct router {
	const struct config *cfg;
	struct dispatcher *disp;
	struct control *ctl; /* NULL without a [control] section */
	struct muc_set *muc; /* the routes' rooms (muc_room.h), or NULL */
	struct adhoc *adhoc; /* ad-hoc command sessions (adhoc.h); NULL: none */
};

void router_stanza(struct router *rt, struct xmpp_link *link, xmpp_stanza_t *stanza);

#endif
