/* fuzz_adhoc.c - libFuzzer harness for ad-hoc command stages (adhoc_answer.c,
 * adhoc_request.c).
 *
 * Input: one byte choosing the inbound iq (id, to, from) and the stage's action, then
 * bytes used twice. As a handler's CGI output, answered as stanza_job.c answers a
 * command stage: the answer must be a stanza a server accepts (oracle_stanza), an iq
 * result or error with the request's id and to, and only a form may leave actions for
 * a next stage. As the stanza document of a stage, turned into form data as a browser
 * would post it: the body must hold only urlencoded bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "adhoc_answer.h"
#include "adhoc_request.h"
#include "oracle.h"
#include "response.h"
#include "target.h"

static void check_body(const char *body, size_t len)
{
	static const char ok[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*-._+%=&";
	if (strlen(body) != len)
		oracle_fail("form data length differs from its text", body, len);
	for (size_t i = 0; i < len; i++)
		if (!strchr(ok, body[i]))
			oracle_fail("form data holds a byte urlencoding never writes", body, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_target t;
	struct cgi_response resp;
	struct adhoc_outcome o;
	struct adhoc_stage st = {"weather", "0123456789abcdef0123456789abcdef", ADHOC_EXECUTE};
	const char *why = NULL;
	char *xml, *body;
	size_t len;

	if (size < 1)
		return 0;
	target_from_byte(&t, data[0]);
	t.kind = KIND_IQ; /* stages are iq sets */
	t.type = "set";
	st.action = (enum adhoc_action)(data[0] % ADHOC_BAD);
	data++;
	size--;

	response_init(&resp, 256 * 1024);
	response_feed(&resp, (const char *)data, size);
	if (response_finish(&resp) == RESP_DONE) {
		xml = adhoc_answer(&t, &st, &resp, &o, &why);
		target_check_reply(&t, xml, data, size);
		if (o.actions && (!xml || !strstr(xml, "status=\"executing\"")))
			oracle_fail("actions left by an answer that is not executing", xml, strlen(xml));
		free(xml);
	}
	response_free(&resp);

	if (adhoc_form_body((const char *)data, size, &body, &len, &why) == 0) {
		check_body(body, len);
		free(body);
	}
	return 0;
}
