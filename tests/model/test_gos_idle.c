/* SPDX-License-Identifier: MIT */
/*
 * test_gos_idle.c - idle and wakeups: an idle VM costs (almost) nothing but its ticks, halts and
 *                   wakes are counted and cost what the cost table says, cross-vCPU wakeups send
 *                   reschedule IPIs, and halt-poll replaces them for short idle periods.
 */
#include "tests/model/gostest.h"

static const uint32_t lps4[] = {0, 1, 2, 3};

static void idle_vm(bool tickless)
{
	struct gost t;
	gost_init(&t, 5, "classic", NULL);
	struct gos_config gc;
	gos_config_default(&gc);
	gc.tickless = tickless;
	struct gos_kernel *k = gost_vm(&t, "idle", 4, &gc, lps4, 4);
	const double secs = 2.0;
	gost_run_warm(&t, 100 * SIM_PS_PER_MS, (sim_time_t)(secs * SIM_PS_PER_S));
	struct hv_counters hc;
	hv_partition_counters(gos_partition(k), &hc);
	uint64_t ticks = 0, halts = 0, timer_irqs = 0;
	for (uint32_t i = 0; i < 4; i++) {
		struct gos_cpu_stats s;
		gos_cpu_stats(k, i, &s);
		ticks += s.ticks;
		halts += s.halts;
		timer_irqs += s.timer_interrupts;
		cr_expect_eq(s.busy, 0, "no task ever ran");
	}
	double used = (double)(hc.guest_run + hc.hypervisor_run) / 1e12 / (4 * secs);
	const struct hv_costs *costs = hv_costs(t.h.hv);
	sim_time_t tick_ps = gos_config(k)->cost_ns[GOS_COST_TICK] * SIM_PS_PER_NS;
	if (tickless) {
		/* nothing wakes a tickless idle vCPU */
		cr_expect_eq(ticks, 0);
		cr_expect_eq(halts, 0, "halted once before the warm-up, never since");
		cr_expect_eq(hc.guest_run + hc.hypervisor_run, 0);
	} else {
		/* one tick per vCPU per 4 ms, each: wake, timer interrupt, tick handler, halt */
		double want = 4 * secs * gos_config(k)->hz;
		cr_expect(fabs((double)ticks - want) <= 4, "ticks %llu, want %.0f", (unsigned long long)ticks, want);
		cr_expect_eq(halts, ticks, "every tick ends in a halt");
		cr_expect_eq(hc.intercepts[VHW_IC_HALT], halts, "the hypervisor saw every halt");
		cr_expect_eq(hc.interrupts, timer_irqs, "every timer interrupt was delivered");
		/* guest time is exactly the tick handlers; hypervisor time the halt exits plus VP switches */
		cr_expect_eq(hc.guest_run, ticks * tick_ps, "guest %llu ps", (unsigned long long)hc.guest_run);
		sim_time_t exits = halts * costs->ps[HV_COST_VMEXIT];
		cr_expect(hc.hypervisor_run >= exits && hc.hypervisor_run <= exits + hc.dispatches * costs->ps[HV_COST_VP_SWITCH],
			  "hypervisor time %llu ps for %llu halts", (unsigned long long)hc.hypervisor_run,
			  (unsigned long long)halts);
		cr_expect(used < 0.001, "idle VM used %.5f of its LPs", used);
		cr_expect_gt(used, 0.0);
	}
	gost_fini(&t);
}

Test(gos_idle, idle_vm_with_periodic_ticks_costs_only_its_ticks) { idle_vm(false); }
Test(gos_idle, tickless_idle_vm_costs_nothing) { idle_vm(true); }

/* ---- ping-pong: two tasks on two vCPUs wake each other ---- */

struct pingpong {
	struct gos_task *peer;
	bool starter;
	int step;
	uint64_t rounds;
};

static void pp_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct pingpong *p = arg;
	/* starter: compute, wake peer, block; other: block, compute, wake peer */
	int s = p->step++ % 3;
	if (!p->starter)
		s = (s + 2) % 3;
	switch (s) {
	case 0:
		op->kind = GOS_OP_COMPUTE;
		op->cycles = 30000; /* 10 us */
		break;
	case 1:
		op->kind = GOS_OP_WAKE;
		op->task = p->peer;
		p->rounds++;
		break;
	default:
		op->kind = GOS_OP_BLOCK;
		break;
	}
}
static const struct gos_program pingpong = {.next = pp_next};

