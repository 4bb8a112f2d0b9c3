/* dispatch.c - request lifecycle: ACL, queueing, handler start, the one reply (see dispatch.h).
 *
 * A request is QUEUED while its route is at max_concurrency, RUNNING while its handler
 * runs and DONE once answered; answer() is the only way to DONE and frees the request.
 * The stanza is copied out of libstrophe at once (environment and stdin bytes), so a
 * request never refers to libstrophe memory after dispatch_stanza() returns. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgi_runner.h"
#include "fcgi_pool.h"
#include "grant.h"
#include "http_xmpp.h"
#include "log.h"
#include "reply.h"
#include "request.h"
#include "route.h"
#include "route_stats.h"
#include "soap_fault.h"
#include "stanza_depth.h"

/* Refusals while the instance drains or stops: service-unavailable, type wait. */
#define SHUTDOWN_TEXT "the bridge is shutting down; send again"

enum req_state { REQ_QUEUED, REQ_RUNNING, REQ_DONE };

struct request {
	enum req_state state;
	struct dispatcher *d;
	struct route_rt *route;
	struct reply_target target;
	char *type, *id, *to, *from; /* storage for target's strings */
	char *script;                /* a cgi_dir executable, else NULL */
	enum bridge_failure refusal; /* how build() refuses: bad-request unless set */
	bool is_http;                /* an XEP-0332 request: answered with <resp> */
	struct http_req http;
	char sender[320];
	struct cgi_env env;
	char *input;
	size_t input_len;
	struct cgi_job *job;    /* CGI routes */
	struct fcgi_call *call; /* FastCGI routes */
	struct reply_sink sink;
	char token[GRANT_TOKEN_LEN + 1]; /* XMPP_CGI_TOKEN while running, else "" */
	uint64_t started_ms;
	uint64_t run_ms;             /* when its handler started, for the latency histogram */
	enum bridge_failure failure; /* how it ended, for the metrics */
	struct request *next, *prev; /* queue, or the running list */
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
	d->fcgi = fcgi_backends_new(loop);
	if (!d->fcgi)
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
	route->stats = stats_for(d, rc->name);
	if (rc->n_fastcgi)
		route->pool = fcgi_route_new(d->fcgi, rc);
	if (!route->stats || (rc->n_fastcgi && !route->pool)) {
		route_rt_free(d, route);
		return NULL;
	}
	return route;
}

