/* service.h - what the bridge answers itself: disco#info, disco#items, ping, version (pure).
 *
 * XEP-0030, XEP-0199 and XEP-0092 queries never reach handlers. The answers describe
 * the bridge's JID (the component, or in client mode any route's JID) and each route:
 * its identity and features, SOAP (XEP-0072) and HTTP (XEP-0332) when configured. The
 * ad-hoc commands (XEP-0050) are listed under the node NS_COMMANDS, to a sender only
 * those whose allow admits it, and each command's node answers disco#info. */
#ifndef XC_SERVICE_H
#define XC_SERVICE_H

#include <stddef.h>

#include "config.h"
#include "reply.h"

#define NS_DISCO_INFO "http://jabber.org/protocol/disco#info"
#define NS_DISCO_ITEMS "http://jabber.org/protocol/disco#items"
#define NS_PING "urn:xmpp:ping"
#define NS_VERSION "jabber:iq:version"
#define NS_SOAP "http://jabber.org/protocol/soap"
#define NS_HTTP "urn:xmpp:http"
#define NS_COMMANDS_NODE "http://jabber.org/protocol/commands"

enum service_query { SQ_NONE, SQ_DISCO_INFO, SQ_DISCO_ITEMS, SQ_PING, SQ_VERSION };

/* Which query an iq is, from its type and its child's namespace. */
enum service_query service_query_of(const char *type, const char *child_ns);

struct service_view {
	const struct config *cfg;
	const struct route_cfg *route; /* NULL: the bridge's own JID */
	const char *route_name;        /* for a cgi_dir name: the name asked for */
	const char *node;              /* the query's node attribute, or NULL */
	char *const *dir_names;        /* cgi_dir executables, for disco#items */
	size_t n_dir_names;
	const char *sender; /* the asker's bare JID, for the commands it may run; may be "" */
};

char *service_reply(enum service_query q, const struct reply_target *t,
                    const struct service_view *v);

#endif
