/* test_fcgi_record.c - unit tests for bridge/backend/fcgi_record.c, the FastCGI record layer.
 *
 * Encoding: every request record is walked by a small independent reader in this file
 * (version 1, the right type and id, content at most 65535 bytes, padding to a multiple
 * of 8, the closing empty PARAMS and STDIN) and the PARAMS stream is decoded again
 * here: a round trip of a whole request, 1-byte lengths up to 127 and 4-byte lengths
 * from 128 to FCGI_MAX_NV, pairs kept whole within a record when they fit, one pair
 * over 65535 bytes spanning records, a var without '=' skipped, a name or value over
 * FCGI_MAX_NV refused with the buffer left as it was; STDIN in 32 KiB records;
 * GET_VALUES and ABORT_REQUEST byte for byte.
 * Decoding: a response stream (STDOUT twice, STDERR, the empty STDOUT, END_REQUEST,
 * all with padding) fed whole, split at every byte, at every pair of positions and byte
 * by byte gives the same events; pieces point into the input; padding of 255;
 * unknown record types reported then skipped; a version other than 1 and an
 * END_REQUEST shorter than 8 bytes are errors, and final; GET_VALUES_RESULT parsed,
 * with a body over FCGI_MAX_VALUES_BODY kept in part; a callback's non-zero return
 * stops parsing; fcgi_parser_idle only between records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fastcgi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi_record.h"

/* ---- an independent reader for what the encoders write ---- */

struct rec {
	int type, id;
	const unsigned char *content;
	size_t clen, plen;
};

/* Reads the record at *pos, checking the invariants every record must keep. */
static struct rec next_rec(const struct buf *b, size_t *pos)
{
	const unsigned char *p = (const unsigned char *)b->data + *pos;
	struct rec r;
	assert_true(b->len - *pos >= 8);
	assert_int_equal(p[0], FCGI_VERSION_1);
	r.type = p[1];
	r.id = p[2] << 8 | p[3];
	r.clen = (size_t)(p[4] << 8 | p[5]);
	r.plen = p[6];
	r.content = p + 8;
	assert_int_equal((r.clen + r.plen) % 8, 0);
	assert_true(r.plen < 8);
	assert_true(b->len - *pos >= 8 + r.clen + r.plen);
	for (size_t i = 0; i < r.plen; i++)
		assert_int_equal(r.content[r.clen + i], 0);
	*pos += 8 + r.clen + r.plen;
	return r;
}

static size_t nv_len(const unsigned char *p, size_t len, size_t *pos)
{
	size_t v;
	assert_true(*pos < len);
	if (p[*pos] < 128)
		return p[(*pos)++];
	assert_true(len - *pos >= 4);
	v = (size_t)(p[*pos] & 0x7f) << 24 | (size_t)p[*pos + 1] << 16 | (size_t)p[*pos + 2] << 8 |
	    p[*pos + 3];
	*pos += 4;
	return v;
}

/* Decodes name-value pairs back into "NAME=VALUE" strings (malloc'd); returns the count. */
static size_t decode_pairs(const unsigned char *p, size_t len, char **out, size_t max)
{
	size_t pos = 0, n = 0;
	while (pos < len) {
		size_t nl = nv_len(p, len, &pos);
		size_t vl = nv_len(p, len, &pos);
		assert_true(nl + vl <= len - pos);
		assert_true(n < max);
		out[n] = malloc(nl + vl + 2);
		assert_non_null(out[n]);
		memcpy(out[n], p + pos, nl);
		out[n][nl] = '=';
		memcpy(out[n] + nl + 1, p + pos + nl, vl);
		out[n][nl + 1 + vl] = '\0';
		pos += nl + vl;
		n++;
	}
	return n;
}

/* Reads the PARAMS records at *pos up to and including the empty one; returns the
 * concatenated stream (malloc'd) and counts the records. */
