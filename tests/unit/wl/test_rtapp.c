/* SPDX-License-Identifier: MIT */
/*
 * test_rtapp.c - the rt-app workload kind on the real guest kernel: the grammar it accepts and
 *                refuses, and that its events keep rt-app's meaning.
 * Checks:
 *   - periodic task (run 3 ms, timer 10 ms) on bare metal: every pass but the first starts exactly
 *     10 ms after the previous one, runs 3 ms plus at most a tick, and the vCPU is busy 30% of the
 *     time plus what the guest's own costs explain (derived below); a pass is one operation;
 *   - timer modes: after a late pass, absolute catches up (the next pass is short), relative
 *     counts the next period from the late moment;
 *   - runtime runs for wall time (32 us chunks, as rt-app), run for CPU work: sharing the vCPU
 *     with a hog, runtime 10 ms still ends soon after 10 ms, run 10 ms takes far longer;
 *   - mutex: two instances computing under one mutex on two vCPUs never overlap;
 *   - wait/signal: a consumer never leaves its wait before the producer's signal, one wait per
 *     signal; broad releases every waiter once; a signal nobody waits for is lost (the late
 *     waiter waits for ever);
 *   - barrier: nobody leaves a round before the last task has arrived;
 *   - suspend/resume: a suspended task resumes only after the resume, once per resume;
 *   - mem, iorun (through a disk: one write per mem_buffer_size), cpus (affinity), delay,
 *     global.duration (every task stops, blocked ones too);
 *   - errors: unsupported events and keys, policies, per-phase affinity/nice changes, mutex
 *     misuse, a missing disk or vCPU, file handling - each message names the key's path.
 * Leaves unchecked: behaviour in a VM (the guest kernel is the same; the CLI scenario runs one),
 *   ops/latency against rt-app's log on real hardware.
 * Host: single-thread cores at 3 GHz, the VM's vCPUs on LPs 1.. (LP 0 holds the root VP).
 */
#include <cjson/cJSON.h>
#include <glib/gstdio.h>
#include <inttypes.h>

#include "models/guestos/lock.h"
#include "models/io/disk.h"
#include "tests/model/gostest.h"
#include "workloads/rtapp.h"
#include "workloads/workload.h"

#define KHZ UINT64_C(3000000)
#define US SIM_PS_PER_US
#define MS SIM_PS_PER_MS

/* Guest costs at their defaults (docs/guestos.md). */
#define SYSCALL_PS (300 * SIM_PS_PER_NS)
#define IRQ_PS (500 * SIM_PS_PER_NS)
#define CTX_SWITCH_PS (2000 * SIM_PS_PER_NS)
#define TICK_PS (1500 * SIM_PS_PER_NS)
#define TICK_PERIOD_PS (4 * MS) /* hz 250 */

/* ---- fixture: a VM on LPs of its own, one rt-app workload, its events recorded ---- */

struct rec {
	char task[32];
	char key[32];             /* the event's key ("run0") */
	enum rtapp_ev_kind kind;
	sim_time_t start, end;
};

struct rt {
	struct gost g;
	struct gos_kernel *k;
	const struct wl_kind *kind;
	void *inst;
	GArray *recs;             /* struct rec, in completion order */
	GPtrArray *disks;
};

static void on_event(void *arg, const char *task, const struct rtapp_event *ev, sim_time_t start, sim_time_t end)
{
	struct rt *t = arg;
	struct rec r = {.kind = ev->kind, .start = start, .end = end};
	g_strlcpy(r.task, task, sizeof r.task);
	const char *slash = strrchr(ev->path, '/');
	g_strlcpy(r.key, slash ? slash + 1 : ev->path, sizeof r.key);
	g_array_append_val(t->recs, r);
}

static void rt_init(struct rt *t, const char *policy, uint32_t vcpus)
{
	static const uint32_t lps[] = {1, 2, 3, 4};
	cr_assert_leq(vcpus, G_N_ELEMENTS(lps));
	memset(t, 0, sizeof *t);
	gost_init(&t->g, vcpus + 1, policy, NULL);
	t->k = gost_vm(&t->g, "vm", vcpus, NULL, lps, vcpus);
	t->kind = wl_kind_find("rt-app");
	cr_assert_not_null(t->kind);
	t->recs = g_array_new(FALSE, FALSE, sizeof(struct rec));
	t->disks = g_ptr_array_new();
}

/* A disk for iorun (its own device). */
static struct io_disk *rt_disk(struct rt *t)
{
	struct io_disk_config dc;
	io_disk_config_default(&dc);
	dc.name = "disk0";
	dc.path = IO_PATH_NATIVE; /* bare metal */
	GError *err = NULL;
	struct io_disk *d = io_disk_new(t->k, t->g.h.hv, &dc, &err);
	cr_assert_not_null(d, "%s", err ? err->message : "");
	g_ptr_array_add(t->disks, d);
	return d;
}

/* Creates the workload object `json`; NULL with *err. */
static void *rt_try(struct rt *t, const char *json, const char *dir, GError **err)
{
	cJSON *obj = cJSON_Parse(json);
	cr_assert_not_null(obj, "bad test JSON %s", json);
	struct param_error pe = {0};
	bool ok = param_resolve(t->kind->params, obj, "/w", &pe);
	cr_assert(ok, "%s: %s", pe.pointer, pe.message);
	struct wl_env env = {.k = t->k, .vm = "vm", .seed = 1, .khz = KHZ, .disks = t->disks, .dir = dir};
	void *inst = t->kind->create(&env, obj, err);
	cJSON_Delete(obj); /* the kind keeps nothing of the JSON */
	return inst;
}

