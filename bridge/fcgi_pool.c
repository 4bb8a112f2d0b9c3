/* fcgi_pool.c - FastCGI backends of one route (see fcgi_pool.h).
 *
 * Three state machines: a backend is UP, DISABLED (failed to connect) or OVERLOADED
 * (said so); a connection is CONNECTING, READY or CLOSING; a call is WAITING (no
 * connection yet), ATTACHED (on a connection, sent once it is ready), SENT, or DONE.
 * finish() is the only way to DONE. A connection carries one call, or several when
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
#include "fcgi_record.h"
#include "log.h"
#include "stderr_log.h"

enum backend_state { BACKEND_UP, BACKEND_DISABLED, BACKEND_OVERLOADED };
enum conn_state { CONN_CONNECTING, CONN_READY, CONN_CLOSING };
enum call_state { CALL_WAITING, CALL_ATTACHED, CALL_SENT, CALL_FAILING, CALL_DONE };

struct conn;

struct backend {
	struct fcgi_pool *pool;
	const struct fcgi_addr *addr;
	enum backend_state state;
	uint64_t rest_until;
	unsigned n_conns;
	unsigned outstanding;
	long max_conns, max_reqs; /* from FCGI_GET_VALUES, 0 = not said */
	int mpxs;                 /* 1 only when the backend said so */
	bool values_asked;
	bool values_known; /* answered GET_VALUES, or served a request without */
	struct conn *conns;
};

struct conn {
	enum conn_state state;
	struct backend *be;
	union {
		uv_handle_t handle;
		uv_stream_t stream;
		uv_pipe_t pipe;
		uv_tcp_t tcp;
	} h;
	uv_connect_t connect_req;
	uv_timer_t connect_timer;
	struct fcgi_parser parser;
	struct fcgi_call *calls; /* attached calls */
	unsigned n_calls;
	uint16_t next_id;
	uint16_t retired[64]; /* aborted ids still owed an END_REQUEST */
	unsigned n_retired;
	bool reused; /* served a call before: may be dead without our knowing */
	int open_handles;
	struct conn *next;
};

struct fcgi_call {
	enum call_state state;
	struct fcgi_pool *pool;
	struct backend *be;
	struct conn *conn;
	uint16_t id;
	struct cgi_spec spec;
	char tag[96];
	char err_tag[160];
	struct stderr_log err_log;
	struct cgi_response resp;
	enum bridge_failure failing;
	bool got_bytes;
	unsigned retries; /* on a fresh connection after a dead kept-alive one */
	unsigned moves;   /* to another backend after a failed connect */
	uv_timer_t timer;
	cgi_done_cb cb;
	void *ud;
	struct fcgi_call *next_on_conn;
	struct fcgi_call *next_waiting;
};

struct fcgi_pool {
	uv_loop_t *loop;
	const struct route_cfg *route;
	struct backend *backends;
	size_t n_backends;
	struct fcgi_call *waiting_head, *waiting_tail;
};

struct write_req {
	uv_write_t req;
	struct buf data;
};

static char read_scratch[64 * 1024];

static void assign(struct fcgi_call *call);
static void conn_close(struct conn *c);
static void serve_waiting(struct fcgi_pool *pool);

/* ---- writing ---- */

static void write_done(uv_write_t *req, int status)
{
	struct write_req *w = req->data;
	(void)status; /* a failed write shows up as a read error or EOF */
	buf_free(&w->data);
	free(w);
}

static int conn_write(struct conn *c, struct write_req *w)
{
	uv_buf_t b = uv_buf_init(w->data.data, (unsigned)w->data.len);
	w->req.data = w;
	if (uv_write(&w->req, &c->h.stream, &b, 1, write_done) != 0) {
		buf_free(&w->data);
		free(w);
		return -1;
	}
	return 0;
}

static void send_abort(struct conn *c, uint16_t id)
{
	struct write_req *w = calloc(1, sizeof *w);
	if (!w)
		return;
	if (fcgi_encode_abort(&w->data, id) != 0) {
		buf_free(&w->data);
		free(w);
		return;
	}
	conn_write(c, w);
}

/* ---- calls ---- */

static void on_call_timer_closed(uv_handle_t *h)
{
	struct fcgi_call *call = h->data;
	response_free(&call->resp);
	free(call);
}

