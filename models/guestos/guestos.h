/* SPDX-License-Identifier: MIT */
/*
 * guestos.h - the guest kernel: tasks running operation programs, per-vCPU runqueues under a
 *             Linux-like fair scheduler with load balancing, idle/halt (and halt-poll), the
 *             timer tick, steal time, IPIs and TLB shootdown.
 * Role: one gos_kernel per partition; it drives its vCPUs only through vhw.h, so the same kernel
 *       runs in a VM and on bare metal (the `none` hypervisor). Workloads create tasks and give
 *       each a program (struct gos_program) that hands out operations one at a time; they never
 *       see runqueues or vCPUs. docs/guestos.md describes the model, its defaults and what it
 *       simplifies.
 * Time: tasks see the guest's clock: wall time minus the steal the hypervisor publishes (none
 *       under Hyper-V by default), as Linux's rq->clock_task does with paravirt steal accounting.
 */
#ifndef MODELS_GUESTOS_GUESTOS_H
#define MODELS_GUESTOS_GUESTOS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "models/hypervisor/hv.h"
#include "sim/stats.h"

struct gos_kernel;
struct gos_task;

/* Guest kernel costs, X(id, name, default ns, source); executed as kernel work on the vCPU. */
#define GOS_COSTS(X)                                                                                  \
	X(CONTEXT_SWITCH, "context_switch", 2000, "R: lmbench lat_ctx class (REFERENCE 2.5, 8)")        \
	X(SYSCALL, "syscall", 300, "R: entry/exit of a scheduling syscall (futex, nanosleep, yield)")   \
	X(IRQ, "irq", 500, "R: interrupt entry/exit and the handler of a reschedule IPI")               \
	X(TICK, "tick", 1500, "R: scheduler_tick, accounting and timer softirq")                        \
	X(TLB_FLUSH, "tlb_flush", 1000, "R: a local TLB flush and the shootdown handler")               \
	X(MIGRATION, "migration", 10000, "R: cache refill of a migrated task (REFERENCE 8: half a vCPU switch refill)") \
	X(LOCK, "lock", 20, "R: an uncontended atomic read-modify-write (take or release a lock)")                \
	X(LOCK_HANDOFF, "lock_handoff", 100, "R: the lock's cache line moving to the next owner") \
	X(PAGE_FAULT, "page_fault", 2000, "R: a major page fault's handling, the swap read aside (docs/memory.md)")
enum gos_cost {
#define X(id, name, def, src) GOS_COST_##id,
	GOS_COSTS(X)
#undef X
	GOS_NCOSTS
};
const char *gos_cost_name(enum gos_cost k);
const char *gos_cost_source(enum gos_cost k);
/* Sets a cost by name (ns); false when there is no such cost. */
bool gos_cost_set(uint64_t ns[GOS_NCOSTS], const char *name, uint64_t value);

/* How a task's TLB shootdown reaches the other vCPUs (REFERENCE 2.3). */
enum gos_tlb_flush {
	GOS_TLB_AUTO,      /* as Linux picks: hypercall under Hyper-V (classic, core), pv under KVM
			      (cfs) when the preempted flag is published, else ipi (and on bare metal) */
	GOS_TLB_IPI,       /* native: an IPI per target, wait for every acknowledgement */
	GOS_TLB_PV,        /* KVM PV flush: skip preempted vCPUs (they flush on entry), IPI the rest */
	GOS_TLB_HYPERCALL, /* Hyper-V HvFlushVirtualAddressSpace: no wait for descheduled VPs */
};
const char *gos_tlb_flush_name(enum gos_tlb_flush f);
bool gos_tlb_flush_parse(const char *s, enum gos_tlb_flush *out);

/* Paravirt CPUs (REFERENCE 4, docs/paravirt.md): how a VM honours "use fewer vCPUs". */
enum gos_pv_method {
	GOS_PV_NONE,        /* every vCPU is used */
	GOS_PV_CAPACITY,    /* paravirt vCPUs get a low capacity: the balancer drains them, placement avoids them */
	GOS_PV_BALANCER,    /* "load-balancer": no placement on them, they never pull, others pull from them */
	GOS_PV_PUSH,        /* the balancer method plus pushing the running task off at the tick (a stopper) */
	GOS_PV_OFFLINE,     /* hot-unplug: serial operations of hotplug_latency; affinity broken */
};
/* Where the count of vCPUs to use comes from. */
enum gos_pv_hint {
	GOS_PV_STATIC,      /* `count` */
	GOS_PV_SCHEDULE,    /* a timeline of counts */
	GOS_PV_STEAL,       /* the guest's governor: visible steal over `interval` vs high/low thresholds */
	GOS_PV_HYPERVISOR,  /* the hypervisor's backing hint (vhw_backing_hint), read every `interval` */
};
const char *gos_pv_method_name(enum gos_pv_method m);
bool gos_pv_method_parse(const char *s, enum gos_pv_method *out);
const char *gos_pv_hint_name(enum gos_pv_hint h);
bool gos_pv_hint_parse(const char *s, enum gos_pv_hint *out);

