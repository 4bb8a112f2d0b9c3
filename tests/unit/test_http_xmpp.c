/* test_http_xmpp.c - unit tests for bridge/mapping/http_xmpp.c (XEP-0332, the request side).
 *
 * Requests: GET/POST/PUT/DELETE/PATCH with the resource split into path and query (raw,
 * first '?' only); <text>, <xml> (serialized standalone with every namespace it uses,
 * including ones declared on the iq) and <base64> bodies (whitespace allowed; bad
 * alphabet, padding and non-zero pad bits refused); XEP-0131 headers (trimmed, token
 * names, 100 at most, 8 KiB values, no control characters); slixmpp's <request> name;
 * chunkedBase64/ibb/sipub/jingle as HTTP_REQ_UNSUPPORTED; malformed method, resource,
 * version and data as HTTP_REQ_BAD with *out left empty; ordinary stanzas as
 * HTTP_REQ_NO. The environment: PATH_INFO joined without "//", QUERY_STRING,
 * REQUEST_URI and DOCUMENT_URI (route part escaped, resource as sent),
 * CONTENT_TYPE from the header or the data kind, CONTENT_LENGTH from the body,
 * SERVER_PROTOCOL, HTTP_* mapping, collisions joined with ", " ("; " for Cookie),
 * httpoxy, duplicate Content-Type refused. */
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

#define GET_ATTRS "method='GET' resource='/users/1?x=1&amp;y=2' version='1.1'"

static void expect_bad(const char *attrs, const char *inner, int want, const char *why_part)
{
	struct http_req r;
	const char *why = NULL;
	int rc = parse_req(attrs, inner, &r, &why);
	if (rc != want)
		fail_msg("got %d, want %d for <req %s>%s", rc, want, attrs, inner);
	assert_non_null(why);
	if (why_part && !strstr(why, why_part))
		fail_msg("why '%s' lacks '%s'", why, why_part);
	assert_null(r.method); /* left empty */
	assert_int_equal(r.n_headers, 0);
}

static const char *env_get(const struct kv *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].name, name) == 0)
			return v[i].value;
	return NULL;
}

/* ---- requests ---- */

static void test_get_query_split(void **state)
{
	struct http_req r;
	const char *why;
	(void)state;
	assert_int_equal(parse_req(GET_ATTRS, "", &r, &why), HTTP_REQ_YES);
	assert_string_equal(r.method, "GET");
	assert_string_equal(r.path, "/users/1");
	assert_string_equal(r.query, "x=1&y=2");
	assert_string_equal(r.version, "1.1");
	assert_int_equal(r.body_kind, HTTP_BODY_NONE);
	assert_int_equal(r.body.len, 0);
	assert_string_equal(r.resp_name, "resp");
	http_req_free(&r);

	static const struct {
		const char *res, *path, *query;
	} rows[] = {{"/", "/", ""},
	            {"/a", "/a", ""},
	            {"/a?", "/a", ""},
	            {"/a?b?c=d", "/a", "b?c=d"},
	            {"/%2e%2e/x?q=%20", "/%2e%2e/x", "q=%20"},
	            {"/caf\xC3\xA9", "/caf\xC3\xA9", ""}};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		char attrs[128];
		snprintf(attrs, sizeof attrs, "method='GET' resource='%s' version='1.1'", rows[i].res);
		assert_int_equal(parse_req(attrs, "", &r, &why), HTTP_REQ_YES);
		assert_string_equal(r.path, rows[i].path);
		assert_string_equal(r.query, rows[i].query);
		http_req_free(&r);
	}
}

static void test_methods(void **state)
{
	static const char *const methods[] = {"GET",     "POST", "PUT", "DELETE",  "PATCH",
	                                      "OPTIONS", "HEAD", "get", "M-SEARCH"};
	(void)state;
	for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
		struct http_req r;
		const char *why;
		char attrs[128];
		snprintf(attrs, sizeof attrs, "method='%s' resource='/x' version='1.1'", methods[i]);
		assert_int_equal(parse_req(attrs, "", &r, &why), HTTP_REQ_YES);
		assert_string_equal(r.method, methods[i]); /* case kept as sent */
		http_req_free(&r);
	}
}

