/* SPDX-License-Identifier: MIT */
/*
 * test_hv_mech.c - model tests of the hypervisor mechanism: time categories add up exactly,
 *                  crossings cost what the cost table says, intercepts forwarded to the root
 *                  use root CPU, NUMA placement and slowdown, SMT, bare metal has no virtualization
 *                  cost, run-time actions, warm-up, determinism.
 */
#include "tests/model/hvtest.h"

static struct busy_guest *vm_with(struct hvt *t, const char *name, uint32_t vcpus, sim_time_t think, int hypercall,
				  int intercept, double mem_share, uint64_t memory)
{
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = name, pc.vcpus = vcpus, pc.mem_share = mem_share;
	if (memory)
		pc.memory = memory;
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	bp.think = think, bp.hypercall = hypercall, bp.intercept = intercept;
	return hvt_vm_cfg(t, &pc, &bp);
}

/* Sum over LPs and categories, and the VPs' own accounts, both exact integers. */
static void check_sums(struct hvt *t, sim_time_t window)
{
	struct hw_host *h = t->host;
	sim_time_t lp_total = 0, lp_busy = 0;
	for (uint32_t i = 0; i < hw_nlps(h); i++)
		for (int c = 0; c < HW_NCAT; c++) {
			sim_time_t x = hw_lp_time(hw_lp_at(h, i), (enum hw_cat)c);
			lp_total += x;
			if (c != HW_CAT_IDLE)
				lp_busy += x;
		}
	cr_expect_eq(lp_total, (sim_time_t)hw_nlps(h) * window, "categories sum %llu, want %u x %llu",
		     (unsigned long long)lp_total, hw_nlps(h), (unsigned long long)window);
	sim_time_t vp_total = 0;
	for (uint32_t p = 0; p < hv_npartitions(t->hv); p++) {
		struct hv_counters c;
		hv_partition_counters(hv_partition_at(t->hv, p), &c);
		vp_total += c.guest_run + c.hypervisor_run;
	}
	cr_expect_eq(vp_total, lp_busy, "VPs account %llu ps, LPs were busy %llu ps", (unsigned long long)vp_total,
		     (unsigned long long)lp_busy);
}

Test(hv_mech, categories_sum_to_lps_times_time)
{
	struct hvt t;
	hvt_init(&t, 2, 2, 2, "classic", NULL);
	vm_with(&t, "busy", 5, 0, -1, -1, 0.3, 0);
	vm_with(&t, "thinker", 3, 700 * SIM_PS_PER_US, -1, -1, 0, 0);
	vm_with(&t, "caller", 2, 0, VHW_HC_SIGNAL_EVENT, -1, 0, 0);
	vm_with(&t, "emulated", 2, 0, -1, VHW_IC_IO_PORT, 0, 0);
	hvt_run(&t, 3 * SIM_PS_PER_S + 12345);
	check_sums(&t, 3 * SIM_PS_PER_S + 12345);
	hvt_fini(&t);
}

Test(hv_mech, warmup_resets_accounting)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 2, "classic", NULL);
	vm_with(&t, "busy", 6, 0, -1, -1, 0, 0);
	vm_with(&t, "thinker", 2, 300 * SIM_PS_PER_US, -1, VHW_IC_MMIO, 0, 0);
	struct sim_run_params rp = {.end = 2 * SIM_PS_PER_S, .warmup = 777 * SIM_PS_PER_MS};
	sim_run(t.sim, &rp);
	cr_expect_eq(hw_window_start(t.host), 777 * SIM_PS_PER_MS);
	check_sums(&t, 2 * SIM_PS_PER_S - 777 * SIM_PS_PER_MS);
	hvt_fini(&t);
}

