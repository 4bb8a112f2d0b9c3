/* request.c - stanza attributes and route data -> CGI environment (pure; see request.h).
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

static int env_add(struct cgi_env *env, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);
	char *var;
	if (env->n + 2 > env->cap) {
		size_t cap = env->cap ? env->cap * 2 : 32;
		char **grown = realloc(env->vars, cap * sizeof *grown);
		if (!grown)
			return -1;
		env->vars = grown;
		env->cap = cap;
	}
	var = malloc(nl + vl + 2);
	if (!var)
		return -1;
	memcpy(var, name, nl);
	var[nl] = '=';
	memcpy(var + nl + 1, value, vl + 1);
	env->vars[env->n++] = var;
	env->vars[env->n] = NULL;
	return 0;
}

static const char xml_decl[] = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

char *request_stdin_document(const char *text, size_t len, size_t *out_len)
{
	struct buf out = {0};
	const char *p = text, *end = text + len;
	bool has_xml_lang = false;

	if (len < 2 || text[0] != '<')
		return NULL;
	/* an xml:lang already there (from the caller's own serializer) wins */
	for (const char *q = text; q < end && *q != '>'; q++)
		if (*q == ':' && q - text >= 4 && memcmp(q - 3, "xml:lang", 8) == 0)
			has_xml_lang = true;
	buf_append(&out, xml_decl, sizeof xml_decl - 1);
	p++;
	while (p < end && *p != ' ' && *p != '>' && *p != '/')
		p++;
	buf_append(&out, text, (size_t)(p - text));
	buf_puts(&out, " xmlns=\"jabber:client\"");
	for (;;) {
		const char *name, *eq, *val_end;
		char quote;
		while (p < end && *p == ' ')
			p++;
		if (p >= end || *p == '>' || *p == '/')
			break;
		name = p;
		eq = memchr(p, '=', (size_t)(end - p));
		if (!eq || eq + 1 >= end || (eq[1] != '"' && eq[1] != '\''))
			break;
		quote = eq[1];
		val_end = memchr(eq + 2, quote, (size_t)(end - eq - 2));
		if (!val_end)
			break;
		p = val_end + 1;
		if ((eq - name == 5 && memcmp(name, "xmlns", 5) == 0))
			continue; /* the stream's namespace, replaced above */
		buf_puts(&out, " ");
		if (eq - name == 4 && memcmp(name, "lang", 4) == 0 && !has_xml_lang)
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
		free(env->vars[i]);
		env->vars[i] = env->vars[--env->n];
		env->vars[env->n] = NULL;
		break;
	}
	if (drop_empty && !*value)
		return 0;
	return env_add(env, name, value);
}

void cgi_env_free(struct cgi_env *env)
{
	for (size_t i = 0; i < env->n; i++)
		free(env->vars[i]);
	free(env->vars);
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

int request_build_env(const struct request_meta *m, struct cgi_env *env, const char **reason)
{
	char port[16], length[32];
	int rc = 0;

	*reason = NULL;
	snprintf(port, sizeof port, "%u", m->server_port);
	snprintf(length, sizeof length, "%zu", m->content_length);
	memset(env, 0, sizeof *env);
	/* A route's env = PATH=... replaces the inherited PATH. */
	for (size_t i = 0; i < m->n_extra; i++)
		if (strcmp(m->extra[i].name, "PATH") == 0)
			goto extra_path;
	rc |= env_add(env, "PATH", m->path ? m->path : "/usr/local/bin:/usr/bin:/bin");
extra_path:
	rc |= env_add(env, "GATEWAY_INTERFACE", "CGI/1.1");
	rc |= env_add(env, "SERVER_PROTOCOL", "XMPP/1.0");
	rc |= env_add(env, "SERVER_SOFTWARE", PACKAGE_NAME "/" PACKAGE_VERSION);
	rc |= env_add(env, "SERVER_NAME", m->server_name);
	rc |= env_add(env, "SERVER_PORT", port);
	rc |= env_add(env, "REQUEST_METHOD", "POST");
	rc |= env_add(env, "CONTENT_TYPE", "application/xml");
	rc |= env_add(env, "CONTENT_LENGTH", length);
	rc |= env_add(env, "PATH_INFO", m->path_info);
	rc |= env_add(env, "SCRIPT_NAME", "");
	if (m->script)
		rc |= env_add(env, "SCRIPT_FILENAME", m->script);
	rc |= env_add(env, "QUERY_STRING", "");
	rc |= env_add(env, "REMOTE_ADDR", m->remote_addr);
	if (m->remote_user && *m->remote_user) {
		rc |= env_add(env, "REMOTE_USER", m->remote_user);
		rc |= env_add(env, "AUTH_TYPE", "XMPP");
	}
	rc |= env_add(env, "XMPP_ROUTE", m->route);
	rc |= env_add(env, "XMPP_STANZA", m->stanza_name);
	if (m->control_socket)
		rc |= env_add(env, "XMPP_CGI_SOCKET", m->control_socket);
	if (rc == 0)
		rc = add_attrs(m, env, reason);
	for (size_t i = 0; rc == 0 && i < m->n_extra; i++)
		rc = env_add(env, m->extra[i].name, m->extra[i].value);
	for (size_t i = 0; rc == 0 && i < m->n_params; i++)
		rc = env_add(env, m->params[i].name, m->params[i].value);
	if (rc != 0) {
		if (!*reason)
			*reason = "out of memory";
		cgi_env_free(env);
		return -1;
	}
	return 0;
}