static unsigned char *read_params(const struct buf *b, size_t *pos, int id, size_t *len,
                                  size_t *records)
{
	unsigned char *s = NULL;
	*len = 0;
	*records = 0;
	for (;;) {
		struct rec r = next_rec(b, pos);
		assert_int_equal(r.type, FCGI_PARAMS);
		assert_int_equal(r.id, id);
		if (r.clen == 0)
			break;
		s = realloc(s, *len + r.clen + 1);
		assert_non_null(s);
		memcpy(s + *len, r.content, r.clen);
		*len += r.clen;
		(*records)++;
	}
	return s;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* "NAME=" followed by n copies of c. */
static char *var_of(const char *name, char c, size_t n)
{
	size_t nl = strlen(name);
	char *s = malloc(nl + n + 2);
	assert_non_null(s);
	memcpy(s, name, nl);
	s[nl] = '=';
	memset(s + nl + 1, c, n);
	s[nl + 1 + n] = '\0';
	return s;
}

/* ---- encoders ---- */

static void test_begin(void **state)
{
	struct buf b = {0};
	static const unsigned char keep[16] = {1, 1, 0x12, 0x34, 0, 8, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0};
	static const unsigned char nokeep[16] = {1, 1, 0, 1, 0, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	(void)state;
	assert_int_equal(fcgi_encode_begin(&b, 0x1234, 1), 0);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data, keep, 16);
	buf_reset(&b);
	assert_int_equal(fcgi_encode_begin(&b, 1, 0), 0);
	assert_memory_equal(b.data, nokeep, 16);
	buf_free(&b);
}

static void test_request_round_trip(void **state)
{
	char *big = var_of("BIG", 'x', 200);
	char *vars[] = {
	    "REQUEST_METHOD=POST", "PATH_INFO=/echo", "NOEQUALS", "EMPTY=", "=nameless", big, "A=b=c"};
	const char *want[] = {"REQUEST_METHOD=POST", "PATH_INFO=/echo", "EMPTY=", big, "A=b=c"};
	size_t body_len = 100000, pos = 0, plen, nrec, got = 0, n;
	char *body = repeat('s', body_len), *dec[16];
	unsigned char *params;
	struct buf b = {0};
	struct rec r;
	(void)state;
	for (size_t i = 0; i < body_len; i++)
		body[i] = (char)('a' + i % 26);
	assert_int_equal(fcgi_encode_begin(&b, 7, 1), 0);
	assert_int_equal(fcgi_encode_params(&b, 7, vars, sizeof vars / sizeof vars[0]), 0);
	assert_int_equal(fcgi_encode_stdin(&b, 7, body, body_len), 0);
	assert_int_equal(b.len % 8, 0);

	r = next_rec(&b, &pos);
	assert_int_equal(r.type, FCGI_BEGIN_REQUEST);
	assert_int_equal(r.id, 7);
	assert_int_equal(r.content[1], FCGI_RESPONDER);
	assert_int_equal(r.content[2], FCGI_KEEP_CONN);
	params = read_params(&b, &pos, 7, &plen, &nrec);
	assert_int_equal(nrec, 1);
	n = decode_pairs(params, plen, dec, 16);
	assert_int_equal(n, sizeof want / sizeof want[0]);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(dec[i], want[i]);
		free(dec[i]);
	}
	for (;;) {
		r = next_rec(&b, &pos);
		assert_int_equal(r.type, FCGI_STDIN);
		assert_int_equal(r.id, 7);
		assert_true(r.clen <= FCGI_MAX_STREAM_CHUNK);
		if (r.clen == 0)
			break;
		assert_memory_equal(r.content, body + got, r.clen);
		got += r.clen;
	}
	assert_int_equal(got, body_len);
	assert_int_equal(pos, b.len);
	free(params);
	free(body);
	free(big);
	buf_free(&b);
}

/* The length prefix of the value of the first pair, by the value's length. */
static void check_value_len(size_t vlen, size_t want_prefix)
{
	char *v = var_of("N", 'v', vlen), *dec[2];
	struct buf b = {0};
	size_t pos = 0, plen, nrec;
	unsigned char *params;
	assert_int_equal(fcgi_encode_params(&b, 1, &v, 1), 0);
	params = read_params(&b, &pos, 1, &plen, &nrec);
	assert_int_equal(plen, 1 + want_prefix + 1 + vlen);
	assert_int_equal(params[0], 1);
	if (want_prefix == 1) {
		assert_int_equal(params[1], vlen);
	} else {
		assert_true(params[1] & 0x80);
		assert_int_equal((size_t)(params[1] & 0x7f) << 24 | (size_t)params[2] << 16 |
		                     (size_t)params[3] << 8 | params[4],
		                 vlen);
	}
	assert_int_equal(decode_pairs(params, plen, dec, 2), 1);
	assert_string_equal(dec[0], v);
	free(dec[0]);
	free(params);
	free(v);
	buf_free(&b);
}

