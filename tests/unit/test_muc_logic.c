/* test_muc_logic.c - unit tests for bridge/xmpp/muc_logic.c: group chat decisions.
 *
 * Covers the three trigger modes (every message; a mention of the nick as a word,
 * with "nick:", "nick," and "@nick" openings stripped from the arguments; a command
 * prefix that must end at a word boundary, with the rest of the first line as the
 * arguments), the QUERY_STRING encoding of arguments, what self-presence status codes
 * and errors mean (joined, created, kicked, banned, destroyed, shutdown, nick conflict,
 * nick change), self-ping verdicts, every row of the room state table, the backoff
 * doubling and its cap, conflict nicks, the rate bucket's refill and cap, and the loop
 * guard's run per speaker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "muc_logic.h"

static void test_trigger_all(void **state)
{
	char args[64];
	(void)state;
	assert_true(
	    muc_trigger_match(MUC_TRIGGER_ALL, NULL, NULL, "  hello world \nmore", args, sizeof args));
	assert_string_equal(args, "hello world");
	assert_false(muc_trigger_match(MUC_TRIGGER_ALL, NULL, NULL, NULL, args, sizeof args));
}

static void test_trigger_mention(void **state)
{
	char args[64];
	(void)state;
	assert_true(muc_trigger_match(MUC_TRIGGER_MENTION, NULL, "weather", "weather: berlin", args,
	                              sizeof args));
	assert_string_equal(args, "berlin");
	assert_true(muc_trigger_match(MUC_TRIGGER_MENTION, NULL, "weather", "@Weather, paris", args,
	                              sizeof args));
	assert_string_equal(args, "paris");
	assert_true(muc_trigger_match(MUC_TRIGGER_MENTION, NULL, "weather", "hey weather, rain?", args,
	                              sizeof args));
	assert_string_equal(args, "hey weather, rain?");
	assert_false(muc_trigger_match(MUC_TRIGGER_MENTION, NULL, "weather", "the weatherman", args,
	                               sizeof args));
	assert_false(
	    muc_trigger_match(MUC_TRIGGER_MENTION, NULL, "weather", "badweather", args, sizeof args));
	assert_false(muc_mentions("nothing here", "weather"));
	assert_false(muc_mentions("weather", ""));
	assert_true(muc_mentions("(weather)", "weather"));
}

static void test_trigger_prefix(void **state)
{
	char args[64];
	(void)state;
	assert_true(muc_trigger_match(MUC_TRIGGER_PREFIX, "!weather", NULL, "!weather berlin\nx", args,
	                              sizeof args));
	assert_string_equal(args, "berlin");
	assert_true(
	    muc_trigger_match(MUC_TRIGGER_PREFIX, "!weather", NULL, "  !weather", args, sizeof args));
	assert_string_equal(args, "");
	assert_false(muc_trigger_match(MUC_TRIGGER_PREFIX, "!weather", NULL, "!weatherman x", args,
	                               sizeof args));
	assert_false(
	    muc_trigger_match(MUC_TRIGGER_PREFIX, "!weather", NULL, "say !weather", args, sizeof args));
	/* a prefix ending in punctuation takes the text right after it */
	assert_true(muc_trigger_match(MUC_TRIGGER_PREFIX, "w:", NULL, "w:rain", args, sizeof args));
	assert_string_equal(args, "rain");
	assert_false(muc_trigger_match(MUC_TRIGGER_PREFIX, "", NULL, "x", args, sizeof args));
}

static void test_query_encode(void **state)
{
	char out[32];
	(void)state;
	assert_int_equal(muc_query_encode("new york & co", out, sizeof out), 0);
	assert_string_equal(out, "new%20york%20%26%20co");
	assert_int_equal(muc_query_encode("a-b_c.d~", out, sizeof out), 0);
	assert_string_equal(out, "a-b_c.d~");
	assert_int_equal(muc_query_encode("ééééééééééé", out, sizeof out), -1);
}

static enum muc_event ev(enum muc_self_kind kind, const unsigned *codes, size_t n, bool destroyed,
                         const char *error)
{
	struct muc_self_presence p = {kind, codes, n, destroyed, error};
	return muc_self_event(&p);
}

static void test_self_events(void **state)
{
	const unsigned joined[] = {110, 100}, created[] = {110, 201}, kicked[] = {307, 110},
	               banned[] = {301, 110}, nick[] = {303, 110}, gone[] = {332}, aff[] = {321};
	(void)state;
	assert_int_equal(ev(MUC_SELF_AVAILABLE, joined, 2, false, NULL), MUC_EV_JOINED);
	assert_int_equal(ev(MUC_SELF_AVAILABLE, created, 2, false, NULL), MUC_EV_CREATED);
	assert_int_equal(ev(MUC_SELF_UNAVAILABLE, kicked, 2, false, NULL), MUC_EV_KICKED);
	assert_int_equal(ev(MUC_SELF_UNAVAILABLE, banned, 2, false, NULL), MUC_EV_BANNED);
	assert_int_equal(ev(MUC_SELF_UNAVAILABLE, nick, 2, false, NULL), MUC_EV_NONE);
	assert_int_equal(ev(MUC_SELF_UNAVAILABLE, gone, 1, false, NULL), MUC_EV_SHUTDOWN);
	assert_int_equal(ev(MUC_SELF_UNAVAILABLE, aff, 1, false, NULL), MUC_EV_REMOVED);
	assert_int_equal(ev(MUC_SELF_UNAVAILABLE, joined, 1, true, NULL), MUC_EV_DESTROYED);
	assert_int_equal(ev(MUC_SELF_UNAVAILABLE, NULL, 0, false, NULL), MUC_EV_LEFT);
	assert_int_equal(ev(MUC_SELF_ERROR, NULL, 0, false, "conflict"), MUC_EV_NICK_CONFLICT);
	assert_int_equal(ev(MUC_SELF_ERROR, NULL, 0, false, "not-authorized"), MUC_EV_JOIN_FAILED);
	assert_int_equal(ev(MUC_SELF_ERROR, NULL, 0, false, NULL), MUC_EV_JOIN_FAILED);
	assert_string_equal(muc_event_name(MUC_EV_KICKED), "kicked");
}

