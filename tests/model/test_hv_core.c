/* SPDX-License-Identifier: MIT */
/*
 * test_hv_core.c - model tests of the `core` VP policy (Hyper-V core scheduler, REFERENCE 1.1).
 * Checks: (1) the invariant: at no instant do two partitions (the root included) hold VPs on the
 *   threads of one core. A monitor checks it after every event (VPs in any mode, and VPs in guest
 *   mode) and the test guest at every entry into guest code, over always-runnable VPs, think
 *   time with root intercepts, long exits, 4-thread cores and run-time actions, with a VM of an
 *   odd vCPU count; the same checker finds sharing under classic, so it is not vacuous; (2) equal
 *   shares for equal-weight VMs, and weights splitting a core; (3) the capacity cost: two 1-vCPU
 *   VMs on one 2-thread core cannot co-run; (4) with host SMT off, core is classic to the
 *   picosecond (counters and event digest).
 * Leaves unchecked: the shares under reserves and limits (only the invariant is checked with
 *   them), and wakeup latency (a VP of another partition may wait up to one quantum for a core).
 */
#include <inttypes.h>
#include <math.h>

#include "tests/model/hvtest.h"

static void all_root_vps(struct hv_config *c) { c->root_vcpus = 0; } /* one root VP per LP */

/* ---- the invariant checker ---- */

struct inv {
	struct sim_monitor mon;
	struct hvt *t;
	bool strict;        /* fail at the first violation (core); else count them (classic) */
	uint64_t checks;    /* monitor calls */
	uint64_t runs;      /* guest-code entries checked */
	uint64_t shared;    /* core states where two partitions hold VPs (any mode) */
	uint64_t shared_guest; /* ... both in guest mode */
	uint64_t shared_on_run; /* guest-code entries next to another partition's guest code */
	uint64_t corun;     /* core states where two threads run guest code of one partition */
};

static bool in_guest_mode(const struct hw_lp *h)
{
	return h->cat == HW_CAT_GUEST || h->cat == HW_CAT_ROOT || h->cat == HW_CAT_SPIN;
}

static void inv_violation(struct inv *v, const char *what, uint32_t lp, uint32_t sib)
{
	struct hv_vp *a = hv_lp_current(v->t->hv, lp), *b = hv_lp_current(v->t->hv, sib);
	if (v->strict)
		cr_assert_fail("%s at %" PRIu64 " ps: LP %u runs %s/vp:%u, sibling LP %u runs %s/vp:%u", what,
			       sim_now(v->t->sim), lp, hv_partition_name(hv_vp_partition(a)), hv_vp_cpu(a)->index, sib,
			       hv_partition_name(hv_vp_partition(b)), hv_vp_cpu(b)->index);
}

/* After every event: every core's current VPs belong to one partition. */
static void inv_progress(struct sim_monitor *m, const struct sim *sim)
{
	(void)sim;
	struct inv *v = sim_container_of(m, struct inv, mon);
	struct hvt *t = v->t;
	uint32_t n = hw_nlps(t->host);
	v->checks++;
	for (uint32_t first = 0; first < n; first += hw_lp_at(t->host, first)->nthreads) {
		const struct hw_lp *h0 = hw_lp_at(t->host, first);
		int guests = 0;
		bool shared = false;
		for (uint32_t i = first; i < first + h0->nthreads; i++) {
			struct hv_vp *a = hv_lp_current(t->hv, i);
			if (!a)
				continue;
			guests += in_guest_mode(hw_lp_at(t->host, i));
			for (uint32_t j = i + 1; j < first + h0->nthreads; j++) {
				struct hv_vp *b = hv_lp_current(t->hv, j);
				if (!b || hv_vp_partition(a) == hv_vp_partition(b))
					continue;
				v->shared++;
				shared = true;
				inv_violation(v, "core shared", i, j);
				if (in_guest_mode(hw_lp_at(t->host, i)) && in_guest_mode(hw_lp_at(t->host, j))) {
					v->shared_guest++;
					inv_violation(v, "core shared in guest mode", i, j);
				}
			}
		}
		v->corun += guests >= 2 && !shared;
	}
}

