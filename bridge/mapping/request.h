/* request.h - builds a handler's CGI/1.1 environment from a stanza (pure).
 *
 * The same environment serves CGI scripts (as envp) and, later, FastCGI backends (as
 * PARAMS), so it is kept as a list of NAME=VALUE strings built from scratch: nothing
 * of the daemon's own environment enters except what the caller passes in. */
#ifndef XC_REQUEST_H
#define XC_REQUEST_H

#include <stddef.h>

#include "config.h"
#include "muc_logic.h"

#define REQ_MAX_ATTRS 32
#define REQ_MAX_ATTR_VALUE 4096

/* The strings live in one arena (text) that only grows: a variable set again or
 * removed leaves its old bytes behind until cgi_env_free. vars always points into the
 * current arena, so it can be handed out (execve, the FastCGI encoder) at any time. */
struct cgi_env {
	char **vars; /* "NAME=VALUE", NULL-terminated */
	size_t n;
	size_t cap;
	char *text; /* the NUL-terminated strings vars points to, back to back */
	size_t text_len;
	size_t text_cap;
};

struct request_meta {
	const char *stanza_name;  /* iq, message, presence */
	const char *const *attrs; /* name0, value0, name1, value1, ... */
	size_t n_attrs;           /* number of pairs */
	const char *route;        /* route name */
	const char *path_info;    /* "/route" or longer */
	const char *script;       /* SCRIPT_FILENAME (its directory: DOCUMENT_ROOT), or NULL */
	const char *server_name;  /* the bridge's domain: SERVER_NAME and HTTP_HOST */
	unsigned server_port;
	const char *remote_addr;
	const char *remote_user; /* sender's bare JID, may be "" */
	const char *path;        /* PATH for the handler */
	size_t content_length;
	const struct kv *extra; /* the route's env = lines */
	size_t n_extra;
	const char *control_socket; /* XMPP_CGI_SOCKET, or NULL */
	const struct kv *params;    /* a FastCGI route's param = lines */
	size_t n_params;
	/* a room message (muc_logic.h): XMPP_MUC_* variables and QUERY_STRING */
	const struct muc_env_var *muc_vars;
	size_t n_muc_vars;
	const char *query_string; /* NULL: "" */
};

/* Returns 0, or -1 with a reason for the sender (the stanza is refused as bad-request). */
int request_build_env(const struct request_meta *m, struct cgi_env *env, const char **reason);
/* XMPP_STANZA_ + name mapped to [A-Z0-9_]; false if it does not fit. */
int request_attr_env_name(const char *attr, char *out, size_t outlen);
/* libstrophe's text of an inbound stanza -> the standalone document handlers read:
 * an XML declaration, the root in jabber:client whatever stream it came on, and the
 * xml:lang prefix that libstrophe's parser drops put back on the root. NULL if the
 * text does not start with an element. The stanza itself is never changed: libstrophe
 * still holds pointers into it while our handler runs. */
char *request_stdin_document(const char *text, size_t len, size_t *out_len);
/* The request-target a web server would have received for path (a decoded path, every
 * byte outside RFC 3986's pchar set and '/' escaped as %XX), then raw_tail as the sender
 * wrote it (only bytes that cannot stand in a URI escaped), then '?' and query if query
 * is not empty. NULL when out of memory. */
char *request_uri(const char *path, const char *raw_tail, const char *query);
/* The value stays valid until the next change to env. */
const char *cgi_env_get(const struct cgi_env *env, const char *name);
/* Replaces NAME's value, or adds it; an empty value with drop_empty removes it. */
int cgi_env_set(struct cgi_env *env, const char *name, const char *value, int drop_empty);
void cgi_env_free(struct cgi_env *env);

#endif
