/* router.c - addressing, the bridge's own answers, and hand-off to dispatch (see router.h). */
#include "router.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adhoc.h"
#include "cgi_dir.h"
#include "control.h"
#include "inbound.h"
#include "log.h"
#include "relay.h"
#include "reply.h"
#include "route.h"
#include "service.h"
#include "stanza_depth.h"

static int sink_send(void *ud, const char *xml, bool checked)
{
	int rc = checked ? link_send_checked(ud, xml) : link_send(ud, xml);
	return rc == LINK_REFUSED ? SINK_REFUSED : SINK_SENT;
}

/* An iq get/set whose answer fails the outbound check still gets one answer. */
static void send_reply(struct xmpp_link *link, char *xml, const struct inbound *in,
                       const struct reply_target *t)
{
	if (xml && link_send(link, xml) == LINK_REFUSED && in->must_answer) {
		free(xml);
		xml = reply_failure(t, FAIL_HANDLER, "the answer was not XML a server accepts");
		if (xml)
			link_send(link, xml);
	}
	free(xml);
}

/* The child element's namespace of an iq, for service queries. */
static const char *child_ns(xmpp_stanza_t *stanza, const char **node)
{
	xmpp_stanza_t *child = xmpp_stanza_get_children(stanza);
	while (child && !xmpp_stanza_is_tag(child))
		child = xmpp_stanza_get_next(child);
	*node = child ? xmpp_stanza_get_attribute(child, "node") : NULL;
	return child ? xmpp_stanza_get_ns(child) : NULL;
}

/* Component mode: splits "route@comp/extra" or "comp/route/extra". Returns 0 for the
 * component itself (name empty), 1 for a route, -1 for an address not ours. */
static int split_component_address(const char *to, const char *domain, char *name, size_t name_len,
                                   const char **extra)
{
	const char *at = strchr(to, '@'), *slash = strchr(to, '/');
	const char *dom = at && (!slash || at < slash) ? at + 1 : to;
	size_t dl = strlen(domain), nl;
	*extra = NULL;
	if (strncasecmp(dom, domain, dl) != 0 || (dom[dl] && dom[dl] != '/'))
		return -1;
	if (dom != to) { /* route@comp[/extra] */
		nl = (size_t)(at - to);
		*extra = dom[dl] == '/' ? dom + dl + 1 : NULL;
	} else if (dom[dl] == '/') { /* comp/route[/extra] */
		const char *r = dom + dl + 1, *end = strchr(r, '/');
		nl = end ? (size_t)(end - r) : strlen(r);
		*extra = end ? end + 1 : NULL;
		to = r;
	} else {
		name[0] = '\0';
		return 0;
	}
	if (nl == 0 || nl >= name_len)
		return -1;
	memcpy(name, to, nl);
	name[nl] = '\0';
	return 1;
}

/* Servers case-fold localparts (Prosody lowercases them), so a route named "Echo" is
 * asked for as "echo": match route names without regard to ASCII case. */
static const struct route_cfg *find_route(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (strcasecmp(cfg->routes[i].name, name) == 0)
			return &cfg->routes[i];
	return NULL;
}

