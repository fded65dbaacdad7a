/* SPDX-License-Identifier: MIT */
/*
 * gos-int.h - private to models/guestos: the kernel's, vCPUs' and tasks' state, and the
 *             services the parts of the kernel give each other.
 * Parts: kernel.c (vhw entry points, the per-vCPU dispatch loop, idle, tick and timers, IPIs),
 *        fair.c (runqueues, vruntime, picking, wakeup placement and preemption), balance.c
 *        (scheduling domains, periodic/idle/newly-idle/nohz balancing, migration), task.c (tasks
 *        and the operation interpreter), tlb.c (shootdown), stats.c (metrics, warm-up).
 * Context: guest code of a vCPU runs only inside its vhw callbacks (interrupt, run, work done,
 *        poke); k->ctx names that vCPU while it runs, NULL outside (timeline, device models).
 */
#ifndef MODELS_GUESTOS_GOS_INT_H
#define MODELS_GUESTOS_GOS_INT_H

#include "models/guestos/guestos.h"
#include "sim/event.h"
#include "sim/pq.h"

/* Linux's x86 vectors: RESCHEDULE_VECTOR, CALL_FUNCTION_VECTOR (smp_call_function_many). */
enum { GOS_VEC_RESCHED = 0xfd, GOS_VEC_CALL = 0xfc };

enum { GOS_NLEVELS = 3 };           /* scheduling domain levels: SMT, MC (a node), NUMA */
enum { GOS_NICE_0_WEIGHT = 1024 };

enum gos_task_state {
	GOS_T_NEW,                  /* not started yet */
	GOS_T_RUNNABLE,             /* queued on a runqueue */
	GOS_T_RUNNING,              /* current on its vCPU */
	GOS_T_SLEEPING,             /* a timer on cpu wakes it */
	GOS_T_BLOCKED,              /* gos_task_wake wakes it */
	GOS_T_EXITED,
};

enum gos_phase {
	GOS_PH_NEXT,                /* ask the program for the next op */
	GOS_PH_COMPUTE,             /* work holds the op's remaining cycles */
	GOS_PH_SHOOTDOWN,           /* waiting for a shootdown to complete (tlb.c) */
	GOS_PH_CALL,                /* inside an op class's operation */
};

struct gos_cpu;

