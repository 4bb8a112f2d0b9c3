/* loadgen.c - XMPP iq load generator for bench/run.
 *
 * Logs in as a client (stream management off, as the bridge), then keeps W iq get
 * stanzas in flight to one target JID: a new one leaves whenever one is answered.
 * Answers are matched by id. After a warm-up it measures for a number of seconds, or
 * sends exactly --requests stanzas (a burst when --window is as large), then waits
 * for the stragglers and prints one line:
 *
 *   replies=N errors=N lost=N secs=S rps=R p50=MS p99=MS max=MS [wI_...]
 *
 * replies counts results and errors received in the measured phase, errors the type
 * 'error' ones among them, lost those never answered within --drain seconds. rps is
 * the replies received within the measured window per second (a fixed-count run ends
 * at its last reply); p50, p99 and max are latencies from queueing a request to
 * handling its answer. cpu_replies is the number of replies the CPU figures are
 * divided by; self_us is the load generator's own CPU per reply. With
 * --watch PID (repeatable, up to 4) it also reports, for each watched process I:
 *   wI_ticks_ms   utime+stime over the measured phase (/proc/PID/stat), ms
 *   wI_sched_ms   on-CPU time over the measured phase, all threads (schedstat), ms
 *   wI_rss_kb     VmRSS at the end of the measured phase
 *   wI_rssmax_kb  largest VmRSS seen (sampled every 50 ms)
 *   wI_hwm_kb     VmHWM at the end
 * --idle S measures only the watched processes over S seconds of no traffic, without
 * logging in.
 *
 *   loadgen --jid JID --pass P --port N [--host H] [--cafile F] --to JID
 *           [--window W] [--warmup S] [--duration S] [--requests N] [--drain S]
 *           [--watch PID]... [--idle S] */
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench_xmpp.h"

#define MAX_WATCH 4

struct watch {
	int pid;
	double ticks0, sched0, ticks1, sched1;
	long rss, rssmax, hwm;
};

static struct watch watches[MAX_WATCH];
static int n_watch;

