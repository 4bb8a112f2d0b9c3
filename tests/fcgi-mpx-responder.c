/* fcgi-mpx-responder.c - a multiplexing FastCGI responder that stands in for an
 * application in the tests of the bridge's FastCGI pool.
 *
 * Owns nothing of the bridge: it is a self-contained test program, written from scratch
 * on the wire definitions of fastcgi.h alone (no libfcgi, which cannot multiplex). One
 * thread, one poll(2) loop, non-blocking sockets. Each connection keeps its requests by
 * request id, so many run at once on one connection; -d delays each answer with a
 * timer, so the others proceed meanwhile.
 *
 *   fcgi-mpx-responder (-s PATH | -p PORT) [-d MS] [-n CONNS] [-r REQS] [-M] [-o] [-g]
 *                      [-e] [-c FILE]
 *
 *   -s PATH   listen on a unix socket (mode 0600; an old socket file is replaced)
 *   -p PORT   listen on 127.0.0.1:PORT (0: any free port)
 *   -d MS     answer each request MS milliseconds after its STDIN ended
 *   -n CONNS  FCGI_MAX_CONNS to announce (default 16; not enforced)
 *   -r REQS   FCGI_MAX_REQS to announce (default 256); a request beyond that many in
 *             flight on all connections is ended with FCGI_OVERLOADED
 *   -M        no multiplexing: FCGI_MPXS_CONNS=0, and a second BEGIN_REQUEST while one
 *             runs on the connection is ended with FCGI_CANT_MPX_CONN
 *   -o        end every request with FCGI_OVERLOADED
 *   -g        send records with an invalid version byte (garbage to a client)
 *   -e        write one line to FCGI_STDERR for every request
 *   -c FILE   rewrite FILE on every connection and request with
 *             "connections N\nrequests N\nmax_inflight_per_conn N\n"
 *
 * When listening it prints "listening PATH" or "listening PORT" on stdout. A request
 * is answered with a CGI response whose application/xml body names the connection
 * (counted from 1), the request id, PATH_INFO and the number of STDIN bytes, then
 * END_REQUEST REQUEST_COMPLETE. ABORT_REQUEST ends the request with appStatus 1. The
 * connection is closed after an END_REQUEST whose BEGIN_REQUEST lacked FCGI_KEEP_CONN.
 * GET_VALUES is answered for the names it asks. SIGTERM or SIGINT: exit 0. */
#include <errno.h>
#include <fastcgi.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 1024
#define MAX_PARAMS (1024 * 1024) /* PARAMS stream kept per request */

struct bytes {
	unsigned char *p;
	size_t len, cap;
};

struct req {
	uint16_t id;
	int keep_conn;
	int input_done; /* empty STDIN seen: waiting for due */
	long long due;  /* monotonic ms at which to answer */
	struct bytes params;
	char *path_info;
	size_t stdin_len;
};

struct conn {
	int fd;
	long no;
	struct bytes in, out;
	struct req **reqs;
	size_t nreqs, capreqs;
	int closing; /* close once out is written */
};

static struct {
	int delay_ms, max_conns, max_reqs, no_mpx, overloaded, garbage, log_stderr;
	const char *stats_file, *sock_path;
	long connections, requests, max_inflight, inflight;
	struct conn *conns[MAX_CONNS];
	size_t nconns;
} g = {.max_conns = 16, .max_reqs = 256};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fcgi-mpx-responder: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void put(struct bytes *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap *= 2;
		if (!(b->p = realloc(b->p, cap)))
			die("out of memory");
		b->cap = cap;
	}
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_str(struct bytes *b, const char *s) { put(b, s, strlen(s)); }

/* Appends records of the given type carrying data; len 0 gives one empty record. */
static void put_records(struct bytes *out, int type, uint16_t id, const void *data, size_t len)
{
	static const unsigned char zeros[8];
	const unsigned char *p = data;
	size_t at = 0;
	do {
		size_t n = len > 0xfff8 ? 0xfff8 : len, pad = (8 - (n & 7)) & 7;
		FCGI_Header h = {
		    .version = g.garbage ? 0x7f : FCGI_VERSION_1,
		    .type = (unsigned char)type,
		    .requestIdB1 = (unsigned char)(id >> 8),
		    .requestIdB0 = (unsigned char)id,
		    .contentLengthB1 = (unsigned char)(n >> 8),
		    .contentLengthB0 = (unsigned char)n,
		    .paddingLength = (unsigned char)pad,
		};
		put(out, &h, sizeof h);
		put(out, p ? p + at : NULL, n);
		put(out, zeros, pad);
		at += n;
		len -= n;
	} while (len > 0);
}

