/* SPDX-License-Identifier: MIT */
/*
 * vp.c - how VPs run: dispatch onto LPs, the switch-in cost, guest mode, exits and their costs,
 *        interrupts and wakeups, time slices, limits, and the vhw_* calls guests make.
 * Role: the mechanism half of the VP scheduler (hv-int.h); the policy (sched_*.c) only chooses.
 * Life of a VP on an LP: dispatch -> [switch: vp_switch cost, hypervisor time] -> guest mode
 *       (pending interrupts delivered, then run()) -> an exit (hypercall, intercept, interrupt,
 *       halt, IPI, yield: its cost in hypervisor time, stop() called first) -> back to guest
 *       mode, or blocked, or off the LP. A reschedule requested while the VP is in the
 *       hypervisor waits for the exit to finish, as a real hypervisor reschedules at its exit
 *       boundary. The VP's own time counts in guest_run (spin included), hypervisor time in
 *       hypervisor_run; both count against its weight, reserve and limit.
 */
#include <string.h>

#include "models/hypervisor/hv-int.h"

enum { VP_EV_EXIT_DONE = 1, VP_EV_STIMER, VP_EV_PLE, LP_EV_SLICE, LP_EV_KICK };

static sim_time_t now_of(const struct hv *hv) { return sim_now(hv->sim); }
static sim_time_t cost(const struct hv *hv, enum hv_cost k) { return hv->cfg.costs.ps[k]; }

/* ---- accounting ---- */

/* Adds the time since mode_since to the bucket the VP's current activity belongs to. */
static void vp_account(struct hv_vp *vp)
{
	sim_time_t now = now_of(vp->hv), d = now - vp->mode_since;
	vp->mode_since = now;
	if (vp->state != HV_VP_RUNNING || d == 0)
		return;
	if (vp->mode == HV_MODE_GUEST) {
		vp->c.guest_run += d;
		if (vp->spinning)
			vp->c.spin += d;
	} else {
		vp->c.hypervisor_run += d;
	}
}

static enum hw_cat vp_cat(const struct hv_vp *vp)
{
	if (vp->mode != HV_MODE_GUEST)
		return HW_CAT_HYPERVISOR;
	if (vp->part->is_root)
		return HW_CAT_ROOT;
	return vp->spinning ? HW_CAT_SPIN : HW_CAT_GUEST;
}

/* Charges the run time since the last charge to the VP's budgets and to the policy. */
static void vp_charge(struct hv_vp *vp)
{
	struct hv *hv = vp->hv;
	sim_time_t ran = now_of(hv) - vp->run_start;
	vp->run_start = now_of(hv);
	vp->used += ran;
	hv->sched->charge(hv, vp, ran);
}

void hv_vp_advance_vruntime(struct hv_vp *vp, sim_time_t ran)
{
	vp->vruntime += hv_weighted(vp, ran);
}

sim_time_t hv_vp_budget_left(const struct hv *hv, const struct hv_vp *vp)
{
	if (vp->part->limit >= 100 || hv->bare_metal)
		return SIM_TIME_MAX;
	sim_time_t budget = (sim_time_t)((double)hv->cfg.period * vp->part->limit / 100.0);
	return vp->used >= budget ? 0 : budget - vp->used;
}

sim_time_t hv_vp_reserve_left(const struct hv *hv, const struct hv_vp *vp)
{
	if (vp->part->reserve <= 0 || hv->bare_metal)
		return 0;
	sim_time_t r = (sim_time_t)((double)hv->cfg.period * vp->part->reserve / 100.0);
	return vp->used >= r ? 0 : r - vp->used;
}

/* ---- trace (sim/trace.h): a slice per VP on its LP's track, ready VPs, steal per VM ---- */

/* The count of ready VPs, when it changed. Walks every VP: runs only while tracing. */
G_GNUC_NO_INLINE static void trace_ready_count(struct hv *hv)
{
	int64_t n = 0;
	for (guint i = 0; i < hv->parts->len; i++) {
		const struct hv_partition *p = hv->parts->pdata[i];
		for (guint v = 0; v < p->vps->len; v++)
			n += ((const struct hv_vp *)p->vps->pdata[v])->state == HV_VP_READY;
	}
	if (n != hv->ready_traced)
		sim_trace_counter(hv->sim, hv->ready_track, "runnable VPs", (double)n);
	hv->ready_traced = n;
}

