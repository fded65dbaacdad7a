/* SPDX-License-Identifier: MIT */
/*
 * test_hv_cfs.c - model tests of the `cfs` VP policy (a KVM host under Linux's CFS).
 * Checks, each against numbers derived from the tunables (hv_config defaults: latency L = 24 ms,
 * min_granularity g = 3 ms, wakeup_granularity 4 ms, balance interval I = 4 ms):
 *   - N always-runnable VPs on M < N LPs get M/N each (load balancing and its rotation);
 *   - two VPs sharing one LP get CPU in the ratio of their weights;
 *   - slice lengths: L x w / W with 2 VPs, g with 16, seen as exact dispatch counts;
 *   - wakeup preemption: a VP waking from a think time runs at once instead of waiting out the
 *     slice of the VP on its LP, and does wait when the granularity is larger than its credit;
 *   - limit (CFS bandwidth control) holds; reserve is refused with a clear error.
 * Leaves unchecked: NUMA placement, SMT effects (hosts here have 1 thread per core and 1 node),
 *   exits other than halt, and the exact migration pattern of the balancer.
 * Every host has root_vcpus = 1 (hvtest.h): the root VP is pinned to LP 0 and runs only for a few
 *   microseconds at time 0; tests that pin guests use LP 1 to stay clear of it.
 */
#include <math.h>
#include <string.h>

#include "tests/model/hvtest.h"

#define MS SIM_PS_PER_MS
#define US SIM_PS_PER_US

/* A busy-guest VM with its own parameters and optional hard affinity. */
static struct busy_guest *vm(struct hvt *t, const char *name, uint32_t vcpus, uint32_t weight, double limit,
			     const uint32_t *affinity, uint32_t naffinity, const struct busy_guest_params *bp)
{
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = name;
	pc.vcpus = vcpus;
	pc.weight = weight;
	pc.limit = limit;
	pc.affinity = affinity;
	pc.naffinity = naffinity;
	return hvt_vm_cfg(t, &pc, bp);
}

static struct hv_counters vp_counters(struct busy_guest *g, uint32_t i)
{
	struct hv_counters c;
	hv_vp_counters(hv_partition_vp(g->part, i), &c);
	return c;
}

static sim_time_t run_time(struct busy_guest *g, uint32_t i)
{
	struct hv_counters c = vp_counters(g, i);
	return c.guest_run + c.hypervisor_run;
}

/*
 * 5 always-runnable VPs of weight 100 on 3 LPs for T = 10 s: each gets M/N = 0.6.
 * Tolerance. The LPs never idle while a VP waits (newidle pull, balancing), so the VPs together
 * get 3T less the root's microseconds at time 0, and their mean share is 0.6. The spread around
 * the mean is bounded by how far one VP can get ahead of the least-served one, m:
 *   - on a shared LP the two VPs alternate slices of s = L x 100 / 200 = 12 ms;
 *   - the lone VP (on the LP with one runnable VP) gains on m only while m does not run. The
 *     balancer looks every I = 4 ms and hands the lone LP over (the rotation) once the lone VP
 *     leads a running VP by more than its hysteresis H = L = 24 ms; m waits at most one slice s
 *     for its turn to be running, so the lone VP's lead is at most H + s + I;
 *   - a sharer running while m waits on another LP adds at most one more slice s.
 * So |run time - 0.6 T| <= H + 2s + I = 52 ms, i.e. |share - 0.6| <= 0.0052 at T = 10 s; the
 * bound does not grow with T (the rotation, not luck, keeps the VPs together).
 */
