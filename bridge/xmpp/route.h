/* route.h - matching senders and addresses against the route table (pure).
 *
 * JID helpers and the sender ACL live here so that client mode, component mode and
 * the tests share one definition of "who may call this route". */
#ifndef XC_ROUTE_H
#define XC_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Copies the bare part (local@domain or domain) of jid into out, domain lower-cased.
 * Returns false if it does not fit or jid is empty. */
bool jid_bare(const char *jid, char *out, size_t outlen);
/* The resource of a full JID, or NULL. */
const char *jid_resource(const char *jid);
/* True if the bare JID matches one of the route's allow patterns. */
bool route_allows(const struct route_cfg *route, const char *bare_jid);
/* True if patterns (as for allow) match the bare JID; an empty list matches anyone. */
bool jid_patterns_match(char *const *patterns, size_t n, const char *bare_jid);

#endif
