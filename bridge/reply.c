/* reply.c - builds reply stanzas from responses and failures (pure; see reply.h).
 *
 * The stanza is assembled as a libxml2 tree and serialized once. Handler text goes
 * through reply_clean_text first, so nothing a handler prints can make the bridge write
 * a stanza the server would reject as malformed. */
#include "reply.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xml_check.h"

#define STANZAS_NS "urn:ietf:params:xml:ns:xmpp-stanzas"

enum stanza_kind stanza_kind_of(const char *name)
{
	if (!name)
		return KIND_OTHER;
	if (strcmp(name, "iq") == 0)
		return KIND_IQ;
	if (strcmp(name, "message") == 0)
		return KIND_MESSAGE;
	if (strcmp(name, "presence") == 0)
		return KIND_PRESENCE;
	return KIND_OTHER;
}

static const char *kind_name(enum stanza_kind k)
{
	return k == KIND_IQ ? "iq" : k == KIND_MESSAGE ? "message" : "presence";
}

bool reply_allowed(enum stanza_kind kind, const char *type)
{
	if (kind == KIND_OTHER)
		return false;
	if (type && strcmp(type, "error") == 0)
		return false;
	if (kind == KIND_IQ)
		return type && (strcmp(type, "get") == 0 || strcmp(type, "set") == 0);
	return true;
}

bool reply_required(enum stanza_kind kind, const char *type)
{
	return kind == KIND_IQ && reply_allowed(kind, type);
}

bool reply_is_xml_type(const char *ct)
{
	size_t len;
	const char *semi;
	if (!ct)
		return false;
	while (*ct == ' ')
		ct++;
	semi = strchr(ct, ';');
	len = semi ? (size_t)(semi - ct) : strlen(ct);
	while (len && ct[len - 1] == ' ')
		len--;
	if ((len == 15 && strncasecmp(ct, "application/xml", 15) == 0) ||
	    (len == 8 && strncasecmp(ct, "text/xml", 8) == 0))
		return true;
	return len > 4 && strncasecmp(ct + len - 4, "+xml", 4) == 0 && memchr(ct, '/', len);
}

char *reply_clean_text(const char *s, size_t len, size_t cap, bool trim)
{
	static const char replacement[] = "\xEF\xBF\xBD";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	char *out, *o;
	if (trim) {
		while (p < end && isspace(*p))
			p++;
		while (end > p && isspace(end[-1]))
			end--;
	}
	out = malloc((size_t)(end - p) * 3 + 1);
	if (!out)
		return NULL;
	o = out;
	while (p < end) {
		size_t n = xml_char_len(p, (size_t)(end - p));
		size_t add = n ? n : 3;
		if ((size_t)(o - out) + add > cap)
			break;
		if (n) {
			memcpy(o, p, n);
			p += n;
		} else {
			memcpy(o, replacement, 3);
			p++;
		}
		o += add;
	}
	*o = '\0';
	return out;
}

static xmlNodePtr new_stanza(xmlDocPtr doc, const struct reply_target *t, const char *type)
{
	xmlNodePtr n = xmlNewDocNode(doc, NULL, BAD_CAST kind_name(t->kind), NULL);
	xmlDocSetRootElement(doc, n);
	xmlNewProp(n, BAD_CAST "type", BAD_CAST type);
	if (t->id)
		xmlNewProp(n, BAD_CAST "id", BAD_CAST t->id);
	if (t->to)
		xmlNewProp(n, BAD_CAST "to", BAD_CAST t->to);
	if (t->from)
		xmlNewProp(n, BAD_CAST "from", BAD_CAST t->from);
	return n;
}

static char *serialize(xmlDocPtr doc)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *out = NULL;
	if (b && xmlNodeDump(b, doc, xmlDocGetRootElement(doc), 0, 0) >= 0)
		out = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	xmlFreeDoc(doc);
	return out;
}

