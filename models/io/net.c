/* SPDX-License-Identifier: MIT */
/*
 * net.c - a VM's network adapter and its paths (net.h): the guest driver halves (handing a
 *         packet over in the sending task's operation, the vCPU's interrupt handler) and the host
 *         halves (the root's VMSwitch and the VM worker process, on root VPs).
 * Interrupts: the handler (hard irq) makes the device's register reads, if any, and defers the
 *   poll (gos_irq_defer), which serves every event found and pays per packet; a queue raises a
 *   new interrupt only once its poll has begun (NAPI), so a swamped vCPU slows its devices down.
 * Native / SR-IOV (VF present): the driver puts the packet on the NIC's queue (a doorbell: no
 *   exit); the NIC's interrupts (rx, tx completions) go to the queue's vCPU, each an exit in a VM.
 * Synthetic (netvsc, and SR-IOV without its VF): the packet goes into the outbound ring of the
 *   connection's channel (vRSS), with a signal only when the ring was empty and the VMSwitch
 *   thread is not draining; the root drains (vsp_wakeup, vswitch per packet and byte), puts the
 *   packets on the wire and writes send completions into the inbound ring. Received packets
 *   pass the root (root_irq per drain, vswitch per packet and byte) on the root VP of their host
 *   queue, then the inbound ring, interrupting the channel's vCPU when the ring was empty and
 *   the guest is not draining. Full rings stall the writer (guest: the task waits; root: the
 *   packet waits) until the reader's read frees space.
 * Emulated (DEC 21140): every frame (no offloads: MSS packets, software checksum) costs
 *   tulip_tx_accesses register intercepts served by the worker process, which then emulates
 *   the DMA (worker_packet) and passes it to the VMSwitch; received frames go through the
 *   VMSwitch and the worker into the guest's rx ring; the device interrupts vCPU 0 when it has
 *   none pending and the handler makes tulip_isr_accesses intercepts.
 */
#include <string.h>

#include "models/io/blockdev.h"
#include "models/io/net-int.h"

static const struct {
	const char *name, *unit;
	uint64_t def;
	const char *src;
} costs[IO_NET_NCOSTS] = {
#define X(id, name, def, unit, src) {name, unit, def, src},
	IO_NET_COSTS(X)
#undef X
};

const char *io_net_cost_name(enum io_net_cost c) { return costs[c].name; }
const char *io_net_cost_unit(enum io_net_cost c) { return costs[c].unit; }
const char *io_net_cost_source(enum io_net_cost c) { return costs[c].src; }
uint64_t io_net_cost_default(enum io_net_cost c) { return costs[c].def; }

bool io_net_cost_set(uint64_t cost[IO_NET_NCOSTS], const char *name, uint64_t value)
{
	for (int i = 0; i < IO_NET_NCOSTS; i++)
		if (strcmp(costs[i].name, name) == 0) {
			cost[i] = value;
			return true;
		}
	return false;
}

void io_net_config_default(struct io_net_config *c)
{
	memset(c, 0, sizeof *c);
	c->name = "nic0";
	c->path = IO_PATH_SYNTHETIC;
	io_nic_config_default(&c->nic);
	c->channels = VMBUS_NETVSC_CHANNELS_DEFAULT;
	c->ring_size = VMBUS_NETVSC_RING_BYTES;
	c->tulip_tx_accesses = 1;
	c->tulip_isr_accesses = 2;
	for (int i = 0; i < IO_NET_NCOSTS; i++)
		c->cost[i] = costs[i].def;
}

enum { NET_EV_VF = 1 };
/* netvsc's ring packet: NVSP message + RNDIS header + page ranges (16 bytes per 4 KiB page) [R]. */
enum { RNDIS_BYTES = 64, PAGE_RANGE_BYTES = 16, PAGE_BYTES = 4096 };

struct chan {
	struct io_net *n;
	struct vmbus_channel ch;
	uint32_t hq;                  /* host queue (root VP) */
	bool vsp_busy;
	uint32_t batch;               /* packets the current drain pays for */
	GQueue out_wait;              /* guest packets waiting for outbound space */
	GQueue in_wait;               /* root packets waiting for inbound space */
};

