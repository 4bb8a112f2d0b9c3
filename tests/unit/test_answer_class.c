/* test_answer_class.c - unit tests for bridge/daemon/answer_class.c, the metrics' answer class.
 *
 * Covers no reply ("none"), an iq result with and without a payload, a message reply,
 * iq and message errors as reply.c writes them (double quotes) and with single quotes,
 * a SOAP fault reply whose envelope precedes the error element and mentions "<error"
 * itself, a result whose payload holds an error element (still "result"), and error
 * stanzas without a usable condition ("other"). Errors come from reply_failure() too,
 * so the classifier is checked against the real builder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "answer_class.h"
#include "reply.h"

static const char *cls(const char *xml)
{
	static char out[64];
	answer_class_of(xml, out, sizeof out);
	return out;
}

static void test_results(void **state)
{
	(void)state;
	assert_string_equal(cls(NULL), "none");
	assert_string_equal(cls("<iq type=\"result\" id=\"1\"/>"), "result");
	assert_string_equal(cls("<iq id=\"1\" type=\"result\"><x><error type=\"cancel\"><bad-request/>"
	                        "</error></x></iq>"),
	                    "result");
	assert_string_equal(cls("<message to=\"a@b\"><body>hi</body></message>"), "result");
}

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(cls("<iq type=\"error\" id=\"1\"><error type=\"cancel\"><item-not-found "
	                        "xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/></error></iq>"),
	                    "item-not-found");
	assert_string_equal(cls("<message type='error'><error type='wait'><resource-constraint "
	                        "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text>x</text></error>"
	                        "</message>"),
	                    "resource-constraint");
	assert_string_equal(cls("<iq type=\"error\"><Envelope><Body>&lt;error <errors/></Body>"
	                        "</Envelope><error type=\"modify\"><undefined-condition/><text>t</text>"
	                        "</error></iq>"),
	                    "undefined-condition");
	assert_string_equal(cls("<iq type=\"error\"/>"), "other");
	assert_string_equal(cls("<iq type=\"error\"><error/></iq>"), "other");
	assert_string_equal(cls("<iq type=\"error\"><error></error></iq>"), "other");
}

static void test_against_reply_builder(void **state)
{
	struct reply_target t = {.kind = KIND_IQ, .type = "get", .id = "7", .to = "a@b/c"};
	char *xml;
	(void)state;
	xml = reply_failure(&t, FAIL_TIMEOUT, NULL);
	assert_non_null(xml);
	assert_string_equal(cls(xml), "remote-server-timeout");
	free(xml);
	xml = reply_failure(&t, FAIL_BUSY, "queue <error> full");
	assert_non_null(xml);
	assert_string_equal(cls(xml), "resource-constraint");
	free(xml);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_results),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_against_reply_builder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
