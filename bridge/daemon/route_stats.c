/* route_stats.c - one route's counters (pure; see route_stats.h). */
#include "route_stats.h"

#include <string.h>

#include "answer_class.h"

const double stats_latency_bounds[STATS_LATENCY_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5,   1,    2.5,   5,    10,  30};

void route_stats_request(struct route_stats *s, enum stanza_kind kind)
{
	if (kind <= KIND_PRESENCE)
		s->requests[kind]++;
}

void route_stats_answer(struct route_stats *s, const char *xml, enum bridge_failure f)
{
	char cls[40];
	size_t i;
	if (f == FAIL_TIMEOUT)
		s->timeouts++;
	answer_class_of(xml, cls, sizeof cls);
	for (i = 0; i < s->n_answers; i++)
		if (strcmp(s->answers[i].cls, cls) == 0)
			break;
	if (i == s->n_answers) {
		if (i == STATS_MAX_CLASSES) /* more classes than RFC 6120 has: fold the rest */
			i = STATS_MAX_CLASSES - 1, memcpy(s->answers[i].cls, "other", 6);
		else {
			memcpy(s->answers[i].cls, cls, sizeof cls);
			s->n_answers++;
		}
	}
	s->answers[i].n++;
}

void route_stats_latency(struct route_stats *s, uint64_t ms)
{
	size_t i = 0;
	while (i < STATS_LATENCY_BUCKETS && (double)ms > stats_latency_bounds[i] * 1000.0)
		i++;
	s->latency[i]++;
	s->latency_sum_ms += ms;
}
