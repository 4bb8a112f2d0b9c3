/* xmpp_link.c - a route's XMPP client connection (see xmpp_link.h).
 *
 * State is explicit: IDLE -> CONNECTING -> ONLINE, and on any loss BACKOFF -> CONNECTING
 * again; link_stop() leads through CLOSING to CLOSED. In client mode XEP-0198 stream
 * management is used when the server offers it (doc/design-notes.md section 6): the link
 * keeps what the server has not acknowledged (sm_track.h), resends it after a resumption
 * or, when recent enough, in a new session, and drops iq requests delivered twice.
 * Without it (component mode, or a server without it) replies that cannot be sent, and
 * those libstrophe had not written when the connection fell, wait in the outbox. */
#include "xmpp_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link_error.h"
#include "log.h"
#include "sm_track.h"
#include "xml_check.h"

enum link_state {
	LINK_IDLE,
	LINK_CONNECTING,
	LINK_ONLINE,
	LINK_BACKOFF,
	LINK_CLOSING,
	LINK_CLOSED
};

/* Stream management in the current session: not used, asked for and not yet answered
 * (the link cannot tell yet whether the server counts), or counting. */
enum link_sm_phase { SM_OFF, SM_PENDING, SM_ACTIVE };

#define LINK_SM_MAX_UNACKED 256    /* sent and not acknowledged; more waits in the outbox */
#define LINK_OWN_ID "xmpp-cgi-sm-" /* ids of the link's own pings */
#define LINK_PUMP_MS 1000          /* unacknowledged this long: run libstrophe once more */
#define LINK_SEEN_MAX 65536
#define LINK_SEEN_WINDOW_MS 30000
#define LINK_SEEN_RUNNING_MAX_MS 3600000

struct xmpp_link {
	enum link_state state;
	const struct config *cfg;
	struct strophe_loop *sl;
	xmpp_conn_t *conn;
	struct sl_watch *watch;
	int pending_fd; /* socket reported by the sockopt callback during connect */
	int slot;       /* a descriptor number below FD_SETSIZE kept for this link's socket */
	unsigned attempt;
	unsigned long reconnects; /* retries started, for the metrics */
	uv_timer_t retry;
	struct sm_item *out_head, *out_tail;
	unsigned out_len;
	enum link_sm_phase sm;
	struct sm_unacked unacked; /* SM_PENDING, SM_ACTIVE: sent in this session, not counted */
	struct iq_seen seen;
	uv_timer_t ack_timer;
	uint64_t last_ack_ms;
	char barrier_id[32]; /* the ping after login that tells whether SM is on */
	unsigned barrier_n;
	int timers_closed;
	bool ack_asked;      /* the ack check asked once since the last ack */
	uint64_t last_rx_ms; /* the last stanza or nonza received */
	char route[72];      /* client mode: the route; component mode: "" */
	char label[100];     /* "route NAME" or "component DOMAIN", for messages */
	char bare[320];
	char full[400];
	char remote_addr[INET6_ADDRSTRLEN];
	link_stanza_cb cb;
	link_state_cb state_cb; /* optional */
	void *ud;
};

/* The sockopt callback has no user data; connects are synchronous, so the link being
 * connected is known while the callback can run. */
static struct xmpp_link *connecting;

/* The server's reason for the last refused login: libstrophe keeps SASL failures to its
 * debug log, so link_strophe_log() fishes the condition out of the received text. The
 * same goes for OpenSSL's reason behind a TLS failure. */
static char login_failure[64];
static char tls_reason[128];

/* libstrophe resumes a session by itself and reports it as an ordinary connect; its
 * debug log shows the server's <resumed h='N'/> just before (doc/design-notes.md
 * section 6). Read in the same call that fires the connect. */
static bool resumed_seen;
static unsigned long resumed_h;

static void note_resumed(const char *msg)
{
	const char *p = strstr(msg, " h=");
	char *end;
	if (!p || (p[3] != '"' && p[3] != '\''))
		return;
	resumed_h = strtoul(p + 4, &end, 10);
	resumed_seen = end != p + 4 && *end == p[3];
}

static void note_login_failure(const char *msg)
{
	const char *p = strstr(msg, "<failure");
	const char *end;
	size_t len;
	if (!p || !strstr(p, "urn:ietf:params:xml:ns:xmpp-sasl"))
		return;
	p = strchr(p, '>');
	if (!p || p[-1] == '/' || p[1] != '<')
		return;
	p += 2;
	end = p + strcspn(p, " />");
	len = (size_t)(end - p);
	if (len >= sizeof login_failure)
		len = sizeof login_failure - 1;
	memcpy(login_failure, p, len);
	login_failure[len] = '\0';
}

