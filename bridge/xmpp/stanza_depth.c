/* stanza_depth.c - deep libstrophe stanzas handled without recursion (see stanza_depth.h).
 *
 * libstrophe nodes have no public parent pointer, so the walk keeps, per level, the next
 * sibling still to visit. Freeing relies on reference counts: with one extra reference
 * on every node below the root, releasing the nodes parents-first frees one node per
 * call and only decrements its children, so no call recurses more than one level. */
#include "stanza_depth.h"

#include <stdlib.h>

#include "xml_check.h"

bool stanza_too_deep(xmpp_stanza_t *stanza)
{
	/* next[k]: the next node to visit among the children of the element at level k+1 */
	xmpp_stanza_t *next[XML_CHECK_MAX_DEPTH + 1];
	unsigned depth = 1;
	next[0] = xmpp_stanza_get_children(stanza);
	while (depth) {
		xmpp_stanza_t *n = next[depth - 1];
		if (!n) {
			depth--;
			continue;
		}
		next[depth - 1] = xmpp_stanza_get_next(n);
		if (!xmpp_stanza_is_tag(n))
			continue;
		if (depth + 1 > XML_CHECK_MAX_DEPTH)
			return true;
		if (xmpp_stanza_get_children(n))
			next[depth++] = xmpp_stanza_get_children(n);
	}
	return false;
}

void stanza_release_flat(xmpp_stanza_t *stanza)
{
	size_t n = 0, cap = 64;
	xmpp_stanza_t **all = malloc(cap * sizeof *all), **grown;
	if (!all) {
		xmpp_stanza_release(stanza);
		return;
	}
	all[n++] = stanza;
	/* breadth first, so every node comes after its parent */
	for (size_t i = 0; i < n; i++) {
		for (xmpp_stanza_t *c = xmpp_stanza_get_children(all[i]); c; c = xmpp_stanza_get_next(c)) {
			if (n == cap) {
				grown = realloc(all, 2 * cap * sizeof *all);
				if (!grown) {
					for (size_t k = 1; k < n; k++) /* undo, then fall back */
						xmpp_stanza_release(all[k]);
					free(all);
					xmpp_stanza_release(stanza);
					return;
				}
				all = grown;
				cap *= 2;
			}
			all[n++] = xmpp_stanza_clone(c);
		}
	}
	for (size_t i = 0; i < n; i++)
		xmpp_stanza_release(all[i]);
	free(all);
}
