/* SPDX-License-Identifier: MIT */
/*
 * sched_core.c - the `core` policy: Hyper-V's core scheduler, the default since Windows Server
 *                2019 (REFERENCE 1.1).
 * What it models: the classic policy (weights, reserve, limit, soft affinity, NUMA preference,
 *   per-LP queues: sched_classic.c) plus one invariant: the SMT threads of a physical core only
 *   ever hold VPs of one partition at a time (the root is a partition like any other). A thread
 *   whose core holds another partition's VP idles rather than take a VP of its own partition.
 * How: a core is decided as a whole. At a decision (the core holds no VP on the other threads,
 *   or its quantum has expired) the best ready VP over all the core's threads, each judged as
 *   classic's pick would judge it, names the core's partition, and a new core quantum
 *   (`timeslice`) starts; until it ends, threads pick only VPs of the partition already on the
 *   core, and their slices end at the quantum's end, so the whole core is decided again then.
 *   When a decision at a quantum end names another partition while siblings still hold VPs of
 *   the old one, the core drains: the siblings are kicked (a VP in an exit leaves when the exit
 *   is over, vp.c), every thread that reschedules meanwhile idles, and the last one to leave
 *   makes the next decision. Every VP leaving an LP passes through pick on that LP (lp_schedule
 *   after a halt or a preemption, the kick after a stop), which is where draining is noticed:
 *   no hook in the mechanism is needed.
 * Stronger than required: not only guest code, but any VP on a thread (switching in, in an exit)
 *   belongs to the core's partition; tests check both.
 * Wakeups: a ready VP kicks an idle thread of a free core (all threads idle), else an idle thread
 *   of a core its own partition holds; a VP inside its reserve that finds neither expires the
 *   quantum of a core that runs no reserve VP. Otherwise it waits for a quantum end (<= 10 ms).
 * Simplifies: no guest SMT topology (Hyper-V exposes siblings to SMT-aware guests; here any VPs
 *   of a partition may share a core, and a VM's VPs are not gang-scheduled onto one core); the
 *   decision looks at the head of each queue only, as classic's pick does. With host SMT off
 *   every op is classic's, so results are identical (test hv_core/smt_off_is_classic).
 * Cost: a pick inside a quantum is a filtered hv_classic_pick_where, which scans every queued VP
 *   (O(ready VPs)); a decision peeks at every queue head once per thread (O(threads x LPs)). On
 *   bench/hostbench (256 LPs, 1,024 VPs) a simulated second takes ~2.4x classic's wall time.
 */
#include "models/hypervisor/hv-int.h"

struct core {
	uint32_t first, n;      /* LP ids first .. first + n - 1 */
	sim_time_t quantum_end; /* the whole core is decided again at or after this time */
	bool draining;          /* a decision named a new partition: the old one's VPs are leaving */
};

struct core_data {
	bool smt;                     /* false: every op is classic's */
	struct core *cores;           /* hw_ncores */
	struct hv_partition **choice; /* per LP: partition of its best candidate at the last decision */
};

static struct core_data *data_of(const struct hv *hv) { return hv->policy_data; }
static struct core *core_of(const struct hv *hv, const struct hv_lp *lp) { return &data_of(hv)->cores[lp->hw->core]; }
static sim_time_t now_of(const struct hv *hv) { return sim_now(hv->sim); }

static bool same_partition(const struct hv_vp *vp, const void *part) { return vp->part == part; }

/* The partition whose VPs are on the core's threads other than `except` (NULL: none). */
static struct hv_partition *core_holder(const struct hv *hv, const struct core *c, const struct hv_lp *except)
{
	struct hv_partition *p = NULL;
	for (uint32_t i = c->first; i < c->first + c->n; i++) {
		const struct hv_lp *t = &hv->lps[i];
		if (t == except || !t->cur)
			continue;
		/* Hard assume: every dispatch went through core_pick, which only adds the holder's VPs. */
		SIM_ASSERT(hv->sim, p == NULL || p == t->cur->part);
		p = t->cur->part;
	}
	return p;
}

/*
 * The VP classic's unfiltered pick would take on lp, left queued: the lowest (class, weighted
 * run time + affinity and NUMA penalties, id) over the heads of all queues. O(LPs).
 */
static struct hv_vp *peek(struct hv *hv, const struct hv_lp *lp, uint64_t *k0, uint64_t *k1)
{
	return hv_classic_peek_where(hv, lp, NULL, NULL, k0, k1);
}

/*
 * The core's next partition: that of the best candidate over its threads (each judged by
 * peek). Records each thread's own choice in data->choice. NULL when nothing may run here.
 * O(threads x LPs).
 */