/* The partition's steal so far (its VPs' time ready but not running, ms), at a dispatch. */
G_GNUC_NO_INLINE static void trace_steal_now(const struct hv_partition *p)
{
	if (p->is_root)
		return;
	sim_time_t steal = 0;
	for (guint v = 0; v < p->vps->len; v++)
		steal += vhw_true_steal(&((struct hv_vp *)p->vps->pdata[v])->cpu);
	sim_trace_counter(p->hv->sim, p->steal_track, "steal ms", (double)steal / SIM_PS_PER_MS);
}

/* The VP's state while off its LP, on its vCPU track: "ready", "halted", "root wait", or NULL. */
G_GNUC_NO_INLINE static void trace_state_now(struct hv_vp *vp, const char *state)
{
	struct sim *sim = vp->hv->sim;
	if (vp->part->is_root || state == vp->traced_state)
		return;
	if (vp->traced_state)
		sim_trace_end(sim, vp->cpu.track);
	if (state)
		sim_trace_begin(sim, vp->cpu.track, state);
	vp->traced_state = state;
}

/* The trace hooks: one inline test of the sink when nothing traces (the bodies stay out of line). */
static inline void trace_ready(struct hv *hv)
{
	if (sim_tracing(hv->sim))
		trace_ready_count(hv);
}

static inline void trace_steal(const struct hv_partition *p)
{
	if (sim_tracing(p->hv->sim))
		trace_steal_now(p);
}

static inline void trace_state(struct hv_vp *vp, const char *state)
{
	if (sim_tracing(vp->hv->sim))
		trace_state_now(vp, state);
}

/* ---- becoming ready ---- */

static void vp_ready(struct hv_vp *vp, enum hv_why why)
{
	struct hv *hv = vp->hv;
	vp->state = HV_VP_READY;
	vp->ready_since = now_of(hv);
	trace_state(vp, "ready");
	trace_ready(hv);
	if (hv_vp_budget_left(hv, vp) == 0) {
		vp->throttled = true;
		g_queue_push_tail_link(&hv->throttled, &vp->throttle_link);
		return;
	}
	if (hv_costop_park(hv, vp))
		return;
	hv->sched->enqueue(hv, vp, why);
}

/* A blocked (halted, or waiting for the root) VP becomes runnable. */
static void vp_wake(struct hv_vp *vp)
{
	if (vp->state != HV_VP_BLOCKED || !vp->part->running)
		return;
	vp->root_wait = false;
	vp_ready(vp, HV_WHY_WAKE);
}

void hv_lp_kick(struct hv_lp *lp)
{
	if (!sim_timer_pending(&lp->kick_timer))
		sim_timer_arm(lp->hv->sim, &lp->kick_timer, now_of(lp->hv));
}

/* ---- on and off an LP ---- */

static void enter_guest(struct hv_vp *vp);
static void lp_schedule(struct hv_lp *lp);
static void ple_exit(struct hv_vp *vp);

static void lp_idle(struct hv_lp *lp)
{
	lp->cur = NULL;
	hw_lp_set_cat(lp->hw, HW_CAT_IDLE);
}

static void arm_slice(struct hv_lp *lp, struct hv_vp *vp)
{
	struct hv *hv = lp->hv;
	sim_time_t s = hv->sched->slice(hv, lp, vp), b = hv_vp_budget_left(hv, vp);
	if (b < s)
		s = b;
	if (s == SIM_TIME_MAX)
		sim_timer_cancel(hv->sim, &lp->slice_timer);
	else
		sim_timer_arm(hv->sim, &lp->slice_timer, now_of(hv) + s);
}

