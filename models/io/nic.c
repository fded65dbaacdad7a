/* SPDX-License-Identifier: MIT */
/*
 * nic.c - the physical NIC's link and the remote peer at its other end (net.h).
 * Link: one FIFO per direction sending at `gbps`; a packet occupies it for its wire bytes
 *   (payload + IO_NET_FRAME_OVERHEAD per frame, at least a minimum Ethernet frame each) and
 *   arrives `latency` after its last bit. No loss, no pause frames: queues are bounded by the
 *   connections' windows.
 * Peer: infinitely fast. It receives the guest's packets (taking their ACKs), answers as the
 *   connection asks (sink: an ACK per data packet; echo: `response` bytes after `service` per
 *   `request` bytes, carrying the request's ACK; source: data without end; client: a request, then
 *   the next one `service` after each `response` bytes it gets back), sending packets of
 *   up to IO_NET_GSO_MAX bytes (its TSO) while its window allows.
 */
#include <string.h>

#include "models/io/blockdev.h"
#include "models/io/net-int.h"

enum { NIC_EV_AT_PEER = 1, NIC_EV_AT_HOST, NIC_EV_SENT, NIC_EV_ANSWER };
enum { MIN_FRAME_WIRE = 84 }; /* 64-byte minimum frame + preamble 8 + gap 12 */

struct link {
	sim_time_t busy_until;     /* when the last queued packet's last bit leaves */
	uint64_t frames, bytes;
	sim_time_t busy;           /* sending time counted since the warm-up */
};

struct io_nic {
	struct sim_entity ent;     /* first member */
	struct io_nic_config cfg;
	char *name;
	double ps_per_byte;
	struct link tx, rx;        /* tx: host -> peer */
	struct sim_reset_hook reset;
};

void io_nic_config_default(struct io_nic_config *c)
{
	*c = (struct io_nic_config){.name = "nic", .gbps = 10, .mtu = 1500, .queues = 8, .tso = true, .lro = true,
				    .csum = true, .latency = 10 * SIM_PS_PER_US};
}

uint32_t io_nic_mss(const struct io_nic *nic) { return nic->cfg.mtu - IO_NET_IP_TCP_HEADERS; }
const struct io_nic_config *io_nic_config(const struct io_nic *nic) { return &nic->cfg; }
const char *io_nic_name(const struct io_nic *nic) { return nic->name; }

uint32_t io_nic_frames(const struct io_nic *nic, uint32_t bytes)
{
	uint32_t mss = io_nic_mss(nic);
	return bytes == 0 ? 1 : (bytes + mss - 1) / mss;
}

static void *ptr_of(const union sim_payload *p) { return (void *)(uintptr_t)p->u64[0]; }

/* Puts p on a direction of the link; it arrives at the far end with event `kind`. */
static void link_send(struct io_nic *nic, struct link *l, struct io_pkt *p, unsigned kind, void (*sent)(struct io_pkt *))
{
	struct sim *sim = nic->ent.sim;
	uint32_t frames = io_nic_frames(nic, p->bytes);
	uint64_t wire = (uint64_t)p->bytes + (uint64_t)frames * IO_NET_FRAME_OVERHEAD;
	if (wire < (uint64_t)frames * MIN_FRAME_WIRE)
		wire = (uint64_t)frames * MIN_FRAME_WIRE;
	sim_time_t now = sim_now(sim), start = l->busy_until > now ? l->busy_until : now;
	sim_time_t dur = (sim_time_t)((double)wire * nic->ps_per_byte + 0.5);
	l->busy_until = start + dur;
	l->busy += dur;
	l->frames += frames;
	l->bytes += wire;
	union sim_payload pl = {.u64 = {(uint64_t)(uintptr_t)p, 0}};
	if (sent) {
		union sim_payload sp = {.u64 = {(uint64_t)(uintptr_t)p, (uint64_t)(uintptr_t)sent}};
		sim_schedule(sim, &nic->ent, l->busy_until, NIC_EV_SENT, &sp);
	}
	sim_schedule(sim, &nic->ent, l->busy_until + nic->cfg.latency, kind, &pl);
}

