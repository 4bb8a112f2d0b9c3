/* backend_set.h - which backend serves a route: CGI or FastCGI, by its configuration.
 *
 * The one place that knows every kind of backend (backend.h). The dispatcher asks it
 * for a route's backend and never branches on the kind; a new kind of backend is one
 * more case here. It owns the FastCGI backends the routes share (fcgi_pool.h). */
#ifndef XC_BACKEND_SET_H
#define XC_BACKEND_SET_H

#include "backend.h"
#include "config.h"

struct dispatcher;

/* Sets up d's shared backends (d->fcgi) on d->loop. 0, or -1 when out of memory. */
int backend_set_new(struct dispatcher *d);
/* The backend for route rc into out. 0, or -1 when out of memory. */
int backend_set_open(struct dispatcher *d, const struct route_cfg *rc, struct route_backend *out);
/* Closes every connection and releases every route's backend made by backend_set_open. */
void backend_set_free(struct dispatcher *d);

#endif
