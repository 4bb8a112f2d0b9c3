/* config.c - reads the INI file with libinih into struct config and validates it.
 *
 * libinih does the tokenising; this file owns the meaning of every key, the defaults
 * and the checks. Errors name the file and line: libinih does not pass the line to its
 * handler, so the line reader given to ini_parse_stream() counts lines itself. The
 * first error stops the load; nothing half-valid is ever returned. */
#include "config.h"
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jid_check.h"

static int enter_pending(struct loader *ld);

int cfg_fail_at(struct loader *ld, int line, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (ld->failed)
		return 0;
	ld->failed = true;
	n = snprintf(ld->err, ld->errlen, "%s:%d: ", ld->cfg->path, line);
	if (n < 0 || (size_t)n >= ld->errlen)
		return 0;
	va_start(ap, fmt);
	vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return 0;
}

/* Line reader for ini_parse_stream: fgets that counts lines and notices headers. */
static char *read_line(char *str, int num, void *stream)
{
	struct loader *ld = stream;
	const char *p;
	size_t len;
	if (!fgets(str, num, ld->file))
		return NULL;
	len = strlen(str);
	if (len && str[len - 1] == '\n')
		ld->line++;
	else if (feof(ld->file))
		ld->line++;
	else {
		/* libinih would silently split a line longer than its buffer */
		cfg_fail_at(ld, ld->line + 1, "line too long (over %d bytes)", num - 2);
		return NULL;
	}
	p = str;
	if (ld->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3; /* libinih skips a UTF-8 BOM too */
	while (*p == ' ' || *p == '\t')
		p++;
	/* an indented line after a key is, for libinih, one more value of that key */
	if (*p == '[' && !(p > str && ld->key_seen)) {
		const char *close = strchr(p, ']');
		if (!enter_pending(ld))
			return NULL;
		if (!close) {
			cfg_fail_at(ld, ld->line, "syntax error (section header without ])");
			return NULL;
		}
		/* libinih cuts section names at 50 bytes: keep the whole header here */
		snprintf(ld->header, sizeof ld->header, "%.*s", (int)(close - p - 1), p + 1);
		ld->section_line = ld->line;
		ld->key_seen = false;
	}
	return str;
}

bool cfg_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

bool cfg_parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;
	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* "65536", "64k", "1M" */
bool cfg_parse_size(const char *v, size_t min, size_t max, size_t *out)
{
	char *end;
	unsigned long long n;
	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return false;
	if (*end == 'k' || *end == 'K')
		n *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		n *= 1024 * 1024, end++;
	if (*end || n < min || n > max)
		return false;
	*out = (size_t)n;
	return true;
}

void cfg_ascii_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* local@domain, no resource, neither part empty. */
/* A localpart alone, checked as part of a JID on a placeholder domain. */
static bool localpart_ok(const char *local)
{
	char jid[1100];
	return (size_t)snprintf(jid, sizeof jid, "%s@x", local) < sizeof jid && !jid_check(jid);
}

bool cfg_split_bare_jid(const char *jid, char **local, char **domain)
{
	const char *at = strchr(jid, '@');
	if (!at || at == jid || !at[1] || strchr(at + 1, '@') || strchr(jid, '/') ||
	    strpbrk(jid, " \t") || jid_check(jid))
		return false;
	*local = strndup(jid, (size_t)(at - jid));
	*domain = strdup(at + 1);
	cfg_ascii_lower(*domain);
	return *local && *domain;
}

bool config_route_name_valid(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._~-", *p))
			return false;
	return strcmp(name, ".") && strcmp(name, "..");
}

char *cfg_resolve_path(struct loader *ld, const char *v)
{
	char *p;
	if (v[0] == '/')
		return strdup(v);
	p = malloc(strlen(ld->dir) + strlen(v) + 2);
	if (p)
		sprintf(p, "%s/%s", ld->dir, v);
	return p;
}

static int read_secret_file(struct loader *ld, const char *path, char **out)
{
	char buf[1024];
	size_t n;
	FILE *f = fopen(path, "re");
	if (!f)
		return cfg_fail_at(ld, ld->line, "password_file %s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof buf - 1, f);
	if (n == sizeof buf - 1 && fgetc(f) != EOF) {
		fclose(f);
		return cfg_fail_at(ld, ld->line, "password_file %s is over %zu bytes", path,
		                   sizeof buf - 2);
	}
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	if (!n)
		return cfg_fail_at(ld, ld->line, "password_file %s is empty", path);
	free(*out);
	*out = strdup(buf);
	return 1;
}

enum xmpp_key {
	XK_JID,
	XK_USERNAME,
	XK_DOMAIN,
	XK_PASSWORD,
	XK_PASSWORD_FILE,
	XK_HOST,
	XK_PORT,
	XK_TLS,
	XK_CAFILE,
	XK_MODE,
	XK_COMPONENT,
	XK_SECRET,
	XK_SECRET_FILE,
	XK_COUNT
};
static const char *const xmpp_keys[XK_COUNT] = {
    "jid", "username", "domain", "password",  "password_file", "host",       "port",
    "tls", "cafile",   "mode",   "component", "secret",        "secret_file"};

static int xmpp_key(struct loader *ld, const char *name, const char *v)
{
	struct config *cfg = ld->cfg;
	unsigned long n;
	int k;
	for (k = 0; k < XK_COUNT; k++)
		if (strcmp(name, xmpp_keys[k]) == 0)
			break;
	if (k == XK_COUNT)
		return cfg_fail_at(ld, ld->line, "unknown key '%s' in [xmpp]", name);
	if (ld->seen_xmpp & (1u << k))
		return cfg_fail_at(ld, ld->line, "duplicate key '%s' in [xmpp]", name);
	ld->seen_xmpp |= 1u << k;
	if ((ld->seen_xmpp & (1u << XK_JID)) &&
	    (ld->seen_xmpp & ((1u << XK_USERNAME) | (1u << XK_DOMAIN))))
		return cfg_fail_at(ld, ld->line, "give either jid or username and domain, not both");
	if ((ld->seen_xmpp & (1u << XK_PASSWORD)) && (ld->seen_xmpp & (1u << XK_PASSWORD_FILE)))
		return cfg_fail_at(ld, ld->line, "give either password or password_file, not both");
	if ((ld->seen_xmpp & (1u << XK_SECRET)) && (ld->seen_xmpp & (1u << XK_SECRET_FILE)))
		return cfg_fail_at(ld, ld->line, "give either secret or secret_file, not both");
	switch ((enum xmpp_key)k) {
	case XK_JID:
		if (!cfg_split_bare_jid(v, &cfg->localpart, &cfg->domain))
			return cfg_fail_at(ld, ld->line,
			                   "jid '%s' is not a bare JID (user@domain; routes choose "
			                   "the resource)",
			                   v);
		break;
	case XK_USERNAME:
		if (!*v || strpbrk(v, "@/ \t") || !localpart_ok(v))
			return cfg_fail_at(ld, ld->line, "username '%s' is not a valid localpart", v);
		cfg->localpart = strdup(v);
		break;
	case XK_DOMAIN:
		if (!*v || strpbrk(v, "@/ \t") || jid_check(v))
			return cfg_fail_at(ld, ld->line, "domain '%s' is not a valid domain", v);
		cfg->domain = strdup(v);
		cfg_ascii_lower(cfg->domain);
		break;
	case XK_PASSWORD:
		cfg->password = strdup(v);
		break;
	case XK_PASSWORD_FILE: {
		char *path = cfg_resolve_path(ld, v);
		int r = read_secret_file(ld, path, &cfg->password);
		free(path);
		return r;
	}
	case XK_HOST:
		if (!*v)
			return cfg_fail_at(ld, ld->line, "host is empty");
		cfg->host = strdup(v);
		break;
	case XK_PORT:
		if (!cfg_parse_uint(v, 1, 65535, &n))
			return cfg_fail_at(ld, ld->line, "port '%s' is not a number from 1 to 65535", v);
		cfg->port = (unsigned)n;
		break;
	case XK_TLS:
		if (strcmp(v, "required") == 0)
			cfg->tls = TLS_REQUIRED;
		else if (strcmp(v, "optional") == 0)
			cfg->tls = TLS_OPTIONAL;
		else if (strcmp(v, "disabled") == 0)
			cfg->tls = TLS_DISABLED;
		else
			return cfg_fail_at(ld, ld->line, "tls '%s' is not one of required, optional, disabled",
			                   v);
		break;
	case XK_CAFILE:
		cfg->cafile = cfg_resolve_path(ld, v);
		if (access(cfg->cafile, R_OK) != 0)
			return cfg_fail_at(ld, ld->line, "cafile %s: %s", cfg->cafile, strerror(errno));
		break;
	case XK_MODE:
		if (strcmp(v, "client") == 0)
			cfg->mode = MODE_CLIENT;
		else if (strcmp(v, "component") == 0)
			cfg->mode = MODE_COMPONENT;
		else
			return cfg_fail_at(ld, ld->line, "mode '%s' is not client or component", v);
		break;
	case XK_COMPONENT:
		if (!*v || strpbrk(v, "@/ \t") || jid_check(v))
			return cfg_fail_at(ld, ld->line, "component '%s' is not a domain", v);
		ld->component = strdup(v);
		cfg_ascii_lower(ld->component);
		break;
	case XK_SECRET:
		ld->secret = strdup(v);
		break;
	case XK_SECRET_FILE: {
		char *path = cfg_resolve_path(ld, v);
		int r = read_secret_file(ld, path, &ld->secret);
		free(path);
		return r;
	}
	case XK_COUNT:
		break;
	}
	return 1;
}

/* tokenless_users = * | none | USER[, USER...]: who may use the socket without a token */
static int tokenless_users(struct loader *ld, const char *v)
{
	struct config *cfg = ld->cfg;
	char *list = strdup(v), *save = NULL;
	int rc = 1;
	if (!list)
		return cfg_fail_at(ld, ld->line, "out of memory");
	cfg->control_tokenless_any = strcmp(v, "*") == 0;
	for (char *w = strtok_r(list, ", \t", &save); w && rc == 1 && !cfg->control_tokenless_any;
	     w = strtok_r(NULL, ", \t", &save)) {
		struct passwd *pw = getpwnam(w);
		unsigned long uid;
		long *grown;
		if (strcmp(w, "none") == 0)
			continue;
		if (!pw && !cfg_parse_uint(w, 0, UINT_MAX - 1, &uid)) {
			rc = cfg_fail_at(ld, ld->line, "tokenless_users: no user '%s'", w);
			break;
		}
		grown = realloc(cfg->control_tokenless_uids,
		                (cfg->control_n_tokenless_uids + 1) * sizeof *grown);
		if (!grown) {
			rc = cfg_fail_at(ld, ld->line, "out of memory");
			break;
		}
		cfg->control_tokenless_uids = grown;
		grown[cfg->control_n_tokenless_uids++] = pw ? (long)pw->pw_uid : (long)uid;
	}
	free(list);
	return rc;
}

static int control_key(struct loader *ld, const char *name, const char *v)
{
	static const char *const keys[] = {"socket",       "mode",           "group",
	                                   "max_stanza",   "max_line",       "max_connections",
	                                   "idle_timeout", "tokenless_users"};
	enum { N_KEYS = sizeof keys / sizeof *keys };
	struct config *cfg = ld->cfg;
	unsigned long n;
	unsigned k;
	for (k = 0; k < N_KEYS; k++)
		if (strcmp(name, keys[k]) == 0)
			break;
	if (k == N_KEYS)
		return cfg_fail_at(ld, ld->line, "unknown key '%s' in [control]", name);
	if (ld->seen_control & (1u << k))
		return cfg_fail_at(ld, ld->line, "duplicate key '%s' in [control]", name);
	ld->seen_control |= 1u << k;
	if (k == 0) {
		if (v[0] != '/' || strlen(v) >= 108)
			return cfg_fail_at(ld, ld->line, "socket '%s' is not an absolute path under 108 bytes",
			                   v);
		cfg->control_socket = strdup(v);
	} else if (k == 1) {
		char *end;
		unsigned long m = strtoul(v, &end, 8);
		if (!*v || *end || m > 0777)
			return cfg_fail_at(ld, ld->line, "mode '%s' is not an octal mode like 0660", v);
		cfg->control_mode = (unsigned)m;
	} else if (k == 2) {
		struct group *g = getgrnam(v);
		if (!g)
			return cfg_fail_at(ld, ld->line, "group '%s' does not exist", v);
		cfg->control_gid = (long)g->gr_gid;
	} else if (k == 3) {
		if (!cfg_parse_size(v, 1024, 16 * 1024 * 1024, &cfg->control_max_stanza))
			return cfg_fail_at(ld, ld->line, "max_stanza '%s' is not a size (1k-16M)", v);
	} else if (k == 4) {
		if (!cfg_parse_size(v, 256, 4096, &cfg->control_max_line))
			return cfg_fail_at(ld, ld->line, "max_line '%s' is not a size (256-4096)", v);
	} else if (k == 5) {
		if (!cfg_parse_uint(v, 1, 65536, &n))
			return cfg_fail_at(ld, ld->line, "max_connections '%s' is not a number (1-65536)", v);
		cfg->control_max_connections = (unsigned)n;
	} else if (k == 6) {
		if (!cfg_parse_uint(v, 1, 86400, &n))
			return cfg_fail_at(ld, ld->line,
			                   "idle_timeout '%s' is not a number of seconds (1-86400)", v);
		cfg->control_idle_timeout_s = (unsigned)n;
	} else
		return tokenless_users(ld, v);
	return 1;
}

/* Client and component mode take different keys; each refuses the other's. */
static int finish_mode(struct loader *ld)
{
	static const unsigned client_keys = 1u << XK_JID | 1u << XK_USERNAME | 1u << XK_DOMAIN |
	                                    1u << XK_PASSWORD | 1u << XK_PASSWORD_FILE | 1u << XK_TLS |
	                                    1u << XK_CAFILE;
	static const unsigned component_keys =
	    1u << XK_COMPONENT | 1u << XK_SECRET | 1u << XK_SECRET_FILE;
	struct config *cfg = ld->cfg;
	int xmpp_line = ld->xmpp_line ? ld->xmpp_line : ld->line;
	if (cfg->mode == MODE_CLIENT) {
		if (ld->seen_xmpp & component_keys)
			return cfg_fail_at(ld, xmpp_line, "component and secret are for mode = component");
		if (!cfg->localpart || !cfg->domain)
			return cfg_fail_at(ld, xmpp_line,
			                   "[xmpp] needs jid = user@domain (or username and domain)");
		if (!cfg->password)
			return cfg_fail_at(ld, xmpp_line, "[xmpp] needs password or password_file");
		if (!cfg->port)
			cfg->port = CFG_DEFAULT_PORT;
		return 1;
	}
	if (ld->seen_xmpp & client_keys)
		return cfg_fail_at(ld, xmpp_line,
		                   "jid, username, domain, password, tls and cafile are for mode = "
		                   "client (a component connection has no TLS: keep it on loopback)");
	if (!ld->component)
		return cfg_fail_at(ld, xmpp_line, "mode = component needs component = DOMAIN");
	if (!ld->secret)
		return cfg_fail_at(ld, xmpp_line, "mode = component needs secret or secret_file");
	cfg->domain = ld->component;
	cfg->password = ld->secret;
	ld->component = ld->secret = NULL;
	cfg->tls = TLS_DISABLED;
	if (!cfg->port)
		cfg->port = CFG_DEFAULT_COMPONENT_PORT;
	return 1;
}

/* Parses 'route "NAME"' into NAME; returns false if the header is something else. */
static bool route_section_name(const char *section, char *name, size_t len)
{
	const char *q, *end;
	if (strncmp(section, "route", 5) != 0)
		return false;
	for (q = section + 5; *q == ' ' || *q == '\t'; q++)
		;
	if (*q != '"')
		return false;
	end = strchr(q + 1, '"');
	if (!end || end[1] || (size_t)(end - q - 1) >= len)
		return false;
	memcpy(name, q + 1, (size_t)(end - q - 1));
	name[end - q - 1] = '\0';
	return true;
}

static int enter_section(struct loader *ld, const char *section)
{
	struct config *cfg = ld->cfg;
	char name[128];
	struct route_cfg *grown;
	ld->route = NULL;
	ld->in_xmpp = false;
	ld->in_control = false;
	ld->in_metrics = false;
	ld->in_daemon = false;
	ld->in_instance = false;
	ld->seen_route = 0;
	if (strcmp(section, "metrics") == 0) {
		if (ld->seen_metrics)
			return cfg_fail_at(ld, ld->section_line, "duplicate section [metrics]");
		ld->in_metrics = ld->seen_metrics = true;
		return 1;
	}
	if (strcmp(section, "control") == 0) {
		if (ld->seen_control)
			return cfg_fail_at(ld, ld->section_line, "duplicate section [control]");
		ld->in_control = true;
		ld->seen_control = 1u << 31;
		cfg->control_mode = CFG_DEFAULT_CONTROL_MODE;
		cfg->control_gid = -1;
		cfg->control_max_stanza = CFG_DEFAULT_MAX_STANZA;
		cfg->control_max_line = CFG_DEFAULT_CONTROL_MAX_LINE;
		cfg->control_max_connections = CFG_DEFAULT_CONTROL_MAX_CONNECTIONS;
		cfg->control_idle_timeout_s = CFG_DEFAULT_CONTROL_IDLE_TIMEOUT;
		cfg->control_tokenless_any = true;
		return 1;
	}
	if (strcmp(section, "daemon") == 0)
		return cfg_daemon_enter(ld);
	if (strcmp(section, "instance") == 0)
		return cfg_instance_enter(ld);
	if (strcmp(section, "xmpp") == 0) {
		ld->in_xmpp = true;
		if (!ld->xmpp_line)
			ld->xmpp_line = ld->section_line;
		return 1;
	}
	if (!route_section_name(section, name, sizeof name))
		return cfg_fail_at(ld, ld->section_line,
		                   "unknown section [%s] (expected [xmpp] or [route \"NAME\"])", section);
	if (!config_route_name_valid(name) && strcmp(name, "*") != 0)
		return cfg_fail_at(ld, ld->section_line,
		                   "route name '%s' is not valid (1-64 of A-Z a-z 0-9 . _ ~ -)", name);
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (strcasecmp(cfg->routes[i].name, name) == 0)
			return cfg_fail_at(ld, ld->section_line,
			                   "duplicate route \"%s\" (route names ignore case)", name);
	if (cfg->n_routes == CFG_MAX_ROUTES)
		return cfg_fail_at(ld, ld->section_line, "too many routes (at most %d)", CFG_MAX_ROUTES);
	grown = realloc(cfg->routes, (cfg->n_routes + 1) * sizeof *grown);
	if (!grown)
		return cfg_fail_at(ld, ld->section_line, "out of memory");
	cfg->routes = grown;
	ld->route = &cfg->routes[cfg->n_routes++];
	memset(ld->route, 0, sizeof *ld->route);
	ld->route->name = strdup(name);
	ld->route->line = ld->section_line;
	ld->route->max_output = (size_t)-1; /* unset */
	ld->route->timeout_s = ld->route->max_concurrency = ld->route->max_queue = (unsigned)-1;
	ld->route->connect_timeout_s = (unsigned)-1;
	ld->route->backend_rest_s = (unsigned)-1;
	return 1;
}

/* Enters the section of the most recent header unless that was done already. libinih
 * tells nothing of a section without keys, so the reader calls this at each header
 * (and config_load at the end): an empty section is checked like any other. */
static int enter_pending(struct loader *ld)
{
	if (ld->failed)
		return 0;
	if (!ld->section_line || ld->entered_line == ld->section_line)
		return 1;
	ld->entered_line = ld->section_line;
	return enter_section(ld, ld->header);
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct loader *ld = user;
	(void)section; /* possibly cut short by libinih; the reader kept the header */
	if (ld->failed)
		return 0;
	ld->key_seen = true;
	if (!ld->section_line)
		return cfg_fail_at(ld, ld->line, "key '%s' outside any section", name);
	if (!enter_pending(ld) || !cfg_note_key(ld, name, value))
		return 0;
	if (ld->in_xmpp)
		return xmpp_key(ld, name, value);
	if (ld->in_control)
		return control_key(ld, name, value);
	if (ld->in_metrics)
		return cfg_metrics_key(ld, name, value);
	if (ld->in_daemon)
		return cfg_daemon_key(ld, name, value);
	if (ld->in_instance)
		return cfg_instance_key(ld, name, value);
	return cfg_route_key(ld, ld->route, name, value);
}

/* Defaults and whole-file checks, in one place. */
static int config_finish(struct loader *ld)
{
	struct config *cfg = ld->cfg;
	if (!finish_mode(ld))
		return 0;
	if (ld->seen_control && !cfg->control_socket)
		return cfg_fail_at(ld, ld->line, "[control] needs socket = PATH");
	if (ld->seen_metrics && !cfg->metrics_host)
		return cfg_fail_at(ld, ld->line, "[metrics] needs listen = ADDRESS:PORT");
	if (!cfg_daemon_finish(ld))
		return 0;
	if (!cfg_instance_finish(ld))
		return 0;
	if (!cfg->n_routes)
		return cfg_fail_at(ld, ld->line, "no [route \"NAME\"] section: nothing to serve");
	for (size_t i = 0; i < cfg->n_routes; i++) {
		struct route_cfg *r = &cfg->routes[i];
		if (!cfg_route_finish(ld, r))
			return 0;
	}
	return 1;
}

int config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	struct loader ld = {.cfg = cfg, .err = err, .errlen = errlen};
	const char *slash;
	int rc;

	memset(cfg, 0, sizeof *cfg);
	cfg->path = strdup(path);
	cfg->tls = TLS_REQUIRED;
	cfg->daemon_uid = cfg->daemon_gid = -1;
	cfg->drain_timeout_s = CFG_DEFAULT_DRAIN_TIMEOUT;
	slash = strrchr(path, '/');
	ld.dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (slash == path) {
		free(ld.dir);
		ld.dir = strdup("/");
	}
	ld.file = fopen(path, "re");
	if (!ld.file) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(ld.dir);
		return -1;
	}
	rc = ini_parse_stream(read_line, &ld, on_key, &ld);
	fclose(ld.file);
	enter_pending(&ld);
	if (rc > 0 && !ld.failed)
		cfg_fail_at(&ld, rc, "syntax error (expected [section], key = value or ; comment)");
	if (rc < 0 && !ld.failed)
		cfg_fail_at(&ld, ld.line, "cannot parse (out of memory)");
	if (!ld.failed)
		config_finish(&ld);
	free(ld.dir);
	free(ld.component);
	free(ld.secret);
	return ld.failed ? -1 : 0;
}

void config_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_routes; i++)
		cfg_route_free(&cfg->routes[i]);
	free(cfg->routes);
	free(cfg->path);
	free(cfg->localpart);
	free(cfg->domain);
	free(cfg->password);
	free(cfg->host);
	free(cfg->cafile);
	free(cfg->control_socket);
	free(cfg->metrics_host);
	free(cfg->xmpp_keys);
	free(cfg->control_keys);
	free(cfg->metrics_keys);
	free(cfg->daemon_keys);
	free(cfg->daemon_user);
	free(cfg->instance_name);
	free(cfg->control_tokenless_uids);
	memset(cfg, 0, sizeof *cfg);
}

const struct route_cfg *config_wildcard_route(const struct config *cfg)
{
	return config_route(cfg, "*");
}

const struct route_cfg *config_route(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->n_routes; i++)
		if (strcmp(cfg->routes[i].name, name) == 0)
			return &cfg->routes[i];
	return NULL;
}
