/* reply_tree.h - how the unit tests feed a handler's raw CGI output to the response parser
 * and read the XML reply the bridge builds from it back as a tree: parse it (the test fails
 * when it is not well-formed), walk the element children, count them, and assert an
 * element's name and namespace, an attribute's value or absence, and its text. Included by
 * the tests of the reply builders; needs cmocka.h, libxml/parser.h, string.h and the
 * bridge's response.h first. */
#ifndef XC_REPLY_TREE_H
#define XC_REPLY_TREE_H

/* Parses len bytes of CGI output into r, which must come out complete. */
static inline void make_resp_bytes(struct cgi_response *r, const char *raw, size_t len)
{
	response_init(r, 1024 * 1024);
	response_feed(r, raw, len);
	assert_int_equal(response_finish(r), RESP_DONE);
}

/* The same for CGI output without NUL bytes. */
static inline void make_resp(struct cgi_response *r, const char *raw)
{
	make_resp_bytes(r, raw, strlen(raw));
}

/* The reply s as a document; fails the test when s is NULL or not well-formed. */
static inline xmlDocPtr parse_reply(const char *s)
{
	xmlDocPtr d;
	assert_non_null(s);
	d = xmlReadMemory(s, (int)strlen(s), NULL, NULL, XML_PARSE_NONET);
	if (!d)
		fail_msg("reply is not well-formed XML: %s", s);
	return d;
}

/* n or the first element after it among its siblings, NULL if none. */
static inline xmlNodePtr first_el(xmlNodePtr n)
{
	for (; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static inline size_t count_elements(xmlNodePtr parent)
{
	size_t n = 0;
	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			n++;
	return n;
}

/* n is the element name in namespace ns (ns NULL: in no namespace). */
static inline void assert_el(xmlNodePtr n, const char *name, const char *ns)
{
	assert_non_null(n);
	assert_string_equal((const char *)n->name, name);
	if (ns) {
		assert_non_null(n->ns);
		assert_string_equal((const char *)n->ns->href, ns);
	} else {
		assert_null(n->ns);
	}
}

/* value NULL: the attribute must be absent */
static inline void assert_prop(xmlNodePtr n, const char *name, const char *value)
{
	xmlChar *v = xmlGetProp(n, BAD_CAST name);
	if (!value) {
		assert_null(v);
		return;
	}
	if (!v)
		fail_msg("attribute %s missing on <%s>", name, (const char *)n->name);
	assert_string_equal((const char *)v, value);
	xmlFree(v);
}

static inline void assert_content(xmlNodePtr n, const char *text)
{
	xmlChar *c = xmlNodeGetContent(n);
	assert_non_null(c);
	assert_string_equal((const char *)c, text);
	xmlFree(c);
}

#endif
