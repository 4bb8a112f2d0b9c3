/* adhoc_answer.h - a handler's response -> the answer to an ad-hoc command stage (pure).
 *
 * The answer is an iq result holding <command node sessionid status> (XEP-0050):
 *   - a 2xx jabber:x:data form of type form (application/xml or another XML type):
 *     status executing, the form, and <actions> from the Command-Actions header (a
 *     list of prev, next, complete; the first is the default action; "complete" when
 *     the header is absent). The session waits for the next stage;
 *   - a 2xx form of type result: status completed, the form shown as the result;
 *   - any other 2xx body: status completed with the text as a note of type info (an
 *     empty body: no note);
 *   - a 4xx status: status canceled with a note of type error holding the body text
 *     (or the reason phrase), the way a web form shows a refusal;
 *   - another status: the iq error of the bridge's status table (reply.h);
 *   - the cancel action: status canceled, whatever the handler wrote.
 * A form that is not well-formed, not a jabber:x:data form, or has a field without a
 * var, of an unknown type or an option without a value, and a bad Command-Actions
 * header, become internal-server-error: what goes out is always a valid stanza. The
 * refusals of a stage before any handler runs (XEP-0050's bad-sessionid,
 * session-expired, bad-action, malformed-action) are built here too. */
#ifndef XC_ADHOC_ANSWER_H
#define XC_ADHOC_ANSWER_H

#include <libxml/tree.h>

#include "adhoc_session.h"
#include "reply.h"
#include "response.h"

#define ADHOC_ACTIONS_HEADER "Command-Actions"

struct adhoc_stage {
	const char *node;
	const char *session;
	enum adhoc_action action; /* as resolved by the session table */
};

/* What the answer leaves: actions 0 means the command is over. */
struct adhoc_outcome {
	unsigned actions;
	enum adhoc_action dflt;
};

/* The answer for the stage; NULL only when out of memory. *why says why the handler's
 * answer was unusable, when it was (and the answer is then an iq error). */
char *adhoc_answer(const struct reply_target *t, const struct adhoc_stage *st,
                   const struct cgi_response *resp, struct adhoc_outcome *out, const char **why);
/* A one-stage answer that runs no handler (the bridge's own commands): status
 * "completed" or "canceled", with text as an info note unless NULL. */
char *adhoc_note_answer(const struct reply_target *t, const struct adhoc_stage *st,
                        const char *status, const char *text);
/* The error answer for a stage refused before any handler ran. */
char *adhoc_refusal(const struct reply_target *t, enum adhoc_admission a);
/* A Command-Actions value -> the set and the default (its first action); -1 if it
 * names anything but prev, next and complete, or nothing. */
int adhoc_parse_actions(const char *value, unsigned *actions, enum adhoc_action *dflt);
/* NULL if x is a data form a client can show (type form or result), else why not. */
const char *adhoc_form_check(xmlNodePtr x);

#endif