static void rt_add(struct rt *t, const char *json)
{
	GError *err = NULL;
	t->inst = rt_try(t, json, NULL, &err);
	cr_assert_not_null(t->inst, "%s", err ? err->message : "");
	rtapp_set_trace(t->inst, on_event, t);
}

static struct wl_stats rt_stats(struct rt *t)
{
	struct wl_stats s;
	t->kind->stats(t->inst, &s);
	return s;
}

static void rt_fini(struct rt *t)
{
	gost_fini(&t->g);
	for (guint i = 0; i < t->disks->len; i++)
		io_disk_free(t->disks->pdata[i]);
	g_ptr_array_free(t->disks, TRUE);
	if (t->inst)
		t->kind->free(t->inst);
	g_array_free(t->recs, TRUE);
}

/* The records of task `task` (NULL: any) and key `key` (NULL: any), in completion order. */
static GArray *pick(const struct rt *t, const char *task, const char *key)
{
	GArray *a = g_array_new(FALSE, FALSE, sizeof(struct rec));
	for (guint i = 0; i < t->recs->len; i++) {
		const struct rec *r = &g_array_index(t->recs, struct rec, i);
		if ((!task || strcmp(r->task, task) == 0) && (!key || strcmp(r->key, key) == 0))
			g_array_append_val(a, *r);
	}
	return a;
}

#define REC(a, i) (&g_array_index((a), struct rec, (i)))

static double msf(sim_time_t ps) { return (double)ps / (double)MS; }

/* The error message of creating `json` (asserts that it fails). */
static char *create_error(const char *json)
{
	struct rt t;
	rt_init(&t, "none", 2);
	GError *err = NULL;
	void *inst = rt_try(&t, json, NULL, &err);
	cr_assert_null(inst, "created %s", json);
	cr_assert_not_null(err);
	char *msg = g_strdup(err->message);
	g_error_free(err);
	rt_fini(&t);
	return msg;
}

#define expect_error(json, ...)                                                                               \
	do {                                                                                                  \
		char *msg_ = create_error(json);                                                              \
		const char *want_[] = {__VA_ARGS__};                                                          \
		for (size_t i_ = 0; i_ < G_N_ELEMENTS(want_); i_++)                                           \
			cr_expect(strstr(msg_, want_[i_]), "message '%s' lacks '%s'", msg_, want_[i_]);       \
		g_free(msg_);                                                                                 \
	} while (0)

/* ---- periodic ---- */

/*
 * run 3000 + timer period 10000, 1 s, one vCPU alone on bare metal. The timer is absolute in the
 * task's start time: pass k's timer expires at (k + 1) x 10 ms exactly, and the next pass starts
 * when the task runs again after that expiry: the timer interrupt, the wake-up and the context
 * switch, the same work every time - so pass starts are exactly 10 ms apart, unless a tick falls
 * into that wake-up path, which moves one start by at most a tick and its interrupt. A run of
 * 9,000,000 cycles takes 3 ms plus the ticks (4 ms apart) that land in it: at most one.
 * Busy share: the task computes 3 ms of every 10; around that, per period, the guest's own work is
 * at most a sleep syscall, the timer interrupt, two context switches and one tick:
 * 0.3 <= busy <= (3 ms + 300 ns + 500 ns + 4 us + 1.5 us) / 10 ms = 0.30063.
 * Operations: a pass ends as the next begins, at 10 ms x k + the wake-up, so by 1 s 99 have ended.
 */
Test(rtapp_periodic, period_and_duty_cycle_on_bare_metal)
{
	struct rt t;
	rt_init(&t, "none", 1);
	rt_add(&t, "{\"tasks\": {\"t\": {\"run\": 3000, \"timer\": {\"ref\": \"tick\", \"period\": 10000}}}}");
	gost_run(&t.g, SIM_PS_PER_S);
	struct wl_stats s = rt_stats(&t);
	cr_expect_eq(s.ops, 99, "passes %" PRIu64, s.ops);
	cr_expect_eq(s.rng_digest, 0);
	cr_expect_eq(s.ntasks, 1);
	GArray *runs = pick(&t, "t-0", "run");
	cr_assert_geq(runs->len, 99);
	sim_time_t jitter = TICK_PS + IRQ_PS, dmin = SIM_TIME_MAX, dmax = 0;
	for (guint i = 1; i < runs->len; i++) {
		sim_time_t d = REC(runs, i)->start - REC(runs, i - 1)->start;
		dmin = MIN(dmin, d);
		dmax = MAX(dmax, d);
		cr_expect(d + jitter >= 10 * MS && d <= 10 * MS + jitter, "pass %u starts %.6f ms after the previous", i,
			  msf(d));
		sim_time_t run = REC(runs, i)->end - REC(runs, i)->start;
		cr_expect(run >= 3 * MS && run <= 3 * MS + TICK_PS + IRQ_PS, "run %u took %.6f ms", i, msf(run));
	}
	/* the timer's deadline is absolute: the starts drift by no more than one wake-up's jitter */
	sim_time_t first = REC(runs, 1)->start, last = REC(runs, runs->len - 1)->start;
	cr_expect_leq(last - first - (runs->len - 2) * 10 * MS, jitter, "drift %.6f ms", msf(last - first));
	cr_expect_eq(REC(runs, 1)->start % (10 * MS), REC(runs, 2)->start % (10 * MS), "same phase in the period");
	struct gos_cpu_stats c;
	gos_cpu_stats(t.k, 0, &c);
	double busy = (double)c.busy / (double)SIM_PS_PER_S;
	cr_log_info("periodic: %" PRIu64 " passes, starts %.6f..%.6f ms apart, busy %.6f, latency %.6f..%.6f ms", s.ops,
		    msf(dmin), msf(dmax), busy, msf(s.latency->min), msf(s.latency->max));
	cr_expect(busy >= 0.3 - 1e-9 && busy <= 0.30063, "busy share %.6f", busy);
	/* pass latency: the period itself after the first pass */
	cr_expect_leq(s.latency->max, 10 * MS + jitter + CTX_SWITCH_PS + IRQ_PS + SYSCALL_PS, "max %.6f ms",
		      msf(s.latency->max));
	cr_expect_geq(s.latency->min + jitter, 10 * MS - CTX_SWITCH_PS, "min %.6f ms", msf(s.latency->min));
	g_array_free(runs, TRUE);
	rt_fini(&t);
}

