/* SPDX-License-Identifier: MIT */
/*
 * test_gos_memory.c - dynamic memory (issue 10, REFERENCE 6; docs/memory.md): a VM whose demand
 *                     exceeds its memory is hot-added 128 MiB chunks up to its target (demand x
 *                     1.2), its maximum or what the host has free, in the time the chunk count and
 *                     latency imply; a VM with more than its target balloons the rest back (after
 *                     the balloon driver's work on vCPU 0) down to its minimum; two VMs competing
 *                     for too little memory share it by memory weight and never hold more than the
 *                     host has (checked at every change).
 * Leaves unchecked: NUMA nodes of the memory, stopped partitions, the CLI rows (scenarios/memory-dynamic.json).
 * Every run is deterministic; timings are exact to the event.
 */
#include <inttypes.h>

#include "tests/model/gostest.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

/* A 4-core single-node host with `memory` bytes; dm loop every second, 10 ms chunks. */
static void mem_host(struct gost *t, uint64_t memory)
{
	memset(t, 0, sizeof *t);
	t->h.sim = sim_new(1);
	struct hw_config hc;
	hw_config_default(&hc);
	hc.cores_per_node = 4;
	hc.threads_per_core = 1;
	hc.memory_per_node = memory;
	GError *err = NULL;
	t->h.host = hw_host_new(t->h.sim, &hc, &err);
	cr_assert_not_null(t->h.host, "%s", err ? err->message : "");
	struct hv_config c;
	hv_config_default(&c);
	c.root_vcpus = 1;
	t->h.hv = hv_new(t->h.host, &c, &err);
	cr_assert_not_null(t->h.hv, "%s", err ? err->message : "");
}

/* A 2-vCPU VM with dynamic memory: startup `memory`, min/max, a working set, reports from 500 ms. */
static struct gos_kernel *dm_vm(struct gost *t, const char *name, uint64_t memory, uint64_t min, uint64_t max,
				uint32_t weight, uint64_t working_set)
{
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = name;
	pc.vcpus = 2;
	pc.memory = memory;
	pc.dynamic_memory.enabled = true;
	pc.dynamic_memory.minimum = min;
	pc.dynamic_memory.maximum = max;
	pc.dynamic_memory.weight = weight;
	struct gos_config gc;
	gos_config_default(&gc);
	gc.memory.report_delay = 500 * SIM_PS_PER_MS; /* between loop ticks: no tie at one instant */
	GError *err = NULL;
	struct gos_kernel *k = gos_new(t->h.hv, &pc, &gc, &err);
	cr_assert_not_null(k, "%s", err ? err->message : "");
	t->k[t->nk++] = k;
	gos_add_working_set(k, working_set);
	return k;
}

static uint64_t assigned(const struct gos_kernel *k)
{
	uint64_t a, d;
	gos_memory(k, &a, &d);
	return a;
}

static void fini(struct gost *t)
{
	for (int i = 0; i < t->nk; i++)
		gos_free(t->k[i]);
	hvt_fini(&t->h);
}

Test(gos_memory, hot_add_reaches_buffer_target_in_chunks)
{
	struct gost t;
	mem_host(&t, 8 * GiB);
	struct gos_kernel *k = dm_vm(&t, "vm", 1 * GiB, 512 * MiB, 4 * GiB, 5000, 2 * GiB);
	/* demand 256 MiB + 2 GiB = 2304 MiB; target 2304 x 1.2 = 2764.8 -> 2766 MiB (2 MiB units) */
	uint64_t target = 2766 * MiB, chunks = (target - 1 * GiB + 128 * MiB - 1) / (128 * MiB);
	cr_assert_eq(chunks, 14);
	/* first report at 0.5 s, first loop tick at 1 s, then one chunk per 10 ms */
	sim_time_t done = SIM_PS_PER_S + (sim_time_t)chunks * 10 * SIM_PS_PER_MS;
	gost_run(&t, done); /* events at `end` are not handled */
	cr_assert_lt(assigned(k), target);
	cr_assert_eq(assigned(k), 1 * GiB + (chunks - 1) * 128 * MiB);
	gost_run(&t, done + 1);
	cr_assert_eq(assigned(k), target);
	gost_run(&t, 5 * SIM_PS_PER_S); /* stable: no balloon, no further hot-add */
	struct hv_dm_stats st;
	hv_partition_dm_stats(gos_partition(k), &st);
	cr_assert_eq(st.assigned, target);
	cr_assert_eq(st.hot_adds, chunks);
	cr_assert_eq(st.balloon_ops, 0);
	cr_assert_eq(hv_memory_assigned(t.h.hv), target);
	fini(&t);
}

