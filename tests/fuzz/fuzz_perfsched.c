/* SPDX-License-Identifier: MIT */
/*
 * fuzz_perfsched.c - libFuzzer target: the `perf sched script` parser (workloads/perfsched_parse.c)
 *                    on arbitrary bytes, in memory (wl_ps_trace_parse), once keeping every thread
 *                    and once through a comm and pid filter (the paths that drop threads).
 * Invariant: any input ends in a trace or an error naming the line, with no crash, no undefined
 *            behaviour, no GLib critical and nothing leaked.
 * See: scripts/fuzz, docs/reliability.md "Fuzzing"
 */
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_input.h"
#include "workloads/perfsched.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_glib_fatal_criticals();
	return 0;
}

static void parse(const uint8_t *data, size_t size, const struct wl_ps_filter *filter)
{
	GError *error = NULL;
	struct wl_ps_trace *t = wl_ps_trace_parse((const char *)data, size, "fuzz.txt", filter, &error);
	g_clear_error(&error);
	wl_ps_trace_free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int32_t pids[] = {1, 2, 3, 100, 1000};
	const struct wl_ps_filter some = {.comm = "*e*, w?rker,perf", .pids = pids, .npids = 5};
	parse(data, size, NULL);
	parse(data, size, &some);
	return 0;
}
