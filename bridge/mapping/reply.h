/* reply.h - a handler's response or a bridge failure -> the XMPP reply stanza (pure).
 *
 * The result is serialized XML ready for the stream, or NULL when no reply is due (a
 * successful message or presence, anything answering a stanza of type error or an iq
 * result). The stanza itself is made by stanza_build.h. */
#ifndef XC_REPLY_H
#define XC_REPLY_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

#include "response.h"
#include "stanza_build.h"
#include "stanza_error.h"

#define REPLY_MAX_ERROR_TEXT STANZA_MAX_ERROR_TEXT
#define REPLY_MAX_ROOM_ERROR 400 /* an error line in a room, nick and condition included */

struct reply_target {
	enum stanza_kind kind;
	const char *type; /* the inbound stanza's type attribute, may be NULL */
	const char *id;   /* may be NULL */
	const char *to;   /* the sender, where the reply goes; may be NULL */
	const char *from; /* our address, NULL to let the server stamp it */
	bool message_replies;
	/* a groupchat message (muc_room.c): a 2xx answer goes to this room as groupchat, an
	 * error as text per room_errors (enum room_errors), never as a stanza error */
	const char *room;
	int room_errors;
};

enum stanza_kind stanza_kind_of(const char *name);
/* False for stanzas that must never be answered (type error, iq result). */
bool reply_allowed(enum stanza_kind kind, const char *type);
/* Every iq get/set needs exactly one answer. */
bool reply_required(enum stanza_kind kind, const char *type);
/* On an unusable response (e.g. bad XML) the error reply is built instead and, if
 * log_reason is given, *log_reason says why. *checked (checked may be NULL) is set when
 * the text was written by stanza_build.h's text writer from checked parts, which the
 * outbound check need not parse again (xmpp_link.h: link_send_checked). */
char *reply_from_response(const struct reply_target *t, const struct cgi_response *resp,
                          const char **log_reason, bool *checked);
char *reply_failure(const struct reply_target *t, enum bridge_failure f, const char *text);
bool reply_is_xml_type(const char *content_type);

#endif
