/* SPDX-License-Identifier: MIT */
/*
 * test_workloads.c - the workload kinds (cpu, open-poisson, closed-loop, messaging, net-stream,
 *                    net-rr, kv) on the real guest kernel, against what can be derived for them.
 * Checks:
 *   - the registry lists the kinds in order and finds them by name; their tables resolve {};
 *   - cpu: one thread on one vCPU with an LP of its own does back-to-back 1 ms chunks, each
 *     exactly 1 ms plus at most one tick's overhead; the warm-up resets the count; two
 *     workloads of different nice share a vCPU by their weights; 4 threads on 2 vCPUs complete
 *     capacity / demand chunks less what the guest's counters x its cost table took; drawn
 *     chunks (exp, lognormal, bounded Pareto) have the asked mean;
 *   - open-poisson on bare metal, one worker: the mean response time against the M/G/1
 *     Pollaczek-Khinchine formula (M/M/1, M/D/1, lognormal, bounded Pareto); the tolerance is a
 *     99.9% Student-t interval over 10 replications, widened by the band the guest's own costs
 *     can move the theory (syscall, interrupt, context switch, ticks - derived below);
 *   - common random numbers: the virtual run and its bare-metal twin draw the same numbers
 *     (equal rng_digest), another seed draws others;
 *   - closed-loop: the interactive response-time law X = N / (Z + R), per replication, within a
 *     99.9% interval plus the boundary term of the cycles cut by the window.
 *   - net-stream counts payload bytes the peer received (tx) or the tasks read (rx): on bare metal
 *     a 10 Gb/s link carries at most its payload rate, and one fast vCPU nearly fills it;
 *     net-rr: one transaction per operation, none shorter than the two link latencies of its
 *     round trip; both refuse a missing adapter, net-rr a message larger than the window.
 *   - open-poisson with several workers: four sharing one vCPU keep M/M/1's mean (no lost
 *     wake), two on two vCPUs form an M/M/2 (Erlang C), four on four at rho 0.7 an M/M/4 (the
 *     waiting time within 5% of Erlang C's);
 *   - closed-loop under load (8 clients on 2 vCPUs): R = N / X - Z;
 *   - messaging: sent = delivered + in flight; with finite loops every receiver reads and every
 *     sender writes pairs x loops messages, writers blocking on a small buffer included (a lost
 *     wake would leave a task blocked); throughput under the bound of its copy costs;
 *   - kv: each mix's operation shares within binomial bounds; the zipfian's top two ranks at
 *     1/zeta(n) and 2^-theta/zeta(n); cache misses at their probability and write-through;
 *   - per-task operations add up to the workload's (or to messaging's `sent` for senders);
 * Leaves unchecked: percentiles (the histogram has its own tests), memory_bound (a rate of the
 *   hardware model, tested there), the arrival count of open-poisson (wl_stats has none: equal
 *   digests stand for it), kv's and messaging's absolute costs, storage (tests/model/test_io_disk.c
 *   covers the disk paths; the asynchronous engine's Little's law is checked here).
 * Host: single-thread cores at 3 GHz, one more than the VM's vCPUs; the root VP is pinned to
 *   LP 0, the VM runs on LPs 1.. of its own.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "models/io/disk.h"
#include "models/io/net.h"
#include "tests/model/gostest.h"
#include "workloads/workload.h"
#include "tests/helpers/replications.h"

#define KHZ UINT64_C(3000000) /* hw_config_default: 3 GHz */
#define MS SIM_PS_PER_MS

/* Guest costs at their defaults (docs/guestos.md), and the one exit a tick costs in a VM. */
#define SYSCALL_S 300e-9
#define IRQ_S 500e-9
#define CTX_SWITCH_S 2000e-9
#define TICK_S 1500e-9
#define TICK_PERIOD_S 4e-3            /* hz 250 */
#define INTERRUPT_EXIT_S (1500 / 3e9) /* interrupt_delivery, 1,500 cycles */
#define VP_SWITCH_S (6000 / 3e9)      /* vp_switch, 6,000 cycles: the first dispatch at most */
#define MIGRATION_S 10000e-9

/* ---- fixture: a VM on LPs of its own, and its workloads ---- */

struct wlt {
	struct gost g;
	struct gos_kernel *k;
	const struct wl_kind *kind[4];
	void *inst[4];
	uint32_t n;
	GPtrArray *nets;              /* struct io_net * (wlt_net), the workloads' env.nets */
	GPtrArray *disks;             /* struct io_disk * (wlt_disk), the workloads' env.disks */
};

/* A host of vcpus + 1 cores; the VM's vCPUs on LPs 1..vcpus (LP 0 holds the root VP). */
static void wlt_init(struct wlt *t, const char *policy, uint32_t vcpus)
{
	static const uint32_t lps[] = {1, 2, 3, 4};
	cr_assert_leq(vcpus, G_N_ELEMENTS(lps));
	memset(t, 0, sizeof *t);
	gost_init(&t->g, vcpus + 1, policy, NULL);
	t->k = gost_vm(&t->g, "vm", vcpus, NULL, lps, vcpus);
	t->nets = g_ptr_array_new();
	t->disks = g_ptr_array_new();
}

/* The workload object `json` of `kind`, checked and completed by the kind's table. */
static cJSON *resolved(const struct wl_kind *kind, const char *json)
{
	cJSON *obj = cJSON_Parse(json);
	cr_assert_not_null(obj, "bad test JSON %s", json);
	struct param_error err = {0};
	bool ok = param_resolve(kind->params, obj, "/w", &err);
	cr_assert(ok, "%s: %s", err.pointer, err.message);
	return obj;
}

static void wlt_add(struct wlt *t, const char *kind, const char *json, uint64_t seed)
{
	const struct wl_kind *kd = wl_kind_find(kind);
	cr_assert_not_null(kd, "no kind %s", kind);
	cJSON *params = resolved(kd, json);
	struct wl_env env = {.k = t->k, .vm = "vm", .index = t->n, .seed = seed, .khz = KHZ, .nets = t->nets,
			     .disks = t->disks};
	GError *err = NULL;
	void *inst = kd->create(&env, params, &err);
	cr_assert_not_null(inst, "%s", err ? err->message : "");
	cJSON_Delete(params); /* a kind keeps nothing of the JSON */
	t->kind[t->n] = kd;
	t->inst[t->n++] = inst;
}

static struct wl_stats wlt_stats(struct wlt *t, uint32_t i)
{
	struct wl_stats s = {0};
	t->kind[i]->stats(t->inst[i], &s);
	return s;
}

/* A kind that attributes operations to its tasks: one slot per task, adding up to the workload's. */
static void expect_task_ops_add_up(const struct wl_stats *s, uint32_t tasks)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < s->ntasks; i++)
		sum += s->task_ops[i];
	cr_expect_eq(s->ntasks, tasks, "%u tasks attributed, want %u", s->ntasks, tasks);
	cr_expect_eq(sum, s->ops, "the tasks' operations %" PRIu64 " add up to %" PRIu64, sum, s->ops);
}

static void wlt_fini(struct wlt *t)
{
	gost_fini(&t->g); /* the sim first: the instances hold its entity and tracked statistics */
	for (guint i = 0; i < t->nets->len; i++)
		io_net_free(t->nets->pdata[i]); /* before the workloads, which never touch their connections again */
	g_ptr_array_free(t->nets, TRUE);
	for (guint i = 0; i < t->disks->len; i++)
		io_disk_free(t->disks->pdata[i]);
	g_ptr_array_free(t->disks, TRUE);
	for (uint32_t i = 0; i < t->n; i++)
		t->kind[i]->free(t->inst[i]);
}

static double secs(double ps) { return ps / (double)SIM_PS_PER_S; }


static uint64_t rep_seed(uint64_t master, int i) { return sim_seed_derive(master, "replication", (uint64_t)i); }

/* ---- registry and parameters ---- */

/* The kinds this file knows appear in this order (others may sit between them) and resolve {}
   (every key has a default); every kind is complete and found by its name. */