static double proc_ticks_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *f;
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	if (!fgets(buf, sizeof buf, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	/* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime(14) stime(15) */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* On-CPU time of every thread, ns precision (utime/stime tick at 10 ms). */
static double proc_sched_ms(int pid)
{
	char dir[64], path[352];
	double total = 0;
	struct dirent *e;
	DIR *d;
	snprintf(dir, sizeof dir, "/proc/%d/task", pid);
	if (!(d = opendir(dir)))
		return -1;
	while ((e = readdir(d))) {
		unsigned long long ns;
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/schedstat", dir, e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			total += (double)ns / 1e6;
		fclose(f);
	}
	closedir(d);
	return total;
}

static long proc_status_kb(int pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static double self_cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

static void watch_begin(void)
{
	for (int i = 0; i < n_watch; i++) {
		watches[i].ticks0 = proc_ticks_ms(watches[i].pid);
		watches[i].sched0 = proc_sched_ms(watches[i].pid);
		watches[i].rssmax = proc_status_kb(watches[i].pid, "VmRSS");
	}
}

static void watch_sample(void)
{
	for (int i = 0; i < n_watch; i++) {
		long r = proc_status_kb(watches[i].pid, "VmRSS");
		if (r > watches[i].rssmax)
			watches[i].rssmax = r;
	}
}

static void watch_end(void)
{
	for (int i = 0; i < n_watch; i++) {
		watches[i].ticks1 = proc_ticks_ms(watches[i].pid);
		watches[i].sched1 = proc_sched_ms(watches[i].pid);
		watches[i].rss = proc_status_kb(watches[i].pid, "VmRSS");
		if (watches[i].rss > watches[i].rssmax)
			watches[i].rssmax = watches[i].rss;
		watches[i].hwm = proc_status_kb(watches[i].pid, "VmHWM");
	}
}

static void watch_print(void)
{
	for (int i = 0; i < n_watch; i++)
		printf(" w%d_ticks_ms=%.1f w%d_sched_ms=%.3f w%d_rss_kb=%ld w%d_rssmax_kb=%ld "
		       "w%d_hwm_kb=%ld",
		       i, watches[i].ticks1 - watches[i].ticks0, i, watches[i].sched1 - watches[i].sched0,
		       i, watches[i].rss, i, watches[i].rssmax, i, watches[i].hwm);
}

/* ---- the load ---- */

enum phase { WARMUP, MEASURE, DRAIN };

static struct xb xb;
static const char *target;
static char target_esc[512];
static uint64_t *sent_at; /* by sequence number; 0 = answered or never sent */
static size_t sent_cap;
static uint64_t next_seq = 1, in_flight;
static enum phase phase = WARMUP;
static uint64_t measure_start;
static uint64_t *lat; /* measured latencies, ns */
static size_t n_lat, lat_cap;
static unsigned long replies, errors, unknown;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void send_one(void)
{
	char buf[768];
	int n;
	uint64_t seq = next_seq++;
	if (seq >= sent_cap) {
		size_t nc = sent_cap ? sent_cap * 2 : 1 << 16;
		uint64_t *p = realloc(sent_at, nc * sizeof *p);
		if (!p) {
			perror("realloc");
			exit(2);
		}
		memset(p + sent_cap, 0, (nc - sent_cap) * sizeof *p);
		sent_at = p;
		sent_cap = nc;
	}
	n = snprintf(buf, sizeof buf,
	             "<iq type='get' id='b%llu' to='%s'><query xmlns='urn:xmpp-cgi:bench'/></iq>",
	             (unsigned long long)seq, target_esc);
	sent_at[seq] = xb_now_ns();
	xmpp_send_raw(xb.conn, buf, (size_t)n);
	in_flight++;
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	const char *id = xmpp_stanza_get_id(st), *type = xmpp_stanza_get_type(st);
	char *end;
	unsigned long long seq;
	uint64_t now;
	(void)conn;
	(void)ud;
	xb.progress++;
	if (!type || (strcmp(type, "result") != 0 && strcmp(type, "error") != 0))
		return 1;
	if (!id || id[0] != 'b' || (seq = strtoull(id + 1, &end, 10), *end) || seq >= sent_cap ||
	    !sent_at[seq]) {
		if (phase == MEASURE)
			unknown++; /* before: libstrophe's own session iq */
		return 1;
	}
	now = xb_now_ns();
	in_flight--;
	if (phase == MEASURE && sent_at[seq] >= measure_start) {
		replies++;
		if (strcmp(type, "error") == 0)
			errors++;
		if (n_lat == lat_cap) {
			lat_cap = lat_cap ? lat_cap * 2 : 1 << 16;
			lat = realloc(lat, lat_cap * sizeof *lat);
			if (!lat) {
				perror("realloc");
				exit(2);
			}
		}
		lat[n_lat++] = now - sent_at[seq];
	}
	sent_at[seq] = 0;
	return 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static double pct_ms(double p)
{
	size_t i;
	if (!n_lat)
		return -1;
	i = (size_t)(p * (double)(n_lat - 1) + 0.5);
	return (double)lat[i] / 1e6;
}

static void usage(void)
{
	fprintf(stderr, "usage: loadgen --jid JID --pass P --port N [--host H] [--cafile F] --to JID\n"
	                "               [--window W] [--warmup S] [--duration S] [--requests N]\n"
	                "               [--drain S] [--watch PID]... | --idle S --watch PID...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *jid = NULL, *pass = NULL, *host = "127.0.0.1", *cafile = NULL;
	unsigned port = 0;
	unsigned long window = 1, requests = 0, sent_measured = 0;
	double warmup = 1, duration = 5, drain = 10, idle = -1;
	uint64_t t_end = 0, next_sample, t_last;
	unsigned long in_window = 0;
	double self0 = 0;
	int watched = 0;
	static const struct option opts[] = {
	    {"jid", 1, 0, 'j'},      {"pass", 1, 0, 'p'},   {"host", 1, 0, 'H'},
	    {"port", 1, 0, 'P'},     {"cafile", 1, 0, 'c'}, {"to", 1, 0, 't'},
	    {"window", 1, 0, 'w'},   {"warmup", 1, 0, 'W'}, {"duration", 1, 0, 'd'},
	    {"requests", 1, 0, 'n'}, {"drain", 1, 0, 'D'},  {"watch", 1, 0, 'x'},
	    {"idle", 1, 0, 'i'},     {0, 0, 0, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			jid = optarg;
			break;
		case 'p':
			pass = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'P':
			port = (unsigned)atoi(optarg);
			break;
		case 'c':
			cafile = optarg;
			break;
		case 't':
			target = optarg;
			break;
		case 'w':
			window = strtoul(optarg, NULL, 10);
			break;
		case 'W':
			warmup = atof(optarg);
			break;
		case 'd':
			duration = atof(optarg);
			break;
		case 'n':
			requests = strtoul(optarg, NULL, 10);
			break;
		case 'D':
			drain = atof(optarg);
			break;
		case 'x':
			if (n_watch == MAX_WATCH)
				usage();
			watches[n_watch++].pid = atoi(optarg);
			break;
		case 'i':
			idle = atof(optarg);
			break;
		default:
			usage();
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	if (idle >= 0) {
		uint64_t end;
		watch_begin();
		end = xb_now_ns() + (uint64_t)(idle * 1e9);
		while (!stop && xb_now_ns() < end) {
			usleep(50000);
			watch_sample();
		}
		watch_end();
		printf("idle_secs=%.3f", idle);
		watch_print();
		printf("\n");
		return 0;
	}

	if (!jid || !pass || !port || !target || window < 1)
		usage();
	xb_attr_escape(target_esc, sizeof target_esc, target);
	xb_init(&xb);
	xmpp_handler_add(xb.conn, on_iq, NULL, "iq", NULL, NULL);
	if (xb_connect_client(&xb, jid, pass, host, (unsigned short)port, cafile) != 0 ||
	    xb_wait_online(&xb, 20) != 0) {
		fprintf(stderr, "loadgen: cannot log in as %s on %s:%u\n", jid, host, port);
		return 1;
	}

	/* warm-up (skipped with --requests: every request is measured) */
	if (requests)
		warmup = 0;
	{
		uint64_t end = xb_now_ns() + (uint64_t)(warmup * 1e9);
		while (!stop && xb_now_ns() < end && xb.online == 1) {
			while (in_flight < window)
				send_one();
			xb_pump(&xb, 10);
		}
	}
	/* Let the warm-up's requests be answered before measuring (they are not counted). */
	{
		uint64_t end = xb_now_ns() + (uint64_t)(drain * 1e9);
		while (!stop && in_flight && xb_now_ns() < end && xb.online == 1)
			xb_pump(&xb, 10);
	}
	phase = MEASURE;
	self0 = self_cpu_ms();
	watch_begin();
	measure_start = xb_now_ns();
	next_sample = measure_start + 50000000u;
	t_end = requests ? 0 : measure_start + (uint64_t)(duration * 1e9);
	t_last = measure_start;
	for (;;) {
		uint64_t now = xb_now_ns();
		int sending = requests ? sent_measured < requests : now < t_end;
		if (stop || xb.online != 1)
			break;
		if (!requests && !sending && !watched) {
			/* time-based: the window closes here; what is in flight is drained below */
			watch_end();
			watched = 1;
			in_window = replies;
		}
		if (!sending && !in_flight)
			break;
		if (!sending && now - t_last > (uint64_t)(drain * 1e9))
			break; /* the rest is lost */
		while (sending && in_flight < window && (!requests || sent_measured < requests)) {
			send_one();
			sent_measured++;
		}
		if (xb_pump(&xb, 10))
			t_last = xb_now_ns();
		if (now >= next_sample) {
			watch_sample();
			next_sample = now + 50000000u;
		}
	}
	{
		double secs;
		if (!watched) {
			watch_end();
			in_window = replies;
		}
		if (requests)
			secs = (double)(t_last - measure_start) / 1e9;
		else
			secs = (double)(t_end - measure_start) / 1e9;
		qsort(lat, n_lat, sizeof *lat, cmp_u64);
		printf("replies=%lu errors=%lu lost=%llu unknown=%lu secs=%.3f rps=%.1f p50=%.3f "
		       "p99=%.3f max=%.3f window=%lu",
		       replies, errors, (unsigned long long)in_flight, unknown, secs,
		       secs > 0 ? (double)in_window / secs : 0, pct_ms(0.50), pct_ms(0.99),
		       n_lat ? (double)lat[n_lat - 1] / 1e6 : -1, window);
		watch_print();
		printf(" cpu_replies=%lu self_us=%.1f\n", in_window,
		       in_window ? (self_cpu_ms() - self0) * 1000.0 / (double)in_window : 0);
		fflush(stdout);
	}
	xb.closing = 1;
	xmpp_disconnect(xb.conn);
	for (int i = 0; i < 50 && xb.online == 1; i++)
		xb_pump(&xb, 10);
	return stop ? 1 : 0;
}
