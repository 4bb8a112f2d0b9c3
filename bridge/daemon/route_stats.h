/* route_stats.h - one route's counters for the metrics endpoint (pure).
 *
 * Requests by stanza kind, answers by class (answer_class.h), timeouts and the
 * handler latency histogram. The counters belong to the route's name, not to one
 * configuration: a route that a reload changes keeps counting in the same record,
 * shared by the old (draining) and the new runtime route, so Prometheus never sees a
 * counter go back. The gauges (queue, in flight) are read from the routes themselves. */
#ifndef XC_ROUTE_STATS_H
#define XC_ROUTE_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "stanza_error.h"

#define STATS_LATENCY_BUCKETS 12
#define STATS_MAX_CLASSES 32

extern const double stats_latency_bounds[STATS_LATENCY_BUCKETS]; /* seconds */

struct answer_count {
	char cls[40];
	uint64_t n;
};

struct route_stats {
	struct route_stats *next;
	char route[72];
	unsigned users;       /* runtime routes counting here */
	uint64_t requests[3]; /* by enum stanza_kind: iq, message, presence */
	struct answer_count answers[STATS_MAX_CLASSES];
	size_t n_answers;
	uint64_t timeouts;
	uint64_t latency[STATS_LATENCY_BUCKETS + 1]; /* per bucket; the last: above them all */
	uint64_t latency_sum_ms;
};

void route_stats_request(struct route_stats *s, enum stanza_kind kind);
/* xml: the reply sent, or NULL when none was. */
void route_stats_answer(struct route_stats *s, const char *xml, enum bridge_failure f);
void route_stats_latency(struct route_stats *s, uint64_t ms);

#endif
