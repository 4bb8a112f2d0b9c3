/* backend.h - what every handler backend provides: start a job, abort it, close.
 *
 * A backend runs handler jobs for one route and knows nothing of XMPP. A job is the
 * neutral description of one CGI-style request (a program or an application to reach,
 * its complete environment, the bytes for its stdin, a deadline, an output limit and a
 * tag for log lines); its outcome is the parsed CGI response or a neutral failure kind,
 * delivered once through the callback. The mapping of a failure to a stanza error lives
 * on the XMPP side (stanza_error.c). CGI (cgi_runner.c) and FastCGI (fcgi_pool.c) each
 * fill in one struct backend_ops; dispatch.c only calls through it, as lighttpd's
 * gw_backend calls the slots of mod_fastcgi and nginx's upstream calls a protocol
 * module's create_request/finalize. Another backend (SCGI, HTTP, in-process) is one more
 * file that fills in the same struct. */
#ifndef XC_BACKEND_H
#define XC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>

#include "response.h"

/* How a job ended without a usable response. */
enum backend_failure {
	BACKEND_OK,          /* the response is complete */
	BACKEND_TIMEOUT,     /* no complete answer within the deadline */
	BACKEND_HANDLER,     /* crashed, ended before a complete header, malformed output */
	BACKEND_TOO_LARGE,   /* output over the limit */
	BACKEND_BUSY,        /* the application said it is overloaded */
	BACKEND_UNAVAILABLE, /* unreachable, not started, or aborted */
	BACKEND_BAD_JOB,     /* the job cannot be put in the backend's protocol */
};

struct backend_job {
	const char *path;  /* the script: run as argv[0] with no arguments, in its directory */
	char *const *argv; /* or NULL; else the program argv[0] runs with these arguments
	                    * (an interpreter and path), still in path's directory */
	char **envp;       /* complete environment (FastCGI: the PARAMS) */
	const char *input; /* stdin bytes; the backend keeps a reference until done */
	size_t input_len;
	unsigned timeout_ms;
	size_t max_output;
	const char *log_tag; /* "route NAME", for log lines */
	/* Called once a started job has ended for good (its process reaped and its output
	 * closed), which may be well after the answer, by the backends whose ops say
	 * outlives_answer; lets the caller count their work, not only answers, against a
	 * concurrency limit. May be NULL. */
	void (*ended)(void *ended_ud);
	void *ended_ud;
};

/* resp is valid only during the call; f is BACKEND_OK when resp is complete. The job's
 * input is no longer used once the callback is made. */
typedef void (*backend_done_cb)(void *ud, struct cgi_response *resp, enum backend_failure f);

/* Why start refused a job: no callback comes for it. text may be NULL. */
struct backend_refusal {
	enum backend_failure kind;
	const char *text;
};

struct backend_ops {
	const char *name;     /* "cgi", "fastcgi" */
	bool outlives_answer; /* a job may run on after its answer: job->ended tells its end */
	/* Returns the running job's handle, or NULL (refusal filled in, logged) when it
	 * could not start. Never calls cb before returning; after a start cb comes once. */
	void *(*start)(void *self, const struct backend_job *job, backend_done_cb cb, void *ud,
	               struct backend_refusal *refusal);
	/* Ends a running job soon; its callback still comes, with BACKEND_UNAVAILABLE. */
	void (*abort)(void *self, void *handle);
	/* Releases self once no job of it runs. */
	void (*close)(void *self);
};

/* One route's backend: the operations and their state. */
struct route_backend {
	const struct backend_ops *ops;
	void *self;
};

#endif
