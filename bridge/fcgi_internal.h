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
	struct cgi_spec spec;
	char tag[96];
	char err_tag[160];
	struct stderr_log err_log;
	struct cgi_response resp;
	enum bridge_failure failing;
	bool got_bytes;
	unsigned retries; /* on a fresh connection after a dead kept-alive one */
	uint64_t tried;   /* bit i: route->backends[i] refused this call's connection */
	uv_timer_t timer;
	cgi_done_cb cb;
	void *ud;
	struct fcgi_call *next_on_conn;
	struct fcgi_call *next_waiting;
};

struct write_req {
	uv_write_t req;
	struct buf data;
};

/* fcgi_pool.c */
void fcgi_finish(struct fcgi_call *call, enum bridge_failure f);
void fcgi_fail_soon(struct fcgi_call *call, enum bridge_failure f);
void fcgi_detach(struct fcgi_call *call);
void fcgi_assign(struct fcgi_call *call);
/* A connect to be failed: no other call of this one goes there. */
void fcgi_mark_tried(struct fcgi_call *call, const struct backend *be);
void fcgi_serve_waiting(struct backend *be);
/* The last connect to be failed: DISABLED, and the routes apply their backend_rest. */
void fcgi_backend_failed(struct backend *be, const char *why);
/* Some route lists it among its backends. */
bool fcgi_backend_named(const struct backend *be);
/* It answered FCGI_OVERLOADED: every route leaves it alone FCGI_OVERLOAD_MS. */
void fcgi_backend_overloaded(struct backend *be);
void fcgi_send_call(struct fcgi_call *call);
unsigned fcgi_conn_capacity(const struct backend *be);
/* Makes the backend stop working on a call we give up; true if the connection closed. */
bool fcgi_abandon(struct fcgi_call *call);

/* A call on c received its first byte: the backend serves c. */
void fcgi_note_served(struct conn *c);

/* fcgi_conn.c */
/* Connects within timeout_ms; NULL if that failed at once (the backend is then
 * DISABLED) or memory ran out. */
struct conn *fcgi_conn_open(struct backend *be, unsigned timeout_ms);
void fcgi_conn_close(struct conn *c);
int fcgi_conn_write(struct conn *c, struct write_req *w);
void fcgi_send_abort(struct conn *c, uint16_t id);

#endif
