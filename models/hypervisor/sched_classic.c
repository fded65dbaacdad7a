/* SPDX-License-Identifier: MIT */
/*
 * sched_classic.c - the `classic` policy: Hyper-V's fair-share VP scheduler before the core
 *                   scheduler (REFERENCE 1.1-1.4).
 * What it models:
 *   - one ready queue per LP, ordered by (class, weighted run time): class 0 holds VPs still
 *     inside their reserve for the current enforcement period, class 1 the rest; weighted run
 *     time grows by run time x 100 / weight, so under contention shares follow the weights;
 *   - a quantum (timeslice, 10 ms) per dispatch, cut short at the end of a reserve or limit
 *     budget; a VP over its limit waits for the next period (vp.c);
 *   - soft affinity: a VP is queued on the LP it last ran on and another LP takes it only when
 *     it lags that LP's own candidate by more than affinity_slack; with soft affinity off every
 *     LP simply takes the VP that lags most, wherever it is queued;
 *   - NUMA: a VP running off its partition's home node counts numa_slack as extra lag, so it
 *     runs there only when the home node cannot serve it for that long; idle LPs take any ready
 *     VP they may run (idle stealing), nearest node first;
 *   - a VP becoming ready kicks an idle LP, and a VP within its reserve preempts one that is not.
 * Simplifies: a woken VP does not preempt (it waits for the next quantum boundary on a busy
 *   host); its weighted run time is raised to at most one quantum behind the host's minimum, so
 *   sleeping does not bank credit. Real Hyper-V heuristics (cache-temperature, boosts) are not
 *   public; docs/hypervisor.md lists the differences.
 */
#include "models/hypervisor/hv-int.h"

static void set_key(struct hv *hv, struct hv_vp *vp)
{
	vp->rq_class = hv_vp_reserve_deficit(hv, vp) ? 0 : 1;
	vp->rq_node.k0 = vp->rq_class;
	vp->rq_node.k1 = vp->vruntime;
}

static uint32_t lp_load(const struct hv_lp *lp) { return sim_pq_len(&lp->rq) + (lp->cur != NULL); }

/* The queue a VP waits in: where it last ran, else the least loaded LP it may use (home first). */
static struct hv_lp *queue_lp(struct hv *hv, const struct hv_vp *vp)
{
	if (vp->pinned_lp >= 0)
		return &hv->lps[vp->pinned_lp];
	if (vp->last_lp >= 0 && hv_vp_allowed(hv, vp, &hv->lps[vp->last_lp]))
		return &hv->lps[vp->last_lp];
	struct hv_lp *best = NULL;
	for (uint32_t pass = 0; pass < 2 && !best; pass++)
		for (uint32_t i = 0; i < hv->nlps; i++) {
			struct hv_lp *lp = &hv->lps[i];
			if ((pass == 0) != (lp->hw->node == vp->home_node) || !hv_vp_allowed(hv, vp, lp))
				continue;
			if (!best || lp_load(lp) < lp_load(best))
				best = lp;
		}
	SIM_ASSERT(hv->sim, best != NULL);
	return best;
}

void hv_classic_queue(struct hv *hv, struct hv_vp *vp, enum hv_why why)
{
	if (why == HV_WHY_WAKE || why == HV_WHY_START) {
		uint64_t q = hv_weighted(vp, hv->cfg.timeslice);
		uint64_t floor = hv->min_vruntime > q ? hv->min_vruntime - q : 0;
		if (vp->vruntime < floor)
			vp->vruntime = floor;
	}
	set_key(hv, vp);
	struct hv_lp *lp = queue_lp(hv, vp);
	vp->rq = &lp->rq;
	sim_pq_push(&lp->rq, &vp->rq_node);
}

void hv_classic_dequeue(struct hv *hv, struct hv_vp *vp)
{
	(void)hv;
	sim_pq_remove(vp->rq, &vp->rq_node);
	vp->rq = NULL;
}

/* A VP inside its reserve waits: preempt an LP (its queue's first) that runs a VP that is not. */
static void preempt_for_reserve(struct hv *hv, struct hv_vp *vp)
{
	struct hv_lp *q = sim_container_of(vp->rq, struct hv_lp, rq);
	for (uint32_t k = 0; k <= hv->nlps; k++) {
		struct hv_lp *lp = k == 0 ? q : &hv->lps[k - 1];
		if (k > 0 && lp == q)
			continue;
		if (lp->cur && !hv_vp_reserve_deficit(hv, lp->cur) && hv_vp_allowed(hv, vp, lp)) {
			hv_lp_kick(lp);
			return;
		}
	}
}

/* Makes sure someone will take a newly queued VP soon: an idle LP, or a reserve preemption. */
void hv_classic_wake_lp(struct hv *hv, struct hv_vp *vp)
{
	struct hv_lp *q = sim_container_of(vp->rq, struct hv_lp, rq);
	struct hv_lp *idle = hv_find_idle_lp(hv, vp, (int32_t)q->id);
	if (idle)
		hv_lp_kick(idle);
	else if (vp->rq_class == 0)
		preempt_for_reserve(hv, vp);
}

