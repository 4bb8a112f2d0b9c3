/* test_stanza_stdin.c - unit tests for bridge/stanza_stdin.c.
 *
 * The document written from libstrophe's tree must be byte for byte what the old way
 * gave: xmpp_stanza_to_text, then request_stdin_document. Compared on stanzas parsed
 * by libstrophe (as they arrive) and built by hand: markup characters in attributes and
 * text, non-ASCII, xml:lang with and without its prefix, xmlns on the root (client,
 * component, other) and on children (same as the parent's or not), many attributes
 * (past the writer's stack array), empty elements, nested ones. A node without a name
 * is refused as libstrophe refuses it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strophe.h>

#include "request.h"
#include "stanza_stdin.h"

static xmpp_ctx_t *ctx;

static void same_as_before(xmpp_stanza_t *s)
{
	char *text = NULL, *want, *got = NULL;
	size_t text_len = 0, want_len = 0, got_len = 0;
	assert_int_equal(xmpp_stanza_to_text(s, &text, &text_len), XMPP_EOK);
	want = request_stdin_document(text, text_len, &want_len);
	assert_non_null(want);
	assert_int_equal(stanza_stdin_document(s, &got, &got_len), STDIN_OK);
	assert_string_equal(got, want);
	assert_int_equal(got_len, want_len);
	xmpp_free(ctx, text);
	free(want);
	free(got);
}

static void parsed_stanzas(void **state)
{
	static const char *const stanzas[] = {
	    "<iq type='get' id='1' to='a@b/c' from='d@e/f'><query xmlns='jabber:iq:version'/></iq>",
	    "<iq xmlns='jabber:client' type='set' id='a&amp;b&lt;c&gt;&quot;d&apos;e'>"
	    "<x xmlns='urn:x' a='1&#10;2'>t &amp; &lt;u&gt; \"q\" 'a' \xC3\xA9\xE2\x82\xAC</x></iq>",
	    "<message xmlns='jabber:component:accept' xml:lang='en' to='r@c' type='chat'>"
	    "<body>hi</body><body xml:lang='de'>hallo</body></message>",
	    "<presence xmlns='urn:other' lang='fr'/>",
	    "<iq type='get' id='n'><a xmlns='urn:a'><b xmlns='urn:a'><c xmlns='urn:c'>"
	    "<d/></c></b></a><e></e>text<f>1</f></iq>",
	    "<iq type='get' id='m' a1='1' a2='2' a3='3' a4='4' a5='5' a6='6' a7='7' a8='8' a9='9'"
	    " b1='1' b2='2' b3='3' b4='4' b5='5' b6='6' b7='7' b8='8' b9='9' c1='1'><q/></iq>",
	};
	(void)state;
	for (size_t i = 0; i < sizeof stanzas / sizeof stanzas[0]; i++) {
		xmpp_stanza_t *s = xmpp_stanza_new_from_string(ctx, stanzas[i]);
		assert_non_null(s);
		same_as_before(s);
		xmpp_stanza_release(s);
	}
}

static void built_stanzas(void **state)
{
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", "i\"<&>");
	xmpp_stanza_t *q = xmpp_stanza_new(ctx), *t = xmpp_stanza_new(ctx);
	(void)state;
	xmpp_stanza_set_ns(iq, "jabber:client");
	xmpp_stanza_set_attribute(iq, "lang", "en");
	xmpp_stanza_set_name(q, "query");
	xmpp_stanza_set_ns(q, "jabber:client"); /* the parent's: left out */
	xmpp_stanza_set_text(t, "a<b>&\"c\"");
	xmpp_stanza_add_child(q, t);
	xmpp_stanza_add_child(iq, q);
	same_as_before(iq);
	xmpp_stanza_release(t);
	xmpp_stanza_release(q);
	xmpp_stanza_release(iq);
}

static void nameless_refused(void **state)
{
	xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", "1"), *odd = xmpp_stanza_new(ctx);
	char *out = NULL, *text = NULL;
	size_t len = 0;
	(void)state;
	xmpp_stanza_add_child(iq, odd);
	assert_true(xmpp_stanza_to_text(iq, &text, &len) != XMPP_EOK);
	assert_int_equal(stanza_stdin_document(iq, &out, &len), STDIN_UNSERIALIZABLE);
	assert_null(out);
	xmpp_stanza_release(odd);
	xmpp_stanza_release(iq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(parsed_stanzas),
	    cmocka_unit_test(built_stanzas),
	    cmocka_unit_test(nameless_refused),
	};
	int rc;
	xmpp_initialize();
	ctx = xmpp_ctx_new(NULL, NULL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmpp_ctx_free(ctx);
	xmpp_shutdown();
	return rc;
}
