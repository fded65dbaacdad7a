/* SPDX-License-Identifier: MIT */
/*
 * fuzz_input.h - what the libFuzzer targets of tests/fuzz share: an input handed to a loader that
 *                only opens paths, and GLib's criticals made fatal.
 * Role: the scenario and sweep loaders read a file (and the files it names, relative to it), so
 *       the bytes go to one file per process in $HVSIM_FUZZ_DIR (scripts/fuzz points it at a copy
 *       of scenarios/, sweeps/ and tests/data, where the seeds' relative paths resolve), or in the
 *       temporary directory when it is unset. The file is removed at exit.
 * See: scripts/fuzz, docs/reliability.md "Fuzzing"
 */
#ifndef TESTS_FUZZ_INPUT_H
#define TESTS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>

/* Writes data[size] to this process's input file (named "fuzz-input-PID" + ext) and returns its
   path (owned here, the same on every call). Aborts when the file cannot be written. */
const char *fuzz_input_write(const uint8_t *data, size_t size, const char *ext);

/* Makes GLib's criticals (a g_return_if_fail: a programming error) abort, so the fuzzer sees them. */
void fuzz_glib_fatal_criticals(void);

#endif /* TESTS_FUZZ_INPUT_H */
