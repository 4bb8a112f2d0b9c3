/* backend_set.c - a route's backend by its configuration (see backend_set.h). */
#include "backend_set.h"

#include "cgi_runner.h"
#include "dispatch.h"
#include "fcgi_pool.h"

int backend_set_new(struct dispatcher *d)
{
	d->fcgi = fcgi_backends_new(d->loop);
	return d->fcgi ? 0 : -1;
}

int backend_set_open(struct dispatcher *d, const struct route_cfg *rc, struct route_backend *out)
{
	if (rc->n_fastcgi)
		return fcgi_backend_open(d->fcgi, rc, out);
	cgi_backend_open(d->loop, out);
	return 0;
}

void backend_set_free(struct dispatcher *d)
{
	fcgi_backends_free(d->fcgi); /* frees every route's fcgi_route too */
	d->fcgi = NULL;
}
