/* fuzz_reply.c - libFuzzer harness for response -> reply (reply.c, soap_fault.c).
 *
 * Input: one byte choosing the inbound stanza (kind, type, id, to), one choosing the
 * failure answered alongside, then a handler's CGI output. The output is parsed as the
 * runner does, answered as dispatch.c does (a SOAP Fault first, else the ordinary
 * reply), and the stanza is parsed again: well-formed with namespaces, valid UTF-8, no
 * character XML 1.0 forbids, no comment, PI or DOCTYPE, the right root, id and to, and
 * an iq get/set always answered. A reply marked checked (written as text from checked
 * parts, which the bridge sends without its outbound check) must also pass that check,
 * and a body xml_check_verbatim passes must pass the document and stanza checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oracle.h"
#include "reply.h"
#include "response.h"
#include "soap_fault.h"
#include "target.h"
#include "xml_check.h"

/* A body written as it is must be one the document check accepts, and in a stanza pass
 * the stanza check: the fast check may only ever say yes where the full ones do. */
static void check_verbatim(const struct buf *body)
{
	size_t s, e;
	const char *why = NULL;
	struct buf stanza = {0};
	xmlDocPtr d;
	if (!xml_check_verbatim(body->data, body->len, &s, &e))
		return;
	d = xml_check_read(body->data, body->len, XML_CHECK_DOCUMENT, &why);
	if (!d)
		oracle_fail("a body passed as written is refused by the document check", body->data,
		            body->len);
	xmlFreeDoc(d);
	buf_puts(&stanza, "<iq type=\"result\">");
	buf_append(&stanza, body->data + s, e - s);
	buf_puts(&stanza, "</iq>");
	if (stanza.data && xml_check_stanza(stanza.data, stanza.len))
		oracle_fail("a body passed as written fails the stanza check", stanza.data, stanza.len);
	buf_free(&stanza);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reply_target t;
	struct cgi_response resp;
	enum bridge_failure f;
	const char *why = NULL;
	bool checked = false;
	char *xml = NULL, *text;

	if (size < 2)
		return 0;
	target_from_byte(&t, data[0]);
	f = (enum bridge_failure)(data[1] % (FAIL_NOT_IMPLEMENTED + 1));
	data += 2;
	size -= 2;

	response_init(&resp, 256 * 1024);
	response_feed(&resp, (const char *)data, size);
	if (response_finish(&resp) == RESP_DONE) {
		check_verbatim(&resp.body);
		if (resp.body.len && reply_is_xml_type(resp.content_type) &&
		    memmem(resp.body.data, resp.body.len, "Fault", 5))
			xml = soap_fault_reply(&t, &resp);
		if (!xml)
			xml = reply_from_response(&t, &resp, &why, &checked);
		target_check_reply(&t, xml, data, size);
		/* the outbound check skips text the writer made from checked parts: it must
		 * pass that check, as well as the oracle's (libxml2 and expat) */
		if (xml && checked && (why = xml_check_stanza(xml, strlen(xml))))
			oracle_fail("a reply written as checked fails the outbound check", xml, strlen(xml));
		free(xml);
	}
	/* a failure, with the handler's output as its text (any bytes) */
	text = strndup((const char *)data, size > 2000 ? 2000 : size);
	if (f != FAIL_NONE && text) {
		xml = reply_failure(&t, f, text);
		target_check_reply(&t, xml, data, size);
		free(xml);
	}
	free(text);
	response_free(&resp);
	return 0;
}
