/* SPDX-License-Identifier: MIT */
/*
 * kernel.c - the guest kernel's vCPUs: the vhw entry points (interrupt, run, stop), the dispatch
 *            loop each vCPU runs in guest mode, idle (poll, halt), the tick and sleep timers,
 *            IPIs, and the kernel's creation.
 * The loop (gos_cpu_continue), whenever the vCPU is in guest mode with nothing on its LP:
 *   1. send one queued IPI (an exit; run() continues the loop afterwards);
 *   2. execute pending kernel work (interrupt handlers, context switches, syscalls);
 *   3. reschedule if asked (not while the current task waits for a shootdown);
 *   4. step the current task (compute, spin, or an instant operation);
 *   5. idle: poll (if configured), then halt.
 * Interrupts are handled in interrupt(): they only change state and queue kernel work; the loop
 * does the rest. Nothing here reads the hypervisor's state except through vhw.h.
 */
#include <string.h>

#include "models/guestos/gos-int.h"

enum { CPU_EV_POKE = 1, CPU_EV_SPIN };

static const struct {
	const char *name;
	uint64_t def;
	const char *src;
} costs[GOS_NCOSTS] = {
#define X(id, name, def, src) {name, def, src},
	GOS_COSTS(X)
#undef X
};

const char *gos_cost_name(enum gos_cost k) { return costs[k].name; }
const char *gos_cost_source(enum gos_cost k) { return costs[k].src; }

bool gos_cost_set(uint64_t ns[GOS_NCOSTS], const char *name, uint64_t value)
{
	for (int i = 0; i < GOS_NCOSTS; i++)
		if (strcmp(costs[i].name, name) == 0) {
			ns[i] = value;
			return true;
		}
	return false;
}

void gos_config_default(struct gos_config *c)
{
	memset(c, 0, sizeof *c);
	c->hz = 250;
	c->tickless = true;
	c->threads_per_core = 1;
	c->numa_nodes = 1;
	c->migration_cost = 500 * SIM_PS_PER_US;
	c->busy_factor = 16;
	c->tlb_flush = GOS_TLB_AUTO;
	c->spinlock = 2; /* GOS_LOCK_QSPIN */
	c->spin_pause_cycles = 40;
	c->paravirt = (struct gos_paravirt){.interval = SIM_PS_PER_S, .high = 500, .low = 200, .capacity = 64,
					    .hotplug_latency = 100 * SIM_PS_PER_MS}; /* docs/paravirt.md */
	c->pv_spin_threshold = 1u << 15;
	c->long_spin_threshold = 2047;
	c->memory = (struct gos_memory_config){.base = UINT64_C(256) << 20, .report_delay = 45 * SIM_PS_PER_S,
					       .balloon_ns_per_2mib = 20000, .page_touch_rate = 100,
					       .swap_latency = 80 * SIM_PS_PER_US}; /* docs/memory.md */
	for (int i = 0; i < GOS_NCOSTS; i++)
		c->cost_ns[i] = costs[i].def;
}

double gos_cost_cycles(const struct gos_cpu *c, enum gos_cost cost)
{
	/* ns x kHz / 1e6 = cycles at the frequency of the LP the vCPU runs on */
	return (double)c->k->cfg.cost_ns[cost] * (double)vhw_khz(c->cpu) / 1e6;
}

/* ---- notifications between vCPUs ---- */

void gos_poke(struct gos_cpu *c)
{
	if (!sim_timer_pending(&c->poke))
		sim_timer_arm(c->k->sim, &c->poke, gos_now(c->k));
}

void gos_send_ipi(struct gos_kernel *k, struct gos_cpu *target, unsigned vector)
{
	struct gos_cpu *from = k->ctx;
	if (from == target)
		return;
	if (!from) {
		/* no vCPU context (a timeline event, a task start): raised like a device interrupt */
		target->st.ipis_received++;
		vhw_raise(target->cpu, vector);
		return;
	}
	struct gos_ipi ipi = {.target = target->index, .vector = vector};
	g_array_append_val(from->out, ipi);
}

