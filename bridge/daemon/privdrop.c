/* privdrop.c - gives up root before any handler runs, as nginx and Prosody do.
 *
 * When the daemon starts as root it first reads its configuration and secrets
 * (password_file, secret_file) and opens what needs root (the control socket), then
 * switches to the [daemon] user and group for good: supplementary groups from the
 * group database (initgroups), then the group, then the user, and checks that the way
 * back is closed (setuid(0) must fail). Handlers inherit that account. Started as root
 * with no user, the daemon refuses to run: handlers run as root only when the file
 * says `user = root`. Started as anyone else, there is nothing to switch and the keys
 * are ignored with a warning. */
#include "privdrop.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int privdrop_check(const struct config *cfg, char *err, size_t errlen)
{
	if (geteuid() != 0 || cfg->daemon_user)
		return 0;
	snprintf(err, errlen,
	         "%s: started as root without [daemon] user: handlers would run as root. "
	         "Set user = NAME in [daemon] (user = root runs them as root on purpose)",
	         cfg->path);
	return -1;
}

int privdrop_apply(const struct config *cfg, char *err, size_t errlen)
{
	uid_t uid = (uid_t)cfg->daemon_uid;
	gid_t gid = (gid_t)cfg->daemon_gid;

	if (privdrop_check(cfg, err, errlen) != 0)
		return -1;
	if (geteuid() != 0) {
		if (cfg->daemon_user && uid != geteuid())
			log_warn("%s:%d: user = %s ignored: the daemon was not started as root", cfg->path,
			         cfg->daemon_line, cfg->daemon_user);
		return 0;
	}
	if (uid == 0 && !cfg->daemon_group_set) {
		log_warn("handlers run as root (%s:%d: user = root)", cfg->path, cfg->daemon_line);
		return 0;
	}
	if (initgroups(cfg->daemon_user, gid) != 0 || setgid(gid) != 0) {
		snprintf(err, errlen, "%s:%d: cannot switch to group %ld: %s", cfg->path, cfg->daemon_line,
		         (long)gid, strerror(errno));
		return -1;
	}
	if (uid == 0) {
		log_warn("handlers run as root (%s:%d: user = root), group %ld", cfg->path,
		         cfg->daemon_line, (long)gid);
		return 0;
	}
	if (setuid(uid) != 0) {
		snprintf(err, errlen, "%s:%d: cannot switch to user %s: %s", cfg->path, cfg->daemon_line,
		         cfg->daemon_user, strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || getuid() != uid || geteuid() != uid || getgid() != gid ||
	    getegid() != gid) {
		snprintf(err, errlen, "%s:%d: the switch to user %s did not hold: refusing to run",
		         cfg->path, cfg->daemon_line, cfg->daemon_user);
		return -1;
	}
	if (cfg->cafile && access(cfg->cafile, R_OK) != 0) {
		snprintf(err, errlen, "cafile %s is not readable by user %s: %s", cfg->cafile,
		         cfg->daemon_user, strerror(errno));
		return -1;
	}
	log_info("running as user %s (uid %ld, gid %ld)", cfg->daemon_user, (long)uid, (long)gid);
	return 0;
}
