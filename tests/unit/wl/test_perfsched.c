/* SPDX-License-Identifier: MIT */
/*
 * test_perfsched.c - the perf-sched workload: the `perf sched script` parser on hand-written
 *                    lines, and replays of the traces recorded on a real machine
 *                    (tests/data/traces, scripts/record-trace.sh) on the real guest kernel.
 * Checks:
 *   - parsing: every event kind the rebuild uses (sched_switch in the kernel's key=value and
 *     libtraceevent's plugin format, sched_waking, sched_wakeup with and without success=,
 *     sched_wakeup_new, sched_process_fork, sched_stat_runtime, sched_migrate_task and unknown
 *     events ignored) and line variants (comm with spaces, pid/tid, flag columns, ns time
 *     stamps, the "-1" leader perf prints for a thread it forgot, comments, the header) give
 *     exactly the steps worked out by hand below; sched_wakeup is ignored when sched_waking is
 *     there; filters by comm and pid, and a dropped waker turns its wake into a timed sleep; a
 *     wake that comes while its target is still current ends the block that follows, or nothing;
 *     a malformed line is refused with file and line, a trace that keeps nothing with the comms
 *     it has;
 *   - replay on bare metal with the recording's LP count: the recorded makespan of the messaging
 *     trace within bounds derived from what the replay cannot reproduce and from Graham's bound
 *     (below);
 *   - no thread goes past a recorded block before its waker reached the matching wake, and a
 *     thread with a recorded start offset does not start before it;
 *   - the CPU-bound trace finishes faster on twice the LPs, within the bounds its run bursts set;
 *   - bursts take recorded ns x recorded_mhz / 1000 x scale cycles, exactly (rounding per burst);
 *   - loop: each replay is one makespan sample and counts every thread once.
 * Leaves unchecked: the recorded time stamps themselves (the replay follows the simulated
 *   scheduler, by design), migrations and priorities (not replayed), the runner's task scopes
 *   (tests/cli).
 * Host: single-thread cores at 3 GHz, one more than the VM's vCPUs; the root VP is pinned to
 *   LP 0, the VM runs on LPs 1.. of its own, hypervisor none (bare metal).
 */
#include <cjson/cJSON.h>
#include <inttypes.h>

#include "tests/model/gostest.h"
#include "workloads/perfsched.h"
#include "workloads/workload.h"

#ifndef HVSIM_SRCDIR
#error "tests/meson.build defines HVSIM_SRCDIR"
#endif
#define TRACES HVSIM_SRCDIR "/tests/data/traces"
#define HOST_MHZ 3000.0 /* hw_config_default */

/* Guest costs at their defaults (docs/guestos.md), in ns. */
#define SYSCALL_NS 300.0
#define IRQ_NS 500.0
#define CTX_SWITCH_NS 2000.0
#define TICK_NS 1500.0
#define TICK_PERIOD_NS 4e6 /* hz 250 */

/* ---- parsing ---- */

static struct wl_ps_trace *parse(const char *text, const struct wl_ps_filter *f)
{
	GError *err = NULL;
	struct wl_ps_trace *t = wl_ps_trace_parse(text, strlen(text), "hand.txt", f, &err);
	cr_assert_not_null(t, "%s", err ? err->message : "");
	return t;
}

static const struct wl_ps_thread *thread_of(const struct wl_ps_trace *t, int32_t pid)
{
	for (guint i = 0; i < t->threads->len; i++) {
		const struct wl_ps_thread *th = t->threads->pdata[i];
		if (th->pid == pid)
			return th;
	}
	cr_assert_fail("no thread %d", pid);
	return NULL;
}

static uint32_t index_of(const struct wl_ps_trace *t, int32_t pid)
{
	for (guint i = 0; i < t->threads->len; i++)
		if (((const struct wl_ps_thread *)t->threads->pdata[i])->pid == pid)
			return i;
	cr_assert_fail("no thread %d", pid);
	return 0;
}

struct want_step {
	enum wl_ps_step_kind kind;
	int32_t peer_pid; /* WAKE, BLOCK */
	uint32_t peer_step;
	uint64_t ns;      /* RUN, SLEEP */
};

static void expect_steps(const struct wl_ps_trace *t, int32_t pid, const struct want_step *w, uint32_t n)
{
	const struct wl_ps_thread *th = thread_of(t, pid);
	cr_expect_eq(th->steps->len, n, "thread %d: %u steps, want %u", pid, th->steps->len, n);
	for (uint32_t i = 0; i < n && i < th->steps->len; i++) {
		const struct wl_ps_step *s = &g_array_index(th->steps, struct wl_ps_step, i);
		cr_expect_eq(s->kind, w[i].kind, "thread %d step %u: kind %d, want %d", pid, i, s->kind, w[i].kind);
		if (w[i].kind == WL_PS_RUN || w[i].kind == WL_PS_SLEEP) {
			cr_expect_eq(s->ns, w[i].ns, "thread %d step %u: %" PRIu64 " ns, want %" PRIu64, pid, i, s->ns,
				     w[i].ns);
		} else {
			cr_expect_eq(s->peer, index_of(t, w[i].peer_pid), "thread %d step %u: peer %u", pid, i, s->peer);
			cr_expect_eq(s->peer_step, w[i].peer_step, "thread %d step %u: peer step %u, want %u", pid, i,
				     s->peer_step, w[i].peer_step);
		}
	}
}