static void put_end(struct conn *c, uint16_t id, uint32_t app_status, int protocol_status)
{
	FCGI_EndRequestBody b = {
	    .appStatusB3 = (unsigned char)(app_status >> 24),
	    .appStatusB2 = (unsigned char)(app_status >> 16),
	    .appStatusB1 = (unsigned char)(app_status >> 8),
	    .appStatusB0 = (unsigned char)app_status,
	    .protocolStatus = (unsigned char)protocol_status,
	};
	put_records(&c->out, FCGI_END_REQUEST, id, &b, sizeof b);
}

static void write_stats(void)
{
	char tmp[4096];
	FILE *f;
	if (!g.stats_file)
		return;
	snprintf(tmp, sizeof tmp, "%s.tmp", g.stats_file);
	if (!(f = fopen(tmp, "w")))
		die("%s: %s", tmp, strerror(errno));
	fprintf(f, "connections %ld\nrequests %ld\nmax_inflight_per_conn %ld\n", g.connections,
	        g.requests, g.max_inflight);
	if (fclose(f) != 0 || rename(tmp, g.stats_file) != 0)
		die("%s: %s", g.stats_file, strerror(errno));
}

static struct req *find_req(struct conn *c, uint16_t id, size_t *at)
{
	for (size_t i = 0; i < c->nreqs; i++) {
		if (c->reqs[i]->id == id) {
			if (at)
				*at = i;
			return c->reqs[i];
		}
	}
	return NULL;
}

/* Ends a request: END_REQUEST, the request freed, the connection closing without
 * KEEP_CONN. */
static void end_req(struct conn *c, struct req *r, uint32_t app_status, int protocol_status)
{
	size_t at = 0;
	put_end(c, r->id, app_status, protocol_status);
	if (!r->keep_conn)
		c->closing = 1;
	find_req(c, r->id, &at);
	c->reqs[at] = c->reqs[--c->nreqs];
	g.inflight--;
	free(r->params.p);
	free(r->path_info);
	free(r);
}

static void xml_escape(struct bytes *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			put_str(b, "&lt;");
			break;
		case '>':
			put_str(b, "&gt;");
			break;
		case '&':
			put_str(b, "&amp;");
			break;
		case '\'':
			put_str(b, "&apos;");
			break;
		default:
			put(b, s, 1);
		}
	}
}

static void answer(struct conn *c, struct req *r)
{
	struct bytes body = {0};
	char num[64];
	put_str(&body, "Status: 200 OK\r\nContent-Type: application/xml\r\n\r\n"
	               "<fcgi-echo xmlns='urn:xmpp-cgi:fcgi'><conn>");
	snprintf(num, sizeof num, "%ld</conn><req>%u</req><path>", c->no, r->id);
	put_str(&body, num);
	xml_escape(&body, r->path_info ? r->path_info : "");
	snprintf(num, sizeof num, "</path><len>%zu</len></fcgi-echo>", r->stdin_len);
	put_str(&body, num);
	if (g.log_stderr) {
		char line[256];
		int n = snprintf(line, sizeof line,
		                 "fcgi-mpx-responder: connection %ld request %u stdin %zu bytes\n", c->no,
		                 r->id, r->stdin_len);
		put_records(&c->out, FCGI_STDERR, r->id, line, (size_t)n);
	}
	put_records(&c->out, FCGI_STDOUT, r->id, body.p, body.len);
	put_records(&c->out, FCGI_STDOUT, r->id, NULL, 0);
	if (g.log_stderr)
		put_records(&c->out, FCGI_STDERR, r->id, NULL, 0);
	free(body.p);
	end_req(c, r, 0, FCGI_REQUEST_COMPLETE);
}