Test(wl_registry, lists_and_finds_the_kinds)
{
	static const char *const want[] = {"cpu",    "open-poisson", "closed-loop", "locks", "messaging",
					   "storage", "net-stream",  "net-rr",      "kv"};
	const struct wl_kind *const *k = wl_kinds();
	size_t next = 0, n = 0;
	for (; k[n]; n++) {
		cr_expect_eq(wl_kind_find(k[n]->name), k[n], "%s", k[n]->name);
		cr_expect(k[n]->doc && k[n]->ops_unit && k[n]->params && k[n]->create && k[n]->stats && k[n]->free, "%s",
			  k[n]->name);
		if (next < G_N_ELEMENTS(want) && strcmp(k[n]->name, want[next]) == 0)
			next++;
	}
	cr_expect_eq(next, G_N_ELEMENTS(want), "kind '%s' missing or out of order", next < G_N_ELEMENTS(want) ? want[next] : "");
	for (size_t i = 0; i < G_N_ELEMENTS(want); i++) {
		const struct wl_kind *kd = wl_kind_find(want[i]);
		cJSON *obj = cJSON_Parse("{}");
		struct param_error err = {0};
		cr_expect(kd && param_resolve(kd->params, obj, "/w", &err), "%s: %s: %s", want[i], err.pointer, err.message);
		param_error_clear(&err);
		cJSON_Delete(obj);
	}
	cr_expect_null(wl_kind_find("cpus"));
	cr_expect_null(wl_kind_find(NULL));
}

Test(wl_registry, tables_refuse_bad_values_with_their_pointer)
{
	static const struct {
		const char *kind, *json, *pointer;
	} bad[] = {
		{"cpu", "{\"threads\": 0}", "/w/threads"},
		{"cpu", "{\"nice\": 20}", "/w/nice"},
		{"cpu", "{\"memory_bound\": 1.5}", "/w/memory_bound"},
		{"open-poisson", "{\"rate\": 0}", "/w/rate"},
		{"open-poisson", "{\"service\": {\"dist\": \"gamma\"}}", "/w/service/dist"},
		{"closed-loop", "{\"service\": {\"mean\": \"0ns\"}}", "/w/service/mean"},
		{"closed-loop", "{\"thinks\": \"1ms\"}", "/w/thinks"},
		{"net-stream", "{\"direction\": \"both\"}", "/w/direction"},
		{"net-stream", "{\"connections\": 0}", "/w/connections"},
		{"net-rr", "{\"request\": 0}", "/w/request"},
		{"net-rr", "{\"window\": \"1B\"}", "/w/window"},
		{"cpu", "{\"dist\": \"gamma\"}", "/w/dist"},
		{"cpu", "{\"cv\": -1}", "/w/cv"},
		{"messaging", "{\"pairs\": 0}", "/w/pairs"},
		{"messaging", "{\"ipc\": \"fifo\"}", "/w/ipc"},
		{"messaging", "{\"loops\": -1}", "/w/loops"},
		{"kv", "{\"mix\": \"ycsb-g\"}", "/w/mix"},
		{"kv", "{\"zipf\": 1}", "/w/zipf"},
		{"kv", "{\"cache_miss\": 2}", "/w/cache_miss"},
		{"kv", "{\"service\": {\"dist\": \"uniform\"}}", "/w/service/dist"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		cJSON *obj = cJSON_Parse(bad[i].json);
		struct param_error err = {0};
		cr_expect_not(param_resolve(wl_kind_find(bad[i].kind)->params, obj, "/w", &err), "%s accepted", bad[i].json);
		cr_expect_str_eq(err.pointer ? err.pointer : "", bad[i].pointer, "%s", bad[i].json);
		param_error_clear(&err);
		cJSON_Delete(obj);
	}
}

/* A bounded Pareto needs max > mean: refused at create, before any task exists. */
Test(wl_registry, pareto_max_must_exceed_its_mean)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	const struct wl_kind *kd = wl_kind_find("open-poisson");
	cJSON *p = resolved(kd, "{\"service\": {\"dist\": \"pareto\", \"mean\": \"2ms\", \"max\": \"1ms\"}}");
	struct wl_env env = {.k = t.k, .vm = "vm", .seed = 1, .khz = KHZ};
	GError *err = NULL;
	cr_expect_null(kd->create(&env, p, &err));
	cr_expect(err && strstr(err->message, "max"), "%s", err ? err->message : "no error");
	cr_expect_eq(gos_ntasks(t.k), 0);
	g_clear_error(&err);
	cJSON_Delete(p);
	wlt_fini(&t);
}

/* ---- cpu ---- */

/*
 * One thread, 1 ms chunks, 1 s, on one vCPU with an LP of its own. Every chunk is 3,000,000
 * cycles at 3 GHz = exactly 1 ms of compute; what else runs on the vCPU is the first context
 * switch, the first dispatch (virtual), and a tick every 4 ms (tick work, plus an interrupt exit
 * in a VM). A 1 ms chunk spans at most one tick, so each chunk's wall time lies in
 * [1 ms, 1 ms + tick + exit], and the chunks completed by 1 s are at least
 * floor((1 s - start - 250 ticks) / 1 ms) and at most 1000.
 */
static void one_thread_one_second(const char *policy)
{
	struct wlt t;
	wlt_init(&t, policy, 1);
	wlt_add(&t, "cpu", "{\"chunk\": \"1ms\"}", 1);
	gost_run(&t.g, SIM_PS_PER_S);
	struct wl_stats s = wlt_stats(&t, 0);
	cr_log_info("%s: %" PRIu64 " chunks, latency min %" PRIu64 " max %" PRIu64 " mean %.1f ps", policy, s.ops,
		    s.latency->min, s.latency->max, sim_hist_mean(s.latency));
	bool vm = strcmp(policy, "none") != 0;
	double per_tick = TICK_S + (vm ? INTERRUPT_EXIT_S : 0);
	double start = CTX_SWITCH_S + (vm ? VP_SWITCH_S : 0);
	uint64_t least = (uint64_t)floor((1.0 - start - 250 * per_tick) / 1e-3);
	cr_expect(s.ops >= least && s.ops <= 1000, "%s: %" PRIu64 " chunks, want %" PRIu64 "..1000", policy, s.ops, least);
	cr_expect_eq(s.rng_digest, 0, "cpu draws nothing");
	cr_expect_eq(sim_hist_count(s.latency), s.ops);
	cr_expect_eq(s.latency->min, MS, "%s: shortest chunk %" PRIu64 " ps", policy, s.latency->min);
	cr_expect_leq(secs((double)s.latency->max), 1e-3 + per_tick + 1e-12, "%s: longest chunk %" PRIu64 " ps", policy,
		      s.latency->max);
	/* all the tick overhead of the second at most, spread over the chunks */
	cr_expect_leq(secs(sim_hist_mean(s.latency)), 1e-3 + 251 * per_tick / (double)s.ops, "%s: mean %.1f ns", policy,
		      sim_hist_mean(s.latency) / 1e3);
	wlt_fini(&t);
}

Test(wl_cpu, one_thread_does_a_thousand_1ms_chunks_per_second_bare_metal) { one_thread_one_second("none"); }
Test(wl_cpu, one_thread_does_a_thousand_1ms_chunks_per_second_in_a_vm) { one_thread_one_second("classic"); }

/* The warm-up resets the count: 0.5 s after a 0.5 s warm-up holds ~500 chunks, not ~1000. */
Test(wl_cpu, warmup_resets_operations_and_latency)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	wlt_add(&t, "cpu", "{}", 1);
	gost_run_warm(&t.g, SIM_PS_PER_S / 2, SIM_PS_PER_S / 2);
	struct wl_stats s = wlt_stats(&t, 0);
	/* 500 chunk ends in the window, give or take the one cut by each edge and 125 ticks' work */
	cr_expect(s.ops >= 499 && s.ops <= 501, "%" PRIu64 " chunks after the warm-up", s.ops);
	cr_expect_eq(sim_hist_count(s.latency), s.ops);
	wlt_fini(&t);
}

/*
 * Two threads on one vCPU: chunks are back to back per thread, so the wall times of a thread's
 * chunks add up to the run minus its unfinished chunk and minus the wait before its first chunk
 * (the other thread's first slice, no longer than a chunk cut by it): the sum over both threads
 * lies in [2 s - 3 longest chunks, 2 s].
 */
Test(wl_cpu, chunk_wall_times_add_up_to_the_run)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	wlt_add(&t, "cpu", "{\"threads\": 2}", 1);
	gost_run(&t.g, SIM_PS_PER_S);
	struct wl_stats s = wlt_stats(&t, 0);
	double total = secs(s.latency->sum), slack = 3 * secs((double)s.latency->max);
	cr_log_info("2 threads: %" PRIu64 " chunks, sum of wall times %.6f s, longest %.3f ms", s.ops, total,
		    secs((double)s.latency->max) * 1e3);
	cr_expect(total <= 2.0 && total >= 2.0 - slack, "sum of chunk times %.6f s, slack %.6f", total, slack);
	cr_expect_gt(s.latency->max, 2 * MS, "a chunk cut by the other thread's slice waits for it");
	wlt_fini(&t);
}

