/* muc_room.c - joining, staying in and reading the routes' rooms (see muc_room.h).
 *
 * One struct muc_room per (route, room), with its state (enum muc_room_state), the
 * nick it joined as, the occupants it saw and one timer: the join timeout while
 * JOINING, the self-ping while IN, the retry while BACKOFF. The decisions are
 * muc_logic.c's; this file sends presence and pings through the route's link and
 * logs every change with the server's reason. */
#include "muc_room.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "link_error.h"
#include "log.h"
#include "muc_logic.h"
#include "route.h"

#define NS_MUC "http://jabber.org/protocol/muc"
#define NS_MUC_USER "http://jabber.org/protocol/muc#user"
#define NS_MUC_OWNER "http://jabber.org/protocol/muc#owner"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"
#define NS_PING "urn:xmpp:ping"
#define NS_DELAY "urn:xmpp:delay"
#define NS_LEGACY_DELAY "jabber:x:delay"
#define JOIN_TIMEOUT_MS 30000
#define MAX_OCCUPANTS 2000
#define MAX_NICK_ATTEMPTS 9
#define UNLOCK_ID "muc-unlock-"

struct occupant {
	char *nick;
	char *real_jid; /* NULL: hidden */
};

struct muc_room {
	struct muc_set *set;
	char route[72];             /* the route's name */
	char self_jid[160];         /* component mode: route@component, our occupant's real JID */
	const struct route_cfg *rc; /* the route in the live configuration (see reconfigure) */
	struct xmpp_link *link;     /* while the route's link is online */
	char jid[320];
	char nick[160]; /* the nick of the current or last join */
	char *subject;
	enum muc_room_state state;
	unsigned attempt;      /* join attempts since the last success */
	unsigned nick_attempt; /* conflicts in this join */
	uv_timer_t timer;
	char ping_id[48]; /* the self-ping waiting for its answer, or "" */
	struct occupant *occ;
	size_t n_occ;
	struct muc_bucket bucket;
	struct muc_loop_guard guard;
	bool limited;        /* the rate limit was hit and logged */
	unsigned long joins; /* times the route got in, for the metrics */
};

struct muc_set {
	uv_loop_t *loop;
	const struct config *cfg; /* the live configuration (a reload changes its contents) */
	bool component;           /* one link for every route; stanzas carry our from */
	xmpp_ctx_t *ctx;
	struct muc_room **rooms;
	size_t n_rooms;
	unsigned long seq; /* ids of the pings and joins */
	/* the record muc_inbound hands out, and its strings */
	struct inbound_muc rec;
	char args[1024];
};

/* ---- sending ---- */

static void send_stanza(struct muc_room *r, xmpp_stanza_t *st)
{
	char *text = NULL;
	size_t len;
	if (r->self_jid[0])
		xmpp_stanza_set_from(st, r->self_jid);
	if (r->link && xmpp_stanza_to_text(st, &text, &len) == XMPP_EOK) {
		link_send(r->link, text);
		xmpp_free(r->set->ctx, text);
	}
	xmpp_stanza_release(st);
}

static xmpp_stanza_t *child(xmpp_stanza_t *parent, const char *name, const char *ns)
{
	xmpp_stanza_t *c = xmpp_stanza_new(xmpp_stanza_get_context(parent));
	xmpp_stanza_set_name(c, name);
	if (ns)
		xmpp_stanza_set_ns(c, ns);
	xmpp_stanza_add_child(parent, c);
	xmpp_stanza_release(c);
	return c;
}

static void occupant_jid(const struct muc_room *r, const char *nick, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", r->jid, nick);
}

static void on_timer(uv_timer_t *t);

static void rearm(struct muc_room *r, uint64_t ms)
{
	uv_timer_stop(&r->timer);
	uv_timer_start(&r->timer, on_timer, ms, 0);
}