static void test_ping_verdicts(void **state)
{
	(void)state;
	assert_int_equal(muc_ping_verdict_of(NULL), MUC_PING_IN);
	assert_int_equal(muc_ping_verdict_of("service-unavailable"), MUC_PING_IN);
	assert_int_equal(muc_ping_verdict_of("feature-not-implemented"), MUC_PING_IN);
	assert_int_equal(muc_ping_verdict_of("not-acceptable"), MUC_PING_OUT);
	assert_int_equal(muc_ping_verdict_of("item-not-found"), MUC_PING_OUT);
	assert_int_equal(muc_ping_verdict_of("remote-server-not-found"), MUC_PING_UNKNOWN);
}

static void test_room_states(void **state)
{
	(void)state;
	assert_int_equal(muc_room_next(ROOM_OUT, RI_LINK_UP), ROOM_JOINING);
	assert_int_equal(muc_room_next(ROOM_OUT, RI_JOINED), ROOM_OUT);
	assert_int_equal(muc_room_next(ROOM_JOINING, RI_JOINED), ROOM_IN);
	assert_int_equal(muc_room_next(ROOM_JOINING, RI_NICK_TAKEN), ROOM_JOINING);
	assert_int_equal(muc_room_next(ROOM_JOINING, RI_JOIN_FAILED), ROOM_BACKOFF);
	assert_int_equal(muc_room_next(ROOM_IN, RI_REMOVED), ROOM_BACKOFF);
	assert_int_equal(muc_room_next(ROOM_IN, RI_GHOST), ROOM_JOINING);
	assert_int_equal(muc_room_next(ROOM_IN, RI_RETRY_DUE), ROOM_IN);
	assert_int_equal(muc_room_next(ROOM_BACKOFF, RI_RETRY_DUE), ROOM_JOINING);
	assert_int_equal(muc_room_next(ROOM_BACKOFF, RI_JOINED), ROOM_IN);
	for (int s = ROOM_OUT; s <= ROOM_BACKOFF; s++)
		assert_int_equal(muc_room_next((enum muc_room_state)s, RI_LINK_DOWN), ROOM_OUT);
	assert_string_equal(muc_room_state_name(ROOM_BACKOFF), "backoff");
}

static void test_backoff_and_nicks(void **state)
{
	char nick[32];
	(void)state;
	assert_int_equal(muc_backoff_ms(0), MUC_BACKOFF_MIN_MS);
	assert_int_equal(muc_backoff_ms(1), 2 * MUC_BACKOFF_MIN_MS);
	assert_int_equal(muc_backoff_ms(40), MUC_BACKOFF_MAX_MS);
	muc_nick_for_attempt("weather", 0, nick, sizeof nick);
	assert_string_equal(nick, "weather");
	muc_nick_for_attempt("weather", 1, nick, sizeof nick);
	assert_string_equal(nick, "weather_2");
}

static void test_bucket(void **state)
{
	struct muc_bucket b = {0};
	(void)state;
	assert_true(muc_bucket_take(&b, 2, 60, 1000));
	assert_true(muc_bucket_take(&b, 2, 60, 1000));
	assert_false(muc_bucket_take(&b, 2, 60, 1000));
	assert_false(muc_bucket_take(&b, 2, 60, 20000));   /* 19 s: 0.63 of a token */
	assert_true(muc_bucket_take(&b, 2, 60, 31000));    /* 30 s: one token */
	assert_true(muc_bucket_take(&b, 2, 60, 10000000)); /* refilled, capped at 2 */
	assert_true(muc_bucket_take(&b, 2, 60, 10000000));
	assert_false(muc_bucket_take(&b, 2, 60, 10000000));
	assert_true(muc_bucket_take(&b, 0, 60, 0)); /* 0: no limit */
}

static void test_loop_guard(void **state)
{
	struct muc_loop_guard g = {0};
	(void)state;
	assert_true(muc_loop_guard_note(&g, "bot", true, 2));
	assert_true(muc_loop_guard_note(&g, "bot", true, 2));
	assert_false(muc_loop_guard_note(&g, "bot", true, 2));
	assert_true(muc_loop_guard_note(&g, "bot", false, 2)); /* not served: nothing to stop */
	assert_false(muc_loop_guard_note(&g, "bot", true, 2));
	assert_true(muc_loop_guard_note(&g, "alice", false, 2)); /* someone else spoke */
	assert_true(muc_loop_guard_note(&g, "bot", true, 2));
	for (int i = 0; i < 100; i++)
		assert_true(muc_loop_guard_note(&g, "x", true, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trigger_all),    cmocka_unit_test(test_trigger_mention),
	    cmocka_unit_test(test_trigger_prefix), cmocka_unit_test(test_query_encode),
	    cmocka_unit_test(test_self_events),    cmocka_unit_test(test_ping_verdicts),
	    cmocka_unit_test(test_room_states),    cmocka_unit_test(test_backoff_and_nicks),
	    cmocka_unit_test(test_bucket),         cmocka_unit_test(test_loop_guard),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
