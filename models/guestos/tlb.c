/* SPDX-License-Identifier: MIT */
/*
 * tlb.c - TLB shootdown: a task changed its address space's mappings and every other vCPU
 *         running that address space must flush before the task goes on.
 * Methods (gos_config.tlb_flush, REFERENCE 2.3):
 *   ipi:       native smp_call_function_many: a flush request and an IPI per target, then the
 *              initiator spins (on-CPU) until every target has run its handler and acknowledged;
 *              a target whose VP is descheduled acknowledges only when it runs again;
 *   pv:        KVM's PV flush: targets whose preempted flag is set are skipped (they flush at their
 *              next entry), the others get IPIs as above; without a published flag it is ipi;
 *   hypercall: Hyper-V's HvFlushVirtualAddressSpace (vhw_flush_tlb): one hypercall, the hypervisor
 *              flushes running VPs and never waits for descheduled ones.
 * Targets are the vCPUs whose current task shares the address space (mm); lazy-TLB idle vCPUs
 * are not asked. Latency runs from the operation's start to the last acknowledgement.
 */
#include <string.h>

#include "models/guestos/gos-int.h"

static const char *const method_names[] = {"auto", "ipi", "pv", "hypercall"};

const char *gos_tlb_flush_name(enum gos_tlb_flush f) { return method_names[f]; }

bool gos_tlb_flush_parse(const char *s, enum gos_tlb_flush *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(method_names); i++)
		if (strcmp(s, method_names[i]) == 0) {
			*out = (enum gos_tlb_flush)i;
			return true;
		}
	return false;
}

enum gos_tlb_flush gos_tlb_resolve(const struct gos_kernel *k)
{
	if (k->bare_metal)
		return GOS_TLB_IPI; /* no hypervisor to ask, nothing preempted */
	if (k->cfg.tlb_flush != GOS_TLB_AUTO)
		return k->cfg.tlb_flush;
	/* as Linux decides: Hyper-V recommends the flush hypercall; KVM's PV flush needs the
	   preempted flag of the steal-time page */
	if (strcmp(hv_policy_name(k->hv), "cfs") != 0)
		return GOS_TLB_HYPERCALL;
	return hv_steal_clock(k->hv) ? GOS_TLB_PV : GOS_TLB_IPI;
}

void gos_tlb_start(struct gos_cpu *c, struct gos_task *t)
{
	struct gos_kernel *k = c->k;
	c->sd.pending = 0;
	c->sd.need_hypercall = false;
	g_array_set_size(c->sd.targets, 0);
	gos_kwork_add(c, GOS_COST_TLB_FLUSH); /* the local flush */
	for (guint i = 0; i < k->cpus->len; i++) {
		struct gos_cpu *j = k->cpus->pdata[i];
		if (j == c || !j->curr || j->curr->mm != t->mm)
			continue;
		k->sd_targets++;
		if (k->tlb == GOS_TLB_HYPERCALL) {
			g_array_append_val(c->sd.targets, j->index);
			continue;
		}
		bool preempted = false;
		if (k->tlb == GOS_TLB_PV && vhw_preempted(c->cpu, j->index, &preempted) && preempted) {
			k->sd_skipped++;
			continue;
		}
		c->sd.pending++;
		g_array_append_val(j->csd_queue, c->index);
		gos_send_ipi(k, j, GOS_VEC_CALL);
	}
	c->sd.need_hypercall = c->sd.targets->len > 0;
	t->phase = GOS_PH_SHOOTDOWN;
}

bool gos_tlb_step(struct gos_cpu *c, struct gos_task *t)
{
	struct gos_kernel *k = c->k;
	if (c->sd.need_hypercall) {
		c->sd.need_hypercall = false;
		vhw_flush_tlb(c->cpu, (const uint32_t *)(const void *)c->sd.targets->data, c->sd.targets->len);
		return true;
	}
	if (c->sd.pending > 0) {
		gos_spin_begin(c, SIM_TIME_MAX); /* csd_lock_wait: on-CPU, interrupts enabled */
		return true;
	}
	k->shootdowns++;
	sim_hist_record(&k->sd_latency, gos_now(k) - t->op_start);
	gos_task_op_finished(t);
	return false;
}

void gos_tlb_interrupt(struct gos_cpu *c)
{
	for (guint i = 0; i < c->csd_queue->len; i++) {
		g_array_append_val(c->acks, g_array_index(c->csd_queue, uint32_t, i));
		gos_kwork_add(c, GOS_COST_TLB_FLUSH);
		c->st.tlb_flushes++;
	}
	g_array_set_size(c->csd_queue, 0);
}

void gos_tlb_ack(struct gos_cpu *c)
{
	for (guint i = 0; i < c->acks->len; i++) {
		struct gos_cpu *ini = gos_cpu_at(c->k, g_array_index(c->acks, uint32_t, i));
		SIM_ASSERT(c->k->sim, ini->sd.pending > 0);
		if (--ini->sd.pending == 0)
			gos_poke(ini);
	}
	g_array_set_size(c->acks, 0);
}

enum gos_tlb_flush gos_tlb_flush_mode(const struct gos_kernel *k) { return k->tlb; }
