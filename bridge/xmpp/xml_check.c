/* xml_check.c - XML text checked the way an XMPP server's parser checks it (pure; see
 * xml_check.h).
 *
 * libxml2 does the parsing, with XML_PARSE_OLD10 so that names follow the XML 1.0
 * fourth edition's character classes, which is what expat implements. Its parser
 * context says whether the text was well-formed and, separately, namespace-well-formed;
 * both must hold. The tree is then walked without recursion (libxml2 nodes know their
 * parent) to count depth and to find comments and processing instructions. */
#include "xml_check.h"

#include <libxml/parser.h>
#include <limits.h>
#include <string.h>

size_t xml_char_len(const unsigned char *s, size_t n)
{
	unsigned c;
	size_t len;
	if (!n)
		return 0;
	if (s[0] < 0x80)
		return (s[0] >= 0x20 || s[0] == '\t' || s[0] == '\n' || s[0] == '\r') ? 1 : 0;
	if ((s[0] & 0xE0) == 0xC0)
		len = 2, c = s[0] & 0x1F;
	else if ((s[0] & 0xF0) == 0xE0)
		len = 3, c = s[0] & 0x0F;
	else if ((s[0] & 0xF8) == 0xF0)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000))
		return 0; /* overlong */
	if ((c >= 0xD800 && c <= 0xDFFF) || c == 0xFFFE || c == 0xFFFF || c > 0x10FFFF)
		return 0;
	return len;
}

const char *xml_check_text(const char *s, size_t len, bool no_controls)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		size_t n = xml_char_len(p, (size_t)(end - p));
		if (!n)
			return p[0] < 0x20 ? "a control character XML does not allow"
			                   : "invalid UTF-8 or a character XML does not allow";
		if (no_controls && (p[0] < 0x20 || p[0] == 0x7F || (p[0] == 0xC2 && p[1] < 0xA0)))
			return "a control character";
		p += n;
	}
	return NULL;
}

/* Walks the document in order, without recursion. */
static const char *check_tree(xmlDocPtr d, enum xml_check_mode mode)
{
	xmlNodePtr n = d->children;
	unsigned depth = 1;
	while (n) {
		switch (n->type) {
		case XML_COMMENT_NODE:
		case XML_PI_NODE:
			if (mode == XML_CHECK_STANZA)
				return n->type == XML_COMMENT_NODE
				           ? "a comment (not allowed in XMPP)"
				           : "a processing instruction (not allowed in XMPP)";
			break;
		case XML_DTD_NODE:
		case XML_ENTITY_REF_NODE:
		case XML_ENTITY_DECL:
			return "a document type declaration or entity (not allowed in XMPP)";
		default:
			break;
		}
		if (n->type == XML_ELEMENT_NODE && n->children) {
			if (++depth > XML_CHECK_MAX_DEPTH)
				return "elements nested too deep";
			n = n->children;
			continue;
		}
		while (!n->next && n->parent && n->parent != (xmlNodePtr)d) {
			n = n->parent;
			depth--;
		}
		n = n->next;
	}
	return NULL;
}

static bool starts_with_declaration(const char *text, size_t len)
{
	while (len && (*text == ' ' || *text == '\t' || *text == '\n' || *text == '\r'))
		text++, len--;
	return len >= 2 && text[0] == '<' && text[1] == '?';
}

xmlDocPtr xml_check_read(const char *text, size_t len, enum xml_check_mode mode, const char **why)
{
	xmlParserCtxtPtr ctxt;
	xmlDocPtr d;
	const char *bad = NULL;

	if (len > INT_MAX) {
		*why = "XML too large";
		return NULL;
	}
	if (mode == XML_CHECK_STANZA) {
		if ((bad = xml_check_text(text, len, false))) {
			*why = bad;
			return NULL;
		}
		if (starts_with_declaration(text, len)) {
			*why = "an XML declaration or processing instruction (not allowed in XMPP)";
			return NULL;
		}
	}
	ctxt = xmlNewParserCtxt();
	if (!ctxt) {
		*why = "out of memory";
		return NULL;
	}
	d = xmlCtxtReadMemory(ctxt, text, (int)len, NULL, NULL,
	                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
	                          XML_PARSE_OLD10);
	if (!d || !ctxt->wellFormed || !xmlDocGetRootElement(d)) {
		const xmlError *e = &ctxt->lastError;
		bad = e->code == XML_ERR_INTERNAL_ERROR && e->message && strstr(e->message, "depth")
		          ? "elements nested too deep"
		          : "not well-formed XML";
	} else if (!ctxt->nsWellFormed) {
		bad = "not namespace-well-formed XML (an unbound or empty prefix, or a repeated "
		      "attribute)";
	} else if (d->intSubset || d->extSubset) {
		bad = "a document type declaration (not allowed in XMPP)";
	} else {
		bad = check_tree(d, mode);
	}
	xmlFreeParserCtxt(ctxt);
	if (bad) {
		xmlFreeDoc(d);
		*why = bad;
		return NULL;
	}
	return d;
}

const char *xml_check_stanza(const char *text, size_t len)
{
	const char *why = NULL;
	xmlDocPtr d = xml_check_read(text, len, XML_CHECK_STANZA, &why);
	xmlFreeDoc(d);
	return d ? NULL : why;
}
