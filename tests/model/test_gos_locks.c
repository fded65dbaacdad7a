/* SPDX-License-Identifier: MIT */
/*
 * test_gos_locks.c - guest spinlocks and lock-holder preemption: none at 1:1 or on bare metal,
 *                    spin and lost throughput under overcommit, lock-waiter preemption of FIFO
 *                    locks, the paravirtual remedies, and spin budgets counting on-CPU time only.
 * The overcommitted host runs a second VM whose clients sleep and compute at random, so that the
 * lock VM's VPs are preempted at staggered times (all-busy VMs on a fresh host would be switched
 * in lock step and hide the effect).
 */
#include "models/guestos/lock.h"
#include "tests/helpers/xorshift.h"
#include "tests/model/gostest.h"

/* Threads take one of `nlocks` locks, hold `hold` cycles, release, think `think` cycles. */
struct locker {
	struct gos_lock **locks;
	uint32_t nlocks, step, pick;
	uint64_t hold, think, sections;
};

static void locker_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct locker *l = arg;
	switch (l->step++ % 4) {
	case 0:
		l->pick = (l->pick * 7 + 3) % l->nlocks; /* a fixed, spread sequence */
		gos_op_lock(op, l->locks[l->pick]);
		return;
	case 1:
		*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = l->hold};
		return;
	case 2:
		gos_op_unlock(op, l->locks[l->pick]);
		return;
	default:
		l->sections++;
		*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = l->think};
		return;
	}
}
static const struct gos_program locker = {.next = locker_next};

/* Sleeps 0.2-3 ms, computes 1-10 ms, both uniform (a per-task xorshift), for ever. */
static void other_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	uint64_t *state = arg;
	uint64_t r = test_xorshift(state);
	if (r & 1)
		*op = (struct gos_op){.kind = GOS_OP_SLEEP, .duration = (200 + (r >> 8) % 2800) * SIM_PS_PER_US};
	else
		*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = 3000000 + (r >> 8) % 27000000};
}
static const struct gos_program other = {.next = other_next};

struct lock_result {
	double sections_per_s, spin_share;
	uint64_t lhp, lwp, halts, long_spins, ple_exits, directed, costops;
	sim_time_t spread; /* largest minus smallest run time among the lock VM's VPs, at the end */
};

