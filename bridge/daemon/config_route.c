/* config_route.c - the keys of a [route "NAME"] section: parsing, defaults, checks (pure).
 *
 * A route runs either a CGI script (cgi) or FastCGI backends (fastcgi, repeatable);
 * the keys that shape the request (env, param, allow) and the limits are shared. A
 * script route may name the program that runs its scripts (interpreter, assign). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adhoc_session.h"
#include "config.h"
#include "config_internal.h"
#include "fcgi_addr.h"
#include "xml_check.h"

static bool env_name_valid(const char *name)
{
	static const char *const reserved[] = {
	    "GATEWAY_INTERFACE", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "SERVER_NAME",    "SERVER_PORT",
	    "REQUEST_METHOD",    "CONTENT_TYPE",    "CONTENT_LENGTH",  "PATH_INFO",      "SCRIPT_NAME",
	    "SCRIPT_FILENAME",   "QUERY_STRING",    "REMOTE_USER",     "AUTH_TYPE",      "REMOTE_ADDR",
	    "HTTP_PROXY",        "REQUEST_URI",     "DOCUMENT_URI",    "REDIRECT_STATUS"};
	if (!isalpha((unsigned char)*name) && *name != '_')
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return false;
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (strcmp(name, reserved[i]) == 0)
			return false;
	return strncmp(name, "XMPP_", 5) != 0;
}

static int add_allow(struct loader *ld, char ***list_out, size_t *n, const char *key, const char *v)
{
	char *list = strdup(v), *save = NULL, *tok;
	if (!list)
		return cfg_fail_at(ld, ld->line, "out of memory");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end, *l = NULL, *d = NULL, **grown;
		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (strcmp(tok, "*") != 0) {
			bool ok = cfg_split_bare_jid(tok, &l, &d);
			if (ok && strchr(l, '*') && strcmp(l, "*") != 0)
				ok = false;
			if (ok && strchr(d, '*'))
				ok = false;
			free(l);
			free(d);
			if (!ok) {
				cfg_fail_at(ld, ld->line, "%s entry '%s' is not a bare JID, *@domain or *", key,
				            tok);
				free(list);
				return 0;
			}
		}
		grown = realloc(*list_out, (*n + 1) * sizeof *grown);
		if (!grown) {
			free(list);
			return cfg_fail_at(ld, ld->line, "out of memory");
		}
		*list_out = grown;
		grown[*n] = strdup(tok);
		cfg_ascii_lower(grown[(*n)++]);
	}
	free(list);
	return 1;
}

int cfg_add_jid_patterns(struct loader *ld, char ***list, size_t *n, const char *key, const char *v)
{
	return add_allow(ld, list, n, key, v);
}

static int add_env(struct loader *ld, struct route_cfg *r, struct kv **list, size_t *n,
                   const char *key, const char *v)
{
	const char *eq = strchr(v, '=');
	struct kv *grown;
	char *name;
	(void)r;
	if (!eq || eq == v)
		return cfg_fail_at(ld, ld->line, "%s '%s' is not NAME=VALUE", key, v);
	name = strndup(v, (size_t)(eq - v));
	for (size_t i = 0; name && i < *n; i++)
		if (strcmp((*list)[i].name, name) == 0) {
			cfg_fail_at(ld, ld->line, "%s %s is already set in this route", key, name);
			free(name);
			return 0;
		}
	if (!name || !env_name_valid(name)) {
		cfg_fail_at(ld, ld->line,
		            "%s name '%s' is not allowed (letters, digits, _; not a CGI or "
		            "XMPP_ variable)",
		            key, name ? name : "");
		free(name);
		return 0;
	}
	grown = realloc(*list, (*n + 1) * sizeof *grown);
	if (!grown) {
		free(name);
		return cfg_fail_at(ld, ld->line, "out of memory");
	}
	*list = grown;
	grown[*n].name = name;
	grown[(*n)++].value = strdup(eq + 1);
	return 1;
}

/* Routes naming one address share its backend (fcgi_pool.h): within a route, the
 * same address twice is a mistake, however it is written. */