/*
 * Two cpu workloads on one vCPU, nice 0 and nice 5 (weights 1024 and 335): chunks in the ratio
 * 1024:335. Slices end at ticks, so at each end of the run each side's CPU time is off by at most
 * a tick period (4 ms) and its count by one chunk more; relative to the smaller side's time
 * (10 s x 335 / 1359 = 2.46 s) that is e = 2 (4 ms + 1 ms) / 2.46 s per side, and the ratio is off
 * by at most 2e (0.8%).
 */
Test(wl_cpu, nice_divides_a_vcpu_by_weight)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	wlt_add(&t, "cpu", "{\"nice\": 0}", 1);
	wlt_add(&t, "cpu", "{\"nice\": 5}", 1);
	gost_run(&t.g, 10 * SIM_PS_PER_S);
	double a = (double)wlt_stats(&t, 0).ops, b = (double)wlt_stats(&t, 1).ops;
	double want = 1024.0 / 335.0;
	double e = 2 * (TICK_PERIOD_S + 1e-3) / (10.0 * 335 / 1359), tol = want * 2 * e;
	cr_log_info("nice 0 : nice 5 = %.0f : %.0f = %.4f, want %.4f +- %.4f", a, b, a / b, want, tol);
	cr_expect(fabs(a / b - want) <= tol, "ratio %.4f, want %.4f +- %.4f", a / b, want, tol);
	wlt_fini(&t);
}

/*
 * Throughput = capacity / demand: 4 threads of 1 ms chunks on 2 vCPUs at 3 GHz (bare metal), 10 s
 * after 0.1 s of warm-up: 2 vCPUs x 10 s / 1 ms = 20,000 chunks, less the CPU the guest kernel
 * takes, which its counters and the cost table bound exactly: ticks x tick, context switches x
 * context_switch, IPIs received x irq, migrations x migration (the cache refill a migrated task
 * computes). Each of the 4 threads may also have a chunk cut by either edge of the window (one
 * started before the warm-up counts whole, one running at the end counts not at all): +-4.
 * Per-task ops are the threads' chunks and add up to the workload's.
 */
Test(wl_cpu, throughput_is_capacity_over_demand)
{
	struct wlt t;
	wlt_init(&t, "none", 2);
	wlt_add(&t, "cpu", "{\"threads\": 4, \"chunk\": \"1ms\"}", 1);
	const double span = 10;
	gost_run_warm(&t.g, SIM_PS_PER_S / 10, (sim_time_t)(span * SIM_PS_PER_S));
	struct wl_stats s = wlt_stats(&t, 0);
	double lost = 0;
	for (uint32_t i = 0; i < 2; i++) {
		struct gos_cpu_stats cs;
		gos_cpu_stats(t.k, i, &cs);
		lost += (double)cs.ticks * TICK_S + (double)cs.context_switches * CTX_SWITCH_S + (double)cs.ipis_received * IRQ_S;
	}
	for (uint32_t i = 0; i < s.ntasks; i++) {
		struct gos_task_stats ts;
		gos_task_stats(s.tasks[i], &ts);
		lost += (double)ts.migrations * MIGRATION_S;
	}
	double hi = 2 * span / 1e-3 + 4, lo = (2 * span - lost) / 1e-3 - 4;
	cr_log_info("cpu 4 threads on 2 vCPUs: %" PRIu64 " chunks in %.0f s, want %.1f..%.1f (guest took %.3f ms)", s.ops, span,
		    lo, hi, lost * 1e3);
	cr_expect((double)s.ops >= lo && (double)s.ops <= hi, "%" PRIu64 " chunks, want %.1f..%.1f", s.ops, lo, hi);
	expect_task_ops_add_up(&s, 4);
	wlt_fini(&t);
}

/* ---- open-poisson on bare metal against M/G/1 and M/M/c ---- */

/* First two moments of a service distribution, in seconds. */
struct moments {
	double m1, m2;
};

/* Pollaczek-Khinchine: W = E[S] + lambda E[S^2] / (2 (1 - rho)). */
static double pk_response(double lambda, struct moments s)
{
	double rho = lambda * s.m1;
	return s.m1 + lambda * s.m2 / (2 * (1 - rho));
}

/*
 * What the guest adds to a request (bare metal). A request that finds its worker blocked pays the
 * wake (the reschedule interrupt, `irq`), the context switch to the worker and, when it arrives
 * during the worker's BLOCK system call, the rest of that call; a busy vCPU ticks every 4 ms
 * (`tick` each), and a busy period starts at most one extra tick. Workers sharing a vCPU add a
 * switch away from the worker (wakeup preemption) per request and a switch at most per tick.
 * Upper bound: every request pays all of it, c = syscall + irq + switches + tick, and every cycle
 * is stretched by eps = (tick [+ switch]) / period: S' = (1 + eps) S + c. Lower bound: S' = S.
 */
static struct moments with_guest_overhead(struct moments s, bool shared_vcpu)
{
	double eps = (TICK_S + (shared_vcpu ? CTX_SWITCH_S : 0)) / TICK_PERIOD_S;
	double c = SYSCALL_S + IRQ_S + (shared_vcpu ? 2 : 1) * CTX_SWITCH_S + TICK_S;
	return (struct moments){(1 + eps) * s.m1 + c, (1 + eps) * (1 + eps) * s.m2 + 2 * (1 + eps) * s.m1 * c + c * c};
}

/* One open-poisson setup on bare metal: `workers` workers in a VM of `vcpus` vCPUs. */
struct open_case {
	const char *what, *service;
	double rate, span; /* per s; s measured after 1 s of warm-up */
	uint32_t workers, vcpus;
};

/* Mean response time (s) of one replication. */
static double open_poisson_response(const struct open_case *oc, uint64_t seed)
{
	struct wlt t;
	wlt_init(&t, "none", oc->vcpus);
	char *json = g_strdup_printf("{\"rate\": %.17g, \"workers\": %u, \"service\": %s}", oc->rate, oc->workers,
				     oc->service);
	wlt_add(&t, "open-poisson", json, seed);
	g_free(json);
	gost_run_warm(&t.g, SIM_PS_PER_S, (sim_time_t)(oc->span * (double)SIM_PS_PER_S));
	struct wl_stats s = wlt_stats(&t, 0);
	cr_assert_gt(s.ops, 0);
	cr_assert_neq(s.rng_digest, 0);
	expect_task_ops_add_up(&s, oc->workers);
	double w = secs(sim_hist_mean(s.latency));
	wlt_fini(&t);
	return w;
}

/*
 * R replications; the interval of the mean response time must meet the band [lo, hi] of the
 * theory without and with the guest's costs, and be narrow enough (under 10% of the theory) to
 * mean something.
 */
static void check_open(const struct open_case *oc, double lo, double hi, uint64_t seed)
{
	double w[R];
	for (int i = 0; i < R; i++)
		w[i] = open_poisson_response(oc, rep_seed(seed, i));
	struct ci c = interval(w);
	cr_log_info("%s: W %.4f +- %.4f ms, theory %.4f..%.4f ms", oc->what, c.mean * 1e3, c.half * 1e3, lo * 1e3,
		    hi * 1e3);
	cr_expect(c.mean + c.half >= lo && c.mean - c.half <= hi, "%s: W %.4f +- %.4f ms, theory %.4f..%.4f ms", oc->what,
		  c.mean * 1e3, c.half * 1e3, lo * 1e3, hi * 1e3);
	cr_expect_lt(c.half / lo, 0.1, "%s: interval too wide to mean anything: +-%.4f ms", oc->what, c.half * 1e3);
}

/* One worker on one vCPU: M/G/1, theory by Pollaczek-Khinchine with and without the guest's costs. */
static void check_mg1(const char *what, const char *service, double rate, struct moments s, double span, uint64_t seed)
{
	struct open_case oc = {.what = what, .service = service, .rate = rate, .span = span, .workers = 1, .vcpus = 1};
	check_open(&oc, pk_response(rate, s), pk_response(rate, with_guest_overhead(s, false)), seed);
}

