/* SPDX-License-Identifier: MIT */
/*
 * sock.c - connections (net.h): the guest's socket side of each, and the send and receive
 *          operations tasks run on them.
 * Send: while bytes are left, build a packet of up to the stack's segment (GSO size or MSS) once
 *   the window has room for it (else wait for ACKs), pay for it (stack, copy, checksum, driver:
 *   kernel work on the task's vCPU) and hand it to the driver (net_driver_tx), which may ask for
 *   intercepts, a signal or a wait for ring space first. Any ACK owed rides along.
 * Receive: wait for data in the socket; copy what is there (up to what is left); acknowledge it
 *   with a packet of its own (a window update) unless the peer echoes, whose answers are
 *   acknowledged by the next request.
 */
#include "models/io/blockdev.h"
#include "models/io/net-int.h"

static uint64_t min3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a < b ? a : b;
	return m < c ? m : c;
}

struct io_conn *io_net_connect(struct io_net *n, const struct io_conn_config *cfg, GError **error)
{
	const char *name = io_net_name(n);
	if (!sim_check(cfg->window >= 1 && cfg->window <= UINT32_MAX, error, IO_ERROR,
		       "adapter %s: window %llu outside 1..4 GiB", name, (unsigned long long)cfg->window) ||
	    !sim_check(cfg->peer < IO_PEER_ECHO || (cfg->request >= 1 && cfg->request <= cfg->window), error, IO_ERROR,
		       "adapter %s: request %llu must be 1..window (%llu)", name, (unsigned long long)cfg->request,
		       (unsigned long long)cfg->window) ||
	    !sim_check(cfg->peer != IO_PEER_CLIENT || cfg->response >= 1, error, IO_ERROR,
		       "adapter %s: a client's response must be at least 1 byte", name) ||
	    !sim_check(cfg->peer < IO_PEER_ECHO || cfg->response <= cfg->window, error, IO_ERROR,
		       "adapter %s: response %llu must be at most the window (%llu)", name,
		       (unsigned long long)cfg->response, (unsigned long long)cfg->window))
		return NULL;
	GPtrArray *all = net_conns(n);
	struct io_conn *c = g_new0(struct io_conn, 1);
	c->net = n;
	c->id = all->len;
	c->cfg = *cfg;
	g_ptr_array_add(all, c);
	io_peer_open(net_nic(n), c);
	return c;
}

void sock_conn_reset(struct io_conn *c) { c->st = (struct io_conn_stats){0}; }

void io_conn_stats(const struct io_conn *c, struct io_conn_stats *out) { *out = c->st; }

void sock_deliver(struct io_net *n, struct io_pkt *p)
{
	struct io_conn *c = p->conn;
	if (p->ack) {
		SIM_ASSERT(net_sim(n), p->ack <= c->snd_inflight);
		c->snd_inflight -= p->ack;
		c->st.acked += p->ack;
		if (c->tx_waiting) {
			c->tx_waiting = false;
			gos_op_continue(c->tx_task);
		}
	}
	if (p->bytes) {
		c->rcv_avail += p->bytes;
		c->st.received += p->bytes;
		if (c->rx_waiting) {
			c->rx_waiting = false;
			gos_op_continue(c->rx_task);
		}
	}
	net_pkt_free(n, p);
}

/*
 * Hands the packet paid for in *slot (if any) to the driver. false: the task was asked to do
 * something first (resume() comes back). The slot is emptied once the driver has the packet: it
 * may be freed before the task resumes.
 */
static bool hand_over(struct io_net *n, struct gos_task *t, struct io_pkt **slot)
{
	if (!*slot)
		return true;
	enum net_drv r = net_driver_tx(n, t, *slot);
	if (r != NET_DRV_AGAIN)
		*slot = NULL;
	return r == NET_DRV_HANDED;
}

/* ---- send ---- */

static void send_start(struct gos_task *t, const struct gos_op *op)
{
	struct io_conn *c = op->arg;
	SIM_ASSERT(net_sim(c->net), c->tx_task == NULL || c->tx_task == t);
	c->tx_task = t;
}

static void send_resume(struct gos_task *t)
{
	struct io_conn *c = gos_task_op_arg(t);
	struct io_net *n = c->net;
	if (!hand_over(n, t, &c->tx_pkt))
		return;
	if (c->tx_left == 0) {
		c->tx_task = NULL;
		gos_op_done(t);
		return;
	}
	uint64_t room = c->cfg.window - c->snd_inflight;
	uint64_t bytes = min3(c->tx_left, room, net_tx_segment(n));
	if (bytes < min3(c->tx_left, c->cfg.window, net_tx_segment(n))) {
		/* no room for a full segment: wait for ACKs (no silly small segments) */
		c->tx_waiting = true;
		c->st.window_waits++;
		gos_op_wait(t);
		return;
	}
	struct io_pkt *p = net_tx_new(n, c, (uint32_t)bytes, (uint32_t)c->ack_owed);
	c->ack_owed = 0;
	c->tx_left -= bytes;
	c->snd_inflight += bytes;
	c->st.sent += bytes;
	c->tx_pkt = p;
	gos_op_work(t, net_tx_cycles(n, p) + net_cycles_of(n, IO_NET_COST_COPY_BYTE, bytes));
}

static const struct gos_op_class send_op = {.name = "net_send", .start = send_start, .resume = send_resume};

void gos_op_net_send(struct gos_op *op, struct io_conn *c, uint64_t bytes)
{
	c->tx_left = bytes;
	*op = (struct gos_op){.kind = GOS_OP_CALL, .cls = &send_op, .arg = c};
}

/* ---- receive ---- */

static void recv_start(struct gos_task *t, const struct gos_op *op)
{
	struct io_conn *c = op->arg;
	SIM_ASSERT(net_sim(c->net), c->rx_task == NULL || c->rx_task == t);
	c->rx_task = t;
}

static void recv_resume(struct gos_task *t)
{
	struct io_conn *c = gos_task_op_arg(t);
	struct io_net *n = c->net;
	if (!hand_over(n, t, &c->ack_pkt))
		return;
	if (c->rx_left == 0) {
		c->rx_task = NULL;
		gos_op_done(t);
		return;
	}
	if (c->rcv_avail == 0) {
		c->rx_waiting = true;
		gos_op_wait(t);
		return;
	}
	uint64_t take = c->rcv_avail < c->rx_left ? c->rcv_avail : c->rx_left;
	c->rcv_avail -= take;
	c->rx_left -= take;
	c->st.read += take;
	double cycles = net_cycles_of(n, IO_NET_COST_COPY_BYTE, take);
	if (c->cfg.peer == IO_PEER_ECHO || c->cfg.peer == IO_PEER_CLIENT) {
		c->ack_owed += take; /* the next request (echo) or answer (client) carries it */
	} else {
		c->ack_pkt = net_tx_new(n, c, 0, (uint32_t)take);
		cycles += net_tx_cycles(n, c->ack_pkt);
	}
	gos_op_work(t, cycles);
}

static const struct gos_op_class recv_op = {.name = "net_recv", .start = recv_start, .resume = recv_resume};

void gos_op_net_recv(struct gos_op *op, struct io_conn *c, uint64_t bytes)
{
	c->rx_left = bytes;
	*op = (struct gos_op){.kind = GOS_OP_CALL, .cls = &recv_op, .arg = c};
}