void link_strophe_log(const char *area, const char *msg)
{
	/* OpenSSL's queue as libstrophe prints it: "error:CODE:LIBRARY:FUNCTION:REASON" */
	if (strcmp(area, "tls") == 0 && strncmp(msg, "error:", 6) == 0)
		snprintf(tls_reason, sizeof tls_reason, "%s", strrchr(msg, ':') + 1);
	else if (strncmp(msg, "RECV: <failure", 14) == 0)
		note_login_failure(msg);
	else if (strncmp(msg, "RECV: <resumed", 14) == 0)
		note_resumed(msg);
}

static void set_state(struct xmpp_link *l, enum link_state s)
{
	bool was = l->state == LINK_CONNECTING || l->state == LINK_CLOSING;
	bool is = s == LINK_CONNECTING || s == LINK_CLOSING;
	if (was != is)
		sl_need_tick(l->sl, is ? 1 : -1);
	l->state = s;
}

/* libstrophe select()s, so its socket must be numbered below FD_SETSIZE however many
 * descriptors the handlers' pipes take (doc/design-notes.md section 5). Each link keeps a
 * number reserved from start-up, held by /dev/null while no socket uses it; the socket
 * is moved onto it before it connects, and the placeholder is put back the moment
 * libstrophe closes the socket. Nothing else runs in between: one thread. */
static int reserve_slot(int slot)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (slot < 0 || fd == slot)
		return fd;
	if (dup3(fd, slot, O_CLOEXEC) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return slot;
}

static void refill_slot(struct xmpp_link *l)
{
	if (l->slot >= 0 && fcntl(l->slot, F_GETFD) < 0)
		reserve_slot(l->slot);
}

/* Every socket libstrophe creates passes here before connect(). */
static int on_sockopt(xmpp_conn_t *conn, void *sockp)
{
	int *fdp = sockp;
	int fd = *fdp;
	struct xmpp_link *l = connecting;
	fcntl(fd, F_SETFD, fcntl(fd, F_GETFD) | FD_CLOEXEC);
	if (l && l->slot >= 0 && fd != l->slot) {
		if (dup3(fd, l->slot, O_CLOEXEC) < 0) {
			log_error("%s: cannot move the XMPP socket to descriptor %d: %s", l->label, l->slot,
			          strerror(errno));
			return -1;
		}
		close(fd);
		*fdp = fd = l->slot;
	}
	if (fd >= FD_SETSIZE) {
		log_error("XMPP socket numbered %d: libstrophe cannot watch it", fd);
		return -1;
	}
	if (l)
		l->pending_fd = fd;
	/* Without Nagle a reply, the keepalive space and libstrophe's <r/> behind it leave
	 * at once instead of waiting 40 ms on the server's delayed ACK (doc/design-notes.md
	 * sections 5 and 6, bench/RESULTS.md). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	return xmpp_sockopt_cb_keepalive(conn, sockp);
}

static void connect_now(struct xmpp_link *l);

/* Verification stays on: log why the certificate failed, then refuse it. */
static int on_certfail(const xmpp_tlscert_t *cert, const char *const errormsg)
{
	(void)cert;
	log_error("the XMPP server's certificate is not trusted (%s): give its CA as cafile",
	          errormsg ? errormsg : "unknown reason");
	return 0;
}

static void on_retry(uv_timer_t *t)
{
	struct xmpp_link *l = t->data;
	l->reconnects++;
	connect_now(l);
}

static void schedule_retry(struct xmpp_link *l)
{
	unsigned shift = l->attempt < 16 ? l->attempt : 16;
	uint64_t delay = (uint64_t)LINK_BACKOFF_MIN_MS << shift;
	if (delay > LINK_BACKOFF_MAX_MS)
		delay = LINK_BACKOFF_MAX_MS;
	delay = delay / 2 + (uint64_t)rand() % (delay / 2 + 1); /* jitter: 50-100% */
	l->attempt++;
	set_state(l, LINK_BACKOFF);
	log_warn("%s: reconnecting in %llu ms (attempt %u)", l->label, (unsigned long long)delay,
	         l->attempt);
	uv_timer_start(&l->retry, on_retry, delay, 0);
	if (l->state_cb)
		l->state_cb(l, false, l->ud);
}

static void note_peer(struct xmpp_link *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fd = sl_watch_fd(l->watch);
	snprintf(l->remote_addr, sizeof l->remote_addr, "127.0.0.1");
	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, l->remote_addr,
		          sizeof l->remote_addr);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, l->remote_addr,
		          sizeof l->remote_addr);
}

/* libstrophe's xmpp_conn_send_queue_len() leaves out a partly written head of the queue,
 * so a large reply cut short by a full socket would look like an empty queue, and
 * strophe_uv would stop watching for POLLOUT. A whitespace keepalive behind each
 * stanza keeps the count above zero until the stanza is out; if the space itself is
 * what waits, nothing is lost. Not with stream management: libstrophe would count the
 * space as a stanza the server never counts, and keep every stanza numbered past the
 * server's count for the rest of the session; the ack check pumps instead. Not over TLS
 * either once strophe_uv sees short writes itself: one write per answer fewer. */
