/* test_request.c - unit tests for bridge/mapping/request.c, stanza -> CGI/1.1 environment.
 *
 * Checks doc/design-notes.md section 2 as request.h applies it: every fixed CGI variable and
 * its value, PATH defaulting when the caller gives none and replaced by a route's
 * env = PATH=..., CONTENT_LENGTH, REMOTE_USER and AUTH_TYPE only for a known sender,
 * the XMPP_STANZA_* mapping of stanza attributes (to/from/id/type, xml:lang, data-x,
 * mixed case), namespace declarations skipped, the collision rule ("a-b", "a.b", "a_b"
 * become XMPP_STANZA_A_B, _A_B_2, _A_B_3 in byte order of the original names whatever
 * the input order), the real to/from/id/type/xml:lang always under their own names and
 * every attribute that would shadow a variable the bridge sets refused (case variants,
 * '-', '.', ':' variants, route env and param names, the _N rule skipping them), the
 * refusals (more than REQ_MAX_ATTRS attributes, a value over
 * REQ_MAX_ATTR_VALUE, a name too long) with a reason, the route's extra variables
 * last, and that nothing else is present: the variables are counted, the daemon's own
 * environment never leaks in, and HTTP_PROXY is never set. The stdin document: the
 * declaration, jabber:client, lang given its xml: prefix unless an xml:lang attribute
 * is there, "xml:lang" inside a value taken as text, every truncation of a start tag
 * read within its length. The variables web servers
 * add for frameworks: REQUEST_URI (PATH_INFO escaped as a request-target), DOCUMENT_URI,
 * DOCUMENT_ROOT (the script's directory), HTTP_HOST, REQUEST_SCHEME, REDIRECT_STATUS,
 * SERVER_PROTOCOL=HTTP/1.1, and the site values a route may replace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#include "request.h"

#define N_FIXED 22 /* variables present for every request without a known sender */

static struct request_meta base_meta(void)
{
	struct request_meta m;
	memset(&m, 0, sizeof m);
	m.stanza_name = "iq";
	m.route = "echo";
	m.path_info = "/echo";
	m.script = "/usr/lib/xmpp-cgi/echo.sh";
	m.server_name = "example.org";
	m.server_port = 5222;
	m.remote_addr = "127.0.0.1";
	m.remote_user = "alice@example.org";
	m.path = "/usr/bin:/bin";
	m.content_length = 123;
	return m;
}

static size_t index_of(const struct cgi_env *env, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->vars[i], name, nl) == 0 && env->vars[i][nl] == '=')
			return i;
	return (size_t)-1;
}

/* Every entry is NAME=VALUE with a non-empty [A-Za-z0-9_] name, names are unique and
 * the list is NULL-terminated. */
static void assert_well_formed(const struct cgi_env *env)
{
	assert_non_null(env->vars);
	assert_null(env->vars[env->n]);
	for (size_t i = 0; i < env->n; i++) {
		const char *v = env->vars[i], *eq = strchr(v, '=');
		assert_non_null(eq);
		assert_true(eq > v);
		for (const char *p = v; p < eq; p++)
			assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			                       "0123456789_",
			                       *p));
		for (size_t j = 0; j < i; j++) {
			const char *w = env->vars[j], *weq = strchr(w, '=');
			assert_false(weq - w == eq - v && strncmp(v, w, (size_t)(eq - v)) == 0);
		}
	}
}

static void assert_var(const struct cgi_env *env, const char *name, const char *value)
{
	const char *got = cgi_env_get(env, name);
	if (!got)
		fail_msg("%s is not set", name);
	assert_string_equal(got, value);
}

static void build_ok(const struct request_meta *m, struct cgi_env *env)
{
	const char *reason = "unset";
	assert_int_equal(request_build_env(m, env, &reason), 0);
	assert_null(reason);
	assert_well_formed(env);
}

