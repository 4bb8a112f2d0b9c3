/* test_http_resp.c - unit tests for bridge/mapping/http_resp.c (XEP-0332, the response side).
 *
 * Replies are parsed back as trees: statusCode and statusMessage (the handler's reason,
 * cleaned, or the standard phrase, or none), a 404 as a normal <resp> rather than a
 * stanza error, every handler header in order (Status out, Location and repeated
 * headers in, bad bytes replaced) with the real Content-Length instead of the
 * handler's, <xml> for well-formed XML types (declaration, comments and PIs dropped),
 * <text> for text types and JSON (CR kept), <text> for XML types that are not
 * well-formed or carry a DTD, <base64> for binary types and for bodies that are not
 * XML-safe UTF-8 (round-tripped through the request decoder for every padding), no
 * <data> for an empty body, the element name and version mirrored from slixmpp's
 * <request>, addresses carried over, and no answer outside an iq get/set. */
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

#include "http_xmpp.h"

#include "http_req_iq.h"
#include "reply_tree.h"

/* ---- helpers ---- */

static const struct reply_target iq_set = {
    .kind = KIND_IQ, .type = "set", .id = "h1", .to = "alice@example.org/pc", .from = NULL};

/* Builds the reply to raw CGI output; returns the parsed doc and its <resp>. */
static xmlDocPtr resp_doc(const char *raw, size_t len, const struct http_req *req,
                          xmlNodePtr *resp_el)
{
	struct cgi_response r;
	char *out;
	xmlDocPtr d;
	make_resp_bytes(&r, raw, len);
	out = http_resp_build_for(&iq_set, &r, req);
	response_free(&r);
	d = parse_reply(out);
	free(out);
	assert_string_equal((const char *)xmlDocGetRootElement(d)->name, "iq");
	*resp_el = first_el(xmlDocGetRootElement(d)->children);
	return d;
}

/* The <header name=NAME> under resp's headers, NULL if absent; fails if repeated. */
static xmlNodePtr resp_header(xmlNodePtr resp, const char *name)
{
	xmlNodePtr hs = first_el(resp->children), found = NULL;
	assert_el(hs, "headers", SHIM);
	for (xmlNodePtr h = first_el(hs->children); h; h = first_el(h->next)) {
		xmlChar *n = xmlGetProp(h, BAD_CAST "name");
		assert_el(h, "header", SHIM);
		if (n && strcmp((const char *)n, name) == 0) {
			if (found)
				fail_msg("header %s repeated", name);
			found = h;
		}
		xmlFree(n);
	}
	return found;
}

/* resp's <data> child element (text, xml or base64), NULL when there is no <data>. */
static xmlNodePtr resp_data(xmlNodePtr resp)
{
	xmlNodePtr data = first_el(first_el(resp->children)->next);
	if (!data)
		return NULL;
	assert_el(data, "data", HTTP_XMPP_NS);
	assert_null(first_el(data->next));
	return first_el(data->children);
}

/* ---- responses ---- */

static void test_resp_text(void **state)
{
	static const char raw[] = "Content-Type: text/plain\r\nX-Trace: abc\r\n\r\nhello & <w>\r\n";
	xmlNodePtr resp, h, data;
	xmlDocPtr d;
	(void)state;
	d = resp_doc(raw, strlen(raw), NULL, &resp);
	assert_prop(xmlDocGetRootElement(d), "type", "result");
	assert_prop(xmlDocGetRootElement(d), "id", "h1");
	assert_prop(xmlDocGetRootElement(d), "to", "alice@example.org/pc");
	assert_prop(xmlDocGetRootElement(d), "from", NULL);
	assert_el(resp, "resp", HTTP_XMPP_NS);
	assert_prop(resp, "version", "1.1");
	assert_prop(resp, "statusCode", "200");
	assert_prop(resp, "statusMessage", "OK");
	assert_content(resp_header(resp, "Content-Type"), "text/plain");
	assert_content(resp_header(resp, "X-Trace"), "abc");
	assert_content(resp_header(resp, "Content-Length"), "13");
	assert_null(resp_header(resp, "Status"));
	data = resp_data(resp);
	assert_el(data, "text", HTTP_XMPP_NS);
	assert_content(data, "hello & <w>\r\n"); /* the CR survives as &#13; */
	(void)h;
	xmlFreeDoc(d);
}

