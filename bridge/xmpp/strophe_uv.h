/* strophe_uv.h - drives a libstrophe context from the libuv loop, without polling.
 *
 * libstrophe owns its sockets and only offers xmpp_run_once(). This module watches a
 * close-on-exec duplicate of each connection's socket with a uv_poll handle and, on
 * every event or kick, calls xmpp_run_once(ctx, 0) until it stops making progress
 * (see doc/design-notes.md section 5 for why once is not enough). A coarse timer runs only
 * while some connection is connecting or disconnecting, for libstrophe's own timeouts. */
#ifndef XC_STROPHE_UV_H
#define XC_STROPHE_UV_H

#include <stdbool.h>
#include <strophe.h>
#include <uv.h>

struct sl_watch;

struct strophe_loop {
	uv_loop_t *loop;
	xmpp_ctx_t *ctx;
	uv_idle_t kick;   /* runs one pump on the next loop turn, then stops */
	uv_timer_t tick;  /* libstrophe's timeouts while connections are in transition */
	unsigned ticking; /* connections needing the tick */
	struct sl_watch *watches;
	bool pumping;
};

void sl_init(struct strophe_loop *sl, uv_loop_t *loop, xmpp_ctx_t *ctx);
void sl_close(struct strophe_loop *sl);
/* Starts watching fd (a socket libstrophe owns) for conn. Returns the watch or NULL. */
struct sl_watch *sl_watch_start(struct strophe_loop *sl, xmpp_conn_t *conn, int fd);
/* Stops watching and closes the duplicate; call before libstrophe's socket goes away. */
void sl_watch_stop(struct sl_watch *w);
/* Our duplicate of the socket (for getpeername), or -1. */
int sl_watch_fd(const struct sl_watch *w);
/* True when a write to conn that stops short is seen (TLS through strophe_tls_probe.c)
 * and keeps the socket watched for writability, so the queue needs no keepalive
 * behind each stanza to stay visible. */
bool sl_sees_short_writes(xmpp_conn_t *conn);
/* Asks for a pump on the next loop turn (after queueing output outside libstrophe). */
void sl_kick(struct strophe_loop *sl);
/* A connection entered (+1) or left (-1) a connecting/disconnecting state. */
void sl_need_tick(struct strophe_loop *sl, int delta);

#endif
