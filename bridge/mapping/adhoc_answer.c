/* adhoc_answer.c - a handler's response -> an ad-hoc command answer (pure; see
 * adhoc_answer.h). The envelope and error element come from stanza_build.h; the form is
 * the handler's own document, parsed and checked (xml_check.h) and then walked once for
 * the XEP-0004 rules a client relies on before it is copied below <command>. */
#include "adhoc_answer.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is(xmlNodePtr n, const char *name, const char *ns)
{
	return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0 && n->ns &&
	       n->ns->href && strcmp((const char *)n->ns->href, ns) == 0;
}

static bool in_forms_ns(xmlNodePtr n)
{
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, NS_DATA_FORMS) == 0;
}

/* ---- the form a handler wrote ---- */

static const char *const field_types[] = {"boolean",      "fixed",      "hidden",      "jid-multi",
                                          "jid-single",   "list-multi", "list-single", "text-multi",
                                          "text-private", "text-single"};

static bool known_type(const char *type)
{
	for (size_t i = 0; i < sizeof field_types / sizeof *field_types; i++)
		if (strcmp(type, field_types[i]) == 0)
			return true;
	return false;
}

static bool has_value(xmlNodePtr option)
{
	for (xmlNodePtr c = option->children; c; c = c->next)
		if (is(c, "value", NS_DATA_FORMS))
			return true;
	return false;
}

/* XEP-0004 3.2: every field but fixed has a var, unique in its form; children are
 * desc, required, value and option (with a value); other namespaces (XEP-0122,
 * XEP-0221) are the client's business. */
static const char *check_field(xmlNodePtr f, xmlNodePtr siblings_from)
{
	xmlChar *type = xmlGetProp(f, BAD_CAST "type"), *var = xmlGetProp(f, BAD_CAST "var");
	const char *why = NULL;
	if (type && !known_type((const char *)type))
		why = "a field of the form has an unknown type";
	else if ((!var || !*var) && !(type && strcmp((const char *)type, "fixed") == 0))
		why = "a field of the form has no var";
	for (xmlNodePtr c = f->children; c && !why; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !in_forms_ns(c))
			continue;
		if (is(c, "option", NS_DATA_FORMS) && !has_value(c))
			why = "an option of the form has no value";
		else if (!is(c, "value", NS_DATA_FORMS) && !is(c, "option", NS_DATA_FORMS) &&
		         !is(c, "desc", NS_DATA_FORMS) && !is(c, "required", NS_DATA_FORMS))
			why = "a field of the form holds an element XEP-0004 does not know";
	}
	for (xmlNodePtr o = siblings_from; o && o != f && !why && var && *var; o = o->next) {
		xmlChar *other;
		if (!is(o, "field", NS_DATA_FORMS))
			continue;
		other = xmlGetProp(o, BAD_CAST "var");
		if (other && strcmp((const char *)other, (const char *)var) == 0)
			why = "two fields of the form have the same var";
		xmlFree(other);
	}
	xmlFree(type);
	xmlFree(var);
	return why;
}

/* The fields directly below parent (the form, a <reported> or an <item>). */
static const char *check_fields(xmlNodePtr parent)
{
	const char *why = NULL;
	for (xmlNodePtr c = parent->children; c && !why; c = c->next)
		if (is(c, "field", NS_DATA_FORMS))
			why = check_field(c, parent->children);
	return why;
}

const char *adhoc_form_check(xmlNodePtr x)
{
	xmlChar *type;
	const char *why = NULL;
	if (!is(x, "x", NS_DATA_FORMS))
		return "the answer is not a jabber:x:data form";
	type = xmlGetProp(x, BAD_CAST "type");
	if (!type || (strcmp((const char *)type, "form") != 0 && strcmp((const char *)type, "result")))
		why = "a handler's data form must be of type form or result";
	xmlFree(type);
	for (xmlNodePtr c = x->children; c && !why; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || !in_forms_ns(c))
			continue;
		if (is(c, "reported", NS_DATA_FORMS) || is(c, "item", NS_DATA_FORMS) ||
		    is(c, "field", NS_DATA_FORMS))
			why = is(c, "field", NS_DATA_FORMS) ? check_field(c, x->children) : check_fields(c);
		else if (!is(c, "title", NS_DATA_FORMS) && !is(c, "instructions", NS_DATA_FORMS))
			why = "the form holds an element XEP-0004 does not know";
	}
	return why;
}

