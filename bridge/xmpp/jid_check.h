/* jid_check.h - is this text a JID the bridge may put on the stream? (pure)
 *
 * A conservative reading of RFC 7622 that needs no PRECIS library: a JID passes only if
 * every server would take it exactly as written, so that no rewriting (NFKC, width
 * mapping, dropping a trailing dot) can turn it into somebody else's address. See
 * jid_check.c for the rules. */
#ifndef XC_JID_CHECK_H
#define XC_JID_CHECK_H

#define JID_MAX_PART 1023

/* NULL if jid is acceptable, else why not (a static text). */
const char *jid_check(const char *jid);

#endif
