/* SPDX-License-Identifier: MIT */
/*
 * hv-int.h - the hypervisor's private structures, shared by hv.c (mechanism: dispatch, exits,
 *            interrupts, accounting), root.c and the scheduler policies (sched_*.c).
 * Role: the split follows Linux's sched_class: hv.c decides *when* an LP reschedules and does the
 *       switching; a policy (struct hv_sched_ops) decides *which* ready VP runs and for how long.
 *       Nothing outside models/hypervisor includes this file.
 */
#ifndef MODELS_HYPERVISOR_HV_INT_H
#define MODELS_HYPERVISOR_HV_INT_H

#include "models/hypervisor/hv.h"
#include "sim/pq.h"

/* What a running VP is doing. */
enum hv_mode {
	HV_MODE_SWITCH, /* being switched in (vp_switch cost) */
	HV_MODE_GUEST,  /* executing its own code */
	HV_MODE_EXIT,   /* in the hypervisor on its behalf */
};

/* What happens when the current exit's cost has been paid. */
enum hv_after { HV_AFTER_RESUME, HV_AFTER_HALT, HV_AFTER_ROOT, HV_AFTER_YIELD };

/* Why a VP becomes ready (policies place and preempt differently). */
enum hv_why { HV_WHY_START, HV_WHY_WAKE, HV_WHY_PREEMPT, HV_WHY_YIELD, HV_WHY_UNTHROTTLE };

struct hv_vp {
	struct vhw_cpu cpu;             /* the guest's view; first, so vhw_cpu -> hv_vp is a cast */
	struct sim_entity ent;          /* "vm:NAME/vp:N": its exit and synthetic-timer events */
	struct hv *hv;
	struct hv_partition *part;
	const struct vhw_guest_ops *gops;
	char name[64];
	char label[64];                 /* "web/vp1": its slices on LP tracks (trace) */
	const char *traced_state;       /* the state slice open on its vCPU track ("ready", "halted"), or NULL */

	enum hv_vp_state state;
	enum hv_mode mode;              /* while RUNNING */
	enum hv_after after;            /* while in an exit */
	struct hv_lp *lp;               /* while RUNNING */
	int32_t last_lp;                /* where it last ran (-1: never) */
	uint32_t home_node;             /* the node it prefers: its virtual node's host node, else the partition's */
	int32_t pinned_lp;              /* root VPs and `none`: the only LP it may use, else -1 */
	bool spinning;
	uint32_t pause_cycles;          /* the guest's spin loop: cycles between PAUSEs (vhw_spin_pause) */
	uint64_t ple_window;            /* intel: the current window (cycles), KVM's grow/reset */
	sim_timer_t ple_timer;          /* the PAUSE loop is long enough for an exit */
	bool root_wait;                 /* blocked until the root has handled its intercept */
	bool irq_wake;                  /* woken from halt by an interrupt: its entry costs interrupt_delivery */
	uint64_t root_cycles;           /* root work of the intercept being forwarded */
	bool root_worker;               /* the root work is the worker process's (served near the partition's worker LP) */
	struct hv_vp *ipi_target;       /* IPI delivered when the current exit ends */
	unsigned ipi_vector;
	uint64_t pending[4];            /* pending interrupt vectors (bitmap of 256) */
	sim_timer_t exit_timer;         /* end of the hypervisor interval being paid */
	sim_timer_t stimer;             /* the synthetic timer (vhw_timer_arm) */

	/* scheduling (policies own the meaning of vruntime and rq_node) */
	struct sim_pq_node rq_node;
	struct sim_pq *rq;               /* queue it is in, or NULL */
	uint64_t vruntime;              /* weighted run time: ps x 100 / weight */
	uint32_t rq_class;              /* 0 = reserve deficit, 1 = normal (classic/core) */
	sim_time_t run_start;           /* last charge while running */
	sim_time_t ready_since;
	sim_time_t used;                /* run time in the current enforcement period */
	bool throttled;                 /* out of limit budget until the next period */
	GList throttle_link;            /* in hv->throttled */
	bool costop;                    /* co-stopped: ahead of its siblings by more than the skew */
	GList costop_link;              /* in hv->costopped while ready */

	/* accounting */
	sim_time_t mode_since;
	struct hv_counters c;
	sim_time_t steal_carry;         /* CPU wait before the last warm-up reset (steal clock) */
};