void router_stanza(struct router *rt, struct xmpp_link *link, xmpp_stanza_t *stanza)
{
	const struct config *cfg = rt->cfg;
	struct inbound in;
	char route_name[72], path_info[600], script[PATH_MAX] = "";
	const char *extra = NULL, *node = NULL;
	const struct route_cfg *rc = NULL;
	struct route_rt *route = NULL;
	enum service_query q;
	int addressed;
	struct reply_target t;
	struct reply_sink sink = {.send = sink_send, .ud = link};

	/* the one reading of the stanza: everything below reads in */
	inbound_read(&in, stanza, link_remote_addr(link), cfg->mode == MODE_COMPONENT);
	t = inbound_reply_target(&in, false);
	if (in.too_deep) { /* before anything walks it recursively */
		log_warn("%s: %s from %s refused: %s", link_route(link)[0] ? "route" : "component",
		         in.name ? in.name : "stanza", in.from ? in.from : "-", STANZA_TOO_DEEP_TEXT);
		if (in.answerable)
			send_reply(link, reply_failure(&t, FAIL_BAD_REQUEST, STANZA_TOO_DEEP_TEXT), &in, &t);
		return;
	}
	switch (muc_inbound(rt->muc, link, &in)) { /* a room's stanza (bridge/xmpp/muc_room.c) */
	case MUC_TAKEN:
		return;
	case MUC_FORBID:
		send_reply(link, reply_failure(&t, FAIL_FORBIDDEN, NULL), &in, &t);
		return;
	case MUC_PASS:
	case MUC_SERVE:
		break;
	}
	if (relay_take(cfg, rt->ctl, link, stanza))
		return; /* an iq answer, this instance's or another's (bridge/xmpp/relay.c) */
	if (!in.answerable)
		return; /* errors and iq results are never handled nor answered */
	if (cfg->mode == MODE_CLIENT) {
		size_t bl = strlen(link_bare_jid(link));
		/* presence among the bridge's own resources is not a request */
		if (in.kind == KIND_PRESENCE && in.from && strncmp(in.from, link_bare_jid(link), bl) == 0 &&
		    (!in.from[bl] || in.from[bl] == '/'))
			return;
		snprintf(route_name, sizeof route_name, "%s", link_route(link));
		addressed = 1;
	} else {
		addressed = in.to ? split_component_address(in.to, cfg->domain, route_name,
		                                            sizeof route_name, &extra)
		                  : -1;
		if (addressed < 0) {
			send_reply(link, reply_failure(&t, FAIL_NO_ROUTE, NULL), &in, &t);
			return;
		}
	}
	if (addressed) {
		rc = find_route(cfg, route_name);
		if (rc && rc->cgi_dir)
			rc = NULL; /* "*" is a section, not a name anyone can ask for */
		route = rc ? dispatcher_route(rt->disp, rc->name) : NULL;
	}

	if (in.payload == INBOUND_COMMAND && rt->adhoc) { /* found by its node (adhoc.h) */
		char *answer = NULL;
		if (adhoc_stanza(rt->adhoc, rt->disp, &in, &sink, &answer)) {
			send_reply(link, answer, &in, &t);
			return;
		}
		in.payload = INBOUND_PLAIN; /* no command has that node: an iq like any other */
	}
	q = in.kind == KIND_IQ ? service_query_of(in.type, child_ns(stanza, &node)) : SQ_NONE;
	if (!addressed && q == SQ_NONE) {
		/* the component itself runs no handler */
		if (in.kind != KIND_PRESENCE)
			send_reply(link,
			           reply_failure(&t, in.kind == KIND_IQ ? FAIL_UNAVAILABLE : FAIL_NO_ROUTE,
			                         "this address runs no handler"),
			           &in, &t);
		return;
	}
	if (addressed && !rc) {
		const struct route_cfg *wild = config_wildcard_route(cfg);
		if (wild && cgi_dir_resolve(wild, route_name, script, sizeof script) == 0) {
			rc = wild;
			route = dispatcher_route(rt->disp, "*");
		} else {
			log_info("%s: no route \"%s\" for %s from %s",
			         link_route(link)[0] ? "route" : "component", route_name, in.name,
			         in.from ? in.from : "-");
			if (in.kind != KIND_PRESENCE)
				send_reply(link, reply_failure(&t, FAIL_NO_ROUTE, NULL), &in, &t);
			return;
		}
	}
	if (q != SQ_NONE) {
		char **names = NULL;
		size_t n_names = 0;
		const struct route_cfg *wild = config_wildcard_route(cfg);
		struct service_view v = {.cfg = cfg,
		                         .route = addressed ? rc : NULL,
		                         .route_name = route_name,
		                         .node = node,
		                         .sender = in.sender};
		if (q == SQ_DISCO_ITEMS && wild)
			cgi_dir_list(wild, &names, &n_names);
		v.dir_names = names;
		v.n_dir_names = n_names;
		char *xml = service_reply(q, &t, &v);
		/* every iq get is answered, even when building the answer failed */
		send_reply(link, xml ? xml : reply_failure(&t, FAIL_HANDLER, "out of memory"), &in, &t);
		cgi_dir_names_free(names, n_names);
		return;
	}
	if (extra && *extra)
		snprintf(path_info, sizeof path_info, "/%s/%s", route_name, extra);
	else
		snprintf(path_info, sizeof path_info, "/%s", route_name);
	struct dispatch_target tgt = {.route = route,
	                              .name = rc->cgi_dir ? route_name : rc->name,
	                              .path_info = path_info,
	                              .script = rc->cgi_dir ? script : NULL};
	dispatch_stanza(rt->disp, &tgt, &in, &sink);
}