static void test_fixed_variables(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	m.remote_user = NULL;
	build_ok(&m, &env);
	assert_var(&env, "PATH", "/usr/bin:/bin");
	assert_var(&env, "GATEWAY_INTERFACE", "CGI/1.1");
	assert_var(&env, "SERVER_PROTOCOL", "HTTP/1.1");
	assert_var(&env, "SERVER_SOFTWARE", PACKAGE_NAME "/" PACKAGE_VERSION);
	assert_var(&env, "SERVER_SOFTWARE", "xmpp-cgi/" PACKAGE_VERSION);
	assert_var(&env, "SERVER_NAME", "example.org");
	assert_var(&env, "SERVER_PORT", "5222");
	assert_var(&env, "REQUEST_METHOD", "POST");
	assert_var(&env, "CONTENT_TYPE", "application/xml");
	assert_var(&env, "CONTENT_LENGTH", "123");
	assert_var(&env, "PATH_INFO", "/echo");
	assert_var(&env, "SCRIPT_NAME", "");
	assert_var(&env, "SCRIPT_FILENAME", "/usr/lib/xmpp-cgi/echo.sh");
	assert_var(&env, "QUERY_STRING", "");
	assert_var(&env, "REMOTE_ADDR", "127.0.0.1");
	/* what web servers add and frameworks need */
	assert_var(&env, "REQUEST_URI", "/echo");
	assert_var(&env, "DOCUMENT_URI", "/echo");
	assert_var(&env, "DOCUMENT_ROOT", "/usr/lib/xmpp-cgi");
	assert_var(&env, "HTTP_HOST", "example.org");
	assert_var(&env, "REQUEST_SCHEME", "http");
	assert_var(&env, "REDIRECT_STATUS", "200");
	assert_var(&env, "XMPP_ROUTE", "echo");
	assert_var(&env, "XMPP_STANZA", "iq");
	assert_null(cgi_env_get(&env, "REMOTE_USER"));
	assert_null(cgi_env_get(&env, "AUTH_TYPE"));
	/* nothing else */
	assert_int_equal(env.n, N_FIXED);
	cgi_env_free(&env);
	assert_null(env.vars);
	assert_int_equal(env.n, 0);
}

static void test_path_default(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	m.path = NULL;
	build_ok(&m, &env);
	assert_var(&env, "PATH", "/usr/local/bin:/usr/bin:/bin");
	cgi_env_free(&env);
}

static void test_path_from_route_env(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const struct kv extra[] = {{"GREETING", "hello"}, {"PATH", "/opt/handler/bin"}};
	(void)state;
	m.extra = extra;
	m.n_extra = 2;
	build_ok(&m, &env);
	assert_var(&env, "PATH", "/opt/handler/bin");
	assert_var(&env, "GREETING", "hello");
	/* PATH once (assert_well_formed), so: fixed + REMOTE_USER/AUTH_TYPE + GREETING */
	assert_int_equal(env.n, N_FIXED + 2 + 1);
	cgi_env_free(&env);

	/* the same with no PATH given by the caller */
	m.path = NULL;
	build_ok(&m, &env);
	assert_var(&env, "PATH", "/opt/handler/bin");
	assert_int_equal(env.n, N_FIXED + 2 + 1);
	cgi_env_free(&env);
}

static void test_content_length(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	m.content_length = 0;
	build_ok(&m, &env);
	assert_var(&env, "CONTENT_LENGTH", "0");
	cgi_env_free(&env);
	m.content_length = 524288;
	m.server_port = 1;
	build_ok(&m, &env);
	assert_var(&env, "CONTENT_LENGTH", "524288");
	assert_var(&env, "SERVER_PORT", "1");
	cgi_env_free(&env);
}

static void test_remote_user(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	build_ok(&m, &env);
	assert_var(&env, "REMOTE_USER", "alice@example.org");
	assert_var(&env, "AUTH_TYPE", "XMPP");
	assert_int_equal(env.n, N_FIXED + 2);
	cgi_env_free(&env);

	m.remote_user = "";
	build_ok(&m, &env);
	assert_null(cgi_env_get(&env, "REMOTE_USER"));
	assert_null(cgi_env_get(&env, "AUTH_TYPE"));
	assert_int_equal(env.n, N_FIXED);
	cgi_env_free(&env);
}

static void test_stanza_attributes(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const char *attrs[] = {
	    "to",        "bridge@example.org/echo",
	    "from",      "alice@example.org/phone",
	    "id",        "abc-1",
	    "type",      "get",
	    "xml:lang",  "en",
	    "data-x",    "1",
	    "MixedCase", "M",
	    "n0-9",      "digits",
	};
	(void)state;
	m.attrs = attrs;
	m.n_attrs = sizeof attrs / sizeof *attrs / 2;
	build_ok(&m, &env);
	assert_var(&env, "XMPP_STANZA_TO", "bridge@example.org/echo");
	assert_var(&env, "XMPP_STANZA_FROM", "alice@example.org/phone");
	assert_var(&env, "XMPP_STANZA_ID", "abc-1");
	assert_var(&env, "XMPP_STANZA_TYPE", "get");
	assert_var(&env, "XMPP_STANZA_XML_LANG", "en");
	assert_var(&env, "XMPP_STANZA_DATA_X", "1");
	assert_var(&env, "XMPP_STANZA_MIXEDCASE", "M");
	assert_var(&env, "XMPP_STANZA_N0_9", "digits");
	assert_int_equal(env.n, N_FIXED + 2 + 8);
	cgi_env_free(&env);
}

