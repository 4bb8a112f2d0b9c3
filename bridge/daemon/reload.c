/* reload.c - applying a new configuration to the running daemon (see reload.h).
 *
 * Ownership. The live configuration is a struct config that the router, the
 * dispatcher, the control socket and the links hold by address; a reload moves its
 * contents into a retired copy and loads the new file in its place, so they all see
 * the new file at once. Those readers only use sections a reload refuses to change,
 * and the route table, which is meant to change. A runtime route (route_rt) points into
 * the configuration it was made from; when that one is retired, the route records it
 * in cfg_owner and the retired copy counts its routes. An unchanged route keeps
 * pointing into its old copy (its fcgi_route does too); a retired copy is freed when
 * its last route is. Requests only point to their route_rt, which outlives them.
 * FastCGI backends belong to the dispatcher's shared registry, one per address: a new
 * or changed route joins them through its own fcgi_route, a drained one releases its
 * fcgi_route, and a backend no route names any more closes its connections
 * (fcgi_route_free). Backends copy their address, so no retired copy must outlive them.
 *
 * Service readiness: links a reload adds or frees are reported (on_links), and an
 * applied reload is reported (on_applied: RELOADING=1, READY=1).
 *
 * Draining. A route taken out (removed, or replaced because its keys changed) moves to
 * the dispatcher's draining list: it takes no new stanza, its running and queued
 * requests finish and are answered on the connection they came in on, then it is freed.
 * In client mode a route's connection lives while the name is in the file or some
 * draining route of that name has work; after that it is stopped and freed. A timer
 * runs while anything drains or closes, never otherwise. */
#include "reload.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define RELOAD_SWEEP_MS 50

struct retired {
	struct config cfg;
	unsigned routes; /* route_rts still pointing into cfg */
	struct retired *next;
};

struct reload {
	struct reload_target t;
	uv_timer_t sweep;
	struct retired *retired;
	unsigned long counts[2];
	bool timer_open;
};

struct reload *reload_new(const struct reload_target *t)
{
	struct reload *rl = calloc(1, sizeof *rl);
	if (!rl)
		return NULL;
	rl->t = *t;
	uv_timer_init(t->loop, &rl->sweep);
	rl->sweep.data = rl;
	rl->timer_open = true;
	return rl;
}

const unsigned long *reload_counts(const struct reload *rl) { return rl->counts; }

static bool points_into(const struct route_cfg *rc, const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (rc == &cfg->routes[i])
			return true;
	return false;
}

static void retired_release(struct reload *rl, struct retired *old)
{
	if (!old || --old->routes)
		return;
	for (struct retired **p = &rl->retired; *p; p = &(*p)->next)
		if (*p == old) {
			*p = old->next;
			break;
		}
	config_free(&old->cfg);
	free(old);
}

/* Moves the live configuration's contents into a retired copy that the runtime routes
 * still pointing into it keep alive, and puts fresh in its place. */
static void retire_live(struct reload *rl, struct config *fresh, struct retired *old)
{
	struct dispatcher *d = rl->t.disp;
	old->cfg = *rl->t.live;
	*rl->t.live = *fresh;
	old->routes = 0;
	for (size_t i = 0; i < d->n_routes; i++)
		if (!d->routes[i]->cfg_owner && points_into(d->routes[i]->cfg, &old->cfg)) {
			d->routes[i]->cfg_owner = old;
			old->routes++;
		}
	for (struct route_rt *r = d->draining; r; r = r->next_draining)
		if (!r->cfg_owner && points_into(r->cfg, &old->cfg)) {
			r->cfg_owner = old;
			old->routes++;
		}
	if (!old->routes) {
		config_free(&old->cfg);
		free(old);
		return;
	}
	old->next = rl->retired;
	rl->retired = old;
}

static void start_draining(struct dispatcher *d, struct route_rt *r)
{
	r->draining = true;
	r->next_draining = d->draining;
	d->draining = r;
}

static bool name_in_use(const struct reload *rl, const char *name)
{
	const struct dispatcher *d = rl->t.disp;
	if (config_route(rl->t.live, name))
		return true;
	for (const struct route_rt *r = d->draining; r; r = r->next_draining)
		if (strcmp(r->cfg->name, name) == 0)
			return true;
	return false;
}

/* Client mode: one link per route name in use, stopped and freed once unused. Returns
 * true while a link is still closing. */
static bool reconcile_links(struct reload *rl)
{
	struct xmpp_link **links = *rl->t.links;
	size_t n = *rl->t.n_links, kept = 0;
	struct config *live = rl->t.live;
	bool closing = false, changed = false;
	/* was[k]: where links[k] was before (SIZE_MAX: new), for the readiness table */
	size_t *was = malloc((n + live->n_routes + 1) * sizeof *was);

	for (size_t i = 0; i < n; i++) {
		struct xmpp_link *l = links[i];
		if (link_closed(l)) { /* only a reload stops a link outside shutdown */
			link_free(l);
			changed = true;
			continue;
		}
		if (!name_in_use(rl, link_route(l)) && !link_stopping(l)) {
			log_info("%s: removed from the configuration: disconnecting", link_label(l));
			link_stop(l);
		}
		if (link_stopping(l))
			closing = true;
		if (was)
			was[kept] = i;
		links[kept++] = l;
	}
	*rl->t.n_links = n = kept;
	for (size_t i = 0; i < live->n_routes; i++) {
		const char *name = live->routes[i].name;
		struct xmpp_link *l, **grown;
		size_t j;
		for (j = 0; j < n; j++)
			if (strcmp(link_route(links[j]), name) == 0)
				break;
		if (j < n)
			continue; /* connected, or closing and connected again on a later sweep */
		grown = realloc(links, (n + 1) * sizeof *links);
		l = grown ? link_new(rl->t.sl, live, name, rl->t.on_stanza, rl->t.ud) : NULL;
		if (grown)
			*rl->t.links = links = grown;
		if (!l) {
			log_error("route %s: cannot create its XMPP connection", name);
			continue;
		}
		if (was)
			was[n] = SIZE_MAX;
		links[n++] = l;
		*rl->t.n_links = n;
		changed = true;
		if (rl->t.on_link_state)
			link_on_state(l, rl->t.on_link_state);
		link_start(l);
	}
	if (changed && rl->t.on_links) {
		if (was)
			rl->t.on_links(rl->t.ud, was, n);
		else
			log_error("out of memory: the service manager's STATUS may be off");
	}
	free(was);
	return closing;
}

