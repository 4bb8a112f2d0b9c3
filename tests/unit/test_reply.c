/* test_reply.c - unit tests for bridge/mapping/stanza_error.c and bridge/mapping/reply.c.
 *
 * Checks doc/design-notes.md section 1: stanza_error_for_status for every row of the HTTP
 * status table, other 4xx and 5xx, and 3xx with and without an xmpp: Location;
 * stanza_error_for_failure for every bridge failure (no route: item-not-found for an
 * iq, service-unavailable for a message); which stanzas may or must be answered
 * (reply_allowed, reply_required, stanza_kind_of). Then the reply stanzas themselves,
 * parsed back with libxml2 and checked as trees: an iq result embedding an XML body
 * (application/xml, text/xml, +xml, with parameters), a text body in an escaped
 * <body>, an empty result; error replies with the condition and <text> in the
 * urn:ietf:params:xml:ns:xmpp-stanzas namespace, the text trimmed and capped;
 * <redirect>/<gone> with the xmpp: URI; malformed XML, a DOCTYPE or an undefined
 * entity in an XML body, or one only namespace-ill-formed (unbound prefix, "a:",
 * repeated expanded attribute) or using fifth-edition name characters, turned into
 * internal-server-error with log_reason set;
 * comments and processing instructions never copied into the stream (RFC 6120 11.1);
 * message and presence rules (no reply on success unless message_replies, then a chat
 * message; errors as type error); no reply to type error or iq result; id, to and
 * from carried over. Last, stanza_clean_text: invalid UTF-8 and characters XML forbids
 * replaced by U+FFFD, tab/newline/CR kept, the cap respected on a character boundary,
 * trimming. */
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

#include "config.h"
#include "reply.h"
#include "response.h"
#include "stanza_error.h"

#include "reply_tree.h"
#include "stanza_error_expect.h"

#define REPL "\xEF\xBF\xBD" /* U+FFFD */

/* ---- helpers ---- */

/* Checks an error reply: <KIND type='error'><error type=T><COND xmlns=stanzas>URI</COND>
 * [<text xmlns=stanzas>TEXT</text>]</error></KIND>; text NULL means no <text>. */
static void check_error(const char *out, const char *kind, const char *cond, const char *type,
                        const char *uri, const char *text)
{
	xmlDocPtr d = parse_reply(out);
	xmlNodePtr root = xmlDocGetRootElement(d), err, c;
	assert_el(root, kind, NULL);
	assert_prop(root, "type", "error");
	assert_int_equal(count_elements(root), 1);
	err = first_el(root->children);
	assert_el(err, "error", NULL);
	assert_prop(err, "type", type);
	assert_int_equal(count_elements(err), text ? 2 : 1);
	c = first_el(err->children);
	assert_el(c, cond, STANZAS_NS);
	assert_content(c, uri ? uri : "");
	if (text) {
		xmlNodePtr t = first_el(c->next);
		assert_el(t, "text", STANZAS_NS);
		assert_content(t, text);
	}
	xmlFreeDoc(d);
}

/* The reply to raw CGI output for t (no log reason asked for), malloc'ed or NULL. */
static char *reply_to(const struct reply_target *t, const char *raw)
{
	struct cgi_response r;
	char *out;
	make_resp(&r, raw);
	out = reply_from_response(t, &r, NULL, NULL);
	response_free(&r);
	return out;
}

/* The reply to raw CGI output for t is the error check_error describes. */
static void expect_error_reply(const struct reply_target *t, const char *raw, const char *kind,
                               const char *cond, const char *type, const char *uri,
                               const char *text)
{
	char *out = reply_to(t, raw);
	check_error(out, kind, cond, type, uri, text);
	free(out);
}

static struct reply_target iq_get(void)
{
	struct reply_target t = {.kind = KIND_IQ,
	                         .type = "get",
	                         .id = "q1",
	                         .to = "alice@example.org/phone",
	                         .from = NULL,
	                         .message_replies = false};
	return t;
}

/* ---- tables ---- */

