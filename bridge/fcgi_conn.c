/* fcgi_conn.c - one FastCGI connection: connect with a deadline, write records, read
 * and dispatch them to the calls it carries, notice its loss.
 *
 * Part of the pool (fcgi_pool.c owns backends, calls and balancing); the shared state
 * is in fcgi_internal.h. The connection never decides a call's fate alone: it reports
 * END_REQUEST, loss and protocol errors, and fcgi_pool.c's functions answer. A
 * connection belongs to a backend, not to a route: its calls may come from any route
 * naming that backend, so what concerns the backend is logged under its address. */
#include <fastcgi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fcgi_internal.h"
#include "fcgi_record.h"
#include "log.h"

static char read_scratch[64 * 1024];

/* ---- writing ---- */

static void write_done(uv_write_t *req, int status)
{
	struct write_req *w = req->data;
	(void)status; /* a failed write shows up as a read error or EOF */
	buf_free(&w->data);
	free(w);
}

int fcgi_conn_write(struct conn *c, struct write_req *w)
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

void fcgi_send_abort(struct conn *c, uint16_t id)
{
	struct write_req *w = calloc(1, sizeof *w);
	if (!w)
		return;
	if (fcgi_encode_abort(&w->data, id) != 0) {
		buf_free(&w->data);
		free(w);
		return;
	}
	fcgi_conn_write(c, w);
}

/* ---- connections ---- */

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->open_handles == 0)
		free(c);
}

/* Closes c; calls still on it must have been detached or are failed here. */
void fcgi_conn_close(struct conn *c)
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
		fcgi_detach(call);
		fcgi_fail_soon(call, call->got_bytes ? BACKEND_HANDLER : BACKEND_UNAVAILABLE);
	}
	uv_close(&c->h.handle, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->connect_timer, on_conn_handle_closed);
}

/* The connection died before an answer: move calls that got nothing, fail the rest. */
static void conn_lost(struct conn *c, const char *why)
{
	struct fcgi_call *moving = NULL;
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
			log_warn("%s: the backend closed the connection without answering (%s)", call->err_tag,
			         why);
		else
			log_warn("%s: the backend closed the connection mid-answer (%s)", call->err_tag, why);
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
		log_warn("%s: request refused (protocol status %u: unknown role)", call->err_tag,
		         ev->protocol_status);
		fcgi_finish(call, BACKEND_HANDLER);
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
		log_debug("fastcgi %s: max_conns %ld, max_reqs %ld, multiplexing %s", be->addr->text,
		          be->max_conns, be->max_reqs, be->mpxs ? "yes" : "no");
		fcgi_serve_waiting(be);
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
		if (!call->got_bytes)
			fcgi_note_served(c);
		call->got_bytes = true;
		if (ev->len && response_feed(&call->resp, ev->data, ev->len) == RESP_ERROR &&
		    call->resp.error == RESP_E_TOO_LARGE) {
			bool closed;
			log_warn("%s: output over %zu bytes", call->err_tag, call->resp.max_total);
			closed = fcgi_abandon(call);
			fcgi_finish(call, BACKEND_TOO_LARGE);
			return closed ? 1 : 0;
		}
		break;
	case FCGI_EV_STDERR:
		if (!call->got_bytes)
			fcgi_note_served(c);
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
			fcgi_conn_close(c);
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
			fcgi_conn_close(c); /* an idle connection the backend closed */
		return;
	}
	rc = fcgi_parse(&c->parser, buf->base, (size_t)nread, on_record, c);
	if (c->state == CONN_CLOSING)
		return;
	if (rc < 0) {
		log_warn("fastcgi %s: protocol error: %s", c->be->addr->text, c->parser.error);
		while (c->calls) {
			struct fcgi_call *call = c->calls;
			fcgi_detach(call);
			fcgi_finish(call, BACKEND_HANDLER);
		}
		fcgi_conn_close(c);
		return;
	}
	if (c->state == CONN_READY && c->n_calls == 0) {
		c->reused = true;
		trim_idle(c->be);
	}
}

