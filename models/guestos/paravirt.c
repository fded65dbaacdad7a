/* SPDX-License-Identifier: MIT */
/*
 * paravirt.c - paravirt CPUs (docs/paravirt.md, REFERENCE 4): the vCPUs a VM uses (`in_use`: the
 *              lowest-numbered ones, as the series folds the highest cores), where that count comes
 *              from (static, a schedule, the guest's steal governor, the hypervisor's backing hint)
 *              and the hooks the scheduler calls to honour it by the configured method.
 * Methods: capacity (a paravirt vCPU's load counts 1024/capacity times: placement and the balancer
 *   avoid and drain it; its running task leaves by active balance), load-balancer (no placement on
 *   paravirt vCPUs, they never pull, preferred ones pull every queued task from them at once and
 *   the running one by active balance after cache_nice_tries + 2 failed attempts), push (the
 *   balancer method, plus the tick of a paravirt vCPU pushes its running task to a preferred one
 *   through a stopper), offline (hot-unplug: operations of hotplug_latency one after another; an
 *   offlined vCPU's tasks are moved at once, and a task allowed only there gets all vCPUs).
 * Affinity: a task allowed on no vCPU in use stays where it is (push, balancer, capacity).
 * Interrupts and VMBus channels bound to a paravirt vCPU stay there (irqbalance is unaware,
 *   REFERENCE 4.2): the vCPU wakes to serve them, at the latency of its VP's dispatch.
 */
#include <string.h>

#include "models/guestos/gos-int.h"

enum { PV_EV_DECIDE = 1, PV_EV_HOTPLUG };

static const char *const method_names[] = {"none", "capacity", "load-balancer", "push", "offline"};
static const char *const hint_names[] = {"static", "schedule", "steal", "hypervisor"};

const char *gos_pv_method_name(enum gos_pv_method m) { return method_names[m]; }
const char *gos_pv_hint_name(enum gos_pv_hint h) { return hint_names[h]; }

bool gos_pv_method_parse(const char *s, enum gos_pv_method *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(method_names); i++)
		if (strcmp(s, method_names[i]) == 0) {
			*out = (enum gos_pv_method)i;
			return true;
		}
	return false;
}

bool gos_pv_hint_parse(const char *s, enum gos_pv_hint *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(hint_names); i++)
		if (strcmp(s, hint_names[i]) == 0) {
			*out = (enum gos_pv_hint)i;
			return true;
		}
	return false;
}

/* ---- what the scheduler asks ---- */

static uint32_t ncpus(const struct gos_kernel *k) { return k->cpus->len; }

bool gos_pv_in_use(const struct gos_cpu *c) { return c->index < c->k->pv.in_use; }

/* Placement and pulling skip vCPUs out of use (capacity only weighs them down). */
static bool avoided(const struct gos_cpu *c)
{
	enum gos_pv_method m = c->k->cfg.paravirt.method;
	return m != GOS_PV_NONE && m != GOS_PV_CAPACITY && !gos_pv_in_use(c);
}

/* Is t allowed on some vCPU in use? */
static bool allowed_in_use(const struct gos_task *t)
{
	const struct gos_kernel *k = t->k;
	for (uint32_t i = 0; i < k->pv.in_use; i++)
		if (gos_task_allowed(t, i))
			return true;
	return false;
}

bool gos_pv_placeable(const struct gos_task *t, const struct gos_cpu *c)
{
	if (!gos_task_allowed(t, c->index))
		return false;
	if (gos_pv_in_use(c) || c->k->cfg.paravirt.method == GOS_PV_NONE)
		return true;
	return !allowed_in_use(t); /* pinned to vCPUs out of use only: it keeps them (avoided or weighed down) */
}

bool gos_pv_idle_candidate(const struct gos_cpu *c)
{
	return c->k->cfg.paravirt.method == GOS_PV_NONE || gos_pv_in_use(c);
}

