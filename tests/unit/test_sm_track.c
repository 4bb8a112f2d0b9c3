/* test_sm_track.c - unit tests for bridge/xmpp/sm_track.c.
 *
 * The unacked list numbers stanzas from 0, forgets those an ack counts (also across
 * the 2^32 wrap), refuses an ack above what was sent, and after a resumption hands back
 * exactly the rest, numbered on from the server's h. The start-tag reader finds name,
 * type, id and to with either quote and entities resolved. The seen table calls an iq
 * a duplicate while it runs and within the window after its answer, and not after;
 * it stays within its size. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "sm_track.h"

static void push(struct sm_unacked *u, const char *xml)
{
	struct sm_item *it = sm_item_new(xml, strlen(xml), 0);
	assert_non_null(it);
	sm_unacked_push(u, it);
}

static void acks_forget_what_they_count(void **state)
{
	struct sm_unacked u = {0};
	(void)state;
	push(&u, "<a/>");
	push(&u, "<b/>");
	push(&u, "<c/>");
	assert_int_equal(u.count, 3);
	assert_int_equal(sm_unacked_ack(&u, 0), 0);
	assert_int_equal(sm_unacked_ack(&u, 2), 2);
	assert_int_equal(u.count, 1);
	assert_string_equal(u.head->xml, "<c/>");
	assert_int_equal(sm_unacked_ack(&u, 2), 0);
	assert_int_equal(sm_unacked_ack(&u, 4), -1); /* more than was sent */
	assert_int_equal(u.count, 1);
	assert_int_equal(sm_unacked_ack(&u, 3), 1);
	assert_null(u.head);
	assert_null(u.tail);
	sm_unacked_clear(&u);
}

static void resumption_hands_back_the_rest(void **state)
{
	struct sm_unacked u = {0};
	struct sm_item *list, *it;
	(void)state;
	push(&u, "<a/>");
	push(&u, "<b/>");
	push(&u, "<c/>");
	assert_int_equal(sm_unacked_ack(&u, 1), 1);
	list = sm_unacked_take(&u, 1);
	assert_int_equal(u.count, 0);
	assert_string_equal(list->xml, "<b/>");
	assert_string_equal(list->next->xml, "<c/>");
	assert_null(list->next->next);
	/* sent again, they keep their numbers */
	while ((it = list)) {
		list = it->next;
		sm_unacked_push(&u, it);
	}
	assert_int_equal(u.head->seq, 1);
	assert_int_equal(u.tail->seq, 2);
	assert_int_equal(sm_unacked_ack(&u, 3), 2);
	sm_unacked_clear(&u);
}

static void numbers_wrap(void **state)
{
	struct sm_unacked u = {0};
	(void)state;
	sm_items_free(sm_unacked_take(&u, UINT32_MAX - 1));
	push(&u, "<a/>"); /* 2^32 - 2 */
	push(&u, "<b/>"); /* 2^32 - 1 */
	push(&u, "<c/>"); /* 0 */
	assert_int_equal(u.tail->seq, 0);
	assert_int_equal(sm_unacked_ack(&u, 0), 2);
	assert_string_equal(u.head->xml, "<c/>");
	assert_int_equal(sm_unacked_ack(&u, 1), 1);
	sm_unacked_clear(&u);
}

static void start_tag_key(void **state)
{
	char name[8], type[8], id[64], to[64];
	(void)state;
	assert_true(sm_stanza_key("<iq type=\"result\" id=\"a&amp;b&quot;\" to='x@y/z'><q/></iq>", name,
	                          sizeof name, type, sizeof type, id, sizeof id, to, sizeof to));
	assert_string_equal(name, "iq");
	assert_string_equal(type, "result");
	assert_string_equal(id, "a&b\"");
	assert_string_equal(to, "x@y/z");
	assert_true(sm_stanza_key("<message to=\"a@b\"/>", name, sizeof name, type, sizeof type, id,
	                          sizeof id, to, sizeof to));
	assert_string_equal(name, "message");
	assert_string_equal(id, "");
	assert_false(sm_stanza_key("no tag", name, sizeof name, type, sizeof type, id, sizeof id, to,
	                           sizeof to));
	assert_false(sm_stanza_key("<iq id=\"&bogus;\"/>", name, sizeof name, type, sizeof type, id,
	                           sizeof id, to, sizeof to));
	assert_false(sm_stanza_key("<iq id=\"unterminated", name, sizeof name, type, sizeof type, id,
	                           sizeof id, to, sizeof to));
}

static void seen_while_running_and_within_window(void **state)
{
	struct iq_seen t;
	(void)state;
	assert_int_equal(iq_seen_init(&t, 100, 1000, 60000), 0);
	assert_false(iq_seen_arrived(&t, "a@b/c", "1", 0));
	assert_true(iq_seen_arrived(&t, "a@b/c", "1", 10));  /* running */
	assert_false(iq_seen_arrived(&t, "a@b/d", "1", 10)); /* another sender */
	iq_seen_answered(&t, "a@b/c", "1", 500);
	assert_true(iq_seen_arrived(&t, "a@b/c", "1", 1400));  /* answered 900 ms ago */
	assert_false(iq_seen_arrived(&t, "a@b/c", "1", 1600)); /* window over: new request */
	assert_true(iq_seen_arrived(&t, "a@b/c", "1", 1700));
	iq_seen_free(&t);
}

static void seen_stays_bounded(void **state)
{
	struct iq_seen t;
	char id[16];
	(void)state;
	assert_int_equal(iq_seen_init(&t, 50, 1000, 60000), 0);
	for (int i = 0; i < 500; i++) {
		snprintf(id, sizeof id, "%d", i);
		assert_false(iq_seen_arrived(&t, "a@b/c", id, 0));
	}
	assert_true(t.count <= 50);
	assert_true(iq_seen_arrived(&t, "a@b/c", "499", 0));
	assert_false(iq_seen_arrived(&t, "a@b/c", "0", 0)); /* forgotten, oldest first */
	iq_seen_free(&t);
}

/* Past the first 1024 buckets the table grows, and every entry is still found. */
static void seen_grows_and_finds_everything(void **state)
{
	struct iq_seen t;
	char id[16];
	(void)state;
	assert_int_equal(iq_seen_init(&t, 65536, 30000, 60000), 0);
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "%d", i);
		assert_false(iq_seen_arrived(&t, "a@b/c", id, 0));
	}
	assert_int_equal(t.count, 20000);
	assert_true(t.n_buckets >= t.count); /* chains of one or two, not of 20 */
	for (int i = 0; i < 20000; i++) {
		snprintf(id, sizeof id, "%d", i);
		assert_true(iq_seen_arrived(&t, "a@b/c", id, 10));
		iq_seen_answered(&t, "a@b/c", id, 10);
	}
	/* past the window every entry expires and the arrival list empties */
	assert_false(iq_seen_arrived(&t, "a@b/c", "new", 40000));
	assert_int_equal(t.count, 1);
	iq_seen_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(acks_forget_what_they_count),
	    cmocka_unit_test(resumption_hands_back_the_rest),
	    cmocka_unit_test(numbers_wrap),
	    cmocka_unit_test(start_tag_key),
	    cmocka_unit_test(seen_while_running_and_within_window),
	    cmocka_unit_test(seen_stays_bounded),
	    cmocka_unit_test(seen_grows_and_finds_everything),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
