/* test_config.c - unit tests for bridge/daemon/config.c, loading and checking the INI file.
 *
 * Valid files: the jid form and the username + domain form, password and a
 * password_file (relative to the file's directory), every [xmpp] and route key, the
 * defaults merged in (port 5222, tls required, timeout 30, max_concurrency 32,
 * max_queue 64, max_output 192 KiB, allow "*@<domain>"), size suffixes, booleans,
 * allow lists lower-cased, env lines, relative cgi paths resolved against the config
 * file's directory, comments, a BOM, long route names. Errors, each with its exact
 * "FILE:LINE: " prefix: unknown key and section, malformed header, invalid and
 * duplicate route names, duplicate keys, both jid forms or both password forms,
 * missing/non-executable/directory cgi, bad values (port 0 and 70000, tls=maybe,
 * timeout=abc, max_output=12, message_replies=perhaps, ...), bad allow entries, bad env
 * names (lower case allowed; reserved CGI names and XMPP_ refused), missing jid or
 * password (line of the [xmpp] header), no routes, a route without cgi (line of its
 * header, also when the section is empty), an empty unknown section, a jid with a
 * resource, keys outside any section, syntax errors, over-long lines, password_file
 * (missing, empty, too long) and cafile problems, an env name given twice in a route,
 * a missing config file; interpreter and assign (which program runs a script, a
 * script they run need not be executable, bad extensions and programs, refused on
 * FastCGI routes); FastCGI routes: backends, backend_rest (default, range,
 * fastcgi routes only), one address twice in a route however written. Files live in a
 * mkdtemp directory, with the scripts they name; the [control] limits and
 * tokenless_users (defaults, values, refusals); the group chat keys (rooms, nick,
 * room_*: defaults, values, each refusal, keys without rooms, rooms on [route "*"]). */
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
#include "muc_logic.h"
#include "scratch_config.h"
#include "scratch_dir.h"

static char conf_path[300];

/* ---- fixture ---- */