uint32_t gos_pv_load_scale(const struct gos_cpu *c)
{
	const struct gos_paravirt *p = &c->k->cfg.paravirt;
	if (p->method != GOS_PV_CAPACITY || gos_pv_in_use(c))
		return 1;
	return (1024 + p->capacity - 1) / p->capacity;
}

bool gos_pv_refuses_pull(const struct gos_cpu *dst) { return avoided(dst); }

/* The vCPU a pushed or evacuated task goes to: the least loaded vCPU in use it may run on. */
static struct gos_cpu *target_of(const struct gos_task *t)
{
	const struct gos_kernel *k = t->k;
	struct gos_cpu *best = NULL;
	for (uint32_t i = 0; i < k->pv.in_use; i++) {
		struct gos_cpu *c = gos_cpu_at(k, i);
		if (gos_task_allowed(t, i) && (!best || gos_nr_running(c) < gos_nr_running(best)))
			best = c;
	}
	return best;
}

/* Active balance: ask src to push its running task at its next schedule (a stopper). */
static void ask_push(struct gos_cpu *src)
{
	if (src->pv_push)
		return;
	src->pv_push = true;
	gos_resched(src);
}

uint32_t gos_pv_pull(struct gos_cpu *dst, uint32_t level)
{
	struct gos_kernel *k = dst->k;
	enum gos_pv_method m = k->cfg.paravirt.method;
	if ((m != GOS_PV_BALANCER && m != GOS_PV_PUSH && m != GOS_PV_CAPACITY) || !gos_pv_in_use(dst))
		return 0;
	uint32_t moved = 0;
	for (uint32_t i = k->pv.in_use; i < ncpus(k); i++) {
		struct gos_cpu *src = gos_cpu_at(k, i);
		if (gos_nr_running(src) == 0)
			continue;
		if (m != GOS_PV_CAPACITY) {
			/* the parked group comes first: every queued task it may take, hot or not */
			GPtrArray *cand = k->scratch;
			g_ptr_array_set_size(cand, 0);
			for (uint32_t j = 0; j < sim_pq_len(&src->rq); j++) {
				struct gos_task *t = sim_container_of(sim_pq_at(&src->rq, j), struct gos_task, rq_node);
				if (gos_task_allowed(t, dst->index))
					g_ptr_array_add(cand, t);
			}
			for (guint j = cand->len; j > 0; j--)
				gos_move_task(cand->pdata[j - 1], dst);
			moved += cand->len;
		}
		/* the running task: active balance after cache_nice_tries (1) + 2 failures; from a busy
		   vCPU too, except for capacity (Linux's reduced-capacity rule wants an idle dst) */
		struct gos_task *cur = src->curr;
		if (moved == 0 && (dst->is_idle || m != GOS_PV_CAPACITY) && cur && gos_task_allowed(cur, dst->index) &&
		    ++dst->balance_failed[level] > 3) {
			dst->balance_failed[level] = 0;
			ask_push(src);
		}
	}
	dst->st.balance_pulls += moved;
	return moved;
}

/*
 * The tick of a vCPU out of use running a task that may leave: push asks its stopper; the balancer
 * methods kick an idle tickless vCPU in use to balance (nohz_balancer_kick: a parked CPU with a
 * task, or check_cpu_capacity), since no idle vCPU would balance otherwise.
 */
void gos_pv_tick(struct gos_cpu *c)
{
	struct gos_kernel *k = c->k;
	enum gos_pv_method m = k->cfg.paravirt.method;
	if (gos_pv_in_use(c) || !c->curr || !allowed_in_use(c->curr))
		return;
	if (m == GOS_PV_PUSH) {
		ask_push(c);
		return;
	}
	if ((m != GOS_PV_BALANCER && m != GOS_PV_CAPACITY) || gos_now(k) < k->nohz_next)
		return;
	for (uint32_t i = 0; i < k->pv.in_use; i++) {
		struct gos_cpu *j = gos_cpu_at(k, i);
		if (j->is_idle && j->tick_stopped && !j->nohz_kick) {
			k->nohz_next = gos_now(k) + k->tick_period;
			j->nohz_kick = true;
			gos_send_ipi(k, j, GOS_VEC_RESCHED);
			return;
		}
	}
}

