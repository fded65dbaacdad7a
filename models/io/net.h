/* SPDX-License-Identifier: MIT */
/*
 * net.h - networking: a physical NIC with its link and the remote peer at the link's other end
 *         (struct io_nic), a VM's network adapter and the path its packets take (struct io_net:
 *         native, SR-IOV with synthetic fallback, synthetic netvsc over VMBus to the root's
 *         VMSwitch, emulated DEC 21140), and TCP-like connections between guest tasks and the
 *         peer (struct io_conn) used through two operations, send and receive.
 * Role: workloads (net-stream, net-rr) open connections and hand out gos_op_net_send/recv; the
 *       guest driver halves run in the task's operation and the vCPU's interrupt handlers, the
 *       host halves on the root partition's VPs (hv_root_submit), the wire in the NIC.
 * Units: a packet is what software handles at once (an skb): up to the GSO size with TSO (LRO on
 *       receive), else one MSS; per-packet costs apply to packets, per-byte costs to payload; the
 *       link carries frames (MSS payload + IO_NET_FRAME_OVERHEAD each).
 * Simplifies (docs/io.md): no loss, so no retransmission or congestion control (a connection is
 *       limited by its window, the CPUs and the link); one ACK per packet the peer receives and
 *       one per receive operation of the guest (a window update), except that an answer carries
 *       the ACK of its request and the next request the ACK of the answer (echo, client); the peer is
 *       infinitely fast; RSS hashes a connection to queue id % queues.
 * Statistics (io_nic_stats, io_net_stats, io_conn_stats) count from the warm-up.
 */
#ifndef MODELS_IO_NET_H
#define MODELS_IO_NET_H

#include "models/guestos/guestos.h"
#include "models/io/path.h"
#include "sim/stats.h"

/* Per frame on the wire besides the TCP payload: preamble 8 + Ethernet 14 + FCS 4 + gap 12 +
   IPv4 20 + TCP 20 (IEEE 802.3, RFC 791, RFC 793). */
#define IO_NET_FRAME_OVERHEAD 78u
#define IO_NET_IP_TCP_HEADERS 40u
/* Largest packet software hands to a NIC with TSO: GSO_MAX_SIZE 65536 (linux netdevice.h); netvsc
   announces NETVSC_GSO_MAX_SIZE 62768 (REFERENCE 5.3 [S]). */
#define IO_NET_GSO_MAX 65536u
#define IO_NET_NETVSC_GSO_MAX 62768u

/* Path costs, X(id, name, default, unit, source); all [R] unless the source says otherwise. */
#define IO_NET_COSTS(X)                                                                                          \
	X(STACK_PACKET, "stack_packet", 1200, "ns", "R: the guest's TCP/IP stack per packet sent or received")      \
	X(COPY_BYTE, "copy_byte", 100, "ps/byte", "R: copy between the application and the kernel (10 GB/s)")       \
	X(CSUM_BYTE, "csum_byte", 150, "ps/byte", "R: software checksum when the NIC's checksum offload is off")    \
	X(DRIVER_PACKET, "driver_packet", 300, "ns", "R: NIC driver per packet: descriptor, doorbell, completion")  \
	X(VSC_PACKET, "vsc_packet", 600, "ns", "R: netvsc builds or parses one VMBus packet (RNDIS)")              \
	X(VSWITCH_PACKET, "vswitch_packet", 1500, "ns", "R: VMSwitch per packet in the root (REFERENCE 8)")       \
	X(VSWITCH_BYTE, "vswitch_byte", 100, "ps/byte", "R: the root copies payload to or from the guest's buffers") \
	X(VSP_WAKEUP, "vsp_wakeup", 2000, "ns", "R: the root's VMSwitch thread wakes to drain a queue")            \
	X(ROOT_IRQ, "root_irq", 1000, "ns", "R: the root handles the physical NIC's interrupt")                    \
	X(WORKER_PACKET, "worker_packet", 5000, "ns", "R: the VM worker process emulates one 21140 frame's DMA")
enum io_net_cost {
#define X(id, name, def, unit, src) IO_NET_COST_##id,
	IO_NET_COSTS(X)
#undef X
	IO_NET_NCOSTS
};
const char *io_net_cost_name(enum io_net_cost c);
const char *io_net_cost_unit(enum io_net_cost c); /* "ns" or "ps/byte" */
const char *io_net_cost_source(enum io_net_cost c);
uint64_t io_net_cost_default(enum io_net_cost c);
/* Sets a cost by name (in its unit); false when there is no such cost. */
bool io_net_cost_set(uint64_t cost[IO_NET_NCOSTS], const char *name, uint64_t value);

/* ---- the physical NIC, its link and the peer ---- */

struct io_nic_config {
	const char *name;         /* for messages and metrics */
	double gbps;              /* link rate per direction (10) */
	uint32_t mtu;             /* IP packet bytes (1500); MSS = mtu - 40 */
	uint32_t queues;          /* RSS / VF queue pairs (8) [R] */
	bool tso, lro, csum;      /* segmentation, receive coalescing, checksum offloads (on) */
	sim_time_t latency;       /* one way to the peer: cables, switches and the peer's stack (10 us) [R] */
};
void io_nic_config_default(struct io_nic_config *c);

