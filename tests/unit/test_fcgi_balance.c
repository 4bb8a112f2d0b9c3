/* test_fcgi_balance.c - unit tests for bridge/backend/fcgi_balance.c, the choice of a route's
 * FastCGI backend for one request.
 *
 * Least requests in hand among usable backends with room, ties to the first; one with
 * no room is passed over for one with room, and waited for when all are full; a backend
 * that failed to connect is left out for the rest time and used again after it (at
 * once with a rest of 0); when every backend of the route rests, the one that failed
 * last is tried (the only backend of a route never rests), unless this request tried it
 * already; backends a request tried are never picked again for it; an overloaded one
 * rests until its time, and when only overloaded ones are left the verdict is busy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fcgi_balance.h"

#define UP(o) ((struct fcgi_candidate){.health = FCGI_HEALTH_UP, .outstanding = (o)})
#define FAILED(at) ((struct fcgi_candidate){.health = FCGI_HEALTH_FAILED, .failed_at = (at)})
#define OVERLOADED(until)                                                                          \
	((struct fcgi_candidate){.health = FCGI_HEALTH_OVERLOADED, .rest_until = (until)})

#define REST 1000

static size_t n_of(size_t bytes) { return bytes / sizeof(struct fcgi_candidate); }

#define PICK(c, now, idx) fcgi_balance_pick((c), n_of(sizeof(c)), (now), REST, (idx))

static void test_least_outstanding(void **state)
{
	struct fcgi_candidate c[] = {UP(3), UP(1), UP(2)};
	size_t i = 99;
	(void)state;
	assert_int_equal(PICK(c, 5000, &i), FCGI_USE);
	assert_int_equal(i, 1);
}

static void test_ties_go_to_the_first(void **state)
{
	struct fcgi_candidate c[] = {UP(0), UP(0), UP(0)};
	size_t i = 99;
	(void)state;
	assert_int_equal(PICK(c, 5000, &i), FCGI_USE);
	assert_int_equal(i, 0);
	c[0].outstanding = 1;
	assert_int_equal(PICK(c, 5000, &i), FCGI_USE);
	assert_int_equal(i, 1);
}

static void test_full_passed_over_then_waited_for(void **state)
{
	struct fcgi_candidate c[] = {UP(0), UP(5), UP(4)};
	size_t i = 99;
	(void)state;
	c[0].full = true;
	assert_int_equal(PICK(c, 5000, &i), FCGI_USE);
	assert_int_equal(i, 2);
	c[1].full = c[2].full = true;
	assert_int_equal(PICK(c, 5000, &i), FCGI_WAIT);
	assert_int_equal(i, 0);
}

static void test_failed_rests_for_the_rest_time(void **state)
{
	struct fcgi_candidate c[] = {FAILED(10000), UP(7)};
	size_t i = 99;
	(void)state;
	assert_int_equal(PICK(c, 10000, &i), FCGI_USE);
	assert_int_equal(i, 1);
	assert_int_equal(PICK(c, 10000 + REST - 1, &i), FCGI_USE);
	assert_int_equal(i, 1);
	/* rest over: usable again, and it has fewer requests in hand */
	assert_int_equal(PICK(c, 10000 + REST, &i), FCGI_USE);
	assert_int_equal(i, 0);
}

static void test_rest_zero(void **state)
{
	struct fcgi_candidate c[] = {FAILED(10000), UP(7)};
	size_t i = 99;
	(void)state;
	assert_int_equal(fcgi_balance_pick(c, 2, 10000, 0, &i), FCGI_USE);
	assert_int_equal(i, 0);
	c[0].tried = true;
	assert_int_equal(fcgi_balance_pick(c, 2, 10000, 0, &i), FCGI_USE);
	assert_int_equal(i, 1);
}

