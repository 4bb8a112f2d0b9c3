/* test_fcgi_addr.c - unit tests for bridge/backend/fcgi_addr.c, the key that makes routes
 * naming one FastCGI address share its backend.
 *
 * Unix paths: doubled slashes and "." steps make no difference, ".." and case do, and
 * "/" stays "/". TCP: an IPv4 address as written, every spelling of one IPv6 address
 * one key in brackets, the port part of the key, unix and TCP never equal. A key that
 * does not fit the buffer, a port outside 1-65535 and an address that is not numeric
 * are refused with an empty result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "fcgi_addr.h"

static const char *unix_key(const char *path)
{
	static char out[FCGI_ADDR_KEY_MAX];
	struct fcgi_addr a = {.kind = FCGI_ADDR_UNIX, .path = (char *)path};
	assert_int_equal(fcgi_addr_key(&a, out, sizeof out), 0);
	return out;
}

static const char *tcp_key(const char *host, unsigned port)
{
	static char out[FCGI_ADDR_KEY_MAX];
	struct fcgi_addr a = {.kind = FCGI_ADDR_TCP, .host = (char *)host, .port = port};
	assert_int_equal(fcgi_addr_key(&a, out, sizeof out), 0);
	return out;
}

static void test_unix_path_as_written(void **state)
{
	(void)state;
	assert_string_equal(unix_key("/run/php/php8.2-fpm.sock"), "unix:/run/php/php8.2-fpm.sock");
	assert_string_equal(unix_key("/"), "unix:/");
}

static void test_unix_path_spellings(void **state)
{
	(void)state;
	assert_string_equal(unix_key("//run///php/./fpm.sock"), "unix:/run/php/fpm.sock");
	assert_string_equal(unix_key("/./run/./php/fpm.sock"), "unix:/run/php/fpm.sock");
	assert_string_equal(unix_key("/run/php/fpm.sock/"), "unix:/run/php/fpm.sock");
	assert_string_equal(unix_key("/run/.hidden/s"), "unix:/run/.hidden/s");
}

static void test_unix_path_differences_kept(void **state)
{
	(void)state;
	/* a symbolic link makes /a/link/.. something other than /a */
	assert_string_equal(unix_key("/run/x/../fpm.sock"), "unix:/run/x/../fpm.sock");
	assert_string_equal(unix_key("/run/FPM.sock"), "unix:/run/FPM.sock");
}

static void test_tcp_ipv4(void **state)
{
	(void)state;
	assert_string_equal(tcp_key("127.0.0.1", 9000), "tcp:127.0.0.1:9000");
	assert_string_equal(tcp_key("10.1.2.3", 65535), "tcp:10.1.2.3:65535");
	assert_string_equal(tcp_key("127.0.0.1", 1), "tcp:127.0.0.1:1");
}

static void test_tcp_ipv6_spellings(void **state)
{
	(void)state;
	assert_string_equal(tcp_key("::1", 9000), "tcp:[::1]:9000");
	assert_string_equal(tcp_key("0:0:0:0:0:0:0:1", 9000), "tcp:[::1]:9000");
	assert_string_equal(tcp_key("0000::0001", 9000), "tcp:[::1]:9000");
	assert_string_equal(tcp_key("FE80::A", 9000), "tcp:[fe80::a]:9000");
}

static void test_port_and_kind_matter(void **state)
{
	char a[FCGI_ADDR_KEY_MAX];
	(void)state;
	strcpy(a, tcp_key("127.0.0.1", 9000));
	assert_string_not_equal(a, tcp_key("127.0.0.1", 9001));
	assert_string_not_equal(a, tcp_key("::ffff:127.0.0.1", 9000));
	assert_string_not_equal(unix_key("/tcp:127.0.0.1:9000"), a);
}

static void test_refused(void **state)
{
	char out[FCGI_ADDR_KEY_MAX];
	char small[16];
	struct fcgi_addr bad_port = {.kind = FCGI_ADDR_TCP, .host = "127.0.0.1", .port = 0};
	struct fcgi_addr big_port = {.kind = FCGI_ADDR_TCP, .host = "127.0.0.1", .port = 65536};
	struct fcgi_addr name = {.kind = FCGI_ADDR_TCP, .host = "localhost", .port = 9000};
	struct fcgi_addr relative = {.kind = FCGI_ADDR_UNIX, .path = "run/fpm.sock"};
	struct fcgi_addr no_path = {.kind = FCGI_ADDR_UNIX};
	struct fcgi_addr long_path = {.kind = FCGI_ADDR_UNIX, .path = "/run/php/php8.2-fpm.sock"};
	struct fcgi_addr v6 = {.kind = FCGI_ADDR_TCP, .host = "::1", .port = 9000};
	(void)state;
	assert_int_equal(fcgi_addr_key(&bad_port, out, sizeof out), -1);
	assert_string_equal(out, "");
	assert_int_equal(fcgi_addr_key(&big_port, out, sizeof out), -1);
	assert_int_equal(fcgi_addr_key(&name, out, sizeof out), -1);
	assert_int_equal(fcgi_addr_key(&relative, out, sizeof out), -1);
	assert_int_equal(fcgi_addr_key(&no_path, out, sizeof out), -1);
	assert_int_equal(fcgi_addr_key(&long_path, small, sizeof small), -1);
	assert_string_equal(small, "");
	assert_int_equal(fcgi_addr_key(&v6, small, 14), -1); /* "tcp:[::1]:9000" is 14 */
	assert_int_equal(fcgi_addr_key(&v6, small, 15), 0);
	assert_string_equal(small, "tcp:[::1]:9000");
	assert_int_equal(fcgi_addr_key(&v6, out, 0), -1);
}

static void test_longest_unix_path_fits(void **state)
{
	char path[108], out[FCGI_ADDR_KEY_MAX], want[FCGI_ADDR_KEY_MAX];
	struct fcgi_addr a = {.kind = FCGI_ADDR_UNIX, .path = path};
	(void)state;
	path[0] = '/';
	memset(path + 1, 's', sizeof path - 2);
	path[sizeof path - 1] = '\0'; /* 107 bytes: the most config.c accepts */
	assert_int_equal(fcgi_addr_key(&a, out, sizeof out), 0);
	strcpy(want, "unix:");
	strcat(want, path);
	assert_string_equal(out, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_unix_path_as_written),
	    cmocka_unit_test(test_unix_path_spellings),
	    cmocka_unit_test(test_unix_path_differences_kept),
	    cmocka_unit_test(test_tcp_ipv4),
	    cmocka_unit_test(test_tcp_ipv6_spellings),
	    cmocka_unit_test(test_port_and_kind_matter),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_longest_unix_path_fits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
