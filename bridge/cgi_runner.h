/* cgi_runner.h - runs one CGI handler process to completion on the libuv loop.
 *
 * The caller hands over an environment, the bytes for stdin and limits; the runner
 * spawns the script without a shell in a new session (its own process group), writes
 * stdin while reading stdout and stderr, enforces the deadline and the output limit,
 * and calls back exactly once with the parsed response or a failure. It is the CGI
 * backend (backend.h): cgi_backend_open() hands out its operations. */
#ifndef XC_CGI_RUNNER_H
#define XC_CGI_RUNNER_H

#include <stddef.h>
#include <uv.h>

#include "backend.h"

#define CGI_KILL_GRACE_MS 3000

struct cgi_job;

/* Returns NULL (and calls nothing) if the process could not be started; *err then
 * holds the libuv error. */
struct cgi_job *cgi_run(uv_loop_t *loop, const struct backend_job *spec, backend_done_cb cb,
                        void *ud, int *err);
/* Kills the process group at once; the callback still comes, with BACKEND_UNAVAILABLE. */
void cgi_abort(struct cgi_job *job);
/* The CGI backend of a route: jobs run as child processes on loop. */
void cgi_backend_open(uv_loop_t *loop, struct route_backend *out);
/* Closes the SIGCHLD watcher; call when no job runs any more. */
void cgi_runner_close(void);

#endif
