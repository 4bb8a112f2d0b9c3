/* bench_xmpp.h - the libstrophe plumbing shared by the bench programs (loadgen.c,
 * native-responder.c): connection set-up as the bridge does it (stream management
 * off, TLS with a CA file, keepalive socket options), the component SM-state
 * workaround, and an event-driven pump around xmpp_run_once().
 *
 * The pump does not spin: it waits in poll(2) on the connection's socket, then calls
 * xmpp_run_once(ctx, 0) again for as long as the previous call made progress (the
 * caller's handlers bump xb->progress), plus a few calls more for TLS records that
 * OpenSSL already holds (libstrophe reads 4 KiB per call; poll cannot see them). A
 * call writes the send queue only at its start, so the call after the one that
 * handled a stanza is the one that sends the answer. doc/design-notes.md section 5.
 *
 * Header-only (static functions): each bench program is one translation unit. */
#ifndef BENCH_XMPP_H
#define BENCH_XMPP_H

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>
#include <time.h>

#define XB_TLS_DRAIN 4 /* extra calls after progress stops: 16 KiB TLS record / 4 KiB */

struct xb {
	xmpp_ctx_t *ctx;
	xmpp_conn_t *conn;
	int fd;                 /* libstrophe's socket (it has no getter) */
	int online;             /* 1 connected, -1 failed or lost, 0 connecting */
	int closing;            /* xmpp_disconnect() called: a disconnect is no news */
	unsigned long progress; /* bumped by stanza handlers */
};

static int xb_pending_fd = -1;

static inline int xb_sockopt(xmpp_conn_t *conn, void *sockp)
{
	xb_pending_fd = *(int *)sockp;
	return xmpp_sockopt_cb_keepalive(conn, sockp);
}

static inline int xb_sockopt_refuse(xmpp_conn_t *conn, void *sockp)
{
	(void)conn;
	(void)sockp;
	return -1;
}

static inline void xb_conn_cb(xmpp_conn_t *conn, xmpp_conn_event_t ev, int error,
                              xmpp_stream_error_t *se, void *ud)
{
	struct xb *xb = ud;
	(void)conn;
	if (ev == XMPP_CONN_CONNECT || ev == XMPP_CONN_RAW_CONNECT) {
		xb->online = 1;
		return;
	}
	if (xb->online >= 0 && !xb->closing)
		fprintf(stderr, "xmpp: %s (error %d%s%s)\n",
		        xb->online ? "connection lost" : "connect/login failed", error,
		        se && se->text ? ": " : "", se && se->text ? se->text : "");
	xb->online = -1;
}

static inline uint64_t xb_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void xb_init(struct xb *xb)
{
	memset(xb, 0, sizeof *xb);
	xb->fd = -1;
	xmpp_initialize();
	/* A logger that drops everything (NULL would mean libstrophe's default). */
	static const xmpp_log_t quiet = {NULL, NULL};
	xb->ctx = xmpp_ctx_new(
	    NULL, getenv("BENCH_XMPP_DEBUG") ? xmpp_get_default_logger(XMPP_LEVEL_DEBUG) : &quiet);
	xb->conn = xmpp_conn_new(xb->ctx);
	xmpp_conn_set_sockopt_callback(xb->conn, xb_sockopt);
}

/* Client login like the bridge's: SM off, TLS required, verified against cafile. */
static inline int xb_connect_client(struct xb *xb, const char *jid, const char *pass,
                                    const char *host, unsigned short port, const char *cafile)
{
	long flags = XMPP_CONN_FLAG_DISABLE_SM | XMPP_CONN_FLAG_MANDATORY_TLS;
	xmpp_conn_set_flags(xb->conn, flags);
	xmpp_conn_set_jid(xb->conn, jid);
	xmpp_conn_set_pass(xb->conn, pass);
	if (cafile)
		xmpp_conn_set_cafile(xb->conn, cafile);
	xb_pending_fd = -1;
	if (xmpp_connect_client(xb->conn, host, port, xb_conn_cb, xb) != XMPP_EOK || xb_pending_fd < 0)
		return -1;
	xb->fd = xb_pending_fd;
	return 0;
}