Test(gos_memory, hot_add_stops_at_maximum_and_at_host_memory)
{
	struct gost t;
	mem_host(&t, 8 * GiB);
	struct gos_kernel *k = dm_vm(&t, "capped", 1 * GiB, 512 * MiB, 4 * GiB, 5000, 8 * GiB);
	gost_run(&t, 3 * SIM_PS_PER_S);
	cr_assert_eq(assigned(k), 4 * GiB);
	fini(&t);

	mem_host(&t, 3 * GiB);
	k = dm_vm(&t, "short", 1 * GiB, 512 * MiB, 6 * GiB, 5000, 8 * GiB);
	gost_run(&t, 3 * SIM_PS_PER_S);
	cr_assert_eq(assigned(k), 3 * GiB);
	cr_assert_eq(hv_memory_assigned(t.h.hv), hv_memory_total(t.h.hv));
	fini(&t);
}

Test(gos_memory, balloon_returns_memory_after_driver_work)
{
	struct gost t;
	mem_host(&t, 8 * GiB);
	/* demand 256 MiB -> target 308 MiB, below the minimum: balloon 4 GiB - 512 MiB = 1792 units */
	struct gos_kernel *k = dm_vm(&t, "vm", 4 * GiB, 512 * MiB, 4 * GiB, 5000, 0);
	sim_time_t work = 1792 * 20 * SIM_PS_PER_US; /* balloon_ns_per_2mib x units on vCPU 0 */
	gost_run(&t, SIM_PS_PER_S + work - SIM_PS_PER_US);
	cr_assert_eq(assigned(k), 4 * GiB, "returned before the balloon driver's work was done");
	cr_assert_eq(hv_memory_assigned(t.h.hv), 4 * GiB);
	gost_run(&t, SIM_PS_PER_S + work + SIM_PS_PER_MS);
	cr_assert_eq(assigned(k), 512 * MiB);
	cr_assert_eq(hv_memory_assigned(t.h.hv), 512 * MiB);
	struct hv_dm_stats st;
	hv_partition_dm_stats(gos_partition(k), &st);
	cr_assert_eq(st.balloon_ops, 1);
	cr_assert_eq(st.balloon_bytes, 4 * GiB - 512 * MiB);
	cr_assert_eq(st.hot_adds, 0);
	fini(&t);
}

struct watch {
	struct hv *hv;
	uint64_t changes, peak;
};

static void on_change(void *arg, struct hv_partition *p)
{
	(void)p;
	struct watch *w = arg;
	uint64_t used = hv_memory_assigned(w->hv);
	cr_assert_leq(used, hv_memory_total(w->hv));
	w->changes++;
	w->peak = MAX(w->peak, used);
}

Test(gos_memory, competing_vms_share_by_weight_within_host_memory)
{
	struct gost t;
	mem_host(&t, 4 * GiB);
	struct watch w = {.hv = t.h.hv};
	hv_memory_on_change(t.h.hv, on_change, &w);
	/* both want 3.25 GiB x 1.2 = 3.9 GiB; 4 GiB: 512 MiB each, the other 3 GiB split 2:1 */
	struct gos_kernel *a = dm_vm(&t, "heavy", 1 * GiB, 512 * MiB, 4 * GiB, 5000, 3 * GiB);
	struct gos_kernel *b = dm_vm(&t, "light", 3 * GiB, 512 * MiB, 4 * GiB, 2500, 3 * GiB);
	gost_task(a, &gost_burn, &gost_ms_chunk, 0, 0);
	gost_task(b, &gost_burn, &gost_ms_chunk, 0, 0);
	gost_run(&t, 6 * SIM_PS_PER_S);
	cr_assert_eq(assigned(a), 2560 * MiB);
	cr_assert_eq(assigned(b), 1536 * MiB);
	cr_assert_gt(w.changes, 10);
	cr_assert_leq(w.peak, 4 * GiB);
	struct hv_dm_stats sb;
	hv_partition_dm_stats(gos_partition(b), &sb);
	cr_assert_eq(sb.balloon_ops, 1);
	fini(&t);
}

Test(gos_memory, refused_settings)
{
	struct gost t;
	mem_host(&t, 4 * GiB);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "bad";
	pc.memory = 1 * GiB;
	pc.dynamic_memory.enabled = true;
	pc.dynamic_memory.minimum = 2 * GiB;
	pc.dynamic_memory.maximum = 4 * GiB;
	struct gos_config gc;
	gos_config_default(&gc);
	GError *err = NULL;
	cr_assert_null(gos_new(t.h.hv, &pc, &gc, &err));
	cr_assert(strstr(err->message, "minimum <= memory <= maximum"), "%s", err->message);
	g_error_free(err);
	fini(&t);
}

