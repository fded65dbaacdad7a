/* SPDX-License-Identifier: MIT */
/*
 * cpu.c - workload kind "cpu": `threads` guest tasks, each computing chunks back to back for ever
 *         (a CPU hog cut into measurable pieces). A chunk is `chunk` cycles (dist det, the default)
 *         or a draw of mean `chunk` from the service distributions (exp, lognormal, pareto).
 * Operation: one chunk. Latency: the chunk's wall time, from the moment the task's program hands
 *         it out to the moment the task asks for the next one (its completion): the chunk's own
 *         cycles plus everything that delayed them (preemption, steal, interrupts, a slower LP).
 * Randomness: thread T draws its chunks from "vm:NAME/wl:I/thread:T/chunk" when it hands them out;
 *         det draws nothing (rng_digest 0, as before dist existed).
 * Per task: the chunks the thread completed.
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include "workloads/wl-int.h"

struct cpu_wl;

struct cpu_thread {
	struct cpu_wl *wl;
	struct wl_stream draws;
	uint32_t slot;                /* in the meter */
	sim_time_t chunk_start;
	bool computing; /* a chunk was handed out and has not been counted yet */
};

struct cpu_wl {
	struct sim *sim;
	struct wl_meter meter;
	struct wl_service chunk;
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
		wl_meter_record_task(&wl->meter, th->slot, now - th->chunk_start);
	th->chunk_start = now;
	th->computing = true;
	op->kind = GOS_OP_COMPUTE;
	op->cycles = wl_service_draw(&wl->chunk, &th->draws);
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
	enum wl_dist dist = WL_DIST_DET;
	bool ok = wl_dist_parse(param_string(params, "dist"), &dist);
	g_assert(ok); /* the table's choices */
	if (!wl_service_set(&wl->chunk, dist, (double)param_demand(params, "chunk", env->khz), param_number(params, "cv"),
			    param_number(params, "alpha"), (double)param_demand(params, "max", env->khz), "cpu", error)) {
		g_free(wl);
		return NULL;
	}
	wl->sim = gos_sim(env->k);
	wl->memory_bound = param_number(params, "memory_bound");
	wl->nthreads = (uint32_t)param_int(params, "threads");
	int nice = (int)param_int(params, "nice");
	wl->threads = g_new0(struct cpu_thread, wl->nthreads);
	wl_meter_init(&wl->meter, wl->sim);
	for (uint32_t i = 0; i < wl->nthreads; i++) {
		struct cpu_thread *th = &wl->threads[i];
		th->wl = wl;
		wl_stream_init(&th->draws, env, "thread:%u/chunk", i);
		struct gos_task *t = wl_task_new(env, "thread", i, nice, &thread_program, th, error);
		if (!t) {
			cpu_free(wl);
			return NULL;
		}
		th->slot = wl_meter_task(&wl->meter, t);
	}
	return wl;
}

/* The digest folds the threads' chunk streams in thread order (all silent under det). */
static void cpu_stats(void *inst, struct wl_stats *out)
{
	const struct cpu_wl *wl = inst;
	uint64_t digest = 0;
	for (uint32_t i = 0; i < wl->nthreads; i++)
		digest = wl_digest_fold(digest, &wl->threads[i].draws);
	wl_meter_stats(&wl->meter, digest, out);
}

static const struct param cpu_params[] = {
	{.name = "threads", .type = PARAM_INT, .def = "1", .min = 1, .max = 4096, .doc = "guest tasks, each a CPU hog"},
	{.name = "chunk", .type = PARAM_DEMAND, .def = "\"1ms\"", .min = 1, .max = 1e12, .unit = "ns",
	 .doc = "CPU demand of one operation, its mean unless dist is det (time at the host's nominal frequency, or {\"cycles\": N})"},
	{.name = "dist", .type = PARAM_ENUM, .def = "\"det\"", .choices = "det|exp|lognormal|pareto",
	 .doc = "distribution of a chunk's demand (drawn per chunk): exactly `chunk`, exponential, lognormal, bounded Pareto"},
	{.name = "cv", .type = PARAM_NUMBER, .def = "1", .min = 0, .max = 100,
	 .doc = "lognormal: coefficient of variation (sd / mean)"},
	{.name = "alpha", .type = PARAM_NUMBER, .def = "1.5", .min = 0.05, .max = 20,
	 .doc = "pareto: shape; the lower bound is solved so that the mean is `chunk`"},
	{.name = "max", .type = PARAM_DEMAND, .def = "\"100ms\"", .min = 1, .max = 1e12, .unit = "ns",
	 .doc = "pareto: upper bound of a chunk (must exceed `chunk`)"},
	WL_PARAM_MEMORY_BOUND,
	{.name = "nice", .type = PARAM_INT, .def = "0", .min = -20, .max = 19, .doc = "nice value of every thread"},
	{0},
};

const struct wl_kind wl_kind_cpu = {
	.name = "cpu",
	.doc = "CPU-bound threads computing chunks back to back (fixed or drawn lengths)",
	.ops_unit = "chunks",
	.params = cpu_params,
	.create = cpu_create,
	.stats = cpu_stats,
	.free = cpu_free,
};
