/* fcgi_record.c - FastCGI record encoding and resumable decoding (pure; see fcgi_record.h).
 *
 * Owns the byte layout of the records the bridge sends (BEGIN_REQUEST, PARAMS, STDIN,
 * GET_VALUES, ABORT_REQUEST) and the state machine that reads the records an
 * application sends back. No I/O: encoders append to a struct buf, the parser takes
 * whatever bytes a read returned.
 *
 * Encoders are all-or-nothing: on failure the buffer is cut back to its old length, so
 * a refused request leaves no partial record behind. Every record is padded to a
 * multiple of 8 bytes. PARAMS pairs are packed whole into records where they fit;
 * only a pair longer than one record spans records (the spec allows it, and libfcgi
 * reads PARAMS as a stream), so peers that parse each record on its own (php-fpm) see
 * whole pairs whenever that is possible.
 *
 * The parser reports a record that ends (END, VALUES, UNKNOWN, the empty STDOUT that
 * ends the stream) only after the record's padding, so inside that callback the parser
 * is idle: a connection can be reused or closed cleanly right there. STDOUT and STDERR
 * content is passed up in pieces as it arrives, pointing into the caller's input. An
 * empty STDERR record (the end of that stream) is not reported. A callback's non-zero
 * return stops parsing at once; fcgi_parse does not say how much of the input it used,
 * so the caller then abandons the connection rather than feeding the rest. */
#include "fcgi_record.h"

#include <fastcgi.h>
#include <string.h>

/* Content per PARAMS record: the largest multiple of 8 under FCGI_MAX_LENGTH. */
#define PARAMS_RECORD_MAX (FCGI_MAX_LENGTH & ~7u)

static const unsigned char zeros[8];

static int put_header(struct buf *out, unsigned type, uint16_t id, size_t clen, size_t plen)
{
	FCGI_Header h = {
	    .version = FCGI_VERSION_1,
	    .type = (unsigned char)type,
	    .requestIdB1 = (unsigned char)(id >> 8),
	    .requestIdB0 = (unsigned char)id,
	    .contentLengthB1 = (unsigned char)(clen >> 8),
	    .contentLengthB0 = (unsigned char)clen,
	    .paddingLength = (unsigned char)plen,
	    .reserved = 0,
	};
	return buf_append(out, &h, sizeof h);
}

/* Undoes a failed encoder's partial output. */
static int cut_back(struct buf *out, size_t old)
{
	out->len = old;
	if (out->data)
		out->data[old] = '\0';
	return -1;
}

static size_t padding_for(size_t clen) { return (8 - (clen & 7)) & 7; }

/* One whole record: header, content, padding to a multiple of 8. */
static int put_record(struct buf *out, unsigned type, uint16_t id, const void *data, size_t len)
{
	size_t pad = padding_for(len);
	if (put_header(out, type, id, len, pad) < 0 || buf_append(out, data, len) < 0 ||
	    buf_append(out, zeros, pad) < 0)
		return -1;
	return 0;
}

/* Lengths under 128 take one byte, the rest four with the top bit set. */
static size_t put_nv_len(unsigned char *p, size_t len)
{
	if (len < 128) {
		p[0] = (unsigned char)len;
		return 1;
	}
	p[0] = (unsigned char)((len >> 24) | 0x80);
	p[1] = (unsigned char)(len >> 16);
	p[2] = (unsigned char)(len >> 8);
	p[3] = (unsigned char)len;
	return 4;
}

int fcgi_encode_begin(struct buf *out, uint16_t id, int keep_conn)
{
	size_t old = out->len;
	FCGI_BeginRequestBody b = {
	    .roleB1 = 0,
	    .roleB0 = FCGI_RESPONDER,
	    .flags = keep_conn ? FCGI_KEEP_CONN : 0,
	    .reserved = {0},
	};
	if (put_record(out, FCGI_BEGIN_REQUEST, id, &b, sizeof b) < 0)
		return cut_back(out, old);
	return 0;
}

