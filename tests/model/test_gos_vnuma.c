/* SPDX-License-Identifier: MIT */
/*
 * test_gos_vnuma.c - guest virtual NUMA mapped onto memory placement (docs/memory.md "Virtual
 *                    NUMA"): a VM whose guest has numa_nodes N gets its memory cut into N parts,
 *                    each whole on one host node chosen by its memory_placement; the VPs of
 *                    virtual node k prefer that host node's LPs, and a task's memory is on the
 *                    virtual node it first computed on. Memory-bound work then runs at local speed
 *                    where the same VM without virtual NUMA, its memory interleaved, is slowed by
 *                    the SLIT factor (test_hv_numa.c's math).
 * Host: 2 nodes x 2 cores x 1 thread at 3 GHz, 64 GiB per node, SLIT [[10,21],[21,10]], classic.
 * Leaves unchecked: the balancer moving a task across virtual nodes (its memory then stays behind:
 *       remote by construction), hot-added vCPUs.
 */
#include "tests/model/gostest.h"

static const uint32_t slit[] = {10, 21, 21, 10};
static const uint64_t chunk = 3000000; /* 1 ms at 3 GHz when local */

static void host_init(struct gost *t, const char *policy)
{
	memset(t, 0, sizeof *t);
	struct hvt *h = &t->h;
	h->sim = sim_new(1);
	struct hw_config hc;
	hw_config_default(&hc);
	hc.nodes_per_socket = 2, hc.cores_per_node = 2, hc.threads_per_core = 1;
	hc.distance = slit;
	GError *err = NULL;
	h->host = hw_host_new(h->sim, &hc, &err);
	cr_assert_not_null(h->host, "%s", err ? err->message : "");
	struct hv_config c;
	hv_config_default(&c);
	c.policy = policy;
	c.root_vcpus = 1;
	h->hv = hv_new(h->host, &c, &err);
	cr_assert_not_null(h->hv, "%s", err ? err->message : "");
}

static struct gos_kernel *vm(struct gost *t, const char *name, uint32_t vcpus, uint32_t vnodes, uint64_t gib,
			     enum hv_mem_placement mp)
{
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = name, pc.vcpus = vcpus, pc.memory = gib << 30, pc.memory_placement = mp;
	struct gos_config gc;
	gos_config_default(&gc);
	gc.numa_nodes = vnodes;
	GError *err = NULL;
	struct gos_kernel *k = gos_new(t->h.hv, &pc, &gc, &err);
	cr_assert_not_null(k, "%s", err ? err->message : "");
	t->k[t->nk++] = k;
	return k;
}

/* Memory-bound chunks (mem_share 1) for ever. */
static void membound_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t, (void)arg;
	*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = chunk, .mem_share = 1.0};
}
static const struct gos_program membound = {.next = membound_next};

/*
 * 4 unpinned memory-bound tasks in a 4-vCPU VM (the kernel places one per vCPU), 1 s after a
 * 100 ms warm-up; returns the cycles they completed, the remote-memory time in *remote.
 */
static double run_membound(struct gost *t, struct gos_kernel *k, double *remote)
{
	for (int i = 0; i < 4; i++)
		gost_task(k, &membound, NULL, -1, 0);
	gost_run_warm(t, SIM_PS_PER_S / 10, SIM_PS_PER_S);
	double cycles = 0;
	for (uint32_t i = 0; i < gos_ntasks(k); i++) {
		struct gos_task_stats st;
		gos_task_stats(gos_task_at(k, i), &st);
		cr_expect_eq(st.migrations, 0, "task %u moved: its memory would be remote", i);
		cr_expect_eq(gos_task_cpu(gos_task_at(k, i)), (int32_t)i);
		cycles += (double)st.cycles;
	}
	struct gos_kernel_stats ks;
	gos_kernel_stats(k, &ks);
	*remote = ks.remote_memory_ps;
	return cycles;
}