static void test_only_backend_never_rests(void **state)
{
	struct fcgi_candidate c[] = {FAILED(10000)};
	size_t i = 99;
	(void)state;
	assert_int_equal(PICK(c, 10000, &i), FCGI_USE);
	assert_int_equal(i, 0);
	assert_int_equal(fcgi_balance_pick(c, 1, 10000, 3600 * 1000, &i), FCGI_USE);
	c[0].full = true;
	assert_int_equal(PICK(c, 10000, &i), FCGI_WAIT);
	assert_int_equal(i, 0);
	/* but a request does not go back to it once it failed to connect for that request */
	c[0].full = false;
	c[0].tried = true;
	assert_int_equal(PICK(c, 10000, &i), FCGI_UNAVAILABLE);
}

static void test_all_resting_the_last_to_fail_is_tried(void **state)
{
	struct fcgi_candidate c[] = {FAILED(9000), FAILED(9500), FAILED(9200)};
	size_t i = 99;
	(void)state;
	assert_int_equal(PICK(c, 9600, &i), FCGI_USE);
	assert_int_equal(i, 1);
	c[1].tried = true; /* that request goes no further: the others rest */
	assert_int_equal(PICK(c, 9600, &i), FCGI_UNAVAILABLE);
	/* the rest of the first is over: usable again, for this request too */
	assert_int_equal(PICK(c, 10000, &i), FCGI_USE);
	assert_int_equal(i, 0);
}

static void test_room_elsewhere_is_no_reason_to_try_a_resting_one(void **state)
{
	struct fcgi_candidate c[] = {FAILED(9900), UP(3)};
	size_t i = 99;
	(void)state;
	c[1].full = true;
	assert_int_equal(PICK(c, 10000, &i), FCGI_WAIT);
	assert_int_equal(i, 1);
}

static void test_tried_never_again(void **state)
{
	struct fcgi_candidate c[] = {UP(0), UP(9)};
	size_t i = 99;
	(void)state;
	c[0].tried = true;
	assert_int_equal(PICK(c, 10000, &i), FCGI_USE);
	assert_int_equal(i, 1);
	c[1].tried = true;
	assert_int_equal(PICK(c, 10000, &i), FCGI_UNAVAILABLE);
}

static void test_overloaded(void **state)
{
	struct fcgi_candidate c[] = {OVERLOADED(11000), UP(4)};
	struct fcgi_candidate alone[] = {OVERLOADED(11000)};
	struct fcgi_candidate mixed[] = {OVERLOADED(11000), FAILED(9900)};
	size_t i = 99;
	(void)state;
	assert_int_equal(PICK(c, 10000, &i), FCGI_USE);
	assert_int_equal(i, 1);
	c[1].tried = true;
	assert_int_equal(PICK(c, 10000, &i), FCGI_UNAVAILABLE);
	assert_int_equal(PICK(alone, 10000, &i), FCGI_BUSY);
	assert_int_equal(PICK(alone, 11000, &i), FCGI_USE);
	assert_int_equal(i, 0);
	/* one said it is overloaded, the other failed: the route keeps the failed one */
	assert_int_equal(PICK(mixed, 10000, &i), FCGI_USE);
	assert_int_equal(i, 1);
	mixed[1].tried = true;
	assert_int_equal(PICK(mixed, 10000, &i), FCGI_BUSY);
}

static void test_no_backends(void **state)
{
	size_t i = 99;
	(void)state;
	assert_int_equal(fcgi_balance_pick(NULL, 0, 10000, REST, &i), FCGI_UNAVAILABLE);
	assert_int_equal(i, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_least_outstanding),
	    cmocka_unit_test(test_ties_go_to_the_first),
	    cmocka_unit_test(test_full_passed_over_then_waited_for),
	    cmocka_unit_test(test_failed_rests_for_the_rest_time),
	    cmocka_unit_test(test_rest_zero),
	    cmocka_unit_test(test_only_backend_never_rests),
	    cmocka_unit_test(test_all_resting_the_last_to_fail_is_tried),
	    cmocka_unit_test(test_room_elsewhere_is_no_reason_to_try_a_resting_one),
	    cmocka_unit_test(test_tried_never_again),
	    cmocka_unit_test(test_overloaded),
	    cmocka_unit_test(test_no_backends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
