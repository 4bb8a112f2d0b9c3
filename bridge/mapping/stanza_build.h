/* stanza_build.h - the one builder and serializer of the stanzas the bridge writes (pure).
 *
 * Every reply, error and control stanza is a libxml2 tree made here: the envelope
 * (iq, message or presence with type, id, to and from, in that order), the RFC 6120
 * error element, text children cleaned of what XML forbids, and payloads that were
 * already parsed and checked. Modules for XEPs only build their payload below the
 * envelope this file makes. libxml2 does all escaping when the tree is serialized; the
 * serialized text still goes through the outbound check (xml_check.h) before sending.
 * The ordinary reply to a successful response is instead written straight as text by
 * the text writer below, from parts it checks, and needs no second parse
 * (doc/xml-on-the-stream.md). */
#ifndef XC_STANZA_BUILD_H
#define XC_STANZA_BUILD_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

#define STANZAS_NS "urn:ietf:params:xml:ns:xmpp-stanzas"
/* The longest error text (and status message) the bridge writes, in bytes. */
#define STANZA_MAX_ERROR_TEXT 1024

/* A stanza's root: element name and attributes; NULL attributes are left out. */
struct stanza_head {
	const char *name; /* "iq", "message" or "presence" */
	const char *type;
	const char *id;
	const char *to;
	const char *from; /* our address; NULL lets the server stamp it */
};

/* A new document holding the envelope h as its root element, which is returned. */
xmlNodePtr stanza_begin(xmlDocPtr *doc, const struct stanza_head *h);
/* Sets (or replaces) to and from on a stanza root; a NULL value is left alone. */
void stanza_address(xmlNodePtr root, const char *to, const char *from);
/* Appends <error type='type'><condition xmlns=STANZAS_NS>cond_text</condition>
 * <text xmlns=STANZAS_NS>text</text></error> to root. cond_text (may be NULL) and text
 * are cleaned and trimmed, text capped at STANZA_MAX_ERROR_TEXT bytes; no <text> when
 * nothing is left of it. Returns the <error> element (to add an application condition). */
xmlNodePtr stanza_add_error(xmlNodePtr root, const char *type, const char *condition,
                            const char *cond_text, const char *text, size_t text_len);
/* A new empty child element name in namespace ns (NULL: the parent's). */
xmlNodePtr stanza_add_child(xmlNodePtr parent, const char *name, const char *ns);
/* A new child element name holding the text s (len bytes), cleaned (stanza_clean_text). */
xmlNodePtr stanza_add_text(xmlNodePtr parent, const char *name, const char *s, size_t len);
/* Parses a well-formed XML document without a DTD (comments and PIs dropped) and
 * returns a copy of its root element owned by doc, ready to be added as a payload;
 * NULL with *why otherwise. */
xmlNodePtr stanza_xml_payload(xmlDocPtr doc, const char *xml, size_t len, const char **why);
/* The same for a document xml_check_read returned; frees d. */
xmlNodePtr stanza_adopt_payload(xmlDocPtr doc, xmlDocPtr d, const char **why);
/* Drops comments and processing instructions below n (RFC 6120 11.1). */
void stanza_strip_restricted(xmlNodePtr n);
/* The first element among n and its following siblings, or NULL. */
xmlNodePtr stanza_first_element(xmlNodePtr n);
/* Valid UTF-8 without characters XML forbids (replaced by U+FFFD), optionally trimmed,
 * cut to at most cap bytes on a character boundary. Returns malloc'd text. */
char *stanza_clean_text(const char *s, size_t len, size_t cap, bool trim);
/* The root element of doc as text, malloc'd (NULL when out of memory); frees doc. */
char *stanza_serialize(xmlDocPtr doc);

/* The text writer: the stanzas of the hot reply path written straight as text, byte
 * for byte what stanza_serialize writes for the same tree, without building one. Only
 * for heads whose attributes are valid UTF-8 of XML characters (stanza_head_is_text).
 * The result needs no outbound check: every part was checked or escaped here. */
bool stanza_head_is_text(const struct stanza_head *h);
/* h around xml, len bytes of one element that xml_check_verbatim found fit to be written
 * as it is (len 0: the empty stanza). NULL when out of memory. */
char *stanza_write_xml(const struct stanza_head *h, const char *xml, size_t len);
/* h around a child element name holding s, cleaned as stanza_add_text cleans it. */
char *stanza_write_text(const struct stanza_head *h, const char *name, const char *s, size_t len);

#endif