static void dispatch(struct hv_lp *lp, struct hv_vp *vp)
{
	struct hv *hv = lp->hv;
	sim_time_t now = now_of(hv);
	vp->state = HV_VP_RUNNING;
	vp->lp = lp;
	lp->cur = vp;
	vp->c.wait += now - vp->ready_since;
	vp->c.dispatches++;
	sim_trace_begin(hv->sim, lp->track, vp->label);
	trace_state(vp, NULL);
	trace_steal(vp->part);
	lp->dispatches++;
	if (vp->last_lp >= 0 && (uint32_t)vp->last_lp != lp->id)
		vp->c.migrations++;
	vp->last_lp = (int32_t)lp->id;
	vp->run_start = now;
	vp->mode_since = now;
	vp->ple_window = hv->cfg.ple_window;
	arm_slice(lp, vp);
	bool switched = lp->last != vp;
	lp->last = vp;
	/* a switch loads the VP's state; a VP woken from halt on its own LP still takes the physical
	   interrupt in the hypervisor and an entry with the virtual one injected */
	sim_time_t entry = switched ? cost(hv, HV_COST_VP_SWITCH) : vp->irq_wake ? cost(hv, HV_COST_INTERRUPT) : 0;
	vp->irq_wake = false;
	if (entry > 0) {
		vp->mode = HV_MODE_SWITCH;
		vp->after = HV_AFTER_RESUME;
		hw_lp_set_cat(lp->hw, HW_CAT_HYPERVISOR);
		sim_timer_arm(hv->sim, &vp->exit_timer, now + entry);
		return;
	}
	vp->mode = HV_MODE_EXIT; /* entering: enter_guest switches the accounting to guest mode */
	enter_guest(vp);
}

/* Takes a (runnable or blocking) VP off its LP; its work is settled and kept by the guest. */
static void vp_leave_lp(struct hv_vp *vp)
{
	struct hv_lp *lp = vp->lp;
	vp_account(vp);
	sim_timer_cancel(vp->hv->sim, &vp->ple_timer);
	if (vp->mode == HV_MODE_GUEST) {
		hw_lp_stop(lp->hw);
		vp->mode = HV_MODE_EXIT;
		if (vp->gops)
			vp->gops->stop(&vp->cpu);
	}
	vp->lp = NULL;
	lp->cur = NULL;
	sim_trace_end(vp->hv->sim, lp->track);
}

/*
 * The scheduling decision on lp: the current VP (if any, and if it is at a boundary) is charged
 * and queued again, the policy picks, and the LP switches if the choice differs.
 */
static void lp_schedule(struct hv_lp *lp)
{
	struct hv *hv = lp->hv;
	struct hv_vp *prev = lp->cur;
	if (prev && sim_timer_pending(&prev->exit_timer)) {
		lp->need_resched = true; /* in the hypervisor: decide when the exit is done */
		return;
	}
	lp->need_resched = false;
	sim_timer_cancel(hv->sim, &lp->slice_timer);
	bool yielding = prev && prev->after == HV_AFTER_YIELD && prev->mode != HV_MODE_GUEST;
	if (prev) {
		vp_account(prev);
		vp_charge(prev);
		prev->state = HV_VP_READY;
		prev->ready_since = now_of(hv);
		if (hv_vp_budget_left(hv, prev) == 0) {
			prev->throttled = true;
			g_queue_push_tail_link(&hv->throttled, &prev->throttle_link);
		} else if (hv_costop_park(hv, prev)) {
			/* co-stopped: waits for its siblings */
		} else if (!yielding) {
			hv->sched->enqueue(hv, prev, HV_WHY_PREEMPT);
		}
	}
	struct hv_vp *next = NULL, *boost = lp->yield_to;
	lp->yield_to = NULL;
	bool parked = prev && (prev->throttled || prev->costop);
	if (yielding && boost && boost->state == HV_VP_READY && !boost->throttled && !boost->costop &&
	    hv_vp_allowed(hv, boost, lp)) {
		hv->sched->dequeue(hv, boost); /* directed yield: the preempted sibling runs here now */
		next = boost;
		prev->c.directed_yields++;
	} else {
		next = hv->sched->pick(hv, lp, prev && !yielding && !parked ? prev : NULL);
	}
	if (yielding && !parked) {
		/* a yield gives the LP to anyone else first; the yielder is queued after the pick */
		hv->sched->enqueue(hv, prev, HV_WHY_YIELD);
		if (!next)
			next = hv->sched->pick(hv, lp, prev);
	}
	if (prev && prev->after == HV_AFTER_YIELD)
		prev->after = HV_AFTER_RESUME;
	if (next && next == prev) {
		/* the same VP goes on: no switch, no dispatch */
		prev->state = HV_VP_RUNNING;
		arm_slice(lp, prev);
		if (prev->mode != HV_MODE_GUEST)
			enter_guest(prev);
		return;
	}
	if (prev) {
		if (!yielding) {
			prev->c.preemptions++;
			lp->preemptions++;
		}
		vp_leave_lp(prev);
		trace_state(prev, "ready");
	}
	if (next)
		dispatch(lp, next);
	else
		lp_idle(lp);
	trace_ready(hv);
}

