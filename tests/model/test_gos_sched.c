/* SPDX-License-Identifier: MIT */
/*
 * test_gos_sched.c - the guest scheduler on the hypervisor: fair shares on dedicated LPs, steal
 *                    and halved throughput under 2:1 overcommit, visible vs true steal, nice
 *                    weights, affinity, and the same kernel on bare metal.
 */
#include "tests/model/gostest.h"

static const uint32_t lps4[] = {0, 1, 2, 3};
static const uint32_t lps2[] = {2, 3};

static double share(const struct gos_task_stats *s, double secs) { return (double)s->run / 1e12 / secs; }

/* 8 CPU-bound tasks on a 4-vCPU VM; returns the cycles all tasks completed. */
static uint64_t eight_tasks(struct gost *t, struct gos_kernel *k, double secs, double want_share, double tol,
			    bool check_no_steal)
{
	for (int i = 0; i < 8; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, -1, 0);
	/* statistics from 100 ms on: the boot (every VP placed at once) is not the steady state */
	gost_run_warm(t, 100 * SIM_PS_PER_MS, (sim_time_t)(secs * SIM_PS_PER_S));
	uint64_t cycles = 0;
	for (uint32_t i = 0; i < 8; i++) {
		struct gos_task_stats s;
		gos_task_stats(gos_task_at(k, i), &s);
		cr_expect(fabs(share(&s, secs) - want_share) <= tol * want_share, "task %u share %.4f, want %.3f +- %.0f%%",
			  i, share(&s, secs), want_share, tol * 100);
		if (check_no_steal)
			cr_expect_eq(s.steal, 0, "task %u steal %llu", i, (unsigned long long)s.steal);
		cycles += s.cycles;
	}
	return cycles;
}

/* The first test: 4 vCPUs on 4 dedicated LPs, 8 tasks: 50% each within 1%, no steal. */
Test(gos_sched, eight_tasks_on_four_dedicated_lps_get_half_each)
{
	struct gost t;
	gost_init(&t, 5, "classic", NULL); /* LP 4 holds the root VP: the VM's 4 LPs are its own */
	static const uint32_t own[] = {0, 1, 2, 3};
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, own, 4);
	eight_tasks(&t, k, 5.0, 0.5, 0.01, true);
	for (uint32_t i = 0; i < 4; i++) {
		struct gos_cpu_stats s;
		gos_cpu_stats(k, i, &s);
		cr_expect_eq(s.steal, 0, "vcpu %u steal %llu ps", i, (unsigned long long)s.steal);
	}
	gost_fini(&t);
}

/*
 * 2:1 overcommit: the same VM on 2 LPs. Each VP gets half an LP, so steal is half the time per
 * vCPU and the tasks complete half the cycles. Tolerance: the classic quantum (10 ms) over 5 s
 * bounds the share error of each VP by 0.2%; 1% leaves room for the per-switch costs.
 */
static void steal_visible(struct hv_config *c) { c->steal_clock = 1; }

static uint64_t dedicated_cycles(void)
{
	struct gost t;
	gost_init(&t, 5, "classic", NULL);
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, lps4, 4);
	uint64_t c = eight_tasks(&t, k, 5.0, 0.5, 0.01, true);
	gost_fini(&t);
	return c;
}

static void overcommit(bool visible)
{
	uint64_t full = dedicated_cycles();
	struct gost t;
	gost_init(&t, 5, "classic", visible ? steal_visible : NULL);
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, lps2, 2);
	/* tasks see half the LP time each: run = 25% of wall time, steal the other 25% of their 50% */
	uint64_t half = eight_tasks(&t, k, 5.0, 0.25, 0.02, false);
	cr_expect(fabs((double)half / (double)full - 0.5) < 0.01, "throughput ratio %.4f", (double)half / (double)full);
	for (uint32_t i = 0; i < 4; i++) {
		struct gos_cpu_stats s;
		gos_cpu_stats(k, i, &s);
		struct hv_counters hc;
		hv_vp_counters(hv_partition_vp(gos_partition(k), i), &hc);
		double st = (double)s.steal / 1e12 / 5.0;
		cr_expect(fabs(st - 0.5) < 0.01, "vcpu %u steal %.4f", i, st);
		/* the truth is the hypervisor's ready time: its counter (reset at warm-up too) plus a
		   wait in progress, at most one quantum */
		cr_expect(s.steal >= hc.wait && s.steal - hc.wait <= 10 * SIM_PS_PER_MS, "vcpu %u steal %llu vs wait %llu", i,
			  (unsigned long long)s.steal, (unsigned long long)hc.wait);
		if (visible)
			cr_expect_eq(s.steal_visible, s.steal, "vcpu %u visible %llu true %llu", i,
				     (unsigned long long)s.steal_visible, (unsigned long long)s.steal);
		else
			cr_expect_eq(s.steal_visible, 0, "Hyper-V publishes no steal clock by default");
	}
	gost_fini(&t);
}

