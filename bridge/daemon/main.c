/* main.c - command line, start-up, signals and shutdown of the xmpp-cgi daemon.
 *
 * It loads the configuration, then either checks it (--check), runs one stanza through
 * a route with no server (--once), or builds the daemon: one libuv loop, one libstrophe
 * context driven from it, one XMPP link per route feeding the dispatcher. SIGTERM and
 * SIGINT drain it: new stanzas are refused with a wait error, running and queued
 * requests finish within drain_timeout, then the links close. A second signal stops it
 * at once: handlers are killed, pending iqs answered, links closed.
 * SIGHUP reloads the configuration (reload.c); [metrics] serves metrics.c's page. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "adhoc.h"
#include "autoconfig.h"
#include "cgi_runner.h"
#include "config.h"
#include "config_fingerprint.h"
#include "control.h"
#include "dispatch.h"
#include "grant.h"
#include "log.h"
#include "metrics.h"
#include "muc_room.h"
#include "privdrop.h"
#include "readiness.h"
#include "reload.h"
#include "router.h"
#include "stanza_depth.h"
#include "strophe_uv.h"
#include "xml_check.h"
#include "xmpp_link.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif
#define DEFAULT_CONFIG SYSCONFDIR "/xmpp-cgi.conf"
#define ONCE_MAX_INPUT (1024 * 1024)
#define SHUTDOWN_GRACE_MS 5000

struct daemon {
	uv_loop_t *loop;
	struct config cfg;
	xmpp_ctx_t *ctx;
	struct strophe_loop sl;
	struct dispatcher disp;
	struct router router;
	struct adhoc adhoc; /* ad-hoc command sessions and their timer */
	struct control *ctl;
	struct reload *reload;
	struct metrics *metrics;
	struct grant_table grants; /* handlers' control socket tokens */
	struct xmpp_link **links;
	size_t n_links;      /* one per route, or one component connection */
	struct muc_set *muc; /* the routes' rooms (muc_room.h) */
	uv_signal_t sigterm, sigint, sighup;
	uv_timer_t shutdown_timer;
	uint64_t shutdown_started; /* when the current phase began */
	enum shutdown_phase { SD_RUNNING, SD_DRAINING, SD_CUTTING, SD_CLOSING_LINKS } phase;
	/* READY=1 once every link is online or has failed once */
	struct readiness ready;
};

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: xmpp-cgi [OPTION]...\n"
	        "Serve CGI scripts over XMPP: every stanza sent to a route runs its handler.\n"
	        "\n"
	        "  -c, --config FILE   configuration file (default %s)\n"
	        "  -t, --check         check the configuration and exit\n"
	        "      --once ROUTE    run ROUTE's handler on one stanza read from stdin,\n"
	        "                      print the reply stanza, and exit (no server needed)\n"
	        "  -v, --verbose       log debug messages too\n"
	        "  -q, --quiet         log warnings and errors only\n"
	        "  -h, --help          show this help and exit\n"
	        "  -V, --version       show the version and exit\n"
	        "\n"
	        "See xmpp-cgi(8) and xmpp-cgi.conf(5).\n",
	        DEFAULT_CONFIG);
}

/* libstrophe's own log, errors and warnings only unless -v. */
static void strophe_log(void *ud, xmpp_log_level_t level, const char *area, const char *msg)
{
	(void)ud;
	if (level >= XMPP_LEVEL_WARN)
		log_warn("libstrophe %s: %s", area, msg);
	else if (level == XMPP_LEVEL_INFO)
		log_debug("libstrophe %s: %s", area, msg);
	else
		link_strophe_log(area, msg);
}

static const xmpp_log_t strophe_logger = {strophe_log, NULL};

/* Handlers get fds 0-2 of their own, but libstrophe never watches a socket on fd 0 and
 * a closed stdout would be reused by the next socket: keep 0-2 open. */
static void keep_std_fds_open(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int nfd = open("/dev/null", O_RDWR);
			if (nfd >= 0 && nfd != fd) {
				dup2(nfd, fd);
				close(nfd);
			}
		}
}

/* libuv resets signals 1-31 in a child, not the real-time ones; a signal the daemon's
 * parent ignored would stay ignored in every handler. Reset them here. glibc refuses to
 * touch the two it reserves (32, 33), so those go through the system call. */
static void reset_inherited_signals(void)
{
	struct kernel_sigaction {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} old, dfl = {0};
	for (int sig = 32; sig < SIGRTMIN; sig++)
		if (syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof old.mask) == 0 &&
		    old.handler == (void *)SIG_IGN)
			syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		struct sigaction sa;
		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
			signal(sig, SIG_DFL);
	}
}

