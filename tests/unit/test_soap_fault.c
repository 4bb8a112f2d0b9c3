/* test_soap_fault.c - unit tests for bridge/mapping/soap_fault.c (XEP-0072 section 7).
 *
 * soap_is_envelope: SOAP 1.2 and 1.1 Envelopes recognized by namespace and name only;
 * other XML, Envelopes in other namespaces, a DTD, garbage and empty bodies refused.
 * soap_fault_reply, parsed back as trees: every SOAP 1.2 fault code (Sender, Receiver,
 * VersionMismatch, MustUnderstand, DataEncodingUnknown) and the SOAP 1.1 ones (Client,
 * Server, with dotted refinements) give <iq type='error'> holding the Envelope first,
 * then <error type=T> with <undefined-condition/>, the reason as <text> and the
 * soap#fault application condition; QNames resolved through their in-scope prefix (a
 * prefix bound elsewhere gives no application condition, type cancel); the real
 * soap-calc.py fault output; any status; a message answered with a message error;
 * presence, iq result and type error never answered; envelopes without a Fault,
 * non-SOAP XML, text and empty bodies left alone (NULL); comments stripped; the reason
 * trimmed and capped; no <text> without a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soap_fault.h"

#include "reply_tree.h"

#define ENV12 "xmlns:env='" SOAP12_ENV_NS "'"
#define ENV11 "xmlns:soapenv='" SOAP11_ENV_NS "'"

static const struct reply_target iq_set = {
    .kind = KIND_IQ, .type = "set", .id = "s1", .to = "alice@example.org/pc", .from = NULL};

/* ---- helpers ---- */

/* The CGI output "[STATUS\n]Content-Type: application/soap+xml\n\nBODY" parsed into r. */
static void fault_resp(struct cgi_response *r, const char *status, const char *body)
{
	char raw[8192];
	snprintf(raw, sizeof raw, "%s%sContent-Type: application/soap+xml\n\n%s", status ? status : "",
	         status ? "\n" : "", body);
	make_resp(r, raw);
}

static char *fault12(const char *code_value, const char *reason)
{
	char *s = malloc(4096);
	assert_non_null(s);
	snprintf(s, 4096,
	         "<env:Envelope " ENV12 "><env:Body><env:Fault><env:Code><env:Value>%s</env:Value>"
	         "</env:Code><env:Reason><env:Text xml:lang='en'>%s</env:Text></env:Reason>"
	         "</env:Fault></env:Body></env:Envelope>",
	         code_value, reason);
	return s;
}

static char *fault11(const char *code_value, const char *reason)
{
	char *s = malloc(4096);
	assert_non_null(s);
	snprintf(s, 4096,
	         "<soapenv:Envelope " ENV11 "><soapenv:Body><soapenv:Fault><faultcode>%s</faultcode>"
	         "<faultstring>%s</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>",
	         code_value, reason);
	return s;
}

/* Checks out: <KIND type='error'><Envelope ns=env_ns>..Fault..</Envelope><error type=T>
 * <undefined-condition/>[<text>TEXT</text>][<COND xmlns=soap#fault/>]</error></KIND>. */
static void check_fault_reply(const char *out, const char *kind, const char *env_ns,
                              const char *type, const char *cond, const char *text)
{
	xmlDocPtr d;
	xmlNodePtr root, env, err, c;
	d = parse_reply(out);
	root = xmlDocGetRootElement(d);
	assert_el(root, kind, NULL);
	assert_prop(root, "type", "error");
	env = first_el(root->children);
	assert_el(env, "Envelope", env_ns);
	assert_el(first_el(first_el(env->children)->children), "Fault", env_ns);
	err = first_el(env->next);
	assert_el(err, "error", NULL);
	assert_null(first_el(err->next));
	assert_prop(err, "type", type);
	assert_prop(err, "code", NULL);
	c = first_el(err->children);
	assert_el(c, "undefined-condition", STANZAS_NS);
	c = first_el(c->next);
	if (text) {
		assert_el(c, "text", STANZAS_NS);
		assert_content(c, text);
		c = first_el(c->next);
	}
	if (cond) {
		assert_el(c, cond, SOAP_FAULT_NS);
		assert_null(c->children);
		c = first_el(c->next);
	}
	assert_null(c);
	xmlFreeDoc(d);
}

/* The reply for body (status 500) to t, or NULL. */
static char *reply_for(const struct reply_target *t, const char *status, const char *body)
{
	struct cgi_response r;
	char *out;
	fault_resp(&r, status, body);
	out = soap_fault_reply(t, &r);
	response_free(&r);
	return out;
}

