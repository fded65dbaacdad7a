/* SPDX-License-Identifier: MIT */
/*
 * perfsched.c - workload kind "perf-sched": replays a `perf sched script` trace, one guest task
 *               per recorded thread the filters keep (perfsched_parse.c rebuilds their steps).
 * Replay: a task computes each run burst (its recorded CPU ns x recorded_mhz / 1000 x scale
 *       cycles, so a faster simulated LP runs it in less time), sleeps where something outside
 *       the replay woke it, and at each recorded block waits until its recorded waker has reached
 *       the wake in its own sequence: the waker wakes it there (GOS_OP_WAKE) if it is already
 *       blocked, and a thread that arrives at a block whose wake has happened goes straight on.
 *       So the replay follows the simulated scheduler, not the recorded time stamps. A forked
 *       thread exists from the start, blocked until its parent reaches the fork.
 * Start: `recorded` delays a thread that was running or ready when it first appeared by its
 *       recorded offset from the trace's origin; `together` starts them all at once.
 * Operation: one thread that reached the end of its sequence. Latency: one sample per replay,
 *       its makespan - from the replay's start to the end of its last thread. With `loop` > 1
 *       (or 0: until the run ends) the threads wait for each other at the end and start again.
 * Randomness: none (rng_digest 0).
 * See: docs/perf-sched.md; tests/unit/wl/test_perfsched.c
 */
#include <string.h>

#include "workloads/perfsched.h"
#include "workloads/wl-int.h"

#define NOT_WAITING UINT32_MAX

enum ps_phase {
	PH_START,   /* the replay (re)starts: the start delay, if any */
	PH_STEPS,   /* going through its steps */
	PH_BARRIER, /* done, blocked until every thread of this replay is done */
	PH_END,     /* the last replay is over: exit */
};

struct ps_task {
	struct wl_ps_replay *r;
	const struct wl_ps_thread *rec;
	struct gos_task *task;
	uint32_t slot;    /* in the meter: its per-task ops (1 per replay it finished) */
	enum ps_phase phase;
	uint32_t pos;     /* steps taken in this replay */
	uint32_t waiting; /* the BLOCK step it is blocked in (NOT_WAITING) */
	sim_time_t *at;   /* when it took each step (UINT64_MAX: not yet) */
};

struct wl_ps_replay {
	struct sim *sim;
	struct wl_meter meter;
	struct wl_ps_trace *trace;
	double cycles_per_ns;     /* recorded_mhz / 1000 x scale */
	bool together;
	uint32_t loops;           /* replays to make (0: until the run ends) */
	uint32_t replays;         /* replays completed */
	uint32_t finished;        /* threads done in the current replay */
	sim_time_t replay_start;
	sim_time_t makespan;      /* of the latest completed replay */
	uint32_t ntasks;
	struct ps_task *tasks;
};

static uint64_t burst_cycles(const struct wl_ps_replay *r, uint64_t ns)
{
	uint64_t c = (uint64_t)((double)ns * r->cycles_per_ns + 0.5);
	return c ? c : 1;
}

/* The start delay: none for a thread that first waits for a kept thread (fork or wake). */
static sim_time_t start_delay(const struct ps_task *pt)
{
	const GArray *s = pt->rec->steps;
	if (pt->r->together || (s->len && g_array_index(s, struct wl_ps_step, 0).kind == WL_PS_BLOCK))
		return 0;
	return pt->rec->start_ns * SIM_PS_PER_NS;
}

static void reset(struct ps_task *pt)
{
	pt->phase = PH_START;
	pt->pos = 0;
	pt->waiting = NOT_WAITING;
	for (guint i = 0; i < pt->rec->steps->len; i++)
		pt->at[i] = UINT64_MAX;
}

static void task_next(struct gos_task *t, void *arg, struct gos_op *op);

/* pt reached the end of its steps: count it; the last one ends the replay. */
static void thread_done(struct ps_task *pt, struct gos_op *op)
{
	struct wl_ps_replay *r = pt->r;
	sim_time_t now = sim_now(r->sim);
	sim_counter_inc(&r->meter.ops);
	wl_meter_count_task(&r->meter, pt->slot, 1); /* its own operation: it finished */
	bool last_replay = r->loops && r->replays + 1 >= r->loops;
	if (++r->finished == r->ntasks) {
		r->makespan = now - r->replay_start;
		sim_hist_record(&r->meter.latency, r->makespan);
		if (!last_replay) {
			/* everyone else waits at the barrier: start the next replay now */
			r->replays++;
			r->finished = 0;
			r->replay_start = now;
			for (uint32_t i = 0; i < r->ntasks; i++) {
				reset(&r->tasks[i]);
				if (&r->tasks[i] != pt)
					gos_task_wake(r->tasks[i].task);
			}
			task_next(pt->task, pt, op);
			return;
		}
		r->replays++;
	}
	if (last_replay) {
		pt->phase = PH_END;
		op->kind = GOS_OP_EXIT;
		return;
	}
	pt->phase = PH_BARRIER;
	op->kind = GOS_OP_BLOCK;
}