void route_rt_free(struct dispatcher *d, struct route_rt *route)
{
	if (route->pool)
		fcgi_route_free(route->pool); /* its backends stay, shared */
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
	cgi_env_free(&r->env);
	free(r->input);
	free(r->type);
	free(r->id);
	free(r->to);
	free(r->from);
	free(r->script);
	if (r->is_http)
		http_req_free(&r->http);
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

/* A CGI handler answers when its output ends and may go on working: the route's limit
 * counts its process until it has ended, not only its request until the answer. */
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

/* The one exit of every request: send xml (may be NULL: no reply due) and free. */
static void answer(struct request *r, char *xml, const char *what)
{
	struct dispatcher *d = r->d;
	struct route_rt *route = r->route;
	uint64_t ms = uv_now(d->loop) - r->started_ms;
	bool was_running = r->state == REQ_RUNNING;

	/* An iq get/set is answered exactly once: if building its reply failed (out of
	 * memory), a bare internal-server-error still goes out. */
	if (!xml && reply_required(r->target.kind, r->target.type)) {
		log_error("route %s: no reply built for iq %s from %s", route->cfg->name,
		          r->id ? r->id : "-", r->sender);
		xml = reply_failure(&r->target, FAIL_HANDLER, NULL);
	}
	if (r->token[0])
		grant_revoke(d->grants, r->token); /* the handler acts for this request no more */
	if (xml && r->sink.send(r->sink.ud, xml) == SINK_REFUSED &&
	    reply_required(r->target.kind, r->target.type)) {
		free(xml);
		xml = reply_failure(&r->target, FAIL_HANDLER, "the reply was not XML a server accepts");
		what = "reply refused by the outbound check";
		if (xml)
			r->sink.send(r->sink.ud, xml);
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
	answer(r, reply_failure(&r->target, f, text), text ? text : bridge_failure_text(f));
}

/* Parsing every body twice costs a third of a FastCGI request's instructions: look for
 * a SOAP Fault only in an XML body that mentions one. */
static bool may_be_soap_fault(const struct cgi_response *resp)
{
	return resp->body.len && reply_is_xml_type(resp->content_type) &&
	       memmem(resp->body.data, resp->body.len, "Fault", 5);
}

static void on_handler_done(void *ud, struct cgi_response *resp, enum bridge_failure f)
{
	struct request *r = ud;
	const char *why = NULL;
	char what[64];
	char *xml;
	r->job = NULL;
	r->call = NULL;
	if (f != FAIL_NONE) {
		answer_failure(r, f, f == FAIL_UNAVAILABLE && r->d->stopping ? SHUTDOWN_TEXT : NULL);
		return;
	}
	if (r->is_http)
		xml = http_resp_build_for(&r->target, resp, &r->http);
	else if (!may_be_soap_fault(resp) || !(xml = soap_fault_reply(&r->target, resp)))
		xml = reply_from_response(&r->target, resp, &why);
	if (why)
		log_warn("route %s: %s", r->route->cfg->name, why);
	snprintf(what, sizeof what, "status %d%s", resp->status, why ? ", bad XML body" : "");
	answer(r, xml, what);
}

static void start(struct request *r)
{
	struct route_rt *route = r->route;
	struct dispatcher *d = r->d;
	const char *script = r->script ? r->script : route->cfg->cgi;
	const char *interpreter = script ? config_route_interpreter(route->cfg, script) : NULL;
	char *argv[] = {(char *)interpreter, (char *)script, NULL};
	struct cgi_spec spec;
	char tag[96];
	int err = 0;

	snprintf(tag, sizeof tag, "route %s", route->cfg->name);
	/* the handler may send through the control socket as its own route, while it runs */
	if (d->grants && (grant_issue(d->grants, route->cfg->name, r->token) != 0 ||
	                  cgi_env_set(&r->env, "XMPP_CGI_TOKEN", r->token, 0) != 0))
		err = UV_ENOMEM;
	spec = (struct cgi_spec){.path = script,
	                         .argv = interpreter ? argv : NULL,
	                         .envp = r->env.vars,
	                         .input = r->input,
	                         .input_len = r->input_len,
	                         .timeout_ms = route->cfg->timeout_s * 1000u,
	                         .max_output = route->cfg->max_output,
	                         .log_tag = tag,
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
	if (route->pool) {
		r->call = fcgi_call_start(route->pool, &spec, on_handler_done, r);
		if (!r->call) {
			log_error("route %s: out of memory", route->cfg->name);
			answer_failure(r, FAIL_UNAVAILABLE, NULL);
		}
		return;
	}
	r->job = cgi_run(d->loop, &spec, on_handler_done, r, &err);
	if (r->job)
		route->cgi_procs++;
	else {
		log_error("route %s: cannot start %s: %s", route->cfg->name,
		          interpreter ? interpreter : script, uv_strerror(err));
		answer_failure(r, FAIL_HANDLER, "the handler could not be started");
	}
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

static char *dup_attr(xmpp_stanza_t *s, const char *name)
{
	const char *v = xmpp_stanza_get_attribute(s, name);
	return v ? strdup(v) : NULL;
}

/* An iq carrying an XEP-0332 <req> becomes an HTTP-style request: method, path, query
 * and headers overlay the environment and the body replaces the stanza on stdin. */
static const char *http_request(struct request *r, const char *path_info)
{
	const char *why = NULL;
	struct kv *vars = NULL;
	size_t n = 0;
	int rc = http_req_parse(r->input, r->input_len, &r->http, &why);
	if (rc == HTTP_REQ_NO)
		return NULL;
	if (rc == HTTP_REQ_UNSUPPORTED) {
		r->refusal = FAIL_NOT_IMPLEMENTED;
		return why ? why : "this XEP-0332 data transfer is not supported";
	}
	if (rc != HTTP_REQ_YES)
		return why ? why : "malformed XEP-0332 request";
	r->is_http = true; /* r->http now needs freeing */
	if (http_req_env(&r->http, path_info, &vars, &n, &why) != 0)
		return why ? why : "malformed XEP-0332 headers";
	for (size_t i = 0; i < n; i++)
		if (cgi_env_set(&r->env, vars[i].name, vars[i].value,
		                strcmp(vars[i].name, "CONTENT_TYPE") == 0) != 0) {
			http_env_free(vars, n);
			return "out of memory";
		}
	http_env_free(vars, n);
	free(r->input);
	r->input_len = r->http.body.len;
	r->input = malloc(r->input_len + 1);
	if (!r->input)
		return "out of memory";
	if (r->input_len)
		memcpy(r->input, r->http.body.data, r->input_len);
	return NULL;
}

/* Copies what the request needs out of the stanza. Returns a refusal reason or NULL. */
static const char *build(struct request *r, const struct dispatch_target *tgt,
                         xmpp_stanza_t *stanza, xmpp_ctx_t *ctx)
{
	const struct route_cfg *rc = r->route->cfg;
	const char *attrs[2 * (REQ_MAX_ATTRS + 8)];
	char *text = NULL;
	size_t text_len = 0;
	const char *reason = NULL;
	int n_attrs;

	if (xmpp_stanza_to_text(stanza, &text, &text_len) != XMPP_EOK)
		return "the stanza cannot be serialized";
	r->input = request_stdin_document(text, text_len, &r->input_len);
	xmpp_free(ctx, text);
	if (!r->input)
		return "out of memory";

	n_attrs = xmpp_stanza_get_attribute_count(stanza);
	if (n_attrs > REQ_MAX_ATTRS + 8)
		return "too many attributes on the stanza";
	n_attrs = xmpp_stanza_get_attributes(stanza, attrs, 2 * (REQ_MAX_ATTRS + 8)) / 2;
	for (int i = 0; i < n_attrs; i++) /* libstrophe's parser dropped the prefix */
		if (strcmp(attrs[2 * i], "lang") == 0 && !xmpp_stanza_get_attribute(stanza, "xml:lang"))
			attrs[2 * i] = "xml:lang";
	struct request_meta m = {.stanza_name = xmpp_stanza_get_name(stanza),
	                         .attrs = attrs,
	                         .n_attrs = (size_t)n_attrs,
	                         .route = tgt->name,
	                         .path_info = tgt->path_info,
	                         .script = r->script ? r->script
	                                   : rc->cgi ? rc->cgi
	                                             : rc->script_filename,
	                         .server_name = r->d->cfg->domain,
	                         .server_port = r->d->cfg->port,
	                         .remote_addr = r->sink.remote_addr ? r->sink.remote_addr : "127.0.0.1",
	                         .remote_user = r->sender,
	                         .path = r->d->path_env,
	                         .content_length = r->input_len,
	                         .extra = rc->env,
	                         .n_extra = rc->n_env,
	                         .control_socket = r->d->cfg->control_socket,
	                         .params = rc->params,
	                         .n_params = rc->n_params};
	if (request_build_env(&m, &r->env, &reason) != 0)
		return reason;
	return r->target.kind == KIND_IQ ? http_request(r, tgt->path_info) : NULL;
}

void dispatch_stanza(struct dispatcher *d, const struct dispatch_target *tgt, xmpp_stanza_t *stanza,
                     const struct reply_sink *sink)
{
	struct route_rt *route = tgt->route;
	const char *name = xmpp_stanza_get_name(stanza);
	enum stanza_kind kind = stanza_kind_of(name);
	const char *type = xmpp_stanza_get_type(stanza);
	const char *from = xmpp_stanza_get_from(stanza);
	const char *refusal;
	struct request *r;

	if (kind == KIND_OTHER || !reply_allowed(kind, type))
		return; /* errors and iq results are never handled nor answered */
	r = calloc(1, sizeof *r);
	if (!r) {
		log_error("out of memory: %s dropped", name);
		return;
	}
	r->d = d;
	r->route = route;
	r->sink = *sink;
	r->started_ms = uv_now(d->loop);
	r->type = type ? strdup(type) : NULL;
	r->id = dup_attr(stanza, "id");
	r->to = from ? strdup(from) : NULL;
	r->from = sink->from ? strdup(sink->from) : NULL;
	r->target = (struct reply_target){.kind = kind,
	                                  .type = r->type,
	                                  .id = r->id,
	                                  .to = r->to,
	                                  .from = r->from,
	                                  .message_replies = route->cfg->message_replies};
	if (!from || !jid_bare(from, r->sender, sizeof r->sender))
		r->sender[0] = '\0';
	d->in_flight++;
	route_stats_request(route->stats, kind);

	if (d->check_acl && !route_allows(route->cfg, r->sender)) {
		answer_failure(r, FAIL_FORBIDDEN, NULL);
		return;
	}
	if (d->stopping || d->refusing) {
		answer_failure(r, FAIL_UNAVAILABLE, SHUTDOWN_TEXT);
		return;
	}
	if (stanza_too_deep(stanza)) { /* build() serializes it recursively */
		answer_failure(r, FAIL_BAD_REQUEST, STANZA_TOO_DEEP_TEXT);
		return;
	}
	r->script = tgt->script ? strdup(tgt->script) : NULL;
	refusal = build(r, tgt, stanza, xmpp_stanza_get_context(stanza));
	if (refusal) {
		answer_failure(r, r->refusal ? r->refusal : FAIL_BAD_REQUEST, refusal);
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
	for (struct request *r = d->running; r; r = r->next) {
		if (r->job)
			cgi_abort(r->job);
		if (r->call)
			fcgi_call_abort(r->call);
	}
}

void dispatcher_close_backends(struct dispatcher *d)
{
	/* fcgi_backends_free() frees every route's fcgi_route too */
	for (size_t i = 0; i < d->n_routes; i++)
		if (d->routes[i])
			d->routes[i]->pool = NULL;
	for (struct route_rt *route = d->draining; route; route = route->next_draining)
		route->pool = NULL;
	fcgi_backends_free(d->fcgi);
	d->fcgi = NULL;
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