static void test_values_verbatim(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const char *attrs[] = {"id", "a=b; c \"d\" 'e' <f> & \xc3\xa9", "type", ""};
	(void)state;
	m.attrs = attrs;
	m.n_attrs = 2;
	build_ok(&m, &env);
	assert_var(&env, "XMPP_STANZA_ID", "a=b; c \"d\" 'e' <f> & \xc3\xa9");
	assert_var(&env, "XMPP_STANZA_TYPE", "");
	cgi_env_free(&env);
}

static void test_xmlns_skipped(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const char *attrs[] = {
	    "xmlns", "jabber:client", "xmlns:stream", "http://etherx.jabber.org/streams", "id",
	    "1",     "xmlnsfoo",      "kept"};
	(void)state;
	m.attrs = attrs;
	m.n_attrs = 4;
	build_ok(&m, &env);
	assert_null(cgi_env_get(&env, "XMPP_STANZA_XMLNS"));
	assert_null(cgi_env_get(&env, "XMPP_STANZA_XMLNS_STREAM"));
	assert_var(&env, "XMPP_STANZA_ID", "1");
	/* only the declarations themselves are skipped */
	assert_var(&env, "XMPP_STANZA_XMLNSFOO", "kept");
	assert_int_equal(env.n, N_FIXED + 2 + 2);
	cgi_env_free(&env);
}