struct gos_task {
	struct sim_entity ent;      /* start timer */
	struct gos_kernel *k;
	uint32_t id;                /* index in k->tasks */
	char *name;
	char *scope;                /* "vm:web/task:name", the entity's name */
	const struct gos_program *program;
	void *arg;
	uint32_t mm;
	uint32_t weight;            /* from nice (Linux's sched_prio_to_weight) */
	uint64_t *allowed;          /* affinity bitmap over vCPUs; NULL = all */
	uint32_t nallowed_bits;
	enum gos_task_state state;
	enum gos_phase phase;
	struct gos_cpu *cpu;        /* runs or is queued on / sleeps on / last ran on */
	uint64_t vruntime;          /* ps of guest clock x 1024 / weight */
	struct sim_pq_node rq_node; /* k0 = vruntime, id = task id */
	struct sim_pq_node timer_node; /* k0 = sleep expiry (in cpu->timers) */
	struct hw_work work;        /* the compute op in progress */
	double penalty;             /* migration cycles to add to the next compute */
	uint32_t wakes;             /* wakes received while not blocked (for the next BLOCK) */
	struct gos_op op;           /* the current operation */
	sim_time_t op_start;
	sim_time_t op_spun;         /* on-CPU spin time inside the current operation */
	enum { GOS_CALL_NONE, GOS_CALL_SPIN, GOS_CALL_HALT, GOS_CALL_HYPERCALL, GOS_CALL_INTERCEPT, GOS_CALL_WORK } call_next; /* asked by resume() */
	double call_cycles;         /* GOS_CALL_WORK */
	bool op_waiting;            /* blocked by gos_op_wait: a gos_op_continue resumes the operation */
	enum vhw_intercept call_ic; /* GOS_CALL_INTERCEPT */
	sim_time_t call_until;      /* GOS_CALL_SPIN */
	enum vhw_hypercall call_hc; /* GOS_CALL_HYPERCALL */
	uint32_t preempt_off;       /* spinlocks held */
	/* waiting for a lock (lock.c) */
	struct gos_lock *lock_wait;
	GList lock_link;            /* in the lock's waiters */
	sim_time_t lock_asked;      /* when it asked */
	sim_time_t lock_budget;     /* on-CPU spin at which the waiter halts / notifies (pv, hyperv) */
	sim_time_t lock_grant_steal; /* its vCPU's steal when the lock was handed to it */
	bool lock_granted, lock_halted;
	sim_timer_t start_timer;
	/* accounting marks */
	sim_time_t slice_exec;      /* guest-clock run time since it was picked */
	sim_time_t last_ran;        /* when it last stopped being current */
	bool last_ran_valid;        /* it has been current at least once */
	sim_time_t cur_since;       /* became current (wall) */
	sim_time_t true_steal_mark, visible_steal_mark; /* the vCPU's steal when it became current */
	sim_time_t queued_since;
	struct gos_task_stats st;
	/* paging (memory.c), after the hot fields: the faults before the program's compute op,
	   which waits in held_op */
	double pf_carry;            /* expected faults not taken yet (< 1 after each op) */
	uint32_t pf_due;            /* faults still to take before held_op */
	bool pf_held;               /* held_op is the program's op, to start after the faults */
	struct gos_op held_op;
	int32_t mem_node;           /* guest NUMA node holding its memory (first touch; -1: not yet) */
};

/* One pending IPI to send from this vCPU. */
struct gos_ipi {
	uint32_t target;
	unsigned vector;
};

enum gos_idle { GOS_IDLE_NO, GOS_IDLE_POLL, GOS_IDLE_HALT };

struct gos_deferred {
	gos_irq_fn fn;
	void *arg;
};

struct gos_cpu {
	struct sim_entity ent;      /* poke timer */
	struct gos_kernel *k;
	struct vhw_cpu *cpu;
	uint32_t index, core, node;
	char *name;
	bool in_guest;              /* between run() and stop() */
	struct hw_work *attached;   /* the work on the LP while in guest mode */
	/* scheduling (fair.c) */
	struct sim_pq rq;           /* runnable tasks other than curr */
	uint64_t min_vruntime;
	struct gos_task *curr;
	bool need_resched;
	sim_time_t clock_at;        /* wall time of the last clock update */
	sim_time_t steal_seen;      /* published steal at the last clock update */
	/* kernel work (interrupt handlers, switches, syscalls); acks sent when it completes */
	struct hw_work kwork;
	GArray *csd_queue;          /* uint32_t initiator vCPUs whose flush request is queued here */
	GArray *acks;               /* uint32_t initiators to acknowledge after kwork */
	GArray *out;                /* struct gos_ipi to send */
	uint32_t irq_intercepts;    /* register accesses an interrupt handler left to make */
	GArray *deferred;           /* struct gos_deferred: bottom halves, run after the work before them */
	enum vhw_intercept irq_ic;
	/* idle */
	enum gos_idle idle;
	bool is_idle;               /* no task current */
	sim_time_t idle_since;
	struct hw_work poll;
	bool spinning;              /* vhw_spin on (shootdown wait) */
	/* tick and timers */
	bool tick_stopped;
	sim_time_t next_tick;
	struct sim_pq timers;       /* sleeping tasks by expiry */
	/* balancing (balance.c) */
	sim_time_t next_balance[GOS_NLEVELS];
	uint32_t balance_failed[GOS_NLEVELS];
	bool nohz_kick;             /* asked to balance for the idle vCPUs */
	bool pv_push;               /* push the running task off at the next schedule (paravirt.c) */
	/* a shootdown this vCPU initiated (tlb.c) */
	struct {
		bool need_hypercall;
		uint32_t pending;       /* acks still expected */
		GArray *targets;        /* uint32_t, for the hypercall */
	} sd;
	sim_timer_t poke;           /* notice something changed while polling or spinning */
	sim_timer_t spin_timer;     /* a spin budget (on-CPU) is used up */
	sim_time_t spin_since;      /* when the current spin (in guest mode) began */
	sim_time_t busy_since;
	sim_time_t true_steal_base, visible_steal_base; /* the steal clocks at the last warm-up */
	struct gos_cpu_stats st;
	/* trace: what its vCPU track shows (gos_trace_cpu) */
	const char *traced_name;    /* the open slice: the current task's name, "idle", or NULL */
	bool traced_spin;           /* a "spin" slice is open inside it */
};

