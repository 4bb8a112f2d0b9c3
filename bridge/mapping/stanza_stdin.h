/* stanza_stdin.h - the document a handler reads on stdin, written from libstrophe's tree.
 *
 * The same bytes as request_stdin_document() applied to xmpp_stanza_to_text(), in one
 * pass without printf: an XML declaration, the root in jabber:client whatever stream
 * it came on (any xmlns on the root dropped), the xml:lang prefix libstrophe's parser
 * drops put back on the root's lang, then the stanza as libstrophe renders it
 * (attributes in its order, & < > " escaped, an xmlns left out where the parent has
 * the same). tests/unit/test_stanza_stdin.c compares the two ways. */
#ifndef XC_STANZA_STDIN_H
#define XC_STANZA_STDIN_H

#include <stddef.h>
#include <strophe.h>

enum stanza_stdin_result {
	STDIN_OK = 0,
	STDIN_UNSERIALIZABLE = -1, /* a node without a name or text, or nested too deep */
	STDIN_NO_MEMORY = -2,
};

/* *out (malloc'd, NUL-terminated) and *out_len on STDIN_OK; the stanza is only read. */
enum stanza_stdin_result stanza_stdin_document(xmpp_stanza_t *stanza, char **out, size_t *out_len);

#endif