/* 8 threads on an 8-vCPU VM, 4 locks; `others` extra VMs of 8 vCPUs share the 8 LPs. */
static struct lock_result run_locks_tweaked(const char *policy, enum gos_lock_kind kind, uint32_t others,
					      void (*tweak)(struct hv_config *))
{
	static const uint32_t lps[] = {0, 1, 2, 3, 4, 5, 6, 7};
	struct gost t;
	gost_init(&t, 9, policy, tweak); /* LP 8 for the root */
	struct gos_config gc;
	gos_config_default(&gc);
	gc.spinlock = (int)kind;
	bool bare = strcmp(policy, "none") == 0;
	struct gos_kernel *k = gost_vm(&t, "locky", 8, &gc, bare ? NULL : lps, bare ? 0 : 8);
	struct gos_lock *locks[4];
	for (int i = 0; i < 4; i++) {
		char name[16];
		snprintf(name, sizeof name, "l%d", i);
		locks[i] = gos_lock_new(k, name, kind);
	}
	static struct locker th[8];
	for (uint32_t i = 0; i < 8; i++) {
		th[i] = (struct locker){.locks = locks, .nlocks = 4, .pick = i, .hold = 15000, .think = 60000};
		gost_task(k, &locker, &th[i], (int32_t)i, 0);
	}
	static uint64_t steps[4][8];
	for (uint32_t v = 0; v < others; v++) {
		char name[16];
		snprintf(name, sizeof name, "other%u", v);
		struct gos_kernel *o = gost_vm(&t, name, 8, NULL, lps, 8);
		for (uint32_t i = 0; i < 8; i++) {
			steps[v][i] = 0x9e3779b97f4a7c15ull * (8 * v + i + 1);
			gost_task(o, &other, &steps[v][i], -1, 0);
		}
	}
	const double secs = 1.0;
	gost_run_warm(&t, 100 * SIM_PS_PER_MS, (sim_time_t)(secs * SIM_PS_PER_S));
	struct lock_result r = {0};
	sim_time_t spin = 0;
	for (int i = 0; i < 4; i++) {
		struct gos_lock_stats s;
		gos_lock_stats(locks[i], &s);
		r.lhp += s.lhp_events, r.lwp += s.lwp_events, r.halts += s.pv_halts, r.long_spins += s.long_spin_waits;
	}
	struct hv_counters hc;
	hv_partition_counters(gos_partition(k), &hc);
	spin = hc.spin;
	uint64_t sections = 0;
	for (int i = 0; i < 8; i++)
		sections += th[i].sections;
	r.sections_per_s = (double)sections / 1.1; /* counted from time 0 */
	r.spin_share = hc.guest_run ? (double)spin / (double)hc.guest_run : 0;
	r.ple_exits = hc.ple_exits, r.directed = hc.directed_yields, r.costops = hc.costops;
	sim_time_t lo = SIM_TIME_MAX, hi = 0;
	for (uint32_t v = 0; v < 8; v++) {
		struct hv_counters vc;
		hv_vp_counters(hv_partition_vp(gos_partition(k), v), &vc);
		sim_time_t ran = vc.guest_run + vc.hypervisor_run;
		lo = ran < lo ? ran : lo;
		hi = ran > hi ? ran : hi;
	}
	r.spread = hi - lo;
	cr_log_info("%-8s %-12s %u others%s: %.0f sections/s, spin %.1f%% of guest time, lhp %llu, lwp %llu, "
		    "pv halts %llu, long-spin waits %llu, ple exits %llu, directed yields %llu", policy,
		    gos_lock_kind_name(kind), others, tweak ? " (tweaked)" : "", r.sections_per_s, 100 * r.spin_share,
		    (unsigned long long)r.lhp, (unsigned long long)r.lwp, (unsigned long long)r.halts,
		    (unsigned long long)r.long_spins, (unsigned long long)r.ple_exits, (unsigned long long)r.directed);
	gost_fini(&t);
	return r;
}

static struct lock_result run_locks(const char *policy, enum gos_lock_kind kind, uint32_t others)
{
	return run_locks_tweaked(policy, kind, others, NULL);
}

/* Bare metal and 1:1 on dedicated LPs: no holder is ever descheduled; the spin is the contention's. */
Test(gos_locks, no_lock_holder_preemption_without_overcommit)
{
	struct lock_result bare = run_locks("none", GOS_LOCK_QSPIN, 0);
	struct lock_result one = run_locks("classic", GOS_LOCK_QSPIN, 0);
	cr_expect_eq(bare.lhp, 0);
	cr_expect_eq(one.lhp, 0);
	cr_expect_eq(one.lwp, 0);
	/* the same contention: spin shares within a percentage point, throughput within 1% */
	cr_expect(fabs(one.spin_share - bare.spin_share) < 0.01, "spin %.4f vs %.4f", one.spin_share, bare.spin_share);
	cr_expect(fabs(one.sections_per_s / bare.sections_per_s - 1) < 0.01);
}

/* Overcommit: spin becomes a large share of guest time and grows with the overcommit. */
Test(gos_locks, spin_grows_with_overcommit)
{
	struct lock_result one = run_locks("classic", GOS_LOCK_QSPIN, 0);
	struct lock_result two = run_locks("classic", GOS_LOCK_QSPIN, 1);
	struct lock_result three = run_locks("classic", GOS_LOCK_QSPIN, 2);
	cr_expect_gt(two.spin_share, 0.3, "2:1 spin share %.3f", two.spin_share);
	cr_expect_gt(two.spin_share, one.spin_share + 0.2);
	cr_expect_gt(three.spin_share, two.spin_share);
	cr_expect_gt(two.lhp, 0);
}

