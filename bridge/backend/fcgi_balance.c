/* fcgi_balance.c - the choice of a backend for one request (pure; see fcgi_balance.h).
 *
 * A backend is usable when it is up, when its overload rest is over, or when the
 * route's rest time has passed since it failed to connect. Ties go to the first in the
 * route's order, so a quiet route keeps using its first backend. */
#include "fcgi_balance.h"

static bool usable(const struct fcgi_candidate *c, uint64_t now, uint64_t rest_ms)
{
	switch (c->health) {
	case FCGI_HEALTH_UP:
		return true;
	case FCGI_HEALTH_FAILED:
		return now >= c->failed_at + rest_ms;
	case FCGI_HEALTH_OVERLOADED:
		return now >= c->rest_until;
	}
	return false;
}

/* The fewest requests in hand among those that pass; n if none does. */
static size_t least_outstanding(const struct fcgi_candidate *c, size_t n, uint64_t now,
                                uint64_t rest_ms, bool want_full)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++) {
		if (c[i].tried || c[i].full != want_full || !usable(&c[i], now, rest_ms))
			continue;
		if (best == n || c[i].outstanding < c[best].outstanding)
			best = i;
	}
	return best;
}

enum fcgi_verdict fcgi_balance_pick(const struct fcgi_candidate *c, size_t n, uint64_t now,
                                    uint64_t rest_ms, size_t *index)
{
	size_t i, last = n;
	bool overloaded = false;
	if ((i = least_outstanding(c, n, now, rest_ms, false)) < n) {
		*index = i;
		return FCGI_USE;
	}
	if ((i = least_outstanding(c, n, now, rest_ms, true)) < n) {
		*index = i;
		return FCGI_WAIT;
	}
	/* Nothing usable and untried. If some backend is usable, this request tried it:
	 * the route still has a backend, only not for this request. */
	for (i = 0; i < n; i++)
		if (usable(&c[i], now, rest_ms))
			return FCGI_UNAVAILABLE;
	/* Every backend rests: the last one to fail is the route's last usable one. */
	for (i = 0; i < n; i++) {
		overloaded |= c[i].health == FCGI_HEALTH_OVERLOADED;
		if (c[i].health == FCGI_HEALTH_FAILED && (last == n || c[i].failed_at > c[last].failed_at))
			last = i;
	}
	if (last < n && !c[last].tried) {
		*index = last;
		return c[last].full ? FCGI_WAIT : FCGI_USE;
	}
	return overloaded ? FCGI_BUSY : FCGI_UNAVAILABLE;
}