Test(hv_mech, hypercall_costs_what_the_table_says)
{
	/* one VP alone: its hypervisor time is one switch-in plus one hypercall per chunk, exactly */
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "classic", NULL);
	struct busy_guest *g = vm_with(&t, "caller", 1, 0, VHW_HC_POST_MESSAGE, -1, 0, 0);
	hvt_run(&t, SIM_PS_PER_S);
	struct hv_counters c;
	hv_partition_counters(g->part, &c);
	const struct hv_costs *k = hv_costs(t.hv);
	cr_expect_eq(k->ps[HV_COST_HYPERCALL], 500 * SIM_PS_PER_NS); /* 1,500 cycles at 3 GHz */
	cr_expect_eq(c.hypercalls[VHW_HC_POST_MESSAGE], c.exits);
	uint64_t n = c.hypercalls[VHW_HC_POST_MESSAGE];
	cr_expect(n + 1 >= busy_guest_chunks(g) && n <= busy_guest_chunks(g), "%llu hypercalls, %llu chunks",
		  (unsigned long long)n, (unsigned long long)busy_guest_chunks(g));
	cr_expect_eq(c.hypervisor_run, k->ps[HV_COST_VP_SWITCH] * c.dispatches + k->ps[HV_COST_HYPERCALL] * n,
		     "hypervisor time %llu, dispatches %llu, hypercalls %llu", (unsigned long long)c.hypervisor_run,
		     (unsigned long long)c.dispatches, (unsigned long long)n);
	cr_expect_eq(c.dispatches, 1);
	hvt_fini(&t);
}

Test(hv_mech, intercepts_forwarded_to_the_root_use_root_cpu)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "classic", NULL);
	struct busy_guest *g = vm_with(&t, "emulated", 1, 0, -1, VHW_IC_IO_PORT, 0, 0);
	hvt_run(&t, SIM_PS_PER_S);
	struct hv_counters vm, root;
	hv_partition_counters(g->part, &vm);
	hv_partition_counters(hv_root(t.hv), &root);
	uint64_t n = vm.intercepts[VHW_IC_IO_PORT];
	cr_expect_gt(n, 100);
	/* the root ran 25 us of work per intercept (all but possibly the last, still running) */
	sim_time_t per = 25 * SIM_PS_PER_US;
	cr_expect(root.guest_run <= n * per && root.guest_run > (n - 1) * per, "root ran %llu ps for %llu intercepts",
		  (unsigned long long)root.guest_run, (unsigned long long)n);
	/* each round trip: exit + root work (+ the root's halt exit and wakeups): the VM waits */
	cr_expect(vm.guest_run < SIM_PS_PER_S - n * per, "guest ran %llu ps", (unsigned long long)vm.guest_run);
	cr_expect_gt(root.intercepts[VHW_IC_HALT], 0, "the root VP halts between requests");
	hvt_fini(&t);
}

static uint32_t node_of(struct hvt *t, int32_t lp) { return hw_lp_at(t->host, (uint32_t)lp)->node; }

struct placement {
	struct hvt *t;
	uint64_t checks, off_home;
};

static void on_run_home(struct busy_vcpu *v, void *arg)
{
	struct placement *pl = arg;
	struct hv_vp *vp = hv_partition_vp(v->g->part, v->cpu->index);
	pl->checks++;
	if (node_of(pl->t, hv_vp_lp(vp)) != hv_partition_home_node(v->g->part))
		pl->off_home++;
}

Test(hv_mech, numa_vm_that_fits_is_placed_and_kept_on_its_node)
{
	struct hvt t;
	hvt_init(&t, 2, 4, 1, "classic", NULL);
	struct placement pl = {.t = &t};
	struct busy_guest *g[2];
	for (int i = 0; i < 2; i++) {
		struct hv_partition_config pc;
		hv_partition_config_default(&pc);
		pc.name = i ? "b" : "a", pc.vcpus = 4, pc.memory = UINT64_C(8) << 30;
		struct busy_guest_params bp;
		busy_guest_params_default(&bp);
		bp.on_run = on_run_home, bp.arg = &pl;
		bp.think = i ? 200 * SIM_PS_PER_US : 0;
		GError *err = NULL;
		g[i] = t.g[t.ng++] = busy_guest_new(t.hv, &pc, &bp, &err);
		cr_assert_not_null(g[i]);
	}
	cr_expect_eq(hv_partition_home_node(g[0]->part), 0);
	cr_expect_eq(hv_partition_home_node(g[1]->part), 1, "the second VM goes to the emptier node");
	cr_expect_eq(hv_partition_mem_frac(g[0]->part)[0], 1.0);
	hvt_run(&t, 5 * SIM_PS_PER_S);
	cr_expect_gt(pl.checks, 1000);
	cr_expect_eq(pl.off_home, 0, "%llu of %llu entries ran off the home node", (unsigned long long)pl.off_home,
		     (unsigned long long)pl.checks);
	hvt_fini(&t);
}