/* Brings the vCPU's trace track up to date (kernel.c; gos_trace_cpu below tests for a sink first). */
void gos__trace_cpu(struct gos_cpu *c);

struct gos_kernel {
	struct gos_config cfg;
	struct hv *hv;
	struct hv_partition *part;
	struct sim *sim;
	GPtrArray *cpus;            /* struct gos_cpu *, owned */
	GPtrArray *tasks;           /* struct gos_task *, owned */
	struct gos_cpu *ctx;        /* the vCPU whose guest code is running, or NULL */
	GPtrArray *scratch;         /* balance.c's candidate list, reused (no allocation per pass) */
	GPtrArray *locks;           /* struct gos_lock *, owned (lock.c) */
	struct { gos_irq_fn fn; void *arg; } irq[256]; /* drivers' interrupt handlers */
	bool bare_metal;
	enum gos_tlb_flush tlb;     /* resolved */
	sim_time_t tick_period;
	sim_time_t base_slice, wakeup_gran, sleeper_credit;
	sim_time_t cost_ps[GOS_NCOSTS];
	uint32_t cpus_per_node;
	uint32_t nlevels;           /* domain levels in use */
	uint32_t level_kind[GOS_NLEVELS]; /* GOS_LVL_* of each level in use, lowest first */
	sim_time_t nohz_next;       /* earliest time of the next nohz kick */
	struct sim_hist sd_latency;
	uint64_t shootdowns, sd_targets, sd_skipped;
	struct sim_reset_hook reset_hook;
	double remote_base;         /* remote-memory time of its works at the warm-up (stats.c) */
	char *name;
	struct {                    /* paravirt CPUs (paravirt.c) */
		struct sim_entity ent;  /* the governor and the hotplug operations */
		sim_timer_t timer, hotplug;
		uint32_t in_use;        /* vCPUs 0..in_use-1 are used */
		uint32_t target;        /* where the count is going (offline: one operation at a time) */
		uint32_t next_step;     /* schedule hint */
		sim_time_t decided_at, steal_sum;
		uint32_t holdoff, since_shrink; /* steal governor's back-off (intervals) */
		bool last_grow;
		double area;            /* in_use x time since the warm-up, up to area_at */
		sim_time_t area_at, reset_at;
		uint64_t changes, pushes, evacuated, affinity_broken;
		void (*on_change)(void *arg, sim_time_t t, uint32_t in_use);
		void *on_change_arg;
	} pv;
	struct {                    /* dynamic memory (memory.c) */
		struct sim_entity ent;  /* "vm:NAME/balloon": the pressure reporter */
		sim_timer_t timer;
		char *name;
		bool enabled;
		uint64_t assigned, working_sets; /* working_sets: the workloads' current sum */
		bool declared;          /* a workload declared a working set (even one now 0) */
		GPtrArray *schedules;   /* struct ws_schedule *, owned: working sets that follow steps */
		uint64_t balloon_asked, balloon_working; /* requested, being returned by vCPU 0 */
		unsigned vector;        /* the DM channel's interrupt */
		void (*on_change)(void *arg, sim_time_t t, uint64_t assigned, uint64_t demand);
		void *on_change_arg;
		void (*swap_fill)(void *ctx, struct gos_task *t, struct gos_op *op); /* paging: the swap device */
		void *swap_ctx;
		uint64_t faults;        /* since the warm-up */
	} mem;
};

