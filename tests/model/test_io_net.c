/* SPDX-License-Identifier: MIT */
/*
 * test_io_net.c - the network paths: one connection is bound by the per-packet CPU of one vCPU;
 *                 throughput grows with connections until the link (or the root's CPU with one
 *                 host queue) saturates; exits, intercepts and root CPU per packet by path; echo
 *                 round trips; the SR-IOV VF falling back to the synthetic path; nothing lost.
 */
#include "models/io/net.h"
#include "tests/model/gostest.h"

enum { ROOT_VPS = 4, MAX_VCPUS = 8 };

struct streamer {
	struct io_conn *c;
	uint64_t message, count;       /* count: operations before exiting (0: for ever) */
	bool recv, rr, serve;
	uint64_t ops;
	bool started;
};

static void streamer_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct streamer *s = arg;
	if (s->rr && s->serve) {
		/* a server: the peer's request, then the answer */
		if (s->started && s->recv)
			s->ops++;
		s->started = true;
		s->recv = !s->recv;
		if (s->recv)
			gos_op_net_recv(op, s->c, s->message);
		else
			gos_op_net_send(op, s->c, s->message);
		return;
	}
	if (s->rr) {
		/* request, then its answer */
		if (s->started && !s->recv)
			s->ops++;
		s->started = true;
		s->recv = !s->recv;
		if (s->recv)
			gos_op_net_send(op, s->c, s->message);
		else
			gos_op_net_recv(op, s->c, s->message);
		return;
	}
	s->ops += s->started;
	s->started = true;
	if (s->count && s->ops >= s->count) {
		op->kind = GOS_OP_EXIT;
		return;
	}
	if (s->recv)
		gos_op_net_recv(op, s->c, s->message);
	else
		gos_op_net_send(op, s->c, s->message);
}
static const struct gos_program streamer = {.next = streamer_next};

struct net_case {
	const char *policy;           /* "none": bare metal */
	enum io_path path;
	uint32_t vcpus, conns;
	enum io_peer_mode peer;       /* sink: the guest sends; source: it receives; echo: rr */
	bool tso;                     /* TSO and LRO */
	uint32_t host_queues;
	uint64_t message, count;      /* count: messages per connection, then the run goes to its end
					 from time 0 (no warm-up) */
	uint32_t ring_size;           /* 0: default */
	sim_time_t vf_off_at;         /* sriov: the VF leaves then (0: never) */
};

struct net_result {
	double gbps;                  /* payload to the peer (sink) or read by the guest (source) */
	double link_util;             /* of the direction carrying the data */
	double exits_per_pkt, intercepts_per_pkt, root_ns_per_pkt, guest_ns_per_pkt, signals_per_pkt;
	double busiest_vcpu;          /* share of the span the busiest vCPU spent busy */
	double root_busy;             /* root VPs' run time / span (in LPs) */
	uint64_t net_intercepts, guest_interrupts, pkts, tx_pkts;
	double rtt_us;                /* echo: mean round trip */
	uint64_t sent, acked, peer_received, received, read, ops;
	uint64_t vf_switches, stalls;
};

static uint32_t g_root_vps;
static void root_tweak(struct hv_config *c) { c->root_vcpus = g_root_vps; }