static int setup(void **state)
{
	char sub[300];
	(void)state;
	if (scratch_dir_make("config") != 0)
		return -1;
	snprintf(sub, sizeof sub, "%s/sub", dir);
	if (mkdir(sub, 0755) != 0)
		return -1;
	write_file("handler.sh", "#!/bin/sh\necho 'Content-Type: text/plain'\necho\n", 0755);
	write_file("other.sh", "#!/bin/sh\n", 0755);
	write_file("sub/nested.sh", "#!/bin/sh\n", 0755);
	write_file("plain.txt", "#!/bin/sh\n", 0644);
	write_file("secret", "s3cret; with = signs \n", 0600);
	write_file("secret-crlf", "pw\r\n", 0600);
	write_file("empty-secret", "\n", 0600);
	{
		char long_secret[2048];
		memset(long_secret, 'p', sizeof long_secret - 1);
		long_secret[sizeof long_secret - 1] = '\0';
		write_file("long-secret", long_secret, 0600);
	}
	write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n", 0644);
	snprintf(conf_path, sizeof conf_path, "%s/test.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_dir_remove();
}

/* ---- helpers ---- */

/* tmpl with every "$D" replaced by the test directory; malloc'd */
static char *expand(const char *tmpl)
{
	size_t dl = strlen(dir), n = 0;
	char *out = malloc(strlen(tmpl) * (dl + 1) + 1);
	assert_non_null(out);
	for (const char *p = tmpl; *p; p++) {
		if (p[0] == '$' && p[1] == 'D') {
			memcpy(out + n, dir, dl);
			n += dl;
			p++;
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

static void load_ok(const char *tmpl, struct config *cfg)
{
	char *text = expand(tmpl);
	load_config_ok("test.conf", text, cfg);
	free(text);
}

/* The load fails with "FILE:LINE: " followed by a text containing needle ($D expanded). */
static void expect_error(const char *tmpl, int line, const char *needle)
{
	char *text = expand(tmpl), *want = expand(needle);
	expect_config_error("test.conf", text, line, want);
	free(text);
	free(want);
}

#define XMPP_OK "[xmpp]\njid = bridge@example.org\npassword = pw\n"
#define ROUTE_OK "[route \"echo\"]\ncgi = $D/handler.sh\n"

/* ---- valid files ---- */

static void test_valid_jid_form_defaults(void **state)
{
	struct config cfg;
	const struct route_cfg *r;
	char *cgi = expand("$D/handler.sh");
	(void)state;
	load_ok("[xmpp]\n"
	        "jid = Bridge@Example.ORG\n"
	        "password = pw\n"
	        "\n"
	        "[route \"echo\"]\n"
	        "cgi = $D/handler.sh\n",
	        &cfg);
	assert_string_equal(cfg.path, conf_path);
	assert_string_equal(cfg.localpart, "Bridge");
	assert_string_equal(cfg.domain, "example.org");
	assert_string_equal(cfg.password, "pw");
	assert_null(cfg.host);
	assert_int_equal(cfg.port, 5222);
	assert_int_equal(cfg.port, CFG_DEFAULT_PORT);
	assert_int_equal(cfg.tls, TLS_REQUIRED);
	assert_null(cfg.cafile);
	assert_int_equal(cfg.n_routes, 1);
	r = &cfg.routes[0];
	assert_string_equal(r->name, "echo");
	assert_int_equal(r->line, 5);
	assert_string_equal(r->cgi, cgi);
	assert_int_equal(r->timeout_s, 30);
	assert_int_equal(r->max_concurrency, 32);
	assert_int_equal(r->max_queue, 64);
	assert_int_equal(r->max_output, 192 * 1024);
	assert_false(r->message_replies);
	assert_int_equal(r->n_allow, 1);
	assert_string_equal(r->allow[0], "*@example.org");
	assert_int_equal(r->n_env, 0);
	assert_ptr_equal(config_route(&cfg, "echo"), r);
	assert_null(config_route(&cfg, "Echo"));
	assert_null(config_route(&cfg, "nope"));
	config_free(&cfg);
	assert_null(cfg.routes);
	assert_int_equal(cfg.n_routes, 0);
	free(cgi);
}

static void test_valid_username_domain_all_keys(void **state)
{
	struct config cfg;
	const struct route_cfg *a, *b;
	char *ca = expand("$D/ca.pem"), *other = expand("$D/other.sh");
	(void)state;
	load_ok("; a full configuration\n"
	        "# with both comment styles\n"
	        "[xmpp]\n"
	        "username = bridge\n"
	        "domain = Example.NET\n"
	        "password_file = secret\n"
	        "host = 127.0.0.1\n"
	        "port = 5223 ; not the default\n"
	        "tls = optional\n"
	        "cafile = ca.pem\n"
	        "\n"
	        "[route \"hello.bot_1~x-y\"]\n"
	        "cgi = $D/other.sh\n"
	        "timeout = 5\n"
	        "max_concurrency = 4\n"
	        "max_queue = 0\n"
	        "max_output = 64k\n"
	        "message_replies = yes\n"
	        "allow = Alice@Example.ORG, *@EXAMPLE.net ,*\n"
	        "allow = robot@example.com\n"
	        "env = GREETING=hello world\n"
	        "env = lower_case=ok\n"
	        "env = _UNDERSCORE=1\n"
	        "env = PATH=/opt/bin:/usr/bin\n"
	        "env = EMPTY=\n"
	        "env = WITH_EQ=a=b\n"
	        "[route \"second\"]\n"
	        "max_output = 1M\n"
	        "message_replies = off\n"
	        "cgi = $D/handler.sh\n",
	        &cfg);
	assert_string_equal(cfg.localpart, "bridge");
	assert_string_equal(cfg.domain, "example.net");
	assert_string_equal(cfg.password, "s3cret; with = signs ");
	assert_string_equal(cfg.host, "127.0.0.1");
	assert_int_equal(cfg.port, 5223);
	assert_int_equal(cfg.tls, TLS_OPTIONAL);
	assert_string_equal(cfg.cafile, ca);
	assert_int_equal(cfg.n_routes, 2);

	a = config_route(&cfg, "hello.bot_1~x-y");
	assert_non_null(a);
	assert_int_equal(a->line, 12);
	assert_string_equal(a->cgi, other);
	assert_int_equal(a->timeout_s, 5);
	assert_int_equal(a->max_concurrency, 4);
	assert_int_equal(a->max_queue, 0);
	assert_int_equal(a->max_output, 64 * 1024);
	assert_true(a->message_replies);
	assert_int_equal(a->n_allow, 4);
	assert_string_equal(a->allow[0], "alice@example.org");
	assert_string_equal(a->allow[1], "*@example.net");
	assert_string_equal(a->allow[2], "*");
	assert_string_equal(a->allow[3], "robot@example.com");
	assert_int_equal(a->n_env, 6);
	assert_string_equal(a->env[0].name, "GREETING");
	assert_string_equal(a->env[0].value, "hello world");
	assert_string_equal(a->env[1].name, "lower_case");
	assert_string_equal(a->env[1].value, "ok");
	assert_string_equal(a->env[2].name, "_UNDERSCORE");
	assert_string_equal(a->env[3].name, "PATH");
	assert_string_equal(a->env[3].value, "/opt/bin:/usr/bin");
	assert_string_equal(a->env[4].name, "EMPTY");
	assert_string_equal(a->env[4].value, "");
	assert_string_equal(a->env[5].name, "WITH_EQ");
	assert_string_equal(a->env[5].value, "a=b");

	/* the second route gets its own defaults, not the first route's values */
	b = config_route(&cfg, "second");
	assert_non_null(b);
	assert_int_equal(b->line, 27);
	assert_int_equal(b->max_output, 1024 * 1024);
	assert_false(b->message_replies);
	assert_int_equal(b->timeout_s, CFG_DEFAULT_TIMEOUT);
	assert_int_equal(b->max_concurrency, CFG_DEFAULT_MAX_CONCURRENCY);
	assert_int_equal(b->max_queue, CFG_DEFAULT_MAX_QUEUE);
	assert_int_equal(b->n_allow, 1);
	assert_string_equal(b->allow[0], "*@example.net");
	assert_int_equal(b->n_env, 0);
	config_free(&cfg);
	free(ca);
	free(other);
}

static void test_valid_values(void **state)
{
	struct config cfg;
	(void)state;
	load_ok(XMPP_OK "port = 1\ntls = disabled\n" ROUTE_OK
	                "timeout = 86400\nmax_concurrency = 65536\nmax_queue = 1000000\n"
	                "max_output = 1024\nmessage_replies = TRUE\n",
	        &cfg);
	assert_int_equal(cfg.port, 1);
	assert_int_equal(cfg.tls, TLS_DISABLED);
	assert_int_equal(cfg.routes[0].timeout_s, 86400);
	assert_int_equal(cfg.routes[0].max_concurrency, 65536);
	assert_int_equal(cfg.routes[0].max_queue, 1000000);
	assert_int_equal(cfg.routes[0].max_output, 1024);
	assert_true(cfg.routes[0].message_replies);
	config_free(&cfg);

	load_ok(XMPP_OK "port = 65535\n" ROUTE_OK "max_output = 64M\nmessage_replies = no\n", &cfg);
	assert_int_equal(cfg.port, 65535);
	assert_int_equal(cfg.routes[0].max_output, 64 * 1024 * 1024);
	assert_false(cfg.routes[0].message_replies);
	config_free(&cfg);
}

static void test_password_file_line_end(void **state)
{
	struct config cfg;
	(void)state;
	load_ok("[xmpp]\njid = a@example.org\npassword_file = $D/secret-crlf\n" ROUTE_OK, &cfg);
	assert_string_equal(cfg.password, "pw");
	config_free(&cfg);
}

static void test_relative_cgi(void **state)
{
	struct config cfg;
	char *want = expand("$D/handler.sh"), *nested = expand("$D/sub/nested.sh");
	char cwd[4096];
	(void)state;
	load_ok(XMPP_OK "[route \"a\"]\ncgi = handler.sh\n[route \"b\"]\ncgi = sub/nested.sh\n", &cfg);
	assert_string_equal(config_route(&cfg, "a")->cgi, want);
	assert_string_equal(config_route(&cfg, "b")->cgi, nested);
	config_free(&cfg);

	/* resolved against the file's directory, not the working directory */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir("/"), 0);
	load_ok(XMPP_OK "[route \"a\"]\ncgi = handler.sh\n", &cfg);
	assert_string_equal(cfg.routes[0].cgi, want);
	config_free(&cfg);
	assert_int_equal(chdir(cwd), 0);

	/* a relative cgi in a file outside the test directory fails to resolve there */
	expect_error(XMPP_OK "[route \"a\"]\ncgi = nested.sh\n", 5, "cgi nested.sh:");
	free(want);
	free(nested);
}

static void test_bom_and_indented_header(void **state)
{
	struct config cfg;
	(void)state;
	load_ok("\xEF\xBB\xBF[xmpp]\njid = a@example.org\npassword = pw\n[route \"r\"]\n"
	        "cgi = $D/handler.sh\n",
	        &cfg);
	assert_string_equal(cfg.domain, "example.org");
	assert_int_equal(cfg.n_routes, 1);
	assert_int_equal(cfg.routes[0].line, 4);
	config_free(&cfg);

	/* an indented header before any key is a header */
	load_ok("\xEF\xBB\xBF  [xmpp]\njid = a@example.org\npassword = pw\n[route \"r\"]\n"
	        "cgi = $D/handler.sh\n",
	        &cfg);
	assert_string_equal(cfg.domain, "example.org");
	config_free(&cfg);

	/* after a key it continues that key (libinih's multi-line values) */
	expect_error("[xmpp]\njid = a@example.org\npassword = pw\n  [route \"r\"]\n"
	             "cgi = $D/handler.sh\n",
	             4, "duplicate key 'password' in [xmpp]");
}

static void test_long_route_name(void **state)
{
	struct config cfg;
	char name[65], text[512];
	(void)state;
	memset(name, 'r', 64);
	name[64] = '\0';
	snprintf(text, sizeof text, XMPP_OK "[route \"%s\"]\ncgi = $D/handler.sh\n", name);
	load_ok(text, &cfg);
	assert_non_null(config_route(&cfg, name));
	config_free(&cfg);

	snprintf(text, sizeof text, XMPP_OK "[route \"%sr\"]\ncgi = $D/handler.sh\n", name);
	expect_error(text, 4, "is not valid");
}

static void test_route_name_valid(void **state)
{
	char n64[65], n65[66];
	(void)state;
	memset(n64, 'a', 64), n64[64] = '\0';
	memset(n65, 'a', 65), n65[65] = '\0';
	assert_true(config_route_name_valid("echo"));
	assert_true(config_route_name_valid("A-Z.a_z~0-9"));
	assert_true(config_route_name_valid("..."));
	assert_true(config_route_name_valid(n64));
	assert_false(config_route_name_valid(n65));
	assert_false(config_route_name_valid(""));
	assert_false(config_route_name_valid("."));
	assert_false(config_route_name_valid(".."));
	assert_false(config_route_name_valid("a/b"));
	assert_false(config_route_name_valid("a b"));
	assert_false(config_route_name_valid("a@b"));
	assert_false(config_route_name_valid("caf\xc3\xa9"));
}

/* [daemon]: names resolved when the file is read; the group defaults to the user's. */
/* XEP-0198 keys: defaults, values, refusals. */
static void test_stream_management_keys(void **state)
{
	struct config cfg;
	(void)state;
	load_ok(XMPP_OK ROUTE_OK, &cfg);
	assert_true(cfg.stream_management);
	assert_int_equal(cfg.ack_timeout_s, CFG_DEFAULT_ACK_TIMEOUT);
	assert_int_equal(cfg.resend_max_age_s, CFG_DEFAULT_RESEND_MAX_AGE);
	config_free(&cfg);
	load_ok(XMPP_OK "stream_management = no\nack_timeout = 5\nresend_max_age = 0\n" ROUTE_OK, &cfg);
	assert_false(cfg.stream_management);
	assert_int_equal(cfg.ack_timeout_s, 5);
	assert_int_equal(cfg.resend_max_age_s, 0);
	config_free(&cfg);
	expect_error(XMPP_OK "stream_management = maybe\n" ROUTE_OK, 4, "stream_management 'maybe'");
	expect_error(XMPP_OK "ack_timeout = 0\n" ROUTE_OK, 4, "ack_timeout '0'");
	expect_error(XMPP_OK "resend_max_age = -1\n" ROUTE_OK, 4, "resend_max_age '-1'");
}

static void test_daemon_section(void **state)
{
	struct config cfg;
	(void)state;
	load_ok(XMPP_OK ROUTE_OK, &cfg);
	assert_null(cfg.daemon_user);
	assert_int_equal(cfg.daemon_uid, -1);
	assert_int_equal(cfg.daemon_gid, -1);
	config_free(&cfg);
	load_ok(XMPP_OK ROUTE_OK "[daemon]\nuser = root\n", &cfg);
	assert_string_equal(cfg.daemon_user, "root");
	assert_int_equal(cfg.daemon_uid, 0);
	assert_int_equal(cfg.daemon_gid, 0);
	assert_false(cfg.daemon_group_set);
	assert_int_equal(cfg.daemon_line, 7);
	config_free(&cfg);
	/* group first or last: the group wins over the user's primary group */
	load_ok(XMPP_OK "[daemon]\ngroup = root\nuser = root\n" ROUTE_OK, &cfg);
	assert_int_equal(cfg.daemon_gid, 0);
	assert_true(cfg.daemon_group_set);
	config_free(&cfg);
	expect_error(XMPP_OK ROUTE_OK "[daemon]\nuser = no-such-user-xcgi\n", 7,
	             "user 'no-such-user-xcgi' does not exist");
	expect_error(XMPP_OK ROUTE_OK "[daemon]\nuser = root\ngroup = no-such-group-xcgi\n", 8,
	             "group 'no-such-group-xcgi' does not exist");
	expect_error(XMPP_OK ROUTE_OK "[daemon]\ngroup = root\n", 6, "[daemon] needs user = NAME");
	expect_error(XMPP_OK ROUTE_OK "[daemon]\nuser = root\nuser = root\n", 8,
	             "duplicate key 'user' in [daemon]");
	expect_error(XMPP_OK ROUTE_OK "[daemon]\nuser = root\n[daemon]\n", 8,
	             "duplicate section [daemon]");
	expect_error(XMPP_OK ROUTE_OK "[daemon]\nuid = 0\n", 7, "unknown key 'uid' in [daemon]");
}

/* [instance]: a name for addresses and ids, and how long SIGTERM drains. */
static void test_instance_section(void **state)
{
	struct config cfg;
	(void)state;
	load_ok(XMPP_OK ROUTE_OK, &cfg);
	{ /* host-pid */
		char pid[24];
		size_t n = strlen(cfg.instance_name);
		snprintf(pid, sizeof pid, "%ld", (long)getpid());
		assert_true(config_instance_name_valid(cfg.instance_name));
		assert_true(n > strlen(pid));
		assert_string_equal(cfg.instance_name + n - strlen(pid), pid);
	}
	assert_int_equal(cfg.drain_timeout_s, CFG_DEFAULT_DRAIN_TIMEOUT);
	config_free(&cfg);
	load_ok(XMPP_OK ROUTE_OK "[instance]\nname = web-1_b\ndrain_timeout = 0\n", &cfg);
	assert_string_equal(cfg.instance_name, "web-1_b");
	assert_int_equal(cfg.drain_timeout_s, 0);
	config_free(&cfg);
	expect_error(XMPP_OK ROUTE_OK "[instance]\nname = a.b\n", 7,
	             "instance name 'a.b' is not valid (1-48 of A-Z a-z 0-9 _ -)");
	expect_error(XMPP_OK ROUTE_OK "[instance]\nname = a b\n", 7,
	             "instance name 'a b' is not valid (1-48 of A-Z a-z 0-9 _ -)");
	expect_error(XMPP_OK ROUTE_OK "[instance]\ndrain_timeout = 3601\n", 7,
	             "drain_timeout '3601' is not a number of seconds from 0 to 3600");
	expect_error(XMPP_OK ROUTE_OK "[instance]\nname = a\nname = b\n", 8,
	             "duplicate key 'name' in [instance]");
	expect_error(XMPP_OK ROUTE_OK "[instance]\n[instance]\n", 7, "duplicate section [instance]");
	expect_error(XMPP_OK ROUTE_OK "[instance]\nid = 1\n", 7, "unknown key 'id' in [instance]");
	assert_true(config_instance_name_valid("a"));
	assert_false(config_instance_name_valid(""));
	assert_false(config_instance_name_valid("0123456789012345678901234567890123456789012345678"));
}

/* ---- errors: structure ---- */

static void test_err_unknown_key(void **state)
{
	(void)state;
	expect_error("[xmpp]\njid = a@example.org\nbogus = 1\npassword = pw\n" ROUTE_OK, 3,
	             "unknown key 'bogus' in [xmpp]");
	expect_error(XMPP_OK "\n[route \"echo\"]\ncgi = $D/handler.sh\nfrobnicate = yes\n", 7,
	             "unknown key 'frobnicate' in [route \"echo\"]");
	/* keys are case-sensitive */
	expect_error(XMPP_OK ROUTE_OK "Timeout = 3\n", 6, "unknown key 'Timeout'");
}

static void test_err_unknown_section(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "\n[server]\nname = x\n", 7, "unknown section [server]");
	expect_error(XMPP_OK "[route echo]\ncgi = $D/handler.sh\n", 4, "unknown section [route echo]");
	expect_error(XMPP_OK "[route \"echo\" x]\ncgi = $D/handler.sh\n", 4, "unknown section");
	expect_error(XMPP_OK "[XMPP]\nhost = h\n" ROUTE_OK, 4, "unknown section [XMPP]");
	/* even without keys */
	expect_error(XMPP_OK "[bogus]\n" ROUTE_OK, 4, "unknown section [bogus]");
	expect_error(XMPP_OK ROUTE_OK "[bogus]\n; only a comment\n", 6, "unknown section [bogus]");
}

static void test_err_bad_header(void **state)
{
	(void)state;
	expect_error("[xmpp\njid = a@example.org\npassword = pw\n" ROUTE_OK, 1, "syntax error");
	expect_error(XMPP_OK ROUTE_OK "[route \"b\"\ncgi = $D/handler.sh\n", 6, "syntax error");
	expect_error(XMPP_OK "[]\n" ROUTE_OK, 4, "unknown section []");
}

static void test_err_bad_route_name(void **state)
{
	(void)state;
	expect_error(XMPP_OK "[route \"no/slash\"]\ncgi = $D/handler.sh\n", 4,
	             "route name 'no/slash' is not valid");
	expect_error(XMPP_OK "[route \"\"]\ncgi = $D/handler.sh\n", 4, "route name '' is not valid");
	expect_error(XMPP_OK "[route \"..\"]\ncgi = $D/handler.sh\n", 4, "is not valid");
}

static void test_err_duplicate_route(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "\n[route \"other\"]\ncgi = $D/other.sh\n\n"
	                              "[route \"echo\"]\ncgi = $D/other.sh\n",
	             10, "duplicate route \"echo\"");
	/* an empty duplicate too */
	expect_error(XMPP_OK ROUTE_OK "[route \"echo\"]\n", 6, "duplicate route \"echo\"");
}

static void test_err_duplicate_key(void **state)
{
	(void)state;
	expect_error("[xmpp]\njid = a@example.org\npassword = pw\npassword = pw2\n" ROUTE_OK, 4,
	             "duplicate key 'password' in [xmpp]");
	expect_error(XMPP_OK ROUTE_OK "timeout = 5\nmax_queue = 1\ntimeout = 6\n", 8,
	             "duplicate key 'timeout' in [route \"echo\"]");
	expect_error(XMPP_OK ROUTE_OK "cgi = $D/other.sh\n", 6, "duplicate key 'cgi'");
	/* a second [xmpp] section does not reset what the first one set */
	expect_error(XMPP_OK ROUTE_OK "[xmpp]\njid = c@example.org\n", 7, "duplicate key 'jid'");
	/* an indented line continues the previous key: a second value */
	expect_error(XMPP_OK ROUTE_OK "timeout = 5\n  6\n", 7, "duplicate key 'timeout'");
}

static void test_repeatable_keys(void **state)
{
	struct config cfg;
	(void)state;
	/* allow and env may repeat, in a route and across routes */
	load_ok(XMPP_OK ROUTE_OK "allow = a@example.org\nallow = b@example.org\nenv = A=1\n"
	                         "env = B=2\n[route \"two\"]\ncgi = $D/handler.sh\nenv = A=3\n",
	        &cfg);
	assert_int_equal(cfg.routes[0].n_allow, 2);
	assert_int_equal(cfg.routes[0].n_env, 2);
	assert_int_equal(cfg.routes[1].n_env, 1);
	assert_string_equal(cfg.routes[1].env[0].value, "3");
	config_free(&cfg);
}

static void test_err_key_outside_section(void **state)
{
	(void)state;
	expect_error("port = 5222\n" XMPP_OK ROUTE_OK, 1, "key 'port' outside any section");
	expect_error("; comment\n\nport = 5222\n" XMPP_OK ROUTE_OK, 3, "outside any section");
}

static void test_err_syntax(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "this is not a key\n", 6, "syntax error");
	expect_error("[xmpp]\njid = a@example.org\nnovalue\npassword = pw\n" ROUTE_OK, 3,
	             "syntax error");
}