/* ---- tests ---- */

static void test_is_envelope(void **state)
{
	static const struct {
		const char *body;
		int want;
	} rows[] = {
	    {"<env:Envelope " ENV12 "><env:Body/></env:Envelope>", SOAP_12},
	    {"<?xml version='1.0'?>\n<Envelope xmlns='" SOAP12_ENV_NS "'/>", SOAP_12},
	    {"<soapenv:Envelope " ENV11 "><soapenv:Body/></soapenv:Envelope>", SOAP_11},
	    {"<Envelope/>", SOAP_NONE},
	    {"<e:Envelope xmlns:e='urn:other'/>", SOAP_NONE},
	    {"<env:Body " ENV12 "/>", SOAP_NONE},
	    {"<r><env:Envelope " ENV12 "/></r>", SOAP_NONE},
	    {"<!DOCTYPE x><env:Envelope " ENV12 "/>", SOAP_NONE},
	    {"<env:Envelope " ENV12 ">", SOAP_NONE},
	    {"not xml at all", SOAP_NONE},
	    {"", SOAP_NONE},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		if (soap_is_envelope(rows[i].body, strlen(rows[i].body)) != rows[i].want)
			fail_msg("row %zu: %s", i, rows[i].body);
	assert_int_equal(soap_is_envelope(NULL, 0), SOAP_NONE);
}

/* A fault code value, the application condition it gives (NULL: none) and the type. */
struct code_row {
	const char *value, *cond, *type;
};

/* Each row's value as the code of a fault make_fault writes gives that condition and type,
 * with the reason as <text>. */
static void check_codes(const struct code_row *rows, size_t n,
                        char *(*make_fault)(const char *, const char *), const char *env_ns,
                        const char *reason)
{
	for (size_t i = 0; i < n; i++) {
		char *body = make_fault(rows[i].value, reason);
		char *out = reply_for(&iq_set, "Status: 500", body);
		check_fault_reply(out, "iq", env_ns, rows[i].type, rows[i].cond, reason);
		free(out);
		free(body);
	}
}

static void test_soap12_codes(void **state)
{
	static const struct code_row rows[] = {
	    {"env:Sender", "Sender", "modify"},
	    {"env:Receiver", "Receiver", "wait"},
	    {"env:VersionMismatch", "VersionMismatch", "modify"},
	    {"env:MustUnderstand", "MustUnderstand", "modify"},
	    {"env:DataEncodingUnknown", "DataEncodingUnknown", "modify"},
	    {"  env:Sender\n", "Sender", "modify"},
	    {"env:Client", NULL, "cancel"}, /* a SOAP 1.1 name in a 1.2 envelope */
	    {"env:Bogus", NULL, "cancel"},
	    {"Sender", NULL, "cancel"},      /* no default namespace in scope */
	    {"nope:Sender", NULL, "cancel"}, /* unbound prefix */
	    {"", NULL, "cancel"},
	};
	(void)state;
	check_codes(rows, sizeof rows / sizeof *rows, fault12, SOAP12_ENV_NS, "went wrong");
}

static void test_qname_resolution(void **state)
{
	static const struct {
		const char *body, *cond;
	} rows[] = {
	    /* prefix declared on Value itself */
	    {"<env:Envelope " ENV12 "><env:Body><env:Fault><env:Code><env:Value xmlns:s='" SOAP12_ENV_NS
	     "'>s:Receiver</env:Value></env:Code></env:Fault></env:Body></env:Envelope>",
	     "Receiver"},
	    /* default namespace is the envelope's */
	    {"<Envelope xmlns='" SOAP12_ENV_NS "'><Body><Fault><Code><Value>Sender</Value>"
	     "<Subcode><Value xmlns:r='urn:r'>r:Whatever</Value></Subcode></Code>"
	     "<Reason><Text xml:lang='en'>r</Text></Reason></Fault></Body></Envelope>",
	     "Sender"},
	    /* a prefix named env bound to something else */
	    {"<s:Envelope xmlns:s='" SOAP12_ENV_NS "' xmlns:env='urn:not-soap'><s:Body><s:Fault>"
	     "<s:Code><s:Value>env:Sender</s:Value></s:Code></s:Fault></s:Body></s:Envelope>",
	     NULL},
	};
	(void)state;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct cgi_response r;
		struct soap_fault_info info = {0, "stale", "stale"};
		char *out;
		fault_resp(&r, "Status: 500", rows[i].body);
		out = soap_fault_reply_info(&iq_set, &r, &info);
		response_free(&r);
		assert_non_null(out);
		assert_int_equal(info.version, SOAP_12);
		if (rows[i].cond)
			assert_string_equal(info.condition, rows[i].cond);
		else
			assert_null(info.condition);
		check_fault_reply(out, "iq", SOAP12_ENV_NS, info.type, rows[i].cond, i == 1 ? "r" : NULL);
		free(out);
	}
}

