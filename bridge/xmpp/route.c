/* route.c - JID splitting and the per-route sender ACL (pure; see route.h).
 *
 * Patterns are "*", "*@domain" or a bare JID, compared case-insensitively in ASCII,
 * which is what XMPP servers' own stringprep makes of ordinary addresses. */
#include "route.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

bool jid_bare(const char *jid, char *out, size_t outlen)
{
	const char *slash = strchr(jid, '/');
	const char *at;
	size_t len = slash ? (size_t)(slash - jid) : strlen(jid);
	if (!len || len >= outlen)
		return false;
	memcpy(out, jid, len);
	out[len] = '\0';
	at = memchr(out, '@', len);
	for (char *p = at ? out + (at - out) : out; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return true;
}

const char *jid_resource(const char *jid)
{
	const char *slash = strchr(jid, '/');
	return slash ? slash + 1 : NULL;
}

bool route_allows(const struct route_cfg *route, const char *bare_jid)
{
	return route->n_allow && jid_patterns_match(route->allow, route->n_allow, bare_jid);
}

bool jid_patterns_match(char *const *patterns, size_t n, const char *bare_jid)
{
	const char *at = strchr(bare_jid, '@');
	const char *domain = at ? at + 1 : bare_jid;
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++) {
		const char *pat = patterns[i];
		if (strcmp(pat, "*") == 0)
			return true;
		if (strncmp(pat, "*@", 2) == 0) {
			if (at && strcasecmp(pat + 2, domain) == 0)
				return true;
		} else if (strcasecmp(pat, bare_jid) == 0)
			return true;
	}
	return false;
}
