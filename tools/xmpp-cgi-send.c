/* xmpp-cgi-send.c - sends stanzas through a running xmpp-cgi's control socket.
 *
 * A client of doc/control-protocol.md, for handlers and any local program: a chat
 * message, a stanza the caller wrote, or an iq whose answer it waits for and prints.
 * Several --to send the same thing to each recipient in turn (a broadcast). The exit
 * status says what happened (see xmpp-cgi-send(1)). Inside a handler it presents the
 * request's XMPP_CGI_TOKEN first, and then may send only as the handler's own route.
 * Plain POSIX sockets, no libraries. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "autoconfig.h"

enum exit_code {
	EX_OK = 0,
	EX_USAGE = 1,
	EX_SOCKET = 2,
	EX_ROUTE = 3,
	EX_REQUEST = 4,
	EX_OFFLINE = 5,
	EX_FORBIDDEN = 6,
	EX_TIMEOUT = 7,
	EX_IQ_ERROR = 8,
};

#define MAX_TO 1000
#define MAX_INPUT (16 * 1024 * 1024)

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: xmpp-cgi-send --from-route ROUTE --to JID [--to JID]... WHAT\n"
	        "Send stanzas from a route of a running xmpp-cgi, through its control socket.\n"
	        "\n"
	        "WHAT is one of:\n"
	        "  -m, --message TEXT    a message with this body (type chat, or as --type says)\n"
	        "      --stanza FILE     a message, presence or iq written by the caller (- = stdin)\n"
	        "      --iq FILE         an iq get or set (- = stdin); with --wait, print the answer\n"
	        "\n"
	        "  -r, --from-route ROUTE  the route whose address sends (in a handler: its own)\n"
	        "  -t, --to JID            a recipient; repeat for several\n"
	        "      --type chat|normal|groupchat  the type of a --message (default chat;\n"
	        "                          groupchat: TO is a room the route is in)\n"
	        "  -w, --wait              wait for the iq's answer and print it\n"
	        "      --timeout SECONDS   how long --wait waits (default 30)\n"
	        "  -s, --socket PATH       the control socket (default $XMPP_CGI_SOCKET)\n"
	        "  $XMPP_CGI_TOKEN         a handler's token, presented first when set\n"
	        "  -h, --help, -V, --version\n"
	        "\n"
	        "Exit status: 0 sent (or queued), 1 usage, 2 socket, 3 unknown route,\n"
	        "4 bad request, 5 offline, stopping or not in the room, 6 forbidden, 7 timeout,\n"
	        "8 iq error.\n");
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *data;
	size_t n;
	if (!f)
		return NULL;
	data = malloc(MAX_INPUT + 1);
	*len = 0;
	while (data && (n = fread(data + *len, 1, MAX_INPUT - *len, f)) > 0)
		*len += n;
	if (f != stdin)
		fclose(f);
	if (data && *len == MAX_INPUT) {
		free(data);
		errno = EFBIG;
		return NULL;
	}
	return data;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one answer line (without the newline) into line. */
static int read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, line + n, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		if (line[n] == '\n') {
			line[n] = '\0';
			return 0;
		}
		n++;
	}
	return -1;
}

