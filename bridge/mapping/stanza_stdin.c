/* stanza_stdin.c - the handler's stdin document straight from libstrophe's tree (see
 * stanza_stdin.h).
 *
 * It replaces serializing the stanza with xmpp_stanza_to_text (a printf and an escaped
 * copy per attribute and text node, 16 % of a FastCGI request's instructions) and
 * rewriting that text's root. The rules are libstrophe 0.12's renderer's, read from its
 * source (src/stanza.c): attributes in its hash order as xmpp_stanza_get_attributes
 * gives them, only & < > and " escaped, an xmlns left out when the parent carries the
 * same value. Recursion is bounded: the router has refused stanzas deeper than
 * XML_CHECK_MAX_DEPTH, and this stops at twice that. */
#include "stanza_stdin.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xml_check.h"

#define STDIN_MAX_DEPTH (2 * XML_CHECK_MAX_DEPTH)
#define STDIN_STACK_ATTRS 16

static const char xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

static bool put(struct buf *b, const char *s, size_t n) { return buf_append(b, s, n) == 0; }

static bool put_escaped(struct buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *esc = *s == '<'   ? "&lt;"
		                  : *s == '>' ? "&gt;"
		                  : *s == '&' ? "&amp;"
		                  : *s == '"' ? "&quot;"
		                              : NULL;
		if (!esc)
			continue;
		if (!put(b, run, (size_t)(s - run)) || !put(b, esc, strlen(esc)))
			return false;
		run = s + 1;
	}
	return put(b, run, (size_t)(s - run));
}

static bool put_attr(struct buf *b, const char *name, const char *value)
{
	return put(b, " ", 1) && put(b, name, strlen(name)) && put(b, "=\"", 2) &&
	       put_escaped(b, value) && put(b, "\"", 1);
}

/* The attributes of s, root ones rewritten; parent_ns is the parent's xmlns or NULL. */
static enum stanza_stdin_result put_attrs(struct buf *b, xmpp_stanza_t *s, bool root,
                                          const char *parent_ns)
{
	const char *stack[2 * STDIN_STACK_ATTRS], **attrs = stack;
	int n = xmpp_stanza_get_attribute_count(s), got;
	bool has_xml_lang = root && xmpp_stanza_get_attribute(s, "xml:lang");
	enum stanza_stdin_result rc = STDIN_OK;

	if (n <= 0)
		return STDIN_OK;
	if (n > STDIN_STACK_ATTRS && !(attrs = malloc(2 * (size_t)n * sizeof *attrs)))
		return STDIN_NO_MEMORY;
	got = xmpp_stanza_get_attributes(s, attrs, 2 * n);
	for (int i = 0; i + 1 < got && rc == STDIN_OK; i += 2) {
		const char *name = attrs[i], *value = attrs[i + 1];
		if (strcmp(name, "xmlns") == 0 && (root || (parent_ns && strcmp(value, parent_ns) == 0)))
			continue; /* the root's is replaced by jabber:client */
		if (root && !has_xml_lang && strcmp(name, "lang") == 0)
			name = "xml:lang";
		if (!put_attr(b, name, value))
			rc = STDIN_NO_MEMORY;
	}
	if (attrs != stack)
		free(attrs);
	return rc;
}

static enum stanza_stdin_result put_node(struct buf *b, xmpp_stanza_t *s, bool root,
                                         const char *parent_ns, unsigned depth)
{
	const char *name, *text;
	xmpp_stanza_t *child;
	enum stanza_stdin_result rc;

	if (xmpp_stanza_is_text(s)) {
		text = xmpp_stanza_get_text_ptr(s);
		if (!text)
			return STDIN_UNSERIALIZABLE;
		return put_escaped(b, text) ? STDIN_OK : STDIN_NO_MEMORY;
	}
	name = xmpp_stanza_get_name(s);
	if (!xmpp_stanza_is_tag(s) || !name || depth > STDIN_MAX_DEPTH)
		return STDIN_UNSERIALIZABLE;
	if (!put(b, "<", 1) || !put(b, name, strlen(name)) ||
	    (root && !put(b, " xmlns=\"jabber:client\"", 22)))
		return STDIN_NO_MEMORY;
	if ((rc = put_attrs(b, s, root, parent_ns)) != STDIN_OK)
		return rc;
	child = xmpp_stanza_get_children(s);
	if (!child)
		return put(b, "/>", 2) ? STDIN_OK : STDIN_NO_MEMORY;
	if (!put(b, ">", 1))
		return STDIN_NO_MEMORY;
	for (; child; child = xmpp_stanza_get_next(child))
		if ((rc = put_node(b, child, false, xmpp_stanza_get_ns(s), depth + 1)) != STDIN_OK)
			return rc;
	return put(b, "</", 2) && put(b, name, strlen(name)) && put(b, ">", 1) ? STDIN_OK
	                                                                       : STDIN_NO_MEMORY;
}

enum stanza_stdin_result stanza_stdin_document(xmpp_stanza_t *stanza, char **out, size_t *out_len)
{
	struct buf b = {0};
	enum stanza_stdin_result rc = STDIN_NO_MEMORY;
	if (put(&b, xml_decl, sizeof xml_decl - 1))
		rc = put_node(&b, stanza, true, NULL, 1);
	if (rc != STDIN_OK) {
		buf_free(&b);
		return rc;
	}
	*out_len = b.len;
	*out = buf_steal(&b);
	return STDIN_OK;
}
