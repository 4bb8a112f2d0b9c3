/* config_fingerprint.c - SHA-256 of the configuration as read (see config_fingerprint.h). */
#include "config_fingerprint.h"

#include <ini.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* What differs between instances by design does not count. Each field ends in a NUL so that "a=bc"
 * and "ab=c" hash apart. */
static int feed(void *user, const char *section, const char *name, const char *value)
{
	EVP_MD_CTX *md = user;
	if ((strcmp(section, "instance") == 0 && strcmp(name, "name") == 0) ||
	    (strcmp(section, "control") == 0 && strcmp(name, "socket") == 0) ||
	    (strcmp(section, "metrics") == 0 && strcmp(name, "listen") == 0))
		return 1;
	return EVP_DigestUpdate(md, section, strlen(section) + 1) &&
	       EVP_DigestUpdate(md, name, strlen(name) + 1) &&
	       EVP_DigestUpdate(md, value, strlen(value) + 1);
}

int config_fingerprint(const char *path, char *out, size_t len)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int dlen = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) && ini_parse(path, feed, md) == 0 &&
	         EVP_DigestFinal_ex(md, digest, &dlen) && dlen * 2 >= CONFIG_FINGERPRINT_LEN;
	EVP_MD_CTX_free(md);
	if (!ok || len <= CONFIG_FINGERPRINT_LEN) {
		snprintf(out, len, "unknown");
		return -1;
	}
	for (size_t i = 0; i < CONFIG_FINGERPRINT_LEN / 2; i++)
		snprintf(out + 2 * i, 3, "%02x", digest[i]);
	return 0;
}
