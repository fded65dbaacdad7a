/* SPDX-License-Identifier: MIT */
/*
 * task.c - tasks and the operation interpreter: creating a task, starting it, asking its program
 *          for operations and carrying them out (compute, sleep, block, wake, yield, exit,
 *          shootdown, and operations of other classes), waking it.
 * A task runs its operations only while it is current on a vCPU that runs guest code. Compute is
 * hw work that keeps its remaining cycles across preemption and migration (a migration adds its
 * cache-refill cycles); sleep, block, wake, yield and exit are system calls: their effect now,
 * their cost (`syscall`) as kernel work; a shootdown costs its flushes (tlb.c); an operation
 * class costs what it does. A wake that reaches a task that is not blocked is kept for its next
 * BLOCK.
 */
#include "models/guestos/gos-int.h"

enum { TASK_EV_START = 1 };

void gos_task_config_default(struct gos_task_config *c) { *c = (struct gos_task_config){.cpu = -1}; }

void gos_task_op_finished(struct gos_task *t)
{
	t->phase = GOS_PH_NEXT;
	t->st.ops++;
}

void gos_task_wake_up(struct gos_task *t)
{
	t->op_waiting = false;
	gos_task_op_finished(t);
	if (t->cpu && t->cpu->curr == t) {
		t->state = GOS_T_RUNNING; /* not switched out yet: it simply goes on */
		return;
	}
	gos_activate(t);
}

void gos_task_wake(struct gos_task *t)
{
	if (t->state == GOS_T_BLOCKED)
		gos_task_wake_up(t);
	else if (t->state != GOS_T_EXITED)
		t->wakes++;
}

void gos_op_done(struct gos_task *t)
{
	SIM_ASSERT(t->k->sim, t->phase == GOS_PH_CALL);
	if (t->state == GOS_T_BLOCKED) {
		gos_task_wake_up(t);
		return;
	}
	gos_task_op_finished(t);
	gos_op_notify(t); /* it may spin on this operation: let it see */
}

void gos_op_block(struct gos_task *t)
{
	SIM_ASSERT(t->k->sim, t->phase == GOS_PH_CALL && t->state == GOS_T_RUNNING);
	t->state = GOS_T_BLOCKED;
	gos_resched(t->cpu);
}

static void compute_done(struct hw_work *w)
{
	struct gos_task *t = sim_container_of(w, struct gos_task, work);
	struct gos_cpu *c = t->cpu;
	c->attached = NULL;
	t->work.cycles = 0;
	t->st.cycles += t->op.cycles ? t->op.cycles : 1;
	gos_task_op_finished(t);
	GOS_IN_CONTEXT(c, gos_cpu_continue(c));
}

static const struct hw_work_ops compute_ops = {.done = compute_done};

static bool attach(struct gos_cpu *c, struct gos_task *t)
{
	c->attached = &t->work;
	vhw_compute(c->cpu, &t->work);
	return true;
}

/* ---- operation classes: what resume() asked for ---- */

void gos_op_spin(struct gos_task *t, sim_time_t until)
{
	t->call_next = GOS_CALL_SPIN;
	t->call_until = until;
}

void gos_op_halt(struct gos_task *t) { t->call_next = GOS_CALL_HALT; }

void gos_op_hypercall(struct gos_task *t, enum vhw_hypercall kind)
{
	t->call_next = GOS_CALL_HYPERCALL;
	t->call_hc = kind;
}

void gos_op_intercept(struct gos_task *t, enum vhw_intercept kind)
{
	t->call_next = GOS_CALL_INTERCEPT;
	t->call_ic = kind;
}

void gos_op_work(struct gos_task *t, double cycles)
{
	t->call_next = GOS_CALL_WORK;
	t->call_cycles = cycles;
}

void gos_op_wait(struct gos_task *t)
{
	gos_op_block(t);
	t->op_waiting = true;
}

void gos_op_continue(struct gos_task *t)
{
	if (t->state != GOS_T_BLOCKED || !t->op_waiting)
		return;
	t->op_waiting = false;
	if (t->cpu && t->cpu->curr == t) {
		t->state = GOS_T_RUNNING; /* not switched out yet: it goes on in its operation */
		return;
	}
	gos_activate(t);
}

