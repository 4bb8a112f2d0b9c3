/* test_xml_check.c - unit tests for bridge/xmpp/xml_check.c.
 *
 * xml_check_stanza refuses what an XMPP server's expat parser refuses: an unbound
 * prefix, an empty local name ("a:"), two attributes equal after namespace expansion,
 * XML 1.0 fifth-edition name characters outside the fourth edition's classes (U+2070,
 * U+10000), invalid UTF-8 (truncated, overlong, surrogate), control characters,
 * comments, processing instructions, an XML declaration, a DOCTYPE, undeclared
 * entities, two elements, and nesting deeper than XML_CHECK_MAX_DEPTH (also far past
 * libxml2's own 256); it accepts ordinary stanzas, bound prefixes, xml:lang, non-ASCII
 * text and names expat takes, and exactly XML_CHECK_MAX_DEPTH levels. Document mode
 * keeps comments and an XML declaration for the caller. xml_check_text tells XML
 * characters and, with no_controls, C0/C1 controls and DEL. xml_check_verbatim passes a
 * handler's body to be written as it is only when document mode accepts it and the
 * stanza around it passes the stanza check: declaration and white space skipped, but
 * not with a byte-order mark, comment, PI, DTD, another encoding, or too deep; each
 * such body still reads in document mode, and what it refuses is refused there too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "xml_check.h"

static const char *chk(const char *s) { return xml_check_stanza(s, strlen(s)); }

static void accepts_ordinary_stanzas(void **state)
{
	(void)state;
	assert_null(chk("<iq type='result' id='1' to='a@b/c'/>"));
	assert_null(chk("<message><body>h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80</body></message>"));
	assert_null(chk("<iq><q xmlns='urn:x' xmlns:p='urn:p' p:a='1' a='2'><p:x/></q></iq>"));
	assert_null(chk("<message xml:lang='en'><body>&lt;&amp;&#x41;</body></message>"));
	assert_null(chk("<m><![CDATA[<not-xml>]]></m>"));
	assert_null(chk("<caf\xc3\xa9 \xc3\xa9t\xc3\xa9='1'/>")); /* Latin letters: both editions */
	assert_null(chk("<a/> \n"));
}

static void refuses_namespace_errors(void **state)
{
	(void)state;
	assert_non_null(strstr(chk("<a:b/>"), "namespace"));
	assert_non_null(strstr(chk("<a:/>"), "namespace"));
	assert_non_null(chk("<iq><x p:y='1'/></iq>"));
	assert_non_null(strstr(chk("<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>"), "namespace"));
	assert_non_null(chk("<a x='1' x='2'/>"));
}

static void refuses_fifth_edition_names(void **state)
{
	(void)state;
	assert_non_null(chk("<a\xe2\x81\xb0/>"));             /* U+2070 */
	assert_non_null(chk("<a\xf0\x90\x80\x80/>"));         /* U+10000 */
	assert_non_null(chk("<a b\xe2\x81\xb0='1'/>"));       /* in an attribute name */
	assert_non_null(chk("<a xmlns:p\xe2\x81\xb0='u'/>")); /* in a prefix */
}

static void refuses_bad_characters(void **state)
{
	(void)state;
	assert_non_null(chk("<a>\xff</a>"));
	assert_non_null(chk("<a>\xc3</a>"));
	assert_non_null(chk("<a>\xc0\xaf</a>"));     /* overlong '/' */
	assert_non_null(chk("<a>\xed\xa0\x80</a>")); /* surrogate */
	assert_non_null(chk("<a>\xef\xbf\xbe</a>")); /* U+FFFE */
	assert_non_null(strstr(chk("<a>\x01</a>"), "control"));
	assert_non_null(chk("<a>&#1;</a>"));
	assert_non_null(xml_check_stanza("<a>\0</a>", 8));
}

static void refuses_restricted_xml(void **state)
{
	(void)state;
	assert_non_null(strstr(chk("<a><!--c--></a>"), "comment"));
	assert_non_null(strstr(chk("<a><?pi x?></a>"), "processing instruction"));
	assert_non_null(chk("<!--c--><a/>"));
	assert_non_null(chk("<?xml version='1.0'?><a/>"));
	assert_non_null(chk("<!DOCTYPE a><a/>"));
	assert_non_null(chk("<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>"));
	assert_non_null(chk("<a>&e;</a>"));
	assert_non_null(chk("<a/><b/>"));
	assert_non_null(chk("<a>"));
	assert_non_null(chk(""));
}

static char *nested(unsigned depth)
{
	char *s = malloc(depth * 7 + 1), *p = s;
	assert_non_null(s);
	for (unsigned i = 0; i < depth; i++)
		p += sprintf(p, "<a>");
	for (unsigned i = 0; i < depth; i++)
		p += sprintf(p, "</a>");
	return s;
}

static void limits_depth(void **state)
{
	char *s;
	(void)state;
	s = nested(XML_CHECK_MAX_DEPTH);
	assert_null(chk(s));
	free(s);
	s = nested(XML_CHECK_MAX_DEPTH + 1);
	assert_non_null(strstr(chk(s), "deep"));
	free(s);
	s = nested(100000);
	assert_non_null(strstr(chk(s), "deep"));
	free(s);
}

