/* config_value.c - the value parsers of the configuration file (pure; see
 * config_value.h). It depends on nothing of the loader: only libc, inet_pton for
 * numeric addresses and jid_check for JID parts. */
#include "config_value.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jid_check.h"

bool cfg_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0)
			return *out = true, true;
		if (strcasecmp(v, no[i]) == 0)
			return *out = false, true;
	}
	return false;
}

bool cfg_parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;
	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*out = n;
	return true;
}

bool cfg_parse_size(const char *v, size_t min, size_t max, size_t *out)
{
	char *end;
	unsigned long long n;
	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno)
		return false;
	if (*end == 'k' || *end == 'K')
		n *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		n *= 1024 * 1024, end++;
	if (*end || n < min || n > max)
		return false;
	*out = (size_t)n;
	return true;
}

bool cfg_parse_octal_mode(const char *v, unsigned *out)
{
	char *end;
	unsigned long m = strtoul(v, &end, 8);
	if (!*v || *end || m > 0777)
		return false;
	*out = (unsigned)m;
	return true;
}

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

void cfg_ascii_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Checked as part of a JID on a placeholder domain. */
bool cfg_localpart_ok(const char *local)
{
	char jid[1100];
	if (!*local || strpbrk(local, "@/ \t"))
		return false;
	return (size_t)snprintf(jid, sizeof jid, "%s@x", local) < sizeof jid && !jid_check(jid);
}

bool cfg_domain_ok(const char *domain)
{
	return *domain && !strpbrk(domain, "@/ \t") && !jid_check(domain);
}

bool cfg_split_bare_jid(const char *jid, char **local, char **domain)
{
	const char *at = strchr(jid, '@');
	if (!at || at == jid || !at[1] || strchr(at + 1, '@') || strchr(jid, '/') ||
	    strpbrk(jid, " \t") || jid_check(jid))
		return false;
	*local = strndup(jid, (size_t)(at - jid));
	*domain = strdup(at + 1);
	cfg_ascii_lower(*domain);
	return *local && *domain;
}

char *cfg_resolve_path(const char *dir, const char *v)
{
	char *p;
	if (v[0] == '/')
		return strdup(v);
	p = malloc(strlen(dir) + strlen(v) + 2);
	if (p)
		sprintf(p, "%s/%s", dir, v);
	return p;
}