void gos_resched(struct gos_cpu *target)
{
	struct gos_kernel *k = target->k;
	if (target->need_resched)
		return; /* already told */
	target->need_resched = true;
	if (target == k->ctx)
		return;
	if (target->idle == GOS_IDLE_POLL) {
		gos_poke(target); /* TIF_POLLING_NRFLAG: the poller sees the flag, no IPI */
		return;
	}
	if (!k->ctx && target->idle != GOS_IDLE_HALT && !target->in_guest)
		return; /* no context and not halted: it runs the loop at its next entry anyway */
	gos_send_ipi(k, target, GOS_VEC_RESCHED);
}

/* ---- timers ---- */

void gos_program_timer(struct gos_cpu *c)
{
	sim_time_t when = SIM_TIME_MAX;
	struct sim_pq_node *n = sim_pq_head(&c->timers);
	if (n)
		when = n->k0;
	if (!c->tick_stopped && c->next_tick < when)
		when = c->next_tick;
	if (when == SIM_TIME_MAX)
		vhw_timer_cancel(c->cpu);
	else
		vhw_timer_arm(c->cpu, when);
}

static sim_time_t next_grid(const struct gos_kernel *k, sim_time_t now)
{
	return (now / k->tick_period + 1) * k->tick_period;
}

static void tick(struct gos_cpu *c)
{
	c->st.ticks++;
	gos_kwork_add(c, GOS_COST_TICK);
	gos_update_clock(c);
	gos_check_preempt_tick(c);
	gos_balance_tick(c);
	gos_pv_tick(c);
}

static void timer_interrupt(struct gos_cpu *c)
{
	struct gos_kernel *k = c->k;
	sim_time_t now = gos_now(k);
	c->st.timer_interrupts++;
	struct sim_pq_node *n;
	while ((n = sim_pq_head(&c->timers)) && n->k0 <= now) {
		sim_pq_remove(&c->timers, n);
		struct gos_task *t = sim_container_of(n, struct gos_task, timer_node);
		gos_task_wake_up(t);
	}
	if (!c->tick_stopped && now >= c->next_tick) {
		tick(c);
		c->next_tick = next_grid(k, now);
	} else {
		gos_kwork_add(c, GOS_COST_IRQ);
	}
	gos_program_timer(c);
}

/* ---- trace (sim/trace.h) ---- */

void gos__trace_cpu(struct gos_cpu *c)
{
	struct sim *sim = c->k->sim;
	uint32_t track = c->cpu->track;
	const char *name = c->in_guest ? (c->curr ? c->curr->name : "idle") : NULL;
	bool spin = name && c->spinning;
	if (name != c->traced_name) {
		if (c->traced_spin)
			sim_trace_end(sim, track);
		if (c->traced_name)
			sim_trace_end(sim, track);
		if (name)
			sim_trace_begin(sim, track, name);
		c->traced_name = name;
		c->traced_spin = false;
	}
	if (spin && !c->traced_spin)
		sim_trace_begin(sim, track, "spin");
	else if (!spin && c->traced_spin)
		sim_trace_end(sim, track);
	c->traced_spin = spin;
}


/* ---- idle ---- */

void gos_leave_idle(struct gos_cpu *c)
{
	if (!c->is_idle)
		return;
	sim_time_t now = gos_now(c->k);
	c->is_idle = false;
	c->st.idle += now - c->idle_since;
	c->busy_since = now;
	if (c->idle == GOS_IDLE_POLL)
		c->st.poll_wakeups++;
	c->idle = GOS_IDLE_NO;
	c->poll.cycles = 0;
	if (c->tick_stopped) {
		c->tick_stopped = false;
		c->next_tick = next_grid(c->k, now);
	}
	gos_program_timer(c);
}

