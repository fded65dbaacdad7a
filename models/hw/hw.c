/* SPDX-License-Identifier: MIT */
/*
 * hw.c - topology, per-LP time accounting and rate-based progress of compute work.
 * Role: implements hw.h. LP ids are laid out socket-major: socket, node, core, thread, so the
 *       threads of one core are consecutive and nodes are contiguous ranges of LPs.
 * Settle / re-arm: hw_lp_run computes the work's rate and arms the LP's completion timer at
 *       now + ceil(cycles / rate); anything that changes the rate (a sibling becoming busy or idle)
 *       settles the work (cycles -= rate x elapsed) and re-arms. The timer firing means done.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/check.h"
#include "models/hw/hw.h"

struct hw_host {
	struct sim *sim;
	struct hw_config cfg;
	uint32_t nlps, ncores, nnodes;
	struct hw_lp *lps;
	uint32_t *distance; /* nnodes x nnodes */
	struct sim_reset_hook reset_hook;
	sim_time_t window_start;
};

enum { HW_EV_WORK_DONE = 1 };

static const char *const cat_names[HW_NCAT] = {
	[HW_CAT_GUEST] = "guest", [HW_CAT_HYPERVISOR] = "hypervisor", [HW_CAT_ROOT] = "root",
	[HW_CAT_SPIN] = "spin",   [HW_CAT_IDLE] = "idle",
};

const char *hw_cat_name(enum hw_cat c) { return c < HW_NCAT ? cat_names[c] : "?"; }

void hw_config_default(struct hw_config *c)
{
	memset(c, 0, sizeof *c);
	c->sockets = 1;
	c->nodes_per_socket = 1;
	c->cores_per_node = 8;
	c->threads_per_core = 2;
	c->khz = 3000000;
	c->smt_factor = 0.65;
	c->memory_per_node = UINT64_C(64) << 30;
}

/* ---- progress ---- */

/* The work's rate on lp, and its NUMA slowdown there (*slow). */
static double work_rate(const struct hw_lp *lp, const struct hw_work *w, double *slow)
{
	const struct hw_host *h = lp->host;
	double smt = hw_lp_sibling_busy(lp) ? h->cfg.smt_factor : 1.0;
	*slow = hw_numa_slowdown(h, lp->node, w->mem_share, w->mem_frac);
	return (double)lp->khz * 1e-9 * smt / *slow; /* kHz = 1e3 cycles/s = 1e-9 cycles/ps */
}

/* The part of `elapsed` the work lost to remote memory (at its current slowdown). */
static void add_remote(struct hw_work *w, sim_time_t elapsed)
{
	if (w->slow > 1.0)
		w->remote_ps += (double)elapsed * (1.0 - 1.0 / w->slow);
}

double hw_work_remote_ps(const struct hw_work *w, sim_time_t now)
{
	if (!w->lp || w->slow <= 1.0)
		return w->remote_ps;
	return w->remote_ps + (double)(now - w->since) * (1.0 - 1.0 / w->slow);
}

/* Subtracts the work done since the last settle. */
static void settle(struct hw_lp *lp, struct hw_work *w)
{
	sim_time_t now = sim_now(lp->ent.sim);
	add_remote(w, now - w->since);
	w->cycles -= w->rate * (double)(now - w->since);
	if (w->cycles < 0)
		w->cycles = 0;
	w->since = now;
}

static void arm_done(struct hw_lp *lp, struct hw_work *w)
{
	struct sim *sim = lp->ent.sim;
	sim_time_t now = sim_now(sim);
	double dt = ceil(w->cycles / w->rate);
	sim_time_t room = SIM_TIME_MAX - 1 - now;
	sim_timer_arm(sim, &lp->done_timer, now + (dt >= (double)room ? room : (sim_time_t)dt));
}

/* The rate of lp's work may have changed: settle at the old rate, re-arm at the new one. */
static void rerate(struct hw_lp *lp)
{
	struct hw_work *w = lp->work;
	if (!w)
		return;
	double slow, r = work_rate(lp, w, &slow);
	if (r == w->rate)
		return;
	settle(lp, w); /* at the old rate and slowdown */
	w->rate = r;
	w->slow = slow;
	arm_done(lp, w);
}

void hw_lp_run(struct hw_lp *lp, struct hw_work *w)
{
	SIM_ASSERT(lp->ent.sim, lp->work == NULL && w->lp == NULL);
	lp->work = w;
	w->lp = lp;
	w->since = sim_now(lp->ent.sim);
	w->rate = work_rate(lp, w, &w->slow);
	arm_done(lp, w);
}

struct hw_work *hw_lp_stop(struct hw_lp *lp)
{
	struct hw_work *w = lp->work;
	if (!w)
		return NULL;
	settle(lp, w);
	sim_timer_cancel(lp->ent.sim, &lp->done_timer);
	lp->work = NULL;
	w->lp = NULL;
	return w;
}

