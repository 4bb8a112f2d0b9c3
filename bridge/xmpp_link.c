/* xmpp_link.c - a route's XMPP client connection (see xmpp_link.h).
 *
 * State is explicit: IDLE -> CONNECTING -> ONLINE, and on any loss BACKOFF -> CONNECTING
 * again; link_stop() leads through CLOSING to CLOSED. Stream management is switched off
 * (doc/design-notes.md section 5: an <r/> after every stanza halves throughput and meets the
 * delayed-ACK stall); replies that cannot be sent wait in the outbox instead. */
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
#include "xml_check.h"

enum link_state {
	LINK_IDLE,
	LINK_CONNECTING,
	LINK_ONLINE,
	LINK_BACKOFF,
	LINK_CLOSING,
	LINK_CLOSED
};

struct outbox_item {
	struct outbox_item *next;
	size_t len;
	char xml[];
};

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
	struct outbox_item *out_head, *out_tail;
	unsigned out_len;
	char route[72];  /* client mode: the route; component mode: "" */
	char label[100]; /* "route NAME" or "component DOMAIN", for messages */
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
	/* Stream management is off, so no <r/> follows each stanza; without Nagle a reply
	 * and the keepalive space behind it leave at once instead of waiting 40 ms on the
	 * server's delayed ACK (doc/design-notes.md section 5, bench/RESULTS.md). */
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
 * what waits, nothing is lost. */
static void send_text(struct xmpp_link *l, const char *xml, size_t len)
{
	xmpp_send_raw(l->conn, xml, len);
	xmpp_send_raw(l->conn, " ", 1);
}

static void flush_outbox(struct xmpp_link *l)
{
	struct outbox_item *it;
	while ((it = l->out_head)) {
		l->out_head = it->next;
		send_text(l, it->xml, it->len);
		free(it);
	}
	l->out_tail = NULL;
	l->out_len = 0;
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
		set_state(l, LINK_ONLINE);
		l->attempt = 0;
		note_peer(l);
		/* Negative priority: only stanzas addressed to this full JID reach the route.
		 * A component has no presence of its own. */
		if (l->cfg->mode == MODE_CLIENT)
			xmpp_send_raw_string(l->conn, "<presence><priority>-1</priority></presence>");
		log_info("%s: online as %s", l->label, l->full);
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

static int on_stanza(xmpp_conn_t *conn, xmpp_stanza_t *stanza, void *ud)
{
	struct xmpp_link *l = ud;
	(void)conn;
	if (l->state == LINK_ONLINE)
		l->cb(l, stanza, l->ud);
	return 1;
}

static void connect_now(struct xmpp_link *l)
{
	const struct config *c = l->cfg;
	int rc;
	if (l->state == LINK_CLOSING || l->state == LINK_CLOSED)
		return;
	set_state(l, LINK_CONNECTING);
	l->pending_fd = -1;
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
	long flags = XMPP_CONN_FLAG_DISABLE_SM;
	if (!l)
		return NULL;
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
	return l;
}

void link_on_state(struct xmpp_link *l, link_state_cb cb) { l->state_cb = cb; }

void link_start(struct xmpp_link *l) { connect_now(l); }

int link_send(struct xmpp_link *l, const char *xml)
{
	size_t len = strlen(xml);
	struct outbox_item *it;
	const char *why = xml_check_stanza(xml, len);
	if (why) {
		log_error("%s: stanza not sent, a server would refuse it: %s", l->label, why);
		return LINK_REFUSED;
	}
	if (l->state == LINK_ONLINE) {
		send_text(l, xml, len);
		sl_kick(l->sl);
		return LINK_SENT;
	}
	if (l->out_len >= LINK_OUTBOX_MAX) {
		log_error("%s: offline and %u stanzas waiting: stanza dropped", l->label, l->out_len);
		return LINK_DROPPED;
	}
	it = malloc(sizeof *it + len + 1);
	if (!it)
		return LINK_DROPPED;
	it->next = NULL;
	it->len = len;
	memcpy(it->xml, xml, len + 1);
	if (l->out_tail)
		l->out_tail->next = it;
	else
		l->out_head = it;
	l->out_tail = it;
	l->out_len++;
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

static void on_retry_closed(uv_handle_t *h) { free(h->data); }

void link_free(struct xmpp_link *l)
{
	struct outbox_item *it;
	sl_watch_stop(l->watch);
	if (l->out_len)
		log_warn("%s: %u queued stanza%s dropped: the link never came back before shutdown",
		         l->label, l->out_len, l->out_len == 1 ? "" : "s");
	while ((it = l->out_head)) {
		l->out_head = it->next;
		free(it);
	}
	xmpp_conn_release(l->conn);
	uv_close((uv_handle_t *)&l->retry, on_retry_closed);
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