void io_nic_transmit(struct io_nic *nic, struct io_pkt *p, void (*sent)(struct io_pkt *p))
{
	link_send(nic, &nic->tx, p, NIC_EV_AT_PEER, sent);
}

/* ---- the peer ---- */

static uint32_t min_u64(uint64_t a, uint64_t b) { return (uint32_t)(a < b ? a : b); }

/* Sends what the connection lets it (echo answers, source data), then a bare ACK if one is owed. */
static void peer_send(struct io_nic *nic, struct io_conn *c, bool ack_alone)
{
	struct io_net *n = c->net;
	for (;;) {
		uint64_t room = c->cfg.window > c->peer_inflight ? c->cfg.window - c->peer_inflight : 0;
		uint64_t want = c->cfg.peer == IO_PEER_SOURCE ? UINT64_MAX : c->peer_owed;
		uint32_t bytes = min_u64(min_u64(want, room), IO_NET_GSO_MAX);
		if (bytes == 0 && !(ack_alone && c->peer_ack > 0))
			return;
		struct io_pkt *p = net_pkt_new(n, c, IO_PKT_DATA);
		p->bytes = bytes;
		p->ack = (uint32_t)c->peer_ack;
		c->peer_ack = 0;
		c->peer_inflight += bytes;
		if (c->cfg.peer == IO_PEER_ECHO || c->cfg.peer == IO_PEER_CLIENT)
			c->peer_owed -= bytes;
		link_send(nic, &nic->rx, p, NIC_EV_AT_HOST, NULL);
		if (bytes == 0)
			return;
	}
}

/* Echo: the answer to a request (carrying its ACK). Client: the next request (carrying the ACK
   of the answer it got, none for the first). */
static void answer(struct io_nic *nic, struct io_conn *c)
{
	bool echo = c->cfg.peer == IO_PEER_ECHO;
	c->peer_owed += echo ? c->cfg.response : c->cfg.request;
	c->peer_ack += c->peer_answered;
	c->peer_answered = 0;
	peer_send(nic, c, true);
}

/* `need` bytes complete one request (echo) or answer (client): answer it after `service`. */
static void count_towards(struct io_nic *nic, struct io_conn *c, uint32_t bytes, uint64_t need)
{
	c->peer_request += bytes;
	while (c->peer_request >= need) {
		c->peer_request -= need;
		c->peer_answered += need;
		if (c->cfg.service == 0) {
			answer(nic, c);
		} else {
			union sim_payload pl = {.u64 = {(uint64_t)(uintptr_t)c, 0}};
			sim_schedule_in(nic->ent.sim, &nic->ent, c->cfg.service, NIC_EV_ANSWER, &pl);
		}
	}
}

static void at_peer(struct io_nic *nic, struct io_pkt *p)
{
	struct io_conn *c = p->conn;
	struct io_net *n = c->net;
	net_tx_arrived(n, p);
	SIM_ASSERT(nic->ent.sim, p->ack <= c->peer_inflight);
	c->peer_inflight -= p->ack;
	c->st.peer_received += p->bytes;
	uint32_t bytes = p->bytes;
	net_pkt_free(n, p);
	switch (c->cfg.peer) {
	case IO_PEER_SINK:
		c->peer_ack += bytes;
		peer_send(nic, c, bytes > 0);
		return;
	case IO_PEER_ECHO:
	case IO_PEER_CLIENT:
		count_towards(nic, c, bytes, c->cfg.peer == IO_PEER_ECHO ? c->cfg.request : c->cfg.response);
		peer_send(nic, c, false); /* the window may have opened */
		return;
	case IO_PEER_SOURCE:
		peer_send(nic, c, false);
		return;
	}
}

void io_peer_open(struct io_nic *nic, struct io_conn *c)
{
	if (c->cfg.peer == IO_PEER_SOURCE)
		peer_send(nic, c, false);
	else if (c->cfg.peer == IO_PEER_CLIENT)
		answer(nic, c); /* the first request */
}

