/* SPDX-License-Identifier: MIT */
/*
 * sched_cfs.c - the `cfs` policy: a KVM host, where every VP is a vCPU thread under Linux's
 *               Completely Fair Scheduler (pre-6.6 CFS, kernel/sched/fair.c; REFERENCE 1.5).
 * What it models:
 *   - one runqueue per LP ordered by vruntime (run time x 100 / weight: the partition weight
 *     plays cpu.weight / shares) with its own monotone min_vruntime = max(min_vruntime,
 *     min(current, leftmost)); the current VP is not in the queue, as in Linux;
 *   - slices: alone on its LP a VP has no slice (nothing to switch to); with others runnable it
 *     gets max(latency x weight / total weight, min_granularity), counted from when it was
 *     picked; when it ends the leftmost VP runs, which may be the same one with a fresh slice;
 *   - placement (select_task_rq_fair / select_idle_sibling): a waking VP goes to its previous LP
 *     if idle, else to an idle LP it may use (its node first), else back to its previous LP; a
 *     new one to an idle LP, else the least loaded. A new VP starts at min_vruntime; a woken
 *     one gets max(own, min_vruntime - latency / 2) (GENTLE_FAIR_SLEEPERS);
 *   - wakeup preemption (check_preempt_wakeup): a woken, new or migrated VP preempts the current
 *     VP of its LP when curr.vruntime - its vruntime > wakeup_granularity x 100 / its weight
 *     (wakeup_gran); otherwise an LP whose current VP ran alone is kicked to set its slice now;
 *   - load balancing by number of runnable VPs (queued + current), respecting affinity: an LP
 *     about to idle pulls one queued VP from the busiest LP (newidle balance); every
 *     balance_interval one pass (a timer of this policy's "hv/cfs" entity) pulls to each LP from
 *     the busiest while they differ by 2 or more, taking the VP that has waited longest (the
 *     tail of Linux's cfs_tasks: least recently run, cache-coldest). A move renormalises
 *     vruntime: vruntime - src.min_vruntime + dst.min_vruntime, and may preempt as a wakeup;
 *   - the rotation: with N runnable VPs on M < N LPs the counts still differ by 1, and the VPs
 *     on the less crowded LPs would keep their advantage for ever. Linux spreads it over time
 *     (nr_balance_failed, active balancing), irregularly; here each pass may move one queued VP
 *     from an LP with the most runnable VPs to one with one less, when the VPs there have been
 *     served more (weighted run time, never renormalised), on average, by over cfs_latency (the
 *     hysteresis: no separate tunable). The extra load goes to the VPs furthest ahead, so N hogs
 *     get M/N each within about latency + 2 slices + balance_interval of run time, whatever the
 *     run length (tests/model/test_hv_cfs.c). A VP waking banks no more of this credit than of
 *     vruntime: at most latency / 2 below the least served runnable VP (none when starting);
 *   - limit = CFS bandwidth control (cpu.max quota per period), enforced by vp.c; reserve has no
 *     CFS counterpart and is refused.
 * Simplifies: no tick (a slice ends exactly; check_preempt_tick's "curr is ahead of leftmost by
 *   more than its slice" test is not made); the period is not stretched to nr x min_granularity
 *   past latency / min_granularity runnable VPs (same slices for equal weights); no PELT load
 *   tracking, sched domains, wake_affine, buddies (a yield simply lets the leftmost other VP
 *   run) or task_hot migration cost; no START_DEBIT (a forked thread starts one vslice late, so
 *   vCPU threads created one by one would keep unequal offsets of up to a latency for ever: a
 *   new VP starts at min_vruntime); the host's own threads are only the root VPs.
 * Tunables (struct hv_config, REFERENCE 1.5, each x (1 + log2(min(ncpus, 8))) = x 4):
 *   cfs_latency (default 24 ms = 6 ms x 4), cfs_min_granularity (3 ms = 0.75 ms x 4),
 *   cfs_wakeup_granularity (4 ms = 1 ms x 4), cfs_balance_interval (4 ms [R]); units: ps.
 * Invariants: a ready VP not throttled is in exactly one queue; cfs_lp.load = sum of the weights
 *   queued there; a non-empty queue belongs to an LP that runs a VP or has a kick pending.
 * See: tests/model/test_hv_cfs.c.
 */