Test(gos_vnuma, interleave_puts_each_virtual_node_on_its_own_host_node)
{
	struct gost t;
	host_init(&t, "classic");
	struct gos_kernel *k = vm(&t, "vnuma", 4, 2, 8, HV_MEM_INTERLEAVE);
	struct hv_partition *p = gos_partition(k);
	cr_expect_eq(hv_partition_vnodes(p), 2);
	cr_expect_eq(hv_partition_home_node(p), 0);
	cr_expect_eq(hv_partition_vnode_host(p, 0), 0);
	cr_expect_eq(hv_partition_vnode_host(p, 1), 1);
	/* 4 GiB on each host node, each virtual node's whole on its own */
	cr_expect_eq(hv_partition_mem_frac(p)[0], 0.5);
	cr_expect_eq(hv_partition_mem_frac(p)[1], 0.5);
	for (uint32_t v = 0; v < 2; v++) {
		const double *f = hv_partition_vnode_mem_frac(p, v);
		cr_expect_eq(f[v], 1.0);
		cr_expect_eq(f[1 - v], 0.0);
		/* m = 1: local 1, remote d/10 = 2.1 */
		cr_expect_float_eq(hw_numa_slowdown(t.h.host, v, 1.0, f), 1.0, 1e-12);
		cr_expect_float_eq(hw_numa_slowdown(t.h.host, 1 - v, 1.0, f), 2.1, 1e-12);
	}
	/* vCPUs 0, 1 are virtual node 0, vCPUs 2, 3 virtual node 1: their VPs prefer its host node */
	for (uint32_t i = 0; i < 4; i++)
		cr_expect_eq(hv_vp_home_node(hv_partition_vp(p, i)), i / 2, "vp %u", i);
	gost_fini(&t);
}

Test(gos_vnuma, memory_bound_work_runs_local_with_virtual_numa_and_slowed_interleaved_without)
{
	/*
	 * Each task has a vCPU and each VP an LP of its own (the root VP on LP 0 idles), so a task
	 * computes all the time but for its vCPU's ticks (tick cost 1.5 us at 250 Hz: 3.75e-4 of the
	 * time, not memory-bound) and loses at most the chunk in progress at the end.
	 * Virtual NUMA: a task's memory is its virtual node's, on the host node its VP runs on: slowdown
	 * 1, no remote time; 4 tasks x 3e9 cycles/s x 1 s = 1.2e10 cycles, at least that x (1 - 3.75e-4)
	 * less 4 chunks and a tick each (the first tick after the warm-up may fall in it).
	 * Interleaved, no virtual NUMA: mem_frac [0.5, 0.5] wherever the task runs, d = 15.5, slowdown
	 * f = 1 + 1 x (15.5/10 - 1) = 1.55; the same bounds divided by f, and the remote time is
	 * (1 - 1/f) of the time the tasks computed.
	 */
	const double f = 1.0 + 1.0 * ((0.5 * 10 + 0.5 * 21) / 10.0 - 1.0);
	cr_assert_float_eq(f, 1.55, 1e-12);
	const double full = 4 * 3e9, tick_share = 1500.0 / 4e6, slack = 4 * (double)chunk + 4 * 1500 * 3.0;
	struct gost t;
	double remote;
	host_init(&t, "classic");
	double local = run_membound(&t, vm(&t, "vnuma", 4, 2, 8, HV_MEM_INTERLEAVE), &remote);
	cr_expect_leq(local, full, "virtual NUMA: %.0f cycles", local);
	cr_expect_geq(local, full * (1 - tick_share) - slack, "virtual NUMA: %.0f cycles, want >= %.0f", local,
		      full * (1 - tick_share) - slack);
	cr_expect_eq(remote, 0.0, "virtual NUMA: %.0f ps of remote-memory time", remote);
	gost_fini(&t);

	host_init(&t, "classic");
	double il = run_membound(&t, vm(&t, "flat", 4, 1, 8, HV_MEM_INTERLEAVE), &remote);
	cr_expect_leq(il, full / f, "interleaved: %.0f cycles, want <= %.0f", il, full / f);
	cr_expect_geq(il, full * (1 - tick_share) / f - slack, "interleaved: %.0f cycles, want >= %.0f", il,
		      full * (1 - tick_share) / f - slack);
	/* remote time = (1 - 1/f) x compute time since the warm-up; compute time in [(cycles - 4 chunks)
	   / 3 GHz x f, 4 s] (the chunk each task had begun at the warm-up counts whole in its cycles) */
	double lo = (1 - 1 / f) * (il - 4 * (double)chunk) / 3e9 * f * 1e12, hi = (1 - 1 / f) * 4e12;
	cr_expect(remote >= lo * (1 - 1e-9) && remote <= hi * (1 + 1e-9), "interleaved: remote %.4g ps, want %.4g..%.4g",
		  remote, lo, hi);
	cr_log_info("cycles: virtual NUMA %.0f, interleaved %.0f, ratio %.5f (f %.2f)", local, il, local / il, f);
	cr_expect_float_eq(local / il, f, f * (slack / il + tick_share), "ratio %.5f, want %.2f", local / il, f);
	gost_fini(&t);
}