/*
 * a (10) runs on CPU 0 from 1.000000, forks a (11) at .000100 and blocks at .000300 after
 * 250 us of runtime (of 300 us on the CPU: the runtime counts). 11 runs on CPU 1 from .000150,
 * wakes 10 at .000400, is preempted at .000500 by "Web Content" (tid 20, 50 us of runtime in its
 * 100 us), goes on at .000600, blocks at .000700 until the idle task wakes it at .001700 (a
 * timer), runs from .001750 and exits at .001850 (perf no longer knows it: "-1"). 10 goes on from
 * .000460 to its exit at .002000 (no runtime events: the switch times count). The swapper's
 * sched_wakeup of 10 is ignored (the trace has sched_waking).
 */
static const char trace_kv[] =
	"# hvsim-trace: lps=2 mhz=2000 cmd=hand written\n"
	"# a comment\n"
	"\n"
	"         swapper     0 [000]     1.000000: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=a next_pid=10 next_prio=120\n"
	"               a    10 [000]     1.000100: sched:sched_process_fork: comm=a pid=10 child_comm=a child_pid=11\n"
	"               a    10 [000]     1.000101:   sched:sched_wakeup_new: comm=a pid=11 prio=120 target_cpu=001\n"
	"         swapper     0 [001]     1.000150: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=a next_pid=11 next_prio=120\n"
	"               a    10 [000]     1.000300: sched:sched_stat_runtime: comm=a pid=10 runtime=250000 [ns] vruntime=123 [ns]\n"
	"               a    10 [000]     1.000300: sched:sched_switch: prev_comm=a prev_pid=10 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
	"               a    11 [001]     1.000400:       sched:sched_waking: comm=a pid=10 prio=120 target_cpu=000\n"
	"         swapper     0 [000]     1.000410:       sched:sched_wakeup: comm=a pid=10 prio=120 target_cpu=000\n"
	"               a    11 [001]     1.000450: sched:sched_migrate_task: comm=a pid=10 prio=120 orig_cpu=0 dest_cpu=0\n"
	"         swapper     0 [000]     1.000460: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=a next_pid=10 next_prio=120\n"
	"               a    11 [001]     1.000500: sched:sched_switch: prev_comm=a prev_pid=11 prev_prio=120 prev_state=R+ ==> next_comm=Web Content next_pid=20 next_prio=120\n"
	"     Web Content 19/20 [001]     1.000550: sched:sched_stat_runtime: comm=Web Content pid=20 runtime=50000 [ns]\n"
	"     Web Content 19/20 [001]     1.000580: irq:softirq_entry: vec=1 [action=TIMER]\n"
	"     Web Content 19/20 [001]     1.000600000: sched:sched_switch: prev_comm=Web Content prev_pid=20 prev_prio=120 prev_state=S ==> next_comm=a next_pid=11 next_prio=120\n"
	"               a    11 [001] d..2.  1.000700: sched:sched_switch: prev_comm=a prev_pid=11 prev_prio=120 prev_state=D ==> next_comm=swapper/1 next_pid=0 next_prio=120\n"
	"         swapper     0 [001]     1.001700:       sched:sched_waking: comm=a pid=11 prio=120 target_cpu=001\n"
	"         swapper     0 [001]     1.001750: sched:sched_switch: prev_comm=swapper/1 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=a next_pid=11 next_prio=120\n"
	"             :-1    -1 [001]     1.001850: sched:sched_switch: prev_comm=a prev_pid=11 prev_prio=120 prev_state=X ==> next_comm=swapper/1 next_pid=0 next_prio=120\n"
	"               a    10 [000]     1.002000: sched:sched_switch: prev_comm=a prev_pid=10 prev_prio=120 prev_state=Z ==> next_comm=swapper/0 next_pid=0 next_prio=120\n";

