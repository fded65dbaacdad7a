/* SPDX-License-Identifier: MIT */
/*
 * wl-int.h - what the workload kinds share, private to workloads/: named draw streams with their
 *            digest, service-demand distributions, the per-workload meter (operations and latency,
 *            reset at warm-up), task creation, finding the VM's devices, and the kinds the registry
 *            lists.
 * Role: every kind draws through a wl_stream (so rng_digest covers every value it drew), meters
 *       through a wl_meter, and reads its `service` object through wl_service; no kind repeats
 *       any of this. Implemented in common.c.
 * Units: sim_time_t (ps) unless a name says cycles.
 */
#ifndef WORKLOADS_WL_INT_H
#define WORKLOADS_WL_INT_H

#include "sim/sim.h"
#include "workloads/workload.h"

GQuark wl_error_quark(void);
#define WL_ERROR (wl_error_quark())

/* ---- named draw streams ---- */

/*
 * One named stream "vm:<vm>/wl:<index>/<purpose>" seeded from the run's master seed, and the
 * fnv1a64 of every value drawn from it (the double's bits, little-endian bytes, in draw order).
 */
struct wl_stream {
	sim_rng_t rng;
	uint64_t digest;
	uint64_t draws;
};
/* Seeds `s`; purpose is a printf format ("arrivals", "client:%u/think"). */
void wl_stream_init(struct wl_stream *s, const struct wl_env *env, const char *purpose_fmt, ...) G_GNUC_PRINTF(3, 4);
/* Adds a drawn value to the digest and returns it. */
double wl_stream_keep(struct wl_stream *s, double value);
/* An exponential draw of the given mean (> 0), kept. */
double wl_stream_exp(struct wl_stream *s, double mean);
/* A draw in ps rounded to a sim_time_t. */
sim_time_t wl_stream_exp_time(struct wl_stream *s, sim_time_t mean);
/*
 * Folds stream s into an accumulated digest (start from 0): fnv1a64 over the streams' digests in
 * the order the caller folds them (a fixed order: each kind folds its streams by purpose and
 * index, never by draw time). Streams that drew nothing add nothing, so all-silent stays 0.
 */
uint64_t wl_digest_fold(uint64_t acc, const struct wl_stream *s);

/* ---- service demands (the `service` object of open-poisson and closed-loop) ---- */

enum wl_dist { WL_DIST_EXP, WL_DIST_DET, WL_DIST_LOGNORMAL, WL_DIST_PARETO };
/* "exp", "det", "lognormal", "pareto" (the `dist` key's choices); false for anything else. */
bool wl_dist_parse(const char *name, enum wl_dist *out);

struct wl_service {
	enum wl_dist dist;
	double mean_cycles;
	double cv;        /* lognormal: sd / mean */
	double alpha;     /* pareto shape */
	double lo_cycles; /* pareto lower bound, chosen so that the mean is mean_cycles */
	double hi_cycles; /* pareto upper bound (`max`) */
};
extern const struct param wl_service_fields[];
/* The `service` row of a kind's table (one definition for every kind that serves requests). */
#define WL_PARAM_SERVICE                                                                                 \
	{                                                                                                \
		.name = "service", .type = PARAM_OBJECT, .def = "{}", .fields = wl_service_fields,      \
		.doc = "CPU demand of one request (drawn per request)",                                  \
	}
/* The `memory_bound` row: the share of compute cycles that are memory-bound. */
#define WL_PARAM_MEMORY_BOUND                                                                            \
	{                                                                                                \
		.name = "memory_bound", .type = PARAM_NUMBER, .def = "0", .min = 0, .max = 1,            \
		.doc = "share of the compute that is memory-bound (slowed by remote memory)",            \
	}

/* Reads a resolved `service` object; false with an error (`where` names it) for a pareto whose
 * max does not exceed its mean. */
bool wl_service_init(struct wl_service *s, const cJSON *obj, uint64_t khz, const char *where, GError **error);
/* The same from values (cpu's flat keys): mean and max in cycles; `where` is the JSON Pointer of the
 * object holding them ("" for the workload object itself). Solves the Pareto bound. */
bool wl_service_set(struct wl_service *s, enum wl_dist dist, double mean_cycles, double cv, double alpha,
		    double hi_cycles, const char *where, GError **error);
/* One demand in cycles (at least 1); det draws nothing. */
uint64_t wl_service_draw(const struct wl_service *s, struct wl_stream *st);
/* Mean of the bounded Pareto(alpha) on [lo, hi]. */
double wl_pareto_mean(double alpha, double lo, double hi);
/* The lower bound lo in (0, mean) that gives a bounded Pareto(alpha) on [lo, hi] the mean `mean`
 * (mean < hi); bisection, bit-reproducible (sim_pow/sim_log). */
double wl_pareto_lo(double alpha, double hi, double mean);

