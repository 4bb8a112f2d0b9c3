/* target.c - the inbound stanzas the reply harnesses answer (see target.h). */
#include "target.h"

#include <stdlib.h>
#include <string.h>

#include "oracle.h"

static const char *const types[] = {"get",  "set", "result", "error",
                                    "chat", NULL,  "normal", "unavailable"};
/* what libstrophe hands over: any text XML allows, markup characters included */
static const char *const ids[] = {"id1", "a&b<c>\"d'e", "\xC3\xA9\xE2\x82\xAC", NULL};
static const char *const tos[] = {"alice@localhost/e2e", "a&b@localhost/<x>", NULL,
                                  "\xC3\xA9@localhost"};

void target_from_byte(struct reply_target *t, uint8_t b)
{
	memset(t, 0, sizeof *t);
	t->kind = (enum stanza_kind)(b & 3) == KIND_OTHER ? KIND_IQ : (enum stanza_kind)(b & 3);
	t->type = types[(b >> 2) & 7];
	t->id = ids[(b >> 5) & 3];
	t->to = tos[(b >> 5) & 3];
	t->from = (b & 0x80) ? "bridge@localhost/r" : NULL;
	t->message_replies = b & 0x10;
}

static void same_attr(const char *got, const char *want, const char *what, const char *xml)
{
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0))
		oracle_fail(what, xml, strlen(xml));
}

void target_check_reply(const struct reply_target *t, const char *xml, const void *in, size_t len)
{
	static const char *const roots[4][2] = {{"iq", NULL}, {"message", NULL}, {"presence", NULL}};
	char *v;
	if (!xml) {
		if (reply_required(t->kind, t->type))
			oracle_fail("an iq get/set left without an answer", in, len);
		return;
	}
	if (!reply_allowed(t->kind, t->type))
		oracle_fail("a reply to a stanza that must not be answered", xml, strlen(xml));
	v = oracle_stanza(xml, roots[t->kind], "id");
	same_attr(v, t->id, "reply id is not the request's", xml);
	free(v);
	v = oracle_stanza(xml, roots[t->kind], "to");
	same_attr(v, t->to, "reply goes elsewhere than the sender", xml);
	free(v);
}