Test(ps_parse, key_value_lines_give_the_steps_worked_out_by_hand)
{
	struct wl_ps_trace *t = parse(trace_kv, NULL);
	cr_expect_eq(t->lps, 2);
	cr_expect_eq(t->mhz, 2000);
	cr_expect_str_eq(t->cmd, "hand written");
	cr_expect_eq(t->lines, 22);
	cr_expect_eq(t->events, 19);
	cr_expect_eq(t->cpus, 2);
	cr_expect(t->have_runtime && t->have_waking);
	cr_expect_eq(t->threads->len, 3, "a, a and Web Content");
	static const struct want_step a10[] = {
		{WL_PS_RUN, 0, 0, 100000},      /* 1.000000 .. the fork */
		{WL_PS_WAKE, 11, 0, 0},         /* the fork starts 11 */
		{WL_PS_RUN, 0, 0, 150000},      /* 250 us of runtime in all */
		{WL_PS_BLOCK, 11, 2, 0},        /* until 11 wakes it */
		{WL_PS_RUN, 0, 0, 1540000},     /* .000460 .. .002000, switch times */
	};
	static const struct want_step a11[] = {
		{WL_PS_BLOCK, 10, 1, 0},        /* until the fork */
		{WL_PS_RUN, 0, 0, 250000},      /* .000150 .. the wake */
		{WL_PS_WAKE, 10, 3, 0},
		{WL_PS_RUN, 0, 0, 200000},      /* to the preemption, then .000600 .. .000700 */
		{WL_PS_SLEEP, 0, 0, 1000000},   /* blocked .000700, woken by the idle task at .001700 */
		{WL_PS_RUN, 0, 0, 100000},      /* .001750 .. the exit */
	};
	static const struct want_step web[] = {
		{WL_PS_RUN, 0, 0, 50000},       /* its runtime, not its 100 us on the CPU; its block is never woken */
	};
	expect_steps(t, 10, a10, G_N_ELEMENTS(a10));
	expect_steps(t, 11, a11, G_N_ELEMENTS(a11));
	expect_steps(t, 20, web, G_N_ELEMENTS(web));
	const struct wl_ps_thread *w = thread_of(t, 20);
	cr_expect_str_eq(w->comm, "Web Content");
	cr_expect_eq(w->start_ns, 500000);
	cr_expect_eq(w->end_ns, 600000, "it ends where it blocked for good");
	cr_expect_not(w->exited);
	cr_expect(thread_of(t, 10)->exited && thread_of(t, 11)->exited);
	cr_expect_eq(thread_of(t, 11)->start_ns, 100000, "appears at the fork");
	cr_expect_eq(t->origin_ns, UINT64_C(1000000000));
	cr_expect_eq(t->makespan_ns, 2000000);
	cr_expect_eq(t->wakes, 1);
	cr_expect_eq(t->forks, 1);
	cr_expect_eq(t->sleeps, 1);
	cr_expect_eq(t->stray_wakes, 0, "the sched_wakeup after sched_waking is not a second wake");
	cr_expect_eq(t->run_ns, 100000 + 150000 + 1540000 + 250000 + 200000 + 100000 + 50000);
	/* during 1.000000 .. 1.002000: CPU 0 idle .000300-.000460, CPU 1 idle until .000150 and from .000700 */
	cr_expect_eq(t->cpu_idle_ns, 160000 + 150000 + 1050000 + 150000);
	cr_expect_eq(t->cpu_kept_ns, 4000000 - t->cpu_idle_ns);
	cr_expect_eq(t->cpu_other_ns, 0);
	wl_ps_trace_free(t);
}

Test(ps_parse, filters_drop_threads_and_their_wakes_become_sleeps)
{
	/* comm "a": Web Content's CPU time becomes other's; the steps of 10 and 11 stay */
	struct wl_ps_filter f = {.comm = "a"};
	struct wl_ps_trace *t = parse(trace_kv, &f);
	cr_expect_eq(t->threads->len, 2);
	cr_expect_eq(t->cpu_other_ns, 100000, "Web Content on CPU 1, .000500 .. .000600");
	wl_ps_trace_free(t);
	/* a glob list matches it again */
	f.comm = "x*, W?b*";
	t = parse(trace_kv, &f);
	cr_expect_eq(t->threads->len, 1);
	cr_expect_eq(thread_of(t, 20)->run_ns, 50000);
	wl_ps_trace_free(t);
	/* pid 11 alone: no kept parent, so it starts at the fork's offset; its wake of 10 is gone */
	static const int32_t pids[] = {11};
	struct wl_ps_filter p = {.pids = pids, .npids = 1};
	t = parse(trace_kv, &p);
	cr_expect_eq(t->threads->len, 1);
	static const struct want_step a11[] = {
		{WL_PS_RUN, 0, 0, 450000},
		{WL_PS_SLEEP, 0, 0, 1000000},
		{WL_PS_RUN, 0, 0, 100000},
	};
	expect_steps(t, 11, a11, G_N_ELEMENTS(a11));
	cr_expect_eq(t->origin_ns, UINT64_C(1000100000), "the origin is the first kept appearance");
	cr_expect_eq(t->makespan_ns, 1750000);
	wl_ps_trace_free(t);
}

/*
 * The plugin format, sched_wakeup only, no runtime events: q (31) is on CPU 1 when the trace
 * starts and wakes p (30), blocked since before it; p runs 5.000010 .. .000210, blocks, q wakes
 * it again at .000500 and blocks for good at .000600; p runs .000700 .. .000800 and exits.
 */