/* ---- the meter: operations and their latency, reset at warm-up ---- */

/*
 * Operations, their latency and, optionally, the operations each task took part in (wl_stats'
 * tasks / task_ops: the runner's per-task `ops`). A kind that attributes operations registers each
 * task once (wl_meter_task) and records with its slot.
 */
struct wl_meter {
	struct sim_counter ops;
	struct sim_hist latency;      /* ps */
	struct sim_reset_hook reset;  /* zeroes task_ops at the warm-up */
	struct gos_task **tasks;      /* registered tasks, in registration order */
	uint64_t *task_ops;           /* operations attributed to tasks[i] since the warm-up */
	uint32_t ntasks, cap;
};
/* Initialises and tracks the meter for the warm-up reset (the meter must outlive the run). */
void wl_meter_init(struct wl_meter *m, struct sim *sim);
void wl_meter_record(struct wl_meter *m, sim_time_t latency);
/* Registers task t for attribution; returns its slot (0, 1, ... in registration order). */
uint32_t wl_meter_task(struct wl_meter *m, struct gos_task *t);
/* An operation completed by the task in `slot`: counted for the workload and for the task. */
void wl_meter_record_task(struct wl_meter *m, uint32_t slot, sim_time_t latency);
/* n operations the task in `slot` took part in without completing them (a messaging sender's
 * messages): counted for the task only. */
void wl_meter_count_task(struct wl_meter *m, uint32_t slot, uint64_t n);
/* Fills ops, latency, rng_digest and the per-task arrays (borrowed from the meter). */
void wl_meter_stats(const struct wl_meter *m, uint64_t digest, struct wl_stats *out);
void wl_meter_clear(struct wl_meter *m);

/* ---- skewed choices: the YCSB zipfian generator ---- */

/*
 * Gray et al., "Quickly generating billion-record synthetic databases" (SIGMOD 1994), as YCSB's
 * ZipfianGenerator implements it: ranks 0..n-1, rank 0 the most popular, P(rank k) ~ 1/(k+1)^theta
 * (ranks 0 and 1 exact, the rest by Gray's approximation). One uniform draw per value, kept in the
 * stream. zeta(n, theta) is summed once, O(n) (sim_pow, so the same bits everywhere), and extended
 * incrementally when n grows (inserts).
 */
struct wl_zipf {
	double theta, alpha, zeta2, zetan, eta;
	double rank1;                 /* 1 + 2^-theta: below it (times zetan) a draw is rank 0 or 1 */
	uint64_t n;                   /* the item count zetan and eta are for */
};
/* theta in [0, 1): 0 is uniform; YCSB's default is 0.99. n >= 1. */
void wl_zipf_init(struct wl_zipf *z, uint64_t n, double theta);
/* A rank in [0, n) for the current item count n (>= the count at init; a larger n extends zeta). */
uint64_t wl_zipf_next(struct wl_zipf *z, struct wl_stream *st, uint64_t n);
/* zeta(n, theta) = sum over i = 1..n of 1 / i^theta (the normaliser: P(rank 0) = 1 / zeta). */
double wl_zeta(uint64_t n, double theta);

/* ---- tasks ---- */

/* Whether the VM has room for `more` tasks (WL_MAX_TASKS_PER_VM); else an error naming `kind`. */
bool wl_tasks_room(const struct wl_env *env, const char *kind, uint64_t more, GError **error);

/* A task of this workload named "wl<index>.<role>-<i>" ("wl0.worker-3"), runnable at time now;
   NULL with an error past WL_MAX_TASKS_PER_VM. */
struct gos_task *wl_task_new(const struct wl_env *env, const char *role, uint32_t i, int nice,
			     const struct gos_program *program, void *arg, GError **error);

/* ---- devices ---- */

struct io_net;
/* The VM's network adapter `name`; NULL with an error naming `kind` and the VM's adapters. */
struct io_net *wl_net_find(const struct wl_env *env, const char *kind, const char *name, GError **error);
struct io_disk;
/* The VM's disk `name`; NULL with an error naming `kind` and the VM's disks. */
struct io_disk *wl_disk_find(const struct wl_env *env, const char *kind, const char *name, GError **error);

/* ---- the kinds (kinds.c lists them) ---- */

extern const struct wl_kind wl_kind_cpu;
extern const struct wl_kind wl_kind_open_poisson;
extern const struct wl_kind wl_kind_closed_loop;
extern const struct wl_kind wl_kind_locks;
extern const struct wl_kind wl_kind_messaging;
extern const struct wl_kind wl_kind_storage;
extern const struct wl_kind wl_kind_net_stream;
extern const struct wl_kind wl_kind_net_rr;
extern const struct wl_kind wl_kind_kv;
extern const struct wl_kind wl_kind_rtapp;

#endif /* WORKLOADS_WL_INT_H */