/* M/M/1, rho = 0.5: W = 1 / (mu - lambda) = 2 ms. */
Test(wl_open_poisson, exp_service_is_mm1, .timeout = 120)
{
	check_mg1("M/M/1", "{\"dist\": \"exp\", \"mean\": \"1ms\"}", 500, (struct moments){1e-3, 2e-6}, 100, 11);
	cr_expect_float_eq(pk_response(500, (struct moments){1e-3, 2e-6}), 1.0 / (1000 - 500), 1e-12);
}

/* M/D/1, rho = 0.5: W = 1/mu + rho / (2 mu (1 - rho)) = 1.5 ms. */
Test(wl_open_poisson, det_service_is_md1, .timeout = 120)
{
	check_mg1("M/D/1", "{\"dist\": \"det\", \"mean\": \"1ms\"}", 500, (struct moments){1e-3, 1e-6}, 100, 12);
}

/* Lognormal with cv 2: E[S^2] = mean^2 (1 + cv^2). */
Test(wl_open_poisson, lognormal_service_follows_pollaczek_khinchine, .timeout = 120)
{
	check_mg1("M/logN/1", "{\"dist\": \"lognormal\", \"mean\": \"1ms\", \"cv\": 2}", 400, (struct moments){1e-3, 5e-6},
		  1000, 13);
}

/* Bounded Pareto moments: E[S^k] = alpha lo^alpha / (1 - (lo/hi)^alpha) (hi^(k-alpha) - lo^(k-alpha)) / (k - alpha). */
static double pareto_moment(double alpha, double lo, double hi, int k)
{
	return alpha * pow(lo, alpha) / (1 - pow(lo / hi, alpha)) * (pow(hi, k - alpha) - pow(lo, k - alpha)) / (k - alpha);
}

/*
 * alpha 1.5, mean 1 ms, max 100 ms: the test finds lo by its own bisection (libm) and checks the
 * workload's draws against the resulting M/G/1, which they meet only if the workload chose the
 * same lo. rho = 0.3 and longer runs: the tail makes replications noisy.
 */
Test(wl_open_poisson, bounded_pareto_service_has_the_asked_mean, .timeout = 120)
{
	double alpha = 1.5, hi = 0.1, mean = 1e-3, a = 0, b = mean;
	for (int i = 0; i < 200; i++) {
		double mid = (a + b) / 2;
		*(pareto_moment(alpha, mid, hi, 1) < mean ? &a : &b) = mid;
	}
	struct moments s = {pareto_moment(alpha, b, hi, 1), pareto_moment(alpha, b, hi, 2)};
	cr_assert_float_eq(s.m1, mean, 1e-12);
	check_mg1("M/Pareto/1", "{\"dist\": \"pareto\", \"mean\": \"1ms\", \"alpha\": 1.5, \"max\": \"100ms\"}", 300, s,
		  400, 14);
}

/*
 * Four workers sharing one vCPU, exponential service: any work-conserving order of service that
 * ignores the demands keeps M/M/1's mean number in system, hence its mean response time
 * 1 / (mu - lambda) (the guest time-slices the busy workers). A lost wake would leave requests
 * queued behind blocked workers and blow this up.
 */
Test(wl_open_poisson, workers_sharing_a_vcpu_keep_mm1_mean, .timeout = 120)
{
	struct moments s = {1e-3, 2e-6};
	struct open_case oc = {.what = "M/M/1, 4 workers", .service = "{\"dist\": \"exp\", \"mean\": \"1ms\"}",
			       .rate = 500, .span = 100, .workers = 4, .vcpus = 1};
	check_open(&oc, pk_response(500, s), pk_response(500, with_guest_overhead(s, true)), 31);
}

/* M/M/c mean response time: 1 / mu + C(c, a) / (c mu - lambda), C by Erlang's C formula. */
static double mmc_response(double lambda, double mu, int c)
{
	double a = lambda / mu, rho = a / c, term = 1, sum = 0;
	for (int k = 0; k < c; k++) {
		sum += term; /* a^k / k! */
		term *= a / (k + 1);
	}
	double tail = term / (1 - rho); /* a^c / c! / (1 - rho) */
	return 1 / mu + tail / (sum + tail) / (c * mu - lambda);
}

/*
 * Two workers on two vCPUs: M/M/2 (an idle worker is always woken, and a wake goes to an idle
 * vCPU). rho = 0.5: W = 1 ms + (1/3) / 1000 = 1.333 ms. The upper end shifts the mean demand by
 * the guest's costs (S' above) and keeps it exponential: an approximation (M/G/2 has no closed
 * form), conservative since S' varies less than an exponential of its mean.
 */
Test(wl_open_poisson, two_workers_on_two_vcpus_are_mm2, .timeout = 120)
{
	struct moments s = {1e-3, 2e-6};
	struct open_case oc = {.what = "M/M/2", .service = "{\"dist\": \"exp\", \"mean\": \"1ms\"}", .rate = 1000,
			       .span = 100, .workers = 2, .vcpus = 2};
	cr_expect_float_eq(mmc_response(1000, 1000, 2), 1e-3 + 1.0 / 3 / 1000, 1e-12);
	check_open(&oc, mmc_response(1000, 1 / s.m1, 2),
		   mmc_response(1000, 1 / with_guest_overhead(s, false).m1, 2), 32);
}

/* ---- common random numbers ---- */

static uint64_t open_poisson_digest(const char *policy, uint64_t seed, uint64_t *ops)
{
	struct wlt t;
	wlt_init(&t, policy, 1);
	wlt_add(&t, "open-poisson", "{\"rate\": 500, \"service\": {\"dist\": \"lognormal\"}}", seed);
	gost_run(&t.g, 2 * SIM_PS_PER_S);
	struct wl_stats s = wlt_stats(&t, 0);
	*ops = s.ops;
	wlt_fini(&t);
	return s.rng_digest;
}

/*
 * The arrival process and the demands are drawn by an entity outside the VM, at arrival time: a
 * VM (whose vCPU is slower: exits, interrupt delivery) and its bare-metal twin draw exactly the
 * same numbers, so the same number of arrivals (the digest folds every draw in order, so equal
 * digests mean equal counts). Completed requests may differ by those in flight at the end.
 */
Test(wl_crn, virtual_and_bare_metal_draw_the_same_numbers)
{
	uint64_t ops_v, ops_b, ops_k, ops_other;
	uint64_t dv = open_poisson_digest("classic", 7, &ops_v);
	uint64_t db = open_poisson_digest("none", 7, &ops_b);
	uint64_t dk = open_poisson_digest("cfs", 7, &ops_k);
	uint64_t other = open_poisson_digest("none", 8, &ops_other);
	cr_expect_neq(dv, 0);
	cr_expect_eq(dv, db, "classic %016" PRIx64 " vs none %016" PRIx64, dv, db);
	cr_expect_eq(dk, db, "cfs %016" PRIx64 " vs none %016" PRIx64, dk, db);
	cr_expect_neq(other, db, "another seed draws other numbers");
	cr_expect_gt(ops_b, 800, "about 1000 requests in 2 s: %" PRIu64, ops_b);
}

/* ---- closed-loop: the response-time law ---- */

/*
 * N clients, mean think Z, measured mean response R and throughput X: X (Z + R) / N = 1.
 * A client's cycle is exactly its think draw plus its response (the response runs from the sleep's
 * expiry to the compute's end, and the next think starts at once), so over a window T the
 * completed cycles cover N T minus the cycles cut by the two edges. Per replication the ratio
 * deviates by the sampling error of the think draws (mean zero; the interval covers it) plus
 * at most 2 cycles per client at the edges: a relative 2 (Z + R) / T.
 */
static double closed_loop_ratio(const char *policy, uint64_t seed, double span, double *cycle)
{
	struct wlt t;
	wlt_init(&t, policy, 1);
	wlt_add(&t, "closed-loop", "{\"clients\": 4, \"think\": \"10ms\", \"service\": {\"mean\": \"1ms\"}}", seed);
	gost_run_warm(&t.g, SIM_PS_PER_S, (sim_time_t)(span * (double)SIM_PS_PER_S));
	struct wl_stats s = wlt_stats(&t, 0);
	double x = (double)s.ops / span, r = secs(sim_hist_mean(s.latency));
	expect_task_ops_add_up(&s, 4);
	*cycle = 10e-3 + r;
	wlt_fini(&t);
	return x * *cycle / 4;
}

