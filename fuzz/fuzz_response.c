/* fuzz_response.c - libFuzzer harness for the CGI response parser (response.c).
 *
 * Input: two bytes that seed how the output is split, then the handler's output. The
 * output is parsed once in one piece and once in random chunks (empty ones included);
 * the parser promises the same result however its input is split, so both results
 * must agree, and a finished response must be self-consistent (status 100-599, body
 * and header block within the limits). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "response.h"

static const char *opt(const char *s) { return s ? s : "(null)"; }

static void same(const struct cgi_response *a, const struct cgi_response *b, const uint8_t *in,
                 size_t len)
{
	const char *why = NULL;
	if (a->state != b->state)
		why = "state differs between one read and chunked reads";
	else if (a->state == RESP_ERROR && a->error != b->error && a->error != RESP_E_TOO_LARGE &&
	         b->error != RESP_E_TOO_LARGE)
		why = "error differs between one read and chunked reads";
	else if (a->state != RESP_ERROR &&
	         (a->status != b->status || strcmp(opt(a->status_text), opt(b->status_text)) ||
	          strcmp(opt(a->content_type), opt(b->content_type)) ||
	          strcmp(opt(a->location), opt(b->location)) || a->n_headers != b->n_headers ||
	          a->body.len != b->body.len ||
	          (a->body.len && memcmp(a->body.data, b->body.data, a->body.len))))
		why = "parsed response differs between one read and chunked reads";
	for (size_t i = 0; !why && a->state != RESP_ERROR && i < a->n_headers; i++)
		if (strcmp(a->headers[i].name, b->headers[i].name) ||
		    strcmp(a->headers[i].value, b->headers[i].value))
			why = "a header differs between one read and chunked reads";
	if (why)
		oracle_fail(why, (const char *)in, len);
}

static void consistent(const struct cgi_response *r, const uint8_t *in, size_t len)
{
	if (r->state != RESP_DONE)
		return;
	if (r->status < 100 || r->status > 599)
		oracle_fail("finished response with a status outside 100-599", (const char *)in, len);
	if (r->body.len > r->max_total || r->total > r->max_total)
		oracle_fail("more than the limit accepted", (const char *)in, len);
	if (r->head.len > RESP_MAX_HEADER_BLOCK || r->n_headers > RESP_MAX_HEADERS)
		oracle_fail("header block over its limits accepted", (const char *)in, len);
	for (size_t i = 0; i < r->n_headers; i++)
		if (!r->headers[i].name[0] || strchr(r->headers[i].name, '\n') ||
		    strchr(r->headers[i].value, '\n'))
			oracle_fail("header name empty or holding a newline", (const char *)in, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cgi_response whole, chunked;
	uint32_t seed;
	size_t limit, at = 0;

	if (size < 2)
		return 0;
	seed = (uint32_t)data[0] | (uint32_t)data[1] << 8;
	data += 2;
	size -= 2;
	limit = seed % 4 == 0 ? 64 + seed % 512 : 1024 * 1024;

	response_init(&whole, limit);
	response_feed(&whole, (const char *)data, size);
	response_finish(&whole);

	response_init(&chunked, limit);
	while (at < size) {
		uint32_t r = oracle_rand(&seed);
		size_t n = r % 8 == 0 ? 0 : 1 + (r >> 3) % (r % 3 == 0 ? 4 : 200);
		if (n > size - at)
			n = size - at;
		response_feed(&chunked, (const char *)data + at, n);
		at += n;
	}
	response_finish(&chunked);

	same(&whole, &chunked, data, size);
	consistent(&whole, data, size);
	response_free(&whole);
	response_free(&chunked);
	return 0;
}
