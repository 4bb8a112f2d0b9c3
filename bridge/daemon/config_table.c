/* config_table.c - finds a key in its section's table, refuses unknown and repeated
 * keys, and runs the setter (pure; see config_table.h). Also the generic setters and
 * cfg_fail_at, which formats "FILE:LINE: message" into the loader's error buffer. */
#include "config_table.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"
#include "config_value.h"

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

const struct cfg_command *cfg_table_claim(struct loader *ld, const struct cfg_command *cmds,
                                          size_t n, const char *label, unsigned *seen,
                                          const char *name)
{
	size_t k;
	for (k = 0; k < n; k++)
		if (strcmp(name, cmds[k].name) == 0)
			break;
	if (k == n) {
		cfg_fail_at(ld, ld->line, "unknown key '%s' in [%s]", name, label);
		return NULL;
	}
	if (!(cmds[k].flags & CFG_MULTI)) {
		if (*seen & (1u << k)) {
			cfg_fail_at(ld, ld->line, "duplicate key '%s' in [%s]", name, label);
			return NULL;
		}
		*seen |= 1u << k;
	}
	return &cmds[k];
}

int cfg_table_key(struct loader *ld, const struct cfg_command *cmds, size_t n, const char *label,
                  unsigned *seen, void *conf, const char *name, const char *v)
{
	const struct cfg_command *cmd = cfg_table_claim(ld, cmds, n, label, seen, name);
	return cmd ? cmd->set(ld, cmd, conf, v) : 0;
}

static void *field(void *conf, const struct cfg_command *cmd) { return (char *)conf + cmd->offset; }

int cfg_set_uint(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	unsigned long n;
	if (!cfg_parse_uint(v, cmd->min, cmd->max, &n))
		return cfg_fail_at(ld, ld->line, "%s '%s' %s", cmd->name, v, cmd->what);
	*(unsigned *)field(conf, cmd) = (unsigned)n;
	return 1;
}

int cfg_set_size(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	if (!cfg_parse_size(v, cmd->min, cmd->max, (size_t *)field(conf, cmd)))
		return cfg_fail_at(ld, ld->line, "%s '%s' %s", cmd->name, v, cmd->what);
	return 1;
}

int cfg_set_bool(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	if (!cfg_parse_bool(v, (bool *)field(conf, cmd)))
		return cfg_fail_at(ld, ld->line, "%s '%s' is not yes or no", cmd->name, v);
	return 1;
}
