/* SPDX-License-Identifier: MIT */
/*
 * trace.h - the trace-sink interface: where a run may send a timeline of what happened.
 * Role: models emit slices (a VP running on an LP, a task on a vCPU), instants (an exit, an IPI),
 *       counters (runqueue length) and flows (one I/O request from the guest through the root to
 *       the device and back) on named tracks; a sink writes them somewhere. The engine ships no
 *       writer but the in-memory recorder used by tests; the Chrome/Perfetto JSON writer lives in
 *       analysis/trace_json.c and implements the same ops.
 * Cost: with no sink attached every emit is an inline load and NULL test (sim_tracing); nothing is
 *       called or formatted. Models guard any work done only to build an emit's arguments (a
 *       runqueue walk, a counter sum) with `if (sim_tracing(sim))`.
 * Tracks: a track is (group, name), e.g. ("host", "lp:3") or ("vm:web", "vcpu:1"); ids are dense,
 *       in declaration order, so traces are deterministic. A group becomes a process in a viewer.
 */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/time.h"

struct sim;
struct sim_trace_sink;

/* The three points of a flow (an arrow between slices of different tracks). */
enum sim_flow_phase { SIM_FLOW_BEGIN, SIM_FLOW_STEP, SIM_FLOW_END };

struct sim_trace_ops {
	/* A track was declared (before any event on it). Strings are valid during the call only. */
	void (*track)(struct sim_trace_sink *s, uint32_t track, const char *group, const char *name);
	/* A slice named `name` begins / ends on a track; slices on one track nest. `name` is valid
	   during the call only (a sink that needs it later copies it). */
	void (*begin)(struct sim_trace_sink *s, sim_time_t t, uint32_t track, const char *name);
	void (*end)(struct sim_trace_sink *s, sim_time_t t, uint32_t track);
	/* Something happened at an instant. */
	void (*instant)(struct sim_trace_sink *s, sim_time_t t, uint32_t track, const char *name);
	/* A counter track takes a new value. */
	void (*counter)(struct sim_trace_sink *s, sim_time_t t, uint32_t track, const char *name, double value);
	/* The run is over; flush. May be NULL. */
	void (*close)(struct sim_trace_sink *s);
	/* A point of flow `id` (unique in the run, from sim_trace_flow_id) on a track, inside the slice
	   open there at t. May be NULL: flows are dropped. */
	void (*flow)(struct sim_trace_sink *s, sim_time_t t, uint32_t track, enum sim_flow_phase phase, uint64_t id,
		     const char *name);
};

/* Embed as the first member of a concrete sink. */
struct sim_trace_sink {
	const struct sim_trace_ops *ops;
};

/* The run's attached sink. struct sim starts with this (sim-int.h), so the inline test below reads
   it through the run pointer without a call. */
struct sim_trace_head {
	struct sim_trace_sink *sink; /* borrowed, may be NULL */
};

/* Is a sink attached? One load and one test. */
static inline bool sim_tracing(const struct sim *sim)
{
	return ((const struct sim_trace_head *)(const void *)sim)->sink != NULL;
}

/* Attaches a sink (borrowed; NULL detaches). Declared tracks are replayed to a newly attached sink. */
void sim_trace_attach(struct sim *sim, struct sim_trace_sink *sink);
/* Declares a track and returns its id (also when no sink is attached). */
uint32_t sim_trace_track(struct sim *sim, const char *group, const char *name);
/* A fresh flow id (1, 2, ... per run; counts also without a sink, so ids do not depend on it). */
uint64_t sim_trace_flow_id(struct sim *sim);

/* The out-of-line halves of the emits below: called only with a sink attached. */
void sim__trace_begin(struct sim *sim, uint32_t track, const char *name);
void sim__trace_end(struct sim *sim, uint32_t track);
void sim__trace_instant(struct sim *sim, uint32_t track, const char *name);
void sim__trace_counter(struct sim *sim, uint32_t track, const char *name, double value);
void sim__trace_flow(struct sim *sim, uint32_t track, enum sim_flow_phase phase, uint64_t id, const char *name);

/* The emits, stamped with the current simulated time. */
static inline void sim_trace_begin(struct sim *sim, uint32_t track, const char *name)
{
	if (sim_tracing(sim))
		sim__trace_begin(sim, track, name);
}

static inline void sim_trace_end(struct sim *sim, uint32_t track)
{
	if (sim_tracing(sim))
		sim__trace_end(sim, track);
}

static inline void sim_trace_instant(struct sim *sim, uint32_t track, const char *name)
{
	if (sim_tracing(sim))
		sim__trace_instant(sim, track, name);
}

static inline void sim_trace_counter(struct sim *sim, uint32_t track, const char *name, double value)
{
	if (sim_tracing(sim))
		sim__trace_counter(sim, track, name, value);
}

static inline void sim_trace_flow(struct sim *sim, uint32_t track, enum sim_flow_phase phase, uint64_t id,
				  const char *name)
{
	if (sim_tracing(sim))
		sim__trace_flow(sim, track, phase, id, name);
}

#endif /* SIM_TRACE_H */
