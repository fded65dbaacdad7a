/* SPDX-License-Identifier: MIT */
/*
 * rtapp.c - workload kind "rt-app": runs an rt-app description (github.com/scheduler-tools/rt-app,
 *           a file next to the scenario or the same objects inline) on the guest kernel. Each
 *           instance of each task is a guest task whose program walks its phases and events.
 * Events -> operations: run is compute of the microseconds at the host's nominal frequency;
 *       runtime computes 32 us chunks until that much wall time has passed since the event began
 *       (rt-app's loop); sleep and timer sleep; lock/unlock are the guest's sleeping mutex
 *       (lock.h); wait/signal/broad/sync are condition variables built here on BLOCK and WAKE (a
 *       signal nobody waits for is lost, as in pthreads); barrier and suspend/resume are rt-app's
 *       own sequences of those; yield yields; mem computes memory-bound cycles; iorun writes to
 *       one of the VM's disks. Events that need no system call (a signal with no waiter, a timer
 *       already due) cost one atomic (the guest's `lock` cost), so every event takes time.
 * Operation: one pass over a phase's events (one row of rt-app's log). Latency: that pass's wall
 *       time (rt-app's "period" column). Randomness: none (rng_digest 0).
 * global.duration stops the tasks: blocked ones are woken, each releases its mutexes and exits at
 *       its next event boundary, as rt-app's shutdown does.
 * See: docs/rt-app.md; workloads/rtapp.h (the parsed model); tests/unit/wl/test_rtapp.c
 */
#include <string.h>

#include "models/guestos/lock.h"
#include "models/io/disk.h"
#include "workloads/rtapp.h"
#include "workloads/wl-int.h"

#define RUNTIME_CHUNK_US 32 /* rt-app's runtime event: loadwait(32) between clock reads */

enum { RT_EV_STOP = 1 };

/* A condition variable: the threads waiting on it, oldest first (glibc wakes its older group first). */
struct rt_cond {
	GQueue waiters; /* struct rt_thread, through its link */
};

struct rt_timer {
	bool init;
	sim_time_t next; /* the next period boundary (rt-app's t_next) */
};

/* rt-app's barrier: a mutex, a condition and the count of users that have arrived. */
struct rt_barrier {
	uint32_t users, arrived;
	struct gos_lock *mutex;
	struct rt_cond cond;
};

enum th_state {
	TH_START,    /* not run yet: sleeps its delay first */
	TH_EVENTS,   /* walking its phases */
	TH_STOPPING, /* done or stopped: releases what it holds, then exits */
	TH_EXITED,
};

struct rtapp_wl;

struct rt_thread {
	struct rtapp_wl *wl;
	const struct rtapp_task *def;
	char *name;               /* "t0-1": task t0, instance 1 */
	struct gos_task *task;
	uint32_t slot;            /* in the meter */
	enum th_state state;
	uint32_t phase, ev, sub;  /* where it is: phase, event in it, step in the event */
	int64_t phase_loop, thread_loop;
	sim_time_t t_first;       /* the start plus its delay: where its timers count from */
	sim_time_t pass_start, ev_start;
	uint64_t io_left;         /* bytes of the iorun in progress */
	uint64_t working_set;     /* bytes it commits now (its phase's working_set; hvsim's extension) */
	struct io_disk_io io;
	struct rt_timer *timers;  /* its own "unique" timers, indexed like the model's */
	uint32_t *held;           /* mutexes it holds, in the order it took them */
	uint32_t nheld;
	GList link;               /* on a condition's waiters */
};

struct rtapp_wl {
	struct sim_entity ent;    /* first: the global.duration stop */
	sim_timer_t stop;
	char *ent_name;
	char *origin;             /* "rt-app file x.json" */
	struct sim *sim;
	struct rtapp_model *m;
	struct wl_meter meter;
	uint64_t khz;
	uint64_t instant_cycles;  /* one atomic: an event without a system call */
	uint64_t chunk_cycles;    /* a runtime chunk */
	double mem_cycles_per_byte;
	struct gos_lock **mutexes;
	struct rt_cond *conds;
	struct rt_timer *timers;  /* the shared ones */
	struct rt_barrier *barriers;
	struct rt_thread *threads;
	uint32_t nthreads;
	bool stopped;
	bool working_sets;        /* some phase gives a working_set: the threads declare theirs */
	rtapp_trace_fn trace;
	void *trace_arg;
};