static char *build_error(const struct reply_target *t, const struct stanza_error *e,
                         const char *text, size_t text_len)
{
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = new_stanza(doc, t, "error");
	xmlNodePtr err = xmlNewChild(root, NULL, BAD_CAST "error", NULL);
	xmlNodePtr cond;
	xmlNsPtr ns;
	char *clean;

	xmlNewProp(err, BAD_CAST "type", BAD_CAST e->type);
	cond = xmlNewChild(err, NULL, BAD_CAST e->condition, NULL);
	ns = xmlNewNs(cond, BAD_CAST STANZAS_NS, NULL);
	xmlSetNs(cond, ns);
	if (e->uri) {
		clean = reply_clean_text(e->uri, strlen(e->uri), REPLY_MAX_ERROR_TEXT, true);
		xmlNodeAddContent(cond, BAD_CAST(clean ? clean : ""));
		free(clean);
	}
	if (text && text_len) {
		clean = reply_clean_text(text, text_len, REPLY_MAX_ERROR_TEXT, true);
		if (clean && *clean) {
			xmlNodePtr tx = xmlNewChild(err, NULL, BAD_CAST "text", NULL);
			xmlSetNs(tx, xmlNewNs(tx, BAD_CAST STANZAS_NS, NULL));
			xmlNodeAddContent(tx, BAD_CAST clean);
		}
		free(clean);
	}
	return serialize(doc);
}

char *reply_failure(const struct reply_target *t, enum bridge_failure f, const char *text)
{
	struct stanza_error e;
	if (!reply_allowed(t->kind, t->type))
		return NULL;
	stanza_error_for_failure(f, t->kind, &e);
	if (!text)
		text = bridge_failure_text(f);
	return build_error(t, &e, text, strlen(text));
}

/* RFC 6120 11.1: comments and processing instructions must not appear in the stream
 * (the server would close it); they carry no data, so they are dropped. The recursion
 * is bounded: trees come from xml_check_read, at most XML_CHECK_MAX_DEPTH deep. */
void reply_strip_restricted(xmlNodePtr n)
{
	xmlNodePtr c, next;
	for (c = n->children; c; c = next) {
		next = c->next;
		if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (c->type == XML_ELEMENT_NODE) {
			reply_strip_restricted(c);
		}
	}
}

/* Parses an XML body into a standalone element; NULL (with *why) if unusable. */
xmlNodePtr reply_xml_body(xmlDocPtr into, const struct buf *body, const char **why)
{
	xmlDocPtr d;
	xmlNodePtr copy;
	d = xml_check_read(body->data, body->len, XML_CHECK_DOCUMENT, why);
	if (!d)
		return NULL;
	reply_strip_restricted(xmlDocGetRootElement(d));
	copy = xmlDocCopyNode(xmlDocGetRootElement(d), into, 1);
	xmlFreeDoc(d);
	if (!copy)
		*why = "out of memory";
	return copy;
}

char *reply_from_response(const struct reply_target *t, const struct cgi_response *resp,
                          const char **log_reason)
{
	const char *why = NULL;
	xmlDocPtr doc;
	xmlNodePtr root, payload = NULL;
	bool success = resp->status >= 200 && resp->status < 300;
	const char *type;

	if (log_reason)
		*log_reason = NULL;
	if (!reply_allowed(t->kind, t->type))
		return NULL;
	if (!success) {
		struct stanza_error e;
		stanza_error_for_status(resp->status, resp->location, &e);
		return build_error(t, &e, resp->body.data, resp->body.len);
	}
	if (t->kind == KIND_PRESENCE)
		return NULL;
	if (t->kind == KIND_MESSAGE && (!t->message_replies || resp->body.len == 0))
		return NULL;
	type = t->kind == KIND_IQ ? "result" : "chat";
	doc = xmlNewDoc(BAD_CAST "1.0");
	if (resp->body.len && reply_is_xml_type(resp->content_type)) {
		payload = reply_xml_body(doc, &resp->body, &why);
		if (!payload) {
			xmlFreeDoc(doc);
			if (log_reason)
				*log_reason = why;
			return reply_failure(t, FAIL_BAD_XML, why);
		}
	}
	root = new_stanza(doc, t, type);
	if (payload) {
		xmlAddChild(root, payload);
	} else if (resp->body.len) {
		char *clean = reply_clean_text(resp->body.data, resp->body.len, resp->body.len * 3, false);
		xmlNodePtr b = xmlNewChild(root, NULL, BAD_CAST "body", NULL);
		xmlNodeAddContent(b, BAD_CAST(clean ? clean : ""));
		free(clean);
	}
	return serialize(doc);
}
