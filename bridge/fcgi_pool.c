/* fcgi_pool.c - FastCGI backends of one route: calls, balancing, failover (see
 * fcgi_pool.h; the state machines are described in fcgi_internal.h, connections live
 * in fcgi_conn.c).
 *
 * fcgi_finish() is the only way for a call to DONE. A connection carries one call, or several when
 * the backend said FCGI_MPXS_CONNS=1 in its FCGI_GET_VALUES answer, which is asked on
 * each backend's first connection. A call that fails before any byte of its answer
 * arrived is moved: to another backend when the connect failed, to a fresh
 * connection (once) when a kept-alive one turned out dead. */
#include "fcgi_pool.h"

#include <fastcgi.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "fcgi_internal.h"
#include "fcgi_record.h"
#include "log.h"
#include "stderr_log.h"

/* ---- calls ---- */

static void on_call_timer_closed(uv_handle_t *h)
{
	struct fcgi_call *call = h->data;
	response_free(&call->resp);
	free(call);
}

void fcgi_detach(struct fcgi_call *call)
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
	struct fcgi_pool *pool = call->pool;
	struct fcgi_call **pp, *prev = NULL;
	for (pp = &pool->waiting_head; *pp; prev = *pp, pp = &(*pp)->next_waiting)
		if (*pp == call) {
			*pp = call->next_waiting;
			if (pool->waiting_tail == call)
				pool->waiting_tail = prev;
			break;
		}
	call->next_waiting = NULL;
}

/* A backend that does not multiplex gives each connection a worker of its own (php-fpm,
 * libfcgi, fcgiwrap), and an idle kept-alive connection keeps its worker waiting. While
 * other calls of the backend are in flight they may sit in its listen queue for want of
 * that worker: then close the idle connection rather than keep it. */
static bool conn_serving(const struct conn *c)
{
	for (const struct fcgi_call *call = c->calls; call; call = call->next_on_conn)
		if (call->got_bytes)
			return true;
	return false;
}

void fcgi_note_served(struct conn *c)
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
	be->probe_after = uv_now(be->pool->loop) + FCGI_PROBE_REST_MS;
	fcgi_conn_close(c);
}

/* The one way out of a call. */
void fcgi_finish(struct fcgi_call *call, enum bridge_failure f)
{
	struct fcgi_pool *pool = call->pool;
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
	if (f == FAIL_NONE && response_finish(&call->resp) == RESP_ERROR) {
		log_warn("%s: malformed output: %s", call->err_tag, response_error_text(call->resp.error));
		f = FAIL_HANDLER;
	}
	uv_timer_stop(&call->timer);
	call->cb(call->ud, &call->resp, f);
	uv_close((uv_handle_t *)&call->timer, on_call_timer_closed);
	fcgi_serve_waiting(pool);
	if (c)
		release_idle(c);
}

/* The backend must stop working on a call we give up: abort it where several calls
 * share the connection, otherwise close the connection (libfcgi ignores ABORT_REQUEST).
 * Returns true if the connection was closed. */
bool fcgi_abandon(struct fcgi_call *call)
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
	log_warn("%s: no answer within %u ms", call->err_tag, call->spec.timeout_ms);
	fcgi_abandon(call);
	fcgi_finish(call, FAIL_TIMEOUT);
}

/* Answers asynchronously: fcgi_call_start() must not call back before it returns. */
void fcgi_fail_soon(struct fcgi_call *call, enum bridge_failure f)
{
	if (call->state == CALL_WAITING)
		unqueue(call);
	fcgi_detach(call);
	call->state = CALL_FAILING;
	call->failing = f;
	uv_timer_start(&call->timer, on_call_timer, 0, 0);
}

void fcgi_send_call(struct fcgi_call *call)
{
	struct conn *c = call->conn;
	struct write_req *w = calloc(1, sizeof *w);
	size_t n = 0;
	while (call->spec.envp[n])
		n++;
	if (!w || fcgi_encode_begin(&w->data, call->id, 1) ||
	    fcgi_encode_params(&w->data, call->id, call->spec.envp, n) ||
	    fcgi_encode_stdin(&w->data, call->id, call->spec.input, call->spec.input_len)) {
		if (w)
			buf_free(&w->data);
		free(w);
		log_error("%s: cannot encode the request", call->err_tag);
		fcgi_fail_soon(call, FAIL_BAD_REQUEST);
		return;
	}
	call->state = CALL_SENT;
	if (fcgi_conn_write(c, w) != 0) {
		fcgi_detach(call);
		fcgi_conn_close(c);
		fcgi_fail_soon(call, FAIL_UNAVAILABLE);
	}
}

/* ---- backends ---- */

static bool backend_usable(struct backend *be, uint64_t now)
{
	if (be->state != BACKEND_UP && now >= be->rest_until) {
		if (be->state == BACKEND_DISABLED)
			log_info("route %s: fastcgi %s: trying again", be->pool->route->name, be->addr->text);
		be->state = BACKEND_UP;
	}
	return be->state == BACKEND_UP;
}

void fcgi_backend_rest(struct backend *be, enum backend_state why, uint64_t ms)
{
	be->state = why;
	be->rest_until = uv_now(be->pool->loop) + ms;
}

