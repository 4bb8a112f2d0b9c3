/* config.c - reads the INI file with libinih into struct config and validates it (pure).
 *
 * libinih does the tokenising; this file owns the sections, the [xmpp] and [control]
 * key tables, the defaults and the whole-file checks ([route], [daemon] and [metrics]
 * keys have files of their own; config_table.c runs every table). Errors name the file
 * and line: libinih does not pass the line to its handler, so the line reader given to
 * ini_parse_stream() counts lines itself. The first error stops the load; nothing
 * half-valid is ever returned. */
#include "config.h"
#include "config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int enter_pending(struct loader *ld);

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

bool config_route_name_valid(const char *name)
{
	if (!*name || strlen(name) > 64)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._~-", *p))
			return false;
	return strcmp(name, ".") && strcmp(name, "..");
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
	XK_STREAM_MANAGEMENT,
	XK_ACK_TIMEOUT,
	XK_RESEND_MAX_AGE,
	XK_ADMINS,
	XK_COUNT
};

/* ---- [xmpp] setters: conf is the struct config ---- */

static int set_jid(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	(void)cmd;
	if (!cfg_split_bare_jid(v, &cfg->localpart, &cfg->domain))
		return cfg_fail_at(ld, ld->line,
		                   "jid '%s' is not a bare JID (user@domain; routes choose the resource)",
		                   v);
	return 1;
}

static int set_username(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)cmd;
	if (!cfg_localpart_ok(v))
		return cfg_fail_at(ld, ld->line, "username '%s' is not a valid localpart", v);
	((struct config *)conf)->localpart = strdup(v);
	return 1;
}

/* domain, and component (kept in the loader until the mode is known): lowercased */
static int set_domain(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	(void)cmd;
	if (!cfg_domain_ok(v))
		return cfg_fail_at(ld, ld->line, "domain '%s' is not a valid domain", v);
	cfg->domain = strdup(v);
	cfg_ascii_lower(cfg->domain);
	return 1;
}

static int set_component(struct loader *ld, const struct cfg_command *cmd, void *conf,
                         const char *v)
{
	(void)cmd, (void)conf;
	if (!cfg_domain_ok(v))
		return cfg_fail_at(ld, ld->line, "component '%s' is not a domain", v);
	ld->component = strdup(v);
	cfg_ascii_lower(ld->component);
	return 1;
}

/* password, and secret (kept in the loader until the mode is known) */
static int set_password(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)ld, (void)cmd;
	((struct config *)conf)->password = strdup(v);
	return 1;
}

static int set_secret(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)cmd, (void)conf;
	ld->secret = strdup(v);
	return 1;
}

/* password_file and secret_file: the file's text (relative: to the config's directory) */
static int secret_file(struct loader *ld, const char *v, char **out)
{
	char *path = cfg_resolve_path(ld->dir, v);
	int r = read_secret_file(ld, path, out);
	free(path);
	return r;
}

static int set_password_file(struct loader *ld, const struct cfg_command *cmd, void *conf,
                             const char *v)
{
	(void)cmd;
	return secret_file(ld, v, &((struct config *)conf)->password);
}

static int set_secret_file(struct loader *ld, const struct cfg_command *cmd, void *conf,
                           const char *v)
{
	(void)cmd, (void)conf;
	return secret_file(ld, v, &ld->secret);
}

static int set_host(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)cmd;
	if (!*v)
		return cfg_fail_at(ld, ld->line, "host is empty");
	((struct config *)conf)->host = strdup(v);
	return 1;
}

static int set_tls(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	(void)cmd;
	if (strcmp(v, "required") == 0)
		cfg->tls = TLS_REQUIRED;
	else if (strcmp(v, "optional") == 0)
		cfg->tls = TLS_OPTIONAL;
	else if (strcmp(v, "disabled") == 0)
		cfg->tls = TLS_DISABLED;
	else
		return cfg_fail_at(ld, ld->line, "tls '%s' is not one of required, optional, disabled", v);
	return 1;
}

static int set_cafile(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	(void)cmd;
	cfg->cafile = cfg_resolve_path(ld->dir, v);
	if (access(cfg->cafile, R_OK) != 0)
		return cfg_fail_at(ld, ld->line, "cafile %s: %s", cfg->cafile, strerror(errno));
	return 1;
}

static int set_mode(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	(void)cmd;
	if (strcmp(v, "client") == 0)
		cfg->mode = MODE_CLIENT;
	else if (strcmp(v, "component") == 0)
		cfg->mode = MODE_COMPONENT;
	else
		return cfg_fail_at(ld, ld->line, "mode '%s' is not client or component", v);
	return 1;
}

/* admins = the bare JIDs (or *@domain) who may run the bridge's own commands */
static int set_admins(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	return cfg_add_jid_patterns(ld, &cfg->admins, &cfg->n_admins, cmd->name, v);
}