#include "models/hypervisor/hv-int.h"

#define CFS_ERROR (g_quark_from_static_string("hv-config-error"))

/* Per-LP state besides the queue itself (struct hv_lp.rq). */
struct cfs_lp {
	uint64_t min_vruntime;  /* monotone; vruntime units */
	uint64_t load;          /* sum of the weights of the queued VPs (the current one excluded) */
	sim_time_t picked_at;   /* when the current VP was picked: its slice runs from here */
	bool preempt;           /* a wakeup preemption kicked this LP: pick the leftmost */
};

/* Per-VP state the policy keeps beside struct hv_vp. */
struct cfs_vp {
	uint64_t served;        /* weighted run time since creation (vruntime units, never renormalised) */
};

struct cfs {
	struct sim_entity ent;  /* "hv/cfs": the periodic load balancer */
	struct hv *hv;
	sim_timer_t balance_timer;
	struct cfs_lp *lp;      /* nlps */
	GArray *vps;            /* struct cfs_vp, indexed by hv_vp.rq_node.id (grown on demand) */
	uint64_t served_floor;  /* monotone: least served among runnable VPs at the last balance pass */
	uint64_t moves, rotations, newidle_pulls;
};

enum { CFS_EV_BALANCE = 1 };

static struct cfs *cfs_of(const struct hv *hv) { return hv->policy_data; }
static struct cfs_lp *cfs_lp(const struct hv *hv, const struct hv_lp *lp) { return &cfs_of(hv)->lp[lp->id]; }
/* The policy's state of vp; the pointer is valid until the next call (the array may grow). */
static struct cfs_vp *cfs_vp(const struct hv *hv, const struct hv_vp *vp)
{
	GArray *a = cfs_of(hv)->vps;
	if (vp->rq_node.id >= a->len)
		g_array_set_size(a, vp->rq_node.id + 1);
	return &g_array_index(a, struct cfs_vp, vp->rq_node.id);
}

static struct hv_lp *lp_of_rq(struct sim_pq *q) { return sim_container_of(q, struct hv_lp, rq); }
static struct hv_vp *vp_of_node(struct sim_pq_node *n) { return sim_container_of(n, struct hv_vp, rq_node); }
static sim_time_t now_of(const struct hv *hv) { return sim_now(hv->sim); }
static uint32_t weight_of(const struct hv_vp *vp) { return vp->part->weight; }

/* Real time t in vp's vruntime units (Linux's calc_delta_fair). */
static uint64_t to_vruntime(const struct hv_vp *vp, sim_time_t t) { return hv_weighted(vp, t); }

/* Runnable VPs of an LP: queued plus the one on it (Linux's nr_running). */
static uint32_t nr_running(const struct hv_lp *lp) { return sim_pq_len(&lp->rq) + (lp->cur != NULL); }

/* The vruntime of the VP on an LP up to now (update_curr without charging: vp.c charges). */
static uint64_t curr_vruntime(const struct hv *hv, const struct hv_vp *vp)
{
	if (vp->state != HV_VP_RUNNING)
		return vp->vruntime;
	return vp->vruntime + to_vruntime(vp, now_of(hv) - vp->run_start);
}

/*
 * update_curr + update_min_vruntime: min_vruntime = max(itself, min(curr, leftmost)), with curr
 * the VP on the LP (not in its queue) up to now. Like update_curr, does nothing without a curr:
 * an LP about to pick keeps its min_vruntime until its next VP runs.
 */
static void update_min(struct hv *hv, struct hv_lp *lp, const struct hv_vp *curr)
{
	if (!curr)
		return;
	struct cfs_lp *c = cfs_lp(hv, lp);
	struct sim_pq_node *left = sim_pq_head(&lp->rq);
	uint64_t v = curr_vruntime(hv, curr);
	if (left && left->k1 < v)
		v = left->k1;
	if (v > c->min_vruntime)
		c->min_vruntime = v;
}

/* The VP on lp as Linux's cfs_rq->curr: running there and not queued (NULL during a re-pick). */
static const struct hv_vp *lp_curr(const struct hv_lp *lp) { return lp->cur && !lp->cur->rq ? lp->cur : NULL; }

