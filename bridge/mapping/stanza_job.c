/* stanza_job.c - an inbound stanza -> a handler job, a response -> the reply (see
 * stanza_job.h). */
#include "stanza_job.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adhoc_request.h"
#include "soap_fault.h"
#include "stanza_stdin.h"

/* The stanza itself rides along in XMPP_ADHOC_STANZA; an environment string must stay
 * well under Linux's 128 KiB and the FastCGI encoder's 64 KiB per value. */
#define ADHOC_MAX_STANZA (32 * 1024)

/* An ad-hoc command stage is an HTML form's submission: POST, the fields urlencoded on
 * stdin, the stanza document in XMPP_ADHOC_STANZA, the stage in XMPP_ADHOC_*. */
static const char *command_request(struct stanza_job *j)
{
	struct adhoc_command_job *c = &j->command;
	const char *why = NULL;
	char *body, length[32];
	size_t len;
	int rc = 0;
	if (j->input_len > ADHOC_MAX_STANZA) {
		j->refusal = FAIL_TOO_LARGE;
		return "the command stanza is too large";
	}
	if (adhoc_form_body(j->input, j->input_len, &body, &len, &why) != 0)
		return why;
	snprintf(length, sizeof length, "%zu", len);
	rc |= cgi_env_set(&j->env, "CONTENT_TYPE", ADHOC_FORM_CONTENT_TYPE, 0);
	rc |= cgi_env_set(&j->env, "CONTENT_LENGTH", length, 0);
	rc |= cgi_env_set(&j->env, "XMPP_ADHOC_ACTION", adhoc_action_name(c->action), 0);
	rc |= cgi_env_set(&j->env, "XMPP_ADHOC_SESSION", c->session, 0);
	rc |= cgi_env_set(&j->env, "XMPP_ADHOC_NODE", c->node, 0);
	rc |= cgi_env_set(&j->env, "XMPP_ADHOC_STANZA", j->input, 0);
	free(j->input);
	j->input = body;
	j->input_len = len;
	return rc ? "out of memory" : NULL;
}

static void command_copy(struct stanza_job *j, const struct inbound_command *in)
{
	struct adhoc_command_job *c = &j->command;
	j->is_command = true;
	snprintf(c->node, sizeof c->node, "%s", in->node ? in->node : "");
	/* --once runs a stage with no session table: the stanza's own id, or "once" */
	snprintf(c->session, sizeof c->session, "%s",
	         in->session[0]  ? in->session
	         : in->sessionid ? in->sessionid
	                         : "once");
	c->action = in->action == ADHOC_BAD ? ADHOC_EXECUTE : in->action;
	c->settle = in->settle;
	c->settle_ud = in->settle_ud;
}

static void command_settle(struct stanza_job *j, const struct adhoc_outcome *o)
{
	struct adhoc_command_job *c = &j->command;
	if (!c->settle)
		return;
	c->settle(c->settle_ud, c->session, o->actions, o->dflt);
	c->settle = NULL;
}

/* An iq carrying an XEP-0332 <req> becomes an HTTP-style request: method, path, query
 * and headers overlay the environment and the body replaces the stanza on stdin. */
static const char *http_request(struct stanza_job *j, const char *path_info)
{
	const char *why = NULL;
	struct kv *vars = NULL;
	size_t n = 0;
	int rc = http_req_parse(j->input, j->input_len, &j->http, &why);
	if (rc == HTTP_REQ_NO)
		return NULL;
	if (rc == HTTP_REQ_UNSUPPORTED) {
		j->refusal = FAIL_NOT_IMPLEMENTED;
		return why ? why : "this XEP-0332 data transfer is not supported";
	}
	if (rc != HTTP_REQ_YES)
		return why ? why : "malformed XEP-0332 request";
	j->is_http = true; /* j->http now needs freeing */
	if (http_req_env(&j->http, path_info, &vars, &n, &why) != 0)
		return why ? why : "malformed XEP-0332 headers";
	for (size_t i = 0; i < n; i++)
		if (cgi_env_set(&j->env, vars[i].name, vars[i].value,
		                strcmp(vars[i].name, "CONTENT_TYPE") == 0) != 0) {
			http_env_free(vars, n);
			return "out of memory";
		}
	http_env_free(vars, n);
	free(j->input);
	j->input_len = j->http.body.len;
	j->input = malloc(j->input_len + 1);
	if (!j->input)
		return "out of memory";
	if (j->input_len)
		memcpy(j->input, j->http.body.data, j->input_len);
	return NULL;
}