static void enter_idle(struct gos_cpu *c)
{
	struct gos_kernel *k = c->k;
	if (!c->is_idle) {
		sim_time_t now = gos_now(k);
		c->is_idle = true;
		c->idle_since = now;
		c->st.busy += now - c->busy_since;
	}
	if (k->cfg.tickless && !c->tick_stopped)
		c->tick_stopped = true;
	gos_program_timer(c);
	if (c->idle == GOS_IDLE_NO && k->cfg.halt_poll > 0 && !k->bare_metal) {
		c->idle = GOS_IDLE_POLL;
		c->poll.cycles = (double)k->cfg.halt_poll * (double)vhw_khz(c->cpu) / (double)SIM_PS_PER_MS;
		c->st.polls++;
	}
	if (c->idle == GOS_IDLE_POLL && c->poll.cycles > 0) {
		c->attached = &c->poll;
		vhw_compute(c->cpu, &c->poll);
		return;
	}
	c->idle = GOS_IDLE_HALT;
	c->st.halts++;
	vhw_halt(c->cpu);
}

/* ---- spinning (shootdown waits, spinlocks): on-CPU time, paused while the vCPU is off ---- */

bool gos_preemptible(const struct gos_task *t)
{
	if (!t)
		return true;
	if (t->phase == GOS_PH_SHOOTDOWN || t->preempt_off > 0)
		return false;
	return !(t->phase == GOS_PH_CALL && t->op.cls->preempt_off);
}

void gos_spin_begin(struct gos_cpu *c, sim_time_t until)
{
	struct gos_task *t = c->curr;
	c->spinning = true;
	c->spin_since = gos_now(c->k);
	vhw_spin(c->cpu, true);
	gos_trace_cpu(c);
	if (t && until != SIM_TIME_MAX) {
		sim_time_t left = until > t->op_spun ? until - t->op_spun : 0;
		sim_timer_arm(c->k->sim, &c->spin_timer, c->spin_since + left);
	}
}

/* The on-CPU part of the spin so far goes to the task's operation; the budget timer stops. */
static void spin_account(struct gos_cpu *c)
{
	if (c->curr && c->spinning)
		c->curr->op_spun += gos_now(c->k) - c->spin_since;
	c->spin_since = gos_now(c->k);
	sim_timer_cancel(c->k->sim, &c->spin_timer);
}

void gos_spin_end(struct gos_cpu *c)
{
	spin_account(c);
	c->spinning = false;
	vhw_spin(c->cpu, false);
	gos_trace_cpu(c);
}

/* ---- the loop ---- */

static void kwork_done(struct hw_work *w);
static void poll_done(struct hw_work *w);
static const struct hw_work_ops kwork_ops = {.done = kwork_done};
static const struct hw_work_ops poll_ops = {.done = poll_done};

void gos_cpu_continue(struct gos_cpu *c)
{
	for (;;) {
		if (!c->in_guest || c->attached)
			return;
		if (c->out->len > 0) {
			struct gos_ipi ipi = g_array_index(c->out, struct gos_ipi, 0);
			g_array_remove_index(c->out, 0);
			c->st.ipis_sent++;
			gos_cpu_at(c->k, ipi.target)->st.ipis_received++;
			vhw_send_ipi(c->cpu, ipi.target, ipi.vector);
			return;
		}
		if (c->irq_intercepts > 0) {
			c->irq_intercepts--;
			vhw_intercept(c->cpu, c->irq_ic);
			return;
		}
		if (c->kwork.cycles > 0) {
			c->attached = &c->kwork;
			vhw_compute(c->cpu, &c->kwork);
			return;
		}
		if (c->deferred->len > 0) {
			struct gos_deferred d = g_array_index(c->deferred, struct gos_deferred, 0);
			g_array_remove_index(c->deferred, 0);
			d.fn(c->k, c->index, d.arg);
			continue;
		}
		struct gos_task *t = c->curr;
		if (c->need_resched && gos_preemptible(t)) {
			gos_schedule(c);
			continue;
		}
		if (t) {
			if (gos_task_step(c, t))
				return;
			continue;
		}
		enter_idle(c);
		return;
	}
}

static void kwork_done(struct hw_work *w)
{
	struct gos_cpu *c = sim_container_of(w, struct gos_cpu, kwork);
	c->attached = NULL;
	c->kwork.cycles = 0;
	GOS_IN_CONTEXT(c, {
		gos_tlb_ack(c);
		gos_cpu_continue(c);
	});
}