static const char trace_plugin[] =
	"               q    31 [001]     5.000000: sched:sched_wakeup: p:30 [120] success=1 CPU:000\n"
	"         swapper     0 [000]     5.000010: sched:sched_switch: swapper/0:0 [120] R ==> p:30 [120]\n"
	"               p    30 [000]     5.000210: sched:sched_switch: p:30 [120] S ==> swapper/0:0 [120]\n"
	"               q    31 [001]     5.000500: sched:sched_wakeup: p:30 [120] CPU:000\n"
	"               q    31 [001]     5.000600: sched:sched_switch: q:31 [120] S ==> swapper/1:0 [120]\n"
	"         swapper     0 [000]     5.000700: sched:sched_switch: swapper/0:0 [120] R ==> p:30 [120]\n"
	"               p    30 [000]     5.000800: sched:sched_switch: p:30 [120] X ==> swapper/0:0 [120]\n";

Test(ps_parse, plugin_format_and_sched_wakeup_without_waking)
{
	struct wl_ps_trace *t = parse(trace_plugin, NULL);
	cr_expect_not(t->have_waking || t->have_runtime);
	cr_expect_eq(t->lps, 0, "no header");
	static const struct want_step p[] = {
		{WL_PS_BLOCK, 31, 0, 0},
		{WL_PS_RUN, 0, 0, 200000},
		{WL_PS_BLOCK, 31, 2, 0},
		{WL_PS_RUN, 0, 0, 100000},
	};
	static const struct want_step q[] = {
		{WL_PS_WAKE, 30, 0, 0},         /* at the trace's first instant */
		{WL_PS_RUN, 0, 0, 500000},
		{WL_PS_WAKE, 30, 2, 0},
		{WL_PS_RUN, 0, 0, 100000},
	};
	expect_steps(t, 30, p, G_N_ELEMENTS(p));
	expect_steps(t, 31, q, G_N_ELEMENTS(q));
	cr_expect_eq(t->makespan_ns, 800000);
	cr_expect_eq(t->wakes, 2);
	wl_ps_trace_free(t);
}

/*
 * Early wakes: a sched_waking can come while its target is still current (it has set its
 * sleeping state and is switching out). x (40) and y (41) run from the start; y wakes x at
 * .000100, x switches out S at .000101 and is back at .000150 without another wake: y's wake
 * ended that block. y wakes x again at .000200, but x runs on (it wakes y at .000300): that wake
 * ended nothing, nor does x's wake of y, which exits; x blocks for good at .000400.
 */
static const char trace_early[] =
	"               x    40 [000]     2.000000: sched:sched_stat_runtime: comm=x pid=40 runtime=1000 [ns]\n"
	"               y    41 [001]     2.000000: sched:sched_stat_runtime: comm=y pid=41 runtime=1000 [ns]\n"
	"               y    41 [001]     2.000100: sched:sched_waking: comm=x pid=40 prio=120 target_cpu=000\n"
	"               x    40 [000]     2.000101: sched:sched_switch: prev_comm=x prev_pid=40 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
	"         swapper     0 [000]     2.000150: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=x next_pid=40 next_prio=120\n"
	"               y    41 [001]     2.000200: sched:sched_waking: comm=x pid=40 prio=120 target_cpu=000\n"
	"               x    40 [000]     2.000300: sched:sched_waking: comm=y pid=41 prio=120 target_cpu=001\n"
	"               x    40 [000]     2.000400: sched:sched_switch: prev_comm=x prev_pid=40 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120\n"
	"               y    41 [001]     2.000500: sched:sched_switch: prev_comm=y prev_pid=41 prev_prio=120 prev_state=X ==> next_comm=swapper/1 next_pid=0 next_prio=120\n";

Test(ps_parse, an_early_wake_ends_the_block_that_follows_it)
{
	struct wl_ps_trace *t = parse(trace_early, NULL);
	static const struct want_step x[] = {
		{WL_PS_RUN, 0, 0, 101000},      /* from the trace's start (the runtime there is older) */
		{WL_PS_BLOCK, 41, 1, 0},        /* ended by y's early wake */
		{WL_PS_RUN, 0, 0, 250000},      /* .000150 .. .000400: its dropped wake of y no longer cuts it */
	};
	static const struct want_step y[] = {
		{WL_PS_RUN, 0, 0, 100000},
		{WL_PS_WAKE, 40, 1, 0},
		{WL_PS_RUN, 0, 0, 400000},      /* its second wake of x ended nothing */
	};
	expect_steps(t, 40, x, G_N_ELEMENTS(x));
	expect_steps(t, 41, y, G_N_ELEMENTS(y));
	cr_expect_eq(t->wakes, 1);
	cr_expect_eq(t->stray_wakes, 2);
	cr_expect_eq(t->sleeps, 0);
	wl_ps_trace_free(t);
}