static const struct sim_monitor_ops inv_ops = {.progress = inv_progress};

/* At every entry into guest code: no sibling runs guest code of another partition. */
static void inv_on_run(struct busy_vcpu *bv, void *arg)
{
	struct inv *v = arg;
	struct hvt *t = v->t;
	struct hv_vp *vp = hv_partition_vp(bv->g->part, bv->cpu->index);
	cr_assert_eq(hv_vp_state(vp), HV_VP_RUNNING);
	uint32_t lp = (uint32_t)hv_vp_lp(vp);
	const struct hw_lp *h = hw_lp_at(t->host, lp);
	v->runs++;
	for (uint32_t s = h->first_thread; s < h->first_thread + h->nthreads; s++) {
		struct hv_vp *o = hv_lp_current(t->hv, s);
		if (s == lp || !o || hv_vp_partition(o) == bv->g->part || !in_guest_mode(hw_lp_at(t->host, s)))
			continue;
		v->shared_on_run++;
		inv_violation(v, "guest entry on a shared core", lp, s);
	}
}

/* The scenarios of the invariant tests. */
enum inv_kind {
	INV_BUSY,       /* always-runnable VPs: cores change hands at quantum ends only */
	INV_THINK,      /* b halts 2 ms after each 1 ms chunk (and has a reserve), a forwards an
			   intercept to the root after each chunk: wakeups, blocked VPs, root VPs */
	INV_LONG_EXITS, /* 100 us chunks, each followed by a 50 us hypercall (a, c) or a root intercept
			   (b): a core's quantum often ends while a sibling is in an exit */
};

static void root_and_long_hypercalls(struct hv_config *c)
{
	c->root_vcpus = 0;
	c->soft_affinity = false; /* VPs go wherever they lag most: cores change hands more often */
	cr_assert(hv_costs_set(&c->costs, "hypercall", 150000)); /* cycles at 3 GHz = 50 us */
}

/*
 * 3 VMs of 2, 3 and 4 vCPUs (9 VPs, one VM odd) and one root VP per LP on `cores` x `threads`
 * LPs for 2 s, under the invariant checker.
 */
static void inv_run(struct inv *v, const char *policy, uint32_t cores, uint32_t threads, enum inv_kind kind)
{
	struct hvt *t = v->t;
	hvt_init(t, 1, cores, threads, policy, kind == INV_LONG_EXITS ? root_and_long_hypercalls : all_root_vps);
	v->mon = (struct sim_monitor){.ops = &inv_ops, .every = 1};
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	bp.on_run = inv_on_run;
	bp.arg = v;
	struct busy_guest_params ba = bp, bb = bp, bc = bp;
	double reserve_b = 0;
	switch (kind) {
	case INV_BUSY:
		break;
	case INV_THINK:
		ba.intercept = VHW_IC_IO_KERNEL;
		bb.think = 2 * SIM_PS_PER_MS;
		reserve_b = 20;
		break;
	case INV_LONG_EXITS:
		ba.chunk_cycles = bb.chunk_cycles = bc.chunk_cycles = 300000; /* 100 us */
		ba.hypercall = bc.hypercall = VHW_HC_OTHER;
		bb.intercept = VHW_IC_IO_KERNEL;
		break;
	}
	hvt_vm_with(t, "a", 2, 100, 0, 100, &ba);
	hvt_vm_with(t, "b", 3, 100, reserve_b, 100, &bb);
	hvt_vm_with(t, "c", 4, 100, 0, 100, &bc);
	struct sim_run_params rp = {.end = 2 * SIM_PS_PER_S, .monitor = &v->mon};
	sim_run(t->sim, &rp);
}