/* Whatever the parent left open above fd 2 must not reach handlers. */
static void mark_inherited_fds_cloexec(void)
{
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	for (int fd = 3; fd < 1024; fd++) {
		int flags = fcntl(fd, F_GETFD);
		if (flags >= 0)
			fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	}
}

/* --once */

struct once_out {
	int replies;
};

/* The outbound check of link_send(), so --once shows what the stream would get; on text
 * link_send_checked() would skip it too, so that the tests see it hold. */
static int once_send(void *ud, const char *xml, bool checked)
{
	struct once_out *o = ud;
	const char *why = xml_check_stanza(xml, strlen(xml));
	if (why) {
		log_error("once: stanza not sent, a server would refuse it: %s", why);
		if (checked)
			log_error("once: a reply written from checked parts failed the check");
		return SINK_REFUSED;
	}
	printf("%s\n", xml);
	fflush(stdout);
	o->replies++;
	return SINK_SENT;
}

static int run_once(struct daemon *dm, const char *route_name)
{
	struct route_rt *route;
	struct once_out out = {0};
	struct reply_sink sink = {.send = once_send, .ud = &out};
	struct inbound in;
	char *input = malloc(ONCE_MAX_INPUT + 1);
	size_t len = 0, n;
	char path_info[80], err[512];
	xmpp_stanza_t *stanza;

	route = dispatcher_route(&dm->disp, route_name);
	if (!route) {
		fprintf(stderr, "xmpp-cgi: no route \"%s\" in %s\n", route_name, dm->cfg.path);
		free(input);
		return 1;
	}
	while (input && (n = fread(input + len, 1, ONCE_MAX_INPUT - len, stdin)) > 0)
		len += n;
	if (!input || len == ONCE_MAX_INPUT) {
		fprintf(stderr, "xmpp-cgi: the stanza on stdin is over %d bytes\n", ONCE_MAX_INPUT);
		free(input);
		return 1;
	}
	input[len] = '\0';
	stanza = xmpp_stanza_new_from_string(dm->ctx, input);
	free(input);
	if (!stanza || !xmpp_stanza_get_name(stanza)) {
		fprintf(stderr, "xmpp-cgi: stdin does not hold one XML element (a stanza)\n");
		if (stanza)
			xmpp_stanza_release(stanza);
		return 1;
	}
	if (privdrop_apply(&dm->cfg, err, sizeof err) != 0) {
		fprintf(stderr, "xmpp-cgi: %s\n", err);
		xmpp_stanza_release(stanza);
		return 1;
	}
	dm->disp.check_acl = false;
	snprintf(path_info, sizeof path_info, "/%s", route_name);
	struct dispatch_target tgt = {.route = route, .name = route_name, .path_info = path_info};
	inbound_read(&in, stanza, "127.0.0.1", false);
	dispatch_stanza(&dm->disp, &tgt, &in, &sink);
	stanza_release_flat(stanza); /* stdin may nest deeper than any server allows */
	while (dm->disp.in_flight && uv_run(dm->loop, UV_RUN_ONCE))
		;
	dispatcher_close_backends(&dm->disp);
	cgi_runner_close();
	uv_run(dm->loop, UV_RUN_DEFAULT);
	return 0;
}

/* daemon */

static void on_link_stanza(struct xmpp_link *link, xmpp_stanza_t *stanza, void *ud)
{
	struct daemon *dm = ud;
	router_stanza(&dm->router, link, stanza);
}

static void on_link_state(struct xmpp_link *link, bool online, void *ud)
{
	struct daemon *dm = ud;
	for (size_t i = 0; i < dm->n_links; i++)
		if (dm->links[i] == link)
			readiness_link(&dm->ready, i, online);
	muc_link_state(dm->muc, link, online);
}

/* A reload added or removed links: the readiness table follows dm->links. */
static void on_links_changed(void *ud, const size_t *was, size_t n)
{
	struct daemon *dm = ud;
	if (readiness_relink(&dm->ready, was, n) != 0)
		log_error("out of memory: the service manager's STATUS may be off");
}

/* The bridge's reload command (adhoc_builtin.h) does what SIGHUP does. */
static void reload_by_command(void *ud)
{
	struct daemon *dm = ud;
	if (dm->reload && dm->phase == SD_RUNNING)
		reload_now(dm->reload);
}