Test(hv_mech, numa_spanning_vm_runs_slower_by_the_distance_factor)
{
	/* 64 GiB per node, distances [[10,20],[20,10]]: a 128 GiB VM has half its memory remote, so
	 * fully memory-bound work takes (0.5 x 10 + 0.5 x 20) / 10 = 1.5 times as long: a chunk of
	 * 3,000,000 cycles at 3 GHz takes 1.5 ms instead of 1 ms */
	struct hvt t;
	hvt_init(&t, 2, 2, 1, "classic", NULL);
	struct busy_guest *span = vm_with(&t, "span", 1, 0, -1, -1, 1.0, UINT64_C(128) << 30);
	cr_expect_eq(hv_partition_mem_frac(span->part)[0], 0.5);
	cr_expect_eq(hv_partition_mem_frac(span->part)[1], 0.5);
	hvt_run(&t, 2 * SIM_PS_PER_S);
	struct hv_counters cs;
	hv_partition_counters(span->part, &cs);
	/* time per completed chunk; the chunk in progress adds at most one chunk of error */
	double n = (double)busy_guest_chunks(span), ts = (double)cs.guest_run / n;
	cr_expect(n > 1000);
	cr_expect(ts >= 1.5e9 && ts <= 1.5e9 * (1 + 1 / n), "%.1f ps per chunk", ts);
	hvt_fini(&t);

	/* the same VM with its memory local: 1 ms per chunk */
	hvt_init(&t, 2, 2, 1, "classic", NULL);
	struct busy_guest *local = vm_with(&t, "local", 1, 0, -1, -1, 1.0, UINT64_C(8) << 30);
	hvt_run(&t, 2 * SIM_PS_PER_S);
	struct hv_counters cl;
	hv_partition_counters(local->part, &cl);
	n = (double)busy_guest_chunks(local);
	double tl = (double)cl.guest_run / n;
	cr_expect(tl >= 1e9 && tl <= 1e9 * (1 + 1 / n), "%.1f ps per chunk", tl);
	hvt_fini(&t);
}

Test(hv_mech, numa_without_spanning_refuses_what_does_not_fit)
{
	struct hvt t;
	hvt_init(&t, 2, 2, 1, "classic", NULL);
	hv_free(t.hv);
	struct hv_config c;
	hv_config_default(&c);
	c.numa_spanning = false;
	c.root_vcpus = 1;
	GError *err = NULL;
	t.hv = hv_new(t.host, &c, &err);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "big", pc.memory = UINT64_C(100) << 30;
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	cr_expect_null(busy_guest_new(t.hv, &pc, &bp, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "numa_spanning") != NULL, "%s", err->message);
	g_clear_error(&err);
	pc.memory = UINT64_C(1) << 30, pc.vcpus = 3; /* more vCPUs than a node's 2 LPs */
	cr_expect_null(busy_guest_new(t.hv, &pc, &bp, &err));
	g_clear_error(&err);
	hvt_fini(&t);
}

Test(hv_mech, smt_sibling_slows_a_thread)
{
	/* one core, two threads, two always-busy VMs: each thread runs at smt_factor (0.65) */
	struct hvt t;
	hvt_init(&t, 1, 1, 2, "classic", NULL);
	struct busy_guest *a = vm_with(&t, "a", 1, 0, -1, -1, 0, 0);
	struct busy_guest *b = vm_with(&t, "b", 1, 0, -1, -1, 0, 0);
	hvt_run(&t, 2 * SIM_PS_PER_S);
	for (int i = 0; i < 2; i++) {
		struct busy_guest *g = i ? b : a;
		struct hv_counters c;
		hv_partition_counters(g->part, &c);
		double per_chunk = (double)c.guest_run / (double)busy_guest_chunks(g);
		cr_expect(fabs(per_chunk - 1e9 / 0.65) <= 1e9 / 0.65 / (double)busy_guest_chunks(g), "%.0f ps per chunk",
			  per_chunk);
	}
	hvt_fini(&t);
}

