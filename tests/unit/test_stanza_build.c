/* test_stanza_build.c - unit tests for stanza_build.c, the one stanza builder.
 *
 * Covers: the envelope's attributes and their order (type, id, to, from; NULL ones left
 * out), to/from stamping that replaces what a stanza carried, the error element (its
 * type, the condition and its text in the stanzas namespace, the <text> cleaned,
 * trimmed, capped and left out when empty, the returned element taking an application
 * condition), escaping of markup in attributes and text, cleaned text children, payload
 * parsing (comments and PIs dropped, DTDs and bad XML refused with a reason),
 * stanza_first_element, and the text writer: byte for byte the tree's serialization for
 * nasty attributes and every byte value in a text child, the verbatim payload, and heads
 * it must leave to the tree (attributes that are not XML text). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "stanza_build.h"
#include "xml_check.h"

static void test_envelope_order_and_nulls(void **state)
{
	xmlDocPtr doc;
	char *out;
	(void)state;
	stanza_begin(&doc, &(struct stanza_head){"iq", "result", "a1", "u@h/r", "svc.h"});
	out = stanza_serialize(doc);
	assert_string_equal(out, "<iq type=\"result\" id=\"a1\" to=\"u@h/r\" from=\"svc.h\"/>");
	free(out);
	stanza_begin(&doc, &(struct stanza_head){"message", "chat", NULL, "u@h", NULL});
	out = stanza_serialize(doc);
	assert_string_equal(out, "<message type=\"chat\" to=\"u@h\"/>");
	free(out);
}

static void test_attribute_escaping(void **state)
{
	xmlDocPtr doc;
	char *out;
	(void)state;
	stanza_begin(&doc, &(struct stanza_head){"iq", "result", "a\"<&'", NULL, NULL});
	out = stanza_serialize(doc);
	assert_string_equal(out, "<iq type=\"result\" id=\"a&quot;&lt;&amp;'\"/>");
	free(out);
}

static void test_address_replaces(void **state)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char *out;
	(void)state;
	root = stanza_begin(&doc, &(struct stanza_head){"message", "normal", NULL, "old@h", "x@y"});
	stanza_address(root, "new@h", "me@h");
	stanza_address(root, NULL, NULL); /* leaves both alone */
	out = stanza_serialize(doc);
	assert_string_equal(out, "<message type=\"normal\" to=\"new@h\" from=\"me@h\"/>");
	free(out);
}

static void test_error_element(void **state)
{
	xmlDocPtr doc;
	xmlNodePtr root, err;
	char *out;
	const char *text = "  no <such> & thing \n";
	(void)state;
	root = stanza_begin(&doc, &(struct stanza_head){"iq", "error", "7", "u@h", NULL});
	err = stanza_add_error(root, "cancel", "gone", "xmpp:x@h", text, strlen(text));
	stanza_add_child(err, "app", "urn:example");
	out = stanza_serialize(doc);
	assert_string_equal(out, "<iq type=\"error\" id=\"7\" to=\"u@h\"><error type=\"cancel\">"
	                         "<gone xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\">xmpp:x@h</gone>"
	                         "<text xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\">"
	                         "no &lt;such&gt; &amp; thing</text>"
	                         "<app xmlns=\"urn:example\"/></error></iq>");
	free(out);
}

static void test_error_without_text(void **state)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char *out;
	(void)state;
	root = stanza_begin(&doc, &(struct stanza_head){"presence", "error", NULL, NULL, NULL});
	stanza_add_error(root, "wait", "resource-constraint", NULL, " \t\n", 3);
	stanza_add_error(root, "modify", "bad-request", NULL, NULL, 0);
	out = stanza_serialize(doc);
	assert_string_equal(out, "<presence type=\"error\"><error type=\"wait\">"
	                         "<resource-constraint xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"
	                         "</error><error type=\"modify\">"
	                         "<bad-request xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>"
	                         "</error></presence>");
	free(out);
}