/* ---- Command-Actions ---- */

int adhoc_parse_actions(const char *value, unsigned *actions, enum adhoc_action *dflt)
{
	const char *p = value;
	*actions = 0;
	while (*p) {
		char word[16];
		size_t n = strcspn(p, " \t,");
		enum adhoc_action a;
		if (n == 0) {
			p++;
			continue;
		}
		if (n >= sizeof word)
			return -1;
		memcpy(word, p, n);
		word[n] = '\0';
		a = adhoc_action_of(word);
		if (a != ADHOC_NEXT && a != ADHOC_PREV && a != ADHOC_COMPLETE)
			return -1;
		if (!*actions)
			*dflt = a;
		*actions |= ADHOC_BIT(a);
		p += n;
	}
	return *actions ? 0 : -1;
}

static const char *header(const struct cgi_response *resp, const char *name)
{
	for (size_t i = 0; i < resp->n_headers; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

/* ---- the answer ---- */

static xmlNodePtr command_element(xmlDocPtr *doc, const struct reply_target *t,
                                  const struct adhoc_stage *st, const char *status)
{
	xmlNodePtr root =
	    stanza_begin(doc, &(struct stanza_head){"iq", "result", t->id, t->to, t->from});
	xmlNodePtr cmd = stanza_add_child(root, "command", NS_COMMANDS);
	xmlNewProp(cmd, BAD_CAST "node", BAD_CAST st->node);
	xmlNewProp(cmd, BAD_CAST "sessionid", BAD_CAST st->session);
	xmlNewProp(cmd, BAD_CAST "status", BAD_CAST status);
	return cmd;
}

static void note(xmlNodePtr cmd, const char *type, const char *text, size_t len)
{
	char *clean = stanza_clean_text(text, len, STANZA_MAX_ERROR_TEXT * 4, true);
	if (clean && *clean)
		xmlNewProp(stanza_add_text(cmd, "note", clean, strlen(clean)), BAD_CAST "type",
		           BAD_CAST type);
	free(clean);
}

static char *canceled(const struct reply_target *t, const struct adhoc_stage *st,
                      const struct cgi_response *resp)
{
	xmlDocPtr doc;
	xmlNodePtr cmd = command_element(&doc, t, st, "canceled");
	if (resp && resp->status >= 400) {
		char fallback[64];
		bool text = resp->body.len && !reply_is_xml_type(resp->content_type);
		snprintf(fallback, sizeof fallback, "%d %s", resp->status,
		         resp->status_text ? resp->status_text : "error");
		if (text)
			note(cmd, "error", resp->body.data, resp->body.len);
		else
			note(cmd, "error", fallback, strlen(fallback));
	}
	return stanza_serialize(doc);
}

static char *executing(const struct reply_target *t, const struct adhoc_stage *st, xmlDocPtr doc,
                       xmlNodePtr form, const struct cgi_response *resp, struct adhoc_outcome *out,
                       const char **why)
{
	static const enum adhoc_action order[] = {ADHOC_PREV, ADHOC_NEXT, ADHOC_COMPLETE};
	const char *value = header(resp, ADHOC_ACTIONS_HEADER);
	xmlDocPtr reply;
	xmlNodePtr cmd, actions;
	if (!value) {
		out->actions = ADHOC_BIT(ADHOC_COMPLETE);
		out->dflt = ADHOC_COMPLETE;
	} else if (adhoc_parse_actions(value, &out->actions, &out->dflt) != 0) {
		out->actions = 0;
		*why = "the Command-Actions header names something but prev, next and complete";
		xmlFreeDoc(doc);
		return reply_failure(t, FAIL_HANDLER, *why);
	}
	cmd = command_element(&reply, t, st, "executing");
	actions = stanza_add_child(cmd, "actions", NULL);
	xmlNewProp(actions, BAD_CAST "execute", BAD_CAST adhoc_action_name(out->dflt));
	for (size_t i = 0; i < sizeof order / sizeof *order; i++)
		if (out->actions & ADHOC_BIT(order[i]))
			stanza_add_child(actions, adhoc_action_name(order[i]), NULL);
	xmlAddChild(cmd, xmlDocCopyNode(form, reply, 1));
	xmlFreeDoc(doc);
	return stanza_serialize(reply);
}

char *adhoc_answer(const struct reply_target *t, const struct adhoc_stage *st,
                   const struct cgi_response *resp, struct adhoc_outcome *out, const char **why)
{
	xmlDocPtr doc, form_doc;
	xmlNodePtr cmd, form;
	xmlChar *type;
	bool is_form;

	*why = NULL;
	out->actions = 0;
	if (resp->status >= 400 && resp->status < 500)
		return canceled(t, st, resp);
	if (resp->status < 200 || resp->status >= 300)
		return reply_from_response(t, resp, NULL, NULL); /* the status table */
	if (st->action == ADHOC_CANCEL)
		return canceled(t, st, NULL);
	if (!resp->body.len || !reply_is_xml_type(resp->content_type)) {
		cmd = command_element(&doc, t, st, "completed");
		if (resp->body.len)
			note(cmd, "info", resp->body.data, resp->body.len);
		return stanza_serialize(doc);
	}
	form_doc = xmlNewDoc(BAD_CAST "1.0");
	form = form_doc ? stanza_xml_payload(form_doc, resp->body.data, resp->body.len, why) : NULL;
	if (form) {
		xmlDocSetRootElement(form_doc, form);
		*why = adhoc_form_check(form);
	} else if (!*why)
		*why = "out of memory";
	if (*why) {
		xmlFreeDoc(form_doc);
		return reply_failure(t, FAIL_BAD_XML, *why);
	}
	type = xmlGetProp(form, BAD_CAST "type");
	is_form = type && strcmp((const char *)type, "form") == 0;
	xmlFree(type);
	if (is_form)
		return executing(t, st, form_doc, form, resp, out, why);
	cmd = command_element(&doc, t, st, "completed");
	xmlAddChild(cmd, xmlDocCopyNode(form, doc, 1));
	xmlFreeDoc(form_doc);
	return stanza_serialize(doc);
}

char *adhoc_note_answer(const struct reply_target *t, const struct adhoc_stage *st,
                        const char *status, const char *text)
{
	xmlDocPtr doc;
	xmlNodePtr cmd = command_element(&doc, t, st, status);
	if (text)
		note(cmd, "info", text, strlen(text));
	return stanza_serialize(doc);
}

char *adhoc_refusal(const struct reply_target *t, enum adhoc_admission a)
{
	const char *type = "modify", *cond = "bad-request", *app = NULL, *text = NULL;
	xmlDocPtr doc;
	xmlNodePtr root, err;
	switch (a) {
	case ADMIT_FULL:
		type = "wait", cond = "resource-constraint";
		text = "this command has too many sessions open; try again later";
		break;
	case ADMIT_UNKNOWN:
		app = "bad-sessionid", text = "no such session";
		break;
	case ADMIT_EXPIRED:
		type = "cancel", cond = "not-allowed", app = "session-expired";
		text = "the session timed out";
		break;
	case ADMIT_BUSY:
		type = "wait", cond = "resource-constraint";
		text = "a stage of this session is still running";
		break;
	case ADMIT_BAD_ACTION:
		app = "bad-action", text = "the command does not offer this action now";
		break;
	case ADMIT_MALFORMED_ACTION:
		app = "malformed-action", text = "no such action";
		break;
	case ADMIT_OK:
	case ADMIT_NO_MEMORY:
		return reply_failure(t, FAIL_HANDLER, "out of memory");
	}
	root = stanza_begin(&doc, &(struct stanza_head){"iq", "error", t->id, t->to, t->from});
	err = stanza_add_error(root, type, cond, NULL, text, strlen(text));
	if (app)
		stanza_add_child(err, app, NS_COMMANDS);
	return stanza_serialize(doc);
}
