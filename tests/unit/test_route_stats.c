/* test_route_stats.c - unit tests for bridge/daemon/route_stats.c, a route's counters.
 *
 * Covers requests by kind (other kinds ignored), answers by class from the real reply
 * builder (result, none, a condition) with timeouts counted from the failure, more
 * distinct classes than the table holds folding into "other", and the latency
 * histogram: a value on a bucket's bound falls in that bucket (le is inclusive), one
 * just above in the next, one above every bound in the last, and the sum in ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"
#include "route_stats.h"

static uint64_t answers(const struct route_stats *s, const char *cls)
{
	for (size_t i = 0; i < s->n_answers; i++)
		if (strcmp(s->answers[i].cls, cls) == 0)
			return s->answers[i].n;
	return 0;
}

static void test_requests(void **state)
{
	struct route_stats s = {0};
	(void)state;
	route_stats_request(&s, KIND_IQ);
	route_stats_request(&s, KIND_IQ);
	route_stats_request(&s, KIND_MESSAGE);
	route_stats_request(&s, KIND_PRESENCE);
	route_stats_request(&s, KIND_OTHER);
	assert_int_equal(s.requests[KIND_IQ], 2);
	assert_int_equal(s.requests[KIND_MESSAGE], 1);
	assert_int_equal(s.requests[KIND_PRESENCE], 1);
}

static void test_answers_and_timeouts(void **state)
{
	struct route_stats s = {0};
	struct reply_target t = {.kind = KIND_IQ, .type = "get", .id = "1", .to = "a@b/c"};
	char *xml = reply_failure(&t, FAIL_TIMEOUT, NULL);
	(void)state;
	assert_non_null(xml);
	route_stats_answer(&s, xml, FAIL_TIMEOUT);
	route_stats_answer(&s, xml, FAIL_TIMEOUT);
	free(xml);
	route_stats_answer(&s, "<iq type=\"result\" id=\"2\"/>", FAIL_NONE);
	route_stats_answer(&s, NULL, FAIL_NONE);
	assert_int_equal(s.timeouts, 2);
	assert_int_equal(answers(&s, "remote-server-timeout"), 2);
	assert_int_equal(answers(&s, "result"), 1);
	assert_int_equal(answers(&s, "none"), 1);
	assert_int_equal(s.n_answers, 3);
}

static void test_classes_fold_into_other(void **state)
{
	struct route_stats s = {0};
	char xml[200];
	(void)state;
	for (int i = 0; i < STATS_MAX_CLASSES + 5; i++) {
		snprintf(xml, sizeof xml, "<iq type=\"error\"><error type=\"cancel\"><c%d/></error></iq>",
		         i);
		route_stats_answer(&s, xml, FAIL_NONE);
	}
	assert_int_equal(s.n_answers, STATS_MAX_CLASSES);
	assert_int_equal(answers(&s, "c0"), 1);
	assert_int_equal(answers(&s, "other"), 6);
}

static void test_latency_buckets(void **state)
{
	struct route_stats s = {0};
	(void)state;
	route_stats_latency(&s, 0);
	route_stats_latency(&s, 5); /* on the first bound: le="0.005" */
	route_stats_latency(&s, 6); /* next bucket */
	route_stats_latency(&s, 1000);
	route_stats_latency(&s, 31000); /* above every bound */
	assert_int_equal(s.latency[0], 2);
	assert_int_equal(s.latency[1], 1);
	assert_int_equal(s.latency[7], 1); /* le="1" */
	assert_int_equal(s.latency[STATS_LATENCY_BUCKETS], 1);
	assert_int_equal(s.latency_sum_ms, 32011);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_requests),
	    cmocka_unit_test(test_answers_and_timeouts),
	    cmocka_unit_test(test_classes_fold_into_other),
	    cmocka_unit_test(test_latency_buckets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
