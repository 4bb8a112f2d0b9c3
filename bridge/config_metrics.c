/* config_metrics.c - the [metrics] section: where the Prometheus endpoint listens (pure).
 *
 * One key, listen = HOST:PORT with a numeric IPv4 address or a bracketed IPv6 one
 * ([::1]:9150). A name is refused rather than resolved: the endpoint is meant for
 * loopback or a known interface, and a lookup at start-up could block or change. */
#include "config.h"
#include "config_internal.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

bool cfg_parse_listen(const char *v, char **host, unsigned *port)
{
	const char *h = v, *colon;
	unsigned char tmp[16];
	unsigned long p;
	size_t hl;
	char *copy;

	if (*h == '[') {
		const char *close = strchr(h, ']');
		if (!close || close[1] != ':')
			return false;
		h++;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon || memchr(h, ':', (size_t)(colon - h)))
			return false;
		hl = (size_t)(colon - h);
	}
	if (!cfg_parse_uint(colon + 1, 1, 65535, &p))
		return false;
	copy = strndup(h, hl);
	if (!copy)
		return false;
	if (inet_pton(AF_INET, copy, tmp) != 1 && inet_pton(AF_INET6, copy, tmp) != 1) {
		free(copy);
		return false;
	}
	*host = copy;
	*port = (unsigned)p;
	return true;
}

int cfg_metrics_key(struct loader *ld, const char *name, const char *v)
{
	struct config *cfg = ld->cfg;
	if (strcmp(name, "listen") != 0)
		return cfg_fail_at(ld, ld->line, "unknown key '%s' in [metrics]", name);
	if (cfg->metrics_host)
		return cfg_fail_at(ld, ld->line, "duplicate key 'listen' in [metrics]");
	if (!cfg_parse_listen(v, &cfg->metrics_host, &cfg->metrics_port))
		return cfg_fail_at(ld, ld->line,
		                   "listen '%s' is not ADDRESS:PORT (numeric, e.g. 127.0.0.1:9150 or "
		                   "[::1]:9150)",
		                   v);
	return 1;
}