static void test_err_line_too_long(void **state)
{
	char text[1024], value[400];
	(void)state;
	memset(value, 'x', 300);
	value[300] = '\0';
	snprintf(text, sizeof text, XMPP_OK ROUTE_OK "env = LONG=%s\n", value);
	expect_error(text, 6, "line too long");
}

/* ---- errors: [xmpp] ---- */

static void test_err_jid(void **state)
{
	(void)state;
	expect_error("[xmpp]\njid = bridge@example.org/res\npassword = pw\n" ROUTE_OK, 2,
	             "jid 'bridge@example.org/res' is not a bare JID");
	expect_error("[xmpp]\njid = example.org\npassword = pw\n" ROUTE_OK, 2, "not a bare JID");
	expect_error("[xmpp]\njid = @example.org\npassword = pw\n" ROUTE_OK, 2, "not a bare JID");
	expect_error("[xmpp]\njid = bridge@\npassword = pw\n" ROUTE_OK, 2, "not a bare JID");
	expect_error("[xmpp]\njid = a@b@example.org\npassword = pw\n" ROUTE_OK, 2, "not a bare JID");
	expect_error("[xmpp]\njid = a b@example.org\npassword = pw\n" ROUTE_OK, 2, "not a bare JID");
	expect_error("[xmpp]\nusername = a@b\ndomain = example.org\npassword = pw\n" ROUTE_OK, 2,
	             "username 'a@b' is not a valid localpart");
	expect_error("[xmpp]\nusername = a\ndomain = example.org/x\npassword = pw\n" ROUTE_OK, 3,
	             "domain 'example.org/x' is not a valid domain");
}

