/* SPDX-License-Identifier: MIT */
/*
 * stats.h - statistics models keep while a run goes: counters, time-weighted gauges, histograms.
 * Role: the raw material of every reported metric. Plain structs embedded in their owner; no
 *       allocation on the record path except a histogram's first value in a new octave.
 * Warm-up: a statistic tracked with sim_track_*() is reset by the engine when the warm-up ends,
 *       so reported values cover [warmup, end) only.
 * Histogram: log-linear (HdrHistogram-style). Values below 128 are exact; each power-of-two range
 *       [2^k, 2^(k+1)), k >= 7, is cut into 64 equal sub-buckets of width 2^(k-6). A percentile is
 *       the midpoint of the sub-bucket holding the nearest-rank value, clamped to [min, max], so its
 *       relative error is at most 2^(k-7) / 2^k = 1/128 (0.78%) - inside the promised 1%.
 * See: tests/unit/sim/test_stats.c
 */
#ifndef SIM_STATS_H
#define SIM_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

struct sim;

/* A count of things that happened. */
struct sim_counter {
	uint64_t n;
};
static inline void sim_counter_add(struct sim_counter *c, uint64_t k) { c->n += k; }
static inline void sim_counter_inc(struct sim_counter *c) { c->n++; }

/*
 * A value that holds between changes (queue length, busy CPUs); its mean is weighted by time.
 * area accumulates value * duration in value-picoseconds.
 */
struct sim_gauge {
	double value;     /* current value */
	double area;      /* integral of value over [start, since) */
	double min, max;  /* extremes of value since start */
	sim_time_t start; /* beginning of the observation window */
	sim_time_t since; /* time of the last change */
};
void sim_gauge_init(struct sim_gauge *g, sim_time_t now, double value);
void sim_gauge_set(struct sim_gauge *g, sim_time_t now, double value);
static inline void sim_gauge_add(struct sim_gauge *g, sim_time_t now, double delta) { sim_gauge_set(g, now, g->value + delta); }
/* Time-weighted mean over [start, now]; the current value when no time has passed. */
double sim_gauge_mean(const struct sim_gauge *g, sim_time_t now);
/* Starts a new window at now, keeping the current value. */
void sim_gauge_reset(struct sim_gauge *g, sim_time_t now);

#define SIM_HIST_SUB_BITS 6                       /* 64 sub-buckets per octave */
#define SIM_HIST_EXACT (1u << (SIM_HIST_SUB_BITS + 1)) /* values below 128 are exact */

/* A distribution of non-negative integer values (latencies in ns, sizes in bytes ...). */
struct sim_hist {
	uint64_t *counts; /* owned; ncounts slots, grown on demand */
	uint32_t ncounts;
	uint64_t total;   /* number of values */
	uint64_t min, max;
	double sum;       /* for the mean */
};
void sim_hist_init(struct sim_hist *h);
void sim_hist_clear(struct sim_hist *h); /* frees the counts */
void sim_hist_reset(struct sim_hist *h); /* forgets the values, keeps the memory */
void sim_hist_record(struct sim_hist *h, uint64_t value);
void sim_hist_record_n(struct sim_hist *h, uint64_t value, uint64_t count);
/* Adds src's values into dst (same bucket layout always, so the merge is exact). */
void sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src);
/*
 * p in [0, 100]: the nearest-rank percentile, rank ceil(p/100 * total) (at least 1) with p first
 * rounded to 1e-9 of a percent, so that 99.9% of 1000 values is rank 999 and not 1000 through
 * binary rounding. Rank 1 is the exact minimum and rank `total` the exact maximum; other ranks the
 * midpoint of their slot. 0 when empty (min and max also read 0 then).
 */
double sim_hist_percentile(const struct sim_hist *h, double p);
double sim_hist_mean(const struct sim_hist *h);
static inline uint64_t sim_hist_count(const struct sim_hist *h) { return h->total; }

/*
 * Bucket arithmetic, exposed for tests: slot of a value, and the [lo, hi] values a slot holds
 * (slots run from 0 to SIM_HIST_SLOTS - 1).
 */
#define SIM_HIST_SLOTS (SIM_HIST_EXACT + (64 - SIM_HIST_SUB_BITS - 1) * (1u << SIM_HIST_SUB_BITS))
uint32_t sim_hist_slot(uint64_t value);
void sim_hist_slot_range(uint32_t slot, uint64_t *lo, uint64_t *hi);

/*
 * Track a statistic for the warm-up reset. The statistic must live as long as the run.
 * Tracking the same object twice is a bug.
 */
void sim_track_counter(struct sim *sim, struct sim_counter *c);
void sim_track_gauge(struct sim *sim, struct sim_gauge *g);
void sim_track_hist(struct sim *sim, struct sim_hist *h);

/*
 * Any other state a model resets at warm-up (e.g. per-LP time accounting): embed a hook and
 * track it; reset(hook, now) runs at warm-up, after the tracked statistics, in tracking order.
 */
struct sim_reset_hook {
	void (*reset)(struct sim_reset_hook *hook, sim_time_t now);
};
void sim_track_reset(struct sim *sim, struct sim_reset_hook *hook);

#endif /* SIM_STATS_H */
