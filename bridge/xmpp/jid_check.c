/* jid_check.c - a conservative RFC 7622 check of a JID (pure; see jid_check.h).
 *
 * The rules, each part taken alone (localpart@domainpart/resourcepart):
 * - valid UTF-8, 1 to 1023 bytes, no control, format, private-use, unassigned or white
 *   space character (ICU's classes), and unchanged by Unicode NFKC, which is what
 *   PRECIS, nameprep and IDNA would otherwise apply (a fullwidth U+FF20 would become "@");
 * - a localpart has none of " & ' / : < > @ (RFC 7622 section 3.3.1);
 * - a domainpart is an IP literal in brackets, or dot-separated labels of 1 to 63 bytes
 *   (no empty label, so no trailing dot, which servers strip) made of ASCII letters,
 *   digits, '-' and '_' or of non-ASCII characters.
 * Case is left alone: servers fold it, and no folded letter is a separator. */
#include "jid_check.h"

#include <stdbool.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "xml_check.h"

/* NULL if every character may appear in a JID and NFKC leaves the text unchanged. */
static const char *check_unicode(const char *s, size_t len)
{
	UChar wide[JID_MAX_PART + 1];
	int32_t wide_len = 0, i = 0;
	UErrorCode err = U_ZERO_ERROR;
	const UNormalizer2 *nfkc;
	bool ascii = true;

	for (size_t k = 0; k < len; k++)
		ascii = ascii && (unsigned char)s[k] < 0x80;
	if (ascii)
		return NULL; /* the callers check ASCII themselves */
	while (i < (int32_t)len) {
		UChar32 c;
		int8_t t;
		U8_NEXT(s, i, (int32_t)len, c);
		if (c < 0)
			return "invalid UTF-8";
		t = (int8_t)u_charType(c);
		if (u_isUWhiteSpace(c) || t == U_CONTROL_CHAR || t == U_FORMAT_CHAR ||
		    t == U_PRIVATE_USE_CHAR || t == U_SURROGATE || t == U_UNASSIGNED)
			return "a space, control, format, private-use or unassigned character";
	}
	u_strFromUTF8(wide, JID_MAX_PART + 1, &wide_len, s, (int32_t)len, &err);
	if (U_FAILURE(err))
		return "invalid UTF-8";
	nfkc = unorm2_getNFKCInstance(&err);
	if (U_FAILURE(err) || !unorm2_isNormalized(nfkc, wide, wide_len, &err) || U_FAILURE(err))
		return "characters a server would rewrite (not in Unicode NFKC)";
	return NULL;
}

static const char *check_part(const char *s, size_t len)
{
	const char *why;
	if (!len)
		return "an empty part";
	if (len > JID_MAX_PART)
		return "a part over 1023 bytes";
	if ((why = xml_check_text(s, len, true)))
		return why;
	for (size_t i = 0; i < len; i++)
		if (s[i] == ' ')
			return "a space";
	return check_unicode(s, len);
}

static const char *check_domain(const char *d, size_t len)
{
	const char *why = check_part(d, len);
	size_t label = 0;
	if (why)
		return why;
	if (d[0] == '[') {
		if (len < 3 || d[len - 1] != ']' || strspn(d + 1, "0123456789abcdefABCDEF:.") != len - 2)
			return "a domain IP literal that is not [address]";
		return NULL;
	}
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)d[i] : '.';
		if (c == '.') {
			if (!label)
				return "an empty domain label (a leading, trailing or double dot)";
			if (label > 63)
				return "a domain label over 63 bytes";
			label = 0;
			continue;
		}
		label++;
		if (c < 0x80 && !(c == '-' || c == '_' || (c >= '0' && c <= '9') ||
		                  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			return "a character not allowed in a domain";
	}
	return NULL;
}

const char *jid_check(const char *jid)
{
	const char *slash = strchr(jid, '/');
	const char *at = memchr(jid, '@', slash ? (size_t)(slash - jid) : strlen(jid));
	const char *domain = at ? at + 1 : jid;
	size_t domain_len = slash ? (size_t)(slash - domain) : strlen(domain);
	const char *why;

	if (!*jid)
		return "an empty JID";
	if (at) {
		size_t local_len = (size_t)(at - jid);
		if ((why = check_part(jid, local_len)))
			return why;
		if (strcspn(jid, "\"&'/:<>@") < local_len)
			return "a character not allowed in a localpart (\"&'/:<>@)";
	}
	if ((why = check_domain(domain, domain_len)))
		return why;
	if (slash && (why = check_part(slash + 1, strlen(slash + 1))))
		return why;
	return NULL;
}
