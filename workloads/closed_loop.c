/* SPDX-License-Identifier: MIT */
/*
 * closed_loop.c - workload kind "closed-loop": `clients` guest tasks, each repeating think (sleep
 *                 an exponential time of mean `think`) then one request (compute a demand drawn
 *                 from `service`): the interactive system of the response-time law.
 * Randomness: client i draws its think times from ".../client:<i>/think" and its demands from
 *       ".../client:<i>/service", each when it needs the value. The draws of a client are the same
 *       sequence on every platform; how many are made by the end depends on the platform's speed.
 * Operation: one request. Latency (response time): from the end of the think time (the moment the
 *       sleep expires, when the request is issued) to the completion of its compute; it includes
 *       the timer interrupt, the wake-up and any runqueue wait before the compute starts, so that
 *       think + response is a client's whole cycle and X = N / (Z + R) holds.
 * A think mean of 0 makes a saturating client (no sleep, no draw). Per task: the client's requests.
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include "workloads/wl-int.h"

struct closed_loop;

enum client_phase {
	CLIENT_START,    /* has not run yet */
	CLIENT_THINKING, /* its sleep ends at `issued` */
	CLIENT_WAITING,  /* its request, issued at `issued`, is being computed */
};

struct client {
	struct closed_loop *wl;
	struct wl_stream think, service;
	uint32_t slot;   /* in the meter */
	enum client_phase phase;
	sim_time_t issued;
};

struct closed_loop {
	struct sim *sim;
	struct wl_meter meter;
	struct wl_service service;
	sim_time_t think_mean;
	double memory_bound;
	uint32_t nclients;
	struct client *clients;
};

/* The request: compute a demand drawn now. */
static void issue(struct client *c, struct gos_op *op)
{
	c->phase = CLIENT_WAITING;
	op->kind = GOS_OP_COMPUTE;
	op->cycles = wl_service_draw(&c->wl->service, &c->service);
	op->mem_share = c->wl->memory_bound;
}

/* Task body: after a request, count it and think; after thinking, issue the next request. */
static void client_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct client *c = arg;
	struct closed_loop *wl = c->wl;
	sim_time_t now = sim_now(wl->sim);
	if (c->phase == CLIENT_THINKING) {
		issue(c, op);
		return;
	}
	if (c->phase == CLIENT_WAITING)
		wl_meter_record_task(&wl->meter, c->slot, now - c->issued);
	if (wl->think_mean == 0) {
		c->issued = now;
		issue(c, op);
		return;
	}
	sim_time_t think = wl_stream_exp_time(&c->think, wl->think_mean);
	c->issued = now + think; /* the sleep's timer expires exactly then (guestos: now + duration) */
	c->phase = CLIENT_THINKING;
	op->kind = GOS_OP_SLEEP;
	op->duration = think;
}

static const struct gos_program client_program = {.next = client_next};

static void cl_free(void *inst)
{
	struct closed_loop *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	g_free(wl->clients);
	g_free(wl);
}

static void *cl_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct closed_loop *wl = g_new0(struct closed_loop, 1);
	if (!wl_service_init(&wl->service, cJSON_GetObjectItemCaseSensitive(params, "service"), env->khz, "service",
			     error)) {
		g_free(wl);
		return NULL;
	}
	wl->sim = gos_sim(env->k);
	wl->think_mean = param_time(params, "think");
	wl->memory_bound = param_number(params, "memory_bound");
	wl->nclients = (uint32_t)param_int(params, "clients");
	wl->clients = g_new0(struct client, wl->nclients);
	wl_meter_init(&wl->meter, wl->sim);
	for (uint32_t i = 0; i < wl->nclients; i++) {
		struct client *c = &wl->clients[i];
		c->wl = wl;
		wl_stream_init(&c->think, env, "client:%u/think", i);
		wl_stream_init(&c->service, env, "client:%u/service", i);
		struct gos_task *t = wl_task_new(env, "client", i, 0, &client_program, c, error);
		if (!t) {
			cl_free(wl);
			return NULL;
		}
		c->slot = wl_meter_task(&wl->meter, t);
	}
	return wl;
}

/* The digest folds every client's think stream, then every client's service stream. */
static void cl_stats(void *inst, struct wl_stats *out)
{
	const struct closed_loop *wl = inst;
	uint64_t digest = 0;
	for (uint32_t i = 0; i < wl->nclients; i++)
		digest = wl_digest_fold(digest, &wl->clients[i].think);
	for (uint32_t i = 0; i < wl->nclients; i++)
		digest = wl_digest_fold(digest, &wl->clients[i].service);
	wl_meter_stats(&wl->meter, digest, out);
}

static const struct param cl_params[] = {
	{.name = "clients", .type = PARAM_INT, .def = "1", .min = 1, .max = 4096,
	 .doc = "guest tasks, each a client that thinks then issues one request"},
	{.name = "think", .type = PARAM_TIME, .def = "\"10ms\"", .min = 0, .max = 1e12, .unit = "ns",
	 .doc = "mean think time between a response and the next request (exponential; 0: none)"},
	WL_PARAM_SERVICE,
	WL_PARAM_MEMORY_BOUND,
	{0},
};

const struct wl_kind wl_kind_closed_loop = {
	.name = "closed-loop",
	.doc = "interactive clients: think (exponential), then compute one request",
	.ops_unit = "requests",
	.params = cl_params,
	.create = cl_create,
	.stats = cl_stats,
	.free = cl_free,
};