static void queue_push(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp)
{
	vp->rq_node.k0 = 0;
	vp->rq_node.k1 = vp->vruntime;
	vp->rq = &lp->rq;
	sim_pq_push(&lp->rq, &vp->rq_node);
	cfs_lp(hv, lp)->load += weight_of(vp);
}

static void queue_remove(struct hv *hv, struct hv_vp *vp)
{
	struct hv_lp *lp = lp_of_rq(vp->rq);
	sim_pq_remove(&lp->rq, &vp->rq_node);
	vp->rq = NULL;
	cfs_lp(hv, lp)->load -= weight_of(vp);
}

/* vruntime relative to one queue's min_vruntime, carried over to another's (never below 0). */
static uint64_t renormalise(uint64_t vruntime, uint64_t from_min, uint64_t to_min)
{
	int64_t v = (int64_t)to_min + ((int64_t)vruntime - (int64_t)from_min);
	return v > 0 ? (uint64_t)v : 0;
}

/* The slice of a VP of weight w among runnable VPs of total weight `total` (sched_slice). */
static sim_time_t ideal_slice(const struct hv *hv, uint32_t w, uint64_t total)
{
	sim_time_t s = (sim_time_t)(((unsigned __int128)hv->cfg.cfs_latency * w) / total);
	return s > hv->cfg.cfs_min_granularity ? s : hv->cfg.cfs_min_granularity;
}

/* check_preempt_wakeup / wakeup_preempt_entity: does `se` (queued on curr's LP) preempt curr? */
static bool wakeup_preempts(const struct hv *hv, const struct hv_vp *curr, const struct hv_vp *se)
{
	int64_t vdiff = (int64_t)(curr_vruntime(hv, curr) - se->vruntime);
	return vdiff > 0 && (uint64_t)vdiff > to_vruntime(se, hv->cfg.cfs_wakeup_granularity);
}

/*
 * vp has just been queued on lp from elsewhere (wakeup, start, migration): make sure lp looks at
 * it. An idle LP is kicked; a busy one is kicked to preempt when vp wins by the wakeup
 * granularity, or to set a slice for its current VP when that one was alone (no slice armed).
 */
static void notice_arrival(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, bool was_alone)
{
	const struct hv_vp *curr = lp_curr(lp);
	if (!lp->cur) {
		hv_lp_kick(lp);
	} else if (curr && wakeup_preempts(hv, curr, vp)) {
		cfs_lp(hv, lp)->preempt = true;
		hv_lp_kick(lp);
	} else if (was_alone) {
		hv_lp_kick(lp);
	}
}

/* The least loaded LP vp may use (home node first on ties, then lowest id). */
static struct hv_lp *least_loaded(struct hv *hv, const struct hv_vp *vp)
{
	struct hv_lp *best = NULL;
	bool best_home = false;
	for (uint32_t i = 0; i < hv->nlps; i++) {
		struct hv_lp *lp = &hv->lps[i];
		if (!hv_vp_allowed(hv, vp, lp))
			continue;
		bool home = lp->hw->node == vp->home_node;
		uint32_t n = nr_running(lp);
		if (!best || n < nr_running(best) || (n == nr_running(best) && home && !best_home)) {
			best = lp;
			best_home = home;
		}
	}
	SIM_ASSERT(hv->sim, best != NULL);
	return best;
}

/* select_task_rq_fair: where a starting or waking VP is queued (see the top of the file). */
static struct hv_lp *select_lp(struct hv *hv, const struct hv_vp *vp)
{
	int32_t prev = vp->last_lp >= 0 && hv_vp_allowed(hv, vp, &hv->lps[vp->last_lp]) ? vp->last_lp : -1;
	struct hv_lp *idle = hv_find_idle_lp(hv, vp, prev);
	if (idle)
		return idle;
	return prev >= 0 ? &hv->lps[prev] : least_loaded(hv, vp);
}

