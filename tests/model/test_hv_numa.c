/* SPDX-License-Identifier: MIT */
/*
 * test_hv_numa.c - NUMA memory placement (docs/hypervisor.md, "NUMA memory placement"): where the
 *                  node, interleave and follow policies put a VM's memory, with NUMA spanning on
 *                  and off, and the speed of memory-bound work that follows from it.
 * Host: 2 nodes x 2 cores x 1 thread at 3 GHz, 64 GiB per node, SLIT distances [[10,21],[21,10]].
 */
#include "tests/model/hvtest.h"

static const uint32_t slit[] = {10, 21, 21, 10};

/* The 2-node host above; the hypervisor "classic" with numa_spanning as given, one root VP. */
static void numa_init(struct hvt *t, bool spanning)
{
	memset(t, 0, sizeof *t);
	t->sim = sim_new(1);
	struct hw_config hc;
	hw_config_default(&hc);
	hc.nodes_per_socket = 2, hc.cores_per_node = 2, hc.threads_per_core = 1;
	hc.distance = slit;
	GError *err = NULL;
	t->host = hw_host_new(t->sim, &hc, &err);
	cr_assert_not_null(t->host, "%s", err ? err->message : "");
	struct hv_config c;
	hv_config_default(&c);
	c.numa_spanning = spanning;
	c.root_vcpus = 1;
	t->hv = hv_new(t->host, &c, &err);
	cr_assert_not_null(t->hv, "%s", err ? err->message : "");
}

static void config(struct hv_partition_config *pc, const char *name, uint32_t vcpus, uint64_t gib,
		   enum hv_mem_placement mp, double mem_share)
{
	hv_partition_config_default(pc);
	pc->name = name, pc->vcpus = vcpus, pc->memory = gib << 30;
	pc->memory_placement = mp, pc->mem_share = mem_share;
}

static struct busy_guest *vm(struct hvt *t, const char *name, uint32_t vcpus, uint64_t gib, enum hv_mem_placement mp,
			     double mem_share)
{
	struct hv_partition_config pc;
	config(&pc, name, vcpus, gib, mp, mem_share);
	return hvt_vm_cfg(t, &pc, NULL);
}

/* ps of guest time per completed 3,000,000-cycle chunk over a 2 s run; *n gets the chunks. */
static double time_per_chunk(struct hvt *t, struct busy_guest *g, double *n)
{
	hvt_run(t, 2 * SIM_PS_PER_S);
	struct hv_counters c;
	hv_partition_counters(g->part, &c);
	*n = (double)busy_guest_chunks(g);
	cr_assert(*n > 1000, "%.0f chunks", *n);
	return (double)c.guest_run / *n;
}

Test(hv_numa, confined_vm_runs_at_local_speed_and_spanning_slows_it_by_the_distance_factor)
{
	/*
	 * One VP with memory-bound share m = 0.5 and interleaved memory, alone on the host (it always
	 * has an LP). A chunk is 3,000,000 cycles: 1 ms = 1e9 ps at 3 GHz when its memory is local.
	 * Spanning off: all memory on the home node, where the VP runs: slowdown 1, 1e9 ps a chunk.
	 * Spanning on: half the memory on each node, so wherever the VP runs the mean distance is
	 * d = 0.5 x 10 + 0.5 x 21 = 15.5 and hw_numa_slowdown = (1 - m) + m x d / 10
	 * = 0.5 + 0.5 x 1.55 = 1.275: 1.275e9 ps a chunk. The chunk in progress at the end adds at
	 * most one chunk's time to guest_run (and ceil() in the LP's completion time at most 1 ps a
	 * chunk), so the measured time is in [exact, exact x (1 + 1/n) + 1].
	 */
	struct hvt t;
	double n;
	numa_init(&t, false);
	struct busy_guest *conf = vm(&t, "confined", 1, 8, HV_MEM_INTERLEAVE, 0.5);
	uint32_t home = hv_partition_home_node(conf->part);
	cr_expect_eq(hv_partition_mem_frac(conf->part)[home], 1.0);
	cr_expect_eq(hv_partition_mem_frac(conf->part)[1 - home], 0.0);
	cr_expect_eq(hw_numa_slowdown(t.host, home, 0.5, hv_partition_mem_frac(conf->part)), 1.0);
	double tc = time_per_chunk(&t, conf, &n);
	cr_expect(tc >= 1e9 && tc <= 1e9 * (1 + 1 / n) + 1, "confined: %.1f ps per chunk", tc);
	hvt_fini(&t);

	numa_init(&t, true);
	struct busy_guest *span = vm(&t, "spanning", 1, 8, HV_MEM_INTERLEAVE, 0.5);
	const double *frac = hv_partition_mem_frac(span->part);
	cr_expect_eq(frac[0], 0.5);
	cr_expect_eq(frac[1], 0.5);
	double f = 0.5 + 0.5 * (0.5 * 10 + 0.5 * 21) / 10;
	cr_expect_float_eq(f, 1.275, 1e-12);
	for (uint32_t node = 0; node < 2; node++)
		cr_expect_float_eq(hw_numa_slowdown(t.host, node, 0.5, frac), f, 1e-12);
	double ts = time_per_chunk(&t, span, &n);
	cr_expect(ts >= 1e9 * f && ts <= 1e9 * f * (1 + 1 / n) + 1, "spanning: %.1f ps per chunk, want %.1f", ts, 1e9 * f);
	cr_expect_float_eq(ts / tc, f, f / n + 1e-6, "slowed by %.6f, want %.6f", ts / tc, f);
	hvt_fini(&t);
}

