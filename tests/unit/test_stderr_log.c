/* test_stderr_log.c - unit tests for bridge/backend/stderr_log.c, a handler's stderr to log lines.
 *
 * The log goes to the test's stderr, which each test points at a temporary file and
 * reads back: lines split anywhere arrive whole with the tag, control characters
 * replaced, cut at STDERR_LINE_MAX bytes, a last line without newline only on flush, and
 * after STDERR_MAX_LINES one line saying the rest is suppressed, then nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "stderr_log.h"

static int saved_stderr = -1;
static FILE *capture;

static int setup(void **state)
{
	(void)state;
	log_set_level(LOG_INFO);
	fflush(stderr);
	saved_stderr = dup(STDERR_FILENO);
	capture = tmpfile();
	if (saved_stderr < 0 || !capture || dup2(fileno(capture), STDERR_FILENO) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	fclose(capture);
	return 0;
}

/* What was logged since setup, malloc'd. pread leaves the shared offset alone. */
static char *logged(void)
{
	struct stat st;
	char *s;
	fflush(stderr);
	assert_int_equal(fstat(fileno(capture), &st), 0);
	s = calloc(1, (size_t)st.st_size + 1);
	assert_non_null(s);
	assert_int_equal(pread(fileno(capture), s, (size_t)st.st_size, 0), st.st_size);
	return s;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_split_lines(void **state)
{
	struct stderr_log s = {.tag = "route r [pid 7]"};
	char *out;
	(void)state;
	stderr_log_feed(&s, "fir", 3);
	stderr_log_feed(&s, "st\nsec", 6);
	stderr_log_feed(&s, "ond\n\nthird", 10);
	out = logged();
	assert_non_null(strstr(out, "route r [pid 7]: first\n"));
	assert_non_null(strstr(out, "route r [pid 7]: second\n"));
	assert_null(strstr(out, "third"));                    /* not yet: no newline */
	assert_int_equal(count(out, "route r [pid 7]: "), 2); /* the empty line is not logged */
	free(out);
	stderr_log_flush(&s);
	stderr_log_flush(&s); /* nothing left: no second line */
	out = logged();
	assert_non_null(strstr(out, "route r [pid 7]: third\n"));
	assert_int_equal(count(out, "third"), 1);
	assert_int_equal(s.lines, 3);
	free(out);
}

static void test_control_characters(void **state)
{
	struct stderr_log s = {.tag = "t"};
	const char in[] = "a\tb\rc\x01\x1b[31md\x7f\xc3\xa9\n";
	char *out;
	(void)state;
	stderr_log_feed(&s, in, sizeof in - 1);
	out = logged();
	assert_non_null(strstr(out, "t: a b c??[31md\x7f\xc3\xa9\n"));
	free(out);
}

static void test_long_line_cut(void **state)
{
	struct stderr_log s = {.tag = "t"};
	char *big = malloc(3 * STDERR_LINE_MAX), *out, *line;
	(void)state;
	assert_non_null(big);
	memset(big, 'x', 3 * STDERR_LINE_MAX);
	stderr_log_feed(&s, big, 3 * STDERR_LINE_MAX);
	stderr_log_feed(&s, "\nnext\n", 6);
	out = logged();
	line = strstr(out, "t: x");
	assert_non_null(line);
	assert_int_equal(strcspn(line + 3, "\n"), STDERR_LINE_MAX);
	assert_non_null(strstr(out, "t: next\n"));
	free(out);
	free(big);
}

static void test_line_limit(void **state)
{
	struct stderr_log s = {.tag = "t"};
	char *out;
	(void)state;
	for (int i = 0; i < STDERR_MAX_LINES + 50; i++)
		stderr_log_feed(&s, "line\n", 5);
	out = logged();
	assert_int_equal(count(out, "t: line\n"), STDERR_MAX_LINES);
	assert_int_equal(count(out, "further stderr output suppressed"), 1);
	/* the notice comes after the last line logged */
	assert_true(strstr(out, "suppressed") > strstr(out, "t: line\n"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_split_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_control_characters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_line_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_line_limit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
