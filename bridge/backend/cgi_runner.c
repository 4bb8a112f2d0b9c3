/* cgi_runner.c - one CGI child process: spawn, pipes, deadline, process-group kill.
 *
 * The answer and the process are followed apart. A job is answered once its stdout has
 * ended, with what the handler printed, whether or not its process still runs; or,
 * once its own process has exited and stdout is still held open (a background child
 * inherited it), CGI_EXIT_GRACE_MS later with what arrived, and the rest of its process
 * group is then killed; or at the deadline with a timeout. Whatever comes first
 * answers, exactly once (deliver). The process is reaped separately: an exit status
 * that comes after the answer is logged, and the deadline still kills the group of a
 * handler that answered and goes on working. The job is freed when its process has
 * been reaped and its output has ended, and its handles are closed.
 * stdin is written while stdout is read, so a script that prints before it reads
 * cannot deadlock us; it is closed at the answer, since its bytes belong to the caller.
 * Children are started with posix_spawn(3), not uv_spawn: libuv 1.44 forks, and
 * copying the daemon's address space was 80 % of its CPU per CGI request (see
 * bench/RESULTS.md), while glibc's posix_spawn uses vfork semantics. The child gets a
 * new session (POSIX_SPAWN_SETSID), so its pid is its process group and kill(-pid)
 * reaches every process it started; every signal back to its default, an empty mask,
 * the pipes on fds 0-2 and nothing else (all our descriptors are close-on-exec). One
 * SIGCHLD watcher reaps every child; libuv then only sees pipes and timers. */
#include "cgi_runner.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "stderr_log.h"

enum job_state {
	JOB_RUNNING,     /* the handler's process runs, within its deadline */
	JOB_GRACE,       /* its process has exited, its stdout is still open: CGI_EXIT_GRACE_MS */
	JOB_TERMINATING, /* deadline passed, SIGTERM sent to the group */
	JOB_KILLING,     /* SIGKILL sent to the group */
	JOB_FINISHED,    /* reaped and output ended (or given up): handles closing */
};

struct cgi_job {
	enum job_state state;
	struct cgi_job *next_running; /* the reaper's list: not yet reaped */
	uv_pipe_t in, out, err;
	uv_timer_t timer;
	uv_write_t write_req;
	int open_handles;
	int pid;
	bool answered; /* the callback has been made */
	bool exited, out_done, aborted;
	int64_t exit_status;
	int term_signal;
	unsigned timeout_ms;
	struct cgi_response resp;
	struct stderr_log err_log;
	char tag[96];
	char err_tag[112];
	backend_done_cb cb;
	void *ud;
	void (*ended)(void *ended_ud);
	void *ended_ud;
};

/* Reads are consumed inside their callback, so one loop needs one buffer. */
static char read_scratch[64 * 1024];

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(read_scratch, sizeof read_scratch);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct cgi_job *job = h->data;
	if (--job->open_handles == 0) {
		response_free(&job->resp);
		free(job);
	}
}

static void close_handle(struct cgi_job *job, uv_handle_t *h)
{
	if (!uv_is_closing(h)) {
		h->data = job;
		uv_close(h, on_handle_closed);
	}
}

static void kill_group(struct cgi_job *job, int sig)
{
	if (job->pid > 0 && kill(-job->pid, sig) != 0 && errno != ESRCH)
		log_warn("%s: handler pid %d: kill: %s", job->tag, job->pid, strerror(errno));
}

static void arm(struct cgi_job *job, enum job_state state, uint64_t ms);
static void on_timer(uv_timer_t *t);

/* The one callback. stdin is closed first: its bytes belong to the caller, who may free
 * them in the callback, and a pending write is cancelled without reading them again. */
static void deliver(struct cgi_job *job, enum backend_failure f)
{
	if (job->answered)
		return;
	job->answered = true;
	stderr_log_flush(&job->err_log);
	close_handle(job, (uv_handle_t *)&job->in);
	job->cb(job->ud, &job->resp, f);
	response_free(&job->resp);
}

/* What the output says once it has ended (or, cut_short, once the grace after exit ran
 * out): a complete header block is an answer, whatever the exit status. */