/* PARAMS content is a stream cut into records. The open record's header is written
 * with a zero length and patched when the record is closed. */
struct params_writer {
	struct buf *out;
	uint16_t id;
	size_t hdr;  /* offset of the open record's header */
	size_t used; /* content bytes in the open record */
	int open;
};

static int pw_close(struct params_writer *w)
{
	size_t pad;
	FCGI_Header *h;
	if (!w->open)
		return 0;
	pad = padding_for(w->used);
	if (buf_append(w->out, zeros, pad) < 0)
		return -1;
	h = (FCGI_Header *)(void *)(w->out->data + w->hdr);
	h->contentLengthB1 = (unsigned char)(w->used >> 8);
	h->contentLengthB0 = (unsigned char)w->used;
	h->paddingLength = (unsigned char)pad;
	w->open = 0;
	return 0;
}

static int pw_open(struct params_writer *w)
{
	w->hdr = w->out->len;
	if (put_header(w->out, FCGI_PARAMS, w->id, 0, 0) < 0)
		return -1;
	w->used = 0;
	w->open = 1;
	return 0;
}

/* Bytes of a pair longer than one record, cut at record ends. */
static int pw_write(struct params_writer *w, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		size_t n;
		if (w->open && w->used == PARAMS_RECORD_MAX && pw_close(w) < 0)
			return -1;
		if (!w->open && pw_open(w) < 0)
			return -1;
		n = PARAMS_RECORD_MAX - w->used;
		if (n > len)
			n = len;
		if (buf_append(w->out, p, n) < 0)
			return -1;
		w->used += n;
		p += n;
		len -= n;
	}
	return 0;
}

/* A pair that fits in one record goes whole into the open record, or into a new one
 * when the open one has no room left for it. */
static int pw_pair(struct params_writer *w, const unsigned char *lens, size_t l, const char *name,
                   size_t nlen, const char *value, size_t vlen)
{
	size_t len = l + nlen + vlen;
	char *p;
	if (len > PARAMS_RECORD_MAX) {
		if (pw_write(w, lens, l) < 0 || pw_write(w, name, nlen) < 0 || pw_write(w, value, vlen) < 0)
			return -1;
		return 0;
	}
	if (w->open && w->used + len > PARAMS_RECORD_MAX && pw_close(w) < 0)
		return -1;
	if (!w->open && pw_open(w) < 0)
		return -1;
	p = buf_extend(w->out, len);
	if (!p)
		return -1;
	memcpy(p, lens, l);
	memcpy(p + l, name, nlen);
	memcpy(p + l + nlen, value, vlen);
	w->used += len;
	return 0;
}

static int encode_params(struct params_writer *w, char *const *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = vars[i] ? strchr(vars[i], '=') : NULL;
		unsigned char lens[8];
		size_t nlen, vlen, l;
		if (!eq || eq == vars[i])
			continue; /* not NAME=VALUE, or an empty name */
		nlen = (size_t)(eq - vars[i]);
		vlen = strlen(eq + 1);
		if (nlen > FCGI_MAX_NV || vlen > FCGI_MAX_NV)
			return -1;
		l = put_nv_len(lens, nlen);
		l += put_nv_len(lens + l, vlen);
		if (pw_pair(w, lens, l, vars[i], nlen, eq + 1, vlen) < 0)
			return -1;
	}
	if (pw_close(w) < 0)
		return -1;
	return put_header(w->out, FCGI_PARAMS, w->id, 0, 0);
}

int fcgi_encode_params(struct buf *out, uint16_t id, char *const *vars, size_t n)
{
	struct params_writer w = {.out = out, .id = id};
	size_t old = out->len;
	if (encode_params(&w, vars, n) < 0)
		return cut_back(out, old);
	return 0;
}

int fcgi_encode_stdin(struct buf *out, uint16_t id, const char *data, size_t len)
{
	size_t old = out->len;
	while (len > 0) {
		size_t n = len < FCGI_MAX_STREAM_CHUNK ? len : FCGI_MAX_STREAM_CHUNK;
		if (put_record(out, FCGI_STDIN, id, data, n) < 0)
			return cut_back(out, old);
		data += n;
		len -= n;
	}
	if (put_header(out, FCGI_STDIN, id, 0, 0) < 0)
		return cut_back(out, old);
	return 0;
}

