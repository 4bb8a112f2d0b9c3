/* metrics_http.c - libmicrohttpd on the libuv loop (see metrics_http.h).
 *
 * Why this shape: the bridge has one libuv loop and no threads, and every number on
 * the page lives in structures that loop changes. libmicrohttpd's internal polling
 * thread would read them concurrently and need locks everywhere; its "external" mode
 * lets the application drive it instead. With MHD_USE_EPOLL the whole server (listen
 * socket and connections) sits behind a single epoll descriptor, which a uv_poll
 * handle watches; every readiness calls MHD_run(), and after each run
 * MHD_get_timeout() tells when MHD must run again even without I/O (idle connection
 * timeouts, data it has buffered), which a uv_timer provides. MHD's descriptors are
 * close-on-exec, so handlers never see them. */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define METRICS_MAX_CONNECTIONS 16
#define METRICS_CONN_TIMEOUT_S 10
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics_http {
	struct MHD_Daemon *mhd;
	uv_poll_t poll;
	uv_timer_t timer;
	metrics_render_cb render;
	void *ud;
	int open_handles;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;
	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_warn("metrics: %s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, char *body, size_t len,
                             const char *type)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
	    len, body, body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_len, void **con_cls)
{
	struct metrics_http *mh = cls;
	static const char not_found[] = "only /metrics is served here\n";
	static const char not_allowed[] = "only GET and HEAD\n";
	char *page;
	size_t len = 0;
	(void)version, (void)upload;
	if (!*con_cls) { /* first call: headers only; answer on the next */
		*con_cls = mh;
		return MHD_YES;
	}
	if (*upload_len) { /* a body is not expected: ignore it */
		*upload_len = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, strdup(not_allowed), sizeof not_allowed - 1,
		             "text/plain");
	if (strcmp(url, "/metrics") != 0)
		return reply(conn, MHD_HTTP_NOT_FOUND, strdup(not_found), sizeof not_found - 1,
		             "text/plain");
	page = mh->render(mh->ud, &len);
	if (!page)
		return MHD_NO;
	return reply(conn, MHD_HTTP_OK, page, len, METRICS_CONTENT_TYPE);
}

static void run(struct metrics_http *mh);

static void on_timer(uv_timer_t *t) { run(t->data); }

static void on_poll(uv_poll_t *p, int status, int events)
{
	(void)status, (void)events;
	run(p->data);
}

static void run(struct metrics_http *mh)
{
	MHD_UNSIGNED_LONG_LONG ms;
	MHD_run(mh->mhd);
	if (MHD_get_timeout(mh->mhd, &ms) == MHD_YES)
		uv_timer_start(&mh->timer, on_timer, ms, 0);
	else
		uv_timer_stop(&mh->timer);
}

struct metrics_http *metrics_http_start(uv_loop_t *loop, const char *host, unsigned port,
                                        metrics_render_cb render, void *ud)
{
	struct metrics_http *mh = calloc(1, sizeof *mh);
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *info;

	if (!mh)
		return NULL;
	mh->render = render;
	mh->ud = ud;
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		flags |= MHD_USE_IPv6;
	} else {
		log_error("metrics: listen address %s is not numeric", host);
		free(mh);
		return NULL;
	}
	mh->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, mh,
	                           MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &ss,
	                           MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_MAX_CONNECTIONS,
	                           MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_CONN_TIMEOUT_S,
	                           MHD_OPTION_END);
	info = mh->mhd ? MHD_get_daemon_info(mh->mhd, MHD_DAEMON_INFO_EPOLL_FD) : NULL;
	if (!info) {
		log_error("metrics: cannot listen on %s%s%s:%u", strchr(host, ':') ? "[" : "", host,
		          strchr(host, ':') ? "]" : "", port);
		if (mh->mhd)
			MHD_stop_daemon(mh->mhd);
		free(mh);
		return NULL;
	}
	uv_poll_init(loop, &mh->poll, info->epoll_fd);
	uv_timer_init(loop, &mh->timer);
	mh->poll.data = mh->timer.data = mh;
	mh->open_handles = 2;
	uv_poll_start(&mh->poll, UV_READABLE, on_poll);
	log_info("metrics: serving http://%s%s%s:%u/metrics", strchr(host, ':') ? "[" : "", host,
	         strchr(host, ':') ? "]" : "", port);
	return mh;
}

static void on_closed(uv_handle_t *h)
{
	struct metrics_http *mh = h->data;
	if (--mh->open_handles == 0)
		free(mh);
}

void metrics_http_stop(struct metrics_http *mh)
{
	if (!mh)
		return;
	uv_close((uv_handle_t *)&mh->poll, on_closed); /* before MHD closes the descriptor */
	uv_close((uv_handle_t *)&mh->timer, on_closed);
	MHD_stop_daemon(mh->mhd);
	mh->mhd = NULL;
}