static void send_join(struct muc_room *r)
{
	char to[512];
	xmpp_stanza_t *p = xmpp_presence_new(r->set->ctx), *x, *h;
	muc_nick_for_attempt(r->rc->nick, r->nick_attempt, r->nick, sizeof r->nick);
	occupant_jid(r, r->nick, to, sizeof to);
	xmpp_stanza_set_to(p, to);
	x = child(p, "x", NS_MUC);
	/* no history (XEP-0045 7.2.14); delayed messages are dropped anyway */
	h = child(x, "history", NULL);
	xmpp_stanza_set_attribute(h, "maxstanzas", "0");
	if (r->rc->room_password) {
		xmpp_stanza_t *pw = child(x, "password", NULL), *t = xmpp_stanza_new(r->set->ctx);
		xmpp_stanza_set_text(t, r->rc->room_password);
		xmpp_stanza_add_child(pw, t);
		xmpp_stanza_release(t);
	}
	log_info("route %s: joining room %s as %s", r->route, r->jid, r->nick);
	send_stanza(r, p);
	rearm(r, JOIN_TIMEOUT_MS);
}

/* The join made the room (201): accept the default configuration (an "instant room",
 * XEP-0045 10.1.2) so that it is not left locked for everyone else. */
static void unlock_room(struct muc_room *r)
{
	char id[64];
	xmpp_stanza_t *iq, *q, *x;
	snprintf(id, sizeof id, UNLOCK_ID "%lu", ++r->set->seq);
	iq = xmpp_iq_new(r->set->ctx, "set", id);
	xmpp_stanza_set_to(iq, r->jid);
	q = child(iq, "query", NS_MUC_OWNER);
	x = child(q, "x", "jabber:x:data");
	xmpp_stanza_set_type(x, "submit");
	send_stanza(r, iq);
}

static void send_ping(struct muc_room *r)
{
	char to[512];
	xmpp_stanza_t *iq;
	snprintf(r->ping_id, sizeof r->ping_id, "muc-ping-%lu", ++r->set->seq);
	iq = xmpp_iq_new(r->set->ctx, "get", r->ping_id);
	occupant_jid(r, r->nick, to, sizeof to);
	xmpp_stanza_set_to(iq, to);
	child(iq, "ping", NS_PING);
	send_stanza(r, iq);
}

/* ---- the state machine ---- */

static void occupants_clear(struct muc_room *r)
{
	for (size_t i = 0; i < r->n_occ; i++) {
		free(r->occ[i].nick);
		free(r->occ[i].real_jid);
	}
	free(r->occ);
	r->occ = NULL;
	r->n_occ = 0;
}

/* Applies input; the new state's entry action (join, timer) follows. */
static void move(struct muc_room *r, enum muc_room_input in)
{
	enum muc_room_state was = r->state, now = muc_room_next(was, in);
	r->state = now;
	if (now != was)
		log_debug("route %s: room %s %s -> %s", r->route, r->jid, muc_room_state_name(was),
		          muc_room_state_name(now));
	switch (now) {
	case ROOM_OUT:
		uv_timer_stop(&r->timer);
		r->ping_id[0] = '\0';
		occupants_clear(r);
		break;
	case ROOM_JOINING:
		if (was != ROOM_JOINING || in == RI_NICK_TAKEN) {
			if (was != ROOM_JOINING)
				r->nick_attempt = 0;
			r->ping_id[0] = '\0';
			occupants_clear(r);
			send_join(r);
		}
		break;
	case ROOM_IN:
		if (was != ROOM_IN) {
			r->joins++;
			r->attempt = 0;
			r->ping_id[0] = '\0';
			uv_timer_stop(&r->timer);
			if (r->rc->room_ping_s)
				rearm(r, (uint64_t)r->rc->room_ping_s * 1000);
		}
		break;
	case ROOM_BACKOFF:
		if (was != ROOM_BACKOFF) {
			uint64_t ms = muc_backoff_ms(r->attempt++);
			/* up to a quarter more, so that routes do not retry in step */
			ms += (uint64_t)rand() % (ms / 4 + 1);
			log_info("route %s: rejoining room %s in %llu ms", r->route, r->jid,
			         (unsigned long long)ms);
			r->ping_id[0] = '\0';
			occupants_clear(r);
			rearm(r, ms);
		}
		break;
	}
}

static void on_timer(uv_timer_t *t)
{
	struct muc_room *r = t->data;
	switch (r->state) {
	case ROOM_JOINING:
		log_warn("route %s: no answer to joining room %s", r->route, r->jid);
		move(r, RI_JOIN_FAILED);
		break;
	case ROOM_IN:
		if (r->ping_id[0])
			log_info("route %s: room %s did not answer the self-ping %s; asking again", r->route,
			         r->jid, r->ping_id);
		send_ping(r);
		rearm(r, (uint64_t)r->rc->room_ping_s * 1000);
		break;
	case ROOM_BACKOFF:
		move(r, RI_RETRY_DUE);
		break;
	case ROOM_OUT:
		break;
	}
}