struct hostq {                        /* received packets on their way through the root */
	struct io_net *n;
	uint32_t lp;
	bool busy;
	GQueue wait, batch;
};

struct napi {                         /* a NIC queue's events for one vCPU */
	GQueue q;
	bool pending;                 /* an interrupt is on its way */
};

struct io_net {
	struct sim_entity ent;        /* first member */
	struct gos_kernel *k;
	struct hv *hv;
	struct sim *sim;
	struct io_net_config cfg;
	char *name;
	struct io_nic *nic;
	bool own_nic, vf_present;
	uint32_t worker_lp;           /* emulated: where the VM's worker process serves it (root) */
	unsigned vector;
	uint64_t khz;
	uint32_t ncpus;
	struct napi *napi;            /* per vCPU */
	struct chan *chans;
	uint32_t nchans;
	struct hostq *hqs;
	uint32_t nhqs;
	GQueue emu_rx;                /* emulated: frames in the guest's rx ring */
	uint32_t emu_done;            /* emulated: transmitted frames not yet reported */
	bool emu_pending;             /* emulated: its interrupt is raised and not yet served */
	bool emu_isr;                 /* emulated: the handler read the status; the poll serves it */
	bool *poll_pending;           /* per vCPU: a poll is deferred */
	GQueue free;                  /* recycled packets */
	GPtrArray *all;               /* every packet, for io_net_free */
	GPtrArray *conns;
	struct io_net_stats st;
	double root_cycles;
	struct sim_hist tx_lat, rx_lat;
	struct sim_reset_hook reset;
};

struct sim *net_sim(const struct io_net *n) { return n->sim; }
struct io_nic *net_nic(const struct io_net *n) { return n->nic; }
const struct io_nic *io_net_nic(const struct io_net *n) { return n->nic; }
const char *io_net_name(const struct io_net *n) { return n->name; }

double net_cycles_of(const struct io_net *n, enum io_net_cost c, uint64_t count)
{
	double per = (double)n->cfg.cost[c] * (double)n->khz; /* ns x kHz = 1e-6 cycles; ps x kHz = 1e-9 */
	return per * (double)count / (strcmp(costs[c].unit, "ns") == 0 ? 1e6 : 1e9);
}

static double cyc(const struct io_net *n, enum io_net_cost c) { return net_cycles_of(n, c, 1); }

/* Root CPU per register access of the emulated device (the worker process, REFERENCE 2.1). */
static double intercept_cycles(const struct io_net *n)
{
	return (double)hv_costs(n->hv)->ps[HV_COST_INTERCEPT_ROOT_USER] * (double)n->khz / (double)SIM_PS_PER_MS;
}

static void root_submit(struct io_net *n, uint32_t lp, double cycles, void (*done)(void *), void *arg)
{
	n->root_cycles += (double)(uint64_t)cycles;
	hv_root_submit(n->hv, lp, (uint64_t)cycles, done, arg);
}

static enum io_path current_path(const struct io_net *n)
{
	return n->cfg.path == IO_PATH_SRIOV && !n->vf_present ? IO_PATH_SYNTHETIC : n->cfg.path;
}

static bool csum_offload(const struct io_net *n, enum io_path p)
{
	return p != IO_PATH_EMULATED && io_nic_config(n->nic)->csum;
}

/* ---- packets ---- */

struct io_pkt *net_pkt_new(struct io_net *n, struct io_conn *c, enum io_pkt_kind kind)
{
	GList *l = g_queue_pop_head_link(&n->free);
	struct io_pkt *p;
	if (l) {
		p = l->data;
	} else {
		p = g_new(struct io_pkt, 1);
		g_ptr_array_add(n->all, p);
	}
	*p = (struct io_pkt){.kind = kind, .conn = c, .path = current_path(n), .units = 1, .stamp = sim_now(n->sim)};
	p->link.data = p;
	return p;
}

void net_pkt_free(struct io_net *n, struct io_pkt *p)
{
	p->link.data = p;
	g_queue_push_head_link(&n->free, &p->link);
}

