/* test_service.c - unit tests for bridge/xmpp/service.c, what the bridge answers itself.
 *
 * Which iqs are service queries (only gets, by the child's namespace); disco#info of the
 * bridge and of a route (identity, SOAP and HTTP features when configured); disco#items
 * in client mode (route JIDs as resources, descriptions as names) and component mode
 * (localparts, cgi_dir names with a mixed-case one listed by resource, a name a route
 * shadows left out, no items below a route); ping and version; a node answered
 * item-not-found; ad-hoc commands (the feature only when a route is one, the list
 * filtered by the sender's allow, disco#info on a command's node to those allowed). Configurations
 * are read with config_load from a temporary directory, and answers are checked by parsing them
 * with libxml2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "adhoc_session.h"
#include "autoconfig.h"
#include "config.h"
#include "scratch_config.h"
#include "service.h"

#include "reply_tree.h"

static int setup(void **state)
{
	(void)state;
	if (scratch_dir_make("service") != 0)
		return -1;
	write_file("h.sh", "#!/bin/sh\n", 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return scratch_dir_remove();
}

#define CLIENT "[xmpp]\njid = bridge@example.org\npassword = pw\n"
#define COMPONENT "[xmpp]\nmode = component\ncomponent = cgi.example.org\nsecret = pw\n"
/* %1$s is the directory with h.sh */
#define ROUTES                                                                                     \
	"[route \"echo\"]\ncgi = %1$s/h.sh\n"                                                          \
	"[route \"calc\"]\ncgi = %1$s/h.sh\ndescription = A calculator\nsoap = yes\n"                  \
	"[route \"web\"]\ncgi = %1$s/h.sh\nhttp = yes\n"

/* Ad-hoc commands: one for anyone of the domain, one for alice only. */
#define COMMANDS                                                                                   \
	"[route \"weather\"]\ncgi = %1$s/h.sh\ncommand = yes\ndescription = Weather\n"                 \
	"[route \"admin\"]\ncgi = %1$s/h.sh\ncommand = yes\ncommand_node = urn:x:admin\n"              \
	"allow = alice@example.org\n"

static void load_routes(const char *xmpp, const char *routes, struct config *cfg)
{
	char text[4096];
	int n = snprintf(text, sizeof text, "%s", xmpp);
	assert_true(n > 0 && (size_t)n < sizeof text);
	assert_true((size_t)snprintf(text + n, sizeof text - (size_t)n, routes, dir) <
	            sizeof text - (size_t)n);
	load_config_ok("test.conf", text, cfg);
}

static void load(const char *xmpp, struct config *cfg) { load_routes(xmpp, ROUTES, cfg); }

static const struct reply_target target = {
    .kind = KIND_IQ, .type = "get", .id = "q1", .to = "alice@example.org/pc", .from = NULL};

/* The reply parsed: checks the envelope and returns the document. */
static xmlDocPtr answer(enum service_query q, const struct service_view *v)
{
	char *xml = service_reply(q, &target, v);
	xmlDocPtr doc = parse_reply(xml);
	xmlNodePtr root = xmlDocGetRootElement(doc);
	free(xml);
	assert_el(root, "iq", NULL);
	assert_prop(root, "id", "q1");
	assert_prop(root, "to", "alice@example.org/pc");
	assert_true(xmlHasProp(root, BAD_CAST "type") != NULL);
	return doc;
}

/* The reply's type is `type`. */
static void assert_type(xmlDocPtr doc, const char *type)
{
	assert_prop(xmlDocGetRootElement(doc), "type", type);
}

static xmlNodePtr query_of(xmlDocPtr doc, const char *ns)
{
	xmlNodePtr q = xmlDocGetRootElement(doc)->children;
	assert_el(q, "query", ns);
	return q;
}

/* How many children named `name` have attribute attr = value (value NULL: any). */
static int children_with(xmlNodePtr q, const char *name, const char *attr, const char *value)
{
	int n = 0;
	for (xmlNodePtr c = q->children; c; c = c->next) {
		xmlChar *v;
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, name) != 0)
			continue;
		v = xmlGetProp(c, BAD_CAST attr);
		if (v && (!value || strcmp((char *)v, value) == 0))
			n++;
		xmlFree(v);
	}
	return n;
}

