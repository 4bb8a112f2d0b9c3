/* stanza_error.h - the HTTP status and bridge failure -> XMPP stanza error tables (pure).
 *
 * The tables are doc/design-notes.md section 1 (XEP-0086, Prosody's net/http/errors.lua, the
 * types of RFC 6120 8.3.2) and nothing else; reply.c turns a chosen entry into XML. */
#ifndef XC_STANZA_ERROR_H
#define XC_STANZA_ERROR_H

#include "backend.h"

enum bridge_failure {
	FAIL_NONE,
	FAIL_TIMEOUT,         /* handler exceeded its time limit */
	FAIL_HANDLER,         /* crashed, exited before a complete header, malformed header */
	FAIL_TOO_LARGE,       /* output over the size limit */
	FAIL_BAD_XML,         /* XML content type, body not well-formed */
	FAIL_BUSY,            /* the route's queue is full */
	FAIL_UNAVAILABLE,     /* handler could not be started / backend unreachable */
	FAIL_FORBIDDEN,       /* sender not allowed by the route's ACL */
	FAIL_NO_ROUTE,        /* nothing answers at this address */
	FAIL_BAD_REQUEST,     /* the stanza itself cannot be turned into a request */
	FAIL_NOT_IMPLEMENTED, /* a request form the bridge does not support */
};

enum stanza_kind { KIND_IQ, KIND_MESSAGE, KIND_PRESENCE, KIND_OTHER };

struct stanza_error {
	const char *condition; /* RFC 6120 defined condition element name */
	const char *type;      /* cancel, modify, auth, wait */
	const char *uri;       /* content of <redirect/> or <gone/>, else NULL */
};

/* location: the handler's Location header or NULL. */
void stanza_error_for_status(int status, const char *location, struct stanza_error *out);
void stanza_error_for_failure(enum bridge_failure f, enum stanza_kind kind,
                              struct stanza_error *out);
const char *bridge_failure_text(enum bridge_failure f);
/* A backend's neutral failure kind (backend.h) as the bridge failure it answers with. */
enum bridge_failure bridge_failure_of_backend(enum backend_failure f);

#endif
