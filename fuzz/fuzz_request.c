/* fuzz_request.c - libFuzzer harness for stanza -> environment (request.c).
 *
 * Input: one byte of choices (stanza name, sender, control socket), then NUL-separated
 * attribute names and values, which go to request_build_env as libstrophe would hand
 * them over. The environment must have names of [A-Z0-9_], each once, hold the values
 * the bridge sets, and XMPP_STANZA_FROM, _TO, _ID and _TYPE must come from the real
 * from, to, id and type attributes and from nothing else (issue 10, hole 1). The same
 * bytes, as stanza text, then go through request_stdin_document from an allocation of
 * exactly their size, so that reading past the end is caught; when they are one
 * well-formed element, the document made of them must be well-formed too. */
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "request.h"

#define MAX_PAIRS (REQ_MAX_ATTRS + 4)

static const char *value_of(const char *const *attrs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(attrs[2 * i], name) == 0)
			return attrs[2 * i + 1];
	return NULL;
}

static void expect(const struct cgi_env *env, const char *name, const char *want, const void *in,
                   size_t len, const char *what)
{
	const char *got = cgi_env_get(env, name);
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
		oracle_fail(what, in, len);
}

static void check_env(const struct cgi_env *env, const struct request_meta *m, const void *in,
                      size_t len)
{
	static const char *const real[][2] = {{"from", "XMPP_STANZA_FROM"},
	                                      {"to", "XMPP_STANZA_TO"},
	                                      {"id", "XMPP_STANZA_ID"},
	                                      {"type", "XMPP_STANZA_TYPE"}};
	for (size_t i = 0; i < env->n; i++) {
		const char *v = env->vars[i], *eq = strchr(v, '=');
		size_t nl = eq ? (size_t)(eq - v) : 0;
		if (!eq || !nl || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != nl)
			oracle_fail("variable name outside [A-Z0-9_]", in, len);
		for (size_t j = 0; j < i; j++)
			if (strncmp(env->vars[j], v, nl + 1) == 0)
				oracle_fail("a variable set twice", in, len);
	}
	if (env->vars[env->n])
		oracle_fail("environment not NULL-terminated", in, len);
	expect(env, "GATEWAY_INTERFACE", "CGI/1.1", in, len, "GATEWAY_INTERFACE shadowed");
	expect(env, "XMPP_STANZA", m->stanza_name, in, len, "XMPP_STANZA shadowed");
	expect(env, "XMPP_ROUTE", m->route, in, len, "XMPP_ROUTE shadowed");
	expect(env, "REMOTE_USER", *m->remote_user ? m->remote_user : NULL, in, len,
	       "REMOTE_USER shadowed");
	expect(env, "REMOTE_ADDR", m->remote_addr, in, len, "REMOTE_ADDR shadowed");
	expect(env, "PATH_INFO", m->path_info, in, len, "PATH_INFO shadowed");
	expect(env, "XMPP_CGI_SOCKET", m->control_socket, in, len, "XMPP_CGI_SOCKET shadowed");
	if (oracle_known("from-shadow"))
		return;
	for (size_t i = 0; i < sizeof real / sizeof real[0]; i++)
		expect(env, real[i][1], value_of(m->attrs, m->n_attrs, real[i][0]), in, len,
		       "XMPP_STANZA_FROM, _TO, _ID or _TYPE not the real attribute (hole 1)");
}

static void quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static bool well_formed(const char *text, size_t len)
{
	xmlParserCtxtPtr ctxt = xmlCreateMemoryParserCtxt(text, (int)len);
	bool ok;
	if (!ctxt)
		return false;
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	xmlParseDocument(ctxt);
	ok = ctxt->wellFormed && ctxt->nsWellFormed && ctxt->myDoc && !ctxt->myDoc->intSubset;
	xmlFreeDoc(ctxt->myDoc);
	xmlFreeParserCtxt(ctxt);
	return ok;
}

static void stdin_document(const uint8_t *data, size_t size)
{
	bool known = oracle_known("xml-lang");
	char *text = malloc(size + (known ? 8 : 0)), *doc;
	size_t out_len = 0;
	if (!text || size > 100000) {
		free(text);
		return;
	}
	/* libstrophe's text has no NUL; make it exactly size bytes, unterminated */
	for (size_t i = 0; i < size; i++)
		text[i] = data[i] ? (char)data[i] : ' ';
	if (known)
		memset(text + size, 0, 8);
	doc = request_stdin_document(text, size, &out_len);
	if (doc && !known && size && text[0] == '<' && memcmp(text, "<?", 2) != 0 &&
	    well_formed(text, size) && !well_formed(doc, out_len))
		oracle_fail("stdin document of a well-formed stanza is not well-formed", text, size);
	free(doc);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"iq", "message", "presence", "iq"};
	const char *attrs[2 * MAX_PAIRS];
	struct request_meta m;
	struct cgi_env env;
	const char *reason = NULL;
	char *copy;
	size_t n = 0;

	if (size < 1)
		return 0;
	xmlSetGenericErrorFunc(NULL, quiet);
	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data + 1, size - 1);
	copy[size - 1] = '\0';
	for (char *p = copy; n < 2 * MAX_PAIRS && p < copy + size - 1; p += strlen(p) + 1)
		attrs[n++] = p;
	if (n % 2)
		attrs[n++] = "";
	/* XML has no element with one attribute twice */
	for (size_t i = 0; i < n; i += 2)
		for (size_t j = 0; j < i; j += 2)
			if (strcmp(attrs[i], attrs[j]) == 0) {
				free(copy);
				return 0;
			}
	m = (struct request_meta){.stanza_name = names[data[0] & 3],
	                          .attrs = attrs,
	                          .n_attrs = n / 2,
	                          .route = "route",
	                          .path_info = "/route",
	                          .server_name = "localhost",
	                          .server_port = 5222,
	                          .remote_addr = "127.0.0.1",
	                          .remote_user = data[0] & 4 ? "alice@localhost" : "",
	                          .path = "/usr/bin:/bin",
	                          .content_length = size,
	                          .control_socket = data[0] & 8 ? "/run/xmpp-cgi/control" : NULL};
	if (request_build_env(&m, &env, &reason) == 0) {
		check_env(&env, &m, data, size);
		cgi_env_free(&env);
	} else if (!reason)
		oracle_fail("environment refused without a reason", (const char *)data, size);
	free(copy);
	stdin_document(data + 1, size - 1);
	return 0;
}