/* The item with this jid has this name. */
static void expect_item(xmlNodePtr q, const char *jid, const char *name)
{
	for (xmlNodePtr c = q->children; c; c = c->next) {
		xmlChar *j = xmlGetProp(c, BAD_CAST "jid"), *nm = xmlGetProp(c, BAD_CAST "name");
		int match = j && strcmp((char *)j, jid) == 0;
		if (match)
			assert_string_equal((char *)nm, name);
		xmlFree(j);
		xmlFree(nm);
		if (match)
			return;
	}
	fail_msg("no item %s", jid);
}

static void test_query_of(void **state)
{
	(void)state;
	assert_int_equal(service_query_of("get", NS_DISCO_INFO), SQ_DISCO_INFO);
	assert_int_equal(service_query_of("get", NS_DISCO_ITEMS), SQ_DISCO_ITEMS);
	assert_int_equal(service_query_of("get", NS_PING), SQ_PING);
	assert_int_equal(service_query_of("get", NS_VERSION), SQ_VERSION);
	assert_int_equal(service_query_of("set", NS_PING), SQ_NONE);
	assert_int_equal(service_query_of("result", NS_DISCO_INFO), SQ_NONE);
	assert_int_equal(service_query_of(NULL, NS_PING), SQ_NONE);
	assert_int_equal(service_query_of("get", NULL), SQ_NONE);
	assert_int_equal(service_query_of("get", "urn:xmpp:http"), SQ_NONE);
	assert_int_equal(service_query_of("get", "urn:xmpp:ping:extra"), SQ_NONE);
}

static void test_disco_info(void **state)
{
	struct config cfg = {0};
	struct service_view v = {0};
	xmlDocPtr doc;
	xmlNodePtr q;
	(void)state;
	load(CLIENT, &cfg);
	v.cfg = &cfg;
	/* the bridge itself: no SOAP, no HTTP */
	doc = answer(SQ_DISCO_INFO, &v);
	assert_type(doc, "result");
	q = query_of(doc, NS_DISCO_INFO);
	assert_int_equal(children_with(q, "identity", "category", "component"), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_DISCO_INFO), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_DISCO_ITEMS), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_PING), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_VERSION), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_SOAP), 0);
	assert_int_equal(children_with(q, "feature", "var", NS_HTTP), 0);
	xmlFreeDoc(doc);
	/* a SOAP route: automation/soap named by its description */
	v.route = config_route(&cfg, "calc");
	v.route_name = "calc";
	assert_non_null(v.route);
	doc = answer(SQ_DISCO_INFO, &v);
	q = query_of(doc, NS_DISCO_INFO);
	assert_int_equal(children_with(q, "identity", "type", "soap"), 1);
	assert_int_equal(children_with(q, "identity", "name", "A calculator"), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_SOAP), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_HTTP), 0);
	xmlFreeDoc(doc);
	/* an HTTP route named by its name */
	v.route = config_route(&cfg, "web");
	v.route_name = "web";
	doc = answer(SQ_DISCO_INFO, &v);
	q = query_of(doc, NS_DISCO_INFO);
	assert_int_equal(children_with(q, "identity", "name", "web"), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_HTTP), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_SOAP), 0);
	xmlFreeDoc(doc);
	config_free(&cfg);
}

static void test_items_client(void **state)
{
	struct config cfg = {0};
	struct service_view v = {0};
	xmlDocPtr doc;
	xmlNodePtr q;
	(void)state;
	load(CLIENT, &cfg);
	v.cfg = &cfg;
	doc = answer(SQ_DISCO_ITEMS, &v);
	q = query_of(doc, NS_DISCO_ITEMS);
	assert_int_equal(children_with(q, "item", "jid", NULL), 3);
	expect_item(q, "bridge@example.org/echo", "echo");
	expect_item(q, "bridge@example.org/calc", "A calculator");
	expect_item(q, "bridge@example.org/web", "web");
	xmlFreeDoc(doc);
	config_free(&cfg);
}

