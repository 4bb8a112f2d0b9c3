/* metrics_http.h - the HTTP endpoint the metrics are scraped from, on the libuv loop.
 *
 * libmicrohttpd serves GET /metrics on the configured address. It runs without a
 * thread of its own, in its epoll mode: its one epoll descriptor is watched by a
 * uv_poll handle and its timeouts by a uv_timer, so the page is rendered on the
 * daemon's single loop and reads the bridge's state without any locking. */
#ifndef XC_METRICS_HTTP_H
#define XC_METRICS_HTTP_H

#include <stddef.h>
#include <uv.h>

/* Returns the page (malloc'd, *len bytes) or NULL when out of memory. */
typedef char *(*metrics_render_cb)(void *ud, size_t *len);

struct metrics_http;

/* host: a numeric IPv4 or IPv6 address. NULL with a logged reason on failure. */
struct metrics_http *metrics_http_start(uv_loop_t *loop, const char *host, unsigned port,
                                        metrics_render_cb render, void *ud);
void metrics_http_stop(struct metrics_http *mh);

#endif