/* ---- the set ---- */

static struct muc_room *add_room(struct muc_set *s, const struct route_cfg *rc, const char *jid)
{
	struct muc_room *r = calloc(1, sizeof *r), **grown;
	grown = r ? realloc(s->rooms, (s->n_rooms + 1) * sizeof *grown) : NULL;
	if (!grown) {
		free(r);
		return NULL;
	}
	s->rooms = grown;
	r->set = s;
	r->rc = rc;
	snprintf(r->route, sizeof r->route, "%s", rc->name);
	snprintf(r->jid, sizeof r->jid, "%s", jid);
	if (s->component) { /* servers lower-case localparts; the router ignores case */
		snprintf(r->self_jid, sizeof r->self_jid, "%s@%s", rc->name, s->cfg->domain);
		for (char *c = r->self_jid; *c; c++)
			*c = (char)tolower((unsigned char)*c);
	}
	uv_timer_init(s->loop, &r->timer);
	r->timer.data = r;
	s->rooms[s->n_rooms++] = r;
	return r;
}

struct muc_set *muc_set_new(uv_loop_t *loop, xmpp_ctx_t *ctx, const struct config *cfg)
{
	struct muc_set *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->loop = loop;
	s->ctx = ctx;
	s->cfg = cfg;
	s->component = cfg->mode == MODE_COMPONENT;
	for (size_t i = 0; i < cfg->n_routes; i++)
		for (size_t k = 0; k < cfg->routes[i].n_rooms; k++)
			if (!add_room(s, &cfg->routes[i], cfg->routes[i].rooms[k])) {
				muc_set_free(s);
				return NULL;
			}
	return s;
}

static void on_room_closed(uv_handle_t *h)
{
	struct muc_room *r = h->data;
	occupants_clear(r);
	free(r->subject);
	free(r);
}

void muc_set_free(struct muc_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rooms; i++)
		uv_close((uv_handle_t *)&s->rooms[i]->timer, on_room_closed);
	free(s->rooms);
	free(s);
}

void muc_link_state(struct muc_set *s, struct xmpp_link *link, bool online)
{
	for (size_t i = 0; s && i < s->n_rooms; i++) {
		struct muc_room *r = s->rooms[i];
		if (!s->component && strcmp(r->route, link_route(link)) != 0)
			continue;
		if (online) {
			r->link = link;
			move(r, RI_LINK_DOWN); /* a new session: whatever was, the server forgot it */
			move(r, RI_LINK_UP);
		} else {
			if (r->state != ROOM_OUT)
				log_info("route %s: out of room %s: the connection is gone", r->route, r->jid);
			move(r, RI_LINK_DOWN);
			r->link = NULL;
		}
	}
}

static bool route_has_room(const struct route_cfg *rc, const char *jid)
{
	for (size_t k = 0; rc && k < rc->n_rooms; k++)
		if (strcmp(rc->rooms[k], jid) == 0)
			return true;
	return false;
}

static void leave(struct muc_room *r)
{
	char to[512];
	xmpp_stanza_t *p;
	if (r->state != ROOM_IN && r->state != ROOM_JOINING)
		return;
	p = xmpp_presence_new(r->set->ctx);
	occupant_jid(r, r->nick, to, sizeof to);
	xmpp_stanza_set_to(p, to);
	xmpp_stanza_set_type(p, "unavailable");
	send_stanza(r, p);
}