static void test_nv_lengths(void **state)
{
	static const size_t four[] = {128, 200, 255, 256, 65535 - 8, 65535, 65536};
	char *name = repeat('K', 128), *var, *dec[2];
	struct buf b = {0};
	size_t pos = 0, plen, nrec;
	unsigned char *params;
	(void)state;
	check_value_len(0, 1);
	check_value_len(1, 1);
	check_value_len(127, 1);
	for (size_t i = 0; i < sizeof four / sizeof four[0]; i++)
		check_value_len(four[i], 4);

	/* A 128-byte name takes a 4-byte length too. */
	var = malloc(128 + 3);
	assert_non_null(var);
	snprintf(var, 128 + 3, "%s=v", name);
	assert_int_equal(fcgi_encode_params(&b, 1, &var, 1), 0);
	params = read_params(&b, &pos, 1, &plen, &nrec);
	assert_int_equal(params[0], 0x80);
	assert_int_equal(params[3], 128);
	assert_int_equal(params[4], 1);
	assert_int_equal(decode_pairs(params, plen, dec, 2), 1);
	assert_string_equal(dec[0], var);
	free(dec[0]);
	free(params);
	free(var);
	free(name);
	buf_free(&b);
}

static void test_oversized_refused(void **state)
{
	char *ok = var_of("OK", 'o', 10);
	char *bigval = var_of("V", 'v', FCGI_MAX_NV + 1);
	char *bigname = repeat('N', FCGI_MAX_NV + 3);
	char *vars[2];
	struct buf b = {0};
	(void)state;
	bigname[FCGI_MAX_NV + 1] = '=';
	assert_int_equal(fcgi_encode_begin(&b, 3, 0), 0);
	vars[0] = ok;
	vars[1] = bigval;
	assert_int_equal(fcgi_encode_params(&b, 3, vars, 2), -1);
	assert_int_equal(b.len, 16); /* nothing of the refused PARAMS is left */
	assert_int_equal(b.data[16], '\0');
	vars[1] = bigname;
	assert_int_equal(fcgi_encode_params(&b, 3, vars, 2), -1);
	assert_int_equal(b.len, 16);
	/* Exactly FCGI_MAX_NV is still allowed. */
	bigname[FCGI_MAX_NV] = '=';
	bigname[FCGI_MAX_NV + 1] = 'x';
	assert_int_equal(fcgi_encode_params(&b, 3, vars, 2), 0);
	free(ok);
	free(bigval);
	free(bigname);
	buf_free(&b);
}

/* Pairs are kept whole within a record when they fit; a pair over one record spans. */
static void test_params_records(void **state)
{
	enum { N = 100 };
	char *vars[N + 1], name[16], *dec[N + 2];
	size_t pos = 0, total = 0, nrec = 0, ndec = 0;
	struct buf b = {0};
	unsigned char *all;
	(void)state;
	for (int i = 0; i < N; i++) {
		snprintf(name, sizeof name, "V%d", i);
		vars[i] = var_of(name, (char)('a' + i % 26), 1000 + (size_t)i);
	}
	vars[N] = var_of("HUGE", 'h', FCGI_MAX_NV);
	/* About 150 KB of 1 KB pairs: every record holds whole pairs only. */
	assert_int_equal(fcgi_encode_params(&b, 9, vars, N), 0);
	for (;;) {
		struct rec r = next_rec(&b, &pos);
		char *one[N];
		size_t k;
		assert_int_equal(r.type, FCGI_PARAMS);
		assert_int_equal(r.id, 9);
		if (r.clen == 0)
			break;
		k = decode_pairs(r.content, r.clen, one, N);
		for (size_t i = 0; i < k; i++) {
			assert_string_equal(one[i], vars[ndec + i]);
			free(one[i]);
		}
		ndec += k;
		nrec++;
	}
	assert_int_equal(pos, b.len);
	assert_int_equal(ndec, N);
	assert_true(nrec >= 2);

	/* With a pair longer than a record, the stream as a whole still decodes. */
	buf_reset(&b);
	pos = 0;
	assert_int_equal(fcgi_encode_params(&b, 9, vars, N + 1), 0);
	all = read_params(&b, &pos, 9, &total, &nrec);
	assert_int_equal(pos, b.len);
	assert_true(nrec >= 3);
	assert_int_equal(decode_pairs(all, total, dec, N + 2), N + 1);
	for (int i = 0; i <= N; i++) {
		assert_string_equal(dec[i], vars[i]);
		free(dec[i]);
		free(vars[i]);
	}
	free(all);
	buf_free(&b);
}

/* ---- the PARAMS layout, byte for byte, from a second encoder written from the rules ---- */

#define REC_MAX 65528 /* content per PARAMS record: 65535 rounded down to a multiple of 8 */

struct ref_params {
	struct buf out;
	unsigned char rec[REC_MAX];
	size_t used;
	size_t full_records; /* records written with REC_MAX bytes of content */
};