struct gos_pv_step {
	sim_time_t at;                /* from the start of the run */
	uint32_t count;               /* vCPUs to use from then on (0: all) */
};

struct gos_paravirt {
	enum gos_pv_method method;    /* (none) */
	enum gos_pv_hint hint;        /* (static) */
	uint32_t count;               /* static: vCPUs to use, the lowest-numbered (0: all) */
	const struct gos_pv_step *schedule; /* schedule: steps in time order (borrowed) */
	uint32_t nschedule;
	sim_time_t interval;          /* steal, hypervisor: how often the governor decides (1 s, steal_monitor [S]) */
	uint32_t high, low;           /* steal: thresholds in % x 100 (500, 200: steal_monitor [S]) */
	uint32_t capacity;            /* capacity method: a paravirt vCPU's capacity of 1024 (64 [R]) */
	sim_time_t hotplug_latency;   /* offline: one vCPU's offline or online operation (100 ms [R]; ~20 s
					 on large LPARs, REFERENCE 4.2) */
};

/* Dynamic memory, the guest side (hv_balloon; REFERENCE 6, docs/memory.md). */
struct gos_memory_config {
	uint64_t base;                /* the kernel's own committed memory, bytes (256 MiB [R]) */
	sim_time_t report_delay;      /* first pressure report after boot (45 s, pressure_report_delay [S]);
					 then one every second [S] */
	uint64_t balloon_ns_per_2mib; /* balloon driver work on vCPU 0 per 2 MiB returned (20 us [R]) */
	uint32_t page_touch_rate;     /* paging: pages a compute op touches per ms (100 [R]) */
	sim_time_t swap_latency;      /* paging without a swap device: a fault's read (80 us [R]) */
};

struct gos_config {
	uint32_t hz;                  /* timer tick frequency (250) */
	bool tickless;                /* NO_HZ_IDLE: an idle vCPU stops its tick (default true) */
	sim_time_t halt_poll;         /* idle polling before HLT, guest haltpoll (0 = off; Linux's
					 guest_halt_poll_ns is 200 us); only under a hypervisor */
	uint32_t threads_per_core;    /* guest-visible SMT siblings (1) */
	uint32_t numa_nodes;          /* guest-visible NUMA nodes, vCPUs split evenly (1) */
	sim_time_t base_slice;        /* 0: 0.7 ms x (1 + log2(min(vcpus, 8))) (EEVDF, REFERENCE 8) */
	sim_time_t wakeup_granularity; /* 0: 1 ms x (1 + log2(min(vcpus, 8))) (CFS) */
	sim_time_t migration_cost;    /* a task that ran more recently is cache hot (500 us, fair.c) */
	uint32_t busy_factor;         /* balance interval multiplier on busy vCPUs (16) */
	enum gos_tlb_flush tlb_flush; /* (auto) */
	int spinlock;                 /* enum gos_lock_kind of the kernel's spinlocks (lock.h; qspinlock) */
	uint32_t spin_pause_cycles;   /* cycles per spin-loop iteration (PAUSE + re-read; 40 [R]) */
	uint32_t pv_spin_threshold;   /* pv-qspinlock: iterations before halting (1 << 15, SPIN_THRESHOLD [S]) */
	uint32_t long_spin_threshold; /* hyperv: iterations before HvCallNotifyLongSpinWait (2047 [S]) */
	struct gos_paravirt paravirt;
	struct gos_memory_config memory;
	uint64_t cost_ns[GOS_NCOSTS]; /* gos_config_default fills the table above */
};
void gos_config_default(struct gos_config *c);

/* ---- operations: what a task does, handed out one at a time by its program ---- */

enum gos_op_kind {
	GOS_OP_COMPUTE,        /* execute `cycles`, a share mem_share of it memory-bound */
	GOS_OP_SLEEP,          /* sleep `duration` (a timer on the vCPU wakes the task) */
	GOS_OP_BLOCK,          /* block until woken (a wake received before is not lost) */
	GOS_OP_WAKE,           /* wake `task` */
	GOS_OP_YIELD,          /* give the vCPU to the next runnable task, if any */
	GOS_OP_EXIT,           /* the task ends */
	GOS_OP_TLB_SHOOTDOWN,  /* flush this address space's TLB on every vCPU running it */
	GOS_OP_CALL,           /* an operation implemented elsewhere (locks, I/O): `cls` */
};

