/* fcgi_pool.c - FastCGI backends shared by routes: calls, balancing, failover (see
 * fcgi_pool.h; the state machines are described in fcgi_internal.h, connections live
 * in fcgi_conn.c, the choice of a backend in fcgi_balance.c).
 *
 * fcgi_finish() is the only way for a call to DONE. A connection carries one call, or
 * several when the backend said FCGI_MPXS_CONNS=1 in its FCGI_GET_VALUES answer, which
 * is asked on each backend's first connection. A call that fails before any byte of its
 * answer arrived is moved: to another backend of its route when the connect failed, to
 * a fresh connection (once) when a kept-alive one turned out dead. A call that finds no
 * room waits in its backend's queue, with the calls of every other route naming it, and
 * is served in order when a call of that backend ends. Connections report what happens
 * on them through fcgi_conn_event; only this file decides what becomes of a call. */
#include "fcgi_pool.h"

#include <fastcgi.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "fcgi_balance.h"
#include "fcgi_internal.h"
#include "fcgi_record.h"
#include "log.h"
#include "stderr_log.h"

static void fcgi_finish(struct fcgi_call *call, enum backend_failure f);
static void fcgi_fail_soon(struct fcgi_call *call, enum backend_failure f);
static void fcgi_assign(struct fcgi_call *call);
static void fcgi_serve_waiting(struct backend *be);

/* ---- calls ---- */

static void on_call_timer_closed(uv_handle_t *h)
{
	struct fcgi_call *call = h->data;
	response_free(&call->resp);
	free(call);
}

static void fcgi_detach(struct fcgi_call *call)
{
	struct conn *c = call->conn;
	struct fcgi_call **pp;
	if (!c)
		return;
	for (pp = &c->calls; *pp; pp = &(*pp)->next_on_conn)
		if (*pp == call) {
			*pp = call->next_on_conn;
			break;
		}
	c->n_calls--;
	call->be->outstanding--;
	call->conn = NULL;
	call->next_on_conn = NULL;
}

static void unqueue(struct fcgi_call *call)
{
	struct backend *be = call->waiting_on;
	struct fcgi_call **pp, *prev = NULL;
	if (!be)
		return;
	for (pp = &be->waiting_head; *pp; prev = *pp, pp = &(*pp)->next_waiting)
		if (*pp == call) {
			*pp = call->next_waiting;
			if (be->waiting_tail == call)
				be->waiting_tail = prev;
			break;
		}
	be->n_waiting--;
	call->next_waiting = NULL;
	call->waiting_on = NULL;
}

/* A backend that does not multiplex gives each connection a worker of its own (php-fpm,
 * libfcgi, fcgiwrap), and an idle kept-alive connection keeps its worker waiting. While
 * other calls of the backend, of whatever route, are in flight they may sit in its
 * listen queue for want of that worker: then close the idle connection rather than
 * keep it. */
static bool conn_serving(const struct conn *c)
{
	for (const struct fcgi_call *call = c->calls; call; call = call->next_on_conn)
		if (call->got_bytes)
			return true;
	return false;
}

static void fcgi_note_served(struct conn *c)
{
	struct backend *be = c->be;
	unsigned serving = 1; /* c itself, whose first byte this is */
	for (const struct conn *o = be->conns; o; o = o->next)
		if (o != c && o->state == CONN_READY && conn_serving(o))
			serving++;
	if (serving > be->served_max)
		be->served_max = serving;
}

/* An idle connection is closed only when a call of the same backend waits on a
 * connection nothing has answered yet (perhaps in the listen queue, for want of the
 * worker the idle one holds); that connection was a probe beyond what the backend
 * proved it serves at once, so probing rests a second. */
