/* control.c - the control socket server (see control.h and doc/control-protocol.md).
 *
 * A connection is LINE (reading a request line), PAYLOAD (reading its bytes), SKIP
 * (discarding a payload refused as too large), WAITING (an iq is out; reading pauses so
 * answers stay in order) or CLOSING. Each request ends in exactly one answer line.
 * Trust: a connection that presents a running request's token (grant.h) sends only as
 * that request's route; one without may send as any route if its user may
 * (tokenless_users). Limits: at most max_connections at once (and never more than a
 * quarter of the descriptor limit, so that handlers and FastCGI keep theirs), an idle
 * timeout for connections that are not waiting for an iq, max_line and max_stanza. */
#include "control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "control_proto.h"
#include "grant.h"
#include "log.h"
#include "request.h"
#include "route.h"

enum cc_state { CC_LINE, CC_PAYLOAD, CC_SKIP, CC_WAITING, CC_CLOSING };

struct ctl_conn;

struct pending {
	struct control *ctl;
	struct ctl_conn *conn;
	char id[128];
	char to[400]; /* only this address may answer */
	char *caller_id;
	uv_timer_t timer;
	struct pending *next;
};

struct ctl_conn {
	enum cc_state state;
	struct control *ctl;
	uv_pipe_t pipe;
	struct buf in;
	struct ctl_request rq;
	size_t skip;
	struct pending *pending;
	uint64_t last_active; /* for idle_timeout */
	bool tokenless_ok;    /* its user is in tokenless_users */
	char token[72];       /* the grant it presented, or "" */
	struct ctl_conn *next;
};

struct control {
	uv_loop_t *loop;
	const struct config *cfg;
	struct control_hooks hooks;
	uv_pipe_t listener;
	struct ctl_conn *conns;
	unsigned n_conns, max_conns;
	unsigned refused; /* connections refused since the limit was reached */
	uv_timer_t idle_timer;
	struct pending *pendings;
	unsigned long long next_id;
	bool stopping;
	dev_t sock_dev; /* the socket file this instance made: removed at exit only if */
	ino_t sock_ino; /* it is still there, not another instance's */
};

struct write_req {
	uv_write_t req;
	char data[];
};

static void process(struct ctl_conn *c);

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
}

static void write_bytes(struct ctl_conn *c, const char *a, size_t al, const char *b, size_t bl)
{
	struct write_req *w;
	uv_buf_t buf;
	if (c->state == CC_CLOSING)
		return;
	w = malloc(sizeof *w + al + bl);
	if (!w)
		return;
	memcpy(w->data, a, al);
	if (bl)
		memcpy(w->data + al, b, bl);
	w->req.data = w;
	buf = uv_buf_init(w->data, (unsigned)(al + bl));
	if (uv_write(&w->req, (uv_stream_t *)&c->pipe, &buf, 1, on_written) != 0)
		free(w);
}

static void answer(struct ctl_conn *c, const char *fmt, const char *a, const char *b)
{
	char line[512];
	int n = snprintf(line, sizeof line, fmt, a, b);
	if (n > 0)
		write_bytes(c, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, NULL, 0);
}

static void on_timer_closed(uv_handle_t *h) { free(h->data); }

static void on_conn_closed(uv_handle_t *h)
{
	struct ctl_conn *c = h->data;
	buf_free(&c->in);
	free(c);
}

static void on_pending_closed(uv_handle_t *h)
{
	struct pending *p = h->data;
	free(p->caller_id);
	free(p);
}

