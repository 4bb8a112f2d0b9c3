/* stanza_error_expect.h - the two checks the unit tests make of the HTTP status and bridge
 * failure -> stanza error tables (bridge/mapping/stanza_error.c): the condition and type
 * a status (with an optional Location) or a failure (for a stanza kind) maps to, and the
 * redirect URI or its absence; a stale URI in the struct must not survive. Included by
 * test_stanza_error.c and test_reply.c; needs cmocka.h, string.h and stanza_error.h
 * first. */
#ifndef XC_STANZA_ERROR_EXPECT_H
#define XC_STANZA_ERROR_EXPECT_H

/* uri NULL: the error must carry no URI */
static inline void expect_status(int status, const char *location, const char *cond,
                                 const char *type, const char *uri)
{
	struct stanza_error e;
	memset(&e, 0, sizeof e);
	e.uri = "stale";
	stanza_error_for_status(status, location, &e);
	if (strcmp(e.condition, cond) != 0 || strcmp(e.type, type) != 0)
		fail_msg("status %d %s: got %s/%s, want %s/%s", status, location ? location : "-",
		         e.condition, e.type, cond, type);
	if (uri)
		assert_string_equal(e.uri, uri);
	else
		assert_null(e.uri);
}

static inline void expect_failure(enum bridge_failure f, enum stanza_kind k, const char *cond,
                                  const char *type)
{
	struct stanza_error e;
	memset(&e, 0, sizeof e);
	e.uri = "stale";
	stanza_error_for_failure(f, k, &e);
	if (strcmp(e.condition, cond) != 0 || strcmp(e.type, type) != 0)
		fail_msg("failure %d kind %d: got %s/%s, want %s/%s", (int)f, (int)k, e.condition, e.type,
		         cond, type);
	assert_null(e.uri);
}

#endif