/* XEP-0114 component. xmpp_connect_component() never allocates the stream-management
 * state that the receive path dereferences (doc/design-notes.md section 5): take one from a
 * scratch client connection whose connect attempt was refused before any socket
 * connected (the sockopt callback says no), and hand it over. */
static inline int xb_connect_component(struct xb *xb, const char *domain, const char *secret,
                                       const char *host, unsigned short port)
{
	xmpp_conn_t *scratch = xmpp_conn_new(xb->ctx);
	xmpp_sm_state_t *sm;
	xmpp_conn_set_flags(scratch, XMPP_CONN_FLAG_DISABLE_SM);
	xmpp_conn_set_jid(scratch, "sm-state@localhost");
	xmpp_conn_set_sockopt_callback(scratch, xb_sockopt_refuse);
	xmpp_connect_client(scratch, "127.0.0.1", 9, NULL, NULL); /* fails at once */
	sm = xmpp_conn_get_sm_state(scratch);
	xmpp_conn_release(scratch);
	if (!sm || xmpp_conn_set_sm_state(xb->conn, sm) != XMPP_EOK) {
		fprintf(stderr, "component: cannot obtain a stream-management state\n");
		return -1;
	}
	xmpp_conn_set_jid(xb->conn, domain);
	xmpp_conn_set_pass(xb->conn, secret);
	xb_pending_fd = -1;
	if (xmpp_connect_component(xb->conn, host, port, xb_conn_cb, xb) != XMPP_EOK ||
	    xb_pending_fd < 0)
		return -1;
	xb->fd = xb_pending_fd;
	return 0;
}

/* Wait up to timeout_ms for the socket, then run libstrophe until it stops making
 * progress. Returns 1 if any stanza was handled. */
static inline int xb_pump(struct xb *xb, int timeout_ms)
{
	struct pollfd p = {.fd = xb->fd, .events = POLLIN};
	unsigned long start = xb->progress, before;
	int drain = XB_TLS_DRAIN, rounds = 0;
	if (xmpp_conn_send_queue_len(xb->conn) > 0) {
		p.events |= POLLOUT;
		if (timeout_ms > 1)
			timeout_ms = 1; /* a partial write is not always counted: do not sleep on it */
	}
	if (xb->fd >= 0)
		poll(&p, 1, timeout_ms);
	for (;;) {
		before = xb->progress;
		xmpp_run_once(xb->ctx, 0);
		if (++rounds >= 4096 || xb->online < 0)
			break;
		if (xb->progress != before) {
			drain = XB_TLS_DRAIN;
			continue;
		}
		if (drain-- == 0)
			break;
	}
	return xb->progress != start;
}

/* Login: libstrophe queues each auth step during a call and writes it on the next, so
 * poll with a short timeout until the session is up. */
static inline int xb_wait_online(struct xb *xb, double seconds)
{
	uint64_t deadline = xb_now_ns() + (uint64_t)(seconds * 1e9);
	while (xb->online == 0 && xb_now_ns() < deadline)
		xb_pump(xb, 2);
	return xb->online == 1 ? 0 : -1;
}

/* Writes s with XML attribute escaping into out (size cap); returns length. */
static inline size_t xb_attr_escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; s && *s && n + 7 < cap; s++) {
		const char *r = NULL;
		switch (*s) {
		case '&':
			r = "&amp;";
			break;
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '\'':
			r = "&apos;";
			break;
		case '"':
			r = "&quot;";
			break;
		}
		if (r) {
			size_t l = strlen(r);
			memcpy(out + n, r, l);
			n += l;
		} else
			out[n++] = *s;
	}
	out[n] = '\0';
	return n;
}

#endif