void muc_set_reconfigure(struct muc_set *s, struct xmpp_link *const *links, size_t n_links)
{
	size_t kept = 0;
	if (!s)
		return;
	for (size_t i = 0; i < s->n_rooms; i++) {
		struct muc_room *r = s->rooms[i];
		r->rc = config_route(s->cfg, r->route);
		if (r->rc && route_has_room(r->rc, r->jid)) {
			s->rooms[kept++] = r;
			continue;
		}
		log_info("route %s: leaving room %s: no longer in the configuration", r->route, r->jid);
		leave(r);
		uv_close((uv_handle_t *)&r->timer, on_room_closed);
	}
	s->n_rooms = kept;
	for (size_t i = 0; i < s->cfg->n_routes; i++) {
		const struct route_cfg *rc = &s->cfg->routes[i];
		for (size_t k = 0; k < rc->n_rooms; k++) {
			struct muc_room *r = NULL;
			for (size_t j = 0; j < s->n_rooms && !r; j++)
				if (s->rooms[j]->rc == rc && strcmp(s->rooms[j]->jid, rc->rooms[k]) == 0)
					r = s->rooms[j];
			if (r)
				continue;
			if (!(r = add_room(s, rc, rc->rooms[k]))) {
				log_error("out of memory: route %s does not join room %s", rc->name, rc->rooms[k]);
				continue;
			}
			for (size_t j = 0; j < n_links; j++)
				if (links[j] && (s->component || strcmp(link_route(links[j]), rc->name) == 0) &&
				    strcmp(link_state_name(links[j]), "online") == 0) {
					r->link = links[j];
					move(r, RI_LINK_UP);
				}
		}
	}
}

size_t muc_set_count(const struct muc_set *s) { return s ? s->n_rooms : 0; }

void muc_room_info(const struct muc_set *s, size_t i, const char **route, const char **room,
                   const char **state, unsigned long *joins)
{
	const struct muc_room *r = s->rooms[i];
	*route = r->route;
	*room = r->jid;
	*state = muc_room_state_name(r->state);
	*joins = r->joins;
}

bool muc_route_in_room(const struct muc_set *s, const char *route, const char *room)
{
	for (size_t i = 0; s && i < s->n_rooms; i++)
		if (s->rooms[i]->state == ROOM_IN && strcmp(s->rooms[i]->rc->name, route) == 0 &&
		    strcasecmp(s->rooms[i]->jid, room) == 0)
			return true;
	return false;
}

/* ---- reading ---- */

/* The room bare is, of the route the stanza is for: the link's in client mode, the one
 * its to names in component mode. */
static struct muc_room *room_of(struct muc_set *s, struct xmpp_link *link, const char *bare,
                                const char *to)
{
	char to_bare[320] = "";
	if (s->component && (!to || !jid_bare(to, to_bare, sizeof to_bare)))
		return NULL;
	for (size_t i = 0; i < s->n_rooms; i++)
		if (s->rooms[i]->link == link && strcmp(s->rooms[i]->jid, bare) == 0 &&
		    (!s->component || strcasecmp(s->rooms[i]->self_jid, to_bare) == 0))
			return s->rooms[i];
	return NULL;
}

/* A real JID that is one of the bridge's own routes: our account in client mode, our
 * component's domain in component mode. */
static bool ours(const struct muc_room *r, const char *real_jid)
{
	char bare[320];
	const char *at;
	if (!jid_bare(real_jid, bare, sizeof bare))
		return false;
	if (r->set->component)
		return (at = strchr(bare, '@')) && strcasecmp(at + 1, r->set->cfg->domain) == 0;
	return r->link && strcmp(bare, link_bare_jid(r->link)) == 0;
}

static struct occupant *occupant_of(struct muc_room *r, const char *nick)
{
	for (size_t i = 0; i < r->n_occ; i++)
		if (strcmp(r->occ[i].nick, nick) == 0)
			return &r->occ[i];
	return NULL;
}

static void occupant_remove(struct muc_room *r, const char *nick)
{
	struct occupant *o = occupant_of(r, nick);
	if (!o)
		return;
	free(o->nick);
	free(o->real_jid);
	*o = r->occ[--r->n_occ];
}

static void occupant_set(struct muc_room *r, const char *nick, const char *real_jid)
{
	struct occupant *o = occupant_of(r, nick), *grown;
	if (!o) {
		if (r->n_occ == MAX_OCCUPANTS)
			return;
		grown = realloc(r->occ, (r->n_occ + 1) * sizeof *grown);
		if (!grown)
			return;
		r->occ = grown;
		o = &r->occ[r->n_occ];
		o->nick = strdup(nick);
		o->real_jid = NULL;
		if (!o->nick)
			return;
		r->n_occ++;
	}
	free(o->real_jid);
	o->real_jid = real_jid ? strdup(real_jid) : NULL;
}