Test(gos_sched, overcommit_two_to_one_halves_throughput_and_steals_half) { overcommit(false); }
Test(gos_sched, published_steal_clock_equals_the_hypervisor_ready_time) { overcommit(true); }

/* The steal the guest sees equals the VP's ready time at every instant it is read. */
static struct gos_kernel *g_k;
static bool g_exact = true;
static bool check_visible(struct sim_monitor *m, const struct sim *sim)
{
	(void)sim;
	(void)m;
	for (uint32_t i = 0; i < gos_ncpus(g_k); i++) {
		struct gos_cpu_stats s;
		gos_cpu_stats(g_k, i, &s);
		if (s.steal_visible != s.steal)
			g_exact = false;
	}
	return false;
}

Test(gos_sched, visible_steal_matches_ready_time_throughout)
{
	struct gost t;
	gost_init(&t, 3, "cfs", NULL); /* KVM publishes its steal clock */
	static const uint32_t one[] = {1};
	struct gos_kernel *k = gost_vm(&t, "vm", 3, NULL, one, 1);
	for (int i = 0; i < 4; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, -1, 0);
	g_k = k;
	static const struct sim_monitor_ops ops = {.should_stop = check_visible};
	struct sim_monitor mon = {.ops = &ops, .every = 97};
	struct sim_run_params rp = {.end = SIM_PS_PER_S, .monitor = &mon};
	sim_run(t.h.sim, &rp);
	cr_expect(g_exact);
	struct gos_cpu_stats s;
	gos_cpu_stats(k, 0, &s);
	cr_expect_gt(s.steal, SIM_PS_PER_S / 2, "3 vCPUs on one LP: each waits 2/3 of the time");
	gost_fini(&t);
}

/* Nice: two tasks on one vCPU, nice 0 and 5 (weights 1024 and 335) share it 1024:335. */
Test(gos_sched, nice_weights_divide_a_vcpu)
{
	struct gost t;
	gost_init(&t, 2, "classic", NULL);
	static const uint32_t lp0[] = {0};
	struct gos_kernel *k = gost_vm(&t, "vm", 1, NULL, lp0, 1);
	struct gos_task_config tc;
	gos_task_config_default(&tc);
	tc.program = &gost_burn;
	tc.arg = &gost_ms_chunk;
	struct gos_task *a = gos_task_new(k, &tc, NULL);
	tc.nice = 5;
	struct gos_task *b = gos_task_new(k, &tc, NULL);
	gost_run(&t, 10 * SIM_PS_PER_S);
	struct gos_task_stats sa, sb;
	gos_task_stats(a, &sa);
	gos_task_stats(b, &sb);
	double want = 1024.0 / 335.0, got = (double)sa.run / (double)sb.run;
	/* slices end at ticks (4 ms): the ratio is off by at most a tick over ~2.5 s of b's time */
	cr_expect(fabs(got - want) / want < 0.02, "ratio %.3f, want %.3f", got, want);
	gost_fini(&t);
}