static void test_error_text_capped(void **state)
{
	size_t n = 2 * STANZA_MAX_ERROR_TEXT;
	char *big = malloc(n);
	xmlDocPtr doc, back;
	xmlNodePtr root, err, tx;
	xmlChar *c;
	char *out;
	(void)state;
	memset(big, 'x', n);
	root = stanza_begin(&doc, &(struct stanza_head){"iq", "error", NULL, NULL, NULL});
	stanza_add_error(root, "cancel", "internal-server-error", NULL, big, n);
	out = stanza_serialize(doc);
	back = xmlReadMemory(out, (int)strlen(out), NULL, NULL, XML_PARSE_NONET);
	assert_non_null(back);
	err = xmlDocGetRootElement(back)->children;
	tx = stanza_first_element(err->children->next);
	assert_string_equal((const char *)tx->name, "text");
	c = xmlNodeGetContent(tx);
	assert_int_equal(strlen((const char *)c), STANZA_MAX_ERROR_TEXT);
	xmlFree(c);
	xmlFreeDoc(back);
	free(out);
	free(big);
}

static void test_text_child_cleaned(void **state)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char *out;
	const char body[] = "a\x01<b>\xff";
	(void)state;
	root = stanza_begin(&doc, &(struct stanza_head){"message", "chat", NULL, NULL, NULL});
	stanza_add_text(root, "body", body, sizeof body - 1);
	out = stanza_serialize(doc);
	assert_string_equal(out, "<message type=\"chat\"><body>a\xEF\xBF\xBD&lt;b&gt;\xEF\xBF\xBD"
	                         "</body></message>");
	free(out);
}

static void test_payload(void **state)
{
	const char *xml = "<?xml version='1.0'?><!-- c --><q xmlns='urn:q'><!-- x --><?pi y?>"
	                  "<a>1</a></q>";
	const char *why = NULL;
	xmlDocPtr doc;
	xmlNodePtr root, p;
	char *out;
	(void)state;
	root = stanza_begin(&doc, &(struct stanza_head){"iq", "result", "1", NULL, NULL});
	p = stanza_xml_payload(doc, xml, strlen(xml), &why);
	assert_non_null(p);
	xmlAddChild(root, p);
	out = stanza_serialize(doc);
	assert_string_equal(out, "<iq type=\"result\" id=\"1\"><q xmlns=\"urn:q\"><a>1</a></q></iq>");
	free(out);
}

static void test_payload_refused(void **state)
{
	const char *bad[] = {"<a><b></a>", "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>", "", "text"};
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *why = NULL;
		assert_null(stanza_xml_payload(doc, bad[i], strlen(bad[i]), &why));
		assert_non_null(why);
	}
	xmlFreeDoc(doc);
}

static void test_first_element(void **state)
{
	const char *xml = "<r>text<!-- c --><a/><b/></r>";
	xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, 0);
	xmlNodePtr r = xmlDocGetRootElement(d), a;
	(void)state;
	a = stanza_first_element(r->children);
	assert_string_equal((const char *)a->name, "a");
	assert_string_equal((const char *)stanza_first_element(a->next)->name, "b");
	assert_null(stanza_first_element(a->next->next));
	assert_null(stanza_first_element(NULL));
	xmlFreeDoc(d);
}

static void test_clean_text(void **state)
{
	char *out;
	(void)state;
	out = stanza_clean_text("  \xc3\xa9t\xc3\xa9\x0b! ", 10, 100, true);
	assert_string_equal(out, "\xc3\xa9t\xc3\xa9\xEF\xBF\xBD!");
	free(out);
	out = stanza_clean_text("a\xc3\xa9", 3, 2, false); /* cut before the 2-byte character */
	assert_string_equal(out, "a");
	free(out);
}

