/* http_req_iq.h - how the XEP-0332 unit tests write a request: an iq set from
 * alice@example.org/pc to the bridge carrying <REQ xmlns='urn:xmpp:http' ATTRS>INNER</REQ>,
 * and that stanza run through http_req_parse. Included by the tests of the request and
 * response sides; needs cmocka.h, stdio.h, stdlib.h, string.h and http_xmpp.h first. */
#ifndef XC_HTTP_REQ_IQ_H
#define XC_HTTP_REQ_IQ_H

#define SHIM HTTP_SHIM_NS
#define POST_ATTRS "method='POST' resource='/items' version='1.1'"

/* The iq text, malloc'ed. */
static inline char *iq_with(const char *req_el, const char *attrs, const char *inner)
{
	size_t len = strlen(attrs) + strlen(inner) + 2 * strlen(req_el) + 256;
	char *s = malloc(len);
	assert_non_null(s);
	snprintf(s, len,
	         "<?xml version='1.0'?>\n<iq xmlns='jabber:client' type='set' id='h1' "
	         "from='alice@example.org/pc' to='bridge@example.org/api'>"
	         "<%s xmlns='urn:xmpp:http' %s>%s</%s></iq>",
	         req_el, attrs, inner, req_el);
	return s;
}

/* http_req_parse's answer for <req ATTRS>INNER</req>. */
static inline int parse_req(const char *attrs, const char *inner, struct http_req *r,
                            const char **why)
{
	char *s = iq_with("req", attrs, inner);
	int rc = http_req_parse(s, strlen(s), r, why);
	free(s);
	return rc;
}

#endif
