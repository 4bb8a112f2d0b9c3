/* fuzz_control.c - libFuzzer harness for the control protocol (control_proto.c).
 *
 * Input: a request line, a newline, then the payload. The line goes through
 * ctl_parse_line; when it is refused, a request for the verb named by the first byte
 * is used instead, so that payloads get fuzzed as well. A stanza the bridge would send
 * is parsed again with the checks every outbound stanza gets (oracle.h), and must carry
 * the TO of the request, the route's from and, for an iq, the bridge's own id. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "control_proto.h"
#include "oracle.h"

#define FROM "bridge@localhost/route"
#define IQ_ID "xc-ctl-1"

static void same_attr(const char *got, const char *want, const char *what, const char *xml)
{
	if (!got || strcmp(got, want) != 0)
		oracle_fail(what, xml, strlen(xml));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const message[] = {"message", NULL};
	static const char *const any[] = {"message", "presence", "iq", NULL};
	static const char *const iq[] = {"iq", NULL};
	const uint8_t *nl = memchr(data, '\n', size);
	const char *why = NULL, *code = NULL;
	const char *const *roots;
	struct ctl_request rq;
	size_t line_len = nl ? (size_t)(nl - data) : size;
	const char *payload = nl ? (const char *)nl + 1 : "";
	size_t payload_len = nl ? size - line_len - 1 : 0;
	char *caller_id = NULL, *xml, *v;

	if (ctl_parse_line((const char *)data, line_len, &rq, &why) != 0) {
		if (!why)
			oracle_fail("request line refused without a reason", (const char *)data, size);
		memset(&rq, 0, sizeof rq);
		rq.verb = (enum ctl_verb)(size ? data[0] % 4 : 0);
		strcpy(rq.to, "alice@localhost/e2e");
		rq.length = payload_len;
	}
	if (oracle_known("ctl-to") && !oracle_xml_text(rq.to, strlen(rq.to)))
		return 0;
	xml = ctl_build_stanza(&rq, payload, payload_len, FROM, IQ_ID, &caller_id, &code, &why);
	if (!xml) {
		if (!code || !why)
			oracle_fail("stanza refused without a code and reason", (const char *)data, size);
		free(caller_id);
		return 0;
	}
	roots = rq.verb == CTL_IQ ? iq : rq.verb == CTL_STANZA ? any : message;
	v = oracle_stanza(xml, roots, "to");
	same_attr(v, rq.to, "the stanza does not go to TO", xml);
	free(v);
	v = oracle_stanza(xml, roots, "from");
	same_attr(v, FROM, "the stanza's from is not the route's", xml);
	free(v);
	if (rq.verb == CTL_IQ) {
		v = oracle_stanza(xml, roots, "id");
		same_attr(v, IQ_ID, "the iq's id is not the bridge's", xml);
		free(v);
	}
	free(caller_id);
	free(xml);
	return 0;
}