uint32_t net_tx_segment(const struct io_net *n)
{
	enum io_path p = current_path(n);
	if (p == IO_PATH_EMULATED || !io_nic_config(n->nic)->tso)
		return io_nic_mss(n->nic);
	return n->cfg.path == IO_PATH_NATIVE ? IO_NET_GSO_MAX : IO_NET_NETVSC_GSO_MAX;
}

double net_tx_cycles(struct io_net *n, const struct io_pkt *p)
{
	double c = cyc(n, IO_NET_COST_STACK_PACKET);
	if (!csum_offload(n, p->path))
		c += net_cycles_of(n, IO_NET_COST_CSUM_BYTE, p->bytes);
	return c + cyc(n, p->path == IO_PATH_SYNTHETIC ? IO_NET_COST_VSC_PACKET : IO_NET_COST_DRIVER_PACKET);
}

static void raise_irq(struct io_net *n, uint32_t cpu)
{
	n->st.guest_interrupts++;
	vhw_raise(gos_cpu_vhw(n->k, cpu), n->vector);
}

/* A NIC queue has something for its vCPU: interrupt unless one is pending (NAPI). */
static void napi_add(struct io_net *n, struct io_pkt *p)
{
	uint32_t q = p->conn->id % io_nic_config(n->nic)->queues, cpu = q % n->ncpus;
	g_queue_push_tail_link(&n->napi[cpu].q, &p->link);
	if (!n->napi[cpu].pending) {
		n->napi[cpu].pending = true;
		raise_irq(n, cpu);
	}
}

static void emu_raise(struct io_net *n)
{
	if (!n->emu_pending) {
		n->emu_pending = true;
		raise_irq(n, 0);
	}
}

static struct chan *chan_of(const struct io_net *n, const struct io_conn *c) { return &n->chans[c->id % n->nchans]; }

static uint32_t ring_bytes(const struct io_pkt *p)
{
	return vmbus_packet_size(RNDIS_BYTES + PAGE_RANGE_BYTES * ((p->bytes + PAGE_BYTES - 1) / PAGE_BYTES));
}

/* ---- synthetic, host side: the VMSwitch thread draining a channel's outbound ring ---- */

static void vsp_drained(void *arg);

static void vsp_drain(struct chan *c, bool wakeup)
{
	struct io_net *n = c->n;
	double cycles = wakeup ? cyc(n, IO_NET_COST_VSP_WAKEUP) : 0;
	c->batch = 0;
	for (GList *l = c->ch.out.packets.head; l; l = l->next, c->batch++) {
		const struct io_pkt *p = sim_container_of(l->data, struct io_pkt, vp);
		cycles += cyc(n, IO_NET_COST_VSWITCH_PACKET) + net_cycles_of(n, IO_NET_COST_VSWITCH_BYTE, p->bytes);
	}
	n->st.vsp_batches++;
	root_submit(n, n->hqs[c->hq].lp, cycles, vsp_drained, c);
}

static void vsp_kick(struct chan *c)
{
	if (c->vsp_busy)
		return;
	c->vsp_busy = true;
	vmbus_ring_begin_read(&c->ch.out);
	vsp_drain(c, true);
}

/* The root writes p into the channel's inbound ring, or keeps it until the guest frees space. */
static void host_write_in(struct chan *c, struct io_pkt *p)
{
	struct io_net *n = c->n;
	p->vp.bytes = ring_bytes(p);
	bool signal = false;
	if (!g_queue_is_empty(&c->in_wait) || !vmbus_ring_write(&c->ch.in, &p->vp, &signal)) {
		n->st.ring_full_stalls++;
		g_queue_push_tail_link(&c->in_wait, &p->link);
		return;
	}
	if (signal)
		raise_irq(n, c->ch.target_vcpu);
}

/* Packets that waited for ring space go in, in order; a write that still fails records
   pending_send_sz again, so the reader signals once more. */
static void in_refill(struct chan *c)
{
	GList *l;
	while ((l = g_queue_peek_head_link(&c->in_wait))) {
		struct io_pkt *p = l->data;
		if (!vmbus_ring_write(&c->ch.in, &p->vp, NULL)) /* the guest is draining: no signal */
			return;
		g_queue_unlink(&c->in_wait, l);
	}
}

