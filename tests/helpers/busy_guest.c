/* SPDX-License-Identifier: MIT */
/* busy_guest.c - the test guest of busy_guest.h. */
#include "tests/helpers/busy_guest.h"

void busy_guest_params_default(struct busy_guest_params *p)
{
	*p = (struct busy_guest_params){.chunk_cycles = 3000000, .hypercall = -1, .intercept = -1};
}

static void next(struct busy_vcpu *v);

static void chunk_done(struct hw_work *w)
{
	struct busy_vcpu *v = sim_container_of(w, struct busy_vcpu, work);
	v->in_chunk = false;
	v->chunks++;
	const struct busy_guest_params *p = &v->g->p;
	if (p->hypercall >= 0) {
		vhw_hypercall(v->cpu, (enum vhw_hypercall)p->hypercall);
		return; /* run() continues */
	}
	if (p->intercept >= 0) {
		vhw_intercept(v->cpu, (enum vhw_intercept)p->intercept);
		return;
	}
	if (p->think > 0) {
		v->thinking = true;
		vhw_timer_arm(v->cpu, sim_now(vhw_sim(v->cpu)) + p->think);
		vhw_halt(v->cpu);
		return;
	}
	next(v);
}

static const struct hw_work_ops chunk_ops = {.done = chunk_done};

static void next(struct busy_vcpu *v)
{
	if (v->thinking) {
		vhw_halt(v->cpu); /* woken early (not by the timer): keep thinking */
		return;
	}
	if (!v->in_chunk) {
		v->work.cycles = (double)v->g->p.chunk_cycles;
		v->work.mem_share = hv_partition_mem_share(v->g->part);
		v->work.mem_frac = hv_partition_mem_frac(v->g->part);
		v->in_chunk = true;
	}
	vhw_compute(v->cpu, &v->work);
}

static void bg_run(struct vhw_cpu *c)
{
	struct busy_vcpu *v = c->guest;
	v->runs++;
	if (v->g->p.on_run)
		v->g->p.on_run(v, v->g->p.arg);
	next(v);
}

static void bg_stop(struct vhw_cpu *c) { (void)c; }

static void bg_interrupt(struct vhw_cpu *c, unsigned vector)
{
	struct busy_vcpu *v = c->guest;
	v->interrupts++;
	if (vector == VHW_VEC_TIMER)
		v->thinking = false;
}

static const struct vhw_guest_ops bg_ops = {.interrupt = bg_interrupt, .run = bg_run, .stop = bg_stop};

static void vcpu_added(void *kernel, struct vhw_cpu *c)
{
	struct busy_guest *g = kernel;
	struct busy_vcpu *v = g_new0(struct busy_vcpu, 1);
	v->g = g;
	v->cpu = c;
	v->work.ops = &chunk_ops;
	g_ptr_array_add(g->vcpus, v);
	vhw_set_guest(c, &bg_ops, v);
}

static const struct vhw_partition_ops kernel_ops = {.vcpu_added = vcpu_added};

struct busy_guest *busy_guest_new(struct hv *hv, const struct hv_partition_config *cfg,
				  const struct busy_guest_params *p, GError **error)
{
	struct busy_guest *g = g_new0(struct busy_guest, 1);
	g->p = *p;
	g->vcpus = g_ptr_array_new_with_free_func(g_free);
	g->part = hv_partition_add(hv, cfg, &kernel_ops, g, error);
	if (!g->part) {
		busy_guest_free(g);
		return NULL;
	}
	return g;
}

void busy_guest_free(struct busy_guest *g)
{
	if (!g)
		return;
	g_ptr_array_free(g->vcpus, TRUE);
	g_free(g);
}

uint64_t busy_guest_chunks(const struct busy_guest *g)
{
	uint64_t n = 0;
	for (guint i = 0; i < g->vcpus->len; i++)
		n += ((const struct busy_vcpu *)g->vcpus->pdata[i])->chunks;
	return n;
}
