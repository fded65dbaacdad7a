/* SPDX-License-Identifier: MIT */
/*
 * disk.c - the four disk paths (disk.h): the guest driver halves (a task's operation and the
 *          vCPU's interrupt handler) and the host halves (device completions, StorVSP and the
 *          emulated controller's worker in the root partition).
 * Native / SR-IOV: submit (blk_submit) -> device -> interrupt to the submitting vCPU (free on
 *   bare metal, an interrupt exit in a VM, delayed while its VP is descheduled) -> blk_complete.
 * Emulated IDE: ide_accesses register accesses, each an io_port intercept served by the root's
 *   worker process (intercept_root_user), one transfer at a time -> device -> interrupt to vCPU 0
 *   -> ide_isr_accesses more intercepts in the handler -> blk_complete.
 * Synthetic: vsc_packet, write the request into the channel's outbound ring; signal the host
 *   (SIGNAL_EVENT hypercall) only when the ring was empty and StorVSP is not draining; StorVSP in
 *   the root drains the ring per wakeup (vsp_wakeup + vsp_submit each) -> device -> root_irq +
 *   vsp_complete -> completion into the inbound ring, interrupting the channel's vCPU only when
 *   that ring was empty and the guest is not draining -> the guest drains (vsc_packet +
 *   blk_complete each). A request that finds the outbound ring full waits in the driver until
 *   StorVSP frees space (ring_full_stalls).
 */
#include <inttypes.h>
#include <string.h>

#include "models/io/disk.h"

static const struct {
	const char *name;
	uint64_t def;
	const char *src;
} costs[IO_DISK_NCOSTS] = {
#define X(id, name, def, src) {name, def, src},
	IO_DISK_COSTS(X)
#undef X
};

const char *io_disk_cost_name(enum io_disk_cost c) { return costs[c].name; }
const char *io_disk_cost_source(enum io_disk_cost c) { return costs[c].src; }

bool io_disk_cost_set(uint64_t ns[IO_DISK_NCOSTS], const char *name, uint64_t value)
{
	for (int i = 0; i < IO_DISK_NCOSTS; i++)
		if (strcmp(costs[i].name, name) == 0) {
			ns[i] = value;
			return true;
		}
	return false;
}

void io_disk_config_default(struct io_disk_config *c)
{
	memset(c, 0, sizeof *c);
	c->name = "disk";
	c->path = IO_PATH_SYNTHETIC;
	io_blockdev_config_default(&c->device);
	c->ring_size = 128 * 1024;
	c->ide_accesses = 7;
	c->ide_isr_accesses = 2;
	for (int i = 0; i < IO_DISK_NCOSTS; i++)
		c->cost_ns[i] = costs[i].def;
}

enum { SRB_BYTES = 64 }; /* the storvsc request/response payload (a SCSI request block) */

struct chan {
	struct io_disk *d;
	struct vmbus_channel ch;
	bool vsp_busy;
	uint32_t batch;               /* packets the current drain pays for */
	GQueue backlog;               /* requests waiting for outbound ring space (struct io_disk_io) */
	uint32_t track;               /* trace: StorVSP's drains of this channel ("root", "storvsp:VM/DISK/ch:N") */
};

struct io_disk {
	struct gos_kernel *k;
	struct hv *hv;
	struct sim *sim;
	struct io_disk_config cfg;
	char *name;
	struct io_blockdev *dev;
	unsigned vector;
	uint64_t khz;
	GQueue *done_q;               /* per vCPU: completed I/Os for its handler (not synthetic) */
	bool *poll_pending;           /* per vCPU: its bottom half is deferred */
	uint32_t ncpus;
	struct chan *chans;
	uint32_t nchans;
	bool ide_busy;
	GQueue ide_wait;
	uint64_t ios, bytes, signals, interrupts, stalls, batches;
	uint64_t submitted;            /* I/Os started (since the warm-up) */
	uint64_t in_flight, in_flight_start; /* started and not finished: now, and at the warm-up */
	double root_cycles;           /* root CPU this disk asked for (StorVSP, the IDE worker) */
	struct sim_hist latency;
	struct sim_reset_hook reset;
};

static double cyc(const struct io_disk *d, enum io_disk_cost c) { return (double)d->cfg.cost_ns[c] * (double)d->khz / 1e6; }