static void out_refill(struct chan *c)
{
	GList *l;
	while ((l = g_queue_peek_head_link(&c->out_wait))) {
		struct io_pkt *p = l->data;
		if (!vmbus_ring_write(&c->ch.out, &p->vp, NULL)) /* the VMSwitch is draining: no signal */
			return;
		g_queue_unlink(&c->out_wait, l);
		gos_op_continue(p->task);
	}
}

static void vsp_drained(void *arg)
{
	struct chan *c = arg;
	struct io_net *n = c->n;
	struct vmbus_packet *vp;
	for (uint32_t i = 0; i < c->batch && (vp = vmbus_ring_read(&c->ch.out, NULL)) != NULL; i++) {
		struct io_pkt *p = sim_container_of(vp, struct io_pkt, vp);
		struct io_pkt *done = net_pkt_new(n, p->conn, IO_PKT_TXDONE);
		io_nic_transmit(n->nic, p, NULL);
		host_write_in(c, done);
	}
	out_refill(c);
	if (!vmbus_ring_empty(&c->ch.out)) {
		vsp_drain(c, false);
		return;
	}
	if (vmbus_ring_end_read(&c->ch.out)) {
		vmbus_ring_begin_read(&c->ch.out);
		vsp_drain(c, false);
		return;
	}
	c->vsp_busy = false;
}

/* ---- synthetic and emulated, host side: received packets through the root ---- */

static void hostq_done(void *arg);

static void hostq_drain(struct hostq *h)
{
	struct io_net *n = h->n;
	double cycles = cyc(n, IO_NET_COST_ROOT_IRQ);
	h->batch = h->wait; /* the batch is empty: hostq_done took it */
	g_queue_init(&h->wait);
	for (GList *l = h->batch.head; l; l = l->next) {
		const struct io_pkt *p = l->data;
		cycles += p->units * cyc(n, IO_NET_COST_VSWITCH_PACKET) + net_cycles_of(n, IO_NET_COST_VSWITCH_BYTE, p->bytes);
		if (p->path == IO_PATH_EMULATED)
			cycles += p->units * cyc(n, IO_NET_COST_WORKER_PACKET);
	}
	n->st.vsp_batches++;
	root_submit(n, h->lp, cycles, hostq_done, h);
}

static void hostq_done(void *arg)
{
	struct hostq *h = arg;
	struct io_net *n = h->n;
	GList *l;
	while ((l = g_queue_pop_head_link(&h->batch))) {
		struct io_pkt *p = l->data;
		if (p->path == IO_PATH_EMULATED) {
			g_queue_push_tail_link(&n->emu_rx, &p->link);
			emu_raise(n);
		} else {
			host_write_in(chan_of(n, p->conn), p);
		}
	}
	if (g_queue_is_empty(&h->wait))
		h->busy = false;
	else
		hostq_drain(h);
}

static void hostq_add(struct hostq *h, struct io_pkt *p)
{
	g_queue_push_tail_link(&h->wait, &p->link);
	if (!h->busy) {
		h->busy = true;
		hostq_drain(h);
	}
}

void net_rx_wire(struct io_net *n, struct io_pkt *p)
{
	const struct io_nic_config *nc = io_nic_config(n->nic);
	p->tx = false;
	p->path = current_path(n);
	p->stamp = sim_now(n->sim);
	uint32_t frames = io_nic_frames(n->nic, p->bytes);
	p->units = p->path == IO_PATH_EMULATED || !nc->lro ? frames
			: (p->bytes == 0 ? 1 : (p->bytes + IO_NET_GSO_MAX - 1) / IO_NET_GSO_MAX);
	switch (p->path) {
	case IO_PATH_NATIVE:
	case IO_PATH_SRIOV:
		napi_add(n, p);
		return;
	case IO_PATH_SYNTHETIC:
		hostq_add(&n->hqs[chan_of(n, p->conn)->hq], p);
		return;
	case IO_PATH_EMULATED:
		hostq_add(&n->hqs[0], p);
		return;
	}
}

/* ---- the guest's driver: handing a packet over ---- */

static void native_sent(struct io_pkt *p)
{
	struct io_net *n = p->conn->net;
	napi_add(n, net_pkt_new(n, p->conn, IO_PKT_TXDONE));
}

