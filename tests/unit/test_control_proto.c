/* test_control_proto.c - unit tests for bridge/daemon/control_proto.c, the control socket's
 * request line and the stanza a payload becomes.
 *
 * The line: the four verbs with LENGTH and an iq's TIMEOUT_MS, "token TOKEN", and every
 * malformed form refused with a reason. The payload: a message body escaped, a stanza
 * stamped with to and from, an iq given the bridge's id with the caller's returned, and
 * refusals: an iq result or error (forbidden), a bad TO (bad-to), non-XML, a comment, a
 * non-stanza root or a foreign namespace (bad-xml). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"

static int parse(const char *line, struct ctl_request *rq, const char **why)
{
	*why = NULL;
	return ctl_parse_line(line, strlen(line), rq, why);
}

static void test_line_verbs(void **state)
{
	struct ctl_request rq;
	const char *why;
	(void)state;
	assert_int_equal(parse("message echo alice@localhost 5", &rq, &why), 0);
	assert_int_equal(rq.verb, CTL_MESSAGE);
	assert_string_equal(rq.route, "echo");
	assert_string_equal(rq.to, "alice@localhost");
	assert_int_equal(rq.length, 5);
	assert_int_equal(rq.timeout_ms, CTL_DEFAULT_IQ_TIMEOUT_MS);
	assert_int_equal(parse("normal r bob@localhost/res 0\r", &rq, &why), 0);
	assert_int_equal(rq.verb, CTL_NORMAL);
	assert_string_equal(rq.to, "bob@localhost/res");
	assert_int_equal(parse("stanza r x@y 4096", &rq, &why), 0);
	assert_int_equal(rq.verb, CTL_STANZA);
	assert_int_equal(rq.length, 4096);
	assert_int_equal(parse("iq r x@y 10 2500", &rq, &why), 0);
	assert_int_equal(rq.verb, CTL_IQ);
	assert_int_equal(rq.timeout_ms, 2500);
	assert_int_equal(parse("iq r x@y 10 3600000", &rq, &why), 0);
	assert_int_equal(rq.timeout_ms, CTL_MAX_IQ_TIMEOUT_MS);
}

static void test_line_token(void **state)
{
	struct ctl_request rq;
	const char *why;
	char line[200];
	(void)state;
	assert_int_equal(parse("token 0123456789abcdef0123456789abcdef", &rq, &why), 0);
	assert_int_equal(rq.verb, CTL_TOKEN);
	assert_string_equal(rq.token, "0123456789abcdef0123456789abcdef");
	/* a token too long for the record is no token line */
	memset(line, 0, sizeof line);
	strcpy(line, "token ");
	memset(line + 6, 'a', sizeof rq.token);
	assert_int_equal(parse(line, &rq, &why), -1);
	assert_non_null(why);
	/* "token" with a payload length is an unknown verb */
	assert_int_equal(parse("token r x@y 3", &rq, &why), -1);
	assert_non_null(why);
}

static void test_line_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "message",
	    "message echo",
	    "message echo alice@localhost",
	    "message echo alice@localhost 5 100 extra",
	    "chat echo alice@localhost 5",
	    "MESSAGE echo alice@localhost 5",
	    "message echo alice@localhost five",
	    "message echo alice@localhost -1",
	    "message echo alice@localhost 5x",
	    "message echo alice@localhost 4294967297",
	    "message echo alice@localhost 5 1000", /* a timeout is for iq only */
	    "iq echo alice@localhost 5 0",
	    "iq echo alice@localhost 5 3600001",
	    "iq echo alice@localhost 5 -5",
	    "iq echo alice@localhost 5 10s",
	};
	struct ctl_request rq;
	const char *why;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		why = NULL;
		if (ctl_parse_line(bad[i], strlen(bad[i]), &rq, &why) != -1 || !why)
			fail_msg("accepted: \"%s\"", bad[i]);
	}
}

static void test_line_limits(void **state)
{
	struct ctl_request rq;
	const char *why = NULL;
	char *line = malloc(CTL_MAX_LINE + 2);
	(void)state;
	assert_non_null(line);
	/* over CTL_MAX_LINE bytes */
	memset(line, 'a', CTL_MAX_LINE + 1);
	line[CTL_MAX_LINE + 1] = '\0';
	assert_int_equal(ctl_parse_line(line, CTL_MAX_LINE + 1, &rq, &why), -1);
	assert_non_null(why);
	/* a NUL inside the line */
	memcpy(line, "message echo a@b 5", 19);
	why = NULL;
	assert_int_equal(ctl_parse_line(line, 19, &rq, &why), -1);
	assert_non_null(why);
	/* a route name longer than the record holds */
	strcpy(line, "message ");
	memset(line + 8, 'r', sizeof rq.route);
	strcpy(line + 8 + sizeof rq.route, " a@b 5");
	why = NULL;
	assert_int_equal(ctl_parse_line(line, strlen(line), &rq, &why), -1);
	assert_non_null(why);
	free(line);
}

struct built {
	char *xml, *caller_id;
	const char *code, *why;
};

static void build(const char *line, const char *payload, struct built *b)
{
	struct ctl_request rq;
	const char *why;
	assert_int_equal(parse(line, &rq, &why), 0);
	b->xml = ctl_build_stanza(&rq, payload, strlen(payload), "bridge@localhost/x", "ctl-7",
	                          &b->caller_id, &b->code, &b->why);
}

