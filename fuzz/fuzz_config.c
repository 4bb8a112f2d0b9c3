/* fuzz_config.c - libFuzzer harness for the configuration file (config.c, config_route.c).
 *
 * Input: the text of an xmpp-cgi.conf. It is written to a file in a scratch directory
 * that also holds an executable `handler`, a `cgi-bin` directory and a `secret` file,
 * so that relative paths in the input can name real things, and loaded with
 * config_load. A refusal must say where ("FILE:LINE: reason"); a configuration that
 * loads must be complete: a domain and a secret, and routes with valid names, exactly
 * one kind of handler each and every default merged in; and the disco answers built
 * from it (service.c) must pass the checks every outbound stanza gets (oracle.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "oracle.h"
#include "service.h"

static char dir[64], path[96];

static void put(const char *name, const char *text, mode_t mode)
{
	char p[128];
	int fd;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) < 0) {
		perror(p);
		exit(1);
	}
	close(fd);
}

static void remove_scratch(void)
{
	static const char *const names[] = {"handler", "secret", "ca.pem", "xmpp-cgi.conf"};
	char p[128];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		unlink(p);
	}
	snprintf(p, sizeof p, "%s/cgi-bin", dir);
	rmdir(p);
	rmdir(dir);
}

static void scratch(void)
{
	const char *tmp = getenv("TMPDIR");
	char p[128];
	snprintf(dir, sizeof dir, "%s/xc-fuzz-config-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	put("handler", "#!/bin/sh\nexit 0\n", 0755);
	put("secret", "s3cret\n", 0600);
	put("ca.pem", "not a certificate\n", 0644);
	snprintf(p, sizeof p, "%s/cgi-bin", dir);
	mkdir(p, 0755);
	snprintf(path, sizeof path, "%s/xmpp-cgi.conf", dir);
	atexit(remove_scratch);
}

static void check(const struct config *cfg, const uint8_t *in, size_t len)
{
	const char *t = (const char *)in;
	if (!cfg->domain || !cfg->password || !cfg->n_routes || cfg->n_routes > CFG_MAX_ROUTES)
		oracle_fail("loaded without domain, secret or routes", t, len);
	for (size_t i = 0; i < cfg->n_routes; i++) {
		const struct route_cfg *r = &cfg->routes[i];
		int kinds = !!r->cgi + !!r->n_fastcgi + !!r->cgi_dir;
		if (kinds != 1)
			oracle_fail("a route without exactly one of cgi, fastcgi, cgi_dir", t, len);
		if (!config_route_name_valid(r->name) && strcmp(r->name, "*") != 0)
			oracle_fail("a route with an invalid name", t, len);
		if (!r->timeout_s || r->timeout_s == (unsigned)-1 || !r->max_concurrency ||
		    r->max_concurrency == (unsigned)-1 || r->max_queue == (unsigned)-1 ||
		    r->max_output == (size_t)-1 || !r->n_allow)
			oracle_fail("a route default not merged in", t, len);
		for (size_t j = 0; j < i; j++)
			if (strcasecmp(cfg->routes[j].name, r->name) == 0)
				oracle_fail("two routes with one name", t, len);
	}
}

/* Config text goes out in disco#info and disco#items (issue 10, hole 7). */
static void disco(const struct config *cfg, const uint8_t *in, size_t len)
{
	static const char *const iq[] = {"iq", NULL};
	struct reply_target t = {.kind = KIND_IQ, .type = "get", .id = "d1", .to = "a@localhost/x"};
	for (size_t i = 0; i <= cfg->n_routes; i++) {
		struct service_view v = {.cfg = cfg,
		                         .route = i < cfg->n_routes ? &cfg->routes[i] : NULL,
		                         .route_name = i < cfg->n_routes ? cfg->routes[i].name : NULL};
		for (enum service_query q = SQ_DISCO_INFO; q <= SQ_VERSION; q++) {
			char *xml = service_reply(q, &t, &v);
			if (!xml)
				oracle_fail("no answer to a disco, ping or version query", (const char *)in, len);
			if (!oracle_known("config-text"))
				free(oracle_stanza(xml, iq, NULL));
			free(xml);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[1024];
	int fd;

	if (!dir[0])
		scratch();
	if (size > 64 * 1024)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror(path);
		exit(1);
	}
	close(fd);
	err[0] = '\0';
	if (config_load(path, &cfg, err, sizeof err) == 0) {
		check(&cfg, data, size);
		disco(&cfg, data, size);
	} else if (strncmp(err, path, strlen(path)) != 0 || err[strlen(path)] != ':')
		oracle_fail("refused without FILE: in front of the reason", err, strlen(err));
	config_free(&cfg);
	return 0;
}
