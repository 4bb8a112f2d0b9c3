/* stanza_depth.h - deep libstrophe stanzas handled without recursion.
 *
 * libstrophe walks a stanza recursively when it serializes, copies or frees it, so a
 * stanza nested many thousands of levels deep would overflow the stack. The bridge
 * measures the depth first, with an explicit stack, and refuses a stanza deeper than
 * XML_CHECK_MAX_DEPTH before anything recursive touches it. */
#ifndef XC_STANZA_DEPTH_H
#define XC_STANZA_DEPTH_H

#include <stdbool.h>
#include <strophe.h>

#define STANZA_TOO_DEEP_TEXT "the stanza nests elements deeper than the bridge allows (128)"

/* True if elements nest deeper than XML_CHECK_MAX_DEPTH (the stanza itself is 1). */
bool stanza_too_deep(xmpp_stanza_t *stanza);
/* Frees a stanza the bridge owns (--once) with no recursion, however deep it is. */
void stanza_release_flat(xmpp_stanza_t *stanza);

#endif