/* place_entity for a VP entering lp's queue from outside it. */
static void place(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp, enum hv_why why)
{
	struct cfs_lp *c = cfs_lp(hv, lp);
	update_min(hv, lp, lp_curr(lp));
	/* served (the rotation's measure) banks no more credit than vruntime does */
	struct cfs_vp *sv = cfs_vp(hv, vp);
	uint64_t credit = why == HV_WHY_START ? 0 : hv->cfg.cfs_latency / 2, floor_s = cfs_of(hv)->served_floor;
	if (sv->served + credit < floor_s)
		sv->served = floor_s - credit;
	if (why == HV_WHY_START) {
		/* a new (or restarted) VP starts level with the queue: no START_DEBIT (see the top) */
		vp->vruntime = c->min_vruntime;
		return;
	}
	if (vp->last_lp >= 0 && (uint32_t)vp->last_lp != lp->id) {
		/* migrate_task_rq_fair: relative to the old queue's min_vruntime (brought up to now: a VP
		 * alone on an LP is charged only when it leaves), then to the new one's */
		struct hv_lp *src = &hv->lps[vp->last_lp];
		update_min(hv, src, lp_curr(src));
		vp->vruntime = renormalise(vp->vruntime, cfs_lp(hv, src)->min_vruntime, c->min_vruntime);
	}
	/* GENTLE_FAIR_SLEEPERS: a sleeper is credited at most half a latency (not weight-scaled) */
	uint64_t half = hv->cfg.cfs_latency / 2;
	uint64_t floor = c->min_vruntime > half ? c->min_vruntime - half : 0;
	if (vp->vruntime < floor)
		vp->vruntime = floor;
}

static void cfs_enqueue(struct hv *hv, struct hv_vp *vp, enum hv_why why)
{
	if (why == HV_WHY_PREEMPT || why == HV_WHY_YIELD) {
		/* back into the queue of the LP it is on; vp.c picks next */
		SIM_ASSERT(hv->sim, vp->last_lp >= 0);
		queue_push(hv, &hv->lps[vp->last_lp], vp);
		return;
	}
	struct hv_lp *lp = select_lp(hv, vp);
	place(hv, lp, vp, why);
	bool was_alone = sim_pq_len(&lp->rq) == 0;
	queue_push(hv, lp, vp);
	notice_arrival(hv, lp, vp, was_alone);
}

static void cfs_dequeue(struct hv *hv, struct hv_vp *vp) { queue_remove(hv, vp); }

/* The queued VP of lp that may run on dst and has waited longest (lowest id on ties), or NULL. */
static struct hv_vp *coldest(struct hv *hv, struct hv_lp *lp, const struct hv_lp *dst)
{
	struct hv_vp *best = NULL;
	for (uint32_t i = 0; i < sim_pq_len(&lp->rq); i++) {
		struct hv_vp *vp = vp_of_node(sim_pq_at(&lp->rq, i));
		if (!hv_vp_allowed(hv, vp, dst))
			continue;
		if (!best || vp->ready_since < best->ready_since ||
		    (vp->ready_since == best->ready_since && vp->rq_node.id < best->rq_node.id))
			best = vp;
	}
	return best;
}

/*
 * find_busiest_queue + detach: the LP with the most runnable VPs that has a VP queued behind a
 * running one which may move to dst (ties: the longest-waiting candidate, then lowest id). Sets
 * *src and returns the candidate, or NULL.
 */
static struct hv_vp *busiest_candidate(struct hv *hv, const struct hv_lp *dst, struct hv_lp **src)
{
	struct hv_vp *best = NULL;
	*src = NULL;
	for (uint32_t i = 0; i < hv->nlps; i++) {
		struct hv_lp *lp = &hv->lps[i];
		if (lp == dst || !lp->cur || sim_pq_len(&lp->rq) == 0)
			continue; /* an LP without a VP on it is about to run its queue itself */
		if (*src && nr_running(lp) < nr_running(*src))
			continue;
		struct hv_vp *vp = coldest(hv, lp, dst);
		if (!vp)
			continue;
		if (!best || nr_running(lp) > nr_running(*src) || vp->ready_since < best->ready_since) {
			best = vp;
			*src = lp;
		}
	}
	return best;
}

/* Takes vp out of its queue, to run on dst: renormalises its vruntime for dst. */
static void detach(struct hv *hv, struct hv_vp *vp, struct hv_lp *dst)
{
	struct hv_lp *src = lp_of_rq(vp->rq);
	update_min(hv, src, lp_curr(src));
	update_min(hv, dst, lp_curr(dst));
	queue_remove(hv, vp);
	vp->vruntime = renormalise(vp->vruntime, cfs_lp(hv, src)->min_vruntime, cfs_lp(hv, dst)->min_vruntime);
}