int fcgi_encode_get_values(struct buf *out)
{
	static const char *const names[] = {FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS};
	unsigned char body[64];
	size_t len = 0, old = out->len;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		size_t nlen = strlen(names[i]);
		body[len++] = (unsigned char)nlen;
		body[len++] = 0;
		memcpy(body + len, names[i], nlen);
		len += nlen;
	}
	if (put_record(out, FCGI_GET_VALUES, FCGI_NULL_REQUEST_ID, body, len) < 0)
		return cut_back(out, old);
	return 0;
}

int fcgi_encode_abort(struct buf *out, uint16_t id)
{
	return put_header(out, FCGI_ABORT_REQUEST, id, 0, 0);
}

void fcgi_parser_init(struct fcgi_parser *p)
{
	memset(p, 0, sizeof *p);
	p->state = FCGI_P_HEADER;
}

int fcgi_parser_idle(const struct fcgi_parser *p)
{
	return p->state == FCGI_P_HEADER && p->have == 0;
}

static int fail(struct fcgi_parser *p, const char *why)
{
	p->state = FCGI_P_ERROR;
	p->error = why;
	return -1;
}

/* A name-value length at *pos; 0 when the body ends inside it. */
static int get_nv_len(const unsigned char *b, size_t len, size_t *pos, size_t *out)
{
	if (*pos >= len)
		return 0;
	if (!(b[*pos] & 0x80)) {
		*out = b[(*pos)++];
		return 1;
	}
	if (len - *pos < 4)
		return 0;
	*out = ((size_t)(b[*pos] & 0x7f) << 24) | ((size_t)b[*pos + 1] << 16) |
	       ((size_t)b[*pos + 2] << 8) | b[*pos + 3];
	*pos += 4;
	return 1;
}

/* A decimal value; -1 when it is empty, not all digits, or absurdly large. */
static long nv_number(const unsigned char *v, size_t len)
{
	long n = 0;
	if (len == 0 || len > 9)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (v[i] - '0');
	}
	return n;
}

/* The kept part of a GET_VALUES_RESULT body; a pair cut off at the end is ignored. */
static void parse_values(const unsigned char *b, size_t len, struct fcgi_event *ev)
{
	size_t pos = 0, nlen, vlen;
	ev->max_conns = ev->max_reqs = ev->mpxs_conns = -1;
	while (get_nv_len(b, len, &pos, &nlen) && get_nv_len(b, len, &pos, &vlen)) {
		const unsigned char *name = b + pos, *value;
		long *slot = NULL;
		if (nlen > len - pos || vlen > len - pos - nlen)
			return;
		value = name + nlen;
		pos += nlen + vlen;
		if (nlen == strlen(FCGI_MAX_CONNS) && !memcmp(name, FCGI_MAX_CONNS, nlen))
			slot = &ev->max_conns;
		else if (nlen == strlen(FCGI_MAX_REQS) && !memcmp(name, FCGI_MAX_REQS, nlen))
			slot = &ev->max_reqs;
		else if (nlen == strlen(FCGI_MPXS_CONNS) && !memcmp(name, FCGI_MPXS_CONNS, nlen))
			slot = &ev->mpxs_conns;
		if (slot)
			*slot = nv_number(value, vlen);
	}
}