static void pending_drop(struct pending *p)
{
	struct pending **pp;
	for (pp = &p->ctl->pendings; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	if (p->conn && p->conn->pending == p)
		p->conn->pending = NULL;
	uv_close((uv_handle_t *)&p->timer, on_pending_closed);
}

static void conn_close(struct ctl_conn *c)
{
	struct ctl_conn **pp;
	if (c->state == CC_CLOSING)
		return;
	if (c->pending)
		pending_drop(c->pending);
	c->state = CC_CLOSING;
	for (pp = &c->ctl->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (--c->ctl->n_conns < c->ctl->max_conns && c->ctl->refused) {
		log_info("control: accepting connections again (%u refused at max_connections %u)",
		         c->ctl->refused, c->ctl->max_conns);
		c->ctl->refused = 0;
	}
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
	static char scratch[64 * 1024];
	(void)h;
	(void)suggested;
	*b = uv_buf_init(scratch, sizeof scratch);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *b)
{
	struct ctl_conn *c = s->data;
	if (nread < 0) {
		conn_close(c);
		return;
	}
	if (buf_append(&c->in, b->base, (size_t)nread) != 0) {
		conn_close(c);
		return;
	}
	c->last_active = uv_now(c->ctl->loop);
	process(c);
}

static void resume(struct ctl_conn *c)
{
	c->state = CC_LINE;
	c->last_active = uv_now(c->ctl->loop);
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
	process(c);
}

static void on_iq_timeout(uv_timer_t *t)
{
	struct pending *p = t->data;
	struct ctl_conn *c = p->conn;
	log_info("control: iq %s got no answer in time", p->id);
	pending_drop(p);
	if (c) {
		answer(c, "fail timeout %s%s\n", "no answer in time", "");
		resume(c);
	}
}

/* A connection with a token sends only as its request's route, and only while that
 * request runs; one without, only if its user is trusted with every route. */
static bool may_send_as(struct ctl_conn *c, const char *route)
{
	const struct grant_table *grants = c->ctl->hooks.grants;
	const char *bound;
	if (!c->token[0]) {
		if (c->tokenless_ok)
			return true;
		answer(c, "fail forbidden %s%s\n",
		       "this user may send only with a handler's XMPP_CGI_TOKEN (tokenless_users)", "");
		return false;
	}
	bound = grants ? grant_route(grants, c->token) : NULL;
	if (!bound) {
		answer(c, "fail bad-token %s%s\n", "the request this token was given to has ended", "");
		return false;
	}
	if (strcmp(bound, route) != 0) {
		log_warn("control: a handler of route %s tried to send as route %s: refused", bound, route);
		answer(c, "fail forbidden a handler of route %s may send only as that route%s\n", bound,
		       "");
		return false;
	}
	return true;
}

/* "token TOKEN": binds the connection to the running request the token was given to. */
static void bind_token(struct ctl_conn *c)
{
	const struct grant_table *grants = c->ctl->hooks.grants;
	const char *route = grants ? grant_route(grants, c->rq.token) : NULL;
	if (c->token[0]) {
		answer(c, "fail bad-request %s%s\n", "this connection has a token already", "");
		conn_close(c);
		return;
	}
	if (!route) {
		log_warn("control: a connection presented an unknown or expired token: closed");
		answer(c, "fail bad-token %s%s\n", "the token is unknown or its request has ended", "");
		conn_close(c);
		return;
	}
	snprintf(c->token, sizeof c->token, "%s", c->rq.token);
	answer(c, "ok token %s%s\n", route, "");
}

/* Runs one complete request; the connection stays usable unless it is closed here. */
static void execute(struct ctl_conn *c, const char *payload)
{
	struct control *ctl = c->ctl;
	const struct ctl_request *rq = &c->rq;
	const struct route_cfg *rc = config_route(ctl->cfg, rq->route);
	struct xmpp_link *link;
	char from[400], bare[400], iq_id[128];
	char *xml, *caller_id = NULL;
	const char *code, *why;
	struct pending *p;
	int sent;

	if (ctl->stopping) {
		answer(c, "fail shutdown %s%s\n", "the bridge is stopping", "");
		return;
	}
	if (!may_send_as(c, rq->route))
		return;
	link = rc ? ctl->hooks.link_for(ctl->hooks.ud, rq->route, from, sizeof from) : NULL;
	if (!link) {
		answer(c, "fail unknown-route no route %s%s\n", rq->route, "");
		return;
	}
	if (!jid_bare(rq->to, bare, sizeof bare)) {
		answer(c, "fail bad-to %s is not a JID%s\n", rq->to, "");
		return;
	}
	if (!jid_patterns_match(rc->send_allow, rc->n_send_allow, bare)) {
		log_info("control: route %s may not send to %s (send_allow)", rq->route, bare);
		answer(c, "fail forbidden route %s may not send to this recipient%s\n", rq->route, "");
		return;
	}
	/* unguessable, so that no one else can answer in the recipient's place; the instance
	 * name at the end brings the answer back here from another instance (bridge/xmpp/relay.c) */
	snprintf(iq_id, sizeof iq_id, "xc-%llu-%08x%08x.%s", ++ctl->next_id, (unsigned)rand(),
	         (unsigned)rand(), ctl->cfg->instance_name);
	xml = ctl_build_stanza(rq, payload, rq->length, from, iq_id, &caller_id, &code, &why);
	if (!xml) {
		log_info("control: route %s: stanza refused (%s): %s", rq->route, code, why);
		answer(c, "fail %s %s\n", code, why);
		return;
	}
	sent = link_send(link, xml);
	free(xml);
	if (sent == LINK_REFUSED) {
		free(caller_id);
		answer(c, "fail bad-xml %s%s\n", "the stanza is not XML a server accepts", "");
		return;
	}
	if (sent < 0) {
		free(caller_id);
		answer(c, "fail offline route %s is offline and its queue is full%s\n", rq->route, "");
		return;
	}
	if (rq->verb != CTL_IQ) {
		answer(c, sent == LINK_QUEUED ? "ok queued%s%s\n" : "ok sent%s%s\n", "", "");
		return;
	}
	p = calloc(1, sizeof *p);
	if (!p) {
		free(caller_id);
		answer(c, "fail shutdown %s%s\n", "out of memory", "");
		return;
	}
	p->ctl = ctl;
	p->conn = c;
	p->caller_id = caller_id;
	snprintf(p->id, sizeof p->id, "%s", iq_id);
	snprintf(p->to, sizeof p->to, "%s", rq->to);
	uv_timer_init(ctl->loop, &p->timer);
	p->timer.data = p;
	uv_timer_start(&p->timer, on_iq_timeout, rq->timeout_ms, 0);
	p->next = ctl->pendings;
	ctl->pendings = p;
	c->pending = p;
	c->state = CC_WAITING;
	uv_read_stop((uv_stream_t *)&c->pipe);
}

static void consume(struct ctl_conn *c, size_t n)
{
	memmove(c->in.data, c->in.data + n, c->in.len - n);
	c->in.len -= n;
}

static void process(struct ctl_conn *c)
{
	size_t max = c->ctl->cfg->control_max_stanza, max_line = c->ctl->cfg->control_max_line;
	for (;;) {
		if (c->state == CC_LINE) {
			char *nl = memchr(c->in.data, '\n', c->in.len);
			size_t line_len = nl ? (size_t)(nl - c->in.data) : c->in.len;
			const char *why;
			if (line_len > max_line) {
				char limit[32];
				snprintf(limit, sizeof limit, "%zu", max_line);
				log_warn("control: request line over %zu bytes (max_line): connection closed",
				         max_line);
				answer(c, "fail bad-request request line over %s bytes (max_line)%s\n", limit, "");
				conn_close(c);
				return;
			}
			if (!nl)
				return;
			if (ctl_parse_line(c->in.data, line_len, &c->rq, &why) != 0) {
				answer(c, "fail bad-request %s%s\n", why, "");
				conn_close(c);
				return;
			}
			consume(c, line_len + 1);
			if (c->rq.verb == CTL_TOKEN) {
				bind_token(c);
				if (c->state == CC_CLOSING)
					return;
				continue;
			}
			if (c->rq.length > max) {
				char limit[32];
				snprintf(limit, sizeof limit, "%zu", max);
				log_warn("control: route %s: a payload of %zu bytes refused (max_stanza %zu)",
				         c->rq.route, c->rq.length, max);
				answer(c, "fail too-large the payload is over %s bytes%s\n", limit, "");
				c->skip = c->rq.length;
				c->state = CC_SKIP;
			} else
				c->state = CC_PAYLOAD;
		} else if (c->state == CC_SKIP) {
			size_t n = c->in.len < c->skip ? c->in.len : c->skip;
			consume(c, n);
			c->skip -= n;
			if (c->skip)
				return;
			c->state = CC_LINE;
		} else if (c->state == CC_PAYLOAD) {
			char *payload;
			if (c->in.len < c->rq.length)
				return;
			payload = malloc(c->rq.length + 1);
			if (!payload) {
				conn_close(c);
				return;
			}
			memcpy(payload, c->in.data, c->rq.length);
			payload[c->rq.length] = '\0';
			consume(c, c->rq.length);
			c->state = CC_LINE;
			execute(c, payload);
			free(payload);
		} else
			return; /* WAITING or CLOSING */
	}
}

static void on_idle_sweep(uv_timer_t *t);

static unsigned sweep_interval_ms(const struct control *ctl)
{
	unsigned ms = ctl->cfg->control_idle_timeout_s * 1000u / 4;
	return ms < 250 ? 250 : ms > 5000 ? 5000 : ms;
}

/* Whether the peer's user may use the socket without a token (SO_PEERCRED). */
static bool peer_tokenless_ok(const struct control *ctl, uv_pipe_t *pipe)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	uv_os_fd_t fd;
	if (ctl->cfg->control_tokenless_any)
		return true;
	if (uv_fileno((uv_handle_t *)pipe, &fd) != 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) != 0)
		return false;
	for (size_t i = 0; i < ctl->cfg->control_n_tokenless_uids; i++)
		if ((long)cr.uid == ctl->cfg->control_tokenless_uids[i])
			return true;
	return false;
}