static void test_collisions_any_order(void **state)
{
	/* every order of the three names; byte order is '-' < '.' < '_' */
	static const int perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
	                                {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
	static const char *const names[3] = {"a_b", "a.b", "a-b"};
	static const char *const values[3] = {"underscore", "dot", "dash"};
	(void)state;
	for (size_t p = 0; p < 6; p++) {
		struct request_meta m = base_meta();
		struct cgi_env env;
		const char *attrs[6];
		for (size_t i = 0; i < 3; i++) {
			attrs[2 * i] = names[perms[p][i]];
			attrs[2 * i + 1] = values[perms[p][i]];
		}
		m.attrs = attrs;
		m.n_attrs = 3;
		build_ok(&m, &env);
		assert_var(&env, "XMPP_STANZA_A_B", "dash");
		assert_var(&env, "XMPP_STANZA_A_B_2", "dot");
		assert_var(&env, "XMPP_STANZA_A_B_3", "underscore");
		assert_int_equal(env.n, N_FIXED + 2 + 3);
		cgi_env_free(&env);
	}
}

static void test_collisions_case_and_suffix(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	/* "Data-X" < "data-x" < "data_x" in byte order; "data-x_2" maps to a name the
	 * collision rule also produces, and still gets one of its own */
	const char *attrs[] = {"data_x", "3", "data-x_2", "4", "data-x", "2", "Data-X", "1"};
	(void)state;
	m.attrs = attrs;
	m.n_attrs = 4;
	build_ok(&m, &env);
	assert_var(&env, "XMPP_STANZA_DATA_X", "1");
	assert_var(&env, "XMPP_STANZA_DATA_X_2", "2");
	assert_var(&env, "XMPP_STANZA_DATA_X_3", "3");
	assert_var(&env, "XMPP_STANZA_DATA_X_2_2", "4");
	assert_int_equal(env.n, N_FIXED + 2 + 4);
	cgi_env_free(&env);
}

/* Issue 10, rule 1: a sender never shadows a variable the bridge sets. */
static void build_refused(const struct request_meta *m)
{
	struct cgi_env env;
	const char *reason = NULL;
	assert_int_equal(request_build_env(m, &env, &reason), -1);
	assert_non_null(reason);
	assert_non_null(strstr(reason, "variable the bridge sets"));
	assert_null(env.vars);
}

static void test_real_attributes_win(void **state)
{
	/* the attack of issue 10: FROM, TYPE and ID sort before from, type and id */
	const char *attrs[] = {"from", "alice@example.org/pc",
	                       "FROM", "admin@example.org/evil",
	                       "type", "get",
	                       "TYPE", "set",
	                       "id",   "1",
	                       "ID",   "2"};
	struct request_meta m = base_meta();
	(void)state;
	m.attrs = attrs;
	m.n_attrs = 6;
	build_refused(&m);
	/* the real ones alone, in any position, give the usual names */
	m.attrs = attrs;
	m.n_attrs = 1;
	struct cgi_env env;
	build_ok(&m, &env);
	assert_var(&env, "XMPP_STANZA_FROM", "alice@example.org/pc");
	assert_null(cgi_env_get(&env, "XMPP_STANZA_FROM_2"));
	cgi_env_free(&env);
}

static void test_shadowing_classes_refused(void **state)
{
	/* every way a name maps onto one the bridge keeps: case variants, separators
	 * that map to '_', and the real names even when the stanza lacks the real one */
	static const char *const forged[] = {
	    "FROM", "From", "fROM",     "TO",       "To",       "ID",       "Id",       "iD",
	    "TYPE", "Type", "XML:LANG", "Xml:Lang", "xml-lang", "xml.lang", "xml_lang", "XML_LANG",
	};
	(void)state;
	for (size_t i = 0; i < sizeof forged / sizeof *forged; i++) {
		struct request_meta m = base_meta();
		const char *attrs[] = {"from", "alice@example.org/pc", forged[i], "evil"};
		m.attrs = attrs;
		m.n_attrs = 2;
		build_refused(&m);
		m.attrs = attrs + 2; /* without the real from */
		m.n_attrs = 1;
		build_refused(&m);
	}
}

static void test_route_variables_not_shadowed(void **state)
{
	/* config refuses XMPP_ names in env =, but a FastCGI param may be anything */
	const struct kv params[] = {{"XMPP_STANZA_TENANT", "acme"}};
	const struct kv extra[] = {{"XMPP_STANZA_ROLE", "user"}};
	const char *attrs[] = {"tenant", "evil"};
	const char *role[] = {"Role", "admin"};
	struct request_meta m = base_meta();
	(void)state;
	m.params = params;
	m.n_params = 1;
	m.extra = extra;
	m.n_extra = 1;
	m.attrs = attrs;
	m.n_attrs = 1;
	build_refused(&m);
	m.attrs = role;
	build_refused(&m);
}

static void test_muc_variables_not_shadowed(void **state)
{
	/* a room message: the bridge's XMPP_MUC_* and QUERY_STRING, which no attribute
	 * reaches (they map to XMPP_STANZA_*) and no route variable replaces */
	const struct muc_env_var muc[] = {{"XMPP_MUC_ROOM", "dev@conference.example.org"},
	                                  {"XMPP_MUC_NICK", "alice"}};
	const char *attrs[] = {"muc_room", "evil", "type", "groupchat"};
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	m.stanza_name = "message";
	m.muc_vars = muc;
	m.n_muc_vars = 2;
	m.query_string = "new%20york";
	m.attrs = attrs;
	m.n_attrs = 2;
	build_ok(&m, &env);
	assert_var(&env, "XMPP_MUC_ROOM", "dev@conference.example.org");
	assert_var(&env, "XMPP_MUC_NICK", "alice");
	assert_var(&env, "XMPP_STANZA_MUC_ROOM", "evil");
	assert_var(&env, "QUERY_STRING", "new%20york");
	assert_var(&env, "XMPP_STANZA_TYPE", "groupchat");
	cgi_env_free(&env);
	/* a renamed attribute never lands on a bridge name either */
	{
		const struct muc_env_var clash[] = {{"XMPP_STANZA_X", "bridge"}};
		const char *x[] = {"x", "attr"};
		m.muc_vars = clash;
		m.n_muc_vars = 1;
		m.attrs = x;
		m.n_attrs = 1;
		build_refused(&m);
	}
}

static void test_suffix_never_reaches_bridge_names(void **state)
{
	/* from_2 is an attribute of its own, not a renamed FROM; the _N rule skips any
	 * name the bridge keeps (here a param XMPP_STANZA_A_2) */
	const struct kv params[] = {{"XMPP_STANZA_A_2", "kept"}};
	const char *attrs[] = {"from_2", "x", "from", "alice@example.org/pc", "a", "2", "A", "1"};
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	m.attrs = attrs;
	m.n_attrs = 4;
	m.params = params;
	m.n_params = 1;
	build_ok(&m, &env);
	assert_var(&env, "XMPP_STANZA_FROM", "alice@example.org/pc");
	assert_var(&env, "XMPP_STANZA_FROM_2", "x");
	assert_var(&env, "XMPP_STANZA_A", "1");
	assert_var(&env, "XMPP_STANZA_A_3", "2");
	assert_var(&env, "XMPP_STANZA_A_2", "kept");
	cgi_env_free(&env);
}

static void test_cgi_names_unreachable(void **state)
{
	/* an attribute can only give XMPP_STANZA_<...>: never a CGI name, PATH, or the
	 * bridge's own XMPP_ROUTE, XMPP_STANZA, XMPP_CGI_SOCKET */
	const char *attrs[] = {"", "x"};
	static const char *const names[] = {"PATH", "REMOTE_USER", "route", "cgi_socket"};
	(void)state;
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		struct request_meta m = base_meta();
		struct cgi_env env;
		char want[64];
		attrs[0] = names[i];
		m.attrs = attrs;
		m.n_attrs = 1;
		m.control_socket = "/run/xmpp-cgi/control";
		build_ok(&m, &env);
		assert_var(&env, "XMPP_ROUTE", "echo");
		assert_var(&env, "XMPP_STANZA", "iq");
		assert_var(&env, "XMPP_CGI_SOCKET", "/run/xmpp-cgi/control");
		assert_var(&env, "PATH", "/usr/bin:/bin");
		assert_int_equal(request_attr_env_name(names[i], want, sizeof want), 0);
		assert_var(&env, want, "x");
		cgi_env_free(&env);
	}
}