Test(ps_parse, bad_input_names_the_file_and_line)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
		{"# ok\n  a 1 [000] 1.0: sched:sched_switch: prev_comm=a prev_pid=1 prev_state=S ==> next_comm=b next_pid=2\n"
		 "this is not perf output\n",
		 "hand.txt:3: expected 'COMM PID [CPU] SECONDS: EVENT: FIELDS'"},
		{"  a 1 [000] 1.000: sched:sched_switch: prev_comm=a prev_pid=1 prev_state=S ==> next_comm=b\n",
		 "hand.txt:1: sched_switch: no next_pid= in"},
		{"  a 1 [000] yesterday: sched:sched_switch: x\n", "hand.txt:1: no time stamp"},
		{"  a 1 [000] 1.000: sched:sched_stat_runtime: comm=a pid=1\n", "hand.txt:1: sched_stat_runtime: no runtime= in"},
		{"  a 1 [000] 1.000: sched:sched_switch: a-1 [120] S ==> b:2 [120]\n",
		 "hand.txt:1: sched_switch: no prev_pid= (or 'PREV:PID [PRIO] STATE ==> NEXT:PID [PRIO]') in"},
		{"", "hand.txt: no events"},
		{"  a 1 [000] 1.000: sched:sched_waking: comm=b pid=2 prio=120 target_cpu=000\n",
		 "hand.txt: no sched_switch events"},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		GError *err = NULL;
		struct wl_ps_trace *t = wl_ps_trace_parse(cases[i].text, strlen(cases[i].text), "hand.txt", NULL, &err);
		cr_expect_null(t, "case %zu parsed", i);
		cr_expect(err && g_str_has_prefix(err->message, cases[i].want), "case %zu: '%s', want '%s...'", i,
			  err ? err->message : "(none)", cases[i].want);
		g_clear_error(&err);
	}
	struct wl_ps_filter f = {.comm = "nginx"};
	GError *err = NULL;
	cr_expect_null(wl_ps_trace_parse(trace_kv, strlen(trace_kv), "hand.txt", &f, &err));
	cr_expect(err && strstr(err->message, "no thread matches comm 'nginx' (the trace has a, Web Content)"), "%s",
		  err ? err->message : "(none)");
	g_clear_error(&err);
	cr_expect_null(wl_ps_trace_load(TRACES "/no-such.txt", NULL, &err));
	cr_expect(err && strstr(err->message, "no-such.txt: cannot read the trace"), "%s", err ? err->message : "(none)");
	g_clear_error(&err);
}

/* ---- replay ---- */

struct replay {
	struct gost g;
	struct gos_kernel *k;
	const struct wl_kind *kind;
	struct wl_ps_replay *r;
};

/* A bare-metal host with `lps` LPs for the VM, replaying `json` (the kind's object). */
static void replay_init(struct replay *x, uint32_t lps, const char *json)
{
	static const uint32_t lp[] = {1, 2, 3, 4};
	cr_assert_leq(lps, G_N_ELEMENTS(lp));
	memset(x, 0, sizeof *x);
	gost_init(&x->g, lps + 1, "none", NULL);
	x->k = gost_vm(&x->g, "vm", lps, NULL, lp, lps);
	x->kind = wl_kind_find("perf-sched");
	cr_assert_not_null(x->kind);
	cJSON *params = cJSON_Parse(json);
	cr_assert_not_null(params, "bad test JSON %s", json);
	struct param_error perr = {0};
	cr_assert(param_resolve(x->kind->params, params, "/w", &perr), "%s: %s", perr.pointer, perr.message);
	struct wl_env env = {.k = x->k, .vm = "vm", .index = 0, .seed = 1, .khz = 3000000, .dir = TRACES};
	GError *err = NULL;
	x->r = x->kind->create(&env, params, &err);
	cr_assert_not_null(x->r, "%s", err ? err->message : "");
	cJSON_Delete(params);
}

static void replay_fini(struct replay *x)
{
	gost_fini(&x->g);
	x->kind->free(x->r);
}

/* Runs until every replay is done (at most `limit` of simulated time); the stats. */
static struct wl_stats replay_run(struct replay *x, sim_time_t limit)
{
	gost_run(&x->g, limit);
	struct wl_stats s;
	x->kind->stats(x->r, &s);
	return s;
}

static double ms(double ps) { return ps / (double)SIM_PS_PER_MS; }

/* Guest operations the replay makes at most: one per RUN, SLEEP, WAKE and BLOCK step. */
static void count_steps(const struct wl_ps_trace *t, uint64_t n[4])
{
	memset(n, 0, 4 * sizeof n[0]);
	for (guint i = 0; i < t->threads->len; i++) {
		const GArray *s = ((const struct wl_ps_thread *)t->threads->pdata[i])->steps;
		for (guint j = 0; j < s->len; j++)
			n[g_array_index(s, struct wl_ps_step, j).kind]++;
	}
}