static void ref_flush(struct ref_params *r, int id)
{
	unsigned char h[8] = {1, FCGI_PARAMS, (unsigned char)(id >> 8), (unsigned char)id};
	size_t pad = (8 - r->used % 8) % 8;
	h[4] = (unsigned char)(r->used >> 8);
	h[5] = (unsigned char)r->used;
	h[6] = (unsigned char)pad;
	assert_int_equal(buf_append(&r->out, h, 8), 0);
	assert_int_equal(buf_append(&r->out, r->rec, r->used), 0);
	assert_int_equal(buf_append(&r->out, "\0\0\0\0\0\0\0", pad), 0);
	r->full_records += r->used == REC_MAX;
	r->used = 0;
}

static size_t ref_len(unsigned char *p, size_t len)
{
	if (len < 128) {
		p[0] = (unsigned char)len;
		return 1;
	}
	p[0] = (unsigned char)(0x80 | len >> 24);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	return 4;
}

/* A pair that fits in one record is never cut: it starts a new record when the open one
 * has no room. A longer pair fills the open record and goes on in the next ones. A
 * record is sent once it is full and more bytes follow, or at the end. */
static void ref_encode(struct ref_params *r, int id, char *const *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(vars[i], '=');
		size_t nl, vl, len;
		unsigned char *pair;
		if (!eq || eq == vars[i])
			continue;
		nl = (size_t)(eq - vars[i]);
		vl = strlen(eq + 1);
		pair = malloc(8 + nl + vl);
		assert_non_null(pair);
		len = ref_len(pair, nl);
		len += ref_len(pair + len, vl);
		memcpy(pair + len, vars[i], nl);
		memcpy(pair + len + nl, eq + 1, vl);
		len += nl + vl;
		if (r->used && r->used + len > REC_MAX && len <= REC_MAX)
			ref_flush(r, id);
		for (size_t done = 0, k; done < len;) {
			if (r->used == REC_MAX)
				ref_flush(r, id);
			k = len - done < REC_MAX - r->used ? len - done : REC_MAX - r->used;
			memcpy(r->rec + r->used, pair + done, k);
			r->used += k;
			done += k;
		}
		free(pair);
	}
	if (r->used)
		ref_flush(r, id);
	r->used = 0;
	ref_flush(r, id); /* the empty record that ends the stream */
}

/* Pairs of every length class around the record limit: small ones, one that no longer
 * fits and starts a record, one that fills a record exactly, one of exactly a record,
 * ones longer than a record starting mid-record and at a record's start, and vars the
 * encoder skips. */
static void test_params_bytes(void **state)
{
	char *vars[] = {"REQUEST_METHOD=POST",
	                "NOEQUALS",
	                "=nameless",
	                "EMPTY=",
	                var_of("V127", 'a', 127),
	                var_of("V128", 'b', 128),
	                var_of("V1", 'c', 40000),
	                var_of("V2", 'd', 30000),              /* does not fit after V1: a new record */
	                var_of("F", 'e', REC_MAX - 30007 - 6), /* fills V2's record exactly */
	                "S=x",
	                var_of("HUGE", 'f', FCGI_MAX_NV), /* spans from mid-record */
	                "T=y",
	                var_of("R", 'g', REC_MAX - 6),  /* exactly one record */
	                var_of("R1", 'h', REC_MAX - 6), /* one byte too long: spans */
	                var_of("END", 'i', FCGI_MAX_NV - 100),
	                "LAST=z"};
	size_t n = sizeof vars / sizeof vars[0];
	struct ref_params *ref = calloc(1, sizeof *ref);
	struct buf b = {0};
	(void)state;
	assert_non_null(ref);
	assert_int_equal(fcgi_encode_params(&b, 0x0102, vars, n), 0);
	ref_encode(ref, 0x0102, vars, n);
	assert_true(ref->full_records >= 3);
	assert_int_equal(b.len, ref->out.len);
	assert_memory_equal(b.data, ref->out.data, b.len);

	/* appended after a BEGIN_REQUEST, the same bytes follow it */
	buf_reset(&b);
	assert_int_equal(fcgi_encode_begin(&b, 0x0102, 1), 0);
	assert_int_equal(fcgi_encode_params(&b, 0x0102, vars, n), 0);
	assert_int_equal(b.len, 16 + ref->out.len);
	assert_memory_equal(b.data + 16, ref->out.data, ref->out.len);

	/* every tail of the list, so that each pair also starts a stream */
	for (size_t k = 1; k <= n; k++) {
		buf_reset(&b);
		buf_reset(&ref->out);
		assert_int_equal(fcgi_encode_params(&b, 5, vars + n - k, k), 0);
		ref_encode(ref, 5, vars + n - k, k);
		assert_int_equal(b.len, ref->out.len);
		assert_memory_equal(b.data, ref->out.data, b.len);
	}
	for (size_t i = 0; i < n; i++)
		if (strlen(vars[i]) > 100)
			free(vars[i]);
	buf_free(&ref->out);
	free(ref);
	buf_free(&b);
}