static struct hv_partition *core_choose(struct hv *hv, const struct core *c)
{
	struct core_data *d = data_of(hv);
	struct hv_vp *best = NULL;
	uint64_t best_k0 = 0, best_k1 = 0;
	for (uint32_t i = c->first; i < c->first + c->n; i++) {
		uint64_t k0 = 0, k1 = 0;
		struct hv_vp *vp = peek(hv, &hv->lps[i], &k0, &k1);
		d->choice[i] = vp ? vp->part : NULL;
		if (vp && (!best || k0 < best_k0 || (k0 == best_k0 && (k1 < best_k1 ||
		    (k1 == best_k1 && vp->rq_node.id < best->rq_node.id))))) {
			best = vp;
			best_k0 = k0;
			best_k1 = k1;
		}
	}
	return best ? best->part : NULL;
}

/* May vp be sent to idle thread t now: allowed there, and t's core free or held by vp's partition? */
static bool thread_takes(struct hv *hv, const struct hv_vp *vp, const struct hv_lp *t, bool free_core)
{
	if (t->cur || sim_timer_pending(&t->kick_timer) || !hv_vp_allowed(hv, vp, t))
		return false;
	const struct core *c = core_of(hv, t);
	if (c->draining)
		return false;
	struct hv_partition *holder = core_holder(hv, c, NULL);
	return free_core ? holder == NULL : holder == vp->part;
}

/*
 * An idle thread for a ready vp: the LP it is queued on, then (home node first) a thread of a
 * free core, then a thread of a core its partition holds. Cores of `skip` are not considered
 * (the core being decided). O(LPs x threads).
 */
static struct hv_lp *find_thread(struct hv *hv, const struct hv_vp *vp, const struct core *skip)
{
	const struct hv_lp *q = sim_container_of(vp->rq, struct hv_lp, rq);
	if (core_of(hv, q) != skip && (thread_takes(hv, vp, q, true) || thread_takes(hv, vp, q, false)))
		return &hv->lps[q->id];
	/* one pass; rank: 0 home node free core, 1 home node held core, 2 and 3 the same elsewhere */
	struct hv_lp *best[4] = {NULL, NULL, NULL, NULL};
	uint32_t home = vp->home_node;
	for (uint32_t i = 0; i < hv->nlps && !best[0]; i++) {
		struct hv_lp *t = &hv->lps[i];
		if (t->cur || core_of(hv, t) == skip)
			continue;
		uint32_t far = t->hw->node == home ? 0 : 2;
		if (!best[far] && thread_takes(hv, vp, t, true))
			best[far] = t;
		else if (!best[far + 1] && thread_takes(hv, vp, t, false))
			best[far + 1] = t;
	}
	for (uint32_t r = 0; r < 4; r++)
		if (best[r])
			return best[r];
	return NULL;
}

/* Expires the quantum of the core and has its threads reschedule (they decide the core anew). */
static void core_expire(struct hv *hv, struct core *c)
{
	c->quantum_end = now_of(hv);
	for (uint32_t i = c->first; i < c->first + c->n; i++)
		if (hv->lps[i].cur)
			hv_lp_kick(&hv->lps[i]);
}

/*
 * vp is queued inside its reserve and no thread can take it at once: expire a core where it may
 * run that holds no VP inside its own reserve (its queue LP's core first). Its class-0 key then
 * wins the decision that follows.
 */
static void preempt_for_reserve(struct hv *hv, struct hv_vp *vp)
{
	struct core_data *d = data_of(hv);
	const struct hv_lp *q = sim_container_of(vp->rq, struct hv_lp, rq);
	uint32_t ncores = hw_ncores(hv->host), first = q->hw->core;
	for (uint32_t k = 0; k < ncores; k++) {
		struct core *c = &d->cores[(first + k) % ncores];
		if (c->draining || c->quantum_end <= now_of(hv))
			continue;
		bool allowed = false, reserved = false, busy = false;
		for (uint32_t i = c->first; i < c->first + c->n; i++) {
			const struct hv_lp *t = &hv->lps[i];
			allowed = allowed || hv_vp_allowed(hv, vp, t);
			busy = busy || t->cur;
			reserved = reserved || (t->cur && hv_vp_reserve_deficit(hv, t->cur));
		}
		if (allowed && busy && !reserved) {
			core_expire(hv, c);
			return;
		}
	}
}

/* Makes sure someone takes a newly ready VP soon (classic's wake_lp, core-aware). */
static void wake_thread(struct hv *hv, struct hv_vp *vp)
{
	struct hv_lp *t = find_thread(hv, vp, NULL);
	if (t)
		hv_lp_kick(t);
	else if (vp->rq_class == 0)
		preempt_for_reserve(hv, vp);
}

static void core_enqueue(struct hv *hv, struct hv_vp *vp, enum hv_why why)
{
	if (!data_of(hv)->smt) {
		hv_sched_classic.enqueue(hv, vp, why);
		return;
	}
	hv_classic_queue(hv, vp, why);
	if (why != HV_WHY_PREEMPT && why != HV_WHY_YIELD)
		wake_thread(hv, vp);
}