static void test_status_table(void **state)
{
	static const struct {
		int status;
		const char *cond, *type;
	} rows[] = {
	    {400, "bad-request", "modify"},
	    {411, "bad-request", "modify"},
	    {422, "bad-request", "modify"},
	    {401, "not-authorized", "auth"},
	    {402, "forbidden", "auth"},
	    {403, "forbidden", "auth"},
	    {451, "forbidden", "auth"},
	    {404, "item-not-found", "cancel"},
	    {405, "not-allowed", "cancel"},
	    {406, "not-acceptable", "modify"},
	    {407, "registration-required", "auth"},
	    {408, "remote-server-timeout", "wait"},
	    {504, "remote-server-timeout", "wait"},
	    {409, "conflict", "cancel"},
	    {412, "conflict", "cancel"},
	    {410, "gone", "cancel"},
	    {413, "resource-constraint", "modify"},
	    {414, "resource-constraint", "modify"},
	    {431, "resource-constraint", "modify"},
	    {415, "feature-not-implemented", "cancel"},
	    {501, "feature-not-implemented", "cancel"},
	    {423, "resource-constraint", "wait"},
	    {429, "resource-constraint", "wait"},
	    {507, "resource-constraint", "wait"},
	    {500, "internal-server-error", "cancel"},
	    {502, "service-unavailable", "wait"},
	    {503, "service-unavailable", "wait"},
	    /* other 4xx */
	    {418, "bad-request", "modify"},
	    {416, "bad-request", "modify"},
	    {499, "bad-request", "modify"},
	    /* other 5xx */
	    {505, "undefined-condition", "cancel"},
	    {599, "undefined-condition", "cancel"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		expect_status(rows[i].status, NULL, rows[i].cond, rows[i].type, NULL);
		/* a Location does not change a 4xx/5xx */
		expect_status(rows[i].status, "xmpp:x@example.org", rows[i].cond, rows[i].type, NULL);
	}
}

static void test_status_redirects(void **state)
{
	static const char xloc[] = "xmpp:other@example.org/res";
	(void)state;
	expect_status(301, xloc, "gone", "cancel", xloc);
	expect_status(308, xloc, "gone", "cancel", xloc);
	expect_status(302, xloc, "redirect", "modify", xloc);
	expect_status(303, xloc, "redirect", "modify", xloc);
	expect_status(307, xloc, "redirect", "modify", xloc);
	/* not an xmpp: URI, or none */
	expect_status(302, "http://example.org/", "undefined-condition", "cancel", NULL);
	expect_status(301, "https://example.org/", "undefined-condition", "cancel", NULL);
	expect_status(302, NULL, "undefined-condition", "cancel", NULL);
	expect_status(307, "", "undefined-condition", "cancel", NULL);
	/* other 3xx */
	expect_status(300, xloc, "undefined-condition", "cancel", NULL);
	expect_status(304, xloc, "undefined-condition", "cancel", NULL);
	expect_status(305, xloc, "undefined-condition", "cancel", NULL);
	/* the JID in the URI must pass jid_check (percent-decoded, query dropped) */
	expect_status(302, "xmpp:other@example.org?message", "redirect", "modify",
	              "xmpp:other@example.org?message");
	expect_status(302, "xmpp:j%C3%BCrgen@example.org", "redirect", "modify",
	              "xmpp:j%C3%BCrgen@example.org");
	expect_status(302, "xmpp://me@example.org/other@example.org", "redirect", "modify",
	              "xmpp://me@example.org/other@example.org");
	expect_status(302, "xmpp:a%01b@example.org", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:a%E9@example.org", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:bob\xef\xbc\xa0@x", "undefined-condition", "cancel", NULL);
	expect_status(301, "xmpp:a b@example.org", "undefined-condition", "cancel", NULL);
	expect_status(301, "xmpp:a%00@example.org", "undefined-condition", "cancel", NULL);
	expect_status(302, "xmpp:", "undefined-condition", "cancel", NULL);
}

static void test_failure_table(void **state)
{
	static const enum stanza_kind kinds[] = {KIND_IQ, KIND_MESSAGE, KIND_PRESENCE};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		enum stanza_kind k = kinds[i];
		expect_failure(FAIL_TIMEOUT, k, "remote-server-timeout", "wait");
		expect_failure(FAIL_HANDLER, k, "internal-server-error", "cancel");
		expect_failure(FAIL_TOO_LARGE, k, "resource-constraint", "modify");
		expect_failure(FAIL_BAD_XML, k, "internal-server-error", "cancel");
		expect_failure(FAIL_UNAVAILABLE, k, "service-unavailable", "wait");
		expect_failure(FAIL_BUSY, k, "resource-constraint", "wait");
		expect_failure(FAIL_FORBIDDEN, k, "forbidden", "auth");
		expect_failure(FAIL_BAD_REQUEST, k, "bad-request", "modify");
	}
	expect_failure(FAIL_NO_ROUTE, KIND_IQ, "item-not-found", "cancel");
	expect_failure(FAIL_NO_ROUTE, KIND_MESSAGE, "service-unavailable", "cancel");
	expect_failure(FAIL_NO_ROUTE, KIND_PRESENCE, "service-unavailable", "cancel");
}

static void test_failure_texts(void **state)
{
	(void)state;
	for (int f = FAIL_NONE; f <= FAIL_BAD_REQUEST; f++) {
		struct stanza_error e;
		const char *t = bridge_failure_text((enum bridge_failure)f);
		assert_non_null(t);
		assert_true(strlen(t) > 0);
		for (int g = FAIL_NONE; g < f; g++)
			assert_string_not_equal(t, bridge_failure_text((enum bridge_failure)g));
		/* every value, FAIL_NONE included, maps to some condition */
		stanza_error_for_failure((enum bridge_failure)f, KIND_IQ, &e);
		assert_non_null(e.condition);
		assert_non_null(e.type);
	}
}