static void test_err_both_forms(void **state)
{
	(void)state;
	expect_error("[xmpp]\njid = a@example.org\nusername = b\npassword = pw\n" ROUTE_OK, 3,
	             "not both");
	expect_error("[xmpp]\ndomain = example.org\njid = a@example.org\npassword = pw\n" ROUTE_OK, 3,
	             "not both");
	expect_error("[xmpp]\njid = a@example.org\npassword = pw\npassword_file = $D/secret\n" ROUTE_OK,
	             4, "not both");
}

static void test_err_missing_jid(void **state)
{
	(void)state;
	/* reported at the [xmpp] header */
	expect_error("; account\n[xmpp]\npassword = pw\n\n" ROUTE_OK, 2, "needs jid");
	expect_error("[xmpp]\nusername = bridge\npassword = pw\n" ROUTE_OK, 1, "needs jid");
	expect_error(ROUTE_OK "\n[xmpp]\ndomain = example.org\npassword = pw\n", 4, "needs jid");
}

static void test_err_missing_password(void **state)
{
	(void)state;
	expect_error("\n[xmpp]\njid = a@example.org\n" ROUTE_OK, 2, "needs password or password_file");
	/* an [xmpp] section without keys */
	expect_error("[xmpp]\n" ROUTE_OK, 1, "needs jid");
}

static void test_err_password_file(void **state)
{
	(void)state;
	expect_error("[xmpp]\njid = a@example.org\npassword_file = nope\n" ROUTE_OK, 3,
	             "password_file $D/nope: No such file");
	expect_error("[xmpp]\njid = a@example.org\npassword_file = $D/empty-secret\n" ROUTE_OK, 3,
	             "is empty");
	expect_error("[xmpp]\njid = a@example.org\npassword_file = $D/long-secret\n" ROUTE_OK, 3,
	             "password_file $D/long-secret is over");
}

static void test_err_port(void **state)
{
	(void)state;
	expect_error(XMPP_OK "port = 0\n" ROUTE_OK, 4, "port '0' is not a number from 1 to 65535");
	expect_error(XMPP_OK "port = 70000\n" ROUTE_OK, 4, "port '70000'");
	expect_error(XMPP_OK "port = abc\n" ROUTE_OK, 4, "port 'abc'");
	expect_error(XMPP_OK "port = -1\n" ROUTE_OK, 4, "port '-1'");
	expect_error(XMPP_OK "port = 52 22\n" ROUTE_OK, 4, "port '52 22'");
	expect_error(XMPP_OK "port = \n" ROUTE_OK, 4, "port ''");
}

static void test_err_tls(void **state)
{
	(void)state;
	expect_error(XMPP_OK "tls = maybe\n" ROUTE_OK, 4,
	             "tls 'maybe' is not one of required, optional, disabled");
	expect_error(XMPP_OK "tls = Required\n" ROUTE_OK, 4, "tls 'Required'");
}

static void test_err_host_cafile(void **state)
{
	(void)state;
	expect_error(XMPP_OK "host =\n" ROUTE_OK, 4, "host is empty");
	expect_error(XMPP_OK "cafile = missing.pem\n" ROUTE_OK, 4, "cafile $D/missing.pem:");
}

/* ---- errors: routes ---- */

