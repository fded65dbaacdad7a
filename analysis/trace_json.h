/* SPDX-License-Identifier: MIT */
/*
 * trace_json.h - a trace sink (sim/trace.h) that streams a Chrome trace-event JSON file, the
 *       format ui.perfetto.dev and chrome://tracing open.
 * Role: `hvsim run --trace FILE.json` attaches one to the virtual run of replication 0.
 * Output: a JSON array of events: "M" metadata naming a process per track group (the host's LPs,
 *       each VM, the root) and a thread per track; "B"/"E" slices, "i" instants, "C" counters and
 *       "s"/"t"/"f" flows (bound to the enclosing slice). Timestamps are microseconds printed
 *       exactly from integer picoseconds ("1234.567890").
 * Size: capped (trace_json_set_max_bytes, default TRACE_JSON_MAX_BYTES_DEFAULT); past the cap the
 *       trace ends as at a window's end.
 * Memory: constant in the run's length: events are written as they arrive; per track the writer
 *       keeps only its open slices' names (to clip them at the window) and its last counter value.
 * Window: only events in [start, end) are written; a slice crossing an edge is cut at it (its
 *       begin written at start, its end at end), a counter's value at start is written at start.
 * See: docs/traces.md; tests/unit/analysis/test_trace_json.c; tests/cli/trace.sh
 */
#ifndef ANALYSIS_TRACE_JSON_H
#define ANALYSIS_TRACE_JSON_H

#include <stdbool.h>

#include <glib.h>

#include "sim/sim.h"

struct trace_json;

/* Creates (truncates) path and writes the array's opening; NULL and G_FILE_ERROR when it cannot.
   The window is [start, end); 0 and SIM_TIME_MAX keep everything. */
struct trace_json *trace_json_open(const char *path, sim_time_t start, sim_time_t end, GError **error);
/* The default cap on a trace file's size (trace_json_set_max_bytes; units: bytes). */
#define TRACE_JSON_MAX_BYTES_DEFAULT (UINT64_C(2) << 30)
/*
 * Caps the file at about max bytes (checked every 4,096 events, so it may pass it by a few
 * hundred KiB): when reached, every open slice ends at that time and nothing more is written, as
 * at the end of a window; the file stays valid JSON. 0: no cap.
 */
void trace_json_set_max_bytes(struct trace_json *w, uint64_t max);
/* Whether the cap cut the trace, and at which simulated time (*at may be NULL). */
bool trace_json_truncated(const struct trace_json *w, sim_time_t *at);
/* The sink to attach (borrowed from w). */
struct sim_trace_sink *trace_json_sink(struct trace_json *w);
/* The run ended at `end`: slices still open end there, the array is closed and the file flushed.
   False and G_FILE_ERROR when a write failed. Further events are ignored. */
bool trace_json_finish(struct trace_json *w, sim_time_t end, GError **error);
/* Closes the file (after finishing at the last time seen, when trace_json_finish was not called:
   a run that failed midway still leaves valid JSON) and frees w. NULL is a no-op. */
void trace_json_free(struct trace_json *w);

#endif /* ANALYSIS_TRACE_JSON_H */
