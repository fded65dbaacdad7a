/* SPDX-License-Identifier: MIT */
/*
 * sim-int.h - objects private to sim/: the event queue and the run. Include only from sim/ sources
 * (and from tests of sim/, which check the queue against a reference model).
 * See: sim/evq.c for the queue's design and docs/design.md "Event queue".
 */
#ifndef SIM_SIM_INT_H
#define SIM_SIM_INT_H

#include <glib.h>

#include "sim/sim.h"

/* Where a pending event sits (struct sim_event.tier); 0 means idle. */
enum {
	SIM__TIER_IDLE = 0,
	SIM__TIER_HEAP = 1, /* the sorted bottom: a 4-ary heap */
	SIM__TIER_RUNG = 2, /* a bucket of the rung; qidx is its index inside that bucket */
	SIM__TIER_TOP = 3,  /* the unsorted far future */
};

/* struct sim_event.flags */
enum {
	SIM__EV_POOLED = 1, /* fire-and-forget: back to the slab after dispatch */
};

/* A growable array of event pointers (a rung bucket, or the top). */
struct sim__evbuf {
	struct sim_event **v;
	uint32_t n, cap;
};

/*
 * The event queue: a ladder queue with one rung (Tang, Goh & Thng, ACM TOMACS 2005, simplified).
 * Invariant (partition by time): every event in the heap is earlier than heap_limit; every event in
 * bucket i of the rung lies in [rung_start + i*W, rung_start + (i+1)*W) with W = 2^shift and
 * i >= cur; every event in the top is at or after rung_end; heap_limit <= rung_start + cur*W.
 * Hence the heap's root, when the heap is not empty, is the earliest pending event.
 */
struct sim_evq {
	struct sim_event **heap; /* 4-ary min-heap by (time, seq) */
	uint32_t heap_n, heap_cap;
	sim_time_t heap_limit; /* SIM_TIME_MAX: unbounded, the queue is a plain heap */

	struct sim__evbuf *bkt; /* rung buckets [0, nb); the ones below cur are empty */
	uint32_t nb, cur, bkt_cap;
	unsigned shift; /* bucket width is 2^shift ps */
	sim_time_t rung_start, rung_end;

	struct sim__evbuf top;     /* events at or after rung_end, unsorted */
	sim_time_t top_min, top_max; /* bounds of the top's times (may be loose after cancels) */

	uint64_t next_seq;
	size_t size;
	struct sim_evq_tuning tune;
	/* measurements, for docs and benchmarks */
	uint64_t rebuilds, spills;
};

void sim__evq_init(struct sim_evq *q);
void sim__evq_clear(struct sim_evq *q);
/* Inserts ev (time set by the caller, tier idle); gives it the next seq. */
void sim__evq_push(struct sim_evq *q, struct sim_event *ev);
/* Removes a pending ev. */
void sim__evq_remove(struct sim_evq *q, struct sim_event *ev);
/* Removes and returns the earliest event if it is earlier than limit; NULL otherwise. */
struct sim_event *sim__evq_pop_before(struct sim_evq *q, sim_time_t limit);
/* Checks every invariant above; returns false and describes the first broken one in *why. */
bool sim__evq_check(const struct sim_evq *q, const char **why);

/* The run. */
struct sim {
	struct sim_trace_head th;     /* first: sim_tracing() (trace.h) reads it inline */
	struct sim_evq q;
	sim_time_t now;
	uint64_t events;
	uint64_t digest;
	uint64_t seed;
	bool stop_requested;
	bool warmup_done;
	bool running;

	GPtrArray *entities; /* struct sim_entity *, id order, borrowed */
	uint32_t started;    /* entities [0, started) have had ops->start */

	struct sim_event *free_list; /* slab of fire-and-forget events */
	GPtrArray *slab_chunks;      /* owned chunks of SIM__SLAB_CHUNK events */

	GPtrArray *counters, *gauges, *hists; /* tracked for the warm-up reset, borrowed */
	GPtrArray *reset_hooks;               /* struct sim_reset_hook *, borrowed */

	GPtrArray *track_groups, *track_names; /* owned strings, index = track id */
	uint64_t flow_ids;                     /* the last flow id handed out */

	/* the event being handled, for sim_bug (copies: a slab event is recycled before its handler runs) */
	const struct sim_entity *cur_target; /* NULL outside handlers */
	uint64_t cur_seq;
	unsigned cur_kind;
};

#define SIM__SLAB_CHUNK 4096u

#endif /* SIM_SIM_INT_H */