static int read_exact(int fd, char *p, size_t len)
{
	while (len) {
		ssize_t r = read(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int code_status(const char *code)
{
	static const struct {
		const char *code;
		int status;
	} map[] = {
	    {"unknown-route", EX_ROUTE}, {"bad-request", EX_REQUEST}, {"bad-xml", EX_REQUEST},
	    {"bad-to", EX_REQUEST},      {"too-large", EX_REQUEST},   {"forbidden", EX_FORBIDDEN},
	    {"offline", EX_OFFLINE},     {"shutdown", EX_OFFLINE},    {"timeout", EX_TIMEOUT},
	    {"bad-token", EX_FORBIDDEN}, {"busy", EX_OFFLINE},        {"idle", EX_SOCKET},
	    {"not-in-room", EX_OFFLINE}};
	size_t len = strcspn(code, " ");
	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (strlen(map[i].code) == len && strncmp(code, map[i].code, len) == 0)
			return map[i].status;
	return EX_SOCKET;
}

/* "token TOKEN": binds the connection to the handler's request. Returns 0 with the
 * request's route in route, or the exit status a refusal deserves. */
static int present_token(int fd, const char *token, char *route, size_t size)
{
	char line[1200];
	int n = snprintf(line, sizeof line, "token %s\n", token);
	if (n < 0 || (size_t)n >= sizeof line || strchr(token, ' ') || strchr(token, '\n')) {
		fprintf(stderr, "xmpp-cgi-send: XMPP_CGI_TOKEN is malformed\n");
		return EX_USAGE;
	}
	/* a refusal may have been written, and the connection closed, before all was sent:
	 * whatever the write did, the answer line says what happened */
	(void)write_all(fd, line, (size_t)n);
	if (read_line(fd, line, sizeof line) != 0) {
		fprintf(stderr, "xmpp-cgi-send: the bridge closed the control connection\n");
		return EX_SOCKET;
	}
	if (strncmp(line, "ok token ", 9) == 0 && strlen(line + 9) < size) {
		strcpy(route, line + 9);
		return EX_OK;
	}
	if (strncmp(line, "fail ", 5) == 0) {
		fprintf(stderr, "xmpp-cgi-send: XMPP_CGI_TOKEN: %s\n", line + 5);
		return code_status(line + 5);
	}
	fprintf(stderr, "xmpp-cgi-send: unexpected answer: %s\n", line);
	return EX_SOCKET;
}

/* One request and its answer; returns the exit status it deserves. */
static int request(int fd, const char *verb, const char *route, const char *to, const char *payload,
                   size_t len, unsigned timeout_ms)
{
	char line[1200];
	int n = timeout_ms
	            ? snprintf(line, sizeof line, "%s %s %s %zu %u\n", verb, route, to, len, timeout_ms)
	            : snprintf(line, sizeof line, "%s %s %s %zu\n", verb, route, to, len);
	if (n < 0 || (size_t)n >= sizeof line) {
		fprintf(stderr, "xmpp-cgi-send: route or recipient too long\n");
		return EX_USAGE;
	}
	/* as in present_token(): the answer line, if any, tells */
	if (write_all(fd, line, (size_t)n) == 0)
		(void)write_all(fd, payload, len);
	if (read_line(fd, line, sizeof line)) {
		fprintf(stderr, "xmpp-cgi-send: the bridge closed the control connection\n");
		return EX_SOCKET;
	}
	if (strcmp(line, "ok sent") == 0)
		return EX_OK;
	if (strcmp(line, "ok queued") == 0) {
		fprintf(stderr, "xmpp-cgi-send: %s: queued: route %s is offline; sent on reconnect\n", to,
		        route);
		return EX_OK;
	}
	if (strncmp(line, "result ", 7) == 0 || strncmp(line, "error ", 6) == 0) {
		int is_error = line[0] == 'e';
		size_t alen = strtoul(line + (is_error ? 6 : 7), NULL, 10);
		char *answer = malloc(alen + 1);
		if (!answer || read_exact(fd, answer, alen)) {
			free(answer);
			fprintf(stderr, "xmpp-cgi-send: the bridge closed the control connection\n");
			return EX_SOCKET;
		}
		fwrite(answer, 1, alen, stdout);
		putchar('\n');
		fflush(stdout);
		free(answer);
		return is_error ? EX_IQ_ERROR : EX_OK;
	}
	if (strncmp(line, "fail ", 5) == 0) {
		fprintf(stderr, "xmpp-cgi-send: %s: %s\n", to, line + 5);
		return code_status(line + 5);
	}
	fprintf(stderr, "xmpp-cgi-send: unexpected answer: %s\n", line);
	return EX_SOCKET;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"from-route", required_argument, NULL, 'r'},
	                                     {"to", required_argument, NULL, 't'},
	                                     {"message", required_argument, NULL, 'm'},
	                                     {"stanza", required_argument, NULL, 'S'},
	                                     {"iq", required_argument, NULL, 'I'},
	                                     {"type", required_argument, NULL, 'T'},
	                                     {"wait", no_argument, NULL, 'w'},
	                                     {"timeout", required_argument, NULL, 'o'},
	                                     {"socket", required_argument, NULL, 's'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {"version", no_argument, NULL, 'V'},
	                                     {NULL, 0, NULL, 0}};
	const char *route = NULL, *message = NULL, *stanza = NULL, *iq = NULL, *type = "chat";
	const char *sock_path = getenv("XMPP_CGI_SOCKET"), *token = getenv("XMPP_CGI_TOKEN");
	char own_route[128];
	const char *to[MAX_TO];
	size_t n_to = 0, len = 0;
	unsigned timeout_ms = 30000;
	int wait = 0, c, worst = EX_OK, fd, whats;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *payload;
	const char *verb;

	while ((c = getopt_long(argc, argv, "r:t:m:ws:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			route = optarg;
			break;
		case 't':
			if (n_to == MAX_TO) {
				fprintf(stderr, "xmpp-cgi-send: at most %d recipients\n", MAX_TO);
				return EX_USAGE;
			}
			to[n_to++] = optarg;
			break;
		case 'm':
			message = optarg;
			break;
		case 'S':
			stanza = optarg;
			break;
		case 'I':
			iq = optarg;
			break;
		case 'T':
			type = optarg;
			break;
		case 'w':
			wait = 1;
			break;
		case 'o': {
			char *end;
			double s = strtod(optarg, &end);
			if (*end || s <= 0 || s > 3600) {
				fprintf(stderr, "xmpp-cgi-send: --timeout takes seconds, up to 3600\n");
				return EX_USAGE;
			}
			timeout_ms = (unsigned)(s * 1000);
			if (!timeout_ms)
				timeout_ms = 1;
			break;
		}
		case 's':
			sock_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return EX_OK;
		case 'V':
			printf("xmpp-cgi-send %s\n", PACKAGE_VERSION);
			return EX_OK;
		default:
			fprintf(stderr, "Try 'xmpp-cgi-send --help' for more information.\n");
			return EX_USAGE;
		}
	}
	whats = !!message + !!stanza + !!iq;
	if (token && !*token)
		token = NULL;
	if (optind < argc || (!route && !token) || !n_to || whats != 1 || (wait && !iq) ||
	    (strcmp(type, "chat") && strcmp(type, "normal") && strcmp(type, "groupchat"))) {
		fprintf(stderr, "xmpp-cgi-send: needs --from-route (or XMPP_CGI_TOKEN), at least one "
		                "--to, and one of "
		                "--message, --stanza, --iq (--wait only with --iq)\n");
		fprintf(stderr, "Try 'xmpp-cgi-send --help' for more information.\n");
		return EX_USAGE;
	}
	if (!sock_path || !*sock_path) {
		fprintf(stderr, "xmpp-cgi-send: no control socket: give --socket or set XMPP_CGI_SOCKET\n");
		return EX_USAGE;
	}
	if (message) {
		payload = strdup(message);
		len = strlen(message);
		verb = strcmp(type, "chat") == 0 ? "message" : type; /* normal, groupchat */
	} else {
		payload = read_all(stanza ? stanza : iq, &len);
		if (!payload) {
			fprintf(stderr, "xmpp-cgi-send: %s: %s\n", stanza ? stanza : iq, strerror(errno));
			return EX_USAGE;
		}
		verb = iq && wait ? "iq" : "stanza";
	}
	if (strlen(sock_path) >= sizeof sa.sun_path) {
		fprintf(stderr, "xmpp-cgi-send: socket path too long\n");
		free(payload);
		return EX_USAGE;
	}
	strcpy(sa.sun_path, sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		fprintf(stderr, "xmpp-cgi-send: %s: %s\n", sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		free(payload);
		return EX_SOCKET;
	}
	if (token && (worst = present_token(fd, token, own_route, sizeof own_route)) != EX_OK) {
		close(fd);
		free(payload);
		return worst;
	}
	if (!route)
		route = own_route;
	for (size_t i = 0; i < n_to; i++) {
		int rc =
		    request(fd, verb, route, to[i], payload, len, strcmp(verb, "iq") == 0 ? timeout_ms : 0);
		if (rc > worst)
			worst = rc;
		if (rc == EX_SOCKET || (rc == EX_REQUEST && strchr(to[i], ' ')))
			break;
	}
	close(fd);
	free(payload);
	return worst;
}