static void built_free(struct built *b)
{
	free(b->xml);
	free(b->caller_id);
}

static void test_message_body_escaped(void **state)
{
	struct built b;
	(void)state;
	build("message echo alice@localhost 9", "a < b & c", &b);
	assert_non_null(b.xml);
	assert_non_null(strstr(b.xml, "<message "));
	assert_non_null(strstr(b.xml, "type=\"chat\""));
	assert_non_null(strstr(b.xml, "to=\"alice@localhost\""));
	assert_non_null(strstr(b.xml, "from=\"bridge@localhost/x\""));
	assert_non_null(strstr(b.xml, "<body>a &lt; b &amp; c</body>"));
	assert_null(b.caller_id);
	built_free(&b);
	build("normal echo alice@localhost 2", "hi", &b);
	assert_non_null(b.xml);
	assert_non_null(strstr(b.xml, "type=\"normal\""));
	built_free(&b);
}

static void test_stanza_stamped(void **state)
{
	struct built b;
	(void)state;
	/* the caller's to and from are replaced; jabber:client is implied */
	build("stanza echo alice@localhost 0",
	      "<presence xmlns='jabber:client' to='eve@localhost' from='mallory@localhost'>"
	      "<status>away</status></presence>",
	      &b);
	assert_non_null(b.xml);
	assert_non_null(strstr(b.xml, "to=\"alice@localhost\""));
	assert_non_null(strstr(b.xml, "from=\"bridge@localhost/x\""));
	assert_null(strstr(b.xml, "eve@localhost"));
	assert_null(strstr(b.xml, "mallory"));
	assert_null(strstr(b.xml, "jabber:client"));
	assert_non_null(strstr(b.xml, "<status>away</status>"));
	built_free(&b);
	/* an iq get through the stanza verb is a request and may go */
	build("stanza echo alice@localhost 0",
	      "<iq type='get' id='q'><ping xmlns='urn:xmpp:ping'/></iq>", &b);
	assert_non_null(b.xml);
	assert_non_null(strstr(b.xml, "id=\"q\""));
	built_free(&b);
}

static void test_iq_gets_bridge_id(void **state)
{
	struct built b;
	(void)state;
	build("iq echo alice@localhost 0", "<iq type='set' id='mine'><q xmlns='urn:x'/></iq>", &b);
	assert_non_null(b.xml);
	assert_non_null(strstr(b.xml, "id=\"ctl-7\""));
	assert_null(strstr(b.xml, "mine"));
	assert_string_equal(b.caller_id, "mine");
	built_free(&b);
	build("iq echo alice@localhost 0", "<iq type='get'><q xmlns='urn:x'/></iq>", &b);
	assert_non_null(b.xml);
	assert_null(b.caller_id);
	built_free(&b);
}

static void test_iq_answers_refused(void **state)
{
	static const char *const answers[] = {
	    "<iq type='result' id='1'/>",
	    "<iq type='error' id='1'><error type='cancel'/></iq>",
	};
	struct built b;
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		build("stanza echo alice@localhost 0", answers[i], &b);
		assert_null(b.xml);
		assert_string_equal(b.code, "forbidden");
		assert_non_null(b.why);
		built_free(&b);
		/* the iq verb takes only get and set */
		build("iq echo alice@localhost 0", answers[i], &b);
		assert_null(b.xml);
		assert_non_null(b.why);
		assert_null(b.caller_id);
		built_free(&b);
	}
	build("stanza echo alice@localhost 0", "<iq id='1'/>", &b);
	assert_null(b.xml);
	assert_string_equal(b.code, "bad-xml");
	built_free(&b);
}

static void test_payload_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "not xml",
	    "<message><body>open",
	    "<body>not a stanza</body>",
	    "<message xmlns='urn:other'><body>x</body></message>",
	    "<message><!-- a comment --><body>x</body></message>",
	    "<message><?pi x?><body>x</body></message>",
	    "<message/><message/>",
	};
	struct built b;
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		build("stanza echo alice@localhost 0", bad[i], &b);
		if (b.xml || !b.why || strcmp(b.code, "bad-xml") != 0)
			fail_msg("payload accepted or wrongly refused: \"%s\"", bad[i]);
		built_free(&b);
	}
	build("iq echo alice@localhost 0", "<message><body>x</body></message>", &b);
	assert_null(b.xml);
	assert_non_null(b.why);
	built_free(&b);
}

static void test_bad_to(void **state)
{
	static const char *const tos[] = {"@localhost", "alice@", "a<b@localhost", "alice@localhost/"};
	struct built b;
	char line[100];
	(void)state;
	for (size_t i = 0; i < sizeof tos / sizeof *tos; i++) {
		snprintf(line, sizeof line, "message echo %s 1", tos[i]);
		build(line, "x", &b);
		if (b.xml || strcmp(b.code, "bad-to") != 0 || !b.why)
			fail_msg("TO accepted: \"%s\"", tos[i]);
		built_free(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_verbs),           cmocka_unit_test(test_line_token),
	    cmocka_unit_test(test_line_refused),         cmocka_unit_test(test_line_limits),
	    cmocka_unit_test(test_message_body_escaped), cmocka_unit_test(test_stanza_stamped),
	    cmocka_unit_test(test_iq_gets_bridge_id),    cmocka_unit_test(test_iq_answers_refused),
	    cmocka_unit_test(test_payload_refused),      cmocka_unit_test(test_bad_to),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
