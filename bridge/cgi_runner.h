/* cgi_runner.h - runs one CGI handler process on the libuv loop.
 *
 * The caller hands over an environment, the bytes for stdin and limits; the runner
 * spawns the script without a shell in a new session (its own process group), writes
 * stdin while reading stdout and stderr, enforces the deadline and the output limit,
 * and calls back exactly once with the parsed response or a failure: when stdout ends,
 * or CGI_EXIT_GRACE_MS after the handler's own process exited with stdout still open,
 * or at the deadline. The process may outlive the callback; the runner reaps it. */
#ifndef XC_CGI_RUNNER_H
#define XC_CGI_RUNNER_H

#include <stddef.h>
#include <uv.h>

#include "response.h"
#include "stanza_error.h"

#define CGI_KILL_GRACE_MS 3000 /* SIGTERM to SIGKILL at the deadline */
#define CGI_EXIT_GRACE_MS 200  /* after the handler exited, for the rest of its output */

struct cgi_job;

/* resp is valid only during the call; f is FAIL_NONE when resp is complete. The
 * input given in the spec is no longer used once the callback is made. */
typedef void (*cgi_done_cb)(void *ud, struct cgi_response *resp, enum bridge_failure f);

struct cgi_spec {
	const char *path;  /* the script: run as argv[0] with no arguments, in its directory */
	char *const *argv; /* or NULL; else the program argv[0] runs with these arguments
	                    * (an interpreter and path), still in path's directory */
	char **envp;       /* complete environment */
	const char *input; /* stdin bytes; kept by reference until the callback */
	size_t input_len;
	unsigned timeout_ms;
	size_t max_output;
	const char *log_tag; /* "route NAME", for stderr lines */
	/* Called when a started job has ended, its process reaped and its output closed,
	 * which may be well after the answer: lets the caller count handler processes, not
	 * answers, against a concurrency limit. May be NULL; not called by cgi_runner_close. */
	void (*ended)(void *ended_ud);
	void *ended_ud;
};

/* Returns NULL (and calls nothing) if the process could not be started; *err then
 * holds the libuv error. */
struct cgi_job *cgi_run(uv_loop_t *loop, const struct cgi_spec *spec, cgi_done_cb cb, void *ud,
                        int *err);
/* Kills the process group at once; the callback still comes, with FAIL_UNAVAILABLE, from
 * the loop (never inside this call). Only for a job not answered yet. */
void cgi_abort(struct cgi_job *job);
/* Kills what is left of every handler still running after its answer, closes its
 * handles and the SIGCHLD watcher; call when no job waits for an answer any more. */
void cgi_runner_close(void);

#endif
