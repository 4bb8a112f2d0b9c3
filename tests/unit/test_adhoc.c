/* test_adhoc.c - unit tests for the pure parts of ad-hoc commands (XEP-0050):
 * bridge/xmpp/adhoc_session.c, bridge/mapping/adhoc_request.c and bridge/mapping/adhoc_answer.c.
 *
 * The session table: actions by name, a session begun RUNNING and settled WAITING with
 * the actions its answer allowed, "execute" becoming the default action, an action not
 * allowed refused, another owner or route seeing no session, a running stage refusing
 * a second one, the per-route limit, an answer without a form ending the session, the
 * timeout (WAITING -> EXPIRED, reported once, then gone; the next deadline returned),
 * a settle for a session that expired meanwhile ignored. The request: urlencoding as a
 * browser's form (space as '+', UTF-8 bytes escaped), fields in order, a multi-valued
 * field repeated, a field without value sent empty, entities decoded first, a stage
 * without a form giving an empty body, a cancel form giving none, refusals (a form not
 * of type submit, a field without var, two forms, not a command). The answer, parsed
 * back with libxml2: a form -> executing with sessionid, node, <actions> from
 * Command-Actions (default complete) and the form; a result form -> completed with it;
 * text -> completed with an info note; an empty body -> completed; 4xx -> canceled with
 * an error note (body or reason phrase); 5xx -> the status table's iq error; cancel ->
 * canceled whatever the body; malformed forms (not XML, not jabber:x:data, type submit,
 * a field without var, an unknown type, an option without value, a duplicate var, an
 * unknown element) and a bad Command-Actions header -> internal-server-error, never a
 * stanza the outbound check refuses; the bridge's own one-stage answers (a note, or
 * none); the refusals with XEP-0050's conditions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adhoc_answer.h"
#include "adhoc_request.h"
#include "adhoc_session.h"
#include "xml_check.h"

#include "reply_tree.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ALICE "alice@example.org/pc"

/* ---- the session table ---- */

static void test_actions(void **state)
{
	(void)state;
	assert_int_equal(adhoc_action_of(NULL), ADHOC_EXECUTE);
	assert_int_equal(adhoc_action_of("execute"), ADHOC_EXECUTE);
	assert_int_equal(adhoc_action_of("next"), ADHOC_NEXT);
	assert_int_equal(adhoc_action_of("prev"), ADHOC_PREV);
	assert_int_equal(adhoc_action_of("complete"), ADHOC_COMPLETE);
	assert_int_equal(adhoc_action_of("cancel"), ADHOC_CANCEL);
	assert_int_equal(adhoc_action_of("Next"), ADHOC_BAD);
	assert_int_equal(adhoc_action_of(""), ADHOC_BAD);
	assert_string_equal(adhoc_action_name(ADHOC_COMPLETE), "complete");
	assert_string_equal(adhoc_admission_name(ADMIT_EXPIRED), "session expired");
	assert_string_equal(adhoc_admission_name(ADMIT_MALFORMED_ACTION), "no such action");
}