static void inv_expect_ran(struct inv *v, uint64_t min_runs)
{
	for (int i = 0; i < v->t->ng; i++)
		cr_expect_gt(busy_guest_chunks(v->t->g[i]), 0, "vm %s never ran", hv_partition_name(v->t->g[i]->part));
	cr_expect_gt(v->checks, 5000, "the monitor ran %" PRIu64 " times", v->checks);
	cr_expect_gt(v->runs, min_runs, "guest entries checked: %" PRIu64, v->runs);
	cr_expect_gt(v->corun, 0, "siblings never ran one partition together");
}

static void inv_expect_root_ran(struct inv *v)
{
	struct hv_counters c;
	hv_partition_counters(hv_root(v->t->hv), &c);
	cr_expect_gt(c.guest_run, 0, "the root never ran");
	cr_expect_gt(c.dispatches, 100, "root dispatches %" PRIu64, c.dispatches);
}

static void inv_log(struct inv *v, const char *what)
{
	struct hv_counters c;
	hv_partition_counters(hv_root(v->t->hv), &c);
	cr_log_info("%s: %" PRIu64 " checks, %" PRIu64 " guest entries, %" PRIu64 " co-running core states, root "
		    "dispatches %" PRIu64, what, v->checks, v->runs, v->corun, c.dispatches);
}

Test(hv_core, invariant_busy)
{
	struct hvt t;
	struct inv v = {.t = &t, .strict = true};
	inv_run(&v, "core", 4, 2, INV_BUSY);
	inv_expect_ran(&v, 100); /* always-runnable VPs enter guest code only when dispatched */
	inv_log(&v, "busy");
	hvt_fini(&t);
}

Test(hv_core, invariant_think)
{
	struct hvt t;
	struct inv v = {.t = &t, .strict = true};
	inv_run(&v, "core", 4, 2, INV_THINK);
	inv_expect_ran(&v, 1000);
	inv_expect_root_ran(&v);
	inv_log(&v, "think");
	hvt_fini(&t);
}

Test(hv_core, invariant_long_exits)
{
	struct hvt t;
	struct inv v = {.t = &t, .strict = true};
	inv_run(&v, "core", 4, 2, INV_LONG_EXITS);
	inv_expect_ran(&v, 1000);
	inv_expect_root_ran(&v);
	inv_log(&v, "long exits");
	hvt_fini(&t);
}

/*
 * Run-time actions under the checker: a VM stopped while it holds cores (possibly while they
 * drain) and started again, a hot-added vCPU, weight and limit changes.
 */
Test(hv_core, invariant_across_actions)
{
	struct hvt t;
	struct inv v = {.t = &t, .strict = true};
	hvt_init(&t, 1, 4, 2, "core", all_root_vps);
	v.mon = (struct sim_monitor){.ops = &inv_ops, .every = 1};
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	bp.on_run = inv_on_run;
	bp.arg = &v;
	struct busy_guest_params bb = bp;
	bb.think = 2 * SIM_PS_PER_MS;
	struct busy_guest *a = hvt_vm_with(&t, "a", 2, 100, 0, 100, &bp);
	struct busy_guest *b = hvt_vm_with(&t, "b", 3, 100, 10, 100, &bb);
	struct busy_guest *c = hvt_vm_with(&t, "c", 4, 100, 0, 100, &bp);
	const struct hv_action acts[] = {
		{.at = 300 * SIM_PS_PER_MS + 12345, .kind = HV_ACT_STOP, .partition = c->part},
		{.at = 500 * SIM_PS_PER_MS, .kind = HV_ACT_HOT_ADD, .partition = a->part, .value = 1},
		{.at = 700 * SIM_PS_PER_MS, .kind = HV_ACT_START, .partition = c->part},
		{.at = 900 * SIM_PS_PER_MS, .kind = HV_ACT_SET_WEIGHT, .partition = b->part, .value = 300},
		{.at = 1100 * SIM_PS_PER_MS, .kind = HV_ACT_SET_LIMIT, .partition = c->part, .value = 50},
		{.at = 1300 * SIM_PS_PER_MS, .kind = HV_ACT_SET_RESERVE, .partition = a->part, .value = 40},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(acts); i++) {
		GError *err = NULL;
		cr_assert(hv_action_schedule(t.hv, &acts[i], &err), "%s", err ? err->message : "");
	}
	struct sim_run_params rp = {.end = 2 * SIM_PS_PER_S, .monitor = &v.mon};
	sim_run(t.sim, &rp);
	inv_expect_ran(&v, 1000);
	cr_expect_eq(hv_partition_nvps(a->part), 3);
	struct hv_counters k;
	hv_vp_counters(hv_partition_vp(a->part, 2), &k);
	cr_expect_gt(k.guest_run, 0, "the hot-added VP never ran");
	inv_log(&v, "actions");
	hvt_fini(&t);
}

