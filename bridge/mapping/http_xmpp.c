/* http_xmpp.c - XEP-0332 HTTP over XMPP: the request side (pure; see http_xmpp.h, and
 * http_resp.c for the response side).
 *
 * Owns: recognizing and validating <req> (the XEP-0332 schema plus the rules a web
 * server applies: token methods and header names, no control characters, bounded
 * header counts and sizes), strict base64 decoding, and the request's CGI variables
 * (RFC 3875 4.1.18 naming, httpoxy, joined duplicates). */
#include "http_xmpp.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "request.h"
#include "stanza_build.h"

/* ---- small helpers ---- */

static bool is_tchar(unsigned char c) { return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c)); }

static bool is_token(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!is_tchar((unsigned char)*s))
			return false;
	return true;
}

static bool el_is(xmlNodePtr n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 &&
	       (ns ? (n->ns && strcmp((const char *)n->ns->href, ns) == 0) : true);
}

/* True if n has element children, or (when text_too) non-whitespace text children. */
static bool has_foreign_children(xmlNodePtr n, bool text_too)
{
	for (xmlNodePtr c = n->children; c; c = c->next) {
		if (c->type == XML_ELEMENT_NODE)
			return true;
		if (text_too && (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
		    !xmlIsBlankNode(c))
			return true;
	}
	return false;
}

static char *attr_dup(xmlNodePtr n, const char *name)
{
	xmlChar *v = xmlGetNoNsProp(n, BAD_CAST name);
	char *s = v ? strdup((const char *)v) : NULL;
	xmlFree(v);
	return s;
}

/* ---- base64 (RFC 4648 section 4, as xs:base64Binary: whitespace allowed) ---- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(unsigned char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

/* Strict: padding required, nothing after it, unused bits zero. 0 or -1. */
static int b64_decode(const char *s, struct buf *out)
{
	int q[4], nq = 0, pad = 0;
	bool done = false;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		unsigned char bytes[3];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (done)
			return -1;
		if (c == '=') {
			if (nq < 2)
				return -1;
			pad++;
			q[nq++] = 0;
		} else {
			if (pad || (q[nq] = b64_value(c)) < 0)
				return -1;
			nq++;
		}
		if (nq < 4)
			continue;
		if ((pad == 2 && (q[1] & 0x0F)) || (pad == 1 && (q[2] & 0x03)))
			return -1; /* non-zero bits under the padding */
		bytes[0] = (unsigned char)(q[0] << 2 | q[1] >> 4);
		bytes[1] = (unsigned char)((q[1] & 0x0F) << 4 | q[2] >> 2);
		bytes[2] = (unsigned char)((q[2] & 0x03) << 6 | q[3]);
		if (buf_append(out, bytes, 3 - (size_t)pad) != 0)
			return -1;
		done = pad > 0;
		nq = 0;
	}
	return nq == 0 ? 0 : -1;
}

/* ---- <req> ---- */

void http_req_free(struct http_req *r)
{
	free(r->method);
	free(r->path);
	free(r->query);
	free(r->version);
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->headers);
	buf_free(&r->body);
	memset(r, 0, sizeof *r);
}

