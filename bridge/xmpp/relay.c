/* relay.c - iq answers passed between instances of one component (see relay.h). */
#include "relay.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "control.h"
#include "log.h"

/* The instance named at the end of a control iq's id, or NULL if the id names none. */
static const char *id_owner(const char *id)
{
	const char *dot;
	if (!id || strncmp(id, "xc-", 3) != 0 || !(dot = strrchr(id, '.')))
		return NULL;
	return config_instance_name_valid(dot + 1) ? dot + 1 : NULL;
}

static bool is_answer(xmpp_stanza_t *s)
{
	const char *name = xmpp_stanza_get_name(s), *type = xmpp_stanza_get_type(s);
	return name && strcmp(name, "iq") == 0 && type &&
	       (strcmp(type, "result") == 0 || strcmp(type, "error") == 0);
}

/* Sends the answer on, wrapped, to the component (which the server spreads again). */
static void pass_on(const struct config *cfg, struct xmpp_link *link, xmpp_stanza_t *iq,
                    const char *owner, unsigned hops)
{
	xmpp_ctx_t *ctx = xmpp_stanza_get_context(iq);
	xmpp_stanza_t *msg = xmpp_message_new(ctx, NULL, cfg->domain, NULL);
	xmpp_stanza_t *wrap = xmpp_stanza_new(ctx);
	xmpp_stanza_t *copy = xmpp_stanza_copy(iq);
	char hops_s[16], *text = NULL;
	size_t len = 0;

	snprintf(hops_s, sizeof hops_s, "%u", hops);
	if (msg && wrap && copy) {
		xmpp_stanza_set_from(msg, cfg->domain);
		xmpp_stanza_set_name(wrap, "relay");
		xmpp_stanza_set_ns(wrap, RELAY_NS);
		xmpp_stanza_set_attribute(wrap, "for", owner);
		xmpp_stanza_set_attribute(wrap, "hops", hops_s);
		xmpp_stanza_set_ns(copy, "jabber:client"); /* not the relay's namespace */
		xmpp_stanza_add_child(wrap, copy);
		xmpp_stanza_add_child(msg, wrap);
	}
	if (!msg || !wrap || !copy || xmpp_stanza_to_text(msg, &text, &len) != XMPP_EOK ||
	    link_send(link, text) < 0)
		log_warn("instance %s: the answer to iq %s for instance %s could not be passed on",
		         cfg->instance_name, xmpp_stanza_get_id(iq), owner);
	else
		log_debug("instance %s: answer to iq %s passed on towards instance %s (hop %u)",
		          cfg->instance_name, xmpp_stanza_get_id(iq), owner, hops);
	if (text)
		xmpp_free(ctx, text);
	if (copy)
		xmpp_stanza_release(copy);
	if (wrap)
		xmpp_stanza_release(wrap);
	if (msg)
		xmpp_stanza_release(msg);
}

/* An answer that reached its instance, or that names none. */
static void take_own(const struct config *cfg, struct control *ctl, xmpp_stanza_t *iq)
{
	if (!control_iq_answer(ctl, iq))
		log_info("instance %s: iq %s %s from %s answers nothing sent from here: ignored",
		         cfg->instance_name, xmpp_stanza_get_id(iq) ? xmpp_stanza_get_id(iq) : "(no id)",
		         xmpp_stanza_get_type(iq),
		         xmpp_stanza_get_from(iq) ? xmpp_stanza_get_from(iq) : "-");
}

static bool take_relay(const struct config *cfg, struct control *ctl, struct xmpp_link *link,
                       xmpp_stanza_t *msg)
{
	xmpp_stanza_t *wrap = xmpp_stanza_get_child_by_ns(msg, RELAY_NS), *iq;
	const char *from = xmpp_stanza_get_from(msg), *owner, *hops_s;
	unsigned long hops;

	if (!wrap)
		return false;
	if (!from || strcasecmp(from, cfg->domain) != 0) {
		log_warn("instance %s: relay from %s ignored: only the component sends those",
		         cfg->instance_name, from ? from : "-");
		return true;
	}
	for (iq = xmpp_stanza_get_children(wrap); iq && !xmpp_stanza_is_tag(iq);
	     iq = xmpp_stanza_get_next(iq))
		;
	owner = iq && is_answer(iq) ? id_owner(xmpp_stanza_get_id(iq)) : NULL;
	hops_s = xmpp_stanza_get_attribute(wrap, "hops");
	hops = hops_s ? strtoul(hops_s, NULL, 10) : RELAY_MAX_HOPS;
	if (!owner) {
		log_warn("instance %s: relay without an iq answer for an instance: ignored",
		         cfg->instance_name);
	} else if (strcmp(owner, cfg->instance_name) == 0) {
		take_own(cfg, ctl, iq);
	} else if (hops >= RELAY_MAX_HOPS) {
		log_warn("instance %s: answer to iq %s dropped after %u hops: is instance %s running?",
		         cfg->instance_name, xmpp_stanza_get_id(iq), RELAY_MAX_HOPS, owner);
	} else {
		pass_on(cfg, link, iq, owner, (unsigned)hops + 1);
	}
	return true;
}

bool relay_take(const struct config *cfg, struct control *ctl, struct xmpp_link *link,
                xmpp_stanza_t *stanza)
{
	const char *name = xmpp_stanza_get_name(stanza), *owner;
	if (name && strcmp(name, "message") == 0)
		return cfg->mode == MODE_COMPONENT && take_relay(cfg, ctl, link, stanza);
	if (!is_answer(stanza))
		return false;
	if (xmpp_stanza_get_id(stanza) && strncmp(xmpp_stanza_get_id(stanza), "_xmpp_", 6) == 0)
		return true; /* libstrophe's own (resource binding, session): it took them already */
	owner = id_owner(xmpp_stanza_get_id(stanza));
	if (cfg->mode == MODE_COMPONENT && owner && strcmp(owner, cfg->instance_name) != 0)
		pass_on(cfg, link, stanza, owner, 1);
	else
		take_own(cfg, ctl, stanza);
	return true;
}