/* 4 threads per core: a draining core has more than one sibling to wait for. */
Test(hv_core, invariant_four_threads)
{
	static const enum inv_kind kinds[] = {INV_BUSY, INV_THINK, INV_LONG_EXITS};
	for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct hvt t;
		struct inv v = {.t = &t, .strict = true};
		inv_run(&v, "core", 2, 4, kinds[k]);
		inv_expect_ran(&v, 100);
		inv_log(&v, "4 threads");
		hvt_fini(&t);
	}
}

/* The checker is not vacuous: the same scenarios under classic share cores, in guest mode too. */
Test(hv_core, checker_sees_classic_sharing)
{
	static const enum inv_kind kinds[] = {INV_BUSY, INV_THINK, INV_LONG_EXITS};
	for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
		struct hvt t;
		struct inv v = {.t = &t, .strict = false};
		inv_run(&v, "classic", 4, 2, kinds[k]);
		cr_expect_gt(v.shared, 0, "classic (scenario %zu): no sharing seen", k);
		cr_expect_gt(v.shared_guest, 0, "classic (scenario %zu): no guest-mode sharing seen", k);
		cr_expect_gt(v.shared_on_run, 0, "classic (scenario %zu): no shared guest entry seen", k);
		cr_log_info("classic (scenario %zu): %" PRIu64 " shared core states (%" PRIu64 " in guest mode), %" PRIu64
			    " shared guest entries", k, v.shared, v.shared_guest, v.shared_on_run);
		hvt_fini(&t);
	}
}

/* ---- shares ---- */

static double vm_share(struct hvt *t, struct busy_guest *g)
{
	double s = 0;
	for (uint32_t i = 0; i < hv_partition_nvps(g->part); i++)
		s += hvt_vp_share(t, g, i);
	return s;
}

/*
 * nvm always-runnable VMs of `vcpus` each, equal weights, on 4 cores x 2 threads for T = 3 s.
 * Tolerance: a VP is dispatched when its weighted run time (here its run time: weight 100) is
 * the least among the candidates, a VP queued on another LP counting affinity_slack (20 ms)
 * more, and it then runs at most one quantum (timeslice, 10 ms) before the core is decided
 * again; so the run times of two always-runnable VPs never drift apart by more than
 * timeslice + affinity_slack = 30 ms, i.e. 0.01 of T, whatever the pairing on cores. Each VP's
 * share must be within that of the mean, and each VM's mean share too.
 */
