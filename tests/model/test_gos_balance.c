/* SPDX-License-Identifier: MIT */
/*
 * test_gos_balance.c - the guest load balancer: tasks started on one vCPU spread over all of them
 *                      within a bound derived from the tick and the balance intervals, stay
 *                      spread, and then share fairly; the same across guest NUMA nodes and SMT.
 */
#include "tests/model/gostest.h"

static const uint32_t lps8[] = {0, 1, 2, 3, 4, 5, 6, 7};

struct spread_watch {
	struct sim_monitor mon;
	struct gos_kernel *k;
	uint32_t per_cpu;          /* tasks each vCPU should hold */
	sim_time_t balanced_at;    /* first time every vCPU held per_cpu tasks (SIM_TIME_MAX: never) */
	bool unbalanced_after;     /* lost the balance after reaching it */
};

static bool spread(const struct gos_kernel *k, uint32_t per_cpu)
{
	uint32_t n[64] = {0};
	for (uint32_t i = 0; i < gos_ntasks(k); i++)
		n[gos_task_cpu(gos_task_at(k, i))]++;
	for (uint32_t c = 0; c < gos_ncpus(k); c++)
		if (n[c] != per_cpu)
			return false;
	return true;
}

static bool watch(struct sim_monitor *m, const struct sim *sim)
{
	struct spread_watch *w = sim_container_of(m, struct spread_watch, mon);
	bool ok = spread(w->k, w->per_cpu);
	if (ok && w->balanced_at == SIM_TIME_MAX)
		w->balanced_at = sim_now(sim);
	else if (!ok && w->balanced_at != SIM_TIME_MAX)
		w->unbalanced_after = true;
	return false;
}

static const struct sim_monitor_ops watch_ops = {.should_stop = watch};

/* ntasks CPU-bound tasks all started on vCPU 0; returns when the spread was reached. */
static sim_time_t spread_time(uint32_t vcpus, uint32_t ntasks, const struct gos_config *gc, double *worst_share)
{
	struct gost t;
	gost_init(&t, vcpus + 1, "classic", NULL);
	struct gos_kernel *k = gost_vm(&t, "vm", vcpus, gc, lps8, vcpus);
	for (uint32_t i = 0; i < ntasks; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, 0, 0);
	struct spread_watch w = {.mon = {.ops = &watch_ops, .every = 1}, .k = k, .per_cpu = ntasks / vcpus,
				 .balanced_at = SIM_TIME_MAX};
	struct sim_run_params rp = {.end = 2 * SIM_PS_PER_S, .monitor = &w.mon};
	sim_run(t.h.sim, &rp);
	cr_expect_not(w.unbalanced_after, "the balance, once reached, holds");
	*worst_share = 0;
	for (uint32_t i = 0; i < ntasks; i++) {
		struct gos_task_stats s;
		gos_task_stats(gos_task_at(k, i), &s);
		double d = fabs((double)s.run / 2e12 - (double)vcpus / ntasks);
		if (d > *worst_share)
			*worst_share = d;
	}
	gost_fini(&t);
	return w.balanced_at;
}

/*
 * The test: 8 tasks started on vCPU 0 of 4. vCPU 0's first tick (4 ms at HZ=250) finds
 * 8 tasks and tickless idle vCPUs: it kicks one, which balances for every idle vCPU in one pass
 * (pulls 4, then 2 and 2). So the spread is complete one tick period after the start plus the
 * kick's IPI and the wakes (microseconds): bound 4 ms + 1 ms.
 */
Test(gos_balance, eight_tasks_from_one_vcpu_spread_over_four_within_a_tick)
{
	double worst;
	sim_time_t at = spread_time(4, 8, NULL, &worst);
	cr_expect_leq(at, 5 * SIM_PS_PER_MS, "balanced at %.3f ms", (double)at / 1e9);
	cr_log_info("balanced at %.3f ms", (double)at / 1e9);
	/* and then every task gets half a vCPU (2 s, the first 5 ms unbalanced: < 0.3%) */
	cr_expect_lt(worst, 0.005, "worst share deviation %.4f", worst);
}

/*
 * With periodic ticks no kick is needed: each idle vCPU balances at its own tick (interval: the
 * node's span, 4 ms, rounded to ticks). Bound: two tick periods (the first idle ticks may come
 * before vCPU 0's runqueue has anything to steal).
 */