/* The defined condition of an <error/> child, and its text if any. */
static const char *error_condition(xmpp_stanza_t *st, const char **text)
{
	xmpp_stanza_t *e = xmpp_stanza_get_child_by_name(st, "error"), *c;
	*text = NULL;
	if (!e)
		return NULL;
	for (c = xmpp_stanza_get_children(e); c; c = xmpp_stanza_get_next(c)) {
		const char *ns = xmpp_stanza_get_ns(c);
		if (!xmpp_stanza_is_tag(c) || !ns || strcmp(ns, NS_STANZAS) != 0)
			continue;
		if (strcmp(xmpp_stanza_get_name(c), "text") == 0)
			*text = xmpp_stanza_get_text_ptr(xmpp_stanza_get_children(c));
	}
	for (c = xmpp_stanza_get_children(e); c; c = xmpp_stanza_get_next(c)) {
		const char *ns = xmpp_stanza_get_ns(c);
		if (xmpp_stanza_is_tag(c) && ns && strcmp(ns, NS_STANZAS) == 0 &&
		    strcmp(xmpp_stanza_get_name(c), "text") != 0)
			return xmpp_stanza_get_name(c);
	}
	return "undefined-condition";
}

/* A server's text for the log (link_error.h): one line, bounded. */
static const char *loggable(const char *text, char *buf, size_t size)
{
	if (!text)
		return NULL;
	link_server_text(buf, size, text);
	return buf;
}

static const char *child_text(xmpp_stanza_t *parent, const char *name)
{
	xmpp_stanza_t *c = parent ? xmpp_stanza_get_child_by_name(parent, name) : NULL;
	c = c ? xmpp_stanza_get_children(c) : NULL;
	return c ? xmpp_stanza_get_text_ptr(c) : NULL;
}

static void self_presence(struct muc_room *r, struct inbound *in, xmpp_stanza_t *x)
{
	unsigned codes[16];
	size_t n = 0;
	const char *etext = NULL, *reason = NULL;
	char etext_buf[256], reason_buf[256];
	xmpp_stanza_t *item = x ? xmpp_stanza_get_child_by_name(x, "item") : NULL;
	xmpp_stanza_t *destroy = x ? xmpp_stanza_get_child_by_name(x, "destroy") : NULL;
	struct muc_self_presence p = {0};
	for (xmpp_stanza_t *c = x ? xmpp_stanza_get_children(x) : NULL; c && n < 16;
	     c = xmpp_stanza_get_next(c)) {
		const char *code;
		if (xmpp_stanza_is_tag(c) && strcmp(xmpp_stanza_get_name(c), "status") == 0 &&
		    (code = xmpp_stanza_get_attribute(c, "code")))
			codes[n++] = (unsigned)strtoul(code, NULL, 10);
	}
	p.codes = codes;
	p.n_codes = n;
	p.destroyed = destroy != NULL;
	if (in->type && strcmp(in->type, "error") == 0) {
		p.kind = MUC_SELF_ERROR;
		p.error = error_condition(in->stanza, &etext);
	} else
		p.kind = in->type && strcmp(in->type, "unavailable") == 0 ? MUC_SELF_UNAVAILABLE
		                                                          : MUC_SELF_AVAILABLE;
	reason = destroy ? child_text(destroy, "reason") : child_text(item, "reason");
	reason = loggable(reason, reason_buf, sizeof reason_buf);
	etext = loggable(etext, etext_buf, sizeof etext_buf);
	enum muc_event ev = muc_self_event(&p);
	switch (ev) {
	case MUC_EV_NONE:
		return;
	case MUC_EV_JOINED:
	case MUC_EV_CREATED:
		if (r->state != ROOM_IN)
			log_info("route %s: joined room %s as %s%s", r->route, r->jid, r->nick,
			         ev == MUC_EV_CREATED ? " (the join created the room)" : "");
		if (ev == MUC_EV_CREATED)
			unlock_room(r);
		move(r, RI_JOINED);
		return;
	case MUC_EV_NICK_CONFLICT:
		if (r->state == ROOM_JOINING && r->nick_attempt < MAX_NICK_ATTEMPTS) {
			log_info("route %s: nick %s is taken in room %s; trying another", r->route, r->nick,
			         r->jid);
			r->nick_attempt++;
			move(r, RI_NICK_TAKEN);
			return;
		}
		r->nick_attempt = 0; /* out of nicks: wait, then start again from the first */
		__attribute__((fallthrough));
	case MUC_EV_JOIN_FAILED:
		log_warn("route %s: cannot join room %s: %s%s%s", r->route, r->jid,
		         p.error ? p.error : "error", etext ? ": " : "", etext ? etext : "");
		if (r->state == ROOM_IN)
			move(r, RI_REMOVED);
		else
			move(r, RI_JOIN_FAILED);
		return;
	default:
		log_warn("route %s: out of room %s: %s%s%s", r->route, r->jid, muc_event_name(ev),
		         reason ? ": " : "", reason ? reason : "");
		move(r, RI_REMOVED);
		return;
	}
}