/* At max_connections a new connection gets one line and is closed at once, so that the
 * descriptors stay free for handlers. */
static void refuse_busy(struct control *ctl, struct ctl_conn *c)
{
	static const char line[] = "fail busy too many control connections (max_connections)\n";
	uv_buf_t b = uv_buf_init((char *)line, sizeof line - 1);
	if (!ctl->refused++)
		log_warn("control: %u connections open (max_connections): refusing new ones", ctl->n_conns);
	uv_try_write((uv_stream_t *)&c->pipe, &b, 1);
	uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct control *ctl = server->data;
	struct ctl_conn *c;
	if (status < 0)
		return;
	c = calloc(1, sizeof *c);
	if (!c)
		return;
	c->ctl = ctl;
	uv_pipe_init(ctl->loop, &c->pipe, 0);
	c->pipe.data = c;
	if (uv_accept(server, (uv_stream_t *)&c->pipe) != 0) {
		uv_close((uv_handle_t *)&c->pipe, on_conn_closed);
		return;
	}
	if (ctl->n_conns >= ctl->max_conns) {
		refuse_busy(ctl, c);
		return;
	}
	c->tokenless_ok = peer_tokenless_ok(ctl, &c->pipe);
	c->last_active = uv_now(ctl->loop);
	c->next = ctl->conns;
	ctl->conns = c;
	ctl->n_conns++;
	if (!uv_is_active((uv_handle_t *)&ctl->idle_timer))
		uv_timer_start(&ctl->idle_timer, on_idle_sweep, sweep_interval_ms(ctl),
		               sweep_interval_ms(ctl));
	uv_read_start((uv_stream_t *)&c->pipe, on_alloc, on_read);
}

