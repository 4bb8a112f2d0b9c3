/* cgi_runner.h - runs one CGI handler process to completion on the libuv loop.
 *
 * The caller hands over an environment, the bytes for stdin and limits; the runner
 * spawns the script without a shell in a new session (its own process group), writes
 * stdin while reading stdout and stderr, enforces the deadline and the output limit,
 * and calls back exactly once with the parsed response or a failure. */
#ifndef XC_CGI_RUNNER_H
#define XC_CGI_RUNNER_H

#include <stddef.h>
#include <uv.h>

#include "response.h"
#include "stanza_error.h"

#define CGI_KILL_GRACE_MS 3000

struct cgi_job;

/* resp is valid only during the call; f is FAIL_NONE when resp is complete. */
typedef void (*cgi_done_cb)(void *ud, struct cgi_response *resp, enum bridge_failure f);

struct cgi_spec {
	const char *path;  /* the script: run as argv[0] with no arguments, in its directory */
	char *const *argv; /* or NULL; else the program argv[0] runs with these arguments
	                    * (an interpreter and path), still in path's directory */
	char **envp;       /* complete environment */
	const char *input; /* stdin bytes; the runner keeps a reference until done */
	size_t input_len;
	unsigned timeout_ms;
	size_t max_output;
	const char *log_tag; /* "route NAME", for stderr lines */
};

/* Returns NULL (and calls nothing) if the process could not be started; *err then
 * holds the libuv error. */
struct cgi_job *cgi_run(uv_loop_t *loop, const struct cgi_spec *spec, cgi_done_cb cb, void *ud,
                        int *err);
/* Kills the process group at once; the callback still comes, with FAIL_UNAVAILABLE. */
void cgi_abort(struct cgi_job *job);
/* Closes the SIGCHLD watcher; call when no job runs any more. */
void cgi_runner_close(void);

#endif
