/* adhoc_session.c - the table of live ad-hoc command sessions (pure; see adhoc_session.h).
 *
 * A plain list: a route holds at most its command_sessions, so a walk is short, and
 * the table is touched once per stage and once per timer expiry. */
#include "adhoc_session.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_names[] = {"execute", "next", "prev", "complete", "cancel"};

enum adhoc_action adhoc_action_of(const char *name)
{
	if (!name)
		return ADHOC_EXECUTE;
	for (size_t i = 0; i < sizeof action_names / sizeof *action_names; i++)
		if (strcmp(name, action_names[i]) == 0)
			return (enum adhoc_action)i;
	return ADHOC_BAD;
}

const char *adhoc_action_name(enum adhoc_action a)
{
	return a < ADHOC_BAD ? action_names[a] : "bad";
}

const char *adhoc_admission_name(enum adhoc_admission a)
{
	static const char *const names[] = {
	    "admitted",      "too many sessions",  "unknown session", "session expired",
	    "stage running", "action not offered", "out of memory",   "no such action"};
	return (size_t)a < sizeof names / sizeof *names ? names[a] : "?";
}

static struct adhoc_session **find_link(struct adhoc_table *t, const char *id)
{
	struct adhoc_session **p;
	for (p = &t->head; *p; p = &(*p)->next)
		if (strcmp((*p)->id, id) == 0)
			break;
	return p;
}

static void drop(struct adhoc_table *t, struct adhoc_session **link)
{
	struct adhoc_session *s = *link;
	*link = s->next;
	if (s->state != SESSION_EXPIRED)
		t->n_live--;
	free(s->owner);
	free(s->route);
	free(s);
}

size_t adhoc_table_count(const struct adhoc_table *t, const char *route)
{
	size_t n = 0;
	for (const struct adhoc_session *s = t->head; s; s = s->next)
		n += s->state != SESSION_EXPIRED && strcmp(s->route, route) == 0;
	return n;
}

enum adhoc_admission adhoc_table_begin(struct adhoc_table *t, const char *id, const char *owner,
                                       const char *route, size_t max, unsigned timeout_ms,
                                       uint64_t now)
{
	struct adhoc_session *s;
	if (strlen(id) != ADHOC_SESSION_ID_LEN || *find_link(t, id))
		return ADMIT_NO_MEMORY; /* the caller's random id is broken */
	if (adhoc_table_count(t, route) >= max)
		return ADMIT_FULL;
	s = calloc(1, sizeof *s);
	if (!s)
		return ADMIT_NO_MEMORY;
	s->owner = strdup(owner);
	s->route = strdup(route);
	if (!s->owner || !s->route) {
		free(s->owner);
		free(s->route);
		free(s);
		return ADMIT_NO_MEMORY;
	}
	memcpy(s->id, id, sizeof s->id);
	s->state = SESSION_RUNNING;
	s->timeout_ms = timeout_ms;
	s->deadline = now + timeout_ms;
	s->next = t->head;
	t->head = s;
	t->n_live++;
	return ADMIT_OK;
}

enum adhoc_admission adhoc_table_stage(struct adhoc_table *t, const char *id, const char *owner,
                                       const char *route, enum adhoc_action *action, uint64_t now)
{
	struct adhoc_session **link = find_link(t, id), *s = *link;
	/* another person's session, or another route's, is as unknown as a made-up id */
	if (!s || strcmp(s->owner, owner) != 0 || strcmp(s->route, route) != 0)
		return ADMIT_UNKNOWN;
	if (s->state == SESSION_EXPIRED) {
		drop(t, link);
		return ADMIT_EXPIRED;
	}
	if (s->state == SESSION_RUNNING)
		return ADMIT_BUSY;
	if (*action == ADHOC_EXECUTE)
		*action = s->dflt;
	if (*action != ADHOC_CANCEL && !(s->actions & ADHOC_BIT(*action)))
		return ADMIT_BAD_ACTION;
	s->state = SESSION_RUNNING;
	s->deadline = now + s->timeout_ms;
	return ADMIT_OK;
}

void adhoc_table_settle(struct adhoc_table *t, const char *id, unsigned actions,
                        enum adhoc_action dflt, uint64_t now)
{
	struct adhoc_session **link = find_link(t, id), *s = *link;
	if (!s || s->state != SESSION_RUNNING)
		return;
	if (!actions) {
		drop(t, link);
		return;
	}
	s->state = SESSION_WAITING;
	s->actions = actions;
	s->dflt = dflt;
	s->deadline = now + s->timeout_ms;
}

size_t adhoc_table_expire(struct adhoc_table *t, uint64_t now, uint64_t *next)
{
	struct adhoc_session **link = &t->head;
	size_t expired = 0;
	*next = UINT64_MAX;
	while (*link) {
		struct adhoc_session *s = *link;
		if (s->deadline <= now) {
			if (s->state == SESSION_EXPIRED) {
				drop(t, link);
				continue;
			}
			s->state = SESSION_EXPIRED;
			t->n_live--;
			s->deadline = now + s->timeout_ms;
			expired++;
		}
		if (s->deadline < *next)
			*next = s->deadline;
		link = &s->next;
	}
	return expired;
}

const struct adhoc_session *adhoc_table_find(const struct adhoc_table *t, const char *id)
{
	return *find_link((struct adhoc_table *)t, id);
}

void adhoc_table_free(struct adhoc_table *t)
{
	while (t->head)
		drop(t, &t->head);
}
