/* SPDX-License-Identifier: MIT */
/*
 * root.c - the root partition's built-in kernel: each root VP serves a FIFO of requests (work
 *          forwarded by intercepts, later by VSPs and the VM worker processes) and halts when the
 *          FIFO is empty.
 * Role: gives the root real CPU demand that competes with the guests on the LPs its VPs are
 *       pinned to (REFERENCE 1.1: root VP n runs on LP n). A request goes to the root VP pinned to
 *       the LP it came from, or, when the root has fewer VPs ("minroot"), to VP (lp mod n).
 * Simplifies: a request is pure compute at the host's nominal frequency; root-side locking and
 *       the root's own scheduler between its threads are not modelled (FIFO per VP).
 * Memory: requests carry their own queue link and are recycled, so a steady stream of intercepts
 *       allocates nothing.
 */
#include "models/hypervisor/hv-int.h"

struct root_req {
	GList link;               /* in a root VP's FIFO, or in the free list */
	uint64_t cycles;
	void (*done)(void *arg);
	void *arg;
};

struct root_vp {
	struct hw_work work;      /* the head request, while it runs */
	struct vhw_cpu *cpu;
	GQueue q;                 /* struct root_req, by their links */
	struct root *rt;
	bool busy;                /* the head request's work has been started */
	bool running;             /* in guest mode (between run and stop): it will look at its FIFO */
};

struct root {
	struct root_vp *vps;
	uint32_t n;
	GQueue free;              /* recycled requests (zeroed = empty) */
};

static void start_next(struct root_vp *r)
{
	struct root_req *req = g_queue_peek_head(&r->q);
	if (!req) {
		vhw_halt(r->cpu);
		return;
	}
	if (!r->busy) {
		r->work.cycles = (double)req->cycles;
		r->busy = true;
	}
	vhw_compute(r->cpu, &r->work);
}

static void work_done(struct hw_work *w)
{
	struct root_vp *r = sim_container_of(w, struct root_vp, work);
	struct root_req *req = g_queue_pop_head_link(&r->q)->data;
	r->busy = false;
	struct root *rt = r->rt;
	void (*done)(void *) = req->done;
	void *arg = req->arg;
	g_queue_push_head_link(&rt->free, &req->link);
	done(arg);
	start_next(r);
}

static const struct hw_work_ops root_work_ops = {.done = work_done};

static void root_run(struct vhw_cpu *c)
{
	struct root_vp *r = c->guest;
	r->running = true;
	start_next(r);
}

static void root_stop(struct vhw_cpu *c) { ((struct root_vp *)c->guest)->running = false; }
static void root_interrupt(struct vhw_cpu *c, unsigned vector) { (void)c, (void)vector; }

static const struct vhw_guest_ops root_guest_ops = {
	.interrupt = root_interrupt,
	.run = root_run,
	.stop = root_stop,
};

bool hv_root_init(struct hv *hv, GError **error)
{
	(void)error;
	struct root *rt = g_new0(struct root, 1);
	rt->n = hv->root->vps->len;
	rt->vps = g_new0(struct root_vp, rt->n);
	for (uint32_t i = 0; i < rt->n; i++) {
		struct root_vp *r = &rt->vps[i];
		r->work.ops = &root_work_ops;
		r->cpu = &((struct hv_vp *)hv->root->vps->pdata[i])->cpu;
		r->rt = rt;
		g_queue_init(&r->q);
		vhw_set_guest(r->cpu, &root_guest_ops, r);
	}
	hv->root_data = rt;
	return true;
}

void hv_root_fini(struct hv *hv)
{
	struct root *rt = hv->root_data;
	GList *l;
	for (uint32_t i = 0; i < rt->n; i++)
		while ((l = g_queue_pop_head_link(&rt->vps[i].q)))
			g_free(l->data);
	while ((l = g_queue_pop_head_link(&rt->free)))
		g_free(l->data);
	g_free(rt->vps);
	g_free(rt);
	hv->root_data = NULL;
}

void hv_root_submit(struct hv *hv, uint32_t near, uint64_t cycles, void (*done)(void *arg), void *arg)
{
	struct root *rt = hv->root_data;
	SIM_ASSERT(hv->sim, rt != NULL);
	struct root_vp *r = &rt->vps[near % rt->n];
	GList *l = g_queue_pop_head_link(&rt->free);
	struct root_req *req = l ? l->data : g_new(struct root_req, 1);
	*req = (struct root_req){.link = {.data = req}, .cycles = cycles, .done = done, .arg = arg};
	g_queue_push_tail_link(&r->q, &req->link);
	if (r->q.length == 1 && !r->running)
		vhw_raise(r->cpu, VHW_VEC_VMBUS); /* the root VP was idle: wake it (a running one goes on by itself) */
}
