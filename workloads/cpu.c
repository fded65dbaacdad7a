/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - workload kind "cpu": `threads` guest tasks, each computing chunks of `chunk` cycles back
 *         to back for ever (a CPU hog cut into measurable pieces).
 * Operation: one chunk. Latency: the chunk's wall time, from the moment the task's program hands
 *         it out to the moment the task asks for the next one (its completion): the chunk's own
 *         cycles plus everything that delayed them (preemption, steal, interrupts, a slower LP).
 * Randomness: none (rng_digest 0).
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include "workloads/wl-int.h"

struct cpu_wl;

struct cpu_thread {
	struct cpu_wl *wl;
	sim_time_t chunk_start;
	bool computing; /* a chunk was handed out and has not been counted yet */
};

struct cpu_wl {
	struct sim *sim;
	struct wl_meter meter;
	uint64_t chunk_cycles;
	double memory_bound;
	uint32_t nthreads;
	struct cpu_thread *threads;
};

/* Task body: count the chunk that just completed, hand out the next one. */
static void thread_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct cpu_thread *th = arg;
	struct cpu_wl *wl = th->wl;
	sim_time_t now = sim_now(wl->sim);
	if (th->computing)
		wl_meter_record(&wl->meter, now - th->chunk_start);
	th->chunk_start = now;
	th->computing = true;
	op->kind = GOS_OP_COMPUTE;
	op->cycles = wl->chunk_cycles;
	op->mem_share = wl->memory_bound;
}

static const struct gos_program thread_program = {.next = thread_next};

static void cpu_free(void *inst)
{
	struct cpu_wl *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	g_free(wl->threads);
	g_free(wl);
}

static void *cpu_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct cpu_wl *wl = g_new0(struct cpu_wl, 1);
	wl->sim = gos_sim(env->k);
	wl->chunk_cycles = param_demand(params, "chunk", env->khz);
	wl->memory_bound = param_number(params, "memory_bound");
	wl->nthreads = (uint32_t)param_int(params, "threads");
	int nice = (int)param_int(params, "nice");
	wl->threads = g_new0(struct cpu_thread, wl->nthreads);
	wl_meter_init(&wl->meter, wl->sim);
	for (uint32_t i = 0; i < wl->nthreads; i++) {
		wl->threads[i].wl = wl;
		if (!wl_task_new(env, "thread", i, nice, &thread_program, &wl->threads[i], error)) {
			cpu_free(wl);
			return NULL;
		}
	}
	return wl;
}

static void cpu_stats(void *inst, struct wl_stats *out)
{
	const struct cpu_wl *wl = inst;
	wl_meter_stats(&wl->meter, 0, out);
}

static const struct param cpu_params[] = {
	{.name = "threads", .type = PARAM_INT, .def = "1", .min = 1, .max = 4096, .doc = "guest tasks, each a CPU hog"},
	{.name = "chunk", .type = PARAM_DEMAND, .def = "\"1ms\"", .min = 1, .max = 1e12, .unit = "ns",
	 .doc = "CPU demand of one operation (time at the host's nominal frequency, or {\"cycles\": N})"},
	WL_PARAM_MEMORY_BOUND,
	{.name = "nice", .type = PARAM_INT, .def = "0", .min = -20, .max = 19, .doc = "nice value of every thread"},
	{0},
};

const struct wl_kind wl_kind_cpu = {
	.name = "cpu",
	.doc = "CPU-bound threads computing fixed chunks back to back",
	.ops_unit = "chunks",
	.params = cpu_params,
	.create = cpu_create,
	.stats = cpu_stats,
	.free = cpu_free,
};
