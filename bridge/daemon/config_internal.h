/* config_internal.h - what config.c and config_route.c share while loading.
 *
 * The loader state and the entry points of the section files; the value parsers are in
 * config_value.h and the key tables' machinery in config_table.h. Nothing here is
 * visible outside the configuration code. */
#ifndef XC_CONFIG_INTERNAL_H
#define XC_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "config.h"
#include "config_table.h"
#include "config_value.h"

struct loader {
	struct config *cfg;
	FILE *file;
	int line;                /* line most recently read */
	int section_line;        /* line of the most recent [section] header */
	int entered_line;        /* section_line of the section keys now go to */
	int xmpp_line;           /* line of the first [xmpp] header, for missing keys */
	bool key_seen;           /* a key since the last header: libinih's continuation rule */
	char header[128];        /* text between [ and ] of the most recent header */
	struct route_cfg *route; /* route of the current section, or NULL */
	bool in_xmpp;
	bool in_control;
	bool in_metrics;
	unsigned seen_metrics; /* bit 31: the section; below: its keys seen */
	unsigned seen_control;
	bool in_daemon;
	unsigned seen_daemon;
	bool in_instance;
	unsigned seen_instance;
	unsigned seen_xmpp; /* bitmask of [xmpp] keys seen, to refuse duplicates */
	unsigned seen_route;
	unsigned seen_route_muc; /* the route's group chat keys (config_muc.c) */
	bool failed;
	char *err;
	size_t errlen;
	char *dir;                /* directory of the config file, for relative paths */
	char *component, *secret; /* component mode, until the mode is known */
};

int cfg_route_key(struct loader *ld, struct route_cfg *r, const char *name, const char *v);
/* Adds v's comma-separated bare JIDs, *@domain or * (as allow =) to *list. */
int cfg_add_jid_patterns(struct loader *ld, char ***list, size_t *n, const char *key,
                         const char *v);
/* Defaults and checks of one route once the file is read. */
int cfg_route_finish(struct loader *ld, struct route_cfg *r);
void cfg_route_free(struct route_cfg *r);

/* A route's group chat keys (config_muc.c): 1 if name is one and was set, 0 after
 * failing, -1 if name is not a group chat key. */
int cfg_muc_key(struct loader *ld, struct route_cfg *r, const char *name, const char *v);
int cfg_muc_finish(struct loader *ld, struct route_cfg *r);
void cfg_muc_free(struct route_cfg *r);

/* config_diff.c: notes key = value in the current section's key text */
int cfg_note_key(struct loader *ld, const char *name, const char *value);

/* config_metrics.c */
int cfg_metrics_key(struct loader *ld, const char *name, const char *v);
/* [daemon] (config_daemon.c) */
int cfg_daemon_enter(struct loader *ld);
int cfg_daemon_key(struct loader *ld, const char *name, const char *v);
int cfg_daemon_finish(struct loader *ld);

/* [instance] (config_instance.c) */
int cfg_instance_enter(struct loader *ld);
int cfg_instance_key(struct loader *ld, const char *name, const char *v);
/* The default name, host-pid, when the file gives none. */
int cfg_instance_finish(struct loader *ld);

#endif
