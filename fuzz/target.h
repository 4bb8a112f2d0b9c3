/* target.h - the inbound stanzas the reply harnesses answer, chosen by one input byte. */
#ifndef XC_FUZZ_TARGET_H
#define XC_FUZZ_TARGET_H

#include <stdint.h>

#include "reply.h"

/* Fills t from the byte: kind, type, id, to, from and message_replies. */
void target_from_byte(struct reply_target *t, uint8_t b);
/* Aborts unless xml (may be NULL) is a stanza the server accepts, answering t. */
void target_check_reply(const struct reply_target *t, const char *xml, const void *in, size_t len);

#endif
