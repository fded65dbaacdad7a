/* SPDX-License-Identifier: MIT */
/*
 * test_trace_json.c - the streaming trace-event JSON writer (analysis/trace_json.h), driven through
 *   its sink ops directly (no model).
 * Checks: timestamps are exact microseconds of the picosecond times (no float rounding); metadata
 *   names a process per group and a thread per track; the window drops events outside [start, end)
 *   and cuts a slice that crosses both edges into [start, end), restating a counter at the start;
 *   a writer freed without finishing (a run that failed midway) still leaves a closed JSON array.
 * Leaves unchecked: whole runs (tests/cli/trace.sh parses real traces with python's json).
 */
#include <criterion/criterion.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "analysis/trace_json.h"

static char *path;

static void setup(void)
{
	char name[64];
	snprintf(name, sizeof name, "hvsim-test-trace-%d.json", (int)getpid());
	path = g_build_filename(g_get_tmp_dir(), name, NULL);
}
static void teardown(void)
{
	g_unlink(path);
	g_free(path);
}

static char *slurp(void)
{
	char *text = NULL;
	cr_assert(g_file_get_contents(path, &text, NULL, NULL));
	return text;
}

static struct sim_trace_sink *open_sink(struct trace_json **w, sim_time_t start, sim_time_t end)
{
	GError *e = NULL;
	*w = trace_json_open(path, start, end, &e);
	cr_assert_not_null(*w, "%s", e ? e->message : "");
	struct sim_trace_sink *s = trace_json_sink(*w);
	s->ops->track(s, 0, "host", "lp:0");
	s->ops->track(s, 1, "vm:web", "vcpu:0");
	return s;
}

Test(trace_json, exact_microseconds_and_metadata, .init = setup, .fini = teardown)
{
	struct trace_json *w;
	struct sim_trace_sink *s = open_sink(&w, 0, SIM_TIME_MAX);
	s->ops->begin(s, UINT64_C(1234567891), 0, "web/vp1");
	s->ops->end(s, UINT64_C(9007199254740993), 0); /* 2^53 + 1 ps: a double would round it */
	cr_assert(trace_json_finish(w, UINT64_C(9007199254740993), NULL));
	trace_json_free(w);
	char *t = slurp();
	cr_assert(strstr(t, "{\"ph\":\"B\",\"ts\":1234.567891,\"pid\":1,\"tid\":1,\"name\":\"web/vp1\"}"), "%s", t);
	cr_assert(strstr(t, "{\"ph\":\"E\",\"ts\":9007199254.740993,\"pid\":1,\"tid\":1}"), "%s", t);
	cr_assert(strstr(t, "\"pid\":2,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\"vm:web\"}"), "%s", t);
	cr_assert(strstr(t, "\"pid\":2,\"tid\":2,\"name\":\"thread_name\",\"args\":{\"name\":\"vcpu:0\"}"), "%s", t);
	cr_assert(g_str_has_prefix(t, "[") && g_str_has_suffix(t, "]\n"), "%s", t);
	g_free(t);
}

Test(trace_json, window_cuts_slices_and_drops_outside, .init = setup, .fini = teardown)
{
	struct trace_json *w;
	struct sim_trace_sink *s = open_sink(&w, 10 * SIM_PS_PER_US, 20 * SIM_PS_PER_US);
	s->ops->counter(s, 1 * SIM_PS_PER_US, 1, "steal ms", 2.5);
	s->ops->begin(s, 2 * SIM_PS_PER_US, 0, "long");            /* crosses both edges */
	s->ops->instant(s, 3 * SIM_PS_PER_US, 1, "before");         /* dropped */
	s->ops->instant(s, 15 * SIM_PS_PER_US, 1, "inside");
	s->ops->instant(s, 20 * SIM_PS_PER_US, 1, "at-end");        /* [start, end): dropped */
	s->ops->end(s, 30 * SIM_PS_PER_US, 0);
	cr_assert(trace_json_finish(w, 40 * SIM_PS_PER_US, NULL));
	trace_json_free(w);
	char *t = slurp();
	cr_assert(strstr(t, "{\"ph\":\"B\",\"ts\":10.000000,\"pid\":1,\"tid\":1,\"name\":\"long\"}"), "%s", t);
	cr_assert(strstr(t, "{\"ph\":\"E\",\"ts\":20.000000,\"pid\":1,\"tid\":1}"), "%s", t);
	cr_assert(strstr(t, "{\"ph\":\"C\",\"ts\":10.000000,\"pid\":2,\"tid\":2,\"name\":\"steal ms\",\"args\":{\"value\":2.5}}"),
		  "%s", t);
	cr_assert(strstr(t, "\"inside\""), "%s", t);
	cr_assert_null(strstr(t, "\"before\""), "%s", t);
	cr_assert_null(strstr(t, "\"at-end\""), "%s", t);
	cr_assert_null(strstr(t, "\"ts\":30.000000"), "%s", t);
	g_free(t);
}

Test(trace_json, freed_midway_leaves_a_closed_array, .init = setup, .fini = teardown)
{
	struct trace_json *w;
	struct sim_trace_sink *s = open_sink(&w, 0, SIM_TIME_MAX);
	s->ops->begin(s, 5 * SIM_PS_PER_US, 1, "task \"a\"");
	s->ops->flow(s, 6 * SIM_PS_PER_US, 1, SIM_FLOW_BEGIN, 7, "read");
	trace_json_free(w); /* no finish: the open slice ends at the last time seen, the array closes */
	char *t = slurp();
	cr_assert(strstr(t, "\"name\":\"task \\\"a\\\"\""), "%s", t);
	cr_assert(strstr(t, "{\"ph\":\"s\",\"ts\":6.000000,\"pid\":2,\"tid\":2,\"id\":7,"), "%s", t);
	cr_assert(strstr(t, "{\"ph\":\"E\",\"ts\":6.000000,\"pid\":2,\"tid\":2}\n]\n"), "%s", t);
	g_free(t);
}

Test(trace_json, unwritable_file_is_an_error)
{
	GError *e = NULL;
	cr_assert_null(trace_json_open("/nonexistent-dir/x/t.json", 0, SIM_TIME_MAX, &e));
	cr_assert(e && e->domain == G_FILE_ERROR);
	g_error_free(e);
}