static void emu_tx_done(void *arg)
{
	struct io_pkt *p = arg;
	struct io_net *n = p->conn->net;
	io_nic_transmit(n->nic, p, NULL);
	n->emu_done++;
	emu_raise(n);
}

enum net_drv net_driver_tx(struct io_net *n, struct gos_task *t, struct io_pkt *p)
{
	switch (p->path) {
	case IO_PATH_NATIVE:
	case IO_PATH_SRIOV:
		io_nic_transmit(n->nic, p, native_sent);
		return NET_DRV_HANDED;
	case IO_PATH_EMULATED:
		if (p->step < n->cfg.tulip_tx_accesses) {
			p->step++;
			n->st.intercepts++;
			n->root_cycles += intercept_cycles(n);
			gos_op_intercept(t, VHW_IC_IO_PORT); /* CSR1: transmit poll demand */
			return NET_DRV_AGAIN;
		}
		root_submit(n, n->worker_lp, cyc(n, IO_NET_COST_WORKER_PACKET) + cyc(n, IO_NET_COST_VSWITCH_PACKET) +
					  net_cycles_of(n, IO_NET_COST_VSWITCH_BYTE, p->bytes), emu_tx_done, p);
		return NET_DRV_HANDED;
	case IO_PATH_SYNTHETIC:
		break;
	}
	struct chan *c = chan_of(n, p->conn);
	p->vp.bytes = ring_bytes(p);
	if (!g_queue_is_empty(&c->out_wait) || !vmbus_ring_fits(&c->ch.out, p->vp.bytes)) {
		n->st.ring_full_stalls++;
		if (g_queue_is_empty(&c->out_wait))
			vmbus_ring_write(&c->ch.out, &p->vp, NULL); /* fails: records pending_send_sz */
		p->task = t;
		g_queue_push_tail_link(&c->out_wait, &p->link);
		gos_op_wait(t); /* out_refill writes it and continues the task */
		return NET_DRV_HANDED_WAIT;
	}
	bool signal = false;
	vmbus_ring_write(&c->ch.out, &p->vp, &signal);
	if (!signal)
		return NET_DRV_HANDED;
	n->st.signals++;
	vsp_kick(c);
	gos_op_hypercall(t, VHW_HC_SIGNAL_EVENT);
	return NET_DRV_HANDED_WAIT;
}

void net_tx_arrived(struct io_net *n, const struct io_pkt *p)
{
	if (p->bytes == 0)
		return;
	n->st.tx_bytes += p->bytes;
	sim_hist_record(&n->tx_lat, sim_now(n->sim) - p->stamp);
}

/* ---- the guest's interrupt handler ---- */

/* The guest's stack takes a received packet (its driver cost `drv` per software packet). */
static void guest_rx(struct io_net *n, uint32_t cpu, struct io_pkt *p, enum io_net_cost drv)
{
	if (p->kind == IO_PKT_TXDONE) {
		if (drv == IO_NET_COST_VSC_PACKET)
			gos_irq_work(n->k, cpu, cyc(n, drv)); /* netvsc parses the completion packet */
		net_pkt_free(n, p);
		return;
	}
	double c = p->units * (cyc(n, drv) + cyc(n, IO_NET_COST_STACK_PACKET));
	if (!csum_offload(n, p->path))
		c += net_cycles_of(n, IO_NET_COST_CSUM_BYTE, p->bytes);
	gos_irq_work(n->k, cpu, c);
	n->st.rx_packets += p->units;
	n->st.rx_bytes += p->bytes;
	if (p->bytes)
		sim_hist_record(&n->rx_lat, sim_now(n->sim) - p->stamp);
	sock_deliver(n, p);
}

/* netvsc reads a packet of a channel's inbound ring; its read may let the root's waiting ones in. */
static void guest_read(struct vmbus_packet *vp, bool space, void *arg)
{
	struct chan *c = arg;
	guest_rx(c->n, c->ch.target_vcpu, sim_container_of(vp, struct io_pkt, vp), IO_NET_COST_VSC_PACKET);
	if (space)
		in_refill(c);
}

