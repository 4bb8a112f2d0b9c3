/* scratch_config.h - how the unit tests load a configuration: the text is written as a file
 * in the scratch directory (scratch_dir.h) and read back with config_load, so that relative
 * paths resolve against that directory and errors carry its "FILE:LINE: " prefix. Needs
 * what scratch_dir.h needs, string.h and config.h first. */
#ifndef XC_SCRATCH_CONFIG_H
#define XC_SCRATCH_CONFIG_H

#include "scratch_dir.h"

/* Writes text to dir/NAME and loads it; config_load's result, its message in err. */
static inline int load_config(const char *name, const char *text, struct config *cfg, char *err,
                              size_t errlen)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	write_file(name, text, 0644);
	err[0] = '\0';
	return config_load(path, cfg, err, errlen);
}

/* The same, failing the test when the configuration is refused. */
static inline void load_config_ok(const char *name, const char *text, struct config *cfg)
{
	char err[1024];
	if (load_config(name, text, cfg, err, sizeof err) != 0)
		fail_msg("config refused: %s", err);
}

/* Loading text from dir/NAME fails with "dir/NAME:LINE: " followed by a message that
 * contains needle; whatever config_load built before the error is freed. */
static inline void expect_config_error(const char *name, const char *text, int line,
                                       const char *needle)
{
	struct config cfg;
	char err[1024], prefix[600];
	int rc = load_config(name, text, &cfg, err, sizeof err);
	config_free(&cfg);
	if (rc != -1)
		fail_msg("config accepted, wanted an error at line %d (%s)", line, needle);
	snprintf(prefix, sizeof prefix, "%s/%s:%d: ", dir, name, line);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("error '%s' does not start with '%s'", err, prefix);
	if (!strstr(err + strlen(prefix), needle))
		fail_msg("error '%s' does not mention '%s'", err, needle);
}

#endif
