/* config.h - the daemon's configuration as loaded from the INI file.
 *
 * Values start unset and receive their defaults in one place (config_finish), as
 * nginx merges its configuration. Nothing here is changed after loading. */
#ifndef XC_CONFIG_H
#define XC_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

enum tls_mode { TLS_REQUIRED, TLS_OPTIONAL, TLS_DISABLED };
enum xmpp_mode { MODE_CLIENT, MODE_COMPONENT };

struct kv {
	char *name;
	char *value;
};

enum fcgi_addr_kind { FCGI_ADDR_UNIX, FCGI_ADDR_TCP };

struct fcgi_addr {
	enum fcgi_addr_kind kind;
	char *text; /* as written, for messages */
	char *path; /* unix */
	char *host; /* tcp: numeric IPv4 or IPv6 address */
	unsigned port;
};

/* Where the error answer to a room message goes (room_errors =). */
enum room_errors { ROOM_ERRORS_ROOM, ROOM_ERRORS_PRIVATE, ROOM_ERRORS_NONE };

struct route_cfg {
	char *name;                /* the resource the route answers on */
	int line;                  /* where its section starts, for messages */
	char *cgi;                 /* a CGI route, or */
	char *cgi_dir;             /* the [route "*"] of component mode: cgi-bin, or */
	struct fcgi_addr *fastcgi; /* a FastCGI route: its pool of backends */
	size_t n_fastcgi;
	char *script_filename; /* FastCGI SCRIPT_FILENAME */
	struct kv *params;     /* extra FastCGI params */
	size_t n_params;
	unsigned connect_timeout_s;
	/* how long a backend that failed to connect is left out, if the route has others */
	unsigned backend_rest_s;
	char **send_allow; /* whom the route may send to through the control socket */
	size_t n_send_allow;
	char *description; /* disco#items name */
	bool soap;         /* advertise XEP-0072 */
	bool http;         /* advertise XEP-0332 */
	unsigned timeout_s;
	unsigned max_concurrency;
	unsigned max_queue;
	size_t max_output;
	bool message_replies;
	char **allow; /* bare JIDs, "*@domain" or "*" */
	size_t n_allow;
	struct kv *env;
	size_t n_env;
	/* interpreters, as lighttpd's cgi.assign: a script runs as "PROGRAM SCRIPT" */
	char *interpreter; /* for every script of the route, unless an assign matches */
	struct kv *assign; /* name: ".ext", value: the program for scripts ending so */
	size_t n_assign;
	int cgi_line; /* where cgi was set: it must be executable when nothing runs it */
	char *keys;   /* the section's key = value lines as read (config_diff.c) */
	/* group chats (config_muc.c, XEP-0045): the rooms the route joins and serves */
	char **rooms; /* bare room JIDs, lower-cased */
	size_t n_rooms;
	char *nick;                             /* default: the route's name */
	unsigned room_trigger;                  /* enum muc_trigger (muc_logic.h) */
	char *room_prefix;                      /* prefix trigger: default "!" and the nick */
	char *room_password;                    /* read from room_password_file, or NULL */
	bool room_anonymous;                    /* occupants whose real JID is hidden may run it */
	enum room_errors room_errors;           /* where an error answer to a room message goes */
	unsigned room_rate, room_rate_period_s; /* at most rate messages per period; 0: any */
	unsigned room_loop_limit;               /* one speaker's served messages in a row */
	unsigned room_ping_s;                   /* XEP-0410 self-ping interval, 0: none */
	/* an ad-hoc command (XEP-0050): bridge/adhoc.c */
	bool command;               /* offered as a command, named by description */
	char *command_node;         /* its node: command_node =, else the route's name */
	unsigned command_timeout_s; /* a session waiting this long for its next stage ends */
	unsigned command_sessions;  /* live sessions at most */
};