Test(hv_mech, bare_metal_has_no_virtualization_cost)
{
	struct hvt t;
	hvt_init(&t, 1, 4, 2, "none", NULL);
	cr_expect_null(hv_root(t.hv));
	vm_with(&t, "busy", 2, 0, -1, -1, 0, 0);
	vm_with(&t, "thinker", 2, 500 * SIM_PS_PER_US, -1, -1, 0, 0);
	vm_with(&t, "caller", 1, 0, VHW_HC_SIGNAL_EVENT, -1, 0, 0);
	vm_with(&t, "io", 1, 0, -1, VHW_IC_IO_PORT, 0, 0);
	hvt_run(&t, 2 * SIM_PS_PER_S);
	check_sums(&t, 2 * SIM_PS_PER_S);
	for (uint32_t i = 0; i < hw_nlps(t.host); i++)
		cr_expect_eq(hw_lp_time(hw_lp_at(t.host, i), HW_CAT_HYPERVISOR), 0, "lp %u", i);
	for (uint32_t p = 0; p < hv_npartitions(t.hv); p++) {
		struct hv_partition *part = hv_partition_at(t.hv, p);
		struct hv_counters c;
		hv_partition_counters(part, &c);
		cr_expect_eq(c.hypervisor_run, 0, "%s", hv_partition_name(part));
		cr_expect_eq(c.exits, 0, "%s", hv_partition_name(part));
		cr_expect_eq(c.wait, 0, "%s steal", hv_partition_name(part));
		cr_expect_eq(c.preemptions, 0, "%s", hv_partition_name(part));
		for (int k = 0; k < VHW_NHYPERCALLS; k++)
			cr_expect_eq(c.hypercalls[k], 0);
		for (int k = 0; k < VHW_NINTERCEPTS; k++)
			cr_expect_eq(c.intercepts[k], 0);
		for (uint32_t v = 0; v < hv_partition_nvps(part); v++)
			cr_expect_eq(vhw_true_steal(hv_vp_cpu(hv_partition_vp(part, v))), 0);
	}
	/* a busy CPU on bare metal runs exactly 1 chunk per ms: the sibling (thread 1 of core 0) is busy too */
	struct hv_counters c;
	hv_partition_counters(t.g[0]->part, &c);
	cr_expect_eq(c.guest_run, 2 * 2 * SIM_PS_PER_S);
	hvt_fini(&t);
}

Test(hv_mech, bare_metal_needs_one_lp_per_cpu)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "none", NULL);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "big", pc.vcpus = 3;
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	GError *err = NULL;
	cr_expect_null(busy_guest_new(t.hv, &pc, &bp, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "bare metal") != NULL, "%s", err->message);
	g_clear_error(&err);
	/* the refused VM left nothing behind: a VM that fits still gets both LPs, and the run runs */
	pc.name = "fits", pc.vcpus = 2;
	struct busy_guest *g = hvt_vm_cfg(&t, &pc, &bp);
	struct hv_action more = {.at = SIM_PS_PER_MS, .kind = HV_ACT_HOT_ADD, .partition = g->part, .value = 1};
	cr_expect_not(hv_action_schedule(t.hv, &more, &err), "no LP left for a hot-added vCPU");
	g_clear_error(&err);
	hvt_run(&t, 10 * SIM_PS_PER_MS);
	cr_expect_eq(vhw_true_steal(hv_vp_cpu(hv_partition_vp(g->part, 1))), 0);
	hvt_fini(&t);
}

static sim_time_t vm_run(struct busy_guest *g)
{
	struct hv_counters c;
	hv_partition_counters(g->part, &c);
	return c.guest_run + c.hypervisor_run;
}