unsigned fcgi_conn_capacity(const struct backend *be)
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
	snprintf(call->err_tag, sizeof call->err_tag, "%s [fastcgi %s]", call->tag, c->be->addr->text);
	if (c->state == CONN_READY)
		fcgi_send_call(call);
}

/* ---- balancing ---- */

/* A connection with room for one more call, or NULL to wait for one. Until the backend
 * has said whether it multiplexes, one connection at a time. FCGI_MAX_REQS bounds the
 * backend's requests in flight (FastCGI 4.1). FCGI_MAX_CONNS is honoured only where
 * connections are shared: libfcgi says 1 per process even when a pool of processes
 * (fcgiwrap -c 4) shares the socket. */
static struct conn *conn_for(struct backend *be)
{
	unsigned cap = fcgi_conn_capacity(be);
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
	if (be->mpxs != 1 && be->n_conns > be->served_max && uv_now(be->pool->loop) < be->probe_after)
		return NULL;
	return fcgi_conn_open(be);
}

/* Least outstanding requests among usable backends; NULL if none is usable. */
static struct backend *pick(struct fcgi_pool *pool, bool *all_resting_overloaded)
{
	uint64_t now = uv_now(pool->loop);
	struct backend *best = NULL;
	bool overloaded = false;
	for (size_t i = 0; i < pool->n_backends; i++) {
		struct backend *be = &pool->backends[i];
		if (!backend_usable(be, now)) {
			overloaded |= be->state == BACKEND_OVERLOADED;
			continue;
		}
		if (!best || be->outstanding < best->outstanding)
			best = be;
	}
	*all_resting_overloaded = !best && overloaded;
	return best;
}

static void enqueue(struct fcgi_call *call)
{
	struct fcgi_pool *pool = call->pool;
	call->state = CALL_WAITING;
	call->next_waiting = NULL;
	if (pool->waiting_tail)
		pool->waiting_tail->next_waiting = call;
	else
		pool->waiting_head = call;
	pool->waiting_tail = call;
}

void fcgi_assign(struct fcgi_call *call)
{
	struct fcgi_pool *pool = call->pool;
	for (size_t tries = 0; tries <= pool->n_backends; tries++) {
		bool overloaded;
		struct backend *be = pick(pool, &overloaded);
		struct conn *c;
		if (!be) {
			fcgi_fail_soon(call, overloaded ? FAIL_BUSY : FAIL_UNAVAILABLE);
			return;
		}
		c = conn_for(be);
		if (c) {
			attach(call, c);
			return;
		}
		if (be->state == BACKEND_UP) {
			/* at its connection limit: wait for one to free up */
			enqueue(call);
			return;
		}
		/* the connect failed at once and disabled it: try the next backend */
	}
	fcgi_fail_soon(call, FAIL_UNAVAILABLE);
}

void fcgi_serve_waiting(struct fcgi_pool *pool)
{
	/* Each waiting call once, in order; one that must wait again goes back to the
	 * tail, and the calls behind it would find no more room. */
	struct fcgi_call *call;
	while ((call = pool->waiting_head)) {
		pool->waiting_head = call->next_waiting;
		if (!pool->waiting_head)
			pool->waiting_tail = NULL;
		call->next_waiting = NULL;
		fcgi_assign(call);
		if (call->state == CALL_WAITING)
			break;
	}
}

/* ---- API ---- */

struct fcgi_pool *fcgi_pool_new(uv_loop_t *loop, const struct route_cfg *route)
{
	struct fcgi_pool *pool = calloc(1, sizeof *pool);
	if (!pool)
		return NULL;
	pool->loop = loop;
	pool->route = route;
	pool->n_backends = route->n_fastcgi;
	pool->backends = calloc(route->n_fastcgi, sizeof *pool->backends);
	if (!pool->backends) {
		free(pool);
		return NULL;
	}
	for (size_t i = 0; i < route->n_fastcgi; i++) {
		pool->backends[i].pool = pool;
		pool->backends[i].addr = &route->fastcgi[i];
	}
	return pool;
}

struct fcgi_call *fcgi_call_start(struct fcgi_pool *pool, const struct cgi_spec *spec,
                                  cgi_done_cb cb, void *ud)
{
	struct fcgi_call *call = calloc(1, sizeof *call);
	if (!call)
		return NULL;
	call->pool = pool;
	call->spec = *spec;
	call->cb = cb;
	call->ud = ud;
	snprintf(call->tag, sizeof call->tag, "%s", spec->log_tag);
	snprintf(call->err_tag, sizeof call->err_tag, "%s [fastcgi]", call->tag);
	call->err_log.tag = call->err_tag;
	response_init(&call->resp, spec->max_output);
	uv_timer_init(pool->loop, &call->timer);
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
	fcgi_fail_soon(call, FAIL_UNAVAILABLE);
}

void fcgi_pool_free(struct fcgi_pool *pool)
{
	for (size_t i = 0; i < pool->n_backends; i++)
		while (pool->backends[i].conns)
			fcgi_conn_close(pool->backends[i].conns);
	free(pool->backends);
	free(pool);
}
