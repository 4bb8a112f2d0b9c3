/* fcgi_record.h - FastCGI records: encoding requests and resumable decoding (pure).
 *
 * The wire definitions come from libfcgi's fastcgi.h; the record layer is ours, since
 * no FastCGI client library exists. Encoders append to a struct buf and never write a
 * malformed record: every name and value is capped (FCGI_MAX_NV) and every record's
 * content is at most 65535 bytes. The decoder takes bytes split anywhere, resumes, and
 * reports records as events; stream content is passed through without copying. */
#ifndef XC_FCGI_RECORD_H
#define XC_FCGI_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define FCGI_MAX_NV (64 * 1024)     /* cap on one encoded name or value */
#define FCGI_MAX_STREAM_CHUNK 32768 /* content bytes per STDIN record */
#define FCGI_MAX_VALUES_BODY 4096   /* GET_VALUES_RESULT bodies kept, the rest skipped */

/* Encoders return 0, or -1 (out of memory, or a name/value over FCGI_MAX_NV). */
int fcgi_encode_begin(struct buf *out, uint16_t id, int keep_conn);
/* vars: "NAME=VALUE" strings; writes PARAMS records and the closing empty PARAMS. */
int fcgi_encode_params(struct buf *out, uint16_t id, char *const *vars, size_t n);
/* STDIN content split into records, then the closing empty STDIN. */
int fcgi_encode_stdin(struct buf *out, uint16_t id, const char *data, size_t len);
/* FCGI_GET_VALUES asking FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS. */
int fcgi_encode_get_values(struct buf *out);
int fcgi_encode_abort(struct buf *out, uint16_t id);

enum fcgi_event_type {
	FCGI_EV_STDOUT,  /* data/len: a piece of STDOUT content (len 0: end of stream) */
	FCGI_EV_STDERR,  /* data/len: a piece of STDERR content */
	FCGI_EV_END,     /* app_status, protocol_status */
	FCGI_EV_VALUES,  /* max_conns, max_reqs, mpxs_conns (-1 where not given) */
	FCGI_EV_UNKNOWN, /* a record type we do not handle (reported, then skipped) */
};

struct fcgi_event {
	enum fcgi_event_type type;
	uint16_t id;
	const char *data;
	size_t len;
	uint32_t app_status;
	uint8_t protocol_status;
	long max_conns, max_reqs, mpxs_conns;
	uint8_t record_type; /* for FCGI_EV_UNKNOWN */
};

/* Returns 0 to continue, non-zero to stop parsing (fcgi_parse then returns that). */
typedef int (*fcgi_event_cb)(void *ud, const struct fcgi_event *ev);

enum fcgi_parse_state { FCGI_P_HEADER, FCGI_P_CONTENT, FCGI_P_PADDING, FCGI_P_ERROR };

struct fcgi_parser {
	enum fcgi_parse_state state;
	unsigned char header[8];
	size_t have; /* header bytes collected */
	uint8_t type;
	uint16_t id;
	size_t content_left;
	size_t padding_left;
	unsigned char small[FCGI_MAX_VALUES_BODY]; /* END_REQUEST / GET_VALUES_RESULT body */
	size_t small_len;
	const char *error; /* set in FCGI_P_ERROR */
};

void fcgi_parser_init(struct fcgi_parser *p);
/* Returns 0 when all bytes were consumed, -1 on a protocol error (p->error says which;
 * the connection must be closed), or the callback's non-zero value. */
int fcgi_parse(struct fcgi_parser *p, const char *data, size_t len, fcgi_event_cb cb, void *ud);
/* True between records (not inside one): a close there is clean. */
int fcgi_parser_idle(const struct fcgi_parser *p);

#endif
