/* test_config_value.c - unit tests for config_value.c (the value parsers) and
 * config_table.c (finding a key in a section's table).
 *
 * Covers: booleans in every spelling and case; numbers in range, out of range, signed,
 * with trailing text or overflowing; sizes with k and M suffixes and their bounds;
 * octal modes; listen addresses (IPv4, bracketed IPv6, names and bare IPv6 refused);
 * bare JIDs split with the domain lowercased; localparts and domains; relative and
 * absolute paths; and a table: the generic setters writing through offsetof, unknown
 * and duplicate keys refused with file:line, repeatable keys accepted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

static void test_bool(void **state)
{
	const char *yes[] = {"yes", "TRUE", "On", "1"}, *no[] = {"no", "False", "OFF", "0"};
	bool b;
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		b = false;
		assert_true(cfg_parse_bool(yes[i], &b));
		assert_true(b);
		assert_true(cfg_parse_bool(no[i], &b));
		assert_false(b);
	}
	assert_false(cfg_parse_bool("y", &b));
	assert_false(cfg_parse_bool("", &b));
	assert_false(cfg_parse_bool("yes ", &b));
}

static void test_uint(void **state)
{
	unsigned long n = 7;
	(void)state;
	assert_true(cfg_parse_uint("1", 1, 65535, &n));
	assert_int_equal(n, 1);
	assert_true(cfg_parse_uint("65535", 1, 65535, &n));
	assert_int_equal(n, 65535);
	n = 7;
	assert_false(cfg_parse_uint("0", 1, 65535, &n));
	assert_false(cfg_parse_uint("65536", 1, 65535, &n));
	assert_false(cfg_parse_uint("-1", 0, 10, &n));
	assert_false(cfg_parse_uint("+1", 0, 10, &n));
	assert_false(cfg_parse_uint(" 1", 0, 10, &n));
	assert_false(cfg_parse_uint("1s", 0, 10, &n));
	assert_false(cfg_parse_uint("", 0, 10, &n));
	assert_false(cfg_parse_uint("99999999999999999999999", 0, ~0ul, &n));
	assert_int_equal(n, 7); /* untouched on failure */
}

static void test_size(void **state)
{
	size_t n;
	(void)state;
	assert_true(cfg_parse_size("65536", 1, 1 << 30, &n));
	assert_int_equal(n, 65536);
	assert_true(cfg_parse_size("64k", 1, 1 << 30, &n));
	assert_int_equal(n, 65536);
	assert_true(cfg_parse_size("2M", 1, 1 << 30, &n));
	assert_int_equal(n, 2 * 1024 * 1024);
	assert_true(cfg_parse_size("1K", 1024, 1024, &n));
	assert_false(cfg_parse_size("1023", 1024, 4096, &n));
	assert_false(cfg_parse_size("5k", 1024, 4096, &n));
	assert_false(cfg_parse_size("1G", 1, ~(size_t)0, &n));
	assert_false(cfg_parse_size("1kk", 1, 1 << 30, &n));
	assert_false(cfg_parse_size("k", 1, 1 << 30, &n));
}

static void test_octal_mode(void **state)
{
	unsigned m;
	(void)state;
	assert_true(cfg_parse_octal_mode("0660", &m));
	assert_int_equal(m, 0660);
	assert_true(cfg_parse_octal_mode("777", &m));
	assert_int_equal(m, 0777);
	assert_false(cfg_parse_octal_mode("1000", &m));
	assert_false(cfg_parse_octal_mode("0689", &m));
	assert_false(cfg_parse_octal_mode("", &m));
}

static void test_listen(void **state)
{
	char *host = NULL;
	unsigned port = 0;
	(void)state;
	assert_true(cfg_parse_listen("127.0.0.1:9150", &host, &port));
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 9150);
	free(host);
	assert_true(cfg_parse_listen("[::1]:80", &host, &port));
	assert_string_equal(host, "::1");
	assert_int_equal(port, 80);
	free(host);
	host = NULL;
	assert_false(cfg_parse_listen("localhost:9150", &host, &port));
	assert_false(cfg_parse_listen("::1:9150", &host, &port));
	assert_false(cfg_parse_listen("127.0.0.1:0", &host, &port));
	assert_false(cfg_parse_listen("127.0.0.1", &host, &port));
	assert_false(cfg_parse_listen("[::1]9150", &host, &port));
	assert_null(host);
}

