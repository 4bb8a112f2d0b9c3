/* cgi_dir.h - the cgi-bin of component mode: names -> executables, safely.
 *
 * A name is accepted only if it is a plain route name (no '/', no "..", no leading
 * dot, no '%') and names a regular file that, after resolving links, is still inside
 * the directory, and that is executable or run by an interpreter the route assigns to
 * it (lighttpd's cgi.assign). Anything else is "not found". */
#ifndef XC_CGI_DIR_H
#define XC_CGI_DIR_H

#include <stddef.h>

#include "config.h"

/* rc is the [route "*"] whose cgi_dir is searched. Writes the script's resolved path to
 * out; returns 0, or -1 if name is refused. */
int cgi_dir_resolve(const struct route_cfg *rc, const char *name, char *out, size_t outlen);
/* The accepted names, sorted; *names is malloc'd, free with cgi_dir_names_free. */
int cgi_dir_list(const struct route_cfg *rc, char ***names, size_t *n);
void cgi_dir_names_free(char **names, size_t n);

#endif