static void test_kind_of(void **state)
{
	(void)state;
	assert_int_equal(stanza_kind_of("iq"), KIND_IQ);
	assert_int_equal(stanza_kind_of("message"), KIND_MESSAGE);
	assert_int_equal(stanza_kind_of("presence"), KIND_PRESENCE);
	assert_int_equal(stanza_kind_of("IQ"), KIND_OTHER);
	assert_int_equal(stanza_kind_of("stream:features"), KIND_OTHER);
	assert_int_equal(stanza_kind_of(NULL), KIND_OTHER);
}

static void test_allowed_required(void **state)
{
	(void)state;
	assert_true(reply_allowed(KIND_IQ, "get"));
	assert_true(reply_allowed(KIND_IQ, "set"));
	assert_false(reply_allowed(KIND_IQ, "result"));
	assert_false(reply_allowed(KIND_IQ, "error"));
	assert_false(reply_allowed(KIND_IQ, NULL));
	assert_false(reply_allowed(KIND_IQ, "bogus"));
	assert_true(reply_required(KIND_IQ, "get"));
	assert_true(reply_required(KIND_IQ, "set"));
	assert_false(reply_required(KIND_IQ, "result"));
	assert_false(reply_required(KIND_IQ, "error"));

	assert_true(reply_allowed(KIND_MESSAGE, NULL));
	assert_true(reply_allowed(KIND_MESSAGE, "chat"));
	assert_true(reply_allowed(KIND_MESSAGE, "normal"));
	assert_true(reply_allowed(KIND_MESSAGE, "headline"));
	assert_false(reply_allowed(KIND_MESSAGE, "error"));
	assert_false(reply_required(KIND_MESSAGE, "chat"));
	assert_false(reply_required(KIND_MESSAGE, NULL));

	assert_true(reply_allowed(KIND_PRESENCE, NULL));
	assert_true(reply_allowed(KIND_PRESENCE, "subscribe"));
	assert_true(reply_allowed(KIND_PRESENCE, "unavailable"));
	assert_false(reply_allowed(KIND_PRESENCE, "error"));
	assert_false(reply_required(KIND_PRESENCE, NULL));

	assert_false(reply_allowed(KIND_OTHER, "get"));
	assert_false(reply_required(KIND_OTHER, "get"));
}

static void test_is_xml_type(void **state)
{
	(void)state;
	assert_true(reply_is_xml_type("application/xml"));
	assert_true(reply_is_xml_type("text/xml"));
	assert_true(reply_is_xml_type("Application/XML"));
	assert_true(reply_is_xml_type("application/xml; charset=utf-8"));
	assert_true(reply_is_xml_type("application/xml;charset=utf-8"));
	assert_true(reply_is_xml_type(" text/xml ; charset=utf-8"));
	assert_true(reply_is_xml_type("application/soap+xml"));
	assert_true(reply_is_xml_type("application/atom+xml; charset=utf-8"));
	assert_true(reply_is_xml_type("application/vnd.example+XML"));
	assert_false(reply_is_xml_type(NULL));
	assert_false(reply_is_xml_type(""));
	assert_false(reply_is_xml_type("text/plain"));
	assert_false(reply_is_xml_type("text/plain; format=xml"));
	assert_false(reply_is_xml_type("application/xml-dtd"));
	assert_false(reply_is_xml_type("application/xhtml"));
	assert_false(reply_is_xml_type("text/xmlx"));
	assert_false(reply_is_xml_type("xml"));
	assert_false(reply_is_xml_type("+xml"));
	assert_false(reply_is_xml_type("application/json"));
}

/* ---- successful responses ---- */

static void test_iq_result_xml_payload(void **state)
{
	struct reply_target t = iq_get();
	struct cgi_response r;
	const char *why = "unset";
	char *out;
	xmlDocPtr d;
	xmlNodePtr root, q, item;
	(void)state;
	t.from = "bridge@example.org/echo";
	make_resp(&r, "Content-Type: application/xml\n\n<?xml version='1.0'?>\n"
	              "<query xmlns='urn:example:q'><item a='1'>t&amp;x &lt;y&gt;</item>"
	              "<p:other xmlns:p='urn:example:p'/></query>\n");
	out = reply_from_response(&t, &r, &why, NULL);
	assert_null(why);
	d = parse_reply(out);
	root = xmlDocGetRootElement(d);
	assert_el(root, "iq", NULL);
	assert_prop(root, "type", "result");
	assert_prop(root, "id", "q1");
	assert_prop(root, "to", "alice@example.org/phone");
	assert_prop(root, "from", "bridge@example.org/echo");
	assert_int_equal(count_elements(root), 1);
	q = first_el(root->children);
	assert_el(q, "query", "urn:example:q");
	assert_int_equal(count_elements(q), 2);
	item = first_el(q->children);
	assert_el(item, "item", "urn:example:q");
	assert_prop(item, "a", "1");
	assert_content(item, "t&x <y>");
	assert_el(first_el(item->next), "other", "urn:example:p");
	xmlFreeDoc(d);
	free(out);
	response_free(&r);
}

