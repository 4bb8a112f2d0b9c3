/* test_response.c - unit tests for bridge/backend/response.c, the CGI response parser.
 *
 * Checks the rules of doc/design-notes.md section 2 (RFC 3875 as lighttpd and nginx apply it):
 * LF, CRLF and mixed line ends; Status defaulting to 200, Location without Status
 * meaning 302, Status with and without a reason phrase; an NPH "HTTP/1.x NNN reason"
 * first line; the body taken verbatim after the blank line; the header list keeping
 * every header but Status, in order. Every input is also fed split at every byte
 * position (and at every pair of positions, and byte by byte), which must give exactly
 * the result of one whole feed. Errors: header block over 64 KiB (fed whole, in
 * chunks, and at the exact boundary), a line without a colon, a continuation line,
 * Status 99/600/abc and other non-numbers, no CGI header, end of output before the
 * blank line, empty output, output starting with a blank line, output over max_total
 * (RESP_E_TOO_LARGE), more than RESP_MAX_HEADERS headers; an error is final. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "response.h"

#define BIG (1024 * 1024)

/* One whole feed, then end of output. */
static enum resp_state parse_whole(struct cgi_response *r, const char *data, size_t len,
                                   size_t max_total)
{
	response_init(r, max_total);
	response_feed(r, data, len);
	return response_finish(r);
}

static enum resp_state parse_str(struct cgi_response *r, const char *s)
{
	return parse_whole(r, s, strlen(s), BIG);
}

static void assert_str_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Everything the parser exposes must be the same. */
static void assert_same_response(const struct cgi_response *a, const struct cgi_response *b)
{
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->error, b->error);
	if (a->state == RESP_ERROR)
		return;
	assert_int_equal(a->status, b->status);
	assert_str_or_null_equal(a->status_text, b->status_text);
	assert_str_or_null_equal(a->content_type, b->content_type);
	assert_str_or_null_equal(a->location, b->location);
	assert_int_equal(a->n_headers, b->n_headers);
	for (size_t i = 0; i < a->n_headers; i++) {
		assert_string_equal(a->headers[i].name, b->headers[i].name);
		assert_string_equal(a->headers[i].value, b->headers[i].value);
	}
	assert_int_equal(a->body.len, b->body.len);
	if (a->body.len)
		assert_memory_equal(a->body.data, b->body.data, a->body.len);
}

/* Feeds s split at every position, at every pair of positions and byte by byte, and
 * compares each result with the one-feed result. */
static void check_splits(const char *s, size_t max_total)
{
	size_t len = strlen(s);
	struct cgi_response whole, part;

	parse_whole(&whole, s, len, max_total);
	for (size_t i = 0; i <= len; i++) {
		response_init(&part, max_total);
		response_feed(&part, s, i);
		response_feed(&part, s + i, len - i);
		response_finish(&part);
		assert_same_response(&whole, &part);
		response_free(&part);
	}
	for (size_t i = 0; i <= len; i++) {
		for (size_t j = i; j <= len; j++) {
			response_init(&part, max_total);
			response_feed(&part, s, i);
			response_feed(&part, s + i, j - i);
			response_feed(&part, s + j, len - j);
			response_finish(&part);
			assert_same_response(&whole, &part);
			response_free(&part);
		}
	}
	response_init(&part, max_total);
	for (size_t i = 0; i < len; i++)
		response_feed(&part, s + i, 1);
	response_finish(&part);
	assert_same_response(&whole, &part);
	response_free(&part);
	response_free(&whole);
}

static void assert_header(const struct cgi_response *r, size_t i, const char *name,
                          const char *value)
{
	assert_true(i < r->n_headers);
	assert_string_equal(r->headers[i].name, name);
	assert_string_equal(r->headers[i].value, value);
}

static void assert_body(const struct cgi_response *r, const char *body)
{
	assert_int_equal(r->body.len, strlen(body));
	if (r->body.len)
		assert_memory_equal(r->body.data, body, r->body.len);
}

static void assert_error(const char *s, enum resp_error e)
{
	struct cgi_response r;
	assert_int_equal(parse_str(&r, s), RESP_ERROR);
	assert_int_equal(r.state, RESP_ERROR);
	assert_int_equal(r.error, e);
	response_free(&r);
}

/* ---- well-formed responses ---- */