/* ---- guest mode and exits ---- */

static int pending_highest(const struct hv_vp *vp)
{
	for (int w = 3; w >= 0; w--)
		if (vp->pending[w])
			return w * 64 + 63 - __builtin_clzll(vp->pending[w]);
	return -1;
}

static void enter_guest(struct hv_vp *vp)
{
	struct hv_lp *lp = vp->lp;
	vp_account(vp);
	vp->mode = HV_MODE_GUEST;
	hw_lp_set_cat(lp->hw, vp_cat(vp));
	if (!vp->gops)
		return; /* no guest attached: the VP idles in guest mode (tests of the mechanism) */
	int vec;
	while (vp->mode == HV_MODE_GUEST && vp->lp == lp && (vec = pending_highest(vp)) >= 0) {
		vp->pending[vec / 64] &= ~(UINT64_C(1) << (vec % 64));
		vp->c.interrupts++;
		vp->gops->interrupt(&vp->cpu, (unsigned)vec);
	}
	if (vp->mode == HV_MODE_GUEST && vp->lp == lp)
		vp->gops->run(&vp->cpu);
}

/* The VP leaves guest mode for `ps` of hypervisor time; `after` says what follows. */
static void begin_exit(struct hv_vp *vp, sim_time_t ps, enum hv_after after)
{
	struct hv *hv = vp->hv;
	SIM_ASSERT(hv->sim, vp->state == HV_VP_RUNNING && vp->mode == HV_MODE_GUEST);
	vp_account(vp);
	hw_lp_stop(vp->lp->hw);
	sim_timer_cancel(hv->sim, &vp->ple_timer);
	vp->mode = HV_MODE_EXIT;
	vp->after = after;
	if (!hv->bare_metal)
		vp->c.exits++;
	hw_lp_set_cat(vp->lp->hw, HW_CAT_HYPERVISOR);
	sim_timer_arm(hv->sim, &vp->exit_timer, now_of(hv) + ps);
	if (vp->gops)
		vp->gops->stop(&vp->cpu);
}

static bool any_pending(const struct hv_vp *vp) { return (vp->pending[0] | vp->pending[1] | vp->pending[2] | vp->pending[3]) != 0; }

static void root_done(void *arg) { vp_wake(arg); }

static void exit_done(struct hv_vp *vp)
{
	struct hv *hv = vp->hv;
	struct hv_lp *lp = vp->lp;
	if (vp->ipi_target) {
		struct hv_vp *t = vp->ipi_target;
		vp->ipi_target = NULL;
		hv_vp_raise(t, vp->ipi_vector);
	}
	switch (vp->after) {
	case HV_AFTER_HALT:
		if (any_pending(vp))
			break; /* HLT with an interrupt pending returns at once */
		/* fall through */
	case HV_AFTER_ROOT:
		vp_charge(vp);
		vp_leave_lp(vp);
		vp->state = HV_VP_BLOCKED;
		trace_state(vp, vp->after == HV_AFTER_ROOT ? "root wait" : "halted");
		if (vp->after == HV_AFTER_ROOT) {
			vp->root_wait = true;
			hv_root_submit(hv, vp->root_worker ? hv_partition_worker_lp(vp->part) : lp->id, vp->root_cycles,
				       root_done, vp);
		}
		vp->after = HV_AFTER_RESUME;
		sim_timer_cancel(hv->sim, &lp->slice_timer);
		lp_schedule(lp);
		return;
	case HV_AFTER_YIELD:
		vp->c.yields++;
		lp_schedule(lp);
		return;
	case HV_AFTER_RESUME:
		break;
	}
	vp->after = HV_AFTER_RESUME;
	if (lp->need_resched)
		lp_schedule(lp);
	else
		enter_guest(vp);
}

/* ---- interrupts ---- */

