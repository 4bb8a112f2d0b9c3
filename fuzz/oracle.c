/* oracle.c - the shared checks of the fuzz harnesses (see oracle.h). */
#include "oracle.h"

#include <expat.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void oracle_fail(const char *what, const char *text, size_t len)
{
	fprintf(stderr, "ORACLE: %s\n", what);
	if (text) {
		fprintf(stderr, "-- text (%zu bytes):\n", len);
		fwrite(text, 1, len > 4096 ? 4096 : len, stderr);
		fprintf(stderr, "\n--\n");
	}
	abort();
}

bool oracle_known(const char *name)
{
	const char *list = getenv("XC_FUZZ_KNOWN"), *p;
	size_t n = strlen(name);
	if (!list)
		return false;
	for (p = list; (p = strstr(p, name)); p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
			return true;
	return false;
}

static bool xml_char(uint32_t c)
{
	return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) ||
	       (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF);
}

bool oracle_xml_text(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		uint32_t c;
		size_t n;
		if (*p < 0x80)
			c = *p, n = 1;
		else if ((*p & 0xE0) == 0xC0)
			c = *p & 0x1F, n = 2;
		else if ((*p & 0xF0) == 0xE0)
			c = *p & 0x0F, n = 3;
		else if ((*p & 0xF8) == 0xF0)
			c = *p & 0x07, n = 4;
		else
			return false;
		if ((size_t)(end - p) < n)
			return false;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xC0) != 0x80)
				return false;
			c = (c << 6) | (p[i] & 0x3F);
		}
		if ((n == 2 && c < 0x80) || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000))
			return false; /* overlong */
		if (!xml_char(c))
			return false;
		p += n;
	}
	return true;
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void check_tree(xmlNodePtr n, const char *xml)
{
	for (; n; n = n->next) {
		if (n->type == XML_COMMENT_NODE || n->type == XML_PI_NODE || n->type == XML_DTD_NODE ||
		    n->type == XML_ENTITY_REF_NODE)
			oracle_fail("comment, PI, DTD or entity reference in a stanza", xml, strlen(xml));
		if (n->type == XML_ELEMENT_NODE)
			check_tree(n->children, xml);
	}
}

/* Prosody, ejabberd and libstrophe parse with expat, which follows XML 1.0 fourth
 * edition names and refuses some that libxml2 takes; parse it as they do. */
static void expat_check(const char *xml, size_t len)
{
	XML_Parser p = XML_ParserCreateNS("UTF-8", ' ');
	enum XML_Status st;
	if (!p)
		oracle_fail("expat: no parser", NULL, 0);
	st = XML_Parse(p, xml, (int)len, 1);
	if (st != XML_STATUS_OK) {
		const char *why = XML_ErrorString(XML_GetErrorCode(p));
		XML_ParserFree(p);
		fprintf(stderr, "expat: %s\n", why);
		oracle_fail("expat (the parser servers use) refuses the stanza", xml, len);
	}
	XML_ParserFree(p);
}

char *oracle_stanza(const char *xml, const char *const *roots, const char *attr)
{
	size_t len = strlen(xml);
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNodePtr root;
	bool ok_root = false;
	char *value = NULL;

	if (!oracle_xml_text(xml, len))
		oracle_fail("stanza is not valid UTF-8 or holds a character XML 1.0 forbids", xml, len);
	if (strncmp(xml, "<?xml", 5) == 0)
		oracle_fail("XML declaration in front of a stanza", xml, len);
	xmlSetGenericErrorFunc(NULL, quiet);
	ctxt = xmlCreateMemoryParserCtxt(xml, (int)len);
	if (!ctxt)
		oracle_fail("libxml2: no parser context", NULL, 0);
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlParseDocument(ctxt);
	doc = ctxt->myDoc;
	if (!ctxt->wellFormed)
		oracle_fail("stanza is not well-formed XML", xml, len);
	if (!ctxt->nsWellFormed && !oracle_known("ns-wellformed"))
		oracle_fail("stanza is not namespace-well-formed", xml, len);
	if (!oracle_known("ns-wellformed"))
		expat_check(xml, len);
	if (!doc || !(root = xmlDocGetRootElement(doc)))
		oracle_fail("stanza has no root element", xml, len);
	if (doc->intSubset && !oracle_known("restricted"))
		oracle_fail("stanza has a DOCTYPE", xml, len);
	for (const char *const *r = roots; *r; r++)
		if (strcmp((const char *)root->name, *r) == 0)
			ok_root = true;
	if (!ok_root)
		oracle_fail("unexpected root element", xml, len);
	if (!oracle_known("restricted"))
		check_tree(root->children, xml);
	if (attr) {
		xmlChar *v = xmlGetNoNsProp(root, (const xmlChar *)attr);
		if (v) {
			value = strdup((const char *)v);
			xmlFree(v);
		}
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	return value;
}

uint32_t oracle_rand(uint32_t *state)
{
	/* xorshift32; a zero state would stay zero */
	uint32_t x = *state ? *state : 0x9E3779B9u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}