struct config {
	char *path;
	enum xmpp_mode mode;
	char *localpart; /* client mode: from jid or username */
	char *domain;    /* client mode: the account's domain; component mode: the component */
	char *password;  /* client mode: password; component mode: the shared secret */
	char *host;      /* NULL: connect to the domain */
	unsigned port;
	enum tls_mode tls;
	char *cafile;
	/* XEP-0198 and answers across a lost connection (xmpp-cgi.conf(5)) */
	bool stream_management;    /* client mode: use it when the server offers it */
	unsigned ack_timeout_s;    /* an unanswered ack request this old ends the connection */
	unsigned resend_max_age_s; /* answers older than this are not sent again in a new session */
	/* [xmpp] admins: who may run the bridge's own ad-hoc commands (bridge/xmpp/adhoc.c) */
	char **admins;
	size_t n_admins;
	struct route_cfg *routes;
	size_t n_routes;
	/* [control]: the local socket handlers send stanzas through; NULL: none */
	char *control_socket;
	unsigned control_mode;
	long control_gid; /* -1: leave the group alone */
	size_t control_max_stanza;
	/* [metrics]: the Prometheus endpoint; NULL host: none */
	char *metrics_host;
	unsigned metrics_port;
	/* each section's key = value lines as read, for reload (config_diff.c) */
	char *xmpp_keys, *control_keys, *metrics_keys, *daemon_keys;
	/* [daemon]: the account to switch to when started as root (bridge/daemon/privdrop.c) */
	char *daemon_user;     /* NULL: not given */
	long daemon_uid;       /* -1: not given */
	long daemon_gid;       /* group = NAME, else the user's primary group; -1: not given */
	bool daemon_group_set; /* group = NAME was written */
	int daemon_line;       /* where user = is (or the section), for messages */
	/* [control] limits and trust (see doc/control-protocol.md) */
	size_t control_max_line;
	unsigned control_max_connections; /* before the descriptor share caps it */
	unsigned control_idle_timeout_s;
	bool control_tokenless_any;   /* tokenless_users = * (the default) */
	long *control_tokenless_uids; /* else: only these users connect without a token */
	size_t control_n_tokenless_uids;
	/* [instance] (config_instance.c): several bridges as one component */
	char *instance_name;      /* name = , else host-pid */
	unsigned drain_timeout_s; /* SIGTERM waits this long for running requests */
	char fingerprint[24];     /* config_fingerprint(), set by main.c; "" in unit tests */
};

/* Defaults, documented in xmpp-cgi.conf(5). */
#define CFG_DEFAULT_TIMEOUT 30
#define CFG_DEFAULT_MAX_CONCURRENCY 32
#define CFG_DEFAULT_MAX_QUEUE 64
#define CFG_DEFAULT_MAX_OUTPUT (192 * 1024)
#define CFG_DEFAULT_PORT 5222
#define CFG_DEFAULT_COMPONENT_PORT 5347
#define CFG_DEFAULT_CONNECT_TIMEOUT 2
#define CFG_DEFAULT_BACKEND_REST 1
#define CFG_DEFAULT_COMMAND_TIMEOUT 600
#define CFG_DEFAULT_COMMAND_SESSIONS 100
#define CFG_MAX_BACKENDS 64
#define CFG_DEFAULT_CONTROL_MODE 0660
#define CFG_DEFAULT_MAX_STANZA (64 * 1024)
#define CFG_DEFAULT_CONTROL_MAX_LINE 1024
#define CFG_DEFAULT_CONTROL_MAX_CONNECTIONS 64
#define CFG_DEFAULT_CONTROL_IDLE_TIMEOUT 60
#define CFG_DEFAULT_ACK_TIMEOUT 30
#define CFG_DEFAULT_RESEND_MAX_AGE 60
#define CFG_MAX_ROUTES 256
#define CFG_MAX_ASSIGN 32
#define CFG_DEFAULT_DRAIN_TIMEOUT 30
#define CFG_DEFAULT_ROOM_RATE 10
#define CFG_DEFAULT_ROOM_RATE_PERIOD 60
#define CFG_DEFAULT_ROOM_LOOP_LIMIT 5
#define CFG_DEFAULT_ROOM_PING 300
#define CFG_MAX_ROOMS 64
#define CFG_MAX_INSTANCE_NAME 48

/* Loads and validates path. On failure returns -1 with "FILE:LINE: reason" in err. */
int config_load(const char *path, struct config *cfg, char *err, size_t errlen);
void config_free(struct config *cfg);
const struct route_cfg *config_route(const struct config *cfg, const char *name);
/* The [route "*"] of component mode, or NULL. */
const struct route_cfg *config_wildcard_route(const struct config *cfg);
bool config_route_name_valid(const char *name);
/* The program that runs script on route r (an assign matching its extension, else the
 * route's interpreter), or NULL when the script runs by itself. */
const char *config_route_interpreter(const struct route_cfg *r, const char *script);
/* Reload: true if both routes have the same name and the same keys and values. */
bool config_route_same(const struct route_cfg *a, const struct route_cfg *b);
/* Reload: the first section that differs and needs a restart ("[xmpp]", "[control]",
 * "[metrics]", "[daemon]", "[instance]" for its name), or NULL. */
const char *config_restart_section(const struct config *a, const struct config *b);
/* 1-48 of A-Z a-z 0-9 _ - : it goes into addresses and iq ids unquoted. */
bool config_instance_name_valid(const char *name);

#endif