Test(hv_cfs, n_vps_on_m_lps_get_m_over_n)
{
	struct hvt t;
	hvt_init(&t, 1, 3, 1, "cfs", NULL);
	struct busy_guest *g = hvt_vm(&t, "a", 5, 100, 0, 100);
	const sim_time_t T = 10 * SIM_PS_PER_S;
	hvt_run(&t, T);
	const double fair = 3.0 / 5.0, tol = (double)(24 + 2 * 12 + 4) * MS / (double)T;
	double total = 0, lo = 1, hi = 0;
	for (uint32_t i = 0; i < 5; i++) {
		double s = hvt_vp_share(&t, g, i);
		total += s;
		lo = MIN(lo, s);
		hi = MAX(hi, s);
		cr_expect(s >= fair - tol && s <= fair + tol, "vp %u share %.5f, want %.4f +- %.4f", i, s, fair, tol);
	}
	struct hv_counters c;
	hv_partition_counters(g->part, &c);
	cr_log_info("shares %.5f..%.5f (sum %.6f), %llu dispatches, %llu migrations", lo, hi, total,
		    (unsigned long long)c.dispatches, (unsigned long long)c.migrations);
	cr_expect_gt(total, 3.0 * (1 - 1e-5), "work conserving: the VPs got %.6f LPs of 3", total);
	hvt_fini(&t);
}

/*
 * Weights 200 : 100 on one LP (both pinned to LP 1) for 10 s: run times 2 : 1.
 * CFS keeps the two vruntimes within one slice of each other (slices 16 and 8 ms), so the run
 * times differ from 2 : 1 by at most 16 ms over 3.3 s of the lighter VP: < 0.5 %; asserted 1 %.
 */
Test(hv_cfs, weights_on_one_lp)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "cfs", NULL);
	const uint32_t lp1[] = {1};
	struct busy_guest *heavy = vm(&t, "heavy", 1, 200, 100, lp1, 1, NULL);
	struct busy_guest *light = vm(&t, "light", 1, 100, 100, lp1, 1, NULL);
	hvt_run(&t, 10 * SIM_PS_PER_S);
	double h = (double)run_time(heavy, 0), l = (double)run_time(light, 0);
	cr_log_info("heavy %.4f s light %.4f s ratio %.5f", h / SIM_PS_PER_S, l / SIM_PS_PER_S, h / l);
	cr_expect(fabs(h / l - 2.0) < 0.02, "ratio %.5f, want 2 +- 1%%", h / l);
	cr_expect(h + l > 0.9999 * 10 * SIM_PS_PER_S, "LP 1 was busy for %.6f s", (h + l) / SIM_PS_PER_S);
	hvt_fini(&t);
}

/*
 * Two equal VPs pinned to LP 1, 1 s. Each slice is L x 100 / 200 = 12 ms (the switch-in cost is
 * inside the slice), and at each slice end the other VP has the lower vruntime, so LP 1
 * dispatches at 0, 12, 24, ... 996 ms: floor(1000 / 12) + 1 = 84 dispatches in [0, 1 s), 42 each
 * (not 83.3: the run ends inside the 84th slice).
 */
Test(hv_cfs, slice_is_latency_share)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "cfs", NULL);
	const uint32_t lp1[] = {1};
	struct busy_guest *g = vm(&t, "a", 2, 100, 100, lp1, 1, NULL);
	hvt_run(&t, SIM_PS_PER_S);
	struct hv_lp_counters lc;
	hv_lp_counters(t.hv, 1, &lc);
	uint64_t want = 1000 / 12 + 1;
	cr_expect_eq(lc.dispatches, want, "LP 1: %llu dispatches, want %llu", (unsigned long long)lc.dispatches,
		     (unsigned long long)want);
	for (uint32_t i = 0; i < 2; i++)
		cr_expect_eq(vp_counters(g, i).dispatches, want / 2, "vp %u: %llu dispatches", i,
			     (unsigned long long)vp_counters(g, i).dispatches);
	hvt_fini(&t);
}

/*
 * 16 equal VPs pinned to LP 1, 1 s: L x 100 / 1600 = 1.5 ms is below g, so every slice is
 * g = 3 ms: dispatches at 0, 3, ... 999 ms = floor(1000 / 3) + 1 = 334; round robin by vruntime
 * gives each VP 334 / 16 = 20 or 21 of them and 1/16 of the LP (within one slice: 3 ms / 1 s).
 */
