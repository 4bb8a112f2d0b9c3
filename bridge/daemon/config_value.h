/* config_value.h - the value parsers of the configuration file (pure, a leaf).
 *
 * Each turns the text of one value into a number, flag, path, JID part or address and
 * says only whether it could; the caller names the key and the file:line. Nothing here
 * knows the loader, a section or a key, so every section's table (config_table.h) and
 * every section file can use them without depending on one another. */
#ifndef XC_CONFIG_VALUE_H
#define XC_CONFIG_VALUE_H

#include <stdbool.h>
#include <stddef.h>

/* yes/true/on/1 and no/false/off/0, any case. */
bool cfg_parse_bool(const char *v, bool *out);
/* A decimal number from min to max (seconds, counts, ports). */
bool cfg_parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out);
/* "65536", "64k", "1M", from min to max bytes. */
bool cfg_parse_size(const char *v, size_t min, size_t max, size_t *out);
/* An octal file mode up to 0777 ("0660"). */
bool cfg_parse_octal_mode(const char *v, unsigned *out);
/* HOST:PORT with a numeric IPv4 address or a bracketed IPv6 one; *host malloc'd. */
bool cfg_parse_listen(const char *v, char **host, unsigned *port);
void cfg_ascii_lower(char *s);
/* local@domain, no resource, neither part empty; the domain lowercased. */
bool cfg_split_bare_jid(const char *jid, char **local, char **domain);
/* A localpart alone (no @, / or blanks) that makes a valid JID. */
bool cfg_localpart_ok(const char *local);
/* A domain alone (no @, / or blanks) that makes a valid JID. */
bool cfg_domain_ok(const char *domain);
/* v itself if absolute, else v under dir; malloc'd. */
char *cfg_resolve_path(const char *dir, const char *v);

#endif
