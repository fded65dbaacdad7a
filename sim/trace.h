/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the trace-sink interface: where a run may send a timeline of what happened.
 * Role: models emit slices (a VP running on an LP, a task on a vCPU), instants (an exit, an IPI)
 *       and counters (runqueue length) on named tracks; a sink writes them somewhere. The engine
 *       ships no writer but the in-memory recorder used by tests; the Chrome/Perfetto JSON writer
 *       lives in analysis/ (a later issue) and implements the same ops.
 * Cost: with no sink attached every emit is one call and one NULL test; nothing is formatted.
 * Tracks: a track is (group, name), e.g. ("lp", "lp:3") or ("vm:web", "vcpu:1"); ids are dense,
 *       in declaration order, so traces are deterministic.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdint.h>

#include "sim/time.h"

struct sim;
struct sim_trace_sink;

struct sim_trace_ops {
	/* A track was declared (before any event on it). Strings are valid during the call only. */
	void (*track)(struct sim_trace_sink *s, uint32_t track, const char *group, const char *name);
	/* A slice named `name` (a static string) begins / ends on a track; slices on one track nest. */
	void (*begin)(struct sim_trace_sink *s, sim_time_t t, uint32_t track, const char *name);
	void (*end)(struct sim_trace_sink *s, sim_time_t t, uint32_t track);
	/* Something happened at an instant. */
	void (*instant)(struct sim_trace_sink *s, sim_time_t t, uint32_t track, const char *name);
	/* A counter track takes a new value. */
	void (*counter)(struct sim_trace_sink *s, sim_time_t t, uint32_t track, const char *name, double value);
	/* The run is over; flush. May be NULL. */
	void (*close)(struct sim_trace_sink *s);
};

/* Embed as the first member of a concrete sink. */
struct sim_trace_sink {
	const struct sim_trace_ops *ops;
};

/* Attaches a sink (borrowed; NULL detaches). Declared tracks are replayed to a newly attached sink. */
void sim_trace_attach(struct sim *sim, struct sim_trace_sink *sink);
/* Declares a track and returns its id (also when no sink is attached). */
uint32_t sim_trace_track(struct sim *sim, const char *group, const char *name);
void sim_trace_begin(struct sim *sim, uint32_t track, const char *name);
void sim_trace_end(struct sim *sim, uint32_t track);
void sim_trace_instant(struct sim *sim, uint32_t track, const char *name);
void sim_trace_counter(struct sim *sim, uint32_t track, const char *name, double value);

#endif /* SIM_TRACE_H */
