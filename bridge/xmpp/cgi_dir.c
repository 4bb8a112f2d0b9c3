/* cgi_dir.c - resolving and listing the executables of a cgi_dir (see cgi_dir.h).
 *
 * Both the directory and the candidate go through realpath(3); the candidate must
 * then start with the directory followed by '/', so a symbolic link pointing out of
 * the directory is refused like a name with "..". */
#include "cgi_dir.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

int cgi_dir_resolve(const struct route_cfg *rc, const char *name, char *out, size_t outlen)
{
	const char *dir = rc->cgi_dir;
	char real_dir[PATH_MAX], candidate[PATH_MAX], real[PATH_MAX];
	struct stat st;
	size_t dl;

	if (!config_route_name_valid(name) || name[0] == '.')
		return -1;
	if (!realpath(dir, real_dir))
		return -1;
	if ((size_t)snprintf(candidate, sizeof candidate, "%s/%s", real_dir, name) >= sizeof candidate)
		return -1;
	if (!realpath(candidate, real))
		return -1;
	dl = strlen(real_dir);
	if (strncmp(real, real_dir, dl) != 0 || real[dl] != '/' || strchr(real + dl + 1, '/'))
		return -1;
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
		return -1;
	if (config_route_interpreter(rc, real) ? access(real, R_OK) != 0 : access(real, X_OK) != 0)
		return -1;
	if (strlen(real) >= outlen)
		return -1;
	strcpy(out, real);
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cgi_dir_list(const struct route_cfg *rc, char ***names, size_t *n)
{
	DIR *d = opendir(rc->cgi_dir);
	struct dirent *e;
	char path[PATH_MAX];
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if (!d)
		return -1;
	while ((e = readdir(d)) && *n < 1000) {
		if (cgi_dir_resolve(rc, e->d_name, path, sizeof path) != 0)
			continue;
		if (*n == cap) {
			char **grown;
			cap = cap ? cap * 2 : 16;
			grown = realloc(*names, cap * sizeof *grown);
			if (!grown)
				break;
			*names = grown;
		}
		(*names)[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (*n)
		qsort(*names, *n, sizeof **names, by_name);
	return 0;
}

void cgi_dir_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