static void run_pingpong(sim_time_t poll, struct gos_cpu_stats *s0, struct gos_cpu_stats *s1, uint64_t *rounds)
{
	struct gost t;
	gost_init(&t, 5, "classic", NULL);
	struct gos_config gc;
	gos_config_default(&gc);
	gc.halt_poll = poll;
	struct gos_kernel *k = gost_vm(&t, "pp", 2, &gc, lps4, 4);
	static struct pingpong a, b;
	a = (struct pingpong){.starter = true};
	b = (struct pingpong){0};
	struct gos_task_config tc;
	gos_task_config_default(&tc);
	tc.program = &pingpong;
	static const uint32_t c0[] = {0}, c1[] = {1};
	tc.affinity = c0, tc.naffinity = 1, tc.arg = &a;
	struct gos_task *ta = gos_task_new(k, &tc, NULL);
	tc.affinity = c1, tc.arg = &b;
	struct gos_task *tb = gos_task_new(k, &tc, NULL);
	a.peer = tb;
	b.peer = ta;
	gost_run(&t, SIM_PS_PER_S); /* from the start: rounds and counters cover the same time */
	gos_cpu_stats(k, 0, s0);
	gos_cpu_stats(k, 1, s1);
	*rounds = a.rounds + b.rounds;
	gost_fini(&t);
}

Test(gos_idle, cross_vcpu_wakeups_send_reschedule_ipis)
{
	struct gos_cpu_stats s0, s1;
	uint64_t wakes;
	run_pingpong(0, &s0, &s1, &wakes);
	cr_expect_gt(wakes, 1000);
	/* every wake finds the peer halted: one IPI each (within the few at the warm-up edge) */
	uint64_t ipis = s0.ipis_sent + s1.ipis_sent;
	cr_expect(ipis + 2 >= wakes && ipis <= wakes + 2, "ipis %llu wakes %llu", (unsigned long long)ipis,
		  (unsigned long long)wakes);
	cr_expect_eq(s0.ipis_sent, s1.ipis_received);
	cr_expect(s0.halts + s1.halts + 2 >= wakes, "each side halts between rounds");
}

Test(gos_idle, halt_poll_catches_short_idle_without_ipis_or_halts)
{
	struct gos_cpu_stats s0, s1, n0, n1;
	uint64_t wakes, nwakes;
	run_pingpong(200 * SIM_PS_PER_US, &s0, &s1, &wakes);
	run_pingpong(0, &n0, &n1, &nwakes);
	/* the round trip (~20 us + costs) is shorter than the poll bound: the poller sees the wake */
	cr_expect_lt(s0.ipis_sent + s1.ipis_sent, 4, "polling vCPUs need no IPI");
	cr_expect_lt(s0.halts + s1.halts, 4);
	cr_expect(s0.poll_wakeups + s1.poll_wakeups + 2 >= wakes, "poll wakeups %llu wakes %llu",
		  (unsigned long long)(s0.poll_wakeups + s1.poll_wakeups), (unsigned long long)wakes);
	/* no halt, no wake-up exit, no IPI exit: more rounds per second */
	cr_expect_gt(wakes, nwakes, "polling %llu rounds, halting %llu", (unsigned long long)wakes,
		     (unsigned long long)nwakes);
}

/* Halt-poll is a paravirtual driver (cpuidle-haltpoll): not on bare metal. */
Test(gos_idle, no_halt_poll_on_bare_metal)
{
	struct gost t;
	gost_init(&t, 2, "none", NULL);
	struct gos_config gc;
	gos_config_default(&gc);
	gc.halt_poll = 200 * SIM_PS_PER_US;
	gc.tickless = false;
	struct gos_kernel *k = gost_vm(&t, "idle", 2, &gc, NULL, 0);
	gost_run(&t, 100 * SIM_PS_PER_MS);
	struct gos_cpu_stats s;
	gos_cpu_stats(k, 0, &s);
	cr_expect_eq(s.polls, 0);
	cr_expect_gt(s.halts, 20);
	gost_fini(&t);
}