static void detach(struct fcgi_call *call)
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
static void release_idle(struct conn *c)
{
	struct backend *be = c->be;
	if (c->state == CONN_READY && c->n_calls == 0 && be->mpxs != 1 && be->outstanding > 0)
		conn_close(c);
}

/* The one way out of a call. */
static void finish(struct fcgi_call *call, enum bridge_failure f)
{
	struct fcgi_pool *pool = call->pool;
	struct conn *c = call->conn;
	if (call->state == CALL_DONE)
		return;
	if (call->state == CALL_WAITING)
		unqueue(call);
	if (c)
		c->be->values_known = true; /* it will not say more than it has */
	detach(call);
	call->state = CALL_DONE;
	stderr_log_flush(&call->err_log);
	if (f == FAIL_NONE && response_finish(&call->resp) == RESP_ERROR) {
		log_warn("%s: malformed output: %s", call->err_tag, response_error_text(call->resp.error));
		f = FAIL_HANDLER;
	}
	uv_timer_stop(&call->timer);
	call->cb(call->ud, &call->resp, f);
	uv_close((uv_handle_t *)&call->timer, on_call_timer_closed);
	serve_waiting(pool);
	if (c)
		release_idle(c);
}

/* The backend must stop working on a call we give up: abort it where several calls
 * share the connection, otherwise close the connection (libfcgi ignores ABORT_REQUEST).
 * Returns true if the connection was closed. */
static bool abandon(struct fcgi_call *call)
{
	struct conn *c = call->conn;
	if (!c || call->state != CALL_SENT)
		return false;
	if (c->be->mpxs == 1 && c->n_retired < sizeof c->retired / sizeof *c->retired) {
		c->retired[c->n_retired++] = call->id;
		send_abort(c, call->id);
		return false;
	}
	detach(call);
	conn_close(c);
	return true;
}

static void on_call_timer(uv_timer_t *t)
{
	struct fcgi_call *call = t->data;
	if (call->state == CALL_FAILING) {
		finish(call, call->failing);
		return;
	}
	log_warn("%s: no answer within %u ms", call->err_tag, call->spec.timeout_ms);
	abandon(call);
	finish(call, FAIL_TIMEOUT);
}

/* Answers asynchronously: fcgi_call_start() must not call back before it returns. */
static void fail_soon(struct fcgi_call *call, enum bridge_failure f)
{
	if (call->state == CALL_WAITING)
		unqueue(call);
	detach(call);
	call->state = CALL_FAILING;
	call->failing = f;
	uv_timer_start(&call->timer, on_call_timer, 0, 0);
}

static void send_call(struct fcgi_call *call)
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
		fail_soon(call, FAIL_BAD_REQUEST);
		return;
	}
	call->state = CALL_SENT;
	if (conn_write(c, w) != 0) {
		detach(call);
		conn_close(c);
		fail_soon(call, FAIL_UNAVAILABLE);
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

static void backend_rest(struct backend *be, enum backend_state why, uint64_t ms)
{
	be->state = why;
	be->rest_until = uv_now(be->pool->loop) + ms;
}

static unsigned conn_capacity(const struct backend *be)
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
		send_call(call);
}

/* ---- connections ---- */

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->open_handles == 0)
		free(c);
}