static void check_response_time_law(const char *policy, uint64_t seed)
{
	double ratio[R], cycle = 0, span = 100;
	for (int i = 0; i < R; i++)
		ratio[i] = closed_loop_ratio(policy, rep_seed(seed, i), span, &cycle);
	struct ci c = interval(ratio);
	double edge = 2 * cycle / span;
	cr_log_info("%s: X (Z + R) / N = %.5f +- %.5f (edges %.5f), R %.4f ms", policy, c.mean, c.half, edge,
		    (cycle - 10e-3) * 1e3);
	cr_expect_leq(fabs(c.mean - 1), c.half + edge, "%s: X (Z + R) / N = %.5f +- %.5f (edges %.5f)", policy, c.mean,
		      c.half, edge);
	cr_expect_lt(c.half, 0.05, "%s: interval too wide: %.5f", policy, c.half);
}

Test(wl_closed_loop, response_time_law_in_a_vm, .timeout = 120) { check_response_time_law("classic", 21); }
Test(wl_closed_loop, response_time_law_on_bare_metal, .timeout = 120) { check_response_time_law("none", 22); }

/* ---- net-stream, net-rr (the adapter model itself: tests/model/test_io_net.c) ---- */

/* A native adapter named nic0 on a 10 Gb/s NIC of its own (the fixture's VM must be bare metal). */
static void wlt_net(struct wlt *t)
{
	struct io_net_config cfg;
	io_net_config_default(&cfg);
	cfg.name = "nic0";
	cfg.path = IO_PATH_NATIVE;
	cfg.nic.gbps = 10;
	GError *err = NULL;
	struct io_net *n = io_net_new(t->k, t->g.h.hv, &cfg, &err);
	cr_assert_not_null(n, "%s", err ? err->message : "");
	g_ptr_array_add(t->nets, n);
}

/* Refused at create, before any task exists: no adapter of that name; a message over the window. */
Test(wl_net, kinds_refuse_a_missing_adapter_and_a_message_over_the_window)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	struct wl_env env = {.k = t.k, .vm = "vm", .seed = 1, .khz = KHZ, .nets = t.nets};
	static const struct {
		const char *kind, *json, *want;
	} bad[] = {
		{"net-stream", "{}", "no network adapter named 'nic0' (it has none"},
		{"net-rr", "{\"device\": \"eth0\"}", "no network adapter named 'eth0'"},
		{"net-rr", "{\"request\": \"2MiB\"}", "request (2097152 bytes) is larger than window (1048576 bytes)"},
		{"net-rr", "{\"response\": \"64KiB\", \"window\": \"32KiB\"}", "response (65536 bytes) is larger than window"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		const struct wl_kind *kd = wl_kind_find(bad[i].kind);
		cJSON *p = resolved(kd, bad[i].json);
		GError *err = NULL;
		cr_expect_null(kd->create(&env, p, &err), "%s %s accepted", bad[i].kind, bad[i].json);
		cr_expect(err && strstr(err->message, bad[i].want), "%s %s: %s", bad[i].kind, bad[i].json,
			  err ? err->message : "no error");
		g_clear_error(&err);
		cJSON_Delete(p);
	}
	cr_expect_eq(gos_ntasks(t.k), 0);
	wlt_fini(&t);
}

/*
 * Bulk transfer on bare metal, 100 ms after a 10 ms warm-up, one vCPU at 3 GHz. The link carries
 * at most 10 Gb/s x MSS / (MSS + frame overhead) of payload (1460 / 1538 at MTU 1500) in each
 * direction; the connections' data is all a 64 KiB-packet (TSO/LRO) stack at a few ns per byte has
 * to handle, so it nearly fills the link (>= 90%). An operation is a byte, so ops/s x 8 is that rate.
 */
static void stream_fills_the_link(const char *direction, uint32_t conns)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	wlt_net(&t);
	char *json = g_strdup_printf("{\"direction\": \"%s\", \"connections\": %u}", direction, conns);
	wlt_add(&t, "net-stream", json, 1);
	g_free(json);
	gost_run_warm(&t.g, 10 * MS, 100 * MS);
	struct wl_stats s = wlt_stats(&t, 0);
	double gbps = (double)s.ops * 8 / 0.1 / 1e9, payload = 10.0 * 1460 / (1460 + IO_NET_FRAME_OVERHEAD);
	cr_log_info("net-stream %s x%u: %" PRIu64 " bytes, %.3f Gb/s of %.3f", direction, conns, s.ops, gbps, payload);
	cr_expect_geq(gbps, 0.9 * payload, "%s: %.3f Gb/s", direction, gbps);
	cr_expect_leq(gbps, payload * 1.001, "%s: %.3f Gb/s over the link's payload rate", direction, gbps);
	cr_expect_eq(sim_hist_count(s.latency), 0, "no latency per byte");
	expect_task_ops_add_up(&s, conns);
	cr_expect_eq(s.rng_digest, 0);
	wlt_fini(&t);
}

Test(wl_net, stream_tx_counts_the_payload_the_peer_received) { stream_fills_the_link("tx", 2); }
Test(wl_net, stream_rx_counts_the_payload_the_tasks_read) { stream_fills_the_link("rx", 2); }

/* One connection, 64 B each way, 10 us one way: every transaction crosses the link twice. */
Test(wl_net, rr_transactions_take_at_least_two_link_latencies)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	wlt_net(&t);
	wlt_add(&t, "net-rr", "{\"request\": \"64B\", \"response\": \"64B\"}", 1);
	gost_run_warm(&t.g, 10 * MS, 100 * MS);
	struct wl_stats s = wlt_stats(&t, 0);
	cr_log_info("net-rr: %" PRIu64 " transactions, min %.2f us mean %.2f us", s.ops, (double)s.latency->min / 1e6,
		    sim_hist_mean(s.latency) / 1e6);
	cr_expect_gt(s.ops, 0);
	cr_expect_eq(sim_hist_count(s.latency), s.ops, "one latency per transaction");
	expect_task_ops_add_up(&s, 1);
	cr_expect_geq(s.latency->min, 20 * SIM_PS_PER_US, "shortest %" PRIu64 " ps", s.latency->min);
	cr_expect_leq(s.ops, 100 * MS / (20 * SIM_PS_PER_US), "%" PRIu64 " transactions in 100 ms", s.ops);
	cr_expect_eq(s.rng_digest, 0);
	wlt_fini(&t);
}

/* ---- cpu with drawn chunk lengths ---- */

/*
 * One thread on one vCPU (bare metal), chunks drawn with mean 1 ms, 20 s: the mean chunk time is
 * the mean demand, within 3.29 standard errors of the mean of n draws (sd from the distribution's
 * second moment: a 99.9% normal interval, n ~ 20,000) plus the ticks' work spread over the chunks
 * (at most 251 per second x tick / n). The draws are folded into rng_digest; det draws nothing.
 */
static void check_cpu_dist(const char *json, struct moments m)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	wlt_add(&t, "cpu", json, 5);
	const double span = 20;
	gost_run(&t.g, (sim_time_t)(span * SIM_PS_PER_S));
	struct wl_stats s = wlt_stats(&t, 0);
	double n = (double)s.ops, mean = secs(sim_hist_mean(s.latency));
	double se = sqrt((m.m2 - m.m1 * m.m1) / n), over = 251 * span * TICK_S / n;
	cr_log_info("cpu %s: %" PRIu64 " chunks, mean %.5f ms, want %.5f -%.5f +%.5f ms", json, s.ops, mean * 1e3, m.m1 * 1e3,
		    3.29 * se * 1e3, (3.29 * se + over) * 1e3);
	cr_expect(mean >= m.m1 - 3.29 * se && mean <= m.m1 + 3.29 * se + over, "%s: mean chunk %.5f ms, want %.5f", json,
		  mean * 1e3, m.m1 * 1e3);
	cr_expect_neq(s.rng_digest, 0, "%s draws its chunks", json);
	wlt_fini(&t);
}

Test(wl_cpu, exp_chunks_have_the_asked_mean) { check_cpu_dist("{\"dist\": \"exp\"}", (struct moments){1e-3, 2e-6}); }

Test(wl_cpu, lognormal_chunks_have_the_asked_mean)
{
	check_cpu_dist("{\"dist\": \"lognormal\", \"cv\": 2}", (struct moments){1e-3, 5e-6});
}