static void test_empty_params_and_stdin(void **state)
{
	static const unsigned char want[16] = {1, 4, 0, 5, 0, 0, 0, 0, 1, 5, 0, 5, 0, 0, 0, 0};
	struct buf b = {0};
	(void)state;
	assert_int_equal(fcgi_encode_params(&b, 5, NULL, 0), 0);
	assert_int_equal(fcgi_encode_stdin(&b, 5, NULL, 0), 0);
	assert_int_equal(b.len, 16);
	assert_memory_equal(b.data, want, 16);
	buf_free(&b);
}

static void test_get_values_and_abort(void **state)
{
	static const unsigned char abort_rec[8] = {1, 2, 0, 42, 0, 0, 0, 0};
	const char *names[] = {"FCGI_MAX_CONNS=", "FCGI_MAX_REQS=", "FCGI_MPXS_CONNS="};
	struct buf b = {0};
	char *dec[4];
	size_t pos = 0;
	struct rec r;
	(void)state;
	assert_int_equal(fcgi_encode_get_values(&b), 0);
	r = next_rec(&b, &pos);
	assert_int_equal(pos, b.len);
	assert_int_equal(r.type, FCGI_GET_VALUES);
	assert_int_equal(r.id, 0);
	assert_int_equal(decode_pairs(r.content, r.clen, dec, 4), 3);
	for (int i = 0; i < 3; i++) {
		assert_string_equal(dec[i], names[i]);
		free(dec[i]);
	}
	buf_reset(&b);
	assert_int_equal(fcgi_encode_abort(&b, 42), 0);
	assert_int_equal(b.len, 8);
	assert_memory_equal(b.data, abort_rec, 8);
	buf_free(&b);
}

/* ---- decoder ---- */

/* Appends one record to b, with the given padding (filled with junk). */
static void add_rec(struct buf *b, int version, int type, int id, const void *c, size_t clen,
                    size_t plen)
{
	unsigned char h[8] = {(unsigned char)version,     (unsigned char)type,
	                      (unsigned char)(id >> 8),   (unsigned char)id,
	                      (unsigned char)(clen >> 8), (unsigned char)clen,
	                      (unsigned char)plen,        0};
	unsigned char pad[255];
	memset(pad, 0xee, sizeof pad);
	assert_int_equal(buf_append(b, h, 8), 0);
	assert_int_equal(buf_append(b, c, clen), 0);
	assert_int_equal(buf_append(b, pad, plen), 0);
}

static void add_end(struct buf *b, int id, uint32_t app, int proto, size_t clen, size_t plen)
{
	unsigned char body[16] = {(unsigned char)(app >> 24), (unsigned char)(app >> 16),
	                          (unsigned char)(app >> 8), (unsigned char)app, (unsigned char)proto};
	add_rec(b, 1, FCGI_END_REQUEST, id, body, clen, plen);
}

/* Events as text, adjacent pieces of one stream merged so that any split of the input
 * gives the same log. */
struct collect {
	struct buf log;
	int last; /* 'O' or 'E' while a stream's data is being appended */
	unsigned last_id;
	const char *chunk, *chunk_end;
	int stop_at; /* return 99 from this event on (1-based), 0: never */
	int count;
	int idle_in_end; /* fcgi_parser_idle inside the END callback */
	struct fcgi_parser *p;
};

