/* adhoc_request.c - a submitted jabber:x:data form -> urlencoded form data (pure; see
 * adhoc_request.h). The stanza document is read again with libxml2 (xml_check.h), so
 * namespaces are resolved and entities decoded before a value is encoded. */
#include "adhoc_request.h"

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "adhoc_session.h"
#include "xml_check.h"

#define MAX_FIELDS 256

static bool urlencode_plain(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' ||
	       c == '-' || c == '.' || c == '_';
}

int adhoc_urlencode(struct buf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	for (size_t i = 0; i < len && rc == 0; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
		if (urlencode_plain(c))
			rc = buf_append(b, &s[i], 1);
		else if (c == ' ')
			rc = buf_append(b, "+", 1);
		else
			rc = buf_append(b, esc, 3);
	}
	return rc;
}

static bool is(xmlNodePtr n, const char *name, const char *ns)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 && n->ns &&
	       n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static xmlNodePtr child(xmlNodePtr parent, const char *name, const char *ns)
{
	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (is(c, name, ns))
			return c;
	return NULL;
}

/* One pair: var=value (value may be empty). */
static int pair(struct buf *b, const char *var, const char *value)
{
	int rc = 0;
	if (b->len)
		rc |= buf_append(b, "&", 1);
	rc |= adhoc_urlencode(b, var, strlen(var));
	rc |= buf_append(b, "=", 1);
	rc |= adhoc_urlencode(b, value, strlen(value));
	return rc;
}

/* Each field's values, in order; a field without any value is sent once, empty, as a
 * browser sends an empty text input. */
static const char *encode_fields(xmlNodePtr form, struct buf *b)
{
	size_t n = 0;
	for (xmlNodePtr f = form->children; f; f = f->next) {
		xmlChar *var;
		bool any = false;
		int rc = 0;
		if (!is(f, "field", NS_DATA_FORMS))
			continue;
		if (++n > MAX_FIELDS)
			return "the form has too many fields";
		var = xmlGetProp(f, BAD_CAST "var");
		if (!var || !*var) {
			xmlFree(var);
			return "a submitted field has no var";
		}
		for (xmlNodePtr v = f->children; v && rc == 0; v = v->next) {
			xmlChar *text;
			if (!is(v, "value", NS_DATA_FORMS))
				continue;
			text = xmlNodeGetContent(v);
			rc = pair(b, (const char *)var, text ? (const char *)text : "");
			xmlFree(text);
			any = true;
		}
		if (!any && rc == 0)
			rc = pair(b, (const char *)var, "");
		xmlFree(var);
		if (rc)
			return "out of memory";
	}
	return NULL;
}

int adhoc_form_body(const char *doc, size_t doc_len, char **body, size_t *len, const char **why)
{
	struct buf b = {0};
	xmlDocPtr d = xml_check_read(doc, doc_len, XML_CHECK_DOCUMENT, why);
	xmlNodePtr root, cmd, form = NULL;
	*body = NULL;
	*len = 0;
	if (!d)
		return -1;
	*why = NULL;
	root = xmlDocGetRootElement(d);
	cmd = root ? child(root, "command", NS_COMMANDS) : NULL;
	if (!cmd)
		*why = "no command element";
	for (xmlNodePtr c = cmd ? cmd->children : NULL; c && !*why; c = c->next) {
		if (!is(c, "x", NS_DATA_FORMS))
			continue;
		if (form)
			*why = "more than one data form";
		form = c;
	}
	if (form && !*why) {
		xmlChar *type = xmlGetProp(form, BAD_CAST "type");
		bool cancel = type && strcmp((const char *)type, "cancel") == 0;
		if (!cancel && (!type || strcmp((const char *)type, "submit") != 0))
			*why = "a command's data form must be of type submit";
		xmlFree(type);
		if (!*why && !cancel) /* a cancelled form carries no data */
			*why = encode_fields(form, &b);
	}
	xmlFreeDoc(d);
	if (*why) {
		buf_free(&b);
		return -1;
	}
	if (!b.data && buf_append(&b, "", 0) != 0) {
		*why = "out of memory";
		return -1;
	}
	*len = b.len;
	*body = buf_steal(&b);
	return 0;
}