/* Root CPU the VM's worker process spends on one emulated register access (io_port intercept). */
static double worker_cycles(const struct io_disk *d)
{
	return (double)hv_costs(d->hv)->ps[HV_COST_INTERCEPT_ROOT_USER] * (double)d->khz / (double)SIM_PS_PER_MS;
}

/* ---- trace (sim/trace.h): a flow per request, submit (vCPU) -> StorVSP -> device slot -> completion ---- */

static void trace_flow(struct io_disk *d, uint32_t cpu, const struct io_disk_io *io, enum sim_flow_phase ph)
{
	if (io->flow)
		sim_trace_flow(d->sim, gos_cpu_vhw(d->k, cpu)->track, ph, io->flow, io->write ? "write" : "read");
}

/* StorVSP starts draining a batch: a slice on the channel's track, a flow step for each request. */
static void trace_drain(struct chan *c)
{
	struct sim *sim = c->d->sim;
	if (!sim_tracing(sim))
		return;
	sim_trace_begin(sim, c->track, "storvsp");
	uint32_t i = 0;
	for (GList *l = c->ch.out.packets.head; l && i < c->batch; l = l->next, i++) {
		const struct io_disk_io *io = sim_container_of((struct vmbus_packet *)l->data, struct io_disk_io, out);
		if (io->flow)
			sim_trace_flow(sim, c->track, SIM_FLOW_STEP, io->flow, "io");
	}
}

/* ---- completion, common to every path ---- */

/* The I/O completes in the guest, on vCPU cpu's interrupt path. */
static void finish(struct io_disk *d, struct io_disk_io *io, uint32_t cpu)
{
	trace_flow(d, cpu, io, SIM_FLOW_END);
	d->ios++;
	d->in_flight--;
	d->bytes += io->bytes;
	sim_hist_record(&d->latency, sim_now(d->sim) - io->start);
	if (io->done) {
		io->completed = true;
		io->done(io); /* asynchronous: the submitting operation has ended or ends without waiting */
		return;
	}
	if (io->waiting) {
		io->waiting = false;
		gos_task_wake(io->task); /* it waits (blocked): its operation ends */
	} else {
		io->completed = true; /* completed before it waited: resume() ends the operation */
		gos_op_notify(io->task);
	}
}

/* The operation waits for its completion (unless that already came, or the I/O is asynchronous). */
static void wait_for_completion(struct gos_task *t, struct io_disk_io *io)
{
	if (io->completed || io->done) {
		gos_op_done(t);
		return;
	}
	io->waiting = true;
	gos_op_block(t);
}

static void raise_irq(struct io_disk *d, uint32_t cpu)
{
	d->interrupts++;
	vhw_raise(gos_cpu_vhw(d->k, cpu), d->vector);
}

/* ---- the device ---- */

static void device_done(struct io_req *r);

static void device_submit(struct io_disk *d, struct io_disk_io *io)
{
	io->req = (struct io_req){.bytes = io->bytes, .write = io->write, .done = device_done, .flow = io->flow};
	uint32_t q = io->cpu % io_blockdev_queues(d->dev);
	if (!io_blockdev_submit(d->dev, q, &io->req))
		sim_bug(d->sim, NULL, "disk %s: device queue %u is full (raise device.queue_depth)", d->name, q);
}

static void vsp_completed(void *arg);

static void device_done(struct io_req *r)
{
	struct io_disk_io *io = sim_container_of(r, struct io_disk_io, req);
	struct io_disk *d = io->disk;
	io->link.data = io;
	switch (d->cfg.path) {
	case IO_PATH_NATIVE:
	case IO_PATH_SRIOV:
		g_queue_push_tail_link(&d->done_q[io->cpu], &io->link);
		raise_irq(d, io->cpu);
		return;
	case IO_PATH_EMULATED: {
		d->ide_busy = false;
		GList *next = g_queue_pop_head_link(&d->ide_wait);
		if (next) {
			d->ide_busy = true;
			device_submit(d, next->data);
		}
		g_queue_push_tail_link(&d->done_q[0], &io->link);
		raise_irq(d, 0); /* IRQ 14 goes to vCPU 0 */
		return;
	}
	case IO_PATH_SYNTHETIC: {
		uint64_t c = (uint64_t)(cyc(d, IO_DISK_COST_ROOT_IRQ) + cyc(d, IO_DISK_COST_VSP_COMPLETE));
		d->root_cycles += (double)c;
		hv_root_submit(d->hv, io->chan % hw_nlps(hv_host(d->hv)), c, vsp_completed, io);
		return;
	}
	}
}