/* Closes the connections that sent nothing for idle_timeout (one waiting for its iq's
 * answer is not idle: the iq's own timeout bounds it). */
static void on_idle_sweep(uv_timer_t *t)
{
	struct control *ctl = t->data;
	uint64_t now = uv_now(ctl->loop), idle_ms = ctl->cfg->control_idle_timeout_s * 1000ull;
	unsigned closed = 0;
	char secs[16];
	snprintf(secs, sizeof secs, "%u", ctl->cfg->control_idle_timeout_s);
	for (struct ctl_conn *c = ctl->conns, *next; c; c = next) {
		next = c->next;
		if (c->state == CC_WAITING || now - c->last_active < idle_ms)
			continue;
		answer(c, "fail idle no request for %s s (idle_timeout): closing%s\n", secs, "");
		conn_close(c);
		closed++;
	}
	if (closed)
		log_info("control: closed %u idle connection%s (idle_timeout %u s)", closed,
		         closed == 1 ? "" : "s", ctl->cfg->control_idle_timeout_s);
	if (!ctl->conns)
		uv_timer_stop(t);
}

/* The recipient itself, or its server for a bare JID (which answers from the bare JID,
 * e.g. service-unavailable for an account with no resource online). */
static bool answered_by_recipient(const struct pending *p, const char *from)
{
	char bare[400];
	if (!from)
		return false;
	if (strcasecmp(from, p->to) == 0)
		return true;
	return !strchr(p->to, '/') && jid_bare(from, bare, sizeof bare) && strcasecmp(bare, p->to) == 0;
}