static void test_resp_status(void **state)
{
	static const struct {
		const char *raw, *code, *msg;
	} rows[] = {
	    {"Status: 404 Not Found\nContent-Type: text/plain\n\nno such user", "404", "Not Found"},
	    {"Status: 404\nContent-Type: text/plain\n\nx", "404", "Not Found"},
	    {"Status: 201\nContent-Type: text/plain\n\nx", "201", "Created"},
	    {"Status: 500\nContent-Type: text/plain\n\nx", "500", "Internal Server Error"},
	    {"Status: 418 I'm a teapot\nContent-Type: text/plain\n\nx", "418", "I'm a teapot"},
	    {"Status: 299\nContent-Type: text/plain\n\nx", "299", NULL},
	    {"Location: /elsewhere\n\n", "302", "Found"},
	    {"Status: 204 \xff\n\n", "204", "\xEF\xBF\xBD"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		xmlNodePtr resp;
		xmlDocPtr d = resp_doc(rows[i].raw, strlen(rows[i].raw), NULL, &resp);
		assert_el(resp, "resp", HTTP_XMPP_NS); /* a 404 is a normal resp, not an error */
		assert_null(first_el(resp->next));
		assert_prop(resp, "statusCode", rows[i].code);
		assert_prop(resp, "statusMessage", rows[i].msg);
		xmlFreeDoc(d);
	}
	assert_string_equal(http_reason_phrase(200), "OK");
	assert_string_equal(http_reason_phrase(413), "Content Too Large");
	assert_string_equal(http_reason_phrase(503), "Service Unavailable");
	assert_null(http_reason_phrase(299));
	assert_null(http_reason_phrase(0));
}

static void test_resp_headers(void **state)
{
	static const char raw[] = "Status: 302 Found\nLocation: /new\nContent-Length: 99\n"
	                          "Set-Cookie: a=1\nSet-Cookie: b=2\nX-Bad: \xfe\n\n";
	xmlNodePtr resp, hs, h;
	xmlDocPtr d;
	const char *want[][2] = {{"Location", "/new"},
	                         {"Set-Cookie", "a=1"},
	                         {"Set-Cookie", "b=2"},
	                         {"X-Bad", "\xEF\xBF\xBD"},
	                         {"Content-Length", "0"}};
	size_t i = 0;
	(void)state;
	d = resp_doc(raw, strlen(raw), NULL, &resp);
	hs = first_el(resp->children);
	for (h = first_el(hs->children); h; h = first_el(h->next), i++) {
		assert_true(i < 5);
		assert_prop(h, "name", want[i][0]);
		assert_content(h, want[i][1]);
	}
	assert_int_equal(i, 5);
	assert_null(resp_data(resp)); /* empty body: no <data> */
	xmlFreeDoc(d);
}

static void test_resp_xml(void **state)
{
	static const char *const raws[] = {
	    ("Content-Type: application/xml\n\n<?xml version='1.0'?>\n<!-- c --><r "
	     "xmlns='urn:r'><?pi x?><a>1</a><!-- c2 --></r>\n"),
	    "Content-Type: text/xml; charset=utf-8\n\n<r xmlns='urn:r'><a>1</a></r>",
	    "Content-Type: application/sparql-results+xml\n\n<r xmlns='urn:r'><a>1</a></r>",
	};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		xmlNodePtr resp, x, r;
		xmlDocPtr d = resp_doc(raws[i], strlen(raws[i]), NULL, &resp);
		x = resp_data(resp);
		assert_el(x, "xml", HTTP_XMPP_NS);
		r = first_el(x->children);
		assert_el(r, "r", "urn:r");
		assert_null(first_el(r->next));
		for (xmlNodePtr c = r->children; c; c = c->next)
			assert_true(c->type != XML_COMMENT_NODE && c->type != XML_PI_NODE);
		assert_el(first_el(r->children), "a", "urn:r");
		xmlFreeDoc(d);
	}
}