/* ---- StorVSP (root) ---- */

static void vsp_drained(void *arg);

static void vsp_drain(struct chan *c, bool wakeup)
{
	struct io_disk *d = c->d;
	c->batch = g_queue_get_length(&c->ch.out.packets);
	double cycles = c->batch * cyc(d, IO_DISK_COST_VSP_SUBMIT) + (wakeup ? cyc(d, IO_DISK_COST_VSP_WAKEUP) : 0);
	d->batches++;
	d->root_cycles += (double)(uint64_t)cycles;
	trace_drain(c);
	hv_root_submit(d->hv, c->ch.id % hw_nlps(hv_host(d->hv)), (uint64_t)cycles, vsp_drained, c);
}

/* A signal: StorVSP wakes and drains with the ring masked (guest writes meanwhile signal nothing). */
static void vsp_kick(struct chan *c)
{
	if (c->vsp_busy)
		return;
	c->vsp_busy = true;
	vmbus_ring_begin_read(&c->ch.out);
	vsp_drain(c, true);
}

/* The driver's requests that waited for space go into the ring (StorVSP drains on: no signal). */
static void backlog_refill(struct chan *c)
{
	GList *l;
	while ((l = g_queue_peek_head_link(&c->backlog))) {
		struct io_disk_io *io = l->data;
		if (!vmbus_ring_fits(&c->ch.out, io->out.bytes))
			return;
		g_queue_unlink(&c->backlog, l);
		vmbus_ring_write(&c->ch.out, &io->out, NULL);
	}
}

/* The drain's CPU work is done: its packets go to the device; then drain again or sleep. */
static void vsp_drained(void *arg)
{
	struct chan *c = arg;
	struct vmbus_packet *p;
	if (sim_tracing(c->d->sim))
		sim_trace_end(c->d->sim, c->track);
	for (uint32_t i = 0; i < c->batch && (p = vmbus_ring_read(&c->ch.out, NULL)) != NULL; i++)
		device_submit(c->d, sim_container_of(p, struct io_disk_io, out));
	backlog_refill(c);
	if (!vmbus_ring_empty(&c->ch.out)) {
		vsp_drain(c, false);
		return;
	}
	if (vmbus_ring_end_read(&c->ch.out)) { /* something slipped in: hv_end_read says drain again */
		vmbus_ring_begin_read(&c->ch.out);
		vsp_drain(c, false);
		return;
	}
	c->vsp_busy = false;
}

static void vsp_completed(void *arg)
{
	struct io_disk_io *io = arg;
	struct io_disk *d = io->disk;
	struct chan *c = &d->chans[io->chan];
	bool signal = false;
	io->in.bytes = vmbus_packet_size(SRB_BYTES);
	if (!vmbus_ring_write(&c->ch.in, &io->in, &signal))
		sim_bug(d->sim, NULL, "disk %s: inbound ring of channel %u is full", d->name, io->chan);
	if (signal)
		raise_irq(d, c->ch.target_vcpu);
}

/* ---- the guest's interrupt handler ---- */

/* storvsc reads a completion of a channel's inbound ring. */
static void guest_read(struct vmbus_packet *p, bool space, void *arg)
{
	(void)space; /* StorVSP never waits for inbound space: a channel's completions fit (sim_bug otherwise) */
	struct chan *c = arg;
	struct io_disk *d = c->d;
	gos_irq_work(d->k, c->ch.target_vcpu, cyc(d, IO_DISK_COST_VSC_PACKET) + cyc(d, IO_DISK_COST_BLK_COMPLETE));
	finish(d, sim_container_of(p, struct io_disk_io, in), c->ch.target_vcpu);
}

