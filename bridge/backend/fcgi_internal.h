/* fcgi_internal.h - the FastCGI pool's state, shared by fcgi_pool.c and fcgi_conn.c.
 *
 * A backend is one address, shared by every route naming it (struct fcgi_route holds
 * pointers to its backends). Three state machines: a backend is UP, DISABLED (its last
 * connect failed) or OVERLOADED (said so); a connection is CONNECTING, READY or
 * CLOSING; a call is WAITING (queued on a backend with no room), ATTACHED (on a
 * connection, sent once it is ready), SENT, FAILING (answered on the next loop turn) or
 * DONE. Nothing outside the pool sees these. */
#ifndef XC_FCGI_INTERNAL_H
#define XC_FCGI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "buf.h"
#include "fcgi_addr.h"
#include "fcgi_pool.h"
#include "fcgi_record.h"
#include "stderr_log.h"

enum backend_state { BACKEND_UP, BACKEND_DISABLED, BACKEND_OVERLOADED };
enum conn_state { CONN_CONNECTING, CONN_READY, CONN_CLOSING };
enum call_state { CALL_WAITING, CALL_ATTACHED, CALL_SENT, CALL_FAILING, CALL_DONE };

struct conn;

struct backend {
	struct fcgi_backends *all;
	char key[FCGI_ADDR_KEY_MAX];
	const struct fcgi_addr *addr; /* &own_addr */
	struct fcgi_addr own_addr;    /* as the first route naming it wrote it, copied: a
	                                 reload may free that route's configuration */
	enum backend_state state;
	uint64_t failed_at;  /* DISABLED: when the last connect failed (loop ms) */
	uint64_t rest_until; /* OVERLOADED: when the rest ends */
	unsigned failures;   /* connects failed in a row */
	unsigned n_conns;
	unsigned outstanding;     /* calls attached, from every route */
	long max_conns, max_reqs; /* from FCGI_GET_VALUES, 0 = not said */
	int mpxs;                 /* 1 only when the backend said so */
	bool values_asked;
	bool values_known;    /* answered GET_VALUES, or served a request without */
	unsigned served_max;  /* most connections seen answering at once (no multiplexing) */
	uint64_t probe_after; /* no connection beyond served_max before this (loop ms) */
	struct conn *conns;
	struct fcgi_call *waiting_head, *waiting_tail; /* calls of any route, in order */
	unsigned n_waiting;
	struct backend *next;
};

struct fcgi_route {
	struct fcgi_backends *all;
	const struct route_cfg *cfg;
	struct backend **backends; /* in the order of the route's fastcgi lines */
	size_t n_backends;
	struct fcgi_route *next;
};

struct fcgi_backends {
	uv_loop_t *loop;
	struct backend *backends;
	struct fcgi_route *routes;
	struct buf scratch; /* each request is encoded here, then written straight away */
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
	struct fcgi_route *route;
	struct backend *be;
	struct conn *conn;
	struct backend *waiting_on; /* CALL_WAITING: whose queue holds it */
	uint16_t id;
	struct backend_job spec;
	char tag[96];
	char err_tag[160];
	struct stderr_log err_log;
	struct cgi_response resp;
	enum backend_failure failing;
	bool got_bytes;
	unsigned retries; /* on a fresh connection after a dead kept-alive one */
	uint64_t tried;   /* bit i: route->backends[i] refused this call's connection */
	uv_timer_t timer;
	backend_done_cb cb;
	void *ud;
	struct fcgi_call *next_on_conn;
	struct fcgi_call *next_waiting;
};

/* What a connection tells the pool. The pool alone decides what becomes of the calls
 * (answered, moved, failed) and of the connection (kept, closed). */
enum conn_event {
	CONN_EV_CONNECTED,      /* the connect succeeded: the attached calls may be sent */
	CONN_EV_CONNECT_FAILED, /* why: refused or timed out; nothing was sent on it */
	CONN_EV_VALUES,         /* record: the backend's FCGI_GET_VALUES answer */
	CONN_EV_RECORD,         /* record: STDOUT, STDERR or END_REQUEST of call */
	CONN_EV_IDLE,           /* its records read, no call left on it */
	CONN_EV_LOST,           /* why: end of file or a read error */
	CONN_EV_PROTOCOL_ERROR, /* why: the backend broke the protocol */
	CONN_EV_CLOSED,         /* closing now; calls still on it are the pool's to fail */
};

struct conn_report {
	enum conn_event event;
	struct fcgi_call *call;          /* CONN_EV_RECORD */
	const struct fcgi_event *record; /* CONN_EV_VALUES, CONN_EV_RECORD */
	const char *why;                 /* CONN_EV_CONNECT_FAILED, LOST, PROTOCOL_ERROR */
};

/* fcgi_pool.c */
/* The one way a connection reports to the pool. Non-zero: stop reading c's records. */
int fcgi_conn_event(struct conn *c, const struct conn_report *r);
/* Some route lists it among its backends (fcgi_info.c). */
bool fcgi_backend_named(const struct backend *be);

/* fcgi_conn.c */
/* Connects within timeout_ms; NULL if that failed at once (*err: the libuv error; 0 when
 * memory ran out). */
struct conn *fcgi_conn_open(struct backend *be, unsigned timeout_ms, int *err);
void fcgi_conn_close(struct conn *c);
/* Writes len bytes now as far as the socket takes them; the rest is copied and queued.
 * -1 only when even queueing fails. A failed write shows up later as a lost connection. */
int fcgi_conn_send(struct conn *c, const char *data, size_t len);
/* Asks the backend for FCGI_MAX_CONNS, FCGI_MAX_REQS and FCGI_MPXS_CONNS. */
void fcgi_conn_ask_values(struct conn *c);
void fcgi_send_abort(struct conn *c, uint16_t id);

#endif