static void test_resp_text_kinds(void **state)
{
	static const struct {
		const char *raw;
		const char *kind, *content;
	} rows[] = {
	    {"Content-Type: application/json\n\n{\"a\":\"\xC3\xA9\"}", "text", "{\"a\":\"\xC3\xA9\"}"},
	    {"Content-Type: application/problem+json\n\n{}", "text", "{}"},
	    {"Content-Type: application/x-foo; charset=utf-8\n\nabc", "text", "abc"},
	    {"Content-Type: application/xml\n\n<a><b></a>", "text", "<a><b></a>"},
	    {"Content-Type: application/xml\n\n<!DOCTYPE a><a/>", "text", "<!DOCTYPE a><a/>"},
	    {"Content-Type: text/html\n\n<p>x</p>", "text", "<p>x</p>"},
	    {"Content-Type: application/octet-stream\n\nabc", "base64", "YWJj"},
	    {"Content-Type: image/png\n\n\x89PNG", "base64", "iVBORw=="},
	    {"Content-Type: text/plain\n\nbad \xff byte", "base64", "YmFkIP8gYnl0ZQ=="},
	    {"Content-Type: text/plain\n\nctl \x01", "base64", "Y3RsIAE="},
	    {"Content-Type: application/xml\n\n\xff<a/>", "base64", "/zxhLz4="},
	    {"Location: /x\n\nplain", "text", "plain"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		xmlNodePtr resp, k;
		xmlDocPtr d = resp_doc(rows[i].raw, strlen(rows[i].raw), NULL, &resp);
		k = resp_data(resp);
		if (strcmp((const char *)k->name, rows[i].kind) != 0)
			fail_msg("row %zu: <%s>, want <%s>", i, (const char *)k->name, rows[i].kind);
		assert_el(k, rows[i].kind, HTTP_XMPP_NS);
		assert_content(k, rows[i].content);
		xmlFreeDoc(d);
	}
}

/* Every length 0..6 with NULs and high bytes: <base64> out, decoded back in by the
 * request parser, gives the same bytes. */
static void test_resp_base64_roundtrip(void **state)
{
	static const char bytes[] = "\x00\xff\x10\x80\x7f\x00";
	(void)state;
	for (size_t len = 1; len <= 6; len++) {
		char raw[64], inner[128];
		size_t hl = (size_t)sprintf(raw, "Content-Type: application/octet-stream\n\n");
		xmlNodePtr resp;
		xmlDocPtr d;
		xmlChar *b64;
		struct http_req r;
		const char *why;
		memcpy(raw + hl, bytes, len);
		d = resp_doc(raw, hl + len, NULL, &resp);
		assert_el(resp_data(resp), "base64", HTTP_XMPP_NS);
		b64 = xmlNodeGetContent(resp_data(resp));
		snprintf(inner, sizeof inner, "<data><base64>%s</base64></data>", (const char *)b64);
		xmlFree(b64);
		assert_int_equal(parse_req(POST_ATTRS, inner, &r, &why), HTTP_REQ_YES);
		assert_int_equal(r.body.len, len);
		assert_memory_equal(r.body.data, bytes, len);
		http_req_free(&r);
		xmlFreeDoc(d);
	}
}

static void test_resp_mirrors_request(void **state)
{
	static const char doc[] = "<iq type='set' id='z'><request xmlns='urn:xmpp:http' "
	                          "method='GET' resource='/' version='1.0'/></iq>";
	static const char raw[] = "Content-Type: text/plain\n\nok";
	struct http_req r;
	const char *why;
	xmlNodePtr resp;
	xmlDocPtr d;
	(void)state;
	assert_int_equal(http_req_parse(doc, strlen(doc), &r, &why), HTTP_REQ_YES);
	d = resp_doc(raw, strlen(raw), &r, &resp);
	assert_el(resp, "response", HTTP_XMPP_NS);
	assert_prop(resp, "version", "1.0");
	xmlFreeDoc(d);
	http_req_free(&r);
}

static void test_resp_targets(void **state)
{
	static const char raw[] = "Content-Type: text/plain\n\nok";
	struct cgi_response resp;
	struct reply_target t = iq_set;
	char *out;
	(void)state;
	make_resp(&resp, raw);
	t.from = "bridge@example.org/api";
	out = http_resp_build(&t, &resp);
	assert_non_null(strstr(out, "from=\"bridge@example.org/api\""));
	assert_non_null(strstr(out, "<resp xmlns=\"urn:xmpp:http\""));
	free(out);
	t.type = "get";
	out = http_resp_build(&t, &resp);
	assert_non_null(out);
	free(out);
	t.type = "result";
	assert_null(http_resp_build(&t, &resp));
	t.type = "error";
	assert_null(http_resp_build(&t, &resp));
	t.type = NULL;
	t.kind = KIND_MESSAGE;
	assert_null(http_resp_build(&t, &resp));
	t.kind = KIND_PRESENCE;
	assert_null(http_resp_build(&t, &resp));
	response_free(&resp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resp_text),
	    cmocka_unit_test(test_resp_status),
	    cmocka_unit_test(test_resp_headers),
	    cmocka_unit_test(test_resp_xml),
	    cmocka_unit_test(test_resp_text_kinds),
	    cmocka_unit_test(test_resp_base64_roundtrip),
	    cmocka_unit_test(test_resp_mirrors_request),
	    cmocka_unit_test(test_resp_targets),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
