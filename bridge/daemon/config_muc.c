/* config_muc.c - the group chat keys of a [route "NAME"] section (XEP-0045) (pure).
 *
 * rooms, nick, room_trigger, room_prefix, room_password_file, room_anonymous,
 * room_errors, room_rate, room_loop_limit and room_ping: a table of their own, so that
 * the route's main table in config_route.c keeps its size and a route without rooms
 * reads as before. Defaults are given in cfg_muc_finish, once the file is read; the
 * other keys are refused on a route without rooms, and rooms on the cgi-bin route. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_internal.h"
#include "muc_logic.h"
#include "xml_check.h"

#define MUC_NICK_MAX 64
#define MUC_PREFIX_MAX 64
#define MUC_PASSWORD_MAX 256

static int add_rooms(struct loader *ld, struct route_cfg *r, const char *v)
{
	char *list = strdup(v), *save = NULL, *tok;
	if (!list)
		return cfg_fail_at(ld, ld->line, "out of memory");
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end, *l = NULL, *d = NULL, **grown;
		bool ok;
		while (*tok == ' ' || *tok == '\t')
			tok++;
		end = tok + strlen(tok);
		while (end > tok && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		ok = cfg_split_bare_jid(tok, &l, &d) && !strchr(l, '*');
		free(l);
		free(d);
		if (!ok || strlen(tok) > 300) {
			cfg_fail_at(ld, ld->line, "rooms entry '%s' is not a room's bare JID (room@service)",
			            tok);
			free(list);
			return 0;
		}
		cfg_ascii_lower(tok);
		for (size_t i = 0; i < r->n_rooms; i++)
			if (strcmp(r->rooms[i], tok) == 0) {
				cfg_fail_at(ld, ld->line, "room %s is already in this route's rooms", tok);
				free(list);
				return 0;
			}
		if (r->n_rooms == CFG_MAX_ROOMS) {
			free(list);
			return cfg_fail_at(ld, ld->line, "too many rooms (at most %d a route)", CFG_MAX_ROOMS);
		}
		grown = realloc(r->rooms, (r->n_rooms + 1) * sizeof *grown);
		if (!grown || !(grown[r->n_rooms] = strdup(tok))) {
			if (grown)
				r->rooms = grown;
			free(list);
			return cfg_fail_at(ld, ld->line, "out of memory");
		}
		r->rooms = grown;
		r->n_rooms++;
	}
	free(list);
	return 1;
}

static int set_rooms(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	(void)cmd;
	return add_rooms(ld, conf, v);
}

/* A nick or prefix goes into addresses and message bodies: UTF-8 text, no controls. */
static int text_value(struct loader *ld, const char *key, const char *v, size_t max, char **out)
{
	const char *why;
	if (!*v || strlen(v) > max)
		return cfg_fail_at(ld, ld->line, "%s must be 1-%zu bytes", key, max);
	if ((why = xml_check_text(v, strlen(v), true)))
		return cfg_fail_at(ld, ld->line, "%s has %s (UTF-8 text only)", key, why);
	if (!(*out = strdup(v)))
		return cfg_fail_at(ld, ld->line, "out of memory");
	return 1;
}

static int set_nick(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	return text_value(ld, cmd->name, v, MUC_NICK_MAX, &((struct route_cfg *)conf)->nick);
}

static int set_prefix(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	return text_value(ld, cmd->name, v, MUC_PREFIX_MAX, &((struct route_cfg *)conf)->room_prefix);
}

static int set_trigger(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	(void)cmd;
	if (strcmp(v, "all") == 0)
		r->room_trigger = MUC_TRIGGER_ALL;
	else if (strcmp(v, "mention") == 0)
		r->room_trigger = MUC_TRIGGER_MENTION;
	else if (strcmp(v, "prefix") == 0)
		r->room_trigger = MUC_TRIGGER_PREFIX;
	else
		return cfg_fail_at(ld, ld->line, "room_trigger '%s' is not all, mention or prefix", v);
	return 1;
}

static int set_errors(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	(void)cmd;
	if (strcmp(v, "room") == 0)
		r->room_errors = ROOM_ERRORS_ROOM;
	else if (strcmp(v, "private") == 0)
		r->room_errors = ROOM_ERRORS_PRIVATE;
	else if (strcmp(v, "none") == 0)
		r->room_errors = ROOM_ERRORS_NONE;
	else
		return cfg_fail_at(ld, ld->line, "room_errors '%s' is not room, private or none", v);
	return 1;
}

/* room_rate = N/SECONDS, or 0 for no limit */
static int set_rate(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct route_cfg *r = conf;
	const char *slash = strchr(v, '/');
	unsigned long n, period;
	char count[16];
	(void)cmd;
	if (strcmp(v, "0") == 0) {
		r->room_rate = 0;
		r->room_rate_period_s = 1;
		return 1;
	}
	if (!slash || (size_t)(slash - v) >= sizeof count)
		goto bad;
	memcpy(count, v, (size_t)(slash - v));
	count[slash - v] = '\0';
	if (!cfg_parse_uint(count, 1, 100000, &n) || !cfg_parse_uint(slash + 1, 1, 86400, &period))
		goto bad;
	r->room_rate = (unsigned)n;
	r->room_rate_period_s = (unsigned)period;
	return 1;
bad:
	return cfg_fail_at(ld, ld->line,
	                   "room_rate '%s' is not MESSAGES/SECONDS (1-100000/1-86400) or 0", v);
}

