/* fcgi_pool.h - FastCGI backends shared by routes: one pool of connections per backend
 * address, keep-alive, balancing, multiplexing, failover.
 *
 * The bridge is the FastCGI client, as a web server is. Every route that names one
 * address (unix socket or host:port) shares that backend's pool: its kept-alive
 * connections, what it said of itself (FCGI_GET_VALUES), how many connections it has
 * shown it serves at once, its requests in hand and the calls waiting for room. So an
 * idle connection left by one route serves the next request of any route, and no
 * route holds workers another one waits for. A route is a set of such backends; a call
 * takes the same spec a CGI run takes (environment as PARAMS, stanza as STDIN, limits,
 * all per call) and ends with the same callback: fcgi_backend_open() hands a route's
 * backends to dispatch as one backend (backend.h), as cgi_runner.h does for CGI.
 * Modelled on lighttpd's gw_backend: least-outstanding balancing, a backend that fails
 * to connect rests for the route's backend_rest while its calls go to another, but
 * never the last backend a route has (fcgi_balance.h), retries only while nothing was
 * received. */
#ifndef XC_FCGI_POOL_H
#define XC_FCGI_POOL_H

#include <uv.h>

#include "backend.h"
#include "config.h"

#define FCGI_OVERLOAD_MS 1000   /* a backend that answered OVERLOADED rests this long */
#define FCGI_MPX_PER_CONN 64    /* requests per multiplexed connection, unless told */
#define FCGI_MAX_IDLE 16        /* idle keep-alive connections kept per backend */
#define FCGI_PROBE_REST_MS 1000 /* no extra connection this long after one went unserved */

struct fcgi_backends; /* every FastCGI backend of the daemon, one per address */
struct fcgi_route;    /* one route's backends, and its settings for them */
struct fcgi_call;

struct fcgi_backends *fcgi_backends_new(uv_loop_t *loop);
/* The route's backends, shared with the routes made before that name the same addresses.
 * route must outlive all. NULL only when out of memory. */
struct fcgi_route *fcgi_route_new(struct fcgi_backends *all, const struct route_cfg *route);
/* Never calls cb before returning; NULL only when out of memory. */
struct fcgi_call *fcgi_call_start(struct fcgi_route *route, const struct backend_job *spec,
                                  backend_done_cb cb, void *ud);
/* Ends the call now with BACKEND_UNAVAILABLE (shutdown). */
void fcgi_call_abort(struct fcgi_call *call);
/* Releases a route made by fcgi_route_new once no call of it is left (a reload that
 * removed or changed the route, after it drained). Its backends stay in all, shared
 * with the other routes naming them; a backend no route names any more closes its
 * connections and is left out of fcgi_backends_info(), but keeps what it learnt of the
 * application for a later reload that names its address again. */
void fcgi_route_free(struct fcgi_route *route);
/* The route's backends as a route_backend (backend.h): start is fcgi_call_start, abort
 * fcgi_call_abort, close fcgi_route_free. 0, or -1 when out of memory. */
int fcgi_backend_open(struct fcgi_backends *all, const struct route_cfg *route,
                      struct route_backend *out);
/* What the metrics show of one backend address (fcgi_info.c). */
struct fcgi_backend_info {
	const char *addr;     /* as the first route naming it wrote it */
	const char *state;    /* "up", "disabled" (failed to connect) or "overloaded" */
	unsigned conns;       /* open connections */
	unsigned outstanding; /* calls on it now, of every route */
	unsigned waiting;     /* calls waiting for room on it */
};
/* Fills out with up to max of the backends some route names; returns how many there
 * are. */
size_t fcgi_backends_info(const struct fcgi_backends *all, struct fcgi_backend_info *out,
                          size_t max);
/* Closes every connection and frees every route made from all; calls must be finished
 * or aborted first. */
void fcgi_backends_free(struct fcgi_backends *all);

#endif