int control_iq_answer(struct control *ctl, xmpp_stanza_t *stanza)
{
	const char *id = xmpp_stanza_get_id(stanza);
	const char *type = xmpp_stanza_get_type(stanza);
	struct pending *p;
	struct ctl_conn *c;
	xmpp_stanza_t *copy;
	char *text = NULL, *fixed = NULL;
	size_t len = 0;
	char head[48];

	if (!ctl || !id || strncmp(id, "xc-", 3) != 0 || !type ||
	    strcmp(xmpp_stanza_get_name(stanza), "iq") != 0 ||
	    (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
		return 0;
	for (p = ctl->pendings; p && strcmp(p->id, id) != 0; p = p->next)
		;
	if (!p) {
		log_info("control: iq %s answered by %s after its caller was gone: ignored", id,
		         xmpp_stanza_get_from(stanza) ? xmpp_stanza_get_from(stanza) : "-");
		return 1; /* ours, but nothing else wants it */
	}
	if (!answered_by_recipient(p, xmpp_stanza_get_from(stanza))) {
		log_warn("control: iq %s answered by %s, not by %s: ignored", p->id,
		         xmpp_stanza_get_from(stanza) ? xmpp_stanza_get_from(stanza) : "nobody", p->to);
		return 1;
	}
	c = p->conn;
	/* libstrophe still uses the stanza after this handler: change a copy */
	copy = xmpp_stanza_copy(stanza);
	if (copy && p->caller_id)
		xmpp_stanza_set_id(copy, p->caller_id);
	else if (copy)
		xmpp_stanza_del_attribute(copy, "id");
	if (!copy || xmpp_stanza_to_text(copy, &text, &len) != XMPP_EOK)
		len = 0;
	if (copy)
		xmpp_stanza_release(copy);
	if (len) {
		/* the same fixed-up root handlers read (xml:lang, namespace), minus the
		 * declaration line */
		size_t dlen;
		char *doc = request_stdin_document(text, len, &dlen);
		char *nl = doc ? memchr(doc, '\n', dlen) : NULL;
		xmpp_free(xmpp_stanza_get_context(stanza), text);
		text = NULL;
		if (nl) {
			/* callers write their stanzas without the stream's namespace; answer alike */
			static const char ns[] = " xmlns=\"jabber:client\"";
			char *at = strstr(nl + 1, ns);
			if (at)
				memmove(at, at + sizeof ns - 1, strlen(at + sizeof ns - 1) + 1);
			fixed = strdup(nl + 1);
			len = fixed ? strlen(fixed) : 0;
		} else
			len = 0;
		free(doc);
	}
	if (!fixed)
		len = 0;
	snprintf(head, sizeof head, "%s %zu\n", strcmp(type, "result") == 0 ? "result" : "error", len);
	pending_drop(p);
	if (c) {
		write_bytes(c, head, strlen(head), fixed, fixed ? len : 0);
		resume(c);
	}
	free(fixed);
	return 1;
}

static void on_listener_closed(uv_handle_t *h)
{
	struct control *ctl = h->data;
	uv_close((uv_handle_t *)&ctl->idle_timer, on_timer_closed);
}

/* max_connections, capped at a quarter of the descriptor limit: a full control socket
 * must leave handlers, FastCGI connections and the XMPP streams their descriptors. */
static unsigned descriptor_share(unsigned max)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur / 4 < max) {
		unsigned share = rl.rlim_cur / 4 ? (unsigned)(rl.rlim_cur / 4) : 1;
		log_warn("control: max_connections %u lowered to %u, a quarter of the descriptor "
		         "limit %llu",
		         max, share, (unsigned long long)rl.rlim_cur);
		return share;
	}
	return max;
}

/* Whether the socket file at path is left from a run that ended: connecting is refused
 * (ECONNREFUSED). Anything else - accepted, a full backlog (EAGAIN), no permission to
 * tell (EACCES) - may be a live process, whose socket must not be taken. Returns 0 for
 * stale, else the errno that says why not (0 on success becomes EISCONN). */
