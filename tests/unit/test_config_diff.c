/* test_config_diff.c - unit tests for the [metrics] section and for what reload compares.
 *
 * [metrics]: listen with IPv4 and bracketed IPv6, and the errors with their FILE:LINE
 * (a name instead of an address, no port, port 0, an unknown key, a repeated key or
 * section, a section without listen). Reload comparisons: a route with the same keys is
 * the same even when other routes change, order and values of keys matter, a changed
 * [xmpp] key or password_file content, [control], [metrics] and [daemon] changes are named as
 * the section that needs a restart, and an identical file needs none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "scratch_config.h"
#include "scratch_dir.h"

static int setup(void **state)
{
	(void)state;
	if (scratch_dir_make("config-diff") != 0)
		return -1;
	write_file("a.sh", "#!/bin/sh\n", 0755);
	write_file("b.sh", "#!/bin/sh\n", 0755);
	write_file("pw", "one\n", 0600);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_dir_remove();
}

static void expect_error(const char *text, int line, const char *needle)
{
	expect_config_error("bad.conf", text, line, needle);
}

/* The files a.sh, b.sh and pw that these configurations name live in dir. */
#define XMPP "[xmpp]\njid = bot@example.org\npassword_file = pw\n"
#define ROUTE_A "[route \"a\"]\ncgi = a.sh\n"
#define ROUTE_B "[route \"b\"]\ncgi = b.sh\ntimeout = 5\n"

static void test_metrics_listen(void **state)
{
	struct config cfg;
	(void)state;
	load_config_ok("m.conf", XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:9150\n", &cfg);
	assert_string_equal(cfg.metrics_host, "127.0.0.1");
	assert_int_equal(cfg.metrics_port, 9150);
	config_free(&cfg);
	load_config_ok("m.conf", "[metrics]\nlisten = [::1]:80\n" XMPP ROUTE_A, &cfg);
	assert_string_equal(cfg.metrics_host, "::1");
	assert_int_equal(cfg.metrics_port, 80);
	config_free(&cfg);
	load_config_ok("m.conf", XMPP ROUTE_A, &cfg);
	assert_null(cfg.metrics_host);
	config_free(&cfg);
}

static void test_metrics_errors(void **state)
{
	(void)state;
	expect_error(XMPP ROUTE_A "[metrics]\nlisten = localhost:9150\n", 7, "listen 'localhost:9150'");
	expect_error(XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1\n", 7, "is not ADDRESS:PORT");
	expect_error(XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:0\n", 7, "is not ADDRESS:PORT");
	expect_error(XMPP ROUTE_A "[metrics]\nlisten = ::1:80\n", 7, "is not ADDRESS:PORT");
	expect_error(XMPP ROUTE_A "[metrics]\nport = 9150\n", 7, "unknown key 'port' in [metrics]");
	expect_error(XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:1\nlisten = 127.0.0.1:2\n", 8,
	             "duplicate key 'listen'");
	expect_error(XMPP "[metrics]\nlisten = 127.0.0.1:1\n" ROUTE_A "[metrics]\n", 8,
	             "duplicate section [metrics]");
	expect_error(XMPP ROUTE_A "[metrics]\n", 6, "[metrics] needs listen");
}

static void test_route_same(void **state)
{
	struct config one, two;
	(void)state;
	load_config_ok("one.conf", XMPP ROUTE_A ROUTE_B, &one);
	load_config_ok("two.conf", XMPP ROUTE_A "[route \"b\"]\ncgi = b.sh\ntimeout = 6\n", &two);
	assert_true(config_route_same(&one.routes[0], &two.routes[0]));
	assert_false(config_route_same(&one.routes[1], &two.routes[1]));
	assert_false(config_route_same(&one.routes[0], &one.routes[1]));
	assert_null(config_restart_section(&one, &two));
	config_free(&two);
	/* the same keys in another order count as a change */
	load_config_ok("two.conf", XMPP ROUTE_A "[route \"b\"]\ntimeout = 5\ncgi = b.sh\n", &two);
	assert_false(config_route_same(&one.routes[1], &two.routes[1]));
	config_free(&two);
	load_config_ok("two.conf", XMPP ROUTE_B ROUTE_A, &two);
	assert_true(config_route_same(&one.routes[0], &two.routes[1]));
	assert_true(config_route_same(&one.routes[1], &two.routes[0]));
	config_free(&two);
	config_free(&one);
}

static void test_restart_sections(void **state)
{
	struct config one, two;
	(void)state;
	load_config_ok("one.conf", XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:9150\n", &one);
	load_config_ok("two.conf", XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:9150\n", &two);
	assert_null(config_restart_section(&one, &two));
	config_free(&two);
	load_config_ok("two.conf", XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:9151\n", &two);
	assert_string_equal(config_restart_section(&one, &two), "[metrics]");
	config_free(&two);
	load_config_ok("two.conf", XMPP "port = 5223\n" ROUTE_A "[metrics]\nlisten = 127.0.0.1:9150\n",
	               &two);
	assert_string_equal(config_restart_section(&one, &two), "[xmpp]");
	config_free(&two);
	load_config_ok(
	    "two.conf",
	    XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:9150\n[control]\nsocket = /tmp/x.sock\n", &two);
	assert_string_equal(config_restart_section(&one, &two), "[control]");
	config_free(&two);
	load_config_ok("two.conf",
	               XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:9150\n[daemon]\nuser = root\n",
	               &two);
	assert_string_equal(config_restart_section(&one, &two), "[daemon]");
	config_free(&two);
	/* the same text, another password in the file it names */
	write_file("pw", "two\n", 0600);
	load_config_ok("two.conf", XMPP ROUTE_A "[metrics]\nlisten = 127.0.0.1:9150\n", &two);
	assert_string_equal(config_restart_section(&one, &two), "[xmpp]");
	write_file("pw", "one\n", 0600);
	config_free(&two);
	config_free(&one);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics_listen),
	    cmocka_unit_test(test_metrics_errors),
	    cmocka_unit_test(test_route_same),
	    cmocka_unit_test(test_restart_sections),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