/*
 * One late pass (run 15 ms against a 10 ms timer), then passes of 2 ms on the same timer. Absolute
 * mode keeps the deadlines 10, 20, 30 ms: the first short pass sleeps only to 20 ms (5 ms after
 * the late one). Relative mode restarts the count at the late moment (15 ms): 25, 35 ms. A late
 * timer does not sleep (rt-app reads the clock; here one atomic's cost).
 */
static void timer_mode(const char *mode, double want_ms[3])
{
	struct rt t;
	rt_init(&t, "none", 1);
	char *json = g_strdup_printf(
		"{\"tasks\": {\"t\": {\"loop\": 1, \"phases\": {"
		"\"late\": {\"run\": 15000, \"timer\": {\"ref\": \"T\", \"period\": 10000, \"mode\": \"%s\"}},"
		"\"short\": {\"loop\": 3, \"run\": 2000, \"timer\": {\"ref\": \"T\", \"period\": 10000}}}}}}",
		mode);
	rt_add(&t, json);
	g_free(json);
	gost_run(&t.g, 100 * MS);
	GArray *timers = pick(&t, "t-0", "timer");
	cr_assert_eq(timers->len, 4);
	for (int i = 0; i < 3; i++) {
		double got = msf(REC(timers, (guint)i + 1)->end);
		cr_expect(got >= want_ms[i] && got <= want_ms[i] + 0.01, "%s: timer %d ends at %.6f ms, want %.1f", mode, i + 1,
			  got, want_ms[i]);
	}
	cr_expect(gos_task_exited(gos_task_at(t.k, 0)), "loop 1: the task ends");
	g_array_free(timers, TRUE);
	rt_fini(&t);
}

Test(rtapp_timer, absolute_catches_up)
{
	double want[3] = {20, 30, 40};
	timer_mode("absolute", want);
}

Test(rtapp_timer, relative_restarts_after_a_late_pass)
{
	double want[3] = {25, 35, 45};
	timer_mode("relative", want);
}

/* The wall times of `key` events of task-0 `task` in `desc` on one vCPU, 200 ms. */
static GArray *event_walls(const char *desc, const char *task, const char *key)
{
	struct rt t;
	rt_init(&t, "none", 1);
	rt_add(&t, desc);
	gost_run(&t.g, 200 * MS);
	GArray *a = pick(&t, task, key), *w = g_array_new(FALSE, FALSE, sizeof(sim_time_t));
	for (guint i = 0; i < a->len; i++) {
		sim_time_t d = REC(a, i)->end - REC(a, i)->start;
		g_array_append_val(w, d);
	}
	g_array_free(a, TRUE);
	rt_fini(&t);
	return w;
}

/*
 * runtime runs for wall time (rt-app computes 32 us chunks until the clock says the time is up),
 * run for CPU work. Alone, runtime 3000 is exactly ceil(3000 / 32) = 94 chunks = 3.008 ms (a tick
 * may add its 2 us). Sharing one vCPU with a CPU hog, 10 ms of runtime still ends at the first
 * chunk boundary past 10 ms: the guest switches between two CPU-bound tasks at its ticks (4 ms
 * apart), so the last chunk may wait one tick period for the hog, then needs its own 32 us, plus
 * two ticks and two switches. run 10000 needs 10 ms of CPU and gets about half of the vCPU: it
 * takes far longer than 10 ms (measured: 14.0 to 20 ms, mean 18.5).
 */
