/* fcgi-echo.c - xmpp-cgi example FastCGI application: send the request stanza back.
 *
 * Owns the FastCGI counterpart of echo.sh, built on libfcgi (fcgiapp.h), for trying the
 * bridge's FastCGI routes and for the end-to-end tests:
 *
 *   fcgi-echo -s /path/to.sock
 *
 * listens on a unix socket, mode 0600 (an old socket file at that path is replaced),
 * and answers requests one at a time. The stanza (CONTENT_LENGTH bytes of stdin) comes
 * back as an application/xml payload
 *
 *   <echo xmlns='urn:xmpp-cgi:echo'> ...the stanza without its XML declaration... </echo>
 *
 * exactly as echo.sh does, unless the stanza carries a SOAP 1.2 Envelope: then the
 * answer is an application/soap+xml Envelope whose Body holds
 * <echoResponse xmlns='urn:xmpp-cgi:fcgi-echo'> with the stanza's length in bytes and
 * its PATH_INFO. With FCGI_ECHO_LOG_STDERR=1 in its environment it also writes one line
 * per request to FCGI_STDERR, which the bridge logs.
 *
 * Security: libfcgi up to 2.4.4 has an integer overflow in parameter parsing
 * (CVE-2025-23016) that a peer on its socket can reach. Debian bookworm's 2.4.2-2+deb12u1
 * carries the fix, older builds do not, so this program only listens on a unix socket
 * that only its own user can open (no TCP; a path with ':' is refused because libfcgi
 * would take it for host:port). The bridge caps every name and value it sends. */
#include <fcgiapp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_STANZA (16 * 1024 * 1024)
#define SOAP12_NS "http://www.w3.org/2003/05/soap-envelope"

static const char *sock_path;

/* Removes the socket file on SIGTERM/SIGINT; unlink and _exit are async-signal-safe. */
static void on_signal(int sig)
{
	(void)sig;
	if (sock_path)
		unlink(sock_path);
	_exit(0);
}

static void put_escaped(FCGX_Stream *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			FCGX_PutS("&lt;", out);
			break;
		case '>':
			FCGX_PutS("&gt;", out);
			break;
		case '&':
			FCGX_PutS("&amp;", out);
			break;
		case '\'':
			FCGX_PutS("&apos;", out);
			break;
		default:
			FCGX_PutChar(*s, out);
		}
	}
}

/* Reads the stanza: CONTENT_LENGTH bytes when it is a number, else all of stdin.
 * Returns a malloc'd buffer (NUL-terminated) or NULL with *status set (400, 413, 500). */
static char *read_stanza(FCGX_Request *req, size_t *len, int *status)
{
	const char *cl = FCGX_GetParam("CONTENT_LENGTH", req->envp);
	size_t want = MAX_STANZA + 1, cap;
	char *buf, *end;
	int exact = 0;
	if (cl && *cl) {
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || *cl == '-') {
			*status = 400;
			return NULL;
		}
		if (n > MAX_STANZA) {
			*status = 413;
			return NULL;
		}
		want = (size_t)n;
		exact = 1;
	}
	cap = exact ? want + 1 : 65536;
	if (!(buf = malloc(cap))) {
		*status = 500;
		return NULL;
	}
	*len = 0;
	while (*len < want) {
		size_t room = cap - 1 - *len;
		int n;
		if (room == 0) {
			size_t ncap = cap * 2 > MAX_STANZA + 2 ? MAX_STANZA + 2 : cap * 2;
			char *p = realloc(buf, ncap);
			if (!p) {
				free(buf);
				*status = 500;
				return NULL;
			}
			buf = p;
			cap = ncap;
			continue;
		}
		n = FCGX_GetStr(buf + *len, room > 65536 ? 65536 : (int)room, req->in);
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	if ((exact && *len < want) || *len > MAX_STANZA) {
		free(buf);
		*status = *len > MAX_STANZA ? 413 : 400; /* too much, or stdin ended early */
		return NULL;
	}
	buf[*len] = '\0';
	return buf;
}