static void test_soap11_codes(void **state)
{
	static const struct code_row rows[] = {
	    {"soapenv:Client", "Sender", "modify"},
	    {"soapenv:Server", "Receiver", "wait"},
	    {"soapenv:Client.Authentication", "Sender", "modify"},
	    {"soapenv:Server.Database.Down", "Receiver", "wait"},
	    {"soapenv:VersionMismatch", "VersionMismatch", "modify"},
	    {"soapenv:MustUnderstand", "MustUnderstand", "modify"},
	    {"soapenv:Sender", NULL, "cancel"}, /* a SOAP 1.2 name in a 1.1 envelope */
	    {"soapenv:DataEncodingUnknown", NULL, "cancel"},
	    {"x:Client", NULL, "cancel"},
	};
	(void)state;
	check_codes(rows, sizeof rows / sizeof *rows, fault11, SOAP11_ENV_NS, "old style");
}

static void test_soap_calc_output(void **state)
{
	/* cgi-examples/soap-calc.py's answer to a division by zero, as it prints it. */
	static const char raw[] =
	    "Status: 500 Internal Server Error\nContent-Type: application/soap+xml\n\n"
	    "<env:Envelope xmlns:env='http://www.w3.org/2003/05/soap-envelope'><env:Body>"
	    "<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value "
	    "xmlns:calc='urn:xmpp-cgi:calc'>calc:DivisionByZero</env:Value></env:Subcode>"
	    "</env:Code><env:Reason><env:Text xml:lang='en'>div: division by zero</env:Text>"
	    "</env:Reason></env:Fault></env:Body></env:Envelope>\n";
	struct cgi_response r;
	struct reply_target t = iq_set;
	char *out;
	(void)state;
	make_resp(&r, raw);
	t.from = "calc@example.org/soap";
	out = soap_fault_reply(&t, &r);
	check_fault_reply(out, "iq", SOAP12_ENV_NS, "modify", "Sender", "div: division by zero");
	assert_non_null(strstr(out, "id=\"s1\""));
	assert_non_null(strstr(out, "to=\"alice@example.org/pc\""));
	assert_non_null(strstr(out, "from=\"calc@example.org/soap\""));
	assert_non_null(strstr(out, "calc:DivisionByZero")); /* the whole Fault travels */
	free(out);
	response_free(&r);
}

static void test_any_status(void **state)
{
	char *body = fault12("env:Receiver", "x");
	static const char *const statuses[] = {NULL, "Status: 200 OK", "Status: 400", "Status: 503"};
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		char *out = reply_for(&iq_set, statuses[i], body);
		check_fault_reply(out, "iq", SOAP12_ENV_NS, "wait", "Receiver", "x");
		free(out);
	}
	free(body);
}

static void test_not_a_fault(void **state)
{
	static const char *const bodies[] = {
	    "<env:Envelope " ENV12 "><env:Body><addResponse xmlns='urn:c'><result>3</result>"
	    "</addResponse></env:Body></env:Envelope>",
	    "<env:Envelope " ENV12 "><env:Body/></env:Envelope>",
	    "<env:Envelope " ENV12 "/>",
	    "<env:Envelope " ENV12 "><env:Header><env:Fault/></env:Header></env:Envelope>",
	    "<env:Envelope " ENV12 "><env:Body><x xmlns='urn:x'/><env:Fault/></env:Body>"
	    "</env:Envelope>",
	    "<env:Envelope " ENV12 "><env:Body><Fault/></env:Body></env:Envelope>",
	    "<env:Envelope " ENV12 "><env:Body><soapenv:Fault " ENV11 "/></env:Body></env:Envelope>",
	    "<Fault xmlns='" SOAP12_ENV_NS "'/>",
	    "<error><Fault/></error>",
	    "<env:Envelope " ENV12 "><env:Body><env:Fault>",
	    "<!DOCTYPE e><env:Envelope " ENV12 "><env:Body><env:Fault/></env:Body></env:Envelope>",
	    "Internal error: env:Fault",
	    "",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bodies / sizeof *bodies; i++) {
		char *out = reply_for(&iq_set, "Status: 500", bodies[i]);
		if (out)
			fail_msg("row %zu answered: %s", i, out);
	}
}