static void test_err_no_routes(void **state)
{
	(void)state;
	expect_error(XMPP_OK, 3, "no [route \"NAME\"] section");
	expect_error(XMPP_OK "\n; nothing else\n", 5, "no [route \"NAME\"] section");
}

static void test_err_route_without_cgi(void **state)
{
	(void)state;
	/* reported at the line of the route's header */
	expect_error(XMPP_OK ROUTE_OK "\n[route \"nocgi\"]\ntimeout = 3\nmax_queue = 2\n", 7,
	             "route \"nocgi\" has neither cgi nor fastcgi");
	/* a section without any key */
	expect_error(XMPP_OK ROUTE_OK "[route \"empty\"]\n", 6,
	             "route \"empty\" has neither cgi nor fastcgi");
	expect_error(XMPP_OK "[route \"empty\"]\n; cgi = commented out\n" ROUTE_OK, 4,
	             "route \"empty\" has neither cgi nor fastcgi");
}

static void test_err_cgi(void **state)
{
	(void)state;
	expect_error(XMPP_OK "[route \"echo\"]\ncgi = $D/nope.sh\n", 5,
	             "cgi $D/nope.sh: No such file or directory");
	expect_error(XMPP_OK "[route \"echo\"]\ncgi = $D/plain.txt\n", 5,
	             "cgi $D/plain.txt: not executable");
	expect_error(XMPP_OK "[route \"echo\"]\ncgi = $D/sub\n", 5, "cgi $D/sub: not a regular file");
	expect_error(XMPP_OK "[route \"echo\"]\ncgi = plain.txt\n", 5,
	             "cgi $D/plain.txt: not executable");
}

static void test_err_route_values(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "timeout = abc\n", 6, "timeout 'abc' is not a number");
	expect_error(XMPP_OK ROUTE_OK "timeout = 0\n", 6, "timeout '0'");
	expect_error(XMPP_OK ROUTE_OK "timeout = 86401\n", 6, "timeout '86401'");
	expect_error(XMPP_OK ROUTE_OK "timeout = 5s\n", 6, "timeout '5s'");
	expect_error(XMPP_OK ROUTE_OK "max_concurrency = 0\n", 6, "max_concurrency '0'");
	expect_error(XMPP_OK ROUTE_OK "max_concurrency = 65537\n", 6, "max_concurrency '65537'");
	expect_error(XMPP_OK ROUTE_OK "max_queue = -1\n", 6, "max_queue '-1'");
	expect_error(XMPP_OK ROUTE_OK "max_queue = 1000001\n", 6, "max_queue '1000001'");
	expect_error(XMPP_OK ROUTE_OK "max_output = 12\n", 6, "max_output '12' is not a size");
	expect_error(XMPP_OK ROUTE_OK "max_output = 1023\n", 6, "max_output '1023'");
	expect_error(XMPP_OK ROUTE_OK "max_output = 65M\n", 6, "max_output '65M'");
	expect_error(XMPP_OK ROUTE_OK "max_output = 64x\n", 6, "max_output '64x'");
	expect_error(XMPP_OK ROUTE_OK "max_output = 1kk\n", 6, "max_output '1kk'");
	expect_error(XMPP_OK ROUTE_OK "max_output = k\n", 6, "max_output 'k'");
	expect_error(XMPP_OK ROUTE_OK "message_replies = perhaps\n", 6,
	             "message_replies 'perhaps' is not yes or no");
	expect_error(XMPP_OK ROUTE_OK "message_replies =\n", 6, "message_replies ''");
}

static void test_err_allow(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "allow = alice@example.org, bob\n", 6,
	             "allow entry 'bob' is not a bare JID, *@domain or *");
	expect_error(XMPP_OK ROUTE_OK "allow = alice@example.org/phone\n", 6,
	             "allow entry 'alice@example.org/phone'");
	expect_error(XMPP_OK ROUTE_OK "allow = a*@example.org\n", 6, "allow entry 'a*@example.org'");
	expect_error(XMPP_OK ROUTE_OK "allow = *@*.example.org\n", 6, "allow entry '*@*.example.org'");
	expect_error(XMPP_OK ROUTE_OK "allow = *@\n", 6, "allow entry '*@'");
	expect_error(XMPP_OK ROUTE_OK "allow = @example.org\n", 6, "allow entry '@example.org'");
	expect_error(XMPP_OK ROUTE_OK "allow = example.org\n", 6, "allow entry 'example.org'");
	expect_error(XMPP_OK ROUTE_OK "allow = **\n", 6, "allow entry '**'");
}

static void test_err_env(void **state)
{
	static const char *const reserved[] = {
	    "GATEWAY_INTERFACE", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "SERVER_NAME",     "SERVER_PORT",
	    "REQUEST_METHOD",    "CONTENT_TYPE",    "CONTENT_LENGTH",  "PATH_INFO",       "SCRIPT_NAME",
	    "SCRIPT_FILENAME",   "QUERY_STRING",    "REMOTE_USER",     "AUTH_TYPE",       "REMOTE_ADDR",
	    "HTTP_PROXY",        "REQUEST_URI",     "DOCUMENT_URI",    "REDIRECT_STATUS", "XMPP_ROUTE",
	    "XMPP_STANZA",       "XMPP_STANZA_TO",  "XMPP_ANYTHING",
	};
	char text[512], needle[128];
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "env = NO_EQUALS_SIGN\n", 6,
	             "env 'NO_EQUALS_SIGN' is not NAME=VALUE");
	expect_error(XMPP_OK ROUTE_OK "env = =value\n", 6, "is not NAME=VALUE");
	expect_error(XMPP_OK ROUTE_OK "env = 1ABC=x\n", 6, "env name '1ABC' is not allowed");
	expect_error(XMPP_OK ROUTE_OK "env = A-B=x\n", 6, "env name 'A-B' is not allowed");
	expect_error(XMPP_OK ROUTE_OK "env = A B=x\n", 6, "env name 'A B' is not allowed");
	expect_error(XMPP_OK ROUTE_OK "env = A.B=x\n", 6, "env name 'A.B'");
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++) {
		snprintf(text, sizeof text, XMPP_OK ROUTE_OK "env = %s=x\n", reserved[i]);
		snprintf(needle, sizeof needle, "env name '%s' is not allowed", reserved[i]);
		expect_error(text, 6, needle);
	}
	/* once per variable and route */
	expect_error(XMPP_OK ROUTE_OK "env = A=1\nenv = B=2\nenv = A=3\n", 8, "env A is already set");
	/* names are exact: a lower-case spelling is another variable, allowed */
	{
		struct config cfg;
		load_ok(XMPP_OK ROUTE_OK "env = http_proxy=x\nenv = xmpp_route=y\n", &cfg);
		assert_int_equal(cfg.routes[0].n_env, 2);
		config_free(&cfg);
	}
}