/* Affinity: a task pinned to vCPU 2 runs only there, and the others share the rest. */
Test(gos_sched, affinity_keeps_a_task_on_its_vcpus)
{
	struct gost t;
	gost_init(&t, 5, "classic", NULL);
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, lps4, 4);
	struct gos_task_config tc;
	gos_task_config_default(&tc);
	tc.program = &gost_burn;
	tc.arg = &gost_ms_chunk;
	static const uint32_t two[] = {2};
	tc.affinity = two;
	tc.naffinity = 1;
	struct gos_task *pinned = gos_task_new(k, &tc, NULL);
	for (int i = 0; i < 6; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, 0, 0); /* all start on vCPU 0 */
	gost_run(&t, 2 * SIM_PS_PER_S);
	struct gos_task_stats s;
	gos_task_stats(pinned, &s);
	cr_expect_eq(gos_task_cpu(pinned), 2);
	cr_expect_eq(s.migrations, 0);
	gost_fini(&t);
}

/* The same kernel on bare metal: 50% each, nothing stolen, no hypervisor time, no exits. */
Test(gos_sched, bare_metal_twin_runs_the_same_kernel)
{
	struct gost t;
	gost_init(&t, 4, "none", NULL);
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, NULL, 0);
	eight_tasks(&t, k, 2.0, 0.5, 0.01, true);
	struct hv_counters hc;
	hv_partition_counters(gos_partition(k), &hc);
	cr_expect_eq(hc.hypervisor_run, 0);
	cr_expect_eq(hc.exits, 0);
	cr_expect_eq(hc.wait, 0);
	gost_fini(&t);
}

/* Same scenario, same seed: identical task and vCPU metrics. */
static void metrics_of(struct gos_task_stats *ts, struct gos_cpu_stats *cs)
{
	struct gost t;
	gost_init(&t, 4, "classic", NULL);
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, lps2, 2);
	for (int i = 0; i < 6; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, 0, 1);
	gost_run(&t, SIM_PS_PER_S);
	for (uint32_t i = 0; i < 6; i++)
		gos_task_stats(gos_task_at(k, i), &ts[i]);
	for (uint32_t i = 0; i < 4; i++)
		gos_cpu_stats(k, i, &cs[i]);
	gost_fini(&t);
}

Test(gos_sched, same_scenario_same_metrics)
{
	struct gos_task_stats a[6], b[6];
	struct gos_cpu_stats ca[4], cb[4];
	memset(a, 0, sizeof a), memset(b, 0, sizeof b), memset(ca, 0, sizeof ca), memset(cb, 0, sizeof cb);
	metrics_of(a, ca);
	metrics_of(b, cb);
	cr_expect_eq(memcmp(a, b, sizeof a), 0);
	cr_expect_eq(memcmp(ca, cb, sizeof ca), 0);
}

/* ---- wakeup preemption ---- */

/* Sleeps 10 ms, computes 0.1 ms, for ever. */
static void sleeper_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	unsigned *step = arg;
	if ((*step)++ % 2 == 0) {
		op->kind = GOS_OP_SLEEP;
		op->duration = 10 * SIM_PS_PER_MS;
	} else {
		op->kind = GOS_OP_COMPUTE;
		op->cycles = 300000;
	}
}
static const struct gos_program sleeper = {.next = sleeper_next};

/* Mean runqueue wait per wakeup of a sleeper sharing one vCPU with a CPU hog. */
static double sleeper_wait_us(sim_time_t wakeup_granularity)
{
	struct gost t;
	gost_init(&t, 2, "classic", NULL);
	struct gos_config gc;
	gos_config_default(&gc);
	gc.wakeup_granularity = wakeup_granularity;
	static const uint32_t lp0[] = {0};
	struct gos_kernel *k = gost_vm(&t, "vm", 1, &gc, lp0, 1);
	gost_task(k, &gost_burn, &gost_ms_chunk, 0, 0);
	static unsigned step;
	step = 0;
	struct gos_task *s = gost_task(k, &sleeper, &step, 0, 0);
	gost_run_warm(&t, 100 * SIM_PS_PER_MS, 2 * SIM_PS_PER_S);
	struct gos_task_stats st;
	gos_task_stats(s, &st);
	double wakes = (double)st.ops / 2;
	gost_fini(&t);
	return (double)st.wait / 1e6 / wakes;
}

