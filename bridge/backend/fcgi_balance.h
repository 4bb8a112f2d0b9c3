/* fcgi_balance.h - which of a route's FastCGI backends takes a request: the rule alone.
 *
 * Backends are shared by the routes that name them, and so is what is known of their
 * health: one failed to connect (since when), one said FCGI_OVERLOADED (resting until
 * when), one has no room for another connection now. Each route applies its own rest
 * time (backend_rest) to that. The rule, modelled on lighttpd's gw_backend and nginx's
 * upstream: the fewest requests in hand among the usable backends with room; a backend
 * that failed to connect is left out for the rest time; but a route always keeps one
 * backend to try: when every one of its backends rests, the one that failed last is
 * tried anyway (nginx never marks the only server of an upstream down). A request never
 * goes back to a backend it failed to connect to. Pure: no I/O, no clock of its own. */
#ifndef XC_FCGI_BALANCE_H
#define XC_FCGI_BALANCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fcgi_health {
	FCGI_HEALTH_UP,
	FCGI_HEALTH_FAILED,    /* its last connect failed, at failed_at */
	FCGI_HEALTH_OVERLOADED /* it said FCGI_OVERLOADED: resting until rest_until */
};

struct fcgi_candidate {
	enum fcgi_health health;
	uint64_t failed_at;   /* FAILED: loop time (ms) of the last failed connect */
	uint64_t rest_until;  /* OVERLOADED: loop time (ms) the rest ends */
	unsigned outstanding; /* requests it has in hand, from every route */
	bool tried;           /* this request failed to connect to it already */
	bool full;            /* no room for one more request now (connection limits) */
};

enum fcgi_verdict {
	FCGI_USE,         /* send the request to *index */
	FCGI_WAIT,        /* queue it for *index, which has no room now */
	FCGI_UNAVAILABLE, /* no backend to try: service-unavailable */
	FCGI_BUSY         /* none, and some said they are overloaded: resource-constraint */
};

enum fcgi_verdict fcgi_balance_pick(const struct fcgi_candidate *c, size_t n, uint64_t now,
                                    uint64_t rest_ms, size_t *index);

#endif