static void test_session_stages(void **state)
{
	struct adhoc_table t = {0};
	enum adhoc_action a;
	(void)state;
	assert_int_equal(adhoc_table_begin(&t, ID_A, ALICE, "r", 10, 1000, 0), ADMIT_OK);
	assert_int_equal(adhoc_table_find(&t, ID_A)->state, SESSION_RUNNING);
	/* a second stage while the first runs */
	a = ADHOC_NEXT;
	assert_int_equal(adhoc_table_stage(&t, ID_A, ALICE, "r", &a, 10), ADMIT_BUSY);
	adhoc_table_settle(&t, ID_A, ADHOC_BIT(ADHOC_NEXT) | ADHOC_BIT(ADHOC_PREV), ADHOC_NEXT, 20);
	assert_int_equal(adhoc_table_find(&t, ID_A)->state, SESSION_WAITING);
	/* someone else, another route, a made-up id: unknown alike */
	a = ADHOC_NEXT;
	assert_int_equal(adhoc_table_stage(&t, ID_A, "bob@example.org/pc", "r", &a, 30), ADMIT_UNKNOWN);
	assert_int_equal(adhoc_table_stage(&t, ID_A, "alice@example.org/phone", "r", &a, 30),
	                 ADMIT_UNKNOWN);
	assert_int_equal(adhoc_table_stage(&t, ID_A, ALICE, "other", &a, 30), ADMIT_UNKNOWN);
	assert_int_equal(adhoc_table_stage(&t, ID_B, ALICE, "r", &a, 30), ADMIT_UNKNOWN);
	/* an action the answer did not allow */
	a = ADHOC_COMPLETE;
	assert_int_equal(adhoc_table_stage(&t, ID_A, ALICE, "r", &a, 30), ADMIT_BAD_ACTION);
	/* execute is the default action */
	a = ADHOC_EXECUTE;
	assert_int_equal(adhoc_table_stage(&t, ID_A, ALICE, "r", &a, 30), ADMIT_OK);
	assert_int_equal(a, ADHOC_NEXT);
	adhoc_table_settle(&t, ID_A, ADHOC_BIT(ADHOC_COMPLETE), ADHOC_COMPLETE, 40);
	/* cancel is always allowed */
	a = ADHOC_CANCEL;
	assert_int_equal(adhoc_table_stage(&t, ID_A, ALICE, "r", &a, 50), ADMIT_OK);
	/* an answer without a form ends it */
	adhoc_table_settle(&t, ID_A, 0, ADHOC_EXECUTE, 60);
	assert_null(adhoc_table_find(&t, ID_A));
	assert_int_equal(t.n_live, 0);
	adhoc_table_free(&t);
}

static void test_session_limit(void **state)
{
	struct adhoc_table t = {0};
	(void)state;
	assert_int_equal(adhoc_table_begin(&t, ID_A, ALICE, "r", 1, 1000, 0), ADMIT_OK);
	assert_int_equal(adhoc_table_begin(&t, ID_B, ALICE, "r", 1, 1000, 0), ADMIT_FULL);
	assert_int_equal(adhoc_table_begin(&t, ID_B, ALICE, "other", 1, 1000, 0), ADMIT_OK);
	assert_int_equal(adhoc_table_count(&t, "r"), 1);
	/* an id already in use, or not one of ours, is refused */
	assert_int_equal(adhoc_table_begin(&t, ID_A, ALICE, "x", 5, 1000, 0), ADMIT_NO_MEMORY);
	assert_int_equal(adhoc_table_begin(&t, "short", ALICE, "x", 5, 1000, 0), ADMIT_NO_MEMORY);
	adhoc_table_free(&t);
	assert_null(t.head);
}

static void test_session_timeout(void **state)
{
	struct adhoc_table t = {0};
	enum adhoc_action a = ADHOC_COMPLETE;
	uint64_t next;
	(void)state;
	assert_int_equal(adhoc_table_expire(&t, 0, &next), 0);
	assert_true(next == UINT64_MAX);
	assert_int_equal(adhoc_table_begin(&t, ID_A, ALICE, "r", 10, 1000, 0), ADMIT_OK);
	adhoc_table_settle(&t, ID_A, ADHOC_BIT(ADHOC_COMPLETE), ADHOC_COMPLETE, 500);
	assert_int_equal(adhoc_table_expire(&t, 1000, &next), 0);
	assert_true(next == 1500);
	assert_int_equal(adhoc_table_expire(&t, 1500, &next), 1);
	assert_int_equal(adhoc_table_find(&t, ID_A)->state, SESSION_EXPIRED);
	assert_int_equal(t.n_live, 0);
	assert_true(next == 2500); /* kept one more timeout to say "expired" */
	/* a limit counts live sessions only */
	assert_int_equal(adhoc_table_count(&t, "r"), 0);
	assert_int_equal(adhoc_table_stage(&t, ID_A, ALICE, "r", &a, 1600), ADMIT_EXPIRED);
	assert_int_equal(adhoc_table_stage(&t, ID_A, ALICE, "r", &a, 1700), ADMIT_UNKNOWN);
	/* an expired one nobody asks about goes after its second timeout */
	assert_int_equal(adhoc_table_begin(&t, ID_B, ALICE, "r", 10, 1000, 0), ADMIT_OK);
	assert_int_equal(adhoc_table_expire(&t, 1000, &next), 1); /* running, its answer lost */
	adhoc_table_settle(&t, ID_B, ADHOC_BIT(ADHOC_NEXT), ADHOC_NEXT, 1100); /* too late */
	assert_int_equal(adhoc_table_find(&t, ID_B)->state, SESSION_EXPIRED);
	assert_int_equal(adhoc_table_expire(&t, 2000, &next), 0);
	assert_null(adhoc_table_find(&t, ID_B));
	assert_true(next == UINT64_MAX);
	adhoc_table_free(&t);
}

