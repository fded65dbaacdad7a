/* SPDX-License-Identifier: MIT */
/*
 * sched_none.c - the `none` policy: bare metal. Each guest CPU owns one LP (hv.c pins it), so
 *                the only candidate on an LP is its own CPU; nothing preempts it from below and
 *                there are no time slices. Weight, reserve and limit have no meaning here.
 * Role: the bare-metal twin runs the same guest code through the same mechanism (vp.c) with
 *       every crossing costing zero and no exits counted (docs/design.md "Execution model").
 */
#include "models/hypervisor/hv-int.h"

static bool none_init(struct hv *hv, GError **error)
{
	(void)hv, (void)error;
	return true;
}

static void none_enqueue(struct hv *hv, struct hv_vp *vp, enum hv_why why)
{
	(void)why;
	struct hv_lp *lp = &hv->lps[vp->pinned_lp];
	vp->rq = &lp->rq;
	sim_pq_push(&lp->rq, &vp->rq_node);
	if (!lp->cur)
		hv_lp_kick(lp);
}

static void none_dequeue(struct hv *hv, struct hv_vp *vp)
{
	(void)hv;
	sim_pq_remove(vp->rq, &vp->rq_node);
	vp->rq = NULL;
}

static struct hv_vp *none_pick(struct hv *hv, struct hv_lp *lp, struct hv_vp *prev)
{
	(void)prev;
	struct sim_pq_node *n = sim_pq_head(&lp->rq);
	if (!n)
		return NULL;
	struct hv_vp *vp = sim_container_of(n, struct hv_vp, rq_node);
	none_dequeue(hv, vp);
	return vp;
}

static sim_time_t none_slice(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp)
{
	(void)hv, (void)lp, (void)vp;
	return SIM_TIME_MAX;
}

static void none_charge(struct hv *hv, struct hv_vp *vp, sim_time_t ran) { (void)hv, (void)vp, (void)ran; }

const struct hv_sched_ops hv_sched_none = {
	.name = "none",
	.init = none_init,
	.enqueue = none_enqueue,
	.dequeue = none_dequeue,
	.pick = none_pick,
	.slice = none_slice,
	.charge = none_charge,
};