Test(gos_balance, periodic_ticks_balance_without_kicks)
{
	struct gos_config gc;
	gos_config_default(&gc);
	gc.tickless = false;
	double worst;
	sim_time_t at = spread_time(4, 8, &gc, &worst);
	cr_expect_leq(at, 9 * SIM_PS_PER_MS, "balanced at %.3f ms", (double)at / 1e9);
	cr_expect_lt(worst, 0.005);
}

/*
 * With several levels one pass may leave counts off by one between groups (a vCPU pulls from a
 * far group before its sibling has pulled); the next due balance fixes it. Bound: vCPU 0's first
 * tick (the kick), plus the largest idle interval of a level (its span in ms), plus one tick for
 * that balance to come at a tick, plus 1 ms for the costs on the way.
 */
static sim_time_t multi_level_bound(uint32_t largest_span)
{
	return 4 * SIM_PS_PER_MS + largest_span * SIM_PS_PER_MS + 4 * SIM_PS_PER_MS + SIM_PS_PER_MS;
}

/* Two guest NUMA nodes of 4 vCPUs: the node level (span 4) and the NUMA level (span 8) act. */
Test(gos_balance, tasks_cross_guest_numa_nodes)
{
	struct gos_config gc;
	gos_config_default(&gc);
	gc.numa_nodes = 2;
	double worst;
	sim_time_t at = spread_time(8, 16, &gc, &worst);
	cr_expect_leq(at, multi_level_bound(8), "balanced at %.3f ms", (double)at / 1e9);
	cr_expect_lt(worst, 0.005);
}

/* Guest SMT siblings form their own level: 2 threads per core, 4 vCPUs, 8 tasks. */
Test(gos_balance, smt_level_balances_too)
{
	struct gos_config gc;
	gos_config_default(&gc);
	gc.threads_per_core = 2;
	double worst;
	sim_time_t at = spread_time(4, 8, &gc, &worst);
	cr_expect_leq(at, multi_level_bound(4), "balanced at %.3f ms", (double)at / 1e9);
	cr_expect_lt(worst, 0.005);
}

/*
 * A migration is counted and costs the moved task its cache refill (cost "migration", executed as
 * extra cycles of its computation). Made 250 ms here so it shows: the moved task completes 0.75
 * of the other's cycles over 1 s, give or take the first tick shared on vCPU 0 (4 ms) and a 1 ms
 * chunk in progress at the end: 0.5% each way.
 */
Test(gos_balance, migrations_are_counted_and_cost_cycles)
{
	struct gost t;
	gost_init(&t, 3, "classic", NULL);
	struct gos_config gc;
	gos_config_default(&gc);
	cr_assert(gos_cost_set(gc.cost_ns, "migration", 250000000));
	struct gos_kernel *k = gost_vm(&t, "vm", 2, &gc, lps8, 2);
	for (uint32_t i = 0; i < 2; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, 0, 0);
	gost_run(&t, SIM_PS_PER_S);
	struct gos_task_stats s[2];
	gos_task_stats(gos_task_at(k, 0), &s[0]);
	gos_task_stats(gos_task_at(k, 1), &s[1]);
	cr_expect_eq(s[0].migrations + s[1].migrations, 1, "one task moves to the idle vCPU and both stay");
	struct gos_cpu_stats c1;
	gos_cpu_stats(k, 1, &c1);
	cr_expect_eq(c1.migrations_in, 1);
	int moved = s[1].migrations ? 1 : 0;
	double ratio = (double)s[moved].cycles / (double)s[!moved].cycles;
	cr_expect(fabs(ratio - 0.75) < 0.01, "moved/stayed cycles %.4f", ratio);
	gost_fini(&t);
}

/* Hot-added vCPUs join the guest scheduler: tasks spread onto them at their first balance. */
Test(gos_balance, hot_added_vcpus_take_tasks)
{
	struct gost t;
	gost_init(&t, 5, "classic", NULL);
	struct gos_kernel *k = gost_vm(&t, "vm", 1, NULL, lps8, 4); /* one vCPU: no domain at all yet */
	for (uint32_t i = 0; i < 8; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, -1, 0);
	struct hv_action add = {.at = SIM_PS_PER_S, .kind = HV_ACT_HOT_ADD, .partition = gos_partition(k), .value = 3};
	cr_assert(hv_action_schedule(t.h.hv, &add, NULL));
	gost_run(&t, SIM_PS_PER_S + 20 * SIM_PS_PER_MS);
	cr_assert_eq(gos_ncpus(k), 4);
	cr_expect(spread(k, 2), "8 tasks over 4 vCPUs 20 ms after the hot-add");
	gost_fini(&t);
}