void gos_op_notify(struct gos_task *t)
{
	if (t->cpu && t->cpu->curr == t && t->cpu != t->k->ctx)
		gos_poke(t->cpu); /* if it spins, it looks again now; otherwise at its next step */
}

void gos_op_kick(struct gos_task *t)
{
	if (t->cpu && t->cpu != t->k->ctx)
		gos_send_ipi(t->k, t->cpu, GOS_VEC_RESCHED);
}

sim_time_t gos_op_spun(const struct gos_task *t) { return t->op_spun; }
void *gos_task_op_arg(const struct gos_task *t) { return t->op.arg; }
void gos_task_preempt_disable(struct gos_task *t) { t->preempt_off++; }

void gos_task_preempt_enable(struct gos_task *t)
{
	SIM_ASSERT(t->k->sim, t->preempt_off > 0);
	t->preempt_off--;
}

sim_time_t gos_task_cpu_true_steal(const struct gos_task *t) { return t->cpu ? vhw_true_steal(t->cpu->cpu) : 0; }
bool gos_task_on_cpu(const struct gos_task *t) { return t->cpu && t->cpu->curr == t && t->cpu->in_guest; }

/* The task is inside an operation of a class: let the class decide, then do what it asked. */
static bool step_call(struct gos_cpu *c, struct gos_task *t)
{
	if (!t->op.cls->resume) {
		gos_spin_begin(c, SIM_TIME_MAX);
		return true;
	}
	t->call_next = GOS_CALL_NONE;
	t->op.cls->resume(t);
	if (t->phase != GOS_PH_CALL || t->state != GOS_T_RUNNING)
		return false; /* ended or blocked */
	switch (t->call_next) {
	case GOS_CALL_SPIN:
		gos_spin_begin(c, t->call_until);
		return true;
	case GOS_CALL_HALT:
		vhw_halt(c->cpu);
		return true;
	case GOS_CALL_HYPERCALL:
		vhw_hypercall(c->cpu, t->call_hc);
		return true;
	case GOS_CALL_INTERCEPT:
		vhw_intercept(c->cpu, t->call_ic);
		return true;
	case GOS_CALL_WORK:
		gos_irq_work(c->k, c->index, t->call_cycles);
		return false; /* the loop runs the kernel work, then steps the task again */
	case GOS_CALL_NONE:
		break;
	}
	sim_bug(c->k->sim, &t->ent, "operation class %s resumed without a decision", t->op.cls->name);
	return false;
}

/*
 * Where t's memory lies: the VM's memory, or with guest NUMA nodes the memory of the node t first
 * computed on (first touch: the kernel allocates a task's pages on the node it runs on, and they
 * stay there if the balancer moves t to another node).
 */
static const double *task_memory(struct gos_task *t, const struct gos_cpu *c)
{
	if (t->k->cfg.numa_nodes < 2)
		return hv_partition_mem_frac(t->k->part);
	if (t->mem_node < 0)
		t->mem_node = (int32_t)c->node;
	return hv_partition_vnode_mem_frac(t->k->part, (uint32_t)t->mem_node);
}

