/* grant.h - per-request credentials for the control socket (see doc/control-protocol.md).
 *
 * While a handler runs, the bridge holds one grant for its request: an unguessable
 * token (XMPP_CGI_TOKEN in the handler's environment) bound to the request's route. A
 * control connection that presents the token may send only as that route, and only
 * until the request is answered, when the grant is revoked. The table is plain data:
 * dispatch.c issues and revokes, control.c looks up. */
#ifndef XC_GRANT_H
#define XC_GRANT_H

#include <stddef.h>

#define GRANT_TOKEN_LEN 32 /* hex digits: 128 random bits */

struct grant {
	char token[GRANT_TOKEN_LEN + 1];
	char *route;
};

struct grant_table {
	struct grant *v;
	size_t n, cap;
};

/* Writes a fresh token for route into token; 0, or -1 (no memory, no randomness). */
int grant_issue(struct grant_table *t, const char *route, char token[GRANT_TOKEN_LEN + 1]);
void grant_revoke(struct grant_table *t, const char *token);
/* The route token was issued for, or NULL if it is unknown or revoked. */
const char *grant_route(const struct grant_table *t, const char *token);
void grant_table_free(struct grant_table *t);

#endif
