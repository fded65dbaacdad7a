/* SPDX-License-Identifier: MIT */
/*
 * open_poisson.c - workload kind "open-poisson": requests from clients outside the VM arrive as a
 *                  Poisson process of `rate` per second into one FIFO, served by `workers` guest
 *                  tasks (an M/G/c queue whose servers are scheduled by the guest kernel).
 * Arrivals: a sim entity (not a guest task) draws the gaps from stream ".../arrivals" and, at each
 *       arrival, the request's demand from ".../service". Both are drawn at arrival time by the
 *       entity alone, so the sequence of draws does not depend on how fast the VM serves: the
 *       bare-metal twin draws the same numbers.
 * Workers: take the FIFO head and compute its demand; with nothing queued they join the idle list
 *       (FIFO order, like an exclusive wait queue) and BLOCK. An arrival wakes the first idle
 *       worker, which leaves the list at once: every wake reaches a worker that is blocked, one
 *       wake per idle entry, so no wake is lost or kept. A woken worker that finds the FIFO empty
 *       (another worker was faster) simply idles again.
 * Operation: one request. Latency: completion (the worker asking for its next operation) minus
 *       arrival: queueing, wake-up, scheduling and service. Per task: the requests the worker served.
 * Memory: the FIFO grows without bound when the VM cannot keep up (rho >= 1).
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include "workloads/wl-int.h"

enum { OP_EV_ARRIVAL = 1 };

struct request {
	sim_time_t arrival;
	uint64_t cycles;
};

struct open_poisson;

struct worker {
	struct open_poisson *wl;
	struct gos_task *task;
	uint32_t slot;      /* in the meter */
	sim_time_t arrival; /* of the request in service */
	bool serving;
	bool listed;        /* on the idle list (cleared by the arrival that wakes it) */
};

struct open_poisson {
	struct sim_entity ent; /* first: the arrival process */
	sim_timer_t next_arrival;
	char *name;
	struct wl_stream arrivals, service_draws;
	struct wl_service service;
	sim_time_t mean_gap;
	double memory_bound;
	/* requests waiting, a ring that doubles when full */
	struct request *queue;
	uint32_t queue_head, queue_len, queue_cap;
	/* idle workers (indices), a ring of capacity nworkers */
	uint32_t *idle;
	uint32_t idle_head, idle_len;
	struct worker *workers;
	uint32_t nworkers;
	struct wl_meter meter;
};

/* ---- the request FIFO ---- */

static void queue_push(struct open_poisson *wl, struct request r)
{
	if (wl->queue_len == wl->queue_cap) {
		uint32_t cap = wl->queue_cap ? 2 * wl->queue_cap : 64;
		struct request *q = g_new(struct request, cap);
		for (uint32_t i = 0; i < wl->queue_len; i++)
			q[i] = wl->queue[(wl->queue_head + i) % wl->queue_cap];
		g_free(wl->queue);
		wl->queue = q;
		wl->queue_head = 0;
		wl->queue_cap = cap;
	}
	wl->queue[(wl->queue_head + wl->queue_len++) % wl->queue_cap] = r;
}

static bool queue_pop(struct open_poisson *wl, struct request *out)
{
	if (wl->queue_len == 0)
		return false;
	*out = wl->queue[wl->queue_head];
	wl->queue_head = (wl->queue_head + 1) % wl->queue_cap;
	wl->queue_len--;
	return true;
}

/* ---- idle workers ---- */

static void idle_push(struct open_poisson *wl, uint32_t worker)
{
	SIM_ASSERT(wl->ent.sim, wl->idle_len < wl->nworkers); /* a worker is listed at most once */
	wl->idle[(wl->idle_head + wl->idle_len++) % wl->nworkers] = worker;
}

static bool idle_pop(struct open_poisson *wl, uint32_t *worker)
{
	if (wl->idle_len == 0)
		return false;
	*worker = wl->idle[wl->idle_head];
	wl->idle_head = (wl->idle_head + 1) % wl->nworkers;
	wl->idle_len--;
	return true;
}

/* ---- workers ---- */

/* Task body: count the request just served; serve the next queued one or go idle. */
static void worker_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct worker *w = arg;
	struct open_poisson *wl = w->wl;
	if (w->serving) {
		wl_meter_record_task(&wl->meter, w->slot, sim_now(wl->ent.sim) - w->arrival);
		w->serving = false;
	}
	struct request r;
	/* Hard assume: a listed worker is blocked, and only the arrival that unlists it wakes it
	   (nothing else knows the task), so it never runs while listed and never holds a kept wake. */
	SIM_ASSERT(wl->ent.sim, !w->listed);
	if (!queue_pop(wl, &r)) {
		idle_push(wl, (uint32_t)(w - wl->workers));
		w->listed = true;
		op->kind = GOS_OP_BLOCK; /* no wake is pending for it: it blocks until an arrival */
		return;
	}
	w->serving = true;
	w->arrival = r.arrival;
	op->kind = GOS_OP_COMPUTE;
	op->cycles = r.cycles;
	op->mem_share = wl->memory_bound;
}