static void test_xml_content_types(void **state)
{
	static const char *const types[] = {"text/xml", "application/soap+xml; charset=utf-8",
	                                    "application/xml;charset=UTF-8"};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct reply_target t = iq_get();
		char raw[256];
		char *out;
		xmlDocPtr d;
		snprintf(raw, sizeof raw, "Content-Type: %s\r\n\r\n<x xmlns='urn:x'/>", types[i]);
		out = reply_to(&t, raw);
		d = parse_reply(out);
		assert_el(first_el(xmlDocGetRootElement(d)->children), "x", "urn:x");
		xmlFreeDoc(d);
		free(out);
	}
}

static void test_iq_result_text_body(void **state)
{
	struct reply_target t = iq_get();
	char *out;
	xmlDocPtr d;
	xmlNodePtr root, body;
	(void)state;
	out = reply_to(&t, "Content-Type: text/plain\n\n a & b < c > d \n");
	assert_non_null(strstr(out, "&amp;"));
	assert_non_null(strstr(out, "&lt;"));
	assert_non_null(strstr(out, "&gt;"));
	assert_null(strstr(out, " a & b"));
	d = parse_reply(out);
	root = xmlDocGetRootElement(d);
	assert_prop(root, "type", "result");
	assert_int_equal(count_elements(root), 1);
	body = first_el(root->children);
	assert_el(body, "body", NULL);
	assert_content(body, " a & b < c > d \n");
	xmlFreeDoc(d);
	free(out);

	/* an XML-looking body in text/plain stays text */
	out = reply_to(&t, "Content-Type: text/plain\n\n<evil/>");
	d = parse_reply(out);
	body = first_el(xmlDocGetRootElement(d)->children);
	assert_el(body, "body", NULL);
	assert_int_equal(count_elements(body), 0);
	assert_content(body, "<evil/>");
	xmlFreeDoc(d);
	free(out);
}

static void test_iq_result_text_cleaned(void **state)
{
	struct reply_target t = iq_get();
	char *out;
	xmlDocPtr d;
	(void)state;
	out = reply_to(&t, "Content-Type: text/plain\n\nok\x01\xff\x1b!");
	d = parse_reply(out);
	assert_content(first_el(xmlDocGetRootElement(d)->children), "ok" REPL REPL REPL "!");
	xmlFreeDoc(d);
	free(out);
}

static void test_iq_result_empty(void **state)
{
	static const char *const raws[] = {"Status: 204 No Content\n\n", "Content-Type: text/plain\n\n",
	                                   "Content-Type: application/xml\n\n"};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct reply_target t = iq_get();
		struct cgi_response r;
		const char *why = "unset";
		char *out;
		xmlDocPtr d;
		xmlNodePtr root;
		t.type = "set";
		make_resp(&r, raws[i]);
		out = reply_from_response(&t, &r, &why, NULL);
		assert_null(why);
		d = parse_reply(out);
		root = xmlDocGetRootElement(d);
		assert_el(root, "iq", NULL);
		assert_prop(root, "type", "result");
		assert_prop(root, "id", "q1");
		assert_prop(root, "to", "alice@example.org/phone");
		assert_prop(root, "from", NULL);
		assert_null(root->children);
		xmlFreeDoc(d);
		free(out);
		response_free(&r);
	}
}

/* ---- error responses ---- */

static void test_404_with_text(void **state)
{
	struct reply_target t = iq_get();
	(void)state;
	expect_error_reply(
	    &t, "Status: 404 Not Found\nContent-Type: text/plain\n\n\n  no such item <&>\n\n", "iq",
	    "item-not-found", "cancel", NULL, "no such item <&>");

	/* without a body, no <text> */
	expect_error_reply(&t, "Status: 404\n\n", "iq", "item-not-found", "cancel", NULL, NULL);

	/* a body of white space only, no <text> either */
	expect_error_reply(&t, "Status: 500\n\n \r\n\t\n", "iq", "internal-server-error", "cancel",
	                   NULL, NULL);
}

static void test_error_carries_addresses(void **state)
{
	struct reply_target t = iq_get();
	struct cgi_response r;
	char *out;
	xmlDocPtr d;
	xmlNodePtr root;
	(void)state;
	t.from = "bridge@example.org/echo";
	make_resp(&r, "Status: 403\n\n");
	out = reply_from_response(&t, &r, NULL, NULL);
	d = parse_reply(out);
	root = xmlDocGetRootElement(d);
	assert_prop(root, "type", "error");
	assert_prop(root, "id", "q1");
	assert_prop(root, "to", "alice@example.org/phone");
	assert_prop(root, "from", "bridge@example.org/echo");
	xmlFreeDoc(d);
	free(out);

	/* no id, no to: none invented */
	t.id = NULL;
	t.to = NULL;
	t.from = NULL;
	out = reply_from_response(&t, &r, NULL, NULL);
	d = parse_reply(out);
	root = xmlDocGetRootElement(d);
	assert_prop(root, "id", NULL);
	assert_prop(root, "to", NULL);
	assert_prop(root, "from", NULL);
	xmlFreeDoc(d);
	free(out);
	response_free(&r);

	/* attribute values are escaped */
	t = iq_get();
	t.id = "a\"b'<&>";
	out = reply_to(&t, "Status: 403\n\n");
	d = parse_reply(out);
	assert_prop(xmlDocGetRootElement(d), "id", "a\"b'<&>");
	xmlFreeDoc(d);
	free(out);
}