static void on_reload_applied(void *ud)
{
	struct daemon *dm = ud;
	config_fingerprint(dm->cfg.path, dm->cfg.fingerprint, sizeof dm->cfg.fingerprint);
	log_info("instance %s, config %s", dm->cfg.instance_name, dm->cfg.fingerprint);
	muc_set_reconfigure(dm->muc, dm->links, dm->n_links);
	readiness_reloaded(&dm->ready);
}

static struct xmpp_link *link_for_route(void *ud, const char *route, char *from, size_t len)
{
	struct daemon *dm = ud;
	if (!config_route(&dm->cfg, route) || strcmp(route, "*") == 0)
		return NULL;
	if (dm->cfg.mode == MODE_COMPONENT) {
		snprintf(from, len, "%s@%s", route, dm->cfg.domain);
		return dm->links[0];
	}
	for (size_t i = 0; i < dm->n_links; i++)
		if (strcmp(link_route(dm->links[i]), route) == 0) {
			snprintf(from, len, "%s/%s", link_bare_jid(dm->links[i]), route);
			return dm->links[i];
		}
	return NULL;
}

static bool route_in_room(void *ud, const char *route, const char *room)
{
	struct daemon *dm = ud;
	return muc_route_in_room(dm->muc, route, room);
}

static void close_all(struct daemon *dm)
{
	cgi_runner_close();
	control_stop(dm->ctl);
	dm->ctl = dm->router.ctl = NULL;
	metrics_stop(dm->metrics);
	dm->metrics = NULL;
	reload_stop(dm->reload);
	adhoc_close(&dm->adhoc);
	dispatcher_close_backends(&dm->disp);
	muc_set_free(dm->muc);
	dm->muc = dm->router.muc = NULL;
	for (size_t i = 0; i < dm->n_links; i++)
		if (dm->links[i])
			link_free(dm->links[i]);
	sl_close(&dm->sl);
	uv_close((uv_handle_t *)&dm->sigterm, NULL);
	uv_close((uv_handle_t *)&dm->sigint, NULL);
	uv_close((uv_handle_t *)&dm->sighup, NULL);
	uv_close((uv_handle_t *)&dm->shutdown_timer, NULL);
}

/* Draining: until nothing is in flight or drain_timeout. Cutting: handlers killed, their
 * answers going out (SHUTDOWN_GRACE_MS at most). Closing links: the same bound. */
static void cut_short(struct daemon *dm)
{
	dm->phase = SD_CUTTING;
	dm->shutdown_started = uv_now(dm->loop);
	dispatcher_stop(&dm->disp);
}

static void on_shutdown_tick(uv_timer_t *t)
{
	struct daemon *dm = t->data;
	uint64_t age = uv_now(dm->loop) - dm->shutdown_started;
	size_t closed = 0;

	if (dm->phase == SD_DRAINING && dm->disp.in_flight &&
	    age >= dm->cfg.drain_timeout_s * 1000ull) {
		log_warn("instance %s: drain_timeout (%u s) reached: %u request%s cut short",
		         dm->cfg.instance_name, dm->cfg.drain_timeout_s, dm->disp.in_flight,
		         dm->disp.in_flight == 1 ? "" : "s");
		cut_short(dm);
		return;
	}
	if ((dm->phase == SD_DRAINING || dm->phase == SD_CUTTING) &&
	    (dm->disp.in_flight == 0 || (dm->phase == SD_CUTTING && age > SHUTDOWN_GRACE_MS))) {
		if (dm->phase == SD_DRAINING)
			log_info("instance %s: drained, closing the connection%s", dm->cfg.instance_name,
			         dm->n_links == 1 ? "" : "s");
		dm->phase = SD_CLOSING_LINKS;
		for (size_t i = 0; i < dm->n_links; i++)
			link_stop(dm->links[i]);
		dm->shutdown_started = uv_now(dm->loop);
		return;
	}
	if (dm->phase != SD_CLOSING_LINKS)
		return;
	for (size_t i = 0; i < dm->n_links; i++)
		closed += link_closed(dm->links[i]) ? 1 : 0;
	if (closed == dm->n_links || age > SHUTDOWN_GRACE_MS) {
		uv_timer_stop(t);
		close_all(dm);
	}
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct daemon *dm = s->data;
	if (signum == SIGHUP) {
		if (dm->phase == SD_RUNNING && dm->reload)
			reload_now(dm->reload);
		return;
	}
	if (dm->phase == SD_DRAINING) { /* the second signal: stop now */
		log_info("instance %s: signal %d again: stopping now, %u request%s cut short",
		         dm->cfg.instance_name, signum, dm->disp.in_flight,
		         dm->disp.in_flight == 1 ? "" : "s");
		cut_short(dm);
		return;
	}
	if (dm->phase != SD_RUNNING)
		return;
	log_info("instance %s: signal %d: draining %u request%s for at most %u s, new stanzas "
	         "refused (send the signal again to stop now)",
	         dm->cfg.instance_name, signum, dm->disp.in_flight, dm->disp.in_flight == 1 ? "" : "s",
	         dm->cfg.drain_timeout_s);
	readiness_stopping(&dm->ready);
	dm->phase = SD_DRAINING;
	dispatcher_drain(&dm->disp);
	if (dm->cfg.drain_timeout_s == 0)
		cut_short(dm);
	dm->shutdown_started = uv_now(dm->loop);
	uv_timer_start(&dm->shutdown_timer, on_shutdown_tick, 0, 50);
}

