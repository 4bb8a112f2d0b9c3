/* metrics.c - gathers the bridge's state into the Prometheus text format.
 *
 * Each family is written whole before the next, as the format requires: route counters
 * from the dispatcher's route_stats (one record per route name, shared across a reload),
 * route gauges summed over the live route and any draining copy of it, FastCGI backends
 * per address (shared by routes) through fcgi_backends_info(), and every XMPP link. metrics_http.c
 * serves the page; metrics_text.c writes it. */
#include "metrics.h"

#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>

#include "fcgi_pool.h"
#include "metrics_http.h"
#include "metrics_text.h"
#include "route_stats.h"

struct metrics {
	struct metrics_source src;
	struct metrics_http *http;
};

static const char *const kind_names[] = {"iq", "message", "presence"};

/* Sums a gauge of every runtime route counting into s. */
static unsigned route_gauge(const struct dispatcher *d, const struct route_stats *s, bool queue)
{
	unsigned n = 0;
	for (size_t i = 0; i < d->n_routes; i++)
		if (d->routes[i]->stats == s)
			n += queue ? d->routes[i]->queued : d->routes[i]->running;
	for (const struct route_rt *r = d->draining; r; r = r->next_draining)
		if (r->stats == s)
			n += queue ? r->queued : r->running;
	return n;
}

static unsigned route_draining(const struct dispatcher *d, const struct route_stats *s)
{
	unsigned n = 0;
	for (const struct route_rt *r = d->draining; r; r = r->next_draining)
		n += r->stats == s;
	return n;
}

static int route_families(struct buf *b, const struct dispatcher *d)
{
	const struct route_stats *s;
	int rc = 0;

	rc |= mt_family(b, "xmpp_cgi_requests_total", "counter",
	                "Stanzas handed to a route's handler, by stanza kind.");
	for (s = d->stats; s; s = s->next)
		for (int k = 0; k < 3; k++) {
			const char *l[] = {"route", s->route, "kind", kind_names[k]};
			rc |= mt_sample(b, "xmpp_cgi_requests_total", &(struct mt_labels){l, 2},
			                (double)s->requests[k]);
		}
	rc |= mt_family(b, "xmpp_cgi_answers_total", "counter",
	                "Requests ended, by answer: result, none (nothing due) or the stanza error "
	                "condition sent.");
	for (s = d->stats; s; s = s->next)
		for (size_t i = 0; i < s->n_answers; i++) {
			const char *l[] = {"route", s->route, "class", s->answers[i].cls};
			rc |= mt_sample(b, "xmpp_cgi_answers_total", &(struct mt_labels){l, 2},
			                (double)s->answers[i].n);
		}
	rc |= mt_family(b, "xmpp_cgi_timeouts_total", "counter",
	                "Handlers that ran past the route's timeout.");
	for (s = d->stats; s; s = s->next) {
		const char *l[] = {"route", s->route};
		rc |=
		    mt_sample(b, "xmpp_cgi_timeouts_total", &(struct mt_labels){l, 1}, (double)s->timeouts);
	}
	rc |= mt_family(b, "xmpp_cgi_queue_depth", "gauge",
	                "Requests waiting for a free slot under max_concurrency.");
	for (s = d->stats; s; s = s->next) {
		const char *l[] = {"route", s->route};
		rc |= mt_sample(b, "xmpp_cgi_queue_depth", &(struct mt_labels){l, 1},
		                route_gauge(d, s, true));
	}
	rc |= mt_family(b, "xmpp_cgi_in_flight", "gauge", "Handlers running now.");
	for (s = d->stats; s; s = s->next) {
		const char *l[] = {"route", s->route};
		rc |=
		    mt_sample(b, "xmpp_cgi_in_flight", &(struct mt_labels){l, 1}, route_gauge(d, s, false));
	}
	rc |= mt_family(b, "xmpp_cgi_route_draining", "gauge",
	                "Copies of the route a reload removed or changed that still finish "
	                "their requests.");
	for (s = d->stats; s; s = s->next) {
		const char *l[] = {"route", s->route};
		rc |= mt_sample(b, "xmpp_cgi_route_draining", &(struct mt_labels){l, 1},
		                route_draining(d, s));
	}
	rc |= mt_family(b, "xmpp_cgi_handler_duration_seconds", "histogram",
	                "Time from a handler's start to its answer.");
	for (s = d->stats; s; s = s->next) {
		const char *l[] = {"route", s->route};
		struct mt_histogram h = {stats_latency_bounds, s->latency, STATS_LATENCY_BUCKETS,
		                         (double)s->latency_sum_ms / 1000.0};
		rc |= mt_histogram(b, "xmpp_cgi_handler_duration_seconds", &(struct mt_labels){l, 1}, &h);
	}
	return rc;
}

