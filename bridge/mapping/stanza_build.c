/* stanza_build.c - envelopes, error elements, cleaned text and payloads as one libxml2
 * tree, serialized once (pure; see stanza_build.h).
 *
 * Handler text goes through stanza_clean_text before it becomes a text node, so nothing
 * a handler prints can make the bridge write a stanza the server would reject as
 * malformed; libxml2 escapes markup characters when the tree is dumped. */
#include "stanza_build.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <stdlib.h>
#include <string.h>

#include "xml_check.h"

void stanza_address(xmlNodePtr root, const char *to, const char *from)
{
	if (to)
		xmlSetProp(root, BAD_CAST "to", BAD_CAST to);
	if (from)
		xmlSetProp(root, BAD_CAST "from", BAD_CAST from);
}

xmlNodePtr stanza_begin(xmlDocPtr *doc, const struct stanza_head *h)
{
	xmlNodePtr n;
	*doc = xmlNewDoc(BAD_CAST "1.0");
	n = xmlNewDocNode(*doc, NULL, BAD_CAST h->name, NULL);
	xmlDocSetRootElement(*doc, n);
	if (h->type)
		xmlNewProp(n, BAD_CAST "type", BAD_CAST h->type);
	if (h->id)
		xmlNewProp(n, BAD_CAST "id", BAD_CAST h->id);
	stanza_address(n, h->to, h->from);
	return n;
}

xmlNodePtr stanza_add_child(xmlNodePtr parent, const char *name, const char *ns)
{
	xmlNodePtr c = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
	if (ns)
		xmlSetNs(c, xmlNewNs(c, BAD_CAST ns, NULL));
	return c;
}

xmlNodePtr stanza_add_text(xmlNodePtr parent, const char *name, const char *s, size_t len)
{
	char *clean = stanza_clean_text(s, len, len * 3, false);
	xmlNodePtr c = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
	xmlNodeAddContent(c, BAD_CAST(clean ? clean : ""));
	free(clean);
	return c;
}

xmlNodePtr stanza_add_error(xmlNodePtr root, const char *type, const char *condition,
                            const char *cond_text, const char *text, size_t text_len)
{
	xmlNodePtr err = xmlNewChild(root, NULL, BAD_CAST "error", NULL);
	xmlNodePtr cond;
	char *clean;

	xmlNewProp(err, BAD_CAST "type", BAD_CAST type);
	cond = stanza_add_child(err, condition, STANZAS_NS);
	if (cond_text) {
		clean = stanza_clean_text(cond_text, strlen(cond_text), STANZA_MAX_ERROR_TEXT, true);
		xmlNodeAddContent(cond, BAD_CAST(clean ? clean : ""));
		free(clean);
	}
	if (text && text_len) {
		clean = stanza_clean_text(text, text_len, STANZA_MAX_ERROR_TEXT, true);
		if (clean && *clean)
			xmlNodeAddContent(stanza_add_child(err, "text", STANZAS_NS), BAD_CAST clean);
		free(clean);
	}
	return err;
}

char *stanza_serialize(xmlDocPtr doc)
{
	xmlBufferPtr b = xmlBufferCreate();
	char *out = NULL;
	if (b && xmlNodeDump(b, doc, xmlDocGetRootElement(doc), 0, 0) >= 0)
		out = strdup((const char *)xmlBufferContent(b));
	xmlBufferFree(b);
	xmlFreeDoc(doc);
	return out;
}

xmlNodePtr stanza_first_element(xmlNodePtr n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

/* RFC 6120 11.1: comments and processing instructions must not appear in the stream
 * (the server would close it); they carry no data, so they are dropped. The recursion
 * is bounded: trees come from xml_check_read, at most XML_CHECK_MAX_DEPTH deep. */
void stanza_strip_restricted(xmlNodePtr n)
{
	xmlNodePtr c, next;
	for (c = n->children; c; c = next) {
		next = c->next;
		if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		} else if (c->type == XML_ELEMENT_NODE) {
			stanza_strip_restricted(c);
		}
	}
}

xmlNodePtr stanza_xml_payload(xmlDocPtr into, const char *xml, size_t len, const char **why)
{
	xmlDocPtr d;
	xmlNodePtr copy;
	d = xml_check_read(xml, len, XML_CHECK_DOCUMENT, why);
	if (!d)
		return NULL;
	stanza_strip_restricted(xmlDocGetRootElement(d));
	copy = xmlDocCopyNode(xmlDocGetRootElement(d), into, 1);
	xmlFreeDoc(d);
	if (!copy)
		*why = "out of memory";
	return copy;
}

char *stanza_clean_text(const char *s, size_t len, size_t cap, bool trim)
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
