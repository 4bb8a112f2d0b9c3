/* dispatch.c - request lifecycle: ACL, queueing, handler start, the one reply (see dispatch.h).
 *
 * A request is QUEUED while its route is at max_concurrency, RUNNING while its route's
 * backend runs its job and DONE once answered; answer() is the only way to DONE and
 * frees the request. What the job holds and what the reply says is stanza_job.c's; how
 * the job runs is the backend's (backend.h): this file only carries a request from one
 * to the other. The stanza is copied out of libstrophe at once (environment and stdin
 * bytes), so a request never refers to libstrophe memory after dispatch_stanza()
 * returns. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_set.h"
#include "grant.h"
#include "log.h"
#include "reply.h"
#include "route.h"
#include "route_stats.h"
#include "stanza_depth.h"
#include "stanza_job.h"

/* Refusals while the instance drains or stops: service-unavailable, type wait. */
#define SHUTDOWN_TEXT "the bridge is shutting down; send again"

enum req_state { REQ_QUEUED, REQ_RUNNING, REQ_DONE };

struct request {
	enum req_state state;
	struct dispatcher *d;
	struct route_rt *route;
	struct reply_target target;
	char *type, *id, *to, *from; /* target's strings, in strings[] */
	char *room;                  /* a room message: the room (target.room), in strings[] */
	bool must_answer;            /* an iq get/set */
	char *script;                /* a cgi_dir executable, else NULL; in strings[] */
	char sender[320];
	struct stanza_job job; /* environment and stdin for the handler */
	void *call;            /* the running job's handle from its route's backend, else NULL */
	struct reply_sink sink;
	char token[GRANT_TOKEN_LEN + 1]; /* XMPP_CGI_TOKEN while running, else "" */
	uint64_t started_ms;
	uint64_t run_ms;             /* when its handler started, for the latency histogram */
	enum bridge_failure failure; /* how it ended, for the metrics */
	struct request *next, *prev; /* queue, or the running list */
	char strings[];              /* the strings above, back to back: one allocation */
};

int dispatcher_init(struct dispatcher *d, uv_loop_t *loop, const struct config *cfg)
{
	memset(d, 0, sizeof *d);
	d->loop = loop;
	d->cfg = cfg;
	d->check_acl = true;
	d->routes = calloc(cfg->n_routes, sizeof *d->routes);
	if (!d->routes)
		return -1;
	d->n_routes = cfg->n_routes;
	if (backend_set_new(d) != 0)
		return -1;
	for (size_t i = 0; i < cfg->n_routes; i++) {
		d->routes[i] = route_rt_new(d, &cfg->routes[i]);
		if (!d->routes[i])
			return -1;
	}
	d->path_env = getenv("PATH");
	return 0;
}

static struct route_stats *stats_for(struct dispatcher *d, const char *name)
{
	struct route_stats *s;
	for (s = d->stats; s; s = s->next)
		if (strcmp(s->route, name) == 0)
			break;
	if (!s) {
		s = calloc(1, sizeof *s);
		if (!s)
			return NULL;
		snprintf(s->route, sizeof s->route, "%s", name);
		s->next = d->stats;
		d->stats = s;
	}
	s->users++;
	return s;
}

