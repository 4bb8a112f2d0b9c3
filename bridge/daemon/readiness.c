/* readiness.c - the daemon's side of Type=notify: READY=1, STATUS=... and STOPPING=1.
 *
 * It keeps the latest outcome of each XMPP connection. The first time none is left
 * without an outcome it sends READY=1; after that each change updates STATUS (how many
 * are online), which `systemctl status` shows. Messages go through libsystemd's
 * sd_notify(), which does nothing when NOTIFY_SOCKET is not set; built without
 * libsystemd, nothing is sent at all. A reload sends RELOADING=1 and then READY=1 again,
 * and may add or remove connections (readiness_relink). */
#include "readiness.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "autoconfig.h"
#include "log.h"

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#else
static int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
	(void)state;
	return 0;
}
#endif

int readiness_init(struct readiness *r, size_t n_links, const char *noun)
{
	*r = (struct readiness){.n_links = n_links, .noun = noun};
	r->links = calloc(n_links ? n_links : 1, sizeof *r->links);
	return r->links ? 0 : -1;
}

/* READY=1 the first time no connection is left without an outcome, then STATUS. */
static void tell(struct readiness *r, bool ready_again)
{
	size_t n_online = 0, n_pending = 0;
	char msg[200];

	for (size_t k = 0; k < r->n_links; k++) {
		n_online += r->links[k] == LINK_OUTCOME_ONLINE;
		n_pending += r->links[k] == LINK_OUTCOME_NONE;
	}
	if (n_pending && !r->ready_sent)
		return;
	snprintf(msg, sizeof msg, "%sSTATUS=%zu of %zu %s%s online",
	         r->ready_sent && !ready_again ? "" : "READY=1\n", n_online, r->n_links, r->noun,
	         r->n_links == 1 ? "" : "s");
	if (!r->ready_sent)
		log_info("ready: %s", msg + sizeof "READY=1\nSTATUS=" - 1);
	r->ready_sent = true;
	sd_notify(0, msg);
}

void readiness_link(struct readiness *r, size_t i, bool online)
{
	enum link_outcome now = online ? LINK_OUTCOME_ONLINE : LINK_OUTCOME_OFFLINE;
	if (i >= r->n_links || r->stopping || r->links[i] == now)
		return;
	r->links[i] = now;
	tell(r, false);
}

int readiness_relink(struct readiness *r, const size_t *was, size_t n)
{
	enum link_outcome *links = calloc(n ? n : 1, sizeof *links);
	if (!links)
		return -1;
	for (size_t k = 0; k < n; k++)
		links[k] = was[k] < r->n_links ? r->links[was[k]] : LINK_OUTCOME_NONE;
	free(r->links);
	r->links = links;
	r->n_links = n;
	if (r->ready_sent && !r->stopping)
		tell(r, false);
	return 0;
}

void readiness_reloaded(struct readiness *r)
{
	struct timespec now;
	char msg[80];
	if (!r->ready_sent || r->stopping)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* MONOTONIC_USEC: systemd 253 and later match the reload by it */
	snprintf(msg, sizeof msg, "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000);
	sd_notify(0, msg);
	tell(r, true);
}

void readiness_stopping(struct readiness *r)
{
	if (r->stopping)
		return;
	r->stopping = true;
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void readiness_free(struct readiness *r)
{
	free(r->links);
	r->links = NULL;
}