static void test_bad_attributes(void **state)
{
	(void)state;
	expect_bad("resource='/x' version='1.1'", "", HTTP_REQ_BAD, "method");
	expect_bad("method='' resource='/x' version='1.1'", "", HTTP_REQ_BAD, "method");
	expect_bad("method='GE T' resource='/x' version='1.1'", "", HTTP_REQ_BAD, "method");
	expect_bad("method='GET/' resource='/x' version='1.1'", "", HTTP_REQ_BAD, "method");
	expect_bad("method='GET' version='1.1'", "", HTTP_REQ_BAD, "resource");
	expect_bad("method='GET' resource='' version='1.1'", "", HTTP_REQ_BAD, "resource");
	expect_bad("method='GET' resource='users' version='1.1'", "", HTTP_REQ_BAD, "resource");
	expect_bad("method='OPTIONS' resource='*' version='1.1'", "", HTTP_REQ_BAD, "resource");
	expect_bad("method='GET' resource='http://x/a' version='1.1'", "", HTTP_REQ_BAD, "resource");
	expect_bad("method='GET' resource='/a b' version='1.1'", "", HTTP_REQ_BAD, "resource");
	expect_bad("method='GET' resource='/a&#9;b' version='1.1'", "", HTTP_REQ_BAD, "resource");
	expect_bad("method='GET' resource='/x'", "", HTTP_REQ_BAD, "version");
	expect_bad("method='GET' resource='/x' version='11'", "", HTTP_REQ_BAD, "version");
	expect_bad("method='GET' resource='/x' version='1.10'", "", HTTP_REQ_BAD, "version");
	expect_bad("method='GET' resource='/x' version='HTTP/1.1'", "", HTTP_REQ_BAD, "version");

	char *attrs = malloc(HTTP_MAX_RESOURCE + 64);
	size_t pre;
	struct http_req r;
	const char *why;
	assert_non_null(attrs);
	strcpy(attrs, "method='GET' version='1.1' resource='/");
	pre = strlen(attrs);
	memset(attrs + pre, 'a', HTTP_MAX_RESOURCE - 1); /* "/" + MAX-1: exactly the limit */
	strcpy(attrs + pre + HTTP_MAX_RESOURCE - 1, "'");
	assert_int_equal(parse_req(attrs, "", &r, &why), HTTP_REQ_YES);
	assert_int_equal(strlen(r.path), HTTP_MAX_RESOURCE);
	http_req_free(&r);
	strcpy(attrs + pre + HTTP_MAX_RESOURCE - 1, "a'");
	expect_bad(attrs, "", HTTP_REQ_BAD, "too long");
	free(attrs);
}

static void test_not_a_request(void **state)
{
	static const char *const docs[] = {
	    "<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
	    "<iq type='set' id='1'><req xmlns='urn:xmpp:other' method='GET' resource='/' "
	    "version='1.1'/></iq><!-- urn:xmpp:http -->",
	    "<iq type='get' id='1'><request xmlns='urn:xmpp:http:upload:0' filename='a' "
	    "size='1'/></iq>",
	    "<message><req xmlns='urn:xmpp:http' method='GET' resource='/' version='1.1'/></message>",
	    "<iq type='set' id='1'/><!-- urn:xmpp:http -->",
	    "<iq type='set' id='1'><resp xmlns='urn:xmpp:http' version='1.1' statusCode='200'/></iq>",
	    "<iq type='set'><req xmlns='urn:xmpp:http' method='GET' resource='/' version='1.1'></iq>",
	    "",
	};
	(void)state;
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		struct http_req r;
		const char *why = "stale";
		if (http_req_parse(docs[i], strlen(docs[i]), &r, &why) != HTTP_REQ_NO)
			fail_msg("not a request, yet recognized: %s", docs[i]);
		assert_null(r.method);
	}
}