/* Frees the draining routes that have finished; true while some still work. */
static bool sweep_drained(struct reload *rl)
{
	struct dispatcher *d = rl->t.disp;
	struct route_rt **p = &d->draining, *r;
	while ((r = *p)) {
		if (r->running || r->queued || r->cgi_procs) {
			p = &r->next_draining;
			continue;
		}
		*p = r->next_draining;
		log_info("route %s: drained: the previous configuration's requests are all answered",
		         r->cfg->name);
		struct retired *owner = r->cfg_owner;
		route_rt_free(d, r);
		retired_release(rl, owner);
	}
	return d->draining != NULL;
}

static bool sweep(struct reload *rl)
{
	bool busy = sweep_drained(rl);
	if (rl->t.live->mode == MODE_CLIENT && reconcile_links(rl))
		busy = true;
	return busy;
}

static void on_sweep(uv_timer_t *t)
{
	if (!sweep(t->data))
		uv_timer_stop(t);
}

/* Builds the new route table against fresh; NULL when out of memory (nothing changed). */
static struct route_rt **new_table(struct reload *rl, const struct config *fresh,
                                   unsigned counts[4])
{
	struct dispatcher *d = rl->t.disp;
	struct route_rt **table = calloc(fresh->n_routes, sizeof *table);
	if (!table)
		return NULL;
	for (size_t i = 0; i < fresh->n_routes; i++) {
		const struct route_cfg *rc = &fresh->routes[i];
		struct route_rt *old = dispatcher_route(d, rc->name);
		if (old && config_route_same(old->cfg, rc)) {
			table[i] = old; /* keeps its cfg in the older configuration */
			counts[0]++;
			continue;
		}
		table[i] = route_rt_new(d, rc);
		if (!table[i]) {
			for (size_t j = 0; j < i; j++)
				if (table[j] != dispatcher_route(d, fresh->routes[j].name))
					route_rt_free(d, table[j]); /* made above, not a kept one */
			free(table);
			return NULL;
		}
		counts[old ? 1 : 2]++;
	}
	return table;
}

void reload_now(struct reload *rl)
{
	struct dispatcher *d = rl->t.disp;
	struct config fresh;
	struct retired *old;
	struct route_rt **table;
	unsigned counts[4] = {0}; /* unchanged, changed, added, removed */
	const char *section;
	char err[1024];

	log_info("SIGHUP: reloading %s", rl->t.live->path);
	if (config_load(rl->t.live->path, &fresh, err, sizeof err) != 0) {
		log_error("reload refused: %s; the previous configuration keeps running", err);
		config_free(&fresh);
		rl->counts[1]++;
		return;
	}
	section = config_restart_section(rl->t.live, &fresh);
	if (section) {
		log_error("reload refused: %s changed in %s, which needs a restart; the previous "
		          "configuration keeps running",
		          section, fresh.path);
		config_free(&fresh);
		rl->counts[1]++;
		return;
	}
	old = calloc(1, sizeof *old);
	table = old ? new_table(rl, &fresh, counts) : NULL;
	if (!table) {
		log_error("reload refused: out of memory; the previous configuration keeps running");
		free(old);
		config_free(&fresh);
		rl->counts[1]++;
		return;
	}
	/* Routes of the old table not carried over drain. */
	for (size_t i = 0; i < d->n_routes; i++) {
		bool kept = false;
		for (size_t j = 0; j < fresh.n_routes && !kept; j++)
			kept = table[j] == d->routes[i];
		if (!kept) {
			if (!config_route(&fresh, d->routes[i]->cfg->name))
				counts[3]++;
			start_draining(d, d->routes[i]);
		}
	}
	free(d->routes);
	d->routes = table;
	d->n_routes = fresh.n_routes;
	retire_live(rl, &fresh, old);
	rl->counts[0]++;
	log_info("reloaded %s: %zu route%s (%u unchanged, %u changed, %u added, %u removed)",
	         rl->t.live->path, rl->t.live->n_routes, rl->t.live->n_routes == 1 ? "" : "s",
	         counts[0], counts[1], counts[2], counts[3]);
	if (sweep(rl) && !uv_is_active((uv_handle_t *)&rl->sweep))
		uv_timer_start(&rl->sweep, on_sweep, RELOAD_SWEEP_MS, RELOAD_SWEEP_MS);
	if (rl->t.on_applied)
		rl->t.on_applied(rl->t.ud);
}

void reload_stop(struct reload *rl)
{
	if (!rl || !rl->timer_open)
		return;
	rl->timer_open = false;
	uv_close((uv_handle_t *)&rl->sweep, NULL);
}

void reload_free(struct reload *rl)
{
	struct retired *old;
	if (!rl)
		return;
	while ((old = rl->retired)) {
		rl->retired = old->next;
		config_free(&old->cfg);
		free(old);
	}
	free(rl);
}