struct io_nic;
/* A NIC on the host (the bare-metal twin has its own). NULL with an error. */
struct io_nic *io_nic_new(struct sim *sim, const struct io_nic_config *cfg, GError **error);
void io_nic_free(struct io_nic *nic); /* after the run */
const char *io_nic_name(const struct io_nic *nic);

struct io_nic_stats {
	uint64_t tx_frames, rx_frames;    /* to the peer / from the peer */
	uint64_t tx_bytes, rx_bytes;      /* on the wire, with the frames' overhead */
	sim_time_t tx_busy, rx_busy;      /* time the link was sending (utilisation = busy / span) */
};
void io_nic_stats(const struct io_nic *nic, struct io_nic_stats *out);

/* ---- a VM's network adapter ---- */

struct io_net_config {
	const char *name;             /* scope dev:VM/NAME */
	enum io_path path;
	struct io_nic_config nic;     /* its own NIC, when backend is NULL */
	struct io_nic *backend;       /* a host NIC shared with other adapters (host.devices), or NULL */
	uint32_t channels;            /* synthetic: vRSS channels at most (8, REFERENCE 5.1 [S]) */
	uint32_t host_queues;         /* synthetic/emulated: root VPs carrying the adapter's traffic
					 (VMMQ); 1 = one VMQ (REFERENCE 5.3 [M]); 0 = one per channel */
	uint32_t ring_size;           /* synthetic: VMBus ring bytes per direction (512 KiB [S]) */
	uint32_t tulip_tx_accesses;   /* emulated: register accesses to send a frame (1: CSR1 poll demand) [R] */
	uint32_t tulip_isr_accesses;  /* emulated: accesses per interrupt (2: read and clear CSR5) [R] */
	uint64_t cost[IO_NET_NCOSTS];
};
void io_net_config_default(struct io_net_config *c);

struct io_net;
/* The adapter of kernel k. NULL with an error (synthetic/emulated on bare metal, no vector...). */
struct io_net *io_net_new(struct gos_kernel *k, struct hv *hv, const struct io_net_config *cfg, GError **error);
void io_net_free(struct io_net *n); /* after the run; frees its connections */
const char *io_net_name(const struct io_net *n);
const struct io_nic *io_net_nic(const struct io_net *n);
/* SR-IOV: the VF leaves at `at` (servicing, live migration: traffic falls back to the synthetic
   path) or comes back. false with an error unless the path is sriov. */
bool io_net_schedule_vf(struct io_net *n, sim_time_t at, bool present, GError **error);

struct io_net_stats {
	uint64_t tx_packets, rx_packets;  /* packets through the adapter (data and ACKs) */
	uint64_t tx_bytes, rx_bytes;      /* payload the peer received / the guest's stack received */
	uint64_t signals;                 /* synthetic: guest -> host signals */
	uint64_t guest_interrupts;        /* interrupts raised to the guest (rx, tx completions) */
	uint64_t intercepts;              /* emulated: register accesses */
	uint64_t ring_full_stalls;        /* synthetic: packets that found a ring full (either way) */
	uint64_t vsp_batches;             /* synthetic/emulated: drains by the root */
	uint64_t vf_switches;             /* sriov: data-path switches */
	uint32_t channels;                /* synthetic: channels open */
	double root_ns;                   /* root CPU spent for this adapter */
	const struct sim_hist *tx_latency; /* ps: handed to the driver -> at the peer (data packets) */
	const struct sim_hist *rx_latency; /* ps: from the wire -> in the guest's socket (data packets) */
};
void io_net_stats(const struct io_net *n, struct io_net_stats *out);

/* ---- connections and their operations ---- */

enum io_peer_mode { IO_PEER_SINK, IO_PEER_SOURCE, IO_PEER_ECHO, IO_PEER_CLIENT };
struct io_conn_config {
	enum io_peer_mode peer;       /* sink: the peer takes data; source: it sends without end; echo:
					 it answers each `request` bytes with `response` bytes; client:
					 it sends `request` bytes, waits for `response` bytes back, thinks
					 `service`, and sends the next request (the guest serves) */
	uint64_t window;              /* bytes a side may have unacknowledged (socket buffer; 1 MiB) */
	uint64_t request, response;   /* echo, client; each at most window */
	sim_time_t service;           /* echo: the peer's time to answer; client: its think time */
};
struct io_conn;
/* A connection of adapter n (owned by it). Its id (0, 1, ...) picks its RSS queue and channel. */
struct io_conn *io_net_connect(struct io_net *n, const struct io_conn_config *cfg, GError **error);

struct io_conn_stats {
	uint64_t sent, acked;         /* payload the guest sent / the peer acknowledged */
	uint64_t received, read;      /* payload that reached the guest's socket / the application read */
	uint64_t peer_received;       /* payload the peer got */
	uint64_t window_waits;        /* sends that waited for the window */
};
void io_conn_stats(const struct io_conn *c, struct io_conn_stats *out); /* since the warm-up */

/* Fills a task's next operation: send `bytes` on c; it ends when all are handed to the stack
   (waiting while the window is full). One task per connection and direction at a time. */
void gos_op_net_send(struct gos_op *op, struct io_conn *c, uint64_t bytes);
/* Receive `bytes` on c; it ends when they have arrived and are copied to the application. */
void gos_op_net_recv(struct gos_op *op, struct io_conn *c, uint64_t bytes);

#endif /* MODELS_IO_NET_H */