Test(hv_cfs, slice_is_min_granularity_when_crowded)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "cfs", NULL);
	const uint32_t lp1[] = {1};
	struct busy_guest *g = vm(&t, "a", 16, 100, 100, lp1, 1, NULL);
	hvt_run(&t, SIM_PS_PER_S);
	struct hv_lp_counters lc;
	hv_lp_counters(t.hv, 1, &lc);
	cr_expect_eq(lc.dispatches, 334, "LP 1: %llu dispatches, want 334", (unsigned long long)lc.dispatches);
	for (uint32_t i = 0; i < 16; i++) {
		uint64_t d = vp_counters(g, i).dispatches;
		double s = hvt_vp_share(&t, g, i);
		cr_expect(d == 20 || d == 21, "vp %u: %llu dispatches, want 20 or 21", i, (unsigned long long)d);
		cr_expect(fabs(s - 1.0 / 16) <= 0.003 + 1e-9, "vp %u share %.5f, want 1/16 +- 0.003", i, s);
	}
	hvt_fini(&t);
}

/*
 * One thinker (0.1 ms chunks, 5 ms think) and one always-runnable hog on LP 1, for T. Both start
 * at min_vruntime; the thinker, created first, wins the tie and runs first, at time 0.
 */
struct wake_run {
	double wait_per_dispatch_ms;
	uint64_t dispatches;
	double hog_share;
};

static void tweak_gran_20ms(struct hv_config *c) { c->cfs_wakeup_granularity = 20 * MS; }

static struct wake_run wake_run(void (*tweak)(struct hv_config *), sim_time_t T)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "cfs", tweak);
	const uint32_t lp1[] = {1};
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	bp.chunk_cycles = 300000; /* 0.1 ms at 3 GHz */
	bp.think = 5 * MS;
	struct busy_guest *thinker = vm(&t, "thinker", 1, 100, 100, lp1, 1, &bp);
	struct busy_guest *hog = vm(&t, "hog", 1, 100, 100, lp1, 1, NULL);
	hvt_run(&t, T);
	struct hv_counters c = vp_counters(thinker, 0);
	struct wake_run r = {
		.wait_per_dispatch_ms = (double)c.wait / (double)c.dispatches / MS,
		.dispatches = c.dispatches,
		.hog_share = hvt_vp_share(&t, hog, 0),
	};
	cr_log_info("thinker: %llu dispatches, wait %.6f ms per dispatch; hog share %.4f",
		    (unsigned long long)r.dispatches, r.wait_per_dispatch_ms, r.hog_share);
	hvt_fini(&t);
	return r;
}

/*
 * The thinker runs 0.1 ms, halts 5 ms and wakes on LP 1 where the hog runs. Its vruntime falls
 * behind, so on each wakeup it gets the sleeper floor min_vruntime - L/2 = hog - 12 ms; 12 ms
 * exceeds the wakeup granularity (4 ms x 100 / 100), so it preempts at once: the reschedule is
 * a zero-delay event and waits only if the hog is inside its switch-in (vp_switch = 6000 cycles
 * = 2 us): wait per dispatch <= 2 us (a slice is 12 ms). It then completes a cycle every
 * switch-in + chunk + think = 5.102 ms from time 0: floor(1 s / 5.102 ms) + 1 = 197 dispatches.
 * Contrast: with a 20 ms granularity (more than the 12 ms credit) it does not preempt; the hog
 * was picked when the thinker halted (0.43 us vmexit after its chunk) and keeps its 12 ms slice,
 * so the thinker waits 12 ms - 5 ms + 0.43 us = 7.0004 ms per dispatch, except its first
 * dispatch (at time 0, no wait) and a wait still open at the end: over 10 s (~830 dispatches)
 * the mean is off by at most 7 ms / dispatches.
 */