struct gos_op;
/*
 * An operation class implemented outside the scheduler (locks, I/O). start() runs in the task's
 * context on its vCPU; it ends the operation with gos_op_done(t) now or later, or blocks the task
 * with gos_op_block(t) until gos_task_wake(t), which ends it. Otherwise the task stays inside the
 * operation on its vCPU, and resume() runs each time it goes on there (after start, after
 * gos_op_notify, when a spin budget is used up, after a halt or a hypercall): it ends the
 * operation, blocks, or asks for gos_op_spin, gos_op_halt or gos_op_hypercall. Without resume()
 * the task spins until gos_op_done.
 */
struct gos_op_class {
	const char *name;
	void (*start)(struct gos_task *t, const struct gos_op *op);
	void (*resume)(struct gos_task *t);
	bool preempt_off;             /* the task is not preempted inside this operation (spin_lock) */
};

struct gos_op {
	enum gos_op_kind kind;
	uint64_t cycles;              /* COMPUTE (0 counts as 1) */
	double mem_share;             /* COMPUTE: 0..1 */
	sim_time_t duration;          /* SLEEP */
	struct gos_task *task;        /* WAKE */
	const struct gos_op_class *cls; /* CALL */
	void *arg;                    /* CALL */
};

/* A workload's task body: next() fills the task's next operation (called in task context). */
struct gos_program {
	void (*next)(struct gos_task *t, void *arg, struct gos_op *op);
};

struct gos_task_config {
	const char *name;             /* e.g. "worker-3" (copied) */
	int nice;                     /* -20..19 (0) */
	const uint32_t *affinity;     /* vCPUs the task may run on; NULL = all */
	uint32_t naffinity;
	int32_t cpu;                  /* first vCPU; -1 (default) = the least loaded allowed */
	uint32_t mm;                  /* address space: shootdowns target vCPUs running it (0) */
	sim_time_t start;             /* when it becomes runnable (0) */
	const struct gos_program *program;
	void *arg;
};
void gos_task_config_default(struct gos_task_config *c);

/* Creates the partition (hv_partition_add) with this kernel on it. NULL with an error. */
struct gos_kernel *gos_new(struct hv *hv, const struct hv_partition_config *part, const struct gos_config *cfg,
			   GError **error);
/* After the run (the sim keeps reset hooks and timers of the kernel). */
void gos_free(struct gos_kernel *k);
struct hv_partition *gos_partition(const struct gos_kernel *k);
uint32_t gos_ncpus(const struct gos_kernel *k);
const struct gos_config *gos_config(const struct gos_kernel *k);

struct gos_task *gos_task_new(struct gos_kernel *k, const struct gos_task_config *cfg, GError **error);
uint32_t gos_ntasks(const struct gos_kernel *k);
struct gos_task *gos_task_at(const struct gos_kernel *k, uint32_t i);
const char *gos_task_name(const struct gos_task *t);
uint32_t gos_task_id(const struct gos_task *t);
int32_t gos_task_cpu(const struct gos_task *t);  /* vCPU it runs or is queued on, or last ran on */
bool gos_task_exited(const struct gos_task *t);

/* Wakes a blocked task (or records the wake for its next BLOCK); from any context. */
void gos_task_wake(struct gos_task *t);
/* For operation classes (GOS_OP_CALL): end the current operation / block inside it. */
void gos_op_done(struct gos_task *t);
void gos_op_block(struct gos_task *t);
/* From resume(): spin (on-CPU, no progress) until the operation's on-CPU spin time reaches `until`
   (SIM_TIME_MAX: until gos_op_notify). Time the vCPU is descheduled does not count. */
void gos_op_spin(struct gos_task *t, sim_time_t until);
/* From resume(): halt the vCPU (pv_wait) until an interrupt (a gos_op_kick, a tick...). */
void gos_op_halt(struct gos_task *t);
/* From resume(): make a hypercall (e.g. VHW_HC_LONG_SPIN_WAIT); resume() runs when it returns. */
void gos_op_hypercall(struct gos_task *t, enum vhw_hypercall kind);
/* From resume(): an intercept (a device register access: io_port, mmio); resume() runs after it. */
void gos_op_intercept(struct gos_task *t, enum vhw_intercept kind);
/* From resume(): `cycles` of kernel work on t's vCPU (a driver's submit path, a copy); resume() runs after it. */
void gos_op_work(struct gos_task *t, double cycles);
/* From resume(): block inside the operation (a full socket buffer); gos_op_continue(t), from any
   context, makes it runnable again and resume() then runs (gos_task_wake would end the operation). */