static const struct gos_program worker_program = {.next = worker_next};

/* ---- arrivals ---- */

static void arm_next_arrival(struct open_poisson *wl)
{
	sim_timer_arm_in(wl->ent.sim, &wl->next_arrival, wl_stream_exp_time(&wl->arrivals, wl->mean_gap));
}

static void arrivals_start(struct sim_entity *ent)
{
	arm_next_arrival(sim_container_of(ent, struct open_poisson, ent));
}

/* A request arrives: draw its demand, queue it, wake the first idle worker, draw the next gap. */
static void arrivals_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)p;
	struct open_poisson *wl = sim_container_of(ent, struct open_poisson, ent);
	if (kind != OP_EV_ARRIVAL)
		sim_bug(ent->sim, ent, "unexpected event kind %u", kind);
	struct request r = {.arrival = sim_now(ent->sim), .cycles = wl_service_draw(&wl->service, &wl->service_draws)};
	queue_push(wl, r);
	uint32_t w;
	if (idle_pop(wl, &w)) {
		wl->workers[w].listed = false;
		gos_task_wake(wl->workers[w].task);
	}
	arm_next_arrival(wl);
}

static void arrivals_dump(const struct sim_entity *ent, FILE *out)
{
	const struct open_poisson *wl = sim_container_of(ent, struct open_poisson, ent);
	fprintf(out, "  %s: queued %u, idle workers %u of %u\n", wl->name, wl->queue_len, wl->idle_len, wl->nworkers);
}

static const struct sim_entity_ops arrivals_ops = {
	.kind = "wl-arrivals",
	.start = arrivals_start,
	.event = arrivals_event,
	.dump = arrivals_dump,
};

/* ---- the kind ---- */

static void op_free(void *inst)
{
	struct open_poisson *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	g_free(wl->queue);
	g_free(wl->idle);
	g_free(wl->workers);
	g_free(wl->name);
	g_free(wl);
}

static void *op_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct open_poisson *wl = g_new0(struct open_poisson, 1);
	if (!wl_service_init(&wl->service, cJSON_GetObjectItemCaseSensitive(params, "service"), env->khz, "service",
			     error)) {
		g_free(wl);
		return NULL;
	}
	struct sim *sim = gos_sim(env->k);
	double rate = param_number(params, "rate");
	wl->mean_gap = (sim_time_t)((double)SIM_PS_PER_S / rate + 0.5);
	wl->memory_bound = param_number(params, "memory_bound");
	wl->nworkers = (uint32_t)param_int(params, "workers");
	wl->workers = g_new0(struct worker, wl->nworkers);
	wl->idle = g_new(uint32_t, wl->nworkers);
	wl->name = g_strdup_printf("vm:%s/wl:%u/arrivals", env->vm, env->index);
	wl_stream_init(&wl->arrivals, env, "arrivals");
	wl_stream_init(&wl->service_draws, env, "service");
	wl_meter_init(&wl->meter, sim);
	for (uint32_t i = 0; i < wl->nworkers; i++) {
		struct worker *w = &wl->workers[i];
		w->wl = wl;
		w->task = wl_task_new(env, "worker", i, 0, &worker_program, w, error);
		if (!w->task) {
			op_free(wl);
			return NULL;
		}
		w->slot = wl_meter_task(&wl->meter, w->task);
	}
	sim_entity_add(sim, &wl->ent, &arrivals_ops, wl->name);
	sim_timer_init(&wl->next_arrival, &wl->ent, OP_EV_ARRIVAL);
	return wl;
}

static void op_stats(void *inst, struct wl_stats *out)
{
	const struct open_poisson *wl = inst;
	uint64_t digest = wl_digest_fold(wl_digest_fold(0, &wl->arrivals), &wl->service_draws);
	wl_meter_stats(&wl->meter, digest, out);
}

static const struct param op_params[] = {
	{.name = "rate", .type = PARAM_NUMBER, .def = "1000", .min = 1e-3, .max = 1e9, .unit = "per s",
	 .doc = "mean arrival rate of requests (Poisson process, clients outside the VM)"},
	{.name = "workers", .type = PARAM_INT, .def = "1", .min = 1, .max = 4096,
	 .doc = "guest tasks serving the request queue (FIFO)"},
	WL_PARAM_SERVICE,
	WL_PARAM_MEMORY_BOUND,
	{0},
};

const struct wl_kind wl_kind_open_poisson = {
	.name = "open-poisson",
	.doc = "Poisson arrivals from outside the VM into a FIFO served by worker tasks",
	.ops_unit = "requests",
	.params = op_params,
	.create = op_create,
	.stats = op_stats,
	.free = op_free,
};