/* Task body: the next step that needs an operation (wakes of threads not yet blocked and blocks
   whose wake already happened take none). */
static void task_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct ps_task *pt = arg;
	struct wl_ps_replay *r = pt->r;
	if (pt->phase == PH_END) {
		op->kind = GOS_OP_EXIT;
		return;
	}
	if (pt->phase == PH_START) {
		pt->phase = PH_STEPS;
		sim_time_t delay = start_delay(pt);
		if (delay) {
			op->kind = GOS_OP_SLEEP;
			op->duration = delay;
			return;
		}
	}
	sim_time_t now = sim_now(r->sim);
	const GArray *steps = pt->rec->steps;
	while (pt->pos < steps->len) {
		const struct wl_ps_step *s = &g_array_index(steps, struct wl_ps_step, pt->pos);
		uint32_t i = pt->pos++;
		pt->at[i] = now;
		switch (s->kind) {
		case WL_PS_RUN:
			op->kind = GOS_OP_COMPUTE;
			op->cycles = burst_cycles(r, s->ns);
			return;
		case WL_PS_SLEEP:
			if (s->ns == 0)
				continue;
			op->kind = GOS_OP_SLEEP;
			op->duration = s->ns * SIM_PS_PER_NS;
			return;
		case WL_PS_WAKE: {
			struct ps_task *peer = &r->tasks[s->peer];
			if (peer->waiting != s->peer_step)
				continue; /* it has not blocked yet: it will find this wake done */
			peer->waiting = NOT_WAITING;
			op->kind = GOS_OP_WAKE;
			op->task = peer->task;
			return;
		}
		case WL_PS_BLOCK:
			if (r->tasks[s->peer].pos > s->peer_step)
				continue; /* its waker has been there */
			pt->waiting = i;
			op->kind = GOS_OP_BLOCK;
			return;
		}
	}
	thread_done(pt, op);
}

static const struct gos_program task_program = {.next = task_next};

static void ps_free(void *inst)
{
	struct wl_ps_replay *r = inst;
	if (!r)
		return;
	wl_meter_clear(&r->meter);
	for (uint32_t i = 0; r->tasks && i < r->ntasks; i++)
		g_free(r->tasks[i].at);
	g_free(r->tasks);
	wl_ps_trace_free(r->trace);
	g_free(r);
}

/* A comm as a task name: letters, digits and ._+- kept, anything else (/ : space) made '_'. */
static char *task_role(const struct wl_ps_trace *tr, uint32_t i)
{
	const struct wl_ps_thread *th = tr->threads->pdata[i];
	char *role = g_strdup(th->comm);
	for (char *c = role; *c; c++)
		if (!g_ascii_isalnum(*c) && !strchr("._+-", *c))
			*c = '_';
	/* a pid used again by a later thread: number the later ones */
	uint32_t again = 0;
	for (uint32_t j = 0; j < i; j++)
		again += ((const struct wl_ps_thread *)tr->threads->pdata[j])->pid == th->pid;
	if (again) {
		char *r = g_strdup_printf("%s.%u", role, again + 1);
		g_free(role);
		role = r;
	}
	return role;
}