/* pick_next_task_fair for lp; see struct hv_sched_ops for prev. */
static struct hv_vp *cfs_pick(struct hv *hv, struct hv_lp *lp, struct hv_vp *prev)
{
	struct cfs_lp *c = cfs_lp(hv, lp);
	sim_time_t now = now_of(hv);
	bool preempt = c->preempt;
	c->preempt = false;
	struct hv_vp *next = NULL;
	if (prev && !preempt) {
		/* a re-pick inside prev's slice (its LP was kicked to re-decide): prev goes on */
		SIM_ASSERT(hv->sim, prev->rq == &lp->rq);
		if (sim_pq_len(&lp->rq) == 1 || now - c->picked_at < ideal_slice(hv, weight_of(prev), c->load))
			next = prev;
	}
	if (!next && sim_pq_head(&lp->rq)) {
		next = vp_of_node(sim_pq_head(&lp->rq));
		c->picked_at = now;
	}
	if (next) {
		queue_remove(hv, next);
	} else if (!(lp->cur && lp->cur->after == HV_AFTER_YIELD && !lp->cur->throttled)) {
		/* newidle balance: about to idle (not merely yielding), pull the coldest waiting VP */
		struct hv_lp *src;
		next = busiest_candidate(hv, lp, &src);
		if (next) {
			detach(hv, next, lp);
			cfs_of(hv)->newidle_pulls++;
			c->picked_at = now;
		}
	}
	if (next)
		update_min(hv, lp, next);
	return next;
}

/* What is left of vp's slice (SIM_TIME_MAX when it is alone on lp). */
static sim_time_t cfs_slice(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp)
{
	struct cfs_lp *c = cfs_lp(hv, lp);
	if (sim_pq_len(&lp->rq) == 0)
		return SIM_TIME_MAX;
	sim_time_t ideal = ideal_slice(hv, weight_of(vp), c->load + weight_of(vp));
	sim_time_t ran = now_of(hv) - c->picked_at;
	return ran < ideal ? ideal - ran : 1;
}

static void cfs_charge(struct hv *hv, struct hv_vp *vp, sim_time_t ran)
{
	hv_vp_advance_vruntime(vp, ran);
	cfs_vp(hv, vp)->served += to_vruntime(vp, ran);
	if (vp->lp && !vp->rq)
		update_min(hv, vp->lp, vp);
}

/* A weight changed: the queued loads are sums of weights, recount them. */
static void cfs_reweight(struct hv *hv, struct hv_partition *p)
{
	(void)p;
	for (uint32_t i = 0; i < hv->nlps; i++) {
		struct hv_lp *lp = &hv->lps[i];
		uint64_t load = 0;
		for (uint32_t j = 0; j < sim_pq_len(&lp->rq); j++)
			load += weight_of(vp_of_node(sim_pq_at(&lp->rq, j)));
		cfs_lp(hv, lp)->load = load;
	}
}

static bool cfs_check_partition(struct hv *hv, const struct hv_partition *p, GError **error)
{
	(void)hv;
	if (p->reserve > 0) {
		g_set_error(error, CFS_ERROR, 0,
			    "vm '%s': the cfs policy (KVM host) has no CPU reserve; use weight or limit", p->name);
		return false;
	}
	return true;
}

/* ---- periodic load balancing ---- */

/* Weighted run time of vp since it was created, up to now (served, never renormalised). */
static uint64_t served_now(struct hv *hv, const struct hv_vp *vp)
{
	uint64_t s = cfs_vp(hv, vp)->served;
	if (vp->state == HV_VP_RUNNING)
		s += to_vruntime(vp, now_of(hv) - vp->run_start);
	return s;
}

/* Sum of served_now over the VPs on lp (current and queued), `except` left out. */
static unsigned __int128 served_sum(struct hv *hv, struct hv_lp *lp, const struct hv_vp *except)
{
	unsigned __int128 sum = 0;
	if (lp->cur && lp->cur != except)
		sum += served_now(hv, lp->cur);
	for (uint32_t i = 0; i < sim_pq_len(&lp->rq); i++) {
		struct hv_vp *vp = vp_of_node(sim_pq_at(&lp->rq, i));
		if (vp != except)
			sum += served_now(hv, vp);
	}
	return sum;
}