/* The first line of the file; the file itself stays out of the configuration. */
static int set_password_file(struct loader *ld, const struct cfg_command *cmd, void *conf,
                             const char *v)
{
	struct route_cfg *r = conf;
	char line[MUC_PASSWORD_MAX + 2], *path = cfg_resolve_path(ld->dir, v);
	FILE *f = path ? fopen(path, "re") : NULL;
	size_t n;
	(void)cmd;
	if (!f) {
		cfg_fail_at(ld, ld->line, "room_password_file %s: %s", v,
		            path ? strerror(errno) : "out of memory");
		free(path);
		return 0;
	}
	free(path);
	if (!fgets(line, sizeof line, f))
		line[0] = '\0';
	fclose(f);
	n = strcspn(line, "\r\n");
	if (n == 0 || n > MUC_PASSWORD_MAX)
		return cfg_fail_at(ld, ld->line,
		                   "room_password_file %s: the first line must hold the password "
		                   "(1-%d bytes)",
		                   v, MUC_PASSWORD_MAX);
	line[n] = '\0';
	if (xml_check_text(line, n, true))
		return cfg_fail_at(ld, ld->line, "room_password_file %s: the password is not UTF-8 text",
		                   v);
	if (!(r->room_password = strdup(line)))
		return cfg_fail_at(ld, ld->line, "out of memory");
	return 1;
}

static const struct cfg_command muc_commands[] = {
    CFG_LIST("rooms", set_rooms),
    CFG_KEY("nick", set_nick),
    CFG_KEY("room_trigger", set_trigger),
    CFG_KEY("room_prefix", set_prefix),
    CFG_KEY("room_password_file", set_password_file),
    CFG_BOOL("room_anonymous", struct route_cfg, room_anonymous),
    CFG_KEY("room_errors", set_errors),
    CFG_KEY("room_rate", set_rate),
    CFG_UINT("room_loop_limit", struct route_cfg, room_loop_limit, 0, 100000,
             "is not a number (0-100000)"),
    CFG_UINT("room_ping", struct route_cfg, room_ping_s, 0, 86400,
             "is not a number of seconds (0-86400)"),
};
CFG_TABLE_FITS(muc_commands);

int cfg_muc_key(struct loader *ld, struct route_cfg *r, const char *name, const char *v)
{
	char label[128];
	size_t i;
	for (i = 0; i < CFG_N(muc_commands); i++)
		if (strcmp(muc_commands[i].name, name) == 0)
			break;
	if (i == CFG_N(muc_commands))
		return -1;
	snprintf(label, sizeof label, "route \"%s\"", r->name);
	return cfg_table_key(ld, muc_commands, CFG_N(muc_commands), label, &ld->seen_route_muc, r, name,
	                     v);
}

int cfg_muc_finish(struct loader *ld, struct route_cfg *r)
{
	bool any = r->nick || r->room_prefix || r->room_password || r->room_anonymous ||
	           r->room_trigger || r->room_errors || r->room_rate || r->room_rate_period_s ||
	           r->room_loop_limit != (unsigned)-1 || r->room_ping_s != (unsigned)-1;
	if (!r->n_rooms) {
		if (any)
			return cfg_fail_at(ld, r->line,
			                   "route \"%s\": nick and the room_ keys need rooms = ROOM@SERVICE",
			                   r->name);
		return 1;
	}
	if (strcmp(r->name, "*") == 0)
		return cfg_fail_at(ld, r->line,
		                   "[route \"*\"] cannot join rooms: it has no name of its own");
	if (r->room_prefix && r->room_trigger != MUC_TRIGGER_PREFIX)
		return cfg_fail_at(ld, r->line, "route \"%s\": room_prefix needs room_trigger = prefix",
		                   r->name);
	if (!r->nick && !(r->nick = strdup(r->name)))
		return cfg_fail_at(ld, r->line, "out of memory");
	if (r->room_trigger == MUC_TRIGGER_PREFIX && !r->room_prefix) {
		size_t n = strlen(r->nick) + 2;
		if (!(r->room_prefix = malloc(n)))
			return cfg_fail_at(ld, r->line, "out of memory");
		snprintf(r->room_prefix, n, "!%s", r->nick);
	}
	if (!r->room_rate_period_s) {
		r->room_rate = CFG_DEFAULT_ROOM_RATE;
		r->room_rate_period_s = CFG_DEFAULT_ROOM_RATE_PERIOD;
	}
	if (r->room_loop_limit == (unsigned)-1)
		r->room_loop_limit = CFG_DEFAULT_ROOM_LOOP_LIMIT;
	if (r->room_ping_s == (unsigned)-1)
		r->room_ping_s = CFG_DEFAULT_ROOM_PING;
	return 1;
}

void cfg_muc_free(struct route_cfg *r)
{
	for (size_t i = 0; i < r->n_rooms; i++)
		free(r->rooms[i]);
	free(r->rooms);
	free(r->nick);
	free(r->room_prefix);
	if (r->room_password)
		explicit_bzero(r->room_password, strlen(r->room_password));
	free(r->room_password);
}
