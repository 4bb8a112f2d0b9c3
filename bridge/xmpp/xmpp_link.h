/* xmpp_link.h - one XMPP client connection (one route's resource) and its lifecycle.
 *
 * A link logs in as the bridge's bare JID with its route name as resource, sends
 * initial presence, hands every inbound stanza up through a callback and sends the
 * replies handed down to it. It reconnects by itself after any loss, with capped
 * exponential backoff and jitter, and keeps replies that arrive while it is offline in
 * a bounded outbox that is flushed on reconnect. */
#ifndef XC_XMPP_LINK_H
#define XC_XMPP_LINK_H

#include <stdbool.h>
#include <strophe.h>

#include "config.h"
#include "strophe_uv.h"

#define LINK_OUTBOX_MAX 1024
#define LINK_BACKOFF_MIN_MS 500
#define LINK_BACKOFF_MAX_MS 30000

struct xmpp_link;

typedef void (*link_stanza_cb)(struct xmpp_link *link, xmpp_stanza_t *stanza, void *ud);
/* Told each time the link comes online (true) and each time a connection attempt fails
 * or an online link is lost (false), with the ud given to link_new. */
typedef void (*link_state_cb)(struct xmpp_link *link, bool online, void *ud);

struct xmpp_link *link_new(struct strophe_loop *sl, const struct config *cfg, const char *route,
                           link_stanza_cb cb, void *ud);
void link_on_state(struct xmpp_link *link, link_state_cb cb);
void link_start(struct xmpp_link *link);
enum link_send_result { LINK_SENT = 0, LINK_QUEUED = 1, LINK_DROPPED = -1, LINK_REFUSED = -2 };
/* Sends a serialized stanza now, or queues it until the link is online. Every stanza
 * passes xml_check_stanza() first: one the server would close the stream for is
 * logged and refused (LINK_REFUSED), never sent. */
int link_send(struct xmpp_link *link, const char *xml);
/* The same without the check, for text stanza_build.h's text writer made from checked
 * parts (reply.h: reply_from_response's *checked); never for text from elsewhere. */
int link_send_checked(struct xmpp_link *link, const char *xml);
/* Starts a clean disconnect; link_closed() tells when it is done. */
void link_stop(struct xmpp_link *link);
int link_closed(const struct xmpp_link *link);
void link_free(struct xmpp_link *link);
const char *link_remote_addr(const struct xmpp_link *link);
const char *link_bare_jid(const struct xmpp_link *link);
const char *link_route(const struct xmpp_link *link);
/* For the metrics and reload: the state's name (idle, connecting, online, backoff,
 * closing, closed), how many times the link connected again after a loss or a failed
 * attempt, and whether link_stop() was called. */
const char *link_state_name(const struct xmpp_link *link);
unsigned long link_reconnects(const struct xmpp_link *link);
int link_stopping(const struct xmpp_link *link);
const char *link_label(const struct xmpp_link *link);
/* Feed for libstrophe's debug log lines: notes the server's reason for a failed login
 * and OpenSSL's reason for a TLS failure, which the next disconnect message names. */
void link_strophe_log(const char *area, const char *msg);

#endif