/* The bottom half: completions, after the handler's register accesses and the work before them. */
static void guest_poll(struct gos_kernel *k, uint32_t cpu, void *arg)
{
	struct io_disk *d = arg;
	d->poll_pending[cpu] = false;
	if (d->cfg.path != IO_PATH_SYNTHETIC) {
		GList *l;
		while ((l = g_queue_pop_head_link(&d->done_q[cpu]))) {
			gos_irq_work(k, cpu, cyc(d, IO_DISK_COST_BLK_COMPLETE));
			finish(d, l->data, cpu);
		}
		return;
	}
	for (uint32_t i = 0; i < d->nchans; i++)
		if (d->chans[i].ch.target_vcpu == cpu)
			vmbus_ring_drain(&d->chans[i].ch.in, guest_read, &d->chans[i]);
}

/* The hard interrupt: the IDE status register accesses, then the bottom half. */
static void guest_irq(struct gos_kernel *k, uint32_t cpu, void *arg)
{
	struct io_disk *d = arg;
	if (d->cfg.path == IO_PATH_EMULATED) {
		gos_irq_intercepts(k, cpu, VHW_IC_IO_PORT, d->cfg.ide_isr_accesses);
		d->root_cycles += d->cfg.ide_isr_accesses * worker_cycles(d);
	}
	if (!d->poll_pending[cpu]) {
		d->poll_pending[cpu] = true;
		gos_irq_defer(k, cpu, guest_poll, d);
	}
}

/* ---- the guest's operation ---- */

static void op_start(struct gos_task *t, const struct gos_op *op)
{
	struct io_disk_io *io = op->arg;
	struct io_disk *d = io->disk;
	io->task = t;
	io->start = sim_now(d->sim);
	io->step = 0;
	io->waiting = io->completed = false;
	d->submitted++;
	d->in_flight++;
	io->cpu = (uint32_t)gos_task_cpu(t);
	io->flow = sim_tracing(d->sim) ? sim_trace_flow_id(d->sim) : 0;
	trace_flow(d, io->cpu, io, SIM_FLOW_BEGIN);
	gos_irq_work(d->k, io->cpu, cyc(d, IO_DISK_COST_BLK_SUBMIT));
}

static void synthetic_submit(struct gos_task *t, struct io_disk_io *io)
{
	struct io_disk *d = io->disk;
	io->chan = io->cpu * d->nchans / d->ncpus; /* sub-channels spread over the vCPUs */
	struct chan *c = &d->chans[io->chan];
	gos_irq_work(d->k, io->cpu, cyc(d, IO_DISK_COST_VSC_PACKET));
	io->out.bytes = vmbus_packet_size(SRB_BYTES);
	io->step = 1;
	if (!vmbus_ring_fits(&c->ch.out, io->out.bytes)) {
		d->stalls++;
		io->link.data = io;
		g_queue_push_tail_link(&c->backlog, &io->link);
		wait_for_completion(t, io);
		return;
	}
	bool signal = false;
	vmbus_ring_write(&c->ch.out, &io->out, &signal);
	if (signal) {
		d->signals++;
		vsp_kick(c);
		gos_op_hypercall(t, VHW_HC_SIGNAL_EVENT); /* resume() then waits */
		return;
	}
	wait_for_completion(t, io);
}

static void op_resume(struct gos_task *t)
{
	struct io_disk_io *io = gos_task_op_arg(t);
	struct io_disk *d = io->disk;
	if ((io->completed && !io->done) || (io->step == 1 && d->cfg.path == IO_PATH_SYNTHETIC)) {
		wait_for_completion(t, io); /* after the signal's hypercall, or already completed */
		return;
	}
	switch (d->cfg.path) {
	case IO_PATH_NATIVE:
	case IO_PATH_SRIOV:
		device_submit(d, io);
		wait_for_completion(t, io);
		return;
	case IO_PATH_EMULATED:
		if (io->step < d->cfg.ide_accesses) {
			io->step++;
			d->root_cycles += worker_cycles(d);
			gos_op_intercept(t, VHW_IC_IO_PORT); /* program the controller's registers */
			return;
		}
		io->link.data = io;
		if (d->ide_busy) {
			g_queue_push_tail_link(&d->ide_wait, &io->link);
		} else {
			d->ide_busy = true;
			device_submit(d, io);
		}
		wait_for_completion(t, io);
		return;
	case IO_PATH_SYNTHETIC:
		synthetic_submit(t, io);
		return;
	}
}

static const struct gos_op_class disk_op = {.name = "disk_io", .start = op_start, .resume = op_resume};