/* Indexed by enum xmpp_key: finish_mode tells client keys from component keys by bit. */
static const struct cfg_command xmpp_commands[XK_COUNT] = {
    [XK_JID] = CFG_KEY("jid", set_jid),
    [XK_USERNAME] = CFG_KEY("username", set_username),
    [XK_DOMAIN] = CFG_KEY("domain", set_domain),
    [XK_PASSWORD] = CFG_KEY("password", set_password),
    [XK_PASSWORD_FILE] = CFG_KEY("password_file", set_password_file),
    [XK_HOST] = CFG_KEY("host", set_host),
    [XK_PORT] = CFG_UINT("port", struct config, port, 1, 65535, "is not a number from 1 to 65535"),
    [XK_TLS] = CFG_KEY("tls", set_tls),
    [XK_CAFILE] = CFG_KEY("cafile", set_cafile),
    [XK_MODE] = CFG_KEY("mode", set_mode),
    [XK_COMPONENT] = CFG_KEY("component", set_component),
    [XK_SECRET] = CFG_KEY("secret", set_secret),
    [XK_SECRET_FILE] = CFG_KEY("secret_file", set_secret_file),
    [XK_STREAM_MANAGEMENT] = CFG_BOOL("stream_management", struct config, stream_management),
    [XK_ACK_TIMEOUT] = CFG_UINT("ack_timeout", struct config, ack_timeout_s, 1, 3600,
                                "is not a number of seconds from 1 to 3600"),
    [XK_RESEND_MAX_AGE] = CFG_UINT("resend_max_age", struct config, resend_max_age_s, 0, 86400,
                                   "is not a number of seconds from 0 to 86400"),
    [XK_ADMINS] = CFG_LIST("admins", set_admins),
};
CFG_TABLE_FITS(xmpp_commands);

static int xmpp_key(struct loader *ld, const char *name, const char *v)
{
	const struct cfg_command *cmd =
	    cfg_table_claim(ld, xmpp_commands, XK_COUNT, "xmpp", &ld->seen_xmpp, name);
	if (!cmd)
		return 0;
	if ((ld->seen_xmpp & (1u << XK_JID)) &&
	    (ld->seen_xmpp & ((1u << XK_USERNAME) | (1u << XK_DOMAIN))))
		return cfg_fail_at(ld, ld->line, "give either jid or username and domain, not both");
	if ((ld->seen_xmpp & (1u << XK_PASSWORD)) && (ld->seen_xmpp & (1u << XK_PASSWORD_FILE)))
		return cfg_fail_at(ld, ld->line, "give either password or password_file, not both");
	if ((ld->seen_xmpp & (1u << XK_SECRET)) && (ld->seen_xmpp & (1u << XK_SECRET_FILE)))
		return cfg_fail_at(ld, ld->line, "give either secret or secret_file, not both");
	return cmd->set(ld, cmd, ld->cfg, v);
}

/* tokenless_users = * | none | USER[, USER...]: who may use the socket without a token */
static int set_tokenless_users(struct loader *ld, const struct cfg_command *cmd, void *conf,
                               const char *v)
{
	struct config *cfg = conf;
	char *list = strdup(v), *save = NULL;
	int rc = 1;
	(void)cmd;
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

static int set_socket(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)cmd;
	if (v[0] != '/' || strlen(v) >= 108)
		return cfg_fail_at(ld, ld->line, "socket '%s' is not an absolute path under 108 bytes", v);
	((struct config *)conf)->control_socket = strdup(v);
	return 1;
}

static int set_octal_mode(struct loader *ld, const struct cfg_command *cmd, void *conf,
                          const char *v)
{
	if (!cfg_parse_octal_mode(v, (unsigned *)((char *)conf + cmd->offset)))
		return cfg_fail_at(ld, ld->line, "mode '%s' is not an octal mode like 0660", v);
	return 1;
}

static int set_group(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct group *g = getgrnam(v);
	(void)cmd;
	if (!g)
		return cfg_fail_at(ld, ld->line, "group '%s' does not exist", v);
	((struct config *)conf)->control_gid = (long)g->gr_gid;
	return 1;
}

static const struct cfg_command control_commands[] = {
    CFG_KEY("socket", set_socket),
    CFG_AT("mode", set_octal_mode, struct config, control_mode),
    CFG_KEY("group", set_group),
    CFG_SIZE("max_stanza", struct config, control_max_stanza, 1024, 16 * 1024 * 1024,
             "is not a size (1k-16M)"),
    CFG_SIZE("max_line", struct config, control_max_line, 256, 4096, "is not a size (256-4096)"),
    CFG_UINT("max_connections", struct config, control_max_connections, 1, 65536,
             "is not a number (1-65536)"),
    CFG_UINT("idle_timeout", struct config, control_idle_timeout_s, 1, 86400,
             "is not a number of seconds (1-86400)"),
    CFG_KEY("tokenless_users", set_tokenless_users),
};
CFG_TABLE_FITS(control_commands);

static int control_key(struct loader *ld, const char *name, const char *v)
{
	return cfg_table_key(ld, control_commands, CFG_N(control_commands), "control",
	                     &ld->seen_control, ld->cfg, name, v);
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
	ld->seen_route_muc = 0;
	if (strcmp(section, "metrics") == 0) {
		if (ld->seen_metrics)
			return cfg_fail_at(ld, ld->section_line, "duplicate section [metrics]");
		ld->in_metrics = true;
		ld->seen_metrics = 1u << 31;
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
	ld->route->room_loop_limit = ld->route->room_ping_s = (unsigned)-1;
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
	cfg->stream_management = true;
	cfg->ack_timeout_s = CFG_DEFAULT_ACK_TIMEOUT;
	cfg->resend_max_age_s = CFG_DEFAULT_RESEND_MAX_AGE;
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
	for (size_t i = 0; i < cfg->n_admins; i++)
		free(cfg->admins[i]);
	free(cfg->admins);
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