/* ---- operations ---- */

static void op_compute(struct gos_op *op, uint64_t cycles, double mem_share)
{
	*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = cycles ? cycles : 1, .mem_share = mem_share};
}

static void op_instant(const struct rtapp_wl *wl, struct gos_op *op) { op_compute(op, wl->instant_cycles, 0); }

static void op_sleep(struct gos_op *op, sim_time_t d) { *op = (struct gos_op){.kind = GOS_OP_SLEEP, .duration = d}; }

static void hold(struct rt_thread *th, int32_t m)
{
	if (m >= 0)
		th->held[th->nheld++] = (uint32_t)m;
}

static void release(struct rt_thread *th, int32_t m)
{
	for (uint32_t i = 0; m >= 0 && i < th->nheld; i++)
		if (th->held[i] == (uint32_t)m) {
			memmove(&th->held[i], &th->held[i + 1], (th->nheld - i - 1) * sizeof(uint32_t));
			th->nheld--;
			return;
		}
}

static void take(struct rt_thread *th, int32_t m, struct gos_op *op)
{
	hold(th, m);
	gos_op_lock(op, th->wl->mutexes[m]);
}

static void give(struct rt_thread *th, int32_t m, struct gos_op *op)
{
	release(th, m);
	gos_op_unlock(op, th->wl->mutexes[m]);
}

/*
 * Wakes the oldest waiter of c (all of them when `all`): the last one through the WAKE operation
 * (its system call: futex_wake), the others at the same moment (one futex_wake wakes them all).
 * Nobody waiting: the signal is lost and costs one atomic.
 */
static void cond_wake(const struct rtapp_wl *wl, struct rt_cond *c, bool all, struct gos_op *op)
{
	GList *l = g_queue_pop_head_link(&c->waiters);
	if (!l) {
		op_instant(wl, op);
		return;
	}
	struct rt_thread *w = l->data;
	while (all && (l = g_queue_pop_head_link(&c->waiters))) {
		gos_task_wake(w->task);
		w = l->data;
	}
	*op = (struct gos_op){.kind = GOS_OP_WAKE, .task = w->task};
}

/*
 * Step s (0, 1, 2) of waiting on c with lock lk held (m: its index among the file's mutexes, or
 * -1 for a barrier's own): join the waiters and release the lock (pthread_cond_wait's atomic
 * part: a signal from then on reaches this thread; one that comes before it blocks is kept by
 * BLOCK), block, take the lock again. After a stop nobody signals any more: the wait ends at once.
 */
static void cwait(struct rt_thread *th, struct rt_cond *c, struct gos_lock *lk, int32_t m, uint32_t s,
		  struct gos_op *op)
{
	switch (s) {
	case 0:
		if (th->wl->stopped) {
			gos_task_wake(th->task); /* kept for the BLOCK below */
		} else {
			th->link.data = th;
			g_queue_push_tail_link(&c->waiters, &th->link);
		}
		release(th, m);
		gos_op_unlock(op, lk);
		return;
	case 1:
		*op = (struct gos_op){.kind = GOS_OP_BLOCK};
		return;
	default:
		hold(th, m);
		gos_op_lock(op, lk);
		return;
	}
}

/* Wakes every waiter of c at once (the stop). */
static void cond_wake_all(struct rt_cond *c)
{
	GList *l;
	while ((l = g_queue_pop_head_link(&c->waiters)))
		gos_task_wake(((struct rt_thread *)l->data)->task);
}

/* ---- events ---- */

/*
 * The next operation of event ev for thread th (at step th->sub), or false when the event is
 * over. The first step of every event gives an operation, so a walk always takes time.
 */