static void release_idle(struct conn *c)
{
	struct backend *be = c->be;
	bool stuck = false;
	if (c->state != CONN_READY || c->n_calls || be->mpxs == 1)
		return;
	for (const struct conn *o = be->conns; o && !stuck; o = o->next)
		for (const struct fcgi_call *call = o->calls; call && !stuck; call = call->next_on_conn)
			stuck = (call->state == CALL_SENT || call->state == CALL_ATTACHED) && !call->got_bytes;
	if (!stuck)
		return;
	be->probe_after = uv_now(be->all->loop) + FCGI_PROBE_REST_MS;
	fcgi_conn_close(c);
}

/* "TAG [fastcgi ADDR]" once the call was attached (ADDR: the backend it was attached to
 * last), "TAG [fastcgi]" before: what its log lines and its STDERR lines start with.
 * Most calls log nothing, so it is written when a line first needs it, and kept up to
 * date from then on. */
static void write_err_tag(struct fcgi_call *call)
{
	if (call->be)
		snprintf(call->err_tag, sizeof call->err_tag, "%s [fastcgi %s]", call->tag,
		         call->be->addr->text);
	else
		snprintf(call->err_tag, sizeof call->err_tag, "%s [fastcgi]", call->tag);
}

static const char *err_tag(struct fcgi_call *call)
{
	if (!call->err_tag[0])
		write_err_tag(call);
	return call->err_tag;
}

/* The one way out of a call. */
static void fcgi_finish(struct fcgi_call *call, enum backend_failure f)
{
	struct backend *be = call->be; /* the last it was attached to: room there, maybe */
	struct conn *c = call->conn;
	if (call->state == CALL_DONE)
		return;
	if (call->state == CALL_WAITING)
		unqueue(call);
	if (c)
		c->be->values_known = true; /* it will not say more than it has */
	fcgi_detach(call);
	call->state = CALL_DONE;
	stderr_log_flush(&call->err_log);
	if (f == BACKEND_OK && response_finish(&call->resp) == RESP_ERROR) {
		log_warn("%s: malformed output: %s", err_tag(call), response_error_text(call->resp.error));
		f = BACKEND_HANDLER;
	}
	uv_timer_stop(&call->timer);
	call->cb(call->ud, &call->resp, f);
	uv_close((uv_handle_t *)&call->timer, on_call_timer_closed);
	if (be)
		fcgi_serve_waiting(be);
	if (c)
		release_idle(c);
}

/* The backend must stop working on a call we give up: abort it where several calls
 * share the connection, otherwise close the connection (libfcgi ignores ABORT_REQUEST).
 * Returns true if the connection was closed. */
static bool fcgi_abandon(struct fcgi_call *call)
{
	struct conn *c = call->conn;
	if (!c || call->state != CALL_SENT)
		return false;
	if (c->be->mpxs == 1 && c->n_retired < sizeof c->retired / sizeof *c->retired) {
		c->retired[c->n_retired++] = call->id;
		fcgi_send_abort(c, call->id);
		return false;
	}
	fcgi_detach(call);
	fcgi_conn_close(c);
	return true;
}

static void on_call_timer(uv_timer_t *t)
{
	struct fcgi_call *call = t->data;
	if (call->state == CALL_FAILING) {
		fcgi_finish(call, call->failing);
		return;
	}
	log_warn("%s: no answer within %u ms", err_tag(call), call->spec.timeout_ms);
	fcgi_abandon(call);
	fcgi_finish(call, BACKEND_TIMEOUT);
}

/* Answers asynchronously: fcgi_call_start() must not call back before it returns. */
static void fcgi_fail_soon(struct fcgi_call *call, enum backend_failure f)
{
	if (call->state == CALL_WAITING)
		unqueue(call);
	fcgi_detach(call);
	call->state = CALL_FAILING;
	call->failing = f;
	uv_timer_start(&call->timer, on_call_timer, 0, 0);
}

#define FCGI_SCRATCH_KEEP (64 * 1024)

