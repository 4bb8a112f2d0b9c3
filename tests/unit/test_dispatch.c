/* test_dispatch.c - a request's life in dispatch.c, over a fake backend.
 *
 * dispatch.c runs unchanged; only the backend set (backend_set.h) is this file's: every
 * route gets a fake backend that records the jobs it was given and ends them when a test
 * says so, with a response or a failure. Nothing here opens a socket or starts a child;
 * the uv loop only gives dispatch its clock. The tests check what dispatch promises:
 * no more jobs than max_concurrency at once, the queue bounded by max_queue, exactly
 * one answer to every iq get/set whatever ends it (success, failure, abort at shutdown,
 * a backend that cannot start the job), no recursion when starts fail in a row, and a
 * job that outlives its answer (a CGI process) holding its place until it ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend_set.h"
#include "dispatch.h"
#include "log.h"
#include "response.h"
#include "scratch_config.h"
#include "xml_check.h"

/* ---- the fake backend ---- */

#define MAX_JOBS 64

struct fake_job {
	backend_done_cb cb;
	void *ud;
	void (*ended)(void *);
	void *ended_ud;
	bool running, aborted;
};

static struct fake {
	struct fake_job jobs[MAX_JOBS];
	size_t n_jobs;
	unsigned running;     /* started and not yet ended */
	unsigned max_running; /* the most at once */
	bool refuse;          /* start refuses every job */
	bool outlive;         /* jobs run on after their answer, as CGI processes may */
	unsigned refused;
	uintptr_t refuse_sp[MAX_JOBS]; /* a stack address inside each refused start */
	int closed;
} fake;

static void *fake_start(void *self, const struct backend_job *job, backend_done_cb cb, void *ud,
                        struct backend_refusal *refusal)
{
	volatile char here;
	(void)self;
	assert_non_null(job->envp);
	assert_string_equal(job->log_tag, "route r");
	if (fake.refuse) {
		if (fake.refused < MAX_JOBS)
			fake.refuse_sp[fake.refused] = (uintptr_t)&here;
		fake.refused++;
		*refusal = (struct backend_refusal){BACKEND_HANDLER, "the handler could not be started"};
		return NULL;
	}
	assert_true(fake.n_jobs < MAX_JOBS);
	struct fake_job *j = &fake.jobs[fake.n_jobs++];
	*j = (struct fake_job){
	    .cb = cb, .ud = ud, .ended = job->ended, .ended_ud = job->ended_ud, .running = true};
	if (++fake.running > fake.max_running)
		fake.max_running = fake.running;
	return j;
}

static void fake_abort(void *self, void *handle)
{
	struct fake_job *j = handle;
	(void)self;
	j->aborted = true; /* ends later, as the real backends do */
}

static void fake_close(void *self)
{
	(void)self;
	fake.closed++;
}

static const struct backend_ops fake_ops = {
    .name = "fake", .start = fake_start, .abort = fake_abort, .close = fake_close};
static const struct backend_ops fake_outliving_ops = {.name = "fake-outliving",
                                                      .outlives_answer = true,
                                                      .start = fake_start,
                                                      .abort = fake_abort,
                                                      .close = fake_close};

int backend_set_new(struct dispatcher *d)
{
	d->fcgi = NULL;
	return 0;
}

int backend_set_open(struct dispatcher *d, const struct route_cfg *rc, struct route_backend *out)
{
	(void)d, (void)rc;
	*out = (struct route_backend){.ops = fake.outlive ? &fake_outliving_ops : &fake_ops,
	                              .self = &fake};
	return 0;
}

void backend_set_free(struct dispatcher *d) { (void)d; }

/* Ends job i: with a CGI response when f is BACKEND_OK, else with f. */
static void end_job(size_t i, enum backend_failure f, const char *output)
{
	struct fake_job *j = &fake.jobs[i];
	struct cgi_response resp;
	assert_true(i < fake.n_jobs);
	assert_true(j->running);
	j->running = false;
	fake.running--;
	response_init(&resp, 65536);
	if (output)
		response_feed(&resp, output, strlen(output));
	if (f == BACKEND_OK)
		assert_int_not_equal(response_finish(&resp), RESP_ERROR);
	j->cb(j->ud, &resp, f);
	response_free(&resp);
}

/* ---- the sink: every reply sent, by the id it answers ---- */

#define MAX_IDS 32

static struct sent {
	unsigned replies[MAX_IDS]; /* by the numeric id */
	char last[MAX_IDS][2048];
	unsigned total;
} sent;

static int sink_send(void *ud, const char *xml, bool checked)
{
	const char *p = strstr(xml, "id=\"");
	int id;
	(void)ud;
	if (checked) /* what the outbound check may skip must pass it */
		assert_null(xml_check_stanza(xml, strlen(xml)));
	sent.total++;
	assert_non_null(p);
	id = atoi(p + 4);
	assert_true(id >= 0 && id < MAX_IDS);
	sent.replies[id]++;
	snprintf(sent.last[id], sizeof sent.last[id], "%s", xml);
	return SINK_SENT;
}

