/* test_route.c - unit tests for bridge/xmpp/route.c: the JID helpers and the sender ACL.
 *
 * Covers jid_bare (full JID, bare JID, domain-only JID, domain lower-cased while the
 * localpart keeps its case, empty and too-long input), jid_resource, and route_allows
 * with "*", "*@domain" (case-insensitive), exact bare JIDs, lists of patterns and the
 * near misses that must not match: a subdomain of an allowed domain, the domain itself
 * as a domain-only JID, an empty list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "route.h"

static void test_jid_bare_full(void **state)
{
	char out[64];
	(void)state;
	assert_true(jid_bare("alice@example.org/phone", out, sizeof out));
	assert_string_equal(out, "alice@example.org");
	/* only the first slash separates the resource */
	assert_true(jid_bare("alice@example.org/a/b@c", out, sizeof out));
	assert_string_equal(out, "alice@example.org");
}

static void test_jid_bare_bare_and_domain(void **state)
{
	char out[64];
	(void)state;
	assert_true(jid_bare("alice@example.org", out, sizeof out));
	assert_string_equal(out, "alice@example.org");
	assert_true(jid_bare("example.org", out, sizeof out));
	assert_string_equal(out, "example.org");
	assert_true(jid_bare("example.org/res", out, sizeof out));
	assert_string_equal(out, "example.org");
}

static void test_jid_bare_lowercases_domain_only(void **state)
{
	char out[64];
	(void)state;
	assert_true(jid_bare("Alice@Example.ORG/Phone", out, sizeof out));
	assert_string_equal(out, "Alice@example.org");
	assert_true(jid_bare("EXAMPLE.Org", out, sizeof out));
	assert_string_equal(out, "example.org");
}

static void test_jid_bare_limits(void **state)
{
	char out[18];
	(void)state;
	/* "alice@example.org" is 17 bytes: fits in 18 with its NUL, not in 17 */
	assert_true(jid_bare("alice@example.org/r", out, 18));
	assert_string_equal(out, "alice@example.org");
	assert_false(jid_bare("alice@example.org/r", out, 17));
	assert_false(jid_bare("alice@example.org.uk", out, sizeof out));
	assert_false(jid_bare("", out, sizeof out));
	assert_false(jid_bare("/resource", out, sizeof out));
}

static void test_jid_resource(void **state)
{
	(void)state;
	assert_string_equal(jid_resource("alice@example.org/phone"), "phone");
	assert_string_equal(jid_resource("alice@example.org/a/b"), "a/b");
	assert_string_equal(jid_resource("example.org/r"), "r");
	assert_string_equal(jid_resource("alice@example.org/"), "");
	assert_null(jid_resource("alice@example.org"));
	assert_null(jid_resource("example.org"));
}

static void test_allows_star(void **state)
{
	char *allow[] = {"*"};
	struct route_cfg r = {.allow = allow, .n_allow = 1};
	(void)state;
	assert_true(route_allows(&r, "alice@example.org"));
	assert_true(route_allows(&r, "mallory@evil.example"));
	assert_true(route_allows(&r, "example.org"));
}

static void test_allows_domain_pattern(void **state)
{
	char *allow[] = {"*@example.org"};
	struct route_cfg r = {.allow = allow, .n_allow = 1};
	(void)state;
	assert_true(route_allows(&r, "alice@example.org"));
	assert_true(route_allows(&r, "Bob@EXAMPLE.org"));
	assert_false(route_allows(&r, "alice@example.net"));
	assert_false(route_allows(&r, "evil@sub.example.org"));
	assert_false(route_allows(&r, "evil@example.org.evil.example"));
	assert_false(route_allows(&r, "evil@xexample.org"));
	/* the domain itself (a server or component) is no account of it */
	assert_false(route_allows(&r, "example.org"));
}

static void test_allows_exact(void **state)
{
	char *allow[] = {"alice@example.org", "robot@example.net"};
	struct route_cfg r = {.allow = allow, .n_allow = 2};
	(void)state;
	assert_true(route_allows(&r, "alice@example.org"));
	assert_true(route_allows(&r, "ALICE@Example.Org"));
	assert_true(route_allows(&r, "robot@example.net"));
	assert_false(route_allows(&r, "bob@example.org"));
	assert_false(route_allows(&r, "alice@example.net"));
	assert_false(route_allows(&r, "alice@example.org.evil"));
	assert_false(route_allows(&r, "xalice@example.org"));
	assert_false(route_allows(&r, "example.org"));
}

static void test_allows_mixed_list(void **state)
{
	char *allow[] = {"admin@example.com", "*@example.org", "*@example.net"};
	struct route_cfg r = {.allow = allow, .n_allow = 3};
	(void)state;
	assert_true(route_allows(&r, "admin@example.com"));
	assert_false(route_allows(&r, "user@example.com"));
	assert_true(route_allows(&r, "x@example.org"));
	assert_true(route_allows(&r, "y@example.net"));
	assert_false(route_allows(&r, "z@sub.example.net"));
}

static void test_allows_empty_list(void **state)
{
	struct route_cfg r;
	(void)state;
	memset(&r, 0, sizeof r);
	assert_false(route_allows(&r, "alice@example.org"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jid_bare_full),
	    cmocka_unit_test(test_jid_bare_bare_and_domain),
	    cmocka_unit_test(test_jid_bare_lowercases_domain_only),
	    cmocka_unit_test(test_jid_bare_limits),
	    cmocka_unit_test(test_jid_resource),
	    cmocka_unit_test(test_allows_star),
	    cmocka_unit_test(test_allows_domain_pattern),
	    cmocka_unit_test(test_allows_exact),
	    cmocka_unit_test(test_allows_mixed_list),
	    cmocka_unit_test(test_allows_empty_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