static void test_lf(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_int_equal(parse_str(&r, "Content-Type: text/plain\n\nhello\n"), RESP_DONE);
	assert_int_equal(r.error, RESP_OK);
	assert_int_equal(r.status, 200);
	assert_null(r.status_text);
	assert_string_equal(r.content_type, "text/plain");
	assert_null(r.location);
	assert_int_equal(r.n_headers, 1);
	assert_header(&r, 0, "Content-Type", "text/plain");
	assert_body(&r, "hello\n");
	response_free(&r);
}

static void test_crlf(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_int_equal(parse_str(&r, "Status: 404 Not Found\r\nContent-Type: text/plain\r\n"
	                               "X-A: 1\r\n\r\nbody\r\n"),
	                 RESP_DONE);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.status_text, "Not Found");
	assert_string_equal(r.content_type, "text/plain");
	assert_int_equal(r.n_headers, 2);
	assert_header(&r, 0, "Content-Type", "text/plain");
	assert_header(&r, 1, "X-A", "1");
	assert_body(&r, "body\r\n");
	response_free(&r);
}

static void test_mixed_line_ends(void **state)
{
	struct cgi_response r;
	(void)state;
	/* CRLF lines, an LF line, then a CRLF blank line */
	assert_int_equal(parse_str(&r, "Status: 201 Created\r\nContent-Type: application/xml\n"
	                               "X-B: b\r\n\r\n<a/>"),
	                 RESP_DONE);
	assert_int_equal(r.status, 201);
	assert_string_equal(r.status_text, "Created");
	assert_string_equal(r.content_type, "application/xml");
	assert_int_equal(r.n_headers, 2);
	assert_header(&r, 1, "X-B", "b");
	assert_body(&r, "<a/>");
	response_free(&r);

	/* CRLF header line, LF blank line */
	assert_int_equal(parse_str(&r, "Content-Type: text/plain\r\n\nx"), RESP_DONE);
	assert_string_equal(r.content_type, "text/plain");
	assert_body(&r, "x");
	response_free(&r);

	/* LF header line, CRLF blank line */
	assert_int_equal(parse_str(&r, "Content-Type: text/plain\n\r\ny"), RESP_DONE);
	assert_string_equal(r.content_type, "text/plain");
	assert_body(&r, "y");
	response_free(&r);
}

static void test_status_default_200(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_int_equal(parse_str(&r, "Content-Type: application/xml\n\n<ok/>"), RESP_DONE);
	assert_int_equal(r.status, 200);
	assert_null(r.status_text);
	response_free(&r);
}

static void test_location_means_302(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_int_equal(parse_str(&r, "Location: xmpp:other@example.org\n\n"), RESP_DONE);
	assert_int_equal(r.status, 302);
	assert_string_equal(r.location, "xmpp:other@example.org");
	assert_null(r.content_type);
	assert_int_equal(r.n_headers, 1);
	assert_header(&r, 0, "Location", "xmpp:other@example.org");
	assert_body(&r, "");
	response_free(&r);

	/* an explicit Status wins, before or after Location */
	assert_int_equal(parse_str(&r, "Location: xmpp:a@b\nStatus: 301 Moved\n\n"), RESP_DONE);
	assert_int_equal(r.status, 301);
	assert_string_equal(r.status_text, "Moved");
	response_free(&r);
	assert_int_equal(parse_str(&r, "Status: 200\nLocation: xmpp:a@b\n\n"), RESP_DONE);
	assert_int_equal(r.status, 200);
	response_free(&r);
}