Test(wl_cpu, pareto_chunks_have_the_asked_mean)
{
	double alpha = 1.5, hi = 0.1, a = 0, b = 1e-3;
	for (int i = 0; i < 200; i++) {
		double mid = (a + b) / 2;
		*(pareto_moment(alpha, mid, hi, 1) < 1e-3 ? &a : &b) = mid;
	}
	check_cpu_dist("{\"dist\": \"pareto\", \"alpha\": 1.5, \"max\": \"100ms\"}",
		       (struct moments){pareto_moment(alpha, b, hi, 1), pareto_moment(alpha, b, hi, 2)});
}

/* ---- open-poisson: M/M/c at 70% utilisation ---- */

/*
 * Four workers on four vCPUs, exponential 1 ms demands, 2,800 requests/s: M/M/4 at rho = 0.7.
 * Erlang C: a = 2.8, C(4, 2.8) = 0.4287, Wq = C / (4 mu - lambda) = 0.3572 ms, W = 1.3572 ms. The
 * waiting time measured (response - the known 1 ms mean demand) must lie within 5% of Wq, and the
 * 99.9% interval of the 10 replications (100 s each after 1 s of warm-up) must be narrower than
 * 2.5% of Wq, so that the 5% means something. The guest's own costs per request (with_guest_overhead:
 * up to 4.3 us and 0.04% of the demand) move Wq by 2.8% at most (0.3671 ms: the M/M/4 of the longer
 * demand), which the 5% absorbs.
 */
Test(wl_open_poisson, four_workers_at_rho_0_7_are_mm4, .timeout = 300)
{
	struct open_case oc = {.what = "M/M/4 rho 0.7", .service = "{\"dist\": \"exp\", \"mean\": \"1ms\"}", .rate = 2800,
			       .span = 100, .workers = 4, .vcpus = 4};
	struct moments s = {1e-3, 2e-6};
	double wq = mmc_response(2800, 1000, 4) - 1e-3;
	double wq_guest = mmc_response(2800, 1 / with_guest_overhead(s, false).m1, 4) - with_guest_overhead(s, false).m1;
	double w[R];
	for (int i = 0; i < R; i++)
		w[i] = open_poisson_response(&oc, rep_seed(41, i)) - 1e-3;
	struct ci c = interval(w);
	cr_log_info("M/M/4 rho 0.7: Wq %.4f +- %.4f ms, Erlang C %.4f ms (with the guest's costs %.4f ms)", c.mean * 1e3,
		    c.half * 1e3, wq * 1e3, wq_guest * 1e3);
	cr_expect_leq(fabs(c.mean - wq), 0.05 * wq, "Wq %.4f ms, Erlang C %.4f ms", c.mean * 1e3, wq * 1e3);
	cr_expect_leq(c.half, 0.025 * wq, "interval +-%.4f ms too wide for a 5%% check", c.half * 1e3);
}

/* ---- closed-loop: R = N / X - Z under load ---- */

/*
 * Eight clients on two vCPUs, think 4 ms (exponential), lognormal demands of mean 1 ms and cv 1.5:
 * a loaded interactive system (offered load 8 / 5 ms = 1.6 vCPUs before queueing). Per replication
 * (20 s after 1 s of warm-up), d = R - (N / X - Z) with Z the configured mean think. As derived for
 * X (Z + R) / N above, the cycles cut by the window's edges move N / X by at most (Z + R) e / (1 - e),
 * e = 2 (Z + R) / T; the think draws' sampling error is in the 99.9% interval over 10 replications.
 */
Test(wl_closed_loop, response_time_law_holds_under_load, .timeout = 120)
{
	double d[R], cycle = 0;
	const double span = 20, n = 8, z = 4e-3;
	for (int i = 0; i < R; i++) {
		struct wlt t;
		wlt_init(&t, "none", 2);
		wlt_add(&t, "closed-loop",
			"{\"clients\": 8, \"think\": \"4ms\", \"service\": {\"dist\": \"lognormal\", \"mean\": \"1ms\", \"cv\": 1.5}}",
			rep_seed(23, i));
		gost_run_warm(&t.g, SIM_PS_PER_S, (sim_time_t)(span * SIM_PS_PER_S));
		struct wl_stats s = wlt_stats(&t, 0);
		double x = (double)s.ops / span, r = secs(sim_hist_mean(s.latency));
		d[i] = r - (n / x - z);
		cycle = z + r;
		wlt_fini(&t);
	}
	struct ci c = interval(d);
	double e = 2 * cycle / span, edge = cycle * e / (1 - e);
	cr_log_info("closed-loop 8 clients on 2 vCPUs: R - (N/X - Z) = %.5f +- %.5f ms (edges %.5f ms), R %.4f ms",
		    c.mean * 1e3, c.half * 1e3, edge * 1e3, (cycle - z) * 1e3);
	cr_expect_leq(fabs(c.mean), c.half + edge, "R - (N/X - Z) = %.5f +- %.5f ms", c.mean * 1e3, c.half * 1e3);
	cr_expect_lt(c.half, 0.02 * (cycle - z), "interval too wide: %.5f ms", c.half * 1e3);
}

/* ---- messaging ---- */

/* The kind's counter `name` (NAN when it has none). */
static double counter(const struct wl_stats *s, const char *name)
{
	for (uint32_t i = 0; i < s->ncounters; i++)
		if (strcmp(s->counters[i].name, name) == 0)
			return s->counters[i].value;
	return NAN;
}

/* Per-task ops of the tasks whose name contains `role`, summed. */
static uint64_t task_ops_of(const struct wl_stats *s, const char *role, uint64_t *min, uint64_t *max)
{
	uint64_t sum = 0;
	*min = UINT64_MAX;
	*max = 0;
	for (uint32_t i = 0; i < s->ntasks; i++)
		if (strstr(gos_task_name(s->tasks[i]), role)) {
			sum += s->task_ops[i];
			*min = MIN(*min, s->task_ops[i]);
			*max = MAX(*max, s->task_ops[i]);
		}
	return sum;
}

/*
 * Conservation, endless loops, no warm-up, 0.3 s on 2 vCPUs: every message written is delivered
 * or in flight (sent = ops + in_flight, exactly), the receivers' per-task ops add up to the
 * deliveries and the senders' to the messages written, and no more can be in flight than the
 * buffers hold (receivers x buffer / message). One latency per delivery. A small buffer (1 KiB,
 * 10 messages) makes writers block and be woken; a large one (64 KiB) makes neither happen often.
 */
static void check_messaging_conservation(const char *json)
{
	struct wlt t;
	wlt_init(&t, "none", 2);
	wlt_add(&t, "messaging", json, 1);
	gost_run(&t.g, 3 * SIM_PS_PER_S / 10);
	struct wl_stats s = wlt_stats(&t, 0);
	double sent = counter(&s, "sent"), inflight = counter(&s, "in_flight");
	uint64_t rmin, rmax, smin, smax;
	uint64_t read = task_ops_of(&s, "receiver", &rmin, &rmax), written = task_ops_of(&s, "sender", &smin, &smax);
	cr_log_info("messaging %s: %" PRIu64 " delivered, %.0f sent, %.0f in flight, sender blocks %.0f, receiver blocks %.0f; "
		    "per receiver %" PRIu64 "..%" PRIu64 ", per sender %" PRIu64 "..%" PRIu64,
		    json, s.ops, sent, inflight, counter(&s, "sender_blocks"), counter(&s, "receiver_blocks"), rmin, rmax, smin,
		    smax);
	cr_expect_gt(s.ops, 1000);
	cr_expect_eq((uint64_t)sent, s.ops + (uint64_t)inflight, "sent %.0f = delivered %" PRIu64 " + in flight %.0f", sent,
		     s.ops, inflight);
	cr_expect_eq(read, s.ops);
	cr_expect_eq(written, (uint64_t)sent);
	cr_expect_eq(sim_hist_count(s.latency), s.ops);
	cr_expect_eq(s.rng_digest, 0, "messaging draws nothing");
	wlt_fini(&t);
}

Test(wl_messaging, messages_are_conserved_with_large_buffers)
{
	check_messaging_conservation("{\"groups\": 2, \"pairs\": 4, \"ipc\": \"pipe\"}");
}

Test(wl_messaging, messages_are_conserved_when_writers_block)
{
	check_messaging_conservation("{\"groups\": 2, \"pairs\": 4, \"buffer\": \"1KiB\"}");
}