/* The tree the text writer stands for: h with a text child (name NULL: none). */
static char *tree_text(const struct stanza_head *h, const char *name, const char *s, size_t len)
{
	xmlDocPtr doc;
	xmlNodePtr root = stanza_begin(&doc, h);
	if (name)
		stanza_add_text(root, name, s, len);
	return stanza_serialize(doc);
}

static const struct stanza_head heads[] = {
    {"iq", "result", "a1", "u@h/r", "svc.h"},
    {"message", "chat", NULL, "u@h", NULL},
    {"presence", NULL, NULL, NULL, NULL},
    {"iq", "result", "a&b<c>\"d'e\t\n\r x\x7F", "a&b@h/<x>", "s\"v'c"},
    {"iq", "result", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xC2\x80\xEF\xBF\xBD", "\xC3\xA9@h",
     NULL},
};

static void test_writer_equals_tree(void **state)
{
	static const char tail[] =
	    "]]> &amp; \xC3\xA9\xF0\x9F\x98\x80 \xED\xA0\x80 \xEF\xBF\xBE \r\n x";
	char all[256 + sizeof tail];
	(void)state;
	for (int i = 0; i < 256; i++) /* every byte, invalid UTF-8 and NUL included */
		all[i] = (char)i;
	memcpy(all + 256, tail, sizeof tail);
	for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
		const char *texts[] = {"plain", "a & b < c > d \"'", all, " "};
		size_t lens[] = {5, 17, 256 + sizeof tail - 1, 1};
		assert_true(stanza_head_is_text(&heads[i]));
		for (size_t k = 0; k < 4; k++) {
			char *want = tree_text(&heads[i], "body", texts[k], lens[k]);
			char *got = stanza_write_text(&heads[i], "body", texts[k], lens[k]);
			assert_string_equal(got, want);
			assert_null(xml_check_stanza(got, strlen(got)));
			free(want);
			free(got);
		}
		char *want = tree_text(&heads[i], NULL, NULL, 0);
		char *got = stanza_write_xml(&heads[i], NULL, 0);
		assert_string_equal(got, want);
		free(want);
		free(got);
	}
}

static void test_writer_verbatim_payload(void **state)
{
	const char *body = "<x xmlns='urn:x' a=\"1\"><y>t &amp; &#xE9;</y><z></z></x>";
	char *out;
	(void)state;
	out = stanza_write_xml(&heads[0], body, strlen(body));
	assert_string_equal(out, "<iq type=\"result\" id=\"a1\" to=\"u@h/r\" from=\"svc.h\">"
	                         "<x xmlns='urn:x' a=\"1\"><y>t &amp; &#xE9;</y><z></z></x></iq>");
	assert_null(xml_check_stanza(out, strlen(out)));
	free(out);
}

static void test_writer_refuses_heads(void **state)
{
	(void)state;
	assert_false(stanza_head_is_text(&(struct stanza_head){"iq", "result", "a\x01", NULL, NULL}));
	assert_false(stanza_head_is_text(&(struct stanza_head){"iq", "result", "1", "\xC3(", NULL}));
	assert_false(
	    stanza_head_is_text(&(struct stanza_head){"iq", "result", "1", NULL, "\xEF\xBF\xBE"}));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_envelope_order_and_nulls),
	    cmocka_unit_test(test_attribute_escaping),
	    cmocka_unit_test(test_address_replaces),
	    cmocka_unit_test(test_error_element),
	    cmocka_unit_test(test_error_without_text),
	    cmocka_unit_test(test_error_text_capped),
	    cmocka_unit_test(test_text_child_cleaned),
	    cmocka_unit_test(test_payload),
	    cmocka_unit_test(test_payload_refused),
	    cmocka_unit_test(test_first_element),
	    cmocka_unit_test(test_clean_text),
	    cmocka_unit_test(test_writer_equals_tree),
	    cmocka_unit_test(test_writer_verbatim_payload),
	    cmocka_unit_test(test_writer_refuses_heads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
