/* SPDX-License-Identifier: MIT */
/*
 * hv.h - the hypervisor: partitions (the root and guests), their virtual processors (VPs),
 *        the VP scheduler (a policy chosen by name), crossings and their costs, counters.
 * Role: sits on models/hw and under the guests; guests use only vhw.h. The scenario loader,
 *       reports and tests use this header to build a host, read counters and trigger run-time
 *       actions (hot-add, weight/reserve/limit changes, start/stop).
 * Policies (docs/hypervisor.md): "classic" (Hyper-V fair share with reserve/limit/weight, soft
 *       affinity, NUMA-aware), "core" (classic where a core runs one partition at a time),
 *       "cfs" (a KVM host: vCPU threads under a Linux-like fair scheduler) and "none" (bare
 *       metal: one LP per guest CPU, nothing preempts it, every crossing costs nothing).
 */
#ifndef MODELS_HYPERVISOR_HV_H
#define MODELS_HYPERVISOR_HV_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/hw/hw.h"
#include "models/hypervisor/costs.h"
#include "models/hypervisor/vhw.h"

struct hv;
struct hv_partition;
struct hv_vp;

struct hv_config {
	const char *policy;           /* "classic" (default), "core", "cfs", "none" */
	sim_time_t timeslice;         /* classic/core VP quantum (10 ms [R], REFERENCE 1.2) */
	sim_time_t period;            /* reserve/limit enforcement period (100 ms [R], REFERENCE 1.2) */
	bool soft_affinity;           /* prefer the LP a VP last ran on (default true) */
	sim_time_t affinity_slack;    /* a VP waiting elsewhere is taken only when it lags by more (20 ms) */
	bool numa_spanning;           /* VMs may take memory from and run on several nodes (default true) */
	sim_time_t numa_slack;        /* extra lag before a VP runs off its home node (50 ms) */
	/* cfs (KVM host): Linux CFS defaults on >= 8 CPUs (REFERENCE 1.5) */
	sim_time_t cfs_latency;       /* 24 ms = 6 ms x (1 + log2 8) */
	sim_time_t cfs_min_granularity; /* 3 ms = 0.75 ms x 4 */
	sim_time_t cfs_wakeup_granularity; /* 4 ms = 1 ms x 4 */
	sim_time_t cfs_balance_interval;   /* periodic load balance (4 ms [R]) */
	/*
	 * Does the hypervisor publish each vCPU's steal clock and "preempted" flag to its guests?
	 * -1 (default) = as the platform does: yes under cfs (KVM's steal-time page), no under
	 * classic/core (Hyper-V exposes neither to Linux guests; REFERENCE 4.4), never under none.
	 */
	int steal_clock;
	/*
	 * Spinning guests (REFERENCE 3.2): pause-loop exiting. "off" (default), "intel" (PLE: an exit
	 * after ple_window cycles of a PAUSE loop whose PAUSEs are at most ple_gap cycles apart; the
	 * window doubles at each PLE exit up to ple_window_max and returns to ple_window when the VP
	 * is dispatched again, as KVM does) or "amd" (pause filter: an exit after pause_filter_count
	 * PAUSEs at most pause_filter_thresh cycles apart). The loop's PAUSE spacing is the guest's
	 * (vhw_spin_pause). The exit yields the LP, to a preempted VP of the same partition when
	 * directed_yield (KVM's kvm_vcpu_on_spin).
	 */
	const char *ple;
	uint32_t ple_window, ple_window_max, ple_gap;    /* 4096, 4096 x 2^10, 128 cycles */
	uint32_t pause_filter_count, pause_filter_thresh; /* 3000 PAUSEs, 128 cycles */
	bool directed_yield;          /* (default true) */
	/*
	 * Relaxed co-scheduling (VMware style): a VP that has run more than coschedule_skew beyond
	 * the slowest runnable VP of its partition is co-stopped until that one catches up to half
	 * the skew; halted VPs do not hold the others back. 0 (default) = off; VMware-like: 3 ms [R].
	 */
	sim_time_t coschedule_skew;
	uint32_t root_vcpus;          /* root VPs, pinned 1:1 to LPs 0..n-1; 0 = one per LP */
	uint32_t root_weight;         /* (default 100) */
	/* Dynamic memory (dynmem.c, docs/memory.md): the host's balancing loop and hot-add speed. */
	sim_time_t dm_interval;       /* how often targets are recomputed (1 s [R], REFERENCE 6) */
	sim_time_t dm_hot_add_latency; /* one 128 MiB hot-add chunk, then the guest is told (10 ms [R]) */
	struct hv_costs costs;        /* overrides: hv_costs_set(&cfg.costs, name, value) */
};
void hv_config_default(struct hv_config *c);