Test(hv_cfs, wakeup_preemption)
{
	const sim_time_t T = SIM_PS_PER_S;
	struct wake_run fast = wake_run(NULL, T);
	cr_expect(fast.wait_per_dispatch_ms <= 0.002, "wait %.6f ms per dispatch, want <= 2 us (slice 12 ms)",
		  fast.wait_per_dispatch_ms);
	uint64_t cycles = T / (5 * MS + 100 * US + 2 * US) + 1;
	cr_expect_eq(fast.dispatches, cycles, "%llu dispatches, want %llu",
		  (unsigned long long)fast.dispatches, (unsigned long long)cycles);

	struct wake_run slow = wake_run(tweak_gran_20ms, 10 * T);
	double want = 12.0 - 5.0 + 0.00043, tol = 7.0 / (double)slow.dispatches + 0.001;
	cr_expect(fabs(slow.wait_per_dispatch_ms - want) <= tol, "wait %.6f ms per dispatch, want %.4f +- %.4f",
		  slow.wait_per_dispatch_ms, want, tol);
}

/*
 * limit = CFS bandwidth control: a VM limited to 30 % shares LP 1 with a hog. Two VPs on one LP
 * each get at least half of any period while both are runnable, so the capped one always uses
 * its whole budget (30 ms of each 100 ms period, enforced by vp.c) and is throttled for the rest
 * of the period, which the hog gets: 0.30 and 0.70 (the switch-ins are counted in both).
 */
Test(hv_cfs, limit_is_bandwidth_control)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "cfs", NULL);
	const uint32_t lp1[] = {1};
	struct busy_guest *capped = vm(&t, "capped", 1, 100, 30, lp1, 1, NULL);
	struct busy_guest *hog = vm(&t, "hog", 1, 100, 100, lp1, 1, NULL);
	hvt_run(&t, 2 * SIM_PS_PER_S);
	double c = hvt_vp_share(&t, capped, 0), h = hvt_vp_share(&t, hog, 0);
	cr_log_info("capped %.5f hog %.5f", c, h);
	cr_expect(fabs(c - 0.30) < 0.001, "capped share %.5f, want 0.30", c);
	cr_expect(fabs(h - 0.70) < 0.001, "hog share %.5f, want 0.70", h);
	hvt_fini(&t);
}

/* Reserve has no CFS counterpart: refused when the VM is created and when it is changed. */
Test(hv_cfs, reserve_is_rejected)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "cfs", NULL);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "reserved";
	pc.reserve = 10;
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	GError *err = NULL;
	struct busy_guest *g = busy_guest_new(t.hv, &pc, &bp, &err);
	cr_assert_null(g);
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "the cfs policy (KVM host) has no CPU reserve; use weight or limit") != NULL,
		  "message: %s", err->message);
	cr_expect(strstr(err->message, "reserved") != NULL, "message names the VM: %s", err->message);
	g_clear_error(&err);
	cr_expect_null(hv_partition_find(t.hv, "reserved"), "the refused VM is not left behind");

	struct busy_guest *ok = hvt_vm(&t, "ok", 1, 100, 0, 100);
	cr_expect_not(hv_partition_set_reserve(ok->part, 5, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "has no CPU reserve") != NULL, "message: %s", err->message);
	g_clear_error(&err);
	cr_expect(hv_partition_set_limit(ok->part, 50, &err), "limit is supported: %s", err ? err->message : "");
	hvt_fini(&t);
}

Test(hv_cfs, scheduled_reserve_is_refused_when_scheduled)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "cfs", NULL);
	struct busy_guest *g = hvt_vm(&t, "a", 1, 100, 0, 100);
	GError *err = NULL;
	struct hv_action a = {.at = 10 * SIM_PS_PER_MS, .kind = HV_ACT_SET_RESERVE, .partition = g->part, .value = 10};
	cr_expect_not(hv_action_schedule(t.hv, &a, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "reserve") != NULL, "%s", err->message);
	g_clear_error(&err);
	a.kind = HV_ACT_SET_LIMIT, a.value = 50;
	cr_expect(hv_action_schedule(t.hv, &a, &err));
	hvt_run(&t, 20 * SIM_PS_PER_MS);
	hvt_fini(&t);
}