struct gos_task *gos_pv_push_prev(struct gos_cpu *c, struct gos_task *prev, bool prev_runnable)
{
	if (!c->pv_push)
		return prev;
	c->pv_push = false;
	if (!prev_runnable || gos_pv_in_use(c) || !allowed_in_use(prev))
		return prev;
	gos_move_task(prev, target_of(prev)); /* it was queued here by the schedule */
	c->k->pv.pushes++;
	return prev;
}

/* ---- changing the count ---- */

static void account(struct gos_kernel *k)
{
	sim_time_t now = gos_now(k);
	k->pv.area += (double)k->pv.in_use * (double)(now - k->pv.area_at);
	k->pv.area_at = now;
}

static void set_in_use(struct gos_kernel *k, uint32_t n)
{
	if (n == k->pv.in_use)
		return;
	account(k);
	k->pv.in_use = n;
	k->pv.changes++;
	if (k->pv.on_change)
		k->pv.on_change(k->pv.on_change_arg, gos_now(k), n);
	/* push: the next tick of each vCPU out of use pushes its task; the balancer methods wait
	   for their balancing; the idle ones in use look for work now */
	for (uint32_t i = 0; i < n; i++) {
		struct gos_cpu *c = gos_cpu_at(k, i);
		if (c->is_idle && k->cfg.paravirt.method != GOS_PV_CAPACITY)
			gos_resched(c);
	}
}

/*
 * Offline: vCPU `c` leaves; its tasks go to the vCPUs in use. Every task allowed on no vCPU left -
 * queued, running, sleeping or blocked anywhere - gets all vCPUs (Linux: "process N (...) no longer
 * affine to cpu M", at the migration or at its next wakeup); otherwise a sleeping one would wake
 * back onto the offline vCPU.
 */
static void evacuate(struct gos_kernel *k, struct gos_cpu *c)
{
	for (guint i = 0; i < k->tasks->len; i++) {
		struct gos_task *t = k->tasks->pdata[i];
		if (t->state != GOS_T_EXITED && !allowed_in_use(t)) {
			g_free(t->allowed);
			t->allowed = NULL;
			t->nallowed_bits = 0;
			k->pv.affinity_broken++;
		}
	}
	while (sim_pq_len(&c->rq) > 0) {
		struct gos_task *t = sim_container_of(sim_pq_head(&c->rq), struct gos_task, rq_node);
		gos_move_task(t, target_of(t));
		k->pv.evacuated++;
	}
	if (c->curr) {
		k->pv.evacuated++;
		ask_push(c);
	}
}

static void hotplug_next(struct gos_kernel *k)
{
	if (k->pv.target == k->pv.in_use || sim_timer_pending(&k->pv.hotplug))
		return;
	sim_timer_arm_in(k->sim, &k->pv.hotplug, k->cfg.paravirt.hotplug_latency);
}

static void hotplug_done(struct gos_kernel *k)
{
	if (k->pv.target < k->pv.in_use) {
		set_in_use(k, k->pv.in_use - 1);
		evacuate(k, gos_cpu_at(k, k->pv.in_use));
	} else if (k->pv.target > k->pv.in_use) {
		set_in_use(k, k->pv.in_use + 1);
	}
	hotplug_next(k);
}

static void want(struct gos_kernel *k, uint32_t n)
{
	uint32_t all = ncpus(k);
	n = n == 0 || n > all ? all : n;
	k->pv.target = n;
	if (k->cfg.paravirt.method == GOS_PV_OFFLINE)
		hotplug_next(k);
	else
		set_in_use(k, n);
}

