/* strophe_attrs.c - keeps a sender's namespaced attributes from replacing a stanza's
 * real to, from, id and type.
 *
 * libstrophe 0.12 parses the stream with expat and drops the namespace of every
 * attribute, so the last of from='alice@...' and f:from='admin@...' (with xmlns:f
 * declared) wins, in the order the server happened to serialise them. A remote sender
 * could then choose the from (and so REMOTE_USER and the route's allow check), the id
 * and the type the bridge sees. XMPP gives no meaning to namespaced attributes on a
 * stanza other than xml:lang, so this file drops them there, before libstrophe sees
 * them: it defines XML_SetElementHandler, which the dynamic linker binds libstrophe's
 * call to, and wraps the start handler libstrophe installs. Elements inside a stanza
 * are left as they are: their namespaced attributes (xsi:type in SOAP) are payload. */
#include <dlfcn.h>
#include <expat.h>
#include <stddef.h>
#include <string.h>

#include "log.h"

/* libstrophe's separator between an attribute's namespace and its local name */
#define NS_SEP '\x1F'
#define XML_NS "http://www.w3.org/XML/1998/namespace"
#define MAX_PARSERS 1024 /* live parsers: one per XMPP connection, one per --once stanza */
#define MAX_ATTRS 64     /* pairs kept at a stanza's root; the bridge refuses more anyway */

struct hooked_parser {
	void *ud; /* libstrophe's parser_t, the handlers' userData */
	XML_StartElementHandler start;
	XML_EndElementHandler end;
	int depth; /* 0: the stream (or libstrophe's wrapper element) */
};

static struct hooked_parser hooked[MAX_PARSERS];

static struct hooked_parser *find(void *ud)
{
	for (size_t i = 0; i < MAX_PARSERS; i++)
		if (hooked[i].ud == ud)
			return &hooked[i];
	return NULL;
}

static int is_foreign(const XML_Char *name)
{
	const char *sep = strchr(name, NS_SEP);
	return sep && !((size_t)(sep - name) == sizeof XML_NS - 1 &&
	                memcmp(name, XML_NS, sizeof XML_NS - 1) == 0);
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
	struct hooked_parser *h = find(ud);
	const XML_Char *kept[2 * MAX_ATTRS + 1];
	size_t n = 0;
	if (!h)
		return;
	if (h->depth++ == 1 && attrs) {
		for (size_t i = 0; attrs[i] && n < 2 * MAX_ATTRS; i += 2) {
			if (is_foreign(attrs[i])) {
				log_info("a stanza attribute in namespace %.*s dropped",
				         (int)(strchr(attrs[i], NS_SEP) - attrs[i]), attrs[i]);
				continue;
			}
			kept[n++] = attrs[i];
			kept[n++] = attrs[i + 1];
		}
		kept[n] = NULL;
		attrs = kept;
	}
	if (h->start)
		h->start(ud, name, attrs);
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct hooked_parser *h = find(ud);
	if (!h)
		return;
	h->depth--;
	if (h->end)
		h->end(ud, name);
}

/* libstrophe frees a connection's parser with its connection: free its slot too. */
void XMLCALL XML_ParserFree(XML_Parser parser)
{
	static void(XMLCALL * real)(XML_Parser);
	struct hooked_parser *h = parser ? find(XML_GetUserData(parser)) : NULL;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "XML_ParserFree");
	if (h)
		h->ud = NULL;
	if (real)
		real(parser);
}

void XMLCALL XML_SetElementHandler(XML_Parser parser, XML_StartElementHandler start,
                                   XML_EndElementHandler end)
{
	typedef void(XMLCALL * set_fn)(XML_Parser, XML_StartElementHandler, XML_EndElementHandler);
	static set_fn real;
	void *ud = XML_GetUserData(parser);
	struct hooked_parser *h;

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "XML_SetElementHandler");
	if (!real)
		return;
	h = find(ud);
	if (!h)
		h = find(NULL);
	if (!h || !ud) {
		/* never reached with libstrophe's few parsers; keep expat's own behaviour */
		real(parser, start, end);
		return;
	}
	*h = (struct hooked_parser){.ud = ud, .start = start, .end = end, .depth = 0};
	real(parser, on_start, on_end);
}
