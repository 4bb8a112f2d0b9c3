/* test_stanza_error.c - unit tests for bridge/mapping/stanza_error.c, the HTTP status and bridge
 * failure -> stanza error tables.
 *
 * Every status of the table maps to its condition and type; other 4xx are bad-request
 * and other codes undefined-condition; a 3xx becomes redirect or gone only with an
 * xmpp: Location naming a valid JID (percent-escapes decoded, %00 refused); each bridge
 * failure has its condition, type and a text, and "no route" depends on the kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "stanza_error.h"

#include "stanza_error_expect.h"

static void test_status_table(void **state)
{
	(void)state;
	expect_status(400, NULL, "bad-request", "modify", NULL);
	expect_status(401, NULL, "not-authorized", "auth", NULL);
	expect_status(403, NULL, "forbidden", "auth", NULL);
	expect_status(404, NULL, "item-not-found", "cancel", NULL);
	expect_status(405, NULL, "not-allowed", "cancel", NULL);
	expect_status(406, NULL, "not-acceptable", "modify", NULL);
	expect_status(407, NULL, "registration-required", "auth", NULL);
	expect_status(408, NULL, "remote-server-timeout", "wait", NULL);
	expect_status(409, NULL, "conflict", "cancel", NULL);
	expect_status(410, NULL, "gone", "cancel", NULL);
	expect_status(413, NULL, "resource-constraint", "modify", NULL);
	expect_status(415, NULL, "feature-not-implemented", "cancel", NULL);
	expect_status(429, NULL, "resource-constraint", "wait", NULL);
	expect_status(451, NULL, "forbidden", "auth", NULL);
	expect_status(500, NULL, "internal-server-error", "cancel", NULL);
	expect_status(501, NULL, "feature-not-implemented", "cancel", NULL);
	expect_status(502, NULL, "service-unavailable", "wait", NULL);
	expect_status(503, NULL, "service-unavailable", "wait", NULL);
	expect_status(504, NULL, "remote-server-timeout", "wait", NULL);
	expect_status(507, NULL, "resource-constraint", "wait", NULL);
}

static void test_status_defaults(void **state)
{
	(void)state;
	expect_status(418, NULL, "bad-request", "modify", NULL);
	expect_status(499, NULL, "bad-request", "modify", NULL);
	expect_status(505, NULL, "undefined-condition", "cancel", NULL);
	expect_status(599, NULL, "undefined-condition", "cancel", NULL);
	expect_status(300, NULL, "undefined-condition", "cancel", NULL);
	expect_status(302, NULL, "undefined-condition", "cancel", NULL);
	expect_status(200, NULL, "undefined-condition", "cancel", NULL);
	expect_status(700, NULL, "undefined-condition", "cancel", NULL);
}

static void test_redirects(void **state)
{
	(void)state;
	expect_status(302, "xmpp:other@localhost/x", "redirect", "modify", "xmpp:other@localhost/x");
	expect_status(303, "xmpp:other@localhost", "redirect", "modify", "xmpp:other@localhost");
	expect_status(307, "xmpp:other@localhost", "redirect", "modify", "xmpp:other@localhost");
	expect_status(301, "xmpp:moved@localhost", "gone", "cancel", "xmpp:moved@localhost");
	expect_status(308, "xmpp:moved@localhost", "gone", "cancel", "xmpp:moved@localhost");
	/* authority form, query and fragment, escapes */
	expect_status(302, "xmpp://me@localhost/other@localhost?message", "redirect", "modify",
	              "xmpp://me@localhost/other@localhost?message");
	expect_status(302, "xmpp:other%40localhost", "redirect", "modify", "xmpp:other%40localhost");
	/* other 3xx, other schemes, JIDs a server would refuse */
	expect_status(300, "xmpp:other@localhost", "undefined-condition", "cancel", NULL);
	expect_status(304, "xmpp:other@localhost", "undefined-condition", "cancel", NULL);
	expect_status(302, "http://example.com/", "undefined-condition", "cancel", NULL);
	expect_status(302, "XMPP:other@localhost", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:@localhost", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:a%00b@localhost", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:a%zzb@localhost", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:a%2", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp://authority-without-path", "undefined-condition", "cancel", NULL);
	expect_status(301, "xmpp:a b@localhost", "undefined-condition", "cancel", NULL);
}

static void test_long_location(void **state)
{
	char loc[5000];
	(void)state;
	memcpy(loc, "xmpp:", 5);
	memset(loc + 5, 'a', sizeof loc - 6);
	loc[sizeof loc - 1] = '\0';
	expect_status(302, loc, "undefined-condition", "cancel", NULL);
}

static void test_failures(void **state)
{
	(void)state;
	expect_failure(FAIL_TIMEOUT, KIND_IQ, "remote-server-timeout", "wait");
	expect_failure(FAIL_HANDLER, KIND_IQ, "internal-server-error", "cancel");
	expect_failure(FAIL_TOO_LARGE, KIND_IQ, "resource-constraint", "modify");
	expect_failure(FAIL_BAD_XML, KIND_IQ, "internal-server-error", "cancel");
	expect_failure(FAIL_BUSY, KIND_IQ, "resource-constraint", "wait");
	expect_failure(FAIL_UNAVAILABLE, KIND_IQ, "service-unavailable", "wait");
	expect_failure(FAIL_FORBIDDEN, KIND_IQ, "forbidden", "auth");
	expect_failure(FAIL_NO_ROUTE, KIND_IQ, "item-not-found", "cancel");
	expect_failure(FAIL_NO_ROUTE, KIND_MESSAGE, "service-unavailable", "cancel");
	expect_failure(FAIL_NO_ROUTE, KIND_PRESENCE, "service-unavailable", "cancel");
	expect_failure(FAIL_BAD_REQUEST, KIND_IQ, "bad-request", "modify");
	expect_failure(FAIL_NOT_IMPLEMENTED, KIND_IQ, "feature-not-implemented", "cancel");
	expect_failure(FAIL_NONE, KIND_IQ, "internal-server-error", "cancel");
}

static void test_failure_texts(void **state)
{
	(void)state;
	for (int f = FAIL_NONE; f <= FAIL_NOT_IMPLEMENTED; f++) {
		const char *t = bridge_failure_text((enum bridge_failure)f);
		assert_non_null(t);
		assert_true(strlen(t) > 0);
		for (int g = FAIL_NONE; g < f; g++)
			assert_string_not_equal(t, bridge_failure_text((enum bridge_failure)g));
	}
	assert_string_equal(bridge_failure_text((enum bridge_failure)99), "unknown failure");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_table), cmocka_unit_test(test_status_defaults),
	    cmocka_unit_test(test_redirects),    cmocka_unit_test(test_long_location),
	    cmocka_unit_test(test_failures),     cmocka_unit_test(test_failure_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
