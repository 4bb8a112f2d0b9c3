/* http_resp.c - XEP-0332 HTTP over XMPP: a handler's response -> <resp> (pure; see
 * http_xmpp.h, which declares both halves; http_xmpp.c owns the request side).
 *
 * Owns: the iq result holding <resp statusCode statusMessage version>, the handler's
 * headers as XEP-0131 headers with the real Content-Length, the choice of body encoding
 * (<xml>, <text> or <base64>), base64 encoding and the standard reason phrases. The iq
 * envelope, cleaned text and the parsed <xml> payload come from stanza_build.h, so
 * nothing a handler prints can make the bridge write a stanza the server would reject. */
#include "http_xmpp.h"

#include <libxml/tree.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode(const unsigned char *p, size_t len)
{
	char *out = malloc((len + 2) / 3 * 4 + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64_alphabet[v >> 18 & 63];
		*o++ = b64_alphabet[v >> 12 & 63];
		*o++ = i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	*o = '\0';
	return out;
}

static const struct {
	int code;
	const char *phrase;
} reasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {102, "Processing"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {203, "Non-Authoritative Information"},
    {204, "No Content"},
    {205, "Reset Content"},
    {206, "Partial Content"},
    {207, "Multi-Status"},
    {208, "Already Reported"},
    {226, "IM Used"},
    {300, "Multiple Choices"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {305, "Use Proxy"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {402, "Payment Required"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {406, "Not Acceptable"},
    {407, "Proxy Authentication Required"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {410, "Gone"},
    {411, "Length Required"},
    {412, "Precondition Failed"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {422, "Unprocessable Content"},
    {423, "Locked"},
    {424, "Failed Dependency"},
    {425, "Too Early"},
    {426, "Upgrade Required"},
    {428, "Precondition Required"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {451, "Unavailable For Legal Reasons"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
    {506, "Variant Also Negotiates"},
    {507, "Insufficient Storage"},
    {508, "Loop Detected"},
    {510, "Not Extended"},
    {511, "Network Authentication Required"},
};

const char *http_reason_phrase(int status)
{
	for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
		if (reasons[i].code == status)
			return reasons[i].phrase;
	return NULL;
}

/* Media types whose bodies are text: text/ anything, JSON, JavaScript, form data, or any type
 * with a charset parameter. No type at all: decided by the bytes alone. */
static bool textual_type(const char *ct)
{
	static const char *const names[] = {"application/json", "application/javascript",
	                                    "application/ecmascript",
	                                    "application/x-www-form-urlencoded"};
	size_t len;
	const char *semi;
	if (!ct)
		return true;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	semi = strchr(ct, ';');
	len = semi ? (size_t)(semi - ct) : strlen(ct);
	while (len && (ct[len - 1] == ' ' || ct[len - 1] == '\t'))
		len--;
	if (len > 5 && strncasecmp(ct, "text/", 5) == 0)
		return true;
	if (len > 5 && strncasecmp(ct + len - 5, "+json", 5) == 0)
		return true;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (strlen(names[i]) == len && strncasecmp(ct, names[i], len) == 0)
			return true;
	return semi && strcasestr(semi, "charset=");
}

/* True if the bytes are UTF-8 holding only characters XML allows. */
static bool xml_text_ok(const char *s, size_t len)
{
	char *clean = stanza_clean_text(s, len, len * 3, false);
	bool ok = clean && strlen(clean) == len && memcmp(clean, s, len) == 0;
	free(clean);
	return ok;
}

static void add_data(xmlDocPtr doc, xmlNodePtr resp_el, const struct cgi_response *resp)
{
	const struct buf *body = &resp->body;
	xmlNodePtr data = xmlNewChild(resp_el, NULL, BAD_CAST "data", NULL), payload;
	char *b64;
	const char *why;
	if (reply_is_xml_type(resp->content_type) &&
	    (payload = stanza_xml_payload(doc, body->data, body->len, &why))) {
		xmlNodePtr x = xmlNewChild(data, NULL, BAD_CAST "xml", NULL);
		xmlAddChild(x, payload);
		return;
	}
	if ((textual_type(resp->content_type) || reply_is_xml_type(resp->content_type)) &&
	    xml_text_ok(body->data, body->len)) {
		stanza_add_text(data, "text", body->data, body->len);
		return;
	}
	b64 = b64_encode((const unsigned char *)body->data, body->len);
	xmlNodeAddContent(xmlNewChild(data, NULL, BAD_CAST "base64", NULL), BAD_CAST(b64 ? b64 : ""));
	free(b64);
}

char *http_resp_build_for(const struct reply_target *t, const struct cgi_response *resp,
                          const struct http_req *req)
{
	xmlDocPtr doc;
	xmlNodePtr iq, r, hs, h;
	char code[16], len[32];
	const char *phrase = http_reason_phrase(resp->status);
	char *msg = NULL;

	if (t->kind != KIND_IQ || !reply_allowed(t->kind, t->type))
		return NULL;
	iq = stanza_begin(&doc, &(struct stanza_head){"iq", "result", t->id, t->to, t->from});

	r = stanza_add_child(iq, req && req->resp_name ? req->resp_name : "resp", HTTP_XMPP_NS);
	xmlNewProp(r, BAD_CAST "version", BAD_CAST(req && req->version ? req->version : "1.1"));
	snprintf(code, sizeof code, "%d", resp->status);
	xmlNewProp(r, BAD_CAST "statusCode", BAD_CAST code);
	if (resp->status_text && *resp->status_text)
		msg = stanza_clean_text(resp->status_text, strlen(resp->status_text), STANZA_MAX_ERROR_TEXT,
		                        true);
	if ((msg && *msg) || phrase)
		xmlNewProp(r, BAD_CAST "statusMessage", BAD_CAST(msg && *msg ? msg : phrase));
	free(msg);

	hs = stanza_add_child(r, "headers", HTTP_SHIM_NS);
	for (size_t i = 0; i < resp->n_headers; i++) {
		const struct resp_header *rh = &resp->headers[i];
		char *name;
		if (strcasecmp(rh->name, "Content-Length") == 0)
			continue; /* replaced by the real length below */
		name = stanza_clean_text(rh->name, strlen(rh->name), HTTP_MAX_HEADER_NAME, true);
		h = stanza_add_text(hs, "header", rh->value, strlen(rh->value));
		xmlNewProp(h, BAD_CAST "name", BAD_CAST(name ? name : ""));
		free(name);
	}
	snprintf(len, sizeof len, "%zu", resp->body.len);
	h = xmlNewChild(hs, NULL, BAD_CAST "header", BAD_CAST len);
	xmlNewProp(h, BAD_CAST "name", BAD_CAST "Content-Length");

	if (resp->body.len)
		add_data(doc, r, resp);
	return stanza_serialize(doc);
}

char *http_resp_build(const struct reply_target *t, const struct cgi_response *resp)
{
	return http_resp_build_for(t, resp, NULL);
}
