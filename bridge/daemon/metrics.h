/* metrics.h - the bridge's metrics, gathered from the live objects and served.
 *
 * Nothing is counted twice: the per-route counters are the dispatcher's route_stats,
 * the gauges are read from the routes, FastCGI pools and XMPP links when the page is
 * asked for (xmpp-cgi(8) lists every metric). */
#ifndef XC_METRICS_H
#define XC_METRICS_H

#include <stddef.h>
#include <uv.h>

#include "config.h"
#include "dispatch.h"
#include "xmpp_link.h"

struct metrics_source {
	struct dispatcher *disp;
	struct xmpp_link ***links;    /* the daemon's link array and its length, which a  */
	size_t *n_links;              /* reload may change */
	const unsigned long *reloads; /* [0]: applied, [1]: refused */
};

struct metrics;

/* NULL (logged) when the endpoint cannot listen. */
struct metrics *metrics_start(uv_loop_t *loop, const struct config *cfg,
                              const struct metrics_source *src);
void metrics_stop(struct metrics *m);
/* The page as served (malloc'd), or NULL when out of memory. */
char *metrics_render(const struct metrics_source *src, size_t *len);

#endif