/* A name-value length at *pos, or -1 when the data ends inside it. */
static long nv_len(const unsigned char *p, size_t len, size_t *pos)
{
	long v;
	if (*pos >= len)
		return -1;
	if (p[*pos] < 128)
		return p[(*pos)++];
	if (len - *pos < 4)
		return -1;
	v = (long)(p[*pos] & 0x7f) << 24 | (long)p[*pos + 1] << 16 | (long)p[*pos + 2] << 8 |
	    p[*pos + 3];
	*pos += 4;
	return v;
}

/* Calls fn on each whole pair; returns -1 when the pairs are malformed. */
static int each_pair(const unsigned char *p, size_t len,
                     void (*fn)(void *, const unsigned char *, size_t, const unsigned char *,
                                size_t),
                     void *ud)
{
	size_t pos = 0;
	while (pos < len) {
		long nl = nv_len(p, len, &pos), vl = nl < 0 ? -1 : nv_len(p, len, &pos);
		if (vl < 0 || (size_t)nl > len - pos || (size_t)vl > len - pos - (size_t)nl)
			return -1;
		fn(ud, p + pos, (size_t)nl, p + pos + nl, (size_t)vl);
		pos += (size_t)(nl + vl);
	}
	return 0;
}

static void take_path_info(void *ud, const unsigned char *n, size_t nl, const unsigned char *v,
                           size_t vl)
{
	struct req *r = ud;
	if (nl == 9 && !memcmp(n, "PATH_INFO", 9) && !r->path_info) {
		if (!(r->path_info = strndup((const char *)v, vl)))
			die("out of memory");
	}
}

static void add_value(void *ud, const unsigned char *n, size_t nl, const unsigned char *v,
                      size_t vl)
{
	struct bytes *out = ud;
	char val[32];
	unsigned char lens[2];
	(void)v;
	(void)vl;
	if (nl == strlen(FCGI_MAX_CONNS) && !memcmp(n, FCGI_MAX_CONNS, nl))
		snprintf(val, sizeof val, "%d", g.max_conns);
	else if (nl == strlen(FCGI_MAX_REQS) && !memcmp(n, FCGI_MAX_REQS, nl))
		snprintf(val, sizeof val, "%d", g.max_reqs);
	else if (nl == strlen(FCGI_MPXS_CONNS) && !memcmp(n, FCGI_MPXS_CONNS, nl))
		snprintf(val, sizeof val, "%d", !g.no_mpx);
	else
		return;
	lens[0] = (unsigned char)nl;
	lens[1] = (unsigned char)strlen(val);
	put(out, lens, 2);
	put(out, n, nl);
	put_str(out, val);
}

static void on_begin(struct conn *c, uint16_t id, const unsigned char *body, size_t len)
{
	struct req *r;
	int role, keep;
	if (len < 8 || id == 0 || find_req(c, id, NULL))
		return; /* malformed, or an id in use: ignored, as the spec says */
	role = body[0] << 8 | body[1];
	keep = body[2] & FCGI_KEEP_CONN;
	g.requests++;
	if (role != FCGI_RESPONDER || (g.no_mpx && c->nreqs > 0)) {
		put_end(c, id, 0, role != FCGI_RESPONDER ? FCGI_UNKNOWN_ROLE : FCGI_CANT_MPX_CONN);
		if (!keep)
			c->closing = 1;
		write_stats();
		return;
	}
	if (!(r = calloc(1, sizeof *r)))
		die("out of memory");
	r->id = id;
	r->keep_conn = keep;
	if (c->nreqs == c->capreqs) {
		c->capreqs = c->capreqs ? c->capreqs * 2 : 8;
		if (!(c->reqs = realloc(c->reqs, c->capreqs * sizeof *c->reqs)))
			die("out of memory");
	}
	c->reqs[c->nreqs++] = r;
	g.inflight++;
	if ((long)c->nreqs > g.max_inflight)
		g.max_inflight = (long)c->nreqs;
	write_stats();
	if (g.overloaded || g.inflight > g.max_reqs)
		end_req(c, r, 0, FCGI_OVERLOADED);
}

