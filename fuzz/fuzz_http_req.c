/* fuzz_http_req.c - libFuzzer harness for XEP-0332 requests (http_xmpp.c).
 *
 * Input: an inbound iq as the standalone document a handler reads. A request that
 * parses must be self-consistent (a path starting with '/', a d.d version, a method
 * that is a token) and the CGI variables it adds must have names of [A-Z0-9_], no
 * HTTP_PROXY, values without NUL, and each name once. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_xmpp.h"
#include "oracle.h"

static void check_env(const struct kv *vars, size_t n, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < n; i++) {
		const char *name = vars[i].name;
		if (!*name || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != strlen(name))
			oracle_fail("variable name outside [A-Z0-9_]", (const char *)in, len);
		if (strcmp(name, "HTTP_PROXY") == 0)
			oracle_fail("HTTP_PROXY set (httpoxy)", (const char *)in, len);
		for (size_t j = 0; j < i; j++)
			if (strcmp(vars[j].name, name) == 0)
				oracle_fail("a variable set twice", (const char *)in, len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req req;
	struct kv *vars = NULL;
	size_t n = 0;
	const char *why = NULL;
	char *copy = malloc(size + 1);
	int rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	memset(&req, 0, sizeof req);
	rc = http_req_parse(copy, size, &req, &why);
	if (rc == HTTP_REQ_YES) {
		if (!req.method || !req.path || req.path[0] != '/' || !req.query || !req.version ||
		    strlen(req.version) != 3 || req.version[1] != '.')
			oracle_fail("parsed request without method, path, query or version", copy, size);
		if (http_req_env(&req, size % 2 ? "/route" : "/route/", &vars, &n, &why) == 0) {
			check_env(vars, n, data, size);
			http_env_free(vars, n);
		}
		http_req_free(&req);
	} else if ((rc == HTTP_REQ_BAD || rc == HTTP_REQ_UNSUPPORTED) && !why)
		oracle_fail("request refused without a reason", copy, size);
	free(copy);
	return 0;
}