static void lp_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)p;
	struct hw_lp *lp = sim_container_of(ent, struct hw_lp, ent);
	SIM_ASSERT(ent->sim, kind == HW_EV_WORK_DONE && lp->work);
	struct hw_work *w = lp->work;
	add_remote(w, sim_now(ent->sim) - w->since);
	w->cycles = 0;
	lp->work = NULL;
	w->lp = NULL;
	w->ops->done(w);
}

static void lp_dump(const struct sim_entity *ent, FILE *out)
{
	const struct hw_lp *lp = sim_container_of(ent, struct hw_lp, ent);
	fprintf(out, "  lp %u core %u node %u: %s since %llu ps, work %s\n", lp->id, lp->core, lp->node,
		hw_cat_name(lp->cat), (unsigned long long)lp->cat_since, lp->work ? "attached" : "none");
}

static const struct sim_entity_ops lp_ops = {
	.kind = "hw-lp",
	.event = lp_event,
	.dump = lp_dump,
};

/* ---- accounting ---- */

bool hw_lp_sibling_busy(const struct hw_lp *lp)
{
	const struct hw_lp *t = &lp->host->lps[lp->first_thread];
	for (uint32_t i = 0; i < lp->nthreads; i++)
		if (&t[i] != lp && t[i].cat != HW_CAT_IDLE)
			return true;
	return false;
}

void hw_lp_set_cat(struct hw_lp *lp, enum hw_cat c)
{
	if (lp->cat == c)
		return;
	sim_time_t now = sim_now(lp->ent.sim);
	bool was_busy = lp->cat != HW_CAT_IDLE;
	lp->acc[lp->cat] += now - lp->cat_since;
	lp->cat = c;
	lp->cat_since = now;
	if (was_busy != (c != HW_CAT_IDLE)) {
		struct hw_lp *t = &lp->host->lps[lp->first_thread];
		for (uint32_t i = 0; i < lp->nthreads; i++)
			if (&t[i] != lp)
				rerate(&t[i]);
	}
}

sim_time_t hw_lp_time(const struct hw_lp *lp, enum hw_cat c)
{
	sim_time_t t = lp->acc[c];
	if (lp->cat == c)
		t += sim_now(lp->ent.sim) - lp->cat_since;
	return t;
}

static void reset_accounting(struct sim_reset_hook *hook, sim_time_t now)
{
	struct hw_host *h = sim_container_of(hook, struct hw_host, reset_hook);
	for (uint32_t i = 0; i < h->nlps; i++) {
		memset(h->lps[i].acc, 0, sizeof h->lps[i].acc);
		h->lps[i].cat_since = now;
	}
	h->window_start = now;
}

sim_time_t hw_window_start(const struct hw_host *h) { return h->window_start; }

/* ---- topology ---- */

double hw_numa_slowdown(const struct hw_host *h, uint32_t node, double mem_share, const double *frac)
{
	if (mem_share <= 0)
		return 1.0;
	double d;
	if (!frac) {
		d = h->distance[node * h->nnodes + node];
	} else {
		d = 0;
		for (uint32_t k = 0; k < h->nnodes; k++)
			d += frac[k] * h->distance[node * h->nnodes + k];
	}
	return (1.0 - mem_share) + mem_share * d / 10.0;
}

#define HW_ERROR (g_quark_from_static_string("hw-config-error"))

#define check(ok, error, ...) sim_check((ok), (error), HW_ERROR, __VA_ARGS__)

struct hw_host *hw_host_new(struct sim *sim, const struct hw_config *cfg, GError **error)
{
	/* the products are checked: four 32-bit factors can wrap a 64-bit product */
	uint64_t nnodes = UINT64_MAX, ncores = UINT64_MAX, nlps = UINT64_MAX;
	bool sane = !__builtin_mul_overflow((uint64_t)cfg->sockets, (uint64_t)cfg->nodes_per_socket, &nnodes) &&
		    !__builtin_mul_overflow(nnodes, (uint64_t)cfg->cores_per_node, &ncores) &&
		    !__builtin_mul_overflow(ncores, (uint64_t)cfg->threads_per_core, &nlps);
	char nlps_text[32] = "too many";
	if (sane)
		snprintf(nlps_text, sizeof nlps_text, "%llu", (unsigned long long)nlps);

