/* test_cgi_dir.c - unit tests for bridge/xmpp/cgi_dir.c, component mode's cgi-bin.
 *
 * A temporary directory holds executables, a plain file, a .php script with an assigned
 * interpreter, a subdirectory, a dot file, links inside and outside, and a [route "*"]
 * configuration naming it (read with config_load). Only plain names of regular files
 * that stay inside the directory and can run are resolved, to their real path; the
 * listing holds exactly those, sorted. cgi_dir.c reads directories, so it is not in
 * libpure: Makefile.am links it into this test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgi_dir.h"
#include "config.h"
#include "scratch_config.h"
#include "scratch_dir.h"

static char bin[300], real_bin[PATH_MAX];
static struct config cfg;
static const struct route_cfg *star;

static void link_to(const char *target, const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	char err[512], text[1024];
	(void)state;
	if (scratch_dir_make("cgi-dir") != 0)
		return -1;
	snprintf(bin, sizeof bin, "%s/bin", dir);
	if (mkdir(bin, 0755) != 0)
		return -1;
	write_file("php", "#!/bin/sh\n", 0755); /* the interpreter, outside bin */
	write_file("outside", "#!/bin/sh\n", 0755);
	write_file("bin/echo", "#!/bin/sh\n", 0755);
	write_file("bin/Upper", "#!/bin/sh\n", 0755);
	write_file("bin/plain", "not a program\n", 0644);
	write_file("bin/page.php", "<?php echo 1;\n", 0644);
	write_file("bin/.hidden", "#!/bin/sh\n", 0755);
	write_file("bin/with%25", "#!/bin/sh\n", 0755);
	if (mkdir(strcat(strcpy(text, bin), "/subdir"), 0755) != 0)
		return -1;
	write_file("bin/subdir/deep", "#!/bin/sh\n", 0755);
	link_to("echo", "bin/alias");         /* inside: allowed, resolves to echo */
	link_to("../outside", "bin/escape");  /* leaves the directory */
	link_to("subdir/deep", "bin/deeper"); /* inside, but in a subdirectory */
	link_to("nothing", "bin/dangling");
	if (!realpath(bin, real_bin))
		return -1;

	snprintf(text, sizeof text,
	         "[xmpp]\nmode = component\ncomponent = cgi.localhost\nsecret = pw\n"
	         "[route \"*\"]\ncgi_dir = %s\nassign = .php=%s/php\n",
	         bin, dir);
	if (load_config("test.conf", text, &cfg, err, sizeof err) != 0) {
		fprintf(stderr, "config refused: %s\n", err);
		return -1;
	}
	star = config_wildcard_route(&cfg);
	return star && star->cgi_dir ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	return scratch_dir_remove();
}

static void expect_resolved(const char *name, const char *file)
{
	char out[PATH_MAX], want[PATH_MAX + 64];
	snprintf(want, sizeof want, "%s/%s", real_bin, file);
	if (cgi_dir_resolve(star, name, out, sizeof out) != 0)
		fail_msg("refused: %s", name);
	assert_string_equal(out, want);
}

static void test_resolves(void **state)
{
	(void)state;
	expect_resolved("echo", "echo");
	expect_resolved("Upper", "Upper");
	expect_resolved("alias", "echo");
	/* not executable, but its extension has an interpreter */
	expect_resolved("page.php", "page.php");
}

static void test_refuses(void **state)
{
	static const char *const refused[] = {
	    "",        "plain",    ".hidden",     "subdir", "subdir/deep", "deeper",
	    "escape",  "dangling", "missing",     "..",     ".",           "../outside",
	    "with%25", "echo/",    "/etc/passwd", "ECHO",   "a b",         "echo\n",
	};
	char out[PATH_MAX];
	(void)state;
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		if (cgi_dir_resolve(star, refused[i], out, sizeof out) != -1)
			fail_msg("resolved: \"%s\" -> %s", refused[i], out);
}

static void test_short_buffer(void **state)
{
	char out[8];
	(void)state;
	assert_int_equal(cgi_dir_resolve(star, "echo", out, sizeof out), -1);
}

static void test_list(void **state)
{
	static const char *const want[] = {"Upper", "alias", "echo", "page.php"};
	char **names;
	size_t n;
	(void)state;
	assert_int_equal(cgi_dir_list(star, &names, &n), 0);
	assert_int_equal(n, sizeof want / sizeof *want);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(names[i], want[i]);
	cgi_dir_names_free(names, n);
}

static void test_missing_dir(void **state)
{
	struct route_cfg gone = *star;
	char path[400], out[PATH_MAX], **names = NULL;
	size_t n = 5;
	(void)state;
	snprintf(path, sizeof path, "%s/no-such-dir", dir);
	gone.cgi_dir = path;
	assert_int_equal(cgi_dir_resolve(&gone, "echo", out, sizeof out), -1);
	assert_int_equal(cgi_dir_list(&gone, &names, &n), -1);
	assert_null(names);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_resolves),     cmocka_unit_test(test_refuses),
	    cmocka_unit_test(test_short_buffer), cmocka_unit_test(test_list),
	    cmocka_unit_test(test_missing_dir),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
