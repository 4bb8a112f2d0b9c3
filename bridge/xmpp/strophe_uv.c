/* strophe_uv.c - libstrophe <-> libuv glue (see strophe_uv.h).
 *
 * The uv_poll handle never watches libstrophe's own descriptor: libstrophe closes its
 * socket before telling us, and libuv must not watch a closed descriptor. It watches a
 * duplicate we own, closed together with the handle. Each xmpp_run_once() writes the
 * queue, then reads at most 4096 bytes. A call that read is followed by another when
 * the read queued output (only the next call writes it) or when OpenSSL still holds
 * decrypted bytes that poll cannot see; for a TLS connection both are known from
 * strophe_tls_probe.c, and bytes still on the socket wake the level-triggered handle
 * again. A plain connection is asked with poll(2) on the duplicate whether more waits.
 * When a TLS connection runs without the probe (another TLS backend), poll plus a few
 * extra calls drain what TLS may hold. The socket is watched for writability while
 * libstrophe's queue holds stanzas or, over TLS, while its last write there stopped
 * short (the queue length leaves that stanza out). */
#include "strophe_uv.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "strophe_tls_probe.h"

#define SL_MAX_ROUNDS 64 /* bound on calls per pump while sockets stay readable */
#define SL_TLS_DRAIN 4   /* without the probe: extra calls for a 16 KiB record / 4 KiB */
#define SL_TICK_MS 250

struct sl_watch {
	uv_poll_t poll;
	int fd;         /* our duplicate */
	int strophe_fd; /* libstrophe's socket, as OpenSSL knows it */
	xmpp_conn_t *conn;
	struct strophe_loop *sl;
	struct sl_watch *next;
	int events; /* what the handle watches now; 0 when libuv stopped it */
	bool stopped;
};

static void pump(struct strophe_loop *sl);

/* A watch whose reads the probe cannot report: a plain connection, or TLS without it. */
static bool needs_poll(const struct sl_watch *w)
{
	return !w->stopped && !(tls_probe_active() && xmpp_conn_is_secured(w->conn));
}

/* Polls only the sockets the probe cannot speak for; *blind_tls: one of them is TLS. */
static bool any_readable(struct strophe_loop *sl, bool *blind_tls)
{
	struct pollfd fds[64];
	nfds_t n = 0;
	*blind_tls = false;
	for (struct sl_watch *w = sl->watches; w && n < 64; w = w->next)
		if (needs_poll(w)) {
			fds[n++] = (struct pollfd){.fd = w->fd, .events = POLLIN};
			if (xmpp_conn_is_secured(w->conn))
				*blind_tls = true;
		}
	return n && poll(fds, n, 0) > 0;
}

static void on_poll(uv_poll_t *h, int status, int events);

/* Whether a handler queued output (an answer, an ack) during the last call. */
static bool any_queued(struct strophe_loop *sl)
{
	for (struct sl_watch *w = sl->watches; w; w = w->next)
		if (!w->stopped && xmpp_conn_send_queue_len(w->conn) > 0)
			return true;
	return false;
}

/* Changes the watch only when it must: an epoll_ctl per event is measurable. */
static void arm(struct sl_watch *w)
{
	int events = UV_READABLE;
	if (xmpp_conn_send_queue_len(w->conn) > 0 ||
	    (sl_sees_short_writes(w->conn) && tls_probe_write_short(w->strophe_fd)))
		events |= UV_WRITABLE;
	if (events != w->events && uv_poll_start(&w->poll, events, on_poll) == 0)
		w->events = events;
}