/* Closes c; calls still on it must have been detached or are failed here. */
static void conn_close(struct conn *c)
{
	struct backend *be = c->be;
	struct conn **pp;
	if (c->state == CONN_CLOSING)
		return;
	c->state = CONN_CLOSING;
	for (pp = &be->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	be->n_conns--;
	while (c->calls) {
		struct fcgi_call *call = c->calls;
		detach(call);
		fail_soon(call, call->got_bytes ? FAIL_HANDLER : FAIL_UNAVAILABLE);
	}
	uv_close(&c->h.handle, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->connect_timer, on_conn_handle_closed);
}

/* The connection died before an answer: move calls that got nothing, fail the rest. */
static void conn_lost(struct conn *c, const char *why)
{
	struct fcgi_call *moving = NULL;
	log_debug("route %s: fastcgi %s: connection lost: %s", c->be->pool->route->name,
	          c->be->addr->text, why);
	while (c->calls) {
		struct fcgi_call *call = c->calls;
		detach(call);
		if (!call->got_bytes && c->reused && call->retries == 0) {
			call->retries++;
			call->next_waiting = moving;
			moving = call;
			continue;
		}
		if (!call->got_bytes)
			log_warn("%s: the backend closed the connection without answering (%s)", call->err_tag,
			         why);
		else
			log_warn("%s: the backend closed the connection mid-answer (%s)", call->err_tag, why);
		finish(call, FAIL_HANDLER);
	}
	conn_close(c);
	while (moving) {
		struct fcgi_call *call = moving;
		moving = call->next_waiting;
		call->next_waiting = NULL;
		call->state = CALL_WAITING;
		assign(call);
	}
}

static struct fcgi_call *call_by_id(struct conn *c, uint16_t id)
{
	for (struct fcgi_call *call = c->calls; call; call = call->next_on_conn)
		if (call->id == id && call->state == CALL_SENT)
			return call;
	return NULL;
}

static void unretire(struct conn *c, uint16_t id)
{
	for (unsigned i = 0; i < c->n_retired; i++)
		if (c->retired[i] == id) {
			c->retired[i] = c->retired[--c->n_retired];
			return;
		}
}

static void on_end(struct conn *c, struct fcgi_call *call, const struct fcgi_event *ev)
{
	struct backend *be = c->be;
	switch (ev->protocol_status) {
	case FCGI_REQUEST_COMPLETE:
		finish(call, FAIL_NONE);
		break;
	case FCGI_CANT_MPX_CONN:
		/* It said it could; believe the refusal and send it again alone. */
		log_warn("route %s: fastcgi %s: refused multiplexing; not multiplexing any more",
		         be->pool->route->name, be->addr->text);
		be->mpxs = 0;
		detach(call);
		call->state = CALL_WAITING;
		assign(call);
		break;
	case FCGI_OVERLOADED:
		log_warn("route %s: fastcgi %s: overloaded; resting %d ms", be->pool->route->name,
		         be->addr->text, FCGI_OVERLOAD_MS);
		backend_rest(be, BACKEND_OVERLOADED, FCGI_OVERLOAD_MS);
		finish(call, FAIL_BUSY);
		break;
	default:
		log_warn("%s: request refused (protocol status %u: unknown role)", call->err_tag,
		         ev->protocol_status);
		finish(call, FAIL_HANDLER);
		break;
	}
}

static int on_record(void *ud, const struct fcgi_event *ev)
{
	struct conn *c = ud;
	struct fcgi_call *call;
	if (ev->type == FCGI_EV_VALUES) {
		struct backend *be = c->be;
		be->max_conns = ev->max_conns > 0 ? ev->max_conns : 0;
		be->max_reqs = ev->max_reqs > 0 ? ev->max_reqs : 0;
		be->mpxs = ev->mpxs_conns == 1 ? 1 : 0;
		be->values_known = true;
		log_debug("route %s: fastcgi %s: max_conns %ld, max_reqs %ld, multiplexing %s",
		          be->pool->route->name, be->addr->text, be->max_conns, be->max_reqs,
		          be->mpxs ? "yes" : "no");
		serve_waiting(be->pool);
		return 0;
	}
	if (ev->type == FCGI_EV_UNKNOWN)
		return 0;
	call = call_by_id(c, ev->id);
	if (!call) {
		if (ev->type == FCGI_EV_END)
			unretire(c, ev->id);
		return 0; /* an aborted or timed-out call */
	}
	switch (ev->type) {
	case FCGI_EV_STDOUT:
		call->got_bytes = true;
		if (ev->len && response_feed(&call->resp, ev->data, ev->len) == RESP_ERROR &&
		    call->resp.error == RESP_E_TOO_LARGE) {
			bool closed;
			log_warn("%s: output over %zu bytes", call->err_tag, call->resp.max_total);
			closed = abandon(call);
			finish(call, FAIL_TOO_LARGE);
			return closed ? 1 : 0;
		}
		break;
	case FCGI_EV_STDERR:
		call->got_bytes = true;
		stderr_log_feed(&call->err_log, ev->data, ev->len);
		break;
	case FCGI_EV_END:
		on_end(c, call, ev);
		break;
	default:
		break;
	}
	return 0;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(read_scratch, sizeof read_scratch);
}

static void trim_idle(struct backend *be)
{
	unsigned idle = 0;
	for (struct conn *c = be->conns, *next; c; c = next) {
		next = c->next;
		if (c->state == CONN_READY && c->n_calls == 0 && ++idle > FCGI_MAX_IDLE)
			conn_close(c);
	}
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	int rc;
	if (c->state == CONN_CLOSING)
		return;
	if (nread < 0) {
		if (c->n_calls)
			conn_lost(c, nread == UV_EOF ? "end of file" : uv_strerror((int)nread));
		else
			conn_close(c); /* an idle connection the backend closed */
		return;
	}
	rc = fcgi_parse(&c->parser, buf->base, (size_t)nread, on_record, c);
	if (c->state == CONN_CLOSING)
		return;
	if (rc < 0) {
		log_warn("route %s: fastcgi %s: protocol error: %s", c->be->pool->route->name,
		         c->be->addr->text, c->parser.error);
		while (c->calls) {
			struct fcgi_call *call = c->calls;
			detach(call);
			finish(call, FAIL_HANDLER);
		}
		conn_close(c);
		return;
	}
	if (c->state == CONN_READY && c->n_calls == 0) {
		c->reused = true;
		trim_idle(c->be);
	}
}

static void on_connected(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	struct backend *be = c->be;
	if (c->state == CONN_CLOSING)
		return;
	uv_timer_stop(&c->connect_timer);
	if (status < 0) {
		struct fcgi_call *moving = c->calls;
		log_warn("route %s: fastcgi %s: cannot connect: %s; disabled for %d ms",
		         be->pool->route->name, be->addr->text, uv_strerror(status), FCGI_DISABLE_MS);
		backend_rest(be, BACKEND_DISABLED, FCGI_DISABLE_MS);
		/* nothing was sent: the calls go elsewhere */
		c->calls = NULL;
		for (struct fcgi_call *call = moving; call; call = call->next_on_conn) {
			c->n_calls--;
			be->outstanding--;
			call->conn = NULL;
		}
		conn_close(c);
		while (moving) {
			struct fcgi_call *call = moving;
			moving = call->next_on_conn;
			call->next_on_conn = NULL;
			call->moves++;
			call->state = CALL_WAITING;
			assign(call);
		}
		return;
	}
	c->state = CONN_READY;
	uv_read_start(&c->h.stream, on_alloc, on_read);
	if (!be->values_asked) {
		struct write_req *w = calloc(1, sizeof *w);
		be->values_asked = true;
		if (w && fcgi_encode_get_values(&w->data) == 0)
			conn_write(c, w);
		else if (w) {
			buf_free(&w->data);
			free(w);
		}
	}
	for (struct fcgi_call *call = c->calls; call; call = call->next_on_conn)
		if (call->state == CALL_ATTACHED)
			send_call(call);
}

static void on_connect_timeout(uv_timer_t *t)
{
	struct conn *c = t->data;
	/* Closing the handle cancels the connect; on_connected sees UV_ECANCELED and
	 * state CLOSING, so handle the calls here. */
	struct fcgi_call *moving = c->calls;
	struct backend *be = c->be;
	log_warn("route %s: fastcgi %s: connect timed out; disabled for %d ms", be->pool->route->name,
	         be->addr->text, FCGI_DISABLE_MS);
	backend_rest(be, BACKEND_DISABLED, FCGI_DISABLE_MS);
	for (struct fcgi_call *call = moving; call; call = call->next_on_conn) {
		c->n_calls--;
		be->outstanding--;
		call->conn = NULL;
	}
	c->calls = NULL;
	conn_close(c);
	while (moving) {
		struct fcgi_call *call = moving;
		moving = call->next_on_conn;
		call->next_on_conn = NULL;
		call->moves++;
		call->state = CALL_WAITING;
		assign(call);
	}
}

static struct conn *conn_open(struct backend *be)
{
	struct fcgi_pool *pool = be->pool;
	struct conn *c = calloc(1, sizeof *c);
	int rc;
	if (!c)
		return NULL;
	c->be = be;
	c->state = CONN_CONNECTING;
	fcgi_parser_init(&c->parser);
	c->connect_req.data = c;
	if (be->addr->kind == FCGI_ADDR_UNIX) {
		uv_pipe_init(pool->loop, &c->h.pipe, 0);
		uv_pipe_connect(&c->connect_req, &c->h.pipe, be->addr->path, on_connected);
		rc = 0;
	} else {
		struct sockaddr_storage ss;
		uv_tcp_init(pool->loop, &c->h.tcp);
		uv_tcp_nodelay(&c->h.tcp, 1);
		if (strchr(be->addr->host, ':'))
			rc = uv_ip6_addr(be->addr->host, (int)be->addr->port, (struct sockaddr_in6 *)&ss);
		else
			rc = uv_ip4_addr(be->addr->host, (int)be->addr->port, (struct sockaddr_in *)&ss);
		if (rc == 0)
			rc = uv_tcp_connect(&c->connect_req, &c->h.tcp, (struct sockaddr *)&ss, on_connected);
	}
	c->h.handle.data = c;
	uv_timer_init(pool->loop, &c->connect_timer);
	c->connect_timer.data = c;
	c->open_handles = 2;
	c->next = be->conns;
	be->conns = c;
	be->n_conns++;
	if (rc != 0) {
		log_warn("route %s: fastcgi %s: cannot connect: %s", pool->route->name, be->addr->text,
		         uv_strerror(rc));
		backend_rest(be, BACKEND_DISABLED, FCGI_DISABLE_MS);
		conn_close(c);
		return NULL;
	}
	uv_timer_start(&c->connect_timer, on_connect_timeout,
	               (uint64_t)pool->route->connect_timeout_s * 1000, 0);
	return c;
}

/* ---- balancing ---- */

/* A connection with room for one more call, or NULL to wait for one. Until the backend
 * has said whether it multiplexes, one connection at a time. FCGI_MAX_REQS bounds the
 * backend's requests in flight (FastCGI 4.1). FCGI_MAX_CONNS is honoured only where
 * connections are shared: libfcgi says 1 per process even when a pool of processes
 * (fcgiwrap -c 4) shares the socket. */
static struct conn *conn_for(struct backend *be)
{
	unsigned cap = conn_capacity(be);
	for (struct conn *c = be->conns; c; c = c->next)
		if (c->state != CONN_CLOSING && c->n_calls < cap)
			return c;
	if (!be->values_known && be->n_conns >= 1)
		return NULL;
	if (be->mpxs == 1 && be->max_reqs > 0 && be->outstanding >= (unsigned long)be->max_reqs)
		return NULL;
	if (be->mpxs == 1 && be->max_conns > 0 && be->n_conns >= (unsigned long)be->max_conns)
		return NULL;
	return conn_open(be);
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

static void assign(struct fcgi_call *call)
{
	struct fcgi_pool *pool = call->pool;
	for (size_t tries = 0; tries <= pool->n_backends; tries++) {
		bool overloaded;
		struct backend *be = pick(pool, &overloaded);
		struct conn *c;
		if (!be) {
			fail_soon(call, overloaded ? FAIL_BUSY : FAIL_UNAVAILABLE);
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
	fail_soon(call, FAIL_UNAVAILABLE);
}

static void serve_waiting(struct fcgi_pool *pool)
{
	/* Each waiting call once, in order; one that must wait again goes back to the
	 * tail, and the calls behind it would find no more room. */
	struct fcgi_call *call;
	while ((call = pool->waiting_head)) {
		pool->waiting_head = call->next_waiting;
		if (!pool->waiting_head)
			pool->waiting_tail = NULL;
		call->next_waiting = NULL;
		assign(call);
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
	assign(call);
	return call;
}

void fcgi_call_abort(struct fcgi_call *call)
{
	struct conn *c = call->conn;
	if (call->state == CALL_DONE || call->state == CALL_FAILING)
		return;
	if (c && call->state == CALL_SENT) {
		detach(call);
		conn_close(c);
	}
	fail_soon(call, FAIL_UNAVAILABLE);
}

void fcgi_pool_free(struct fcgi_pool *pool)
{
	for (size_t i = 0; i < pool->n_backends; i++)
		while (pool->backends[i].conns)
			conn_close(pool->backends[i].conns);
	free(pool->backends);
	free(pool);
}