Test(hv_mech, timeline_actions)
{
	struct hvt t;
	hvt_init(&t, 1, 4, 1, "classic", NULL);
	struct busy_guest *a = hvt_vm(&t, "a", 1, 100, 0, 100);
	struct busy_guest *b = hvt_vm(&t, "b", 4, 100, 0, 100);
	GError *err = NULL;
	const struct hv_action acts[] = {
		{.at = 1 * SIM_PS_PER_S, .kind = HV_ACT_HOT_ADD, .partition = a->part, .value = 3},
		{.at = 2 * SIM_PS_PER_S, .kind = HV_ACT_STOP, .partition = b->part},
		{.at = 3 * SIM_PS_PER_S, .kind = HV_ACT_SET_LIMIT, .partition = a->part, .value = 50},
		{.at = 4 * SIM_PS_PER_S, .kind = HV_ACT_START, .partition = b->part},
		{.at = 4 * SIM_PS_PER_S, .kind = HV_ACT_SET_LIMIT, .partition = a->part, .value = 100},
		{.at = 4 * SIM_PS_PER_S, .kind = HV_ACT_SET_WEIGHT, .partition = b->part, .value = 300},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(acts); i++)
		cr_assert(hv_action_schedule(t.hv, &acts[i], &err), "%s", err ? err->message : "");
	struct hv_action bad = {.at = 0, .kind = HV_ACT_SET_WEIGHT, .partition = a->part, .value = 0};
	cr_expect_not(hv_action_schedule(t.hv, &bad, &err));
	g_clear_error(&err);

	/*
	 * Under contention a VP's run time stays within LAG = affinity_slack + timeslice of its fair
	 * share at every instant (test_hv_fair.c), so over a phase a VM of k VPs is off by at most
	 * k x LAG at each end (none at time 0). Without contention, or with a limit whose budget
	 * periods line up with the phase, the run time is exact.
	 */
	const double lag = 30e9;
	/* 0-1 s: 5 VPs on 4 LPs share equally; a's single VP gets 0.8 s */
	hvt_run(&t, 1 * SIM_PS_PER_S);
	cr_expect(fabs((double)vm_run(a) - 0.8e12) <= lag, "a %llu", (unsigned long long)vm_run(a));
	/* 1-2 s: a has 4 VPs, b 4: 8 VPs on 4 LPs */
	sim_time_t a1 = vm_run(a), b1 = vm_run(b);
	hvt_run(&t, 2 * SIM_PS_PER_S);
	cr_expect_eq(hv_partition_nvps(a->part), 4);
	cr_expect(fabs((double)(vm_run(a) - a1) - 2e12) <= 2 * 4 * lag, "a %llu", (unsigned long long)(vm_run(a) - a1));
	cr_expect(fabs((double)(vm_run(b) - b1) - 2e12) <= 2 * 4 * lag);
	/* 2-3 s: b stopped, a alone with 4 VPs on 4 LPs */
	sim_time_t a2 = vm_run(a), b2 = vm_run(b);
	hvt_run(&t, 3 * SIM_PS_PER_S);
	cr_expect_eq(vm_run(b), b2, "a stopped VM runs nothing");
	cr_expect_eq(vm_run(a) - a2, 4 * SIM_PS_PER_S, "alone a %llu", (unsigned long long)(vm_run(a) - a2));
	/* 3-4 s: limit 50%: a's 4 VPs use half an LP each */
	sim_time_t a3 = vm_run(a);
	hvt_run(&t, 4 * SIM_PS_PER_S);
	cr_expect_eq(vm_run(a) - a3, 2 * SIM_PS_PER_S, "limited a %llu", (unsigned long long)(vm_run(a) - a3));
	/* 4-6 s: b back with weight 300: b gets 3/4 of the host */
	sim_time_t a4 = vm_run(a), b4 = vm_run(b);
	hvt_run(&t, 6 * SIM_PS_PER_S);
	cr_expect(fabs((double)(vm_run(b) - b4) - 6e12) <= 2 * 4 * lag, "b %llu", (unsigned long long)(vm_run(b) - b4));
	cr_expect(fabs((double)(vm_run(a) - a4) - 2e12) <= 2 * 4 * lag, "a %llu", (unsigned long long)(vm_run(a) - a4));
	hvt_fini(&t);
}

static void counters_of(struct hvt *t, GArray *out)
{
	for (uint32_t p = 0; p < hv_npartitions(t->hv); p++) {
		struct hv_partition *part = hv_partition_at(t->hv, p);
		for (uint32_t v = 0; v < hv_partition_nvps(part); v++) {
			struct hv_counters c;
			hv_vp_counters(hv_partition_vp(part, v), &c);
			g_array_append_val(out, c);
		}
	}
}

static void mixed_run(GArray *out, uint64_t *digest)
{
	struct hvt t;
	hvt_init(&t, 2, 2, 2, "classic", NULL);
	vm_with(&t, "busy", 5, 0, -1, -1, 0.3, 0);
	vm_with(&t, "thinker", 3, 700 * SIM_PS_PER_US, -1, -1, 0, 0);
	vm_with(&t, "emulated", 2, 0, -1, VHW_IC_MMIO, 0, 0);
	hvt_run(&t, 2 * SIM_PS_PER_S);
	counters_of(&t, out);
	*digest = sim_digest(t.sim);
	hvt_fini(&t);
}

Test(hv_mech, same_scenario_same_counters)
{
	GArray *a = g_array_new(FALSE, TRUE, sizeof(struct hv_counters));
	GArray *b = g_array_new(FALSE, TRUE, sizeof(struct hv_counters));
	uint64_t da, db;
	mixed_run(a, &da);
	mixed_run(b, &db);
	cr_assert_eq(a->len, b->len);
	cr_expect_eq(memcmp(a->data, b->data, a->len * sizeof(struct hv_counters)), 0);
	cr_expect_eq(da, db);
	g_array_free(a, TRUE);
	g_array_free(b, TRUE);
}