static bool event_step(struct rt_thread *th, const struct rtapp_event *ev, sim_time_t now, struct gos_op *op)
{
	struct rtapp_wl *wl = th->wl;
	uint32_t s = th->sub++;
	switch (ev->kind) {
	case RTAPP_EV_RUN:
		if (s > 0)
			return false;
		op_compute(op, (uint64_t)ev->value * wl->khz / 1000, 0);
		return true;
	case RTAPP_EV_RUNTIME:
		/* rt-app: do { 32 us of work } while (elapsed < runtime): at least one chunk */
		if (s > 0 && now - th->ev_start >= (sim_time_t)ev->value * SIM_PS_PER_US)
			return false;
		op_compute(op, wl->chunk_cycles, 0);
		return true;
	case RTAPP_EV_MEM:
		if (s > 0)
			return false;
		op_compute(op, (uint64_t)((double)ev->value * wl->mem_cycles_per_byte + 0.5), 1.0);
		return true;
	case RTAPP_EV_SLEEP:
		if (s > 0)
			return false;
		op_sleep(op, (sim_time_t)ev->value * SIM_PS_PER_US);
		return true;
	case RTAPP_EV_TIMER: {
		if (s > 0)
			return false;
		const struct rtapp_timer *def = &wl->m->timers[ev->res];
		struct rt_timer *tm = def->task >= 0 ? &th->timers[ev->res] : &wl->timers[ev->res];
		if (!tm->init) {
			tm->init = true;
			tm->next = th->t_first; /* the first user's start, as rt-app */
		}
		tm->next += (sim_time_t)ev->value * SIM_PS_PER_US;
		if (now < tm->next) {
			op_sleep(op, tm->next - now);
		} else {
			if (!def->absolute)
				tm->next = now; /* relative: late, so the next period counts from now */
			op_instant(wl, op);
		}
		return true;
	}
	case RTAPP_EV_LOCK:
		if (s > 0)
			return false;
		take(th, ev->res, op);
		return true;
	case RTAPP_EV_UNLOCK:
		if (s > 0)
			return false;
		give(th, ev->res, op);
		return true;
	case RTAPP_EV_WAIT:
		if (s > 2)
			return false;
		cwait(th, &wl->conds[ev->res], wl->mutexes[ev->dep], ev->dep, s, op);
		return true;
	case RTAPP_EV_SIGNAL:
	case RTAPP_EV_BROAD:
		if (s > 0)
			return false;
		cond_wake(wl, &wl->conds[ev->res], ev->kind == RTAPP_EV_BROAD, op);
		return true;
	case RTAPP_EV_SYNC: /* signal, then wait (the mutex is held) */
		if (s == 0)
			cond_wake(wl, &wl->conds[ev->res], false, op);
		else if (s <= 3)
			cwait(th, &wl->conds[ev->res], wl->mutexes[ev->dep], ev->dep, s - 1, op);
		return s <= 3;
	case RTAPP_EV_SUSPEND: /* lock NAME; wait NAME; unlock NAME */
		if (s == 0)
			take(th, ev->dep, op);
		else if (s <= 3)
			cwait(th, &wl->conds[ev->res], wl->mutexes[ev->dep], ev->dep, s - 1, op);
		else if (s == 4)
			give(th, ev->dep, op);
		return s <= 4;
	case RTAPP_EV_RESUME: /* lock NAME; broadcast NAME; unlock NAME */
		if (s == 0)
			take(th, ev->dep, op);
		else if (s == 1)
			cond_wake(wl, &wl->conds[ev->res], true, op);
		else if (s == 2)
			give(th, ev->dep, op);
		return s <= 2;
	case RTAPP_EV_BARRIER: {
		/* lock; the last to arrive broadcasts, the others wait; unlock */
		struct rt_barrier *b = &wl->barriers[ev->res];
		if (s == 0) {
			gos_op_lock(op, b->mutex);
		} else if (s == 1) {
			if (!wl->stopped && ++b->arrived >= b->users) {
				b->arrived = 0;
				cond_wake(wl, &b->cond, true, op);
				th->sub = 4;
			} else {
				cwait(th, &b->cond, b->mutex, -1, 0, op);
			}
		} else if (s <= 3) {
			cwait(th, &b->cond, b->mutex, -1, s - 1, op);
		} else if (s == 4) {
			gos_op_unlock(op, b->mutex);
		}
		return s <= 4;
	}
	case RTAPP_EV_YIELD:
		if (s > 0)
			return false;
		*op = (struct gos_op){.kind = GOS_OP_YIELD};
		return true;
	case RTAPP_EV_IORUN: {
		/* rt-app writes its buffer (mem_buffer_size) at a time: one disk write per write() */
		if (s == 0)
			th->io_left = (uint64_t)ev->value;
		else if (th->io_left == 0)
			return false;
		if (th->io_left == 0) {
			op_instant(wl, op);
			return true;
		}
		uint64_t n = MIN(th->io_left, wl->m->mem_buffer_size);
		th->io_left -= n;
		th->io.bytes = n;
		th->io.write = true;
		gos_op_disk(op, &th->io);
		return true;
	}
	case RTAPP_NEV_KINDS:
		break;
	}
	sim_bug(wl->sim, &wl->ent, "rt-app: event kind %d", (int)ev->kind);
	return false;
}

