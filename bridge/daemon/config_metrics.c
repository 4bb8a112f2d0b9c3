/* config_metrics.c - the [metrics] section: where the Prometheus endpoint listens (pure).
 *
 * One key, listen = HOST:PORT with a numeric IPv4 address or a bracketed IPv6 one
 * ([::1]:9150). A name is refused rather than resolved: the endpoint is meant for
 * loopback or a known interface, and a lookup at start-up could block or change. */
#include "config.h"
#include "config_internal.h"

#include <stddef.h>

static int set_listen(struct loader *ld, const struct cfg_command *cmd, void *conf, const char *v)
{
	struct config *cfg = conf;
	(void)cmd;
	if (!cfg_parse_listen(v, &cfg->metrics_host, &cfg->metrics_port))
		return cfg_fail_at(ld, ld->line,
		                   "listen '%s' is not ADDRESS:PORT (numeric, e.g. 127.0.0.1:9150 or "
		                   "[::1]:9150)",
		                   v);
	return 1;
}

static const struct cfg_command metrics_commands[] = {
    CFG_KEY("listen", set_listen),
};
CFG_TABLE_FITS(metrics_commands);

int cfg_metrics_key(struct loader *ld, const char *name, const char *v)
{
	return cfg_table_key(ld, metrics_commands, CFG_N(metrics_commands), "metrics",
	                     &ld->seen_metrics, ld->cfg, name, v);
}
