/* response.c - incremental CGI response parsing (pure; see response.h).
 *
 * The header block is collected until its blank line, then parsed in one pass; the
 * body is appended as it comes. Nothing is interpreted before the block is complete,
 * so a split at any byte gives the same result as one whole read. */
#include "response.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void response_init(struct cgi_response *r, size_t max_total)
{
	memset(r, 0, sizeof *r);
	r->state = RESP_HEADERS;
	r->max_total = max_total;
}

void response_free(struct cgi_response *r)
{
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	free(r->status_text);
	free(r->content_type);
	free(r->location);
	buf_free(&r->head);
	buf_free(&r->body);
	memset(r, 0, sizeof *r);
}

const char *response_error_text(enum resp_error e)
{
	switch (e) {
	case RESP_OK:
		return "no error";
	case RESP_E_HEADER_TOO_LARGE:
		return "header block over 64 KiB";
	case RESP_E_NO_COLON:
		return "header line without a colon";
	case RESP_E_CONTINUATION:
		return "header continuation lines are not allowed";
	case RESP_E_BAD_STATUS:
		return "Status is not a number from 100 to 599";
	case RESP_E_NO_CGI_HEADER:
		return "none of Content-Type, Location or Status in the header";
	case RESP_E_INCOMPLETE:
		return "output ended before the end of the header block";
	case RESP_E_TOO_LARGE:
		return "output over the size limit";
	case RESP_E_TOO_MANY_HEADERS:
		return "too many header lines";
	case RESP_E_NUL:
		return "NUL byte in the header block";
	}
	return "unknown error";
}

static enum resp_state fail(struct cgi_response *r, enum resp_error e)
{
	r->state = RESP_ERROR;
	r->error = e;
	return r->state;
}

/* "NNN reason" -> status; false when not three digits in range. */
static int parse_status(const char *v, int *status, char **text)
{
	int n;
	if (!isdigit((unsigned char)v[0]) || !isdigit((unsigned char)v[1]) ||
	    !isdigit((unsigned char)v[2]) || (v[3] && v[3] != ' ' && v[3] != '\t'))
		return -1;
	n = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
	if (n < 100 || n > 599)
		return -1;
	*status = n;
	v += 3;
	while (*v == ' ' || *v == '\t')
		v++;
	free(*text);
	*text = *v ? strdup(v) : NULL;
	return 0;
}