static void test_too_many_attributes(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const char *attrs[2 * (REQ_MAX_ATTRS + 4)];
	char names[REQ_MAX_ATTRS + 1][16];
	const char *reason = NULL;
	size_t n = 0;
	(void)state;
	/* namespace declarations do not count */
	attrs[2 * n] = "xmlns", attrs[2 * n + 1] = "jabber:client", n++;
	attrs[2 * n] = "xmlns:x", attrs[2 * n + 1] = "urn:x", n++;
	for (int i = 0; i < REQ_MAX_ATTRS; i++, n++) {
		snprintf(names[i], sizeof names[i], "attr%d", i);
		attrs[2 * n] = names[i];
		attrs[2 * n + 1] = "v";
	}
	m.attrs = attrs;
	m.n_attrs = n;
	build_ok(&m, &env);
	assert_int_equal(env.n, N_FIXED + 2 + REQ_MAX_ATTRS);
	assert_var(&env, "XMPP_STANZA_ATTR31", "v");
	cgi_env_free(&env);

	snprintf(names[REQ_MAX_ATTRS], sizeof names[REQ_MAX_ATTRS], "one-more");
	attrs[2 * n] = names[REQ_MAX_ATTRS];
	attrs[2 * n + 1] = "v";
	m.n_attrs = n + 1;
	assert_int_equal(request_build_env(&m, &env, &reason), -1);
	assert_non_null(reason);
	assert_non_null(strstr(reason, "attributes"));
	assert_null(env.vars);
	assert_int_equal(env.n, 0);
}

static void test_attribute_value_limit(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	char *value = malloc(REQ_MAX_ATTR_VALUE + 2);
	const char *attrs[] = {"id", "1", "data", value};
	const char *reason = NULL;
	(void)state;
	assert_non_null(value);
	memset(value, 'v', REQ_MAX_ATTR_VALUE);
	value[REQ_MAX_ATTR_VALUE] = '\0';
	m.attrs = attrs;
	m.n_attrs = 2;
	build_ok(&m, &env);
	assert_int_equal(strlen(cgi_env_get(&env, "XMPP_STANZA_DATA")), REQ_MAX_ATTR_VALUE);
	cgi_env_free(&env);

	value[REQ_MAX_ATTR_VALUE] = 'v';
	value[REQ_MAX_ATTR_VALUE + 1] = '\0';
	assert_int_equal(request_build_env(&m, &env, &reason), -1);
	assert_non_null(reason);
	assert_non_null(strstr(reason, "too long"));
	assert_null(env.vars);
	free(value);
}

static void test_attribute_name_limit(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	char name[300];
	const char *attrs[] = {name, "x"};
	const char *reason = NULL;
	(void)state;
	memset(name, 'n', 299);
	name[299] = '\0';
	m.attrs = attrs;
	m.n_attrs = 1;
	assert_int_equal(request_build_env(&m, &env, &reason), -1);
	assert_non_null(reason);
	assert_null(env.vars);
}