/*
 * A working set that changes by phase (gos_working_set_schedule): 512 MiB from 0, 2 GiB from 3 s,
 * nothing from 8 s. The demand follows at each step's instant; dynamic memory follows the reports:
 * 768 MiB of demand -> target 922 MiB, ballooned from 1 GiB at the 1 s tick; 2304 MiB -> 2766 MiB,
 * reported at 3.5 s, hot-added from the 4 s tick in ceil(1844 / 128) = 15 chunks of 10 ms; 256 MiB ->
 * 308 MiB, below the minimum: ballooned to 512 MiB from the 9 s tick (1127 units x 20 us).
 */
Test(gos_memory, working_set_steps_move_demand_and_memory)
{
	struct gost t;
	mem_host(&t, 8 * GiB);
	struct gos_kernel *k = dm_vm(&t, "vm", 1 * GiB, 512 * MiB, 4 * GiB, 5000, 0);
	static const struct gos_ws_step steps[] = {
		{0, 512 * MiB}, {3 * SIM_PS_PER_S, 2 * GiB}, {8 * SIM_PS_PER_S, 0}};
	gos_working_set_schedule(k, steps, 3);
	uint64_t a, d;
	gos_memory(k, &a, &d);
	cr_assert_eq(d, 768 * MiB, "the step at 0 applies at once: %" PRIu64 " MiB", d / MiB);
	gost_run(&t, 3 * SIM_PS_PER_S);
	gos_memory(k, &a, &d);
	cr_assert_eq(d, 768 * MiB);
	cr_assert_eq(a, 922 * MiB);
	gost_run(&t, 3 * SIM_PS_PER_S + 1);
	gos_memory(k, &a, &d);
	cr_assert_eq(d, 2304 * MiB);
	gost_run(&t, 4 * SIM_PS_PER_S + 15 * 10 * SIM_PS_PER_MS);
	cr_assert_lt(assigned(k), 2766 * MiB);
	gost_run(&t, 4 * SIM_PS_PER_S + 15 * 10 * SIM_PS_PER_MS + 1);
	cr_assert_eq(assigned(k), 2766 * MiB);
	gost_run(&t, 8 * SIM_PS_PER_S + 1);
	gos_memory(k, &a, &d);
	cr_assert_eq(d, 256 * MiB);
	cr_assert_eq(a, 2766 * MiB, "nothing returns before the 9 s tick");
	gost_run(&t, 9 * SIM_PS_PER_S + 1127 * 20 * SIM_PS_PER_US + SIM_PS_PER_MS);
	cr_assert_eq(assigned(k), 512 * MiB);
	fini(&t);
}

/*
 * Paging follows the step too (no dynamic memory, 1 GiB, no swap device): 0 bytes of working set
 * until 500 ms (demand 256 MiB: no fault), then 1792 MiB: demand 2 GiB, shortfall exactly 1/2, so
 * every 1 ms chunk (3e6 cycles at 3 GHz) is preceded by 1 x 100 x 0.5 = 50 faults (an exact carry).
 * Each such chunk takes at least 1 ms + 50 x 80 us (swap_latency) = 5 ms, so at most 100 + 1 are
 * begun in the 500 ms that follow; and at most 1 ms + 50 x 100 us (the sleep, the 2 us fault, and
 * under 18 us of syscall, wake-up interrupt and two context switches at 2 us) = 6 ms, so at least
 * 83 are done. A fault counts when its read begins: the count need not be a multiple of 50.
 */
Test(gos_memory, working_set_step_starts_paging)
{
	struct gost t;
	mem_host(&t, 8 * GiB);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "vm";
	struct gos_config gc;
	gos_config_default(&gc);
	GError *err = NULL;
	struct gos_kernel *k = gos_new(t.h.hv, &pc, &gc, &err);
	cr_assert_not_null(k, "%s", err ? err->message : "");
	t.k[t.nk++] = k;
	static const struct gos_ws_step steps[] = {{0, 0}, {500 * SIM_PS_PER_MS, 1792 * MiB}};
	gos_working_set_schedule(k, steps, 2);
	cr_assert(gos_paging_possible(k), "a schedule declares a working set, even one of 0 for now");
	gost_task(k, &gost_burn, &gost_ms_chunk, 0, 0);
	gost_run(&t, 500 * SIM_PS_PER_MS);
	struct gos_paging_stats ps;
	gos_paging_stats(k, &ps);
	cr_assert_eq(ps.page_faults, 0);
	gost_run(&t, SIM_PS_PER_S);
	gos_paging_stats(k, &ps);
	cr_assert_geq(ps.page_faults, 83 * 50, "%" PRIu64 " faults", ps.page_faults);
	cr_assert_leq(ps.page_faults, 101 * 50, "%" PRIu64 " faults", ps.page_faults);
	fini(&t);
}
