/* inbound.c - reads an inbound stanza's record once (no I/O, but libstrophe; see inbound.h). */
#include "inbound.h"

#include <string.h>

#include "route.h"
#include "stanza_depth.h"

void inbound_read(struct inbound *in, xmpp_stanza_t *stanza, const char *remote_addr,
                  bool stamp_from)
{
	in->stanza = stanza;
	in->name = xmpp_stanza_get_name(stanza);
	in->kind = stanza_kind_of(in->name);
	in->type = xmpp_stanza_get_type(stanza);
	in->id = xmpp_stanza_get_id(stanza);
	in->from = xmpp_stanza_get_from(stanza);
	in->to = xmpp_stanza_get_to(stanza);
	in->reply_from = stamp_from ? in->to : NULL;
	in->remote_addr = remote_addr ? remote_addr : "127.0.0.1";
	if (!in->from || !jid_bare(in->from, in->sender, sizeof in->sender))
		in->sender[0] = '\0';
	in->answerable = reply_allowed(in->kind, in->type);
	in->must_answer = reply_required(in->kind, in->type);
	in->too_deep = stanza_too_deep(stanza);
	in->muc = NULL;
	in->payload = INBOUND_PLAIN;
	memset(&in->command, 0, sizeof in->command);
	if (in->kind == KIND_IQ && in->type && strcmp(in->type, "set") == 0) {
		xmpp_stanza_t *cmd = xmpp_stanza_get_child_by_ns(stanza, NS_COMMANDS);
		if (cmd && xmpp_stanza_get_name(cmd) && strcmp(xmpp_stanza_get_name(cmd), "command") == 0) {
			in->payload = INBOUND_COMMAND;
			in->command.node = xmpp_stanza_get_attribute(cmd, "node");
			in->command.sessionid = xmpp_stanza_get_attribute(cmd, "sessionid");
			in->command.action = adhoc_action_of(xmpp_stanza_get_attribute(cmd, "action"));
		}
	}
}

struct reply_target inbound_reply_target(const struct inbound *in, bool message_replies)
{
	return (struct reply_target){.kind = in->kind,
	                             .type = in->type,
	                             .id = in->id,
	                             .to = in->from,
	                             .from = in->reply_from,
	                             .message_replies = message_replies};
}
