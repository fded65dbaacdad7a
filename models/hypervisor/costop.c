/* SPDX-License-Identifier: MIT */
/*
 * costop.c - relaxed co-scheduling (VMware style): keep a partition's VPs within a skew of each
 *            other's progress, so that a VP holding a lock does not fall far behind its siblings
 *            that spin waiting for it.
 * Model: progress = the VP's run time (guest + hypervisor). Every skew/4 the check co-stops each
 *        running or ready VP that leads the slowest runnable VP of its partition (ready or
 *        running; halted VPs are idle and hold nobody back) by more than the skew: a running one
 *        is rescheduled, a ready one parked in hv->costopped instead of its policy's queue. A
 *        co-stopped VP is co-started when the slowest has come within half the skew. Any policy.
 * Simplifies: VMware's exact skew accounting and its co-start of all siblings together are not
 *        modelled; the check is periodic, not at every scheduling event.
 */
#include "models/hypervisor/hv-int.h"

static sim_time_t progress(const struct hv_vp *vp)
{
	struct hv_counters c;
	hv_vp_counters(vp, &c);
	return c.guest_run + c.hypervisor_run;
}

static bool wants_to_run(const struct hv_vp *vp) { return vp->state == HV_VP_READY || vp->state == HV_VP_RUNNING; }

bool hv_costop_park(struct hv *hv, struct hv_vp *vp)
{
	if (!vp->costop)
		return false;
	vp->costop_link.data = vp;
	g_queue_push_tail_link(&hv->costopped, &vp->costop_link);
	return true;
}

void hv_costop_forget(struct hv *hv, struct hv_vp *vp)
{
	if (vp->costop && vp->state == HV_VP_READY && !vp->throttled)
		g_queue_unlink(&hv->costopped, &vp->costop_link);
	vp->costop = false;
}

static void check_partition(struct hv *hv, struct hv_partition *p, sim_time_t skew)
{
	sim_time_t slowest = SIM_TIME_MAX;
	uint32_t runnable = 0;
	for (guint i = 0; i < p->vps->len; i++) {
		const struct hv_vp *vp = p->vps->pdata[i];
		if (!wants_to_run(vp))
			continue;
		runnable++;
		sim_time_t pr = progress(vp);
		if (pr < slowest)
			slowest = pr;
	}
	for (guint i = 0; i < p->vps->len; i++) {
		struct hv_vp *vp = p->vps->pdata[i];
		if (!wants_to_run(vp))
			continue;
		sim_time_t pr = progress(vp);
		if (!vp->costop && runnable > 1 && pr > slowest + skew) {
			vp->costop = true;
			vp->c.costops++;
			if (vp->state == HV_VP_RUNNING) {
				hv_lp_kick(vp->lp); /* parked when it leaves the LP */
			} else if (!vp->throttled) {
				hv->sched->dequeue(hv, vp);
				hv_costop_park(hv, vp);
			}
		} else if (vp->costop && (runnable < 2 || pr <= slowest + skew / 2)) {
			bool parked = vp->state == HV_VP_READY && !vp->throttled;
			hv_costop_forget(hv, vp);
			if (parked)
				hv->sched->enqueue(hv, vp, HV_WHY_UNTHROTTLE);
		}
	}
}

void hv_costop_check(struct hv *hv)
{
	for (guint i = 0; i < hv->parts->len; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		if (!p->is_root && p->vps->len > 1)
			check_partition(hv, p, hv->cfg.coschedule_skew);
	}
}
