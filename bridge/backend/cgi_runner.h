/* cgi_runner.h - runs one CGI handler process on the libuv loop.
 *
 * The caller hands over an environment, the bytes for stdin and limits; the runner
 * spawns the script without a shell in a new session (its own process group), writes
 * stdin while reading stdout and stderr, enforces the deadline and the output limit,
 * and calls back exactly once with the parsed response or a failure: when stdout ends,
 * or CGI_EXIT_GRACE_MS after the handler's own process exited with stdout still open,
 * or at the deadline. The process may outlive the callback; the runner reaps it. It is
 * the CGI backend (backend.h): cgi_backend_open() hands out its operations. */
#ifndef XC_CGI_RUNNER_H
#define XC_CGI_RUNNER_H

#include <stddef.h>
#include <uv.h>

#include "backend.h"

#define CGI_KILL_GRACE_MS 3000 /* SIGTERM to SIGKILL at the deadline */
#define CGI_EXIT_GRACE_MS 200  /* after the handler exited, for the rest of its output */

struct cgi_job;

/* Returns NULL (and calls nothing) if the process could not be started; *err then
 * holds the libuv error. */
struct cgi_job *cgi_run(uv_loop_t *loop, const struct backend_job *spec, backend_done_cb cb,
                        void *ud, int *err);
/* Kills the process group at once; the callback still comes, with BACKEND_UNAVAILABLE, from
 * the loop (never inside this call). Only for a job not answered yet. */
void cgi_abort(struct cgi_job *job);
/* The CGI backend of a route: jobs run as child processes on loop; a process may
 * outlive its answer (backend_ops.outlives_answer). */
void cgi_backend_open(uv_loop_t *loop, struct route_backend *out);
/* Kills what is left of every handler still running after its answer, closes its
 * handles and the SIGCHLD watcher; call when no job waits for an answer any more. */
void cgi_runner_close(void);

#endif