static void test_redirect_and_gone(void **state)
{
	struct reply_target t = iq_get();
	struct cgi_response r;
	char *out;
	(void)state;
	make_resp(&r, "Location: xmpp:other@example.org/svc\n\n");
	assert_int_equal(r.status, 302);
	out = reply_from_response(&t, &r, NULL, NULL);
	check_error(out, "iq", "redirect", "modify", "xmpp:other@example.org/svc", NULL);
	free(out);
	response_free(&r);

	expect_error_reply(&t,
	                   "Status: 301 Moved Permanently\nLocation: xmpp:new@example.org\n"
	                   "Content-Type: text/plain\n\nmoved\n",
	                   "iq", "gone", "cancel", "xmpp:new@example.org", "moved");

	expect_error_reply(&t, "Location: http://example.org/\n\n", "iq", "undefined-condition",
	                   "cancel", NULL, NULL);
}

static void test_error_text_capped(void **state)
{
	struct reply_target t = iq_get();
	size_t n = 3 * REPLY_MAX_ERROR_TEXT;
	char *raw = malloc(n + 64), *out;
	xmlDocPtr d;
	xmlNodePtr err, text;
	xmlChar *c;
	(void)state;
	assert_non_null(raw);
	/* 2-byte characters so that a cut can fall inside one, after 1 byte of ASCII */
	strcpy(raw, "Status: 500\n\nx");
	for (size_t i = 0, at = strlen(raw); i < n / 2; i++, at += 2)
		memcpy(raw + at, "\xc3\xa9", 3);
	out = reply_to(&t, raw);
	d = parse_reply(out);
	err = first_el(xmlDocGetRootElement(d)->children);
	text = first_el(first_el(err->children)->next);
	assert_el(text, "text", STANZAS_NS);
	c = xmlNodeGetContent(text);
	/* "x" and then whole 2-byte characters: REPLY_MAX_ERROR_TEXT is even, so the cut
	 * falls one byte short of it */
	assert_int_equal(strlen((const char *)c), REPLY_MAX_ERROR_TEXT - 1);
	assert_int_equal(((const char *)c)[0], 'x');
	assert_memory_equal((const char *)c + strlen((const char *)c) - 2, "\xc3\xa9", 2);
	xmlFree(c);
	xmlFreeDoc(d);
	free(out);
	free(raw);
}

static void test_error_text_cleaned(void **state)
{
	struct reply_target t = iq_get();
	(void)state;
	expect_error_reply(&t, "Status: 400\nContent-Type: text/plain\n\nbad\x01 \xc3 input\x1b\n",
	                   "iq", "bad-request", "modify", NULL, "bad" REPL " " REPL " input" REPL);
}

/* An XML body of type ctype the bridge refuses: an internal-server-error whose <text> is
 * the log reason, which mentions why_part, with or without a log_reason asked for. Returns
 * the first reply (malloc'ed) for more checks. */
static char *expect_refused_xml(const char *ctype, const char *body, const char *why_part)
{
	struct reply_target t = iq_get();
	struct cgi_response r;
	const char *why = NULL;
	char raw[256], *out, *again;
	snprintf(raw, sizeof raw, "Content-Type: %s\n\n%s", ctype, body);
	make_resp(&r, raw);
	out = reply_from_response(&t, &r, &why, NULL);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
	check_error(out, "iq", "internal-server-error", "cancel", NULL, why);
	/* log_reason is optional */
	again = reply_from_response(&t, &r, NULL, NULL);
	check_error(again, "iq", "internal-server-error", "cancel", NULL, why);
	free(again);
	response_free(&r);
	return out;
}