void hv_vp_raise(struct hv_vp *vp, unsigned vector)
{
	SIM_ASSERT(vp->hv->sim, vector < 256);
	if (vp->state == HV_VP_OFF)
		return;
	vp->pending[vector / 64] |= UINT64_C(1) << (vector % 64);
	if (vp->state == HV_VP_BLOCKED && !vp->root_wait) {
		vp->irq_wake = true;
		vp_wake(vp);
	} else if (vp->state == HV_VP_RUNNING && vp->mode == HV_MODE_GUEST)
		begin_exit(vp, cost(vp->hv, HV_COST_INTERRUPT), HV_AFTER_RESUME);
}

/* ---- enforcement periods ---- */

void hv_period_start(struct hv *hv)
{
	/* charge running VPs up to the boundary so that each period sees its own use */
	for (uint32_t i = 0; i < hv->nlps; i++)
		if (hv->lps[i].cur)
			vp_charge(hv->lps[i].cur);
	for (guint p = 0; p < hv->parts->len; p++) {
		struct hv_partition *part = hv->parts->pdata[p];
		for (guint v = 0; v < part->vps->len; v++)
			((struct hv_vp *)part->vps->pdata[v])->used = 0;
	}
	GList *l;
	while ((l = g_queue_pop_head_link(&hv->throttled))) {
		struct hv_vp *vp = l->data;
		vp->throttled = false;
		if (vp->state == HV_VP_READY && !hv_costop_park(hv, vp))
			hv->sched->enqueue(hv, vp, HV_WHY_UNTHROTTLE);
	}
	if (hv->sched->period)
		hv->sched->period(hv);
	/* running VPs with a limit may now run longer than their old budget allowed */
	for (uint32_t i = 0; i < hv->nlps; i++) {
		struct hv_lp *lp = &hv->lps[i];
		if (lp->cur && lp->cur->part->limit < 100)
			hv_lp_kick(lp);
	}
}

/* ---- starting and stopping VPs ---- */

void hv_vp_start(struct hv_vp *vp)
{
	if (vp->state != HV_VP_OFF)
		return;
	vp->mode_since = now_of(vp->hv);
	vp_ready(vp, HV_WHY_START);
}

void hv_vp_stop(struct hv_vp *vp)
{
	struct hv *hv = vp->hv;
	switch (vp->state) {
	case HV_VP_OFF:
		return;
	case HV_VP_RUNNING: {
		struct hv_lp *lp = vp->lp;
		vp_charge(vp);
		sim_timer_cancel(hv->sim, &vp->exit_timer);
		vp_leave_lp(vp);
		sim_timer_cancel(hv->sim, &lp->slice_timer);
		hw_lp_set_cat(lp->hw, HW_CAT_IDLE);
		hv_lp_kick(lp);
		break;
	}
	case HV_VP_READY:
		vp->c.wait += now_of(hv) - vp->ready_since;
		if (vp->throttled)
			g_queue_unlink(&hv->throttled, &vp->throttle_link);
		else if (vp->costop)
			hv_costop_forget(hv, vp);
		else
			hv->sched->dequeue(hv, vp);
		vp->throttled = false;
		break;
	case HV_VP_BLOCKED:
		break;
	}
	sim_timer_cancel(hv->sim, &vp->stimer);
	sim_timer_cancel(hv->sim, &vp->ple_timer);
	vp->costop = false;
	memset(vp->pending, 0, sizeof vp->pending);
	vp->ipi_target = NULL;
	vp->root_wait = false;
	vp->after = HV_AFTER_RESUME;
	vp->mode = HV_MODE_EXIT;
	vp->state = HV_VP_OFF;
	trace_state(vp, NULL);
	trace_ready(hv);
}

/* ---- entity handlers ---- */

static void vp_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)p;
	struct hv_vp *vp = sim_container_of(ent, struct hv_vp, ent);
	if (kind == VP_EV_EXIT_DONE)
		exit_done(vp);
	else if (kind == VP_EV_PLE)
		ple_exit(vp);
	else
		hv_vp_raise(vp, VHW_VEC_TIMER);
}

