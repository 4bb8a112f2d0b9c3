/* request.c - stanza attributes and route data -> CGI environment (pure; see request.h).
 *
 * The variables are those a web server gives a script (nginx's fastcgi_params, lighttpd's
 * mod_cgi), so that frameworks run unchanged: each stanza is an HTTP/1.1 POST of the
 * stanza to PATH_INFO, REQUEST_URI is that path in URI form, SCRIPT_NAME is empty so the
 * whole path is the application's. xmpp-cgi(8) gives the reason for each value.
 *
 * Attribute names become XMPP_STANZA_<NAME> with every byte outside [A-Za-z0-9] mapped
 * to '_' and letters upper-cased. The real to, from, id, type and xml:lang take their
 * names first, and a sender can never shadow a variable the bridge sets: another
 * attribute that maps to one of those names (FROM, Type, xml-lang...) or to any variable
 * set here refuses the stanza. The other attributes are taken in byte order of their
 * original names; a mapped name already taken gets the suffix _2, _3, ... in that
 * order, so the result never depends on the order the server serialised them in.
 * Namespace declarations (xmlns, xmlns:*) are not attributes and are skipped. */
#include "request.h"

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "autoconfig.h"
#include "buf.h"

/* Room for len more bytes of text. A move to a larger arena carries the strings over
 * and points vars at their new places; the old arena is handed back in *old, for the
 * caller to free once it has copied what it adds (which may come from there). */
static int env_reserve_text(struct cgi_env *env, size_t len, char **old)
{
	size_t cap = env->text_cap ? env->text_cap : 1024;
	char *grown;
	*old = NULL;
	if (env->text_len + len <= env->text_cap)
		return 0;
	while (cap < env->text_len + len)
		cap *= 2;
	grown = malloc(cap);
	if (!grown)
		return -1;
	if (env->text_len)
		memcpy(grown, env->text, env->text_len);
	for (size_t i = 0; i < env->n; i++)
		env->vars[i] = grown + (env->vars[i] - env->text);
	*old = env->text;
	env->text = grown;
	env->text_cap = cap;
	return 0;
}

static int env_add(struct cgi_env *env, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *var, *old;
	if (env->n + 2 > env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 32;
		char **grown = realloc(env->vars, cap * sizeof *grown);
		if (!grown)
			return -1;
		env->vars = grown;
		env->cap = cap;
	}
	if (env_reserve_text(env, nl + vl + 2, &old) != 0)
		return -1;
	var = env->text + env->text_len;
	memcpy(var, name, nl);
	var[nl] = '=';
	memcpy(var + nl + 1, value, vl + 1);
	free(old);
	env->text_len += nl + vl + 2;
	env->vars[env->n++] = var;
	env->vars[env->n] = NULL;
	return 0;
}

static const char xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* One attribute of a start tag at *p: name="value" or name='value'. On success *p is
 * past the closing quote; false (and *p unchanged) at '>', '/', the end or bad syntax. */
static bool next_attr(const char **p, const char *end, const char **name, size_t *name_len)
{
	const char *q = *p, *close;
	while (q < end && is_space(*q))
		q++;
	if (q >= end || *q == '>' || *q == '/')
		return false;
	*name = q;
	while (q < end && *q != '=' && !is_space(*q) && *q != '>' && *q != '/')
		q++;
	*name_len = (size_t)(q - *name);
	while (q < end && is_space(*q))
		q++;
	if (!*name_len || q >= end || *q != '=')
		return false;
	q++;
	while (q < end && is_space(*q))
		q++;
	if (q >= end || (*q != '"' && *q != '\''))
		return false;
	close = memchr(q + 1, *q, (size_t)(end - q - 1));
	if (!close)
		return false;
	*p = close + 1;
	return true;
}

static bool name_is(const char *name, size_t len, const char *want)
{
	return len == strlen(want) && memcmp(name, want, len) == 0;
}

