/* fcgi_conn.c - one FastCGI connection: connect with a deadline, write records, read
 * and parse them, find the call a record is for, notice the connection's loss.
 *
 * Part of the pool (fcgi_pool.c owns backends, calls and balancing); the shared state
 * is in fcgi_internal.h. The connection never decides a call's fate: everything it
 * learns goes to the pool through the one function fcgi_conn_event (connected, connect
 * failed, a record, idle, lost, protocol error, closed), and the pool answers calls,
 * moves them or closes the connection. */
#include <fastcgi.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fcgi_internal.h"
#include "fcgi_record.h"

static char read_scratch[64 * 1024];

/* ---- writing ---- */

struct write_req {
	uv_write_t req;
	char data[];
};

static void write_done(uv_write_t *req, int status)
{
	(void)status; /* a failed write shows up as a read error or EOF */
	free(req->data);
}

/* Most requests fit in the socket's buffer: uv_try_write takes them whole, with no
 * allocation, no completion callback and no change to what epoll watches (after a
 * uv_write, libuv re-registers the descriptor once the queue drains: one epoll_ctl per
 * request). uv_try_write refuses while earlier writes wait, so the order holds. */
int fcgi_conn_send(struct conn *c, const char *data, size_t len)
{
	struct write_req *w;
	uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
	int n = uv_try_write(&c->h.stream, &b, 1);
	if (n > 0) {
		data += n;
		len -= (size_t)n;
	}
	if (len == 0)
		return 0;
	w = malloc(sizeof *w + len);
	if (!w)
		return -1;
	memcpy(w->data, data, len);
	w->req.data = w;
	b = uv_buf_init(w->data, (unsigned)len);
	if (uv_write(&w->req, &c->h.stream, &b, 1, write_done) != 0) {
		free(w);
		return -1;
	}
	return 0;
}

/* Encodes a management record with encode and sends it. */
static void send_record(struct conn *c, int (*encode)(struct buf *, uint16_t), uint16_t id)
{
	struct buf b = {0};
	if (encode(&b, id) == 0)
		fcgi_conn_send(c, b.data, b.len);
	buf_free(&b);
}

static int encode_get_values(struct buf *b, uint16_t id)
{
	(void)id;
	return fcgi_encode_get_values(b);
}

void fcgi_conn_ask_values(struct conn *c) { send_record(c, encode_get_values, 0); }

void fcgi_send_abort(struct conn *c, uint16_t id) { send_record(c, fcgi_encode_abort, id); }

/* ---- connections ---- */

static void on_conn_handle_closed(uv_handle_t *h)
{
	struct conn *c = h->data;
	if (--c->open_handles == 0)
		free(c);
}

/* Closes c; the pool is told (CONN_EV_CLOSED) while calls may still be on it. */
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
	fcgi_conn_event(c, &(struct conn_report){.event = CONN_EV_CLOSED});
	uv_close(&c->h.handle, on_conn_handle_closed);
	uv_close((uv_handle_t *)&c->connect_timer, on_conn_handle_closed);
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

static int on_record(void *ud, const struct fcgi_event *ev)
{
	struct conn *c = ud;
	struct fcgi_call *call;
	if (ev->type == FCGI_EV_VALUES)
		return fcgi_conn_event(c, &(struct conn_report){.event = CONN_EV_VALUES, .record = ev});
	if (ev->type == FCGI_EV_UNKNOWN)
		return 0;
	call = call_by_id(c, ev->id);
	if (!call) {
		if (ev->type == FCGI_EV_END)
			unretire(c, ev->id);
		return 0; /* an aborted or timed-out call */
	}
	return fcgi_conn_event(
	    c, &(struct conn_report){.event = CONN_EV_RECORD, .call = call, .record = ev});
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(read_scratch, sizeof read_scratch);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *c = s->data;
	int rc;
	if (c->state == CONN_CLOSING)
		return;
	if (nread < 0) {
		fcgi_conn_event(c, &(struct conn_report){.event = CONN_EV_LOST,
		                                         .why = nread == UV_EOF ? "end of file"
		                                                                : uv_strerror((int)nread)});
		return;
	}
	rc = fcgi_parse(&c->parser, buf->base, (size_t)nread, on_record, c);
	if (c->state == CONN_CLOSING)
		return;
	if (rc < 0)
		fcgi_conn_event(
		    c, &(struct conn_report){.event = CONN_EV_PROTOCOL_ERROR, .why = c->parser.error});
	else if (c->state == CONN_READY && c->n_calls == 0)
		fcgi_conn_event(c, &(struct conn_report){.event = CONN_EV_IDLE});
}

static void on_connected(uv_connect_t *req, int status)
{
	struct conn *c = req->data;
	if (c->state == CONN_CLOSING)
		return;
	uv_timer_stop(&c->connect_timer);
	if (status < 0) {
		fcgi_conn_event(
		    c, &(struct conn_report){.event = CONN_EV_CONNECT_FAILED, .why = uv_strerror(status)});
		return;
	}
	c->state = CONN_READY;
	uv_read_start(&c->h.stream, on_alloc, on_read);
	fcgi_conn_event(c, &(struct conn_report){.event = CONN_EV_CONNECTED});
}

static void on_connect_timeout(uv_timer_t *t)
{
	/* Closing the handle cancels the connect; on_connected then sees state CLOSING,
	 * so the calls are handled here. */
	fcgi_conn_event(t->data,
	                &(struct conn_report){.event = CONN_EV_CONNECT_FAILED, .why = "timed out"});
}

struct conn *fcgi_conn_open(struct backend *be, unsigned timeout_ms, int *err)
{
	uv_loop_t *loop = be->all->loop;
	struct conn *c = calloc(1, sizeof *c);
	int rc;
	*err = 0;
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
		*err = rc;
		fcgi_conn_close(c);
		return NULL;
	}
	uv_timer_start(&c->connect_timer, on_connect_timeout, timeout_ms, 0);
	return c;
}