/* One whole record from the client. Returns -1 to drop the connection. */
static int on_record(struct conn *c, const FCGI_Header *h, const unsigned char *body)
{
	uint16_t id = (uint16_t)(h->requestIdB1 << 8 | h->requestIdB0);
	size_t len = (size_t)(h->contentLengthB1 << 8 | h->contentLengthB0);
	struct req *r;
	if (h->version != FCGI_VERSION_1)
		return -1;
	switch (h->type) {
	case FCGI_GET_VALUES: {
		struct bytes res = {0};
		if (each_pair(body, len, add_value, &res) < 0)
			return -1;
		put_records(&c->out, FCGI_GET_VALUES_RESULT, 0, res.p, res.len);
		free(res.p);
		return 0;
	}
	case FCGI_BEGIN_REQUEST:
		on_begin(c, id, body, len);
		return 0;
	case FCGI_ABORT_REQUEST:
		if ((r = find_req(c, id, NULL)))
			end_req(c, r, 1, FCGI_REQUEST_COMPLETE);
		return 0;
	case FCGI_PARAMS:
		if (!(r = find_req(c, id, NULL)))
			return 0; /* a request already ended (overloaded, refused) */
		if (len == 0)
			return each_pair(r->params.p, r->params.len, take_path_info, r);
		if (r->params.len + len > MAX_PARAMS)
			return -1;
		put(&r->params, body, len);
		return 0;
	case FCGI_STDIN:
		if (!(r = find_req(c, id, NULL)))
			return 0;
		r->stdin_len += len;
		if (len == 0) {
			r->input_done = 1;
			r->due = now_ms() + g.delay_ms;
		}
		return 0;
	case FCGI_DATA:
		return 0;
	default: {
		FCGI_UnknownTypeBody u = {.type = h->type};
		put_records(&c->out, FCGI_UNKNOWN_TYPE, 0, &u, sizeof u);
		return 0;
	}
	}
}

static void drop_conn(size_t i)
{
	struct conn *c = g.conns[i];
	for (size_t k = 0; k < c->nreqs; k++) {
		free(c->reqs[k]->params.p);
		free(c->reqs[k]->path_info);
		free(c->reqs[k]);
		g.inflight--;
	}
	close(c->fd);
	free(c->reqs);
	free(c->in.p);
	free(c->out.p);
	free(c);
	g.conns[i] = g.conns[--g.nconns];
}

/* Reads what is there and handles every whole record. Returns -1 to drop. */
static int on_readable(struct conn *c)
{
	unsigned char tmp[65536];
	size_t at = 0;
	ssize_t n = read(c->fd, tmp, sizeof tmp);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n < 0)
		return 0;
	if (c->closing)
		return 0; /* no more requests on a connection being closed */
	put(&c->in, tmp, (size_t)n);
	while (c->in.len - at >= FCGI_HEADER_LEN && !c->closing) {
		FCGI_Header h;
		size_t total;
		memcpy(&h, c->in.p + at, sizeof h);
		total = FCGI_HEADER_LEN + (size_t)(h.contentLengthB1 << 8 | h.contentLengthB0) +
		        h.paddingLength;
		if (h.version != FCGI_VERSION_1)
			return -1;
		if (c->in.len - at < total)
			break;
		if (on_record(c, &h, c->in.p + at + FCGI_HEADER_LEN) < 0)
			return -1;
		at += total;
	}
	memmove(c->in.p, c->in.p + at, c->in.len - at);
	c->in.len -= at;
	return 0;
}

/* Writes what is pending. Returns -1 to drop (an error, or done while closing). */
static int on_writable(struct conn *c)
{
	while (c->out.len > 0) {
		ssize_t n = write(c->fd, c->out.p, c->out.len);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		memmove(c->out.p, c->out.p + n, c->out.len - (size_t)n);
		c->out.len -= (size_t)n;
	}
	return c->closing ? -1 : 0;
}

static int listen_on(const char *path, const char *port)
{
	int fd;
	if (path) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		if (strlen(path) >= sizeof sa.sun_path)
			die("%s: path too long", path);
		strcpy(sa.sun_path, path);
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
			die("socket: %s", strerror(errno));
		unlink(path);
		umask(077);
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0600) < 0)
			die("%s: %s", path, strerror(errno));
	} else {
		struct sockaddr_in sa = {.sin_family = AF_INET};
		socklen_t slen = sizeof sa;
		int one = 1;
		char *end;
		long p = strtol(port, &end, 10);
		if (*end || p < 0 || p > 65535)
			die("%s: not a port", port);
		sa.sin_port = htons((uint16_t)p);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			die("socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
		    getsockname(fd, (struct sockaddr *)&sa, &slen) < 0)
			die("127.0.0.1:%s: %s", port, strerror(errno));
		printf("listening %u\n", ntohs(sa.sin_port));
	}
	if (listen(fd, 128) < 0)
		die("listen: %s", strerror(errno));
	if (path)
		printf("listening %s\n", path);
	fflush(stdout);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