/* A pass over the phase ended: count it, move on to the next pass, phase or round. */
static void pass_done(struct rt_thread *th, sim_time_t now)
{
	const struct rtapp_task *def = th->def;
	if (!th->wl->stopped) /* rt-app logs no pass that ends after the stop */
		wl_meter_record_task(&th->wl->meter, th->slot, now - th->pass_start);
	th->ev = 0;
	if (++th->phase_loop != def->phases[th->phase].loop)
		return; /* a loop of -1 never ends */
	th->phase_loop = 0;
	if (++th->phase < def->nphases)
		return;
	th->phase = 0;
	if (++th->thread_loop == def->loop)
		th->state = TH_STOPPING;
}

/* The thread's share of the guest's demand becomes `bytes` (a phase began, or it exits). */
static void set_working_set(struct rt_thread *th, struct gos_task *t, uint64_t bytes)
{
	if (!th->wl->working_sets)
		return;
	gos_change_working_set(gos_task_kernel(t), th->working_set, bytes);
	th->working_set = bytes;
}

/* Task body: the delay, then the events of its phases in order, then exit. */
static void thread_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	struct rt_thread *th = arg;
	struct rtapp_wl *wl = th->wl;
	sim_time_t now = sim_now(wl->sim);
	for (;;) {
		switch (th->state) {
		case TH_START:
			th->state = th->def->loop == 0 ? TH_STOPPING : TH_EVENTS;
			if (th->state == TH_EVENTS && th->t_first > now) {
				op_sleep(op, th->t_first - now);
				return;
			}
			continue;
		case TH_EVENTS: {
			if (th->sub == 0 && wl->stopped) {
				th->state = TH_STOPPING; /* at an event boundary, as rt-app */
				continue;
			}
			const struct rtapp_phase *ph = &th->def->phases[th->phase];
			if (th->ev == 0 && th->sub == 0) {
				th->pass_start = now;
				set_working_set(th, t, ph->has_working_set ? ph->working_set : 0);
			}
			const struct rtapp_event *ev = &ph->events[th->ev];
			if (th->sub == 0)
				th->ev_start = now;
			if (event_step(th, ev, now, op))
				return;
			if (wl->trace)
				wl->trace(wl->trace_arg, th->name, ev, th->ev_start, now);
			th->sub = 0;
			if (++th->ev == ph->nevents)
				pass_done(th, now);
			continue;
		}
		case TH_STOPPING:
			if (th->nheld > 0) {
				gos_op_unlock(op, wl->mutexes[th->held[--th->nheld]]);
				return;
			}
			th->state = TH_EXITED;
			set_working_set(th, t, 0);
			*op = (struct gos_op){.kind = GOS_OP_EXIT};
			return;
		case TH_EXITED:
			break;
		}
		sim_bug(wl->sim, &wl->ent, "rt-app: %s asked for an operation after exiting", th->name);
	}
}

