/* SPDX-License-Identifier: MIT */
/*
 * hw.h - the physical machine: sockets -> NUMA nodes -> cores -> SMT threads (LPs), and the
 *        progress of compute work on LPs.
 * Role: the bottom of the model stack. The hypervisor decides what occupies an LP and in which
 *       category its time counts; whoever runs compute work on an LP (a guest on a VP, or a
 *       bare-metal kernel) attaches a struct hw_work and is told when it is done.
 * Progress: work is a number of cycles. On an LP it progresses at
 *       rate = khz x smt x mem, with smt = smt_factor when another thread of the core is busy
 *       (its category is not idle), else 1, and mem = 1 / ((1 - m) + m * d / 10), m the work's
 *       memory-bound share and d the mean SLIT distance from the LP's node to the nodes holding
 *       the work's memory (10 = local). Whenever a rate or a placement changes, progress is settled
 *       (work done so far subtracted) and the completion timer re-armed: exact for
 *       piecewise-constant rates (docs/design.md "Execution model").
 * Accounting: every LP is in exactly one category at every instant; per-LP totals therefore add
 *       up to LPs x (now - window start), in integer picoseconds.
 * Simplifies: all threads of a core share one smt_factor whatever their number; hypervisor and root
 *       costs are fixed times, not work subject to SMT or NUMA.
 */
#ifndef MODELS_HW_HW_H
#define MODELS_HW_HW_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

/* What an LP's time is spent on. Order matters only for reports. */
enum hw_cat {
	HW_CAT_GUEST,      /* a guest VP runs guest code (or a bare-metal kernel runs) */
	HW_CAT_HYPERVISOR, /* exits, hypercalls, intercepts handled in the hypervisor, VP switches */
	HW_CAT_ROOT,       /* a root-partition VP runs */
	HW_CAT_SPIN,       /* guest code spinning on a lock (no progress) */
	HW_CAT_IDLE,       /* nothing runs */
	HW_NCAT,
};
const char *hw_cat_name(enum hw_cat c);

#define HW_MAX_NODES 64
#define HW_MAX_LPS 65536

struct hw_config {
	uint32_t sockets;           /* (default 1) */
	uint32_t nodes_per_socket;  /* NUMA nodes per socket (default 1) */
	uint32_t cores_per_node;    /* (default 8) */
	uint32_t threads_per_core;  /* SMT threads (default 2) */
	uint64_t khz;               /* nominal frequency of every LP (default 3,000,000 = 3 GHz) */
	const uint64_t *lp_khz;     /* optional: per-LP frequency, nlps entries (borrowed, copied) */
	double smt_factor;          /* speed of a thread while a sibling is busy (default 0.65) */
	uint64_t memory_per_node;   /* bytes (default 64 GiB) */
	const uint32_t *distance;   /* optional nodes x nodes SLIT matrix, row-major: 10 on the diagonal,
				       11..254 elsewhere (default 10 / 20) */
};
void hw_config_default(struct hw_config *c);

struct hw_host;
struct hw_lp;
struct hw_work;

struct hw_work_ops {
	/* done: the work's cycles are all executed; it is already detached from its LP. */
	void (*done)(struct hw_work *w);
};

/* Compute work. Owned by its caller; the fields marked private belong to hw. */
struct hw_work {
	const struct hw_work_ops *ops;
	double cycles;           /* remaining cycles (settled whenever the rate changes) */
	double mem_share;        /* share of the time that is memory-bound, 0..1 */
	const double *mem_frac;  /* share of the memory on each node (nnodes); NULL: local to the LP */
	double remote_ps;        /* time it ran slowed by remote memory: elapsed x (1 - 1 / slowdown),
				    accumulated over its life (the owner snapshots it for a warm-up) */
	/* private */
	struct hw_lp *lp;
	double rate;             /* cycles per ps on lp */
	double slow;             /* its NUMA slowdown on lp (hw_numa_slowdown) */
	sim_time_t since;
};

struct hw_lp {
	struct sim_entity ent;   /* "lp:N" */
	struct hw_host *host;
	uint32_t id, core, node, socket;
	uint32_t first_thread;   /* LP id of thread 0 of this core; threads are consecutive */
	uint32_t nthreads;
	uint64_t khz;
	char name[16];
	/* accounting */
	enum hw_cat cat;
	sim_time_t cat_since;
	sim_time_t acc[HW_NCAT];
	/* execution */
	struct hw_work *work;    /* work running here, or NULL */
	sim_timer_t done_timer;
};

/*
 * Builds the host (registers one entity per LP with sim). NULL with an error for bad config.
 * The sim keeps pointers into the host (entities, the warm-up hook): free the host after the run,
 * never while the sim may still run.
 */
struct hw_host *hw_host_new(struct sim *sim, const struct hw_config *cfg, GError **error);
void hw_host_free(struct hw_host *host);

uint32_t hw_nlps(const struct hw_host *h);
uint32_t hw_ncores(const struct hw_host *h);
uint32_t hw_nnodes(const struct hw_host *h);
struct hw_lp *hw_lp_at(const struct hw_host *h, uint32_t id);
uint32_t hw_distance(const struct hw_host *h, uint32_t from, uint32_t to);
uint64_t hw_memory_per_node(const struct hw_host *h);
double hw_smt_factor(const struct hw_host *h);
struct sim *hw_sim(const struct hw_host *h);
/* Is another thread of lp's core busy (not idle)? */
bool hw_lp_sibling_busy(const struct hw_lp *lp);

/*
 * The time multiplier NUMA imposes on work with memory-bound share m whose memory is spread as
 * frac over the nodes (NULL: all local) when it runs on `node`: (1 - m) + m * d / 10 with
 * d = sum_k frac[k] * distance(node, k).
 */
double hw_numa_slowdown(const struct hw_host *h, uint32_t node, double mem_share, const double *frac);
/* w's remote-memory time up to `now`: remote_ps plus, while it runs, the part not settled yet. */
double hw_work_remote_ps(const struct hw_work *w, sim_time_t now);

/* Puts the LP in category c from now on (settles the siblings' work if its busy state changes). */
void hw_lp_set_cat(struct hw_lp *lp, enum hw_cat c);

/* Starts (or resumes) work w on lp; lp must have no work attached and w must not run elsewhere. */
void hw_lp_run(struct hw_lp *lp, struct hw_work *w);
/* Settles and detaches the work running on lp (if any) and returns it. */
struct hw_work *hw_lp_stop(struct hw_lp *lp);

/* Accounting: the LP's time per category since the window start, up to now (sums are exact). */
sim_time_t hw_lp_time(const struct hw_lp *lp, enum hw_cat c);
/* Start of the current accounting window (0, or the warm-up time). */
sim_time_t hw_window_start(const struct hw_host *h);

#endif /* MODELS_HW_HW_H */
