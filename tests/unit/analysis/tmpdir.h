/* SPDX-License-Identifier: MIT */
/*
 * tmpdir.h - a scratch directory per test for the results-database tests (tests/unit/analysis):
 *       made by a suite's .init, removed with everything in it by its .fini.
 */
#ifndef TESTS_UNIT_ANALYSIS_TMPDIR_H
#define TESTS_UNIT_ANALYSIS_TMPDIR_H

/* The current test's directory (set by tmpdir_setup, NULL after tmpdir_teardown). */
extern char *tmp_dir;

/* Makes tmp_dir, named after `prefix` ("hvsim-merge"); fails the test when it cannot. */
void tmpdir_make(const char *prefix);
/* Removes tmp_dir and everything in it, read-only files and subdirectories included. */
void tmpdir_remove(void);

#endif /* TESTS_UNIT_ANALYSIS_TMPDIR_H */
