/* SPDX-License-Identifier: MIT */
/*
 * sim.h - the engine's umbrella header, and the run itself: clock, event loop, run control.
 * Role: `struct sim` owns one run's event queue, event slab, entity list, statistics registry and
 *       trace tracks. Models include this header and nothing below it.
 * The loop: pop the earliest event before the limit, set the clock to its time, hand it to its
 *       entity's ops->event, return it to the slab if it was fire-and-forget; repeat. Warm-up,
 *       end time, the monitor (progress + stop predicate) and sim_stop() are checked around it.
 * Determinism: the clock only moves forward to event times; ties by (time, seq); nothing reads a
 *       wall clock, an address or a hash-table order (docs/design.md "Determinism and speed rules").
 * See: docs/design.md "Engine".
 */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdnoreturn.h>

#include "sim/entity.h"
#include "sim/event.h"
#include "sim/rng.h"
#include "sim/stats.h"
#include "sim/time.h"
#include "sim/trace.h"

struct sim;

/* Creates an empty run at time 0 whose streams derive from master_seed. */
struct sim *sim_new(uint64_t master_seed);
/* Frees the run (queue, slab, registries). Entities belong to their owners and are not touched. */
void sim_free(struct sim *sim);

sim_time_t sim_now(const struct sim *sim);
uint64_t sim_master_seed(const struct sim *sim);
/* Events handled so far in this run. */
uint64_t sim_events(const struct sim *sim);
/* Events pending in the queue. */
size_t sim_pending(const struct sim *sim);
/*
 * Digest of every event handled so far: FNV-style hash over each event's (time, target id, kind),
 * in order. Same scenario and seed => same digest; tests and the results database use it.
 */
uint64_t sim_digest(const struct sim *sim);
/* Entities registered, in id order (borrowed). */
struct sim_entity *sim_entity_at(const struct sim *sim, uint32_t id);
uint32_t sim_entity_count(const struct sim *sim);

/* Seeds `r` as stream `name` of this run (sim_rng_seed with the run's master seed). */
void sim_rng_stream(const struct sim *sim, sim_rng_t *r, const char *name);

/*
 * Queue tuning (docs/design.md "Event queue"); the defaults are what the measurements chose.
 * Only benchmarks and tests change them, and only before anything is scheduled.
 */
struct sim_evq_tuning {
	uint32_t bucket_target; /* events per rung bucket a rung is sized for (default 8) */
	uint32_t small_max;     /* at or below this many far events, skip the rung: plain heap (default 64) */
	uint32_t spill_min;     /* a heap grown past this while unbounded is spilled into a rung (default 256) */
};
void sim_evq_tuning_default(struct sim_evq_tuning *t);
void sim_set_evq_tuning(struct sim *sim, const struct sim_evq_tuning *t);

/* What the queue did, for benchmarks and docs. */
struct sim_evq_stats {
	uint64_t rung_builds; /* rungs cut from the top (including small tops poured into the heap) */
	uint64_t spills;      /* unbounded heaps spilled into a rung */
	uint64_t slab_events; /* fire-and-forget events allocated (in use or free) */
};
void sim_evq_stats(const struct sim *sim, struct sim_evq_stats *out);

/* ---- run control ---- */

struct sim_monitor;
struct sim_monitor_ops {
	/* progress: called every `every` events and once at the end of sim_run. May be NULL. */
	void (*progress)(struct sim_monitor *m, const struct sim *sim);
	/* should_stop: polled every `every` events; true ends the run (SIM_RUN_STOPPED). May be NULL. */
	bool (*should_stop)(struct sim_monitor *m, const struct sim *sim);
};
/* Embed in the caller's struct; get back with sim_container_of. */
struct sim_monitor {
	const struct sim_monitor_ops *ops;
	uint64_t every; /* events between calls (0: 65536) */
};

struct sim_run_params {
	sim_time_t end;    /* events at or after `end` are not handled; SIM_TIME_MAX: until the queue is empty */
	sim_time_t warmup; /* tracked statistics are reset when the clock reaches warmup (0: no reset) */
	struct sim_monitor *monitor; /* may be NULL */
};

enum sim_run_status {
	SIM_RUN_END_TIME, /* reached params.end; the clock reads end */
	SIM_RUN_EMPTY,    /* no events left */
	SIM_RUN_STOPPED,  /* sim_stop() or the monitor's should_stop */
};

/*
 * Runs: starts entities not yet started (id order), handles events until end / empty / stop, then
 * calls every entity's ops->stop (id order). May be called again to continue a run past its end.
 */
enum sim_run_status sim_run(struct sim *sim, const struct sim_run_params *params);

/* From inside a handler: finish this event, then stop the run. */
void sim_stop(struct sim *sim);

/* ---- errors inside models ---- */

/*
 * A model reached an impossible state: prints the message with the simulated time, the number of
 * the event being handled, the entity (name, kind, id and its dump) and file:line, then aborts.
 */
#define sim_bug(sim, ent, ...) sim__bug(__FILE__, __LINE__, (sim), (ent), __VA_ARGS__)
noreturn void sim__bug(const char *file, int line, const struct sim *sim, const struct sim_entity *ent,
		       const char *fmt, ...) G_GNUC_PRINTF(5, 6);

/* A cheap invariant, checked in every build (also with NDEBUG). */
#define SIM_ASSERT(sim, x)                                                             \
	do {                                                                           \
		if (G_UNLIKELY(!(x)))                                                  \
			sim__bug(__FILE__, __LINE__, (sim), NULL, "assertion failed: %s", #x); \
	} while (0)

#endif /* SIM_SIM_H */