/*
 * The sleeper wakes up to 3 ms (the sleeper credit) behind the hog, more than the 1 ms wakeup
 * granularity: it preempts at once, waiting only for the hog's switch-out (microseconds). With
 * a granularity larger than the credit it waits for the hog's slice to end at a tick: on average
 * half a tick period (2 ms at HZ=250), at least a quarter of it.
 */
Test(gos_sched, wakeup_preemption_runs_a_woken_task_at_once)
{
	double pre = sleeper_wait_us(0), late = sleeper_wait_us(SIM_PS_PER_S);
	cr_expect_lt(pre, 10.0, "preempting: %.1f us per wakeup", pre);
	cr_expect_gt(late, 1000.0, "not preempting: %.1f us per wakeup", late);
	cr_log_info("wait per wakeup: %.2f us preempting, %.1f us not", pre, late);
}

/* The tick follows hz on a busy vCPU. */
Test(gos_sched, tick_rate_follows_hz)
{
	struct gost t;
	gost_init(&t, 2, "classic", NULL);
	struct gos_config gc;
	gos_config_default(&gc);
	gc.hz = 1000;
	static const uint32_t lp0[] = {0};
	struct gos_kernel *k = gost_vm(&t, "vm", 1, &gc, lp0, 1);
	gost_task(k, &gost_burn, &gost_ms_chunk, 0, 0);
	gost_run(&t, SIM_PS_PER_S);
	struct gos_cpu_stats s;
	gos_cpu_stats(k, 0, &s);
	cr_expect(s.ticks >= 998 && s.ticks <= 1000, "ticks %llu", (unsigned long long)s.ticks);
	gost_fini(&t);
}

/* Watches the published steal clocks: they must never go back. */
struct monotone_watch {
	struct sim_monitor mon;
	struct gos_kernel *k;
	sim_time_t last[4];
	bool backwards;
};

static bool steal_monotone(struct sim_monitor *m, const struct sim *sim)
{
	(void)sim;
	struct monotone_watch *w = sim_container_of(m, struct monotone_watch, mon);
	for (uint32_t i = 0; i < 4; i++) {
		sim_time_t s;
		vhw_steal_clock(hv_vp_cpu(hv_partition_vp(gos_partition(w->k), i)), &s);
		if (s < w->last[i])
			w->backwards = true;
		w->last[i] = s;
	}
	return false;
}

/*
 * A warm-up reset in the middle of everything (tasks just blocked, sleeping, waiting): the steal
 * clock the guest reads never goes back, and no task is charged more steal than time passed.
 */
Test(gos_sched, warmup_reset_keeps_steal_sane)
{
	struct gost t;
	gost_init(&t, 2, "cfs", NULL);
	static const uint32_t one[] = {1};
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, one, 1);
	static unsigned steps[6];
	for (int i = 0; i < 6; i++) {
		steps[i] = (unsigned)i;
		gost_task(k, &sleeper, &steps[i], -1, 0);
	}
	gost_task(k, &gost_burn, &gost_ms_chunk, -1, 0);
	static const struct sim_monitor_ops ops = {.should_stop = steal_monotone};
	struct monotone_watch w = {.mon = {.ops = &ops, .every = 50}, .k = k};
	struct sim_run_params rp = {.end = 100 * SIM_PS_PER_MS + 12345 + SIM_PS_PER_S,
				    .warmup = 100 * SIM_PS_PER_MS + 12345, .monitor = &w.mon};
	sim_run(t.h.sim, &rp);
	cr_expect_not(w.backwards, "a published steal clock went back");
	for (uint32_t i = 0; i < gos_ntasks(k); i++) {
		struct gos_task_stats s;
		gos_task_stats(gos_task_at(k, i), &s);
		cr_expect_leq(s.run + s.steal, SIM_PS_PER_S, "task %u run %llu steal %llu", i, (unsigned long long)s.run,
			      (unsigned long long)s.steal);
		cr_expect_eq(s.steal_visible, s.steal, "task %u: KVM publishes all of it", i);
	}
	for (uint32_t i = 0; i < 4; i++) {
		struct gos_cpu_stats s;
		gos_cpu_stats(k, i, &s);
		cr_expect_leq(s.steal, SIM_PS_PER_S);
		cr_expect_eq(s.steal_visible, s.steal);
	}
	gost_fini(&t);
}