Test(rtapp_runtime, runs_for_wall_time_run_for_work)
{
	GArray *alone = event_walls("{\"tasks\": {\"rt\": {\"runtime\": 3000, \"sleep\": 1000}}}", "rt-0", "runtime");
	GArray *rt = event_walls("{\"tasks\": {\"rt\": {\"runtime\": 10000, \"sleep\": 1000}, \"hog\": {\"run\": 100000}}}",
				 "rt-0", "runtime");
	GArray *w = event_walls("{\"tasks\": {\"w\": {\"run\": 10000, \"sleep\": 1000}, \"hog\": {\"run\": 100000}}}",
				"w-0", "run");
	cr_assert_geq(alone->len, 40);
	cr_assert_geq(rt->len, 10);
	cr_assert_geq(w->len, 5);
	sim_time_t amax = 0, rmax = 0, wmin = SIM_TIME_MAX, wsum = 0;
	for (guint i = 0; i < alone->len; i++) {
		sim_time_t d = g_array_index(alone, sim_time_t, i);
		amax = MAX(amax, d);
		cr_expect(d >= 3008 * US && d <= 3008 * US + TICK_PS + IRQ_PS, "alone, runtime %u: %.6f ms", i, msf(d));
	}
	for (guint i = 0; i < rt->len; i++) {
		sim_time_t d = g_array_index(rt, sim_time_t, i);
		rmax = MAX(rmax, d);
		cr_expect(d >= 10 * MS && d <= 10 * MS + TICK_PERIOD_PS + 32 * US + 2 * (TICK_PS + IRQ_PS + CTX_SWITCH_PS),
			  "shared, runtime %u: %.6f ms", i, msf(d));
	}
	for (guint i = 0; i < w->len; i++) {
		sim_time_t d = g_array_index(w, sim_time_t, i);
		wmin = MIN(wmin, d);
		wsum += d;
	}
	cr_log_info("runtime 3000 alone: max %.6f ms; 10000 shared: max %.6f ms; run 10000 shared: min %.6f ms, mean %.6f ms",
		    msf(amax), msf(rmax), msf(wmin), msf(wsum) / w->len);
	/* the hog is runnable throughout: it gets about as much as the task beyond the task's sleeper
	   credit (its 1 ms sleep) and the tick granularity, so a 10 ms run lasts about 20 ms */
	cr_expect_geq(wmin, 12 * MS, "run 10000 with the vCPU shared took %.6f ms", msf(wmin));
	cr_expect_geq(wsum / w->len, 15 * MS, "run 10000 with the vCPU shared took %.6f ms on average",
		      msf(wsum) / w->len);
	g_array_free(alone, TRUE);
	g_array_free(rt, TRUE);
	g_array_free(w, TRUE);
}

/* ---- synchronisation ---- */

/* Two instances increment under one mutex on two vCPUs: the run inside never overlaps. */
Test(rtapp_sync, mutex_sections_never_overlap)
{
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {\"inc\": {\"instance\": 2, \"lock\": \"m\", \"run\": 1000, \"unlock\": \"m\", \"run0\": 300}}}");
	gost_run(&t.g, 100 * MS);
	GArray *cs = pick(&t, NULL, "run");
	uint32_t per[2] = {0};
	for (guint i = 0; i < cs->len; i++) {
		per[strcmp(REC(cs, i)->task, "inc-0") == 0 ? 0 : 1]++;
		for (guint j = i + 1; j < cs->len; j++) {
			const struct rec *a = REC(cs, i), *b = REC(cs, j);
			if (strcmp(a->task, b->task) == 0)
				continue;
			cr_expect(a->end <= b->start || b->end <= a->start, "%s [%.6f, %.6f] overlaps %s [%.6f, %.6f]", a->task,
				  msf(a->start), msf(a->end), b->task, msf(b->start), msf(b->end));
		}
	}
	/* both progress: 100 ms of 1 ms sections, shared */
	cr_expect(per[0] >= 30 && per[1] >= 30, "sections %u and %u", per[0], per[1]);
	cr_expect_geq(per[0] + per[1], 80, "the mutex is never idle long: %u sections", per[0] + per[1]);
	struct gos_lock_stats ls;
	gos_lock_stats(gos_lock_at(t.k, 0), &ls);
	cr_expect_eq(strcmp(gos_lock_name(gos_lock_at(t.k, 0)), "wl0.m"), 0, "%s", gos_lock_name(gos_lock_at(t.k, 0)));
	cr_expect_gt(ls.contended, 0);
	g_array_free(cs, TRUE);
	rt_fini(&t);
}

/*
 * A consumer waits on a condition under a mutex; the producer signals it every 2 ms. Each wait
 * ends after a signal and before the next one (one wait per signal), and never before it.
 */
Test(rtapp_sync, wait_never_ends_before_its_signal)
{
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {"
		   "\"consumer\": {\"lock\": \"m\", \"wait\": {\"ref\": \"c\", \"mutex\": \"m\"}, \"unlock\": \"m\", \"run\": 200},"
		   "\"producer\": {\"sleep\": 2000, \"lock\": \"m\", \"signal\": \"c\", \"unlock\": \"m\"}}}");
	gost_run(&t.g, 100 * MS);
	GArray *sig = pick(&t, "producer-0", "signal"), *wt = pick(&t, "consumer-0", "wait");
	cr_assert_geq(sig->len, 40);
	cr_expect(wt->len == sig->len || wt->len + 1 == sig->len, "%u waits for %u signals", wt->len, sig->len);
	for (guint i = 0; i < wt->len; i++) {
		cr_expect_geq(REC(wt, i)->end, REC(sig, i)->start, "wait %u ends %.6f ms, its signal %.6f ms", i,
			      msf(REC(wt, i)->end), msf(REC(sig, i)->start));
		cr_expect_leq(REC(wt, i)->start, REC(sig, i)->start, "wait %u began after its signal", i);
		if (i + 1 < sig->len)
			cr_expect_lt(REC(wt, i)->end, REC(sig, i + 1)->start, "wait %u outlived the next signal", i);
	}
	g_array_free(sig, TRUE);
	g_array_free(wt, TRUE);
	rt_fini(&t);
}