static enum backend_failure output_outcome(struct cgi_job *job, bool cut_short)
{
	if (cut_short)
		log_warn("%s: handler pid %d exited, but its output was still open %d ms later (a "
		         "background process holds it)",
		         job->tag, job->pid, CGI_EXIT_GRACE_MS);
	if (response_finish(&job->resp) == RESP_ERROR) {
		if (job->exited && job->term_signal)
			log_warn("%s: handler pid %d killed by signal %d: malformed output: %s", job->tag,
			         job->pid, job->term_signal, response_error_text(job->resp.error));
		else
			log_warn("%s: handler pid %d%s: malformed output: %s", job->tag, job->pid,
			         job->exited ? " exited" : "", response_error_text(job->resp.error));
		return BACKEND_HANDLER;
	}
	if (job->exited && job->term_signal)
		log_warn("%s: handler pid %d killed by signal %d after a complete response", job->tag,
		         job->pid, job->term_signal);
	else if (job->exited && job->exit_status)
		log_info("%s: handler pid %d exited with status %lld after a complete response", job->tag,
		         job->pid, (long long)job->exit_status);
	return BACKEND_OK;
}

/* Reaped and output ended: nothing more to wait for. */
static void finish(struct cgi_job *job)
{
	if (job->state == JOB_FINISHED)
		return;
	job->state = JOB_FINISHED;
	stderr_log_flush(&job->err_log);
	close_handle(job, (uv_handle_t *)&job->timer);
	close_handle(job, (uv_handle_t *)&job->in);
	close_handle(job, (uv_handle_t *)&job->out);
	close_handle(job, (uv_handle_t *)&job->err);
	if (job->ended)
		job->ended(job->ended_ud); /* the job stays valid until its handles are closed */
}

static void arm(struct cgi_job *job, enum job_state state, uint64_t ms)
{
	job->state = state;
	uv_timer_start(&job->timer, on_timer, ms, 0);
}

/* stdout is at end of file (or failed): the answer, if none was given yet. */
static void output_ended(struct cgi_job *job)
{
	job->out_done = true;
	uv_read_stop((uv_stream_t *)&job->out);
	close_handle(job, (uv_handle_t *)&job->out);
	if (!job->answered)
		deliver(job, output_outcome(job, false));
	if (job->exited)
		finish(job);
}

static void on_exit_cb(struct cgi_job *job, int64_t status, int signal)
{
	job->exited = true;
	job->exit_status = status;
	job->term_signal = signal;
	if (job->answered && job->state == JOB_RUNNING) {
		if (signal)
			log_warn("%s: handler pid %d killed by signal %d after answering", job->tag, job->pid,
			         signal);
		else if (status)
			log_info("%s: handler pid %d exited with status %lld after answering", job->tag,
			         job->pid, (long long)status);
		else
			log_debug("%s: handler pid %d exited after answering", job->tag, job->pid);
	}
	if (job->out_done || job->state == JOB_KILLING) {
		finish(job); /* in KILLING, whatever still holds stdout escaped the group */
		return;
	}
	if (job->state == JOB_RUNNING)
		arm(job, JOB_GRACE, CGI_EXIT_GRACE_MS); /* a background process holds stdout */
}

static void on_timer(uv_timer_t *t)
{
	struct cgi_job *job = t->data;
	switch (job->state) {
	case JOB_RUNNING: /* the deadline */
		if (job->answered)
			log_warn("%s: handler pid %d still running at its deadline (%u ms) after answering; "
			         "process group killed",
			         job->tag, job->pid, job->timeout_ms);
		else
			log_warn("%s: handler pid %d timed out after %u ms; process group killed", job->tag,
			         job->pid, job->timeout_ms);
		deliver(job, BACKEND_TIMEOUT);
		kill_group(job, SIGTERM);
		arm(job, JOB_TERMINATING, CGI_KILL_GRACE_MS);
		break;
	case JOB_GRACE:
		if (!job->answered) /* a malformed header block may have answered already */
			deliver(job, output_outcome(job, true));
		log_info("%s: handler pid %d: killing what is left of its process group", job->tag,
		         job->pid);
		kill_group(job, SIGKILL);
		finish(job);
		break;
	case JOB_TERMINATING:
		kill_group(job, SIGKILL);
		if (job->exited)
			finish(job);
		else
			arm(job, JOB_KILLING, CGI_KILL_GRACE_MS);
		break;
	case JOB_KILLING:
		/* cgi_abort answers from here, never from inside its own call */
		deliver(job, job->aborted ? BACKEND_UNAVAILABLE : BACKEND_HANDLER);
		if (job->exited)
			finish(job);
		else /* SIGKILL cannot be ignored; keep waiting for the exit status */
			arm(job, JOB_KILLING, CGI_KILL_GRACE_MS);
		break;
	case JOB_FINISHED:
		break;
	}
}