static void test_err_missing_file(void **state)
{
	struct config cfg;
	char err[512], path[400];
	(void)state;
	snprintf(path, sizeof path, "%s/does-not-exist.conf", dir);
	assert_int_equal(config_load(path, &cfg, err, sizeof err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file"));
	config_free(&cfg);
}

static void test_err_first_error_wins(void **state)
{
	(void)state;
	expect_error(XMPP_OK "port = 0\ntls = maybe\n" ROUTE_OK, 4, "port '0'");
	expect_error("[xmpp]\njid = a@example.org/r\n" ROUTE_OK "timeout = x\n", 2, "jid");
}

/* interpreter and assign: the program that runs a script, as lighttpd's cgi.assign. A
 * script run by one need not be executable; the checks name the file and line. */
static void test_interpreters(void **state)
{
	struct config cfg;
	const struct route_cfg *r;
	(void)state;
	load_ok(XMPP_OK "[route \"php\"]\ncgi = plain.txt\ninterpreter = $D/handler.sh\n"
	                "[route \"mixed\"]\ncgi = $D/handler.sh\nassign = .php=other.sh\n"
	                "assign = .tar.gz=$D/handler.sh\ninterpreter = $D/sub/nested.sh\n",
	        &cfg);
	r = config_route(&cfg, "php");
	assert_non_null(r->interpreter);
	assert_string_equal(config_route_interpreter(r, r->cgi), r->interpreter);
	r = config_route(&cfg, "mixed");
	assert_int_equal(r->n_assign, 2);
	assert_string_equal(r->assign[0].name, ".php");
	assert_non_null(strstr(r->assign[0].value, "/other.sh"));
	assert_ptr_equal(config_route_interpreter(r, "/srv/x/index.php"), r->assign[0].value);
	assert_ptr_equal(config_route_interpreter(r, "a.tar.gz"), r->assign[1].value);
	/* no extension match: the route's interpreter; a bare ".php" is no extension */
	assert_ptr_equal(config_route_interpreter(r, "/srv/x/index.phps"), r->interpreter);
	assert_ptr_equal(config_route_interpreter(r, "/srv/x/.php"), r->interpreter);
	assert_ptr_equal(config_route_interpreter(r, "/srv/x.php/run"), r->interpreter);
	config_free(&cfg);
	/* assign alone: only its extensions have a program */
	load_ok(XMPP_OK "[route \"a\"]\ncgi = $D/handler.sh\nassign = .php=$D/other.sh\n", &cfg);
	assert_null(config_route_interpreter(&cfg.routes[0], "/x/handler.sh"));
	config_free(&cfg);
}

static void test_err_interpreters(void **state)
{
	(void)state;
	/* the script must be executable when nothing runs it: reported at the cgi line */
	expect_error(XMPP_OK "[route \"p\"]\ncgi = $D/plain.txt\nassign = .php=$D/other.sh\n", 5,
	             "cgi $D/plain.txt: not executable");
	expect_error(XMPP_OK "[route \"p\"]\ncgi = $D/plain.txt\ninterpreter = $D/nope\n", 6,
	             "interpreter $D/nope: No such file or directory");
	expect_error(XMPP_OK "[route \"p\"]\ncgi = $D/handler.sh\ninterpreter = $D/plain.txt\n", 6,
	             "interpreter $D/plain.txt: not executable");
	expect_error(XMPP_OK "[route \"p\"]\ncgi = $D/handler.sh\ninterpreter = $D/sub\n", 6,
	             "interpreter $D/sub: not a regular file");
	expect_error(XMPP_OK ROUTE_OK "interpreter = $D/other.sh\ninterpreter = $D/other.sh\n", 7,
	             "duplicate key 'interpreter'");
	expect_error(XMPP_OK ROUTE_OK "assign = php=$D/other.sh\n", 6,
	             "assign 'php=$D/other.sh' is not .EXTENSION=PROGRAM");
	expect_error(XMPP_OK ROUTE_OK "assign = .php\n", 6, "is not .EXTENSION=PROGRAM");
	expect_error(XMPP_OK ROUTE_OK "assign = .=$D/other.sh\n", 6, "is not .EXTENSION=PROGRAM");
	expect_error(XMPP_OK ROUTE_OK "assign = .p/hp=$D/other.sh\n", 6, "an extension is a dot");
	expect_error(XMPP_OK ROUTE_OK "assign = .php=$D/plain.txt\n", 6,
	             "assign $D/plain.txt: not executable");
	expect_error(XMPP_OK ROUTE_OK "assign = .php=$D/other.sh\nassign = .php=$D/other.sh\n", 7,
	             "assign .php is already set");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:/run/php.sock\n"
	                     "interpreter = $D/other.sh\n",
	             4, "interpreter and assign are for cgi and cgi_dir routes");
}

/* FastCGI routes: backends parsed, defaults merged, and the mixing rules enforced. */
static void test_fastcgi_route(void **state)
{
	struct config cfg;
	const struct route_cfg *r;
	(void)state;
	load_ok(XMPP_OK "[route \"php\"]\nfastcgi = unix:/run/php/fpm.sock\n"
	                "fastcgi = tcp:127.0.0.1:9000\nfastcgi = tcp:[::1]:9001\n"
	                "script_filename = /srv/app/index.php\nparam = APP_ENV=production\n"
	                "param = DEBUG=0\n",
	        &cfg);
	r = config_route(&cfg, "php");
	assert_non_null(r);
	assert_null(r->cgi);
	assert_int_equal(r->n_fastcgi, 3);
	assert_int_equal(r->fastcgi[0].kind, FCGI_ADDR_UNIX);
	assert_string_equal(r->fastcgi[0].path, "/run/php/fpm.sock");
	assert_int_equal(r->fastcgi[1].kind, FCGI_ADDR_TCP);
	assert_string_equal(r->fastcgi[1].host, "127.0.0.1");
	assert_int_equal(r->fastcgi[1].port, 9000);
	assert_string_equal(r->fastcgi[2].host, "::1");
	assert_int_equal(r->fastcgi[2].port, 9001);
	assert_string_equal(r->fastcgi[2].text, "tcp:[::1]:9001");
	assert_string_equal(r->script_filename, "/srv/app/index.php");
	assert_int_equal(r->n_params, 2);
	assert_string_equal(r->params[1].name, "DEBUG");
	assert_string_equal(r->params[1].value, "0");
	assert_int_equal(r->connect_timeout_s, CFG_DEFAULT_CONNECT_TIMEOUT);
	assert_int_equal(r->timeout_s, CFG_DEFAULT_TIMEOUT);
	config_free(&cfg);
}

static void test_err_fastcgi(void **state)
{
	(void)state;
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:relative.sock\n", 5, "absolute path");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = tcp:localhost:9000\n", 5, "numeric address");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = tcp:127.0.0.1:0\n", 5, "numeric address");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = http://x\n", 5,
	             "is not unix:/path or tcp:ADDRESS:PORT");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:/a.sock\nscript_filename = x.php\n", 6,
	             "not an absolute path");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:/a.sock\nconnect_timeout = 0\n", 6,
	             "connect_timeout '0'");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:/a.sock\nparam = A=1\nparam = A=2\n", 7,
	             "param A is already set");
	expect_error(XMPP_OK ROUTE_OK "fastcgi = unix:/a.sock\n", 4, "has both cgi and fastcgi");
	expect_error(XMPP_OK ROUTE_OK "param = A=1\n", 4, "are for fastcgi routes");
}

/* Issue 10, holes 6 and 7: what goes out on the stream is checked at load time. */
static void test_err_outbound_text(void **state)
{
	struct config cfg;
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "description = caf\xe9\n", 6, "description has invalid UTF-8");
	expect_error(XMPP_OK ROUTE_OK "description = a\x01b\n", 6, "description has a control");
	expect_error(XMPP_OK ROUTE_OK "description = a\tb\n", 6, "description has a control");
	expect_error(XMPP_OK ROUTE_OK "description = a\xc2\x85\n", 6, "description has a control");
	load_ok(XMPP_OK ROUTE_OK "description = Caf\xc3\xa9 \xe2\x82\xac\n", &cfg);
	config_free(&cfg);
	expect_error("[xmpp]\njid = bri\x01dge@example.org\npassword = pw\n" ROUTE_OK, 2,
	             "not a bare JID");
	expect_error("[xmpp]\njid = bridge@exa\xefmple.org\npassword = pw\n" ROUTE_OK, 2,
	             "not a bare JID");
	expect_error("[xmpp]\njid = bridge@example.org.\npassword = pw\n" ROUTE_OK, 2,
	             "not a bare JID");
	expect_error("[xmpp]\nusername = a\xef\xbc\xa0"
	             "b\ndomain = example.org\npassword = pw\n" ROUTE_OK,
	             2, "not a valid localpart");
	expect_error("[xmpp]\nusername = a\ndomain = exa<mple\npassword = pw\n" ROUTE_OK, 3,
	             "not a valid domain");
	expect_error(XMPP_OK ROUTE_OK "allow = a\x7f@example.org\n", 6, "not a bare JID");
	expect_error(XMPP_OK ROUTE_OK "send_allow = *@exa:mple.org\n", 6, "not a bare JID");
}