/* Carries out the operation the program just gave; true when the vCPU is now busy. */
static bool start_op(struct gos_cpu *c, struct gos_task *t)
{
	struct gos_kernel *k = c->k;
	const struct gos_op *op = &t->op;
	switch (op->kind) {
	case GOS_OP_COMPUTE:
		t->work.cycles = (double)(op->cycles ? op->cycles : 1) + t->penalty;
		t->penalty = 0;
		/* the workload's share, or the VM's memory_bound for compute that names none */
		t->work.mem_share = op->mem_share > 0 ? op->mem_share : hv_partition_mem_share(k->part);
		t->work.mem_frac = task_memory(t, c);
		t->phase = GOS_PH_COMPUTE;
		return attach(c, t);
	case GOS_OP_SLEEP:
		gos_kwork_add(c, GOS_COST_SYSCALL);
		if (op->duration == 0) {
			gos_task_op_finished(t);
			return false;
		}
		t->state = GOS_T_SLEEPING;
		t->timer_node.k0 = gos_now(k) + op->duration;
		t->timer_node.k1 = 0;
		t->timer_node.id = t->id;
		sim_pq_push(&c->timers, &t->timer_node);
		gos_program_timer(c);
		gos_resched(c);
		return false;
	case GOS_OP_BLOCK:
		gos_kwork_add(c, GOS_COST_SYSCALL);
		if (t->wakes > 0) {
			t->wakes--;
			gos_task_op_finished(t);
		} else {
			t->state = GOS_T_BLOCKED;
			gos_resched(c);
		}
		return false;
	case GOS_OP_WAKE:
		gos_kwork_add(c, GOS_COST_SYSCALL);
		SIM_ASSERT(k->sim, op->task && op->task->k == k);
		gos_task_wake(op->task);
		gos_task_op_finished(t);
		return false;
	case GOS_OP_YIELD:
		gos_kwork_add(c, GOS_COST_SYSCALL);
		gos_yield(c);
		gos_task_op_finished(t);
		return false;
	case GOS_OP_EXIT:
		gos_kwork_add(c, GOS_COST_SYSCALL);
		t->state = GOS_T_EXITED;
		t->st.ops++;
		gos_resched(c);
		return false;
	case GOS_OP_TLB_SHOOTDOWN:
		gos_tlb_start(c, t);
		return false;
	case GOS_OP_CALL:
		SIM_ASSERT(k->sim, op->cls && op->cls->start);
		t->phase = GOS_PH_CALL;
		op->cls->start(t, op);
		return false;
	}
	sim_bug(k->sim, &t->ent, "unknown operation kind %d", (int)op->kind);
	return false;
}

/*
 * Paging (memory.c): the major faults due before a compute op run first, one after the other: each
 * is the page_fault cost as kernel work and the swap read, an operation of its own (the swap
 * device's, or a sleep) that ends like any (so it counts in the task's ops). The program's op waits
 * in held_op; gos_task_step starts it after the last fault.
 */
static bool next_fault(struct gos_cpu *c, struct gos_task *t)
{
	t->pf_due--;
	gos_kwork_add(c, GOS_COST_PAGE_FAULT);
	t->op = (struct gos_op){0};
	gos_mem_fault_op(t, &t->op);
	t->op_start = gos_now(c->k);
	t->op_spun = 0;
	return start_op(c, t);
}

bool gos_task_step(struct gos_cpu *c, struct gos_task *t)
{
	if (t->state != GOS_T_RUNNING) {
		gos_resched(c); /* it slept, blocked or exited: switch away */
		return false;
	}
	switch (t->phase) {
	case GOS_PH_COMPUTE:
		return attach(c, t);
	case GOS_PH_SHOOTDOWN:
		return gos_tlb_step(c, t);
	case GOS_PH_CALL:
		return step_call(c, t);
	case GOS_PH_NEXT:
		break;
	}
	if (t->pf_held) {
		if (t->pf_due)
			return next_fault(c, t);
		t->pf_held = false; /* the faults are done: the program's op now */
		t->op = t->held_op;
		t->op_start = gos_now(c->k);
		t->op_spun = 0;
		return start_op(c, t);
	}
	t->op = (struct gos_op){0};
	t->program->next(t, t->arg, &t->op);
	t->op_start = gos_now(c->k);
	t->op_spun = 0;
	if (G_UNLIKELY(t->k->mem.working_sets) && t->op.kind == GOS_OP_COMPUTE && (t->pf_due = gos_mem_faults_due(t, c)) > 0) {
		t->held_op = t->op;
		t->pf_held = true;
		return next_fault(c, t);
	}
	return start_op(c, t);
}

/* ---- creation and start ---- */

static void task_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)kind;
	(void)p;
	struct gos_task *t = sim_container_of(ent, struct gos_task, ent);
	gos_activate(t);
}