/* broad wakes every waiter: three instances wait, each broadcast releases all three once. */
Test(rtapp_sync, broad_wakes_every_waiter)
{
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {"
		   "\"w\": {\"instance\": 3, \"lock\": \"m\", \"wait\": {\"ref\": \"go\", \"mutex\": \"m\"}, \"unlock\": \"m\"},"
		   "\"master\": {\"sleep\": 2000, \"lock\": \"m\", \"broad\": \"go\", \"unlock\": \"m\"}}}");
	gost_run(&t.g, 50 * MS);
	GArray *b = pick(&t, "master-0", "broad");
	cr_assert_geq(b->len, 20);
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof name, "w-%d", i);
		GArray *wt = pick(&t, name, "wait");
		cr_expect(wt->len == b->len || wt->len + 1 == b->len, "%s: %u waits for %u broadcasts", name, wt->len, b->len);
		for (guint k = 0; k < wt->len; k++) {
			cr_expect_geq(REC(wt, k)->end, REC(b, k)->start, "%s: wait %u ended before its broadcast", name, k);
			if (k + 1 < b->len)
				cr_expect_lt(REC(wt, k)->end, REC(b, k + 1)->start, "%s: wait %u outlived the next broadcast", name, k);
		}
		g_array_free(wt, TRUE);
	}
	g_array_free(b, TRUE);
	rt_fini(&t);
}

/* A signal nobody waits for is lost (pthread_cond_signal): the consumer that waits later waits for ever. */
Test(rtapp_sync, a_signal_without_waiter_is_lost)
{
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {"
		   "\"consumer\": {\"delay\": 1000, \"loop\": 1, \"lock\": \"m\", \"wait\": {\"ref\": \"c\", \"mutex\": \"m\"}, \"unlock\": \"m\"},"
		   "\"producer\": {\"loop\": 1, \"lock\": \"m\", \"signal\": \"c\", \"unlock\": \"m\"}}}");
	gost_run(&t.g, 20 * MS);
	GArray *wt = pick(&t, "consumer-0", "wait"), *sig = pick(&t, "producer-0", "signal");
	cr_expect_eq(sig->len, 1);
	cr_expect_eq(wt->len, 0, "the wait ended although the signal came before it");
	cr_expect(gos_task_exited(gos_task_at(t.k, 1)), "the producer ends (loop 1)");
	cr_expect(!gos_task_exited(gos_task_at(t.k, 0)), "the consumer still waits");
	g_array_free(wt, TRUE);
	g_array_free(sig, TRUE);
	rt_fini(&t);
}

/*
 * Three tasks of different run lengths meet at a barrier each pass: nobody leaves round r before
 * the last has arrived in round r, and nobody enters round r + 1 before everyone entered round r.
 */
Test(rtapp_sync, barrier_releases_after_the_last_arrival)
{
	struct rt t;
	rt_init(&t, "none", 3);
	rt_add(&t, "{\"tasks\": {"
		   "\"a\": {\"run\": 1000, \"barrier\": \"b\"},"
		   "\"b\": {\"run\": 2000, \"barrier\": \"b\"},"
		   "\"c\": {\"run\": 3500, \"sleep\": 500, \"barrier\": \"b\"}}}");
	gost_run(&t.g, 100 * MS);
	static const char *const names[] = {"a-0", "b-0", "c-0"};
	GArray *bar[3];
	guint rounds = G_MAXUINT;
	for (int i = 0; i < 3; i++) {
		bar[i] = pick(&t, names[i], "barrier");
		rounds = MIN(rounds, bar[i]->len);
	}
	cr_assert_geq(rounds, 20, "rounds %u", rounds);
	for (guint r = 0; r < rounds; r++) {
		sim_time_t last_in = 0;
		for (int i = 0; i < 3; i++)
			last_in = MAX(last_in, REC(bar[i], r)->start);
		for (int i = 0; i < 3; i++) {
			cr_expect_geq(REC(bar[i], r)->end, last_in, "round %u: %s left at %.6f ms, the last came at %.6f ms", r,
				      names[i], msf(REC(bar[i], r)->end), msf(last_in));
			if (r + 1 < bar[i]->len)
				cr_expect_geq(REC(bar[i], r + 1)->start, last_in, "round %u: %s entered the next round early", r,
					      names[i]);
		}
	}
	/* c is the slowest: a round lasts its 4 ms plus the barrier's hand-offs */
	cr_expect_leq(rounds, 25);
	for (int i = 0; i < 3; i++)
		g_array_free(bar[i], TRUE);
	rt_fini(&t);
}

/* suspend blocks until a resume names the task; each resume releases one suspend. */
Test(rtapp_sync, suspend_waits_for_resume)
{
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {"
		   "\"A\": {\"run\": 100, \"suspend\": \"\"},"
		   "\"B\": {\"sleep\": 3000, \"resume\": \"A\"}}}");
	gost_run(&t.g, 50 * MS);
	GArray *sus = pick(&t, "A-0", "suspend"), *res = pick(&t, "B-0", "resume");
	cr_assert_geq(res->len, 10);
	cr_expect(sus->len == res->len || sus->len + 1 == res->len, "%u suspends ended for %u resumes", sus->len, res->len);
	for (guint i = 0; i < sus->len; i++) {
		cr_expect_geq(REC(sus, i)->end, REC(res, i)->start, "suspend %u ended before resume %u", i, i);
		if (i + 1 < res->len)
			cr_expect_lt(REC(sus, i)->end, REC(res, i + 1)->start);
	}
	g_array_free(sus, TRUE);
	g_array_free(res, TRUE);
	rt_fini(&t);
}

/* ---- the other events and keys ---- */

