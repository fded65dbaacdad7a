/* SPDX-License-Identifier: MIT */
/*
 * net-int.h - what the networking files share: packets, connections, the adapter's state.
 * Role: nic.c (link, peer), net.c (the adapter's paths: drivers, VMBus, the root's VMSwitch and
 *       worker process) and sock.c (connections and their send/receive operations) meet here.
 */
#ifndef MODELS_IO_NET_INT_H
#define MODELS_IO_NET_INT_H

#include "models/hypervisor/hv.h"
#include "models/io/net.h"
#include "models/io/vmbus.h"
#include "sim/check.h"

enum io_pkt_kind { IO_PKT_DATA, IO_PKT_TXDONE };

/* One packet (data, an ACK, or both), or a send completion on its way back to the guest's driver. */
struct io_pkt {
	enum io_pkt_kind kind;
	struct io_conn *conn;
	uint32_t bytes;            /* payload */
	uint32_t ack;              /* payload of the other direction it acknowledges */
	bool tx;                   /* guest -> peer */
	enum io_path path;         /* the path it takes (sriov without its VF: synthetic) */
	uint8_t step;              /* emulated: register accesses made for it (net_driver_tx) */
	uint32_t units;            /* software packets it counts for at the adapter (GSO/LRO) */
	sim_time_t stamp;          /* tx: handed to the driver; rx: off the wire (latency) */
	struct gos_task *task;     /* synthetic: the task waiting for ring space to send it */
	struct vmbus_packet vp;    /* synthetic: on a ring */
	GList link;                /* in one queue at a time */
};

struct io_conn {
	struct io_net *net;
	uint32_t id;
	struct io_conn_config cfg;
	/* the guest's side */
	uint64_t snd_inflight;     /* sent and not acknowledged */
	uint64_t rcv_avail;        /* in the socket, not read */
	uint64_t ack_owed;         /* read and not acknowledged (echo: goes with the next request) */
	uint64_t tx_left, rx_left; /* of the current send / receive operation */
	struct gos_task *tx_task, *rx_task;
	bool tx_waiting, rx_waiting; /* for the window / for data (gos_op_wait) */
	struct io_pkt *tx_pkt, *ack_pkt; /* paid for, being handed to the driver */
	/* the peer's side */
	uint64_t peer_inflight;    /* the peer sent and the guest has not acknowledged */
	uint64_t peer_request;     /* echo: bytes towards the next request; client: towards the answer */
	uint64_t peer_answered;    /* bytes of complete requests (answers) the next send acknowledges */
	uint64_t peer_owed;        /* echo: answer bytes still to send; client: request bytes */
	uint64_t peer_ack;         /* guest bytes the peer's next packet acknowledges */
	struct io_conn_stats st;
};

/* ---- nic.c ---- */
uint32_t io_nic_mss(const struct io_nic *nic);
const struct io_nic_config *io_nic_config(const struct io_nic *nic);
/* Puts a guest packet on the wire to the peer (in order behind earlier ones); calls done(p) on
   the host side when the NIC has sent it (NULL: none), and the peer gets it `latency` later. */
void io_nic_transmit(struct io_nic *nic, struct io_pkt *p, void (*sent)(struct io_pkt *p));
/* The peer starts sending on a new connection (source). */
void io_peer_open(struct io_nic *nic, struct io_conn *c);
/* Wire frames of a packet with `bytes` of payload. */
uint32_t io_nic_frames(const struct io_nic *nic, uint32_t bytes);

/* ---- net.c ---- */
struct io_pkt *net_pkt_new(struct io_net *n, struct io_conn *c, enum io_pkt_kind kind);
void net_pkt_free(struct io_net *n, struct io_pkt *p);
/* A packet the guest sends (counted in tx_packets). */
struct io_pkt *net_tx_new(struct io_net *n, struct io_conn *c, uint32_t bytes, uint32_t ack);
GPtrArray *net_conns(struct io_net *n); /* struct io_conn *, owned */
/* The guest's CPU to build and hand packet p to its driver (stack, copy, checksum, driver). */
double net_tx_cycles(struct io_net *n, const struct io_pkt *p);
/* Largest payload of one packet the guest's stack builds (GSO size with TSO, else the MSS). */
uint32_t net_tx_segment(const struct io_net *n);
/* The guest driver hands p over (after its CPU was paid). HANDED: it is on its way, the caller
   forgets it and goes on; HANDED_WAIT: on its way (or queued for ring space), and the task was
   asked to do something first (a signal's hypercall, a wait): forget it and go on at the next
   resume(); AGAIN: still the caller's, the task was asked for a register access: call again
   with it from the next resume(). A handed packet may be freed before the task resumes. */
enum net_drv { NET_DRV_HANDED, NET_DRV_HANDED_WAIT, NET_DRV_AGAIN };
enum net_drv net_driver_tx(struct io_net *n, struct gos_task *t, struct io_pkt *p);
/* A packet from the peer reached the host's NIC. */
void net_rx_wire(struct io_net *n, struct io_pkt *p);
/* The adapter's stats, for the peer and the sockets. */
void net_tx_arrived(struct io_net *n, const struct io_pkt *p); /* a data packet reached the peer */
struct sim *net_sim(const struct io_net *n);
struct io_nic *net_nic(const struct io_net *n);
double net_cycles_of(const struct io_net *n, enum io_net_cost c, uint64_t count);

/* ---- sock.c ---- */
/* The guest's stack received p for its connection (ACK and/or data); frees p. */
void sock_deliver(struct io_net *n, struct io_pkt *p);
void sock_conn_reset(struct io_conn *c);

#endif /* MODELS_IO_NET_INT_H */