/* One series per backend address: routes naming one address share its backend. */
static int backend_families(struct buf *b, const struct dispatcher *d)
{
	static const char *const states[] = {"up", "disabled", "overloaded"};
	size_t n = fcgi_backends_info(d->fcgi, NULL, 0);
	struct fcgi_backend_info *info = n ? calloc(n, sizeof *info) : NULL;
	int rc = 0;

	if (n && !info)
		return -1;
	n = fcgi_backends_info(d->fcgi, info, n);
	rc |= mt_family(b, "xmpp_cgi_fastcgi_backend_state", "gauge",
	                "1 for the state a FastCGI backend is in: up, disabled (failed to "
	                "connect, resting) or overloaded (said so, resting).");
	for (size_t j = 0; j < n; j++)
		for (int k = 0; k < 3; k++) {
			const char *l[] = {"backend", info[j].addr, "state", states[k]};
			rc |= mt_sample(b, "xmpp_cgi_fastcgi_backend_state", &(struct mt_labels){l, 2},
			                strcmp(info[j].state, states[k]) == 0);
		}
	rc |= mt_family(b, "xmpp_cgi_fastcgi_connections", "gauge",
	                "Open connections to a FastCGI backend.");
	for (size_t j = 0; j < n; j++) {
		const char *l[] = {"backend", info[j].addr};
		rc |=
		    mt_sample(b, "xmpp_cgi_fastcgi_connections", &(struct mt_labels){l, 1}, info[j].conns);
	}
	rc |= mt_family(b, "xmpp_cgi_fastcgi_outstanding", "gauge",
	                "Requests a FastCGI backend is working on now, of every route.");
	for (size_t j = 0; j < n; j++) {
		const char *l[] = {"backend", info[j].addr};
		rc |= mt_sample(b, "xmpp_cgi_fastcgi_outstanding", &(struct mt_labels){l, 1},
		                info[j].outstanding);
	}
	rc |= mt_family(b, "xmpp_cgi_fastcgi_waiting", "gauge",
	                "Requests waiting for room on a FastCGI backend, of every route.");
	for (size_t j = 0; j < n; j++) {
		const char *l[] = {"backend", info[j].addr};
		rc |= mt_sample(b, "xmpp_cgi_fastcgi_waiting", &(struct mt_labels){l, 1}, info[j].waiting);
	}
	free(info);
	return rc;
}

static int link_families(struct buf *b, struct xmpp_link *const *links, size_t n_links)
{
	static const char *const states[] = {"idle",    "connecting", "online",
	                                     "backoff", "closing",    "closed"};
	int rc = 0;
	rc |= mt_family(b, "xmpp_cgi_link_state", "gauge",
	                "1 for the state an XMPP connection is in: idle, connecting, online, "
	                "backoff (waiting to reconnect), closing or closed.");
	for (size_t i = 0; i < n_links; i++)
		for (int k = 0; k < 6; k++) {
			const char *l[] = {"link", link_label(links[i]), "state", states[k]};
			rc |= mt_sample(b, "xmpp_cgi_link_state", &(struct mt_labels){l, 2},
			                strcmp(link_state_name(links[i]), states[k]) == 0);
		}
	rc |= mt_family(b, "xmpp_cgi_link_reconnects_total", "counter",
	                "Connection attempts an XMPP connection made after a loss or a failed "
	                "attempt.");
	for (size_t i = 0; i < n_links; i++) {
		const char *l[] = {"link", link_label(links[i])};
		rc |= mt_sample(b, "xmpp_cgi_link_reconnects_total", &(struct mt_labels){l, 1},
		                (double)link_reconnects(links[i]));
	}
	return rc;
}

/* Which instance this is and which configuration it runs: compare config across
 * instances of one component to spot drift. "name", as Prometheus keeps "instance"
 * for the scraped address. */
static int instance_family(struct buf *b, const struct config *cfg)
{
	const char *l[] = {"name",    cfg->instance_name ? cfg->instance_name : "",
	                   "config",  cfg->fingerprint,
	                   "version", PACKAGE_VERSION};
	return mt_family(b, "xmpp_cgi_instance_info", "gauge",
	                 "This instance: its [instance] name, configuration fingerprint and "
	                 "version; always 1.") |
	       mt_sample(b, "xmpp_cgi_instance_info", &(struct mt_labels){l, 3}, 1);
}

char *metrics_render(const struct metrics_source *src, size_t *len)
{
	struct buf b = {0};
	int rc = route_families(&b, src->disp) | backend_families(&b, src->disp) |
	         link_families(&b, *src->links, *src->n_links);
	if (src->reloads) {
		const char *ok[] = {"result", "applied"}, *no[] = {"result", "refused"};
		rc |= mt_family(&b, "xmpp_cgi_reloads_total", "counter",
		                "Configuration reloads (SIGHUP), applied or refused.");
		rc |= mt_sample(&b, "xmpp_cgi_reloads_total", &(struct mt_labels){ok, 1},
		                (double)src->reloads[0]);
		rc |= mt_sample(&b, "xmpp_cgi_reloads_total", &(struct mt_labels){no, 1},
		                (double)src->reloads[1]);
	}
	rc |= instance_family(&b, src->disp->cfg);
	if (rc) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_steal(&b);
}

static char *render(void *ud, size_t *len)
{
	struct metrics *m = ud;
	return metrics_render(&m->src, len);
}

struct metrics *metrics_start(uv_loop_t *loop, const struct config *cfg,
                              const struct metrics_source *src)
{
	struct metrics *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->src = *src;
	m->http = metrics_http_start(loop, cfg->metrics_host, cfg->metrics_port, render, m);
	if (!m->http) {
		free(m);
		return NULL;
	}
	return m;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	metrics_http_stop(m->http);
	free(m);
}