char *request_stdin_document(const char *text, size_t len, size_t *out_len)
{
	struct buf out = {0};
	const char *p, *end = text + len, *name;
	size_t name_len;
	bool has_xml_lang = false;

	if (len < 2 || text[0] != '<')
		return NULL;
	p = text + 1;
	while (p < end && !is_space(*p) && *p != '>' && *p != '/')
		p++;
	/* an xml:lang already there (from the caller's own serializer) wins */
	for (const char *q = p; next_attr(&q, end, &name, &name_len);)
		has_xml_lang = has_xml_lang || name_is(name, name_len, "xml:lang");
	buf_append(&out, xml_decl, sizeof xml_decl - 1);
	buf_append(&out, text, (size_t)(p - text));
	buf_puts(&out, " xmlns=\"jabber:client\"");
	while (next_attr(&p, end, &name, &name_len)) {
		if (name_is(name, name_len, "xmlns"))
			continue; /* the stream's namespace, replaced above */
		buf_puts(&out, " ");
		if (name_is(name, name_len, "lang") && !has_xml_lang)
			buf_puts(&out, "xml:");
		buf_append(&out, name, (size_t)(p - name));
	}
	buf_append(&out, p, (size_t)(end - p));
	*out_len = out.len;
	return buf_steal(&out);
}

const char *cgi_env_get(const struct cgi_env *env, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->vars[i], name, nl) == 0 && env->vars[i][nl] == '=')
			return env->vars[i] + nl + 1;
	return NULL;
}

int cgi_env_set(struct cgi_env *env, const char *name, const char *value, int drop_empty)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < env->n; i++) {
		if (strncmp(env->vars[i], name, nl) != 0 || env->vars[i][nl] != '=')
			continue;
		env->vars[i] = env->vars[--env->n]; /* its text stays in the arena */
		env->vars[env->n] = NULL;
		break;
	}
	if (drop_empty && !*value)
		return 0;
	return env_add(env, name, value);
}

void cgi_env_free(struct cgi_env *env)
{
	free(env->vars);
	free(env->text);
	memset(env, 0, sizeof *env);
}

int request_attr_env_name(const char *attr, char *out, size_t outlen)
{
	static const char prefix[] = "XMPP_STANZA_";
	size_t n = sizeof prefix - 1, al = strlen(attr);
	if (!al || n + al + 1 > outlen)
		return -1;
	memcpy(out, prefix, n);
	for (const char *p = attr; *p; p++) {
		char c = *p;
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		else if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')))
			c = '_';
		out[n++] = c;
	}
	out[n] = '\0';
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	return strcmp(x[0], y[0]);
}

/* The attributes whose variables the bridge vouches for, as libstrophe names them. */
static const char *const real_attrs[] = {"to", "from", "id", "type", "xml:lang"};

static bool is_real_attr(const char *name)
{
	for (size_t i = 0; i < sizeof real_attrs / sizeof *real_attrs; i++)
		if (strcmp(name, real_attrs[i]) == 0)
			return true;
	return false;
}

static bool in_kv(const struct kv *kv, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].name, name) == 0)
			return true;
	return false;
}

/* A name the bridge sets (the first n_own variables of env, the route's env = and
 * param = names) or keeps for a real attribute, whether or not the stanza has it. */
static bool bridge_name(const struct request_meta *m, const struct cgi_env *env, size_t n_own,
                        const char *name)
{
	size_t nl = strlen(name);
	char real[32];
	for (size_t i = 0; i < sizeof real_attrs / sizeof *real_attrs; i++)
		if (request_attr_env_name(real_attrs[i], real, sizeof real) == 0 && strcmp(name, real) == 0)
			return true;
	for (size_t i = 0; i < n_own; i++)
		if (strncmp(env->vars[i], name, nl) == 0 && env->vars[i][nl] == '=')
			return true;
	return in_kv(m->extra, m->n_extra, name) || in_kv(m->params, m->n_params, name);
}