static int on_event(void *ud, const struct fcgi_event *ev)
{
	struct collect *c = ud;
	char line[128];
	c->count++;
	if (ev->type == FCGI_EV_STDOUT || ev->type == FCGI_EV_STDERR) {
		int t = ev->type == FCGI_EV_STDOUT ? 'O' : 'E';
		if (ev->len) { /* zero-copy: the piece lies in the chunk just fed */
			assert_true(ev->data >= c->chunk && ev->data + ev->len <= c->chunk_end);
			if (c->last != t || c->last_id != ev->id) {
				snprintf(line, sizeof line, "[%c %u]", t, ev->id);
				buf_puts(&c->log, line);
			}
			buf_append(&c->log, ev->data, ev->len);
			c->last = t;
			c->last_id = ev->id;
		} else {
			assert_int_equal(t, 'O'); /* an empty STDERR is not reported */
			snprintf(line, sizeof line, "[O %u EOF]", ev->id);
			buf_puts(&c->log, line);
			c->last = 0;
		}
	} else {
		c->last = 0;
		if (ev->type == FCGI_EV_END) {
			snprintf(line, sizeof line, "[END %u %u %u]", ev->id, ev->app_status,
			         ev->protocol_status);
			if (c->p)
				c->idle_in_end = fcgi_parser_idle(c->p);
		} else if (ev->type == FCGI_EV_VALUES) {
			snprintf(line, sizeof line, "[VALUES %ld %ld %ld]", ev->max_conns, ev->max_reqs,
			         ev->mpxs_conns);
		} else {
			assert_int_equal(ev->type, FCGI_EV_UNKNOWN);
			snprintf(line, sizeof line, "[UNKNOWN %u %u]", ev->id, ev->record_type);
		}
		buf_puts(&c->log, line);
	}
	return c->stop_at && c->count >= c->stop_at ? 99 : 0;
}

static int feed(struct fcgi_parser *p, struct collect *c, const char *d, size_t len)
{
	c->chunk = d;
	c->chunk_end = d + len;
	return fcgi_parse(p, d, len, on_event, c);
}

/* Parses data cut at the given positions (sorted); returns the log (malloc'd). */
static char *parse_cuts(const struct buf *in, const size_t *cuts, size_t ncuts, int *rc, int *idle)
{
	struct fcgi_parser p;
	struct collect c = {0};
	size_t at = 0;
	fcgi_parser_init(&p);
	c.p = &p;
	c.idle_in_end = 1;
	*rc = 0;
	for (size_t i = 0; i <= ncuts && *rc == 0; i++) {
		size_t to = i < ncuts ? cuts[i] : in->len;
		*rc = feed(&p, &c, in->data + at, to - at);
		at = to;
	}
	*idle = fcgi_parser_idle(&p);
	buf_puts(&c.log, c.idle_in_end ? "" : "[END not idle]");
	return buf_steal(&c.log);
}

static char *parse_whole(const struct buf *in, int *rc, int *idle)
{
	return parse_cuts(in, NULL, 0, rc, idle);
}

/* Whole, every single cut, every pair of cuts and byte by byte must agree. */
static void check_all_splits(const struct buf *in, const char *want)
{
	int rc, idle;
	char *whole = parse_whole(in, &rc, &idle), *s;
	size_t cuts[2], *each;
	assert_int_equal(rc, 0);
	assert_true(idle);
	assert_string_equal(whole, want);
	for (size_t i = 0; i <= in->len; i++) {
		cuts[0] = i;
		s = parse_cuts(in, cuts, 1, &rc, &idle);
		assert_int_equal(rc, 0);
		assert_string_equal(s, whole);
		free(s);
		for (size_t j = i; j <= in->len; j += 3) {
			cuts[1] = j;
			s = parse_cuts(in, cuts, 2, &rc, &idle);
			assert_string_equal(s, whole);
			free(s);
		}
	}
	each = malloc(in->len * sizeof *each);
	assert_non_null(each);
	for (size_t i = 0; i < in->len; i++)
		each[i] = i;
	s = parse_cuts(in, each, in->len, &rc, &idle);
	assert_string_equal(s, whole);
	free(s);
	free(each);
	free(whole);
}

static void test_response_stream(void **state)
{
	static const char head[] = "Status: 200 OK\r\nContent-Type: application/xml\r\n\r\n";
	static const char body[] = "<ok xmlns='urn:x'/>";
	struct buf in = {0};
	(void)state;
	add_rec(&in, 1, FCGI_STDOUT, 1, head, strlen(head), 3);
	add_rec(&in, 1, FCGI_STDERR, 1, "warn\n", 5, 0);
	add_rec(&in, 1, FCGI_STDOUT, 1, body, strlen(body), 255);
	add_rec(&in, 1, FCGI_STDERR, 1, "", 0, 0);
	add_rec(&in, 1, FCGI_STDOUT, 1, "", 0, 5);
	add_end(&in, 1, 0x01020304, FCGI_REQUEST_COMPLETE, 8, 7);
	check_all_splits(&in, "[O 1]Status: 200 OK\r\nContent-Type: application/xml\r\n\r\n"
	                      "[E 1]warn\n[O 1]<ok xmlns='urn:x'/>[O 1 EOF][END 1 16909060 0]");
	buf_free(&in);
}

