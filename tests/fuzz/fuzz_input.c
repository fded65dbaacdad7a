/* SPDX-License-Identifier: MIT */
/*
 * fuzz_input.c - the input file of the path-taking fuzz targets (see fuzz_input.h).
 * A plain fopen/fwrite, not g_file_set_contents: that one may fsync, once per execution.
 */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "tests/fuzz/fuzz_input.h"

static char *input_path;

static void remove_input(void)
{
	if (input_path)
		(void)unlink(input_path);
	g_free(input_path);
	input_path = NULL;
}

/* The process's input file: in $HVSIM_FUZZ_DIR, else the temporary directory. */
static const char *input_path_for(const char *ext)
{
	if (input_path)
		return input_path;
	const char *dir = g_getenv("HVSIM_FUZZ_DIR");
	char *name = g_strdup_printf("fuzz-input-%ld%s", (long)getpid(), ext);
	input_path = g_build_filename(dir && *dir ? dir : g_get_tmp_dir(), name, NULL);
	g_free(name);
	atexit(remove_input);
	return input_path;
}

const char *fuzz_input_write(const uint8_t *data, size_t size, const char *ext)
{
	const char *path = input_path_for(ext);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
		fprintf(stderr, "fuzz: cannot write %s\n", path);
		abort();
	}
	return path;
}

void fuzz_glib_fatal_criticals(void)
{
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
}