static void test_attr_env_name(void **state)
{
	char out[32];
	(void)state;
	assert_int_equal(request_attr_env_name("xml:lang", out, sizeof out), 0);
	assert_string_equal(out, "XMPP_STANZA_XML_LANG");
	assert_int_equal(request_attr_env_name("a\xc3\xa9 b", out, sizeof out), 0);
	assert_string_equal(out, "XMPP_STANZA_A___B");
	/* "XMPP_STANZA_" is 12 bytes: a 3-byte name needs 16 */
	assert_int_equal(request_attr_env_name("abc", out, 16), 0);
	assert_string_equal(out, "XMPP_STANZA_ABC");
	assert_int_equal(request_attr_env_name("abc", out, 15), -1);
	assert_int_equal(request_attr_env_name("", out, sizeof out), -1);
}

static void test_extra_after_everything(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const struct kv extra[] = {{"LANG", "C.UTF-8"}, {"lower_case", "ok"}};
	const char *attrs[] = {"id", "1"};
	(void)state;
	m.attrs = attrs;
	m.n_attrs = 1;
	m.extra = extra;
	m.n_extra = 2;
	build_ok(&m, &env);
	assert_var(&env, "LANG", "C.UTF-8");
	assert_var(&env, "lower_case", "ok");
	assert_true(index_of(&env, "LANG") > index_of(&env, "XMPP_STANZA_ID"));
	assert_true(index_of(&env, "lower_case") > index_of(&env, "LANG"));
	assert_int_equal(index_of(&env, "lower_case"), env.n - 1);
	assert_int_equal(env.n, N_FIXED + 2 + 1 + 2);
	cgi_env_free(&env);
}

static void test_no_daemon_environment(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const char *attrs[] = {"proxy", "http://evil.example/", "http_proxy", "x"};
	(void)state;
	setenv("HTTP_PROXY", "http://proxy.example:3128/", 1);
	setenv("http_proxy", "http://proxy.example:3128/", 1);
	setenv("XC_TEST_SECRET", "leak", 1);
	m.attrs = attrs;
	m.n_attrs = 2;
	build_ok(&m, &env);
	assert_null(cgi_env_get(&env, "HTTP_PROXY"));
	assert_null(cgi_env_get(&env, "http_proxy"));
	assert_null(cgi_env_get(&env, "XC_TEST_SECRET"));
	for (size_t i = 0; i < env.n; i++) {
		/* HTTP_HOST is the only header a stanza stands for */
		assert_true(strncmp(env.vars[i], "HTTP_", 5) != 0 ||
		            strncmp(env.vars[i], "HTTP_HOST=", 10) == 0);
		assert_null(strstr(env.vars[i], "leak"));
	}
	assert_var(&env, "XMPP_STANZA_PROXY", "http://evil.example/");
	assert_var(&env, "XMPP_STANZA_HTTP_PROXY", "x");
	assert_int_equal(env.n, N_FIXED + 2 + 2);
	cgi_env_free(&env);
	unsetenv("HTTP_PROXY");
	unsetenv("http_proxy");
	unsetenv("XC_TEST_SECRET");
}

static void test_stanza_kinds(void **state)
{
	static const char *const kinds[] = {"iq", "message", "presence"};
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		struct request_meta m = base_meta();
		struct cgi_env env;
		m.stanza_name = kinds[i];
		m.route = "r.1_~-";
		m.path_info = "/r.1_~-";
		build_ok(&m, &env);
		assert_var(&env, "XMPP_STANZA", kinds[i]);
		assert_var(&env, "XMPP_ROUTE", "r.1_~-");
		assert_var(&env, "PATH_INFO", "/r.1_~-");
		cgi_env_free(&env);
	}
}

/* REQUEST_URI is PATH_INFO as a request-target: what a URI cannot hold is escaped, so a
 * framework that decodes it (Plack::Handler::FCGI, Go's net/http/cgi) gets PATH_INFO. */