void gos_op_wait(struct gos_task *t);
void gos_op_continue(struct gos_task *t);
/* From anywhere: the operation's condition may have changed; resume() runs soon if t spins. */
void gos_op_notify(struct gos_task *t);
/* From the running context: kick t's vCPU out of a gos_op_halt (an IPI, an exit on the sender). */
void gos_op_kick(struct gos_task *t);
/* The argument of t's current operation (op.arg), for operation classes. */
void *gos_task_op_arg(const struct gos_task *t);
/* On-CPU spin time of t in its current operation. */
sim_time_t gos_op_spun(const struct gos_task *t);
/* A spinlock held: the task is not preempted while the count is positive. */
void gos_task_preempt_disable(struct gos_task *t);
void gos_task_preempt_enable(struct gos_task *t);
/* The truth about t's vCPU, for metrics (lock-holder preemption): its VP's steal so far. */
sim_time_t gos_task_cpu_true_steal(const struct gos_task *t);
/* Is t current on a vCPU that executes guest code right now (metrics, TAS winners)? */
bool gos_task_on_cpu(const struct gos_task *t);
/* The kernel a task belongs to and the simulation (for op classes and workloads). */
struct gos_kernel *gos_task_kernel(const struct gos_task *t);
struct sim *gos_sim(const struct gos_kernel *k);

/* ---- device interrupts (drivers) ---- */

/*
 * A driver's interrupt handler for `vector` (not the kernel's own: timer, reschedule, call). It
 * runs in the interrupted vCPU's context, after the irq entry cost; it may add kernel work
 * (gos_irq_work) and wake tasks. Vectors 0x30..0xdf are free for drivers.
 */
typedef void (*gos_irq_fn)(struct gos_kernel *k, uint32_t cpu, void *arg);
bool gos_irq_register(struct gos_kernel *k, unsigned vector, gos_irq_fn fn, void *arg);
/* Registers fn on the first free vector from 0x40; returns it, or 0 when none is left. */
unsigned gos_irq_register_any(struct gos_kernel *k, gos_irq_fn fn, void *arg);
/* Kernel work of `cycles` on vCPU `cpu` (from its interrupt handler or its tasks' operations). */
void gos_irq_work(struct gos_kernel *k, uint32_t cpu, double cycles);
/* From an interrupt handler: `n` register accesses (intercepts of `kind`) the vCPU makes before it
   goes on (an emulated device's status read and acknowledgement in its ISR). */
void gos_irq_intercepts(struct gos_kernel *k, uint32_t cpu, enum vhw_intercept kind, uint32_t n);
/* From an interrupt handler: run fn on vCPU `cpu` once the register accesses and kernel work queued
   before it are done - a bottom half (NAPI poll, the rest of a handler after its register reads).
   Packets and completions a driver hands over there follow the handler's cost instead of
   preceding it, so a vCPU swamped by interrupts slows its devices down (interrupt livelock). */
void gos_irq_defer(struct gos_kernel *k, uint32_t cpu, gos_irq_fn fn, void *arg);
/* The vhw_cpu of a vCPU (for devices that raise its interrupts). */
struct vhw_cpu *gos_cpu_vhw(const struct gos_kernel *k, uint32_t cpu);

/* ---- metrics (up to now; warm-up resets them) ---- */

struct gos_task_stats {
	sim_time_t run;               /* current on a vCPU whose VP was not stolen (exits included) */
	sim_time_t wait;              /* runnable on a guest runqueue, not current */
	sim_time_t steal;             /* current on a vCPU whose VP was runnable but not running */
	sim_time_t steal_visible;     /* of which the guest could see (published steal clock) */
	uint64_t migrations;          /* moves between vCPUs */
	uint64_t voluntary_switches;  /* switched out because it slept, blocked or exited */
	uint64_t involuntary_switches; /* switched out while runnable: preempted, or it yielded (as Linux counts) */
	uint64_t ops;                 /* operations completed */
	uint64_t cycles;              /* compute cycles completed */
};
void gos_task_stats(const struct gos_task *t, struct gos_task_stats *out);