static void send_text(struct xmpp_link *l, const char *xml, size_t len)
{
	xmpp_send_raw(l->conn, xml, len);
	if (l->sm == SM_OFF && !sl_sees_short_writes(l->conn))
		xmpp_send_raw(l->conn, " ", 1);
}

static bool can_send_now(const struct xmpp_link *l)
{
	return l->state == LINK_ONLINE && (l->sm == SM_OFF || l->unacked.count < LINK_SM_MAX_UNACKED);
}

/* Writes one stanza; while the server counts, it is kept until acknowledged. */
static void send_item(struct xmpp_link *l, struct sm_item *it)
{
	send_text(l, it->xml, it->len);
	if (l->sm == SM_OFF) {
		free(it);
		return;
	}
	it->sent_ms = uv_now(l->sl->loop);
	sm_unacked_push(&l->unacked, it);
}

static void outbox_append(struct xmpp_link *l, struct sm_item *it)
{
	it->next = NULL;
	if (l->out_tail)
		l->out_tail->next = it;
	else
		l->out_head = it;
	l->out_tail = it;
	l->out_len++;
}

/* Puts a list of n items in front of what waits. */
static void outbox_prepend(struct xmpp_link *l, struct sm_item *list, unsigned n)
{
	struct sm_item *last = list;
	if (!list)
		return;
	while (last->next)
		last = last->next;
	last->next = l->out_head;
	if (!l->out_head)
		l->out_tail = last;
	l->out_head = list;
	l->out_len += n;
}

static void flush_outbox(struct xmpp_link *l)
{
	struct sm_item *it;
	while (can_send_now(l) && (it = l->out_head)) {
		l->out_head = it->next;
		if (!l->out_head)
			l->out_tail = NULL;
		l->out_len--;
		send_item(l, it);
	}
}

/* Unacknowledged stanzas other than the link's own presence and probe. */
static unsigned unacked_answers(const struct xmpp_link *l)
{
	unsigned n = 0;
	for (const struct sm_item *it = l->unacked.head; it; it = it->next)
		n += !it->own;
	return n;
}

/* libstrophe queues its own resends when a session is resumed; the link resends from
 * its own list instead (sm_track.h), so those are dropped before they are written. */
static void drop_strophe_resends(struct xmpp_link *l)
{
	char *p;
	while ((p = xmpp_conn_send_queue_drop_element(l->conn, XMPP_QUEUE_OLDEST)))
		xmpp_free(l->sl->ctx, p);
}

/* Without stream management, stanzas libstrophe had queued and not yet written when the
 * connection fell never reached the server: they go back to the head of the outbox. A
 * stanza cut in the middle of its write is lost, like those written to the dead socket. */
static void keep_unwritten(struct xmpp_link *l)
{
	struct sm_item *head = NULL, **tail = &head, *it;
	unsigned n = 0;
	uint64_t now = uv_now(l->sl->loop);
	char *p;
	while ((p = xmpp_conn_send_queue_drop_element(l->conn, XMPP_QUEUE_OLDEST))) {
		size_t len = strlen(p);
		if (len && strspn(p, " ") != len && (it = sm_item_new(p, len, now))) {
			*tail = it;
			tail = &it->next;
			n++;
		}
		xmpp_free(l->sl->ctx, p);
	}
	if (!n)
		return;
	outbox_prepend(l, head, n);
	log_info("%s: %u stanza%s not yet written when the connection fell: kept for the next one",
	         l->label, n, n == 1 ? "" : "s");
}

/* After a new login, answers that waited longer than resend_max_age are dropped:
 * their requesters have most likely given up. */
static void drop_stale_outbox(struct xmpp_link *l, uint64_t now, uint64_t max_age)
{
	struct sm_item **pp = &l->out_head, *it;
	unsigned n = 0;
	l->out_tail = NULL;
	while ((it = *pp)) {
		if (now - it->born_ms > max_age) {
			*pp = it->next;
			free(it);
			l->out_len--;
			n++;
		} else {
			l->out_tail = it;
			pp = &it->next;
		}
	}
	if (n)
		log_warn("%s: %u waiting stanza%s dropped, older than %u s", l->label, n, n == 1 ? "" : "s",
		         l->cfg->resend_max_age_s);
}

static struct sm_item *own_item(struct xmpp_link *l, const char *xml)
{
	struct sm_item *it = sm_item_new(xml, strlen(xml), uv_now(l->sl->loop));
	if (it)
		it->own = true;
	return it;
}

/* A new session: tell whether the server counts (a ping answered after <enable/> was
 * answered), announce presence, then send again what the last session left
 * unacknowledged if it is recent enough for its requester to be waiting still. */
