/* test_grant.c - unit tests for bridge/daemon/grant.c, the control socket's per-request tokens.
 *
 * A token is 32 lowercase hex digits, differs from every other one issued, names the
 * route it was issued for until it is revoked and never after, and a token that is
 * almost right (one digit off, a prefix, a longer string) names nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "grant.h"

static void test_issue_lookup_revoke(void **state)
{
	struct grant_table t = {0};
	char a[GRANT_TOKEN_LEN + 1], b[GRANT_TOKEN_LEN + 1];
	(void)state;
	assert_int_equal(grant_issue(&t, "echo", a), 0);
	assert_int_equal(grant_issue(&t, "other", b), 0);
	assert_int_equal(strlen(a), GRANT_TOKEN_LEN);
	assert_int_equal(strspn(a, "0123456789abcdef"), GRANT_TOKEN_LEN);
	assert_string_not_equal(a, b);
	assert_string_equal(grant_route(&t, a), "echo");
	assert_string_equal(grant_route(&t, b), "other");
	grant_revoke(&t, a);
	assert_null(grant_route(&t, a));
	assert_string_equal(grant_route(&t, b), "other");
	grant_revoke(&t, a); /* twice: nothing happens */
	grant_revoke(&t, b);
	assert_null(grant_route(&t, b));
	assert_int_equal(t.n, 0);
	grant_table_free(&t);
}

static void test_near_misses(void **state)
{
	struct grant_table t = {0};
	char a[GRANT_TOKEN_LEN + 1], wrong[GRANT_TOKEN_LEN + 2];
	(void)state;
	assert_int_equal(grant_issue(&t, "echo", a), 0);
	memcpy(wrong, a, sizeof a);
	wrong[GRANT_TOKEN_LEN - 1] = wrong[GRANT_TOKEN_LEN - 1] == '0' ? '1' : '0';
	assert_null(grant_route(&t, wrong));
	memcpy(wrong, a, sizeof a);
	wrong[GRANT_TOKEN_LEN - 1] = '\0';
	assert_null(grant_route(&t, wrong));
	memcpy(wrong, a, GRANT_TOKEN_LEN);
	wrong[GRANT_TOKEN_LEN] = '0';
	wrong[GRANT_TOKEN_LEN + 1] = '\0';
	assert_null(grant_route(&t, wrong));
	assert_null(grant_route(&t, ""));
	grant_table_free(&t);
}

static void test_many(void **state)
{
	struct grant_table t = {0};
	char tok[300][GRANT_TOKEN_LEN + 1];
	(void)state;
	for (int i = 0; i < 300; i++)
		assert_int_equal(grant_issue(&t, i % 2 ? "odd" : "even", tok[i]), 0);
	for (int i = 0; i < 300; i += 3)
		grant_revoke(&t, tok[i]);
	for (int i = 0; i < 300; i++) {
		if (i % 3 == 0)
			assert_null(grant_route(&t, tok[i]));
		else
			assert_string_equal(grant_route(&t, tok[i]), i % 2 ? "odd" : "even");
	}
	grant_table_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_issue_lookup_revoke),
	    cmocka_unit_test(test_near_misses),
	    cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