struct gos_cpu_stats {
	sim_time_t busy;              /* a task was current */
	sim_time_t idle;              /* no task (halted, polling, or handling interrupts) */
	sim_time_t steal;             /* true steal: the VP was runnable, not running */
	sim_time_t steal_visible;     /* steal the guest saw (0 where the platform hides it) */
	uint64_t context_switches;
	uint64_t migrations_in;       /* tasks moved to this vCPU */
	uint64_t ipis_sent, ipis_received;
	uint64_t ticks;               /* tick handlers run */
	uint64_t timer_interrupts;
	uint64_t halts;               /* HLT executed */
	uint64_t polls, poll_wakeups; /* idle polls started / ended by a task to run (not by the bound) */
	uint64_t balances, balance_pulls; /* load-balance attempts / tasks pulled */
	uint64_t tlb_flushes;         /* shootdown requests handled */
};
void gos_cpu_stats(const struct gos_kernel *k, uint32_t cpu, struct gos_cpu_stats *out);

/* Paravirt CPUs: the vCPUs in use now (the preferred ones, or those online), and what happened. */
struct gos_pv_stats {
	uint32_t in_use;              /* now */
	double in_use_mean;           /* time-weighted since the warm-up */
	uint64_t changes;             /* decisions that changed the count */
	uint64_t pushes;              /* running tasks pushed off (push; the balancer's active balance) */
	uint64_t evacuated;           /* tasks moved off vCPUs taken out of use (offline) */
	uint64_t affinity_broken;     /* offline: tasks whose affinity was widened to the online vCPUs */
};
void gos_pv_stats(const struct gos_kernel *k, struct gos_pv_stats *out);
/* Called on each change of the vCPUs in use (t: guest wall time; for time series). One per kernel. */
void gos_pv_on_change(struct gos_kernel *k, void (*fn)(void *arg, sim_time_t t, uint32_t in_use), void *arg);

/* Dynamic memory: the memory the guest has now (its startup memory without dynamic memory) and
   its demand (base + the working sets of its workloads). */
void gos_memory(const struct gos_kernel *k, uint64_t *assigned, uint64_t *demand);
/* A workload's working set joins the kernel's demand (bytes; before or during the run). */
void gos_add_working_set(struct gos_kernel *k, uint64_t bytes);
/* A workload's working set changes from `from` to `to` bytes (it keeps its own current value; the
   kernel's demand is the sum). Also declares one (paging may happen) when both are 0. */
void gos_change_working_set(struct gos_kernel *k, uint64_t from, uint64_t to);
/* A working set that follows steps: `size` bytes from `at` (from the start of the run) until the
   next step, 0 before the first. Steps in increasing time order (copied); those due now apply at
   once, the others when due (a timer entity "vm:NAME/wset:I"). */
struct gos_ws_step {
	sim_time_t at;
	uint64_t size;
};
void gos_working_set_schedule(struct gos_kernel *k, const struct gos_ws_step *steps, uint32_t n);
/* Called on each change of the assigned memory or the demand (t: time; for time series). One per kernel. */
void gos_memory_on_change(struct gos_kernel *k, void (*fn)(void *arg, sim_time_t t, uint64_t assigned, uint64_t demand),
			  void *arg);

/* Paging (docs/memory.md "Paging"): once a workload declared a working set and the demand exceeds
   the assigned memory, compute ops take major faults, each reading a page from the swap device.
   fill_op(ctx, t, op) fills the op that reads one GOS_PAGE_BYTES page for task t (e.g. a
   gos_op_disk on the VM's disk); without a swap device a fault sleeps swap_latency. One per kernel. */
enum { GOS_PAGE_BYTES = 4096 };
void gos_set_swap(struct gos_kernel *k, void (*fill_op)(void *ctx, struct gos_task *t, struct gos_op *op), void *ctx);
struct gos_paging_stats {
	uint64_t page_faults;         /* major faults taken (since the warm-up) */
	uint64_t paging_bytes;        /* read from swap: page_faults x GOS_PAGE_BYTES */
};
void gos_paging_stats(const struct gos_kernel *k, struct gos_paging_stats *out);
/* Has a workload declared a working set (paging can happen; the runner reports its metrics)? */
bool gos_paging_possible(const struct gos_kernel *k);

struct gos_kernel_stats {
	uint64_t shootdowns;          /* completed */
	uint64_t shootdown_targets;   /* vCPUs asked (IPIs or hypercall targets) */
	uint64_t shootdown_skipped;   /* targets deferred without waiting (pv: preempted) */
	const struct sim_hist *shootdown_latency; /* ps, from the op's start to the last ack */
	double remote_memory_ps;      /* run time its vCPUs lost to remote memory (hw_work remote_ps) */
};
void gos_kernel_stats(const struct gos_kernel *k, struct gos_kernel_stats *out);
/* The TLB flush method in effect (auto resolved). */
enum gos_tlb_flush gos_tlb_flush_mode(const struct gos_kernel *k);

#endif /* MODELS_GUESTOS_GUESTOS_H */