/*
 * Where a partition's memory lives (docs/hypervisor.md, "NUMA memory placement"). The nodes a
 * partition "may use" are those with an LP in its hard affinity (all nodes without one); with
 * numa_spanning off, its home node only, so every policy then puts all memory on the home node.
 */
enum hv_mem_placement {
	HV_MEM_NODE,       /* on the home node; if it does not fit (spanning on), the nearest nodes next (default) */
	HV_MEM_INTERLEAVE, /* evenly over the nodes it may use */
	HV_MEM_FOLLOW,     /* over the nodes in proportion to its VPs' expected LPs (hv.c, mem_follow) */
};
const char *hv_mem_placement_name(enum hv_mem_placement m); /* "node", "interleave", "follow" */

/*
 * Hyper-V Dynamic Memory settings of a partition (REFERENCE 6; docs/memory.md). Startup memory is
 * hv_partition_config.memory: placed at creation like any partition's, then grown by hot-add and
 * shrunk by the guest's balloon between minimum and maximum.
 */
struct hv_dynamic_memory {
	bool enabled;                 /* (default false) */
	uint64_t minimum, maximum;    /* bytes; minimum <= memory <= maximum (0: = memory) */
	uint32_t buffer_pct;          /* target = demand x (1 + buffer/100) (20 [M]) */
	uint32_t weight;              /* memory weight 1..10000 under host shortage (5000 [M]) */
};

struct hv_partition_config {
	const char *name;             /* unique, e.g. "web" or "web-2" */
	uint32_t vcpus;               /* >= 1 */
	uint32_t weight;              /* relative weight 1..10000 (default 100) */
	double reserve;               /* % of one LP guaranteed to each VP, 0..100 (default 0) */
	double limit;                 /* % of one LP each VP may use, 0 < limit <= 100 (default 100) */
	uint64_t memory;              /* bytes (default 1 GiB) */
	int32_t numa_node;            /* home node; -1 = placed by the hypervisor (default) */
	const uint32_t *affinity;     /* LPs the VPs may run on (hard affinity), NULL = all */
	uint32_t naffinity;
	double mem_share;             /* memory-bound share of the VM's compute work, 0..1 (default 0) */
	enum hv_mem_placement memory_placement; /* (default HV_MEM_NODE) */
	/*
	 * Virtual NUMA nodes exposed to the guest (its numa_nodes; 0 or 1 = none): the vCPUs split
	 * evenly, VP i in virtual node i / (vcpus / n); each node's share of the memory (memory / n)
	 * lies on one host node chosen by memory_placement, and its VPs prefer that node's LPs
	 * (docs/memory.md "Virtual NUMA"). Not with dynamic memory (one virtual node, REFERENCE 6).
	 */
	uint32_t vnuma_nodes;
	bool start;                   /* running from time 0 (default true); else a "start" action */
	struct hv_dynamic_memory dynamic_memory;
};
void hv_partition_config_default(struct hv_partition_config *c);

/*
 * The guest kernel of a partition. vcpu_added is called for every VP (at hv_partition_add and
 * for each hot-added one) so the kernel can attach its per-vCPU state with vhw_set_guest.
 */
