/* control_proto.c - parsing control requests and preparing their stanzas (pure). A
 * message is built with stanza_build.h; a caller's stanza is checked, and stamped with
 * its to and from there too. */
#include "control_proto.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jid_check.h"
#include "stanza_build.h"
#include "xml_check.h"

static const char *const verbs[] = {"message", "normal", "stanza", "iq"};

int ctl_parse_line(const char *line, size_t len, struct ctl_request *rq, const char **why)
{
	char buf[CTL_MAX_LINE + 1], *fields[6], *save = NULL, *tok, *end;
	int n = 0;
	unsigned long long v;

	memset(rq, 0, sizeof *rq);
	if (len > CTL_MAX_LINE || memchr(line, '\0', len)) {
		*why = "request line too long or not text";
		return -1;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	if (len && buf[len - 1] == '\r')
		buf[len - 1] = '\0';
	for (tok = strtok_r(buf, " ", &save); tok && n < 6; tok = strtok_r(NULL, " ", &save))
		fields[n++] = tok;
	if (n == 2 && strcmp(fields[0], "token") == 0 && strlen(fields[1]) < sizeof rq->token) {
		rq->verb = CTL_TOKEN;
		strcpy(rq->token, fields[1]);
		return 0;
	}
	if (n < 4 || n > 5) {
		*why = "expected: VERB ROUTE TO LENGTH [TIMEOUT_MS]";
		return -1;
	}
	for (rq->verb = CTL_MESSAGE; rq->verb <= CTL_IQ; rq->verb++)
		if (strcmp(fields[0], verbs[rq->verb]) == 0)
			break;
	if (rq->verb > CTL_IQ) {
		*why = "unknown verb (message, normal, stanza, iq)";
		return -1;
	}
	if (strlen(fields[1]) >= sizeof rq->route || strlen(fields[2]) >= sizeof rq->to) {
		*why = "route or recipient too long";
		return -1;
	}
	strcpy(rq->route, fields[1]);
	strcpy(rq->to, fields[2]);
	errno = 0;
	v = strtoull(fields[3], &end, 10);
	if (errno || *end || fields[3][0] == '-' || v > (1ull << 32)) {
		*why = "LENGTH is not a number";
		return -1;
	}
	rq->length = (size_t)v;
	rq->timeout_ms = CTL_DEFAULT_IQ_TIMEOUT_MS;
	if (n == 5) {
		v = strtoull(fields[4], &end, 10);
		if (rq->verb != CTL_IQ || *end || !v || v > CTL_MAX_IQ_TIMEOUT_MS || fields[4][0] == '-') {
			*why = "TIMEOUT_MS is for iq, from 1 to 3600000";
			return -1;
		}
		rq->timeout_ms = (unsigned)v;
	}
	return 0;
}

/* Only the bridge answers iqs (its dispatcher, exactly once): a caller may send an iq
 * request, never a result or an error. */
static int iq_is_request(xmlNodePtr root, const char **code, const char **why)
{
	xmlChar *type = xmlGetProp(root, BAD_CAST "type");
	int ok = type && (strcmp((char *)type, "get") == 0 || strcmp((char *)type, "set") == 0);
	if (!ok && type &&
	    (strcmp((char *)type, "result") == 0 || strcmp((char *)type, "error") == 0)) {
		*code = "forbidden";
		*why = "only the bridge answers iqs: an iq result or error cannot be sent";
	} else if (!ok)
		*why = "an iq needs type get or set";
	xmlFree(type);
	return ok;
}

/* A caller may write xmlns='jabber:client'; the stream's namespace is implied. The
 * recursion is bounded by xml_check_read's depth limit. */
static void drop_client_ns(xmlNodePtr n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (n->ns && n->ns->href && strcmp((const char *)n->ns->href, "jabber:client") == 0 &&
		    !n->ns->prefix)
			n->ns = NULL;
		drop_client_ns(n->children);
	}
}

static void drop_ns_defs(xmlNodePtr root)
{
	xmlNsPtr *pp = &root->nsDef;
	while (*pp) {
		xmlNsPtr ns = *pp;
		if (!ns->prefix && ns->href && strcmp((const char *)ns->href, "jabber:client") == 0) {
			*pp = ns->next;
			ns->next = NULL;
			xmlFreeNs(ns);
			continue;
		}
		pp = &ns->next;
	}
}

char *ctl_build_stanza(const struct ctl_request *rq, const char *payload, size_t len,
                       const char *from, const char *iq_id, char **caller_id, const char **code,
                       const char **why)
{
	xmlDocPtr doc;
	xmlNodePtr root;
	char *out;
	const char *name;

	*caller_id = NULL;
	*code = "bad-xml";
	if ((*why = jid_check(rq->to))) {
		*code = "bad-to";
		return NULL;
	}
	if (rq->verb == CTL_MESSAGE || rq->verb == CTL_NORMAL) {
		struct stanza_head h = {"message", rq->verb == CTL_MESSAGE ? "chat" : "normal", NULL,
		                        rq->to, from};
		root = stanza_begin(&doc, &h);
		stanza_add_text(root, "body", payload, len);
	} else {
		/* the same check as every outgoing stanza's, so a refusal is explained here */
		doc = xml_check_read(payload, len, XML_CHECK_STANZA, why);
		if (!doc)
			return NULL;
		root = xmlDocGetRootElement(doc);
		name = (const char *)root->name;
		if (rq->verb == CTL_IQ) {
			xmlChar *type = xmlGetProp(root, BAD_CAST "type");
			int ok = strcmp(name, "iq") == 0 && type &&
			         (strcmp((char *)type, "get") == 0 || strcmp((char *)type, "set") == 0);
			xmlFree(type);
			if (!ok) {
				*why = "iq needs an <iq type='get'> or <iq type='set'> element";
				xmlFreeDoc(doc);
				return NULL;
			}
			xmlChar *id = xmlGetProp(root, BAD_CAST "id");
			if (id)
				*caller_id = strdup((char *)id);
			xmlFree(id);
			xmlSetProp(root, BAD_CAST "id", BAD_CAST iq_id);
		} else if (strcmp(name, "message") && strcmp(name, "presence") && strcmp(name, "iq")) {
			*why = "the payload is not a message, presence or iq";
			xmlFreeDoc(doc);
			return NULL;
		} else if (strcmp(name, "iq") == 0 && !iq_is_request(root, code, why)) {
			xmlFreeDoc(doc);
			return NULL;
		}
		if (root->ns &&
		    (!root->ns->href || strcmp((const char *)root->ns->href, "jabber:client") != 0)) {
			*why = "the stanza is in a namespace other than jabber:client";
			xmlFreeDoc(doc);
			return NULL;
		}
		drop_client_ns(root);
		drop_ns_defs(root);
		stanza_address(root, rq->to, from);
	}
	out = stanza_serialize(doc);
	if (!out) {
		*why = "out of memory";
		free(*caller_id);
		*caller_id = NULL;
	}
	return out;
}
