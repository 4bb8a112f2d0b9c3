/* test_command_job.c - an ad-hoc command stage through inbound.c and stanza_job.c.
 *
 * A command stanza parsed by libstrophe is read as INBOUND_COMMAND (node, session id,
 * action), and anything else (a get, a <command/> in another namespace, a message) as a
 * plain request; the job built from a stage is an HTML form's POST: REQUEST_METHOD,
 * CONTENT_TYPE and CONTENT_LENGTH of the urlencoded body, XMPP_ADHOC_ACTION, _SESSION,
 * _NODE and _STANZA set by the bridge, which stanza attributes cannot shadow (they only
 * ever become XMPP_STANZA_*); a malformed submitted form refuses the stage; the job
 * settles its session exactly once: with the answer's outcome (a form leaves actions,
 * text ends it), or, when no answer was built from a response (a refusal, a failure),
 * as over when it is freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#include "inbound.h"
#include "stanza_job.h"

static xmpp_ctx_t *ctx;
static struct route_cfg route = {
    .name = "weather", .cgi = "/bin/true", .command = true, .command_node = "weather"};
static struct config cfg = {.domain = "example.org", .port = 5222};

static int settled;
static unsigned settled_actions;
static char settled_session[64];

static void settle(void *ud, const char *session, unsigned actions, enum adhoc_action dflt)
{
	(void)ud, (void)dflt;
	settled++;
	settled_actions = actions;
	snprintf(settled_session, sizeof settled_session, "%s", session);
}

static int setup(void **state)
{
	(void)state;
	ctx = xmpp_ctx_new(NULL, NULL);
	return ctx ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	xmpp_ctx_free(ctx);
	return 0;
}

#define STAGE(attrs, cmd_attrs, inner)                                                             \
	"<iq type='set' id='c1' from='alice@example.org/pc' to='bridge@example.org/weather' " attrs    \
	"><command xmlns='http://jabber.org/protocol/commands' node='weather' " cmd_attrs ">" inner    \
	"</command></iq>"

static xmpp_stanza_t *parse(const char *xml, struct inbound *in)
{
	xmpp_stanza_t *st = xmpp_stanza_new_from_string(ctx, xml);
	assert_non_null(st);
	inbound_read(in, st, "127.0.0.1", false);
	return st;
}

/* Builds the job as dispatch does, with the session adhoc.c would have admitted. */
static const char *build(struct stanza_job *j, struct inbound *in)
{
	struct stanza_job_place at = {.cfg = &cfg,
	                              .route = &route,
	                              .name = "weather",
	                              .path_info = "/weather",
	                              .path_env = "/usr/bin:/bin"};
	memset(j, 0, sizeof *j);
	snprintf(in->command.session, sizeof in->command.session, "%s",
	         "0123456789abcdef0123456789abcdef");
	in->command.settle = settle;
	return stanza_job_build(j, in, &at);
}

static void test_inbound_kinds(void **state)
{
	struct inbound in;
	xmpp_stanza_t *st;
	(void)state;
	st = parse(STAGE("", "action='next' sessionid='s1'", ""), &in);
	assert_int_equal(in.payload, INBOUND_COMMAND);
	assert_string_equal(in.command.node, "weather");
	assert_string_equal(in.command.sessionid, "s1");
	assert_int_equal(in.command.action, ADHOC_NEXT);
	xmpp_stanza_release(st);
	st = parse(STAGE("", "action='fly'", ""), &in);
	assert_int_equal(in.command.action, ADHOC_BAD);
	assert_null(in.command.sessionid);
	xmpp_stanza_release(st);
	/* not stages: a get, another namespace, a message */
	st = parse("<iq type='get' id='g'><command xmlns='http://jabber.org/protocol/commands' "
	           "node='weather'/></iq>",
	           &in);
	assert_int_equal(in.payload, INBOUND_PLAIN);
	xmpp_stanza_release(st);
	st = parse("<iq type='set' id='g'><command xmlns='urn:other' node='weather'/></iq>", &in);
	assert_int_equal(in.payload, INBOUND_PLAIN);
	xmpp_stanza_release(st);
	st = parse("<message><command xmlns='http://jabber.org/protocol/commands'/></message>", &in);
	assert_int_equal(in.payload, INBOUND_PLAIN);
	xmpp_stanza_release(st);
}

