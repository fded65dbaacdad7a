/* SPDX-License-Identifier: MIT */
/*
 * locks.c - workload kind "locks": `threads` guest tasks repeatedly take one of `locks` locks
 *           (chosen uniformly), compute `hold` inside the critical section, release it, and
 *           compute `think` outside (a lock-heavy kernel path, in the spirit of REFERENCE 3).
 * Locks: the kernel's spinlock kind (`guest.spinlock`) or a sleeping mutex (lock: "mutex");
 *        models/guestos/lock.h does the taking, waiting and hand-off.
 * Operation: one critical section. Latency: from asking for the lock to having released it
 *        (wait + hold). Randomness: the lock choice, stream "vm:NAME/wl:I/thread:T/pick".
 *        Per task: the thread's critical sections.
 * See: docs/workloads.md, docs/locks.md
 */
#include <string.h>

#include "models/guestos/lock.h"
#include "workloads/wl-int.h"

struct locks_wl;

struct locks_thread {
	struct locks_wl *wl;
	struct wl_stream pick;
	uint32_t slot; /* in the meter */
	unsigned step;
	struct gos_lock *held;
	sim_time_t asked;
};

struct locks_wl {
	struct sim *sim;
	struct wl_meter meter;
	uint64_t hold_cycles, think_cycles;
	double memory_bound;
	uint32_t nthreads, nlocks;
	struct gos_lock **locks;
	struct locks_thread *threads;
};

/* Task body: lock, hold, unlock, think, for ever. */
static void thread_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct locks_thread *th = arg;
	struct locks_wl *wl = th->wl;
	switch (th->step++ % 4) {
	case 0:
		th->held = wl->locks[(uint32_t)wl_stream_keep(&th->pick, (double)sim_rng_below(&th->pick.rng, wl->nlocks))];
		th->asked = sim_now(wl->sim);
		gos_op_lock(op, th->held);
		return;
	case 1:
		*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = wl->hold_cycles, .mem_share = wl->memory_bound};
		return;
	case 2:
		gos_op_unlock(op, th->held);
		return;
	default:
		wl_meter_record_task(&wl->meter, th->slot, sim_now(wl->sim) - th->asked); /* released just now */
		*op = (struct gos_op){.kind = GOS_OP_COMPUTE, .cycles = wl->think_cycles, .mem_share = wl->memory_bound};
		return;
	}
}

static const struct gos_program thread_program = {.next = thread_next};

static void locks_free(void *inst)
{
	struct locks_wl *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	g_free(wl->locks);
	g_free(wl->threads);
	g_free(wl);
}

static void *locks_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct locks_wl *wl = g_new0(struct locks_wl, 1);
	wl->sim = gos_sim(env->k);
	wl->hold_cycles = param_demand(params, "hold", env->khz);
	wl->think_cycles = param_demand(params, "think", env->khz);
	wl->memory_bound = param_number(params, "memory_bound");
	wl->nthreads = (uint32_t)param_int(params, "threads");
	wl->nlocks = (uint32_t)param_int(params, "locks");
	enum gos_lock_kind kind = strcmp(param_string(params, "lock"), "mutex") == 0
					  ? GOS_LOCK_MUTEX
					  : (enum gos_lock_kind)gos_config(env->k)->spinlock;
	wl->locks = g_new0(struct gos_lock *, wl->nlocks);
	for (uint32_t i = 0; i < wl->nlocks; i++) {
		char *name = g_strdup_printf("wl%u.lock-%u", env->index, i);
		wl->locks[i] = gos_lock_new(env->k, name, kind);
		g_free(name);
	}
	wl_meter_init(&wl->meter, wl->sim);
	wl->threads = g_new0(struct locks_thread, wl->nthreads);
	for (uint32_t i = 0; i < wl->nthreads; i++) {
		wl->threads[i].wl = wl;
		wl_stream_init(&wl->threads[i].pick, env, "thread:%u/pick", i);
		struct gos_task *t = wl_task_new(env, "thread", i, 0, &thread_program, &wl->threads[i], error);
		if (!t) {
			locks_free(wl);
			return NULL;
		}
		wl->threads[i].slot = wl_meter_task(&wl->meter, t);
	}
	return wl;
}

static void locks_stats(void *inst, struct wl_stats *out)
{
	const struct locks_wl *wl = inst;
	uint64_t digest = 0;
	for (uint32_t i = 0; i < wl->nthreads; i++)
		digest = wl_digest_fold(digest, &wl->threads[i].pick);
	wl_meter_stats(&wl->meter, digest, out);
}

static const struct param locks_params[] = {
	{.name = "threads", .type = PARAM_INT, .def = "8", .min = 1, .max = 4096, .doc = "guest tasks taking the locks"},
	{.name = "locks", .type = PARAM_INT, .def = "1", .min = 1, .max = 1024, .doc = "locks, each critical section picks one uniformly"},
	{.name = "lock", .type = PARAM_ENUM, .def = "\"spinlock\"", .choices = "spinlock|mutex",
	 .doc = "spinlock: the kernel's kind (guest.spinlock); mutex: a sleeping lock"},
	{.name = "hold", .type = PARAM_DEMAND, .def = "\"2us\"", .min = 1, .max = 1e12, .unit = "ns",
	 .doc = "CPU demand inside the critical section"},
	{.name = "think", .type = PARAM_DEMAND, .def = "\"20us\"", .min = 1, .max = 1e12, .unit = "ns",
	 .doc = "CPU demand between critical sections"},
	WL_PARAM_MEMORY_BOUND,
	{0},
};

const struct wl_kind wl_kind_locks = {
	.name = "locks",
	.doc = "threads taking and releasing locks around short critical sections",
	.ops_unit = "critical sections",
	.params = locks_params,
	.create = locks_create,
	.stats = locks_stats,
	.free = locks_free,
};
