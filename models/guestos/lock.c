/* SPDX-License-Identifier: MIT */
/*
 * lock.c - guest locks (lock.h): taking, waiting (spin, halt, notify, sleep by kind), hand-off,
 *          and the lock metrics, including lock-holder and lock-waiter preemption.
 * Waiting is an operation of a class (guestos.h): the waiter's resume() runs whenever its vCPU runs
 * it, and decides by kind: spin until notified (tas, ticket, qspinlock), spin up to a budget of
 * on-CPU time then halt until kicked (pv-qspinlock), spin up to a budget then make the long-spin
 * hypercall (hyperv), or sleep (mutex). Budgets count on-CPU spin only.
 * Lock-holder preemption is counted from the truth (vhw_true_steal of the holder's vCPU grew
 * while it held the lock); lock-waiter preemption likewise between the hand-off and the take.
 */
#include <string.h>

#include "models/guestos/gos-int.h"
#include "models/guestos/lock.h"

struct gos_lock {
	struct gos_kernel *k;
	char *name;
	enum gos_lock_kind kind;
	struct gos_task *owner;
	uint32_t track;                /* trace: a slice per hold, named after the holder ("vm:NAME", "lock:NAME") */
	GQueue waiters;                /* struct gos_task *, by arrival (lock_link) */
	sim_time_t hold_since, holder_steal;
	uint64_t acquisitions, contended, lhp, lwp, pv_halts, pv_kicks, long_spins;
	sim_time_t spin;
	struct sim_hist wait, hold;
};

static const char *const kind_names[] = {"tas", "ticket", "qspinlock", "pv-qspinlock", "hyperv", "mutex"};

const char *gos_lock_kind_name(enum gos_lock_kind k) { return kind_names[k]; }

bool gos_lock_kind_parse(const char *s, enum gos_lock_kind *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(kind_names); i++)
		if (strcmp(s, kind_names[i]) == 0) {
			*out = (enum gos_lock_kind)i;
			return true;
		}
	return false;
}

/*
 * FIFO hand-off (ticket, qspinlock, hyperv, mutex) or a free lock any running waiter may take:
 * tas, and pv-qspinlock, whose unlock frees the lock and kicks the queue head while running
 * waiters may steal it (Linux's pv_hybrid_queued_unfair_trylock, against lock-waiter preemption).
 */
static bool fifo(const struct gos_lock *l) { return l->kind != GOS_LOCK_TAS && l->kind != GOS_LOCK_PVQSPIN; }
static bool sleeps(const struct gos_lock *l) { return l->kind == GOS_LOCK_MUTEX; }

static sim_time_t iterations(const struct gos_task *t, uint32_t n)
{
	const struct gos_kernel *k = t->k;
	uint64_t cycles = (uint64_t)n * k->cfg.spin_pause_cycles;
	sim_time_t ps = 0;
	sim_time_from_cycles(cycles, vhw_khz(t->cpu->cpu), &ps);
	return ps;
}

/* t holds l from now on. */
static void take(struct gos_lock *l, struct gos_task *t, bool handed)
{
	sim_time_t now = gos_now(l->k);
	l->owner = t;
	l->acquisitions++;
	l->hold_since = now;
	sim_trace_begin(l->k->sim, l->track, t->name);
	l->holder_steal = gos_task_cpu_true_steal(t);
	sim_hist_record(&l->wait, now - (t->lock_wait ? t->lock_asked : now));
	if (t->lock_wait) {
		g_queue_unlink(&l->waiters, &t->lock_link);
		l->spin += t->op_spun;
		if (handed && gos_task_cpu_true_steal(t) > t->lock_grant_steal)
			l->lwp++; /* handed to it while its VP was (or went) off: everyone behind waited */
		t->lock_wait = NULL;
	}
	if (!sleeps(l))
		gos_task_preempt_disable(t);
	enum gos_cost cost = handed ? GOS_COST_LOCK_HANDOFF : GOS_COST_LOCK;
	if (t->cpu == t->k->ctx)
		gos_kwork_add(t->cpu, cost);
	else
		t->penalty += gos_cost_cycles(t->cpu, cost); /* a sleeper handed the lock pays when it runs */
}

/* ---- taking ---- */

static void wait_step(struct gos_lock *l, struct gos_task *t)
{
	switch (l->kind) {
	case GOS_LOCK_PVQSPIN:
		if (t->op_spun < t->lock_budget) {
			gos_op_spin(t, t->lock_budget);
		} else {
			l->pv_halts++;
			t->lock_halted = true;
			t->lock_budget = t->op_spun + iterations(t, t->k->cfg.pv_spin_threshold); /* pv_wait, then spin again */
			gos_op_halt(t);
		}
		return;
	case GOS_LOCK_HYPERV:
		if (t->op_spun < t->lock_budget) {
			gos_op_spin(t, t->lock_budget);
		} else {
			l->long_spins++;
			t->lock_budget = t->op_spun + iterations(t, t->k->cfg.long_spin_threshold);
			gos_op_hypercall(t, VHW_HC_LONG_SPIN_WAIT);
		}
		return;
	default:
		gos_op_spin(t, SIM_TIME_MAX);
		return;
	}
}

static void acquire_resume(struct gos_task *t)
{
	struct gos_lock *l = t->op.arg;
	t->lock_halted = false;
	if (t->lock_granted || (!fifo(l) && !l->owner)) {
		take(l, t, t->lock_granted);
		t->lock_granted = false;
		gos_op_done(t);
		return;
	}
	wait_step(l, t);
}

