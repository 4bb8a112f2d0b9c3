/* service.c - disco, ping and version answers (pure; see service.h). The iq result
 * envelope comes from stanza_build.h; this file builds only the <query> payload. */
#include "service.h"

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "adhoc_session.h"
#include "autoconfig.h"
#include "route.h"
#include "stanza_build.h"

enum service_query service_query_of(const char *type, const char *child_ns)
{
	if (!type || strcmp(type, "get") != 0 || !child_ns)
		return SQ_NONE;
	if (strcmp(child_ns, NS_DISCO_INFO) == 0)
		return SQ_DISCO_INFO;
	if (strcmp(child_ns, NS_DISCO_ITEMS) == 0)
		return SQ_DISCO_ITEMS;
	if (strcmp(child_ns, NS_PING) == 0)
		return SQ_PING;
	if (strcmp(child_ns, NS_VERSION) == 0)
		return SQ_VERSION;
	return SQ_NONE;
}

static xmlNodePtr add(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST text);
}

static void feature(xmlNodePtr q, const char *var)
{
	xmlNewProp(xmlNewChild(q, NULL, BAD_CAST "feature", NULL), BAD_CAST "var", BAD_CAST var);
}

static void identity(xmlNodePtr q, const char *category, const char *type, const char *name)
{
	xmlNodePtr id = xmlNewChild(q, NULL, BAD_CAST "identity", NULL);
	xmlNewProp(id, BAD_CAST "category", BAD_CAST category);
	xmlNewProp(id, BAD_CAST "type", BAD_CAST type);
	xmlNewProp(id, BAD_CAST "name", BAD_CAST name);
}

static void item_jid(const struct config *cfg, const char *route, char *out, size_t len)
{
	if (cfg->mode == MODE_COMPONENT)
		snprintf(out, len, "%s@%s", route, cfg->domain);
	else
		snprintf(out, len, "%s@%s/%s", cfg->localpart, cfg->domain, route);
}

/* exact_case: a cgi_dir file, found only by its exact name. A localpart is case-folded
 * by the server, a resource keeps its case: list such a name by resource. */
static void item(xmlNodePtr q, const struct config *cfg, const char *route, const char *name,
                 bool exact_case)
{
	char jid[400];
	xmlNodePtr it = xmlNewChild(q, NULL, BAD_CAST "item", NULL);
	bool upper = false;
	for (const char *p = route; *p; p++)
		upper |= *p >= 'A' && *p <= 'Z';
	if (cfg->mode == MODE_COMPONENT && upper && exact_case)
		snprintf(jid, sizeof jid, "%s/%s", cfg->domain, route);
	else
		item_jid(cfg, route, jid, sizeof jid);
	xmlNewProp(it, BAD_CAST "jid", BAD_CAST jid);
	xmlNewProp(it, BAD_CAST "name", BAD_CAST name);
}

/* ---- ad-hoc commands (XEP-0050 2.2 and 2.3) ---- */

static bool any_command(const struct config *cfg)
{
	if (cfg->n_admins) /* the bridge's own */
		return true;
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (cfg->routes[i].command)
			return true;
	return false;
}

/* The command of that node the sender may run, else NULL. */
static const struct route_cfg *command_for(const struct service_view *v, const char *node)
{
	for (size_t i = 0; i < v->cfg->n_routes; i++) {
		const struct route_cfg *r = &v->cfg->routes[i];
		if (r->command && strcmp(r->command_node, node) == 0)
			return route_allows(r, v->sender ? v->sender : "") ? r : NULL;
	}
	return NULL;
}

static void command_item(xmlNodePtr q, const char *jid, const char *node, const char *name)
{
	xmlNodePtr it = xmlNewChild(q, NULL, BAD_CAST "item", NULL);
	xmlNewProp(it, BAD_CAST "jid", BAD_CAST jid);
	xmlNewProp(it, BAD_CAST "node", BAD_CAST node);
	xmlNewProp(it, BAD_CAST "name", BAD_CAST name);
}

static bool is_admin(const struct service_view *v)
{
	const struct config *cfg = v->cfg;
	return cfg->n_admins &&
	       jid_patterns_match(cfg->admins, cfg->n_admins, v->sender ? v->sender : "");
}

/* The bridge's own commands (adhoc_builtin.h), to its admins: at the component, or in
 * client mode at the JID asked. */
static void builtin_items(xmlNodePtr q, const struct service_view *v)
{
	const struct config *cfg = v->cfg;
	char jid[400];
	if (!is_admin(v))
		return;
	if (cfg->mode == MODE_COMPONENT)
		snprintf(jid, sizeof jid, "%s", cfg->domain);
	else
		item_jid(cfg, v->route_name, jid, sizeof jid);
	command_item(q, jid, ADHOC_STATUS_NODE, ADHOC_STATUS_NAME);
	command_item(q, jid, ADHOC_RELOAD_NODE, ADHOC_RELOAD_NAME);
}

