/* soap_fault.c - XEP-0072 SOAP Fault -> stanza error (pure; see soap_fault.h).
 *
 * Owns: recognizing SOAP 1.2 and 1.1 Envelopes, finding a Fault in the Body, reading its
 * code as a namespace-resolved QName and its reason, and building the error stanza of
 * XEP-0072 section 7 ("Error Handling"): the catch-all <undefined-condition/> plus an
 * application condition in http://jabber.org/protocol/soap#fault named after the SOAP
 * fault code, with the Fault envelope included as in the XEP's example of a SOAP fault
 * (section 2.2.1). The stanza error types are chosen here (the XEP gives only Sender's,
 * modify); see fault_codes below. */
#include "soap_fault.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "stanza_build.h"
#include "xml_check.h"

/* SOAP 1.2 Part 1 section 5.4.6 fault codes -> XEP-0072 condition and error type.
 * Sender: modify, as XEP-0072's example ("should not be resent without change").
 * Receiver: wait (SOAP 1.2: "could succeed if resent at a later point in time").
 * VersionMismatch, MustUnderstand, DataEncodingUnknown: modify, since the sender can
 * change the envelope (version, header blocks, encoding) and retry (RFC 6120 8.3.2). */
static const struct {
	const char *code;      /* local name in the envelope namespace */
	const char *condition; /* XEP-0072 application condition */
	const char *type;
	int version; /* 0: both; SOAP_11 / SOAP_12: that version only */
} fault_codes[] = {
    {"Sender", "Sender", "modify", SOAP_12},
    {"Receiver", "Receiver", "wait", SOAP_12},
    {"Client", "Sender", "modify", SOAP_11}, /* SOAP 1.1 names of the same two */
    {"Server", "Receiver", "wait", SOAP_11},
    {"VersionMismatch", "VersionMismatch", "modify", 0},
    {"MustUnderstand", "MustUnderstand", "modify", 0},
    {"DataEncodingUnknown", "DataEncodingUnknown", "modify", SOAP_12},
};

static xmlDocPtr parse_doc(const char *body, size_t len)
{
	const char *why;
	if (!body || !len)
		return NULL;
	return xml_check_read(body, len, XML_CHECK_DOCUMENT, &why);
}

static bool has_ns(xmlNodePtr n, const char *ns)
{
	if (!ns)
		return !n->ns;
	return n->ns && strcmp((const char *)n->ns->href, ns) == 0;
}

static int envelope_version(xmlNodePtr root)
{
	if (!root || strcmp((const char *)root->name, "Envelope") != 0)
		return SOAP_NONE;
	if (has_ns(root, SOAP12_ENV_NS))
		return SOAP_12;
	if (has_ns(root, SOAP11_ENV_NS))
		return SOAP_11;
	return SOAP_NONE;
}

int soap_is_envelope(const char *body, size_t len)
{
	xmlDocPtr d = parse_doc(body, len);
	int v = d ? envelope_version(xmlDocGetRootElement(d)) : SOAP_NONE;
	xmlFreeDoc(d);
	return v;
}

/* The first element child of parent called name in namespace ns (NULL: none). */
static xmlNodePtr child(xmlNodePtr parent, const char *ns, const char *name)
{
	if (!parent)
		return NULL;
	for (xmlNodePtr c = stanza_first_element(parent->children); c;
	     c = stanza_first_element(c->next))
		if (strcmp((const char *)c->name, name) == 0 && has_ns(c, ns))
			return c;
	return NULL;
}

/* SOAP 1.1 faultcode and faultstring are unqualified; some toolkits qualify them. */
static xmlNodePtr child11(xmlNodePtr parent, const char *name)
{
	xmlNodePtr c = child(parent, NULL, name);
	return c ? c : child(parent, SOAP11_ENV_NS, name);
}

/* The local part of the QName in n's text if its prefix resolves to ns, else NULL.
 * Returned malloc'd. */