/* The queued VP of src allowed on dst that has been served most (lowest id on ties), or NULL. */
static struct hv_vp *most_served(struct hv *hv, struct hv_lp *src, const struct hv_lp *dst)
{
	struct hv_vp *best = NULL;
	uint64_t best_s = 0;
	for (uint32_t i = 0; i < sim_pq_len(&src->rq); i++) {
		struct hv_vp *vp = vp_of_node(sim_pq_at(&src->rq, i));
		if (!hv_vp_allowed(hv, vp, dst))
			continue;
		uint64_t s = served_now(hv, vp);
		if (!best || s > best_s || (s == best_s && vp->rq_node.id < best->rq_node.id))
			best = vp, best_s = s;
	}
	return best;
}

/* Moves vp from its queue to dst's (renormalised) and makes dst notice it. */
static void move(struct hv *hv, struct hv_vp *vp, struct hv_lp *dst)
{
	bool was_alone = sim_pq_len(&dst->rq) == 0;
	detach(hv, vp, dst);
	queue_push(hv, dst, vp);
	cfs_of(hv)->moves++;
	notice_arrival(hv, dst, vp, was_alone);
}

/*
 * The rotation: among LPs with the most runnable VPs (hi) and those with one less, find the move
 * of one queued VP from a crowded LP to a less crowded one that most helps the VPs left behind:
 * gain = mean served of the less crowded LP's VPs - mean served of those staying on the crowded
 * one. Moves when the gain exceeds the hysteresis (cfs_latency in weight-100 time), moving the
 * most-served queued VP. Integer cross-multiplication: no floating point in the decision.
 */
static void rotate(struct hv *hv, uint32_t hi)
{
	struct hv_lp *best_dst = NULL;
	struct hv_vp *best_vp = NULL;
	unsigned __int128 best_num = 0, best_den = 1;
	uint64_t hyst = hv->cfg.cfs_latency;
	for (uint32_t d = 0; d < hv->nlps; d++) {
		struct hv_lp *dst = &hv->lps[d];
		if (!dst->cur || nr_running(dst) + 1 != hi)
			continue;
		unsigned __int128 sum_d = served_sum(hv, dst, NULL), n_d = nr_running(dst);
		for (uint32_t i = 0; i < hv->nlps; i++) {
			struct hv_lp *src = &hv->lps[i];
			if (!src->cur || nr_running(src) != hi)
				continue;
			struct hv_vp *vp = most_served(hv, src, dst);
			if (!vp)
				continue;
			unsigned __int128 sum_s = served_sum(hv, src, vp), n_s = hi - 1;
			/* gain = sum_d / n_d - sum_s / n_s > hyst  <=>  sum_d n_s - sum_s n_d > hyst n_d n_s */
			unsigned __int128 a = sum_d * n_s, b = sum_s * n_d + (unsigned __int128)hyst * n_d * n_s;
			if (a <= b)
				continue;
			unsigned __int128 num = a - b, den = n_d * n_s;
			if (!best_vp || num * best_den > best_num * den) {
				best_dst = dst, best_vp = vp;
				best_num = num, best_den = den;
			}
		}
	}
	if (best_vp) {
		cfs_of(hv)->rotations++;
		move(hv, best_vp, best_dst);
	}
}

/*
 * One pass: first each LP (id order) pulls the coldest queued VP from the busiest LP while that
 * one has 2 or more runnable VPs more (the load balancer proper); then at most one rotation.
 * Cost: O(nlps) when nothing is to be done; O(nlps x queued) per move; the rotation's search is
 * O(pairs of LPs at hi and hi - 1 x queued).
 */