static void fair_run(uint32_t nvm, uint32_t vcpus, double want_busy_lps)
{
	struct hvt t;
	hvt_init(&t, 1, 4, 2, "core", NULL);
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	const char *names[] = {"a", "b", "c", "d", "e", "f"};
	cr_assert_leq(nvm, G_N_ELEMENTS(names));
	for (uint32_t i = 0; i < nvm; i++)
		hvt_vm_with(&t, names[i], vcpus, 100, 0, 100, &bp);
	sim_time_t T = 3 * SIM_PS_PER_S;
	hvt_run(&t, T);
	struct hv_config c;
	hv_config_default(&c);
	double tol = (double)(c.timeslice + c.affinity_slack) / (double)T;
	double total = 0;
	for (uint32_t g = 0; g < nvm; g++)
		total += vm_share(&t, t.g[g]);
	double mean = total / (nvm * vcpus);
	for (uint32_t g = 0; g < nvm; g++) {
		double vm = vm_share(&t, t.g[g]) / vcpus;
		cr_expect_leq(fabs(vm - mean), tol, "%u x %u: vm %s %.4f per VP, mean %.4f, tol %.4f", nvm, vcpus, names[g], vm,
			      mean, tol);
		for (uint32_t i = 0; i < vcpus; i++) {
			double s = hvt_vp_share(&t, t.g[g], i);
			cr_expect_leq(fabs(s - mean), tol, "%u x %u: vm %s vp %u %.4f, mean %.4f", nvm, vcpus, names[g], i, s,
				      mean);
		}
	}
	/* the LPs the VMs keep busy: 8 when VMs fill whole cores, fewer with an odd VM's idle sibling */
	cr_expect_geq(total, want_busy_lps, "%u x %u: VMs used %.3f LPs, want >= %.3f", nvm, vcpus, total, want_busy_lps);
	cr_log_info("%u VMs x %u vCPUs: mean share %.4f, VMs use %.3f of 8 LPs", nvm, vcpus, mean, total);
	hvt_fini(&t);
}

Test(hv_core, equal_weights_equal_shares)
{
	fair_run(3, 4, 7.95); /* 12 VPs on 8 LPs: 2/3 each, cores always full */
	fair_run(5, 2, 7.90); /* 10 VPs: 0.8 each */
	fair_run(3, 3, 6.80); /* odd VMs: a core often holds one VP of a VM and an idle thread */
}

/* ---- the cost of the invariant ---- */

/*
 * Two 1-vCPU VMs on one core of 2 threads for T = 2 s. Under classic each VM has a thread to
 * itself (~100% of an LP each, at SMT speed). Under core they cannot co-run: the core alternates
 * between them every quantum and one thread always idles, so each gets ~50% of one LP and
 * together they use one LP of the two. Tolerance: with strict alternation the two differ by at
 * most one quantum (10 ms = 0.005 of T); switches cost 2 us per dispatch (~0.0001 of T).
 */
static void pair_run(struct hvt *t, const char *policy, uint32_t wa, uint32_t wb)
{
	hvt_init(t, 1, 1, 2, policy, NULL);
	hvt_vm(t, "a", 1, wa, 0, 100);
	hvt_vm(t, "b", 1, wb, 0, 100);
	hvt_run(t, 2 * SIM_PS_PER_S);
}

Test(hv_core, two_vms_cannot_share_a_core)
{
	struct hvt t;
	double tol = 0.005 + 0.001;
	pair_run(&t, "core", 100, 100);
	double a = hvt_vp_share(&t, t.g[0], 0), b = hvt_vp_share(&t, t.g[1], 0);
	sim_time_t idle = 0;
	for (uint32_t i = 0; i < 2; i++) {
		struct hv_lp_counters lc;
		hv_lp_counters(t.hv, i, &lc);
		idle += lc.idle;
	}
	double idle_lps = (double)idle / (double)sim_now(t.sim);
	cr_expect_leq(fabs(a - 0.5), tol, "core: a %.4f", a);
	cr_expect_leq(fabs(b - 0.5), tol, "core: b %.4f", b);
	cr_expect_leq(fabs(a + b - 1.0), tol, "core: a + b = %.4f LPs", a + b);
	cr_expect_leq(fabs(idle_lps - 1.0), tol, "core: %.4f LPs idle", idle_lps);
	cr_log_info("core: a %.4f b %.4f, idle %.4f LPs", a, b, idle_lps);
	hvt_fini(&t);

	pair_run(&t, "classic", 100, 100);
	a = hvt_vp_share(&t, t.g[0], 0), b = hvt_vp_share(&t, t.g[1], 0);
	cr_expect_geq(a, 0.99, "classic: a %.4f", a);
	cr_expect_geq(b, 0.99, "classic: b %.4f", b);
	cr_log_info("classic: a %.4f b %.4f", a, b);
	hvt_fini(&t);
}