static void nic_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	struct io_nic *nic = sim_container_of(ent, struct io_nic, ent);
	switch (kind) {
	case NIC_EV_AT_PEER:
		at_peer(nic, ptr_of(pl));
		return;
	case NIC_EV_AT_HOST: {
		struct io_pkt *p = ptr_of(pl);
		net_rx_wire(p->conn->net, p);
		return;
	}
	case NIC_EV_SENT: {
		void (*sent)(struct io_pkt *) = (void (*)(struct io_pkt *))(uintptr_t)pl->u64[1];
		sent(ptr_of(pl));
		return;
	}
	case NIC_EV_ANSWER:
		answer(nic, ptr_of(pl));
		return;
	}
	sim_bug(ent->sim, ent, "nic: unknown event kind %u", kind);
}

static void nic_dump(const struct sim_entity *ent, FILE *out)
{
	const struct io_nic *nic = sim_container_of(ent, struct io_nic, ent);
	fprintf(out, "  nic %s: tx busy until %llu, rx busy until %llu\n", nic->name,
		(unsigned long long)nic->tx.busy_until, (unsigned long long)nic->rx.busy_until);
}

static const struct sim_entity_ops nic_ops = {.kind = "io-nic", .event = nic_event, .dump = nic_dump};

static void nic_reset(struct sim_reset_hook *h, sim_time_t now)
{
	struct io_nic *nic = sim_container_of(h, struct io_nic, reset);
	struct link *ls[] = {&nic->tx, &nic->rx};
	for (int i = 0; i < 2; i++) {
		ls[i]->frames = ls[i]->bytes = 0;
		/* the part of a transmission still to come counts in the new period */
		ls[i]->busy = ls[i]->busy_until > now ? ls[i]->busy_until - now : 0;
	}
}

struct io_nic *io_nic_new(struct sim *sim, const struct io_nic_config *cfg, GError **error)
{
	const char *name = cfg->name ? cfg->name : "nic";
	if (!sim_check(cfg->gbps > 0 && cfg->gbps <= 1e4, error, IO_ERROR, "nic %s: gbps %g outside (0, 10000]", name, cfg->gbps) ||
	    !sim_check(cfg->mtu >= 576 && cfg->mtu <= 65535, error, IO_ERROR, "nic %s: mtu %u outside 576..65535", name, cfg->mtu) ||
	    !sim_check(cfg->queues >= 1 && cfg->queues <= 1024, error, IO_ERROR, "nic %s: queues %u outside 1..1024", name, cfg->queues))
		return NULL;
	struct io_nic *nic = g_new0(struct io_nic, 1);
	nic->cfg = *cfg;
	nic->name = g_strdup(name);
	nic->cfg.name = nic->name;
	nic->ps_per_byte = 8.0 * 1000.0 / cfg->gbps; /* 1 Gb/s = 1 bit per ns = 8 ns per byte */
	sim_entity_add(sim, &nic->ent, &nic_ops, nic->name);
	nic->reset.reset = nic_reset;
	sim_track_reset(sim, &nic->reset);
	return nic;
}

void io_nic_free(struct io_nic *nic)
{
	if (!nic)
		return;
	g_free(nic->name);
	g_free(nic);
}

void io_nic_stats(const struct io_nic *nic, struct io_nic_stats *out)
{
	sim_time_t now = sim_now(nic->ent.sim);
	/* transmissions already booked for the future do not count as busy yet */
	sim_time_t txa = nic->tx.busy_until > now ? nic->tx.busy_until - now : 0;
	sim_time_t rxa = nic->rx.busy_until > now ? nic->rx.busy_until - now : 0;
	*out = (struct io_nic_stats){.tx_frames = nic->tx.frames, .rx_frames = nic->rx.frames,
				     .tx_bytes = nic->tx.bytes, .rx_bytes = nic->rx.bytes,
				     .tx_busy = nic->tx.busy - txa, .rx_busy = nic->rx.busy - rxa};
}