/* mem: 10 MB at 10 GB/s is 1 ms of memory-bound compute (local memory: no slowdown). */
Test(rtapp_events, mem_yield_and_delay)
{
	struct rt t;
	rt_init(&t, "none", 1);
	rt_add(&t, "{\"tasks\": {\"m\": {\"delay\": 5000, \"loop\": 3, \"mem\": 10000000, \"yield\": \"\", \"sleep\": 1000}}}");
	gost_run(&t.g, 50 * MS);
	GArray *mem = pick(&t, "m-0", "mem"), *y = pick(&t, "m-0", "yield");
	cr_assert_eq(mem->len, 3);
	cr_expect_eq(y->len, 3);
	cr_expect_geq(REC(mem, 0)->start, 5 * MS, "the delay: first event at %.6f ms", msf(REC(mem, 0)->start));
	cr_expect_leq(REC(mem, 0)->start, 5 * MS + IRQ_PS + CTX_SWITCH_PS + SYSCALL_PS);
	for (guint i = 0; i < mem->len; i++) {
		sim_time_t d = REC(mem, i)->end - REC(mem, i)->start;
		cr_expect(d >= MS && d <= MS + TICK_PS + IRQ_PS, "mem %u: %.6f ms", i, msf(d));
	}
	struct wl_stats s = rt_stats(&t);
	cr_expect_eq(s.ops, 3);
	cr_expect(gos_task_exited(gos_task_at(t.k, 0)));
	g_array_free(mem, TRUE);
	g_array_free(y, TRUE);
	rt_fini(&t);
}

/* iorun: rt-app writes its buffer at a time, so 9 MB with a 4 MiB buffer is three disk writes. */
Test(rtapp_events, iorun_writes_to_the_disk)
{
	struct rt t;
	rt_init(&t, "none", 1);
	struct io_disk *d = rt_disk(&t);
	rt_add(&t, "{\"tasks\": {\"io\": {\"loop\": 2, \"iorun\": 9000000}}, \"global\": {\"mem_buffer_size\": 4194304}}");
	gost_run(&t.g, 500 * MS);
	struct io_disk_stats ds;
	io_disk_stats(d, &ds);
	cr_expect_eq(ds.ios, 6, "ios %" PRIu64, ds.ios);
	cr_expect_eq(ds.bytes, 18000000, "bytes %" PRIu64, ds.bytes);
	cr_expect(gos_task_exited(gos_task_at(t.k, 0)));
	rt_fini(&t);
}

/* cpus pins the task; instances are named task-i and run the same description. */
Test(rtapp_events, cpus_pin_the_task)
{
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {\"p\": {\"instance\": 2, \"cpus\": [1], \"run\": 500, \"sleep\": 500}}}");
	gost_run(&t.g, 20 * MS);
	for (uint32_t i = 0; i < 2; i++) {
		struct gos_task *task = gos_task_at(t.k, i);
		char want[16];
		snprintf(want, sizeof want, "wl0.p-%u", i);
		cr_expect_str_eq(gos_task_name(task), want);
		cr_expect_eq(gos_task_cpu(task), 1);
		struct gos_task_stats ts;
		gos_task_stats(task, &ts);
		cr_expect_eq(ts.migrations, 0);
	}
	struct gos_cpu_stats c;
	gos_cpu_stats(t.k, 0, &c);
	cr_expect_eq(c.busy, 0, "vCPU 0 ran nothing");
	rt_fini(&t);
}

/* global.duration stops every task at 1 s, the periodic one and the one waiting for ever. */
Test(rtapp_events, duration_stops_every_task)
{
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"global\": {\"duration\": 1, \"logdir\": \"./\", \"gnuplot\": false, \"calibration\": \"CPU0\"},"
		   " \"tasks\": {"
		   "\"p\": {\"lock\": \"m\", \"run\": 3000, \"unlock\": \"m\", \"timer\": {\"ref\": \"t\", \"period\": 10000}},"
		   "\"w\": {\"lock\": \"n\", \"wait\": {\"ref\": \"never\", \"mutex\": \"n\"}, \"unlock\": \"n\"}}}");
	gost_run(&t.g, 2 * SIM_PS_PER_S);
	struct wl_stats s = rt_stats(&t);
	cr_expect_eq(s.ops, 99, "passes %" PRIu64, s.ops);
	for (uint32_t i = 0; i < 2; i++)
		cr_expect(gos_task_exited(gos_task_at(t.k, i)), "%s still runs", gos_task_name(gos_task_at(t.k, i)));
	GArray *runs = pick(&t, "p-0", "run");
	cr_expect_lt(REC(runs, runs->len - 1)->start, SIM_PS_PER_S);
	g_array_free(runs, TRUE);
	rt_fini(&t);
}