static void test_unknown_types(void **state)
{
	unsigned char u[8] = {200};
	struct buf in = {0};
	(void)state;
	add_rec(&in, 1, FCGI_UNKNOWN_TYPE, 0, u, 8, 0);
	add_rec(&in, 1, 200, 3, "whatever", 8, 4);
	add_rec(&in, 1, FCGI_PARAMS, 3, "", 0, 0);
	add_rec(&in, 1, FCGI_STDOUT, 3, "x", 1, 7);
	add_end(&in, 3, 0, FCGI_OVERLOADED, 12, 4); /* a longer END body is accepted */
	check_all_splits(&in, "[UNKNOWN 0 11][UNKNOWN 3 200][UNKNOWN 3 4][O 3]x[END 3 0 2]");
	buf_free(&in);
}

static void test_bad_version(void **state)
{
	struct buf in = {0};
	struct fcgi_parser p;
	struct collect c = {0};
	(void)state;
	add_rec(&in, 1, FCGI_STDOUT, 1, "ok", 2, 6);
	add_rec(&in, 2, FCGI_STDOUT, 1, "no", 2, 6);
	fcgi_parser_init(&p);
	assert_int_equal(feed(&p, &c, in.data, 16 + 7), 0); /* stops inside the bad header */
	assert_int_equal(feed(&p, &c, in.data + 23, in.len - 23), -1);
	assert_int_equal(p.state, FCGI_P_ERROR);
	assert_non_null(p.error);
	assert_string_equal(c.log.data, "[O 1]ok");
	/* An error is final. */
	assert_int_equal(feed(&p, &c, in.data, 16), -1);
	assert_string_equal(c.log.data, "[O 1]ok");
	buf_reset(&in);
	add_rec(&in, 0, FCGI_END_REQUEST, 1, "", 0, 0);
	fcgi_parser_init(&p);
	assert_int_equal(feed(&p, &c, in.data, in.len), -1);
	buf_free(&c.log);
	buf_free(&in);
}

static void test_short_and_truncated_end(void **state)
{
	struct buf in = {0};
	struct fcgi_parser p;
	struct collect c = {0};
	(void)state;
	add_end(&in, 1, 0, 0, 4, 4);
	fcgi_parser_init(&p);
	assert_int_equal(feed(&p, &c, in.data, in.len), -1);
	assert_non_null(p.error);
	buf_reset(&in);
	add_end(&in, 1, 0, 0, 0, 0);
	fcgi_parser_init(&p);
	assert_int_equal(feed(&p, &c, in.data, in.len), -1);
	/* A stream that stops inside a record is no error by itself, but not idle. */
	buf_reset(&in);
	add_end(&in, 1, 5, 0, 8, 0);
	for (size_t cut = 1; cut < in.len; cut++) {
		fcgi_parser_init(&p);
		assert_int_equal(feed(&p, &c, in.data, cut), 0);
		assert_false(fcgi_parser_idle(&p));
	}
	assert_null(c.log.data);
	buf_free(&in);
}

static void test_idle(void **state)
{
	struct buf in = {0};
	struct fcgi_parser p;
	struct collect c = {0};
	size_t first;
	(void)state;
	fcgi_parser_init(&p);
	assert_true(fcgi_parser_idle(&p));
	add_rec(&in, 1, FCGI_STDOUT, 1, "abc", 3, 5);
	first = in.len;
	add_rec(&in, 1, FCGI_STDOUT, 1, "", 0, 0);
	for (size_t i = 0; i < in.len; i++) {
		assert_int_equal(feed(&p, &c, in.data + i, 1), 0);
		assert_int_equal(fcgi_parser_idle(&p), i + 1 == first || i + 1 == in.len);
	}
	assert_string_equal(c.log.data, "[O 1]abc[O 1 EOF]");
	buf_free(&c.log);
	buf_free(&in);
}

static void add_pair(struct buf *b, const char *n, const char *v)
{
	unsigned char l[8];
	size_t k = 0, nl = strlen(n), vl = strlen(v);
	l[k++] = (unsigned char)nl;
	if (vl < 128) {
		l[k++] = (unsigned char)vl;
	} else {
		l[k++] = (unsigned char)(0x80 | vl >> 24);
		l[k++] = (unsigned char)(vl >> 16);
		l[k++] = (unsigned char)(vl >> 8);
		l[k++] = (unsigned char)vl;
	}
	buf_append(b, l, k);
	buf_puts(b, n);
	buf_puts(b, v);
}

