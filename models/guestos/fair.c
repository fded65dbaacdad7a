/* SPDX-License-Identifier: MIT */
/*
 * fair.c - the guest's fair scheduler: per-vCPU runqueues ordered by vruntime, nice weights, a
 *          base slice checked at the tick, wakeup placement and wakeup preemption.
 * Model (docs/guestos.md "Scheduler"): a task's vruntime advances by its guest-clock run time x
 *   1024 / weight (Linux's sched_prio_to_weight); the vCPU runs the queued task with the least
 *   vruntime. At each tick, a task that has run its base slice (EEVDF's 0.7 ms x (1 + log2
 *   min(vCPUs, 8))) is rescheduled if others are queued (CFS's check_preempt_tick). A waking task is placed on its
 *   previous vCPU if that is idle, else on an idle vCPU of the same node, else on its previous
 *   vCPU; it gets at most half of CFS's latency of sleeper credit and preempts the current task
 *   when it is behind by more than the wakeup granularity. Moving a task keeps its lag relative
 *   to the runqueues' min_vruntime (CFS's normalisation).
 * Simplifies: no EEVDF eligibility/deadlines, no PELT load (balance.c counts tasks), no group
 *   scheduling, no real-time classes; the tick, not an hrtick, ends slices.
 */
#include "models/guestos/gos-int.h"

/* Linux kernel/sched/core.c sched_prio_to_weight: nice -20..19. */
static const uint32_t prio_to_weight[40] = {
	88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
	3906,  3121,  2501,  1991,  1586,  1277,  1024,  820,   655,   526,   423,   335,  272,  215,
	172,   137,   110,   87,    70,    56,    45,    36,    29,    23,    18,    15,
};

uint32_t gos_nice_weight(int nice)
{
	if (nice < -20)
		nice = -20;
	if (nice > 19)
		nice = 19;
	return prio_to_weight[nice + 20];
}

bool gos_task_allowed(const struct gos_task *t, uint32_t cpu)
{
	if (!t->allowed)
		return true;
	return cpu < t->nallowed_bits && (t->allowed[cpu / 64] >> (cpu % 64) & 1);
}

static uint64_t weighted(const struct gos_task *t, sim_time_t d)
{
	return (uint64_t)(((unsigned __int128)d * GOS_NICE_0_WEIGHT) / t->weight);
}

static void update_min_vruntime(struct gos_cpu *c)
{
	uint64_t m = c->curr ? c->curr->vruntime : UINT64_MAX;
	struct sim_pq_node *h = sim_pq_head(&c->rq);
	if (h && h->k0 < m)
		m = h->k0;
	if (m != UINT64_MAX && m > c->min_vruntime)
		c->min_vruntime = m;
}

/* The guest clock: wall time minus the steal the hypervisor publishes; charged to curr. */
void gos_update_clock(struct gos_cpu *c)
{
	sim_time_t now = gos_now(c->k), wall = now - c->clock_at, steal, dv = 0;
	c->clock_at = now;
	if (vhw_steal_clock(c->cpu, &steal)) {
		dv = steal - c->steal_seen;
		c->steal_seen = steal;
	}
	sim_time_t exec = wall > dv ? wall - dv : 0;
	struct gos_task *t = c->curr;
	if (t && exec > 0) {
		t->slice_exec += exec;
		t->vruntime += weighted(t, exec);
	}
	update_min_vruntime(c);
}

void gos_enqueue(struct gos_cpu *c, struct gos_task *t)
{
	t->rq_node.k0 = t->vruntime;
	t->rq_node.k1 = 0;
	t->rq_node.id = t->id;
	sim_pq_push(&c->rq, &t->rq_node);
	t->state = GOS_T_RUNNABLE;
	t->cpu = c;
	t->queued_since = gos_now(c->k);
}

void gos_dequeue(struct gos_cpu *c, struct gos_task *t)
{
	sim_pq_remove(&c->rq, &t->rq_node);
	t->st.wait += gos_now(c->k) - t->queued_since;
}

/* vruntime keeps its distance to min_vruntime when the task changes runqueue. */
static uint64_t renormalise(uint64_t v, uint64_t from_min, uint64_t to_min)
{
	if (v >= from_min)
		return to_min + (v - from_min);
	uint64_t behind = from_min - v;
	return behind > to_min ? 0 : to_min - behind;
}

static void migrated(struct gos_task *t, struct gos_cpu *dst)
{
	t->st.migrations++;
	dst->st.migrations_in++;
	double pen = gos_cost_cycles(dst, GOS_COST_MIGRATION);
	if (t->phase == GOS_PH_COMPUTE)
		t->work.cycles += pen;
	else
		t->penalty += pen;
}

static void check_preempt_wakeup(struct gos_cpu *c, struct gos_task *t)
{
	if (!c->curr) {
		gos_resched(c);
		return;
	}
	gos_update_clock(c);
	if (c->curr->vruntime > t->vruntime + weighted(t, c->k->wakeup_gran))
		gos_resched(c);
}

static bool cpu_idle(const struct gos_cpu *c) { return !c->curr && sim_pq_len(&c->rq) == 0; }