static void command_items(xmlNodePtr q, const struct service_view *v)
{
	const struct config *cfg = v->cfg;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct route_cfg *r = &cfg->routes[i];
		char jid[400];
		if (!r->command || !route_allows(r, v->sender ? v->sender : ""))
			continue;
		item_jid(cfg, r->name, jid, sizeof jid);
		command_item(q, jid, r->command_node, r->description ? r->description : r->name);
	}
	builtin_items(q, v);
}

static void command_info(xmlNodePtr q, const struct route_cfg *r, const char *builtin)
{
	if (!r && !builtin) { /* the list's own node */
		identity(q, "automation", "command-list", "Commands");
		return;
	}
	identity(q, "automation", "command-node",
	         builtin          ? builtin
	         : r->description ? r->description
	                          : r->name);
	feature(q, NS_COMMANDS_NODE);
	feature(q, "jabber:x:data");
}

static void disco_info(xmlNodePtr q, const struct service_view *v)
{
	const struct route_cfg *r = v->route;
	if (!r) {
		identity(q, "component", "generic", "xmpp-cgi");
	} else {
		const char *name = r->description ? r->description : v->route_name;
		if (r->soap)
			identity(q, "automation", "soap", name);
		else
			identity(q, "component", "generic", name);
	}
	feature(q, NS_DISCO_INFO);
	feature(q, NS_DISCO_ITEMS);
	feature(q, NS_PING);
	feature(q, NS_VERSION);
	if (r && r->soap)
		feature(q, NS_SOAP);
	if (r && r->http)
		feature(q, NS_HTTP);
	if (any_command(v->cfg))
		feature(q, NS_COMMANDS_NODE);
}

static void disco_items(xmlNodePtr q, const struct service_view *v)
{
	const struct config *cfg = v->cfg;
	if (v->route && cfg->mode == MODE_COMPONENT)
		return; /* a route has no items of its own */
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct route_cfg *r = &cfg->routes[i];
		if (r->cgi_dir)
			continue;
		item(q, cfg, r->name, r->description ? r->description : r->name, false);
	}
	for (size_t i = 0; i < v->n_dir_names; i++) {
		bool shadowed = false; /* a route of that name answers instead */
		for (size_t k = 0; k < cfg->n_routes && !shadowed; k++)
			shadowed = strcasecmp(cfg->routes[k].name, v->dir_names[i]) == 0;
		if (!shadowed)
			item(q, cfg, v->dir_names[i], v->dir_names[i], true);
	}
}

char *service_reply(enum service_query q, const struct reply_target *t,
                    const struct service_view *v)
{
	xmlDocPtr doc;
	xmlNodePtr root, query;
	const struct route_cfg *cmd = NULL;
	bool list = v->node && strcmp(v->node, NS_COMMANDS_NODE) == 0;
	const char *builtin = !v->node || !is_admin(v)                  ? NULL
	                      : strcmp(v->node, ADHOC_STATUS_NODE) == 0 ? ADHOC_STATUS_NAME
	                      : strcmp(v->node, ADHOC_RELOAD_NODE) == 0 ? ADHOC_RELOAD_NAME
	                                                                : NULL;

	if (v->node && !list && (q == SQ_DISCO_INFO || q == SQ_DISCO_ITEMS) &&
	    (q == SQ_DISCO_ITEMS || (!builtin && !(cmd = command_for(v, v->node)))))
		return reply_failure(t, FAIL_NO_ROUTE, "no such node");
	root = stanza_begin(&doc, &(struct stanza_head){"iq", "result", t->id, t->to, t->from});
	if (q != SQ_PING) {
		const char *ns = q == SQ_DISCO_INFO    ? NS_DISCO_INFO
		                 : q == SQ_DISCO_ITEMS ? NS_DISCO_ITEMS
		                                       : NS_VERSION;
		query = stanza_add_child(root, "query", ns);
		if (v->node && (q == SQ_DISCO_INFO || q == SQ_DISCO_ITEMS))
			xmlNewProp(query, BAD_CAST "node", BAD_CAST v->node);
		if (q == SQ_DISCO_INFO && v->node)
			command_info(query, cmd, builtin);
		else if (q == SQ_DISCO_ITEMS && v->node)
			command_items(query, v);
		else if (q == SQ_DISCO_INFO)
			disco_info(query, v);
		else if (q == SQ_DISCO_ITEMS)
			disco_items(query, v);
		else {
			add(query, "name", PACKAGE_NAME);
			add(query, "version", PACKAGE_VERSION);
			if (v->cfg->instance_name) { /* several instances: which one, which config */
				char os[128];
				snprintf(os, sizeof os, "instance %s, config %s", v->cfg->instance_name,
				         v->cfg->fingerprint[0] ? v->cfg->fingerprint : "unknown");
				add(query, "os", os);
			}
		}
	}
	return stanza_serialize(doc);
}