static void test_targets(void **state)
{
	char *body = fault12("env:Sender", "bad");
	struct reply_target t = iq_set;
	char *out;
	(void)state;
	t.type = "get";
	out = reply_for(&t, "Status: 500", body);
	check_fault_reply(out, "iq", SOAP12_ENV_NS, "modify", "Sender", "bad");
	free(out);
	t.kind = KIND_MESSAGE;
	t.type = NULL;
	out = reply_for(&t, "Status: 500", body);
	check_fault_reply(out, "message", SOAP12_ENV_NS, "modify", "Sender", "bad");
	free(out);
	t.type = "chat";
	out = reply_for(&t, "Status: 500", body);
	check_fault_reply(out, "message", SOAP12_ENV_NS, "modify", "Sender", "bad");
	free(out);
	t.type = "error";
	assert_null(reply_for(&t, "Status: 500", body));
	t.kind = KIND_PRESENCE;
	t.type = NULL;
	assert_null(reply_for(&t, "Status: 500", body));
	t.kind = KIND_IQ;
	t.type = "result";
	assert_null(reply_for(&t, "Status: 500", body));
	t.type = "error";
	assert_null(reply_for(&t, "Status: 500", body));
	t.kind = KIND_OTHER;
	t.type = "set";
	assert_null(reply_for(&t, "Status: 500", body));
	free(body);
}

static void test_reason_text(void **state)
{
	char long_reason[3000];
	char *body, *out;
	xmlDocPtr d;
	xmlChar *text;
	(void)state;
	/* no Reason: no <text> */
	out = reply_for(&iq_set, "Status: 500",
	                "<env:Envelope " ENV12 "><env:Body><env:Fault><env:Code><env:Value>"
	                "env:Receiver</env:Value></env:Code></env:Fault></env:Body></env:Envelope>");
	check_fault_reply(out, "iq", SOAP12_ENV_NS, "wait", "Receiver", NULL);
	free(out);
	/* blank reason: no <text>; padded reason: trimmed */
	body = fault12("env:Sender", "  \n ");
	out = reply_for(&iq_set, "Status: 500", body);
	check_fault_reply(out, "iq", SOAP12_ENV_NS, "modify", "Sender", NULL);
	free(out);
	free(body);
	body = fault12("env:Sender", "\n  a &amp; b &lt;c&gt;  \n");
	out = reply_for(&iq_set, "Status: 500", body);
	check_fault_reply(out, "iq", SOAP12_ENV_NS, "modify", "Sender", "a & b <c>");
	free(out);
	free(body);
	/* capped at REPLY_MAX_ERROR_TEXT bytes */
	memset(long_reason, 'r', sizeof long_reason - 1);
	long_reason[sizeof long_reason - 1] = '\0';
	body = fault12("env:Sender", long_reason);
	out = reply_for(&iq_set, "Status: 500", body);
	d = parse_reply(out);
	text = xmlNodeGetContent(first_el(
	    first_el(first_el(first_el(xmlDocGetRootElement(d)->children)->next)->children)->next));
	assert_int_equal(strlen((const char *)text), REPLY_MAX_ERROR_TEXT);
	xmlFree(text);
	xmlFreeDoc(d);
	free(out);
	free(body);
}

static void test_comments_stripped(void **state)
{
	char *out;
	(void)state;
	out = reply_for(&iq_set, "Status: 500",
	                "<?xml version='1.0'?><!-- top --><env:Envelope " ENV12 "><!-- in -->"
	                "<env:Body><env:Fault><?pi x?><env:Code><env:Value>env:Sender</env:Value>"
	                "</env:Code></env:Fault></env:Body></env:Envelope>");
	check_fault_reply(out, "iq", SOAP12_ENV_NS, "modify", "Sender", NULL);
	assert_null(strstr(out, "<!--"));
	assert_null(strstr(out, "<?"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_is_envelope),      cmocka_unit_test(test_soap12_codes),
	    cmocka_unit_test(test_qname_resolution), cmocka_unit_test(test_soap11_codes),
	    cmocka_unit_test(test_soap_calc_output), cmocka_unit_test(test_any_status),
	    cmocka_unit_test(test_not_a_fault),      cmocka_unit_test(test_targets),
	    cmocka_unit_test(test_reason_text),      cmocka_unit_test(test_comments_stripped),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