/* Runs once env holds every variable the bridge sets itself. The real attributes take
 * their own names first; any other attribute that maps to a name of the bridge's is
 * refused, and one that maps to an earlier attribute's name gets _2, _3, ... */
static int add_attrs(const struct request_meta *m, struct cgi_env *env, const char **reason)
{
	const char *sorted[2 * REQ_MAX_ATTRS];
	size_t n = 0, n_own = env->n;
	for (size_t i = 0; i < m->n_attrs; i++) {
		const char *name = m->attrs[2 * i];
		if (strcmp(name, "xmlns") == 0 || strncmp(name, "xmlns:", 6) == 0)
			continue;
		if (n == REQ_MAX_ATTRS) {
			*reason = "too many attributes on the stanza";
			return -1;
		}
		if (strlen(m->attrs[2 * i + 1]) > REQ_MAX_ATTR_VALUE) {
			*reason = "a stanza attribute is too long";
			return -1;
		}
		sorted[2 * n] = name;
		sorted[2 * n + 1] = m->attrs[2 * i + 1];
		n++;
	}
	qsort(sorted, n, 2 * sizeof *sorted, by_name);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		if (is_real_attr(sorted[2 * i]) &&
		    (request_attr_env_name(sorted[2 * i], name, sizeof name) != 0 ||
		     env_add(env, name, sorted[2 * i + 1]) != 0))
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char name[160], unique[170];
		if (is_real_attr(sorted[2 * i]))
			continue;
		if (request_attr_env_name(sorted[2 * i], name, sizeof name) != 0) {
			*reason = "a stanza attribute name is too long";
			return -1;
		}
		if (bridge_name(m, env, n_own, name)) {
			*reason = "a stanza attribute maps to the name of a variable the bridge sets";
			return -1;
		}
		snprintf(unique, sizeof unique, "%s", name);
		for (unsigned k = 2; cgi_env_get(env, unique) || bridge_name(m, env, n_own, unique); k++)
			snprintf(unique, sizeof unique, "%s_%u", name, k);
		if (env_add(env, unique, sorted[2 * i + 1]))
			return -1;
	}
	return 0;
}

/* RFC 3986 pchar (unreserved, sub-delims, ':' and '@') and '/' pass; with keep_escapes a
 * '%' passes too, as the start of an escape the sender already wrote. */
static bool uri_char(unsigned char c, bool keep_escapes)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@/", c)) || (keep_escapes && c == '%');
}

static int uri_append(struct buf *b, const char *s, bool keep_escapes)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
		rc |= uri_char(*p, keep_escapes) ? buf_append(b, p, 1) : buf_append(b, esc, 3);
	}
	return rc;
}

char *request_uri(const char *path, const char *raw_tail, const char *query)
{
	struct buf b = {0};
	int rc = uri_append(&b, path, false);
	if (raw_tail)
		rc |= uri_append(&b, raw_tail, true);
	if (query && *query) {
		rc |= buf_puts(&b, "?");
		rc |= buf_puts(&b, query);
	}
	if (rc != 0 || !b.data) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* Values that describe the site, not the request: a route's env or param line may
 * give its own, as a web server's configuration does (nginx's root, server_name). */