void gos_op_disk(struct gos_op *op, struct io_disk_io *io)
{
	io->done = NULL;
	*op = (struct gos_op){.kind = GOS_OP_CALL, .cls = &disk_op, .arg = io};
}

void gos_op_disk_submit(struct gos_op *op, struct io_disk_io *io)
{
	g_return_if_fail(io->done != NULL);
	*op = (struct gos_op){.kind = GOS_OP_CALL, .cls = &disk_op, .arg = io};
}

/* ---- the disk ---- */

static void reset(struct sim_reset_hook *h, sim_time_t now)
{
	(void)now;
	struct io_disk *d = sim_container_of(h, struct io_disk, reset);
	d->ios = d->bytes = d->signals = d->interrupts = d->stalls = d->batches = d->submitted = 0;
	d->in_flight_start = d->in_flight;
	d->root_cycles = 0;
}

struct io_disk *io_disk_new(struct gos_kernel *k, struct hv *hv, const struct io_disk_config *cfg, GError **error)
{
	bool bare = hv_bare_metal(hv);
	if (io_path_needs_root(cfg->path) && bare) {
		g_set_error(error, IO_ERROR, 0, "disk %s: the %s path needs a hypervisor (bare metal is native)", cfg->name,
			    io_path_name(cfg->path));
		return NULL;
	}
	struct io_disk *d = g_new0(struct io_disk, 1);
	d->k = k;
	d->hv = hv;
	d->sim = gos_sim(k);
	d->cfg = *cfg;
	d->name = g_strdup(cfg->name);
	d->cfg.name = d->name;
	d->khz = hw_lp_at(hv_host(hv), 0)->khz;
	d->dev = cfg->backend ? cfg->backend : io_blockdev_new(d->sim, d->name, &cfg->device, error);
	if (!d->dev) {
		g_free(d->name);
		g_free(d);
		return NULL;
	}
	d->ncpus = gos_ncpus(k);
	d->done_q = g_new0(GQueue, d->ncpus);
	d->poll_pending = g_new0(bool, d->ncpus);
	if (cfg->path == IO_PATH_SYNTHETIC) {
		d->nchans = vmbus_storvsc_channels(d->ncpus);
		d->chans = g_new0(struct chan, d->nchans);
		for (uint32_t i = 0; i < d->nchans; i++) {
			d->chans[i].d = d;
			vmbus_channel_init(&d->chans[i].ch, i, cfg->ring_size, i * d->ncpus / d->nchans);
			char *track = g_strdup_printf("storvsp:%s/%s/ch:%" PRIu32, hv_partition_name(gos_partition(k)), d->name, i);
			d->chans[i].track = sim_trace_track(d->sim, "root", track);
			g_free(track);
			g_queue_init(&d->chans[i].backlog);
		}
	}
	g_queue_init(&d->ide_wait);
	d->vector = gos_irq_register_any(k, guest_irq, d);
	if (!d->vector) {
		g_set_error(error, IO_ERROR, 0, "disk %s: no interrupt vector left in the guest", d->name);
		io_disk_free(d);
		return NULL;
	}
	sim_hist_init(&d->latency);
	sim_track_hist(d->sim, &d->latency);
	d->reset.reset = reset;
	sim_track_reset(d->sim, &d->reset);
	return d;
}

void io_disk_free(struct io_disk *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; i < d->nchans; i++)
		vmbus_channel_fini(&d->chans[i].ch);
	g_free(d->chans);
	g_free(d->done_q);
	g_free(d->poll_pending);
	if (d->dev != d->cfg.backend)
		io_blockdev_free(d->dev);
	sim_hist_clear(&d->latency);
	g_free(d->name);
	g_free(d);
}

const char *io_disk_name(const struct io_disk *d) { return d->name; }

void io_disk_stats(const struct io_disk *d, struct io_disk_stats *out)
{
	*out = (struct io_disk_stats){.ios = d->ios, .bytes = d->bytes, .signals = d->signals,
				      .guest_interrupts = d->interrupts, .ring_full_stalls = d->stalls,
				      .vsp_batches = d->batches, .latency = &d->latency, .submitted = d->submitted,
				      .in_flight_start = d->in_flight_start, .in_flight_end = d->in_flight,
				      .root_ns = d->root_cycles * 1e6 / (double)d->khz};
}
