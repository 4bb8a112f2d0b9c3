/* scratch_dir.h - the unit tests' scratch directory: made fresh under $TMPDIR (or /tmp) by
 * a test's setup, removed with all it holds by its teardown, and the one way the tests
 * write files into it (config files, scripts), with the mode each test needs. Included by
 * one test file each; needs cmocka.h, ftw.h, stdio.h, stdlib.h and sys/stat.h first. */
#ifndef XC_SCRATCH_DIR_H
#define XC_SCRATCH_DIR_H

static char dir[256];

/* Makes dir "$TMPDIR/xc-test-NAME-XXXXXX"; 0, or -1 when mkdtemp fails. */
static inline int scratch_dir_make(const char *name)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/xc-test-%s-XXXXXX", tmp ? tmp : "/tmp", name);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int scratch_remove_entry(const char *path, const struct stat *st, int flag,
                                       struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Removes dir and everything below it (links not followed); 0 or -1. */
static inline int scratch_dir_remove(void)
{
	return nftw(dir, scratch_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static inline void write_file(const char *name, const char *text, mode_t mode)
{
	char path[512];
	FILE *f;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
}

#endif