static int parse_resource(struct http_req *r, const char *res, const char **why)
{
	const char *q;
	if (!res || res[0] != '/') {
		*why = "resource must be a path starting with '/'";
		return -1;
	}
	if (strlen(res) > HTTP_MAX_RESOURCE) {
		*why = "resource too long";
		return -1;
	}
	for (const unsigned char *p = (const unsigned char *)res; *p; p++) {
		if (*p <= 0x20 || *p == 0x7F) {
			*why = "resource holds a space or control character";
			return -1;
		}
	}
	q = strchr(res, '?');
	r->path = q ? strndup(res, (size_t)(q - res)) : strdup(res);
	r->query = strdup(q ? q + 1 : "");
	if (!r->path || !r->query) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

static bool version_ok(const char *v)
{
	return v && isdigit((unsigned char)v[0]) && v[1] == '.' && isdigit((unsigned char)v[2]) &&
	       !v[3];
}

/* Header value: trimmed of whitespace; refused if it holds CR, LF or another control
 * character but HTAB (RFC 9110 5.5). Returns malloc'd value or NULL with *why. */
static char *header_value(xmlNodePtr h, const char **why)
{
	xmlChar *raw = xmlNodeGetContent(h);
	const char *s = raw ? (const char *)raw : "";
	size_t len;
	char *v = NULL;
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len &&
	       (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (len > HTTP_MAX_HEADER_VALUE) {
		*why = "header value too long";
		goto out;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7F) {
			*why = "header value holds a control character";
			goto out;
		}
	}
	if (!(v = strndup(s, len)))
		*why = "out of memory";
out:
	xmlFree(raw);
	return v;
}

static int parse_headers(struct http_req *r, xmlNodePtr headers, const char **why)
{
	for (xmlNodePtr h = headers->children; h; h = h->next) {
		char *name, *value;
		struct kv *grown;
		if (h->type != XML_ELEMENT_NODE)
			continue;
		if (!el_is(h, HTTP_SHIM_NS, "header") || has_foreign_children(h, false)) {
			*why = "headers may hold only <header> elements with text";
			return -1;
		}
		if (r->n_headers == HTTP_MAX_HEADERS) {
			*why = "too many headers";
			return -1;
		}
		name = attr_dup(h, "name");
		if (!is_token(name) || strlen(name) > HTTP_MAX_HEADER_NAME) {
			free(name);
			*why = "header name is missing or not an HTTP token";
			return -1;
		}
		if (!(value = header_value(h, why))) {
			free(name);
			return -1;
		}
		grown = realloc(r->headers, (r->n_headers + 1) * sizeof *grown);
		if (!grown) {
			free(name);
			free(value);
			*why = "out of memory";
			return -1;
		}
		r->headers = grown;
		r->headers[r->n_headers].name = name;
		r->headers[r->n_headers++].value = value;
	}
	return 0;
}

/* The element child of <xml>, serialized on its own with every namespace it uses. */
static int serialize_xml_data(xmlNodePtr el, struct buf *out)
{
	xmlDocPtr d = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr copy = d ? xmlDocCopyNode(el, d, 1) : NULL;
	xmlBufferPtr b = NULL;
	int rc = -1;
	if (!copy)
		goto out;
	xmlDocSetRootElement(d, copy);
	xmlReconciliateNs(d, copy);
	b = xmlBufferCreate();
	if (b && xmlNodeDump(b, d, copy, 0, 0) >= 0)
		rc = buf_append(out, xmlBufferContent(b), (size_t)xmlBufferLength(b));
out:
	xmlBufferFree(b);
	xmlFreeDoc(d);
	return rc;
}

static int parse_data(struct http_req *r, xmlNodePtr data, const char **why)
{
	xmlNodePtr c = stanza_first_element(data->children);
	const char *n;
	xmlChar *content;
	int rc = 0;

	if (c && stanza_first_element(c->next)) {
		*why = "data must hold exactly one of text, xml or base64";
		return HTTP_REQ_BAD;
	}
	for (xmlNodePtr t = data->children; t; t = t->next) {
		if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) && !xmlIsBlankNode(t)) {
			*why = "data must hold exactly one of text, xml or base64";
			return HTTP_REQ_BAD;
		}
	}
	if (!c)
		return 0; /* <data/>: no body */
	n = (const char *)c->name;
	if (!strcmp(n, "chunkedBase64") || !strcmp(n, "ibb") || !strcmp(n, "sipub") ||
	    !strcmp(n, "jingle")) {
		*why = "unsupported data transfer";
		return HTTP_REQ_UNSUPPORTED;
	}
	if (!c->ns || strcmp((const char *)c->ns->href, HTTP_XMPP_NS) != 0 ||
	    (strcmp(n, "text") && strcmp(n, "xml") && strcmp(n, "base64"))) {
		*why = "data must hold exactly one of text, xml or base64";
		return HTTP_REQ_BAD;
	}
	if (!strcmp(n, "xml")) {
		xmlNodePtr el = stanza_first_element(c->children);
		r->body_kind = HTTP_BODY_XML;
		for (xmlNodePtr t = c->children; t; t = t->next) {
			if ((t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE) &&
			    !xmlIsBlankNode(t)) {
				*why = "xml data holds text outside its element";
				return HTTP_REQ_BAD;
			}
		}
		if (el && stanza_first_element(el->next)) {
			*why = "xml data must hold a single element";
			return HTTP_REQ_BAD;
		}
		if (el && serialize_xml_data(el, &r->body) != 0) {
			*why = "out of memory";
			return HTTP_REQ_BAD;
		}
		return 0;
	}
	if (has_foreign_children(c, false)) {
		*why = "text and base64 data may hold only text";
		return HTTP_REQ_BAD;
	}
	content = xmlNodeGetContent(c);
	if (!strcmp(n, "text")) {
		r->body_kind = HTTP_BODY_TEXT;
		if (content && buf_puts(&r->body, (const char *)content) != 0) {
			*why = "out of memory";
			rc = HTTP_REQ_BAD;
		}
	} else {
		r->body_kind = HTTP_BODY_BASE64;
		if (b64_decode(content ? (const char *)content : "", &r->body) != 0) {
			*why = "invalid base64 data";
			rc = HTTP_REQ_BAD;
		}
	}
	xmlFree(content);
	return rc;
}