static struct net_result run_net(const struct net_case *nc)
{
	struct gost t;
	bool bare = strcmp(nc->policy, "none") == 0;
	g_root_vps = ROOT_VPS;
	gost_init(&t, ROOT_VPS + MAX_VCPUS, nc->policy, root_tweak);
	uint32_t lps[MAX_VCPUS];
	for (uint32_t i = 0; i < nc->vcpus; i++)
		lps[i] = ROOT_VPS + i; /* the VM's own LPs, away from the root's */
	struct gos_kernel *k = gost_vm(&t, "vm", nc->vcpus, NULL, bare ? NULL : lps, bare ? 0 : nc->vcpus);
	struct io_net_config cfg;
	io_net_config_default(&cfg);
	cfg.path = nc->path;
	cfg.nic.tso = cfg.nic.lro = nc->tso;
	cfg.host_queues = nc->host_queues;
	if (nc->ring_size)
		cfg.ring_size = nc->ring_size;
	GError *err = NULL;
	struct io_net *n = io_net_new(k, t.h.hv, &cfg, &err);
	cr_assert_not_null(n, "%s", err ? err->message : "");
	if (nc->vf_off_at)
		cr_assert(io_net_schedule_vf(n, nc->vf_off_at, false, &err), "%s", err ? err->message : "");
	struct streamer *s = g_new0(struct streamer, nc->conns);
	for (uint32_t i = 0; i < nc->conns; i++) {
		struct io_conn_config cc = {.peer = nc->peer, .window = 1 << 20, .request = nc->message, .response = nc->message};
		s[i].c = io_net_connect(n, &cc, &err);
		cr_assert_not_null(s[i].c, "%s", err ? err->message : "");
		s[i].message = nc->message;
		s[i].count = nc->count;
		s[i].recv = nc->peer == IO_PEER_SOURCE;
		s[i].rr = nc->peer == IO_PEER_ECHO || nc->peer == IO_PEER_CLIENT;
		s[i].serve = nc->peer == IO_PEER_CLIENT;
		gost_task(k, &streamer, &s[i], (int32_t)(i % nc->vcpus), 0);
	}
	const double warm = nc->count ? 0 : 0.02, secs = 0.2;
	if (nc->count)
		gost_run(&t, (sim_time_t)(secs * SIM_PS_PER_S));
	else
		gost_run_warm(&t, (sim_time_t)(warm * SIM_PS_PER_S), (sim_time_t)(secs * SIM_PS_PER_S));
	struct net_result r = {0};
	for (uint32_t i = 0; i < nc->conns; i++) {
		struct io_conn_stats cs;
		io_conn_stats(s[i].c, &cs);
		r.sent += cs.sent, r.acked += cs.acked, r.peer_received += cs.peer_received;
		r.received += cs.received, r.read += cs.read;
		r.ops += s[i].ops;
	}
	struct io_net_stats ns;
	io_net_stats(n, &ns);
	struct io_nic_stats ls;
	io_nic_stats(io_net_nic(n), &ls);
	struct hv_counters c;
	hv_partition_counters(gos_partition(k), &c);
	uint64_t ic = 0;
	for (int i = 0; i < VHW_NINTERCEPTS; i++)
		ic += c.intercepts[i];
	double pkts = (double)(ns.tx_packets + ns.rx_packets);
	double bytes = nc->peer == IO_PEER_SOURCE ? (double)r.read : (double)r.peer_received;
	r.gbps = bytes * 8 / secs / 1e9;
	r.link_util = (double)(nc->peer == IO_PEER_SOURCE ? ls.rx_busy : ls.tx_busy) / (secs * SIM_PS_PER_S);
	r.exits_per_pkt = (double)c.exits / pkts;
	r.intercepts_per_pkt = (double)ic / pkts;
	r.root_ns_per_pkt = ns.root_ns / pkts;
	r.guest_ns_per_pkt = (double)(c.guest_run + c.hypervisor_run) / 1e3 / pkts;
	r.signals_per_pkt = (double)ns.signals / pkts;
	r.vf_switches = ns.vf_switches;
	r.net_intercepts = ns.intercepts;
	r.guest_interrupts = ns.guest_interrupts;
	r.pkts = ns.tx_packets + ns.rx_packets;
	r.tx_pkts = ns.tx_packets;
	if (!bare) {
		struct hv_counters rc;
		hv_partition_counters(hv_root(t.h.hv), &rc);
		r.root_busy = (double)(rc.guest_run + rc.hypervisor_run) / (secs * SIM_PS_PER_S);
	}
	r.stalls = ns.ring_full_stalls;
	for (uint32_t i = 0; i < nc->vcpus; i++) {
		struct gos_cpu_stats cs;
		gos_cpu_stats(k, i, &cs);
		double b = (double)cs.busy / (secs * SIM_PS_PER_S);
		r.busiest_vcpu = b > r.busiest_vcpu ? b : r.busiest_vcpu;
	}
	if ((nc->peer == IO_PEER_ECHO || nc->peer == IO_PEER_CLIENT) && r.ops)
		r.rtt_us = secs * 1e6 * nc->conns / (double)r.ops;
	cr_log_info("%-7s %-9s %u vcpus %2u conns %s tso %d hq %u: %.2f Gb/s (link %.2f), %.2f exits/pkt, "
		    "%.2f intercepts/pkt, root %.0f ns/pkt, guest %.0f ns/pkt, %.3f signals/pkt, busiest vCPU %.2f, root %.2f LPs, "
		    "%llu ops, rtt %.1f us, stalls %llu",
		    nc->policy, io_path_name(nc->path), nc->vcpus, nc->conns,
		    nc->peer == IO_PEER_SINK ? "tx" : nc->peer == IO_PEER_SOURCE ? "rx" : nc->peer == IO_PEER_ECHO ? "rr" : "srv", nc->tso, nc->host_queues,
		    r.gbps, r.link_util, r.exits_per_pkt, r.intercepts_per_pkt, r.root_ns_per_pkt, r.guest_ns_per_pkt,
		    r.signals_per_pkt, r.busiest_vcpu, r.root_busy, (unsigned long long)r.ops, r.rtt_us, (unsigned long long)r.stalls);
	gost_fini(&t);
	io_net_free(n);
	g_free(s);
	return r;
}