/* backend_rest: default 1 s, 0 allowed, fastcgi routes only; one address twice in a
 * route is refused however it is written (two routes may share it). */
static void test_fastcgi_backend_rest_and_shared_addresses(void **state)
{
	struct config cfg;
	(void)state;
	load_ok(XMPP_OK "[route \"a\"]\nfastcgi = unix:/run/fpm.sock\n"
	                "[route \"b\"]\nfastcgi = unix://run/./fpm.sock\nbackend_rest = 0\n"
	                "[route \"c\"]\nfastcgi = tcp:[::1]:9000\nfastcgi = unix:/run/fpm.sock\n"
	                "backend_rest = 3600\n",
	        &cfg);
	assert_int_equal(config_route(&cfg, "a")->backend_rest_s, CFG_DEFAULT_BACKEND_REST);
	assert_int_equal(CFG_DEFAULT_BACKEND_REST, 1);
	assert_int_equal(config_route(&cfg, "b")->backend_rest_s, 0);
	assert_int_equal(config_route(&cfg, "c")->backend_rest_s, 3600);
	config_free(&cfg);
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:/a.sock\nbackend_rest = 3601\n", 6,
	             "backend_rest '3601' is not a number of seconds (0-3600)");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:/a.sock\nbackend_rest = 1s\n", 6,
	             "backend_rest '1s'");
	expect_error(XMPP_OK ROUTE_OK "backend_rest = 2\n", 4, "backend_rest is for fastcgi routes");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = unix:/a.sock\nfastcgi = unix:/a.sock\n", 6,
	             "fastcgi 'unix:/a.sock' is already a backend of this route");
	expect_error(XMPP_OK "[route \"php\"]\nfastcgi = tcp:[::1]:9000\n"
	                     "fastcgi = tcp:[0:0::1]:9000\n",
	             6, "fastcgi 'tcp:[0:0::1]:9000' is already a backend of this route");
}

/* ---- [control]: limits and trust (issue 10) ---- */

static void test_control_limits(void **state)
{
	struct config cfg;
	(void)state;
	load_ok(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\n", &cfg);
	assert_int_equal(cfg.control_max_line, CFG_DEFAULT_CONTROL_MAX_LINE);
	assert_int_equal(cfg.control_max_connections, CFG_DEFAULT_CONTROL_MAX_CONNECTIONS);
	assert_int_equal(cfg.control_idle_timeout_s, CFG_DEFAULT_CONTROL_IDLE_TIMEOUT);
	assert_true(cfg.control_tokenless_any);
	assert_int_equal(cfg.control_n_tokenless_uids, 0);
	config_free(&cfg);
	load_ok(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\nmax_line = 256\n"
	                         "max_connections = 1\nidle_timeout = 86400\n"
	                         "tokenless_users = root, 4242\n",
	        &cfg);
	assert_int_equal(cfg.control_max_line, 256);
	assert_int_equal(cfg.control_max_connections, 1);
	assert_int_equal(cfg.control_idle_timeout_s, 86400);
	assert_false(cfg.control_tokenless_any);
	assert_int_equal(cfg.control_n_tokenless_uids, 2);
	assert_int_equal(cfg.control_tokenless_uids[0], 0);
	assert_int_equal(cfg.control_tokenless_uids[1], 4242);
	config_free(&cfg);
	load_ok(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\ntokenless_users = none\n", &cfg);
	assert_false(cfg.control_tokenless_any);
	assert_int_equal(cfg.control_n_tokenless_uids, 0);
	config_free(&cfg);
}

static void test_err_control_limits(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\nmax_line = 100\n", 8,
	             "max_line '100' is not a size (256-4096)");
	expect_error(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\nmax_connections = 0\n", 8,
	             "max_connections '0' is not a number");
	expect_error(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\nidle_timeout = 1.5\n", 8,
	             "idle_timeout '1.5' is not a number of seconds");
	expect_error(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\n"
	                              "tokenless_users = root, no-such-user-xc\n",
	             8, "tokenless_users: no user 'no-such-user-xc'");
	expect_error(XMPP_OK ROUTE_OK "[control]\nsocket = /run/x/control\nidle_timeout = 5\n"
	                              "idle_timeout = 6\n",
	             9, "duplicate key 'idle_timeout'");
}

/* ---- group chat keys (config_muc.c) ---- */

static void test_muc_keys(void **state)
{
	struct config cfg;
	const struct route_cfg *r;
	(void)state;
	load_ok(XMPP_OK ROUTE_OK "rooms = Dev@Conference.example.org, ops@conference.example.org\n"
	                         "rooms = x@conference.example.org\n",
	        &cfg);
	r = &cfg.routes[0];
	assert_int_equal(r->n_rooms, 3);
	assert_string_equal(r->rooms[0], "dev@conference.example.org");
	assert_string_equal(r->rooms[2], "x@conference.example.org");
	assert_string_equal(r->nick, "echo"); /* defaults */
	assert_int_equal(r->room_trigger, MUC_TRIGGER_MENTION);
	assert_null(r->room_prefix);
	assert_null(r->room_password);
	assert_false(r->room_anonymous);
	assert_int_equal(r->room_errors, ROOM_ERRORS_ROOM);
	assert_int_equal(r->room_rate, CFG_DEFAULT_ROOM_RATE);
	assert_int_equal(r->room_rate_period_s, CFG_DEFAULT_ROOM_RATE_PERIOD);
	assert_int_equal(r->room_loop_limit, CFG_DEFAULT_ROOM_LOOP_LIMIT);
	assert_int_equal(r->room_ping_s, CFG_DEFAULT_ROOM_PING);
	config_free(&cfg);
	load_ok(XMPP_OK ROUTE_OK "rooms = dev@conference.example.org\nnick = weather\n"
	                         "room_trigger = prefix\nroom_password_file = secret-crlf\n"
	                         "room_anonymous = yes\nroom_errors = private\nroom_rate = 3/10\n"
	                         "room_loop_limit = 0\nroom_ping = 0\n",
	        &cfg);
	r = &cfg.routes[0];
	assert_string_equal(r->nick, "weather");
	assert_string_equal(r->room_prefix, "!weather"); /* "!" and the nick */
	assert_string_equal(r->room_password, "pw");
	assert_true(r->room_anonymous);
	assert_int_equal(r->room_errors, ROOM_ERRORS_PRIVATE);
	assert_int_equal(r->room_rate, 3);
	assert_int_equal(r->room_rate_period_s, 10);
	assert_int_equal(r->room_loop_limit, 0);
	assert_int_equal(r->room_ping_s, 0);
	config_free(&cfg);
	load_ok(XMPP_OK ROUTE_OK "rooms = dev@conference.example.org\nroom_trigger = prefix\n"
	                         "room_prefix = .w\nroom_rate = 0\n",
	        &cfg);
	assert_string_equal(cfg.routes[0].room_prefix, ".w");
	assert_int_equal(cfg.routes[0].room_rate, 0);
	config_free(&cfg);
}

static void test_err_muc_keys(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "rooms = dev\n", 6, "rooms entry 'dev' is not a room's bare JID");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b/c\n", 6, "is not a room's bare JID");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b, A@B\n", 6, "room a@b is already in");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_trigger = sometimes\n", 7,
	             "room_trigger 'sometimes' is not all, mention or prefix");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_errors = loud\n", 7,
	             "room_errors 'loud' is not room, private or none");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_rate = 5\n", 7,
	             "room_rate '5' is not MESSAGES/SECONDS");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_rate = 0/10\n", 7, "room_rate '0/10'");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_ping = soon\n", 7, "room_ping 'soon'");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_anonymous = maybe\n", 7, "room_anonymous");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_password_file = missing\n", 7,
	             "room_password_file missing:");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_password_file = empty-secret\n", 7,
	             "the first line must hold the password");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nnick = a\nnick = b\n", 8, "duplicate key 'nick'");
	/* checked once the route is read: at its header */
	expect_error(XMPP_OK ROUTE_OK "nick = weather\n", 4, "nick and the room_ keys need rooms");
	expect_error(XMPP_OK ROUTE_OK "rooms = a@b\nroom_prefix = !x\n", 4,
	             "room_prefix needs room_trigger = prefix");
	expect_error("[xmpp]\nmode = component\ncomponent = api.example.org\nsecret = s\n"
	             "[route \"*\"]\ncgi_dir = $D/sub\nrooms = a@b\n",
	             5, "[route \"*\"] cannot join rooms");
}