struct vhw_partition_ops {
	void (*vcpu_added)(void *kernel, struct vhw_cpu *c);
	/* Dynamic memory (may be NULL): the guest now has `assigned` bytes (a hot-add chunk is
	   online, or a balloon completed). */
	void (*memory_changed)(void *kernel, uint64_t assigned);
	/* Dynamic memory (may be NULL: the memory returns at once): give `bytes` (2 MiB units) back
	   with the balloon; the guest answers with vhw_memory_balloon_done. */
	void (*balloon)(void *kernel, uint64_t bytes);
};

struct hv *hv_new(struct hw_host *host, const struct hv_config *cfg, GError **error);
void hv_free(struct hv *hv);

/* Creates a guest partition; its kernel gets vcpu_added for each VP. NULL with an error. */
struct hv_partition *hv_partition_add(struct hv *hv, const struct hv_partition_config *cfg,
				      const struct vhw_partition_ops *ops, void *kernel, GError **error);

/* ---- run-time actions (also reachable from the timeline: hv_action_schedule) ---- */
bool hv_partition_hot_add(struct hv_partition *p, uint32_t n, GError **error);
bool hv_partition_set_weight(struct hv_partition *p, uint32_t weight, GError **error);
bool hv_partition_set_reserve(struct hv_partition *p, double reserve, GError **error);
bool hv_partition_set_limit(struct hv_partition *p, double limit, GError **error);
void hv_partition_start(struct hv_partition *p);
void hv_partition_stop(struct hv_partition *p);

enum hv_action_kind { HV_ACT_HOT_ADD, HV_ACT_SET_WEIGHT, HV_ACT_SET_RESERVE, HV_ACT_SET_LIMIT,
		      HV_ACT_START, HV_ACT_STOP };
struct hv_action {
	sim_time_t at;
	enum hv_action_kind kind;
	struct hv_partition *partition;
	double value;                 /* VPs to add, weight, reserve % or limit % */
};
/* Checks the action now (false with an error) and carries it out at its time. */
bool hv_action_schedule(struct hv *hv, const struct hv_action *a, GError **error);

/* ---- the root partition: built-in server of work forwarded by intercepts and devices ---- */

/* Runs `cycles` of root work on the root VP nearest LP `near`, then calls done(arg). */
void hv_root_submit(struct hv *hv, uint32_t near, uint64_t cycles, void (*done)(void *arg), void *arg);
struct hv_partition *hv_root(const struct hv *hv); /* NULL under `none` */
/* The LP near which partition p's worker process (its emulated devices) runs in the root: every
   register access forwarded to user mode and every emulated device's work is served there, in
   order, by one root VP (a VM's device emulation is serial; REFERENCE 5.4). */
uint32_t hv_partition_worker_lp(const struct hv_partition *p);

/* ---- counters (named after Hyper-V's "Hyper-V Hypervisor Virtual Processor" set) ---- */
struct hv_counters {
	sim_time_t guest_run;         /* LP time running the VP's own code (guest or root code, spin included) */
	sim_time_t spin;              /* of which spinning */
	sim_time_t hypervisor_run;    /* LP time in the hypervisor on its behalf (exits, switches) */
	sim_time_t wait;              /* time ready but not running (CPU wait time; the steal clock) */
	uint64_t dispatches, preemptions, migrations, exits, interrupts;
	uint64_t ple_exits;           /* pause-loop exits (also counted as intercepts of kind pause) */
	uint64_t yields;              /* exits that gave the LP away (PLE, pause, long spin wait, yield) */
	uint64_t directed_yields;     /* of which handed the LP to a preempted VP of the same partition */
	uint64_t costops;             /* co-stopped by relaxed co-scheduling */
	uint64_t hypercalls[VHW_NHYPERCALLS];
	uint64_t intercepts[VHW_NINTERCEPTS];
};
/* Total run time = guest_run + hypervisor_run; CPU wait time per dispatch = wait / dispatches. */
void hv_vp_counters(const struct hv_vp *vp, struct hv_counters *out);    /* up to now */
void hv_partition_counters(const struct hv_partition *p, struct hv_counters *out); /* sum of VPs */