Test(hv_numa, fully_memory_bound_vm_on_its_node_or_interleaved)
{
	/* m = 1, memory_placement node (the default): local, 1e9 ps; interleave: (10 + 21) / 2 / 10 =
	 * 1.55 times as long */
	struct hvt t;
	double n;
	numa_init(&t, true);
	struct busy_guest *local = vm(&t, "local", 1, 8, HV_MEM_NODE, 1.0);
	cr_expect_eq(hv_partition_mem_frac(local->part)[hv_partition_home_node(local->part)], 1.0);
	double tl = time_per_chunk(&t, local, &n);
	cr_expect(tl >= 1e9 && tl <= 1e9 * (1 + 1 / n) + 1, "%.1f ps per chunk", tl);
	hvt_fini(&t);

	numa_init(&t, true);
	struct busy_guest *il = vm(&t, "interleaved", 1, 8, HV_MEM_INTERLEAVE, 1.0);
	double ti = time_per_chunk(&t, il, &n);
	cr_expect(ti >= 1.55e9 && ti <= 1.55e9 * (1 + 1 / n) + 1, "%.1f ps per chunk", ti);
	hvt_fini(&t);
}

Test(hv_numa, follow_puts_memory_where_the_vps_are)
{
	struct hvt t;
	numa_init(&t, true);
	/* 2 VPs, no affinity: the home node's 2 LPs take both, so all memory is on the home node */
	struct busy_guest *two = vm(&t, "two", 2, 4, HV_MEM_FOLLOW, 0);
	cr_expect_eq(hv_partition_home_node(two->part), 0);
	cr_expect_eq(hv_partition_mem_frac(two->part)[0], 1.0);
	/* 3 VPs, home node 1 (fewer VPs there): VPs 0, 1 on node 1's LPs, VP 2 on node 0: 2/3 and 1/3
	 * of 3 GiB, exactly 2 GiB and 1 GiB */
	struct busy_guest *three = vm(&t, "three", 3, 3, HV_MEM_FOLLOW, 0);
	cr_expect_eq(hv_partition_home_node(three->part), 1);
	cr_expect_eq(hv_partition_mem_frac(three->part)[1], 2.0 / 3.0);
	cr_expect_eq(hv_partition_mem_frac(three->part)[0], 1.0 / 3.0);
	/* affinity to node 1's LPs (2, 3) while the home node is 0: follow puts the memory on node 1,
	 * interleave over the nodes the affinity reaches (node 1 only) too; node keeps it at home */
	static const uint32_t node1[] = {2, 3};
	static const enum hv_mem_placement mps[] = {HV_MEM_FOLLOW, HV_MEM_INTERLEAVE, HV_MEM_NODE};
	static const char *const names[] = {"pinned-follow", "pinned-interleave", "pinned-node"};
	for (int i = 0; i < 3; i++) {
		struct hv_partition_config pc;
		config(&pc, names[i], 2, 1, mps[i], 1.0);
		pc.numa_node = 0, pc.affinity = node1, pc.naffinity = 2;
		struct busy_guest *g = hvt_vm_cfg(&t, &pc, NULL);
		uint32_t want = mps[i] == HV_MEM_NODE ? 0 : 1;
		cr_expect_eq(hv_partition_mem_frac(g->part)[want], 1.0, "%s", names[i]);
		/* its VPs run on node 1: local speed with follow, 2.1 times as long with node */
		cr_expect_float_eq(hw_numa_slowdown(t.host, 1, 1.0, hv_partition_mem_frac(g->part)),
				   mps[i] == HV_MEM_NODE ? 2.1 : 1.0, 1e-12, "%s", names[i]);
	}
	hvt_fini(&t);

	/* spanning off: every policy keeps all memory on the home node */
	numa_init(&t, false);
	struct busy_guest *conf = vm(&t, "confined", 2, 4, HV_MEM_FOLLOW, 0);
	cr_expect_eq(hv_partition_mem_frac(conf->part)[hv_partition_home_node(conf->part)], 1.0);
	hvt_fini(&t);
}

Test(hv_numa, a_node_without_room_for_its_share_refuses_the_vm_and_keeps_nothing)
{
	struct hvt t;
	numa_init(&t, true);
	struct hv_partition_config pc;
	config(&pc, "big", 1, 60, HV_MEM_NODE, 0);
	pc.numa_node = 0;
	hvt_vm_cfg(&t, &pc, NULL);
	/* 16 GiB interleaved needs 8 GiB on node 0, which has 4 GiB free */
	config(&pc, "wide", 1, 16, HV_MEM_INTERLEAVE, 0);
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	GError *err = NULL;
	cr_expect_null(busy_guest_new(t.hv, &pc, &bp, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "memory_placement interleave puts 8192 MiB on NUMA node 0, which has 4096 MiB free"),
		  "%s", err->message);
	g_clear_error(&err);
	/* the refused VM took nothing: node 0 still has exactly 4 GiB free */
	config(&pc, "fits", 1, 4, HV_MEM_NODE, 0);
	pc.numa_node = 0;
	cr_expect_eq(hv_partition_mem_frac(hvt_vm_cfg(&t, &pc, NULL)->part)[0], 1.0);
	hvt_fini(&t);
}

Test(hv_numa, spanning_off_refuses_a_vm_that_does_not_fit_one_node)
{
	struct hvt t;
	numa_init(&t, false);
	struct hv_partition_config pc;
	config(&pc, "huge", 1, 100, HV_MEM_INTERLEAVE, 0);
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	GError *err = NULL;
	cr_expect_null(busy_guest_new(t.hv, &pc, &bp, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "does not fit NUMA node") && strstr(err->message, "numa_spanning is off"), "%s",
		  err->message);
	g_clear_error(&err);
	hvt_fini(&t);
}
