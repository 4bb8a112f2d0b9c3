/* grant.c - the table of live control-socket credentials (pure; see grant.h).
 *
 * Tokens are 16 bytes from getrandom(2) in hex. The table holds one entry per running
 * request, so a linear search is enough; tokens are compared in constant time, so
 * that how long a refusal takes says nothing about a live token. */
#include "grant.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static bool same_token(const char *a, const char *b)
{
	unsigned char diff = 0;
	for (size_t i = 0; i < GRANT_TOKEN_LEN; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

static struct grant *find(const struct grant_table *t, const char *token)
{
	if (strlen(token) != GRANT_TOKEN_LEN)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (same_token(t->v[i].token, token))
			return &t->v[i];
	return NULL;
}

int grant_issue(struct grant_table *t, const char *route, char token[GRANT_TOKEN_LEN + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[GRANT_TOKEN_LEN / 2];
	struct grant *g;
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return -1;
	for (size_t i = 0; i < sizeof rnd; i++) {
		token[2 * i] = hex[rnd[i] >> 4];
		token[2 * i + 1] = hex[rnd[i] & 15];
	}
	token[GRANT_TOKEN_LEN] = '\0';
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct grant *grown = realloc(t->v, cap * sizeof *grown);
		if (!grown)
			return -1;
		t->v = grown;
		t->cap = cap;
	}
	g = &t->v[t->n];
	g->route = strdup(route);
	if (!g->route)
		return -1;
	memcpy(g->token, token, GRANT_TOKEN_LEN + 1);
	t->n++;
	return 0;
}

void grant_revoke(struct grant_table *t, const char *token)
{
	struct grant *g = find(t, token);
	if (!g)
		return;
	free(g->route);
	*g = t->v[--t->n];
}

const char *grant_route(const struct grant_table *t, const char *token)
{
	const struct grant *g = find(t, token);
	return g ? g->route : NULL;
}

void grant_table_free(struct grant_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].route);
	free(t->v);
	memset(t, 0, sizeof *t);
}