static void vp_dump(const struct sim_entity *ent, FILE *out)
{
	const struct hv_vp *vp = sim_container_of(ent, struct hv_vp, ent);
	static const char *const st[] = {"off", "blocked", "ready", "running"};
	fprintf(out, "  %s: %s mode %d after %d lp %d last %d vruntime %llu used %llu\n", vp->name, st[vp->state],
		vp->mode, vp->after, vp->lp ? (int)vp->lp->id : -1, vp->last_lp, (unsigned long long)vp->vruntime,
		(unsigned long long)vp->used);
}

const struct sim_entity_ops hv_vp_ops = {.kind = "hv-vp", .event = vp_event, .dump = vp_dump};

static void lp_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)p;
	(void)kind;
	lp_schedule(sim_container_of(ent, struct hv_lp, ent));
}

static void lp_dump(const struct sim_entity *ent, FILE *out)
{
	const struct hv_lp *lp = sim_container_of(ent, struct hv_lp, ent);
	fprintf(out, "  %s: current %s, queued %u, need_resched %d\n", lp->name, lp->cur ? lp->cur->name : "-",
		sim_pq_len(&lp->rq), lp->need_resched);
}

const struct sim_entity_ops hv_lp_ops = {.kind = "hv-lp", .event = lp_event, .dump = lp_dump};

void hv_vp_timers_init(struct hv_vp *vp)
{
	sim_timer_init(&vp->exit_timer, &vp->ent, VP_EV_EXIT_DONE);
	sim_timer_init(&vp->stimer, &vp->ent, VP_EV_STIMER);
	sim_timer_init(&vp->ple_timer, &vp->ent, VP_EV_PLE);
}

void hv_lp_timers_init(struct hv_lp *lp)
{
	sim_timer_init(&lp->slice_timer, &lp->ent, LP_EV_SLICE);
	sim_timer_init(&lp->kick_timer, &lp->ent, LP_EV_KICK);
}

/* ---- the guest's side of the interface (vhw.h) ---- */

static struct hv_vp *in_guest(struct vhw_cpu *c)
{
	struct hv_vp *vp = hv_vp_of(c);
	SIM_ASSERT(vp->hv->sim, vp->state == HV_VP_RUNNING && vp->mode == HV_MODE_GUEST);
	return vp;
}

void vhw_set_guest(struct vhw_cpu *c, const struct vhw_guest_ops *ops, void *guest)
{
	struct hv_vp *vp = hv_vp_of(c);
	vp->gops = ops;
	c->guest = guest;
}

void vhw_compute(struct vhw_cpu *c, struct hw_work *w)
{
	struct hv_vp *vp = in_guest(c);
	SIM_ASSERT(vp->hv->sim, !vp->spinning);
	hw_lp_run(vp->lp->hw, w);
}

struct hw_work *vhw_compute_stop(struct vhw_cpu *c) { return hw_lp_stop(in_guest(c)->lp->hw); }

/* ---- pause-loop exiting (hv_config.ple) ---- */

/* Time of PAUSE loop before a pause-loop exit, or SIM_TIME_MAX when the loop takes none. */
static sim_time_t ple_after(const struct hv_vp *vp)
{
	const struct hv *hv = vp->hv;
	const char *ple = hv->cfg.ple ? hv->cfg.ple : "off";
	uint64_t cycles;
	if (hv->bare_metal || strcmp(ple, "off") == 0)
		return SIM_TIME_MAX;
	if (strcmp(ple, "intel") == 0) {
		if (vp->pause_cycles > hv->cfg.ple_gap)
			return SIM_TIME_MAX; /* PAUSEs too far apart: not a loop to PLE */
		cycles = vp->ple_window;
	} else {
		if (vp->pause_cycles > hv->cfg.pause_filter_thresh)
			return SIM_TIME_MAX;
		cycles = (uint64_t)hv->cfg.pause_filter_count * vp->pause_cycles;
	}
	sim_time_t t = SIM_TIME_MAX;
	sim_time_from_cycles(cycles, vp->lp->hw->khz, &t);
	return t;
}

/* A preempted VP of the same partition to hand the LP to (round robin, as kvm_vcpu_on_spin). */
static struct hv_vp *yield_candidate(struct hv_vp *vp)
{
	struct hv_partition *p = vp->part;
	uint32_t n = p->vps->len;
	for (uint32_t i = 1; i <= n; i++) {
		uint32_t j = (p->last_boosted + i) % n;
		struct hv_vp *t = p->vps->pdata[j];
		if (t != vp && t->state == HV_VP_READY && !t->throttled && !t->costop && hv_vp_allowed(vp->hv, t, vp->lp)) {
			p->last_boosted = j;
			return t;
		}
	}
	return NULL;
}