static void test_job_is_a_form_post(void **state)
{
	struct inbound in;
	struct stanza_job j;
	xmpp_stanza_t *st;
	(void)state;
	settled = 0;
	/* attributes named after the bridge's variables land in XMPP_STANZA_* */
	st = parse(STAGE("xmpp_adhoc_action='cancel' content_type='text/evil' "
	                 "request_method='GET'",
	                 "action='complete' sessionid='0123456789abcdef0123456789abcdef'",
	                 "<x xmlns='jabber:x:data' type='submit'><field var='city'>"
	                 "<value>New York</value></field><field var='tag'><value>a</value>"
	                 "<value>b&amp;c</value></field></x>"),
	           &in);
	in.command.action = ADHOC_COMPLETE; /* as the session table resolved it */
	assert_null(build(&j, &in));
	assert_true(j.is_command);
	assert_string_equal(cgi_env_get(&j.env, "REQUEST_METHOD"), "POST");
	assert_string_equal(cgi_env_get(&j.env, "CONTENT_TYPE"), "application/x-www-form-urlencoded");
	assert_string_equal(j.input, "city=New+York&tag=a&tag=b%26c");
	assert_int_equal(j.input_len, strlen(j.input));
	assert_string_equal(cgi_env_get(&j.env, "CONTENT_LENGTH"), "29");
	assert_string_equal(cgi_env_get(&j.env, "XMPP_ADHOC_ACTION"), "complete");
	assert_string_equal(cgi_env_get(&j.env, "XMPP_ADHOC_SESSION"),
	                    "0123456789abcdef0123456789abcdef");
	assert_string_equal(cgi_env_get(&j.env, "XMPP_ADHOC_NODE"), "weather");
	assert_non_null(strstr(cgi_env_get(&j.env, "XMPP_ADHOC_STANZA"), "<command"));
	assert_string_equal(cgi_env_get(&j.env, "XMPP_STANZA_XMPP_ADHOC_ACTION"), "cancel");
	assert_string_equal(cgi_env_get(&j.env, "XMPP_STANZA_CONTENT_TYPE"), "text/evil");
	assert_string_equal(cgi_env_get(&j.env, "XMPP_STANZA_REQUEST_METHOD"), "GET");
	assert_string_equal(cgi_env_get(&j.env, "REMOTE_USER"), "alice@example.org");
	xmpp_stanza_release(st);
	stanza_job_free(&j); /* never answered: the command is over */
	assert_int_equal(settled, 1);
	assert_int_equal(settled_actions, 0);
}

static void test_settles_once_with_the_answer(void **state)
{
	struct inbound in;
	struct stanza_job j;
	struct cgi_response r;
	const char *why;
	bool checked = true;
	char *xml;
	static const char form[] = "Content-Type: application/xml\nCommand-Actions: next\n\n"
	                           "<x xmlns='jabber:x:data' type='form'><field var='city'/></x>";
	struct reply_target t = {.kind = KIND_IQ, .type = "set", .id = "c1", .to = "alice@x/pc"};
	xmpp_stanza_t *st;
	(void)state;
	settled = 0;
	st = parse(STAGE("", "", ""), &in);
	assert_null(build(&j, &in));
	assert_string_equal(j.input, "");
	assert_string_equal(cgi_env_get(&j.env, "CONTENT_LENGTH"), "0");
	assert_string_equal(cgi_env_get(&j.env, "XMPP_ADHOC_ACTION"), "execute");
	xmpp_stanza_release(st);
	response_init(&r, 1 << 16);
	response_feed(&r, form, strlen(form));
	assert_int_equal(response_finish(&r), RESP_DONE);
	xml = stanza_job_reply(&j, &t, &r, &why, &checked);
	response_free(&r);
	assert_false(checked); /* a command's answer is built as a tree and checked on sending */
	assert_non_null(strstr(xml, "status=\"executing\""));
	free(xml);
	assert_int_equal(settled, 1);
	assert_int_equal(settled_actions, ADHOC_BIT(ADHOC_NEXT));
	assert_string_equal(settled_session, "0123456789abcdef0123456789abcdef");
	stanza_job_free(&j);
	assert_int_equal(settled, 1); /* not again */
}

static void test_malformed_submission_refused(void **state)
{
	struct inbound in;
	struct stanza_job j;
	xmpp_stanza_t *st;
	(void)state;
	settled = 0;
	st = parse(STAGE("", "sessionid='0123456789abcdef0123456789abcdef'",
	                 "<x xmlns='jabber:x:data' type='form'/>"),
	           &in);
	assert_non_null(build(&j, &in));
	xmpp_stanza_release(st);
	stanza_job_free(&j);
	assert_int_equal(settled, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_inbound_kinds),
	    cmocka_unit_test(test_job_is_a_form_post),
	    cmocka_unit_test(test_settles_once_with_the_answer),
	    cmocka_unit_test(test_malformed_submission_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