static void new_session(struct xmpp_link *l)
{
	uint64_t now = uv_now(l->sl->loop), max_age = (uint64_t)l->cfg->resend_max_age_s * 1000;
	struct sm_item *old = sm_unacked_take(&l->unacked, 0), *keep = NULL, **tail = &keep, *it;
	unsigned resent = 0, dropped = 0;
	char xml[640];
	l->sm = l->cfg->mode == MODE_CLIENT && l->cfg->stream_management ? SM_PENDING : SM_OFF;
	l->last_ack_ms = l->last_rx_ms = now;
	if (l->sm == SM_PENDING) {
		snprintf(l->barrier_id, sizeof l->barrier_id, LINK_OWN_ID "%u", ++l->barrier_n);
		snprintf(xml, sizeof xml,
		         "<iq type=\"get\" id=\"%s\" to=\"%s\"><ping xmlns=\"urn:xmpp:ping\"/></iq>",
		         l->barrier_id, l->cfg->domain);
		if ((it = own_item(l, xml)))
			send_item(l, it);
	}
	/* Negative priority: only stanzas addressed to this full JID reach the route.
	 * A component has no presence of its own. */
	if (l->cfg->mode == MODE_CLIENT &&
	    (it = own_item(l, "<presence><priority>-1</priority></presence>")))
		send_item(l, it);
	while ((it = old)) {
		old = it->next;
		if (it->own) {
			free(it);
		} else if (now - it->born_ms <= max_age) {
			*tail = it;
			tail = &it->next;
			resent++;
		} else {
			free(it);
			dropped++;
		}
	}
	*tail = NULL;
	drop_stale_outbox(l, now, max_age);
	outbox_prepend(l, keep, resent);
	if (resent || dropped)
		log_warn("%s: new session, the last one could not be resumed: %u unacknowledged "
		         "stanza%s sent again, %u dropped (older than %u s)",
		         l->label, resent, resent == 1 ? "" : "s", dropped, l->cfg->resend_max_age_s);
}

/* libstrophe resumed the session: the server says how many of ours it counted, and
 * exactly the rest is sent again, in order and under the same numbers. */
static void resumed_session(struct xmpp_link *l, uint32_t h)
{
	struct sm_item *list, *it;
	unsigned n = 0;
	if (sm_unacked_ack(&l->unacked, h) < 0)
		log_warn("%s: the server counts %lu stanzas, more than were sent", l->label,
		         (unsigned long)h);
	list = sm_unacked_take(&l->unacked, h);
	l->sm = SM_ACTIVE;
	l->last_ack_ms = l->last_rx_ms = uv_now(l->sl->loop);
	while ((it = list)) {
		list = it->next;
		send_item(l, it);
		n++;
	}
	log_info("%s: session resumed: %u unacknowledged stanza%s sent again", l->label, n,
	         n == 1 ? "" : "s");
}

/* The condition is read from the error element itself: libstrophe folds conditions it
 * does not know (RFC 6120's reset, not-well-formed, unsupported-feature) into
 * undefined-condition. A child of another namespace is an application condition. */
static void log_stream_error(const struct xmpp_link *l, const xmpp_stream_error_t *se)
{
	char condition[64] = "", app[64] = "", why[400];
	xmpp_stanza_t *child = se->stanza ? xmpp_stanza_get_children(se->stanza) : NULL;
	for (; child; child = xmpp_stanza_get_next(child)) {
		const char *name = xmpp_stanza_get_name(child);
		const char *ns = xmpp_stanza_get_ns(child);
		if (!xmpp_stanza_is_tag(child) || !name)
			continue;
		if (ns && strcmp(ns, XMPP_NS_STREAMS_IETF) == 0) {
			if (strcmp(name, "text") != 0 && !condition[0])
				snprintf(condition, sizeof condition, "%s", name);
		} else if (!app[0])
			snprintf(app, sizeof app, "%s", name);
	}
	log_warn("%s: disconnected: %s", l->label,
	         link_stream_error_text(se->type, condition, app, se->text, why, sizeof why));
}

static void on_conn_event(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                          xmpp_stream_error_t *stream_error, void *ud)
{
	struct xmpp_link *l = ud;
	char why[200];
	(void)conn;
	if (event == XMPP_CONN_CONNECT) {
		bool resumed = resumed_seen && l->sm != SM_OFF;
		resumed_seen = false;
		set_state(l, LINK_ONLINE);
		l->attempt = 0;
		note_peer(l);
		log_info("%s: online as %s", l->label, l->full);
		drop_strophe_resends(l);
		if (resumed)
			resumed_session(l, (uint32_t)resumed_h);
		else
			new_session(l);
		flush_outbox(l);
		sl_kick(l->sl);
		if (l->state_cb)
			l->state_cb(l, true, l->ud);
		return;
	}
	if (event != XMPP_CONN_DISCONNECT && event != XMPP_CONN_FAIL)
		return;
	sl_watch_stop(l->watch);
	l->watch = NULL;
	refill_slot(l); /* libstrophe has just closed the socket */
	resumed_seen = false;
	if (l->state == LINK_ONLINE && l->sm == SM_OFF)
		keep_unwritten(l);
	else if (l->state == LINK_ONLINE) {
		unsigned n = unacked_answers(l);
		log_info("%s: connection lost with %u sent answer%s not acknowledged and %u waiting: "
		         "kept for the next connection",
		         l->label, n, n == 1 ? "" : "s", l->out_len);
	}
	if (l->state == LINK_CLOSING) {
		set_state(l, LINK_CLOSED);
		log_debug("%s: closed", l->label);
		return;
	}
	if (stream_error)
		log_stream_error(l, stream_error);
	else if (error)
		log_warn("%s: disconnected: %s", l->label,
		         link_socket_error_text(error,
		                                l->cfg->mode == MODE_CLIENT && l->cfg->tls != TLS_DISABLED,
		                                tls_reason, why, sizeof why));
	else if (l->state == LINK_CONNECTING && login_failure[0])
		log_warn("%s: login failed: the server said %s", l->label, login_failure);
	else
		log_warn("%s: disconnected (%s)", l->label,
		         l->state == LINK_CONNECTING ? "connection refused or login failed" : "closed");
	login_failure[0] = '\0';
	tls_reason[0] = '\0';
	schedule_retry(l);
}