/* Bytes per second the link can carry as TCP payload: MSS of every frame of MSS + overhead. */
static double link_goodput_gbps(void)
{
	struct io_nic_config nc;
	io_nic_config_default(&nc);
	double mss = nc.mtu - IO_NET_IP_TCP_HEADERS;
	return nc.gbps * mss / (mss + IO_NET_FRAME_OVERHEAD);
}

static double cost_ns(enum io_net_cost c) { return (double)io_net_cost_default(c); }

/*
 * One connection without TSO on bare metal: its vCPU (vCPU 0, which also takes the connection's
 * queue interrupts) is busy all the time, the link is not. Per data packet that vCPU spends at
 * least the send (stack + driver + copying MSS bytes) and the ACK's receipt (driver + stack), and
 * at most that plus an interrupt entry for the ACK and one for the send completion and the
 * send's system call spread over its 45 packets: the throughput lies between MSS over these.
 * With TSO the per-packet costs spread over 62 KiB and the link becomes the limit.
 */
Test(io_net, one_connection_is_bound_by_per_packet_cpu)
{
	struct net_case nc = {.policy = "none", .path = IO_PATH_NATIVE, .vcpus = 4, .conns = 1, .peer = IO_PEER_SINK,
			      .message = 65536};
	struct net_result r = run_net(&nc);
	struct gos_config gc;
	gos_config_default(&gc);
	double mss = 1460;
	double lo = cost_ns(IO_NET_COST_STACK_PACKET) * 2 + cost_ns(IO_NET_COST_DRIVER_PACKET) * 2 +
		    cost_ns(IO_NET_COST_COPY_BYTE) * mss / 1000;
	double hi = lo + 2.0 * (double)gc.cost_ns[GOS_COST_IRQ] + (double)gc.cost_ns[GOS_COST_SYSCALL] * mss / 65536;
	cr_expect_geq(r.busiest_vcpu, 0.99, "the connection's vCPU is busy %.3f of the time", r.busiest_vcpu);
	cr_expect_lt(r.link_util, 0.5, "the link is busy %.2f of the time", r.link_util);
	cr_expect(r.gbps <= mss * 8 / lo && r.gbps >= mss * 8 / hi * 0.99, "%.3f Gb/s within [%.3f, %.3f] from %.0f..%.0f ns per packet",
		  r.gbps, mss * 8 / hi, mss * 8 / lo, lo, hi);
	nc.tso = true;
	struct net_result t = run_net(&nc);
	cr_expect_geq(t.gbps, 0.99 * link_goodput_gbps(), "TSO: %.3f Gb/s of %.3f", t.gbps, link_goodput_gbps());
	cr_expect_lt(t.busiest_vcpu, 0.5);
}