static void test_malformed_xml_body(void **state)
{
	static const char *const bodies[] = {
	    "<a><b></a>",
	    "not xml at all",
	    "<a/><b/>",
	    "<a>&undefined;</a>",
	    "<a x='1' x='2'/>",
	    "<a:b/>",
	    "<a:/>",
	    "<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
	    "<a\xe2\x81\xb0/>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++)
		free(expect_refused_xml("application/xml", bodies[i], "well-formed"));
}

static void test_doctype_refused(void **state)
{
	static const char *const bodies[] = {
	    "<!DOCTYPE a [<!ENTITY x 'y'>]><a>&x;</a>",
	    "<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>",
	    "<?xml version='1.0'?><!DOCTYPE a><a/>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		char *out = expect_refused_xml("text/xml", bodies[i], "document type");
		assert_null(strstr(out, "DOCTYPE"));
		assert_null(strstr(out, "passwd"));
		free(out);
	}
}

/* RFC 6120 11.1: no comments or processing instructions in the stream. */
static void test_no_comments_or_pis(void **state)
{
	struct reply_target t = iq_get();
	struct cgi_response r;
	const char *why = "unset";
	char *out;
	xmlDocPtr d;
	xmlNodePtr q;
	(void)state;
	make_resp(&r, "Content-Type: application/xml\n\n<!-- before --><?pi before?>"
	              "<q xmlns='urn:q'><!-- inside --><a><?pi inside?>x<!--deep--></a></q>"
	              "<!-- after -->");
	out = reply_from_response(&t, &r, &why, NULL);
	assert_null(why);
	assert_null(strstr(out, "<!--"));
	assert_null(strstr(out, "<?"));
	d = parse_reply(out);
	q = first_el(xmlDocGetRootElement(d)->children);
	assert_el(q, "q", "urn:q");
	assert_int_equal(count_elements(q), 1);
	assert_content(first_el(q->children), "x");
	xmlFreeDoc(d);
	free(out);
	response_free(&r);
}

/* ---- message and presence ---- */

static void test_message_success(void **state)
{
	struct reply_target t = {.kind = KIND_MESSAGE,
	                         .type = "chat",
	                         .id = "m1",
	                         .to = "alice@example.org/phone",
	                         .message_replies = false};
	struct cgi_response r;
	const char *why = "unset";
	char *out;
	xmlDocPtr d;
	xmlNodePtr root, body;
	(void)state;
	make_resp(&r, "Content-Type: text/plain\n\nhello & welcome\n");
	assert_null(reply_from_response(&t, &r, &why, NULL));
	assert_null(why);

	t.message_replies = true;
	t.from = "bridge@example.org/hello";
	out = reply_from_response(&t, &r, &why, NULL);
	d = parse_reply(out);
	root = xmlDocGetRootElement(d);
	assert_el(root, "message", NULL);
	assert_prop(root, "type", "chat");
	assert_prop(root, "id", "m1");
	assert_prop(root, "to", "alice@example.org/phone");
	assert_prop(root, "from", "bridge@example.org/hello");
	assert_int_equal(count_elements(root), 1);
	body = first_el(root->children);
	assert_el(body, "body", NULL);
	assert_content(body, "hello & welcome\n");
	xmlFreeDoc(d);
	free(out);
	response_free(&r);

	/* an empty body: nothing to say */
	make_resp(&r, "Content-Type: text/plain\n\n");
	assert_null(reply_from_response(&t, &r, NULL, NULL));
	response_free(&r);

	/* an XML body is embedded as in an iq result */
	out = reply_to(&t, "Content-Type: application/xml\n\n<x xmlns='jabber:x:oob'><url>u</url></x>");
	d = parse_reply(out);
	root = xmlDocGetRootElement(d);
	assert_prop(root, "type", "chat");
	assert_el(first_el(root->children), "x", "jabber:x:oob");
	xmlFreeDoc(d);
	free(out);
}

static void test_message_error(void **state)
{
	struct reply_target t = {
	    .kind = KIND_MESSAGE, .type = NULL, .id = "m2", .to = "alice@example.org"};
	struct cgi_response r;
	char *out;
	(void)state;
	make_resp(&r, "Status: 503\nContent-Type: text/plain\n\ndown for maintenance\n");
	out = reply_from_response(&t, &r, NULL, NULL);
	check_error(out, "message", "service-unavailable", "wait", NULL, "down for maintenance");
	free(out);
	/* never answer an error */
	t.type = "error";
	assert_null(reply_from_response(&t, &r, NULL, NULL));
	response_free(&r);
}

static void test_presence(void **state)
{
	struct reply_target t = {.kind = KIND_PRESENCE,
	                         .type = NULL,
	                         .id = "p1",
	                         .to = "alice@example.org/phone",
	                         .message_replies = true};
	struct cgi_response r;
	char *out;
	xmlDocPtr d;
	(void)state;
	make_resp(&r, "Content-Type: text/plain\n\nseen\n");
	assert_null(reply_from_response(&t, &r, NULL, NULL));
	response_free(&r);

	make_resp(&r, "Status: 500\n\n");
	out = reply_from_response(&t, &r, NULL, NULL);
	check_error(out, "presence", "internal-server-error", "cancel", NULL, NULL);
	d = parse_reply(out);
	assert_prop(xmlDocGetRootElement(d), "id", "p1");
	assert_prop(xmlDocGetRootElement(d), "to", "alice@example.org/phone");
	xmlFreeDoc(d);
	free(out);

	t.type = "error";
	assert_null(reply_from_response(&t, &r, NULL, NULL));
	response_free(&r);
}

static void test_no_reply_to_result_or_error(void **state)
{
	static const char *const types[] = {"result", "error", NULL};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct reply_target t = iq_get();
		struct cgi_response r;
		const char *why = "unset";
		t.type = types[i];
		make_resp(&r, "Content-Type: application/xml\n\n<a/>");
		assert_null(reply_from_response(&t, &r, &why, NULL));
		assert_null(why);
		response_free(&r);
		make_resp(&r, "Status: 500\n\n");
		assert_null(reply_from_response(&t, &r, NULL, NULL));
		response_free(&r);
		make_resp(&r, "Content-Type: application/xml\n\n<broken>");
		assert_null(reply_from_response(&t, &r, NULL, NULL));
		response_free(&r);
		assert_null(reply_failure(&t, FAIL_TIMEOUT, NULL));
	}
}