/* ---- fixture ---- */

static char handler[300];
static struct config cfg;
static struct dispatcher disp;
static uv_loop_t loop;
static xmpp_ctx_t *ctx;
static const struct reply_sink sink = {.send = sink_send, .ud = NULL};

static void load(unsigned max_concurrency, unsigned max_queue)
{
	char text[1024];
	snprintf(text, sizeof text,
	         "[xmpp]\njid = bridge@example.org\npassword = pw\n\n"
	         "[route \"r\"]\ncgi = %s\nmax_concurrency = %u\nmax_queue = %u\n",
	         handler, max_concurrency, max_queue);
	load_config_ok("test.conf", text, &cfg);
	assert_int_equal(dispatcher_init(&disp, &loop, &cfg), 0);
	disp.check_acl = false;
}

static int setup(void **state)
{
	(void)state;
	memset(&fake, 0, sizeof fake);
	memset(&sent, 0, sizeof sent);
	if (scratch_dir_make("dispatch") != 0)
		return -1;
	write_file("handler.sh", "#!/bin/sh\n", 0755);
	snprintf(handler, sizeof handler, "%s/handler.sh", dir);
	if (uv_loop_init(&loop) != 0)
		return -1;
	ctx = xmpp_ctx_new(NULL, NULL);
	return ctx ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	assert_int_equal(disp.in_flight, 0);
	dispatcher_free(&disp);
	config_free(&cfg);
	xmpp_ctx_free(ctx);
	uv_run(&loop, UV_RUN_NOWAIT);
	uv_loop_close(&loop);
	return scratch_dir_remove();
}

/* Dispatches <iq type='get' id='ID'> (or a message when kind is "message"). */
static void send_stanza(const char *kind, int id)
{
	char xml[256];
	struct inbound in;
	struct route_rt *route = dispatcher_route(&disp, "r");
	struct dispatch_target tgt = {.route = route, .name = "r", .path_info = "/r"};
	xmpp_stanza_t *st;
	snprintf(xml, sizeof xml,
	         "<%s type='%s' id='%d' from='alice@example.org/x' to='bridge@example.org/r'>"
	         "<query xmlns='urn:example'/></%s>",
	         kind, strcmp(kind, "iq") == 0 ? "get" : "chat", id, kind);
	st = xmpp_stanza_new_from_string(ctx, xml);
	assert_non_null(st);
	inbound_read(&in, st, "127.0.0.1", false);
	dispatch_stanza(&disp, &tgt, &in, &sink);
	xmpp_stanza_release(st);
}

static void send_iq(int id) { send_stanza("iq", id); }

static const char OK_OUTPUT[] = "Content-Type: text/plain\r\n\r\nhello";

/* ---- tests ---- */

static void test_success_answers_once(void **state)
{
	(void)state;
	load(4, 4);
	send_iq(1);
	assert_int_equal(fake.n_jobs, 1);
	assert_int_equal(sent.total, 0); /* nothing before the handler is done */
	assert_int_equal(disp.in_flight, 1);
	end_job(0, BACKEND_OK, OK_OUTPUT);
	assert_int_equal(sent.replies[1], 1);
	assert_non_null(strstr(sent.last[1], "type=\"result\""));
	assert_non_null(strstr(sent.last[1], "hello"));
	assert_int_equal(disp.in_flight, 0);
}

static void test_failure_answers_once(void **state)
{
	(void)state;
	load(4, 4);
	send_iq(1);
	send_iq(2);
	end_job(0, BACKEND_TIMEOUT, NULL);
	end_job(1, BACKEND_HANDLER, "garbage");
	assert_int_equal(sent.total, 2);
	assert_int_equal(sent.replies[1], 1);
	assert_int_equal(sent.replies[2], 1);
	assert_non_null(strstr(sent.last[1], "type=\"error\""));
	assert_non_null(strstr(sent.last[1], "remote-server-timeout"));
	assert_non_null(strstr(sent.last[2], "type=\"error\""));
	assert_non_null(strstr(sent.last[2], "internal-server-error"));
}

