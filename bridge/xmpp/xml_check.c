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
#include <libxml/parserInternals.h>
#include <limits.h>
#include <string.h>
#include <strings.h>

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
		if (*p >= 0x20 && *p < 0x7F) { /* printable ASCII, most of any text */
			p++;
			continue;
		}
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

static bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static bool starts_with_declaration(const char *text, size_t len)
{
	while (len && is_xml_space(*text))
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

/* The fast check's state: what a tree would have shown, gathered while parsing. */
struct verbatim_scan {
	unsigned depth; /* the open element's level, the root being 1 */
	bool unusual;   /* a comment, PI, DTD, entity reference or too deep */
};

#define VERBATIM_MAX_LEVEL (XML_CHECK_MAX_DEPTH - 2) /* text in it, in a stanza: the limit */

static void scan_start(void *ud, const xmlChar *localname, const xmlChar *prefix,
                       const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
                       int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	struct verbatim_scan *v = ((xmlParserCtxtPtr)ud)->_private;
	(void)localname, (void)prefix, (void)uri, (void)nb_namespaces, (void)namespaces;
	(void)nb_attributes, (void)attributes;
	if (++v->depth > VERBATIM_MAX_LEVEL || nb_defaulted)
		v->unusual = true;
}

static void scan_end(void *ud, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri)
{
	struct verbatim_scan *v = ((xmlParserCtxtPtr)ud)->_private;
	(void)localname, (void)prefix, (void)uri;
	v->depth--;
}

static void scan_text(void *ud, const xmlChar *ch, int len) { (void)ud, (void)ch, (void)len; }

static void scan_unusual(void *ud)
{
	((struct verbatim_scan *)((xmlParserCtxtPtr)ud)->_private)->unusual = true;
}
static void scan_comment(void *ud, const xmlChar *value) { (void)value, scan_unusual(ud); }
static void scan_pi(void *ud, const xmlChar *target, const xmlChar *data)
{
	(void)target, (void)data, scan_unusual(ud);
}
static void scan_subset(void *ud, const xmlChar *name, const xmlChar *id, const xmlChar *uri)
{
	(void)name, (void)id, (void)uri, scan_unusual(ud);
}
static void scan_reference(void *ud, const xmlChar *name) { (void)name, scan_unusual(ud); }

#define VERBATIM_CTXT_USES 1024 /* then a fresh context: its dictionary of names grows */

static xmlParserCtxtPtr verbatim_ctxt;
static unsigned verbatim_uses;

/* One parser context serves many bodies, reset between them: creating and freeing one
 * (its dictionary, stacks and SAX table) cost a quarter of each check. */
static xmlParserCtxtPtr verbatim_context(void)
{
	if (verbatim_ctxt && verbatim_uses >= VERBATIM_CTXT_USES) {
		xmlFreeParserCtxt(verbatim_ctxt);
		verbatim_ctxt = NULL;
	}
	if (!verbatim_ctxt) {
		verbatim_ctxt = xmlNewParserCtxt();
		verbatim_uses = 0;
	} else
		xmlCtxtReset(verbatim_ctxt); /* namespaces, stacks, flags; the dictionary stays */
	verbatim_uses++;
	return verbatim_ctxt;
}

/* Parses text with libxml2 as xml_check_read does (same options, same memory input),
 * through SAX callbacks that build no tree. (libxml2 2.9's static input buffers are not
 * used: with them the parser missed end tags of a deep document.) */
static bool verbatim_parse(const char *text, size_t len, struct verbatim_scan *v)
{
	xmlParserCtxtPtr ctxt = verbatim_context();
	xmlParserInputBufferPtr buf;
	xmlParserInputPtr input;
	bool ok;

	if (!ctxt)
		return false;
	buf = xmlParserInputBufferCreateMem(text, (int)len, XML_CHAR_ENCODING_NONE);
	input = buf ? xmlNewIOInputStream(ctxt, buf, XML_CHAR_ENCODING_NONE) : NULL;
	if (!input) {
		xmlFreeParserInputBuffer(buf);
		return false;
	}
	/* the buffer holds all of text: without a read callback libxml2 stops asking for
	 * more at every step (60 times for a 1 KB body, half of the parse) */
	buf->readcallback = NULL;
	inputPush(ctxt, input);
	xmlCtxtUseOptions(ctxt,
	                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_OLD10);
	ctxt->sax->startDocument = NULL; /* no document: nothing to build */
	ctxt->sax->endDocument = NULL;
	ctxt->sax->startElementNs = scan_start;
	ctxt->sax->endElementNs = scan_end;
	ctxt->sax->characters = scan_text;
	ctxt->sax->ignorableWhitespace = scan_text;
	ctxt->sax->cdataBlock = scan_text;
	ctxt->sax->comment = scan_comment;
	ctxt->sax->processingInstruction = scan_pi;
	ctxt->sax->internalSubset = scan_subset;
	ctxt->sax->externalSubset = scan_subset;
	ctxt->sax->reference = scan_reference;
	/* no declarations: a DTD already makes the body unusual */
	ctxt->sax->entityDecl = NULL;
	ctxt->sax->attributeDecl = NULL;
	ctxt->sax->elementDecl = NULL;
	ctxt->sax->notationDecl = NULL;
	ctxt->sax->unparsedEntityDecl = NULL;
	ctxt->sax->resolveEntity = NULL;
	ctxt->sax->getParameterEntity = NULL;
	ctxt->_private = v; /* callbacks get the context, as libxml2's own do */
	xmlParseDocument(ctxt);
	/* and it read all of text, to the end (what follows the root was white space) */
	ok = ctxt->wellFormed && ctxt->nsWellFormed && !v->unusual && v->depth == 0 &&
	     xmlByteConsumed(ctxt) == (long)len && ctxt->version &&
	     strcmp((const char *)ctxt->version, "1.0") == 0 &&
	     (!ctxt->encoding || strcasecmp((const char *)ctxt->encoding, "UTF-8") == 0) &&
	     !ctxt->myDoc;
	ctxt->_private = NULL;
	return ok;
}

bool xml_check_verbatim(const char *text, size_t len, size_t *start, size_t *end)
{
	struct verbatim_scan v = {0, false};
	size_t s = 0, e = len;
	if (len > INT_MAX)
		return false;
	while (s < e && is_xml_space(text[s]))
		s++;
	if (e - s >= 2 && text[s] == '<' && text[s + 1] == '?') { /* the declaration */
		const char *q = memmem(text + s, e - s, "?>", 2);
		if (!q)
			return false;
		s = (size_t)(q - text) + 2;
		while (s < e && is_xml_space(text[s]))
			s++;
	}
	while (e > s && is_xml_space(text[e - 1]))
		e--;
	if (e - s < 3 || text[s] != '<' || text[s + 1] == '?' || text[s + 1] == '!' ||
	    text[e - 1] != '>' || xml_check_text(text + s, e - s, false) ||
	    !verbatim_parse(text, len, &v))
		return false;
	*start = s;
	*end = e;
	return true;
}
