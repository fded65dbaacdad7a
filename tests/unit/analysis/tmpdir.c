/* SPDX-License-Identifier: MIT */
/*
 * tmpdir.c - the scratch directory of the results-database tests (tmpdir.h).
 */
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <glib.h>

#include "tmpdir.h"

char *tmp_dir;

void tmpdir_make(const char *prefix)
{
	GError *error = NULL;
	char *tmpl = g_strconcat(prefix, "-XXXXXX", NULL);

	tmp_dir = g_dir_make_tmp(tmpl, &error);
	g_free(tmpl);
	cr_assert_not_null(tmp_dir, "%s", error ? error->message : "?");
}

/* Removes dir and what it holds (a test may have made it read-only; symlinks are not followed). */
static void rm_tree(const char *dir)
{
	GDir *d = g_dir_open(dir, 0, NULL);
	const char *name;

	if (!d)
		return;
	chmod(dir, 0700);
	while ((name = g_dir_read_name(d))) {
		char *p = g_build_filename(dir, name, NULL);

		if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
			rm_tree(p);
		else
			unlink(p);
		g_free(p);
	}
	g_dir_close(d);
	rmdir(dir);
}

void tmpdir_remove(void)
{
	rm_tree(tmp_dir);
	g_free(tmp_dir);
	tmp_dir = NULL;
}