static void test_get_values_result(void **state)
{
	struct buf body = {0}, in = {0};
	char *filler = repeat('f', 5000);
	(void)state;
	add_pair(&body, "FCGI_MAX_CONNS", "10");
	add_pair(&body, "OTHER", "x");
	add_pair(&body, "FCGI_MPXS_CONNS", "1");
	add_pair(&body, "FCGI_MAX_REQS", "50");
	add_rec(&in, 1, FCGI_GET_VALUES_RESULT, 0, body.data, body.len, 3);
	buf_reset(&body);
	add_pair(&body, "FCGI_MAX_CONNS", "");
	add_pair(&body, "FCGI_MAX_REQS", "5x");
	add_rec(&in, 1, FCGI_GET_VALUES_RESULT, 0, body.data, body.len, 0);
	add_rec(&in, 1, FCGI_GET_VALUES_RESULT, 0, "", 0, 0);
	check_all_splits(&in, "[VALUES 10 50 1][VALUES -1 -1 -1][VALUES -1 -1 -1]");

	/* Over FCGI_MAX_VALUES_BODY: the first part counts, a pair cut off by the limit
	 * and what follows it do not, and parsing goes on after the record. */
	buf_reset(&body);
	buf_reset(&in);
	add_pair(&body, "FCGI_MAX_REQS", "7");
	add_pair(&body, "FILLER", filler);
	add_pair(&body, "FCGI_MPXS_CONNS", "1");
	assert_true(body.len > FCGI_MAX_VALUES_BODY);
	add_rec(&in, 1, FCGI_GET_VALUES_RESULT, 0, body.data, body.len, 2);
	add_rec(&in, 1, FCGI_STDOUT, 1, "after", 5, 3);
	{
		int rc, idle;
		char *s = parse_whole(&in, &rc, &idle);
		assert_int_equal(rc, 0);
		assert_string_equal(s, "[VALUES -1 7 -1][O 1]after");
		free(s);
	}
	free(filler);
	buf_free(&body);
	buf_free(&in);
}

static void test_callback_stops(void **state)
{
	struct buf in = {0};
	struct fcgi_parser p;
	struct collect c = {0};
	(void)state;
	add_rec(&in, 1, FCGI_STDOUT, 1, "one", 3, 5);
	add_rec(&in, 1, FCGI_STDOUT, 1, "two", 3, 5);
	add_end(&in, 1, 0, 0, 8, 0);
	c.stop_at = 1;
	fcgi_parser_init(&p);
	assert_int_equal(feed(&p, &c, in.data, in.len), 99);
	assert_int_equal(c.count, 1);
	assert_string_equal(c.log.data, "[O 1]one");
	buf_free(&c.log);
	memset(&c, 0, sizeof c);
	c.stop_at = 3;
	fcgi_parser_init(&p);
	assert_int_equal(feed(&p, &c, in.data, in.len), 99);
	assert_string_equal(c.log.data, "[O 1]onetwo[END 1 0 0]");
	assert_true(fcgi_parser_idle(&p));
	buf_free(&c.log);
	buf_free(&in);
}

/* Interleaved requests on one connection keep their ids. */
static void test_multiplexed_ids(void **state)
{
	struct buf in = {0};
	(void)state;
	add_rec(&in, 1, FCGI_STDOUT, 1, "a1", 2, 6);
	add_rec(&in, 1, FCGI_STDOUT, 2, "b1", 2, 6);
	add_rec(&in, 1, FCGI_STDERR, 65535, "c", 1, 7);
	add_end(&in, 2, 0, 0, 8, 0);
	add_rec(&in, 1, FCGI_STDOUT, 1, "a2", 2, 6);
	add_end(&in, 65535, 0, FCGI_CANT_MPX_CONN, 8, 0);
	add_end(&in, 1, 1, 0, 8, 0);
	check_all_splits(&in, "[O 1]a1[O 2]b1[E 65535]c[END 2 0 0][O 1]a2[END 65535 0 1]"
	                      "[END 1 1 0]");
	buf_free(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_begin),
	    cmocka_unit_test(test_request_round_trip),
	    cmocka_unit_test(test_nv_lengths),
	    cmocka_unit_test(test_oversized_refused),
	    cmocka_unit_test(test_params_records),
	    cmocka_unit_test(test_params_bytes),
	    cmocka_unit_test(test_empty_params_and_stdin),
	    cmocka_unit_test(test_get_values_and_abort),
	    cmocka_unit_test(test_response_stream),
	    cmocka_unit_test(test_unknown_types),
	    cmocka_unit_test(test_bad_version),
	    cmocka_unit_test(test_short_and_truncated_end),
	    cmocka_unit_test(test_idle),
	    cmocka_unit_test(test_get_values_result),
	    cmocka_unit_test(test_callback_stops),
	    cmocka_unit_test(test_multiplexed_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