/* Ticket (FIFO) locks hand the lock to descheduled waiters; test-and-set lets a running one take it. */
Test(gos_locks, ticket_locks_suffer_lock_waiter_preemption)
{
	struct lock_result tas = run_locks("classic", GOS_LOCK_TAS, 1);
	struct lock_result ticket = run_locks("classic", GOS_LOCK_TICKET, 1);
	cr_expect_eq(tas.lwp, 0, "test-and-set never hands over");
	cr_expect_gt(ticket.lwp, 0);
	cr_expect_lt(ticket.sections_per_s, tas.sections_per_s);
}

/* The paravirtual remedies at 2:1: less spin and more throughput than the plain queued lock. */
Test(gos_locks, paravirt_spinlocks_reduce_spin_and_raise_throughput)
{
	struct lock_result plain = run_locks("classic", GOS_LOCK_QSPIN, 1);
	struct lock_result pv = run_locks("classic", GOS_LOCK_PVQSPIN, 1);
	struct lock_result hv = run_locks("classic", GOS_LOCK_HYPERV, 1);
	cr_expect_lt(pv.spin_share, plain.spin_share);
	cr_expect_gt(pv.sections_per_s, plain.sections_per_s);
	cr_expect_lt(hv.spin_share, plain.spin_share);
	cr_expect_gt(hv.sections_per_s, plain.sections_per_s);
	cr_expect_gt(hv.long_spins, 0);
}

/*
 * Spin budgets count on-CPU spinning only. One waiter wants a lock held 20 ms at a time by a task
 * on another vCPU; the waiter's vCPU shares its LP with a busy VM, so it is descheduled for whole
 * quanta while it waits. pv-qspinlock halts after SPIN_THRESHOLD iterations of on-CPU spinning:
 * the waiter's on-CPU spin is then exactly the budget per halt (the last wait may end early).
 */
static void holder_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct locker *l = arg;
	switch (l->step++ % 4) {
	case 0: gos_op_lock(op, l->locks[0]); return;
	case 1: *op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = l->hold}; return;
	case 2: gos_op_unlock(op, l->locks[0]); return;
	default: *op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = l->think}; return;
	}
}
static const struct gos_program holder = {.next = holder_next};

Test(gos_locks, spin_budgets_count_on_cpu_time_only)
{
	struct gost t;
	gost_init(&t, 3, "classic", NULL);
	static const uint32_t a[] = {0}, b[] = {1};
	struct gos_config gc;
	gos_config_default(&gc);
	gc.spinlock = GOS_LOCK_PVQSPIN;
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	/* one VM of two vCPUs pinned to LPs 0 and 1 (per-VP pinning by a VM per LP is simpler: two VMs
	   cannot share a lock, so pin the VM to both and load LP 1 with a busy VM) */
	static const uint32_t both[] = {0, 1};
	struct gos_kernel *k = gost_vm(&t, "vm", 2, &gc, both, 2);
	struct gos_lock *lock = gos_lock_new(k, "l", GOS_LOCK_PVQSPIN);
	static struct locker h, w;
	static struct gos_lock *ls[1];
	ls[0] = lock;
	h = (struct locker){.locks = ls, .nlocks = 1, .hold = 60000000, .think = 3000}; /* 20 ms, 1 us */
	w = (struct locker){.locks = ls, .nlocks = 1, .hold = 3000, .think = 3000};
	gost_task(k, &holder, &h, 0, 0);
	gost_task(k, &holder, &w, 1, 0);
	struct gos_kernel *busy = gost_vm(&t, "busy", 1, NULL, b, 1);
	gost_task(busy, &gost_burn, &gost_ms_chunk, 0, 0);
	(void)a;
	gost_run(&t, 2 * SIM_PS_PER_S);
	struct gos_lock_stats s;
	gos_lock_stats(lock, &s);
	sim_time_t budget = 0;
	sim_time_from_cycles((uint64_t)gc.pv_spin_threshold * gc.spin_pause_cycles, 3000000, &budget);
	cr_assert_gt(s.pv_halts, 10);
	/* on-CPU spin = halts x budget, give or take the waits that ended before their budget */
	double per_halt = (double)s.spin / (double)s.pv_halts;
	cr_expect(per_halt >= (double)budget * 0.999 && per_halt <= (double)budget * 1.5,
		  "on-CPU spin per halt %.1f us, budget %.1f us", per_halt / 1e6, (double)budget / 1e6);
	struct hv_counters hc;
	hv_vp_counters(hv_partition_vp(gos_partition(k), 1), &hc);
	cr_expect_gt(hc.wait, 100 * SIM_PS_PER_MS, "the waiter's VP was descheduled while waiting");
	gost_fini(&t);
}

