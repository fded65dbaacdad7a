/* SPDX-License-Identifier: MIT */
/*
 * balance.c - the guest's load balancer: scheduling domains as the guest sees its topology (SMT
 *             siblings, a node, all nodes), periodic balancing at the tick, newly-idle balancing,
 *             and nohz idle balancing (a busy vCPU's tick kicks one idle vCPU, which balances
 *             for every tickless idle vCPU).
 * Model (docs/guestos.md "Load balancing"): at each level the vCPU compares its group with the
 *   busiest other group in the level's span (tasks per vCPU), takes the busiest vCPU of that group
 *   and pulls half the difference in task count, skipping tasks that ran within migration_cost
 *   (cache hot) unless balancing failed twice in a row (cache_nice_tries = 1). A level is
 *   balanced every span-weight milliseconds (at least a tick), times busy_factor when the vCPU is
 *   busy, as Linux's sd->balance_interval.
 * Simplifies: counts tasks instead of PELT load and capacity; no active balancing of a running
 *   task, no misfit or asymmetric capacity, no NUMA balancing of memory.
 */
#include "models/guestos/gos-int.h"

static uint32_t cpus_in_node(const struct gos_kernel *k, uint32_t node)
{
	uint32_t n = 0;
	for (guint i = 0; i < k->cpus->len; i++)
		n += gos_cpu_at(k, i)->node == node;
	return n;
}

/* The levels that have more than one group in them, lowest first (again after a hot-add). */
void gos_domains_init(struct gos_kernel *k)
{
	const struct gos_config *cfg = &k->cfg;
	uint32_t biggest = 0, nodes = 0;
	for (uint32_t n = 0; n < cfg->numa_nodes; n++) {
		uint32_t c = cpus_in_node(k, n);
		biggest = c > biggest ? c : biggest;
		nodes += c > 0;
	}
	k->nlevels = 0;
	if (cfg->threads_per_core > 1)
		k->level_kind[k->nlevels++] = GOS_LVL_SMT;
	if (biggest > cfg->threads_per_core)
		k->level_kind[k->nlevels++] = GOS_LVL_MC;
	if (nodes > 1)
		k->level_kind[k->nlevels++] = GOS_LVL_NUMA;
}

static bool in_span(uint32_t kind, const struct gos_cpu *a, const struct gos_cpu *b)
{
	switch (kind) {
	case GOS_LVL_SMT:
		return a->core == b->core;
	case GOS_LVL_MC:
		return a->node == b->node;
	default:
		return true;
	}
}

/* The group of c inside a level's span: a vCPU, a core, a node. */
static uint32_t group_of(uint32_t kind, const struct gos_cpu *c)
{
	switch (kind) {
	case GOS_LVL_SMT:
		return c->index;
	case GOS_LVL_MC:
		return c->core;
	default:
		return c->node;
	}
}

static uint32_t span_weight(const struct gos_kernel *k, uint32_t kind, const struct gos_cpu *c)
{
	switch (kind) {
	case GOS_LVL_SMT:
		return k->cfg.threads_per_core;
	case GOS_LVL_MC:
		return cpus_in_node(k, c->node);
	default:
		return k->cpus->len;
	}
}

static sim_time_t interval(const struct gos_kernel *k, uint32_t kind, const struct gos_cpu *c, bool busy)
{
	sim_time_t i = span_weight(k, kind, c) * SIM_PS_PER_MS * (busy ? k->cfg.busy_factor : 1);
	return i < k->tick_period ? k->tick_period : i;
}

static bool task_hot(const struct gos_kernel *k, const struct gos_task *t)
{
	return t->last_ran_valid && gos_now(k) - t->last_ran < k->cfg.migration_cost;
}

/* Sums tasks and vCPUs of group g at this level (inside dst's span). */
static void group_load(const struct gos_kernel *k, uint32_t kind, const struct gos_cpu *dst, uint32_t g,
		       uint64_t *tasks, uint64_t *size)
{
	*tasks = *size = 0;
	for (guint i = 0; i < k->cpus->len; i++) {
		const struct gos_cpu *c = k->cpus->pdata[i];
		if (in_span(kind, dst, c) && group_of(kind, c) == g) {
			*tasks += gos_nr_running(c) * gos_pv_load_scale(c);
			*size += 1;
		}
	}
}

