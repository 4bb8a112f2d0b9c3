/* config_diff.c - what tells one configuration from the next, for reload (pure).
 *
 * While loading, every key = value of a section is noted, as written, in that
 * section's key text (route_cfg.keys, config.xmpp_keys ...). Two routes with the same
 * name and the same key text behave the same, whatever keys other parts of the bridge
 * add later, so reload compares the text rather than the parsed fields. [xmpp] also
 * compares the loaded secret, which a password_file or secret_file may change. */
#include "config.h"
#include "config_internal.h"

#include <stdlib.h>
#include <string.h>

static bool append(char **text, const char *name, const char *value)
{
	size_t old = *text ? strlen(*text) : 0;
	size_t add = strlen(name) + strlen(value) + 2;
	char *grown = realloc(*text, old + add + 1);
	if (!grown)
		return false;
	/* '\n' cannot occur in a key or a value: libinih reads one line at a time */
	strcpy(grown + old, name);
	strcat(grown + old, "=");
	strcat(grown + old, value);
	strcat(grown + old, "\n");
	*text = grown;
	return true;
}

int cfg_note_key(struct loader *ld, const char *name, const char *value)
{
	char **text = ld->in_xmpp      ? &ld->cfg->xmpp_keys
	              : ld->in_control ? &ld->cfg->control_keys
	              : ld->in_metrics ? &ld->cfg->metrics_keys
	              : ld->in_daemon  ? &ld->cfg->daemon_keys
	              : ld->route      ? &ld->route->keys
	                               : NULL;
	if (text && !append(text, name, value))
		return cfg_fail_at(ld, ld->line, "out of memory");
	return 1;
}

static bool same_text(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : "") == 0; }

bool config_route_same(const struct route_cfg *a, const struct route_cfg *b)
{
	return strcmp(a->name, b->name) == 0 && same_text(a->keys, b->keys);
}

const char *config_restart_section(const struct config *a, const struct config *b)
{
	if (!same_text(a->xmpp_keys, b->xmpp_keys) || !same_text(a->password, b->password))
		return "[xmpp]";
	if (!same_text(a->control_keys, b->control_keys))
		return "[control]";
	if (!same_text(a->metrics_keys, b->metrics_keys))
		return "[metrics]";
	if (!same_text(a->daemon_keys, b->daemon_keys))
		return "[daemon]";
	if (!same_text(a->instance_name, b->instance_name))
		return "[instance]"; /* iqs in flight name it */
	return NULL;
}