/* The record in p is complete (content and padding): report what it ends. */
static int record_done(struct fcgi_parser *p, fcgi_event_cb cb, void *ud)
{
	struct fcgi_event ev;
	memset(&ev, 0, sizeof ev);
	ev.id = p->id;
	ev.max_conns = ev.max_reqs = ev.mpxs_conns = -1;
	p->state = FCGI_P_HEADER;
	p->have = 0;
	switch (p->type) {
	case FCGI_STDOUT:
		if (p->header[4] || p->header[5]) /* only the empty STDOUT is reported here */
			return 0;
		ev.type = FCGI_EV_STDOUT;
		ev.data = "";
		break;
	case FCGI_STDERR:
		return 0;
	case FCGI_END_REQUEST:
		ev.type = FCGI_EV_END;
		ev.app_status = ((uint32_t)p->small[0] << 24) | ((uint32_t)p->small[1] << 16) |
		                ((uint32_t)p->small[2] << 8) | p->small[3];
		ev.protocol_status = p->small[4];
		break;
	case FCGI_GET_VALUES_RESULT:
		ev.type = FCGI_EV_VALUES;
		parse_values(p->small, p->small_len, &ev);
		break;
	default:
		ev.type = FCGI_EV_UNKNOWN;
		ev.record_type = p->type;
		break;
	}
	return cb(ud, &ev);
}

/* The header in p->header is complete: check it and set up for the content. */
static int header_done(struct fcgi_parser *p)
{
	const FCGI_Header *h = (const FCGI_Header *)(const void *)p->header;
	if (h->version != FCGI_VERSION_1)
		return fail(p, "FastCGI record with a version other than 1");
	p->type = h->type;
	p->id = (uint16_t)((h->requestIdB1 << 8) | h->requestIdB0);
	p->content_left = ((size_t)h->contentLengthB1 << 8) | h->contentLengthB0;
	p->padding_left = h->paddingLength;
	p->small_len = 0;
	if (p->type == FCGI_END_REQUEST && p->content_left < sizeof(FCGI_EndRequestBody))
		return fail(p, "FastCGI END_REQUEST body shorter than 8 bytes");
	p->state = p->content_left ? FCGI_P_CONTENT : FCGI_P_PADDING;
	return 0;
}

int fcgi_parse(struct fcgi_parser *p, const char *data, size_t len, fcgi_event_cb cb, void *ud)
{
	const char *end = data + len;
	int rc;
	if (p->state == FCGI_P_ERROR)
		return -1;
	while (data < end || (p->state == FCGI_P_PADDING && p->padding_left == 0)) {
		switch (p->state) {
		case FCGI_P_HEADER: {
			size_t n = sizeof p->header - p->have;
			if (n > (size_t)(end - data))
				n = (size_t)(end - data);
			memcpy(p->header + p->have, data, n);
			p->have += n;
			data += n;
			if (p->have == sizeof p->header && header_done(p) < 0)
				return -1;
			break;
		}
		case FCGI_P_CONTENT: {
			size_t n = p->content_left;
			if (n > (size_t)(end - data))
				n = (size_t)(end - data);
			p->content_left -= n;
			if (!p->content_left)
				p->state = FCGI_P_PADDING;
			if (p->type == FCGI_STDOUT || p->type == FCGI_STDERR) {
				struct fcgi_event ev;
				memset(&ev, 0, sizeof ev);
				ev.type = p->type == FCGI_STDOUT ? FCGI_EV_STDOUT : FCGI_EV_STDERR;
				ev.id = p->id;
				ev.data = data;
				ev.len = n;
				ev.max_conns = ev.max_reqs = ev.mpxs_conns = -1;
				data += n;
				if ((rc = cb(ud, &ev)) != 0)
					return rc;
				break;
			}
			if (p->type == FCGI_END_REQUEST || p->type == FCGI_GET_VALUES_RESULT) {
				size_t keep = sizeof p->small - p->small_len;
				if (keep > n)
					keep = n;
				memcpy(p->small + p->small_len, data, keep);
				p->small_len += keep;
			}
			data += n;
			break;
		}
		case FCGI_P_PADDING: {
			size_t n = p->padding_left;
			if (n > (size_t)(end - data))
				n = (size_t)(end - data);
			p->padding_left -= n;
			data += n;
			if (!p->padding_left && (rc = record_done(p, cb, ud)) != 0)
				return rc;
			break;
		}
		case FCGI_P_ERROR:
			return -1;
		}
	}
	return 0;
}