static void test_slixmpp_request_name(void **state)
{
	/* What slixmpp 1.8.3's xep_0332 plugin really sends (element <request>). */
	static const char doc[] =
	    "<iq xmlns=\"jabber:client\" id=\"0\" type=\"set\"><request xmlns=\"urn:xmpp:http\" "
	    "method=\"POST\" resource=\"/a?b=1\" version=\"1.1\"><headers "
	    "xmlns=\"http://jabber.org/protocol/shim\"><header name=\"Content-Type\">text/plain"
	    "</header><header name=\"X-A\">1</header></headers><data><text>hello &lt;x&gt;</text>"
	    "</data></request></iq>";
	struct http_req r;
	const char *why;
	(void)state;
	assert_int_equal(http_req_parse(doc, strlen(doc), &r, &why), HTTP_REQ_YES);
	assert_string_equal(r.resp_name, "response");
	assert_string_equal(r.method, "POST");
	assert_string_equal(r.query, "b=1");
	assert_int_equal(r.n_headers, 2);
	assert_int_equal(r.body_kind, HTTP_BODY_TEXT);
	assert_string_equal(r.body.data, "hello <x>");
	http_req_free(&r);
}

static void test_text_body(void **state)
{
	struct http_req r;
	const char *why;
	(void)state;
	assert_int_equal(parse_req(POST_ATTRS,
	                           "<data><text>a &amp; b &lt;c&gt;\n<![CDATA[<raw/>]]> "
	                           "caf\xC3\xA9</text></data>",
	                           &r, &why),
	                 HTTP_REQ_YES);
	assert_int_equal(r.body_kind, HTTP_BODY_TEXT);
	assert_string_equal(r.body.data, "a & b <c>\n<raw/> caf\xC3\xA9");
	assert_int_equal(r.body.len, strlen("a & b <c>\n<raw/> caf\xC3\xA9"));
	http_req_free(&r);

	assert_int_equal(parse_req(POST_ATTRS, "<data><text/></data>", &r, &why), HTTP_REQ_YES);
	assert_int_equal(r.body_kind, HTTP_BODY_TEXT);
	assert_int_equal(r.body.len, 0);
	http_req_free(&r);

	assert_int_equal(parse_req(POST_ATTRS, "<data>\n  </data>", &r, &why), HTTP_REQ_YES);
	assert_int_equal(r.body_kind, HTTP_BODY_NONE);
	http_req_free(&r);
}

static void test_xml_body(void **state)
{
	static const char doc[] =
	    "<iq xmlns='jabber:client' xmlns:p='urn:example:p' type='set' id='x'>"
	    "<req xmlns='urn:xmpp:http' method='PUT' resource='/doc' version='1.1'><data><xml>\n  "
	    "<s:sparql xmlns:s='urn:example:s' p:attr='1'><s:head/><p:item>v &amp; w</p:item>"
	    "<plain/></s:sparql>\n</xml></data></req></iq>";
	struct http_req r;
	const char *why;
	xmlDocPtr d;
	xmlNodePtr root, c;
	(void)state;
	assert_int_equal(http_req_parse(doc, strlen(doc), &r, &why), HTTP_REQ_YES);
	assert_int_equal(r.body_kind, HTTP_BODY_XML);
	assert_int_equal(r.body.len, strlen(r.body.data));
	assert_null(strstr(r.body.data, "<?xml"));
	d = xmlReadMemory(r.body.data, (int)r.body.len, NULL, NULL, XML_PARSE_NONET);
	if (!d)
		fail_msg("xml body is not a standalone document: %s", r.body.data);
	root = xmlDocGetRootElement(d);
	assert_el(root, "sparql", "urn:example:s");
	assert_non_null(xmlHasNsProp(root, BAD_CAST "attr", BAD_CAST "urn:example:p"));
	c = first_el(root->children);
	assert_el(c, "head", "urn:example:s");
	c = first_el(c->next);
	assert_el(c, "item", "urn:example:p"); /* declared on the iq, kept */
	assert_content(c, "v & w");
	c = first_el(c->next);
	assert_el(c, "plain", HTTP_XMPP_NS); /* the default namespace in scope, kept */
	xmlFreeDoc(d);
	http_req_free(&r);

	/* an unprefixed child of <xml> is in urn:xmpp:http, and says so standalone */
	assert_int_equal(parse_req(POST_ATTRS, "<data><xml><foo>1</foo></xml></data>", &r, &why),
	                 HTTP_REQ_YES);
	assert_string_equal(r.body.data, "<foo xmlns=\"urn:xmpp:http\">1</foo>");
	http_req_free(&r);

	assert_int_equal(parse_req(POST_ATTRS, "<data><xml/></data>", &r, &why), HTTP_REQ_YES);
	assert_int_equal(r.body_kind, HTTP_BODY_XML);
	assert_int_equal(r.body.len, 0);
	http_req_free(&r);
}