static char *trimmed_dup(const char *s, size_t len)
{
	while (len && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return strndup(s, len);
}

static enum resp_state parse_line(struct cgi_response *r, char *line, size_t len, int first,
                                  int *have_cgi_header)
{
	char *colon, *name, *value;
	struct resp_header *grown;

	if (first && len > 9 && strncmp(line, "HTTP/1.", 7) == 0) {
		/* NPH status line: "HTTP/1.1 404 Not Found" */
		line[len] = '\0';
		if (parse_status(line + 9, &r->status, &r->status_text) != 0)
			return fail(r, RESP_E_BAD_STATUS);
		*have_cgi_header = 1;
		return r->state;
	}
	if (line[0] == ' ' || line[0] == '\t')
		return fail(r, RESP_E_CONTINUATION);
	colon = memchr(line, ':', len);
	if (!colon || colon == line)
		return fail(r, RESP_E_NO_COLON);
	name = trimmed_dup(line, (size_t)(colon - line));
	value = trimmed_dup(colon + 1, len - (size_t)(colon - line) - 1);
	if (!name || !value)
		goto oom;
	if (strcasecmp(name, "Status") == 0) {
		int rc = parse_status(value, &r->status, &r->status_text);
		free(name);
		free(value);
		if (rc != 0)
			return fail(r, RESP_E_BAD_STATUS);
		*have_cgi_header = 1;
		return r->state;
	}
	if (strcasecmp(name, "Content-Type") == 0) {
		free(r->content_type);
		r->content_type = strdup(value);
		*have_cgi_header = 1;
	} else if (strcasecmp(name, "Location") == 0) {
		free(r->location);
		r->location = strdup(value);
		*have_cgi_header = 1;
	}
	if (r->n_headers == RESP_MAX_HEADERS) {
		free(name);
		free(value);
		return fail(r, RESP_E_TOO_MANY_HEADERS);
	}
	grown = realloc(r->headers, (r->n_headers + 1) * sizeof *grown);
	if (!grown)
		goto oom;
	r->headers = grown;
	r->headers[r->n_headers].name = name;
	r->headers[r->n_headers++].value = value;
	return r->state;
oom:
	free(name);
	free(value);
	return fail(r, RESP_E_TOO_LARGE);
}

/* Parses head->data[0..end) (the lines before the blank line). */
static enum resp_state parse_block(struct cgi_response *r, size_t end)
{
	char *p = r->head.data, *stop = r->head.data + end;
	int have_cgi_header = 0, first = 1;
	r->status = 0;
	/* header text is handled as C strings: a NUL would cut a name or value short */
	if (memchr(p, '\0', end))
		return fail(r, RESP_E_NUL);
	while (p < stop) {
		char *nl = memchr(p, '\n', (size_t)(stop - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(stop - p);
		if (len && p[len - 1] == '\r')
			len--;
		if (parse_line(r, p, len, first, &have_cgi_header) == RESP_ERROR)
			return r->state;
		first = 0;
		p = nl ? nl + 1 : stop;
	}
	if (!have_cgi_header)
		return fail(r, RESP_E_NO_CGI_HEADER);
	if (!r->status)
		r->status = r->location ? 302 : 200;
	return r->state;
}

/* Looks for the blank line from r->scan; on success splits head into block and body. */
static enum resp_state try_header_end(struct cgi_response *r)
{
	char *d = r->head.data;
	size_t i;
	/* A response starting with a blank line has an empty header block. */
	if (d[0] == '\n' || (d[0] == '\r' && r->head.len > 1 && d[1] == '\n'))
		return fail(r, RESP_E_NO_CGI_HEADER);
	for (i = r->scan; i < r->head.len; i++) {
		size_t body_at;
		if (d[i] != '\n')
			continue;
		/* line starts at i + 1; blank if it is "\n" or "\r\n" */
		if (i + 1 < r->head.len && d[i + 1] == '\n')
			body_at = i + 2;
		else if (i + 2 < r->head.len && d[i + 1] == '\r' && d[i + 2] == '\n')
			body_at = i + 3;
		else if (i + 1 >= r->head.len || (d[i + 1] == '\r' && i + 2 >= r->head.len)) {
			break; /* undecided until more arrives */
		} else
			continue;
		/* the limit holds however the output was split into reads */
		if (body_at > RESP_MAX_HEADER_BLOCK)
			return fail(r, RESP_E_HEADER_TOO_LARGE);
		if (parse_block(r, i + 1) == RESP_ERROR)
			return r->state;
		if (buf_append(&r->body, d + body_at, r->head.len - body_at))
			return fail(r, RESP_E_TOO_LARGE);
		r->head.len = i + 1;
		r->state = RESP_BODY;
		return r->state;
	}
	r->scan = i;
	if (r->head.len > RESP_MAX_HEADER_BLOCK)
		return fail(r, RESP_E_HEADER_TOO_LARGE);
	return r->state;
}

enum resp_state response_feed(struct cgi_response *r, const char *data, size_t len)
{
	if (r->state == RESP_ERROR || r->state == RESP_DONE)
		return r->state;
	r->total += len;
	if (r->total > r->max_total)
		return fail(r, RESP_E_TOO_LARGE);
	if (r->state == RESP_BODY) {
		if (buf_append(&r->body, data, len))
			return fail(r, RESP_E_TOO_LARGE);
		return r->state;
	}
	if (buf_append(&r->head, data, len))
		return fail(r, RESP_E_TOO_LARGE);
	return try_header_end(r);
}

enum resp_state response_finish(struct cgi_response *r)
{
	if (r->state == RESP_HEADERS)
		return fail(r, RESP_E_INCOMPLETE);
	if (r->state == RESP_BODY)
		r->state = RESP_DONE;
	return r->state;
}