static const struct gos_program thread_program = {.next = thread_next};

/* ---- the stop (global.duration) ---- */

/* rt-app's shutdown: from now on every task stops at its next event boundary; wake the blocked. */
static void stop_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)p;
	struct rtapp_wl *wl = sim_container_of(ent, struct rtapp_wl, ent);
	if (kind != RT_EV_STOP)
		sim_bug(ent->sim, ent, "unexpected event kind %u", kind);
	wl->stopped = true;
	for (uint32_t i = 0; i < wl->m->nconds; i++)
		cond_wake_all(&wl->conds[i]);
	for (uint32_t i = 0; i < wl->m->nbarriers; i++)
		cond_wake_all(&wl->barriers[i].cond);
}

static void rt_dump(const struct sim_entity *ent, FILE *out)
{
	const struct rtapp_wl *wl = sim_container_of(ent, struct rtapp_wl, ent);
	for (uint32_t i = 0; i < wl->nthreads; i++) {
		const struct rt_thread *th = &wl->threads[i];
		fprintf(out, "  %s: state %d phase %u event %u step %u, holds %u mutexes\n", th->name, th->state,
			th->phase, th->ev, th->sub, th->nheld);
	}
}

static const struct sim_entity_ops rt_ops = {.kind = "wl-rt-app", .event = stop_event, .dump = rt_dump};

/* ---- the kind ---- */

void rtapp_set_trace(void *inst, rtapp_trace_fn fn, void *arg)
{
	struct rtapp_wl *wl = inst;
	wl->trace = fn;
	wl->trace_arg = arg;
}

static void rt_free(void *inst)
{
	struct rtapp_wl *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	for (uint32_t i = 0; i < wl->nthreads; i++) {
		g_free(wl->threads[i].name);
		g_free(wl->threads[i].timers);
		g_free(wl->threads[i].held);
	}
	g_free(wl->threads);
	g_free(wl->mutexes);
	g_free(wl->conds);
	g_free(wl->timers);
	g_free(wl->barriers);
	rtapp_model_free(wl->m);
	g_free(wl->ent_name);
	g_free(wl->origin);
	g_free(wl);
}