/* A vCPU's load for placement: its tasks, weighed down when paravirt (capacity method). */
static uint32_t load_of(const struct gos_cpu *c) { return gos_nr_running(c) * gos_pv_load_scale(c); }

static struct gos_cpu *least_loaded(const struct gos_kernel *k, const struct gos_task *t)
{
	struct gos_cpu *best = NULL;
	for (guint i = 0; i < k->cpus->len; i++) {
		struct gos_cpu *c = k->cpus->pdata[i];
		if (gos_pv_placeable(t, c) && (!best || load_of(c) < load_of(best)))
			best = c;
	}
	return best;
}

/* select_task_rq_fair, simplified: previous vCPU if idle, an idle one of its node, or previous. */
static struct gos_cpu *select_cpu(const struct gos_task *t)
{
	const struct gos_kernel *k = t->k;
	struct gos_cpu *prev = t->cpu;
	if (!prev)
		return least_loaded(k, t);
	bool prev_ok = gos_pv_placeable(t, prev);
	if (prev_ok && cpu_idle(prev) && gos_pv_idle_candidate(prev))
		return prev;
	uint32_t n = k->cpus->len;
	for (uint32_t i = 1; i < n; i++) {
		struct gos_cpu *c = gos_cpu_at(k, (prev->index + i) % n);
		if (c->node == prev->node && gos_pv_placeable(t, c) && cpu_idle(c) && gos_pv_idle_candidate(c))
			return c;
	}
	return prev_ok && gos_pv_idle_candidate(prev) ? prev : least_loaded(k, t);
}

void gos_activate(struct gos_task *t)
{
	struct gos_kernel *k = t->k;
	bool fresh = t->state == GOS_T_NEW;
	/* a new task starts where its configuration put it, if anywhere */
	struct gos_cpu *dst = fresh && t->cpu && gos_pv_placeable(t, t->cpu) ? t->cpu : select_cpu(t);
	SIM_ASSERT(k->sim, dst != NULL);
	gos_update_clock(dst);
	if (fresh) {
		t->vruntime = dst->min_vruntime;
	} else {
		if (dst != t->cpu) {
			t->vruntime = renormalise(t->vruntime, t->cpu->min_vruntime, dst->min_vruntime);
			migrated(t, dst);
		}
		uint64_t credit = k->sleeper_credit, floor = dst->min_vruntime > credit ? dst->min_vruntime - credit : 0;
		if (t->vruntime < floor)
			t->vruntime = floor;
	}
	gos_enqueue(dst, t);
	check_preempt_wakeup(dst, t);
}

void gos_move_task(struct gos_task *t, struct gos_cpu *dst)
{
	struct gos_cpu *src = t->cpu;
	gos_dequeue(src, t);
	gos_update_clock(src);
	gos_update_clock(dst);
	t->vruntime = renormalise(t->vruntime, src->min_vruntime, dst->min_vruntime);
	migrated(t, dst);
	gos_enqueue(dst, t);
	check_preempt_wakeup(dst, t);
}

void gos_check_preempt_tick(struct gos_cpu *c)
{
	struct gos_task *t = c->curr;
	if (t && sim_pq_len(&c->rq) > 0 && t->slice_exec >= c->k->base_slice)
		gos_resched(c); /* slice used up: the pick decides who runs (it may be t again) */
}

void gos_yield(struct gos_cpu *c)
{
	struct gos_task *t = c->curr;
	struct sim_pq_node *h = sim_pq_head(&c->rq);
	if (!t || !h)
		return;
	gos_update_clock(c);
	if (t->vruntime <= h->k0)
		t->vruntime = h->k0 + 1; /* behind the next one */
	gos_resched(c);
}

void gos_schedule(struct gos_cpu *c)
{
	struct gos_kernel *k = c->k;
	gos_update_clock(c);
	c->need_resched = false;
	struct gos_task *prev = c->curr, *next = NULL;
	bool prev_runnable = prev && prev->state == GOS_T_RUNNING;
	if (prev_runnable)
		gos_enqueue(c, prev);
	gos_pv_push_prev(c, prev, prev_runnable); /* a stopper's push: prev goes to a vCPU in use */
	if (sim_pq_len(&c->rq) == 0)
		gos_balance_newidle(c);
	struct sim_pq_node *h = sim_pq_head(&c->rq);
	if (h) {
		next = sim_container_of(h, struct gos_task, rq_node);
		gos_dequeue(c, next);
		next->state = GOS_T_RUNNING;
	}
	if (next == prev) {
		if (next)
			next->slice_exec = 0;
		return;
	}
	sim_time_t now = gos_now(k);
	c->st.context_switches++;
	if (prev) {
		gos_account_curr_out(c, prev);
		prev->last_ran = now;
		prev->last_ran_valid = true;
		if (prev_runnable)
			prev->st.involuntary_switches++;
		else
			prev->st.voluntary_switches++;
	}
	c->curr = next;
	if (next) {
		gos_leave_idle(c);
		next->slice_exec = 0;
		next->cpu = c;
		gos_account_curr_in(c, next);
		gos_kwork_add(c, GOS_COST_CONTEXT_SWITCH);
	}
	update_min_vruntime(c);
	gos_trace_cpu(c);
}
