/* SPDX-License-Identifier: MIT */
/*
 * memory.c - dynamic memory in the guest: Linux's hv_balloon driver (REFERENCE 6; docs/memory.md).
 * Role: the pressure reporter (a timer: the first report pressure_report_delay after boot, then one
 *       every second) tells the host the kernel's demand: its base memory plus its workloads'
 *       working sets (gos_add_working_set). Hot-added memory arrives with memory_changed; a balloon
 *       request raises the DM channel's interrupt on vCPU 0, whose handler runs the balloon
 *       driver's work (balloon_ns_per_2mib per 2 MiB unit) and, when that is done, gives the
 *       memory back (vhw_memory_balloon_done). Nothing here runs without dynamic memory.
 * Paging: once a workload declared a working set, the shortfall f = (demand - assigned) / demand
 *       turns compute into major faults: page_touch_rate pages per ms of compute, each missing
 *       with probability f, counted in expectation per task (a fractional carry, no RNG). Each
 *       fault costs page_fault (kernel work) and a page read from the swap device (gos_set_swap)
 *       or, without one, a swap_latency sleep; task.c runs them before the compute op.
 * Working sets change: a workload's share of the demand may follow a schedule of steps (its
 *       `working_set` as a list; one timer entity per schedule) or be changed by the workload
 *       itself (rt-app phases, gos_change_working_set); the demand, the reports and the paging
 *       shortfall read the current sum.
 * Simplification: every task of the kernel pages alike (not only the working set's owner);
 *       resident memory is a number, no page is tracked.
 */
#include <math.h>

#include "models/guestos/gos-int.h"

#define REPORT_PERIOD SIM_PS_PER_S   /* "post information on the memory pressure every second" [S] */
#define UNIT (UINT64_C(2) << 20)    /* PAGES_IN_2M */

enum { MEM_EV_REPORT = 1, MEM_EV_WS_STEP };

/* A workload's working set that follows steps in time (gos_working_set_schedule). */
struct ws_schedule {
	struct sim_entity ent;      /* "vm:NAME/wset:I": the next step's timer */
	sim_timer_t timer;
	struct gos_kernel *k;
	char *name;
	struct gos_ws_step *steps;  /* copied, in increasing time order */
	uint32_t nsteps, next;      /* next: the step the timer waits for */
	uint64_t current;           /* bytes it adds to the demand now */
};

static uint64_t demand_of(const struct gos_kernel *k) { return k->cfg.memory.base + k->mem.working_sets; }

static void notify(struct gos_kernel *k)
{
	if (k->mem.on_change)
		k->mem.on_change(k->mem.on_change_arg, gos_now(k), k->mem.assigned, demand_of(k));
}

static void report_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)kind, (void)pl;
	struct gos_kernel *k = sim_container_of(ent, struct gos_kernel, mem.ent);
	vhw_memory_report(gos_cpu_at(k, 0)->cpu, demand_of(k));
	sim_timer_arm_in(k->sim, &k->mem.timer, REPORT_PERIOD);
}

static const struct sim_entity_ops report_ops = {.kind = "gos-balloon", .event = report_event};

/* After the balloon work on vCPU 0: the pages go back to the host. */
static void balloon_done(struct gos_kernel *k, uint32_t cpu, void *arg)
{
	(void)arg;
	uint64_t bytes = k->mem.balloon_working;
	k->mem.balloon_working = 0;
	vhw_memory_balloon_done(gos_cpu_at(k, cpu)->cpu, bytes);
}

/* The DM channel's interrupt on vCPU 0: inflate the balloon by what the host asked. */
static void balloon_irq(struct gos_kernel *k, uint32_t cpu, void *arg)
{
	(void)arg;
	if (!k->mem.balloon_asked || k->mem.balloon_working)
		return;
	uint64_t bytes = k->mem.balloon_asked;
	k->mem.balloon_asked = 0;
	k->mem.balloon_working = bytes;
	double cycles = (double)(bytes / UNIT) * (double)k->cfg.memory.balloon_ns_per_2mib *
			(double)vhw_khz(gos_cpu_at(k, cpu)->cpu) / 1e6;
	gos_irq_work(k, cpu, cycles);
	gos_irq_defer(k, cpu, balloon_done, NULL);
}

void gos_mem_changed(void *kernel, uint64_t assigned)
{
	struct gos_kernel *k = kernel;
	k->mem.assigned = assigned;
	notify(k);
}

void gos_mem_balloon(void *kernel, uint64_t bytes)
{
	struct gos_kernel *k = kernel;
	k->mem.balloon_asked += bytes;
	vhw_raise(gos_cpu_at(k, 0)->cpu, k->mem.vector);
}

void gos_mem_init(struct gos_kernel *k, const struct hv_partition_config *part)
{
	k->mem.assigned = part->memory;
	k->mem.enabled = part->dynamic_memory.enabled;
	if (!k->mem.enabled)
		return;
	k->mem.vector = gos_irq_register_any(k, balloon_irq, NULL);
	g_assert(k->mem.vector != 0); /* the first driver to register: vectors are free */
	k->mem.name = g_strdup_printf("%s/balloon", k->name);
	sim_entity_add(k->sim, &k->mem.ent, &report_ops, k->mem.name);
	sim_timer_init(&k->mem.timer, &k->mem.ent, MEM_EV_REPORT);
	sim_timer_arm(k->sim, &k->mem.timer, sim_now(k->sim) + k->cfg.memory.report_delay);
}