Test(gos_vnuma, placement_node_keeps_virtual_nodes_whole_and_follow_follows_their_vps)
{
	struct gost t;
	host_init(&t, "classic");
	/* node: 8 GiB fit the home node, both virtual nodes there */
	struct hv_partition *p = gos_partition(vm(&t, "home", 2, 2, 8, HV_MEM_NODE));
	uint32_t home = hv_partition_home_node(p);
	cr_expect_eq(hv_partition_vnode_host(p, 0), home);
	cr_expect_eq(hv_partition_vnode_host(p, 1), home);
	cr_expect_eq(hv_partition_mem_frac(p)[home], 1.0);
	/* node: 100 GiB fit no node whole; the home node is the one with fewer VPs (node 1). Two parts
	   of 50 GiB: the first on the home node, the second no longer fits there and goes whole to the
	   nearest node with room */
	p = gos_partition(vm(&t, "big", 2, 2, 100, HV_MEM_NODE));
	home = hv_partition_home_node(p);
	cr_expect_eq(hv_partition_vnode_host(p, 0), home);
	cr_expect_eq(hv_partition_vnode_host(p, 1), 1 - home);
	cr_expect_eq(hv_partition_mem_frac(p)[home], 0.5);
	gost_fini(&t);

	/* follow: 4 VPs, home node 0's 2 LPs take VPs 0, 1 (virtual node 0), node 1's VPs 2, 3 */
	host_init(&t, "classic");
	p = gos_partition(vm(&t, "follow", 4, 2, 8, HV_MEM_FOLLOW));
	cr_expect_eq(hv_partition_vnode_host(p, 0), 0);
	cr_expect_eq(hv_partition_vnode_host(p, 1), 1);
	gost_fini(&t);
}

Test(gos_vnuma, bare_metal_pins_a_virtual_nodes_cpus_on_its_host_node)
{
	/* under none each vCPU takes an LP; virtual node 0's memory goes to node 1 (home node 1: the
	   placement "big" VM holds node 0's memory), so its vCPUs take node 1's LPs 2, 3 first */
	struct gost t;
	host_init(&t, "none");
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "filler", pc.vcpus = 1, pc.memory = UINT64_C(60) << 30, pc.numa_node = 0;
	struct gos_config gc;
	gos_config_default(&gc);
	GError *err = NULL;
	struct gos_kernel *filler = gos_new(t.h.hv, &pc, &gc, &err);
	cr_assert_not_null(filler, "%s", err ? err->message : "");
	t.k[t.nk++] = filler;
	struct hv_partition *p = gos_partition(vm(&t, "twin", 2, 2, 8, HV_MEM_NODE));
	/* node 0 has 4 GiB free, node 1 64: home node 1 (fits), both virtual nodes there */
	cr_expect_eq(hv_partition_home_node(p), 1);
	for (int i = 0; i < 2; i++)
		gost_task(t.k[t.nk - 1], &membound, NULL, i, 0);
	gost_run(&t, 10 * SIM_PS_PER_MS);
	for (uint32_t i = 0; i < 2; i++) {
		cr_expect_eq(hv_vp_home_node(hv_partition_vp(p, i)), 1);
		cr_expect_eq(hv_vp_lp(hv_partition_vp(p, i)), 2 + (int32_t)i, "vp %u", i);
	}
	gost_fini(&t);
}

Test(gos_vnuma, refused_with_dynamic_memory)
{
	struct gost t;
	host_init(&t, "classic");
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "dm", pc.vcpus = 2;
	pc.dynamic_memory.enabled = true;
	struct gos_config gc;
	gos_config_default(&gc);
	gc.numa_nodes = 2;
	GError *err = NULL;
	cr_expect_null(gos_new(t.h.hv, &pc, &gc, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "dynamic memory has one virtual NUMA node"), "%s", err->message);
	g_clear_error(&err);
	gost_fini(&t);
}