/* Brings the vCPU's trace track up to date: while in guest mode a slice named after the current task
   ("idle" without one), with "spin" nested while it spins. One inline test without a sink. */
static inline void gos_trace_cpu(struct gos_cpu *c)
{
	if (sim_tracing(c->k->sim))
		gos__trace_cpu(c);
}

enum { GOS_LVL_SMT, GOS_LVL_MC, GOS_LVL_NUMA };

/* Every entry into a vCPU's guest code (vhw callbacks, work done, pokes) runs inside this. */
#define GOS_IN_CONTEXT(c, body)                       \
	do {                                          \
		struct gos_cpu *saved_ = (c)->k->ctx; \
		(c)->k->ctx = (c);                    \
		body;                                 \
		(c)->k->ctx = saved_;                 \
	} while (0)

static inline struct gos_cpu *gos_cpu_at(const struct gos_kernel *k, uint32_t i) { return k->cpus->pdata[i]; }
static inline sim_time_t gos_now(const struct gos_kernel *k) { return sim_now(k->sim); }
static inline uint32_t gos_nr_running(const struct gos_cpu *c) { return sim_pq_len(&c->rq) + (c->curr ? 1u : 0u); }
/* Cycles of a kernel cost at the frequency of the LP the vCPU runs on. */
double gos_cost_cycles(const struct gos_cpu *c, enum gos_cost cost);
static inline void gos_kwork_add(struct gos_cpu *c, enum gos_cost cost) { c->kwork.cycles += gos_cost_cycles(c, cost); }

/* ---- paravirt.c ---- */
bool gos_pv_check(const struct gos_config *cfg, const char *name, bool bare_metal, bool steal_clock, uint32_t vcpus,
		  GError **error);
void gos_pv_init(struct gos_kernel *k);     /* after the vCPUs exist */
/* memory.c: after the vCPUs exist; the partition's ops callbacks */
void gos_mem_init(struct gos_kernel *k, const struct hv_partition_config *part);
void gos_mem_fini(struct gos_kernel *k);
void gos_mem_changed(void *kernel, uint64_t assigned);
void gos_mem_balloon(void *kernel, uint64_t bytes);
/* Paging: the faults t takes before the compute op it was just handed (t->op), from the kernel's
   shortfall and t's carry; and the op that reads one faulted page (counts the fault). */
uint32_t gos_mem_faults_due(struct gos_task *t, const struct gos_cpu *c);
void gos_mem_fault_op(struct gos_task *t, struct gos_op *op);
void gos_pv_cpu_added(struct gos_kernel *k);
void gos_pv_reset(struct gos_kernel *k);    /* at the warm-up */
bool gos_pv_in_use(const struct gos_cpu *c);
/* May t be placed on c (allowed, and c in use unless t may run on no vCPU in use)? */
bool gos_pv_placeable(const struct gos_task *t, const struct gos_cpu *c);
/* May an idle c be chosen at wakeup as an idle vCPU (capacity: not when out of use)? */
bool gos_pv_idle_candidate(const struct gos_cpu *c);
/* Capacity method: the factor a vCPU's task count is weighed by (1 unless out of use). */
uint32_t gos_pv_load_scale(const struct gos_cpu *c);
bool gos_pv_refuses_pull(const struct gos_cpu *dst);
/* A vCPU in use pulls from the vCPUs out of use first (tasks moved; may ask for an active push). */
uint32_t gos_pv_pull(struct gos_cpu *dst, uint32_t level);
void gos_pv_tick(struct gos_cpu *c);
/* In the schedule, after prev was queued back: push it to a vCPU in use if asked. */
struct gos_task *gos_pv_push_prev(struct gos_cpu *c, struct gos_task *prev, bool prev_runnable);

