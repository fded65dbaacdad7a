/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sweep.c - libFuzzer target: the sweep loader (cli/sweep.c) on arbitrary bytes. sweep_load
 *                checks the file, expands the axes into points and loads every point's scenario;
 *                sweep_check builds their worlds (runner_check) (base files resolve relative to the input: $HVSIM_FUZZ_DIR).
 * Invariant: any input ends in a sweep or a located error, with no crash, no undefined behaviour,
 *            no GLib critical and nothing leaked. Nothing runs, nothing is written.
 * See: scripts/fuzz, docs/reliability.md "Fuzzing"
 */
#include <stddef.h>
#include <stdint.h>

#include "cli/sweep.h"
#include "tests/fuzz/fuzz_input.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_glib_fatal_criticals();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = fuzz_input_write(data, size, ".json");
	GError *error = NULL;
	struct sweep *sw = sweep_load(path, &error);
	if (sw)
		(void)sweep_check(sw, NULL, &error);
	(void)sweep_is_sweep_file(path);
	g_clear_error(&error);
	sweep_free(sw);
	return 0;
}