static void fcgi_send_call(struct fcgi_call *call)
{
	struct conn *c = call->conn;
	struct buf *b = &c->be->all->scratch;
	size_t n = 0;
	while (call->spec.envp[n])
		n++;
	buf_reset(b);
	if (fcgi_encode_begin(b, call->id, 1) || fcgi_encode_params(b, call->id, call->spec.envp, n) ||
	    fcgi_encode_stdin(b, call->id, call->spec.input, call->spec.input_len)) {
		log_error("%s: cannot encode the request", err_tag(call));
		fcgi_fail_soon(call, BACKEND_BAD_JOB);
	} else {
		call->state = CALL_SENT;
		if (fcgi_conn_send(c, b->data, b->len) != 0) {
			fcgi_detach(call);
			fcgi_conn_close(c);
			fcgi_fail_soon(call, BACKEND_UNAVAILABLE);
		}
	}
	if (b->cap > FCGI_SCRATCH_KEEP)
		buf_free(b); /* a large body's buffer is not kept for the next request */
}

/* ---- backends ---- */

static void fcgi_backend_failed(struct backend *be, const char *why)
{
	/* One warning per outage: a route with this backend alone tries it for each call. */
	if (be->state != BACKEND_DISABLED)
		log_warn("fastcgi %s: cannot connect: %s", be->addr->text, why);
	else
		log_debug("fastcgi %s: cannot connect: %s (%u in a row)", be->addr->text, why,
		          be->failures + 1);
	be->state = BACKEND_DISABLED;
	be->failed_at = uv_now(be->all->loop);
	be->failures++;
}

static void fcgi_backend_overloaded(struct backend *be)
{
	be->state = BACKEND_OVERLOADED;
	be->rest_until = uv_now(be->all->loop) + FCGI_OVERLOAD_MS;
}

static unsigned fcgi_conn_capacity(const struct backend *be)
{
	if (be->mpxs != 1)
		return 1;
	if (be->max_reqs > 0 && be->max_reqs < FCGI_MPX_PER_CONN)
		return (unsigned)be->max_reqs;
	return FCGI_MPX_PER_CONN;
}

static uint16_t next_id(struct conn *c)
{
	if (c->be->mpxs != 1)
		return 1;
	for (;;) {
		bool busy = false;
		if (++c->next_id == 0)
			c->next_id = 1;
		for (struct fcgi_call *o = c->calls; o && !busy; o = o->next_on_conn)
			busy = o->id == c->next_id;
		for (unsigned i = 0; i < c->n_retired && !busy; i++)
			busy = c->retired[i] == c->next_id;
		if (!busy)
			return c->next_id;
	}
}

static void attach(struct fcgi_call *call, struct conn *c)
{
	call->conn = c;
	call->be = c->be;
	call->id = next_id(c);
	call->next_on_conn = c->calls;
	c->calls = call;
	c->n_calls++;
	c->be->outstanding++;
	call->state = CALL_ATTACHED;
	if (call->err_tag[0])
		write_err_tag(call); /* already in use: it names the new backend from now on */
	if (c->state == CONN_READY)
		fcgi_send_call(call);
}

/* ---- balancing ---- */

/* A connection with room for one more call, or NULL; then *may_open says whether one
 * more connection may be opened. Until the backend has said whether it multiplexes, one
 * connection at a time. FCGI_MAX_REQS bounds the backend's requests in flight (FastCGI
 * 4.1). FCGI_MAX_CONNS is honoured only where connections are shared: libfcgi says 1
 * per process even when a pool of processes (fcgiwrap -c 4) shares the socket. */
static struct conn *conn_with_room(struct backend *be, bool *may_open)
{
	unsigned cap = fcgi_conn_capacity(be);
	*may_open = false;
	for (struct conn *c = be->conns; c; c = c->next)
		if (c->state != CONN_CLOSING && c->n_calls < cap)
			return c;
	if (!be->values_known && be->n_conns >= 1)
		return NULL;
	if (be->mpxs == 1 && be->max_reqs > 0 && be->outstanding >= (unsigned long)be->max_reqs)
		return NULL;
	if (be->mpxs == 1 && be->max_conns > 0 && be->n_conns >= (unsigned long)be->max_conns)
		return NULL;
	/* Without multiplexing each connection needs a worker of the backend's own: open
	 * one more than it has shown it serves at once, unless a probe just failed. */
	if (be->mpxs != 1 && be->n_conns > be->served_max && uv_now(be->all->loop) < be->probe_after)
		return NULL;
	*may_open = true;
	return NULL;
}