/*
 * Synthetic path, no TSO, 8 vCPUs and 8 channels over 4 root VPs: throughput grows with the
 * connections (each on its own vCPU and channel) until the link is full. With one host queue
 * (VMQ) all the traffic crosses one root VP, which saturates first: more connections add nothing.
 */
Test(io_net, throughput_grows_with_connections_until_the_link_or_the_root_saturates)
{
	double g[4];
	uint32_t conns[4] = {1, 2, 4, 8};
	for (int i = 0; i < 4; i++) {
		struct net_case nc = {.policy = "classic", .path = IO_PATH_SYNTHETIC, .vcpus = 8, .conns = conns[i],
				      .peer = IO_PEER_SINK, .message = 65536};
		struct net_result r = run_net(&nc);
		g[i] = r.gbps;
		if (i > 0 && g[i - 1] < 0.5 * link_goodput_gbps())
			cr_expect_geq(g[i], 1.6 * g[i - 1], "%u connections: %.2f Gb/s after %.2f", conns[i], g[i], g[i - 1]);
		if (i == 3)
			cr_expect_geq(r.link_util, 0.98, "8 connections fill the link (%.3f)", r.link_util);
	}
	double q[3];
	for (int i = 0; i < 3; i++) {
		struct net_case nc = {.policy = "classic", .path = IO_PATH_SYNTHETIC, .vcpus = 8, .conns = conns[i + 1],
				      .peer = IO_PEER_SINK, .message = 65536, .host_queues = 1};
		struct net_result r = run_net(&nc);
		q[i] = r.gbps;
		if (i == 2) {
			cr_expect_geq(r.root_busy, 0.98, "one host queue: its root VP is busy %.3f", r.root_busy);
			cr_expect_lt(r.link_util, 0.9);
			cr_expect(fabs(q[2] - q[1]) <= 0.05 * q[1], "saturated: %.2f Gb/s with 8, %.2f with 4", q[2], q[1]);
		}
	}
}

/*
 * 64-byte request/response on one connection: the emulated 21140 takes one register intercept
 * per frame sent and two per interrupt (its handler reads and clears the status, then serves
 * every event it finds: a send completion and often the answer too), each 25 us of the worker
 * process: the root spends tens of times what the VMSwitch does per packet on the synthetic path;
 * SR-IOV and native cost the root nothing; the round trip grows in that order (SR-IOV: the
 * interrupt that wakes the halted vCPU passes the hypervisor).
 */
Test(io_net, paths_cost_what_they_cross)
{
	struct net_result r[4];
	enum io_path paths[] = {IO_PATH_NATIVE, IO_PATH_SRIOV, IO_PATH_SYNTHETIC, IO_PATH_EMULATED};
	for (int i = 0; i < 4; i++) {
		struct net_case nc = {.policy = i == 0 ? "none" : "classic", .path = paths[i], .vcpus = 4, .conns = 1,
				      .peer = IO_PEER_ECHO, .message = 64};
		r[i] = run_net(&nc);
	}
	/* exact but for the operations cut by the warm-up and the end (at most 1 + 2 accesses each) */
	double want = (double)r[3].tx_pkts + 2.0 * (double)r[3].guest_interrupts;
	cr_expect(fabs((double)r[3].net_intercepts - want) <= 6, "emulated: %llu register accesses, %.0f for %llu frames sent and %llu interrupts",
		  (unsigned long long)r[3].net_intercepts, want, (unsigned long long)r[3].tx_pkts,
		  (unsigned long long)r[3].guest_interrupts);
	cr_expect_geq((double)r[3].net_intercepts / (double)r[3].pkts, 1.5, "at least a send and a shared interrupt per transaction");
	cr_expect_gt(r[3].root_ns_per_pkt, 10 * r[2].root_ns_per_pkt, "root: emulated %.0f ns, synthetic %.0f ns per packet",
		     r[3].root_ns_per_pkt, r[2].root_ns_per_pkt);
	cr_expect_eq(r[1].root_ns_per_pkt, 0);
	cr_expect_eq(r[0].exits_per_pkt, 0);
	cr_expect_gt(r[2].guest_ns_per_pkt, r[1].guest_ns_per_pkt);
	cr_expect_gt(r[1].guest_ns_per_pkt, r[0].guest_ns_per_pkt);
	cr_expect(r[0].rtt_us < r[1].rtt_us && r[1].rtt_us < r[2].rtt_us && r[2].rtt_us < r[3].rtt_us,
		  "round trips %.3f < %.3f < %.3f < %.3f us", r[0].rtt_us, r[1].rtt_us, r[2].rtt_us, r[3].rtt_us);
	/* the wire alone: two one-way latencies */
	cr_expect_gt(r[0].rtt_us, 20.0);
}