static void document_mode_keeps_comments(void **state)
{
	const char *why = NULL;
	static const char body[] = "<?xml version='1.0' encoding='UTF-8'?><!--c--><a><!--d--></a>";
	xmlDocPtr d;
	(void)state;
	d = xml_check_read(body, sizeof body - 1, XML_CHECK_DOCUMENT, &why);
	assert_non_null(d);
	xmlFreeDoc(d);
	d = xml_check_read("<a:b/>", 6, XML_CHECK_DOCUMENT, &why);
	assert_null(d);
	assert_non_null(strstr(why, "namespace"));
	d = xml_check_read("<!DOCTYPE a><a/>", 16, XML_CHECK_DOCUMENT, &why);
	assert_null(d);
	assert_non_null(strstr(why, "document type"));
}

/* The verbatim part of body, or "" when it is left to the tree; "!" when refused. A
 * verbatim part must read in document mode and pass, in an envelope, the stanza check. */
static char *body_root(const char *body, size_t len)
{
	const char *why = NULL;
	size_t s, e;
	char *stanza;
	xmlDocPtr d = xml_check_read(body, len, XML_CHECK_DOCUMENT, &why);
	xmlFreeDoc(d);
	if (!xml_check_verbatim(body, len, &s, &e))
		return strdup(d ? "" : "!");
	assert_non_null(d);
	stanza = malloc(e - s + 16);
	assert_non_null(stanza);
	sprintf(stanza, "<iq>%.*s</iq>", (int)(e - s), body + s);
	assert_null(chk(stanza));
	free(stanza);
	return strndup(body + s, e - s);
}

static void body_verbatim(void **state)
{
	static const struct {
		const char *body, *root;
	} cases[] = {
	    {"<a/>", "<a/>"},
	    {" \r\n<a x='1'>t</a>\n\n", "<a x='1'>t</a>"},
	    {"<?xml version='1.0' encoding='utf-8'?>\n<q xmlns='u'><b/></q>", "<q xmlns='u'><b/></q>"},
	    {"<?xml version=\"1.0\"?><a>&#xE9;&amp;</a>", "<a>&#xE9;&amp;</a>"},
	    {"<?xml version='1.0' encoding='ISO-8859-1'?><a>\xE9</a>", ""},
	    {"<?xml version='1.1'?><a/>", "!"},
	    {"\xEF\xBB\xBF<a/>", ""},
	    {"<!--c--><a/>", ""},
	    {"<a/><!--c-->", ""},
	    {"<a><?p x?></a>", ""},
	    {"<a><b/>", "!"},
	    {"<a:b/>", "!"},
	    {"<a x=\"1\" x=\"2\"/>", "!"},
	    {"<a>&foo;</a>", "!"},
	    {"<a/><b/>", "!"},
	    {"<a>\xC3(</a>", "!"},
	    {"<a>\x01</a>", "!"},
	    {"<!DOCTYPE a><a/>", "!"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = body_root(cases[i].body, strlen(cases[i].body));
		assert_string_equal(got, cases[i].root);
		free(got);
	}
}

/* One parser context serves body after body: a body whose parse stopped inside an
 * element that declared a prefix (libxml2 leaves it on its namespace stack) must not
 * leave that prefix declared for the next. */
static void body_after_broken_body(void **state)
{
	static const char broken[] = "<p:a xmlns:p='urn:x'><p:b>";
	static const char undeclared[] = "<p:a/>";
	size_t s, e;
	(void)state;
	for (int round = 0; round < 3; round++) {
		assert_false(xml_check_verbatim(broken, strlen(broken), &s, &e));
		assert_false(xml_check_verbatim(undeclared, strlen(undeclared), &s, &e));
		assert_true(xml_check_verbatim("<a/>", 4, &s, &e));
	}
	/* past the context's renewal too (it is replaced after a fixed number of uses) */
	for (int i = 0; i < 3000; i++)
		assert_true(xml_check_verbatim("<q xmlns='u'><b/></q>", 21, &s, &e));
	assert_false(xml_check_verbatim(undeclared, strlen(undeclared), &s, &e));
}

/* A payload two levels below the limit goes as it is; deeper ones are left to the tree
 * (whose stanza the outbound check refuses when over the limit, as before). */
static void body_depth(void **state)
{
	char *s, *got;
	(void)state;
	s = nested(XML_CHECK_MAX_DEPTH - 2);
	got = body_root(s, strlen(s));
	assert_string_equal(got, s);
	free(got);
	free(s);
	s = nested(XML_CHECK_MAX_DEPTH - 1);
	got = body_root(s, strlen(s));
	assert_string_equal(got, "");
	free(got);
	free(s);
}

static void text_checks(void **state)
{
	(void)state;
	assert_null(xml_check_text("caf\xc3\xa9\tx\n", 7, false));
	assert_non_null(xml_check_text("a\tb", 3, true));
	assert_non_null(xml_check_text("a\x7f", 2, true));
	assert_non_null(xml_check_text("a\xc2\x85", 3, true)); /* NEL, a C1 control */
	assert_null(xml_check_text("a\xc2\xa0", 3, true));
	assert_non_null(xml_check_text("caf\xe9", 4, false)); /* Latin-1 */
	assert_int_equal(xml_char_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	assert_int_equal(xml_char_len((const unsigned char *)"\xe2\x82", 2), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accepts_ordinary_stanzas),
	    cmocka_unit_test(refuses_namespace_errors),
	    cmocka_unit_test(refuses_fifth_edition_names),
	    cmocka_unit_test(refuses_bad_characters),
	    cmocka_unit_test(refuses_restricted_xml),
	    cmocka_unit_test(limits_depth),
	    cmocka_unit_test(document_mode_keeps_comments),
	    cmocka_unit_test(text_checks),
	    cmocka_unit_test(body_verbatim),
	    cmocka_unit_test(body_depth),
	    cmocka_unit_test(body_after_broken_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
