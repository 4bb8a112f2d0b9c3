/* reply.c - builds reply stanzas from responses and failures (pure; see reply.h).
 *
 * Decides which reply is due (result, chat message, error or none) and what it holds;
 * the envelope, the error element, cleaned text and the parsed payload come from
 * stanza_build.h, which also serializes the stanza once. */
#include "reply.h"

#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static xmlNodePtr new_stanza(xmlDocPtr *doc, const struct reply_target *t, const char *type)
{
	struct stanza_head h = {kind_name(t->kind), type, t->id, t->to, t->from};
	return stanza_begin(doc, &h);
}

static char *build_error(const struct reply_target *t, const struct stanza_error *e,
                         const char *text, size_t text_len)
{
	xmlDocPtr doc;
	xmlNodePtr root = new_stanza(&doc, t, "error");
	stanza_add_error(root, e->type, e->condition, e->uri, text, text_len);
	return stanza_serialize(doc);
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
	root = new_stanza(&doc, t, type);
	if (resp->body.len && reply_is_xml_type(resp->content_type)) {
		payload = stanza_xml_payload(doc, resp->body.data, resp->body.len, &why);
		if (!payload) {
			xmlFreeDoc(doc);
			if (log_reason)
				*log_reason = why;
			return reply_failure(t, FAIL_BAD_XML, why);
		}
		xmlAddChild(root, payload);
	} else if (resp->body.len) {
		stanza_add_text(root, "body", resp->body.data, resp->body.len);
	}
	return stanza_serialize(doc);
}
