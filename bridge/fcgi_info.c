/* fcgi_info.c - a read-only view of a FastCGI pool's backends, for the metrics.
 *
 * The pool's internals stay private to fcgi_pool.c and fcgi_conn.c; this file copies
 * out the few numbers an operator scrapes (state, connections, outstanding calls), so
 * the metrics code never depends on how the pool is built. */
#include "fcgi_internal.h"
#include "fcgi_pool.h"

size_t fcgi_pool_info(const struct fcgi_pool *pool, struct fcgi_backend_info *out, size_t max)
{
	static const char *const states[] = {"up", "disabled", "overloaded"};
	for (size_t i = 0; i < pool->n_backends && i < max; i++) {
		const struct backend *be = &pool->backends[i];
		out[i] = (struct fcgi_backend_info){.addr = be->addr->text,
		                                    .state = states[be->state],
		                                    .conns = be->n_conns,
		                                    .outstanding = be->outstanding};
	}
	return pool->n_backends;
}
