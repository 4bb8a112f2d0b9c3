/* native-responder.c - the upper bound of the XMPP path for bench/run.
 *
 * A libstrophe program that answers every iq get or set at once with an empty result:
 * no bridge, no handler. It connects the way the bridge does (stream management off;
 * as a client with TLS verified against a CA file, or as a XEP-0114 component), so
 * the load generator measures the server and libstrophe alone.
 *
 *   native-responder --jid JID/RESOURCE --pass P --port N [--host H] [--cafile F]
 *   native-responder --component DOMAIN --secret S --port N [--host H]
 *
 * With --echo the result carries the request back, as cgi-examples/fcgi-echo answers
 * (<echo xmlns='urn:xmpp-cgi:echo'>STANZA</echo>): the same reply size as the bridge's
 * FastCGI route, to tell the server's share of the cost from the bridge's.
 *
 * Prints "online" on stdout once the session is up; SIGTERM or SIGINT: prints
 * "answered N" and exits 0. Exit 1 when the login fails or the connection is lost. */
#include <getopt.h>
#include <signal.h>
#include <unistd.h>

#include "bench_xmpp.h"

static struct xb xb;
static int component, echo;
static unsigned long answered;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_iq(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
	const char *type = xmpp_stanza_get_type(st);
	const char *id = xmpp_stanza_get_id(st), *from = xmpp_stanza_get_from(st);
	const char *to = xmpp_stanza_get_to(st);
	char eid[256], efrom[512], eto[512], out[8192], *text = NULL;
	size_t tlen = 0;
	int n;
	(void)ud;
	xb.progress++;
	if (!type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
		return 1;
	xb_attr_escape(eid, sizeof eid, id ? id : "");
	xb_attr_escape(efrom, sizeof efrom, from ? from : "");
	if (echo)
		xmpp_stanza_to_text(st, &text, &tlen);
	if (component) /* a component stamps its own from */
		xb_attr_escape(eto, sizeof eto, to ? to : "");
	n = snprintf(out, sizeof out, "<iq type='result' id='%s'", eid);
	if (from)
		n += snprintf(out + n, sizeof out - (size_t)n, " to='%s'", efrom);
	if (component)
		n += snprintf(out + n, sizeof out - (size_t)n, " from='%s'", eto);
	if (text && (size_t)n + tlen + 64 < sizeof out)
		n += snprintf(out + n, sizeof out - (size_t)n,
		              "><echo xmlns='urn:xmpp-cgi:echo'>%s</echo></iq>", text);
	else
		n += snprintf(out + n, sizeof out - (size_t)n, "/>");
	if (text)
		xmpp_free(xb.ctx, text);
	xmpp_send_raw(conn, out, (size_t)n);
	answered++;
	return 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: native-responder --jid JID/RES --pass P --port N [--host H] "
	                "[--cafile F] [--echo]\n"
	                "       native-responder --component DOMAIN --secret S --port N "
	                "[--host H]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *jid = NULL, *pass = NULL, *host = "127.0.0.1", *cafile = NULL;
	const char *domain = NULL, *secret = NULL;
	unsigned port = 0;
	static const struct option opts[] = {
	    {"jid", 1, 0, 'j'},    {"pass", 1, 0, 'p'},   {"host", 1, 0, 'H'},
	    {"port", 1, 0, 'P'},   {"cafile", 1, 0, 'c'}, {"component", 1, 0, 'C'},
	    {"secret", 1, 0, 's'}, {"echo", 0, 0, 'e'},   {0, 0, 0, 0}};
	int c, rc;
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
		case 'C':
			domain = optarg;
			break;
		case 's':
			secret = optarg;
			break;
		case 'e':
			echo = 1;
			break;
		default:
			usage();
		}
	}
	if (!port || (domain ? !secret : (!jid || !pass)))
		usage();
	component = domain != NULL;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	xb_init(&xb);
	xmpp_handler_add(xb.conn, on_iq, NULL, "iq", NULL, NULL);
	rc = component ? xb_connect_component(&xb, domain, secret, host, (unsigned short)port)
	               : xb_connect_client(&xb, jid, pass, host, (unsigned short)port, cafile);
	if (rc != 0 || xb_wait_online(&xb, 20) != 0) {
		fprintf(stderr, "native-responder: cannot log in as %s on %s:%u\n",
		        component ? domain : jid, host, port);
		return 1;
	}
	if (!component) /* as the bridge: only stanzas to this full JID */
		xmpp_send_raw_string(xb.conn, "<presence><priority>-1</priority></presence>");
	printf("online\n");
	fflush(stdout);
	while (!stop && xb.online == 1)
		xb_pump(&xb, 1000);
	printf("answered %lu\n", answered);
	fflush(stdout);
	if (xb.online == 1) {
		xb.closing = 1;
		xmpp_disconnect(xb.conn);
		for (int i = 0; i < 50 && xb.online == 1; i++)
			xb_pump(&xb, 10);
		return 0;
	}
	return stop ? 0 : 1;
}