/*
 * Steal governor (steal_monitor): system steal over the interval in % x 100 of the vCPUs' time;
 * above `high` one core fewer, at or below `low` one core more (never below one core). hvsim adds
 * a back-off [R]: a shrink right after a grow (the core brought the steal back) doubles the
 * intervals to wait before the next grow (up to 64); a grow that holds halves it. A steady load
 * then settles instead of flapping between two counts every interval.
 */
static void steal_decide(struct gos_kernel *k)
{
	const struct gos_paravirt *p = &k->cfg.paravirt;
	sim_time_t sum = 0, now = gos_now(k);
	for (uint32_t i = 0; i < ncpus(k); i++) {
		sim_time_t s = 0;
		vhw_steal_clock(gos_cpu_at(k, i)->cpu, &s);
		sum += s;
	}
	sim_time_t d = sum - k->pv.steal_sum, span = now - k->pv.decided_at;
	k->pv.steal_sum = sum;
	if (span == 0)
		return;
	double ratio = (double)d * 10000.0 / ((double)span * ncpus(k));
	uint32_t core = k->cfg.threads_per_core, n = k->pv.target;
	k->pv.since_shrink++;
	if (ratio > p->high && n > core) {
		if (k->pv.last_grow)
			k->pv.holdoff = k->pv.holdoff < 2 ? 2 : k->pv.holdoff < 64 ? 2 * k->pv.holdoff : 64;
		k->pv.last_grow = false;
		k->pv.since_shrink = 0;
		want(k, n - core);
		return;
	}
	if (k->pv.last_grow && k->pv.holdoff > 1)
		k->pv.holdoff /= 2; /* the last grow held */
	k->pv.last_grow = false;
	if (ratio <= p->low && n < ncpus(k) && k->pv.since_shrink >= k->pv.holdoff) {
		k->pv.last_grow = true;
		want(k, n + core < ncpus(k) ? n + core : ncpus(k));
	}
}

static void decide(struct gos_kernel *k)
{
	const struct gos_paravirt *p = &k->cfg.paravirt;
	switch (p->hint) {
	case GOS_PV_STATIC:
		return;
	case GOS_PV_SCHEDULE:
		while (k->pv.next_step < p->nschedule && p->schedule[k->pv.next_step].at <= gos_now(k))
			want(k, p->schedule[k->pv.next_step++].count);
		if (k->pv.next_step < p->nschedule)
			sim_timer_arm(k->sim, &k->pv.timer, p->schedule[k->pv.next_step].at);
		return;
	case GOS_PV_STEAL:
		steal_decide(k);
		break;
	case GOS_PV_HYPERVISOR: {
		uint32_t n;
		if (vhw_backing_hint(gos_cpu_at(k, 0)->cpu, &n))
			want(k, n);
		break;
	}
	}
	k->pv.decided_at = gos_now(k);
	sim_timer_arm_in(k->sim, &k->pv.timer, p->interval);
}

static void pv_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)pl;
	struct gos_kernel *k = sim_container_of(ent, struct gos_kernel, pv.ent);
	if (kind == PV_EV_HOTPLUG)
		hotplug_done(k);
	else
		decide(k);
}

static const struct sim_entity_ops pv_ops = {.kind = "gos-paravirt", .event = pv_event};