/* ---- kernel.c ---- */
GQuark gos_error_quark(void);
/* Runs the vCPU's next step: IPIs, kernel work, reschedule, the current task, or idle. */
void gos_cpu_continue(struct gos_cpu *c);
/* Tells `target` it has to reschedule: nothing, a poke (polling) or a reschedule IPI. */
void gos_resched(struct gos_cpu *target);
/* Queues an IPI from the running context to target (a device-style raise without context). */
void gos_send_ipi(struct gos_kernel *k, struct gos_cpu *target, unsigned vector);
/* Schedules a poke of c (it notices new state while it polls or spins). */
void gos_poke(struct gos_cpu *c);
/* Reprograms c's timer (earliest of its tick and its sleeping tasks). */
void gos_program_timer(struct gos_cpu *c);
void gos_leave_idle(struct gos_cpu *c);
/* Spinning on c's current task: starts (until its op's on-CPU spin reaches `until`) and ends it. */
void gos_spin_begin(struct gos_cpu *c, sim_time_t until);
void gos_spin_end(struct gos_cpu *c);
/* May c switch tasks now (no shootdown wait, no spinlock held or being taken)? */
bool gos_preemptible(const struct gos_task *t);

/* ---- fair.c ---- */
void gos_update_clock(struct gos_cpu *c);
void gos_enqueue(struct gos_cpu *c, struct gos_task *t);
void gos_dequeue(struct gos_cpu *c, struct gos_task *t);
void gos_schedule(struct gos_cpu *c);
void gos_check_preempt_tick(struct gos_cpu *c);
/* Makes a sleeping or blocked (or new) task runnable on the vCPU wakeup placement chooses. */
void gos_activate(struct gos_task *t);
void gos_yield(struct gos_cpu *c);
uint32_t gos_nice_weight(int nice);
bool gos_task_allowed(const struct gos_task *t, uint32_t cpu);
/* Moves a queued task to another runqueue (balance.c). */
void gos_move_task(struct gos_task *t, struct gos_cpu *dst);

/* ---- balance.c ---- */
void gos_domains_init(struct gos_kernel *k);
/* Periodic balancing and the nohz kick, from c's tick. */
void gos_balance_tick(struct gos_cpu *c);
/* Newly idle: pulls work before c goes idle; true if it pulled. */
bool gos_balance_newidle(struct gos_cpu *c);
/* The kicked vCPU balances every tickless idle vCPU (nohz idle balance). */
void gos_balance_nohz(struct gos_cpu *c);

/* ---- task.c ---- */
/* Runs the current task's next step; true when the vCPU is now busy (work, spin or an exit). */
bool gos_task_step(struct gos_cpu *c, struct gos_task *t);
void gos_task_op_finished(struct gos_task *t);
/* A sleeping or blocked task's operation ends and it becomes runnable. */
void gos_task_wake_up(struct gos_task *t);

/* ---- tlb.c ---- */
void gos_tlb_start(struct gos_cpu *c, struct gos_task *t);
/* The initiator's next step; true when busy. */
bool gos_tlb_step(struct gos_cpu *c, struct gos_task *t);
/* A flush IPI arrived: handle the queued requests (kernel work, then acks). */
void gos_tlb_interrupt(struct gos_cpu *c);
/* Kernel work done: acknowledge the handled requests. */
void gos_tlb_ack(struct gos_cpu *c);
enum gos_tlb_flush gos_tlb_resolve(const struct gos_kernel *k);

/* ---- lock.c ---- */
void gos_lock_free(struct gos_lock *l);

/* ---- stats.c ---- */
void gos_stats_init(struct gos_kernel *k);
/* Accounts the current task's run and steal since it became current (before it stops being). */
void gos_account_curr_out(struct gos_cpu *c, struct gos_task *t);
void gos_account_curr_in(struct gos_cpu *c, struct gos_task *t);

#endif /* MODELS_GUESTOS_GOS_INT_H */
