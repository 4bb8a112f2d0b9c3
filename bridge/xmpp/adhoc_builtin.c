/* adhoc_builtin.c - route status and reload as ad-hoc commands (see adhoc_builtin.h). */
#include "adhoc_builtin.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adhoc.h"
#include "adhoc_answer.h"
#include "buf.h"
#include "log.h"
#include "route.h"
#include "route_stats.h"

bool adhoc_builtin_node(const char *node)
{
	return node && (strcmp(node, ADHOC_STATUS_NODE) == 0 || strcmp(node, ADHOC_RELOAD_NODE) == 0);
}

static void on_later(uv_timer_t *timer)
{
	struct adhoc_builtin *b = timer->data;
	if (b->state != BUILTIN_RELOAD_DUE)
		return;
	b->state = BUILTIN_IDLE;
	if (b->reload)
		b->reload(b->reload_ud);
}

void adhoc_builtin_init(struct adhoc_builtin *b, uv_loop_t *loop)
{
	uv_timer_init(loop, &b->later);
	b->later.data = b;
	b->state = BUILTIN_IDLE;
}

void adhoc_builtin_close(struct adhoc_builtin *b)
{
	if (b->state != BUILTIN_CLOSED)
		uv_close((uv_handle_t *)&b->later, NULL);
	b->state = BUILTIN_CLOSED;
}

static void route_line(struct buf *out, const struct adhoc *a, const struct route_rt *r)
{
	char line[400];
	const struct route_cfg *rc = r->cfg;
	const struct route_stats *s = r->stats;
	uint64_t requests = s->requests[0] + s->requests[1] + s->requests[2];
	int n = snprintf(line, sizeof line,
	                 "%s: %s, %u running, %u queued, %" PRIu64 " requests, %" PRIu64 " timeouts",
	                 rc->name,
	                 rc->n_fastcgi ? "fastcgi"
	                 : rc->cgi_dir ? "cgi_dir"
	                               : "cgi",
	                 r->running, r->queued, requests, s->timeouts);
	if (rc->command && n > 0 && (size_t)n < sizeof line)
		snprintf(line + n, sizeof line - (size_t)n, ", %zu command sessions",
		         adhoc_table_count(&a->table, rc->name));
	buf_puts(out, line);
	buf_puts(out, "\n");
}

static char *status_text(const struct adhoc *a, const struct dispatcher *d)
{
	struct buf out = {0};
	size_t draining = 0;
	char tail[96];
	for (size_t i = 0; i < d->n_routes; i++)
		route_line(&out, a, d->routes[i]);
	for (const struct route_rt *r = d->draining; r; r = r->next_draining)
		draining++;
	snprintf(tail, sizeof tail, "%u in flight, %zu route%s draining, %zu command sessions open",
	         d->in_flight, draining, draining == 1 ? "" : "s", a->table.n_live);
	buf_puts(&out, tail);
	return buf_steal(&out);
}

char *adhoc_builtin_stanza(struct adhoc *a, struct dispatcher *d, const struct inbound *in,
                           const char *session)
{
	const struct config *cfg = d->cfg;
	struct reply_target t = inbound_reply_target(in, false);
	struct adhoc_stage st = {in->command.node, session, ADHOC_EXECUTE};
	char *text, *xml;
	if (!cfg->n_admins || !jid_patterns_match(cfg->admins, cfg->n_admins, in->sender)) {
		log_info("bridge command %s from %s refused: not an admin", in->command.node,
		         in->from ? in->from : "-");
		return reply_failure(&t, FAIL_FORBIDDEN, "only the bridge's admins run this command");
	}
	if (in->command.action == ADHOC_CANCEL)
		return adhoc_note_answer(&t, &st, "canceled", NULL);
	if (strcmp(in->command.node, ADHOC_RELOAD_NODE) == 0) {
		if (!a->builtin.reload || a->builtin.state == BUILTIN_CLOSED)
			return reply_failure(&t, FAIL_UNAVAILABLE, "no reload now");
		log_info("bridge command: reload asked by %s", in->from ? in->from : "-");
		a->builtin.state = BUILTIN_RELOAD_DUE;
		uv_timer_start(&a->builtin.later, on_later, 0, 0);
		return adhoc_note_answer(&t, &st, "completed",
		                         "Reloading the configuration; the log says how it went.");
	}
	text = status_text(a, d);
	xml = adhoc_note_answer(&t, &st, "completed", text ? text : "out of memory");
	free(text);
	return xml;
}