static void pump(struct strophe_loop *sl)
{
	int rounds = 0, drain = SL_TLS_DRAIN;
	if (sl->pumping)
		return; /* never re-enter libstrophe */
	sl->pumping = true;
	for (;;) {
		bool blind_tls, readable = any_readable(sl, &blind_tls), more;
		tls_probe_reset();
		xmpp_run_once(sl->ctx, 0);
		/* this call read: the next writes what it queued, reads on */
		more = readable || tls_probe_pending() || (tls_probe_read() && any_queued(sl));
		if (++rounds >= SL_MAX_ROUNDS) {
			if (more)
				sl_kick(sl); /* go on next turn: poll cannot see what TLS holds */
			break;
		}
		if (more)
			continue;
		if (!blind_tls || drain-- == 0)
			break;
	}
	sl->pumping = false;
	for (struct sl_watch *w = sl->watches; w; w = w->next)
		if (!w->stopped)
			arm(w);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	struct sl_watch *w = h->data;
	(void)events;
	/* libuv reports POLLERR as an error and stops the handle; libstrophe must still
	 * see the failure, and arm() restarts the handle if the socket lives on. */
	if (status < 0) {
		log_debug("xmpp socket %d: poll: %s", w->fd, uv_strerror(status));
		w->events = 0; /* libuv stopped the handle */
	}
	pump(w->sl);
}

static void on_kick(uv_idle_t *h)
{
	struct strophe_loop *sl = h->data;
	uv_idle_stop(h);
	pump(sl);
}

static void on_tick(uv_timer_t *t) { pump(t->data); }

void sl_init(struct strophe_loop *sl, uv_loop_t *loop, xmpp_ctx_t *ctx)
{
	sl->loop = loop;
	sl->ctx = ctx;
	sl->watches = NULL;
	sl->ticking = 0;
	sl->pumping = false;
	uv_idle_init(loop, &sl->kick);
	sl->kick.data = sl;
	uv_timer_init(loop, &sl->tick);
	sl->tick.data = sl;
}

void sl_close(struct strophe_loop *sl)
{
	uv_close((uv_handle_t *)&sl->kick, NULL);
	uv_close((uv_handle_t *)&sl->tick, NULL);
}

void sl_kick(struct strophe_loop *sl)
{
	if (!uv_is_active((uv_handle_t *)&sl->kick))
		uv_idle_start(&sl->kick, on_kick);
}

void sl_need_tick(struct strophe_loop *sl, int delta)
{
	if (delta < 0 && sl->ticking == 0)
		return;
	sl->ticking += delta;
	if (sl->ticking && !uv_is_active((uv_handle_t *)&sl->tick))
		uv_timer_start(&sl->tick, on_tick, SL_TICK_MS, SL_TICK_MS);
	else if (!sl->ticking)
		uv_timer_stop(&sl->tick);
}

struct sl_watch *sl_watch_start(struct strophe_loop *sl, xmpp_conn_t *conn, int fd)
{
	struct sl_watch *w = calloc(1, sizeof *w);
	if (!w)
		return NULL;
	w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (w->fd < 0 || uv_poll_init_socket(sl->loop, &w->poll, w->fd) != 0) {
		log_error("cannot watch xmpp socket %d", fd);
		if (w->fd >= 0)
			close(w->fd);
		free(w);
		return NULL;
	}
	w->strophe_fd = fd;
	w->conn = conn;
	w->sl = sl;
	w->poll.data = w;
	w->next = sl->watches;
	sl->watches = w;
	arm(w);
	sl_kick(sl);
	return w;
}

static void on_watch_closed(uv_handle_t *h)
{
	struct sl_watch *w = h->data;
	close(w->fd);
	free(w);
}

void sl_watch_stop(struct sl_watch *w)
{
	struct sl_watch **pp;
	if (!w || w->stopped)
		return;
	w->stopped = true;
	for (pp = &w->sl->watches; *pp; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	uv_close((uv_handle_t *)&w->poll, on_watch_closed);
}

int sl_watch_fd(const struct sl_watch *w) { return w ? w->fd : -1; }

bool sl_sees_short_writes(xmpp_conn_t *conn)
{
	return tls_probe_sees_writes() && xmpp_conn_is_secured(conn);
}
