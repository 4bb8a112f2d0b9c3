/* xml_check.h - XML text checked the way an XMPP server's parser checks it (pure).
 *
 * Prosody, ejabberd and libstrophe read the stream with expat and close it on anything
 * expat or RFC 6120 section 11 refuses. libxml2 is more lenient in three ways that
 * matter here: it returns a document after namespace errors (an unbound prefix, "a:",
 * two attributes equal once their prefixes are expanded), it accepts the XML 1.0 fifth
 * edition's name characters (expat keeps to the fourth edition's), and it keeps comments
 * and processing instructions. This module parses with libxml2 in its fourth-edition
 * mode and refuses all of that, plus invalid UTF-8, characters XML 1.0 forbids, a
 * DOCTYPE and nesting deeper than XML_CHECK_MAX_DEPTH elements. */
#ifndef XC_XML_CHECK_H
#define XC_XML_CHECK_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* The deepest element nesting the bridge reads or writes (the stanza counts as 1).
 * libxml2 itself stops at 256. */
#define XML_CHECK_MAX_DEPTH 128

enum xml_check_mode {
	/* A handler's XML body: an XML declaration is fine; comments and processing
	 * instructions are kept for the caller to drop. */
	XML_CHECK_DOCUMENT,
	/* Text for the stream: one element, no XML declaration, no comment, no processing
	 * instruction, valid UTF-8. */
	XML_CHECK_STANZA,
};

/* The document if text passes the checks of mode, else NULL with *why (a static text). */
xmlDocPtr xml_check_read(const char *text, size_t len, enum xml_check_mode mode, const char **why);

/* True when text, a handler's XML body, is a document xml_check_read accepts in
 * DOCUMENT mode whose root element may be written on the stream byte for byte as the
 * child of a stanza; text[*start, *end) is that element. Parsed without building a tree;
 * it takes only an XML 1.0 declaration in UTF-8 and white space around the element,
 * valid UTF-8 of XML characters, no byte-order mark, comment, processing instruction,
 * DTD or entity reference, and nesting two levels below the limit. Written so, inside
 * an envelope whose attributes are XML text, the stanza passes xml_check_stanza. False
 * says nothing: read the body with xml_check_read. */
bool xml_check_verbatim(const char *text, size_t len, size_t *start, size_t *end);

/* NULL if text is one stanza a server accepts, else why not (a static text). */
const char *xml_check_stanza(const char *text, size_t len);

/* Length of the UTF-8 sequence at s (at most n bytes) if it encodes a character XML 1.0
 * allows, else 0. */
size_t xml_char_len(const unsigned char *s, size_t n);

/* NULL if s holds valid UTF-8 of XML 1.0 characters only and, when no_controls, none of
 * the C0 or C1 controls or DEL (tab, LF and CR included); else why not. */
const char *xml_check_text(const char *s, size_t len, bool no_controls);

#endif