static void task_dump(const struct sim_entity *ent, FILE *out)
{
	const struct gos_task *t = sim_container_of(ent, struct gos_task, ent);
	fprintf(out, "  %s: state %d phase %d cpu %d vruntime %llu remaining %.0f\n", t->scope, t->state, t->phase,
		t->cpu ? (int)t->cpu->index : -1, (unsigned long long)t->vruntime, t->work.cycles);
}

static const struct sim_entity_ops task_ops = {.kind = "gos-task", .event = task_event, .dump = task_dump};

struct gos_task *gos_task_new(struct gos_kernel *k, const struct gos_task_config *cfg, GError **error)
{
	uint32_t n = k->cpus->len;
	GQuark q = gos_error_quark();
	if (!cfg->program || !cfg->program->next) {
		g_set_error(error, q, 0, "%s: task has no program", k->name);
		return NULL;
	}
	if (cfg->nice < -20 || cfg->nice > 19) {
		g_set_error(error, q, 0, "%s: task nice %d outside -20..19", k->name, cfg->nice);
		return NULL;
	}
	if (!cfg->affinity != !cfg->naffinity) {
		g_set_error(error, q, 0, "%s: task affinity is empty", k->name);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->naffinity; i++)
		if (cfg->affinity[i] >= n) {
			g_set_error(error, q, 0, "%s: task affinity names vCPU %u, the VM has %u", k->name,
				    cfg->affinity[i], n);
			return NULL;
		}
	if (cfg->start < gos_now(k)) {
		g_set_error(error, q, 0, "%s: task start lies in the past", k->name);
		return NULL;
	}
	struct gos_task *t = g_new0(struct gos_task, 1);
	t->mem_node = -1;
	t->k = k;
	t->id = k->tasks->len;
	t->name = cfg->name ? g_strdup(cfg->name) : g_strdup_printf("task-%u", t->id);
	t->scope = g_strdup_printf("%s/task:%s", k->name, t->name);
	t->program = cfg->program;
	t->arg = cfg->arg;
	t->mm = cfg->mm;
	t->weight = gos_nice_weight(cfg->nice);
	if (cfg->affinity) {
		t->nallowed_bits = n;
		t->allowed = g_new0(uint64_t, (n + 63) / 64);
		for (uint32_t i = 0; i < cfg->naffinity; i++)
			t->allowed[cfg->affinity[i] / 64] |= UINT64_C(1) << (cfg->affinity[i] % 64);
	}
	if (cfg->cpu >= 0) {
		if ((uint32_t)cfg->cpu >= n || !gos_task_allowed(t, (uint32_t)cfg->cpu)) {
			g_set_error(error, q, 0, "%s: task %s cannot start on vCPU %d", k->name, t->name, cfg->cpu);
			g_free(t->allowed);
			g_free(t->scope);
			g_free(t->name);
			g_free(t);
			return NULL;
		}
		t->cpu = gos_cpu_at(k, (uint32_t)cfg->cpu);
	}
	t->state = GOS_T_NEW;
	t->phase = GOS_PH_NEXT;
	t->work.ops = &compute_ops;
	g_ptr_array_add(k->tasks, t);
	sim_entity_add(k->sim, &t->ent, &task_ops, t->scope);
	sim_timer_init(&t->start_timer, &t->ent, TASK_EV_START);
	sim_timer_arm(k->sim, &t->start_timer, cfg->start);
	return t;
}

uint32_t gos_ntasks(const struct gos_kernel *k) { return k->tasks->len; }
struct gos_task *gos_task_at(const struct gos_kernel *k, uint32_t i) { return k->tasks->pdata[i]; }
const char *gos_task_name(const struct gos_task *t) { return t->name; }
uint32_t gos_task_id(const struct gos_task *t) { return t->id; }
int32_t gos_task_cpu(const struct gos_task *t) { return t->cpu ? (int32_t)t->cpu->index : -1; }
bool gos_task_exited(const struct gos_task *t) { return t->state == GOS_T_EXITED; }
struct gos_kernel *gos_task_kernel(const struct gos_task *t) { return t->k; }