struct hv_lp_counters {
	uint64_t dispatches, preemptions;
	sim_time_t hypervisor_run, guest_run, root_run, spin, idle; /* = the LP's hw categories */
};
void hv_lp_counters(const struct hv *hv, uint32_t lp, struct hv_lp_counters *out);

/* ---- dynamic memory (dynmem.c) ---- */
struct hv_dm_stats {
	bool enabled;
	uint64_t assigned;            /* bytes the guest has now */
	uint64_t demand;              /* its last pressure report (0 before the first) */
	double assigned_mean;         /* time-weighted since the warm-up */
	uint64_t hot_adds;            /* hot-add chunks completed */
	uint64_t balloon_ops;         /* balloon requests completed */
	uint64_t balloon_bytes;       /* bytes they returned to the host */
};
void hv_partition_dm_stats(const struct hv_partition *p, struct hv_dm_stats *out);
uint64_t hv_memory_total(const struct hv *hv);    /* the host's memory: the sum of its nodes' */
uint64_t hv_memory_assigned(const struct hv *hv); /* held by partitions (in-flight hot-adds too) */
/* Called after every change of a partition's memory (tests check invariants there). One per hv. */
void hv_memory_on_change(struct hv *hv, void (*fn)(void *arg, struct hv_partition *p), void *arg);

/* ---- inspection ---- */
const char *hv_policy_name(const struct hv *hv);
bool hv_bare_metal(const struct hv *hv);
bool hv_steal_clock(const struct hv *hv);      /* steal clock and preempted flag published */
struct hw_host *hv_host(const struct hv *hv);
const struct hv_costs *hv_costs(const struct hv *hv);
uint32_t hv_npartitions(const struct hv *hv);            /* the root first, if any */
struct hv_partition *hv_partition_at(const struct hv *hv, uint32_t i);
struct hv_partition *hv_partition_find(const struct hv *hv, const char *name);
const char *hv_partition_name(const struct hv_partition *p);
uint32_t hv_partition_nvps(const struct hv_partition *p);
struct hv_vp *hv_partition_vp(const struct hv_partition *p, uint32_t i);
uint32_t hv_partition_home_node(const struct hv_partition *p);
const double *hv_partition_mem_frac(const struct hv_partition *p); /* share of memory per node */
uint32_t hv_partition_vnodes(const struct hv_partition *p);        /* virtual NUMA nodes (1: none) */
/* The host node holding virtual node v's memory, and that memory's share per host node (nnodes). */
uint32_t hv_partition_vnode_host(const struct hv_partition *p, uint32_t v);
const double *hv_partition_vnode_mem_frac(const struct hv_partition *p, uint32_t v);
uint32_t hv_vp_home_node(const struct hv_vp *vp);                  /* the node whose LPs it prefers */
double hv_partition_mem_share(const struct hv_partition *p);       /* memory-bound share of its work */
enum hv_vp_state { HV_VP_OFF, HV_VP_BLOCKED, HV_VP_READY, HV_VP_RUNNING };
enum hv_vp_state hv_vp_state(const struct hv_vp *vp);
int32_t hv_vp_lp(const struct hv_vp *vp);                /* LP it runs on, -1 when not running */
struct vhw_cpu *hv_vp_cpu(struct hv_vp *vp);
struct hv_partition *hv_vp_partition(const struct hv_vp *vp);
/* The VP currently on an LP (running or entering/leaving the hypervisor), or NULL. */
struct hv_vp *hv_lp_current(const struct hv *hv, uint32_t lp);

#endif /* MODELS_HYPERVISOR_HV_H */
