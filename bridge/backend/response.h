/* response.h - the CGI response parser shared by every kind of handler (pure).
 *
 * Bytes go in as they arrive, from a pipe or from FastCGI STDOUT records, split
 * anywhere; out comes the status, the headers that matter and the body. It follows
 * RFC 3875 as lighttpd and nginx apply it: LF or CRLF, Status defaulting to 200 (302
 * with Location), NPH status lines tolerated, and a hard limit on the header block. */
#ifndef XC_RESPONSE_H
#define XC_RESPONSE_H

#include <stddef.h>

#include "buf.h"

#define RESP_MAX_HEADER_BLOCK (64 * 1024)
#define RESP_MAX_HEADERS 100

enum resp_state { RESP_HEADERS, RESP_BODY, RESP_DONE, RESP_ERROR };

enum resp_error {
	RESP_OK,
	RESP_E_HEADER_TOO_LARGE,
	RESP_E_NO_COLON,
	RESP_E_CONTINUATION,
	RESP_E_BAD_STATUS,
	RESP_E_NO_CGI_HEADER,
	RESP_E_INCOMPLETE,
	RESP_E_TOO_LARGE,
	RESP_E_TOO_MANY_HEADERS,
	RESP_E_NUL,
};

struct resp_header {
	char *name;
	char *value;
};

struct cgi_response {
	enum resp_state state;
	enum resp_error error;
	size_t max_total; /* limit on everything read: header block and body */
	size_t total;
	size_t scan; /* where the search for the blank line resumes */
	int status;
	char *status_text;           /* reason phrase, may be NULL */
	char *content_type;          /* may be NULL */
	char *location;              /* may be NULL */
	struct resp_header *headers; /* every header but Status, in order */
	size_t n_headers;
	struct buf head;
	struct buf body;
};

void response_init(struct cgi_response *r, size_t max_total);
/* Returns the state after consuming data: RESP_HEADERS/RESP_BODY (want more) or RESP_ERROR. */
enum resp_state response_feed(struct cgi_response *r, const char *data, size_t len);
/* End of output. Returns RESP_DONE or RESP_ERROR. */
enum resp_state response_finish(struct cgi_response *r);
const char *response_error_text(enum resp_error e);
void response_free(struct cgi_response *r);

#endif