static void occupant_presence(struct muc_room *r, struct inbound *in, const char *nick,
                              xmpp_stanza_t *x)
{
	xmpp_stanza_t *item = x ? xmpp_stanza_get_child_by_name(x, "item") : NULL;
	const char *real = item ? xmpp_stanza_get_attribute(item, "jid") : NULL;
	if (in->type && strcmp(in->type, "unavailable") == 0)
		occupant_remove(r, nick);
	else if (!in->type)
		occupant_set(r, nick, real);
}

static enum muc_verdict presence_in(struct muc_room *r, struct inbound *in, const char *nick)
{
	xmpp_stanza_t *x = xmpp_stanza_get_child_by_name_and_ns(in->stanza, "x", NS_MUC_USER);
	bool self = false;
	for (xmpp_stanza_t *c = x ? xmpp_stanza_get_children(x) : NULL; c;
	     c = xmpp_stanza_get_next(c)) {
		const char *code = xmpp_stanza_is_tag(c) ? xmpp_stanza_get_attribute(c, "code") : NULL;
		if (code && strcmp(code, "110") == 0)
			self = true;
	}
	if (!self && nick && strcmp(nick, r->nick) == 0 &&
	    (r->state == ROOM_JOINING || (in->type && strcmp(in->type, "error") == 0)))
		self = true; /* an error to our join carries no 110 */
	if (self) {
		if (nick && strcmp(nick, r->nick) != 0 && (!in->type || strcmp(in->type, "error") != 0))
			snprintf(r->nick, sizeof r->nick, "%s", nick); /* the room changed it (210) */
		self_presence(r, in, x);
	} else if (nick)
		occupant_presence(r, in, nick, x);
	return MUC_TAKEN;
}

static enum muc_verdict iq_in(struct muc_room *r, struct inbound *in)
{
	const char *text = NULL, *cond;
	if (!in->id || !in->type || (strcmp(in->type, "result") != 0 && strcmp(in->type, "error") != 0))
		return MUC_PASS;
	if (strncmp(in->id, UNLOCK_ID, strlen(UNLOCK_ID)) == 0) {
		if (strcmp(in->type, "error") == 0) {
			char buf[256];
			cond = error_condition(in->stanza, &text);
			text = loggable(text, buf, sizeof buf);
			log_warn("route %s: room %s refused its default configuration: %s%s%s", r->route,
			         r->jid, cond, text ? ": " : "", text ? text : "");
		}
		return MUC_TAKEN;
	}
	if (!r->ping_id[0] || strcmp(in->id, r->ping_id) != 0)
		return MUC_PASS;
	r->ping_id[0] = '\0';
	cond = strcmp(in->type, "error") == 0 ? error_condition(in->stanza, &text) : NULL;
	switch (muc_ping_verdict_of(cond)) {
	case MUC_PING_IN:
		log_debug("route %s: self-ping: still in room %s", r->route, r->jid);
		break;
	case MUC_PING_OUT:
		log_warn("route %s: self-ping: room %s no longer knows %s (%s); rejoining", r->route,
		         r->jid, r->nick, cond);
		move(r, RI_GHOST);
		break;
	case MUC_PING_UNKNOWN:
		log_info("route %s: self-ping of room %s failed (%s); asking again later", r->route, r->jid,
		         cond);
		break;
	}
	return MUC_TAKEN;
}

static bool delayed(xmpp_stanza_t *st)
{
	return xmpp_stanza_get_child_by_name_and_ns(st, "delay", NS_DELAY) ||
	       xmpp_stanza_get_child_by_name_and_ns(st, "x", NS_LEGACY_DELAY);
}

/* The speaker is allowed to run the route: by its real JID's bare JID through allow,
 * or, hidden, only with room_anonymous. */
