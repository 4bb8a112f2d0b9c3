/* fcgi_info.c - a read-only view of the FastCGI backends, for the metrics.
 *
 * The pool's internals stay private to fcgi_pool.c and fcgi_conn.c; this file copies
 * out the few numbers an operator scrapes for each backend address that some route
 * names (state, connections, calls in hand and waiting), so the metrics code never
 * depends on how the pool is built. Backends are shared by routes, so the numbers are
 * per address, not per route. */
#include "fcgi_internal.h"
#include "fcgi_pool.h"

size_t fcgi_backends_info(const struct fcgi_backends *all, struct fcgi_backend_info *out,
                          size_t max)
{
	static const char *const states[] = {"up", "disabled", "overloaded"};
	size_t n = 0;
	if (!all)
		return 0;
	for (const struct backend *be = all->backends; be; be = be->next) {
		if (!fcgi_backend_named(be))
			continue; /* kept after a reload took its last route out, but closed */
		if (n < max)
			out[n] = (struct fcgi_backend_info){.addr = be->addr->text,
			                                    .state = states[be->state],
			                                    .conns = be->n_conns,
			                                    .outstanding = be->outstanding,
			                                    .waiting = be->n_waiting};
		n++;
	}
	return n;
}