/* Nothing is written back for an <a/>, so the kernel would delay its TCP ACK by up to
 * 40 ms, and a server with Nagle on (Prosody) holds the next stanza for this link until
 * that ACK comes (doc/design-notes.md section 6). Asking for a quick ACK sends the
 * pending one at once. */
static void ack_now(struct xmpp_link *l)
{
	int fd = sl_watch_fd(l->watch);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &(int){1}, sizeof(int));
}

static struct sm_item *own_item(struct xmpp_link *l, const char *xml);

/* Asks the server for an ack with a ping to its domain: a stanza, so libstrophe puts an
 * <r/> behind it and counts it like the server does (a bare <r/> sent by hand would be
 * a stanza to libstrophe only). The answer is dropped in on_stanza. */
static void request_ack(struct xmpp_link *l)
{
	char xml[640];
	struct sm_item *it;
	if (l->state != LINK_ONLINE)
		return;
	snprintf(xml, sizeof xml,
	         "<iq type=\"get\" id=\"" LINK_OWN_ID
	         "%u\" to=\"%s\"><ping xmlns=\"urn:xmpp:ping\"/></iq>",
	         ++l->barrier_n, l->cfg->domain);
	if ((it = own_item(l, xml)))
		send_item(l, it);
	sl_kick(l->sl);
}

/* <enabled/>, <failed/> and <a/> reach the user handler too (libstrophe answers <r/>). */
static void on_sm_nonza(struct xmpp_link *l, xmpp_stanza_t *stanza)
{
	const char *name = xmpp_stanza_get_name(stanza);
	const char *h = xmpp_stanza_get_attribute(stanza, "h");
	char *end;
	unsigned long n;
	if (!name)
		return;
	if (strcmp(name, "enabled") == 0 && l->sm == SM_PENDING) {
		l->sm = SM_ACTIVE;
		l->last_ack_ms = uv_now(l->sl->loop);
		/* libstrophe asked for no ack for what it wrote before <enabled/> came */
		if (l->unacked.count)
			request_ack(l);
		log_info("%s: stream management on%s", l->label,
		         xmpp_stanza_get_attribute(stanza, "id") ? ", resumable" : "");
	} else if (strcmp(name, "failed") == 0 && l->sm == SM_PENDING) {
		l->sm = SM_OFF;
		sm_unacked_clear(&l->unacked);
		log_warn("%s: the server refused stream management: answers lost with a connection "
		         "cannot be sent again",
		         l->label);
	} else if (strcmp(name, "a") == 0 && h && l->sm == SM_ACTIVE) {
		ack_now(l);
		n = strtoul(h, &end, 10);
		if (end == h || *end || sm_unacked_ack(&l->unacked, (uint32_t)n) < 0)
			log_warn("%s: the server acknowledged %s stanzas, more than were sent", l->label, h);
		l->last_ack_ms = uv_now(l->sl->loop);
		l->ack_asked = false;
		flush_outbox(l);
		sl_kick(l->sl);
	}
}