static void on_stdout(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct cgi_job *job = s->data;
	if (nread > 0) {
		if (job->answered)
			return; /* drained until the end, so that the writer is not hit by SIGPIPE */
		if (response_feed(&job->resp, buf->base, (size_t)nread) != RESP_ERROR)
			return;
		if (job->resp.error == RESP_E_TOO_LARGE) {
			log_warn("%s: handler pid %d output over %zu bytes", job->tag, job->pid,
			         job->resp.max_total);
			deliver(job, BACKEND_TOO_LARGE);
			kill_group(job, SIGKILL);
			arm(job, JOB_KILLING, CGI_KILL_GRACE_MS);
		} else /* malformed header: that will not change */
			deliver(job, output_outcome(job, false));
		return;
	}
	if (nread < 0)
		output_ended(job);
}

static void on_stderr(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct cgi_job *job = s->data;
	if (nread < 0) {
		uv_read_stop(s);
		stderr_log_flush(&job->err_log);
		return;
	}
	stderr_log_feed(&job->err_log, buf->base, (size_t)nread);
}

static void on_stdin_written(uv_write_t *w, int status)
{
	struct cgi_job *job = w->data;
	if (status && status != UV_ECANCELED && status != UV_EPIPE)
		log_debug("%s: handler pid %d writing stdin: %s", job->tag, job->pid, uv_strerror(status));
	close_handle(job, (uv_handle_t *)&job->in);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* The reaper: one SIGCHLD watcher for every child, unreferenced so that it never keeps
 * the loop alive by itself (the jobs' pipes and timers do). */
static uv_signal_t reaper;
static bool reaper_ready;
static struct cgi_job *running;

static void reap(uv_signal_t *h, int signum)
{
	int status;
	pid_t pid;
	(void)h;
	(void)signum;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct cgi_job **pp;
		for (pp = &running; *pp && (*pp)->pid != pid; pp = &(*pp)->next_running)
			;
		if (!*pp)
			continue;
		struct cgi_job *job = *pp;
		*pp = job->next_running;
		on_exit_cb(job, WIFEXITED(status) ? WEXITSTATUS(status) : 0,
		           WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	}
}

static int reaper_start(uv_loop_t *loop)
{
	if (reaper_ready)
		return 0;
	if (uv_signal_init(loop, &reaper) != 0 || uv_signal_start(&reaper, reap, SIGCHLD) != 0)
		return -1;
	uv_unref((uv_handle_t *)&reaper);
	reaper_ready = true;
	return 0;
}

void cgi_runner_close(void)
{
	/* Handlers that answered and still run (or jobs left over at a late shutdown): kill
	 * their groups and close their handles, so that the loop can end. No callback. */
	while (running) {
		struct cgi_job *job = running;
		int status;
		running = job->next_running;
		log_info("%s: handler pid %d still running at shutdown; process group killed", job->tag,
		         job->pid);
		kill_group(job, SIGKILL);
		waitpid(job->pid, &status, WNOHANG);
		job->answered = true;
		job->ended = NULL;
		finish(job);
	}
	if (reaper_ready)
		uv_close((uv_handle_t *)&reaper, NULL);
	reaper_ready = false;
}

/* Starts the child with fds 0-2 on the given pipe ends. Returns 0 or an errno. */
static int spawn(const struct backend_job *spec, const char *cwd, int in, int out, int err,
                 pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t all, none;
	char *plain[] = {(char *)spec->path, NULL};
	char *const *argv = spec->argv ? spec->argv : plain;
	int rc;

	sigfillset(&all);
	sigemptyset(&none);
#ifdef __GLIBC__
	/* glibc's sigfillset leaves out the two signals it reserves (32, 33), and its
	 * posix_spawn sets those to SIG_IGN in the child, which exec keeps. The default
	 * set is only read bit by bit, so put them in by hand. */
	for (int sig = 32; sig < SIGRTMIN; sig++)
		((unsigned long *)&all)[(sig - 1) / (8 * sizeof(unsigned long))] |=
		    1UL << ((sig - 1) % (8 * sizeof(unsigned long)));
#endif
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_adddup2(&fa, in, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
	posix_spawn_file_actions_addchdir_np(&fa, cwd);
	posix_spawnattr_setflags(&attr,
	                         POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	rc = posix_spawn(pid, argv[0], &fa, &attr, argv, spec->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

struct cgi_job *cgi_run(uv_loop_t *loop, const struct backend_job *spec, backend_done_cb cb,
                        void *ud, int *err)
{
	struct cgi_job *job;
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1};
	char *cwd;
	pid_t pid;
	int rc;

	if (reaper_start(loop) != 0) {
		*err = UV_EINVAL;
		return NULL;
	}
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(errp, O_CLOEXEC)) {
		rc = errno;
		goto fail_fds;
	}
	cwd = dir_of(spec->path);
	rc = cwd ? spawn(spec, cwd, in[0], out[1], errp[1], &pid) : ENOMEM;
	free(cwd);
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	in[0] = out[1] = errp[1] = -1;
	if (rc != 0)
		goto fail_fds;

	job = calloc(1, sizeof *job);
	if (!job) {
		/* the child runs on; it gets EOF on stdin and SIGPIPE on output */
		kill(-pid, SIGKILL);
		rc = ENOMEM;
		goto fail_fds;
	}
	job->cb = cb;
	job->ud = ud;
	job->pid = pid;
	job->timeout_ms = spec->timeout_ms;
	job->ended = spec->ended;
	job->ended_ud = spec->ended_ud;
	job->next_running = running;
	running = job;
	snprintf(job->tag, sizeof job->tag, "%s", spec->log_tag);
	response_init(&job->resp, spec->max_output);
	uv_pipe_init(loop, &job->in, 0);
	uv_pipe_init(loop, &job->out, 0);
	uv_pipe_init(loop, &job->err, 0);
	uv_timer_init(loop, &job->timer);
	job->open_handles = 4; /* in, out, err, timer */
	job->in.data = job->out.data = job->err.data = job->timer.data = job;
	uv_pipe_open(&job->in, in[1]);
	uv_pipe_open(&job->out, out[0]);
	uv_pipe_open(&job->err, errp[0]);
	snprintf(job->err_tag, sizeof job->err_tag, "%s [pid %d]", job->tag, job->pid);
	job->err_log.tag = job->err_tag;
	uv_read_start((uv_stream_t *)&job->out, on_alloc, on_stdout);
	uv_read_start((uv_stream_t *)&job->err, on_alloc, on_stderr);
	if (spec->input_len) {
		uv_buf_t b = uv_buf_init((char *)spec->input, (unsigned)spec->input_len);
		job->write_req.data = job;
		if (uv_write(&job->write_req, (uv_stream_t *)&job->in, &b, 1, on_stdin_written) != 0)
			close_handle(job, (uv_handle_t *)&job->in);
	} else
		close_handle(job, (uv_handle_t *)&job->in);
	uv_timer_start(&job->timer, on_timer, spec->timeout_ms, 0);
	log_debug("%s: handler pid %d started %s", job->tag, job->pid, spec->path);
	return job;

fail_fds:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	*err = -rc;
	return NULL;
}

void cgi_abort(struct cgi_job *job)
{
	if (job->state == JOB_FINISHED || job->answered)
		return;
	job->aborted = true;
	kill_group(job, SIGKILL);
	arm(job, JOB_KILLING, 0); /* the answer comes from the timer */
}

/* ---- the CGI backend: self is the loop ---- */

static void *cgi_backend_start(void *self, const struct backend_job *job, backend_done_cb cb,
                               void *ud, struct backend_refusal *refusal)
{
	int err = 0;
	struct cgi_job *j = cgi_run(self, job, cb, ud, &err);
	if (!j) {
		log_error("%s: cannot start %s: %s", job->log_tag, job->argv ? job->argv[0] : job->path,
		          uv_strerror(err));
		*refusal = (struct backend_refusal){BACKEND_HANDLER, "the handler could not be started"};
	}
	return j;
}

static void cgi_backend_abort(void *self, void *handle)
{
	(void)self;
	cgi_abort(handle);
}

static void cgi_backend_close(void *self) { (void)self; }

static const struct backend_ops cgi_backend_ops = {.name = "cgi",
                                                   .outlives_answer = true,
                                                   .start = cgi_backend_start,
                                                   .abort = cgi_backend_abort,
                                                   .close = cgi_backend_close};

void cgi_backend_open(uv_loop_t *loop, struct route_backend *out)
{
	*out = (struct route_backend){.ops = &cgi_backend_ops, .self = loop};
}
