/* fuzz_fcgi_record.c - libFuzzer harness for the FastCGI record decoder (fcgi_record.c).
 *
 * Input: two bytes that seed how the stream is split, then what a backend sends. The
 * stream is decoded once in one piece and once in random chunks (empty ones included);
 * both must report the same events (STDOUT and STDERR pieces joined) and end in the
 * same state, every data event must point into the bytes just given, and the encoders
 * are run on the same bytes as a request body and parameters. */
#include <fastcgi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fcgi_record.h"
#include "oracle.h"

struct transcript {
	struct buf text;
	int last_type; /* of the previous event, to join data pieces */
	uint16_t last_id;
	const char *chunk; /* the bytes of the current fcgi_parse call */
	size_t chunk_len;
	const uint8_t *in;
	size_t in_len;
};

static int on_event(void *ud, const struct fcgi_event *ev)
{
	struct transcript *t = ud;
	char line[160];
	if ((ev->type == FCGI_EV_STDOUT || ev->type == FCGI_EV_STDERR) && ev->len) {
		if (ev->data < t->chunk || ev->data + ev->len > t->chunk + t->chunk_len)
			oracle_fail("data event outside the bytes given", (const char *)t->in, t->in_len);
		if ((int)ev->type != t->last_type || ev->id != t->last_id) {
			snprintf(line, sizeof line, "\n[data %d id %u]", (int)ev->type, ev->id);
			buf_puts(&t->text, line);
		}
		buf_append(&t->text, ev->data, ev->len);
		t->last_type = (int)ev->type;
		t->last_id = ev->id;
		return 0;
	}
	snprintf(line, sizeof line,
	         "\n[event %d id %u len %zu app %u proto %u values %ld %ld %ld rt %u]", (int)ev->type,
	         ev->id, ev->len, ev->app_status, ev->protocol_status, ev->max_conns, ev->max_reqs,
	         ev->mpxs_conns, ev->record_type);
	buf_puts(&t->text, line);
	t->last_type = -1;
	return 0;
}

static int parse(struct fcgi_parser *p, struct transcript *t, const uint8_t *d, size_t n)
{
	t->chunk = (const char *)d;
	t->chunk_len = n;
	return fcgi_parse(p, (const char *)d, n, on_event, t);
}

static void encoders(const uint8_t *data, size_t size)
{
	struct buf out = {0};
	char *vars[4];
	size_t n = 0;
	char *copy = malloc(size + 1);
	if (!copy)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* up to four NUL-separated "NAME=VALUE" strings */
	for (char *p = copy; n < 4 && p < copy + size; p += strlen(p) + 1)
		vars[n++] = p;
	if (fcgi_encode_begin(&out, 1, 1) == 0 && fcgi_encode_params(&out, 1, vars, n) == 0 &&
	    fcgi_encode_stdin(&out, 1, (const char *)data, size) == 0) {
		/* what we encode must decode as records again (the types are the backend's) */
		struct fcgi_parser p;
		struct transcript t = {.last_type = -1, .in = data, .in_len = size};
		fcgi_parser_init(&p);
		if (parse(&p, &t, (const uint8_t *)out.data, out.len) != 0 || !fcgi_parser_idle(&p))
			oracle_fail("our own records do not decode", (const char *)data, size);
		buf_free(&t.text);
	}
	buf_free(&out);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcgi_parser whole, chunked;
	struct transcript a = {.last_type = -1}, b = {.last_type = -1};
	int rc_whole, rc_chunked = 0;
	uint32_t seed;
	size_t at = 0;

	if (size < 2)
		return 0;
	seed = (uint32_t)data[0] | (uint32_t)data[1] << 8;
	data += 2;
	size -= 2;
	a.in = b.in = data;
	a.in_len = b.in_len = size;

	fcgi_parser_init(&whole);
	rc_whole = parse(&whole, &a, data, size);

	fcgi_parser_init(&chunked);
	while (at < size && rc_chunked == 0) {
		uint32_t r = oracle_rand(&seed);
		size_t n = r % 8 == 0 ? 0 : 1 + (r >> 3) % (r % 3 == 0 ? 9 : 300);
		if (n > size - at)
			n = size - at;
		rc_chunked = parse(&chunked, &b, data + at, n);
		at += n;
	}
	if (rc_chunked == 0)
		rc_chunked = parse(&chunked, &b, data + size, 0);

	if (rc_whole != rc_chunked || whole.state != chunked.state ||
	    fcgi_parser_idle(&whole) != fcgi_parser_idle(&chunked))
		oracle_fail("decoder state differs between one read and chunked reads", (const char *)data,
		            size);
	if (a.text.len != b.text.len || (a.text.len && memcmp(a.text.data, b.text.data, a.text.len)))
		oracle_fail("events differ between one read and chunked reads", (const char *)data, size);
	if (rc_whole == -1 && !whole.error)
		oracle_fail("protocol error without a reason", (const char *)data, size);
	buf_free(&a.text);
	buf_free(&b.text);
	if (size <= 70000)
		encoders(data, size);
	return 0;
}
