/* muc_room.h - the rooms the routes join (XEP-0045): joining, staying in, reading.
 *
 * A muc_set holds every room of every route with rooms = (client mode). When a route's
 * link comes online its rooms are joined (history not asked for); the room's presence
 * about the route's own occupant moves it through OUT, JOINING, IN and BACKOFF
 * (muc_logic.h), with a libuv timer per room for the rejoin backoff, the join timeout
 * and the XEP-0410 self-ping. The occupants' presence gives their real JIDs when the
 * room shows them. muc_inbound() reads each inbound stanza first: it takes the room's
 * presence and ping answers, drops what is never served (own messages, history,
 * errors, subjects, untriggered or limited messages) and fills the group chat record
 * of what is to be served. Every join, part and failure is logged with the server's
 * reason. After a reload, muc_set_reconfigure() leaves the rooms no longer configured
 * and joins the new ones. */
#ifndef XC_MUC_ROOM_H
#define XC_MUC_ROOM_H

#include <stdbool.h>
#include <strophe.h>
#include <uv.h>

#include "config.h"
#include "inbound.h"
#include "xmpp_link.h"

struct muc_set;

/* NULL when out of memory; a configuration without rooms makes an empty set. */
struct muc_set *muc_set_new(uv_loop_t *loop, xmpp_ctx_t *ctx, const struct config *cfg);
/* Closes the timers; the loop must run once more to finish closing them. */
void muc_set_free(struct muc_set *s);
/* After a reload changed the live configuration: rooms follow the routes' rooms =. */
void muc_set_reconfigure(struct muc_set *s, struct xmpp_link *const *links, size_t n_links);
/* The route's link came online (join its rooms) or went offline (they are left). */
void muc_link_state(struct muc_set *s, struct xmpp_link *link, bool online);

enum muc_verdict {
	MUC_PASS,   /* not a room's stanza: the router goes on as before */
	MUC_TAKEN,  /* handled or dropped here */
	MUC_SERVE,  /* a room message to serve: in->muc and in->sender are filled */
	MUC_FORBID, /* a private message the route may not serve: answer forbidden */
};
/* in was read by inbound_read; on MUC_SERVE, in->muc points into s until the next call. */
enum muc_verdict muc_inbound(struct muc_set *s, struct xmpp_link *link, struct inbound *in);
/* For the metrics: how many rooms, and room i's route, bare JID, state name (out,
 * joining, in, backoff) and how many times the route got in. */
size_t muc_set_count(const struct muc_set *s);
void muc_room_info(const struct muc_set *s, size_t i, const char **route, const char **room,
                   const char **state, unsigned long *joins);
/* For the control socket: the route is in room (state IN). */
bool muc_route_in_room(const struct muc_set *s, const char *route, const char *room);

#endif