static bool speaker_allowed(const struct muc_room *r, const struct occupant *o, struct inbound *in)
{
	if (o && o->real_jid && jid_bare(o->real_jid, in->sender, sizeof in->sender))
		return route_allows(r->rc, in->sender);
	in->sender[0] = '\0';
	return r->rc->room_anonymous;
}

static enum muc_verdict message_in(struct muc_set *s, struct muc_room *r, struct inbound *in,
                                   const char *nick)
{
	const char *body = child_text(in->stanza, "body");
	const char *subject = child_text(in->stanza, "subject");
	const struct occupant *o;
	bool groupchat = in->type && strcmp(in->type, "groupchat") == 0;

	if (in->type && strcmp(in->type, "error") == 0) {
		const char *text = NULL, *cond = error_condition(in->stanza, &text);
		char buf[256];
		text = loggable(text, buf, sizeof buf);
		log_warn("route %s: room %s refused a message: %s%s%s", r->route, r->jid, cond,
		         text ? ": " : "", text ? text : "");
		if (cond && strcmp(cond, "not-acceptable") == 0 && r->state == ROOM_IN)
			move(r, RI_GHOST); /* XEP-0045 7.4: sent while not an occupant */
		return MUC_TAKEN;
	}
	if (groupchat && subject && !body) {
		free(r->subject);
		r->subject = strdup(subject);
		return MUC_TAKEN;
	}
	if (!nick || !body)
		return MUC_TAKEN; /* the room's own messages, or nothing to read */
	if (groupchat && (strcmp(nick, r->nick) == 0 || delayed(in->stanza) || r->state != ROOM_IN))
		return MUC_TAKEN; /* our own echo, or history */
	o = occupant_of(r, nick);
	if (o && o->real_jid && ours(r, o->real_jid))
		return MUC_TAKEN; /* another route of this bridge in the same room */
	s->rec = (struct inbound_muc){.room = r->jid,
	                              .nick = nick,
	                              .self = r->nick,
	                              .real_jid = o ? o->real_jid : NULL,
	                              .subject = r->subject,
	                              .groupchat = groupchat,
	                              .errors = r->rc->room_errors};
	if (!groupchat) { /* a private message from an occupant: served as a direct one */
		in->muc = &s->rec;
		return speaker_allowed(r, o, in) ? MUC_SERVE : MUC_FORBID;
	}
	bool trig = muc_trigger_match((enum muc_trigger)r->rc->room_trigger, r->rc->room_prefix,
	                              r->nick, body, s->args, sizeof s->args);
	if (!muc_loop_guard_note(&r->guard, nick, trig, r->rc->room_loop_limit)) {
		log_warn("route %s: room %s: %s spoke %u times in a row with only us answering; "
		         "not served until someone else speaks (room_loop_limit)",
		         r->route, r->jid, nick, r->guard.run);
		return MUC_TAKEN;
	}
	if (!trig)
		return MUC_TAKEN;
	if (!speaker_allowed(r, o, in)) {
		log_info("route %s: room %s: %s (%s) may not run this route", r->route, r->jid, nick,
		         o && o->real_jid ? o->real_jid : "real JID hidden");
		return MUC_TAKEN;
	}
	if (!muc_bucket_take(&r->bucket, r->rc->room_rate, r->rc->room_rate_period_s,
	                     uv_now(s->loop))) {
		if (!r->limited)
			log_warn("route %s: room %s: over room_rate (%u/%us); messages dropped", r->route,
			         r->jid, r->rc->room_rate, r->rc->room_rate_period_s);
		r->limited = true;
		return MUC_TAKEN;
	}
	r->limited = false;
	s->rec.args = s->args;
	in->muc = &s->rec;
	return MUC_SERVE;
}

enum muc_verdict muc_inbound(struct muc_set *s, struct xmpp_link *link, struct inbound *in)
{
	char bare[320];
	const char *nick;
	struct muc_room *r;
	if (!s || !s->n_rooms || !in->from || !jid_bare(in->from, bare, sizeof bare))
		return MUC_PASS;
	if (!(r = room_of(s, link, bare, in->to)))
		return MUC_PASS;
	nick = jid_resource(in->from);
	switch (in->kind) {
	case KIND_PRESENCE:
		return presence_in(r, in, nick);
	case KIND_IQ:
		return iq_in(r, in);
	case KIND_MESSAGE:
		return message_in(s, r, in, nick);
	default:
		return MUC_PASS;
	}
}
