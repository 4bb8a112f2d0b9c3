/* adhoc.c - admits command stages and times their sessions out (see adhoc.h).
 *
 * The only I/O here is the timer and getrandom(2) for session ids; the table's rules
 * are adhoc_session.c's, the request and answer stanza_job.c's. */
#include "adhoc.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "adhoc_answer.h"
#include "log.h"
#include "route.h"

static void on_timer(uv_timer_t *timer);

/* Expires what is due and sets the timer to the next deadline. */
static void arm(struct adhoc *a)
{
	uint64_t next, now = uv_now(a->loop);
	size_t expired = adhoc_table_expire(&a->table, now, &next);
	if (expired)
		log_info("ad-hoc commands: %zu session%s timed out", expired, expired == 1 ? "" : "s");
	if (a->timer_state != ADHOC_TIMER_OPEN)
		return;
	if (next == UINT64_MAX)
		uv_timer_stop(&a->timer);
	else
		uv_timer_start(&a->timer, on_timer, next - now, 0);
}

static void on_timer(uv_timer_t *timer) { arm(timer->data); }

void adhoc_init(struct adhoc *a, uv_loop_t *loop)
{
	memset(a, 0, sizeof *a);
	a->loop = loop;
	uv_timer_init(loop, &a->timer);
	a->timer.data = a;
	a->timer_state = ADHOC_TIMER_OPEN;
	adhoc_builtin_init(&a->builtin, loop);
}

void adhoc_close(struct adhoc *a)
{
	if (a->timer_state == ADHOC_TIMER_OPEN)
		uv_close((uv_handle_t *)&a->timer, NULL);
	a->timer_state = ADHOC_TIMER_CLOSED;
	adhoc_builtin_close(&a->builtin);
}

void adhoc_free(struct adhoc *a) { adhoc_table_free(&a->table); }

static void settle(void *ud, const char *session, unsigned actions, enum adhoc_action dflt)
{
	struct adhoc *a = ud;
	adhoc_table_settle(&a->table, session, actions, dflt, uv_now(a->loop));
	arm(a);
}

static const struct route_cfg *command_route(const struct config *cfg, const char *node)
{
	for (size_t i = 0; node && i < cfg->n_routes; i++)
		if (cfg->routes[i].command && strcmp(cfg->routes[i].command_node, node) == 0)
			return &cfg->routes[i];
	return NULL;
}

static int new_session_id(char out[ADHOC_SESSION_ID_LEN + 1])
{
	unsigned char rnd[ADHOC_SESSION_ID_LEN / 2];
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return -1;
	for (size_t i = 0; i < sizeof rnd; i++)
		snprintf(out + 2 * i, 3, "%02x", rnd[i]);
	return 0;
}

static enum adhoc_admission admit(struct adhoc *a, const struct route_cfg *rc, struct inbound *in)
{
	struct inbound_command *c = &in->command;
	const char *owner = in->from ? in->from : "";
	uint64_t now = uv_now(a->loop);
	if (c->action == ADHOC_BAD)
		return ADMIT_MALFORMED_ACTION;
	if (!c->sessionid) {
		if (c->action != ADHOC_EXECUTE)
			return ADMIT_BAD_ACTION; /* only execute opens a session */
		if (new_session_id(c->session) != 0)
			return ADMIT_NO_MEMORY;
		return adhoc_table_begin(&a->table, c->session, owner, rc->name, rc->command_sessions,
		                         rc->command_timeout_s * 1000u, now);
	}
	if (strlen(c->sessionid) != ADHOC_SESSION_ID_LEN)
		return ADMIT_UNKNOWN;
	memcpy(c->session, c->sessionid, sizeof c->session);
	return adhoc_table_stage(&a->table, c->session, owner, rc->name, &c->action, now);
}

bool adhoc_stanza(struct adhoc *a, struct dispatcher *d, struct inbound *in,
                  const struct reply_sink *sink, char **answer)
{
	const struct route_cfg *rc = command_route(d->cfg, in->command.node);
	struct reply_target t = inbound_reply_target(in, false);
	struct route_rt *route;
	enum adhoc_admission adm;
	char path_info[80];

	*answer = NULL;
	if (!rc && adhoc_builtin_node(in->command.node)) {
		char id[ADHOC_SESSION_ID_LEN + 1];
		if (new_session_id(id) != 0)
			snprintf(id, sizeof id, "%032x", 0u);
		*answer = adhoc_builtin_stanza(a, d, in, id);
		return true;
	}
	if (!rc)
		return false;
	route = dispatcher_route(d, rc->name);
	if (d->check_acl && !route_allows(rc, in->sender)) {
		log_info("route %s: command from %s refused by allow", rc->name, in->sender);
		*answer = reply_failure(&t, FAIL_FORBIDDEN, NULL);
		return true;
	}
	if (!route) {
		*answer = reply_failure(&t, FAIL_UNAVAILABLE, NULL);
		return true;
	}
	adm = admit(a, rc, in);
	if (adm != ADMIT_OK) {
		log_info("route %s: command stage from %s refused: %s", rc->name, in->from ? in->from : "-",
		         adhoc_admission_name(adm));
		*answer = adhoc_refusal(&t, adm);
		return true;
	}
	in->command.settle = settle;
	in->command.settle_ud = a;
	arm(a);
	snprintf(path_info, sizeof path_info, "/%s", rc->name);
	struct dispatch_target tgt = {.route = route, .name = rc->name, .path_info = path_info};
	dispatch_stanza(d, &tgt, in, sink);
	return true;
}