static void poll_done(struct hw_work *w)
{
	struct gos_cpu *c = sim_container_of(w, struct gos_cpu, poll);
	c->attached = NULL;
	c->poll.cycles = 0;
	GOS_IN_CONTEXT(c, gos_cpu_continue(c));
}

static void g_interrupt(struct vhw_cpu *vc, unsigned vector)
{
	struct gos_cpu *c = vc->guest;
	GOS_IN_CONTEXT(c, {
		switch (vector) {
		case VHW_VEC_TIMER:
			timer_interrupt(c);
			break;
		case GOS_VEC_CALL:
			gos_kwork_add(c, GOS_COST_IRQ);
			gos_tlb_interrupt(c);
			break;
		case GOS_VEC_RESCHED:
			gos_kwork_add(c, GOS_COST_IRQ);
			if (c->nohz_kick) {
				c->nohz_kick = false;
				gos_balance_nohz(c);
			}
			break;
		default:
			gos_kwork_add(c, GOS_COST_IRQ);
			if (c->k->irq[vector].fn)
				c->k->irq[vector].fn(c->k, c->index, c->k->irq[vector].arg);
			break;
		}
	});
}

static void g_run(struct vhw_cpu *vc)
{
	struct gos_cpu *c = vc->guest;
	c->in_guest = true;
	GOS_IN_CONTEXT(c, {
		if (c->spinning) {
			c->spinning = false;
			vhw_spin(c->cpu, false); /* its on-CPU time was taken at stop() */
		}
		gos_trace_cpu(c);
		if (c->idle == GOS_IDLE_HALT)
			c->idle = GOS_IDLE_NO; /* woken: the idle loop starts over */
		gos_cpu_continue(c);
	});
}

static void g_stop(struct vhw_cpu *vc)
{
	struct gos_cpu *c = vc->guest;
	c->in_guest = false;
	c->attached = NULL; /* the hypervisor settled and detached it; it keeps its cycles */
	if (c->spinning)
		spin_account(c); /* off the CPU: the spin budget pauses */
	gos_trace_cpu(c);
}

static const struct vhw_guest_ops guest_ops = {.interrupt = g_interrupt, .run = g_run, .stop = g_stop};

/* A poke: something this vCPU polls or spins on changed. */
/* A poke (something this vCPU polls or spins on changed) or a spin budget used up. */
static void cpu_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)kind;
	(void)p;
	struct gos_cpu *c = sim_container_of(ent, struct gos_cpu, ent);
	if (!c->in_guest)
		return; /* it looks again when it next runs */
	GOS_IN_CONTEXT(c, {
		if (c->attached == &c->poll) {
			vhw_compute_stop(c->cpu);
			c->attached = NULL;
			gos_cpu_continue(c);
		} else if (c->spinning) {
			gos_spin_end(c);
			gos_cpu_continue(c);
		}
	});
}

static void cpu_dump(const struct sim_entity *ent, FILE *out)
{
	const struct gos_cpu *c = sim_container_of(ent, struct gos_cpu, ent);
	fprintf(out, "  %s: %s, curr %s, queued %u, need_resched %d, idle %d, kwork %.0f, out %u\n", c->name,
		c->in_guest ? "in guest" : "out", c->curr ? c->curr->name : "-", sim_pq_len(&c->rq), c->need_resched,
		c->idle, c->kwork.cycles, c->out->len);
}

static const struct sim_entity_ops cpu_ops = {.kind = "gos-cpu", .event = cpu_event, .dump = cpu_dump};