const char *stanza_job_build(struct stanza_job *j, const struct inbound *in,
                             const struct stanza_job_place *at)
{
	xmpp_stanza_t *stanza = in->stanza;
	const struct route_cfg *rc = at->route;
	const char *attrs[2 * (REQ_MAX_ATTRS + 8)];
	const char *reason = NULL;
	struct muc_env_var muc_vars[MUC_ENV_MAX];
	char query[3 * 1024 + 1];
	int n_attrs, n_muc = 0;

	if (in->payload == INBOUND_COMMAND)
		command_copy(j, &in->command); /* first: a refused stage still settles */
	switch (stanza_stdin_document(stanza, &j->input, &j->input_len)) {
	case STDIN_OK:
		break;
	case STDIN_UNSERIALIZABLE:
		return "the stanza cannot be serialized";
	case STDIN_NO_MEMORY:
		return "out of memory";
	}

	n_attrs = xmpp_stanza_get_attribute_count(stanza);
	if (n_attrs > REQ_MAX_ATTRS + 8)
		return "too many attributes on the stanza";
	n_attrs = xmpp_stanza_get_attributes(stanza, attrs, 2 * (REQ_MAX_ATTRS + 8)) / 2;
	for (int i = 0; i < n_attrs; i++) /* libstrophe's parser dropped the prefix */
		if (strcmp(attrs[2 * i], "lang") == 0 && !xmpp_stanza_get_attribute(stanza, "xml:lang"))
			attrs[2 * i] = "xml:lang";
	struct request_meta m = {.stanza_name = in->name,
	                         .attrs = attrs,
	                         .n_attrs = (size_t)n_attrs,
	                         .route = at->name,
	                         .path_info = at->path_info,
	                         .script = at->script ? at->script
	                                   : rc->cgi  ? rc->cgi
	                                              : rc->script_filename,
	                         .server_name = at->cfg->domain,
	                         .server_port = at->cfg->port,
	                         .remote_addr = in->remote_addr,
	                         .remote_user = in->sender,
	                         .path = at->path_env,
	                         .content_length = j->input_len,
	                         .extra = rc->env,
	                         .n_extra = rc->n_env,
	                         .control_socket = at->cfg->control_socket,
	                         .params = rc->params,
	                         .n_params = rc->n_params};
	if (in->muc && (n_muc = muc_env_vars(in->muc, muc_vars, query, sizeof query)) < 0)
		return "the message's arguments are too long";
	m.muc_vars = muc_vars;
	m.n_muc_vars = (size_t)n_muc;
	m.query_string = in->muc ? query : NULL;
	if (request_build_env(&m, &j->env, &reason) != 0)
		return reason;
	if (j->is_command)
		return command_request(j);
	return in->kind == KIND_IQ ? http_request(j, at->path_info) : NULL;
}

void stanza_job_free(struct stanza_job *j)
{
	if (j->is_command) /* answered otherwise (an error, a timeout): the command is over */
		command_settle(j, &(struct adhoc_outcome){0});
	cgi_env_free(&j->env);
	free(j->input);
	if (j->is_http)
		http_req_free(&j->http);
	memset(j, 0, sizeof *j);
}

/* Parsing every body twice costs a third of a FastCGI request's instructions: look for
 * a SOAP Fault only in an XML body that mentions one. */
static bool may_be_soap_fault(const struct cgi_response *resp)
{
	return resp->body.len && reply_is_xml_type(resp->content_type) &&
	       memmem(resp->body.data, resp->body.len, "Fault", 5);
}

char *stanza_job_reply(struct stanza_job *j, const struct reply_target *t,
                       const struct cgi_response *resp, const char **why, bool *checked)
{
	char *xml;
	*why = NULL;
	*checked = false;
	if (j->is_command) {
		struct adhoc_outcome o;
		struct adhoc_stage st = {j->command.node, j->command.session, j->command.action};
		xml = adhoc_answer(t, &st, resp, &o, why);
		command_settle(j, &o);
		return xml;
	}
	if (j->is_http)
		return http_resp_build_for(t, resp, &j->http);
	if (may_be_soap_fault(resp) && (xml = soap_fault_reply(t, resp)))
		return xml;
	return reply_from_response(t, resp, why, checked);
}