static int parse_req(struct http_req *r, xmlNodePtr req, const char **why)
{
	char *resource;
	bool seen_headers = false, seen_data = false;

	r->resp_name = strcmp((const char *)req->name, "request") == 0 ? "response" : "resp";
	r->method = attr_dup(req, "method");
	if (!is_token(r->method)) {
		*why = "method is missing or not an HTTP token";
		return HTTP_REQ_BAD;
	}
	resource = attr_dup(req, "resource");
	if (parse_resource(r, resource, why) != 0) {
		free(resource);
		return HTTP_REQ_BAD;
	}
	free(resource);
	r->version = attr_dup(req, "version");
	if (!version_ok(r->version)) {
		*why = "version is missing or not of the form digit.digit";
		return HTTP_REQ_BAD;
	}
	for (xmlNodePtr c = req->children; c; c = c->next) {
		if (el_is(c, HTTP_SHIM_NS, "headers")) {
			if (seen_headers) {
				*why = "more than one headers element";
				return HTTP_REQ_BAD;
			}
			seen_headers = true;
			if (parse_headers(r, c, why) != 0)
				return HTTP_REQ_BAD;
		} else if (el_is(c, HTTP_XMPP_NS, "data")) {
			int rc;
			if (seen_data) {
				*why = "more than one data element";
				return HTTP_REQ_BAD;
			}
			seen_data = true;
			if ((rc = parse_data(r, c, why)) != 0)
				return rc;
		}
		/* anything else is ignored, as unknown extensions are */
	}
	return HTTP_REQ_YES;
}

int http_req_parse(const char *iq_xml, size_t len, struct http_req *out, const char **why)
{
	xmlDocPtr d;
	xmlNodePtr root, req;
	int rc = HTTP_REQ_NO;

	memset(out, 0, sizeof *out);
	*why = NULL;
	/* Cheap refusal of ordinary stanzas: the namespace must appear literally. */
	if (len > INT_MAX || !memmem(iq_xml, len, HTTP_XMPP_NS, strlen(HTTP_XMPP_NS)))
		return HTTP_REQ_NO;
	d = xmlReadMemory(iq_xml, (int)len, NULL, NULL,
	                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!d)
		return HTTP_REQ_NO;
	root = xmlDocGetRootElement(d);
	req = root && el_is(root, NULL, "iq") ? stanza_first_element(root->children) : NULL;
	if (req && (el_is(req, HTTP_XMPP_NS, "req") || el_is(req, HTTP_XMPP_NS, "request"))) {
		rc = parse_req(out, req, why);
		if (rc != HTTP_REQ_YES)
			http_req_free(out);
	}
	xmlFreeDoc(d);
	return rc;
}

/* ---- CGI variables ---- */

struct env_list {
	struct kv *v;
	size_t n;
};

void http_env_free(struct kv *vars, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(vars[i].name);
		free(vars[i].value);
	}
	free(vars);
}

static struct kv *env_find(struct env_list *e, const char *name)
{
	for (size_t i = 0; i < e->n; i++)
		if (strcmp(e->v[i].name, name) == 0)
			return &e->v[i];
	return NULL;
}