static void acquire_start(struct gos_task *t, const struct gos_op *op)
{
	struct gos_lock *l = op->arg;
	SIM_ASSERT(l->k->sim, l->owner != t);
	if (!l->owner && (!fifo(l) || g_queue_is_empty(&l->waiters))) {
		take(l, t, false);
		gos_op_done(t);
		return;
	}
	l->contended++;
	t->lock_wait = l;
	t->lock_asked = gos_now(l->k);
	t->lock_granted = t->lock_halted = false;
	t->lock_link.data = t;
	g_queue_push_tail_link(&l->waiters, &t->lock_link);
	if (l->kind == GOS_LOCK_PVQSPIN)
		t->lock_budget = iterations(t, t->k->cfg.pv_spin_threshold);
	else if (l->kind == GOS_LOCK_HYPERV)
		t->lock_budget = iterations(t, t->k->cfg.long_spin_threshold);
	if (sleeps(l))
		gos_op_block(t); /* woken by the hand-off, which has taken the lock for it */
}

static const struct gos_op_class spin_acquire = {
	.name = "spin_lock", .start = acquire_start, .resume = acquire_resume, .preempt_off = true};
static const struct gos_op_class mutex_acquire = {.name = "mutex_lock", .start = acquire_start};

/* ---- releasing ---- */

static void release_start(struct gos_task *t, const struct gos_op *op)
{
	struct gos_lock *l = op->arg;
	SIM_ASSERT(l->k->sim, l->owner == t);
	sim_time_t now = gos_now(l->k);
	sim_hist_record(&l->hold, now - l->hold_since);
	sim_trace_end(l->k->sim, l->track);
	if (!sleeps(l) && gos_task_cpu_true_steal(t) > l->holder_steal)
		l->lhp++; /* a spinlock holder stays on its vCPU: that vCPU's steal grew while it held */
	l->owner = NULL;
	if (!sleeps(l))
		gos_task_preempt_enable(t);
	gos_kwork_add(t->cpu, GOS_COST_LOCK);
	if (fifo(l)) {
		GList *first = g_queue_peek_head_link(&l->waiters);
		if (first) {
			struct gos_task *next = first->data;
			if (sleeps(l)) {
				take(l, next, true);
				gos_task_wake(next); /* its lock operation ends when it runs */
			} else {
				l->owner = next; /* handed over: it is the owner once it runs */
				next->lock_granted = true;
				next->lock_grant_steal = gos_task_cpu_true_steal(next);
				if (next->lock_halted) {
					l->pv_kicks++;
					gos_op_kick(next);
				} else {
					gos_op_notify(next);
				}
			}
		}
	} else {
		for (GList *w = l->waiters.head; w; w = w->next) {
			struct gos_task *wt = w->data;
			if (wt->lock_halted && w == l->waiters.head) {
				l->pv_kicks++; /* pv_kick: the queue head is halted (kicked once) */
				wt->lock_halted = false;
				gos_op_kick(wt);
			} else {
				gos_op_notify(wt); /* every spinner looks; the first to run takes it */
			}
		}
	}
	gos_op_done(t);
}

static const struct gos_op_class spin_release = {.name = "spin_unlock", .start = release_start};

void gos_op_lock(struct gos_op *op, struct gos_lock *l)
{
	*op = (struct gos_op){.kind = GOS_OP_CALL, .cls = sleeps(l) ? &mutex_acquire : &spin_acquire, .arg = l};
}

void gos_op_unlock(struct gos_op *op, struct gos_lock *l)
{
	*op = (struct gos_op){.kind = GOS_OP_CALL, .cls = &spin_release, .arg = l};
}

/* ---- the lock itself ---- */

struct gos_lock *gos_lock_new(struct gos_kernel *k, const char *name, enum gos_lock_kind kind)
{
	struct gos_lock *l = g_new0(struct gos_lock, 1);
	l->k = k;
	l->name = g_strdup(name);
	l->kind = kind;
	char *track = g_strdup_printf("lock:%s", name);
	l->track = sim_trace_track(k->sim, k->name, track);
	g_free(track);
	g_queue_init(&l->waiters);
	sim_hist_init(&l->wait);
	sim_hist_init(&l->hold);
	sim_track_hist(k->sim, &l->wait);
	sim_track_hist(k->sim, &l->hold);
	g_ptr_array_add(k->locks, l);
	return l;
}

void gos_lock_free(struct gos_lock *l)
{
	sim_hist_clear(&l->wait);
	sim_hist_clear(&l->hold);
	g_free(l->name);
	g_free(l);
}

uint32_t gos_nlocks(const struct gos_kernel *k) { return k->locks->len; }
struct gos_lock *gos_lock_at(const struct gos_kernel *k, uint32_t i) { return k->locks->pdata[i]; }
const char *gos_lock_name(const struct gos_lock *l) { return l->name; }
enum gos_lock_kind gos_lock_kind(const struct gos_lock *l) { return l->kind; }

/* On-CPU spin of the tasks still waiting (their waits are added to l->spin when they take it). */
static sim_time_t waiting_spin(const struct gos_lock *l)
{
	sim_time_t s = 0, now = gos_now(l->k);
	for (GList *w = l->waiters.head; w; w = w->next) {
		const struct gos_task *t = w->data;
		s += t->op_spun;
		if (t->cpu && t->cpu->curr == t && t->cpu->spinning && t->cpu->in_guest)
			s += now - t->cpu->spin_since;
	}
	return s;
}

void gos_lock_stats(const struct gos_lock *l, struct gos_lock_stats *out)
{
	*out = (struct gos_lock_stats){
		.acquisitions = l->acquisitions, .contended = l->contended, .lhp_events = l->lhp, .lwp_events = l->lwp,
		.pv_halts = l->pv_halts, .pv_kicks = l->pv_kicks, .long_spin_waits = l->long_spins, .spin = l->spin + waiting_spin(l),
		.wait = &l->wait, .hold = &l->hold,
	};
}