/*
 * A decision on lp: the core's next partition and quantum. With siblings still holding VPs of
 * another partition the core drains (they are kicked, lp idles until the last of them leaves and
 * decides again); otherwise lp takes the partition's best VP for it and the idle siblings are
 * kicked to join (all of them when lp found one; else those whose own best is of that partition,
 * one of which surely finds it, so kicks cannot bounce between idle threads forever).
 */
static struct hv_vp *core_decide(struct hv *hv, struct core *c, struct hv_lp *lp, struct hv_partition *holder)
{
	struct core_data *d = data_of(hv);
	c->draining = false;
	struct hv_partition *next = core_choose(hv, c);
	c->quantum_end = now_of(hv) + hv->cfg.timeslice;
	if (!next)
		return NULL; /* nothing ready for this core; siblings (if any) go on with their VPs */
	if (holder && holder != next) {
		c->draining = true;
		for (uint32_t i = c->first; i < c->first + c->n; i++)
			if (&hv->lps[i] != lp && hv->lps[i].cur)
				hv_lp_kick(&hv->lps[i]);
		return NULL;
	}
	struct hv_vp *vp = hv_classic_pick_where(hv, lp, same_partition, next);
	for (uint32_t i = c->first; i < c->first + c->n; i++) {
		struct hv_lp *t = &hv->lps[i];
		if (t != lp && !t->cur && (vp || d->choice[i] == next))
			hv_lp_kick(t);
	}
	return vp;
}

/*
 * The next VP for lp: idle while its core drains; a VP of the core's partition inside the
 * quantum; else a decision for the whole core. A VP displaced from lp looks for an idle thread
 * elsewhere (a free core), since the core it leaves may now belong to another partition.
 */
static struct hv_vp *core_pick(struct hv *hv, struct hv_lp *lp, struct hv_vp *prev)
{
	if (!data_of(hv)->smt)
		return hv_sched_classic.pick(hv, lp, prev);
	struct core *c = core_of(hv, lp);
	struct hv_partition *holder = core_holder(hv, c, lp);
	struct hv_vp *next;
	if (holder && c->draining)
		next = NULL;
	else if (holder && now_of(hv) < c->quantum_end)
		next = hv_classic_pick_where(hv, lp, same_partition, holder);
	else
		next = core_decide(hv, c, lp, holder);
	if (prev && next != prev && prev->rq) {
		struct hv_lp *t = find_thread(hv, prev, c);
		if (t)
			hv_lp_kick(t);
	}
	return next;
}

/* Classic's slice, cut at the core's quantum end so that the whole core is decided again then. */
static sim_time_t core_slice(struct hv *hv, struct hv_lp *lp, struct hv_vp *vp)
{
	sim_time_t s = hv_classic_slice(hv, lp, vp);
	if (!data_of(hv)->smt)
		return s;
	const struct core *c = core_of(hv, lp);
	sim_time_t now = now_of(hv);
	sim_time_t left = c->quantum_end > now ? c->quantum_end - now : 1;
	return left < s ? left : s;
}

/* Queued VPs of p (NULL: all) that have just entered their reserve get a core. */
static void reserve_sweep(struct hv *hv, struct hv_partition *only)
{
	for (guint i = 0; i < hv->parts->len; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		if ((only && p != only) || p->reserve <= 0)
			continue;
		for (guint v = 0; v < p->vps->len; v++) {
			struct hv_vp *vp = p->vps->pdata[v];
			if (vp->rq && vp->rq_class == 0)
				wake_thread(hv, vp);
		}
	}
}

static void core_reweight(struct hv *hv, struct hv_partition *p)
{
	hv_classic_reweight(hv, p);
	if (data_of(hv)->smt)
		reserve_sweep(hv, p);
}

static void core_period(struct hv *hv)
{
	hv_classic_period(hv);
	if (data_of(hv)->smt)
		reserve_sweep(hv, NULL);
}

static bool core_init(struct hv *hv, GError **error)
{
	(void)error;
	struct core_data *d = g_new0(struct core_data, 1);
	uint32_t ncores = hw_ncores(hv->host);
	d->cores = g_new0(struct core, ncores);
	d->choice = g_new0(struct hv_partition *, hv->nlps);
	for (uint32_t i = 0; i < hv->nlps; i++) {
		const struct hw_lp *h = hv->lps[i].hw;
		d->cores[h->core] = (struct core){.first = h->first_thread, .n = h->nthreads};
		d->smt = d->smt || h->nthreads > 1;
	}
	hv->policy_data = d;
	return true;
}

static void core_fini(struct hv *hv)
{
	struct core_data *d = hv->policy_data;
	g_free(d->cores);
	g_free(d->choice);
	g_free(d);
	hv->policy_data = NULL;
}

const struct hv_sched_ops hv_sched_core = {
	.name = "core",
	.init = core_init,
	.fini = core_fini,
	.enqueue = core_enqueue,
	.dequeue = hv_classic_dequeue,
	.pick = core_pick,
	.slice = core_slice,
	.charge = hv_classic_charge,
	.reweight = core_reweight,
	.period = core_period,
};
