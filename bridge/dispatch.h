/* dispatch.h - one request's life, from inbound stanza to exactly one reply.
 *
 * dispatch_stanza() checks the sender, builds the handler's job from the inbound record
 * (stanza_job.h), queues it or starts it on the route's backend (backend.h) within the
 * route's concurrency limit, and when the job is done sends the reply through the sink
 * the XMPP side handed down. Every path, including refusal,
 * overload, failure and shutdown, ends in the single function that answers. */
#ifndef XC_DISPATCH_H
#define XC_DISPATCH_H

#include <stdbool.h>
#include <uv.h>

#include "backend.h"
#include "config.h"
#include "inbound.h"

struct request;

/* Where replies go: the XMPP link in daemon mode, stdout with --once. send returns
 * SINK_REFUSED when the stanza failed the outbound check (xml_check_stanza) and was not
 * sent. Output only: what the stanza says of itself is in its struct inbound. */
enum { SINK_SENT = 0, SINK_REFUSED = -2 };
struct reply_sink {
	/* checked: the text comes from stanza_build.h's text writer (reply.h) */
	int (*send)(void *ud, const char *xml, bool checked);
	void *ud;
};

struct fcgi_backends;
struct fcgi_route;
struct grant_table;
struct route_stats;

/* A route at run time. A reload that removes or changes a route sets it draining: it
 * takes no new stanza, finishes its running and queued requests and is then freed
 * (reload.c); its cfg stays valid until then. */
struct route_rt {
	const struct route_cfg *cfg;
	char log_tag[96];             /* "route NAME": what its handlers' log lines start with */
	struct route_backend backend; /* runs its handler jobs (backend_set.h) */
	unsigned running;
	unsigned cgi_procs; /* jobs alive on a backend that outlives_answer (CGI processes),
	                       answered or not: they count against max_concurrency until they
	                       end */
	unsigned queued;
	bool starting; /* inside start_next: a failed start must not recurse into it */
	bool draining;
	struct request *queue_head, *queue_tail;
	struct route_stats *stats; /* shared by every route_rt of this name */
	void *cfg_owner;           /* reload.c: the retired configuration cfg lives in */
	struct route_rt *next_draining;
};

struct dispatcher {
	uv_loop_t *loop;
	const struct config *cfg;
	struct route_rt **routes; /* the live route table, in the configuration's order */
	size_t n_routes;
	struct route_rt *draining; /* routes a reload took out, until their requests end */
	struct route_stats *stats; /* one per route name in use */
	/* FastCGI backends, one per address, whatever routes name it (backend_set.c) */
	struct fcgi_backends *fcgi;
	struct request *running; /* every started request, for shutdown */
	unsigned in_flight;      /* requests not yet answered */
	const char *path_env;    /* PATH handed to handlers */
	bool check_acl;          /* false with --once */
	bool refusing;           /* SIGTERM: new stanzas refused, started and queued ones go on */
	bool stopping;
	/* XMPP_CGI_TOKEN: a grant per running request, when there is a control socket */
	struct grant_table *grants;
};

/* What an inbound stanza asks for, as the router found it. */
struct dispatch_target {
	struct route_rt *route;
	const char *name;      /* the route name as addressed: XMPP_ROUTE */
	const char *path_info; /* "/route" or "/route/extra" */
	const char *script;    /* a cgi_dir executable, or NULL for the route's own */
};

int dispatcher_init(struct dispatcher *d, uv_loop_t *loop, const struct config *cfg);
/* A runtime route for rc (its pool, its name's counters), or NULL when out of memory. */
struct route_rt *route_rt_new(struct dispatcher *d, const struct route_cfg *rc);
/* Frees a route with no running or queued request left. */
void route_rt_free(struct dispatcher *d, struct route_rt *route);
struct route_rt *dispatcher_route(struct dispatcher *d, const char *name);
/* in: read where the stanza entered; it and its stanza need to live only during the
 * call. */
void dispatch_stanza(struct dispatcher *d, const struct dispatch_target *tgt,
                     const struct inbound *in, const struct reply_sink *sink);
/* Refuses new stanzas (service-unavailable, type wait: send again, to another instance)
 * while the running and queued requests go on to their answers. */
void dispatcher_drain(struct dispatcher *d);
/* Refuses queued requests and kills running handlers; their replies still go out. */
void dispatcher_stop(struct dispatcher *d);
/* Closes the routes' backends (FastCGI connections); every request must be answered
 * first. */
void dispatcher_close_backends(struct dispatcher *d);
void dispatcher_free(struct dispatcher *d);

#endif