/*
 * Finite loops (hackbench's protocol): 2 groups of 5 pairs, 40 rounds, a 500-byte buffer (5
 * messages) so that writers block all the time: once every task has exited, every receiver read
 * exactly pairs x loops = 200 messages and every sender wrote as many, 2 x 5 x 5 x 40 = 2,000 in
 * all, none in flight. A lost wake would leave a task blocked for ever.
 */
Test(wl_messaging, finite_loops_deliver_every_message_exactly)
{
	struct wlt t;
	wlt_init(&t, "none", 2);
	wlt_add(&t, "messaging", "{\"groups\": 2, \"pairs\": 5, \"loops\": 40, \"buffer\": \"500B\"}", 1);
	gost_run(&t.g, SIM_PS_PER_S);
	struct wl_stats s = wlt_stats(&t, 0);
	uint64_t rmin, rmax, smin, smax;
	task_ops_of(&s, "receiver", &rmin, &rmax);
	task_ops_of(&s, "sender", &smin, &smax);
	cr_log_info("messaging, 40 loops: %" PRIu64 " delivered, sender blocks %.0f, receiver blocks %.0f", s.ops,
		    counter(&s, "sender_blocks"), counter(&s, "receiver_blocks"));
	for (uint32_t i = 0; i < gos_ntasks(t.k); i++)
		cr_expect(gos_task_exited(gos_task_at(t.k, i)), "%s has not exited", gos_task_name(gos_task_at(t.k, i)));
	cr_expect_eq(s.ops, 2000);
	cr_expect_eq(counter(&s, "sent"), 2000);
	cr_expect_eq(counter(&s, "in_flight"), 0);
	cr_expect(rmin == 200 && rmax == 200, "per receiver %" PRIu64 "..%" PRIu64, rmin, rmax);
	cr_expect(smin == 200 && smax == 200, "per sender %" PRIu64 "..%" PRIu64, smin, smax);
	cr_expect_gt(counter(&s, "sender_blocks"), 0, "a 5-message buffer blocks writers");
	wlt_fini(&t);
}

/*
 * CPU bound: a message costs a write and a read of (syscall 300 ns + pipe 300 ns + 100 B x
 * 0.1 ns) = 610 ns each, so 2 vCPUs deliver at most 2 / 1.22 us = 1.64 M messages/s. With large
 * buffers the tasks rarely block, so at least 80% of it (the rest: ticks, switches, wakes).
 */
Test(wl_messaging, throughput_is_bounded_by_the_copy_costs)
{
	struct wlt t;
	wlt_init(&t, "none", 2);
	wlt_add(&t, "messaging", "{\"groups\": 2, \"pairs\": 4, \"ipc\": \"pipe\"}", 1);
	gost_run_warm(&t.g, SIM_PS_PER_S / 10, SIM_PS_PER_S / 2);
	struct wl_stats s = wlt_stats(&t, 0);
	double rate = (double)s.ops / 0.5, cap = 2 / (2 * (SYSCALL_S + 300e-9 + 100 * 0.1e-9));
	cr_log_info("messaging over pipes on 2 vCPUs: %.0f messages/s, copy bound %.0f", rate, cap);
	cr_expect_leq(rate, cap * 1.001);
	cr_expect_geq(rate, 0.8 * cap);
	wlt_fini(&t);
}

/* ---- kv ---- */

/* A native disk named disk0 with a device of its own (bare metal). */
static void wlt_disk(struct wlt *t)
{
	struct io_disk_config cfg;
	io_disk_config_default(&cfg);
	cfg.name = "disk0";
	cfg.path = IO_PATH_NATIVE;
	GError *err = NULL;
	struct io_disk *d = io_disk_new(t->k, t->g.h.hv, &cfg, &err);
	cr_assert_not_null(d, "%s", err ? err->message : "");
	g_ptr_array_add(t->disks, d);
}

/* |observed share - p| within z binomial standard errors of n trials (z 3.89: 99.99%, two-sided). */
static void expect_share(const char *what, double k, double n, double p)
{
	double z = 3.89, se = sqrt(p * (1 - p) / n);
	cr_log_info("%s: %.0f of %.0f = %.5f, want %.5f +- %.5f", what, k, n, k / n, p, z * se);
	cr_expect_leq(fabs(k / n - p), z * se + 1e-12, "%s: %.5f, want %.5f +- %.5f", what, k / n, p, z * se);
}

/* kv on bare metal, 4 vCPUs, a native 10 Gb/s adapter (and disk), `json`, 0.5 s after 0.1 s warm-up. */
static struct wl_stats run_kv(struct wlt *t, const char *json, bool disk)
{
	wlt_init(t, "none", 4);
	wlt_net(t);
	if (disk)
		wlt_disk(t);
	wlt_add(t, "kv", json, 3);
	gost_run_warm(&t->g, SIM_PS_PER_S / 10, SIM_PS_PER_S / 2);
	struct wl_stats s = wlt_stats(t, 0);
	uint64_t lo, hi, sum = task_ops_of(&s, "server", &lo, &hi);
	double kinds = counter(&s, "reads") + counter(&s, "updates") + counter(&s, "inserts") + counter(&s, "scans") +
		       counter(&s, "rmws");
	cr_expect_gt(s.ops, 1000, "%s: %" PRIu64 " operations", json, s.ops);
	cr_expect_eq(kinds, (double)s.ops, "%s: the kinds add up to the operations", json);
	cr_expect_eq(sum, s.ops, "%s: the servers' operations add up", json);
	cr_expect_eq(sim_hist_count(s.latency), s.ops);
	cr_expect_neq(s.rng_digest, 0);
	return s;
}

/*
 * The mixes: each operation's share is YCSB's within binomial bounds (99.99% each: some 10 checks
 * over the mixes). In memory (no disk), 1,000 records, 16 clients.
 */
Test(wl_kv, mixes_have_their_shares, .timeout = 120)
{
	static const struct {
		const char *mix, *kind[2];
		double share[2];
	} mixes[] = {
		{"ycsb-a", {"reads", "updates"}, {0.5, 0.5}},  {"ycsb-b", {"reads", "updates"}, {0.95, 0.05}},
		{"ycsb-c", {"reads", "updates"}, {1, 0}},      {"ycsb-d", {"reads", "inserts"}, {0.95, 0.05}},
		{"ycsb-e", {"scans", "inserts"}, {0.95, 0.05}}, {"ycsb-f", {"reads", "rmws"}, {0.5, 0.5}},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(mixes); i++) {
		struct wlt t;
		char *json = g_strdup_printf("{\"mix\": \"%s\", \"records\": 1000, \"service\": {\"mean\": \"10us\"}}", mixes[i].mix);
		struct wl_stats s = run_kv(&t, json, false);
		for (int j = 0; j < 2; j++) {
			char *what = g_strdup_printf("%s %s", mixes[i].mix, mixes[i].kind[j]);
			expect_share(what, counter(&s, mixes[i].kind[j]), (double)s.ops, mixes[i].share[j]);
			g_free(what);
		}
		g_free(json);
		wlt_fini(&t);
	}
}

/*
 * The skew: YCSB's zipfian (Gray et al.) gives rank 0 exactly the probability 1 / zeta(n, theta)
 * and rank 1 2^-theta / zeta(n, theta). ycsb-c (reads only, so n stays 1,000), theta 0.99 and 0.5:
 * the shares of operations on the top two keys within binomial bounds.
 */
Test(wl_kv, zipfian_keys_have_the_theoretical_skew, .timeout = 120)
{
	static const double thetas[] = {0.99, 0.5};
	for (size_t i = 0; i < G_N_ELEMENTS(thetas); i++) {
		struct wlt t;
		char *json = g_strdup_printf("{\"mix\": \"ycsb-c\", \"records\": 1000, \"zipf\": %g, \"service\": {\"mean\": \"10us\"}}",
					     thetas[i]);
		struct wl_stats s = run_kv(&t, json, false);
		double zeta = 0;
		for (int k = 1; k <= 1000; k++)
			zeta += 1 / pow(k, thetas[i]);
		char what[64];
		snprintf(what, sizeof what, "theta %g, rank 0", thetas[i]);
		expect_share(what, counter(&s, "top_key_ops"), (double)s.ops, 1 / zeta);
		snprintf(what, sizeof what, "theta %g, rank 1", thetas[i]);
		expect_share(what, counter(&s, "second_key_ops"), (double)s.ops, pow(2, -thetas[i]) / zeta);
		g_free(json);
		wlt_fini(&t);
	}
}