static int same_backend_twice(struct loader *ld, struct route_cfg *r)
{
	char added[FCGI_ADDR_KEY_MAX], key[FCGI_ADDR_KEY_MAX];
	const struct fcgi_addr *a = &r->fastcgi[r->n_fastcgi - 1];
	if (fcgi_addr_key(a, added, sizeof added) != 0)
		return cfg_fail_at(ld, ld->line, "fastcgi '%s': address too long", a->text);
	for (size_t i = 0; i + 1 < r->n_fastcgi; i++)
		if (fcgi_addr_key(&r->fastcgi[i], key, sizeof key) == 0 && strcmp(key, added) == 0)
			return cfg_fail_at(ld, ld->line, "fastcgi '%s' is already a backend of this route",
			                   a->text);
	return 1;
}

/* unix:/abs/path or tcp:ADDRESS:PORT (IPv6 as tcp:[::1]:9000) */
static int add_backend(struct loader *ld, struct route_cfg *r, const char *v)
{
	struct fcgi_addr a = {0}, *grown;
	unsigned long port;
	if (r->n_fastcgi == CFG_MAX_BACKENDS)
		return cfg_fail_at(ld, ld->line, "too many fastcgi backends (at most %d)",
		                   CFG_MAX_BACKENDS);
	if (strncmp(v, "unix:", 5) == 0) {
		if (v[5] != '/' || strlen(v + 5) >= 108)
			return cfg_fail_at(ld, ld->line,
			                   "fastcgi '%s': a unix socket needs an absolute path under "
			                   "108 bytes",
			                   v);
		a.kind = FCGI_ADDR_UNIX;
		a.path = strdup(v + 5);
	} else if (strncmp(v, "tcp:", 4) == 0) {
		const char *host = v + 4, *colon;
		unsigned char tmp[16];
		size_t hl;
		if (*host == '[') {
			const char *close = strchr(host, ']');
			if (!close || close[1] != ':')
				goto bad_tcp;
			host++;
			hl = (size_t)(close - host);
			colon = close + 1;
		} else {
			colon = strrchr(host, ':');
			if (!colon)
				goto bad_tcp;
			hl = (size_t)(colon - host);
		}
		a.host = strndup(host, hl);
		if (!a.host || !cfg_parse_uint(colon + 1, 1, 65535, &port) ||
		    (inet_pton(AF_INET, a.host, tmp) != 1 && inet_pton(AF_INET6, a.host, tmp) != 1)) {
			free(a.host);
			goto bad_tcp;
		}
		a.kind = FCGI_ADDR_TCP;
		a.port = (unsigned)port;
	} else
		return cfg_fail_at(ld, ld->line, "fastcgi '%s' is not unix:/path or tcp:ADDRESS:PORT", v);
	a.text = strdup(v);
	grown = realloc(r->fastcgi, (r->n_fastcgi + 1) * sizeof *grown);
	if (!grown) {
		free(a.text);
		free(a.path);
		free(a.host);
		return cfg_fail_at(ld, ld->line, "out of memory");
	}
	r->fastcgi = grown;
	r->fastcgi[r->n_fastcgi++] = a;
	return same_backend_twice(ld, r);
bad_tcp:
	return cfg_fail_at(ld, ld->line,
	                   "fastcgi '%s': expected tcp:ADDRESS:PORT with a numeric address", v);
}

/* ---- interpreters (interpreter, assign), as lighttpd's cgi.assign ---- */