static void test_base64_body(void **state)
{
	struct http_req r;
	const char *why;
	(void)state;
	assert_int_equal(
	    parse_req(POST_ATTRS, "<data><base64>AAEC/+7/\n  AGhp</base64></data>", &r, &why),
	    HTTP_REQ_YES);
	assert_int_equal(r.body_kind, HTTP_BODY_BASE64);
	assert_int_equal(r.body.len, 9);
	assert_memory_equal(r.body.data, "\x00\x01\x02\xff\xee\xff\x00hi", 9);
	http_req_free(&r);

	static const struct {
		const char *in, *out;
	} ok[] = {
	    {"", ""}, {"YQ==", "a"}, {"YWI=", "ab"}, {"YWJj", "abc"}, {" Y W J j Z A = = ", "abcd"}};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		char inner[128];
		snprintf(inner, sizeof inner, "<data><base64>%s</base64></data>", ok[i].in);
		assert_int_equal(parse_req(POST_ATTRS, inner, &r, &why), HTTP_REQ_YES);
		assert_int_equal(r.body.len, strlen(ok[i].out));
		assert_memory_equal(r.body.data, ok[i].out, r.body.len);
		http_req_free(&r);
	}
}

static void test_base64_invalid(void **state)
{
	static const char *const bad[] = {"YQ",   "YWJ",   "Y===", "=YQ=",   "YQ=a", "YQ==YQ==",
	                                  "YR==", "YWJ=x", "YW$j", "YWJj-_", "YQ=",  "YWI==="};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char inner[128];
		snprintf(inner, sizeof inner, "<data><base64>%s</base64></data>", bad[i]);
		expect_bad(POST_ATTRS, inner, HTTP_REQ_BAD, "base64");
	}
}

