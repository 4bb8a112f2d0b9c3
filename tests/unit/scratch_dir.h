/* scratch_dir.h - the unit tests' scratch directory and the one way they write files
 * into it (config files, scripts), with the mode each test needs. Included by one test
 * file each; the test's setup makes `dir` with mkdtemp. Needs cmocka.h, stdio.h,
 * sys/stat.h first. */
#ifndef XC_SCRATCH_DIR_H
#define XC_SCRATCH_DIR_H

static char dir[256];

static void write_file(const char *name, const char *text, mode_t mode)
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
