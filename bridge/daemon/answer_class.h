/* answer_class.h - which class of answer a reply stanza is, for the metrics (pure).
 *
 * "result" for an iq result or a message reply, the RFC 6120 defined condition for an
 * error stanza ("item-not-found", "remote-server-timeout" ...), "none" when nothing
 * was sent. The reply is the bridge's own serialization (reply.c, soap_fault.c,
 * http_resp.c): its <error/> element is the root's last child and names the
 * condition first, so the text is read from the last "<error", not parsed again. */
#ifndef XC_ANSWER_CLASS_H
#define XC_ANSWER_CLASS_H

#include <stddef.h>

/* Writes the class to out (at most outlen - 1 bytes; "other" when the error element is
 * not where it should be). xml may be NULL. */
void answer_class_of(const char *xml, char *out, size_t outlen);

#endif