/*
 * With a disk: each record read misses the cache with probability cache_miss (0.2: a disk read),
 * and with sync_writes every update writes its record; ycsb-a. Without sync_writes nothing is
 * written.
 */
Test(wl_kv, cache_misses_and_sync_writes_reach_the_disk, .timeout = 120)
{
	struct wlt t;
	struct wl_stats s = run_kv(&t, "{\"mix\": \"ycsb-a\", \"records\": 1000, \"disk\": \"disk0\", \"cache_miss\": 0.2}", true);
	expect_share("cache misses per read", counter(&s, "cache_misses"), counter(&s, "reads"), 0.2);
	/* a miss or a write counted for an operation whose response is not sent yet: one per server */
	cr_expect_leq(fabs(counter(&s, "disk_writes") - counter(&s, "updates")), 16, "writes %.0f, updates %.0f",
		      counter(&s, "disk_writes"), counter(&s, "updates"));
	wlt_fini(&t);
	s = run_kv(&t, "{\"mix\": \"ycsb-a\", \"records\": 1000, \"disk\": \"disk0\", \"sync_writes\": false}", true);
	cr_expect_eq(counter(&s, "disk_writes"), 0);
	wlt_fini(&t);
}

/* Refused at create: no disk of that name; a mix whose mean response exceeds the window. */
Test(wl_kv, refuses_a_missing_disk_and_messages_over_the_window)
{
	struct wlt t;
	wlt_init(&t, "none", 1);
	wlt_net(&t);
	struct wl_env env = {.k = t.k, .vm = "vm", .seed = 1, .khz = KHZ, .nets = t.nets, .disks = t.disks};
	static const struct {
		const char *json, *want;
	} bad[] = {
		{"{\"disk\": \"sdb\"}", "no disk named 'sdb' (it has none"},
		{"{\"device\": \"eth1\"}", "no network adapter named 'eth1'"},
		{"{\"mix\": \"ycsb-e\", \"window\": \"32KiB\"}", "mean response (47532 bytes) is larger than window"},
	};
	const struct wl_kind *kd = wl_kind_find("kv");
	for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
		cJSON *p = resolved(kd, bad[i].json);
		GError *err = NULL;
		cr_expect_null(kd->create(&env, p, &err), "%s accepted", bad[i].json);
		cr_expect(err && strstr(err->message, bad[i].want), "%s: %s", bad[i].json, err ? err->message : "no error");
		g_clear_error(&err);
		cJSON_Delete(p);
	}
	cr_expect_eq(gos_ntasks(t.k), 0);
	wlt_fini(&t);
}

/* ---- locks and storage: their tasks' operations ---- */

/* The locks kind (docs/locks.md has its behaviour) and storage (tests/model/test_io_disk.c the
   disk's) attribute every operation to the task that did it. */
Test(wl_tasks, locks_and_storage_attribute_their_operations)
{
	struct wlt t;
	wlt_init(&t, "none", 2);
	wlt_disk(&t);
	wlt_add(&t, "locks", "{\"threads\": 4, \"locks\": 2}", 1);
	wlt_add(&t, "storage", "{\"threads\": 2, \"iodepth\": 2, \"rw\": \"randrw\"}", 1);
	gost_run_warm(&t.g, 10 * MS, 100 * MS);
	struct wl_stats l = wlt_stats(&t, 0), st = wlt_stats(&t, 1);
	cr_log_info("locks: %" PRIu64 " critical sections; storage: %" PRIu64 " I/Os", l.ops, st.ops);
	cr_expect_gt(l.ops, 0);
	cr_expect_gt(st.ops, 0);
	expect_task_ops_add_up(&l, 4);
	expect_task_ops_add_up(&st, 4);
	wlt_fini(&t);
}

/* ---- storage: the asynchronous engine ---- */

/*
 * One thread keeping 8 reads in flight on a native disk of 1 ms reads (bare metal, 2 vCPUs):
 * Little's law L = X R, L being the I/Os in flight, is 8 less the slots not yet refilled. A
 * completion's slot is refilled once the task's vCPU has done the I/O's work: irq + blk_complete,
 * a switch to the woken task and its io_getevents, blk_submit, its next block and switch away
 * (p = 2 context switches + 2 syscalls + irq + blk_submit + blk_complete); at worst behind the
 * other seven's, so c <= 8 p and 8 R / (R + c) <= X R <= 8 (to the window's edges: 2 I/Os).
 */
Test(wl_storage, async_keeps_iodepth_in_flight_littles_law)
{
	struct wlt t;
	wlt_init(&t, "none", 2);
	struct io_disk_config dc;
	io_disk_config_default(&dc);
	dc.name = "disk0";
	dc.path = IO_PATH_NATIVE;
	dc.device.read_latency = SIM_PS_PER_MS;
	GError *err = NULL;
	struct io_disk *d = io_disk_new(t.k, t.g.h.hv, &dc, &err);
	cr_assert_not_null(d, "%s", err ? err->message : "");
	g_ptr_array_add(t.disks, d);
	wlt_add(&t, "storage", "{\"sync\": false, \"iodepth\": 8, \"threads\": 1}", 1);
	cr_expect_eq(gos_ntasks(t.k), 1, "one task for the thread");
	const double secs = 0.5;
	gost_run_warm(&t.g, SIM_PS_PER_S / 20, (sim_time_t)(secs * SIM_PS_PER_S));
	struct wl_stats s = wlt_stats(&t, 0);
	double x = (double)s.ops / secs, r = sim_hist_mean(s.latency) / 1e12;
	struct gos_config gc;
	gos_config_default(&gc);
	double p = (double)(2 * gc.cost_ns[GOS_COST_CONTEXT_SWITCH] + 2 * gc.cost_ns[GOS_COST_SYSCALL] + gc.cost_ns[GOS_COST_IRQ] +
			    dc.cost_ns[IO_DISK_COST_BLK_SUBMIT] + dc.cost_ns[IO_DISK_COST_BLK_COMPLETE]) / 1e9;
	double c = 8 * p, l = x * r, edge = 2.0 / (double)s.ops;
	cr_log_info("async depth 8: %.0f IOPS, mean %.2f us, L = %.4f (>= %.4f)", x, r * 1e6, l, 8 * r / (r + c));
	cr_expect_leq(l, 8 * (1 + edge), "L = %.4f", l);
	cr_expect_geq(l, 8 * r / (r + c) * (1 - edge), "L = %.4f, R = %.2f us, c = %.2f us", l, r * 1e6, c * 1e6);
	wlt_fini(&t);
}

/* kv's demand (gos_memory) with `json` (a disk when `disk`), a working_set key added when `ws`. */
static uint64_t kv_demand(const char *json, bool disk, const char *ws)
{
	struct wlt t;
	wlt_init(&t, "none", 2);
	wlt_net(&t);
	if (disk)
		wlt_disk(&t);
	const struct wl_kind *kd = wl_kind_find("kv");
	cJSON *params = resolved(kd, json);
	if (ws) /* the runner's key (scenario.c checks it): the runner adds it, the kind derives none */
		cJSON_AddStringToObject(params, "working_set", ws);
	struct wl_env env = {.k = t.k, .vm = "vm", .seed = 1, .khz = KHZ, .nets = t.nets, .disks = t.disks};
	GError *err = NULL;
	void *inst = kd->create(&env, params, &err);
	cr_assert_not_null(inst, "%s", err ? err->message : "");
	cJSON_Delete(params);
	t.kind[t.n] = kd;
	t.inst[t.n++] = inst;
	uint64_t a, d;
	gos_memory(t.k, &a, &d);
	wlt_fini(&t);
	return d;
}

/*
 * kv derives its working set when none is given (docs/workloads.md): its records, records x
 * value_size in memory, the cached share x (1 - cache_miss) with a disk; the kernel's 256 MiB on top.
 */
Test(wl_kv, derives_its_working_set_from_its_records)
{
	const uint64_t base = UINT64_C(256) << 20;
	cr_expect_eq(kv_demand("{\"records\": 1000, \"value_size\": \"4KiB\"}", false, NULL), base + 1000 * 4096);
	cr_expect_eq(kv_demand("{\"records\": 1000, \"value_size\": \"4KiB\", \"disk\": \"disk0\", \"cache_miss\": 0.25}",
			       true, NULL),
		     base + 750 * 4096);
	cr_expect_eq(kv_demand("{\"records\": 1000, \"value_size\": \"4KiB\"}", false, "1GiB"), base,
		     "a given working_set is the runner's to add: the kind derives none");
}
