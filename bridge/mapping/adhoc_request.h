/* adhoc_request.h - an ad-hoc command stage -> the body an HTML form would POST (pure).
 *
 * A stage of an XEP-0050 command reaches its handler as a browser's form submission
 * reaches a CGI script: REQUEST_METHOD=POST, CONTENT_TYPE
 * application/x-www-form-urlencoded, and the fields of the submitted jabber:x:data form
 * as the body, var=value pairs joined by '&', a field with several values repeated
 * once per value, in the form's order (WHATWG URL's urlencoded serializer: ' ' as '+',
 * everything outside [A-Za-z0-9*-._] as %XX of its UTF-8 bytes). A stage without a
 * form (the first execute, prev, cancel) has an empty body. */
#ifndef XC_ADHOC_REQUEST_H
#define XC_ADHOC_REQUEST_H

#include <stddef.h>

#include "buf.h"

#define ADHOC_FORM_CONTENT_TYPE "application/x-www-form-urlencoded"

/* Appends s urlencoded (application/x-www-form-urlencoded) to b. */
int adhoc_urlencode(struct buf *b, const char *s, size_t len);
/* The form data of the <command/> in the stanza document doc (as request_stdin_document
 * makes it). Returns 0 with *body (malloc'd, may be "") and *len, or -1 with *why. A
 * form of a type other than submit (cancel: no data), a field without var, or more
 * than one form is refused. */
int adhoc_form_body(const char *doc, size_t doc_len, char **body, size_t *len, const char **why);

#endif
