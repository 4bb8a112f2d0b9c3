/* privdrop.h - switching from root to the configured account before handlers run.
 *
 * privdrop_check() is called right after the configuration is read, privdrop_apply()
 * once everything that needs root is open (the control socket) and before the first
 * handler can start. See bridge/daemon/privdrop.c for the rules. */
#ifndef XC_PRIVDROP_H
#define XC_PRIVDROP_H

#include <stddef.h>

#include "config.h"

/* Refuses (-1, reason in err) a start as root with no [daemon] user. */
int privdrop_check(const struct config *cfg, char *err, size_t errlen);
/* Switches to [daemon] user and group when running as root; -1 with the reason in err
 * when the switch fails or cannot be verified. */
int privdrop_apply(const struct config *cfg, char *err, size_t errlen);

#endif
