/* config_instance.c - the [instance] section: what tells one running bridge from another (pure).
 *
 * Several bridges may serve one component (see "Several instances" in xmpp-cgi(8)).
 * `name = NAME` names this one in the log, in the version answer and in the addresses
 * of the iqs it sends; it defaults to the host's first label and the process id, the
 * same at every reload of one process. `drain_timeout = SECONDS` bounds how long SIGTERM lets
 * running and queued requests finish before they are cut short. Only values are
 * recorded here. */
#include "config.h"
#include "config_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool config_instance_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > CFG_MAX_INSTANCE_NAME)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

int cfg_instance_enter(struct loader *ld)
{
	if (ld->seen_instance)
		return cfg_fail_at(ld, ld->section_line, "duplicate section [instance]");
	ld->seen_instance = 1u << 31;
	ld->in_instance = true;
	return 1;
}

static int set_name(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	(void)cmd;
	if (!config_instance_name_valid(v))
		return cfg_fail_at(ld, ld->line,
		                   "instance name '%s' is not valid (1-%d of A-Z a-z 0-9 _ -)", v,
		                   CFG_MAX_INSTANCE_NAME);
	cfg->instance_name = strdup(v);
	return cfg->instance_name ? 1 : cfg_fail_at(ld, ld->line, "out of memory");
}

static const struct cfg_command instance_commands[] = {
    CFG_KEY("name", set_name),
    CFG_UINT("drain_timeout", struct config, drain_timeout_s, 0, 3600,
             "is not a number of seconds from 0 to 3600"),
};
CFG_TABLE_FITS(instance_commands);

int cfg_instance_key(struct loader *ld, const char *name, const char *v)
{
	return cfg_table_key(ld, instance_commands, CFG_N(instance_commands), "instance",
	                     &ld->seen_instance, ld->cfg, name, v);
}

int cfg_instance_finish(struct loader *ld)
{
	char host[256] = "", name[CFG_MAX_INSTANCE_NAME + 1];
	size_t n = 0;
	if (ld->cfg->instance_name)
		return 1;
	gethostname(host, sizeof host - 1);
	for (const char *p = host; *p && *p != '.' && n < CFG_MAX_INSTANCE_NAME - 12; p++)
		name[n++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		                    (*p >= '0' && *p <= '9') || *p == '-'
		                ? *p
		                : '_';
	snprintf(name + n, sizeof name - n, "%s%ld", n ? "-" : "", (long)getpid());
	ld->cfg->instance_name = strdup(name);
	return ld->cfg->instance_name ? 1 : cfg_fail_at(ld, ld->line, "out of memory");
}