static bool route_sets(const struct request_meta *m, const char *name)
{
	for (size_t i = 0; i < m->n_extra; i++)
		if (strcmp(m->extra[i].name, name) == 0)
			return true;
	for (size_t i = 0; i < m->n_params; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return true;
	return false;
}

/* The directory of the script: the document root a web server would have served it
 * from, and where the runner starts it. */
static int add_document_root(const struct request_meta *m, struct cgi_env *env)
{
	const char *slash = m->script ? strrchr(m->script, '/') : NULL;
	char *dir;
	int rc;
	if (!slash || route_sets(m, "DOCUMENT_ROOT"))
		return 0;
	dir = strndup(m->script, slash == m->script ? 1 : (size_t)(slash - m->script));
	if (!dir)
		return -1;
	rc = env_add(env, "DOCUMENT_ROOT", dir);
	free(dir);
	return rc;
}

/* v in decimal, written to end at end (a buffer of 21 bytes holds any 64-bit value);
 * returns where its digits start. */
static const char *decimal(char *end, unsigned long long v)
{
	*--end = '\0';
	do
		*--end = (char)('0' + v % 10);
	while (v /= 10);
	return end;
}

int request_build_env(const struct request_meta *m, struct cgi_env *env, const char **reason)
{
	char port_digits[24], length_digits[24], *uri;
	const char *port = decimal(port_digits + sizeof port_digits, m->server_port);
	const char *length = decimal(length_digits + sizeof length_digits, m->content_length);
	int rc = 0;

	*reason = NULL;
	memset(env, 0, sizeof *env);
	uri = request_uri(m->path_info, NULL, NULL);
	if (!uri) {
		*reason = "out of memory";
		return -1;
	}
	if (!route_sets(m, "PATH"))
		rc |= env_add(env, "PATH", m->path ? m->path : "/usr/local/bin:/usr/bin:/bin");
	rc |= env_add(env, "GATEWAY_INTERFACE", "CGI/1.1");
	rc |= env_add(env, "SERVER_PROTOCOL", "HTTP/1.1");
	rc |= env_add(env, "SERVER_SOFTWARE", PACKAGE_NAME "/" PACKAGE_VERSION);
	rc |= env_add(env, "SERVER_NAME", m->server_name);
	rc |= env_add(env, "SERVER_PORT", port);
	if (!route_sets(m, "HTTP_HOST"))
		rc |= env_add(env, "HTTP_HOST", m->server_name);
	if (!route_sets(m, "REQUEST_SCHEME"))
		rc |= env_add(env, "REQUEST_SCHEME", "http");
	rc |= env_add(env, "REQUEST_METHOD", "POST");
	rc |= env_add(env, "REQUEST_URI", uri);
	rc |= env_add(env, "DOCUMENT_URI", uri);
	rc |= env_add(env, "CONTENT_TYPE", "application/xml");
	rc |= env_add(env, "CONTENT_LENGTH", length);
	rc |= env_add(env, "PATH_INFO", m->path_info);
	rc |= env_add(env, "SCRIPT_NAME", "");
	if (m->script)
		rc |= env_add(env, "SCRIPT_FILENAME", m->script);
	rc |= add_document_root(m, env);
	rc |= env_add(env, "QUERY_STRING", m->query_string ? m->query_string : "");
	rc |= env_add(env, "REDIRECT_STATUS", "200");
	rc |= env_add(env, "REMOTE_ADDR", m->remote_addr);
	if (m->remote_user && *m->remote_user) {
		rc |= env_add(env, "REMOTE_USER", m->remote_user);
		rc |= env_add(env, "AUTH_TYPE", "XMPP");
	}
	rc |= env_add(env, "XMPP_ROUTE", m->route);
	rc |= env_add(env, "XMPP_STANZA", m->stanza_name);
	if (m->control_socket)
		rc |= env_add(env, "XMPP_CGI_SOCKET", m->control_socket);
	/* before the attributes: their names can never take these */
	for (size_t i = 0; i < m->n_muc_vars; i++)
		rc |= env_add(env, m->muc_vars[i].name, m->muc_vars[i].value);
	free(uri);
	if (rc == 0)
		rc = add_attrs(m, env, reason);
	/* set, not added: a param may repeat an env line, and the last one wins */
	for (size_t i = 0; rc == 0 && i < m->n_extra; i++)
		rc = cgi_env_set(env, m->extra[i].name, m->extra[i].value, 0);
	for (size_t i = 0; rc == 0 && i < m->n_params; i++)
		rc = cgi_env_set(env, m->params[i].name, m->params[i].value, 0);
	if (rc != 0) {
		if (!*reason)
			*reason = "out of memory";
		cgi_env_free(env);
		return -1;
	}
	return 0;
}