static char *qname_local(xmlDocPtr d, xmlNodePtr n, const char *ns)
{
	xmlChar *raw = n ? xmlNodeGetContent(n) : NULL;
	char *s, *e, *colon, *out = NULL;
	xmlNsPtr found;
	if (!raw)
		return NULL;
	for (s = (char *)raw; *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'; s++)
		;
	for (e = s + strlen(s);
	     e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r');)
		e--;
	*e = '\0';
	colon = strchr(s, ':');
	if (colon)
		*colon = '\0';
	found = xmlSearchNs(d, n, colon ? BAD_CAST s : NULL);
	if (found && found->href && strcmp((const char *)found->href, ns) == 0)
		out = strdup(colon ? colon + 1 : s);
	xmlFree(raw);
	return out;
}

static void classify(xmlDocPtr d, xmlNodePtr fault, int version, struct soap_fault_info *info)
{
	char *local;
	info->version = version;
	info->condition = NULL;
	info->type = "cancel";
	if (version == SOAP_12) {
		local = qname_local(d, child(child(fault, SOAP12_ENV_NS, "Code"), SOAP12_ENV_NS, "Value"),
		                    SOAP12_ENV_NS);
	} else {
		local = qname_local(d, child11(fault, "faultcode"), SOAP11_ENV_NS);
		if (local && strchr(local, '.'))
			*strchr(local, '.') = '\0'; /* SOAP 1.1 4.4.1: "Client.Authentication" */
	}
	for (size_t i = 0; local && i < sizeof fault_codes / sizeof *fault_codes; i++) {
		if (strcmp(local, fault_codes[i].code) == 0 &&
		    (!fault_codes[i].version || fault_codes[i].version == version)) {
			info->condition = fault_codes[i].condition;
			info->type = fault_codes[i].type;
			break;
		}
	}
	free(local);
}

/* The Fault's human-readable reason (1.2: the first Reason/Text; 1.1: faultstring). */
static xmlChar *fault_reason(xmlNodePtr fault, int version)
{
	xmlNodePtr n = version == SOAP_12
	                   ? child(child(fault, SOAP12_ENV_NS, "Reason"), SOAP12_ENV_NS, "Text")
	                   : child11(fault, "faultstring");
	return n ? xmlNodeGetContent(n) : NULL;
}

static char *build(const struct reply_target *t, xmlNodePtr envelope,
                   const struct soap_fault_info *info, const xmlChar *reason)
{
	struct stanza_head h = {t->kind == KIND_IQ ? "iq" : "message", "error", t->id, t->to, t->from};
	xmlDocPtr doc;
	xmlNodePtr root = stanza_begin(&doc, &h), err;
	const char *text = (const char *)reason;

	xmlAddChild(root, xmlDocCopyNode(envelope, doc, 1));
	err = stanza_add_error(root, info->type, "undefined-condition", NULL, text,
	                       text ? strlen(text) : 0);
	if (info->condition)
		stanza_add_child(err, info->condition, SOAP_FAULT_NS);
	return stanza_serialize(doc);
}

char *soap_fault_reply_info(const struct reply_target *t, const struct cgi_response *resp,
                            struct soap_fault_info *info)
{
	struct soap_fault_info local;
	xmlDocPtr d;
	xmlNodePtr env, body, fault;
	const char *ns;
	int version;
	char *out = NULL;

	if (!info)
		info = &local;
	if ((t->kind != KIND_IQ && t->kind != KIND_MESSAGE) || !reply_allowed(t->kind, t->type))
		return NULL;
	if (!(d = parse_doc(resp->body.data, resp->body.len)))
		return NULL;
	env = xmlDocGetRootElement(d);
	version = envelope_version(env);
	ns = version == SOAP_12 ? SOAP12_ENV_NS : SOAP11_ENV_NS;
	body = version ? child(env, ns, "Body") : NULL;
	fault = body ? stanza_first_element(body->children) : NULL;
	if (fault && strcmp((const char *)fault->name, "Fault") == 0 && has_ns(fault, ns)) {
		xmlChar *reason = fault_reason(fault, version);
		classify(d, fault, version, info);
		stanza_strip_restricted(env);
		out = build(t, env, info, reason);
		xmlFree(reason);
	}
	xmlFreeDoc(d);
	return out;
}

char *soap_fault_reply(const struct reply_target *t, const struct cgi_response *resp)
{
	return soap_fault_reply_info(t, resp, NULL);
}
