/* test_jid_check.c - unit tests for bridge/xmpp/jid_check.c.
 *
 * Accepted: bare and full JIDs, a domain alone, IP literals, non-ASCII letters already
 * in NFKC, resources with '@', '/' and ':'. Refused: empty parts, control characters
 * (C0, DEL, C1), invalid UTF-8 and Latin-1 bytes, spaces (ASCII and Unicode), format
 * characters (U+200B), characters NFKC would rewrite (fullwidth U+FF20 '@', U+FF0F
 * '/', U+FF0E '.', the Kelvin sign, U+2126 Ohm), localpart characters RFC 7622 forbids,
 * empty domain labels (trailing dot), labels over 63 bytes, parts over 1023 bytes,
 * punctuation in a domain, malformed IP literals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "jid_check.h"

static void accepts_jids(void **state)
{
	(void)state;
	assert_null(jid_check("alice@example.org"));
	assert_null(jid_check("alice@example.org/phone"));
	assert_null(jid_check("example.org"));
	assert_null(jid_check("svc.example.org/route/extra@x:y"));
	assert_null(jid_check("Alice@Example.ORG"));
	assert_null(jid_check("j\xc3\xbcrgen@m\xc3\xbcnchen.example/b\xc3\xbcro"));
	assert_null(jid_check("user@[::1]"));
	assert_null(jid_check("user@127.0.0.1"));
	assert_null(jid_check("a_b@my-host_1.example"));
}

static void refuses_control_and_bad_utf8(void **state)
{
	(void)state;
	assert_non_null(jid_check("al\x01ice@example.org"));
	assert_non_null(jid_check("alice@example.org/r\x7f"));
	assert_non_null(jid_check("alice@exa\xc2\x85mple.org"));
	assert_non_null(jid_check("alice@example.org/\xff"));
	assert_non_null(jid_check("caf\xe9@example.org"));
	assert_non_null(jid_check("alice@example.org/a\tb"));
	assert_non_null(jid_check("alice@example.org/a b"));
	assert_non_null(jid_check("alice@example.org/a\xe3\x80\x80z")); /* ideographic space */
	assert_non_null(jid_check("al\xe2\x80\x8bice@example.org"));    /* zero width space */
}

static void refuses_rewritable(void **state)
{
	(void)state;
	assert_non_null(jid_check("bob\xef\xbc\xa0"
	                          "evil.example")); /* U+FF20 fullwidth @ */
	assert_non_null(jid_check("bob@example.org\xef\xbc\x8f"
	                          "x")); /* U+FF0F fullwidth / */
	assert_non_null(jid_check("bob@evil\xef\xbc\x8e"
	                          "example")); /* U+FF0E fullwidth . */
	assert_non_null(jid_check("\xe2\x84\xaa"
	                          "ey@example.org"));               /* U+212A Kelvin sign */
	assert_non_null(jid_check("bob@example.org/\xe2\x84\xa6")); /* U+2126 Ohm sign */
}

static void refuses_structure(void **state)
{
	char big[1100];
	(void)state;
	assert_non_null(jid_check(""));
	assert_non_null(jid_check("@example.org"));
	assert_non_null(jid_check("alice@"));
	assert_non_null(jid_check("alice@example.org/"));
	assert_non_null(jid_check("a<b@example.org"));
	assert_non_null(jid_check("a'b@example.org"));
	assert_non_null(jid_check("a:b@example.org"));
	assert_non_null(jid_check("a\"b@example.org"));
	assert_non_null(jid_check("a&b@example.org"));
	assert_non_null(jid_check("a@b@example.org"));
	assert_non_null(jid_check("alice@example.org."));
	assert_non_null(jid_check("alice@.example.org"));
	assert_non_null(jid_check("alice@example..org"));
	assert_non_null(jid_check("alice@exa<mple.org"));
	assert_non_null(jid_check("alice@exa:mple.org"));
	assert_non_null(jid_check("alice@[::1"));
	assert_non_null(jid_check("alice@[zz]"));
	memset(big, 'a', 64);
	strcpy(big + 64, ".example");
	assert_non_null(jid_check(big));
	memset(big, 'a', 1024);
	strcpy(big + 1024, "@x");
	assert_non_null(jid_check(big));
	strcpy(big + 1023, "@x");
	assert_null(jid_check(big));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accepts_jids),
	    cmocka_unit_test(refuses_control_and_bad_utf8),
	    cmocka_unit_test(refuses_rewritable),
	    cmocka_unit_test(refuses_structure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