/*
 * 4 KiB rings hold a few packets: 16 connections each send 2 MiB through the synthetic path to
 * one host queue (a root VP slower than the 4 vCPUs), stalling on full rings (sends wait in the
 * driver, completions and ACKs in the root); every byte reaches
 * the peer and is acknowledged, and every task ends.
 */
Test(io_net, full_rings_stall_without_losing_data)
{
	struct net_case nc = {.policy = "classic", .path = IO_PATH_SYNTHETIC, .vcpus = 4, .conns = 16, .peer = IO_PEER_SINK,
			      .message = 65536, .count = 32, .ring_size = 4096, .host_queues = 1};
	struct net_result r = run_net(&nc);
	uint64_t total = 16ull * 32 * 65536;
	cr_expect_gt(r.stalls, 0);
	cr_expect_eq(r.sent, total, "sent %llu of %llu", (unsigned long long)r.sent, (unsigned long long)total);
	cr_expect_eq(r.peer_received, total, "the peer got %llu", (unsigned long long)r.peer_received);
	cr_expect_eq(r.acked, total, "acknowledged %llu", (unsigned long long)r.acked);
	cr_expect_eq(r.ops, 16 * 32);
}

/* The VF leaves at 100 ms: the traffic goes on over the synthetic path (the root now works for it). */
Test(io_net, sriov_falls_back_to_the_synthetic_path)
{
	struct net_case nc = {.policy = "classic", .path = IO_PATH_SRIOV, .vcpus = 4, .conns = 2, .peer = IO_PEER_SINK,
			      .message = 65536, .tso = true};
	struct net_result with = run_net(&nc);
	nc.vf_off_at = 100 * SIM_PS_PER_MS;
	struct net_result without = run_net(&nc);
	cr_expect_eq(with.root_ns_per_pkt, 0);
	cr_expect_eq(without.vf_switches, 1);
	cr_expect_gt(without.root_ns_per_pkt, 0);
	cr_expect_geq(without.gbps, 0.9 * with.gbps, "%.2f Gb/s after the switch, %.2f with the VF", without.gbps, with.gbps);
}

/*
 * The peer as a client (the guest serves): the same packets cross the same path as the guest's own
 * request/response loop, one transaction at a time, so the rates agree to one transaction in
 * the 0.2 s span (the loops start in different places).
 */
Test(io_net, a_client_peer_is_served_like_a_request_response_loop)
{
	struct net_case nc = {.policy = "classic", .path = IO_PATH_SYNTHETIC, .vcpus = 4, .conns = 1, .peer = IO_PEER_ECHO,
			      .message = 64};
	struct net_result rr = run_net(&nc);
	nc.peer = IO_PEER_CLIENT;
	struct net_result srv = run_net(&nc);
	cr_expect_gt(srv.ops, 1000);
	cr_expect(llabs((long long)srv.ops - (long long)rr.ops) <= 1, "served %llu, rr %llu", (unsigned long long)srv.ops,
		  (unsigned long long)rr.ops);
}