static void *ps_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	const char *file = param_string(params, "file");
	char *path = g_path_is_absolute(file) ? g_strdup(file) : g_build_filename(env->dir ? env->dir : ".", file, NULL);
	const cJSON *pids = cJSON_GetObjectItemCaseSensitive(params, "pids");
	GArray *pv = g_array_new(FALSE, FALSE, sizeof(int32_t));
	for (const cJSON *p = pids ? pids->child : NULL; p; p = p->next) {
		int32_t v = (int32_t)p->valuedouble;
		g_array_append_val(pv, v);
	}
	struct wl_ps_filter filter = {.comm = param_string(params, "comm"), .pids = (const int32_t *)pv->data,
				      .npids = pv->len};
	GError *e = NULL;
	struct wl_ps_trace *trace = wl_ps_trace_load(path, &filter, &e);
	g_array_free(pv, TRUE);
	g_free(path);
	if (!trace) {
		g_set_error(error, WL_ERROR, 0, "perf-sched: %s", e->message);
		g_error_free(e);
		return NULL;
	}
	struct wl_ps_replay *r = g_new0(struct wl_ps_replay, 1);
	r->sim = gos_sim(env->k);
	r->trace = trace;
	double mhz = param_number(params, "recorded_mhz");
	if (mhz == 0)
		mhz = trace->mhz ? (double)trace->mhz : (double)env->khz / 1000.0;
	r->cycles_per_ns = mhz / 1000.0 * param_number(params, "scale");
	r->together = strcmp(param_string(params, "start"), "together") == 0;
	r->loops = (uint32_t)param_int(params, "loop");
	r->replay_start = sim_now(r->sim);
	r->ntasks = trace->threads->len;
	r->tasks = g_new0(struct ps_task, r->ntasks);
	wl_meter_init(&r->meter, r->sim);
	for (uint32_t i = 0; i < r->ntasks; i++) {
		struct ps_task *pt = &r->tasks[i];
		pt->r = r;
		pt->rec = trace->threads->pdata[i];
		pt->at = g_new(sim_time_t, pt->rec->steps->len ? pt->rec->steps->len : 1);
		reset(pt);
	}
	for (uint32_t i = 0; i < r->ntasks; i++) {
		char *role = task_role(trace, i);
		struct ps_task *pt = &r->tasks[i];
		pt->task = wl_task_new(env, role, (uint32_t)pt->rec->pid, 0, &task_program, pt, error);
		g_free(role);
		if (!pt->task) {
			ps_free(r);
			return NULL;
		}
		pt->slot = wl_meter_task(&r->meter, pt->task);
	}
	return r;
}

static void ps_stats(void *inst, struct wl_stats *out)
{
	const struct wl_ps_replay *r = inst;
	wl_meter_stats(&r->meter, 0, out);
}

const struct wl_ps_trace *wl_ps_replay_trace(const struct wl_ps_replay *r) { return r->trace; }

uint64_t wl_ps_replay_step_time(const struct wl_ps_replay *r, uint32_t thread, uint32_t step)
{
	g_return_val_if_fail(thread < r->ntasks && step < r->tasks[thread].rec->steps->len, UINT64_MAX);
	return r->tasks[thread].at[step];
}

uint64_t wl_ps_replay_makespan(const struct wl_ps_replay *r) { return r->makespan; }

static const struct param ps_params[] = {
	{.name = "file", .type = PARAM_STRING, .def = NULL,
	 .doc = "`perf sched script` output, relative to the scenario's directory (scripts/record-trace.sh)"},
	{.name = "comm", .type = PARAM_STRING, .def = "\"*\"",
	 .doc = "threads to replay by name: globs separated by commas (\"sched-messaging,sh*\")"},
	{.name = "pids", .type = PARAM_ARRAY, .def = "[]", .min = 1, .max = 1e7, .item = PARAM_INT,
	 .doc = "threads to replay by pid (with comm: both must match); [] = all"},
	{.name = "recorded_mhz", .type = PARAM_NUMBER, .def = "0", .min = 0, .max = 1e6, .unit = "MHz",
	 .doc = "frequency of the recording machine: bursts take recorded ns x this / host MHz; 0 = the "
		"trace header's mhz=, else the host's (no scaling)"},
	{.name = "scale", .type = PARAM_NUMBER, .def = "1", .min = 1e-6, .max = 1e6,
	 .doc = "multiplies every run burst"},
	{.name = "start", .type = PARAM_ENUM, .def = "\"recorded\"", .choices = "recorded|together",
	 .doc = "recorded: a thread starts at its recorded offset (unless it first waits for a fork or a "
		"wake); together: all at once"},
	{.name = "loop", .type = PARAM_INT, .def = "1", .min = 0, .max = 1e9,
	 .doc = "replays, one after another (the threads wait for each other in between); 0 = until the run ends"},
	{0},
};

const struct wl_kind wl_kind_perf_sched = {
	.name = "perf-sched",
	.doc = "replays a `perf sched script` trace: run bursts, blocks until the recorded waker gets there",
	.ops_unit = "threads",
	.params = ps_params,
	.create = ps_create,
	.stats = ps_stats,
	.free = ps_free,
};
