/* SPDX-License-Identifier: MIT */
/*
 * fuzz_rtapp.c - libFuzzer target: the rt-app description loader on arbitrary bytes: the JSON read
 *                as workloads/rtapp.c's load_description reads a `file` (cJSON, then again with C
 *                comments stripped), then rtapp_model_parse (workloads/rtapp_parse.c), which checks
 *                everything that does not depend on the VM. The VM-dependent part (rt_create) is
 *                reached through fuzz_scenario, with rt-app tasks inline.
 * Invariant: any input ends in a model or an error naming the key, with no crash, no undefined
 *            behaviour, no GLib critical and nothing leaked.
 * See: scripts/fuzz, docs/reliability.md "Fuzzing"
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/fuzz/fuzz_input.h"
#include "workloads/rtapp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_glib_fatal_criticals();
	return 0;
}

/* The description as load_description parses a file's text: as it is, else without C comments. */
static cJSON *parse_json(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	if (!root) {
		char *bare = g_strndup((const char *)data, size);
		cJSON_Minify(bare);
		root = cJSON_Parse(bare);
		g_free(bare);
	}
	return root;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *root = parse_json(data, size);
	if (!root)
		return 0;
	GError *error = NULL;
	struct rtapp_model *m = rtapp_model_parse(root, "rt-app file fuzz.json", &error);
	g_clear_error(&error);
	rtapp_model_free(m);
	cJSON_Delete(root);
	return 0;
}