_Static_assert(CFG_MAX_BACKENDS <= 64, "fcgi_call.tried has a bit per backend of a route");

static void fcgi_mark_tried(struct fcgi_call *call, const struct backend *be)
{
	for (size_t i = 0; i < call->route->n_backends; i++)
		if (call->route->backends[i] == be)
			call->tried |= UINT64_C(1) << i;
}

/* What the route's backends look like now, to fcgi_balance_pick. A backend's load counts
 * the calls waiting for it, but not this call. Full means no room by what the backend
 * said of itself or showed; one that has not said yet gets its calls queued all the
 * same, so that they spread as they would once it has. */
static enum fcgi_verdict pick(const struct fcgi_call *call, struct backend **out)
{
	static const enum fcgi_health health[] = {[BACKEND_UP] = FCGI_HEALTH_UP,
	                                          [BACKEND_DISABLED] = FCGI_HEALTH_FAILED,
	                                          [BACKEND_OVERLOADED] = FCGI_HEALTH_OVERLOADED};
	const struct fcgi_route *route = call->route;
	struct fcgi_candidate cand[CFG_MAX_BACKENDS];
	enum fcgi_verdict v;
	size_t i;
	for (i = 0; i < route->n_backends; i++) {
		struct backend *be = route->backends[i];
		bool may_open;
		bool room = conn_with_room(be, &may_open) || may_open;
		cand[i] = (struct fcgi_candidate){.health = health[be->state],
		                                  .failed_at = be->failed_at,
		                                  .rest_until = be->rest_until,
		                                  .outstanding = be->outstanding + be->n_waiting -
		                                                 (call->waiting_on == be),
		                                  .tried = (call->tried >> i) & 1,
		                                  .full = !room && be->values_known};
	}
	v = fcgi_balance_pick(cand, route->n_backends, uv_now(route->all->loop),
	                      (uint64_t)route->cfg->backend_rest_s * 1000, &i);
	if (v == FCGI_USE || v == FCGI_WAIT)
		*out = route->backends[i];
	return v;
}

static void enqueue(struct fcgi_call *call, struct backend *be)
{
	call->state = CALL_WAITING;
	call->waiting_on = be;
	call->next_waiting = NULL;
	if (be->waiting_tail)
		be->waiting_tail->next_waiting = call;
	else
		be->waiting_head = call;
	be->waiting_tail = call;
	be->n_waiting++;
}

static void fcgi_assign(struct fcgi_call *call)
{
	unsigned connect_ms = call->route->cfg->connect_timeout_s * 1000u;
	/* Each turn either ends or marks one more backend tried: at most n_backends + 1. */
	for (;;) {
		struct backend *be = NULL;
		struct conn *c;
		bool may_open;
		enum fcgi_verdict v = pick(call, &be);
		if (v == FCGI_UNAVAILABLE || v == FCGI_BUSY) {
			fcgi_fail_soon(call, v == FCGI_BUSY ? BACKEND_BUSY : BACKEND_UNAVAILABLE);
			return;
		}
		c = conn_with_room(be, &may_open);
		if (v == FCGI_WAIT || (!c && !may_open)) {
			enqueue(call, be);
			return;
		}
		if (be->state == BACKEND_OVERLOADED)
			be->state = BACKEND_UP; /* its rest is over */
		else if (be->state == BACKEND_DISABLED)
			log_debug("%s: trying fastcgi %s again", call->tag, be->addr->text);
		if (!c) {
			int err;
			c = fcgi_conn_open(be, connect_ms, &err);
			if (!c && err)
				fcgi_backend_failed(be, uv_strerror(err));
		}
		if (c) {
			attach(call, c);
			return;
		}
		fcgi_mark_tried(call, be); /* the connect failed at once */
	}
}