/* ---- ad-hoc commands (XEP-0050) ---- */

static void test_command_keys(void **state)
{
	struct config cfg;
	(void)state;
	load_ok(XMPP_OK ROUTE_OK "command = yes\n"
	                         "[route \"weather\"]\ncgi = $D/handler.sh\ncommand = yes\n"
	                         "command_node = urn:example:weather\ncommand_timeout = 30\n"
	                         "command_sessions = 5\n"
	                         "[route \"plain\"]\ncgi = $D/handler.sh\n",
	        &cfg);
	assert_true(cfg.routes[0].command);
	assert_string_equal(cfg.routes[0].command_node, "echo"); /* the route's name */
	assert_int_equal(cfg.routes[0].command_timeout_s, CFG_DEFAULT_COMMAND_TIMEOUT);
	assert_int_equal(cfg.routes[0].command_sessions, CFG_DEFAULT_COMMAND_SESSIONS);
	assert_string_equal(cfg.routes[1].command_node, "urn:example:weather");
	assert_int_equal(cfg.routes[1].command_timeout_s, 30);
	assert_int_equal(cfg.routes[1].command_sessions, 5);
	assert_false(cfg.routes[2].command);
	assert_null(cfg.routes[2].command_node);
	assert_int_equal(cfg.n_admins, 0);
	config_free(&cfg);
	load_ok("[xmpp]\njid = bridge@example.org\npassword = pw\nadmins = Alice@Example.org, "
	        "*@ops.example.org\nadmins = bob@example.org\n" ROUTE_OK,
	        &cfg);
	assert_int_equal(cfg.n_admins, 3);
	assert_string_equal(cfg.admins[0], "alice@example.org");
	assert_string_equal(cfg.admins[1], "*@ops.example.org");
	assert_string_equal(cfg.admins[2], "bob@example.org");
	config_free(&cfg);
}

static void test_err_command_keys(void **state)
{
	(void)state;
	expect_error(XMPP_OK ROUTE_OK "command = maybe\n", 6, "command 'maybe'");
	expect_error(XMPP_OK ROUTE_OK "command_node = x\n", 4,
	             "command_node, command_timeout and command_sessions need command = yes");
	expect_error(XMPP_OK ROUTE_OK "command = yes\ncommand_timeout = 0\n", 7,
	             "command_timeout '0' is not a number of seconds (1-86400)");
	expect_error(XMPP_OK ROUTE_OK "command = yes\ncommand_sessions = 0\n", 7,
	             "command_sessions '0' is not a number (1-100000)");
	expect_error(XMPP_OK ROUTE_OK "command = yes\ncommand_node =\n", 7,
	             "command_node must be 1-200 bytes");
	expect_error(XMPP_OK ROUTE_OK "command = yes\ncommand_node = a\x01b\n", 7, "command_node has");
	expect_error(XMPP_OK ROUTE_OK
	             "command = yes\ncommand_node = http://jabber.org/protocol/commands\n",
	             7, "cannot be the commands list's own node");
	expect_error(XMPP_OK ROUTE_OK "command = yes\ncommand_node = urn:xmpp-cgi:status\n", 7,
	             "command_node: urn:xmpp-cgi:... is the bridge's own");
	expect_error("[xmpp]\njid = bridge@example.org\npassword = pw\nadmins = not a jid\n" ROUTE_OK,
	             4, "admins entry 'not a jid' is not a bare JID, *@domain or *");
	expect_error(XMPP_OK ROUTE_OK "command = yes\n"
	                              "[route \"two\"]\ncgi = $D/handler.sh\ncommand = yes\n"
	                              "command_node = echo\n",
	             7, "route \"two\": command node 'echo' is already route \"echo\"'s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_command_keys),
	    cmocka_unit_test(test_err_command_keys),
	    cmocka_unit_test(test_valid_jid_form_defaults),
	    cmocka_unit_test(test_valid_username_domain_all_keys),
	    cmocka_unit_test(test_valid_values),
	    cmocka_unit_test(test_password_file_line_end),
	    cmocka_unit_test(test_relative_cgi),
	    cmocka_unit_test(test_bom_and_indented_header),
	    cmocka_unit_test(test_long_route_name),
	    cmocka_unit_test(test_route_name_valid),
	    cmocka_unit_test(test_repeatable_keys),
	    cmocka_unit_test(test_err_unknown_key),
	    cmocka_unit_test(test_daemon_section),
	    cmocka_unit_test(test_stream_management_keys),
	    cmocka_unit_test(test_err_unknown_section),
	    cmocka_unit_test(test_err_bad_header),
	    cmocka_unit_test(test_err_bad_route_name),
	    cmocka_unit_test(test_err_duplicate_route),
	    cmocka_unit_test(test_err_duplicate_key),
	    cmocka_unit_test(test_err_key_outside_section),
	    cmocka_unit_test(test_err_syntax),
	    cmocka_unit_test(test_err_line_too_long),
	    cmocka_unit_test(test_err_jid),
	    cmocka_unit_test(test_err_both_forms),
	    cmocka_unit_test(test_err_missing_jid),
	    cmocka_unit_test(test_err_missing_password),
	    cmocka_unit_test(test_err_password_file),
	    cmocka_unit_test(test_err_port),
	    cmocka_unit_test(test_err_tls),
	    cmocka_unit_test(test_err_host_cafile),
	    cmocka_unit_test(test_err_no_routes),
	    cmocka_unit_test(test_err_route_without_cgi),
	    cmocka_unit_test(test_err_cgi),
	    cmocka_unit_test(test_err_route_values),
	    cmocka_unit_test(test_err_allow),
	    cmocka_unit_test(test_err_env),
	    cmocka_unit_test(test_err_missing_file),
	    cmocka_unit_test(test_err_first_error_wins),
	    cmocka_unit_test(test_fastcgi_route),
	    cmocka_unit_test(test_err_fastcgi),
	    cmocka_unit_test(test_err_outbound_text),
	    cmocka_unit_test(test_interpreters),
	    cmocka_unit_test(test_err_interpreters),
	    cmocka_unit_test(test_fastcgi_backend_rest_and_shared_addresses),
	    cmocka_unit_test(test_control_limits),
	    cmocka_unit_test(test_err_control_limits),
	    cmocka_unit_test(test_instance_section),
	    cmocka_unit_test(test_muc_keys),
	    cmocka_unit_test(test_err_muc_keys),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