/* The bottom half (NAPI poll): after the handler's register accesses and the work before it. */
static void guest_poll(struct gos_kernel *k, uint32_t cpu, void *arg)
{
	(void)k;
	struct io_net *n = arg;
	GList *l;
	n->poll_pending[cpu] = false;
	n->napi[cpu].pending = false; /* from now on a new event interrupts again */
	while ((l = g_queue_pop_head_link(&n->napi[cpu].q)))
		guest_rx(n, cpu, l->data, IO_NET_COST_DRIVER_PACKET);
	if (cpu == 0 && n->emu_isr) {
		n->emu_isr = false;
		n->emu_pending = false;
		n->emu_done = 0;
		while ((l = g_queue_pop_head_link(&n->emu_rx)))
			guest_rx(n, cpu, l->data, IO_NET_COST_DRIVER_PACKET);
	}
	for (uint32_t i = 0; i < n->nchans; i++)
		if (n->chans[i].ch.target_vcpu == cpu)
			vmbus_ring_drain(&n->chans[i].ch.in, guest_read, &n->chans[i]);
}

/* The hard interrupt: the 21140's status register reads, then the poll. */
static void guest_irq(struct gos_kernel *k, uint32_t cpu, void *arg)
{
	struct io_net *n = arg;
	if (cpu == 0 && n->emu_pending && !n->emu_isr) {
		n->emu_isr = true;
		gos_irq_intercepts(k, cpu, VHW_IC_IO_PORT, n->cfg.tulip_isr_accesses);
		n->st.intercepts += n->cfg.tulip_isr_accesses;
		n->root_cycles += n->cfg.tulip_isr_accesses * intercept_cycles(n);
	}
	if (!n->poll_pending[cpu]) {
		n->poll_pending[cpu] = true;
		gos_irq_defer(k, cpu, guest_poll, n);
	}
}

/* ---- the adapter ---- */

static void net_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	struct io_net *n = sim_container_of(ent, struct io_net, ent);
	if (kind != NET_EV_VF)
		sim_bug(ent->sim, ent, "net: unknown event kind %u", kind);
	bool present = pl->u64[0] != 0;
	if (present != n->vf_present) {
		n->vf_present = present;
		n->st.vf_switches++;
	}
}

static const struct sim_entity_ops net_ops = {.kind = "io-net", .event = net_event};

bool io_net_schedule_vf(struct io_net *n, sim_time_t at, bool present, GError **error)
{
	if (!sim_check(n->cfg.path == IO_PATH_SRIOV, error, IO_ERROR, "adapter %s: the path is %s, not sriov (no VF)",
		       n->name, io_path_name(n->cfg.path)))
		return false;
	union sim_payload pl = {.u64 = {present, 0}};
	sim_schedule(n->sim, &n->ent, at, NET_EV_VF, &pl);
	return true;
}

static void reset(struct sim_reset_hook *h, sim_time_t now)
{
	(void)now;
	struct io_net *n = sim_container_of(h, struct io_net, reset);
	uint32_t channels = n->st.channels;
	memset(&n->st, 0, sizeof n->st);
	n->st.channels = channels;
	n->root_cycles = 0;
	for (guint i = 0; i < n->conns->len; i++)
		sock_conn_reset(n->conns->pdata[i]);
}

static void conn_free(gpointer c) { g_free(c); }