static void test_jid_parts(void **state)
{
	char *l = NULL, *d = NULL;
	(void)state;
	assert_true(cfg_split_bare_jid("Bot@Example.ORG", &l, &d));
	assert_string_equal(l, "Bot");
	assert_string_equal(d, "example.org");
	free(l);
	free(d);
	assert_false(cfg_split_bare_jid("bot@example.org/res", &l, &d));
	assert_false(cfg_split_bare_jid("@example.org", &l, &d));
	assert_false(cfg_split_bare_jid("bot@", &l, &d));
	assert_false(cfg_split_bare_jid("a@b@c", &l, &d));
	assert_false(cfg_split_bare_jid("bot example@x", &l, &d));
	assert_true(cfg_localpart_ok("bot"));
	assert_false(cfg_localpart_ok(""));
	assert_false(cfg_localpart_ok("a@b"));
	assert_false(cfg_localpart_ok("a/b"));
	assert_true(cfg_domain_ok("example.org"));
	assert_false(cfg_domain_ok(""));
	assert_false(cfg_domain_ok("u@example.org"));
	assert_false(cfg_domain_ok("example org"));
}

static void test_paths(void **state)
{
	char *p;
	(void)state;
	p = cfg_resolve_path("/etc/xmpp-cgi", "cgi-bin/x");
	assert_string_equal(p, "/etc/xmpp-cgi/cgi-bin/x");
	free(p);
	p = cfg_resolve_path("/etc/xmpp-cgi", "/usr/lib/x");
	assert_string_equal(p, "/usr/lib/x");
	free(p);
}

/* ---- the table machinery ---- */

struct sample {
	unsigned count;
	size_t limit;
	bool flag;
	int listed;
};

static int set_list(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)ld, (void)cmd, (void)v;
	((struct sample *)conf)->listed++;
	return 1;
}

static const struct cfg_command sample_commands[] = {
    CFG_UINT("count", struct sample, count, 1, 10, "is not a number (1-10)"),
    CFG_SIZE("limit", struct sample, limit, 1024, 4096, "is not a size (1k-4k)"),
    CFG_BOOL("flag", struct sample, flag),
    CFG_LIST("item", set_list),
};

struct fixture {
	struct config cfg;
	struct loader ld;
	char err[256];
	unsigned seen;
	struct sample s;
};

static int key(struct fixture *f, int line, const char *name, const char *v)
{
	f->ld.line = line;
	return cfg_table_key(&f->ld, sample_commands, CFG_N(sample_commands), "sample", &f->seen, &f->s,
	                     name, v);
}

static void fixture_init(struct fixture *f)
{
	memset(f, 0, sizeof *f);
	f->cfg.path = "x.conf";
	f->ld.cfg = &f->cfg;
	f->ld.err = f->err;
	f->ld.errlen = sizeof f->err;
}

static void test_table_setters(void **state)
{
	struct fixture f;
	(void)state;
	fixture_init(&f);
	assert_int_equal(key(&f, 1, "count", "7"), 1);
	assert_int_equal(key(&f, 2, "limit", "2k"), 1);
	assert_int_equal(key(&f, 3, "flag", "yes"), 1);
	assert_int_equal(key(&f, 4, "item", "a"), 1);
	assert_int_equal(key(&f, 5, "item", "b"), 1);
	assert_int_equal(f.s.count, 7);
	assert_int_equal(f.s.limit, 2048);
	assert_true(f.s.flag);
	assert_int_equal(f.s.listed, 2);
	assert_false(f.ld.failed);
}

static void test_table_errors(void **state)
{
	static const struct {
		const char *name, *value, *err;
	} cases[] = {
	    {"colour", "red", "x.conf:9: unknown key 'colour' in [sample]"},
	    {"count", "11", "x.conf:9: count '11' is not a number (1-10)"},
	    {"limit", "1M", "x.conf:9: limit '1M' is not a size (1k-4k)"},
	    {"flag", "maybe", "x.conf:9: flag 'maybe' is not yes or no"},
	};
	struct fixture f;
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		fixture_init(&f);
		assert_int_equal(key(&f, 9, cases[i].name, cases[i].value), 0);
		assert_true(f.ld.failed);
		assert_string_equal(f.err, cases[i].err);
	}
	fixture_init(&f);
	assert_int_equal(key(&f, 3, "count", "1"), 1);
	assert_int_equal(key(&f, 4, "count", "2"), 0);
	assert_string_equal(f.err, "x.conf:4: duplicate key 'count' in [sample]");
	assert_int_equal(f.s.count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bool),         cmocka_unit_test(test_uint),
	    cmocka_unit_test(test_size),         cmocka_unit_test(test_octal_mode),
	    cmocka_unit_test(test_listen),       cmocka_unit_test(test_jid_parts),
	    cmocka_unit_test(test_paths),        cmocka_unit_test(test_table_setters),
	    cmocka_unit_test(test_table_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
