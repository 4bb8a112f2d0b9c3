/* answer_class.c - the class of a reply stanza (pure; see answer_class.h). */
#include "answer_class.h"

#include <string.h>

/* True if the root element's start tag carries type="error" (or type='error'). */
static int root_is_error(const char *xml)
{
	const char *end = strchr(xml, '>');
	size_t len = end ? (size_t)(end - xml) : strlen(xml);
	const char *p = xml;
	while ((p = memmem(p, len - (size_t)(p - xml), " type=", 6)) != NULL) {
		if (p + 12 < xml + len && (p[6] == '"' || p[6] == '\'') &&
		    strncmp(p + 7, "error", 5) == 0 && p[12] == p[6])
			return 1;
		p += 6;
	}
	return 0;
}

/* s, cut to fit in outlen bytes. */
static void put_class(char *out, size_t outlen, const char *s)
{
	size_t n;
	if (!outlen)
		return;
	n = strnlen(s, outlen - 1);
	memcpy(out, s, n);
	out[n] = '\0';
}

void answer_class_of(const char *xml, char *out, size_t outlen)
{
	const char *err = NULL, *p, *name;
	size_t n;
	if (!xml) {
		put_class(out, outlen, "none");
		return;
	}
	if (!root_is_error(xml)) {
		put_class(out, outlen, "result");
		return;
	}
	for (p = xml; (p = strstr(p, "<error")) != NULL; p++)
		if (p[6] == ' ' || p[6] == '>' || p[6] == '/')
			err = p;
	name = err ? strchr(err, '>') : NULL;
	if (!name || name[-1] == '/' || name[1] != '<' || name[2] == '/') {
		put_class(out, outlen, "other");
		return;
	}
	name += 2;
	n = strcspn(name, " />");
	if (!n || n >= outlen) {
		put_class(out, outlen, "other");
		return;
	}
	memcpy(out, name, n);
	out[n] = '\0';
}