static void stats_release(struct dispatcher *d, struct route_stats *s)
{
	if (!s || --s->users)
		return;
	for (struct route_stats **p = &d->stats; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	free(s);
}

struct route_rt *route_rt_new(struct dispatcher *d, const struct route_cfg *rc)
{
	struct route_rt *route = calloc(1, sizeof *route);
	if (!route)
		return NULL;
	route->cfg = rc;
	snprintf(route->log_tag, sizeof route->log_tag, "route %s", rc->name);
	route->stats = stats_for(d, rc->name);
	if (!route->stats || backend_set_open(d, rc, &route->backend) != 0) {
		route_rt_free(d, route);
		return NULL;
	}
	return route;
}

void route_rt_free(struct dispatcher *d, struct route_rt *route)
{
	if (route->backend.ops)
		route->backend.ops->close(route->backend.self);
	stats_release(d, route->stats);
	free(route);
}

struct route_rt *dispatcher_route(struct dispatcher *d, const char *name)
{
	for (size_t i = 0; i < d->n_routes; i++)
		if (strcmp(d->routes[i]->cfg->name, name) == 0)
			return d->routes[i];
	return NULL;
}

static void request_free(struct request *r)
{
	stanza_job_free(&r->job);
	free(r);
}

static void unlink_running(struct request *r)
{
	if (r->prev)
		r->prev->next = r->next;
	else
		r->d->running = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->next = r->prev = NULL;
}

static void start_next(struct route_rt *route);

/* A job of a backend that outlives_answer (a CGI handler answers when its output ends
 * and may go on working): the route's limit counts the job until its backend says it
 * ended, not only its request until the answer. */
static bool has_room(const struct route_rt *route)
{
	unsigned max = route->cfg->max_concurrency;
	return route->running < max && route->cgi_procs < max;
}

static void on_handler_ended(void *ud)
{
	struct route_rt *route = ud;
	route->cgi_procs--;
	start_next(route);
}

/* The one exit of every request: send xml (may be NULL: no reply due; checked: written
 * from checked parts, see reply.h) and free. */
static void answer(struct request *r, char *xml, bool checked, const char *what)
{
	struct dispatcher *d = r->d;
	struct route_rt *route = r->route;
	uint64_t ms = uv_now(d->loop) - r->started_ms;
	bool was_running = r->state == REQ_RUNNING;

	/* An iq get/set is answered exactly once: if building its reply failed (out of
	 * memory), a bare internal-server-error still goes out. */
	if (!xml && r->must_answer) {
		log_error("route %s: no reply built for iq %s from %s", route->cfg->name,
		          r->id ? r->id : "-", r->sender);
		xml = reply_failure(&r->target, FAIL_HANDLER, NULL);
		checked = false;
	}
	if (r->token[0])
		grant_revoke(d->grants, r->token); /* the handler acts for this request no more */
	if (xml && r->sink.send(r->sink.ud, xml, checked) == SINK_REFUSED && r->must_answer) {
		free(xml);
		xml = reply_failure(&r->target, FAIL_HANDLER, "the reply was not XML a server accepts");
		what = "reply refused by the outbound check";
		if (xml)
			r->sink.send(r->sink.ud, xml, false);
	}
	route_stats_answer(route->stats, xml, r->failure);
	if (was_running)
		route_stats_latency(route->stats, uv_now(d->loop) - r->run_ms);
	log_info("route %s: %s%s%s from %s: %s (%llu ms)", route->cfg->name,
	         r->target.kind == KIND_IQ        ? "iq"
	         : r->target.kind == KIND_MESSAGE ? "message"
	                                          : "presence",
	         r->id ? " " : "", r->id ? r->id : "", r->sender, what, (unsigned long long)ms);
	free(xml);
	r->state = REQ_DONE;
	if (was_running) {
		unlink_running(r);
		route->running--;
	}
	d->in_flight--;
	request_free(r);
	if (was_running)
		start_next(route);
}

static void answer_failure(struct request *r, enum bridge_failure f, const char *text)
{
	r->failure = f;
	answer(r, reply_failure(&r->target, f, text), false, text ? text : bridge_failure_text(f));
}

static void on_handler_done(void *ud, struct cgi_response *resp, enum backend_failure bf)
{
	struct request *r = ud;
	enum bridge_failure f = bridge_failure_of_backend(bf);
	const char *why = NULL;
	char what[64];
	char *xml;
	bool checked;
	r->call = NULL;
	if (f != FAIL_NONE) {
		answer_failure(r, f, f == FAIL_UNAVAILABLE && r->d->stopping ? SHUTDOWN_TEXT : NULL);
		return;
	}
	xml = stanza_job_reply(&r->job, &r->target, resp, &why, &checked);
	if (why)
		log_warn("route %s: %s", r->route->cfg->name, why);
	snprintf(what, sizeof what, "status %d%s", resp->status, why ? ", bad XML body" : "");
	answer(r, xml, checked, what);
}

static void start(struct request *r)
{
	struct route_rt *route = r->route;
	struct dispatcher *d = r->d;
	const char *script = r->script ? r->script : route->cfg->cgi;
	const char *interpreter = script ? config_route_interpreter(route->cfg, script) : NULL;
	char *argv[] = {(char *)interpreter, (char *)script, NULL};
	struct backend_job job;
	struct backend_refusal refusal = {BACKEND_UNAVAILABLE, NULL};
	int err = 0;

	/* the handler may send through the control socket as its own route, while it runs */
	if (d->grants && (grant_issue(d->grants, route->cfg->name, r->token) != 0 ||
	                  cgi_env_set(&r->job.env, "XMPP_CGI_TOKEN", r->token, 0) != 0))
		err = UV_ENOMEM;
	job = (struct backend_job){.path = script,
	                           .argv = interpreter ? argv : NULL,
	                           .envp = r->job.env.vars,
	                           .input = r->job.input,
	                           .input_len = r->job.input_len,
	                           .timeout_ms = route->cfg->timeout_s * 1000u,
	                           .max_output = route->cfg->max_output,
	                           .log_tag = route->log_tag,
	                           .ended = on_handler_ended,
	                           .ended_ud = route};
	r->state = REQ_RUNNING;
	r->run_ms = uv_now(d->loop);
	route->running++;
	r->next = d->running;
	r->prev = NULL;
	if (d->running)
		d->running->prev = r;
	d->running = r;
	if (err) {
		log_error("route %s: cannot make the request's control token", route->cfg->name);
		answer_failure(r, FAIL_UNAVAILABLE, NULL);
		return;
	}
	r->call = route->backend.ops->start(route->backend.self, &job, on_handler_done, r, &refusal);
	if (!r->call) /* the backend logged why */
		answer_failure(r, bridge_failure_of_backend(refusal.kind), refusal.text);
	else if (route->backend.ops->outlives_answer)
		route->cgi_procs++; /* until on_handler_ended */
}

static void start_next(struct route_rt *route)
{
	struct request *r;
	if (route->starting)
		return; /* the loop below goes on */
	route->starting = true;
	while (route->queue_head && has_room(route)) {
		r = route->queue_head;
		route->queue_head = r->next;
		if (!route->queue_head)
			route->queue_tail = NULL;
		route->queued--;
		r->next = NULL;
		start(r);
	}
	route->starting = false;
}

static size_t size_of(const char *s) { return s ? strlen(s) + 1 : 0; }

/* A copy of s (NULL for NULL) at *next, which moves past it. */
static char *keep(char **next, const char *s)
{
	char *copy = *next;
	size_t size = size_of(s);
	if (!s)
		return NULL;
	memcpy(copy, s, size);
	*next += size;
	return copy;
}

void dispatch_stanza(struct dispatcher *d, const struct dispatch_target *tgt,
                     const struct inbound *in, const struct reply_sink *sink)
{
	struct route_rt *route = tgt->route;
	const char *room = in->muc && in->muc->groupchat ? in->muc->room : NULL;
	const char *refusal;
	struct request *r;
	char *next;

	if (!in->answerable)
		return; /* errors and iq results are never handled nor answered */
	r = calloc(1, sizeof *r + size_of(in->type) + size_of(in->id) + size_of(in->from) +
	                  size_of(in->reply_from) + size_of(room) + size_of(tgt->script));
	if (!r) {
		log_error("out of memory: %s dropped", in->name);
		return;
	}
	r->d = d;
	r->route = route;
	r->sink = *sink;
	r->started_ms = uv_now(d->loop);
	next = r->strings;
	r->type = keep(&next, in->type);
	r->id = keep(&next, in->id);
	r->to = keep(&next, in->from);
	r->from = keep(&next, in->reply_from);
	r->must_answer = in->must_answer;
	r->room = keep(&next, room);
	r->script = keep(&next, tgt->script);
	r->target = (struct reply_target){.kind = in->kind,
	                                  .type = r->type,
	                                  .id = r->id,
	                                  .to = r->to,
	                                  .from = r->from,
	                                  .message_replies = route->cfg->message_replies,
	                                  .room = r->room,
	                                  .room_errors = in->muc ? in->muc->errors : 0};
	memcpy(r->sender, in->sender, sizeof r->sender);
	d->in_flight++;
	route_stats_request(route->stats, in->kind);

	/* a room's occupant was checked by its real JID where it entered (muc_room.c) */
	if (d->check_acl && !in->muc && !route_allows(route->cfg, r->sender)) {
		answer_failure(r, FAIL_FORBIDDEN, NULL);
		return;
	}
	if (d->stopping || d->refusing) {
		answer_failure(r, FAIL_UNAVAILABLE, SHUTDOWN_TEXT);
		return;
	}
	if (in->too_deep) { /* build() serializes it recursively */
		answer_failure(r, FAIL_BAD_REQUEST, STANZA_TOO_DEEP_TEXT);
		return;
	}
	struct stanza_job_place at = {.cfg = d->cfg,
	                              .route = route->cfg,
	                              .name = tgt->name,
	                              .path_info = tgt->path_info,
	                              .script = r->script,
	                              .path_env = d->path_env};
	refusal = stanza_job_build(&r->job, in, &at);
	if (refusal) {
		answer_failure(r, r->job.refusal ? r->job.refusal : FAIL_BAD_REQUEST, refusal);
		return;
	}
	if (has_room(route)) {
		start(r);
		return;
	}
	if (route->queued >= route->cfg->max_queue) {
		answer_failure(r, FAIL_BUSY, NULL);
		return;
	}
	r->state = REQ_QUEUED;
	if (route->queue_tail)
		route->queue_tail->next = r;
	else
		route->queue_head = r;
	route->queue_tail = r;
	route->queued++;
}

void dispatcher_drain(struct dispatcher *d) { d->refusing = true; }

static void refuse_queued(struct route_rt *route)
{
	struct request *r;
	while ((r = route->queue_head)) {
		route->queue_head = r->next;
		route->queued--;
		r->next = NULL;
		answer_failure(r, FAIL_UNAVAILABLE, SHUTDOWN_TEXT);
	}
	route->queue_tail = NULL;
}

void dispatcher_stop(struct dispatcher *d)
{
	d->stopping = true;
	for (size_t i = 0; i < d->n_routes; i++)
		refuse_queued(d->routes[i]);
	for (struct route_rt *route = d->draining; route; route = route->next_draining)
		refuse_queued(route);
	for (struct request *r = d->running; r; r = r->next)
		if (r->call)
			r->route->backend.ops->abort(r->route->backend.self, r->call);
}

void dispatcher_close_backends(struct dispatcher *d)
{
	/* backend_set_free() releases every route's backend too */
	for (size_t i = 0; i < d->n_routes; i++)
		if (d->routes[i])
			d->routes[i]->backend = (struct route_backend){0};
	for (struct route_rt *route = d->draining; route; route = route->next_draining)
		route->backend = (struct route_backend){0};
	backend_set_free(d);
}

void dispatcher_free(struct dispatcher *d)
{
	struct route_rt *route;
	dispatcher_close_backends(d);
	for (size_t i = 0; i < d->n_routes; i++)
		if (d->routes[i])
			route_rt_free(d, d->routes[i]);
	while ((route = d->draining)) {
		d->draining = route->next_draining;
		route_rt_free(d, route);
	}
	free(d->routes);
	d->routes = NULL;
	d->n_routes = 0;
}