/* A start-up step failed: close what was opened, so nothing leaks. */
static int start_failed(struct daemon *dm)
{
	close_all(dm);
	uv_run(dm->loop, UV_RUN_DEFAULT);
	free(dm->links);
	dm->links = NULL;
	dm->n_links = 0;
	readiness_free(&dm->ready);
	return 1;
}

static int run_daemon(struct daemon *dm)
{
	char err[512];
	dm->n_links = dm->cfg.mode == MODE_COMPONENT ? 1 : dm->cfg.n_routes;
	dm->links = calloc(dm->n_links, sizeof *dm->links);
	adhoc_init(&dm->adhoc, dm->loop);
	dm->router = (struct router){.cfg = &dm->cfg, .disp = &dm->disp, .adhoc = &dm->adhoc};
	if (!dm->links ||
	    readiness_init(&dm->ready, dm->n_links,
	                   dm->cfg.mode == MODE_COMPONENT ? "component connection" : "route") != 0)
		return 1;
	sl_init(&dm->sl, dm->loop, dm->ctx);
	dm->muc = dm->router.muc = muc_set_new(dm->loop, dm->ctx, &dm->cfg);
	if (!dm->muc)
		return 1;
	uv_signal_init(dm->loop, &dm->sigterm);
	uv_signal_init(dm->loop, &dm->sigint);
	uv_signal_init(dm->loop, &dm->sighup);
	uv_timer_init(dm->loop, &dm->shutdown_timer);
	dm->sigterm.data = dm->sigint.data = dm->sighup.data = dm->shutdown_timer.data = dm;
	uv_signal_start(&dm->sigterm, on_signal, SIGTERM);
	uv_signal_start(&dm->sigint, on_signal, SIGINT);
	uv_signal_start(&dm->sighup, on_signal, SIGHUP);
	for (size_t i = 0; i < dm->n_links; i++) {
		dm->links[i] = link_new(&dm->sl, &dm->cfg, dm->cfg.routes[i].name, on_link_stanza, dm);
		if (!dm->links[i]) {
			log_error("cannot create the XMPP connection");
			return start_failed(dm);
		}
		link_on_state(dm->links[i], on_link_state);
	}
	if (dm->cfg.mode == MODE_COMPONENT)
		log_info("xmpp-cgi %s starting: %zu route%s on component %s", PACKAGE_VERSION,
		         dm->cfg.n_routes, dm->cfg.n_routes == 1 ? "" : "s", dm->cfg.domain);
	else
		log_info("xmpp-cgi %s starting: %zu route%s as %s@%s", PACKAGE_VERSION, dm->cfg.n_routes,
		         dm->cfg.n_routes == 1 ? "" : "s", dm->cfg.localpart, dm->cfg.domain);
	log_info("instance %s, config %s", dm->cfg.instance_name, dm->cfg.fingerprint);
	if (dm->cfg.control_socket) {
		struct control_hooks hooks = {
		    .ud = dm, .link_for = link_for_route, .in_room = route_in_room, .grants = &dm->grants};
		dm->ctl = dm->router.ctl = control_start(dm->loop, &dm->cfg, &hooks);
		if (!dm->ctl)
			return start_failed(dm);
		dm->disp.grants = &dm->grants;
	}
	struct reload_target rt = {.loop = dm->loop,
	                           .live = &dm->cfg,
	                           .disp = &dm->disp,
	                           .sl = &dm->sl,
	                           .links = &dm->links,
	                           .n_links = &dm->n_links,
	                           .on_stanza = on_link_stanza,
	                           .on_link_state = on_link_state,
	                           .on_links = on_links_changed,
	                           .on_applied = on_reload_applied,
	                           .ud = dm};
	dm->reload = reload_new(&rt);
	if (!dm->reload)
		return start_failed(dm);
	dm->adhoc.builtin.reload = reload_by_command;
	dm->adhoc.builtin.reload_ud = dm;
	if (dm->cfg.metrics_host) {
		struct metrics_source src = {.disp = &dm->disp,
		                             .links = &dm->links,
		                             .n_links = &dm->n_links,
		                             .reloads = reload_counts(dm->reload),
		                             .muc = &dm->muc};
		dm->metrics = metrics_start(dm->loop, &dm->cfg, &src);
		if (!dm->metrics)
			return start_failed(dm);
	}
	/* Secrets are read, the control socket and the metrics address are open: root is no
	 * longer needed. */
	if (privdrop_apply(&dm->cfg, err, sizeof err) != 0) {
		log_error("%s", err);
		return start_failed(dm);
	}
	for (size_t i = 0; i < dm->n_links; i++)
		link_start(dm->links[i]);
	uv_run(dm->loop, UV_RUN_DEFAULT);
	free(dm->links);
	readiness_free(&dm->ready);
	log_info("instance %s stopped", dm->cfg.instance_name);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'}, {"check", no_argument, NULL, 't'},
	    {"once", required_argument, NULL, 'o'},   {"verbose", no_argument, NULL, 'v'},
	    {"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0}};
	const char *config_path = DEFAULT_CONFIG, *once_route = NULL;
	struct daemon dm = {0};
	bool check = false;
	char err[1024];
	int c, rc;

	while ((c = getopt_long(argc, argv, "c:tvqhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			check = true;
			break;
		case 'o':
			once_route = optarg;
			break;
		case 'v':
			log_set_level(LOG_DEBUG);
			break;
		case 'q':
			log_set_level(LOG_WARNING);
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xmpp-cgi %s\n", PACKAGE_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'xmpp-cgi --help' for more information.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xmpp-cgi: unexpected argument '%s'\n", argv[optind]);
		fprintf(stderr, "Try 'xmpp-cgi --help' for more information.\n");
		return 2;
	}
	keep_std_fds_open();
	log_detect_target();
	mark_inherited_fds_cloexec();
	reset_inherited_signals();
	signal(SIGPIPE, SIG_IGN);
	if (config_load(config_path, &dm.cfg, err, sizeof err) != 0) {
		fprintf(stderr, "xmpp-cgi: %s\n", err);
		config_free(&dm.cfg);
		return 1;
	}
	if (!check && privdrop_check(&dm.cfg, err, sizeof err) != 0) {
		fprintf(stderr, "xmpp-cgi: %s\n", err);
		config_free(&dm.cfg);
		return 1;
	}
	if (check) {
		fprintf(stderr, "xmpp-cgi: configuration %s is ok (%zu route%s)\n", config_path,
		        dm.cfg.n_routes, dm.cfg.n_routes == 1 ? "" : "s");
		config_free(&dm.cfg);
		return 0;
	}
	config_fingerprint(config_path, dm.cfg.fingerprint, sizeof dm.cfg.fingerprint);
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	/* With a cafile, trust it instead of the system bundle, which OpenSSL would
	 * otherwise load into every route's TLS context (about 1 MB each). Handlers do
	 * not see this: their environment is built from scratch. */
	if (dm.cfg.cafile)
		setenv("SSL_CERT_FILE", dm.cfg.cafile, 1);
	dm.loop = uv_default_loop();
	xmpp_initialize();
	dm.ctx = xmpp_ctx_new(NULL, &strophe_logger);
	if (!dm.ctx || dispatcher_init(&dm.disp, dm.loop, &dm.cfg) != 0) {
		fprintf(stderr, "xmpp-cgi: out of memory\n");
		return 1;
	}
	rc = once_route ? run_once(&dm, once_route) : run_daemon(&dm);
	dispatcher_free(&dm.disp);
	adhoc_free(&dm.adhoc); /* after the requests that settle its sessions */
	reload_free(dm.reload);
	grant_table_free(&dm.grants);
	uv_run(dm.loop, UV_RUN_NOWAIT);
	uv_loop_close(dm.loop);
	xmpp_ctx_free(dm.ctx);
	xmpp_shutdown();
	config_free(&dm.cfg);
	return rc;
}