static void accept_conns(int lfd)
{
	int fd;
	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		struct conn *c;
		if (g.nconns == MAX_CONNS) {
			close(fd);
			continue;
		}
		if (!(c = calloc(1, sizeof *c)))
			die("out of memory");
		fcntl(fd, F_SETFL, O_NONBLOCK);
		c->fd = fd;
		c->no = ++g.connections;
		g.conns[g.nconns++] = c;
		write_stats();
	}
}

/* Answers every request whose time has come; returns the ms to the next, or -1. */
static int run_timers(void)
{
	long long now = now_ms(), next = -1;
	for (size_t i = 0; i < g.nconns; i++) {
		struct conn *c = g.conns[i];
		for (size_t k = 0; k < c->nreqs && !c->closing;) {
			struct req *r = c->reqs[k];
			if (!r->input_done) {
				k++;
			} else if (r->due <= now) {
				answer(c, r); /* moves the last request into slot k */
			} else {
				if (next < 0 || r->due - now < next)
					next = r->due - now;
				k++;
			}
		}
	}
	return (int)next;
}

int main(int argc, char **argv)
{
	const char *port = NULL;
	struct pollfd *pfd;
	struct sigaction sa = {.sa_handler = on_signal};
	int opt, lfd;
	while ((opt = getopt(argc, argv, "s:p:d:n:r:Moegc:")) != -1) {
		switch (opt) {
		case 's':
			g.sock_path = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'd':
			g.delay_ms = atoi(optarg);
			break;
		case 'n':
			g.max_conns = atoi(optarg);
			break;
		case 'r':
			g.max_reqs = atoi(optarg);
			break;
		case 'M':
			g.no_mpx = 1;
			break;
		case 'o':
			g.overloaded = 1;
			break;
		case 'g':
			g.garbage = 1;
			break;
		case 'e':
			g.log_stderr = 1;
			break;
		case 'c':
			g.stats_file = optarg;
			break;
		default:
			die("usage: fcgi-mpx-responder (-s PATH | -p PORT) [-d MS] [-n CONNS] "
			    "[-r REQS] [-M] [-o] [-g] [-e] [-c FILE]");
		}
	}
	if (!g.sock_path == !port || optind != argc || g.delay_ms < 0)
		die("give one of -s PATH and -p PORT (and a delay >= 0)");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(g.sock_path, port);
	write_stats();
	if (!(pfd = calloc(MAX_CONNS + 1, sizeof *pfd)))
		die("out of memory");
	while (!stop) {
		int timeout = run_timers(), n;
		size_t nc = g.nconns;
		pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (size_t i = 0; i < nc; i++) {
			struct conn *c = g.conns[i];
			pfd[i + 1] = (struct pollfd){.fd = c->fd, .events = POLLIN};
			if (c->out.len || c->closing)
				pfd[i + 1].events |= POLLOUT;
		}
		n = poll(pfd, nc + 1, timeout);
		if (n < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (n <= 0)
			continue;
		/* Back to front, so that dropping (which moves the last into i) is safe. */
		for (size_t i = nc; i-- > 0;) {
			if ((pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) && on_readable(g.conns[i]) < 0)
				drop_conn(i);
		}
		run_timers(); /* a request without delay is answered at once */
		for (size_t i = g.nconns; i-- > 0;) {
			if ((g.conns[i]->out.len || g.conns[i]->closing) && on_writable(g.conns[i]) < 0)
				drop_conn(i);
		}
		if (pfd[0].revents & POLLIN)
			accept_conns(lfd);
	}
	while (g.nconns)
		drop_conn(g.nconns - 1);
	close(lfd);
	if (g.sock_path)
		unlink(g.sock_path);
	free(pfd);
	return 0;
}
