/* soap_fault.h - XEP-0072 SOAP over XMPP: a handler's SOAP Fault -> stanza error (pure).
 *
 * Owns the one place where a handler's body, not its status, decides the reply: a SOAP
 * Envelope whose Body holds a Fault becomes the error XEP-0072 section 7 specifies, with
 * the Fault envelope itself included. Anything else is left to reply_from_response. */
#ifndef XC_SOAP_FAULT_H
#define XC_SOAP_FAULT_H

#include <stddef.h>

#include "reply.h"
#include "response.h"

#define SOAP12_ENV_NS "http://www.w3.org/2003/05/soap-envelope"
#define SOAP11_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_FAULT_NS "http://jabber.org/protocol/soap#fault"

/* soap_is_envelope results: non-zero means "is an Envelope". */
#define SOAP_NONE 0
#define SOAP_11 11
#define SOAP_12 12

/* SOAP_12 or SOAP_11 when body is a well-formed XML document (no DTD) whose root is a
 * SOAP 1.2 or 1.1 Envelope, else SOAP_NONE. */
int soap_is_envelope(const char *body, size_t len);

/* The fault's XEP-0072 application condition (Sender, Receiver, VersionMismatch,
 * MustUnderstand, DataEncodingUnknown; SOAP 1.1 Client/Server map to Sender/Receiver),
 * or NULL for a code outside that list. */
struct soap_fault_info {
	int version;           /* SOAP_11 or SOAP_12 */
	const char *condition; /* see above, may be NULL */
	const char *type;      /* the stanza error type chosen for it */
};

/* If resp's body (whatever its status) is a SOAP Envelope whose Body holds a Fault and
 * the stanza may be answered (an iq get/set or a message not of type error), returns
 * the error stanza: the Envelope, then <error type=T><undefined-condition/> with the
 * Fault's reason as <text> and the soap#fault condition element. Otherwise NULL, and
 * the caller answers as usual. info, if given, is filled when a fault is found. */
char *soap_fault_reply(const struct reply_target *t, const struct cgi_response *resp);
char *soap_fault_reply_info(const struct reply_target *t, const struct cgi_response *resp,
                            struct soap_fault_info *info);

#endif