/*
 * The critical path of a trace in ns: the longest chain of steps, each RUN and SLEEP taking its
 * recorded length plus the model's cost of its operation, a BLOCK waiting for its waker's WAKE,
 * and a thread with a start offset beginning there. Steps are settled thread by thread as far as
 * their wakers allow, until none is left (the chains are acyclic: a wake follows its block in
 * the recording).
 */
static double critical_path(const struct wl_ps_trace *t)
{
	uint32_t n = t->threads->len;
	double **fin = g_new0(double *, n);
	uint32_t *done = g_new0(uint32_t, n);
	for (uint32_t i = 0; i < n; i++)
		fin[i] = g_new0(double, ((const struct wl_ps_thread *)t->threads->pdata[i])->steps->len);
	double cp = 0;
	for (bool moved = true; moved;) {
		moved = false;
		for (uint32_t i = 0; i < n; i++) {
			const struct wl_ps_thread *th = t->threads->pdata[i];
			for (; done[i] < th->steps->len; done[i]++) {
				uint32_t j = done[i];
				const struct wl_ps_step *st = &g_array_index(th->steps, struct wl_ps_step, j);
				double at = j ? fin[i][j - 1] : 0;
				if (j == 0 && st->kind != WL_PS_BLOCK)
					at = (double)th->start_ns;
				double w = 0;
				switch (st->kind) {
				case WL_PS_RUN: w = (double)st->ns; break;
				case WL_PS_SLEEP: w = (double)st->ns + SYSCALL_NS + IRQ_NS; break;
				case WL_PS_WAKE: w = SYSCALL_NS + IRQ_NS; break;
				case WL_PS_BLOCK:
					if (done[st->peer] <= st->peer_step)
						goto next_thread; /* its waker has not been settled that far */
					at = fmax(at, fin[st->peer][st->peer_step]);
					w = SYSCALL_NS + CTX_SWITCH_NS;
					break;
				}
				fin[i][j] = at + w;
				cp = fmax(cp, fin[i][j]);
				moved = true;
			}
		next_thread:;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		cr_assert_eq(done[i], ((const struct wl_ps_thread *)t->threads->pdata[i])->steps->len,
			     "thread %u never settled: a wait cycle", i);
		g_free(fin[i]);
	}
	g_free(fin);
	g_free(done);
	return cp;
}

/*
 * The messaging trace (perf bench sched messaging -g 2 -l 50: 80 processes and their parent,
 * pipes between them) replayed on as many LPs as the recording machine had, at its speed
 * (recorded_mhz = the host's, so a burst takes its recorded time).
 * Accounting: during the recorded makespan M_r each LP of the recording machine was running a
 * kept thread, another task or the idle task, so LPs x M_r = kept + other + idle_r (the
 * cpu_*_ns of the trace). The replay's LPs run the bursts, the model's own costs, or idle:
 * LPs x M_s = run + costs + idle_s. What the replay cannot reproduce:
 *   - other: the recording machine's other tasks (perf itself among them);
 *   - kept - run: time a kept thread was current without being charged runtime: interrupts,
 *     and the steal of the recording machine (a VM here; its clock_task leaves steal out);
 *   - costs: the real kernel's costs are inside the bursts, and the model adds its own on top:
 *     a syscall per WAKE, BLOCK and SLEEP, a context switch per block, a reschedule interrupt
 *     per wake (and per sleep's timer), the ticks;
 *   - idle_s: the simulated scheduler picks differently, so other wakes find their thread
 *     blocked.
 * Lower bound, since costs and idle_s are not negative: M_s >= M_r - (other + idle_r + kept -
 * run) / LPs. Upper bound: the guest scheduler leaves no LP idle while a task is runnable, so
 * Graham's bound for list scheduling with precedence holds: M_s <= (run + costs) / LPs +
 * (1 - 1 / LPs) x CP, CP the critical path of the steps (critical_path).
 */
Test(ps_replay, messaging_on_the_recorded_lps_keeps_the_recorded_makespan, .timeout = 60)
{
	struct replay x;
	replay_init(&x, 2, "{\"file\": \"messaging.txt\", \"comm\": \"sched-messaging\", \"recorded_mhz\": 3000}");
	const struct wl_ps_trace *t = wl_ps_replay_trace(x.r);
	cr_assert_eq(t->lps, 2, "recorded on 2 LPs (the header)");
	double lps = t->lps, rec = (double)t->makespan_ns;
	cr_expect_eq(t->cpu_kept_ns + t->cpu_other_ns + t->cpu_idle_ns, t->makespan_ns * t->cpus,
		     "the recording's CPU time adds up over its makespan");
	struct wl_stats s = replay_run(&x, 20 * SIM_PS_PER_S);
	cr_assert_eq(s.ops, t->threads->len, "every thread finished (%" PRIu64 " of %u)", s.ops, t->threads->len);
	cr_assert_eq(sim_hist_count(s.latency), 1, "one replay, one makespan");
	uint64_t n[4];
	count_steps(t, n);
	double got = (double)wl_ps_replay_makespan(x.r) / SIM_PS_PER_NS;
	double costs = (double)(n[WL_PS_WAKE] + n[WL_PS_BLOCK] + n[WL_PS_SLEEP]) * SYSCALL_NS +
		       (double)n[WL_PS_BLOCK] * CTX_SWITCH_NS + (double)(n[WL_PS_WAKE] + n[WL_PS_SLEEP]) * IRQ_NS +
		       (got / TICK_PERIOD_NS + 1) * lps * TICK_NS;
	double cp = critical_path(t), unaccounted = (double)t->cpu_kept_ns - (double)t->run_ns;
	double lo = rec - ((double)t->cpu_other_ns + (double)t->cpu_idle_ns + unaccounted) / lps;
	double hi = ((double)t->run_ns + costs) / lps + (1 - 1 / lps) * cp;
	double idle = lps * got; /* the replay's idle during its makespan: what no task used */
	for (uint32_t c = 0; c < gos_ncpus(x.k); c++) {
		struct gos_cpu_stats cs;
		gos_cpu_stats(x.k, c, &cs);
		idle -= (double)cs.busy / SIM_PS_PER_NS;
	}
	cr_log_info("messaging: %u threads, %" PRIu64 " wakes, %" PRIu64 " forks, %" PRIu64 " sleeps; run %.3f ms, "
		    "critical path %.3f ms; recorded makespan %.3f ms (CPU: kept %.3f, other %.3f, idle %.3f ms); "
		    "replayed %.3f ms (%+.2f%%; model costs <= %.3f ms, idle %.3f ms), bounds %.3f..%.3f ms",
		    t->threads->len, t->wakes, t->forks, t->sleeps, (double)t->run_ns / 1e6, cp / 1e6, rec / 1e6,
		    (double)t->cpu_kept_ns / 1e6, (double)t->cpu_other_ns / 1e6, (double)t->cpu_idle_ns / 1e6, got / 1e6,
		    100 * (got / rec - 1), costs / 1e6, idle / 1e6, lo / 1e6, hi / 1e6);
	cr_expect(got >= lo && got <= hi, "replayed %.3f ms, recorded %.3f ms, bounds %.3f..%.3f ms", got / 1e6,
		  rec / 1e6, lo / 1e6, hi / 1e6);
	replay_fini(&x);
}

/* No thread takes the step after a recorded block before its waker took the matching wake, and
   no thread with a start offset takes its first step before the offset. */
Test(ps_replay, wakes_are_waited_for, .timeout = 60)
{
	struct replay x;
	replay_init(&x, 2, "{\"file\": \"messaging.txt\", \"comm\": \"sched-messaging\"}");
	const struct wl_ps_trace *t = wl_ps_replay_trace(x.r);
	struct wl_stats s = replay_run(&x, 20 * SIM_PS_PER_S);
	cr_assert_eq(s.ops, t->threads->len);
	uint64_t checked = 0, waited = 0;
	for (uint32_t i = 0; i < t->threads->len; i++) {
		const struct wl_ps_thread *th = t->threads->pdata[i];
		for (uint32_t j = 0; j < th->steps->len; j++) {
			const struct wl_ps_step *st = &g_array_index(th->steps, struct wl_ps_step, j);
			uint64_t at = wl_ps_replay_step_time(x.r, i, j);
			cr_assert_neq(at, UINT64_MAX, "%s-%d never took step %u", th->comm, th->pid, j);
			if (j == 0 && st->kind != WL_PS_BLOCK)
				cr_expect_geq(at, th->start_ns * SIM_PS_PER_NS, "%d started early", th->pid);
			if (st->kind != WL_PS_BLOCK || j + 1 == th->steps->len)
				continue;
			uint64_t woke = wl_ps_replay_step_time(x.r, st->peer, st->peer_step);
			uint64_t next = wl_ps_replay_step_time(x.r, i, j + 1);
			cr_expect_geq(next, woke, "%d step %u at %" PRIu64 " ps, before its waker's step %u at %" PRIu64,
				      th->pid, j + 1, next, st->peer_step, woke);
			checked++;
			waited += next > at;
		}
	}
	cr_log_info("%" PRIu64 " blocks checked, %" PRIu64 " of them waited", checked, waited);
	cr_expect_eq(checked, t->wakes + t->forks);
	replay_fini(&x);
}

/*
 * The CPU-bound trace (4 awk processes, no blocking between them) on 2 and on 4 LPs. Bounds from
 * its bursts: on 2 LPs the makespan is at least the CPU time over 2; on 4 each process has an LP
 * and the makespan is at most the latest start plus the longest process, plus the model's costs
 * (start, exit, ticks: 1% is far more than they add up to).
 */
Test(ps_replay, cpu_bound_trace_finishes_faster_on_twice_the_lps, .timeout = 60)
{
	const char *json = "{\"file\": \"cpu-bound.txt\", \"comm\": \"awk\", \"recorded_mhz\": 3000}";
	struct replay two, four;
	replay_init(&two, 2, json);
	replay_init(&four, 4, json);
	const struct wl_ps_trace *t = wl_ps_replay_trace(two.r);
	cr_assert_eq(t->threads->len, 4, "4 awk processes, got %u", t->threads->len);
	replay_run(&two, 20 * SIM_PS_PER_S);
	replay_run(&four, 20 * SIM_PS_PER_S);
	double m2 = (double)wl_ps_replay_makespan(two.r) / SIM_PS_PER_NS;
	double m4 = (double)wl_ps_replay_makespan(four.r) / SIM_PS_PER_NS;
	double longest = 0, latest = 0;
	for (guint i = 0; i < t->threads->len; i++) {
		const struct wl_ps_thread *th = t->threads->pdata[i];
		longest = fmax(longest, (double)th->run_ns);
		latest = fmax(latest, (double)th->start_ns);
	}
	cr_log_info("cpu-bound: run %.3f ms in 4 processes (longest %.3f ms); recorded on %u LPs in %.3f ms; "
		    "replayed on 2 LPs %.3f ms, on 4 LPs %.3f ms",
		    (double)t->run_ns / 1e6, longest / 1e6, t->lps, (double)t->makespan_ns / 1e6, m2 / 1e6, m4 / 1e6);
	cr_expect_lt(m4, m2, "4 LPs: %.3f ms, 2 LPs: %.3f ms", m4 / 1e6, m2 / 1e6);
	cr_expect_geq(m2, (double)t->run_ns / 2);
	cr_expect_leq(m4, (latest + longest) * 1.01, "4 LPs: %.3f ms", m4 / 1e6);
	replay_fini(&two);
	replay_fini(&four);
}

/* A burst of N ns takes round(N x recorded_mhz / 1000 x scale) cycles: the tasks' cycles add up. */
Test(ps_replay, bursts_scale_by_recorded_mhz_and_scale)
{
	struct replay x;
	replay_init(&x, 4, "{\"file\": \"cpu-bound.txt\", \"comm\": \"awk\", \"recorded_mhz\": 1500, \"scale\": 2}");
	const struct wl_ps_trace *t = wl_ps_replay_trace(x.r);
	replay_run(&x, 20 * SIM_PS_PER_S);
	uint64_t want = 0, got = 0;
	for (guint i = 0; i < t->threads->len; i++) {
		const GArray *s = ((const struct wl_ps_thread *)t->threads->pdata[i])->steps;
		for (guint j = 0; j < s->len; j++) {
			const struct wl_ps_step *st = &g_array_index(s, struct wl_ps_step, j);
			if (st->kind == WL_PS_RUN)
				want += (uint64_t)((double)st->ns * 1.5 * 2 + 0.5);
		}
		struct gos_task_stats ts;
		gos_task_stats(gos_task_at(x.k, i), &ts);
		got += ts.cycles;
	}
	cr_expect_eq(got, want, "cycles %" PRIu64 ", want %" PRIu64, got, want);
	cr_expect_eq(want, 3 * t->run_ns, "1500 MHz x 2 = 3 cycles per recorded ns, give or take rounding");
	replay_fini(&x);
}

/*
 * loop 3: three makespans, every thread counted three times. The 4 processes start together on
 * 2 LPs, each one burst: the LPs are busy until fewer than 2 are left, so every replay lasts at
 * least the CPU time over 2 and at most that plus half the longest burst (the last one alone),
 * plus 1% for the model's costs. Which process runs first differs between replays (the
 * scheduler's state carries over), so the makespans may differ within these bounds.
 */
Test(ps_replay, loop_replays_one_after_another, .timeout = 60)
{
	struct replay x;
	replay_init(&x, 2, "{\"file\": \"cpu-bound.txt\", \"comm\": \"awk\", \"loop\": 3, \"start\": \"together\", "
			   "\"recorded_mhz\": 3000}");
	const struct wl_ps_trace *t = wl_ps_replay_trace(x.r);
	struct wl_stats s = replay_run(&x, 60 * SIM_PS_PER_S);
	cr_expect_eq(s.ops, 3 * t->threads->len);
	cr_expect_eq(sim_hist_count(s.latency), 3);
	double longest = 0;
	for (guint i = 0; i < t->threads->len; i++)
		longest = fmax(longest, (double)((const struct wl_ps_thread *)t->threads->pdata[i])->run_ns);
	double lo = (double)t->run_ns / 2 / 1e6, hi = ((double)t->run_ns + longest) / 2 * 1.01 / 1e6;
	cr_log_info("loop: 3 replays %.3f .. %.3f ms, bounds %.3f .. %.3f ms", ms((double)s.latency->min),
		    ms((double)s.latency->max), lo, hi);
	cr_expect(ms((double)s.latency->min) >= lo && ms((double)s.latency->max) <= hi, "replays %.3f .. %.3f ms",
		  ms((double)s.latency->min), ms((double)s.latency->max));
	replay_fini(&x);
}
