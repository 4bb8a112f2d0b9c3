/* test_link_error.c - unit tests for bridge/xmpp/link_error.c.
 *
 * Every libstrophe stream error type has its RFC name, and numbers outside the enum
 * have none; the log text names the condition (the one read from the element wins over
 * the type), an application condition and the server's quoted text, with control
 * characters replaced, the text cut at 200 bytes and never inside a UTF-8 sequence;
 * socket errors read as the system message with the errno name; TLS codes read as TLS
 * failures with OpenSSL's reason when TLS may run, and as errno values when it cannot;
 * OpenSSL's reason wins over the ECONNABORTED of a failed handshake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <openssl/ssl.h>
#include <string.h>

#include "link_error.h"

static void every_type_has_its_name(void **state)
{
	(void)state;
	assert_string_equal(link_stream_condition(XMPP_SE_BAD_FORMAT), "bad-format");
	assert_string_equal(link_stream_condition(XMPP_SE_CONFLICT), "conflict");
	assert_string_equal(link_stream_condition(XMPP_SE_NOT_AUTHORIZED), "not-authorized");
	assert_string_equal(link_stream_condition(XMPP_SE_SYSTEM_SHUTDOWN), "system-shutdown");
	assert_string_equal(link_stream_condition(XMPP_SE_UNDEFINED_CONDITION), "undefined-condition");
	assert_string_equal(link_stream_condition(XMPP_SE_XML_NOT_WELL_FORMED), "xml-not-well-formed");
	for (int t = XMPP_SE_BAD_FORMAT; t <= XMPP_SE_XML_NOT_WELL_FORMED; t++) {
		const char *name = link_stream_condition((xmpp_error_type_t)t);
		assert_non_null(name);
		assert_true(strlen(name) > 3);
		assert_null(strpbrk(name, " _0123456789"));
	}
	assert_null(link_stream_condition((xmpp_error_type_t)(XMPP_SE_XML_NOT_WELL_FORMED + 1)));
	assert_null(link_stream_condition((xmpp_error_type_t)-1));
}

static void stream_error_names_condition_and_text(void **state)
{
	char buf[400];
	(void)state;
	assert_string_equal(link_stream_error_text(XMPP_SE_NOT_AUTHORIZED, NULL, NULL,
	                                           "Invalid handshake", buf, sizeof buf),
	                    "stream error not-authorized: \"Invalid handshake\"");
	assert_string_equal(
	    link_stream_error_text(XMPP_SE_SYSTEM_SHUTDOWN, "", NULL, NULL, buf, sizeof buf),
	    "stream error system-shutdown");
	assert_string_equal(link_stream_error_text(XMPP_SE_CONFLICT, NULL, NULL, "", buf, sizeof buf),
	                    "stream error conflict");
	/* libstrophe knows no "reset": the element's own name wins over its fallback */
	assert_string_equal(
	    link_stream_error_text(XMPP_SE_UNDEFINED_CONDITION, "reset", NULL, NULL, buf, sizeof buf),
	    "stream error reset");
	assert_string_equal(link_stream_error_text(XMPP_SE_UNDEFINED_CONDITION, NULL, "too-slow",
	                                           "go away", buf, sizeof buf),
	                    "stream error undefined-condition (too-slow): \"go away\"");
	assert_string_equal(
	    link_stream_error_text((xmpp_error_type_t)99, NULL, NULL, NULL, buf, sizeof buf),
	    "stream error number 99");
}

