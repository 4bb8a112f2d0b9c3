/* stanza_build.c - envelopes, error elements, cleaned text and payloads as one libxml2
 * tree, serialized once (pure; see stanza_build.h).
 *
 * Handler text goes through stanza_clean_text before it becomes a text node, so nothing
 * a handler prints can make the bridge write a stanza the server would reject as
 * malformed; libxml2 escapes markup characters when the tree is dumped. The text writer
 * at the end writes the same bytes for the hot reply path without a tree. */
#include "stanza_build.h"

#include <ctype.h>
#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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
	xmlDocPtr d = xml_check_read(xml, len, XML_CHECK_DOCUMENT, why);
	return d ? stanza_adopt_payload(into, d, why) : NULL;
}

xmlNodePtr stanza_adopt_payload(xmlDocPtr into, xmlDocPtr d, const char **why)
{
	xmlNodePtr copy;
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

/* The text writer. Its output is byte for byte what xmlNodeDump writes for the same tree
 * (tests/unit/test_stanza_build.c compares the two): in attribute values & < > " and
 * tab, LF and CR become references, and so does every character above ASCII (libxml2's
 * choice for a document without an encoding); in text & < > and CR do. */

static bool put(struct buf *b, const char *s, size_t n) { return buf_append(b, s, n) == 0; }

/* The reference for an ASCII byte in an attribute value, or NULL to copy it. */
static const char *attr_ref(unsigned char c)
{
	return c == '&'    ? "&amp;"
	       : c == '<'  ? "&lt;"
	       : c == '>'  ? "&gt;"
	       : c == '"'  ? "&quot;"
	       : c == '\t' ? "&#9;"
	       : c == '\n' ? "&#10;"
	       : c == '\r' ? "&#13;"
	                   : NULL;
}

static bool put_attr_value(struct buf *b, const char *v)
{
	const unsigned char *p = (const unsigned char *)v, *run = p;
	char ref[16];
	for (; *p; p++) {
		const char *esc = attr_ref(*p);
		size_t n = 1;
		if (*p >= 0x80) { /* valid UTF-8: checked by stanza_head_is_text */
			unsigned c = *p >= 0xF0 ? *p & 0x07u : *p >= 0xE0 ? *p & 0x0Fu : *p & 0x1Fu;
			n = *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : 2;
			for (size_t i = 1; i < n; i++)
				c = (c << 6) | (p[i] & 0x3Fu);
			snprintf(ref, sizeof ref, "&#x%X;", c);
			esc = ref;
		}
		if (!esc)
			continue;
		if (!put(b, (const char *)run, (size_t)(p - run)) || !put(b, esc, strlen(esc)))
			return false;
		p += n - 1;
		run = p + 1;
	}
	return put(b, (const char *)run, (size_t)(p - run));
}

static bool put_text(struct buf *b, const char *s, size_t len)
{
	const char *run = s, *end = s + len;
	for (const char *p = s; p < end; p++) {
		const char *esc = *p == '&'    ? "&amp;"
		                  : *p == '<'  ? "&lt;"
		                  : *p == '>'  ? "&gt;"
		                  : *p == '\r' ? "&#13;"
		                               : NULL;
		if (!esc)
			continue;
		if (!put(b, run, (size_t)(p - run)) || !put(b, esc, strlen(esc)))
			return false;
		run = p + 1;
	}
	return put(b, run, (size_t)(end - run));
}

static bool attr_is_text(const char *v) { return !v || !xml_check_text(v, strlen(v), false); }

bool stanza_head_is_text(const struct stanza_head *h)
{
	return attr_is_text(h->type) && attr_is_text(h->id) && attr_is_text(h->to) &&
	       attr_is_text(h->from);
}

static bool put_head(struct buf *b, const struct stanza_head *h)
{
	const char *names[] = {"type", "id", "to", "from"};
	const char *values[] = {h->type, h->id, h->to, h->from};
	if (!put(b, "<", 1) || !put(b, h->name, strlen(h->name)))
		return false;
	for (size_t i = 0; i < 4; i++)
		if (values[i] && (!put(b, " ", 1) || !put(b, names[i], strlen(names[i])) ||
		                  !put(b, "=\"", 2) || !put_attr_value(b, values[i]) || !put(b, "\"", 1)))
			return false;
	return true;
}

static bool put_tail(struct buf *b, const char *name)
{
	return put(b, "</", 2) && put(b, name, strlen(name)) && put(b, ">", 1);
}

static char *finish(struct buf *b, bool ok)
{
	if (ok)
		return buf_steal(b);
	buf_free(b);
	return NULL;
}

char *stanza_write_xml(const struct stanza_head *h, const char *xml, size_t len)
{
	struct buf b = {0};
	if (!len)
		return finish(&b, put_head(&b, h) && put(&b, "/>", 2));
	return finish(&b,
	              put_head(&b, h) && put(&b, ">", 1) && put(&b, xml, len) && put_tail(&b, h->name));
}

char *stanza_write_text(const struct stanza_head *h, const char *name, const char *s, size_t len)
{
	struct buf b = {0};
	char *clean = stanza_clean_text(s, len, len * 3, false);
	bool ok = clean && put_head(&b, h) && put(&b, "><", 2) && put(&b, name, strlen(name));
	if (ok && *clean)
		ok = put(&b, ">", 1) && put_text(&b, clean, strlen(clean)) && put_tail(&b, name);
	else if (ok)
		ok = put(&b, "/>", 2);
	ok = ok && put_tail(&b, h->name);
	free(clean);
	return finish(&b, ok);
}