struct io_net *io_net_new(struct gos_kernel *k, struct hv *hv, const struct io_net_config *cfg, GError **error)
{
	if (!sim_check(!(io_path_needs_root(cfg->path) && hv_bare_metal(hv)), error, IO_ERROR,
		       "adapter %s: the %s path needs a hypervisor (bare metal is native)", cfg->name, io_path_name(cfg->path)) ||
	    !sim_check(cfg->channels >= 1 && cfg->channels <= VMBUS_NETVSC_CHANNELS_MAX, error, IO_ERROR,
		       "adapter %s: channels %u outside 1..%u", cfg->name, cfg->channels, VMBUS_NETVSC_CHANNELS_MAX) ||
	    !sim_check(cfg->ring_size >= 4096, error, IO_ERROR, "adapter %s: ring_size %u below 4096", cfg->name, cfg->ring_size))
		return NULL;
	struct io_net *n = g_new0(struct io_net, 1);
	n->k = k;
	n->hv = hv;
	n->sim = gos_sim(k);
	n->cfg = *cfg;
	n->name = g_strdup(cfg->name);
	n->cfg.name = n->name;
	n->khz = hw_lp_at(hv_host(hv), 0)->khz;
	n->ncpus = gos_ncpus(k);
	n->all = g_ptr_array_new_with_free_func(g_free);
	n->conns = g_ptr_array_new_with_free_func(conn_free);
	n->vf_present = true;
	sim_entity_add(n->sim, &n->ent, &net_ops, n->name);
	if (cfg->backend) {
		n->nic = cfg->backend;
	} else {
		struct io_nic_config nc = cfg->nic;
		nc.name = n->name;
		n->nic = io_nic_new(n->sim, &nc, error);
		n->own_nic = true;
		if (!n->nic) {
			io_net_free(n);
			return NULL;
		}
	}
	n->napi = g_new0(struct napi, n->ncpus);
	n->poll_pending = g_new0(bool, n->ncpus);
	if (cfg->path == IO_PATH_SYNTHETIC || cfg->path == IO_PATH_SRIOV) {
		n->nchans = vmbus_netvsc_channels(n->ncpus, cfg->channels);
		n->nhqs = cfg->host_queues ? cfg->host_queues : n->nchans;
	} else {
		n->nhqs = 1;
	}
	n->worker_lp = hv_bare_metal(hv) ? 0 : hv_partition_worker_lp(gos_partition(k));
	n->st.channels = n->nchans;
	n->chans = g_new0(struct chan, n->nchans);
	n->hqs = g_new0(struct hostq, n->nhqs);
	for (uint32_t i = 0; i < n->nhqs; i++) /* the emulated NIC's one queue is the worker process's */
		n->hqs[i] = (struct hostq){.n = n, .lp = cfg->path == IO_PATH_EMULATED ? n->worker_lp : i};
	for (uint32_t i = 0; i < n->nchans; i++) {
		n->chans[i].n = n;
		n->chans[i].hq = i % n->nhqs;
		vmbus_channel_init(&n->chans[i].ch, i, cfg->ring_size, i % n->ncpus);
	}
	n->vector = gos_irq_register_any(k, guest_irq, n);
	if (!n->vector) {
		g_set_error(error, IO_ERROR, 0, "adapter %s: no interrupt vector left in the guest", n->name);
		io_net_free(n);
		return NULL;
	}
	sim_hist_init(&n->tx_lat);
	sim_track_hist(n->sim, &n->tx_lat);
	sim_hist_init(&n->rx_lat);
	sim_track_hist(n->sim, &n->rx_lat);
	n->reset.reset = reset;
	sim_track_reset(n->sim, &n->reset);
	return n;
}

void io_net_free(struct io_net *n)
{
	if (!n)
		return;
	for (uint32_t i = 0; i < n->nchans; i++)
		vmbus_channel_fini(&n->chans[i].ch);
	g_free(n->chans);
	g_free(n->hqs);
	g_free(n->napi);
	g_free(n->poll_pending);
	if (n->own_nic)
		io_nic_free(n->nic);
	g_ptr_array_free(n->conns, TRUE);
	g_ptr_array_free(n->all, TRUE);
	sim_hist_clear(&n->tx_lat);
	sim_hist_clear(&n->rx_lat);
	g_free(n->name);
	g_free(n);
}

void io_net_stats(const struct io_net *n, struct io_net_stats *out)
{
	*out = n->st;
	out->root_ns = n->root_cycles * 1e6 / (double)n->khz;
	out->tx_latency = &n->tx_lat;
	out->rx_latency = &n->rx_lat;
}

/* ---- for sock.c ---- */

GPtrArray *net_conns(struct io_net *n) { return n->conns; }

struct io_pkt *net_tx_new(struct io_net *n, struct io_conn *c, uint32_t bytes, uint32_t ack)
{
	struct io_pkt *p = net_pkt_new(n, c, IO_PKT_DATA);
	p->tx = true;
	p->bytes = bytes;
	p->ack = ack;
	n->st.tx_packets++;
	return p;
}