/* One balancing pass of dst at a level; returns the tasks pulled. */
static uint32_t load_balance(struct gos_cpu *dst, uint32_t level)
{
	struct gos_kernel *k = dst->k;
	uint32_t kind = k->level_kind[level];
	if (gos_pv_refuses_pull(dst))
		return 0; /* a paravirt vCPU never pulls */
	dst->st.balances++;
	uint32_t pv = gos_pv_pull(dst, level);
	if (pv)
		return pv;
	uint32_t local = group_of(kind, dst);
	uint64_t lt, ls;
	group_load(k, kind, dst, local, &lt, &ls);
	/* the busiest other group: most tasks per vCPU, the lowest group number on ties */
	int64_t busiest = -1;
	uint64_t bt = 0, bs = 1;
	for (guint i = 0; i < k->cpus->len; i++) {
		const struct gos_cpu *c = k->cpus->pdata[i];
		uint32_t g = group_of(kind, c);
		if (!in_span(kind, dst, c) || g == local || (int64_t)g == busiest)
			continue;
		uint64_t t, s;
		group_load(k, kind, dst, g, &t, &s);
		if (t * bs > bt * s || (busiest < 0 && t > 0)) {
			busiest = g;
			bt = t;
			bs = s;
		}
	}
	if (busiest < 0 || bt * ls <= lt * bs)
		return 0; /* this group is at least as loaded */
	struct gos_cpu *src = NULL;
	for (guint i = 0; i < k->cpus->len; i++) {
		struct gos_cpu *c = k->cpus->pdata[i];
		if (in_span(kind, dst, c) && (int64_t)group_of(kind, c) == busiest &&
		    (!src || gos_nr_running(c) > gos_nr_running(src)))
			src = c;
	}
	uint32_t sn = gos_nr_running(src) * gos_pv_load_scale(src), dn = gos_nr_running(dst) * gos_pv_load_scale(dst);
	if (sn < dn + 2)
		return 0;
	uint32_t want = (sn - dn) / 2, moved = 0;
	bool skipped_hot = false;
	bool may_take_hot = dst->balance_failed[level] > 1;
	/* candidates first (moving reorders the heap), in heap order: deterministic */
	GPtrArray *cand = k->scratch;
	g_ptr_array_set_size(cand, 0);
	for (uint32_t i = 0; i < sim_pq_len(&src->rq); i++) {
		struct gos_task *t = sim_container_of(sim_pq_at(&src->rq, i), struct gos_task, rq_node);
		if (!gos_task_allowed(t, dst->index))
			continue;
		if (!may_take_hot && task_hot(k, t)) {
			skipped_hot = true;
			continue;
		}
		g_ptr_array_add(cand, t);
	}
	for (guint i = cand->len; i > 0 && moved < want; i--) {
		gos_move_task(cand->pdata[i - 1], dst);
		moved++;
	}
	if (moved)
		dst->balance_failed[level] = 0;
	else if (skipped_hot)
		dst->balance_failed[level]++;
	dst->st.balance_pulls += moved;
	return moved;
}

static void balance_due_levels(struct gos_cpu *c)
{
	struct gos_kernel *k = c->k;
	sim_time_t now = gos_now(k);
	for (uint32_t l = 0; l < k->nlevels; l++) {
		if (now < c->next_balance[l])
			continue;
		c->next_balance[l] = now + interval(k, k->level_kind[l], c, !c->is_idle);
		load_balance(c, l);
	}
}

void gos_balance_tick(struct gos_cpu *c)
{
	struct gos_kernel *k = c->k;
	balance_due_levels(c);
	sim_time_t now = gos_now(k);
	if (c->is_idle || gos_nr_running(c) < 2 || now < k->nohz_next || k->nlevels == 0)
		return;
	for (guint i = 0; i < k->cpus->len; i++) {
		struct gos_cpu *j = k->cpus->pdata[i];
		if (j != c && j->is_idle && j->tick_stopped && !j->nohz_kick && gos_pv_idle_candidate(j)) {
			k->nohz_next = now + interval(k, k->level_kind[0], j, false);
			j->nohz_kick = true;
			gos_send_ipi(k, j, GOS_VEC_RESCHED);
			return;
		}
	}
}

bool gos_balance_newidle(struct gos_cpu *c)
{
	for (uint32_t l = 0; l < c->k->nlevels; l++)
		if (load_balance(c, l) > 0)
			return true;
	return false;
}

void gos_balance_nohz(struct gos_cpu *c)
{
	struct gos_kernel *k = c->k;
	for (guint i = 0; i < k->cpus->len; i++) {
		struct gos_cpu *j = k->cpus->pdata[i];
		if (j->is_idle && (j == c || j->tick_stopped))
			balance_due_levels(j);
	}
}