static void server_text_is_one_bounded_line(void **state)
{
	char buf[600], text[400];
	const char *q;
	(void)state;
	link_stream_error_text(XMPP_SE_CONFLICT, NULL, NULL, "two\nlines\tand\x7f", buf, sizeof buf);
	assert_string_equal(buf, "stream error conflict: \"two?lines?and?\"");

	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	link_stream_error_text(XMPP_SE_CONFLICT, NULL, NULL, text, buf, sizeof buf);
	q = strchr(buf, '"');
	assert_non_null(q);
	assert_int_equal(strlen(q), 200 + 2);

	/* 199 ASCII bytes, then a 2-byte sequence the bound would cut in half */
	memset(text, 'b', 199);
	strcpy(text + 199, "\xc3\xa9tail");
	link_stream_error_text(XMPP_SE_CONFLICT, NULL, NULL, text, buf, sizeof buf);
	q = strchr(buf, '"');
	assert_int_equal(strlen(q), 199 + 2);
	/* 198 bytes then the same sequence: it fits whole and stays */
	memset(text, 'b', 198);
	strcpy(text + 198, "\xc3\xa9tail");
	link_stream_error_text(XMPP_SE_CONFLICT, NULL, NULL, text, buf, sizeof buf);
	q = strchr(buf, '"');
	assert_int_equal(strlen(q), 200 + 2);
	assert_memory_equal(q + 1 + 198, "\xc3\xa9", 2);

	/* a small buffer truncates but stays terminated */
	link_stream_error_text(XMPP_SE_NOT_AUTHORIZED, NULL, NULL, "x", buf, 10);
	assert_string_equal(buf, "stream er");
}

static void socket_errors_read_as_errno(void **state)
{
	char buf[200];
	(void)state;
	assert_string_equal(link_socket_error_text(ECONNRESET, false, NULL, buf, sizeof buf),
	                    "Connection reset by peer (ECONNRESET)");
	assert_string_equal(link_socket_error_text(ETIMEDOUT, true, NULL, buf, sizeof buf),
	                    "Connection timed out (ETIMEDOUT)");
	assert_string_equal(link_socket_error_text(ECONNREFUSED, true, "", buf, sizeof buf),
	                    "Connection refused (ECONNREFUSED)");
	assert_string_equal(link_socket_error_text(-7, false, NULL, buf, sizeof buf),
	                    "error number -7");
	/* without TLS, 5 is EIO, not SSL_ERROR_SYSCALL */
	assert_string_equal(link_socket_error_text(EIO, false, NULL, buf, sizeof buf),
	                    "Input/output error (EIO)");
}

static void tls_codes_read_as_tls_failures(void **state)
{
	char buf[200];
	(void)state;
	assert_string_equal(
	    link_socket_error_text(SSL_ERROR_SSL, true, "wrong version number", buf, sizeof buf),
	    "TLS protocol failure: wrong version number (SSL_ERROR_SSL)");
	assert_string_equal(link_socket_error_text(SSL_ERROR_SYSCALL, true, NULL, buf, sizeof buf),
	                    "TLS connection lost (SSL_ERROR_SYSCALL)");
	assert_string_equal(link_socket_error_text(SSL_ERROR_ZERO_RETURN, true, "", buf, sizeof buf),
	                    "TLS closed by the server (SSL_ERROR_ZERO_RETURN)");
	assert_string_equal(link_socket_error_text(SSL_ERROR_WANT_READ, true, NULL, buf, sizeof buf),
	                    "TLS failure (SSL_ERROR_WANT_READ)");
	/* a failed handshake: libstrophe's ECONNABORTED, OpenSSL's reason */
	assert_string_equal(
	    link_socket_error_text(ECONNABORTED, true, "certificate verify failed", buf, sizeof buf),
	    "TLS failure: certificate verify failed (ECONNABORTED)");
	assert_string_equal(link_socket_error_text(ECONNABORTED, false, "stale", buf, sizeof buf),
	                    "Software caused connection abort (ECONNABORTED)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(every_type_has_its_name),
	    cmocka_unit_test(stream_error_names_condition_and_text),
	    cmocka_unit_test(server_text_is_one_bounded_line),
	    cmocka_unit_test(socket_errors_read_as_errno),
	    cmocka_unit_test(tls_codes_read_as_tls_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