static void test_request_uri(void **state)
{
	static const struct {
		const char *path, *raw, *query, *want;
	} rows[] = {
	    {"/echo", NULL, NULL, "/echo"},
	    {"/r.1_~-/a/b", NULL, "", "/r.1_~-/a/b"},
	    {"/shop/a b?c#d", NULL, NULL, "/shop/a%20b%3Fc%23d"},
	    {"/r/100%", NULL, NULL, "/r/100%25"},
	    {"/r/caf\xc3\xa9", NULL, NULL, "/r/caf%C3%A9"},
	    {"/r/!$&'()*+,;=:@", NULL, NULL, "/r/!$&'()*+,;=:@"},
	    {"/r/\"<>\\^`{|}", NULL, NULL, "/r/%22%3C%3E%5C%5E%60%7B%7C%7D"},
	    {"/r", NULL, "a=1&b=%20", "/r?a=1&b=%20"},
	    {"/r", "/x%20y z", "q=1", "/r/x%20y%20z?q=1"},
	    {"/r 1", "/%2e%2e", NULL, "/r%201/%2e%2e"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		char *got = request_uri(rows[i].path, rows[i].raw, rows[i].query);
		assert_non_null(got);
		assert_string_equal(got, rows[i].want);
		free(got);
	}
}

static void test_request_uri_in_env(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	m.path_info = "/shop/item 7";
	build_ok(&m, &env);
	assert_var(&env, "PATH_INFO", "/shop/item 7");
	assert_var(&env, "SCRIPT_NAME", "");
	assert_var(&env, "REQUEST_URI", "/shop/item%207");
	assert_var(&env, "DOCUMENT_URI", "/shop/item%207");
	cgi_env_free(&env);
}

/* A FastCGI route without script_filename has neither SCRIPT_FILENAME nor a document
 * root; a script at / has / as its root. */
static void test_document_root(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	(void)state;
	m.script = NULL;
	build_ok(&m, &env);
	assert_null(cgi_env_get(&env, "SCRIPT_FILENAME"));
	assert_null(cgi_env_get(&env, "DOCUMENT_ROOT"));
	assert_int_equal(env.n, N_FIXED + 2 - 2);
	cgi_env_free(&env);
	m.script = "/index.php";
	build_ok(&m, &env);
	assert_var(&env, "DOCUMENT_ROOT", "/");
	cgi_env_free(&env);
}

/* The site's values (PATH, DOCUMENT_ROOT, HTTP_HOST, REQUEST_SCHEME) may come from the
 * route, as a web server's configuration gives them; a param repeating an env line
 * wins; each name stays unique. */
static void test_site_values_from_route(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	const struct kv extra[] = {
	    {"DOCUMENT_ROOT", "/srv/www"}, {"HTTP_HOST", "shop.example"}, {"APP_ENV", "test"}};
	const struct kv params[] = {
	    {"REQUEST_SCHEME", "https"}, {"HTTPS", "on"}, {"APP_ENV", "production"}};
	(void)state;
	m.extra = extra;
	m.n_extra = 3;
	m.params = params;
	m.n_params = 3;
	build_ok(&m, &env);
	assert_var(&env, "DOCUMENT_ROOT", "/srv/www");
	assert_var(&env, "HTTP_HOST", "shop.example");
	assert_var(&env, "REQUEST_SCHEME", "https");
	assert_var(&env, "HTTPS", "on");
	assert_var(&env, "APP_ENV", "production");
	assert_var(&env, "SERVER_NAME", "example.org");
	assert_int_equal(env.n, N_FIXED + 2 + 2);
	cgi_env_free(&env);
}

/* The strings share one arena that grows: every variable keeps its value when it
 * moves, a value taken from the environment itself can be set, a replaced or removed
 * variable is gone from vars, and vars stays NULL-terminated. */
static void test_env_set_across_growth(void **state)
{
	struct request_meta m = base_meta();
	struct cgi_env env;
	char name[32], value[600];
	(void)state;
	build_ok(&m, &env);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "GROW_%d", i);
		memset(value, 'a' + i % 26, sizeof value - 1);
		value[sizeof value - 1] = '\0';
		assert_int_equal(cgi_env_set(&env, name, value, 0), 0);
		/* from the arena itself, which this set may move */
		assert_int_equal(cgi_env_set(&env, "COPY", cgi_env_get(&env, name), 0), 0);
		assert_string_equal(cgi_env_get(&env, "COPY"), value);
	}
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof name, "GROW_%d", i);
		assert_int_equal(strlen(cgi_env_get(&env, name)), sizeof value - 1);
		assert_int_equal(cgi_env_get(&env, name)[0], 'a' + i % 26);
	}
	assert_var(&env, "SERVER_NAME", "example.org");
	assert_var(&env, "PATH_INFO", "/echo");
	assert_int_equal(cgi_env_set(&env, "GROW_3", "", 1), 0);
	assert_null(cgi_env_get(&env, "GROW_3"));
	assert_int_equal(env.n, N_FIXED + 2 + 40 - 1 + 1);
	assert_well_formed(&env);
	cgi_env_free(&env);
	assert_null(env.vars);
	assert_int_equal(env.n, 0);
}

