/* stanza_error.c - the status/failure -> stanza error tables (pure; see stanza_error.h). */
#include "stanza_error.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "jid_check.h"

struct status_row {
	int status;
	const char *condition;
	const char *type;
};

static const struct status_row status_rows[] = {
    {400, "bad-request", "modify"},
    {401, "not-authorized", "auth"},
    {402, "forbidden", "auth"},
    {403, "forbidden", "auth"},
    {404, "item-not-found", "cancel"},
    {405, "not-allowed", "cancel"},
    {406, "not-acceptable", "modify"},
    {407, "registration-required", "auth"},
    {408, "remote-server-timeout", "wait"},
    {409, "conflict", "cancel"},
    {410, "gone", "cancel"},
    {411, "bad-request", "modify"},
    {412, "conflict", "cancel"},
    {413, "resource-constraint", "modify"},
    {414, "resource-constraint", "modify"},
    {415, "feature-not-implemented", "cancel"},
    {422, "bad-request", "modify"},
    {423, "resource-constraint", "wait"},
    {429, "resource-constraint", "wait"},
    {431, "resource-constraint", "modify"},
    {451, "forbidden", "auth"},
    {500, "internal-server-error", "cancel"},
    {501, "feature-not-implemented", "cancel"},
    {502, "service-unavailable", "wait"},
    {503, "service-unavailable", "wait"},
    {504, "remote-server-timeout", "wait"},
    {507, "resource-constraint", "wait"},
};

static int hex_value(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* True if an xmpp: URI (RFC 5122) names a JID that passes jid_check(): a handler's
 * redirect must not point anywhere a server would rewrite or refuse. */
static bool xmpp_uri_ok(const char *uri)
{
	char jid[3072];
	size_t n = 0;
	const char *p = uri + 5;
	if (strncmp(p, "//", 2) == 0) { /* xmpp://authority/jid */
		p = strchr(p + 2, '/');
		if (!p)
			return false;
		p++;
	}
	for (; *p && *p != '?' && *p != '#'; p++) {
		int hi, lo;
		if (n + 1 >= sizeof jid)
			return false;
		if (*p != '%') {
			jid[n++] = *p;
			continue;
		}
		hi = hex_value(p[1]);
		lo = hi < 0 ? -1 : hex_value(p[2]);
		if (lo < 0 || (hi == 0 && lo == 0))
			return false;
		jid[n++] = (char)(hi * 16 + lo);
		p += 2;
	}
	jid[n] = '\0';
	return jid_check(jid) == NULL;
}

void stanza_error_for_status(int status, const char *location, struct stanza_error *out)
{
	out->uri = NULL;
	for (size_t i = 0; i < sizeof status_rows / sizeof *status_rows; i++) {
		if (status_rows[i].status == status) {
			out->condition = status_rows[i].condition;
			out->type = status_rows[i].type;
			return;
		}
	}
	if (status >= 300 && status < 400 && location && strncmp(location, "xmpp:", 5) == 0 &&
	    xmpp_uri_ok(location)) {
		if (status == 301 || status == 308) {
			out->condition = "gone";
			out->type = "cancel";
			out->uri = location;
			return;
		}
		if (status == 302 || status == 303 || status == 307) {
			out->condition = "redirect";
			out->type = "modify";
			out->uri = location;
			return;
		}
	}
	if (status >= 400 && status < 500) {
		out->condition = "bad-request";
		out->type = "modify";
	} else {
		out->condition = "undefined-condition";
		out->type = "cancel";
	}
}

void stanza_error_for_failure(enum bridge_failure f, enum stanza_kind kind,
                              struct stanza_error *out)
{
	out->uri = NULL;
	out->type = "cancel";
	switch (f) {
	case FAIL_TIMEOUT:
		out->condition = "remote-server-timeout";
		out->type = "wait";
		break;
	case FAIL_TOO_LARGE:
		out->condition = "resource-constraint";
		out->type = "modify";
		break;
	case FAIL_BUSY:
		out->condition = "resource-constraint";
		out->type = "wait";
		break;
	case FAIL_UNAVAILABLE:
		out->condition = "service-unavailable";
		out->type = "wait";
		break;
	case FAIL_FORBIDDEN:
		out->condition = "forbidden";
		out->type = "auth";
		break;
	case FAIL_NO_ROUTE:
		out->condition = kind == KIND_IQ ? "item-not-found" : "service-unavailable";
		break;
	case FAIL_BAD_REQUEST:
		out->condition = "bad-request";
		out->type = "modify";
		break;
	case FAIL_NOT_IMPLEMENTED:
		out->condition = "feature-not-implemented";
		break;
	case FAIL_NONE:
	case FAIL_HANDLER:
	case FAIL_BAD_XML:
		out->condition = "internal-server-error";
		break;
	}
}

const char *bridge_failure_text(enum bridge_failure f)
{
	switch (f) {
	case FAIL_NONE:
		return "no failure";
	case FAIL_TIMEOUT:
		return "the handler did not answer in time";
	case FAIL_HANDLER:
		return "the handler failed";
	case FAIL_TOO_LARGE:
		return "the handler's output is over the size limit";
	case FAIL_BAD_XML:
		return "the handler's XML body is not well-formed";
	case FAIL_BUSY:
		return "too many requests are waiting for this route";
	case FAIL_UNAVAILABLE:
		return "the service is unavailable";
	case FAIL_FORBIDDEN:
		return "this sender may not use this route";
	case FAIL_NO_ROUTE:
		return "no route answers at this address";
	case FAIL_BAD_REQUEST:
		return "the stanza cannot be turned into a request";
	case FAIL_NOT_IMPLEMENTED:
		return "this form of request is not supported";
	}
	return "unknown failure";
}

enum bridge_failure bridge_failure_of_backend(enum backend_failure f)
{
	switch (f) {
	case BACKEND_OK:
		return FAIL_NONE;
	case BACKEND_TIMEOUT:
		return FAIL_TIMEOUT;
	case BACKEND_TOO_LARGE:
		return FAIL_TOO_LARGE;
	case BACKEND_BUSY:
		return FAIL_BUSY;
	case BACKEND_UNAVAILABLE:
		return FAIL_UNAVAILABLE;
	case BACKEND_BAD_JOB:
		return FAIL_BAD_REQUEST;
	case BACKEND_HANDLER:
		break;
	}
	return FAIL_HANDLER;
}