static int socket_not_stale(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, err;
	if (strlen(path) >= sizeof sa.sun_path)
		return ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return errno;
	err = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? EISCONN : errno;
	close(fd);
	return err == ECONNREFUSED || err == ENOENT ? 0 : err;
}

/* The listening socket, bound here rather than by uv_pipe_bind(): libuv would unlink the
 * path when the handle closes, even when the file there is no longer this socket. Returns
 * the descriptor or a negative errno. */
static int bind_socket(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, err;
	if (strlen(path) >= sizeof sa.sun_path)
		return UV_ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

struct control *control_start(uv_loop_t *loop, const struct config *cfg,
                              const struct control_hooks *hooks)
{
	struct control *ctl = calloc(1, sizeof *ctl);
	const char *path = cfg->control_socket;
	struct stat st;
	int fd, rc;
	if (!ctl)
		return NULL;
	ctl->loop = loop;
	ctl->cfg = cfg;
	ctl->hooks = *hooks;
	ctl->max_conns = descriptor_share(cfg->control_max_connections);
	uv_timer_init(loop, &ctl->idle_timer);
	ctl->idle_timer.data = ctl;
	uv_pipe_init(loop, &ctl->listener, 0);
	ctl->listener.data = ctl;
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
		int why = socket_not_stale(path);
		if (why == EISCONN || why == EAGAIN || why == EINPROGRESS) {
			log_error("control socket %s: another process (another instance?) listens "
			          "there; give each instance its own [control] socket",
			          path);
		} else if (why) {
			log_error("control socket %s: cannot tell whether another process listens "
			          "there (%s); not taking it",
			          path, strerror(why));
		} else {
			unlink(path); /* left by an earlier run */
		}
		if (why) {
			uv_close((uv_handle_t *)&ctl->listener, on_listener_closed);
			return NULL;
		}
	}
	fd = bind_socket(path);
	rc = fd < 0 ? fd : 0;
	if (rc == 0 && lstat(path, &st) == 0) {
		ctl->sock_dev = st.st_dev;
		ctl->sock_ino = st.st_ino;
	}
	if (rc == 0 && (rc = uv_pipe_open(&ctl->listener, fd)) != 0)
		close(fd);
	if (rc == 0 && chmod(path, cfg->control_mode) != 0)
		rc = -errno;
	/* Run as root with [daemon] user, the socket belongs to that user, who must be able to
	 * use it after the switch (bridge/daemon/privdrop.c); group: [control] group, else the user's. */
	uid_t owner = geteuid() == 0 && cfg->daemon_uid > 0 ? (uid_t)cfg->daemon_uid : (uid_t)-1;
	long group = cfg->control_gid;
	if (group < 0 && owner != (uid_t)-1)
		group = cfg->daemon_gid;
	if (rc == 0 && (owner != (uid_t)-1 || group >= 0) && chown(path, owner, (gid_t)group) != 0)
		rc = -errno;
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&ctl->listener, 128, on_connection);
	if (rc != 0) {
		log_error("control socket %s: %s", path, uv_strerror(rc));
		if (fd >= 0)
			unlink(path);
		uv_close((uv_handle_t *)&ctl->listener, on_listener_closed);
		return NULL;
	}
	log_info("control socket listening on %s", path);
	return ctl;
}

void control_stop(struct control *ctl)
{
	struct stat st;
	if (!ctl)
		return;
	ctl->stopping = true;
	while (ctl->pendings) {
		struct pending *p = ctl->pendings;
		struct ctl_conn *c = p->conn;
		pending_drop(p);
		if (c)
			answer(c, "fail shutdown %s%s\n", "the bridge is stopping", "");
	}
	while (ctl->conns)
		conn_close(ctl->conns);
	if (lstat(ctl->cfg->control_socket, &st) == 0 && st.st_dev == ctl->sock_dev &&
	    st.st_ino == ctl->sock_ino)
		unlink(ctl->cfg->control_socket);
	else
		log_warn("control socket %s is no longer this instance's: left in place",
		         ctl->cfg->control_socket);
	uv_close((uv_handle_t *)&ctl->listener, on_listener_closed);
}