/* Line and column of position `at` in text, for a message. */
static void text_position(const char *text, const char *at, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (const char *c = text; c < at && *c; c++) {
		if (*c == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* The rt-app description: the file (relative to the scenario's directory) or the inline objects. */
static cJSON *load_description(const struct wl_env *env, const cJSON *params, char **origin, GError **error)
{
	const char *file = param_string(params, "file");
	const cJSON *tasks = cJSON_GetObjectItemCaseSensitive(params, "tasks");
	const cJSON *global = cJSON_GetObjectItemCaseSensitive(params, "global");
	if (file && (tasks || global)) {
		g_set_error(error, WL_ERROR, 0, "rt-app: give either file or tasks (and global) inline, not both");
		return NULL;
	}
	if (!file) {
		if (!tasks) {
			g_set_error(error, WL_ERROR, 0,
				    "rt-app: give file (an rt-app JSON file, relative to the scenario) or tasks (inline)");
			return NULL;
		}
		*origin = g_strdup("rt-app");
		cJSON *root = cJSON_CreateObject();
		cJSON_AddItemToObject(root, "tasks", cJSON_Duplicate(tasks, true));
		if (global)
			cJSON_AddItemToObject(root, "global", cJSON_Duplicate(global, true));
		return root;
	}
	*origin = g_strdup_printf("rt-app file %s", file);
	char *path = g_path_is_absolute(file) ? g_strdup(file) : g_build_filename(env->dir ? env->dir : ".", file, NULL);
	char *text = NULL;
	gsize len = 0;
	GError *e = NULL;
	if (!g_file_get_contents(path, &text, &len, &e)) {
		g_set_error(error, WL_ERROR, 0, "%s: %s", *origin, e->message);
		g_error_free(e);
		g_free(path);
		return NULL;
	}
	g_free(path);
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
	if (!root) {
		/* workgen's files may hold C comments (rt-app's own examples do): strip them, try again */
		char *bare = g_strndup(text, len);
		cJSON_Minify(bare);
		root = cJSON_Parse(bare);
		g_free(bare);
	}
	if (!root) {
		unsigned line, col;
		text_position(text, end ? end : text, &line, &col);
		g_set_error(error, WL_ERROR, 0, "%s:%u:%u: malformed JSON", *origin, line, col);
	}
	g_free(text);
	return root;
}

/* "t0-1" with anything but letters, digits, '_', '.' and '-' made '_' (it names metrics scopes). */
static char *thread_name(const char *task, uint32_t instance)
{
	char *s = g_strdup_printf("%s-%u", task, instance);
	for (char *c = s; *c; c++)
		if (!g_ascii_isalnum(*c) && *c != '_' && *c != '.' && *c != '-')
			*c = '_';
	return s;
}

/* The VM-dependent checks: vCPUs of the affinities, the disk of iorun. */
static bool check_vm(struct rtapp_wl *wl, const struct wl_env *env, const char *device, struct io_disk **disk,
		     GError **error)
{
	uint32_t n = gos_ncpus(env->k);
	for (uint32_t i = 0; i < wl->m->ntasks; i++) {
		const struct rtapp_task *t = &wl->m->tasks[i];
		if (t->ncpus && t->cpus[t->ncpus - 1] >= n) {
			g_set_error(error, WL_ERROR, 0, "%s: %s: vCPU %u: the VM has %u vCPUs (0..%u)", wl->origin,
				    t->cpus_path, t->cpus[t->ncpus - 1], n, n - 1);
			return false;
		}
	}
	*disk = NULL;
	if (wl->m->io_path) {
		char *where = g_strdup_printf("%s: %s (iorun writes to the workload's device)", wl->origin, wl->m->io_path);
		*disk = wl_disk_find(env, where, device, error);
		g_free(where);
		if (!*disk)
			return false;
	}
	return true;
}

static void *rt_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct rtapp_wl *wl = g_new0(struct rtapp_wl, 1);
	cJSON *root = load_description(env, params, &wl->origin, error);
	if (!root) {
		rt_free(wl);
		return NULL;
	}
	wl->m = rtapp_model_parse(root, wl->origin, error);
	cJSON_Delete(root);
	struct io_disk *disk = NULL;
	if (!wl->m || !check_vm(wl, env, param_string(params, "device"), &disk, error)) {
		rt_free(wl);
		return NULL;
	}
	const struct rtapp_model *m = wl->m;
	struct sim *sim = gos_sim(env->k);
	wl->sim = sim;
	for (uint32_t i = 0; i < m->ntasks; i++)
		for (uint32_t j = 0; j < m->tasks[i].nphases; j++)
			wl->working_sets |= m->tasks[i].phases[j].has_working_set;
	if (wl->working_sets) /* declared from the start (0 until a phase commits some): paging is reported */
		gos_change_working_set(env->k, 0, 0);
	wl->khz = env->khz;
	wl->instant_cycles = gos_config(env->k)->cost_ns[GOS_COST_LOCK] * env->khz / 1000000;
	wl->chunk_cycles = RUNTIME_CHUNK_US * env->khz / 1000;
	/* GB/s at the nominal frequency: khz * 1000 cycles per second over bandwidth * 1e9 bytes */
	wl->mem_cycles_per_byte = (double)env->khz / (param_number(params, "mem_bandwidth") * 1e6);
	wl_meter_init(&wl->meter, sim);
	wl->mutexes = g_new0(struct gos_lock *, m->nmutexes);
	for (uint32_t i = 0; i < m->nmutexes; i++) {
		char *name = g_strdup_printf("wl%u.%s", env->index, m->mutexes[i]);
		wl->mutexes[i] = gos_lock_new(env->k, name, GOS_LOCK_MUTEX);
		g_free(name);
	}
	wl->conds = g_new0(struct rt_cond, m->nconds);
	wl->timers = g_new0(struct rt_timer, m->ntimers);
	wl->barriers = g_new0(struct rt_barrier, m->nbarriers);
	for (uint32_t i = 0; i < m->nbarriers; i++) {
		char *name = g_strdup_printf("wl%u.barrier:%s", env->index, m->barriers[i].name);
		wl->barriers[i].mutex = gos_lock_new(env->k, name, GOS_LOCK_MUTEX);
		wl->barriers[i].users = m->barriers[i].users;
		g_free(name);
	}
	uint64_t nthreads = 0; /* at most 4,096 instances per task: no overflow in 64 bits */
	for (uint32_t i = 0; i < m->ntasks; i++)
		nthreads += m->tasks[i].instances;
	if (!wl_tasks_room(env, "rt-app", nthreads, error)) {
		rt_free(wl);
		return NULL;
	}
	wl->nthreads = (uint32_t)nthreads;
	wl->threads = g_new0(struct rt_thread, wl->nthreads);
	wl->ent_name = g_strdup_printf("vm:%s/wl:%u/rt-app", env->vm, env->index);
	sim_time_t now = sim_now(sim);
	uint32_t n = 0;
	for (uint32_t i = 0; i < m->ntasks; i++) {
		const struct rtapp_task *def = &m->tasks[i];
		for (uint32_t j = 0; j < def->instances; j++) {
			struct rt_thread *th = &wl->threads[n++];
			th->wl = wl;
			th->def = def;
			th->name = thread_name(def->name, j);
			th->t_first = now + (sim_time_t)def->delay_us * SIM_PS_PER_US;
			th->timers = g_new0(struct rt_timer, m->ntimers);
			th->held = g_new0(uint32_t, m->nmutexes + 1);
			th->io.disk = disk;
			char *name = g_strdup_printf("wl%u.%s", env->index, th->name);
			struct gos_task_config tc;
			gos_task_config_default(&tc);
			tc.name = name;
			tc.nice = def->nice;
			tc.affinity = def->cpus;
			tc.naffinity = def->ncpus;
			tc.start = now;
			tc.program = &thread_program;
			tc.arg = th;
			th->task = gos_task_new(env->k, &tc, error);
			g_free(name);
			if (!th->task) {
				rt_free(wl);
				return NULL;
			}
			th->slot = wl_meter_task(&wl->meter, th->task);
		}
	}
	sim_entity_add(sim, &wl->ent, &rt_ops, wl->ent_name);
	sim_timer_init(&wl->stop, &wl->ent, RT_EV_STOP);
	if (m->duration_s > 0)
		sim_timer_arm(sim, &wl->stop, now + (sim_time_t)m->duration_s * SIM_PS_PER_S);
	return wl;
}

static void rt_stats(void *inst, struct wl_stats *out)
{
	const struct rtapp_wl *wl = inst;
	wl_meter_stats(&wl->meter, 0, out);
}

static const struct param rt_params[] = {
	{.name = "file", .type = PARAM_STRING, .def = "null",
	 .doc = "an rt-app JSON file, relative to the scenario's directory (or give tasks inline)"},
	{.name = "tasks", .type = PARAM_ANY, .def = "null",
	 .doc = "rt-app's tasks object, inline instead of file (docs/rt-app.md)"},
	{.name = "global", .type = PARAM_ANY, .def = "null", .doc = "rt-app's global object, inline with tasks"},
	{.name = "device", .type = PARAM_STRING, .def = "\"disk0\"", .doc = "the VM's disk that iorun events write to"},
	{.name = "mem_bandwidth", .type = PARAM_NUMBER, .def = "10", .min = 0.001, .max = 10000, .unit = "GB/s",
	 .doc = "memory write bandwidth of one task at nominal frequency: what a mem event of N bytes costs"},
	{0},
};

const struct wl_kind wl_kind_rtapp = {
	.name = "rt-app",
	.doc = "an rt-app description (JSON file or inline): periodic tasks, locks, conditions, barriers",
	.ops_unit = "loops",
	.params = rt_params,
	.create = rt_create,
	.stats = rt_stats,
	.free = rt_free,
};