/* Adds name=value, or appends sep + value to an existing name when sep is given. */
static int env_put(struct env_list *e, const char *name, const char *value, const char *sep)
{
	struct kv *have = sep ? env_find(e, name) : NULL, *grown;
	if (have) {
		size_t a = strlen(have->value), b = strlen(sep), c = strlen(value);
		char *joined = realloc(have->value, a + b + c + 1);
		if (!joined)
			return -1;
		memcpy(joined + a, sep, b);
		memcpy(joined + a + b, value, c + 1);
		have->value = joined;
		return 0;
	}
	grown = realloc(e->v, (e->n + 1) * sizeof *grown);
	if (!grown)
		return -1;
	e->v = grown;
	grown[e->n].name = strdup(name);
	grown[e->n].value = strdup(value);
	if (!grown[e->n].name || !grown[e->n].value) {
		free(grown[e->n].name);
		free(grown[e->n].value);
		return -1;
	}
	e->n++;
	return 0;
}

static char *join_path(const char *base, const char *path)
{
	size_t bl = base ? strlen(base) : 0;
	char *out;
	while (bl && base[bl - 1] == '/')
		bl--; /* path starts with '/': no "//" at the junction */
	out = malloc(bl + strlen(path) + 1);
	if (out) {
		if (bl)
			memcpy(out, base, bl);
		strcpy(out + bl, path);
	}
	return out;
}

int http_req_env(const struct http_req *r, const char *route_path_info, struct kv **vars, size_t *n,
                 const char **why)
{
	struct env_list e = {NULL, 0};
	const char *ctype = NULL;
	char num[32], *path_info = NULL, *proto = NULL, *uri = NULL, *doc_uri = NULL;

	*vars = NULL;
	*n = 0;
	*why = "out of memory";
	for (size_t i = 0; i < r->n_headers; i++) {
		if (strcasecmp(r->headers[i].name, "Content-Type") != 0)
			continue;
		if (ctype) {
			*why = "more than one Content-Type header";
			return -1;
		}
		ctype = r->headers[i].value;
	}
	if (!ctype) /* RFC 3875 4.1.3: the server may supply the type it knows */
		ctype = r->body_kind == HTTP_BODY_XML    ? "application/xml"
		        : r->body_kind == HTTP_BODY_TEXT ? "text/plain; charset=utf-8"
		                                         : "";
	snprintf(num, sizeof num, "%zu", r->body.len);
	path_info = join_path(route_path_info, r->path);
	if (path_info && (proto = malloc(strlen(r->version) + 6)))
		sprintf(proto, "HTTP/%s", r->version);
	if (path_info) { /* the route's part is a decoded path, the rest is as sent */
		char *route_part = strndup(path_info, strlen(path_info) - strlen(r->path));
		if (route_part) {
			uri = request_uri(route_part, r->path, r->query);
			doc_uri = request_uri(route_part, r->path, NULL);
		}
		free(route_part);
	}
	if (!path_info || !proto || !uri || !doc_uri ||
	    env_put(&e, "REQUEST_METHOD", r->method, NULL) ||
	    env_put(&e, "PATH_INFO", path_info, NULL) || env_put(&e, "QUERY_STRING", r->query, NULL) ||
	    env_put(&e, "REQUEST_URI", uri, NULL) || env_put(&e, "DOCUMENT_URI", doc_uri, NULL) ||
	    env_put(&e, "CONTENT_TYPE", ctype, NULL) || env_put(&e, "CONTENT_LENGTH", num, NULL) ||
	    env_put(&e, "SERVER_PROTOCOL", proto, NULL))
		goto fail;
	for (size_t i = 0; i < r->n_headers; i++) {
		const char *hn = r->headers[i].name;
		char name[HTTP_MAX_HEADER_NAME + 6];
		size_t k = 5;
		if (!strcasecmp(hn, "Content-Type") || !strcasecmp(hn, "Content-Length"))
			continue;
		memcpy(name, "HTTP_", 5);
		for (; *hn && k < sizeof name - 1; hn++)
			name[k++] = isalnum((unsigned char)*hn) ? (char)toupper((unsigned char)*hn) : '_';
		name[k] = '\0';
		if (strcmp(name, "HTTP_PROXY") == 0)
			continue; /* httpoxy: never let a client set HTTP_PROXY */
		if (env_put(&e, name, r->headers[i].value,
		            strcmp(name, "HTTP_COOKIE") == 0 ? "; " : ", ") != 0)
			goto fail;
	}
	free(path_info);
	free(proto);
	free(uri);
	free(doc_uri);
	*vars = e.v;
	*n = e.n;
	*why = NULL;
	return 0;
fail:
	free(path_info);
	free(proto);
	free(uri);
	free(doc_uri);
	http_env_free(e.v, e.n);
	return -1;
}