/* ---- the request ---- */

#define DOC_HEAD                                                                                   \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<iq xmlns=\"jabber:client\" type=\"set\" "        \
	"id=\"1\"><command xmlns=\"http://jabber.org/protocol/commands\" node=\"n\">"
#define DOC_TAIL "</command></iq>"

static char *body_of(const char *inner, const char **why)
{
	char doc[4096], *body = NULL;
	size_t len;
	snprintf(doc, sizeof doc, DOC_HEAD "%s" DOC_TAIL, inner);
	if (adhoc_form_body(doc, strlen(doc), &body, &len, why) != 0)
		return NULL;
	assert_int_equal(strlen(body), len);
	return body;
}

static void expect_body(const char *inner, const char *want)
{
	const char *why = NULL;
	char *body = body_of(inner, &why);
	if (!body)
		fail_msg("refused (%s): %s", why, inner);
	assert_string_equal(body, want);
	free(body);
}

static void expect_refused(const char *inner, const char *needle)
{
	const char *why = NULL;
	char *body = body_of(inner, &why);
	if (body)
		fail_msg("accepted as '%s': %s", body, inner);
	assert_non_null(why);
	if (!strstr(why, needle))
		fail_msg("refused with '%s', wanted '%s'", why, needle);
}

static void test_urlencode(void **state)
{
	struct buf b = {0};
	(void)state;
	const char *s = "a b&c=d+e/f~g*h-i.j_k\xc3\xa9%";
	assert_int_equal(adhoc_urlencode(&b, s, strlen(s)), 0);
	assert_string_equal(b.data, "a+b%26c%3Dd%2Be%2Ff%7Eg*h-i.j_k%C3%A9%25");
	buf_free(&b);
}

static void test_form_body(void **state)
{
	(void)state;
	expect_body("", "");
	expect_body("<x xmlns='jabber:x:data' type='submit'/>", "");
	expect_body("<x xmlns='jabber:x:data' type='submit'>"
	            "<field var='name'><value>Ann &amp; Bo</value></field>"
	            "<field var='colors' type='list-multi'><value>red</value><value>blue</value>"
	            "</field><field var='empty'/><field var='x y'><value></value></field></x>",
	            "name=Ann+%26+Bo&colors=red&colors=blue&empty=&x+y=");
	/* other elements and namespaces between fields are no fields */
	expect_body("<x xmlns='jabber:x:data' type='submit'><title>t</title>"
	            "<field var='a'><value>1</value><desc>d</desc></field>"
	            "<field xmlns='urn:other' var='b'><value>2</value></field></x>",
	            "a=1");
	/* a cancelled form carries nothing */
	expect_body("<x xmlns='jabber:x:data' type='cancel'><field var='a'><value>1</value>"
	            "</field></x>",
	            "");
	/* a form in another namespace is not the command's */
	expect_body("<x xmlns='urn:other' type='form'/>", "");
	expect_refused("<x xmlns='jabber:x:data' type='form'/>", "type submit");
	expect_refused("<x xmlns='jabber:x:data'/>", "type submit");
	expect_refused("<x xmlns='jabber:x:data' type='submit'><field><value>1</value></field></x>",
	               "no var");
	expect_refused("<x xmlns='jabber:x:data' type='submit'/><x xmlns='jabber:x:data' "
	               "type='submit'/>",
	               "more than one");
}

static void test_form_body_not_a_command(void **state)
{
	const char *doc = "<iq xmlns='jabber:client' type='set'><query xmlns='urn:x'/></iq>";
	const char *why = NULL;
	char *body;
	size_t len;
	(void)state;
	assert_int_equal(adhoc_form_body(doc, strlen(doc), &body, &len, &why), -1);
	assert_string_equal(why, "no command element");
	assert_int_equal(adhoc_form_body("<iq", 3, &body, &len, &why), -1);
	assert_non_null(why);
}

/* ---- the answer ---- */

static const struct reply_target target = {
    .kind = KIND_IQ, .type = "set", .id = "c1", .to = ALICE, .from = "cmd@cgi.example.org"};