static void test_queue_at_max_concurrency(void **state)
{
	(void)state;
	load(2, 2);
	for (int id = 1; id <= 5; id++)
		send_iq(id);
	/* two run, two wait, the fifth finds the queue full */
	assert_int_equal(fake.n_jobs, 2);
	assert_int_equal(dispatcher_route(&disp, "r")->queued, 2);
	assert_int_equal(sent.total, 1);
	assert_int_equal(sent.replies[5], 1);
	assert_non_null(strstr(sent.last[5], "resource-constraint"));
	/* each end starts the next in line, never more than two at once */
	end_job(0, BACKEND_OK, OK_OUTPUT);
	assert_int_equal(fake.n_jobs, 3);
	end_job(1, BACKEND_OK, OK_OUTPUT);
	assert_int_equal(fake.n_jobs, 4);
	end_job(2, BACKEND_OK, OK_OUTPUT);
	end_job(3, BACKEND_OK, OK_OUTPUT);
	assert_int_equal(fake.max_running, 2);
	for (int id = 1; id <= 5; id++)
		assert_int_equal(sent.replies[id], 1);
	assert_int_equal(sent.total, 5);
}

static void test_shutdown_answers_everyone_once(void **state)
{
	(void)state;
	load(2, 8);
	for (int id = 1; id <= 5; id++)
		send_iq(id);
	dispatcher_stop(&disp);
	/* the queued are refused at once; the running are aborted and end later */
	assert_int_equal(sent.total, 3);
	for (int id = 3; id <= 5; id++) {
		assert_int_equal(sent.replies[id], 1);
		assert_non_null(strstr(sent.last[id], "service-unavailable"));
	}
	assert_true(fake.jobs[0].aborted && fake.jobs[1].aborted);
	end_job(0, BACKEND_UNAVAILABLE, NULL);
	end_job(1, BACKEND_UNAVAILABLE, NULL);
	assert_int_equal(sent.replies[1], 1);
	assert_int_equal(sent.replies[2], 1);
	assert_non_null(strstr(sent.last[1], "shutting down"));
	assert_int_equal(fake.n_jobs, 2); /* nothing queued started after the stop */
	/* a stanza after the stop is answered, not started */
	send_iq(6);
	assert_int_equal(sent.replies[6], 1);
	assert_int_equal(fake.n_jobs, 2);
	assert_int_equal(sent.total, 6);
}

static void test_start_failure_answers_once(void **state)
{
	(void)state;
	load(1, 4);
	fake.refuse = true;
	send_iq(1);
	assert_int_equal(fake.refused, 1);
	assert_int_equal(sent.replies[1], 1);
	assert_non_null(strstr(sent.last[1], "could not be started"));
	assert_int_equal(dispatcher_route(&disp, "r")->running, 0);
}

static void test_failed_starts_do_not_recurse(void **state)
{
	(void)state;
	load(1, 8);
	for (int id = 1; id <= 6; id++)
		send_iq(id);
	assert_int_equal(fake.n_jobs, 1);
	fake.refuse = true;
	/* the end of job 0 starts the five queued; each start fails and is answered */
	end_job(0, BACKEND_OK, OK_OUTPUT);
	assert_int_equal(fake.refused, 5);
	for (int id = 1; id <= 6; id++)
		assert_int_equal(sent.replies[id], 1);
	/* one loop started them all: every refused start ran at the same stack depth */
	for (unsigned i = 1; i < fake.refused; i++)
		assert_true(fake.refuse_sp[i] == fake.refuse_sp[0]);
	assert_int_equal(dispatcher_route(&disp, "r")->queued, 0);
}

/* A job that runs on after its answer keeps its place until its backend says it ended. */
static void test_outliving_job_counts_until_ended(void **state)
{
	(void)state;
	fake.outlive = true;
	load(1, 4);
	send_iq(1);
	send_iq(2);
	assert_int_equal(fake.n_jobs, 1);
	end_job(0, BACKEND_OK, OK_OUTPUT);
	assert_int_equal(sent.replies[1], 1);
	assert_int_equal(fake.n_jobs, 1); /* answered, but still running */
	assert_non_null(fake.jobs[0].ended);
	fake.jobs[0].ended(fake.jobs[0].ended_ud);
	assert_int_equal(fake.n_jobs, 2);
	end_job(1, BACKEND_OK, OK_OUTPUT);
	fake.jobs[1].ended(fake.jobs[1].ended_ud);
	assert_int_equal(sent.replies[2], 1);
	assert_int_equal(dispatcher_route(&disp, "r")->cgi_procs, 0);
}

static void test_message_success_sends_nothing(void **state)
{
	(void)state;
	load(2, 2);
	send_stanza("message", 1);
	end_job(0, BACKEND_OK, OK_OUTPUT);
	assert_int_equal(sent.total, 0); /* message_replies is off */
	send_stanza("message", 2);
	end_job(1, BACKEND_TIMEOUT, NULL);
	assert_int_equal(sent.replies[2], 1); /* a failure is told to the sender */
}

int main(void)
{
	log_set_level(LOG_ERROR); /* one info line per answer otherwise */
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_success_answers_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_answers_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_at_max_concurrency, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shutdown_answers_everyone_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_start_failure_answers_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failed_starts_do_not_recurse, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outliving_job_counts_until_ended, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_message_success_sends_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
