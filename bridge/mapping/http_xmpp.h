/* http_xmpp.h - XEP-0332 HTTP over XMPP: <req> -> CGI request, CGI response -> <resp> (pure).
 *
 * Owns the XEP-0332 wire format and nothing else: parsing an inbound <req> (method,
 * resource, version, XEP-0131 headers, <data> as <text>, <xml> or <base64>), the CGI
 * variables such a request adds to the ordinary environment, and the iq result holding
 * <resp> built from a handler's response. No I/O; libxml2 parses and serializes.
 * http_xmpp.c implements the request side, http_resp.c the response side.
 *
 * slixmpp (1.8, Debian bookworm) names the elements <request>/<response> instead of
 * <req>/<resp>; both are accepted, and the answer mirrors the name the client used. */
#ifndef XC_HTTP_XMPP_H
#define XC_HTTP_XMPP_H

#include <stddef.h>

#include "buf.h"
#include "config.h"
#include "reply.h"
#include "response.h"

#define HTTP_XMPP_NS "urn:xmpp:http"
#define HTTP_SHIM_NS "http://jabber.org/protocol/shim"

#define HTTP_MAX_HEADERS 100
#define HTTP_MAX_HEADER_NAME 256
#define HTTP_MAX_HEADER_VALUE 8192
#define HTTP_MAX_RESOURCE 8192

/* http_req_parse results. */
#define HTTP_REQ_YES 1    /* an XEP-0332 request, *out filled */
#define HTTP_REQ_NO 0     /* not one: an ordinary stanza */
#define HTTP_REQ_BAD (-1) /* a malformed request: answer bad-request with *why */
#define HTTP_REQ_UNSUPPORTED                                                                       \
	(-2) /* chunkedBase64, ibb, sipub or jingle data:                                              \
	       answer feature-not-implemented with *why */

enum http_body_kind { HTTP_BODY_NONE, HTTP_BODY_TEXT, HTTP_BODY_XML, HTTP_BODY_BASE64 };

struct http_req {
	char *method;       /* an HTTP token, case as sent */
	char *path;         /* the resource up to '?', starts with '/', raw (not decoded) */
	char *query;        /* after the first '?', "" when none, raw */
	char *version;      /* "1.1": one digit, '.', one digit */
	struct kv *headers; /* as sent, in order; names are tokens, values trimmed */
	size_t n_headers;
	struct buf body; /* <text> as UTF-8, <xml> serialized, <base64> decoded */
	enum http_body_kind body_kind;
	const char *resp_name; /* "resp", or "response" when the client sent <request> */
};

/* iq_xml: the inbound stanza as a standalone document. Returns one of HTTP_REQ_*; on
 * HTTP_REQ_YES *out must be released with http_req_free, otherwise it is left empty. */
int http_req_parse(const char *iq_xml, size_t len, struct http_req *out, const char **why);
void http_req_free(struct http_req *r);

/* The CGI variables the request adds to or replaces in the ordinary environment:
 * REQUEST_METHOD, PATH_INFO (route_path_info joined to the path without "//"),
 * QUERY_STRING, REQUEST_URI and DOCUMENT_URI (the route's path in URI form, then the path
 * and query as sent), CONTENT_TYPE, CONTENT_LENGTH, SERVER_PROTOCOL=HTTP/<version>, then one
 * HTTP_<NAME> per other header. CONTENT_TYPE is always listed and may be "" (no type
 * known: drop or leave it empty). Header names that map to one variable are joined
 * with ", " ("; " for Cookie). Proxy (httpoxy) and the client's Content-Length are
 * dropped. Returns 0 and a malloc'd array (free with http_env_free), or -1 with *why. */
int http_req_env(const struct http_req *r, const char *route_path_info, struct kv **vars, size_t *n,
                 const char **why);
void http_env_free(struct kv *vars, size_t n);

/* The iq result carrying <resp statusCode statusMessage version> with the handler's
 * headers (plus Content-Length) and its body in <data>: <xml> for well-formed XML types,
 * <text> for text types that are valid XML text, <base64> otherwise. NULL if the target
 * is not an iq get/set or on allocation failure. req (may be NULL) supplies the element
 * name and version to mirror. */
char *http_resp_build_for(const struct reply_target *t, const struct cgi_response *resp,
                          const struct http_req *req);
char *http_resp_build(const struct reply_target *t, const struct cgi_response *resp);

/* The standard reason phrase of an HTTP status code, or NULL if it has none. */
const char *http_reason_phrase(int status);

#endif