/* The decision follows the weights: 200 vs 100 split the core 2:1 (tolerance as above). */
Test(hv_core, weights_split_the_core)
{
	struct hvt t;
	pair_run(&t, "core", 200, 100);
	double a = hvt_vp_share(&t, t.g[0], 0), b = hvt_vp_share(&t, t.g[1], 0);
	cr_expect_leq(fabs(a - 2.0 / 3), 0.006, "a (weight 200) %.4f", a);
	cr_expect_leq(fabs(b - 1.0 / 3), 0.006, "b (weight 100) %.4f", b);
	cr_log_info("weights 200:100: a %.4f b %.4f", a, b);
	hvt_fini(&t);
}

/* ---- SMT off: core is classic ---- */

/*
 * A mixed scenario (weights, a reserve, a limit, think time, intercepts served by the root) on 4
 * cores without SMT, run under both policies with the same seed: every VP's counters and the
 * event digest must be identical (REFERENCE 1.1: with SMT off the core setting is classic).
 */
static void smt_off_run(struct hvt *t, const char *policy)
{
	hvt_init(t, 1, 4, 1, policy, all_root_vps);
	struct busy_guest_params bp, think, icpt;
	busy_guest_params_default(&bp);
	think = bp, icpt = bp;
	think.think = 2 * SIM_PS_PER_MS;
	icpt.intercept = VHW_IC_IO_KERNEL;
	hvt_vm_with(t, "a", 3, 200, 0, 100, &bp);
	hvt_vm_with(t, "b", 2, 100, 30, 100, &think);
	hvt_vm_with(t, "c", 2, 100, 0, 60, &icpt);
	hvt_vm_with(t, "d", 1, 50, 0, 100, &bp);
	hvt_run(t, 2 * SIM_PS_PER_S);
}

Test(hv_core, smt_off_is_classic)
{
	struct hvt tc, tk;
	smt_off_run(&tc, "core");
	smt_off_run(&tk, "classic");
	cr_assert_eq(hv_npartitions(tc.hv), hv_npartitions(tk.hv));
	for (uint32_t p = 0; p < hv_npartitions(tc.hv); p++) {
		struct hv_partition *pc = hv_partition_at(tc.hv, p), *pk = hv_partition_at(tk.hv, p);
		for (uint32_t i = 0; i < hv_partition_nvps(pc); i++) {
			struct hv_counters c, k;
			hv_vp_counters(hv_partition_vp(pc, i), &c);
			hv_vp_counters(hv_partition_vp(pk, i), &k);
			cr_expect_eq(c.guest_run, k.guest_run, "%s/vp:%u guest_run core %" PRIu64 " classic %" PRIu64,
				     hv_partition_name(pc), i, c.guest_run, k.guest_run);
			cr_expect_eq(c.hypervisor_run, k.hypervisor_run, "%s/vp:%u", hv_partition_name(pc), i);
			cr_expect_eq(c.wait, k.wait, "%s/vp:%u", hv_partition_name(pc), i);
			cr_expect_eq(c.dispatches, k.dispatches, "%s/vp:%u", hv_partition_name(pc), i);
			cr_expect_eq(c.migrations, k.migrations, "%s/vp:%u", hv_partition_name(pc), i);
		}
	}
	cr_expect_eq(sim_events(tc.sim), sim_events(tk.sim));
	cr_expect_eq(sim_digest(tc.sim), sim_digest(tk.sim), "event digests differ");
	struct hv_counters r;
	hv_partition_counters(hv_root(tc.hv), &r);
	cr_expect_gt(r.guest_run, 0, "the root never ran: the scenario misses the root path");
	cr_log_info("smt off: %" PRIu64 " events, identical", sim_events(tc.sim));
	hvt_fini(&tc);
	hvt_fini(&tk);
}