void gos_mem_fini(struct gos_kernel *k)
{
	g_free(k->mem.name);
	for (guint i = 0; k->mem.schedules && i < k->mem.schedules->len; i++) {
		struct ws_schedule *ws = k->mem.schedules->pdata[i];
		g_free(ws->steps);
		g_free(ws->name);
		g_free(ws);
	}
	if (k->mem.schedules)
		g_ptr_array_free(k->mem.schedules, TRUE);
}

void gos_memory(const struct gos_kernel *k, uint64_t *assigned, uint64_t *demand)
{
	*assigned = k->mem.assigned;
	*demand = demand_of(k);
}

void gos_add_working_set(struct gos_kernel *k, uint64_t bytes) { gos_change_working_set(k, 0, bytes); }

void gos_change_working_set(struct gos_kernel *k, uint64_t from, uint64_t to)
{
	SIM_ASSERT(k->sim, k->mem.working_sets >= from);
	k->mem.declared = true;
	if (from == to)
		return;
	k->mem.working_sets = k->mem.working_sets - from + to;
	notify(k);
}

/* Applies every step due by now, then waits for the next one. */
static void ws_apply_due(struct ws_schedule *ws)
{
	sim_time_t now = sim_now(ws->k->sim);
	uint64_t size = ws->current;
	while (ws->next < ws->nsteps && ws->steps[ws->next].at <= now)
		size = ws->steps[ws->next++].size;
	gos_change_working_set(ws->k, ws->current, size);
	ws->current = size;
	if (ws->next < ws->nsteps)
		sim_timer_arm(ws->k->sim, &ws->timer, ws->steps[ws->next].at);
}

static void ws_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)kind, (void)pl;
	ws_apply_due(sim_container_of(ent, struct ws_schedule, ent));
}

static const struct sim_entity_ops ws_ops = {.kind = "gos-working-set", .event = ws_event};

void gos_working_set_schedule(struct gos_kernel *k, const struct gos_ws_step *steps, uint32_t n)
{
	g_return_if_fail(n > 0);
	for (uint32_t i = 1; i < n; i++)
		g_return_if_fail(steps[i].at > steps[i - 1].at);
	if (!k->mem.schedules)
		k->mem.schedules = g_ptr_array_new();
	struct ws_schedule *ws = g_new0(struct ws_schedule, 1);
	ws->k = k;
	ws->steps = g_memdup2(steps, n * sizeof *steps);
	ws->nsteps = n;
	ws->name = g_strdup_printf("%s/wset:%u", k->name, k->mem.schedules->len);
	g_ptr_array_add(k->mem.schedules, ws);
	sim_entity_add(k->sim, &ws->ent, &ws_ops, ws->name);
	sim_timer_init(&ws->timer, &ws->ent, MEM_EV_WS_STEP);
	ws_apply_due(ws); /* the steps due at creation (at 0) apply now: the first report sees them */
}

void gos_memory_on_change(struct gos_kernel *k, void (*fn)(void *arg, sim_time_t t, uint64_t assigned, uint64_t demand),
			  void *arg)
{
	k->mem.on_change = fn;
	k->mem.on_change_arg = arg;
}

/* ---- paging (docs/memory.md "Paging") ---- */

void gos_set_swap(struct gos_kernel *k, void (*fill_op)(void *ctx, struct gos_task *t, struct gos_op *op), void *ctx)
{
	k->mem.swap_fill = fill_op;
	k->mem.swap_ctx = ctx;
}

bool gos_paging_possible(const struct gos_kernel *k) { return k->mem.declared; }

void gos_paging_stats(const struct gos_kernel *k, struct gos_paging_stats *out)
{
	out->page_faults = k->mem.faults;
	out->paging_bytes = k->mem.faults * GOS_PAGE_BYTES;
}

uint32_t gos_mem_faults_due(struct gos_task *t, const struct gos_cpu *c)
{
	struct gos_kernel *k = t->k;
	/* no working set declared: nothing pages (results without one stay as they were) */
	if (!k->mem.working_sets || !k->cfg.memory.page_touch_rate)
		return 0;
	uint64_t demand = demand_of(k);
	if (demand <= k->mem.assigned)
		return 0;
	double f = (double)(demand - k->mem.assigned) / (double)demand;
	double ms = (double)(t->op.cycles ? t->op.cycles : 1) / (double)vhw_khz(c->cpu);
	t->pf_carry += ms * (double)k->cfg.memory.page_touch_rate * f;
	double n = floor(t->pf_carry);
	t->pf_carry -= n;
	return (uint32_t)n;
}

void gos_mem_fault_op(struct gos_task *t, struct gos_op *op)
{
	struct gos_kernel *k = t->k;
	k->mem.faults++;
	if (k->mem.swap_fill)
		k->mem.swap_fill(k->mem.swap_ctx, t, op);
	else
		*op = (struct gos_op){.kind = GOS_OP_SLEEP, .duration = k->cfg.memory.swap_latency};
}