/* Hypervisor-side: pause-loop exits with directed yield (KVM's defaults), Intel and AMD. */
static void intel_ple(struct hv_config *c) { c->ple = "intel"; }
static void amd_ple(struct hv_config *c) { c->ple = "amd"; }
static void intel_ple_no_boost(struct hv_config *c)
{
	c->ple = "intel";
	c->directed_yield = false;
}

Test(gos_locks, pause_loop_exits_and_directed_yield_cut_spin)
{
	struct lock_result plain = run_locks("classic", GOS_LOCK_QSPIN, 1);
	struct lock_result intel = run_locks_tweaked("classic", GOS_LOCK_QSPIN, 1, intel_ple);
	struct lock_result amd = run_locks_tweaked("classic", GOS_LOCK_QSPIN, 1, amd_ple);
	struct lock_result yield_only = run_locks_tweaked("classic", GOS_LOCK_QSPIN, 1, intel_ple_no_boost);
	cr_expect_gt(intel.ple_exits, 0);
	cr_expect_gt(intel.directed, 0);
	cr_expect_lt(intel.spin_share, plain.spin_share);
	cr_expect_gt(intel.sections_per_s, plain.sections_per_s);
	cr_expect_lt(amd.spin_share, plain.spin_share);
	cr_expect_gt(amd.sections_per_s, plain.sections_per_s);
	cr_expect_eq(yield_only.directed, 0);
	cr_expect_gt(intel.sections_per_s, yield_only.sections_per_s, "directed yield beats a plain yield");
}

/* No pause-loop exits on bare metal, and none when the guest's PAUSEs are further apart than the gap. */
static void intel_ple_tight_gap(struct hv_config *c)
{
	c->ple = "intel";
	c->ple_gap = 20; /* the guest's loop pauses every 40 cycles */
}

Test(gos_locks, pause_loop_exits_need_a_tight_loop)
{
	struct lock_result wide = run_locks_tweaked("classic", GOS_LOCK_QSPIN, 1, intel_ple_tight_gap);
	cr_expect_eq(wide.ple_exits, 0);
	struct lock_result bare = run_locks_tweaked("none", GOS_LOCK_QSPIN, 0, intel_ple);
	cr_expect_eq(bare.ple_exits, 0);
}

/*
 * Relaxed co-scheduling: with a 1 ms skew the lock VM's VPs never drift further apart than the
 * skew plus one check interval (a quarter skew) plus the exit in progress when the check kicks
 * the leader (microseconds; 50 us allowed); without it they drift by many quanta. It co-stops
 * leaders, and the lock VM gets more done.
 */
static void coschedule_1ms(struct hv_config *c) { c->coschedule_skew = SIM_PS_PER_MS; }

Test(gos_locks, relaxed_coscheduling_bounds_the_skew)
{
	struct lock_result plain = run_locks("classic", GOS_LOCK_QSPIN, 1);
	struct lock_result co = run_locks_tweaked("classic", GOS_LOCK_QSPIN, 1, coschedule_1ms);
	sim_time_t bound = SIM_PS_PER_MS + SIM_PS_PER_MS / 4 + 50 * SIM_PS_PER_US;
	cr_expect_gt(co.costops, 0);
	cr_expect_leq(co.spread, bound, "spread %.3f ms", (double)co.spread / 1e9);
	cr_expect_gt(plain.spread, bound, "without: spread %.3f ms", (double)plain.spread / 1e9);
	cr_expect_gt(co.sections_per_s, plain.sections_per_s);
	cr_expect_lt(co.spin_share, plain.spin_share);
}
