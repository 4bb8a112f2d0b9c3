/* config_fingerprint.h - a short digest of the configuration, to spot instances that differ.
 *
 * SHA-256 (OpenSSL's libcrypto) over every section, key and value of the file in order,
 * as the INI reader sees them: comments, blank lines and spacing do not count, and
 * neither do [instance] name, [control] socket and [metrics] listen, which differ
 * between instances on one machine by design. Instances that serve one
 * component should show the same fingerprint; the version answer and the start-up log
 * line carry it. */
#ifndef XC_CONFIG_FINGERPRINT_H
#define XC_CONFIG_FINGERPRINT_H

#include <stddef.h>

#define CONFIG_FINGERPRINT_LEN 16 /* hex digits shown: the first 64 bits */

/* Writes CONFIG_FINGERPRINT_LEN hex digits and a NUL to out; returns -1 (out = "unknown")
 * if the file cannot be read again or hashed. */
int config_fingerprint(const char *path, char *out, size_t len);

#endif