struct hv_partition {
	struct hv *hv;
	char *name;
	uint32_t index;
	bool is_root;
	bool running;
	bool start_at_run;              /* start when the run starts */
	uint32_t weight;
	double reserve, limit;          /* percent of one LP per VP */
	uint64_t memory;
	uint32_t home_node;
	double *mem_frac;               /* nnodes */
	uint32_t nvnodes;               /* virtual NUMA nodes (1: none) */
	uint32_t vcpus_per_vnode;       /* VP i is in virtual node min(i / this, nvnodes - 1) */
	uint32_t *vnode_host;           /* nvnodes: the host node holding each virtual node's memory */
	double *vnode_frac;             /* nvnodes x nnodes: each virtual node's memory per host node */
	double mem_share;
	uint64_t *affinity;             /* LP bitmap, or NULL = any */
	GPtrArray *vps;                 /* struct hv_vp *, owned */
	uint32_t last_boosted;          /* directed yield starts its search after this VP */
	uint32_t steal_track;           /* trace: its steal counter (root: unused) */
	struct {                        /* its backing-hint window (backing.c) */
		sim_time_t at;          /* start of the window */
		double *busy;           /* per partition index: run + wait time at `at` (ps) */
		uint32_t n;
		uint32_t last;          /* the last answer */
		struct sim_reset_hook reset; /* the counters restart at the warm-up: so does the window */
	} backing;
	const struct vhw_partition_ops *ops;
	void *kernel;
	struct hv_dm *dm;               /* dynamic memory state (dynmem.c), NULL when off */
};

struct hv_lp {
	struct sim_entity ent;          /* "hv/lp:N": slice end and reschedule events */
	struct hv *hv;
	struct hw_lp *hw;
	uint32_t id;
	char name[24];
	struct hv_vp *cur;              /* on the LP (any mode), or NULL when idle */
	struct hv_vp *last;             /* the VP whose state is loaded (no switch cost to resume it) */
	struct hv_vp *yield_to;         /* directed yield: run this VP next if it is still ready */
	bool need_resched;
	sim_timer_t slice_timer;
	sim_timer_t kick_timer;         /* zero-delay reschedule request */
	struct sim_pq rq;                /* the policy's ready queue for this LP */
	uint64_t dispatches, preemptions;
	uint32_t track;                 /* trace: which VP runs here ("host", "lp:N") */
};