static void ple_exit(struct hv_vp *vp)
{
	struct hv *hv = vp->hv;
	if (vp->state != HV_VP_RUNNING || vp->mode != HV_MODE_GUEST || !vp->spinning)
		return;
	vp->c.ple_exits++;
	vp->c.intercepts[VHW_IC_PAUSE]++;
	uint64_t grown = vp->ple_window * 2;
	vp->ple_window = grown > hv->cfg.ple_window_max ? hv->cfg.ple_window_max : grown;
	if (hv->cfg.directed_yield)
		vp->lp->yield_to = yield_candidate(vp);
	begin_exit(vp, cost(hv, HV_COST_INTERCEPT_HV), HV_AFTER_YIELD);
}

void vhw_spin(struct vhw_cpu *c, bool spinning)
{
	struct hv_vp *vp = in_guest(c);
	if (vp->spinning == spinning)
		return;
	SIM_ASSERT(vp->hv->sim, !spinning || vp->lp->hw->work == NULL);
	vp_account(vp);
	vp->spinning = spinning;
	hw_lp_set_cat(vp->lp->hw, vp_cat(vp));
	sim_time_t after = spinning ? ple_after(vp) : SIM_TIME_MAX;
	if (after == SIM_TIME_MAX)
		sim_timer_cancel(vp->hv->sim, &vp->ple_timer);
	else
		sim_timer_arm(vp->hv->sim, &vp->ple_timer, now_of(vp->hv) + after);
}

void vhw_spin_pause(struct vhw_cpu *c, uint32_t cycles) { hv_vp_of(c)->pause_cycles = cycles ? cycles : 1; }

void vhw_halt(struct vhw_cpu *c)
{
	struct hv_vp *vp = in_guest(c);
	if (!vp->hv->bare_metal)
		vp->c.intercepts[VHW_IC_HALT]++;
	begin_exit(vp, cost(vp->hv, HV_COST_VMEXIT), HV_AFTER_HALT);
}

void vhw_hypercall(struct vhw_cpu *c, enum vhw_hypercall kind)
{
	struct hv_vp *vp = in_guest(c);
	if (!vp->hv->bare_metal)
		vp->c.hypercalls[kind]++;
	begin_exit(vp, cost(vp->hv, HV_COST_HYPERCALL),
		   kind == VHW_HC_LONG_SPIN_WAIT && !vp->hv->bare_metal ? HV_AFTER_YIELD : HV_AFTER_RESUME);
}

void vhw_intercept(struct vhw_cpu *c, enum vhw_intercept kind)
{
	struct hv_vp *vp = in_guest(c);
	struct hv *hv = vp->hv;
	if (hv->bare_metal) {
		begin_exit(vp, 0, HV_AFTER_RESUME); /* native: the access itself costs the guest nothing here */
		return;
	}
	vp->c.intercepts[kind]++;
	switch (vhw_intercept_where(kind)) {
	case VHW_AT_HYPERVISOR:
		begin_exit(vp, cost(hv, HV_COST_INTERCEPT_HV), kind == VHW_IC_PAUSE ? HV_AFTER_YIELD : HV_AFTER_RESUME);
		return;
	case VHW_AT_ROOT_KERNEL:
	case VHW_AT_ROOT_USER: {
		enum hv_cost k = vhw_intercept_where(kind) == VHW_AT_ROOT_KERNEL ? HV_COST_INTERCEPT_ROOT_KERNEL
										: HV_COST_INTERCEPT_ROOT_USER;
		uint64_t cycles = 0;
		sim_time_to_cycles(cost(hv, k), hw_lp_at(hv->host, 0)->khz, &cycles);
		vp->root_cycles = cycles;
		vp->root_worker = k == HV_COST_INTERCEPT_ROOT_USER;
		begin_exit(vp, cost(hv, HV_COST_VMEXIT), HV_AFTER_ROOT);
		return;
	}
	}
}