static const struct adhoc_stage stage = {"weather", ID_A, ADHOC_EXECUTE};

struct parsed {
	xmlDocPtr doc;
	xmlNodePtr root, cmd, error;
	char *xml;
};

static xmlNodePtr child(xmlNodePtr n, const char *name)
{
	for (xmlNodePtr c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static const char *prop(xmlNodePtr n, const char *name, char *buf, size_t len)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	snprintf(buf, len, "%s", v ? (char *)v : "(none)");
	xmlFree(v);
	return buf;
}

static const char *text(xmlNodePtr n, char *buf, size_t len)
{
	xmlChar *v = xmlNodeGetContent(n);
	snprintf(buf, len, "%s", v ? (char *)v : "");
	xmlFree(v);
	return buf;
}

static struct parsed answer_to(const struct adhoc_stage *st, const char *raw,
                               struct adhoc_outcome *out, const char **why)
{
	struct cgi_response r;
	struct parsed p = {0};
	const char *check;
	make_resp(&r, raw);
	p.xml = adhoc_answer(&target, st, &r, out, why);
	response_free(&r);
	assert_non_null(p.xml);
	/* what goes out passes the outbound check */
	if ((check = xml_check_stanza(p.xml, strlen(p.xml))))
		fail_msg("outbound check refuses (%s): %s", check, p.xml);
	p.doc = parse_reply(p.xml);
	p.root = xmlDocGetRootElement(p.doc);
	p.cmd = child(p.root, "command");
	p.error = child(p.root, "error");
	return p;
}

static void parsed_free(struct parsed *p)
{
	xmlFreeDoc(p->doc);
	free(p->xml);
}

#define FORM "<x xmlns='jabber:x:data' type='form'><field var='city' type='text-single'/></x>"

static void test_answer_form(void **state)
{
	struct adhoc_outcome o;
	const char *why;
	char b[256];
	struct parsed p;
	xmlNodePtr actions;
	(void)state;
	p = answer_to(&stage, "Content-Type: application/xml\n\n" FORM, &o, &why);
	assert_null(why);
	assert_string_equal(prop(p.root, "type", b, sizeof b), "result");
	assert_string_equal(prop(p.root, "id", b, sizeof b), "c1");
	assert_string_equal(prop(p.root, "from", b, sizeof b), "cmd@cgi.example.org");
	assert_non_null(p.cmd);
	assert_string_equal((const char *)p.cmd->ns->href, NS_COMMANDS);
	assert_string_equal(prop(p.cmd, "status", b, sizeof b), "executing");
	assert_string_equal(prop(p.cmd, "node", b, sizeof b), "weather");
	assert_string_equal(prop(p.cmd, "sessionid", b, sizeof b), ID_A);
	actions = child(p.cmd, "actions");
	assert_string_equal(prop(actions, "execute", b, sizeof b), "complete");
	assert_non_null(child(actions, "complete"));
	assert_null(child(actions, "next"));
	assert_non_null(child(p.cmd, "x"));
	assert_string_equal((const char *)child(p.cmd, "x")->ns->href, NS_DATA_FORMS);
	assert_int_equal(o.actions, ADHOC_BIT(ADHOC_COMPLETE));
	parsed_free(&p);
	/* Command-Actions: the first is the default */
	p = answer_to(&stage, "Content-Type: text/xml\nCommand-Actions: next, prev\n\n" FORM, &o, &why);
	actions = child(p.cmd, "actions");
	assert_string_equal(prop(actions, "execute", b, sizeof b), "next");
	assert_non_null(child(actions, "next"));
	assert_non_null(child(actions, "prev"));
	assert_null(child(actions, "complete"));
	assert_int_equal(o.actions, ADHOC_BIT(ADHOC_NEXT) | ADHOC_BIT(ADHOC_PREV));
	assert_int_equal(o.dflt, ADHOC_NEXT);
	parsed_free(&p);
}

static void test_answer_completed(void **state)
{
	struct adhoc_outcome o;
	const char *why;
	char b[256];
	struct parsed p;
	(void)state;
	p = answer_to(&stage,
	              "Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='result'>"
	              "<reported><field var='t'/></reported><item><field var='t'><value>1</value>"
	              "</field></item></x>",
	              &o, &why);
	assert_string_equal(prop(p.cmd, "status", b, sizeof b), "completed");
	assert_string_equal(prop(child(p.cmd, "x"), "type", b, sizeof b), "result");
	assert_null(child(p.cmd, "actions"));
	assert_int_equal(o.actions, 0);
	parsed_free(&p);
	p = answer_to(&stage, "Content-Type: text/plain\n\n  Sunny, 21 C <ok>\n", &o, &why);
	assert_string_equal(prop(p.cmd, "status", b, sizeof b), "completed");
	assert_string_equal(prop(child(p.cmd, "note"), "type", b, sizeof b), "info");
	assert_string_equal(text(child(p.cmd, "note"), b, sizeof b), "Sunny, 21 C <ok>");
	parsed_free(&p);
	p = answer_to(&stage, "Status: 204 No Content\n\n", &o, &why);
	assert_string_equal(prop(p.cmd, "status", b, sizeof b), "completed");
	assert_null(child(p.cmd, "note"));
	parsed_free(&p);
}

static void test_answer_errors(void **state)
{
	struct adhoc_outcome o;
	const char *why;
	char b[256];
	struct parsed p;
	(void)state;
	p = answer_to(&stage, "Status: 422 Unprocessable\nContent-Type: text/plain\n\nNo such city\n",
	              &o, &why);
	assert_string_equal(prop(p.root, "type", b, sizeof b), "result");
	assert_string_equal(prop(p.cmd, "status", b, sizeof b), "canceled");
	assert_string_equal(prop(child(p.cmd, "note"), "type", b, sizeof b), "error");
	assert_string_equal(text(child(p.cmd, "note"), b, sizeof b), "No such city");
	parsed_free(&p);
	p = answer_to(&stage, "Status: 403 Forbidden\n\n", &o, &why);
	assert_string_equal(text(child(p.cmd, "note"), b, sizeof b), "403 Forbidden");
	parsed_free(&p);
	p = answer_to(&stage, "Status: 503 Busy\nContent-Type: text/plain\n\ntry later\n", &o, &why);
	assert_string_equal(prop(p.root, "type", b, sizeof b), "error");
	assert_null(p.cmd);
	assert_non_null(child(p.error, "service-unavailable"));
	parsed_free(&p);
	/* cancel: canceled whatever the handler said */
	struct adhoc_stage cancel = {"weather", ID_A, ADHOC_CANCEL};
	p = answer_to(&cancel, "Content-Type: application/xml\n\n" FORM, &o, &why);
	assert_string_equal(prop(p.cmd, "status", b, sizeof b), "canceled");
	assert_null(child(p.cmd, "x"));
	assert_int_equal(o.actions, 0);
	parsed_free(&p);
}

static void expect_malformed(const char *raw, const char *needle)
{
	struct adhoc_outcome o;
	const char *why = NULL;
	char b[256];
	struct parsed p = answer_to(&stage, raw, &o, &why);
	assert_string_equal(prop(p.root, "type", b, sizeof b), "error");
	assert_non_null(child(p.error, "internal-server-error"));
	assert_int_equal(o.actions, 0);
	if (!why || !strstr(why, needle))
		fail_msg("why '%s', wanted '%s'", why ? why : "(null)", needle);
	parsed_free(&p);
}

static void test_answer_malformed(void **state)
{
	(void)state;
	expect_malformed("Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='form'>", "");
	expect_malformed("Content-Type: application/xml\n\n<a:x/>", "");
	expect_malformed("Content-Type: application/xml\n\n<form/>", "not a jabber:x:data form");
	expect_malformed("Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='submit'/>",
	                 "type form or result");
	expect_malformed("Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='form'>"
	                 "<field type='text-single'/></x>",
	                 "no var");
	expect_malformed("Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='form'>"
	                 "<field var='a' type='colour'/></x>",
	                 "unknown type");
	expect_malformed("Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='form'>"
	                 "<field var='a' type='list-single'><option label='x'/></field></x>",
	                 "option of the form has no value");
	expect_malformed("Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='form'>"
	                 "<field var='a'/><field var='a'/></x>",
	                 "same var");
	expect_malformed("Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='form'>"
	                 "<button/></x>",
	                 "does not know");
	expect_malformed("Content-Type: application/xml\nCommand-Actions: next jump\n\n" FORM,
	                 "Command-Actions");
	expect_malformed("Content-Type: application/xml\nCommand-Actions: execute\n\n" FORM,
	                 "Command-Actions");
	expect_malformed("Content-Type: application/xml\nCommand-Actions: ,\n\n" FORM,
	                 "Command-Actions");
}

static void test_answer_fixed_and_foreign(void **state)
{
	struct adhoc_outcome o;
	const char *why;
	char b[64];
	struct parsed p;
	(void)state;
	/* a fixed field needs no var; other namespaces pass (XEP-0122 validation) */
	p = answer_to(&stage,
	              "Content-Type: application/xml\n\n<x xmlns='jabber:x:data' type='form'>"
	              "<title>T</title><instructions>I</instructions><field type='fixed'>"
	              "<value>Note</value></field><field var='n'><validate "
	              "xmlns='http://jabber.org/protocol/xdata-validate' datatype='xs:integer'/>"
	              "</field></x>",
	              &o, &why);
	assert_null(why);
	assert_string_equal(prop(p.cmd, "status", b, sizeof b), "executing");
	parsed_free(&p);
}

static void test_note_answer(void **state)
{
	struct adhoc_stage st = {ADHOC_STATUS_NODE, ID_B, ADHOC_EXECUTE};
	char *xml = adhoc_note_answer(&target, &st, "completed", "a: 1 running\n<b>"), b[128];
	xmlDocPtr doc;
	xmlNodePtr cmd;
	(void)state;
	assert_null(xml_check_stanza(xml, strlen(xml)));
	doc = parse_reply(xml);
	cmd = child(xmlDocGetRootElement(doc), "command");
	assert_string_equal(prop(cmd, "status", b, sizeof b), "completed");
	assert_string_equal(prop(cmd, "sessionid", b, sizeof b), ID_B);
	assert_string_equal(prop(cmd, "node", b, sizeof b), ADHOC_STATUS_NODE);
	assert_string_equal(text(child(cmd, "note"), b, sizeof b), "a: 1 running\n<b>");
	xmlFreeDoc(doc);
	free(xml);
	xml = adhoc_note_answer(&target, &st, "canceled", NULL);
	assert_non_null(strstr(xml, "status=\"canceled\""));
	assert_null(strstr(xml, "note"));
	free(xml);
}

static void test_refusals(void **state)
{
	static const struct {
		enum adhoc_admission a;
		const char *type, *condition, *app;
	} cases[] = {
	    {ADMIT_UNKNOWN, "modify", "bad-request", "bad-sessionid"},
	    {ADMIT_EXPIRED, "cancel", "not-allowed", "session-expired"},
	    {ADMIT_BAD_ACTION, "modify", "bad-request", "bad-action"},
	    {ADMIT_MALFORMED_ACTION, "modify", "bad-request", "malformed-action"},
	    {ADMIT_FULL, "wait", "resource-constraint", NULL},
	    {ADMIT_BUSY, "wait", "resource-constraint", NULL},
	    {ADMIT_NO_MEMORY, "cancel", "internal-server-error", NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *xml = adhoc_refusal(&target, cases[i].a), b[64];
		xmlDocPtr doc;
		xmlNodePtr err, app;
		assert_non_null(xml);
		assert_null(xml_check_stanza(xml, strlen(xml)));
		doc = parse_reply(xml);
		err = child(xmlDocGetRootElement(doc), "error");
		assert_string_equal(prop(err, "type", b, sizeof b), cases[i].type);
		assert_non_null(child(err, cases[i].condition));
		app = cases[i].app ? child(err, cases[i].app) : NULL;
		if (cases[i].app) {
			assert_non_null(app);
			assert_string_equal((const char *)app->ns->href, NS_COMMANDS);
		}
		xmlFreeDoc(doc);
		free(xml);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_actions),
	    cmocka_unit_test(test_session_stages),
	    cmocka_unit_test(test_session_limit),
	    cmocka_unit_test(test_session_timeout),
	    cmocka_unit_test(test_urlencode),
	    cmocka_unit_test(test_form_body),
	    cmocka_unit_test(test_form_body_not_a_command),
	    cmocka_unit_test(test_answer_form),
	    cmocka_unit_test(test_answer_completed),
	    cmocka_unit_test(test_answer_errors),
	    cmocka_unit_test(test_answer_malformed),
	    cmocka_unit_test(test_answer_fixed_and_foreign),
	    cmocka_unit_test(test_note_answer),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