	if (!check(cfg->sockets >= 1 && cfg->nodes_per_socket >= 1 && cfg->cores_per_node >= 1 && cfg->threads_per_core >= 1,
		   error, "host: sockets, numa_nodes_per_socket, cores_per_node and threads_per_core must be at least 1") ||
	    !check(sane && nlps <= HW_MAX_LPS, error,
		   "host: sockets x numa_nodes_per_socket x cores_per_node x threads_per_core = %s logical "
		   "processors, at most %d supported", nlps_text,
		   HW_MAX_LPS) ||
	    !check(nnodes <= HW_MAX_NODES, error, "host: sockets x numa_nodes_per_socket = %llu NUMA nodes, at most %d "
		   "supported", (unsigned long long)nnodes, HW_MAX_NODES) ||
	    !check(cfg->khz >= 1000 && cfg->khz <= 100000000, error, "host: frequency %llu kHz outside 1 MHz .. 100 GHz",
		   (unsigned long long)cfg->khz) ||
	    !check(cfg->smt_factor > 0 && cfg->smt_factor <= 1, error, "host: smt_factor %g outside (0, 1]", cfg->smt_factor) ||
	    !check(cfg->memory_per_node >= (UINT64_C(1) << 20), error, "host: memory_per_node %llu bytes, at least 1 MiB",
		   (unsigned long long)cfg->memory_per_node))
		return NULL;
	if (cfg->distance) {
		for (uint64_t i = 0; i < nnodes; i++)
			for (uint64_t j = 0; j < nnodes; j++) {
				uint32_t d = cfg->distance[i * nnodes + j];
				if (!check(i == j ? d == 10 : d > 10 && d <= 254, error,
					   "host: numa_distance[%llu][%llu] = %u: distances are ACPI SLIT values, 10 on "
					   "the diagonal and 11..254 elsewhere",
					   (unsigned long long)i, (unsigned long long)j, d))
					return NULL;
			}
	}
	if (cfg->lp_khz)
		for (uint64_t i = 0; i < nlps; i++)
			if (!check(cfg->lp_khz[i] >= 1000 && cfg->lp_khz[i] <= 100000000, error,
				   "host: lp %llu frequency %llu kHz outside 1 MHz .. 100 GHz", (unsigned long long)i,
				   (unsigned long long)cfg->lp_khz[i]))
				return NULL;

	struct hw_host *h = g_new0(struct hw_host, 1);
	h->sim = sim;
	h->cfg = *cfg;
	h->cfg.distance = NULL;
	h->cfg.lp_khz = NULL;
	h->nnodes = (uint32_t)nnodes;
	h->ncores = (uint32_t)ncores;
	h->nlps = (uint32_t)nlps;
	h->distance = g_new(uint32_t, nnodes * nnodes);
	for (uint32_t i = 0; i < nnodes; i++)
		for (uint32_t j = 0; j < nnodes; j++)
			h->distance[i * nnodes + j] = cfg->distance ? cfg->distance[i * nnodes + j] : (i == j ? 10 : 20);

	h->lps = g_new0(struct hw_lp, nlps);
	for (uint32_t i = 0; i < nlps; i++) {
		struct hw_lp *lp = &h->lps[i];
		lp->host = h;
		lp->id = i;
		lp->core = i / cfg->threads_per_core;
		lp->node = lp->core / cfg->cores_per_node;
		lp->socket = lp->node / cfg->nodes_per_socket;
		lp->first_thread = lp->core * cfg->threads_per_core;
		lp->nthreads = cfg->threads_per_core;
		lp->khz = cfg->lp_khz ? cfg->lp_khz[i] : cfg->khz;
		lp->cat = HW_CAT_IDLE;
		lp->cat_since = sim_now(sim);
		snprintf(lp->name, sizeof lp->name, "lp:%u", i);
		sim_entity_add(sim, &lp->ent, &lp_ops, lp->name);
		sim_timer_init(&lp->done_timer, &lp->ent, HW_EV_WORK_DONE);
	}
	h->window_start = sim_now(sim);
	h->reset_hook.reset = reset_accounting;
	sim_track_reset(sim, &h->reset_hook);
	return h;
}

void hw_host_free(struct hw_host *h)
{
	if (!h)
		return;
	g_free(h->lps);
	g_free(h->distance);
	g_free(h);
}

uint32_t hw_nlps(const struct hw_host *h) { return h->nlps; }
uint32_t hw_ncores(const struct hw_host *h) { return h->ncores; }
uint32_t hw_nnodes(const struct hw_host *h) { return h->nnodes; }
struct hw_lp *hw_lp_at(const struct hw_host *h, uint32_t id) { return &h->lps[id]; }
uint32_t hw_distance(const struct hw_host *h, uint32_t from, uint32_t to) { return h->distance[from * h->nnodes + to]; }
uint64_t hw_memory_per_node(const struct hw_host *h) { return h->cfg.memory_per_node; }
double hw_smt_factor(const struct hw_host *h) { return h->cfg.smt_factor; }
struct sim *hw_sim(const struct hw_host *h) { return h->sim; }