static void test_items_component(void **state)
{
	char *names[] = {"Mixed", "echo", "tool"}; /* "echo" is shadowed by the route */
	struct config cfg = {0};
	struct service_view v = {0};
	xmlDocPtr doc;
	xmlNodePtr q;
	(void)state;
	load(COMPONENT, &cfg);
	v.cfg = &cfg;
	v.dir_names = names;
	v.n_dir_names = 3;
	doc = answer(SQ_DISCO_ITEMS, &v);
	q = query_of(doc, NS_DISCO_ITEMS);
	assert_int_equal(children_with(q, "item", "jid", NULL), 5);
	expect_item(q, "echo@cgi.example.org", "echo");
	expect_item(q, "calc@cgi.example.org", "A calculator");
	expect_item(q, "web@cgi.example.org", "web");
	expect_item(q, "tool@cgi.example.org", "tool");
	expect_item(q, "cgi.example.org/Mixed", "Mixed");
	xmlFreeDoc(doc);
	/* below a route there is nothing */
	v.route = config_route(&cfg, "echo");
	v.route_name = "echo";
	doc = answer(SQ_DISCO_ITEMS, &v);
	q = query_of(doc, NS_DISCO_ITEMS);
	assert_int_equal(children_with(q, "item", "jid", NULL), 0);
	xmlFreeDoc(doc);
	config_free(&cfg);
}

static void test_ping_version(void **state)
{
	struct config cfg = {0};
	struct service_view v = {0};
	xmlDocPtr doc;
	xmlNodePtr q, c;
	int seen = 0;
	(void)state;
	load(CLIENT, &cfg);
	v.cfg = &cfg;
	doc = answer(SQ_PING, &v);
	assert_type(doc, "result");
	assert_null(xmlDocGetRootElement(doc)->children);
	xmlFreeDoc(doc);
	snprintf(cfg.fingerprint, sizeof cfg.fingerprint, "0123456789abcdef");
	doc = answer(SQ_VERSION, &v);
	q = query_of(doc, NS_VERSION);
	for (c = q->children; c; c = c->next) {
		xmlChar *text = xmlNodeGetContent(c);
		if (strcmp((const char *)c->name, "name") == 0) {
			assert_string_equal((char *)text, PACKAGE_NAME);
			seen |= 1;
		} else if (strcmp((const char *)c->name, "version") == 0) {
			assert_string_equal((char *)text, PACKAGE_VERSION);
			seen |= 2;
		} else if (strcmp((const char *)c->name, "os") == 0) {
			/* several instances: which one answered, with which configuration */
			char want[128];
			snprintf(want, sizeof want, "instance %s, config 0123456789abcdef", cfg.instance_name);
			assert_string_equal((char *)text, want);
			seen |= 4;
		}
		xmlFree(text);
	}
	assert_int_equal(seen, 7);
	xmlFreeDoc(doc);
	config_free(&cfg);
}

static void test_node_not_found(void **state)
{
	struct config cfg = {0};
	struct service_view v = {0};
	xmlDocPtr doc;
	(void)state;
	load(CLIENT, &cfg);
	v.cfg = &cfg;
	v.node = "urn:example:nothing";
	for (int q = SQ_DISCO_INFO; q <= SQ_DISCO_ITEMS; q++) {
		char *xml = service_reply((enum service_query)q, &target, &v);
		doc = parse_reply(xml);
		assert_type(doc, "error");
		assert_non_null(strstr(xml, "item-not-found"));
		xmlFreeDoc(doc);
		free(xml);
	}
	config_free(&cfg);
}

/* The item with this node has this jid and name. */
static void expect_command(xmlNodePtr q, const char *node, const char *jid, const char *name)
{
	for (xmlNodePtr c = q->children; c; c = c->next) {
		xmlChar *n = xmlGetProp(c, BAD_CAST "node"), *j = xmlGetProp(c, BAD_CAST "jid"),
		        *nm = xmlGetProp(c, BAD_CAST "name");
		int match = n && strcmp((char *)n, node) == 0;
		if (match) {
			assert_string_equal((char *)j, jid);
			assert_string_equal((char *)nm, name);
		}
		xmlFree(n);
		xmlFree(j);
		xmlFree(nm);
		if (match)
			return;
	}
	fail_msg("no command %s", node);
}