static void vcpu_added(void *kernel, struct vhw_cpu *vc)
{
	struct gos_kernel *k = kernel;
	struct gos_cpu *c = g_new0(struct gos_cpu, 1);
	c->k = k;
	c->cpu = vc;
	c->index = vc->index;
	c->node = c->index / k->cpus_per_node;
	if (c->node >= k->cfg.numa_nodes)
		c->node = k->cfg.numa_nodes - 1;
	c->core = c->index / k->cfg.threads_per_core;
	c->name = g_strdup_printf("%s/vcpu:%u", k->name, c->index);
	c->kwork.ops = &kwork_ops;
	c->poll.ops = &poll_ops;
	c->csd_queue = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	c->deferred = g_array_new(FALSE, FALSE, sizeof(struct gos_deferred));
	c->acks = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	c->out = g_array_new(FALSE, FALSE, sizeof(struct gos_ipi));
	c->sd.targets = g_array_new(FALSE, FALSE, sizeof(uint32_t));
	sim_pq_init(&c->rq);
	sim_pq_init(&c->timers);
	sim_time_t now = gos_now(k);
	c->clock_at = now;
	c->busy_since = now;
	c->next_tick = next_grid(k, now);
	/* a vCPU starts idle with its tick running (it is booting) */
	c->is_idle = true;
	c->idle_since = now;
	for (uint32_t l = 0; l < GOS_NLEVELS; l++)
		c->next_balance[l] = now;
	g_assert(c->index == k->cpus->len);
	g_ptr_array_add(k->cpus, c);
	gos_domains_init(k);
	sim_entity_add(k->sim, &c->ent, &cpu_ops, c->name);
	sim_timer_init(&c->poke, &c->ent, CPU_EV_POKE);
	sim_timer_init(&c->spin_timer, &c->ent, CPU_EV_SPIN);
	vhw_set_guest(vc, &guest_ops, c); /* its first run() programs its timer */
	vhw_spin_pause(vc, k->cfg.spin_pause_cycles);
	if (k->pv.in_use > 0) /* hot-added after creation */
		gos_pv_cpu_added(k);
}

static const struct vhw_partition_ops partition_ops = {
	.vcpu_added = vcpu_added, .memory_changed = gos_mem_changed, .balloon = gos_mem_balloon};

static void cpu_free(struct gos_cpu *c)
{
	sim_pq_fini(&c->rq);
	sim_pq_fini(&c->timers);
	g_array_free(c->csd_queue, TRUE);
	g_array_free(c->deferred, TRUE);
	g_array_free(c->acks, TRUE);
	g_array_free(c->out, TRUE);
	g_array_free(c->sd.targets, TRUE);
	g_free(c->name);
	g_free(c);
}

static uint32_t ilog2_u32(uint32_t x) { return 31u - (uint32_t)__builtin_clz(x); }

G_DEFINE_QUARK(gos-error-quark, gos_error)

struct gos_kernel *gos_new(struct hv *hv, const struct hv_partition_config *part, const struct gos_config *cfg,
			   GError **error)
{
	const char *name = part->name ? part->name : "vm";
	if (cfg->hz < 1 || cfg->hz > 10000) {
		g_set_error(error, gos_error_quark(), 0, "vm %s: guest hz %u outside 1..10000", name, cfg->hz);
		return NULL;
	}
	if (cfg->threads_per_core < 1 || cfg->numa_nodes < 1 || part->vcpus % cfg->numa_nodes != 0 ||
	    (part->vcpus / cfg->numa_nodes) % cfg->threads_per_core != 0) {
		g_set_error(error, gos_error_quark(), 0,
			    "vm %s: %u vCPUs do not split into %u guest nodes of whole cores of %u threads", name,
			    part->vcpus, cfg->numa_nodes, cfg->threads_per_core);
		return NULL;
	}
	if (cfg->cost_ns[GOS_COST_SYSCALL] == 0) {
		g_set_error(error, gos_error_quark(), 0, "vm %s: guest cost 'syscall' must be positive", name);
		return NULL;
	}
	if (cfg->busy_factor < 1) {
		g_set_error(error, gos_error_quark(), 0, "vm %s: guest busy_factor must be at least 1", name);
		return NULL;
	}
	if (!gos_pv_check(cfg, name, hv_bare_metal(hv), hv_steal_clock(hv), part->vcpus, error))
		return NULL;
	struct gos_kernel *k = g_new0(struct gos_kernel, 1);
	k->cfg = *cfg;
	k->hv = hv;
	k->sim = hw_sim(hv_host(hv));
	k->name = g_strdup_printf("vm:%s", name);
	k->bare_metal = hv_bare_metal(hv);
	k->tick_period = SIM_PS_PER_S / cfg->hz;
	uint32_t f = 1 + ilog2_u32(part->vcpus < 8 ? part->vcpus : 8);
	k->base_slice = cfg->base_slice ? cfg->base_slice : 700 * SIM_PS_PER_US * f;
	k->wakeup_gran = cfg->wakeup_granularity ? cfg->wakeup_granularity : SIM_PS_PER_MS * f;
	k->sleeper_credit = 3 * SIM_PS_PER_MS * f; /* half of CFS's latency, 6 ms x f */
	k->cpus_per_node = part->vcpus / cfg->numa_nodes;
	k->cpus = g_ptr_array_new_with_free_func((GDestroyNotify)cpu_free);
	k->tasks = g_ptr_array_new();
	k->scratch = g_ptr_array_new();
	k->locks = g_ptr_array_new_with_free_func((GDestroyNotify)gos_lock_free);
	gos_stats_init(k);
	struct hv_partition_config pc = *part;
	pc.vnuma_nodes = cfg->numa_nodes; /* its virtual nodes' memory on host nodes (docs/memory.md) */
	k->part = hv_partition_add(hv, &pc, &partition_ops, k, error);
	if (!k->part) {
		gos_free(k);
		return NULL;
	}
	k->tlb = gos_tlb_resolve(k);
	gos_pv_init(k);
	gos_mem_init(k, part);
	return k;
}