/* The file form: a path relative to the scenario's directory (env.dir). */
Test(rtapp_events, file_relative_to_the_scenario)
{
	char *dir = g_dir_make_tmp("rtapp-XXXXXX", NULL);
	cr_assert_not_null(dir);
	char *path = g_build_filename(dir, "desc.json", NULL);
	/* workgen's liberties: C comments, a key given twice (each occurrence is an event, in order) */
	cr_assert(g_file_set_contents(path,
				      "{\n  /* two passes */\n  \"tasks\": {\"f\": {\"loop\": 2, \"run\": 100, \"sleep\": 100,\n"
				      "  \"run\": 50 // again\n  }}}\n",
				      -1, NULL));
	char *bad = g_build_filename(dir, "bad.json", NULL);
	cr_assert(g_file_set_contents(bad, "{\"tasks\": {\"f\": {\"run\": 100,\n  }}", -1, NULL));
	struct rt t;
	rt_init(&t, "none", 1);
	GError *err = NULL;
	t.inst = rt_try(&t, "{\"file\": \"desc.json\"}", dir, &err);
	cr_assert_not_null(t.inst, "%s", err ? err->message : "");
	rtapp_set_trace(t.inst, on_event, &t);
	gost_run(&t.g, 10 * MS);
	cr_expect_eq(rt_stats(&t).ops, 2);
	GArray *runs = pick(&t, "f-0", "run");
	cr_expect_eq(runs->len, 4, "runs %u", runs->len);
	g_array_free(runs, TRUE);
	char *extra = g_build_filename(dir, "extra.json", NULL);
	cr_assert(g_file_set_contents(extra, "{\"tasks\": {\"f\": {\"run\": 1}}, \"threads\": {}}", -1, NULL));
	cr_expect_null(rt_try(&t, "{\"file\": \"extra.json\"}", dir, &err));
	cr_expect(err && strstr(err->message, "rt-app file extra.json: /threads: unknown key 'threads'"), "%s",
		  err ? err->message : "");
	g_clear_error(&err);
	g_unlink(extra);
	g_free(extra);
	cr_expect_null(rt_try(&t, "{\"file\": \"bad.json\"}", dir, &err));
	cr_expect(err && strstr(err->message, "rt-app file bad.json:2:") && strstr(err->message, "malformed JSON"), "%s",
		  err ? err->message : "");
	g_clear_error(&err);
	cr_expect_null(rt_try(&t, "{\"file\": \"none.json\"}", dir, &err));
	cr_expect(err && strstr(err->message, "rt-app file none.json: "), "%s", err ? err->message : "");
	g_clear_error(&err);
	rt_fini(&t);
	g_unlink(path);
	g_unlink(bad);
	g_rmdir(dir);
	g_free(path);
	g_free(bad);
	g_free(dir);
}

/* ---- refusals: each names the key ---- */

Test(rtapp_errors, unsupported_events_and_keys)
{
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"foo\": 1}}}", "rt-app: /tasks/t/foo: unknown event 'foo'",
		     "supported events: run, runtime");
	expect_error("{\"tasks\": {\"t\": {\"phases\": {\"p1\": {\"slep\": 10}}}}}", "/tasks/t/phases/p1/slep",
		     "did you mean 'sleep'");
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"fork0\": \"t\"}}}", "/tasks/t/fork0: fork is not supported");
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"taskgroup\": \"/a\"}}}", "/tasks/t/taskgroup: taskgroups");
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"lock_order\": [0]}}}", "/tasks/t/lock_order: the legacy resource grammar");
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"util_min\": 100}}}", "/tasks/t/util_min: utilization clamping");
	expect_error("{\"tasks\": {\"t\": {\"run\": 10}}, \"global\": {\"frequency\": 1}}",
		     "/global/frequency: unknown global key");
	expect_error("{\"tasks\": {\"t\": {\"run\": \"10ms\"}}}", "/tasks/t/run: expected an integer");
	expect_error("{\"tasks\": {\"t\": {\"run\": 10, \"timer\": {\"ref\": \"x\", \"period\": 10, \"mode\": \"abs\"}}}}",
		     "/tasks/t/timer/mode: expected \"relative\" or \"absolute\"");
	expect_error("{\"tasks\": {\"t\": {\"phases\": {\"p\": {\"run\": 1}}, \"sleep\": 1}}}",
		     "/tasks/t/sleep: the task has phases");
	expect_error("{\"tasks\": {\"t\": {\"phases\": {\"p\": {\"instance\": 2, \"run\": 1}}}}}",
		     "/tasks/t/phases/p/instance: 'instance' is a key of a task");
	expect_error("{\"tasks\": {\"t\": {\"loop\": 2}}}", "/tasks/t: the task has no events");
}

Test(rtapp_errors, policies_and_per_phase_changes)
{
	expect_error("{\"tasks\": {\"t\": {\"policy\": \"SCHED_FIFO\", \"run\": 10}}}",
		     "/tasks/t/policy: policy SCHED_FIFO is not modelled");
	expect_error("{\"tasks\": {\"t\": {\"policy\": \"SCHED_DEADLINE\", \"run\": 10}}}", "SCHED_DEADLINE is not modelled");
	expect_error("{\"global\": {\"default_policy\": \"SCHED_RR\"}, \"tasks\": {\"t\": {\"run\": 10}}}",
		     "/global/default_policy: policy SCHED_RR");
	expect_error("{\"tasks\": {\"t\": {\"priority\": 25, \"run\": 10}}}", "/tasks/t/priority: expected an integer in -20..19");
	expect_error("{\"tasks\": {\"t\": {\"dl-runtime\": 100, \"run\": 10}}}", "/tasks/t/dl-runtime: SCHED_DEADLINE");
	expect_error("{\"tasks\": {\"t\": {\"cpus\": [0], \"phases\": {\"a\": {\"run\": 1}, \"b\": {\"cpus\": [1], \"run\": 1}}}}}",
		     "/tasks/t/phases/b: the phase runs on [1], the first phase on [0]");
	expect_error("{\"tasks\": {\"t\": {\"phases\": {\"a\": {\"run\": 1}, \"b\": {\"priority\": 5, \"run\": 1}}}}}",
		     "/tasks/t/phases/b: the phase changes the task's nice from 0 to 5");
	expect_error("{\"tasks\": {\"t\": {\"cpus\": [7], \"run\": 10}}}", "/tasks/t/cpus: vCPU 7: the VM has 2 vCPUs");
}