/* True when the waiting call would not just wait again: room on the backend it would
 * use, or no backend left for it (it is then answered). */
static bool can_move(const struct fcgi_call *call)
{
	struct backend *be = NULL;
	bool may_open;
	enum fcgi_verdict v = pick(call, &be);
	if (v == FCGI_UNAVAILABLE || v == FCGI_BUSY)
		return true;
	return v == FCGI_USE && (conn_with_room(be, &may_open) || may_open);
}

/* In order; a call that would only wait again keeps its place. Calls behind it may
 * still go, to another backend of their route or because this one told them nothing
 * is left (a backend's room is the same for all its calls, so none overtakes another
 * on it). Once a call of a route with be alone must wait, so must the next such call:
 * they are passed over without asking again. */
static void serve_queue(struct backend *be)
{
	struct fcgi_call *call, *next;
	bool alone_waits = false;
	for (call = be->waiting_head; call; call = next) {
		bool alone = call->route->n_backends == 1;
		next = call->next_waiting;
		if (alone && alone_waits)
			continue;
		if (!can_move(call)) {
			alone_waits |= alone;
			continue;
		}
		unqueue(call);
		fcgi_assign(call);
	}
}

/* Room may have come on be: its own queue first, then the calls waiting elsewhere
 * whose routes also name be. */
static void fcgi_serve_waiting(struct backend *be)
{
	serve_queue(be);
	for (struct backend *o = be->all->backends; o; o = o->next)
		if (o != be && o->waiting_head)
			serve_queue(o);
}

/* ---- what connections report (fcgi_conn_event) ---- */

static void conn_connected(struct conn *c)
{
	struct backend *be = c->be;
	if (be->state == BACKEND_DISABLED) {
		log_info("fastcgi %s: connected again after %u failed attempt%s", be->addr->text,
		         be->failures, be->failures == 1 ? "" : "s");
		be->state = BACKEND_UP;
	}
	be->failures = 0;
	if (!be->values_asked) {
		be->values_asked = true;
		fcgi_conn_ask_values(c);
	}
	for (struct fcgi_call *call = c->calls; call; call = call->next_on_conn)
		if (call->state == CALL_ATTACHED)
			fcgi_send_call(call);
}

/* The backend could not be reached: the calls waiting for this connection, of which
 * nothing was sent, go to another backend of their route, or fail if it has none left
 * for them. So do the calls queued on the backend when it has no other connection:
 * they were waiting for this one. */
static void conn_connect_failed(struct conn *c, const char *why)
{
	struct backend *be = c->be;
	struct fcgi_call *moving = NULL, **tail = &moving;
	fcgi_backend_failed(be, why);
	while (c->calls) { /* kept in their order */
		struct fcgi_call *call = c->calls;
		fcgi_detach(call);
		fcgi_mark_tried(call, be);
		*tail = call;
		tail = &call->next_on_conn;
	}
	fcgi_conn_close(c);
	if (be->n_conns == 0)
		for (struct fcgi_call *call = be->waiting_head; call; call = call->next_waiting)
			fcgi_mark_tried(call, be);
	while (moving) {
		struct fcgi_call *call = moving;
		moving = call->next_on_conn;
		call->next_on_conn = NULL;
		call->state = CALL_WAITING;
		fcgi_assign(call);
	}
	fcgi_serve_waiting(be);
}

static void conn_values(struct conn *c, const struct fcgi_event *ev)
{
	struct backend *be = c->be;
	be->max_conns = ev->max_conns > 0 ? ev->max_conns : 0;
	be->max_reqs = ev->max_reqs > 0 ? ev->max_reqs : 0;
	be->mpxs = ev->mpxs_conns == 1 ? 1 : 0;
	be->values_known = true;
	log_debug("fastcgi %s: max_conns %ld, max_reqs %ld, multiplexing %s", be->addr->text,
	          be->max_conns, be->max_reqs, be->mpxs ? "yes" : "no");
	fcgi_serve_waiting(be);
}

