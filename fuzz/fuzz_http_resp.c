/* fuzz_http_resp.c - libFuzzer harness for XEP-0332 answers (http_resp.c).
 *
 * Input: one byte choosing the inbound stanza, one choosing the element name the
 * client used, then a handler's CGI output. The <resp> built from it is parsed again
 * with the checks every outbound stanza gets (oracle.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_xmpp.h"
#include "oracle.h"
#include "response.h"
#include "target.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_target t;
	struct cgi_response resp;
	struct http_req req;
	char *xml;

	if (size < 2)
		return 0;
	target_from_byte(&t, data[0]);
	t.kind = KIND_IQ;
	memset(&req, 0, sizeof req);
	req.resp_name = data[1] & 1 ? "response" : "resp";
	req.version = data[1] & 2 ? "1.0" : "1.1";
	data += 2;
	size -= 2;

	response_init(&resp, 256 * 1024);
	response_feed(&resp, (const char *)data, size);
	if (response_finish(&resp) == RESP_DONE) {
		xml = http_resp_build_for(&t, &resp, (data[-1] & 4) ? NULL : &req);
		/* NULL only when the iq is not a get/set */
		if (xml || reply_required(t.kind, t.type))
			target_check_reply(&t, xml, data, size);
		free(xml);
	}
	response_free(&resp);
	return 0;
}