static void classic_enqueue(struct hv *hv, struct hv_vp *vp, enum hv_why why)
{
	hv_classic_queue(hv, vp, why);
	if (why != HV_WHY_PREEMPT && why != HV_WHY_YIELD)
		hv_classic_wake_lp(hv, vp);
}

/*
 * The best ready VP for lp among the heads of all queues: lowest (class, weighted run time +
 * penalty, id), the penalty being affinity_slack for a VP queued on another LP (soft affinity)
 * plus numa_slack when lp is off the VP's home node. `ok`, when not NULL, filters candidates
 * (the core policy uses it); a filtered pick looks past the heads, into whole queues.
 * peek leaves the VP queued and returns its key; pick takes it.
 */
struct hv_vp *hv_classic_peek_where(struct hv *hv, const struct hv_lp *lp,
				    bool (*ok)(const struct hv_vp *, const void *), const void *arg, uint64_t *k0,
				    uint64_t *k1)
{
	struct hv_vp *best = NULL;
	bool multi_node = hv->nnodes > 1;
	for (uint32_t k = 0; k < hv->nlps; k++) {
		const struct hv_lp *q = &hv->lps[(lp->id + k) % hv->nlps];
		uint32_t n = ok ? sim_pq_len(&q->rq) : (sim_pq_len(&q->rq) ? 1 : 0);
		for (uint32_t j = 0; j < n; j++) {
			struct sim_pq_node *node = ok ? sim_pq_at(&q->rq, j) : sim_pq_head(&q->rq);
			struct hv_vp *vp = sim_container_of(node, struct hv_vp, rq_node);
			if (ok && !ok(vp, arg))
				continue;
			if (q != lp && !hv_vp_allowed(hv, vp, lp))
				continue;
			sim_time_t pen = 0;
			if (q != lp && hv->cfg.soft_affinity)
				pen += hv->cfg.affinity_slack;
			if (multi_node && lp->hw->node != vp->home_node)
				pen += hv->cfg.numa_slack;
			uint64_t key1 = node->k1 + hv_weighted(vp, pen);
			if (!best || node->k0 < *k0 || (node->k0 == *k0 && (key1 < *k1 ||
			    (key1 == *k1 && node->id < best->rq_node.id)))) {
				best = vp;
				*k0 = node->k0;
				*k1 = key1;
			}
		}
	}
	return best;
}

struct hv_vp *hv_classic_pick_where(struct hv *hv, struct hv_lp *lp, bool (*ok)(const struct hv_vp *, const void *),
				    const void *arg)
{
	uint64_t k0 = 0, k1 = 0;
	struct hv_vp *best = hv_classic_peek_where(hv, lp, ok, arg, &k0, &k1);
	if (best) {
		hv_classic_dequeue(hv, best);
		if (best->vruntime > hv->min_vruntime && best->rq_class == 1)
			hv->min_vruntime = best->vruntime;
	}
	return best;
}

static struct hv_vp *classic_pick(struct hv *hv, struct hv_lp *lp, struct hv_vp *prev)
{
	(void)prev;
	return hv_classic_pick_where(hv, lp, NULL, NULL);
}

sim_time_t hv_classic_slice(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp)
{
	(void)lp;
	sim_time_t s = hv->cfg.timeslice, r = hv_vp_reserve_left(hv, vp);
	return r > 0 && r < s ? r : s;
}

void hv_classic_charge(struct hv *hv, struct hv_vp *vp, sim_time_t ran)
{
	(void)hv;
	hv_vp_advance_vruntime(vp, ran);
}

/* Re-keys the queued VPs of partition p (NULL: all) after their class or weight changed. */
static void rekey(struct hv *hv, struct hv_partition *only)
{
	for (guint i = 0; i < hv->parts->len; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		if (only && p != only)
			continue;
		for (guint v = 0; v < p->vps->len; v++) {
			struct hv_vp *vp = p->vps->pdata[v];
			if (!vp->rq)
				continue;
			struct sim_pq *q = vp->rq;
			sim_pq_remove(q, &vp->rq_node);
			set_key(hv, vp);
			sim_pq_push(q, &vp->rq_node);
			if (vp->rq_class == 0)
				preempt_for_reserve(hv, vp);
		}
	}
}

void hv_classic_reweight(struct hv *hv, struct hv_partition *p) { rekey(hv, p); }

void hv_classic_period(struct hv *hv)
{
	for (guint i = 0; i < hv->parts->len; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		if (p->reserve > 0)
			rekey(hv, p);
	}
}

static bool classic_init(struct hv *hv, GError **error)
{
	(void)hv, (void)error;
	return true;
}

const struct hv_sched_ops hv_sched_classic = {
	.name = "classic",
	.init = classic_init,
	.enqueue = classic_enqueue,
	.dequeue = hv_classic_dequeue,
	.pick = classic_pick,
	.slice = hv_classic_slice,
	.charge = hv_classic_charge,
	.reweight = hv_classic_reweight,
	.period = hv_classic_period,
};
