/* SPDX-License-Identifier: MIT */
/*
 * backing.c - the backing hint (vhw_backing_hint): how many VPs a partition can be backed by now,
 *             the "hypervisor" hint source of paravirt CPUs (REFERENCE 4.2 (c), docs/paravirt.md).
 * Model: over the reader's window, each guest partition's demand is its VPs' run + wait time per
 *   second (runnable VPs on average); those above 0.1 VP are active. The LPs the root left (LPs
 *   minus the root's run time per second) are shared max-min fairly by weight among the active
 *   partitions and the reader, each capped at its VP count (water-filling); the reader's share is
 *   rounded to the nearest count in 1..VPs, halves down (never promise more than the share).
 * Simplifies: no NUMA or affinity constraints; reserves and limits are not applied.
 */
#include <math.h>

#include "models/hypervisor/hv-int.h"

/* LP time a partition's VPs ran or waited to run (ps), since its counters' last reset. */
static double busy_of(const struct hv_partition *p)
{
	struct hv_counters c;
	hv_partition_counters(p, &c);
	return (double)(c.guest_run + c.hypervisor_run + c.wait);
}

static double run_of(const struct hv_partition *p)
{
	struct hv_counters c;
	hv_partition_counters(p, &c);
	return (double)(c.guest_run + c.hypervisor_run);
}

static void window_reset(struct sim_reset_hook *h, sim_time_t now)
{
	struct hv_partition *p = sim_container_of(h, struct hv_partition, backing.reset);
	for (uint32_t i = 0; i < p->backing.n; i++)
		p->backing.busy[i] = 0;
	p->backing.at = now;
}

bool vhw_backing_hint(struct vhw_cpu *vc, uint32_t *vps)
{
	struct hv_vp *vp = hv_vp_of(vc);
	struct hv *hv = vp->hv;
	struct hv_partition *me = vp->part;
	uint32_t nvps = me->vps->len;
	if (hv->bare_metal)
		return false;
	uint32_t n = hv->parts->len;
	if (!me->backing.reset.reset) {
		me->backing.reset.reset = window_reset;
		sim_track_reset(hv->sim, &me->backing.reset);
	}
	if (me->backing.n < n) {
		me->backing.busy = g_renew(double, me->backing.busy, n);
		for (uint32_t i = me->backing.n; i < n; i++)
			me->backing.busy[i] = 0;
		me->backing.n = n;
	}
	sim_time_t now = sim_now(hv->sim), dt = now - me->backing.at;
	if (dt == 0) { /* a window that just began (the warm-up): the last answer stands */
		*vps = me->backing.last ? me->backing.last : nvps;
		return true;
	}
	double share_cap[n], weight[n], lps = (double)hv->nlps;
	bool active[n];
	for (uint32_t i = 0; i < n; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		double b = p->is_root ? run_of(p) : busy_of(p), prev = me->backing.busy[i];
		double d = b - prev;
		me->backing.busy[i] = b;
		double demand = dt > 0 ? d / (double)dt : 0;
		if (p->is_root) {
			lps -= demand;
			active[i] = false;
			continue;
		}
		active[i] = p == me || (p->running && demand >= 0.1);
		share_cap[i] = (double)p->vps->len;
		weight[i] = (double)p->weight;
	}
	me->backing.at = now;
	if (lps < 1)
		lps = 1;
	/* water-filling: repeatedly give the remaining LPs by weight to the uncapped active ones */
	double alloc[n];
	bool open[n];
	for (uint32_t i = 0; i < n; i++) {
		alloc[i] = 0;
		open[i] = active[i];
	}
	double left = lps;
	for (uint32_t round = 0; round < n && left > 1e-9; round++) {
		double w = 0;
		for (uint32_t i = 0; i < n; i++)
			if (open[i])
				w += weight[i];
		if (w == 0)
			break;
		double given = 0;
		bool capped = false;
		for (uint32_t i = 0; i < n; i++) {
			if (!open[i])
				continue;
			double want = left * weight[i] / w;
			if (alloc[i] + want >= share_cap[i]) {
				want = share_cap[i] - alloc[i];
				open[i] = false;
				capped = true;
			}
			alloc[i] += want;
			given += want;
		}
		left -= given;
		if (!capped)
			break;
	}
	double mine = alloc[me->index];
	long r = (long)ceil(mine - 0.5); /* halves round down: two VMs on 5 LPs get 2 each, not 3 */
	*vps = r < 1 ? 1 : r > (long)nvps ? nvps : (uint32_t)r;
	me->backing.last = *vps;
	return true;
}