static void test_commands(void **state)
{
	struct config cfg = {0};
	struct service_view v = {0};
	xmlDocPtr doc;
	xmlNodePtr q;
	(void)state;
	load_routes(COMPONENT, ROUTES COMMANDS, &cfg);
	v.cfg = &cfg;
	/* the feature, on the component and on a route */
	doc = answer(SQ_DISCO_INFO, &v);
	assert_int_equal(
	    children_with(query_of(doc, NS_DISCO_INFO), "feature", "var", NS_COMMANDS_NODE), 1);
	xmlFreeDoc(doc);
	/* the list: what the sender's allow admits, each with its route's JID */
	v.node = NS_COMMANDS_NODE;
	v.sender = "alice@example.org";
	doc = answer(SQ_DISCO_ITEMS, &v);
	q = query_of(doc, NS_DISCO_ITEMS);
	assert_int_equal(children_with(q, "item", "node", NULL), 2);
	expect_command(q, "weather", "weather@cgi.example.org", "Weather");
	expect_command(q, "urn:x:admin", "admin@cgi.example.org", "admin");
	xmlFreeDoc(doc);
	v.sender = "bob@example.org";
	doc = answer(SQ_DISCO_ITEMS, &v);
	q = query_of(doc, NS_DISCO_ITEMS);
	assert_int_equal(children_with(q, "item", "node", NULL), 1);
	expect_command(q, "weather", "weather@cgi.example.org", "Weather");
	xmlFreeDoc(doc);
	v.sender = "mallory@elsewhere.example";
	doc = answer(SQ_DISCO_ITEMS, &v);
	assert_int_equal(children_with(query_of(doc, NS_DISCO_ITEMS), "item", "node", NULL), 0);
	xmlFreeDoc(doc);
	/* disco#info on a command's node: to whom may run it, else item-not-found */
	v.node = "urn:x:admin";
	v.sender = "alice@example.org";
	doc = answer(SQ_DISCO_INFO, &v);
	q = query_of(doc, NS_DISCO_INFO);
	assert_int_equal(children_with(q, "identity", "type", "command-node"), 1);
	assert_int_equal(children_with(q, "feature", "var", NS_COMMANDS_NODE), 1);
	assert_int_equal(children_with(q, "feature", "var", "jabber:x:data"), 1);
	xmlFreeDoc(doc);
	v.sender = "bob@example.org";
	doc = answer(SQ_DISCO_INFO, &v);
	assert_type(doc, "error");
	xmlFreeDoc(doc);
	/* items below a command's node: none exist */
	v.sender = "alice@example.org";
	doc = answer(SQ_DISCO_ITEMS, &v);
	assert_type(doc, "error");
	xmlFreeDoc(doc);
	config_free(&cfg);
	/* the bridge's own commands: to its admins only, at the component */
	load_routes("[xmpp]\nmode = component\ncomponent = cgi.example.org\nsecret = pw\n"
	            "admins = alice@example.org\n",
	            ROUTES, &cfg);
	v = (struct service_view){.cfg = &cfg, .node = NS_COMMANDS_NODE, .sender = "alice@example.org"};
	doc = answer(SQ_DISCO_ITEMS, &v);
	q = query_of(doc, NS_DISCO_ITEMS);
	assert_int_equal(children_with(q, "item", "node", NULL), 2);
	expect_command(q, ADHOC_STATUS_NODE, "cgi.example.org", ADHOC_STATUS_NAME);
	expect_command(q, ADHOC_RELOAD_NODE, "cgi.example.org", ADHOC_RELOAD_NAME);
	xmlFreeDoc(doc);
	v.node = ADHOC_STATUS_NODE;
	doc = answer(SQ_DISCO_INFO, &v);
	assert_int_equal(
	    children_with(query_of(doc, NS_DISCO_INFO), "identity", "type", "command-node"), 1);
	xmlFreeDoc(doc);
	v.sender = "bob@example.org";
	doc = answer(SQ_DISCO_INFO, &v);
	assert_type(doc, "error");
	xmlFreeDoc(doc);
	v.node = NS_COMMANDS_NODE;
	doc = answer(SQ_DISCO_ITEMS, &v);
	assert_int_equal(children_with(query_of(doc, NS_DISCO_ITEMS), "item", "node", NULL), 0);
	xmlFreeDoc(doc);
	config_free(&cfg);
	/* without commands, no feature */
	load(CLIENT, &cfg);
	v = (struct service_view){.cfg = &cfg};
	doc = answer(SQ_DISCO_INFO, &v);
	assert_int_equal(
	    children_with(query_of(doc, NS_DISCO_INFO), "feature", "var", NS_COMMANDS_NODE), 0);
	xmlFreeDoc(doc);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_of),     cmocka_unit_test(test_disco_info),
	    cmocka_unit_test(test_items_client), cmocka_unit_test(test_items_component),
	    cmocka_unit_test(test_ping_version), cmocka_unit_test(test_node_not_found),
	    cmocka_unit_test(test_commands),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