/* The stanza without a leading XML declaration and the blanks after it. */
static const char *skip_declaration(const char *s, const char *end)
{
	const char *q;
	if ((size_t)(end - s) < 5 || memcmp(s, "<?xml", 5) != 0)
		return s;
	if (!(q = strstr(s, "?>")))
		return s;
	for (q += 2; q < end && (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\n'); q++)
		;
	return q;
}

static void answer(FCGX_Request *req, unsigned long count)
{
	const char *path = FCGX_GetParam("PATH_INFO", req->envp);
	const char *method = FCGX_GetParam("REQUEST_METHOD", req->envp);
	const char *log = getenv("FCGI_ECHO_LOG_STDERR");
	int status = 0;
	size_t len = 0;
	char line[512];
	char *stanza = read_stanza(req, &len, &status);

	if (log && strcmp(log, "1") == 0) {
		snprintf(line, sizeof line, "fcgi-echo: request %lu %s %s, %zu bytes%s\n", count,
		         method ? method : "-", path ? path : "-", len, stanza ? "" : " (refused)");
		FCGX_PutS(line, req->err);
	}
	if (!stanza) {
		const char *reason = status == 413   ? "413 Payload Too Large"
		                     : status == 400 ? "400 Bad Request"
		                                     : "500 Internal Server Error";
		FCGX_FPrintF(req->out, "Status: %s\r\nContent-Type: text/plain\r\n\r\n%s\n", reason,
		             reason);
		return;
	}
	if (strstr(stanza, SOAP12_NS)) {
		FCGX_PutS("Content-Type: application/soap+xml; charset=utf-8\r\n\r\n"
		          "<env:Envelope xmlns:env='" SOAP12_NS "'><env:Body>"
		          "<echoResponse xmlns='urn:xmpp-cgi:fcgi-echo'>",
		          req->out);
		snprintf(line, sizeof line, "<length>%zu</length><path>", len);
		FCGX_PutS(line, req->out);
		put_escaped(req->out, path ? path : "");
		FCGX_PutS("</path></echoResponse></env:Body></env:Envelope>\n", req->out);
	} else {
		const char *body = skip_declaration(stanza, stanza + len);
		FCGX_PutS("Content-Type: application/xml\r\n\r\n<echo xmlns='urn:xmpp-cgi:echo'>",
		          req->out);
		FCGX_PutStr(body, (int)(stanza + len - body), req->out);
		FCGX_PutS("</echo>\n", req->out);
	}
	free(stanza);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	FCGX_Request req;
	unsigned long count = 0;
	mode_t old;
	int opt, fd;

	while ((opt = getopt(argc, argv, "s:")) != -1) {
		if (opt != 's')
			goto usage;
		sock_path = optarg;
	}
	if (!sock_path || optind != argc)
		goto usage;
	if (strchr(sock_path, ':')) {
		fprintf(stderr, "fcgi-echo: %s: unix socket paths only (no ':')\n", sock_path);
		return 2;
	}
	if (FCGX_Init() != 0) {
		fprintf(stderr, "fcgi-echo: FCGX_Init failed\n");
		return 1;
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	old = umask(077); /* the socket is 0600 from the start, not after a chmod */
	fd = FCGX_OpenSocket(sock_path, 64);
	umask(old);
	if (fd < 0 || chmod(sock_path, 0600) != 0) {
		perror(sock_path);
		return 1;
	}
	if (FCGX_InitRequest(&req, fd, 0) != 0) {
		fprintf(stderr, "fcgi-echo: FCGX_InitRequest failed\n");
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		answer(&req, ++count);
		FCGX_Finish_r(&req);
	}
	unlink(sock_path);
	return 0;

usage:
	fprintf(stderr, "usage: fcgi-echo -s /path/to.sock\n");
	return 2;
}