struct hv_sched_ops {
	const char *name;
	/* Sets up policy state (hv->policy_data); checks the configuration. */
	bool (*init)(struct hv *hv, GError **error);
	void (*fini)(struct hv *hv);
	/* Checks a partition's parameters against what the policy supports. */
	bool (*check_partition)(struct hv *hv, const struct hv_partition *p, GError **error);
	/* vp became READY: queue it and kick or preempt LPs as the policy likes. */
	void (*enqueue)(struct hv *hv, struct hv_vp *vp, enum hv_why why);
	/* Takes a READY vp out of its queue (partition stop, throttling). */
	void (*dequeue)(struct hv *hv, struct hv_vp *vp);
	/* The next VP for lp, taken out of its queue, or NULL (the LP idles). prev, when not NULL,
	 * has just been queued again and is a candidate like any other. */
	struct hv_vp *(*pick)(struct hv *hv, struct hv_lp *lp, struct hv_vp *prev);
	/* How long vp may run on lp from now before lp reschedules (SIM_TIME_MAX: unbounded). */
	sim_time_t (*slice)(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
	/* vp ran `ran` ps more (guest + hypervisor time). */
	void (*charge)(struct hv *hv, struct hv_vp *vp, sim_time_t ran);
	/* A partition's weight or reserve changed: re-key its queued VPs. May be NULL. */
	void (*reweight)(struct hv *hv, struct hv_partition *p);
	/* An enforcement period started (budgets refilled). May be NULL. */
	void (*period)(struct hv *hv);
};

struct hv {
	struct sim_entity ent;          /* "hv": enforcement periods and timeline actions */
	struct sim *sim;
	struct hw_host *host;
	struct hv_config cfg;
	const struct hv_sched_ops *sched;
	void *policy_data;
	bool bare_metal;
	bool steal_clock;               /* steal clock and preempted flag published to guests */
	uint32_t nlps, nnodes;
	struct hv_lp *lps;
	GPtrArray *parts;               /* struct hv_partition *, owned; the root first */
	struct hv_partition *root;
	uint64_t *node_memory_used;     /* bytes per node */
	bool *lp_taken;                 /* `none`: LPs given to a guest CPU */
	sim_timer_t period_timer;
	GQueue throttled;               /* VPs out of budget until the next period */
	GQueue costopped;               /* ready VPs held back by relaxed co-scheduling (costop.c) */
	sim_timer_t costop_timer;
	uint64_t min_vruntime;          /* monotone floor for waking VPs (classic/core) */
	struct sim_reset_hook reset_hook;
	bool started;                   /* the run has started */
	GPtrArray *actions;             /* struct hv_action *, owned: the timeline */
	uint32_t ready_track;           /* trace: the count of ready VPs ("host", "runnable VPs") */
	int64_t ready_traced;           /* the count last emitted (-1: none) */
	void *root_data;                /* root.c */
	struct {                        /* dynamic memory's balancing loop (dynmem.c) */
		struct sim_entity ent;  /* "hv/dm", added with the first partition using it */
		sim_timer_t timer;
		bool added;
		void (*on_change)(void *arg, struct hv_partition *p);
		void *on_change_arg;
	} dm;
};

/* ---- relaxed co-scheduling (costop.c) ---- */
/* Every skew/4: co-stop VPs that lead their partition's slowest runnable VP by more than the
   skew, co-start them when it has caught up to half the skew. */
void hv_costop_check(struct hv *hv);
/* A ready VP that is co-stopped is parked instead of queued; true if it was. */
bool hv_costop_park(struct hv *hv, struct hv_vp *vp);
void hv_costop_forget(struct hv *hv, struct hv_vp *vp); /* it stops being ready */

/* ---- mechanism services for the policies (hv.c) ---- */

/* Asks lp to reschedule as soon as its current VP is back in guest mode (zero-delay event). */
void hv_lp_kick(struct hv_lp *lp);
/* Is the VP allowed on this LP (pinning, affinity, NUMA spanning)? */
bool hv_vp_allowed(const struct hv *hv, const struct hv_vp *vp, const struct hv_lp *lp);
/* Reserve (guaranteed) time the VP has left in the current period; 0 when none. */
sim_time_t hv_vp_reserve_left(const struct hv *hv, const struct hv_vp *vp);
/* Is the VP in its reserve share of the current period? */
static inline bool hv_vp_reserve_deficit(const struct hv *hv, const struct hv_vp *vp)
{
	return hv_vp_reserve_left(hv, vp) > 0;
}
/* Enforcement-period budget left under the partition's limit (SIM_TIME_MAX when unlimited). */
sim_time_t hv_vp_budget_left(const struct hv *hv, const struct hv_vp *vp);
/* Real time t in vp's weighted units: t x 100 / weight (classic's run time, CFS's vruntime). */
static inline uint64_t hv_weighted(const struct hv_vp *vp, sim_time_t t)
{
	return (uint64_t)(((unsigned __int128)t * 100) / vp->part->weight);
}
/* Adds hv_weighted(vp, ran) to vp->vruntime. */
void hv_vp_advance_vruntime(struct hv_vp *vp, sim_time_t ran);
/* The first idle LP that vp may use, trying `first` first, then its node, then the others. */
struct hv_lp *hv_find_idle_lp(struct hv *hv, const struct hv_vp *vp, int32_t first);
/* vp.c: the execution mechanism */
void hv_vp_raise(struct hv_vp *vp, unsigned vector);
void hv_vp_start(struct hv_vp *vp);
void hv_vp_stop(struct hv_vp *vp);
void hv_period_start(struct hv *hv);
void hv_vp_timers_init(struct hv_vp *vp);
void hv_lp_timers_init(struct hv_lp *lp);
extern const struct sim_entity_ops hv_vp_ops, hv_lp_ops;

static inline struct hv_vp *hv_vp_of(struct vhw_cpu *c) { return (struct hv_vp *)(void *)c; }

/* dynmem.c: checks before a partition exists, state after its startup memory is placed */
bool hv_dm_check(struct hv *hv, const struct hv_partition_config *cfg, GError **error);
void hv_dm_attach(struct hv_partition *p, const struct hv_dynamic_memory *cfg);
void hv_dm_free(struct hv_partition *p);
void hv_dm_reset(struct hv_partition *p, sim_time_t now); /* the warm-up */

/* root.c */
bool hv_root_init(struct hv *hv, GError **error);
void hv_root_fini(struct hv *hv);

/* sched_classic.c, shared with the core policy */
void hv_classic_queue(struct hv *hv, struct hv_vp *vp, enum hv_why why);
void hv_classic_dequeue(struct hv *hv, struct hv_vp *vp);
void hv_classic_wake_lp(struct hv *hv, struct hv_vp *vp);
struct hv_vp *hv_classic_peek_where(struct hv *hv, const struct hv_lp *lp,
				    bool (*ok)(const struct hv_vp *, const void *), const void *arg, uint64_t *k0,
				    uint64_t *k1);
struct hv_vp *hv_classic_pick_where(struct hv *hv, struct hv_lp *lp, bool (*ok)(const struct hv_vp *, const void *),
				    const void *arg);
sim_time_t hv_classic_slice(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp);
void hv_classic_charge(struct hv *hv, struct hv_vp *vp, sim_time_t ran);
void hv_classic_reweight(struct hv *hv, struct hv_partition *p);
void hv_classic_period(struct hv *hv);

/* The policies, found by name. */
extern const struct hv_sched_ops hv_sched_classic, hv_sched_core, hv_sched_cfs, hv_sched_none;
const struct hv_sched_ops *hv_sched_find(const char *name);

#endif /* MODELS_HYPERVISOR_HV_INT_H */