/* An interpreter: a regular, executable file (a relative path from the config's dir). */
static char *interpreter_path(struct loader *ld, const char *key, const char *v)
{
	struct stat st;
	char *path = cfg_resolve_path(ld->dir, v);
	const char *why = NULL;
	if (!path || stat(path, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (access(path, X_OK) != 0)
		why = "not executable";
	if (why) {
		cfg_fail_at(ld, ld->line, "%s %s: %s", key, v, why);
		free(path);
		return NULL;
	}
	return path;
}

/* assign = .EXT=PROGRAM */
static int add_assign(struct loader *ld, struct route_cfg *r, const char *v)
{
	const char *eq = strchr(v, '=');
	struct kv *grown;
	char *ext, *prog;
	if (!eq || v[0] != '.' || eq - v < 2 || eq - v > 16)
		return cfg_fail_at(ld, ld->line, "assign '%s' is not .EXTENSION=PROGRAM", v);
	for (const char *p = v + 1; p < eq; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.')
			return cfg_fail_at(ld, ld->line,
			                   "assign '%s': an extension is a dot and letters, digits, "
			                   "'.', '_' or '-'",
			                   v);
	for (size_t i = 0; i < r->n_assign; i++)
		if (strncmp(r->assign[i].name, v, (size_t)(eq - v)) == 0 && !r->assign[i].name[eq - v])
			return cfg_fail_at(ld, ld->line, "assign %.*s is already set in this route",
			                   (int)(eq - v), v);
	if (r->n_assign == CFG_MAX_ASSIGN)
		return cfg_fail_at(ld, ld->line, "too many assign lines (at most %d)", CFG_MAX_ASSIGN);
	if (!(prog = interpreter_path(ld, "assign", eq + 1)))
		return 0;
	ext = strndup(v, (size_t)(eq - v));
	grown = realloc(r->assign, (r->n_assign + 1) * sizeof *grown);
	if (!ext || !grown) {
		free(ext);
		free(prog);
		if (grown)
			r->assign = grown;
		return cfg_fail_at(ld, ld->line, "out of memory");
	}
	r->assign = grown;
	r->assign[r->n_assign].name = ext;
	r->assign[r->n_assign++].value = prog;
	return 1;
}

const char *config_route_interpreter(const struct route_cfg *r, const char *script)
{
	size_t sl = strlen(script);
	const char *base = strrchr(script, '/');
	base = base ? base + 1 : script;
	for (size_t i = 0; i < r->n_assign; i++) {
		size_t el = strlen(r->assign[i].name);
		/* ".php" matches "x.php", not a file named ".php" */
		if (sl > el && (size_t)(script + sl - base) > el &&
		    strcmp(script + sl - el, r->assign[i].name) == 0)
			return r->assign[i].value;
	}
	return r->interpreter;
}

/* A cgi route's script must be executable unless an interpreter runs it. */
static int check_interpreters(struct loader *ld, struct route_cfg *r)
{
	if ((r->interpreter || r->n_assign) && r->n_fastcgi)
		return cfg_fail_at(ld, r->line,
		                   "route \"%s\": interpreter and assign are for cgi and cgi_dir routes",
		                   r->name);
	if (r->cgi && !config_route_interpreter(r, r->cgi) && access(r->cgi, X_OK) != 0)
		return cfg_fail_at(ld, r->cgi_line,
		                   "cgi %s: not executable (and no interpreter or assign runs it)", r->cgi);
	return 1;
}

/* ---- setters of the route's keys: conf is the struct route_cfg ---- */

static int set_cgi(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	struct stat st;
	(void)cmd;
	r->cgi = cfg_resolve_path(ld->dir, v);
	if (!r->cgi || stat(r->cgi, &st) != 0)
		return cfg_fail_at(ld, ld->line, "cgi %s: %s", v, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cfg_fail_at(ld, ld->line, "cgi %s: not a regular file", v);
	r->cgi_line = ld->line; /* executable: checked once interpreters are known */
	return 1;
}

static int set_cgi_dir(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	struct stat st;
	(void)cmd;
	r->cgi_dir = cfg_resolve_path(ld->dir, v);
	if (!r->cgi_dir || stat(r->cgi_dir, &st) != 0)
		return cfg_fail_at(ld, ld->line, "cgi_dir %s: %s", v, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return cfg_fail_at(ld, ld->line, "cgi_dir %s: not a directory", v);
	return 1;
}

static int set_allow(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	return add_allow(ld, &r->allow, &r->n_allow, cmd->name, v);
}

static int set_send_allow(struct loader *ld, const struct cfg_command *cmd, void *conf,
                          const char *v)
{
	struct route_cfg *r = conf;
	return add_allow(ld, &r->send_allow, &r->n_send_allow, cmd->name, v);
}

static int set_env(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	return add_env(ld, r, &r->env, &r->n_env, cmd->name, v);
}

static int set_param(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	return add_env(ld, r, &r->params, &r->n_params, cmd->name, v);
}

static int set_fastcgi(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)cmd;
	return add_backend(ld, conf, v);
}

static int set_script_filename(struct loader *ld, const struct cfg_command *cmd, void *conf,
                               const char *v)
{
	(void)cmd;
	if (v[0] != '/')
		return cfg_fail_at(ld, ld->line, "script_filename '%s' is not an absolute path", v);
	((struct route_cfg *)conf)->script_filename = strdup(v);
	return 1;
}

static int set_description(struct loader *ld, const struct cfg_command *cmd, void *conf,
                           const char *v)
{
	const char *why;
	(void)cmd;
	if (strlen(v) > 200)
		return cfg_fail_at(ld, ld->line, "description is over 200 bytes");
	/* it goes out in disco answers: nothing a server would refuse */
	if ((why = xml_check_text(v, strlen(v), true)))
		return cfg_fail_at(ld, ld->line, "description has %s (UTF-8 text only)", why);
	((struct route_cfg *)conf)->description = strdup(v);
	return 1;
}

static int set_interpreter(struct loader *ld, const struct cfg_command *cmd, void *conf,
                           const char *v)
{
	struct route_cfg *r = conf;
	r->interpreter = interpreter_path(ld, cmd->name, v);
	return r->interpreter != NULL;
}

static int set_assign(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)cmd;
	return add_assign(ld, conf, v);
}

/* ---- ad-hoc commands (XEP-0050) ---- */

static int set_command_node(struct loader *ld, const struct cfg_command *cmd, void *conf,
                            const char *v)
{
	const char *why;
	(void)cmd;
	if (!*v || strlen(v) > 200)
		return cfg_fail_at(ld, ld->line, "command_node must be 1-200 bytes");
	if ((why = xml_check_text(v, strlen(v), true)))
		return cfg_fail_at(ld, ld->line, "command_node has %s (UTF-8 text only)", why);
	if (strcmp(v, "http://jabber.org/protocol/commands") == 0)
		return cfg_fail_at(ld, ld->line, "command_node cannot be the commands list's own node");
	if (strncmp(v, ADHOC_BUILTIN_PREFIX, strlen(ADHOC_BUILTIN_PREFIX)) == 0)
		return cfg_fail_at(ld, ld->line, "command_node: %s... is the bridge's own",
		                   ADHOC_BUILTIN_PREFIX);
	((struct route_cfg *)conf)->command_node = strdup(v);
	return 1;
}

/* Command keys need command = yes; nodes are unique, since a stage finds its route by
 * its node wherever it is sent. */
static int finish_command(struct loader *ld, struct route_cfg *r)
{
	const struct config *cfg = ld->cfg;
	if (!r->command && (r->command_node || r->command_timeout_s || r->command_sessions))
		return cfg_fail_at(ld, r->line,
		                   "route \"%s\": command_node, command_timeout and command_sessions "
		                   "need command = yes",
		                   r->name);
	if (!r->command)
		return 1;
	if (r->cgi_dir)
		return cfg_fail_at(ld, r->line, "[route \"*\"] cannot be a command");
	if (!r->command_node)
		r->command_node = strdup(r->name);
	if (!r->command_timeout_s)
		r->command_timeout_s = CFG_DEFAULT_COMMAND_TIMEOUT;
	if (!r->command_sessions)
		r->command_sessions = CFG_DEFAULT_COMMAND_SESSIONS;
	for (const struct route_cfg *o = cfg->routes; o < r; o++) /* the later one is wrong */
		if (o->command && o->command_node && strcmp(o->command_node, r->command_node) == 0)
			return cfg_fail_at(ld, r->line,
			                   "route \"%s\": command node '%s' is already route \"%s\"'s", r->name,
			                   r->command_node, o->name);
	return 1;
}

static const struct cfg_command route_commands[] = {
    CFG_KEY("cgi", set_cgi),
    CFG_UINT("timeout", struct route_cfg, timeout_s, 1, 86400,
             "is not a number of seconds (1-86400)"),
    CFG_UINT("max_concurrency", struct route_cfg, max_concurrency, 1, 65536,
             "is not a number (1-65536)"),
    CFG_UINT("max_queue", struct route_cfg, max_queue, 0, 1000000, "is not a number (0-1000000)"),
    CFG_SIZE("max_output", struct route_cfg, max_output, 1024, 64 * 1024 * 1024,
             "is not a size (1k-64M)"),
    CFG_BOOL("message_replies", struct route_cfg, message_replies),
    CFG_LIST("allow", set_allow),
    CFG_LIST("env", set_env),
    CFG_LIST("fastcgi", set_fastcgi),
    CFG_KEY("script_filename", set_script_filename),
    CFG_LIST("param", set_param),
    CFG_UINT("connect_timeout", struct route_cfg, connect_timeout_s, 1, 3600,
             "is not a number of seconds (1-3600)"),
    CFG_KEY("cgi_dir", set_cgi_dir),
    CFG_KEY("description", set_description),
    CFG_BOOL("soap", struct route_cfg, soap),
    CFG_BOOL("http", struct route_cfg, http),
    CFG_LIST("send_allow", set_send_allow),
    CFG_KEY("interpreter", set_interpreter),
    CFG_LIST("assign", set_assign),
    CFG_UINT("backend_rest", struct route_cfg, backend_rest_s, 0, 3600,
             "is not a number of seconds (0-3600)"),
    CFG_BOOL("command", struct route_cfg, command),
    CFG_KEY("command_node", set_command_node),
    CFG_UINT("command_timeout", struct route_cfg, command_timeout_s, 1, 86400,
             "is not a number of seconds (1-86400)"),
    CFG_UINT("command_sessions", struct route_cfg, command_sessions, 1, 100000,
             "is not a number (1-100000)"),
};
CFG_TABLE_FITS(route_commands);

int cfg_route_key(struct loader *ld, struct route_cfg *r, const char *name, const char *v)
{
	char label[128];
	int muc = cfg_muc_key(ld, r, name, v);
	if (muc >= 0)
		return muc;
	snprintf(label, sizeof label, "route \"%s\"", r->name);
	return cfg_table_key(ld, route_commands, CFG_N(route_commands), label, &ld->seen_route, r, name,
	                     v);
}

int cfg_route_finish(struct loader *ld, struct route_cfg *r)
{
	struct config *cfg = ld->cfg;
	bool wildcard = strcmp(r->name, "*") == 0;
	if (wildcard && cfg->mode != MODE_COMPONENT)
		return cfg_fail_at(ld, r->line, "[route \"*\"] needs mode = component");
	if (wildcard != (r->cgi_dir != NULL))
		return cfg_fail_at(ld, r->line,
		                   wildcard ? "[route \"*\"] needs cgi_dir"
		                            : "route \"%s\": cgi_dir is for [route \"*\"] only",
		                   r->name);
	if (wildcard && (r->cgi || r->n_fastcgi))
		return cfg_fail_at(ld, r->line, "[route \"*\"] takes cgi_dir, not cgi or fastcgi");
	if (!r->cgi && !r->n_fastcgi && !wildcard)
		return cfg_fail_at(ld, r->line, "route \"%s\" has neither cgi nor fastcgi", r->name);
	if (r->cgi && r->n_fastcgi)
		return cfg_fail_at(ld, r->line, "route \"%s\" has both cgi and fastcgi", r->name);
	if (r->cgi && (r->script_filename || r->n_params || r->connect_timeout_s != (unsigned)-1))
		return cfg_fail_at(ld, r->line,
		                   "route \"%s\": script_filename, param and connect_timeout are for "
		                   "fastcgi routes",
		                   r->name);
	if (!check_interpreters(ld, r) || !finish_command(ld, r))
		return 0;
	if (!r->n_fastcgi && r->backend_rest_s != (unsigned)-1)
		return cfg_fail_at(ld, r->line, "route \"%s\": backend_rest is for fastcgi routes",
		                   r->name);
	if (r->backend_rest_s == (unsigned)-1)
		r->backend_rest_s = CFG_DEFAULT_BACKEND_REST;
	if (r->connect_timeout_s == (unsigned)-1)
		r->connect_timeout_s = CFG_DEFAULT_CONNECT_TIMEOUT;
	if (r->timeout_s == (unsigned)-1)
		r->timeout_s = CFG_DEFAULT_TIMEOUT;
	if (r->max_concurrency == (unsigned)-1)
		r->max_concurrency = CFG_DEFAULT_MAX_CONCURRENCY;
	if (r->max_queue == (unsigned)-1)
		r->max_queue = CFG_DEFAULT_MAX_QUEUE;
	if (r->max_output == (size_t)-1)
		r->max_output = CFG_DEFAULT_MAX_OUTPUT;
	if (!r->n_allow) {
		char pattern[300];
		/* the bridge's own domain: a component's parent (api.example.org -> example.org) */
		const char *own = cfg->domain, *dot = strchr(own, '.');
		if (cfg->mode == MODE_COMPONENT && dot && strchr(dot + 1, '.'))
			own = dot + 1;
		else if (cfg->mode == MODE_COMPONENT && dot && !strchr(dot + 1, '.') &&
		         strcmp(dot + 1, "localhost") == 0)
			own = dot + 1;
		snprintf(pattern, sizeof pattern, "*@%s", own);
		r->allow = malloc(sizeof *r->allow);
		if (!r->allow)
			return cfg_fail_at(ld, r->line, "out of memory");
		r->allow[0] = strdup(pattern);
		r->n_allow = 1;
	}
	return cfg_muc_finish(ld, r);
}

void cfg_route_free(struct route_cfg *r)
{
	free(r->name);
	free(r->cgi);
	free(r->cgi_dir);
	free(r->description);
	free(r->command_node);
	for (size_t i = 0; i < r->n_fastcgi; i++) {
		free(r->fastcgi[i].text);
		free(r->fastcgi[i].path);
		free(r->fastcgi[i].host);
	}
	free(r->fastcgi);
	free(r->script_filename);
	for (size_t i = 0; i < r->n_params; i++) {
		free(r->params[i].name);
		free(r->params[i].value);
	}
	free(r->params);
	for (size_t i = 0; i < r->n_allow; i++)
		free(r->allow[i]);
	free(r->allow);
	for (size_t i = 0; i < r->n_send_allow; i++)
		free(r->send_allow[i]);
	free(r->send_allow);
	for (size_t i = 0; i < r->n_env; i++) {
		free(r->env[i].name);
		free(r->env[i].value);
	}
	free(r->env);
	free(r->keys);
	free(r->interpreter);
	for (size_t i = 0; i < r->n_assign; i++) {
		free(r->assign[i].name);
		free(r->assign[i].value);
	}
	free(r->assign);
	cfg_muc_free(r);
}
