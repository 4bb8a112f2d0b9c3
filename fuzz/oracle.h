/* oracle.h - checks the fuzz harnesses share: what a stanza on the wire must be.
 *
 * A server closes the whole stream on a stanza that is not namespace-well-formed, not
 * valid UTF-8, holds a character XML 1.0 forbids, a comment, a processing instruction
 * or a DOCTYPE; oracle_stanza() checks all of that with a strict libxml2 parse (no
 * recovery, wellFormed and nsWellFormed) and with expat, the parser of Prosody,
 * ejabberd and libstrophe, and aborts with the text on failure, so that libFuzzer
 * keeps the input. Known bugs still open in code owned elsewhere can be
 * masked one by one through XC_FUZZ_KNOWN (see doc/fuzzing.md), so that long runs can
 * go on looking for new ones. */
#ifndef XC_FUZZ_ORACLE_H
#define XC_FUZZ_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Reports what failed, the text it was about, and aborts. */
void oracle_fail(const char *what, const char *text, size_t len);
/* True when XC_FUZZ_KNOWN (space or comma separated) names this known bug. */
bool oracle_known(const char *name);
/* Valid UTF-8 (no overlongs, surrogates or code points above U+10FFFF) made only of
 * characters XML 1.0 allows. */
bool oracle_xml_text(const char *s, size_t len);
/* The checks above on one serialized stanza; the root must be one of roots (a
 * NULL-terminated list of local names). Returns the root's attribute value of attr if
 * attr is given (malloc'd, or NULL when absent). */
char *oracle_stanza(const char *xml, const char *const *roots, const char *attr);
/* A tiny deterministic generator for splitting input into chunks. */
uint32_t oracle_rand(uint32_t *state);

#endif