/* libstrophe's text of an inbound stanza -> the document handlers read. */
static void test_stdin_document(void **state)
{
	size_t len;
	char *doc;
	(void)state;
	const char *iq = "<iq id=\"1\" lang=\"en\" type=\"get\"><q xmlns=\"urn:x\"/></iq>";
	doc = request_stdin_document(iq, strlen(iq), &len);
	assert_non_null(doc);
	assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<iq xmlns=\"jabber:client\" id=\"1\" xml:lang=\"en\" type=\"get\">"
	                         "<q xmlns=\"urn:x\"/></iq>");
	assert_int_equal(len, strlen(doc));
	free(doc);
	/* a component stream's namespace is replaced, nested lang left alone */
	const char *comp = "<message xmlns=\"jabber:component:accept\" to=\"a@b\">"
	                   "<body lang=\"de\">x</body></message>";
	doc = request_stdin_document(comp, strlen(comp), &len);
	assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<message xmlns=\"jabber:client\" to=\"a@b\">"
	                         "<body lang=\"de\">x</body></message>");
	free(doc);
	/* self-closing, no attributes */
	doc = request_stdin_document("<presence/>", 11, &len);
	assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<presence xmlns=\"jabber:client\"/>");
	free(doc);
	assert_null(request_stdin_document("x", 1, &len));
}

/* Issue 10, hole 8: xml:lang inside a value is text, not an attribute; lang is still
 * given its prefix; an xml:lang attribute wins; no byte past len is read. */
static void test_stdin_document_lang_in_value(void **state)
{
	size_t len;
	char *doc;
	(void)state;
	const char *iq = "<iq id=\"a xml:lang b\" lang=\"en\" type='get'><q/></iq>";
	doc = request_stdin_document(iq, strlen(iq), &len);
	assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<iq xmlns=\"jabber:client\" id=\"a xml:lang b\" xml:lang=\"en\" "
	                         "type='get'><q/></iq>");
	free(doc);
	const char *both = "<iq xml:lang=\"fr\" lang=\"en\"/>";
	doc = request_stdin_document(both, strlen(both), &len);
	assert_string_equal(doc, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	                         "<iq xmlns=\"jabber:client\" xml:lang=\"fr\" lang=\"en\"/>");
	free(doc);
	/* every prefix of a start tag, copied to a buffer of exactly that size */
	const char *tag = "<iq\tid = 'x' xml:lang=\"de\"\nlang='en' >";
	for (size_t n = 2; n <= strlen(tag); n++) {
		char *exact = malloc(n);
		assert_non_null(exact);
		memcpy(exact, tag, n);
		doc = request_stdin_document(exact, n, &len);
		assert_non_null(doc);
		assert_int_equal(len, strlen(doc));
		assert_null(strstr(doc, "xml:xml:"));
		if (n == strlen(tag))
			assert_non_null(strstr(doc, " xml:lang=\"de\" lang='en' >"));
		free(doc);
		free(exact);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixed_variables),
	    cmocka_unit_test(test_path_default),
	    cmocka_unit_test(test_path_from_route_env),
	    cmocka_unit_test(test_content_length),
	    cmocka_unit_test(test_remote_user),
	    cmocka_unit_test(test_stanza_attributes),
	    cmocka_unit_test(test_values_verbatim),
	    cmocka_unit_test(test_xmlns_skipped),
	    cmocka_unit_test(test_collisions_any_order),
	    cmocka_unit_test(test_collisions_case_and_suffix),
	    cmocka_unit_test(test_real_attributes_win),
	    cmocka_unit_test(test_shadowing_classes_refused),
	    cmocka_unit_test(test_route_variables_not_shadowed),
	    cmocka_unit_test(test_muc_variables_not_shadowed),
	    cmocka_unit_test(test_suffix_never_reaches_bridge_names),
	    cmocka_unit_test(test_cgi_names_unreachable),
	    cmocka_unit_test(test_too_many_attributes),
	    cmocka_unit_test(test_attribute_value_limit),
	    cmocka_unit_test(test_attribute_name_limit),
	    cmocka_unit_test(test_attr_env_name),
	    cmocka_unit_test(test_extra_after_everything),
	    cmocka_unit_test(test_no_daemon_environment),
	    cmocka_unit_test(test_stanza_kinds),
	    cmocka_unit_test(test_stdin_document),
	    cmocka_unit_test(test_stdin_document_lang_in_value),
	    cmocka_unit_test(test_request_uri),
	    cmocka_unit_test(test_request_uri_in_env),
	    cmocka_unit_test(test_document_root),
	    cmocka_unit_test(test_site_values_from_route),
	    cmocka_unit_test(test_env_set_across_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