void gos_free(struct gos_kernel *k)
{
	if (!k)
		return;
	for (guint i = 0; i < k->tasks->len; i++) {
		struct gos_task *t = k->tasks->pdata[i];
		g_free(t->allowed);
		g_free(t->scope);
		g_free(t->name);
		g_free(t);
	}
	g_ptr_array_free(k->tasks, TRUE);
	g_ptr_array_free(k->scratch, TRUE);
	g_ptr_array_free(k->locks, TRUE);
	g_ptr_array_free(k->cpus, TRUE);
	sim_hist_clear(&k->sd_latency);
	gos_mem_fini(k);
	g_free(k->name);
	g_free(k);
}

bool gos_irq_register(struct gos_kernel *k, unsigned vector, gos_irq_fn fn, void *arg)
{
	if (vector < 0x30 || vector > 0xdf || k->irq[vector].fn)
		return false;
	k->irq[vector].fn = fn;
	k->irq[vector].arg = arg;
	return true;
}

unsigned gos_irq_register_any(struct gos_kernel *k, gos_irq_fn fn, void *arg)
{
	for (unsigned v = 0x40; v < 0xe0; v++) /* devices from 0x40, as Linux's first external vectors */
		if (gos_irq_register(k, v, fn, arg))
			return v;
	return 0;
}

void gos_irq_work(struct gos_kernel *k, uint32_t cpu, double cycles)
{
	struct gos_cpu *c = gos_cpu_at(k, cpu);
	SIM_ASSERT(k->sim, !c->attached || c->attached != &c->kwork);
	c->kwork.cycles += cycles;
}

void gos_irq_intercepts(struct gos_kernel *k, uint32_t cpu, enum vhw_intercept kind, uint32_t n)
{
	struct gos_cpu *c = gos_cpu_at(k, cpu);
	c->irq_ic = kind;
	c->irq_intercepts += n;
}

void gos_irq_defer(struct gos_kernel *k, uint32_t cpu, gos_irq_fn fn, void *arg)
{
	struct gos_deferred d = {fn, arg};
	SIM_ASSERT(k->sim, k->ctx == gos_cpu_at(k, cpu)); /* its own handler: the loop goes on after it */
	g_array_append_val(gos_cpu_at(k, cpu)->deferred, d);
}

struct vhw_cpu *gos_cpu_vhw(const struct gos_kernel *k, uint32_t cpu) { return gos_cpu_at(k, cpu)->cpu; }

struct hv_partition *gos_partition(const struct gos_kernel *k) { return k->part; }
uint32_t gos_ncpus(const struct gos_kernel *k) { return k->cpus->len; }
const struct gos_config *gos_config(const struct gos_kernel *k) { return &k->cfg; }
struct sim *gos_sim(const struct gos_kernel *k) { return k->sim; }
