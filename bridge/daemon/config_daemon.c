/* config_daemon.c - the [daemon] section: whom the daemon and its handlers run as (pure).
 *
 * `user = NAME` and `group = NAME` name the account the daemon switches to when it is
 * started as root (bridge/daemon/privdrop.c does the switch). Both names are looked up when
 * the file is read, so a missing account is a configuration error with file:line;
 * the group defaults to the user's primary group. The values are only recorded here:
 * whether they apply depends on who starts the daemon, which is not this file's
 * business. */
#include "config.h"
#include "config_internal.h"

#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

int cfg_daemon_enter(struct loader *ld)
{
	if (ld->seen_daemon)
		return cfg_fail_at(ld, ld->section_line, "duplicate section [daemon]");
	ld->seen_daemon = 1u << 31;
	ld->in_daemon = true;
	ld->cfg->daemon_line = ld->section_line;
	return 1;
}

static int set_user(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	struct passwd *pw = getpwnam(v);
	(void)cmd;
	if (!pw)
		return cfg_fail_at(ld, ld->line, "user '%s' does not exist", v);
	cfg->daemon_user = strdup(v);
	cfg->daemon_uid = (long)pw->pw_uid;
	if (cfg->daemon_gid < 0)
		cfg->daemon_gid = (long)pw->pw_gid;
	cfg->daemon_line = ld->line;
	return 1;
}

static int set_group(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	struct group *g = getgrnam(v);
	(void)cmd;
	if (!g)
		return cfg_fail_at(ld, ld->line, "group '%s' does not exist", v);
	cfg->daemon_gid = (long)g->gr_gid;
	cfg->daemon_group_set = true;
	return 1;
}

static const struct cfg_command daemon_commands[] = {
    CFG_KEY("user", set_user),
    CFG_KEY("group", set_group),
};
CFG_TABLE_FITS(daemon_commands);

int cfg_daemon_key(struct loader *ld, const char *name, const char *v)
{
	return cfg_table_key(ld, daemon_commands, CFG_N(daemon_commands), "daemon", &ld->seen_daemon,
	                     ld->cfg, name, v);
}

int cfg_daemon_finish(struct loader *ld)
{
	if (ld->seen_daemon && !ld->cfg->daemon_user)
		return cfg_fail_at(ld, ld->cfg->daemon_line, "[daemon] needs user = NAME");
	return 1;
}
