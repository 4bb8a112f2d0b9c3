/* stanza_job.h - the mapping between XMPP and a handler: stanza -> job, response -> reply.
 *
 * stanza_job_build() turns an inbound stanza (inbound.h) into what a backend runs: the
 * CGI environment and the bytes for stdin (the stanza as a document; for an XEP-0332
 * <req>, its HTTP method, path, headers and body instead; for an ad-hoc command stage,
 * the submitted form as urlencoded form data, adhoc_request.h). stanza_job_reply() turns
 * the handler's CGI response into the reply stanza: an XEP-0332 <resp>, a SOAP Fault as
 * a stanza error, a <command/> answer (adhoc_answer.h), or the reply.c mapping. dispatch.c only
 * carries the job from one to the other; the failures a backend reports are mapped in
 * stanza_error.c. */
#ifndef XC_STANZA_JOB_H
#define XC_STANZA_JOB_H

#include <stdbool.h>
#include <stddef.h>

#include "adhoc_answer.h"
#include "config.h"
#include "http_xmpp.h"
#include "inbound.h"
#include "reply.h"
#include "request.h"

struct stanza_job {
	struct cgi_env env;
	char *input; /* stdin bytes */
	size_t input_len;
	bool is_http; /* an XEP-0332 request: answered with <resp> */
	struct http_req http;
	enum bridge_failure refusal; /* how build refused: bad-request unless set */
	bool is_command;             /* an ad-hoc command stage: answered with <command/> */
	struct adhoc_command_job {
		char node[208];
		char session[ADHOC_SESSION_ID_LEN + 1];
		enum adhoc_action action;
		void (*settle)(void *ud, const char *session, unsigned actions, enum adhoc_action dflt);
		void *settle_ud; /* settle is called once: by stanza_job_reply, else by free */
	} command;
};

/* Where the stanza goes, for the environment. */
struct stanza_job_place {
	const struct config *cfg;
	const struct route_cfg *route;
	const char *name;      /* the route name as addressed: XMPP_ROUTE */
	const char *path_info; /* "/route" or "/route/extra" */
	const char *script;    /* a cgi_dir executable, or NULL for the route's own */
	const char *path_env;  /* PATH handed to handlers */
};

/* Fills j (zeroed) from in. Returns NULL, or why the stanza cannot become a request
 * (j->refusal then says how to answer, if not bad-request); j needs stanza_job_free
 * either way. Reads in->stanza only during the call. */
const char *stanza_job_build(struct stanza_job *j, const struct inbound *in,
                             const struct stanza_job_place *at);
void stanza_job_free(struct stanza_job *j);
/* The reply to the job's stanza for a complete response; NULL only when out of memory
 * or when none is due. *why says why the body was unusable, when it was; *checked
 * whether the outbound check may skip the text (reply_from_response). */
char *stanza_job_reply(struct stanza_job *j, const struct reply_target *t,
                       const struct cgi_response *resp, const char **why, bool *checked);

#endif
