/* control_proto.h - the control socket's request line and stanza preparation (pure).
 *
 * doc/control-protocol.md is the contract: "VERB ROUTE TO LENGTH [TIMEOUT_MS]\n" and a
 * payload, or "token TOKEN\n" and none. This module parses the line and turns a payload
 * into the stanza the bridge sends, with libxml2: checked to be one stanza of the right
 * kind (never an iq result or error), with to, from and, for an iq, the bridge's own id
 * set. */
#ifndef XC_CONTROL_PROTO_H
#define XC_CONTROL_PROTO_H

#include <stddef.h>

#define CTL_MAX_LINE 4096 /* the most [control] max_line allows */
#define CTL_DEFAULT_IQ_TIMEOUT_MS 30000
#define CTL_MAX_IQ_TIMEOUT_MS 3600000

enum ctl_verb { CTL_MESSAGE, CTL_NORMAL, CTL_STANZA, CTL_IQ, CTL_TOKEN };

struct ctl_request {
	enum ctl_verb verb;
	char route[72];
	char to[400];
	size_t length;
	unsigned timeout_ms;
	char token[72]; /* CTL_TOKEN: "token TOKEN", no payload */
};

/* line excludes the newline. Returns 0, or -1 with *why (answer: fail bad-request). */
int ctl_parse_line(const char *line, size_t len, struct ctl_request *rq, const char **why);

/* The stanza to send, or NULL with *code (bad-xml, bad-to, forbidden) and *why. TO must
 * pass jid_check(); a stanza payload must pass xml_check_read() in stanza mode (so no
 * comment, processing instruction or namespace error). An iq result or error is refused
 * (forbidden): only the bridge answers iqs. For CTL_IQ, id is
 * set to iq_id and the caller's id (or NULL) is returned in *caller_id (malloc'd). */
char *ctl_build_stanza(const struct ctl_request *rq, const char *payload, size_t len,
                       const char *from, const char *iq_id, char **caller_id, const char **code,
                       const char **why);

#endif
