/* test_metrics_text.c - unit tests for bridge/daemon/metrics_text.c, the Prometheus text format.
 *
 * Covers the HELP/TYPE header (with a backslash and a newline escaped in the help
 * text), samples without labels, with one and with several labels, label values that
 * need escaping (backslash, double quote, newline), integer and fractional values,
 * +Inf, and a histogram: cumulative buckets ending in le="+Inf", _sum and _count, with
 * and without other labels, and an empty histogram. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "metrics_text.h"

static void test_family_header(void **state)
{
	struct buf b = {0};
	(void)state;
	assert_int_equal(mt_family(&b, "xc_up", "gauge", "Is it \"up\"\\down\nreally"), 0);
	assert_string_equal(b.data, "# HELP xc_up Is it \"up\"\\\\down\\nreally\n# TYPE xc_up gauge\n");
	buf_free(&b);
}

static void test_samples(void **state)
{
	struct buf b = {0};
	const char *one[] = {"route", "echo"};
	const char *two[] = {"route", "echo", "kind", "iq"};
	struct mt_labels l1 = {one, 1}, l2 = {two, 2};
	(void)state;
	assert_int_equal(mt_sample(&b, "a", NULL, 3), 0);
	assert_int_equal(mt_sample(&b, "b", &l1, 0.25), 0);
	assert_int_equal(mt_sample(&b, "c_total", &l2, 12345678), 0);
	assert_int_equal(mt_sample(&b, "d", &l1, INFINITY), 0);
	assert_string_equal(b.data, "a 3\n"
	                            "b{route=\"echo\"} 0.25\n"
	                            "c_total{route=\"echo\",kind=\"iq\"} 12345678\n"
	                            "d{route=\"echo\"} +Inf\n");
	buf_free(&b);
}

static void test_label_escaping(void **state)
{
	struct buf b = {0};
	const char *p[] = {"backend", "unix:/a\\b\"c\nd"};
	struct mt_labels l = {p, 1};
	(void)state;
	assert_int_equal(mt_sample(&b, "x", &l, 1), 0);
	assert_string_equal(b.data, "x{backend=\"unix:/a\\\\b\\\"c\\nd\"} 1\n");
	buf_free(&b);
}

static void test_histogram(void **state)
{
	struct buf b = {0};
	const double bounds[] = {0.005, 0.1, 1};
	const uint64_t counts[] = {2, 0, 3, 1};
	const char *p[] = {"route", "echo"};
	struct mt_labels l = {p, 1};
	struct mt_histogram h = {bounds, counts, 3, 4.5};
	(void)state;
	assert_int_equal(mt_histogram(&b, "lat_seconds", &l, &h), 0);
	assert_string_equal(b.data, "lat_seconds_bucket{route=\"echo\",le=\"0.005\"} 2\n"
	                            "lat_seconds_bucket{route=\"echo\",le=\"0.1\"} 2\n"
	                            "lat_seconds_bucket{route=\"echo\",le=\"1\"} 5\n"
	                            "lat_seconds_bucket{route=\"echo\",le=\"+Inf\"} 6\n"
	                            "lat_seconds_sum{route=\"echo\"} 4.5\n"
	                            "lat_seconds_count{route=\"echo\"} 6\n");
	buf_free(&b);
}

static void test_histogram_no_labels_empty(void **state)
{
	struct buf b = {0};
	const double bounds[] = {1};
	const uint64_t counts[] = {0, 0};
	struct mt_histogram h = {bounds, counts, 1, 0};
	(void)state;
	assert_int_equal(mt_histogram(&b, "h", NULL, &h), 0);
	assert_string_equal(b.data, "h_bucket{le=\"1\"} 0\n"
	                            "h_bucket{le=\"+Inf\"} 0\n"
	                            "h_sum 0\n"
	                            "h_count 0\n");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_family_header),
	    cmocka_unit_test(test_samples),
	    cmocka_unit_test(test_label_escaping),
	    cmocka_unit_test(test_histogram),
	    cmocka_unit_test(test_histogram_no_labels_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