static void test_status_reason(void **state)
{
	static const struct {
		const char *raw;
		int status;
		const char *reason; /* NULL: none */
	} rows[] = {
	    {"Status: 418 I'm a teapot\n\n", 418, "I'm a teapot"},
	    {"Status:   204  \t No Content \t\n\n", 204, "No Content"},
	    {"status: 500\r\n\r\n", 500, NULL},
	    {"Status: 100\n\n", 100, NULL},
	    {"Status: 599\n\n", 599, NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct cgi_response r;
		assert_int_equal(parse_str(&r, rows[i].raw), RESP_DONE);
		assert_int_equal(r.status, rows[i].status);
		if (rows[i].reason)
			assert_string_equal(r.status_text, rows[i].reason);
		else
			assert_null(r.status_text);
		assert_int_equal(r.n_headers, 0); /* Status is not kept as a header */
		response_free(&r);
	}
}

static void test_nph(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_int_equal(parse_str(&r, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
	                               "\r\nno such thing"),
	                 RESP_DONE);
	assert_int_equal(r.status, 404);
	assert_string_equal(r.status_text, "Not Found");
	assert_string_equal(r.content_type, "text/plain");
	assert_int_equal(r.n_headers, 1);
	assert_header(&r, 0, "Content-Type", "text/plain");
	assert_body(&r, "no such thing");
	response_free(&r);

	/* the status line alone counts as the CGI header */
	assert_int_equal(parse_str(&r, "HTTP/1.0 204\n\n"), RESP_DONE);
	assert_int_equal(r.status, 204);
	assert_null(r.status_text);
	assert_int_equal(r.n_headers, 0);
	response_free(&r);

	assert_error("HTTP/1.1 abc Bad\r\n\r\n", RESP_E_BAD_STATUS);
	assert_error("HTTP/1.1 700 Odd\n\n", RESP_E_BAD_STATUS);
	/* only the first line may be a status line */
	assert_error("Content-Type: text/plain\nHTTP/1.1 200 OK\n\n", RESP_E_NO_COLON);
}

static void test_body_verbatim(void **state)
{
	struct cgi_response r;
	static const char out[] = "Content-Type: text/plain\n\nline\n\nStatus: 500\r\n\r\nend";
	(void)state;
	assert_int_equal(parse_str(&r, out), RESP_DONE);
	assert_int_equal(r.status, 200);
	assert_body(&r, "line\n\nStatus: 500\r\n\r\nend");
	response_free(&r);

	/* binary body, NUL bytes included */
	static const char bin[] = "Content-Type: application/octet-stream\n\na\0b\r\0";
	assert_int_equal(parse_whole(&r, bin, sizeof bin - 1, BIG), RESP_DONE);
	assert_int_equal(r.body.len, 5);
	assert_memory_equal(r.body.data, "a\0b\r\0", 5);
	response_free(&r);
}

static void test_headers_kept(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_int_equal(parse_str(&r, "X-One: 1\r\nStatus: 202 Accepted\r\n"
	                               "content-type:   text/html ; charset=utf-8  \r\n"
	                               "X-Empty:\r\nX-Colon: a:b: c\r\nX-One: again\r\n\r\n"),
	                 RESP_DONE);
	assert_int_equal(r.status, 202);
	assert_string_equal(r.content_type, "text/html ; charset=utf-8");
	assert_int_equal(r.n_headers, 5);
	assert_header(&r, 0, "X-One", "1");
	assert_header(&r, 1, "content-type", "text/html ; charset=utf-8");
	assert_header(&r, 2, "X-Empty", "");
	assert_header(&r, 3, "X-Colon", "a:b: c");
	assert_header(&r, 4, "X-One", "again");
	for (size_t i = 0; i < r.n_headers; i++)
		assert_true(strcmp(r.headers[i].name, "Status") != 0);
	response_free(&r);

	/* a later Content-Type replaces the earlier one */
	assert_int_equal(parse_str(&r, "Content-Type: text/plain\nContent-Type: text/xml\n\n"),
	                 RESP_DONE);
	assert_string_equal(r.content_type, "text/xml");
	assert_int_equal(r.n_headers, 2);
	response_free(&r);
}

static void test_states(void **state)
{
	struct cgi_response r;
	(void)state;
	response_init(&r, BIG);
	assert_int_equal(response_feed(&r, "Content-Type: text/plain\n", 25), RESP_HEADERS);
	assert_int_equal(response_feed(&r, "\n", 1), RESP_BODY);
	assert_int_equal(response_feed(&r, "abc", 3), RESP_BODY);
	assert_int_equal(response_feed(&r, "", 0), RESP_BODY);
	assert_int_equal(response_finish(&r), RESP_DONE);
	assert_body(&r, "abc");
	/* nothing changes once done */
	assert_int_equal(response_feed(&r, "more", 4), RESP_DONE);
	assert_body(&r, "abc");
	response_free(&r);
}

/* ---- splitting ---- */

static void test_split_everywhere(void **state)
{
	static const char *const inputs[] = {
	    "Content-Type: text/plain\n\nhello\n",
	    "Status: 404 Not Found\r\nContent-Type: text/plain\r\nX-A: 1\r\n\r\nbody\r\n",
	    "Status: 201 Created\r\nContent-Type: application/xml\nX-B: b\r\n\r\n<a/>",
	    "Content-Type: text/plain\n\r\n\r\n\n\r\nbody with blank lines\n\n",
	    "Location: xmpp:a@example.org\r\n\n",
	    "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope",
	    "Content-Type: text/plain\r\n\r\n",
	    "Content-Type: text/plain\n\n",
	    "X-Foo: 1\n\nbody",                         /* no CGI header */
	    "Content-Type: text/plain\n continued\n\n", /* continuation */
	    "Content-Type text/plain\r\n\r\n",          /* no colon */
	    "Status: 600\r\n\r\n",                      /* bad status */
	    "\r\nContent-Type: text/plain\r\n\r\n",     /* starts with a blank line */
	    "\nContent-Type: text/plain\n\n",
	    "Content-Type: text/plain\r\n\r", /* ends before the blank line */
	    "Content-Type: text/plain\n",
	    "Content-Type: text/plain",
	    "\r",
	    "",
	};
	(void)state;
	for (size_t i = 0; i < sizeof inputs / sizeof *inputs; i++)
		check_splits(inputs[i], BIG);
}

static void test_split_with_limit(void **state)
{
	static const char s[] = "Content-Type: text/plain\r\n\r\n0123456789";
	(void)state;
	/* at, one under and far under the total: same outcome wherever it is split */
	check_splits(s, sizeof s - 1);
	check_splits(s, sizeof s - 2);
	check_splits(s, 10);
}

/* ---- errors ---- */

static char *header_block(size_t block_len, const char *eol, const char *body)
{
	/* "X-Pad: aaaa...<eol>Content-Type: text/plain<eol><eol>body" with the part before
	 * the body exactly block_len bytes */
	static const char ct[] = "Content-Type: text/plain";
	size_t el = strlen(eol), fixed = 7 + el + (sizeof ct - 1) + 2 * el;
	size_t pad = block_len - fixed, bl = strlen(body), n = 0;
	char *s = malloc(block_len + bl + 1);
	assert_non_null(s);
	assert_true(block_len > fixed);
	memcpy(s + n, "X-Pad: ", 7), n += 7;
	memset(s + n, 'a', pad), n += pad;
	memcpy(s + n, eol, el), n += el;
	memcpy(s + n, ct, sizeof ct - 1), n += sizeof ct - 1;
	memcpy(s + n, eol, el), n += el;
	memcpy(s + n, eol, el), n += el;
	assert_int_equal(n, block_len);
	memcpy(s + n, body, bl + 1);
	return s;
}

static void test_header_too_large_chunks(void **state)
{
	struct cgi_response r;
	char chunk[1024];
	enum resp_state st = RESP_HEADERS;
	size_t fed = 0;
	(void)state;
	memset(chunk, 'a', sizeof chunk);
	response_init(&r, BIG);
	st = response_feed(&r, "X-Long: ", 8);
	while (st == RESP_HEADERS && fed < 2 * RESP_MAX_HEADER_BLOCK) {
		st = response_feed(&r, chunk, sizeof chunk);
		fed += sizeof chunk;
	}
	assert_int_equal(st, RESP_ERROR);
	assert_int_equal(r.error, RESP_E_HEADER_TOO_LARGE);
	/* noticed as soon as the block is over the limit, not at the end of output */
	assert_true(fed <= RESP_MAX_HEADER_BLOCK + sizeof chunk);
	assert_int_equal(response_finish(&r), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_HEADER_TOO_LARGE);
	response_free(&r);

	/* many short lines add up too */
	response_init(&r, BIG);
	st = RESP_HEADERS;
	for (fed = 0; st == RESP_HEADERS && fed < 2 * RESP_MAX_HEADER_BLOCK; fed += 8)
		st = response_feed(&r, "X-A: 1\r\n", 8);
	assert_int_equal(st, RESP_ERROR);
	assert_true(r.error == RESP_E_HEADER_TOO_LARGE || r.error == RESP_E_TOO_MANY_HEADERS);
	response_free(&r);
}

static void test_header_too_large_whole(void **state)
{
	struct cgi_response r;
	char *s = header_block(70 * 1024, "\n", "body");
	(void)state;
	/* the whole block and its blank line arrive in one read */
	assert_int_equal(parse_whole(&r, s, strlen(s), BIG), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_HEADER_TOO_LARGE);
	response_free(&r);
	free(s);
}

static void test_header_limit_boundary(void **state)
{
	static const char *const eols[] = {"\n", "\r\n"};
	(void)state;
	for (size_t e = 0; e < 2; e++) {
		/* the block, blank line included, may be exactly RESP_MAX_HEADER_BLOCK bytes */
		for (size_t len = RESP_MAX_HEADER_BLOCK - 2; len <= RESP_MAX_HEADER_BLOCK + 2; len++) {
			char *s = header_block(len, eols[e], "tail");
			enum resp_state want = len <= RESP_MAX_HEADER_BLOCK ? RESP_DONE : RESP_ERROR;
			struct cgi_response whole, bytes;
			size_t sl = strlen(s);

			parse_whole(&whole, s, sl, BIG);
			assert_int_equal(whole.state, want);
			if (want == RESP_ERROR)
				assert_int_equal(whole.error, RESP_E_HEADER_TOO_LARGE);
			else
				assert_body(&whole, "tail");

			response_init(&bytes, BIG);
			for (size_t i = 0; i < sl; i++)
				response_feed(&bytes, s + i, 1);
			response_finish(&bytes);
			assert_same_response(&whole, &bytes);

			response_free(&whole);
			response_free(&bytes);
			free(s);
		}
	}
}

static void test_no_colon(void **state)
{
	(void)state;
	assert_error("Content-Type text/plain\n\n", RESP_E_NO_COLON);
	assert_error("Content-Type: text/plain\r\ngarbage\r\n\r\n", RESP_E_NO_COLON);
	assert_error(": value\n\n", RESP_E_NO_COLON);
	assert_error("<?xml version='1.0'?>\n<a/>\n\n", RESP_E_NO_COLON);
}

static void test_continuation(void **state)
{
	(void)state;
	assert_error("Content-Type: text/plain\n X-More: 1\n\n", RESP_E_CONTINUATION);
	assert_error("Content-Type: text/plain\r\n\tfolded\r\n\r\n", RESP_E_CONTINUATION);
	assert_error(" Content-Type: text/plain\n\n", RESP_E_CONTINUATION);
}

/* Found by fuzz/fuzz_response: a NUL cut a header name short, to "" for "\0Status". */
static void test_nul_in_header(void **state)
{
	static const char out[] = "\0Status: 200 OK\r\nContent-Type: text/plain\n\nx";
	static const char in_value[] = "Content-Type: text/pl\0ain\n\nx";
	static const char in_body[] = "Content-Type: text/plain\n\na\0b";
	struct cgi_response r;
	(void)state;
	response_init(&r, 1024);
	response_feed(&r, out, sizeof out - 1);
	assert_int_equal(response_finish(&r), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_NUL);
	response_free(&r);
	response_init(&r, 1024);
	response_feed(&r, in_value, sizeof in_value - 1);
	assert_int_equal(response_finish(&r), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_NUL);
	response_free(&r);
	/* the body is bytes: a NUL there is fine */
	response_init(&r, 1024);
	response_feed(&r, in_body, sizeof in_body - 1);
	assert_int_equal(response_finish(&r), RESP_DONE);
	assert_int_equal(r.body.len, 3);
	response_free(&r);
}

static void test_bad_status(void **state)
{
	(void)state;
	assert_error("Status: 99\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: 099 Low\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: 600\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: 600 High\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: abc\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: 2000\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: 20O\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: 200OK\n\n", RESP_E_BAD_STATUS);
	assert_error("Status: -200\n\n", RESP_E_BAD_STATUS);
	assert_error("Status:\n\n", RESP_E_BAD_STATUS);
	assert_error("Content-Type: text/plain\nStatus: x\n\n", RESP_E_BAD_STATUS);
}

static void test_no_cgi_header(void **state)
{
	(void)state;
	assert_error("X-Foo: bar\n\nbody", RESP_E_NO_CGI_HEADER);
	assert_error("X-Foo: bar\r\nX-Bar: foo\r\n\r\n", RESP_E_NO_CGI_HEADER);
}

static void test_incomplete(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_error("Content-Type: text/plain\n", RESP_E_INCOMPLETE);
	assert_error("Content-Type: text/plain\r\n\r", RESP_E_INCOMPLETE);
	assert_error("Content-Type: text/plain", RESP_E_INCOMPLETE);

	/* empty output */
	response_init(&r, BIG);
	assert_int_equal(response_finish(&r), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_INCOMPLETE);
	response_free(&r);
	assert_error("", RESP_E_INCOMPLETE);
}

static void test_starts_with_blank_line(void **state)
{
	struct cgi_response r;
	(void)state;
	assert_error("\nContent-Type: text/plain\n\nbody", RESP_E_NO_CGI_HEADER);
	assert_error("\r\nContent-Type: text/plain\r\n\r\nbody", RESP_E_NO_CGI_HEADER);
	/* decided at once, without waiting for the end of output */
	response_init(&r, BIG);
	assert_int_equal(response_feed(&r, "\n", 1), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_NO_CGI_HEADER);
	response_free(&r);
}

static void test_too_large_total(void **state)
{
	struct cgi_response r;
	static const char s[] = "Content-Type: text/plain\n\n0123456789";
	size_t len = sizeof s - 1;
	(void)state;
	/* exactly the limit is fine */
	assert_int_equal(parse_whole(&r, s, len, len), RESP_DONE);
	assert_body(&r, "0123456789");
	response_free(&r);

	assert_int_equal(parse_whole(&r, s, len, len - 1), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_TOO_LARGE);
	response_free(&r);

	/* the body pushes it over in a later read */
	response_init(&r, len + 5);
	assert_int_equal(response_feed(&r, s, len), RESP_BODY);
	assert_int_equal(response_feed(&r, "01234", 5), RESP_BODY);
	assert_int_equal(response_feed(&r, "5", 1), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_TOO_LARGE);
	assert_int_equal(response_finish(&r), RESP_ERROR);
	response_free(&r);

	/* the header block alone can be over the total too */
	response_init(&r, 10);
	assert_int_equal(response_feed(&r, "Content-Type: text/plain", 24), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_TOO_LARGE);
	response_free(&r);
}

static void test_too_many_headers(void **state)
{
	struct cgi_response r;
	char line[32];
	(void)state;
	for (int n = RESP_MAX_HEADERS; n <= RESP_MAX_HEADERS + 1; n++) {
		response_init(&r, BIG);
		response_feed(&r, "Status: 200\n", 12); /* Status is not kept: not counted */
		for (int i = 0; i < n; i++) {
			int l = snprintf(line, sizeof line, "X-H%d: %d\n", i, i);
			response_feed(&r, line, (size_t)l);
		}
		response_feed(&r, "\n", 1);
		response_finish(&r);
		if (n == RESP_MAX_HEADERS) {
			assert_int_equal(r.state, RESP_DONE);
			assert_int_equal(r.n_headers, RESP_MAX_HEADERS);
		} else {
			assert_int_equal(r.state, RESP_ERROR);
			assert_int_equal(r.error, RESP_E_TOO_MANY_HEADERS);
		}
		response_free(&r);
	}
}

static void test_error_is_final(void **state)
{
	struct cgi_response r;
	(void)state;
	response_init(&r, BIG);
	assert_int_equal(response_feed(&r, "bad line\n\n", 10), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_NO_COLON);
	assert_int_equal(response_feed(&r, "Content-Type: text/plain\n\n", 26), RESP_ERROR);
	assert_int_equal(response_finish(&r), RESP_ERROR);
	assert_int_equal(r.error, RESP_E_NO_COLON);
	response_free(&r);
}

static void test_error_text(void **state)
{
	(void)state;
	for (int e = RESP_OK; e <= RESP_E_TOO_MANY_HEADERS; e++) {
		const char *t = response_error_text((enum resp_error)e);
		assert_non_null(t);
		assert_true(strlen(t) > 0);
		for (int f = RESP_OK; f < e; f++)
			assert_string_not_equal(t, response_error_text((enum resp_error)f));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lf),
	    cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_mixed_line_ends),
	    cmocka_unit_test(test_status_default_200),
	    cmocka_unit_test(test_location_means_302),
	    cmocka_unit_test(test_status_reason),
	    cmocka_unit_test(test_nph),
	    cmocka_unit_test(test_body_verbatim),
	    cmocka_unit_test(test_headers_kept),
	    cmocka_unit_test(test_states),
	    cmocka_unit_test(test_split_everywhere),
	    cmocka_unit_test(test_split_with_limit),
	    cmocka_unit_test(test_header_too_large_chunks),
	    cmocka_unit_test(test_header_too_large_whole),
	    cmocka_unit_test(test_header_limit_boundary),
	    cmocka_unit_test(test_no_colon),
	    cmocka_unit_test(test_continuation),
	    cmocka_unit_test(test_nul_in_header),
	    cmocka_unit_test(test_bad_status),
	    cmocka_unit_test(test_no_cgi_header),
	    cmocka_unit_test(test_incomplete),
	    cmocka_unit_test(test_starts_with_blank_line),
	    cmocka_unit_test(test_too_large_total),
	    cmocka_unit_test(test_too_many_headers),
	    cmocka_unit_test(test_error_is_final),
	    cmocka_unit_test(test_error_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
