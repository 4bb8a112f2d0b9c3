/* reply.c - builds reply stanzas from responses and failures (pure; see reply.h).
 *
 * Decides which reply is due (result, chat message, error or none) and what it holds;
 * the envelope, the error element, cleaned text and the parsed payload come from
 * stanza_build.h, which also serializes the stanza once. */
#include "reply.h"

#include "config.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xml_check.h"

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

/* An error answer to a room message is a short text: in the room, addressed to the
 * speaker, or privately to room/nick; a stanza error would go to the whole room. */
static char *room_error(const struct reply_target *t, const struct stanza_error *e,
                        const char *text, size_t text_len)
{
	char line[REPLY_MAX_ROOM_ERROR + 1];
	const char *slash = t->to ? strchr(t->to, '/') : NULL;
	bool private = t->room_errors == ROOM_ERRORS_PRIVATE;
	struct stanza_head h = {"message", private ? "chat" : "groupchat", NULL,
	                        private ? t->to : t->room, t->from};
	xmlDocPtr doc;
	xmlNodePtr root;
	int n;
	if (t->room_errors == ROOM_ERRORS_NONE)
		return NULL;
	while (text_len && text && (text[text_len - 1] == '\n' || text[text_len - 1] == '\r'))
		text_len--;
	if (text_len > 160)
		text_len = 160;
	n = snprintf(line, sizeof line, "%s%s%s: %.*s", private || !slash ? "" : slash + 1,
	             private || !slash ? "" : ": ", e->condition, (int)text_len, text ? text : "");
	if (n < 0)
		return NULL;
	root = stanza_begin(&doc, &h);
	stanza_add_text(root, "body", line, strlen(line));
	return stanza_serialize(doc);
}

static char *build_error(const struct reply_target *t, const struct stanza_error *e,
                         const char *text, size_t text_len)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	if (t->room)
		return room_error(t, e, text, text_len);
	root = new_stanza(&doc, t, "error");
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

/* The reply to a successful response, in the envelope h; a text body is its first
 * text_len bytes. A text body, an empty one and an XML body whose root element
 * xml_check_verbatim passes as it is are written straight as text (*checked); anything
 * else (a declared encoding, comments, envelope attributes that are not XML text) is
 * built as a libxml2 tree from the document already read. */
static char *success_reply(const struct reply_target *t, const struct stanza_head *h,
                           const struct cgi_response *resp, size_t text_len, const char **why,
                           bool *checked)
{
	bool as_text = stanza_head_is_text(h);
	xmlDocPtr doc, body = NULL;
	xmlNodePtr root, payload;
	size_t start = 0, end = 0;

	if (resp->body.len && reply_is_xml_type(resp->content_type)) {
		if (as_text && xml_check_verbatim(resp->body.data, resp->body.len, &start, &end)) {
			*checked = true;
			return stanza_write_xml(h, resp->body.data + start, end - start);
		}
		body = xml_check_read(resp->body.data, resp->body.len, XML_CHECK_DOCUMENT, why);
		if (!body)
			return reply_failure(t, FAIL_BAD_XML, *why);
	} else if (as_text) {
		*checked = true;
		return resp->body.len ? stanza_write_text(h, "body", resp->body.data, text_len)
		                      : stanza_write_xml(h, NULL, 0);
	}
	root = stanza_begin(&doc, h);
	if (body) {
		payload = stanza_adopt_payload(doc, body, why);
		if (!payload) {
			xmlFreeDoc(doc);
			return reply_failure(t, FAIL_BAD_XML, *why);
		}
		xmlAddChild(root, payload);
	} else if (resp->body.len) {
		stanza_add_text(root, "body", resp->body.data, text_len);
	}
	return stanza_serialize(doc);
}

char *reply_from_response(const struct reply_target *t, const struct cgi_response *resp,
                          const char **log_reason, bool *checked)
{
	const char *why = NULL, *type;
	bool success = resp->status >= 200 && resp->status < 300;
	bool dummy;
	size_t text_len = resp->body.len;
	char *xml;

	if (log_reason)
		*log_reason = NULL;
	if (!checked)
		checked = &dummy;
	*checked = false;
	if (!reply_allowed(t->kind, t->type))
		return NULL;
	if (!success) {
		struct stanza_error e;
		stanza_error_for_status(resp->status, resp->location, &e);
		return build_error(t, &e, resp->body.data, resp->body.len);
	}
	if (t->kind == KIND_PRESENCE)
		return NULL;
	if (t->kind == KIND_MESSAGE && ((!t->message_replies && !t->room) || resp->body.len == 0))
		return NULL;
	type = t->kind == KIND_IQ ? "result" : t->room ? "groupchat" : "chat";
	if (t->room) { /* to the room, as a message of its own (no id of the speaker's) */
		struct stanza_head h = {"message", type, NULL, t->room, t->from};
		/* a line in a room: without the newline a script ends its output with */
		while (text_len &&
		       (resp->body.data[text_len - 1] == '\n' || resp->body.data[text_len - 1] == '\r'))
			text_len--;
		xml = success_reply(t, &h, resp, text_len, &why, checked);
	} else {
		struct stanza_head h = {kind_name(t->kind), type, t->id, t->to, t->from};
		xml = success_reply(t, &h, resp, text_len, &why, checked);
	}
	if (why) {
		*checked = false;
		if (log_reason)
			*log_reason = why;
	}
	return xml;
}