/* The answer to the ping sent after login: by now the server has answered <enable/>. */
static bool is_barrier_answer(struct xmpp_link *l, xmpp_stanza_t *stanza)
{
	const char *id = xmpp_stanza_get_id(stanza);
	const char *type = xmpp_stanza_get_type(stanza);
	if (!l->barrier_id[0] || !id || strcmp(id, l->barrier_id) != 0 || !type ||
	    (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
		return false;
	l->barrier_id[0] = '\0';
	if (l->sm == SM_PENDING) {
		l->sm = SM_OFF;
		sm_unacked_clear(&l->unacked);
		log_warn("%s: the server offers no stream management: answers lost with a connection "
		         "cannot be sent again",
		         l->label);
		flush_outbox(l);
	}
	return true;
}

/* Our </stream:stream> is out: nothing more may be written on this stream, neither an
 * answer nor a relay. An iq or message read now was routed by the server to a closing
 * connection (doc/several-instances.md, Draining); it is logged, not dropped silently.
 * Presence and the answers to this link's own ack requests are of no one's concern. */
static void log_read_after_close(struct xmpp_link *l, xmpp_stanza_t *stanza, const char *name)
{
	const char *type = xmpp_stanza_get_type(stanza), *id = xmpp_stanza_get_id(stanza);
	const char *from = xmpp_stanza_get_from(stanza);
	bool request;
	if (strcmp(name, "message") != 0 && strcmp(name, "iq") != 0)
		return;
	if (id && strncmp(id, LINK_OWN_ID, strlen(LINK_OWN_ID)) == 0)
		return;
	request =
	    strcmp(name, "iq") == 0 && type && (strcmp(type, "get") == 0 || strcmp(type, "set") == 0);
	log_warn("%s: %s %s from %s arrived after this end closed the stream: the server routed it "
	         "to a closing connection, %s",
	         l->label, name, id ? id : "(no id)", from ? from : "?",
	         request ? "no answer can go out on it" : "dropped");
}

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud)
{
	struct xmpp_link *l = ud;
	const char *name = xmpp_stanza_get_name(stanza);
	const char *ns = xmpp_stanza_get_ns(stanza);
	const char *type, *id;
	(void)conn;
	if (l->state == LINK_CLOSING && name) {
		log_read_after_close(l, stanza, name);
		return 1;
	}
	if (l->state != LINK_ONLINE || !name)
		return 1;
	if (ns && strcmp(ns, XMPP_NS_SM) == 0) {
		l->last_rx_ms = uv_now(l->sl->loop);
		on_sm_nonza(l, stanza);
		return 1;
	}
	l->last_rx_ms = uv_now(l->sl->loop);
	if (strcmp(name, "iq") == 0) {
		if (is_barrier_answer(l, stanza))
			return 1;
		type = xmpp_stanza_get_type(stanza);
		id = xmpp_stanza_get_id(stanza);
		if (type && id && strncmp(id, LINK_OWN_ID, strlen(LINK_OWN_ID)) == 0 &&
		    (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
			return 1; /* the answer to an ack request */
		if (type && id && (strcmp(type, "get") == 0 || strcmp(type, "set") == 0) &&
		    iq_seen_arrived(&l->seen, xmpp_stanza_get_from(stanza), id, uv_now(l->sl->loop))) {
			log_info("%s: iq %s from %s delivered again: already being handled or answered, "
			         "not started twice",
			         l->label, id,
			         xmpp_stanza_get_from(stanza) ? xmpp_stanza_get_from(stanza) : "?");
			return 1;
		}
	}
	l->cb(l, stanza, l->ud);
	return 1;
}

/* A connection that stopped answering ack requests is given up: the socket is shut
 * (not closed politely, which would end the session for good) and libstrophe reports
 * the loss; the session is then resumed on a new connection. */
static void on_ack_check(uv_timer_t *t)
{
	struct xmpp_link *l = t->data;
	uint64_t now = uv_now(l->sl->loop), limit = (uint64_t)l->cfg->ack_timeout_s * 1000;
	int fd = sl_watch_fd(l->watch);
	if (l->state != LINK_ONLINE || l->sm == SM_OFF || fd < 0)
		return;
	/* Silent for half the limit with nothing unacknowledged: ask, so that a connection
	 * that died while idle is noticed too. */
	if (l->sm == SM_ACTIVE && !l->unacked.head && now - l->last_rx_ms > limit / 2 &&
	    now - l->last_ack_ms > limit / 2)
		request_ack(l);
	if (!l->unacked.head)
		return;
	/* a stanza cut short by a full socket leaves nothing for strophe_uv to watch */
	if (now - l->unacked.head->sent_ms >= LINK_PUMP_MS && now - l->last_ack_ms >= LINK_PUMP_MS)
		sl_kick(l->sl);
	if (now - l->unacked.head->sent_ms <= limit / 2 || now - l->last_ack_ms <= limit / 2)
		return;
	if (now - l->unacked.head->sent_ms <= limit || now - l->last_ack_ms <= limit) {
		if (!l->ack_asked) /* once, half way: an ack request may have been lost */
			request_ack(l);
		l->ack_asked = true;
		return;
	}
	log_warn("%s: no acknowledgement from the server for %u s: giving the connection up", l->label,
	         l->cfg->ack_timeout_s);
	l->last_ack_ms = now;
	shutdown(fd, SHUT_RDWR);
	sl_kick(l->sl);
}

static void connect_now(struct xmpp_link *l)
{
	const struct config *c = l->cfg;
	int rc;
	if (l->state == LINK_CLOSING || l->state == LINK_CLOSED)
		return;
	set_state(l, LINK_CONNECTING);
	l->pending_fd = -1;
	resumed_seen = false;
	connecting = l;
	if (c->mode == MODE_COMPONENT)
		rc = xmpp_connect_component(l->conn, c->host ? c->host : "127.0.0.1",
		                            (unsigned short)c->port, on_conn_event, l);
	else
		rc = xmpp_connect_client(l->conn, c->host, (unsigned short)c->port, on_conn_event, l);
	connecting = NULL;
	refill_slot(l); /* a refused connect closes the socket before returning */
	if (rc != XMPP_EOK || l->pending_fd < 0) {
		log_warn("%s: cannot connect to %s:%u", l->label, c->host ? c->host : c->domain, c->port);
		if (rc == XMPP_EOK)
			xmpp_disconnect(l->conn);
		schedule_retry(l);
		return;
	}
	l->watch = sl_watch_start(l->sl, l->conn, l->pending_fd);
}

static int refuse_socket(xmpp_conn_t *conn, void *sockp)
{
	(void)conn;
	(void)sockp;
	return -1;
}

static void ignore_event(xmpp_conn_t *conn, xmpp_conn_event_t event, int error,
                         xmpp_stream_error_t *stream_error, void *ud)
{
	(void)conn, (void)event, (void)error, (void)stream_error, (void)ud;
}

/* libstrophe 0.12 allocates stream-management state only in xmpp_connect_client(),
 * yet touches it on component connections too (doc/design-notes.md section 5). A client
 * connection whose connect is refused at the socket owns one, never used a byte of
 * network, and can hand it over. */
static int give_sm_state(xmpp_ctx_t *ctx, xmpp_conn_t *component)
{
	xmpp_conn_t *donor = xmpp_conn_new(ctx);
	xmpp_sm_state_t *sm;
	int rc = -1;
	if (!donor)
		return -1;
	xmpp_conn_set_jid(donor, "sm@localhost");
	xmpp_conn_set_sockopt_callback(donor, refuse_socket);
	xmpp_connect_client(donor, "127.0.0.1", 1, ignore_event, NULL);
	sm = xmpp_conn_get_sm_state(donor);
	if (sm && xmpp_conn_set_sm_state(component, sm) == XMPP_EOK)
		rc = 0;
	else if (sm)
		xmpp_free_sm_state(sm);
	xmpp_conn_release(donor);
	if (rc)
		log_error("cannot prepare the component connection (libstrophe SM state)");
	return rc;
}

struct xmpp_link *link_new(struct strophe_loop *sl, const struct config *cfg, const char *route,
                           link_stanza_cb cb, void *ud)
{
	struct xmpp_link *l = calloc(1, sizeof *l);
	long flags = cfg->mode == MODE_CLIENT && cfg->stream_management ? 0 : XMPP_CONN_FLAG_DISABLE_SM;
	if (!l)
		return NULL;
	if (iq_seen_init(&l->seen, LINK_SEEN_MAX, LINK_SEEN_WINDOW_MS, LINK_SEEN_RUNNING_MAX_MS) != 0) {
		free(l);
		return NULL;
	}
	l->cfg = cfg;
	l->sl = sl;
	l->cb = cb;
	l->ud = ud;
	l->pending_fd = -1;
	l->slot = reserve_slot(-1);
	if (l->slot >= FD_SETSIZE) {
		log_error("no descriptor below %d is free for the XMPP socket", FD_SETSIZE);
		close(l->slot);
		free(l);
		return NULL;
	}
	if (cfg->mode == MODE_COMPONENT) {
		snprintf(l->route, sizeof l->route, "%s", "");
		snprintf(l->label, sizeof l->label, "component %s", cfg->domain);
		snprintf(l->bare, sizeof l->bare, "%s", cfg->domain);
		snprintf(l->full, sizeof l->full, "%s", cfg->domain);
	} else {
		snprintf(l->route, sizeof l->route, "%s", route);
		snprintf(l->label, sizeof l->label, "route %s", route);
		snprintf(l->bare, sizeof l->bare, "%s@%s", cfg->localpart, cfg->domain);
		snprintf(l->full, sizeof l->full, "%s/%s", l->bare, route);
	}
	snprintf(l->remote_addr, sizeof l->remote_addr, "127.0.0.1");
	l->conn = xmpp_conn_new(sl->ctx);
	if (!l->conn) {
		free(l);
		return NULL;
	}
	if (cfg->mode == MODE_COMPONENT && give_sm_state(sl->ctx, l->conn) != 0) {
		xmpp_conn_release(l->conn);
		free(l);
		return NULL;
	}
	if (cfg->tls == TLS_REQUIRED)
		flags |= XMPP_CONN_FLAG_MANDATORY_TLS;
	else if (cfg->tls == TLS_DISABLED)
		flags |= XMPP_CONN_FLAG_DISABLE_TLS;
	xmpp_conn_set_flags(l->conn, flags);
	xmpp_conn_set_jid(l->conn, l->full);
	xmpp_conn_set_pass(l->conn, cfg->password);
	if (cfg->cafile)
		xmpp_conn_set_cafile(l->conn, cfg->cafile);
	xmpp_conn_set_certfail_handler(l->conn, on_certfail);
	xmpp_conn_set_sockopt_callback(l->conn, on_sockopt);
	xmpp_handler_add(l->conn, on_stanza, NULL, NULL, NULL, l);
	uv_timer_init(sl->loop, &l->retry);
	l->retry.data = l;
	uv_timer_init(sl->loop, &l->ack_timer);
	l->ack_timer.data = l;
	if (cfg->mode == MODE_CLIENT && cfg->stream_management) {
		uint64_t every = (uint64_t)cfg->ack_timeout_s * 250;
		if (every > LINK_PUMP_MS)
			every = LINK_PUMP_MS;
		uv_timer_start(&l->ack_timer, on_ack_check, every, every);
		uv_unref((uv_handle_t *)&l->ack_timer);
	}
	return l;
}

void link_on_state(struct xmpp_link *l, link_state_cb cb) { l->state_cb = cb; }

void link_start(struct xmpp_link *l) { connect_now(l); }

/* An answer to an iq ends the time its request counts as running (sm_track.h). */
static void note_answer(struct xmpp_link *l, const char *xml)
{
	char name[8], type[8], id[256], to[400];
	if (strncmp(xml, "<iq", 3) != 0 ||
	    !sm_stanza_key(xml, name, sizeof name, type, sizeof type, id, sizeof id, to, sizeof to))
		return;
	if (strcmp(name, "iq") == 0 && (strcmp(type, "result") == 0 || strcmp(type, "error") == 0))
		iq_seen_answered(&l->seen, to, id, uv_now(l->sl->loop));
}

int link_send(struct xmpp_link *l, const char *xml)
{
	const char *why = xml_check_stanza(xml, strlen(xml));
	if (why) {
		log_error("%s: stanza not sent, a server would refuse it: %s", l->label, why);
		return LINK_REFUSED;
	}
	return link_send_checked(l, xml);
}

int link_send_checked(struct xmpp_link *l, const char *xml)
{
	size_t len = strlen(xml);
	struct sm_item *it;
	note_answer(l, xml);
	if (can_send_now(l) && !l->out_head && l->sm == SM_OFF) {
		send_text(l, xml, len);
		sl_kick(l->sl);
		return LINK_SENT;
	}
	if (!can_send_now(l) && l->out_len >= LINK_OUTBOX_MAX) {
		log_error("%s: %s and %u stanzas waiting: stanza dropped", l->label,
		          l->state == LINK_ONLINE ? "the server is slow to acknowledge" : "offline",
		          l->out_len);
		return LINK_DROPPED;
	}
	it = sm_item_new(xml, len, uv_now(l->sl->loop));
	if (!it)
		return LINK_DROPPED;
	if (can_send_now(l) && !l->out_head) {
		send_item(l, it);
		sl_kick(l->sl);
		return LINK_SENT;
	}
	outbox_append(l, it);
	return LINK_QUEUED;
}

void link_stop(struct xmpp_link *l)
{
	uv_timer_stop(&l->retry);
	if (l->state == LINK_ONLINE || l->state == LINK_CONNECTING) {
		set_state(l, LINK_CLOSING);
		xmpp_disconnect(l->conn);
		sl_kick(l->sl);
	} else
		set_state(l, LINK_CLOSED);
}

int link_closed(const struct xmpp_link *l) { return l->state == LINK_CLOSED; }

/* Both timers live in the link: it is freed when the second has closed. */
static void on_timer_closed(uv_handle_t *h)
{
	struct xmpp_link *l = h->data;
	if (++l->timers_closed == 2)
		free(l);
}

void link_free(struct xmpp_link *l)
{
	sl_watch_stop(l->watch);
	if (l->out_len)
		log_warn("%s: %u queued stanza%s dropped: the link was closed (shutdown, or its route "
		         "removed by a reload) before it came back",
		         l->label, l->out_len, l->out_len == 1 ? "" : "s");
	if (l->unacked.count)
		log_warn("%s: %u sent stanza%s never acknowledged by the server before the link was closed",
		         l->label, l->unacked.count, l->unacked.count == 1 ? "" : "s");
	sm_items_free(l->out_head);
	sm_unacked_clear(&l->unacked);
	iq_seen_free(&l->seen);
	xmpp_conn_release(l->conn);
	uv_close((uv_handle_t *)&l->ack_timer, on_timer_closed);
	uv_close((uv_handle_t *)&l->retry, on_timer_closed);
}

const char *link_remote_addr(const struct xmpp_link *l) { return l->remote_addr; }
const char *link_bare_jid(const struct xmpp_link *l) { return l->bare; }
const char *link_route(const struct xmpp_link *l) { return l->route; }

const char *link_state_name(const struct xmpp_link *l)
{
	static const char *const names[] = {"idle",    "connecting", "online",
	                                    "backoff", "closing",    "closed"};
	return names[l->state];
}

unsigned long link_reconnects(const struct xmpp_link *l) { return l->reconnects; }
int link_stopping(const struct xmpp_link *l)
{
	return l->state == LINK_CLOSING || l->state == LINK_CLOSED;
}
const char *link_label(const struct xmpp_link *l) { return l->label; }
