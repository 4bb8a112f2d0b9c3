/* fcgi_pool.h - a FastCGI route's backends: connections, keep-alive, balancing,
 * multiplexing, failover.
 *
 * The bridge is the FastCGI client, as a web server is. A call takes the same spec a
 * CGI run takes (environment as PARAMS, stanza as STDIN, limits) and ends with the
 * same callback, so dispatch treats both kinds of route alike. Modelled on lighttpd's
 * gw_backend: least-outstanding balancing, a backend that fails to connect is disabled
 * for a while and the call goes to another, retries only while nothing was received. */
#ifndef XC_FCGI_POOL_H
#define XC_FCGI_POOL_H

#include <uv.h>

#include "cgi_runner.h"
#include "config.h"

#define FCGI_DISABLE_MS 5000    /* a backend that failed to connect rests this long */
#define FCGI_OVERLOAD_MS 1000   /* a backend that answered OVERLOADED rests this long */
#define FCGI_MPX_PER_CONN 64    /* requests per multiplexed connection, unless told */
#define FCGI_MAX_IDLE 16        /* idle keep-alive connections kept per backend */
#define FCGI_PROBE_REST_MS 1000 /* no extra connection this long after one went unserved */

struct fcgi_pool;
struct fcgi_call;

struct fcgi_pool *fcgi_pool_new(uv_loop_t *loop, const struct route_cfg *route);
/* Never calls cb before returning; NULL only when out of memory. */
struct fcgi_call *fcgi_call_start(struct fcgi_pool *pool, const struct cgi_spec *spec,
                                  cgi_done_cb cb, void *ud);
/* Ends the call now with FAIL_UNAVAILABLE (shutdown). */
void fcgi_call_abort(struct fcgi_call *call);
/* What the metrics show of one backend (fcgi_info.c). */
struct fcgi_backend_info {
	const char *addr;     /* as written in the configuration */
	const char *state;    /* "up", "disabled" (failed to connect) or "overloaded" */
	unsigned conns;       /* open connections */
	unsigned outstanding; /* calls on it now */
};
/* Fills out with up to max backends; returns how many the pool has. */
size_t fcgi_pool_info(const struct fcgi_pool *pool, struct fcgi_backend_info *out, size_t max);
/* Closes every connection; calls must be finished or aborted first. */
void fcgi_pool_free(struct fcgi_pool *pool);

#endif