Test(rtapp_errors, mutex_misuse_and_devices)
{
	expect_error("{\"tasks\": {\"t\": {\"lock\": \"m\", \"lock0\": \"m\", \"unlock\": \"m\"}}}",
		     "/tasks/t/lock0: locks mutex 'm', which this task already holds");
	expect_error("{\"tasks\": {\"t\": {\"unlock\": \"m\"}}}", "/tasks/t/unlock: unlocks mutex 'm', which this task does not hold");
	expect_error("{\"tasks\": {\"t\": {\"wait\": {\"ref\": \"c\", \"mutex\": \"m\"}}}}",
		     "/tasks/t/wait: waits with mutex 'm', which this task does not hold");
	/* loop 2: the second pass would take the mutex the first left held */
	expect_error("{\"tasks\": {\"t\": {\"loop\": 2, \"lock\": \"m\", \"run\": 1}}}", "/tasks/t/lock: locks mutex 'm'");
	expect_error("{\"tasks\": {\"t\": {\"phases\": {\"a\": {\"lock\": \"m\"}, \"b\": {\"run\": 1}}, \"loop\": 1}}}",
		     "/tasks/t: the task ends holding mutex 'm'");
	expect_error("{\"tasks\": {\"t\": {\"iorun\": 4096}}}", "rt-app: /tasks/t/iorun (iorun writes to the workload's device)",
		     "the VM has no disk named 'disk0'");
	expect_error("{\"tasks\": {\"t\": {\"resume\": \"\"}}}", "/tasks/t/resume: resume names the task");
	expect_error("{\"file\": \"x.json\", \"tasks\": {}}", "either file or tasks");
	expect_error("{}", "give file");
	/* lock in one phase, unlock in the next: fine, and a for-ever task may hold across passes */
	struct rt t;
	rt_init(&t, "none", 1);
	rt_add(&t, "{\"tasks\": {\"t\": {\"phases\": {\"a\": {\"lock\": \"m\", \"run\": 10}, \"b\": {\"run\": 10, \"unlock\": \"m\"}}}}}");
	gost_run(&t.g, MS);
	cr_expect_gt(rt_stats(&t).ops, 10);
	rt_fini(&t);
}

/* ---- working_set (hvsim's extension) ---- */

/*
 * A phase's working_set is each instance's share of the guest's demand while it runs that phase:
 * two instances, p1 (run 10 ms, 100 MiB) then p2 (sleep 20 ms, 300 MiB), once, on vCPUs of their
 * own. Demand = base 256 MiB + the instances' phases: 256 + 2 x 100 while both run p1 (from their
 * first event at 0 to 10 ms and the little their costs add), 256 + 2 x 300 while both sleep in p2
 * (until about 30 ms), back to 256 once they have exited.
 */
Test(rtapp, phase_working_set_is_committed_while_the_phase_runs)
{
	const uint64_t mib = UINT64_C(1) << 20;
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {\"t\": {\"instance\": 2, \"loop\": 1, \"phases\": {"
		   "\"p1\": {\"run\": 10000, \"working_set\": \"100MiB\"},"
		   "\"p2\": {\"sleep\": 20000, \"working_set\": \"300MiB\"}}}}}");
	cr_expect(gos_paging_possible(t.k), "a phase's working_set declares one");
	uint64_t a, d;
	gost_run(&t.g, 5 * MS);
	gos_memory(t.k, &a, &d);
	cr_expect_eq(d, (256 + 200) * mib, "in p1: %" PRIu64 " MiB", d / mib);
	gost_run(&t.g, 20 * MS);
	gos_memory(t.k, &a, &d);
	cr_expect_eq(d, (256 + 600) * mib, "in p2: %" PRIu64 " MiB", d / mib);
	gost_run(&t.g, 50 * MS);
	gos_memory(t.k, &a, &d);
	cr_expect_eq(d, 256 * mib, "exited: %" PRIu64 " MiB", d / mib);
	rt_fini(&t);
}

/* The task's working_set is the default of its phases; a bad size names its key. */
Test(rtapp, task_working_set_is_its_phases_default)
{
	const uint64_t mib = UINT64_C(1) << 20;
	struct rt t;
	rt_init(&t, "none", 2);
	rt_add(&t, "{\"tasks\": {\"t\": {\"working_set\": 64000000, \"phases\": {"
		   "\"p1\": {\"run\": 10000}, \"p2\": {\"run\": 10000, \"working_set\": \"1GiB\"}}}}}");
	uint64_t a, d;
	gost_run(&t.g, 5 * MS);
	gos_memory(t.k, &a, &d);
	cr_expect_eq(d, 256 * mib + 64000000, "in p1: %" PRIu64 " bytes", d);
	gost_run(&t.g, 15 * MS);
	gos_memory(t.k, &a, &d);
	cr_expect_eq(d, 1280 * mib, "in p2: %" PRIu64 " MiB", d / mib);
	rt_fini(&t);
	expect_error("{\"tasks\": {\"t\": {\"phases\": {\"p1\": {\"run\": 10, \"working_set\": \"lots\"}}}}}",
		     "/tasks/t/phases/p1/working_set: expected a size");
}