void vhw_send_ipi(struct vhw_cpu *c, uint32_t target, unsigned vector)
{
	struct hv_vp *vp = in_guest(c);
	SIM_ASSERT(vp->hv->sim, target < vp->part->vps->len);
	if (!vp->hv->bare_metal)
		vp->c.hypercalls[VHW_HC_SEND_IPI]++;
	vp->ipi_target = vp->part->vps->pdata[target];
	vp->ipi_vector = vector;
	begin_exit(vp, cost(vp->hv, HV_COST_VIRTUAL_IPI), HV_AFTER_RESUME);
}

void vhw_flush_tlb(struct vhw_cpu *c, const uint32_t *targets, uint32_t n)
{
	struct hv_vp *vp = in_guest(c);
	struct hv *hv = vp->hv;
	SIM_ASSERT(hv->sim, !hv->bare_metal);
	bool waited = false;
	for (uint32_t i = 0; i < n; i++) {
		SIM_ASSERT(hv->sim, targets[i] < vp->part->vps->len);
		struct hv_vp *t = vp->part->vps->pdata[targets[i]];
		if (t == vp || t->state != HV_VP_RUNNING)
			continue; /* not running: flushed at its next entry, nobody waits */
		waited = true;
		if (t->mode == HV_MODE_GUEST)
			begin_exit(t, cost(hv, HV_COST_TLB_FLUSH_VP), HV_AFTER_RESUME);
	}
	vp->c.hypercalls[VHW_HC_FLUSH_TLB]++;
	begin_exit(vp, cost(hv, HV_COST_HYPERCALL) + (waited ? cost(hv, HV_COST_VIRTUAL_IPI) : 0), HV_AFTER_RESUME);
}

void vhw_yield(struct vhw_cpu *c)
{
	struct hv_vp *vp = in_guest(c);
	begin_exit(vp, cost(vp->hv, HV_COST_VMEXIT), vp->hv->bare_metal ? HV_AFTER_RESUME : HV_AFTER_YIELD);
}

void vhw_timer_arm(struct vhw_cpu *c, sim_time_t when)
{
	struct hv_vp *vp = hv_vp_of(c);
	sim_time_t now = now_of(vp->hv);
	sim_timer_arm(vp->hv->sim, &vp->stimer, when < now ? now : when);
}

void vhw_timer_cancel(struct vhw_cpu *c) { sim_timer_cancel(hv_vp_of(c)->hv->sim, &hv_vp_of(c)->stimer); }
void vhw_raise(struct vhw_cpu *c, unsigned vector) { hv_vp_raise(hv_vp_of(c), vector); }

sim_time_t vhw_true_steal(const struct vhw_cpu *c)
{
	const struct hv_vp *vp = (const struct hv_vp *)(const void *)c;
	sim_time_t s = vp->steal_carry + vp->c.wait;
	if (vp->state == HV_VP_READY)
		s += now_of(vp->hv) - vp->ready_since;
	return s;
}

bool vhw_steal_clock(const struct vhw_cpu *c, sim_time_t *steal)
{
	const struct hv_vp *vp = (const struct hv_vp *)(const void *)c;
	*steal = vp->hv->steal_clock ? vhw_true_steal(c) : 0;
	return vp->hv->steal_clock;
}

bool vhw_preempted(const struct vhw_cpu *c, uint32_t target, bool *preempted)
{
	const struct hv_vp *vp = (const struct hv_vp *)(const void *)c;
	SIM_ASSERT(vp->hv->sim, target < vp->part->vps->len);
	const struct hv_vp *t = vp->part->vps->pdata[target];
	*preempted = vp->hv->steal_clock && t->state == HV_VP_READY;
	return vp->hv->steal_clock;
}

uint64_t vhw_khz(const struct vhw_cpu *c)
{
	const struct hv_vp *vp = (const struct hv_vp *)(const void *)c;
	return vp->lp ? vp->lp->hw->khz : hw_lp_at(vp->hv->host, 0)->khz;
}

bool vhw_bare_metal(const struct vhw_cpu *c) { return ((const struct hv_vp *)(const void *)c)->hv->bare_metal; }
struct sim *vhw_sim(const struct vhw_cpu *c) { return ((const struct hv_vp *)(const void *)c)->hv->sim; }
