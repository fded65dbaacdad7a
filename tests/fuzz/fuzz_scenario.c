/* SPDX-License-Identifier: MIT */
/*
 * fuzz_scenario.c - libFuzzer target: the scenario loader (cli/scenario.c) on arbitrary bytes, and
 *                   when it accepts them, runner_check, which builds every world (the models and
 *                   the workloads, rt-app and perf-sched files included) without running it.
 * Invariant: any input ends in a scenario or a located error, with no crash, no undefined
 *            behaviour, no GLib critical and nothing leaked. A simulation never runs.
 * See: scripts/fuzz, docs/reliability.md "Fuzzing"
 */
#include <stddef.h>
#include <stdint.h>

#include "cli/runner.h"
#include "cli/scenario.h"
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
	struct scenario *s = scenario_load(path, NULL, &error);
	if (s)
		(void)runner_check(s, &error);
	g_clear_error(&error);
	scenario_free(s);
	return 0;
}