static void balance(struct hv *hv)
{
	struct cfs *cfs = cfs_of(hv);
	uint32_t hi = 0;
	bool any = false;
	uint64_t least = 0;
	for (uint32_t i = 0; i < hv->nlps; i++) {
		struct hv_lp *lp = &hv->lps[i];
		for (uint32_t j = 0; j <= sim_pq_len(&lp->rq); j++) {
			const struct hv_vp *vp = j < sim_pq_len(&lp->rq) ? vp_of_node(sim_pq_at(&lp->rq, j)) : lp->cur;
			if (!vp)
				continue;
			uint64_t s = served_now(hv, vp);
			if (!any || s < least)
				least = s;
			any = true;
		}
	}
	if (any && least > cfs->served_floor)
		cfs->served_floor = least;
	for (uint32_t i = 0; i < hv->nlps; i++) {
		struct hv_lp *dst = &hv->lps[i];
		for (;;) {
			struct hv_lp *src;
			struct hv_vp *vp = busiest_candidate(hv, dst, &src);
			if (!vp || nr_running(src) < nr_running(dst) + 2)
				break;
			move(hv, vp, dst);
		}
	}
	for (uint32_t i = 0; i < hv->nlps; i++)
		hi = MAX(hi, nr_running(&hv->lps[i]));
	if (hi >= 2)
		rotate(hv, hi);
}

static void cfs_start(struct sim_entity *ent)
{
	struct cfs *cfs = sim_container_of(ent, struct cfs, ent);
	sim_timer_arm_in(cfs->hv->sim, &cfs->balance_timer, cfs->hv->cfg.cfs_balance_interval);
}

static void cfs_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)kind, (void)p;
	struct cfs *cfs = sim_container_of(ent, struct cfs, ent);
	balance(cfs->hv);
	sim_timer_arm_in(cfs->hv->sim, &cfs->balance_timer, cfs->hv->cfg.cfs_balance_interval);
}

static void cfs_dump(const struct sim_entity *ent, FILE *out)
{
	const struct cfs *cfs = sim_container_of(ent, struct cfs, ent);
	fprintf(out, "  hv/cfs: %llu moves (%llu rotations), %llu newidle pulls\n", (unsigned long long)cfs->moves,
		(unsigned long long)cfs->rotations, (unsigned long long)cfs->newidle_pulls);
	for (uint32_t i = 0; i < cfs->hv->nlps; i++)
		fprintf(out, "    lp %u: min_vruntime %llu load %llu queued %u picked_at %llu\n", i,
			(unsigned long long)cfs->lp[i].min_vruntime, (unsigned long long)cfs->lp[i].load,
			sim_pq_len(&cfs->hv->lps[i].rq), (unsigned long long)cfs->lp[i].picked_at);
}

static const struct sim_entity_ops cfs_ops = {.kind = "hv-cfs", .start = cfs_start, .event = cfs_event,
					      .dump = cfs_dump};

static bool cfs_init(struct hv *hv, GError **error)
{
	const struct hv_config *c = &hv->cfg;
	if (c->cfs_latency == 0 || c->cfs_min_granularity == 0 || c->cfs_balance_interval == 0) {
		g_set_error_literal(error, CFS_ERROR, 0,
				    "hypervisor: cfs latency, min_granularity and balance_interval must be positive");
		return false;
	}
	struct cfs *cfs = g_new0(struct cfs, 1);
	cfs->hv = hv;
	cfs->lp = g_new0(struct cfs_lp, hv->nlps);
	cfs->vps = g_array_new(FALSE, TRUE, sizeof(struct cfs_vp));
	sim_entity_add(hv->sim, &cfs->ent, &cfs_ops, "hv/cfs");
	sim_timer_init(&cfs->balance_timer, &cfs->ent, CFS_EV_BALANCE);
	hv->policy_data = cfs;
	return true;
}

static void cfs_fini(struct hv *hv)
{
	struct cfs *cfs = cfs_of(hv);
	sim_timer_cancel(hv->sim, &cfs->balance_timer);
	g_free(cfs->lp);
	g_array_free(cfs->vps, TRUE);
	g_free(cfs);
	hv->policy_data = NULL;
}

const struct hv_sched_ops hv_sched_cfs = {
	.name = "cfs",
	.init = cfs_init,
	.fini = cfs_fini,
	.check_partition = cfs_check_partition,
	.enqueue = cfs_enqueue,
	.dequeue = cfs_dequeue,
	.pick = cfs_pick,
	.slice = cfs_slice,
	.charge = cfs_charge,
	.reweight = cfs_reweight,
};
