/* link_error.c - names for libstrophe's disconnect reasons (pure; see link_error.h).
 *
 * The condition table follows libstrophe's xmpp_error_type_t, indexed by its own
 * constants so that a reordered enum cannot shift the names. TLS codes come from
 * OpenSSL's header for the same reason; nothing here links against either library. */
#include "link_error.h"

#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

static const char *const conditions[] = {
    [XMPP_SE_BAD_FORMAT] = "bad-format",
    [XMPP_SE_BAD_NS_PREFIX] = "bad-namespace-prefix",
    [XMPP_SE_CONFLICT] = "conflict",
    [XMPP_SE_CONN_TIMEOUT] = "connection-timeout",
    [XMPP_SE_HOST_GONE] = "host-gone",
    [XMPP_SE_HOST_UNKNOWN] = "host-unknown",
    [XMPP_SE_IMPROPER_ADDR] = "improper-addressing",
    [XMPP_SE_INTERNAL_SERVER_ERROR] = "internal-server-error",
    [XMPP_SE_INVALID_FROM] = "invalid-from",
    [XMPP_SE_INVALID_ID] = "invalid-id",
    [XMPP_SE_INVALID_NS] = "invalid-namespace",
    [XMPP_SE_INVALID_XML] = "invalid-xml",
    [XMPP_SE_NOT_AUTHORIZED] = "not-authorized",
    [XMPP_SE_POLICY_VIOLATION] = "policy-violation",
    [XMPP_SE_REMOTE_CONN_FAILED] = "remote-connection-failed",
    [XMPP_SE_RESOURCE_CONSTRAINT] = "resource-constraint",
    [XMPP_SE_RESTRICTED_XML] = "restricted-xml",
    [XMPP_SE_SEE_OTHER_HOST] = "see-other-host",
    [XMPP_SE_SYSTEM_SHUTDOWN] = "system-shutdown",
    [XMPP_SE_UNDEFINED_CONDITION] = "undefined-condition",
    [XMPP_SE_UNSUPPORTED_ENCODING] = "unsupported-encoding",
    [XMPP_SE_UNSUPPORTED_STANZA_TYPE] = "unsupported-stanza-type",
    [XMPP_SE_UNSUPPORTED_VERSION] = "unsupported-version",
    [XMPP_SE_XML_NOT_WELL_FORMED] = "xml-not-well-formed",
};

#define SERVER_TEXT_MAX 200

const char *link_stream_condition(xmpp_error_type_t type)
{
	size_t i = (size_t)type;
	return i < sizeof conditions / sizeof conditions[0] ? conditions[i] : NULL;
}

/* Bytes a UTF-8 sequence takes, from its lead byte (1 for anything else). */
static size_t utf8_length(unsigned char lead)
{
	return lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
}

/* The server's words go into our log: one line, bounded, no control characters, and
 * never ending inside a UTF-8 sequence that the bound cut. */
static void copy_server_text(char *dst, size_t size, const char *src)
{
	size_t n = 0, lead;
	for (; src[n] && n < SERVER_TEXT_MAX && n + 1 < size; n++) {
		unsigned char c = (unsigned char)src[n];
		dst[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	lead = n;
	while (lead > 0 && ((unsigned char)dst[lead - 1] & 0xc0) == 0x80)
		lead--;
	if (lead > 0 && (unsigned char)dst[lead - 1] >= 0xc0 &&
	    n - (lead - 1) < utf8_length((unsigned char)dst[lead - 1]))
		n = lead - 1;
	dst[n] = '\0';
}

const char *link_stream_error_text(xmpp_error_type_t type, const char *condition, const char *app,
                                   const char *text, char *buf, size_t size)
{
	char said[SERVER_TEXT_MAX + 1] = "";
	char number[32];
	size_t len;
	if (!condition || !*condition)
		condition = link_stream_condition(type);
	if (!condition) {
		snprintf(number, sizeof number, "number %d", (int)type);
		condition = number;
	}
	if (text)
		copy_server_text(said, sizeof said, text);
	snprintf(buf, size, "stream error %s", condition);
	len = strlen(buf);
	if (app && *app) {
		snprintf(buf + len, size - len, " (%s)", app);
		len = strlen(buf);
	}
	if (said[0])
		snprintf(buf + len, size - len, ": \"%s\"", said);
	return buf;
}

static const char *tls_code_name(int error)
{
	switch (error) {
	case SSL_ERROR_SSL:
		return "SSL_ERROR_SSL";
	case SSL_ERROR_WANT_READ:
		return "SSL_ERROR_WANT_READ";
	case SSL_ERROR_WANT_WRITE:
		return "SSL_ERROR_WANT_WRITE";
	case SSL_ERROR_WANT_X509_LOOKUP:
		return "SSL_ERROR_WANT_X509_LOOKUP";
	case SSL_ERROR_SYSCALL:
		return "SSL_ERROR_SYSCALL";
	case SSL_ERROR_ZERO_RETURN:
		return "SSL_ERROR_ZERO_RETURN";
	case SSL_ERROR_WANT_CONNECT:
		return "SSL_ERROR_WANT_CONNECT";
	case SSL_ERROR_WANT_ACCEPT:
		return "SSL_ERROR_WANT_ACCEPT";
	default:
		return NULL;
	}
}

static const char *tls_code_meaning(int error)
{
	switch (error) {
	case SSL_ERROR_SSL:
		return "TLS protocol failure";
	case SSL_ERROR_SYSCALL:
		return "TLS connection lost";
	case SSL_ERROR_ZERO_RETURN:
		return "TLS closed by the server";
	default:
		return "TLS failure";
	}
}

const char *link_socket_error_text(int error, bool tls, const char *tls_reason, char *buf,
                                   size_t size)
{
	const char *code = tls ? tls_code_name(error) : NULL;
	const char *name;
	if (code) {
		if (tls_reason && *tls_reason)
			snprintf(buf, size, "%s: %s (%s)", tls_code_meaning(error), tls_reason, code);
		else
			snprintf(buf, size, "%s (%s)", tls_code_meaning(error), code);
		return buf;
	}
	name = error > 0 ? strerrorname_np(error) : NULL;
	/* a failed handshake reaches us as ECONNABORTED: OpenSSL's reason says more */
	if (tls && tls_reason && *tls_reason)
		snprintf(buf, size, "TLS failure: %s (%s)", tls_reason, name ? name : "?");
	else if (name)
		snprintf(buf, size, "%s (%s)", strerror(error), name);
	else
		snprintf(buf, size, "error number %d", error);
	return buf;
}