static void test_unsupported_transfers(void **state)
{
	static const char *const inner[] = {
	    "<data><chunkedBase64 streamId='s1'/></data>",
	    "<data><ibb sid='i1'/></data>",
	    "<data><sipub xmlns='http://jabber.org/protocol/sipub' id='p1'/></data>",
	    "<data><jingle xmlns='urn:xmpp:jingle:1' sid='j1'/></data>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof inner / sizeof *inner; i++)
		expect_bad(POST_ATTRS, inner[i], HTTP_REQ_UNSUPPORTED, "unsupported data transfer");
}

static void test_malformed_data(void **state)
{
	static const char *const inner[] = {
	    "<data><text>a</text><text>b</text></data>",
	    "<data>loose text</data>",
	    "<data>x<text>a</text></data>",
	    "<data><foo>a</foo></data>",
	    "<data><text xmlns='urn:other'>a</text></data>",
	    "<data><text>a<b/></text></data>",
	    "<data><base64>YQ==<b/></base64></data>",
	    "<data><xml><a/><b/></xml></data>",
	    "<data><xml>text<a/></xml></data>",
	    "<data><text>a</text></data><data><text>b</text></data>",
	    "<headers xmlns='http://jabber.org/protocol/shim'/>"
	    "<headers xmlns='http://jabber.org/protocol/shim'/>",
	    "<headers xmlns='http://jabber.org/protocol/shim'><foo/></headers>",
	    "<headers xmlns='http://jabber.org/protocol/shim'><header name='A'>x<b/></header>"
	    "</headers>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof inner / sizeof *inner; i++)
		expect_bad(POST_ATTRS, inner[i], HTTP_REQ_BAD, NULL);
}

static void test_headers(void **state)
{
	struct http_req r;
	const char *why;
	(void)state;
	assert_int_equal(parse_req(GET_ATTRS,
	                           "<headers xmlns='http://jabber.org/protocol/shim'>"
	                           "<header name='Host'>example.org</header>"
	                           "<header name='Accept'>\n   text/html, */*\t </header>"
	                           "<header name='X-Empty'/>"
	                           "<header name='Accept'>application/json</header>"
	                           "</headers>",
	                           &r, &why),
	                 HTTP_REQ_YES);
	assert_int_equal(r.n_headers, 4);
	assert_string_equal(r.headers[0].name, "Host");
	assert_string_equal(r.headers[0].value, "example.org");
	assert_string_equal(r.headers[1].value, "text/html, */*");
	assert_string_equal(r.headers[2].name, "X-Empty");
	assert_string_equal(r.headers[2].value, "");
	assert_string_equal(r.headers[3].value, "application/json");
	http_req_free(&r);
}

static char *many_headers(size_t count, size_t value_len)
{
	char *s = malloc(count * (value_len + 64) + 128), *p = s;
	assert_non_null(s);
	p += sprintf(p, "<headers xmlns='http://jabber.org/protocol/shim'>");
	for (size_t i = 0; i < count; i++) {
		p += sprintf(p, "<header name='X-%zu'>", i);
		memset(p, 'v', value_len);
		p += value_len;
		p += sprintf(p, "</header>");
	}
	strcpy(p, "</headers>");
	return s;
}

static void test_header_limits(void **state)
{
	struct http_req r;
	const char *why;
	char *h;
	(void)state;
	h = many_headers(HTTP_MAX_HEADERS, 1);
	assert_int_equal(parse_req(GET_ATTRS, h, &r, &why), HTTP_REQ_YES);
	assert_int_equal(r.n_headers, HTTP_MAX_HEADERS);
	http_req_free(&r);
	free(h);
	h = many_headers(HTTP_MAX_HEADERS + 1, 1);
	expect_bad(GET_ATTRS, h, HTTP_REQ_BAD, "too many headers");
	free(h);
	h = many_headers(1, HTTP_MAX_HEADER_VALUE);
	assert_int_equal(parse_req(GET_ATTRS, h, &r, &why), HTTP_REQ_YES);
	assert_int_equal(strlen(r.headers[0].value), HTTP_MAX_HEADER_VALUE);
	http_req_free(&r);
	free(h);
	h = many_headers(1, HTTP_MAX_HEADER_VALUE + 1);
	expect_bad(GET_ATTRS, h, HTTP_REQ_BAD, "too long");
	free(h);

	static const char *const bad[] = {
	    "<header>x</header>",
	    "<header name=''>x</header>",
	    "<header name='A B'>x</header>",
	    "<header name='A:'>x</header>",
	    "<header name='A'>a&#13;b</header>",
	    "<header name='A'>a\nb</header>",
	    "<header name='A'>a\x7f</header>",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char inner[256];
		snprintf(inner, sizeof inner,
		         "<headers xmlns='http://jabber.org/protocol/shim'>%s</headers>", bad[i]);
		expect_bad(GET_ATTRS, inner, HTTP_REQ_BAD, "header");
	}
}

/* ---- environment ---- */

static void env_of(const char *attrs, const char *inner, const char *route, struct kv **v,
                   size_t *n)
{
	struct http_req r;
	const char *why;
	assert_int_equal(parse_req(attrs, inner, &r, &why), HTTP_REQ_YES);
	if (http_req_env(&r, route, v, n, &why) != 0)
		fail_msg("http_req_env: %s", why);
	http_req_free(&r);
}

#define HDRS(x) "<headers xmlns='http://jabber.org/protocol/shim'>" x "</headers>"

static void test_env_basic(void **state)
{
	struct kv *v;
	size_t n;
	(void)state;
	env_of(GET_ATTRS, HDRS("<header name='Host'>example.org</header>"), "/api", &v, &n);
	assert_int_equal(n, 9);
	assert_string_equal(env_get(v, n, "REQUEST_METHOD"), "GET");
	assert_string_equal(env_get(v, n, "PATH_INFO"), "/api/users/1");
	assert_string_equal(env_get(v, n, "QUERY_STRING"), "x=1&y=2");
	assert_string_equal(env_get(v, n, "REQUEST_URI"), "/api/users/1?x=1&y=2");
	assert_string_equal(env_get(v, n, "DOCUMENT_URI"), "/api/users/1");
	assert_string_equal(env_get(v, n, "CONTENT_TYPE"), "");
	assert_string_equal(env_get(v, n, "CONTENT_LENGTH"), "0");
	assert_string_equal(env_get(v, n, "SERVER_PROTOCOL"), "HTTP/1.1");
	assert_string_equal(env_get(v, n, "HTTP_HOST"), "example.org");
	http_env_free(v, n);

	static const char *const methods[] = {"GET", "POST", "PUT", "DELETE"};
	for (size_t i = 0; i < 4; i++) {
		char attrs[96];
		snprintf(attrs, sizeof attrs, "method='%s' resource='/' version='1.0'", methods[i]);
		env_of(attrs, "", "/r", &v, &n);
		assert_string_equal(env_get(v, n, "REQUEST_METHOD"), methods[i]);
		assert_string_equal(env_get(v, n, "SERVER_PROTOCOL"), "HTTP/1.0");
		assert_string_equal(env_get(v, n, "PATH_INFO"), "/r/");
		http_env_free(v, n);
	}
}

static void test_env_path_join(void **state)
{
	static const struct {
		const char *route, *res, *want;
	} rows[] = {{"/api", "/users/1", "/api/users/1"},
	            {"/api/", "/x", "/api/x"},
	            {"/api//", "/x", "/api/x"},
	            {"", "/x", "/x"},
	            {NULL, "/x/", "/x/"},
	            {"/api", "/", "/api/"},
	            {"/", "/a", "/a"},
	            {"/api", "//a", "/api//a"}};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct kv *v;
		size_t n;
		char attrs[96];
		snprintf(attrs, sizeof attrs, "method='GET' resource='%s' version='1.1'", rows[i].res);
		env_of(attrs, "", rows[i].route, &v, &n);
		assert_string_equal(env_get(v, n, "PATH_INFO"), rows[i].want);
		assert_string_equal(env_get(v, n, "REQUEST_URI"), rows[i].want);
		http_env_free(v, n);
	}
}

/* REQUEST_URI: the route's part escaped as a path, the resource's as the sender wrote
 * it (escapes kept), then the query. */
static void test_env_request_uri(void **state)
{
	struct kv *v;
	size_t n;
	(void)state;
	env_of("method='GET' resource='/a%20b/c?q=%20&amp;r' version='1.1'", "", "/my route", &v, &n);
	assert_string_equal(env_get(v, n, "PATH_INFO"), "/my route/a%20b/c");
	assert_string_equal(env_get(v, n, "REQUEST_URI"), "/my%20route/a%20b/c?q=%20&r");
	assert_string_equal(env_get(v, n, "DOCUMENT_URI"), "/my%20route/a%20b/c");
	http_env_free(v, n);
}

static void test_env_content(void **state)
{
	struct kv *v;
	size_t n;
	struct http_req r;
	const char *why;
	(void)state;
	env_of(POST_ATTRS,
	       HDRS("<header name='content-type'>application/json</header>"
	            "<header name='Content-Length'>999</header>") "<data><text>{\"a\":1}</text></data>",
	       "/api", &v, &n);
	assert_string_equal(env_get(v, n, "CONTENT_TYPE"), "application/json");
	assert_string_equal(env_get(v, n, "CONTENT_LENGTH"), "7");
	assert_null(env_get(v, n, "HTTP_CONTENT_TYPE"));
	assert_null(env_get(v, n, "HTTP_CONTENT_LENGTH"));
	http_env_free(v, n);

	env_of(POST_ATTRS, "<data><xml><a xmlns='urn:x'/></xml></data>", "/", &v, &n);
	assert_string_equal(env_get(v, n, "CONTENT_TYPE"), "application/xml");
	http_env_free(v, n);
	env_of(POST_ATTRS, "<data><text>hi</text></data>", "/", &v, &n);
	assert_string_equal(env_get(v, n, "CONTENT_TYPE"), "text/plain; charset=utf-8");
	assert_string_equal(env_get(v, n, "CONTENT_LENGTH"), "2");
	http_env_free(v, n);
	env_of(POST_ATTRS, "<data><base64>AAAA</base64></data>", "/", &v, &n);
	assert_string_equal(env_get(v, n, "CONTENT_TYPE"), "");
	assert_string_equal(env_get(v, n, "CONTENT_LENGTH"), "3");
	http_env_free(v, n);

	assert_int_equal(parse_req(POST_ATTRS,
	                           HDRS("<header name='Content-Type'>a/b</header>"
	                                "<header name='CONTENT-TYPE'>c/d</header>"),
	                           &r, &why),
	                 HTTP_REQ_YES);
	v = (struct kv *)&r; /* must be reset */
	assert_int_equal(http_req_env(&r, "/", &v, &n, &why), -1);
	assert_null(v);
	assert_int_equal(n, 0);
	assert_string_equal(why, "more than one Content-Type header");
	http_req_free(&r);
}

static void test_env_headers(void **state)
{
	struct kv *v;
	size_t n;
	(void)state;
	env_of(GET_ATTRS,
	       HDRS("<header name='X-Forwarded-For'>10.0.0.1</header>"
	            "<header name='user-agent'>t/1</header>"
	            "<header name='X.Y~z'>dots</header>"
	            "<header name='X-A'>1</header>"
	            "<header name='X_A'>2</header>"
	            "<header name='x-a'>3</header>"
	            "<header name='Accept'>text/html</header>"
	            "<header name='Accept'>*/*</header>"
	            "<header name='Cookie'>a=1</header>"
	            "<header name='Cookie'>b=2</header>"
	            "<header name='Proxy'>http://evil:8080</header>"
	            "<header name='proxy'>http://evil:8081</header>"
	            "<header name='Proxy-Authorization'>Basic eA==</header>"),
	       "/api", &v, &n);
	assert_string_equal(env_get(v, n, "HTTP_X_FORWARDED_FOR"), "10.0.0.1");
	assert_string_equal(env_get(v, n, "HTTP_USER_AGENT"), "t/1");
	assert_string_equal(env_get(v, n, "HTTP_X_Y_Z"), "dots");
	assert_string_equal(env_get(v, n, "HTTP_X_A"), "1, 2, 3");
	assert_string_equal(env_get(v, n, "HTTP_ACCEPT"), "text/html, */*");
	assert_string_equal(env_get(v, n, "HTTP_COOKIE"), "a=1; b=2");
	assert_null(env_get(v, n, "HTTP_PROXY"));
	assert_string_equal(env_get(v, n, "HTTP_PROXY_AUTHORIZATION"), "Basic eA==");
	assert_int_equal(n, 8 + 7);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			assert_string_not_equal(v[i].name, v[j].name);
	http_env_free(v, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_get_query_split),
	    cmocka_unit_test(test_methods),
	    cmocka_unit_test(test_bad_attributes),
	    cmocka_unit_test(test_not_a_request),
	    cmocka_unit_test(test_slixmpp_request_name),
	    cmocka_unit_test(test_text_body),
	    cmocka_unit_test(test_xml_body),
	    cmocka_unit_test(test_base64_body),
	    cmocka_unit_test(test_base64_invalid),
	    cmocka_unit_test(test_unsupported_transfers),
	    cmocka_unit_test(test_malformed_data),
	    cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_header_limits),
	    cmocka_unit_test(test_env_basic),
	    cmocka_unit_test(test_env_path_join),
	    cmocka_unit_test(test_env_request_uri),
	    cmocka_unit_test(test_env_content),
	    cmocka_unit_test(test_env_headers),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