/* The backend could not be reached: the calls waiting for this connection, of which
 * nothing was sent, go to another backend of their route, or fail if it has none left
 * for them. So do the calls queued on the backend when it has no other connection:
 * they were waiting for this one. */
static void connect_failed(struct conn *c, const char *why)
{
	struct backend *be = c->be;
	struct fcgi_call *moving = c->calls;
	fcgi_backend_failed(be, why);
	for (struct fcgi_call *call = moving; call; call = call->next_on_conn) {
		c->n_calls--;
		be->outstanding--;
		call->conn = NULL;
		fcgi_mark_tried(call, be);
	}
	c->calls = NULL;
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

static void on_connected(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	struct backend *be = c->be;
	if (c->state == CONN_CLOSING)
		return;
	uv_timer_stop(&c->connect_timer);
	if (status < 0) {
		connect_failed(c, uv_strerror(status));
		return;
	}
	c->state = CONN_READY;
	if (be->state == BACKEND_DISABLED) {
		log_info("fastcgi %s: connected again after %u failed attempt%s", be->addr->text,
		         be->failures, be->failures == 1 ? "" : "s");
		be->state = BACKEND_UP;
	}
	be->failures = 0;
	uv_read_start(&c->h.stream, on_alloc, on_read);
	if (!be->values_asked) {
		struct write_req *w = calloc(1, sizeof *w);
		be->values_asked = true;
		if (w && fcgi_encode_get_values(&w->data) == 0)
			fcgi_conn_write(c, w);
		else if (w) {
			buf_free(&w->data);
			free(w);
		}
	}
	for (struct fcgi_call *call = c->calls; call; call = call->next_on_conn)
		if (call->state == CALL_ATTACHED)
			fcgi_send_call(call);
}

static void on_connect_timeout(uv_timer_t *t)
{
	/* Closing the handle cancels the connect; on_connected then sees state CLOSING,
	 * so the calls are handled here. */
	connect_failed(t->data, "timed out");
}

struct conn *fcgi_conn_open(struct backend *be, unsigned timeout_ms)
{
	uv_loop_t *loop = be->all->loop;
	struct conn *c = calloc(1, sizeof *c);
	int rc;
	if (!c)
		return NULL;
	c->be = be;
	c->state = CONN_CONNECTING;
	fcgi_parser_init(&c->parser);
	c->connect_req.data = c;
	if (be->addr->kind == FCGI_ADDR_UNIX) {
		uv_pipe_init(loop, &c->h.pipe, 0);
		uv_pipe_connect(&c->connect_req, &c->h.pipe, be->addr->path, on_connected);
		rc = 0;
	} else {
		struct sockaddr_storage ss;
		uv_tcp_init(loop, &c->h.tcp);
		uv_tcp_nodelay(&c->h.tcp, 1);
		if (strchr(be->addr->host, ':'))
			rc = uv_ip6_addr(be->addr->host, (int)be->addr->port, (struct sockaddr_in6 *)&ss);
		else
			rc = uv_ip4_addr(be->addr->host, (int)be->addr->port, (struct sockaddr_in *)&ss);
		if (rc == 0)
			rc = uv_tcp_connect(&c->connect_req, &c->h.tcp, (struct sockaddr *)&ss, on_connected);
	}
	c->h.handle.data = c;
	uv_timer_init(loop, &c->connect_timer);
	c->connect_timer.data = c;
	c->open_handles = 2;
	c->next = be->conns;
	be->conns = c;
	be->n_conns++;
	if (rc != 0) {
		fcgi_backend_failed(be, uv_strerror(rc));
		fcgi_conn_close(c);
		return NULL;
	}
	uv_timer_start(&c->connect_timer, on_connect_timeout, timeout_ms, 0);
	return c;
}