bool gos_pv_check(const struct gos_config *cfg, const char *name, bool bare_metal, bool steal_clock, uint32_t vcpus,
		  GError **error)
{
	const struct gos_paravirt *p = &cfg->paravirt;
	GQuark q = gos_error_quark();
	if (p->method == GOS_PV_NONE)
		return true;
	if (p->count > vcpus) {
		g_set_error(error, q, 0, "vm %s: paravirt count %u exceeds its %u vCPUs", name, p->count, vcpus);
		return false;
	}
	for (uint32_t i = 0; i < p->nschedule; i++)
		if (p->schedule[i].count > vcpus || (i > 0 && p->schedule[i].at < p->schedule[i - 1].at)) {
			g_set_error(error, q, 0, "vm %s: paravirt schedule step %u: counts are at most %u, times in order",
				    name, i, vcpus);
			return false;
		}
	if ((p->hint == GOS_PV_STEAL || p->hint == GOS_PV_HYPERVISOR) && p->interval == 0) {
		g_set_error(error, q, 0, "vm %s: paravirt interval must be positive", name);
		return false;
	}
	if (p->hint == GOS_PV_STEAL && (p->high <= p->low || p->high >= 10000)) {
		g_set_error(error, q, 0, "vm %s: paravirt steal thresholds need low < high < 10000", name);
		return false;
	}
	if (p->hint == GOS_PV_STEAL && !bare_metal && !steal_clock) {
		g_set_error(error, q, 0,
			    "vm %s: paravirt hint 'steal' needs a steal clock the guest can read (the cfs policy, or "
			    "hypervisor.steal_clock \"on\"; Hyper-V publishes none by default, REFERENCE 4.4)", name);
		return false;
	}
	if (p->method == GOS_PV_CAPACITY && (p->capacity < 1 || p->capacity > 1024)) {
		g_set_error(error, q, 0, "vm %s: paravirt capacity %u outside 1..1024", name, p->capacity);
		return false;
	}
	return true;
}

void gos_pv_init(struct gos_kernel *k)
{
	k->pv.in_use = k->pv.target = ncpus(k);
	k->pv.area_at = gos_now(k);
	const struct gos_paravirt *p = &k->cfg.paravirt;
	if (p->method == GOS_PV_NONE)
		return;
	sim_entity_add(k->sim, &k->pv.ent, &pv_ops, k->name);
	sim_timer_init(&k->pv.timer, &k->pv.ent, PV_EV_DECIDE);
	sim_timer_init(&k->pv.hotplug, &k->pv.ent, PV_EV_HOTPLUG);
	if (p->hint == GOS_PV_STATIC)
		want(k, p->count);
	else if (p->hint == GOS_PV_SCHEDULE && p->nschedule > 0)
		sim_timer_arm(k->sim, &k->pv.timer, p->schedule[0].at);
	else if (p->hint == GOS_PV_STEAL || p->hint == GOS_PV_HYPERVISOR)
		sim_timer_arm_in(k->sim, &k->pv.timer, p->interval);
}

void gos_pv_cpu_added(struct gos_kernel *k)
{
	/* a hot-added vCPU is in use when all were; otherwise it waits for the next decision */
	if (k->pv.in_use + 1 == ncpus(k) && k->pv.target + 1 == ncpus(k)) {
		k->pv.target++;
		set_in_use(k, k->pv.in_use + 1);
	}
}

void gos_pv_reset(struct gos_kernel *k)
{
	k->pv.area = 0;
	k->pv.area_at = gos_now(k);
	k->pv.changes = k->pv.pushes = k->pv.evacuated = k->pv.affinity_broken = 0;
	k->pv.reset_at = gos_now(k);
}

void gos_pv_stats(const struct gos_kernel *k, struct gos_pv_stats *out)
{
	sim_time_t now = gos_now(k), span = now - k->pv.reset_at;
	double area = k->pv.area + (double)k->pv.in_use * (double)(now - k->pv.area_at);
	*out = (struct gos_pv_stats){.in_use = k->pv.in_use, .in_use_mean = span ? area / (double)span : k->pv.in_use,
				     .changes = k->pv.changes, .pushes = k->pv.pushes, .evacuated = k->pv.evacuated,
				     .affinity_broken = k->pv.affinity_broken};
}

void gos_pv_on_change(struct gos_kernel *k, void (*fn)(void *arg, sim_time_t t, uint32_t in_use), void *arg)
{
	k->pv.on_change = fn;
	k->pv.on_change_arg = arg;
}