/* ---- bridge failures ---- */

static void test_reply_failure(void **state)
{
	static const struct {
		enum bridge_failure f;
		const char *cond, *type;
	} rows[] = {
	    {FAIL_TIMEOUT, "remote-server-timeout", "wait"},
	    {FAIL_HANDLER, "internal-server-error", "cancel"},
	    {FAIL_TOO_LARGE, "resource-constraint", "modify"},
	    {FAIL_BAD_XML, "internal-server-error", "cancel"},
	    {FAIL_BUSY, "resource-constraint", "wait"},
	    {FAIL_UNAVAILABLE, "service-unavailable", "wait"},
	    {FAIL_FORBIDDEN, "forbidden", "auth"},
	    {FAIL_NO_ROUTE, "item-not-found", "cancel"},
	    {FAIL_BAD_REQUEST, "bad-request", "modify"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct reply_target t = iq_get();
		char *out = reply_failure(&t, rows[i].f, NULL);
		check_error(out, "iq", rows[i].cond, rows[i].type, NULL, bridge_failure_text(rows[i].f));
		free(out);
		out = reply_failure(&t, rows[i].f, "  custom <reason>  ");
		check_error(out, "iq", rows[i].cond, rows[i].type, NULL, "custom <reason>");
		free(out);
	}
	{
		struct reply_target t = {
		    .kind = KIND_MESSAGE, .type = "chat", .id = "m", .to = "a@example.org"};
		char *out = reply_failure(&t, FAIL_NO_ROUTE, NULL);
		check_error(out, "message", "service-unavailable", "cancel", NULL,
		            bridge_failure_text(FAIL_NO_ROUTE));
		free(out);
	}
}

/* ---- stanza_clean_text ---- */

static void expect_clean(const char *in, size_t len, size_t cap, bool trim, const char *want)
{
	char *out = stanza_clean_text(in, len, cap, trim);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_true(strlen(out) <= cap);
	free(out);
}

#define CLEAN(in, cap, trim, want) expect_clean(in, sizeof in - 1, cap, trim, want)

static void test_clean_valid(void **state)
{
	(void)state;
	CLEAN("plain text", 100, false, "plain text");
	CLEAN("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", 100, false,
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CLEAN("tab\there\nnl\r\ncr", 100, false, "tab\there\nnl\r\ncr");
	CLEAN("\x7f del is allowed", 100, false, "\x7f del is allowed");
	CLEAN("", 100, false, "");
	CLEAN("", 100, true, "");
}

static void test_clean_invalid(void **state)
{
	(void)state;
	CLEAN("a\x01z", 100, false, "a" REPL "z");
	CLEAN("\x1b[31mred", 100, false, REPL "[31mred");
	CLEAN("nul\0byte", 100, false, "nul" REPL "byte");
	CLEAN("\x0b\x0c", 100, false, REPL REPL);
	CLEAN("bad \xff byte", 100, false, "bad " REPL " byte");
	CLEAN("cut \xc3", 100, false, "cut " REPL);
	CLEAN("cut \xe2\x82", 100, false, "cut " REPL REPL);
	CLEAN("lone \x80 continuation", 100, false, "lone " REPL " continuation");
	CLEAN("overlong \xc0\xaf", 100, false, "overlong " REPL REPL);
	CLEAN("overlong \xe0\x80\xaf", 100, false, "overlong " REPL REPL REPL);
	CLEAN("surrogate \xed\xa0\x80", 100, false, "surrogate " REPL REPL REPL);
	CLEAN("nonchar \xef\xbf\xbe\xef\xbf\xbf", 100, false, "nonchar " REPL REPL REPL REPL REPL REPL);
	CLEAN("too big \xf4\x90\x80\x80", 100, false, "too big " REPL REPL REPL REPL);
	CLEAN("\xf8\x88\x80\x80\x80", 100, false, REPL REPL REPL REPL REPL);
	/* U+FFFD itself and the last valid code point stay */
	CLEAN(REPL "\xf4\x8f\xbf\xbd", 100, false, REPL "\xf4\x8f\xbf\xbd");
}

static void test_clean_cap(void **state)
{
	(void)state;
	CLEAN("abcdef", 3, false, "abc");
	CLEAN("abcdef", 0, false, "");
	/* never inside a character */
	CLEAN("a\xc3\xa9", 2, false, "a");
	CLEAN("a\xc3\xa9", 3, false, "a\xc3\xa9");
	CLEAN("\xe2\x82\xac\xe2\x82\xac", 5, false, "\xe2\x82\xac");
	CLEAN("\xe2\x82\xac\xe2\x82\xac", 6, false, "\xe2\x82\xac\xe2\x82\xac");
	CLEAN("x\xf0\x9f\x98\x80", 4, false, "x");
	CLEAN("x\xf0\x9f\x98\x80", 5, false, "x\xf0\x9f\x98\x80");
	/* a replacement takes 3 bytes of the cap */
	CLEAN("\x01\x01", 5, false, REPL);
	CLEAN("\x01\x01", 6, false, REPL REPL);
	CLEAN("ab\x01", 4, false, "ab");
}

static void test_clean_trim(void **state)
{
	(void)state;
	CLEAN("  \t\n hello there \r\n\t ", 100, true, "hello there");
	CLEAN("  \t\n hello there \r\n\t ", 100, false, "  \t\n hello there \r\n\t ");
	CLEAN(" \n\r\t ", 100, true, "");
	CLEAN("  inner  space  ", 100, true, "inner  space");
	/* trimming happens before the cap */
	CLEAN("     abcdef", 3, true, "abc");
}

static void test_clean_len(void **state)
{
	char *out;
	(void)state;
	/* only len bytes are read */
	out = stanza_clean_text("abcdef", 3, 100, false);
	assert_string_equal(out, "abc");
	free(out);
	out = stanza_clean_text("ab\xc3\xa9", 3, 100, false);
	assert_string_equal(out, "ab" REPL);
	free(out);
}

static struct reply_target room_message(int errors)
{
	struct reply_target t = {.kind = KIND_MESSAGE,
	                         .type = "groupchat",
	                         .id = "m1",
	                         .to = "dev@conference.example.org/alice",
	                         .room = "dev@conference.example.org",
	                         .room_errors = errors};
	return t;
}

static void test_room_replies(void **state)
{
	struct reply_target t = room_message(ROOM_ERRORS_ROOM);
	struct cgi_response r;
	char *out;
	(void)state;
	/* 2xx: a groupchat message to the room, without the speaker's id or the newline */
	out = reply_to(&t, "Content-Type: text/plain\n\nsunny\n");
	assert_non_null(out);
	assert_non_null(strstr(out, "type=\"groupchat\""));
	assert_non_null(strstr(out, "to=\"dev@conference.example.org\""));
	assert_null(strstr(out, "id=\"m1\""));
	assert_non_null(strstr(out, "<body>sunny</body>"));
	free(out);
	/* an error: a line in the room for the speaker, never a stanza error */
	make_resp(&r, "Status: 403 Forbidden\nContent-Type: text/plain\n\nnot for you\n");
	out = reply_from_response(&t, &r, NULL, NULL);
	assert_non_null(out);
	assert_null(strstr(out, "type=\"error\""));
	assert_non_null(strstr(out, "type=\"groupchat\""));
	assert_non_null(strstr(out, "<body>alice: forbidden: not for you</body>"));
	free(out);
	/* privately: a chat message to room/nick */
	t = room_message(ROOM_ERRORS_PRIVATE);
	out = reply_from_response(&t, &r, NULL, NULL);
	assert_non_null(strstr(out, "type=\"chat\""));
	assert_non_null(strstr(out, "to=\"dev@conference.example.org/alice\""));
	assert_non_null(strstr(out, "<body>forbidden: not for you</body>"));
	free(out);
	/* or not at all */
	t = room_message(ROOM_ERRORS_NONE);
	assert_null(reply_from_response(&t, &r, NULL, NULL));
	assert_null(reply_failure(&t, FAIL_TIMEOUT, NULL));
	response_free(&r);
	t = room_message(ROOM_ERRORS_ROOM);
	out = reply_failure(&t, FAIL_TIMEOUT, NULL);
	assert_non_null(out);
	assert_non_null(strstr(out, "<body>alice: "));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_table),
	    cmocka_unit_test(test_status_redirects),
	    cmocka_unit_test(test_failure_table),
	    cmocka_unit_test(test_failure_texts),
	    cmocka_unit_test(test_kind_of),
	    cmocka_unit_test(test_allowed_required),
	    cmocka_unit_test(test_is_xml_type),
	    cmocka_unit_test(test_iq_result_xml_payload),
	    cmocka_unit_test(test_xml_content_types),
	    cmocka_unit_test(test_iq_result_text_body),
	    cmocka_unit_test(test_iq_result_text_cleaned),
	    cmocka_unit_test(test_iq_result_empty),
	    cmocka_unit_test(test_404_with_text),
	    cmocka_unit_test(test_error_carries_addresses),
	    cmocka_unit_test(test_redirect_and_gone),
	    cmocka_unit_test(test_error_text_capped),
	    cmocka_unit_test(test_error_text_cleaned),
	    cmocka_unit_test(test_malformed_xml_body),
	    cmocka_unit_test(test_doctype_refused),
	    cmocka_unit_test(test_no_comments_or_pis),
	    cmocka_unit_test(test_message_success),
	    cmocka_unit_test(test_message_error),
	    cmocka_unit_test(test_presence),
	    cmocka_unit_test(test_no_reply_to_result_or_error),
	    cmocka_unit_test(test_reply_failure),
	    cmocka_unit_test(test_clean_valid),
	    cmocka_unit_test(test_clean_invalid),
	    cmocka_unit_test(test_clean_cap),
	    cmocka_unit_test(test_clean_trim),
	    cmocka_unit_test(test_clean_len),
	    cmocka_unit_test(test_room_replies),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