static void call_ended(struct conn *c, struct fcgi_call *call, const struct fcgi_event *ev)
{
	struct backend *be = c->be;
	switch (ev->protocol_status) {
	case FCGI_REQUEST_COMPLETE:
		fcgi_finish(call, BACKEND_OK);
		break;
	case FCGI_CANT_MPX_CONN:
		/* It said it could; believe the refusal and send it again alone. */
		log_warn("fastcgi %s: refused multiplexing; not multiplexing any more", be->addr->text);
		be->mpxs = 0;
		fcgi_detach(call);
		call->state = CALL_WAITING;
		fcgi_assign(call);
		break;
	case FCGI_OVERLOADED:
		log_warn("fastcgi %s: overloaded; resting %d ms", be->addr->text, FCGI_OVERLOAD_MS);
		fcgi_backend_overloaded(be);
		fcgi_finish(call, BACKEND_BUSY);
		break;
	default:
		log_warn("%s: request refused (protocol status %u: unknown role)", err_tag(call),
		         ev->protocol_status);
		fcgi_finish(call, BACKEND_HANDLER);
		break;
	}
}

/* Non-zero when c was closed under the parser. */
static int call_record(struct conn *c, struct fcgi_call *call, const struct fcgi_event *ev)
{
	switch (ev->type) {
	case FCGI_EV_STDOUT:
		if (!call->got_bytes)
			fcgi_note_served(c);
		call->got_bytes = true;
		if (ev->len && response_feed(&call->resp, ev->data, ev->len) == RESP_ERROR &&
		    call->resp.error == RESP_E_TOO_LARGE) {
			bool closed;
			log_warn("%s: output over %zu bytes", err_tag(call), call->resp.max_total);
			closed = fcgi_abandon(call);
			fcgi_finish(call, BACKEND_TOO_LARGE);
			return closed ? 1 : 0;
		}
		break;
	case FCGI_EV_STDERR:
		if (!call->got_bytes)
			fcgi_note_served(c);
		call->got_bytes = true;
		call->err_log.tag = err_tag(call);
		stderr_log_feed(&call->err_log, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		call_ended(c, call, ev);
		break;
	default:
		break;
	}
	return 0;
}

/* Its calls answered: keep it for the next, up to FCGI_MAX_IDLE idle ones a backend. */
static void conn_idle(struct conn *c)
{
	unsigned idle = 0;
	c->reused = true;
	for (struct conn *o = c->be->conns, *next; o; o = next) {
		next = o->next;
		if (o->state == CONN_READY && o->n_calls == 0 && ++idle > FCGI_MAX_IDLE)
			fcgi_conn_close(o);
	}
}

/* The connection died before an answer: move calls that got nothing, fail the rest. */
static void conn_lost(struct conn *c, const char *why)
{
	struct fcgi_call *moving = NULL;
	if (!c->n_calls) {
		fcgi_conn_close(c); /* an idle connection the backend closed */
		return;
	}
	log_debug("fastcgi %s: connection lost: %s", c->be->addr->text, why);
	while (c->calls) {
		struct fcgi_call *call = c->calls;
		fcgi_detach(call);
		if (!call->got_bytes && c->reused && call->retries == 0) {
			call->retries++;
			call->next_waiting = moving;
			moving = call;
			continue;
		}
		if (!call->got_bytes)
			log_warn("%s: the backend closed the connection without answering (%s)", err_tag(call),
			         why);
		else
			log_warn("%s: the backend closed the connection mid-answer (%s)", err_tag(call), why);
		fcgi_finish(call, BACKEND_HANDLER);
	}
	fcgi_conn_close(c);
	while (moving) {
		struct fcgi_call *call = moving;
		moving = call->next_waiting;
		call->next_waiting = NULL;
		call->state = CALL_WAITING;
		fcgi_assign(call);
	}
}

static void conn_protocol_error(struct conn *c, const char *why)
{
	log_warn("fastcgi %s: protocol error: %s", c->be->addr->text, why);
	while (c->calls) {
		struct fcgi_call *call = c->calls;
		fcgi_detach(call);
		fcgi_finish(call, BACKEND_HANDLER);
	}
	fcgi_conn_close(c);
}

/* Calls still on a closing connection: answered on the next loop turn. */
static void conn_closed(struct conn *c)
{
	while (c->calls) {
		struct fcgi_call *call = c->calls;
		fcgi_detach(call);
		fcgi_fail_soon(call, call->got_bytes ? BACKEND_HANDLER : BACKEND_UNAVAILABLE);
	}
}

int fcgi_conn_event(struct conn *c, const struct conn_report *r)
{
	switch (r->event) {
	case CONN_EV_CONNECTED:
		conn_connected(c);
		break;
	case CONN_EV_CONNECT_FAILED:
		conn_connect_failed(c, r->why);
		break;
	case CONN_EV_VALUES:
		conn_values(c, r->record);
		break;
	case CONN_EV_RECORD:
		return call_record(c, r->call, r->record);
	case CONN_EV_IDLE:
		conn_idle(c);
		break;
	case CONN_EV_LOST:
		conn_lost(c, r->why);
		break;
	case CONN_EV_PROTOCOL_ERROR:
		conn_protocol_error(c, r->why);
		break;
	case CONN_EV_CLOSED:
		conn_closed(c);
		break;
	}
	return 0;
}

/* ---- API ---- */

struct fcgi_backends *fcgi_backends_new(uv_loop_t *loop)
{
	struct fcgi_backends *all = calloc(1, sizeof *all);
	if (all)
		all->loop = loop;
	return all;
}

static void backend_free(struct backend *be)
{
	free(be->own_addr.text);
	free(be->own_addr.path);
	free(be->own_addr.host);
	free(be);
}

/* The backend at a's address, made on first use. */
static struct backend *backend_for(struct fcgi_backends *all, const struct fcgi_addr *a)
{
	char key[FCGI_ADDR_KEY_MAX];
	struct backend *be;
	if (fcgi_addr_key(a, key, sizeof key) != 0)
		return NULL;
	for (be = all->backends; be; be = be->next)
		if (strcmp(be->key, key) == 0)
			return be;
	be = calloc(1, sizeof *be);
	if (!be)
		return NULL;
	be->all = all;
	be->own_addr = (struct fcgi_addr){.kind = a->kind, .port = a->port};
	be->own_addr.text = strdup(a->text);
	be->own_addr.path = a->path ? strdup(a->path) : NULL;
	be->own_addr.host = a->host ? strdup(a->host) : NULL;
	be->addr = &be->own_addr;
	memcpy(be->key, key, sizeof key);
	if (!be->own_addr.text || (a->path && !be->own_addr.path) || (a->host && !be->own_addr.host)) {
		backend_free(be);
		return NULL;
	}
	be->next = all->backends;
	all->backends = be;
	return be;
}

struct fcgi_route *fcgi_route_new(struct fcgi_backends *all, const struct route_cfg *cfg)
{
	struct fcgi_route *route = calloc(1, sizeof *route);
	if (!route)
		return NULL;
	route->all = all;
	route->cfg = cfg;
	route->backends = calloc(cfg->n_fastcgi, sizeof *route->backends);
	route->next = all->routes;
	all->routes = route; /* freed with all, even if the rest fails */
	if (!route->backends || cfg->n_fastcgi > CFG_MAX_BACKENDS)
		return NULL;
	for (size_t i = 0; i < cfg->n_fastcgi; i++) {
		struct backend *be = backend_for(all, &cfg->fastcgi[i]);
		bool listed = false;
		if (!be)
			return NULL;
		for (size_t j = 0; j < route->n_backends; j++)
			listed |= route->backends[j] == be;
		if (!listed) /* config.c refuses one address twice in a route; be sure */
			route->backends[route->n_backends++] = be;
	}
	return route;
}

struct fcgi_call *fcgi_call_start(struct fcgi_route *route, const struct backend_job *spec,
                                  backend_done_cb cb, void *ud)
{
	struct fcgi_call *call = calloc(1, sizeof *call);
	uv_loop_t *loop = route->all->loop;
	if (!call)
		return NULL;
	call->route = route;
	call->spec = *spec;
	call->cb = cb;
	call->ud = ud;
	memcpy(call->tag, spec->log_tag, strnlen(spec->log_tag, sizeof call->tag - 1)); /* calloc'd */
	call->err_log.tag = call->err_tag; /* written by err_tag() before the first line */
	response_init(&call->resp, spec->max_output);
	uv_timer_init(loop, &call->timer);
	call->timer.data = call;
	uv_timer_start(&call->timer, on_call_timer, spec->timeout_ms, 0);
	call->state = CALL_WAITING;
	fcgi_assign(call);
	return call;
}

void fcgi_call_abort(struct fcgi_call *call)
{
	struct conn *c = call->conn;
	if (call->state == CALL_DONE || call->state == CALL_FAILING)
		return;
	if (c && call->state == CALL_SENT) {
		fcgi_detach(call);
		fcgi_conn_close(c);
	}
	fcgi_fail_soon(call, BACKEND_UNAVAILABLE);
}

bool fcgi_backend_named(const struct backend *be)
{
	for (const struct fcgi_route *r = be->all->routes; r; r = r->next)
		for (size_t i = 0; i < r->n_backends; i++)
			if (r->backends[i] == be)
				return true;
	return false;
}

void fcgi_route_free(struct fcgi_route *route)
{
	struct fcgi_backends *all = route->all;
	for (struct fcgi_route **p = &all->routes; *p; p = &(*p)->next)
		if (*p == route) {
			*p = route->next;
			break;
		}
	for (size_t i = 0; i < route->n_backends; i++) {
		struct backend *be = route->backends[i];
		if (fcgi_backend_named(be))
			continue;
		/* no route sends it calls any more: its idle connections only hold workers */
		log_info("fastcgi %s: no route names it any more: closing its connections", be->addr->text);
		while (be->conns)
			fcgi_conn_close(be->conns);
	}
	free(route->backends);
	free(route);
}

void fcgi_backends_free(struct fcgi_backends *all)
{
	if (!all)
		return;
	while (all->routes) {
		struct fcgi_route *route = all->routes;
		all->routes = route->next;
		free(route->backends);
		free(route);
	}
	while (all->backends) {
		struct backend *be = all->backends;
		all->backends = be->next;
		while (be->conns)
			fcgi_conn_close(be->conns);
		backend_free(be);
	}
	buf_free(&all->scratch);
	free(all);
}

/* ---- the FastCGI backend: self is the route's fcgi_route ---- */

static void *fcgi_backend_start(void *self, const struct backend_job *job, backend_done_cb cb,
                                void *ud, struct backend_refusal *refusal)
{
	struct fcgi_call *call = fcgi_call_start(self, job, cb, ud);
	if (!call) {
		log_error("%s: out of memory", job->log_tag);
		*refusal = (struct backend_refusal){BACKEND_UNAVAILABLE, NULL};
	}
	return call;
}

static void fcgi_backend_abort(void *self, void *handle)
{
	(void)self;
	fcgi_call_abort(handle);
}

static void fcgi_backend_close(void *self) { fcgi_route_free(self); }

static const struct backend_ops fcgi_backend_ops = {.name = "fastcgi",
                                                    .start = fcgi_backend_start,
                                                    .abort = fcgi_backend_abort,
                                                    .close = fcgi_backend_close};

int fcgi_backend_open(struct fcgi_backends *all, const struct route_cfg *route,
                      struct route_backend *out)
{
	struct fcgi_route *r = fcgi_route_new(all, route);
	if (!r)
		return -1;
	*out = (struct route_backend){.ops = &fcgi_backend_ops, .self = r};
	return 0;
}
