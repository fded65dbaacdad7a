/* SPDX-License-Identifier: MIT */
/*
 * test_vmbus.c - unit tests of models/io/vmbus.c: packet sizes, byte accounting, signalling, flow control.
 * Checks: the on-ring size of a packet is 16 + payload rounded up to 8 + 8; a writer signals only on
 *   empty -> non-empty with the reader unmasked (N writes to an idle ring: 1 signal; to a draining,
 *   masked ring: 0), end_read reports packets left; a randomised writer/reader pair following the
 *   protocol never leaves a packet behind a sleeping reader and is woken once per burst; used, free and
 *   the packet queue match a shadow FIFO kept by the test under a random mix of writes and reads, with
 *   FIFO order, pointer identity and writes == reads + queued; a full ring (also an exact fit, as in
 *   Linux) refuses, records pending_send_sz, and the first read that makes more than that free asks to
 *   signal the writer, exactly once; a packet that can never fit is a model bug; sub-channel counts of
 *   storvsc and netvsc for a few vCPU counts; a channel's two rings are independent.
 * Expected values are computed here from the rules in REFERENCE 5.1-5.3, never from vmbus.c's output.
 * Leaves unchecked: costs and timing (the callers' business), the critical warnings of bad arguments
 *   to vmbus_packet_size / the channel-count helpers.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>

#include "models/io/vmbus.h"
#include "tests/helpers/xorshift.h"

/* A packet of `payload` bytes, owned by the test. */
static struct vmbus_packet *pkt_new(uint32_t payload)
{
	struct vmbus_packet *p = g_new0(struct vmbus_packet, 1);
	p->bytes = vmbus_packet_size(payload);
	return p;
}

/* A packet whose on-ring size is exactly `bytes` (a multiple of 8, at least 24). */
static struct vmbus_packet *pkt_of_bytes(uint32_t bytes)
{
	return pkt_new(bytes - VMBUS_PACKET_DESC_BYTES - VMBUS_PACKET_TRAILER_BYTES);
}

/* Reads and frees every packet left; returns how many. */
static uint32_t drain(struct vmbus_ring *r)
{
	uint32_t n = 0;
	struct vmbus_packet *p;
	while ((p = vmbus_ring_read(r, NULL))) {
		g_free(p);
		n++;
	}
	return n;
}

/* ---- packet sizes ---- */

Test(vmbus, packet_size_rounds_payload_and_adds_header_and_trailer)
{
	cr_expect_eq(VMBUS_PACKET_DESC_BYTES + VMBUS_PACKET_TRAILER_BYTES, 24);
	cr_expect_eq(vmbus_packet_size(0), 24);
	cr_expect_eq(vmbus_packet_size(1), 32);
	cr_expect_eq(vmbus_packet_size(7), 32);
	cr_expect_eq(vmbus_packet_size(8), 32);
	cr_expect_eq(vmbus_packet_size(9), 40);
	cr_expect_eq(vmbus_packet_size(240), 264);
	cr_expect_eq(vmbus_packet_size(4095), 16 + 4096 + 8);
	cr_expect_eq(vmbus_packet_size(VMBUS_PACKET_PAYLOAD_MAX), UINT32_MAX - 7);
	for (uint32_t n = 0; n < 1000; n++) {
		uint32_t s = vmbus_packet_size(n);
		uint32_t want = 24 + (n + 7) / 8 * 8;
		cr_assert_eq(s, want, "payload %" PRIu32 ": %" PRIu32 " bytes, want %" PRIu32, n, s, want);
		cr_assert_eq(s % 8, 0);
	}
}

/* ---- signalling to the reader ---- */

Test(vmbus, writes_to_an_idle_ring_signal_once_per_burst)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, VMBUS_STORVSC_RING_BYTES);
	uint32_t signals = 0;
	for (int i = 0; i < 10; i++) {
		bool sig = true;
		cr_assert(vmbus_ring_write(&r, pkt_new(100), &sig));
		signals += sig;
		cr_expect_eq(sig, i == 0, "write %d signalled: %d", i, sig);
	}
	cr_expect_eq(signals, 1);
	cr_expect_eq(r.signals_to_reader, 1);
	cr_expect_eq(drain(&r), 10);
	/* the ring is empty again: the next burst signals once more */
	bool sig = false;
	cr_assert(vmbus_ring_write(&r, pkt_new(100), &sig));
	cr_expect(sig);
	cr_expect_eq(r.signals_to_reader, 2);
	drain(&r);
	vmbus_ring_fini(&r);
}

Test(vmbus, writes_while_the_reader_drains_do_not_signal)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, VMBUS_STORVSC_RING_BYTES);
	vmbus_ring_begin_read(&r); /* woken, draining: masked */
	cr_expect(r.interrupt_mask);
	for (int i = 0; i < 10; i++) {
		bool sig = true;
		cr_assert(vmbus_ring_write(&r, pkt_new(64), &sig));
		cr_expect_not(sig, "write %d signalled a masked reader", i);
	}
	cr_expect_eq(r.signals_to_reader, 0);
	/* the reader reads some, unmasks, and must drain again: packets are left */
	for (int i = 0; i < 4; i++)
		g_free(vmbus_ring_read(&r, NULL));
	cr_expect(vmbus_ring_end_read(&r));
	cr_expect_not(r.interrupt_mask);
	vmbus_ring_begin_read(&r);
	cr_expect_eq(drain(&r), 6);
	cr_expect_not(vmbus_ring_end_read(&r)); /* empty: the reader may sleep */
	/* asleep and unmasked, an empty ring signals on the next write */
	bool sig = false;
	cr_assert(vmbus_ring_write(&r, pkt_new(64), &sig));
	cr_expect(sig);
	cr_expect_eq(r.signals_to_reader, 1);
	drain(&r);
	vmbus_ring_fini(&r);
}

Test(vmbus, unmasked_non_empty_ring_does_not_signal)
{
	/* The reader has not started draining yet (its signal is in flight): later writes add nothing. */
	struct vmbus_ring r;
	vmbus_ring_init(&r, 4096);
	bool sig;
	cr_assert(vmbus_ring_write(&r, pkt_new(8), &sig));
	cr_expect(sig);
	cr_assert(vmbus_ring_write(&r, pkt_new(8), &sig));
	cr_expect_not(sig);
	cr_assert(vmbus_ring_write(&r, pkt_new(8), NULL)); /* NULL out-parameter is allowed */
	cr_expect_eq(r.signals_to_reader, 1);
	drain(&r);
	vmbus_ring_fini(&r);
}

Test(vmbus, end_read_on_an_empty_ring_lets_the_reader_sleep)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 4096);
	vmbus_ring_begin_read(&r);
	bool sw = true;
	cr_expect_null(vmbus_ring_read(&r, &sw));
	cr_expect_not(sw);
	cr_expect_not(vmbus_ring_end_read(&r));
	cr_expect_not(r.interrupt_mask);
	cr_expect_eq(r.reads, 0);
	vmbus_ring_fini(&r);
}

/*
 * The protocol end to end, randomised: a writer writes bursts; a reader sleeps until signalled, then
 * begin_read, reads, and at empty end_read (draining again while it returns true). Invariant after
 * every step: a sleeping reader has an empty ring or a signal on its way (no lost wake-up). Every
 * signal wakes a sleeping reader (no spurious signal), and every packet is read.
 */
Test(vmbus, protocol_never_strands_a_packet_and_signals_once_per_wakeup)
{
	enum { STEPS = 200000 };
	struct vmbus_ring r;
	vmbus_ring_init(&r, 8192);
	uint64_t seed = 0x9e3779b97f4a7c15u;
	bool awake = false, signal_pending = false;
	uint64_t wakeups = 0, written = 0, read = 0, refused = 0;
	for (int step = 0; step < STEPS; step++) {
		uint64_t x = test_xorshift(&seed);
		if (x % 100 < 45) { /* the writer */
			struct vmbus_packet *p = pkt_new((uint32_t)(x >> 32) % 600);
			bool sig = false;
			if (vmbus_ring_write(&r, p, &sig)) {
				written++;
				if (sig) {
					cr_assert_not(awake, "step %d: signalled a reader that is awake", step);
					cr_assert_not(signal_pending, "step %d: second signal before the wake-up", step);
					signal_pending = true;
				}
			} else {
				g_free(p); /* this test's writer gives up instead of waiting */
				refused++;
			}
		} else if (!awake) { /* the reader sleeps until a signal arrives */
			if (signal_pending) {
				signal_pending = false;
				awake = true;
				wakeups++;
				vmbus_ring_begin_read(&r);
			}
		} else { /* the reader drains */
			struct vmbus_packet *p = vmbus_ring_read(&r, NULL);
			if (p) {
				g_free(p);
				read++;
			} else if (vmbus_ring_end_read(&r)) {
				vmbus_ring_begin_read(&r); /* raced with a writer: drain again */
			} else {
				awake = false;
			}
		}
		cr_assert(awake || signal_pending || vmbus_ring_empty(&r),
			  "step %d: reader asleep, %" PRIu32 " bytes in the ring and no signal", step, r.used);
	}
	cr_expect_eq(r.signals_to_reader, wakeups + (signal_pending ? 1 : 0));
	cr_expect_gt(wakeups, 1000, "only %" PRIu64 " wake-ups: the mix does not exercise the protocol", wakeups);
	cr_expect_gt(refused, 0, "the ring never filled");
	cr_expect_lt(wakeups, written, "a wake-up per packet: signals are not batched");
	read += drain(&r);
	cr_expect_eq(read, written);
	vmbus_ring_fini(&r);
}

/* ---- byte accounting against a shadow FIFO ---- */

Test(vmbus, accounting_matches_a_reference_under_a_random_mix)
{
	enum { STEPS = 100000, SIZE = 16384, MAXQ = SIZE / 24 + 1 };
	struct vmbus_ring r;
	vmbus_ring_init(&r, SIZE);
	/* the reference: a FIFO of (packet, bytes) and a byte count, with the rule "fits iff bytes < free" */
	struct vmbus_packet *q[MAXQ];
	uint32_t qbytes[MAXQ];
	uint32_t head = 0, len = 0, used = 0, max_used = 0;
	uint64_t writes = 0, reads = 0, stalls = 0, bytes_in = 0, bytes_out = 0;
	uint64_t seed = 12345;
	for (int step = 0; step < STEPS; step++) {
		uint64_t x = test_xorshift(&seed);
		/* phases of write-heavy and read-heavy traffic so the ring both fills and empties */
		bool write_heavy = (step / 5000) % 2 == 0;
		if (x % 100 < (write_heavy ? 70u : 30u)) {
			uint32_t payload = (x >> 8) % 5 == 0 ? (uint32_t)(x >> 20) % 4000 : (uint32_t)(x >> 20) % 200;
			uint32_t bytes = 24 + (payload + 7) / 8 * 8;
			struct vmbus_packet *p = pkt_new(payload);
			cr_assert_eq(p->bytes, bytes);
			bool want = used + bytes < SIZE;
			cr_assert_eq(vmbus_ring_fits(&r, bytes), want);
			bool got = vmbus_ring_write(&r, p, NULL);
			cr_assert_eq(got, want, "step %d: write of %" PRIu32 " with %" PRIu32 " used: %d", step, bytes, used,
				     got);
			if (got) {
				cr_assert_lt(len, MAXQ);
				q[(head + len) % MAXQ] = p;
				qbytes[(head + len) % MAXQ] = bytes;
				len++;
				used += bytes;
				max_used = MAX(max_used, used);
				writes++;
				bytes_in += bytes;
			} else {
				cr_assert_eq(r.pending_send_sz, bytes);
				g_free(p);
				stalls++;
			}
		} else {
			struct vmbus_packet *p = vmbus_ring_read(&r, NULL);
			if (len == 0) {
				cr_assert_null(p, "step %d: read a packet from an empty ring", step);
			} else {
				cr_assert_eq(p, q[head], "step %d: not the oldest packet", step);
				cr_assert_eq(p->bytes, qbytes[head]);
				used -= qbytes[head];
				bytes_out += qbytes[head];
				head = (head + 1) % MAXQ;
				len--;
				reads++;
				g_free(p);
			}
		}
		cr_assert_eq(r.used, used, "step %d: used %" PRIu32 ", want %" PRIu32, step, r.used, used);
		cr_assert_eq(vmbus_ring_free(&r), SIZE - used);
		cr_assert_eq(g_queue_get_length(&r.packets), len);
		cr_assert_eq(r.writes, r.reads + len, "step %d: packets lost or duplicated", step);
		cr_assert_eq(r.bytes_written - r.bytes_read, r.used);
		cr_assert_leq(r.used, SIZE - 8, "step %d: the ring filled to its last byte", step);
	}
	cr_expect_eq(r.writes, writes);
	cr_expect_eq(r.reads, reads);
	cr_expect_eq(r.full_stalls, stalls);
	cr_expect_eq(r.bytes_written, bytes_in);
	cr_expect_eq(r.bytes_read, bytes_out);
	cr_expect_eq(r.max_used, max_used);
	cr_expect_gt(stalls, 100, "the ring rarely filled (%" PRIu64 " stalls)", stalls);
	cr_expect_gt(max_used, SIZE - 4000);
	/* the sum of the queued packets is what the ring says it holds */
	uint32_t sum = 0;
	for (GList *l = r.packets.head; l; l = l->next)
		sum += ((struct vmbus_packet *)l->data)->bytes;
	cr_expect_eq(sum, r.used);
	cr_expect_eq(drain(&r), len);
	cr_expect_eq(r.used, 0);
	vmbus_ring_fini(&r);
}

/* ---- flow control: full ring and pending_send_sz ---- */

Test(vmbus, full_ring_refuses_and_a_read_that_frees_enough_signals_the_writer_once)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 4096);
	struct vmbus_packet *small[7];
	for (int i = 0; i < 7; i++) {
		small[i] = pkt_of_bytes(512);
		cr_assert(vmbus_ring_write(&r, small[i], NULL));
	}
	cr_assert_eq(r.used, 3584);
	cr_assert_eq(vmbus_ring_free(&r), 512);
	/* a 1024-byte packet does not fit in 512 free */
	struct vmbus_packet *big = pkt_of_bytes(1024);
	bool sig = true;
	cr_expect_not(vmbus_ring_write(&r, big, &sig));
	cr_expect_not(sig);
	cr_expect_eq(r.pending_send_sz, 1024);
	cr_expect_eq(r.full_stalls, 1);
	cr_expect_eq(r.writes, 7);
	cr_expect_eq(r.used, 3584);
	/* retrying while still full counts another stall */
	cr_expect_not(vmbus_ring_write(&r, big, NULL));
	cr_expect_eq(r.full_stalls, 2);
	/* one read: exactly 1024 free, which is not more than 1024 (an exact fit is refused): no signal */
	bool sw = true;
	cr_assert_eq(vmbus_ring_read(&r, &sw), small[0]);
	cr_expect_not(sw);
	cr_expect_eq(vmbus_ring_free(&r), 1024);
	cr_expect_not(vmbus_ring_fits(&r, 1024));
	cr_expect_not(vmbus_ring_write(&r, big, NULL));
	cr_expect_eq(r.pending_send_sz, 1024);
	/* the next read makes 1536 free: signal the writer, once */
	cr_assert_eq(vmbus_ring_read(&r, &sw), small[1]);
	cr_expect(sw);
	cr_expect_eq(r.pending_send_sz, 0);
	cr_expect_eq(r.signals_to_writer, 1);
	for (int i = 2; i < 7; i++) {
		cr_assert_eq(vmbus_ring_read(&r, &sw), small[i]);
		cr_expect_not(sw, "read %d signalled the writer again", i);
	}
	cr_expect_eq(r.signals_to_writer, 1);
	/* the woken writer's packet now fits, and the ring is empty: it signals the reader */
	cr_expect(vmbus_ring_write(&r, big, &sig));
	cr_expect(sig);
	cr_expect_eq(r.writes, r.reads + 1);
	for (int i = 0; i < 7; i++)
		g_free(small[i]);
	cr_expect_eq(drain(&r), 1);
	vmbus_ring_fini(&r);
}

Test(vmbus, exact_fit_is_refused_and_eight_bytes_less_is_not)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 1024);
	/* the largest packet an empty ring takes is size - 8 */
	struct vmbus_packet *most = pkt_of_bytes(1016);
	bool sig;
	cr_expect(vmbus_ring_write(&r, most, &sig));
	cr_expect(sig);
	cr_expect_eq(vmbus_ring_free(&r), 8);
	cr_expect_eq(drain(&r), 1);
	/* half full: a packet of exactly the free space would fill the ring and is refused */
	cr_assert(vmbus_ring_write(&r, pkt_of_bytes(512), NULL));
	struct vmbus_packet *exact = pkt_of_bytes(512);
	cr_expect_not(vmbus_ring_write(&r, exact, NULL)); /* free == bytes: full would look empty */
	cr_expect_eq(r.pending_send_sz, 512);
	struct vmbus_packet *less = pkt_of_bytes(504);
	cr_expect(vmbus_ring_write(&r, less, &sig));
	cr_expect_not(sig);
	cr_expect_eq(r.pending_send_sz, 0, "a successful write leaves no writer waiting");
	cr_expect_eq(vmbus_ring_free(&r), 8);
	g_free(exact);
	cr_expect_eq(drain(&r), 2);
	vmbus_ring_fini(&r);
}

Test(vmbus, no_signal_to_the_writer_without_a_stall)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 4096);
	for (int i = 0; i < 7; i++)
		cr_assert(vmbus_ring_write(&r, pkt_of_bytes(512), NULL));
	bool sw = true;
	for (int i = 0; i < 7; i++) {
		g_free(vmbus_ring_read(&r, &sw));
		cr_expect_not(sw);
	}
	cr_expect_eq(r.signals_to_writer, 0);
	vmbus_ring_fini(&r);
}

Test(vmbus, packet_larger_than_the_ring_is_a_model_bug, .signal = SIGABRT)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 1024);
	struct vmbus_packet p = { .bytes = 1024 + 8 };
	vmbus_ring_write(&r, &p, NULL);
}

Test(vmbus, unaligned_packet_is_a_model_bug, .signal = SIGABRT)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 1024);
	struct vmbus_packet p = { .bytes = 100 };
	vmbus_ring_write(&r, &p, NULL);
}

Test(vmbus, fini_unlinks_packets_without_freeing_them)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 4096);
	struct vmbus_packet a = { .bytes = 64 }, b = { .bytes = 64 };
	cr_assert(vmbus_ring_write(&r, &a, NULL));
	cr_assert(vmbus_ring_write(&r, &b, NULL));
	vmbus_ring_fini(&r); /* stack packets: a g_list_free here would crash */
	cr_expect_null(a.link.next);
	cr_expect_null(b.link.prev);
	cr_expect(g_queue_is_empty(&r.packets));
	cr_expect_eq(r.used, 0);
}

/* ---- channels ---- */

Test(vmbus, channel_has_two_independent_rings)
{
	struct vmbus_channel c;
	vmbus_channel_init(&c, 3, VMBUS_NETVSC_RING_BYTES, 5);
	cr_expect_eq(c.id, 3);
	cr_expect_eq(c.target_vcpu, 5);
	cr_expect_eq(c.out.size, 512 * 1024);
	cr_expect_eq(c.in.size, 512 * 1024);
	cr_expect(vmbus_ring_empty(&c.out) && vmbus_ring_empty(&c.in));
	struct vmbus_packet req = { .bytes = vmbus_packet_size(100) };
	bool sig;
	cr_assert(vmbus_ring_write(&c.out, &req, &sig));
	cr_expect(sig);
	cr_expect(vmbus_ring_empty(&c.in));
	cr_expect_eq(c.in.writes, 0);
	cr_expect_eq(vmbus_ring_read(&c.out, NULL), &req);
	vmbus_channel_fini(&c);
}

Test(vmbus, ring_sizes_of_the_reference)
{
	cr_expect_eq(VMBUS_STORVSC_RING_BYTES, 131072); /* REFERENCE 5.2 / 8 storvsc_ring */
	cr_expect_eq(VMBUS_NETVSC_RING_BYTES, 524288);  /* REFERENCE 5.3 / 8 netvsc_ring */
	cr_expect_eq(VMBUS_MESSAGE_PAYLOAD_BYTES, 240);  /* REFERENCE 5.1 / 8 vmbus_message_payload */
}

/* ---- sub-channels ---- */

Test(vmbus, storvsc_one_channel_per_four_vcpus)
{
	static const uint32_t cases[][2] = {
		{ 1, 1 }, { 2, 1 }, { 4, 1 }, { 5, 2 }, { 8, 2 }, { 9, 3 }, { 16, 4 }, { 17, 5 }, { 64, 16 }, { 240, 60 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint32_t got = vmbus_storvsc_channels(cases[i][0]);
		cr_expect_eq(got, cases[i][1], "%" PRIu32 " vCPUs: %" PRIu32 " channels, want %" PRIu32, cases[i][0], got,
			     cases[i][1]);
	}
}

Test(vmbus, netvsc_min_of_vcpus_setting_and_vrss_max)
{
	static const uint32_t cases[][3] = {
		{ 1, 8, 1 },   { 4, 8, 4 },   { 8, 8, 8 },    { 16, 8, 8 },  { 16, 16, 16 },
		{ 96, 16, 16 }, { 96, 64, 64 }, { 128, 128, 64 }, { 2, 1, 1 },
	};
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
		uint32_t got = vmbus_netvsc_channels(cases[i][0], cases[i][1]);
		cr_expect_eq(got, cases[i][2], "%" PRIu32 " vCPUs, max %" PRIu32 ": %" PRIu32 " channels, want %" PRIu32,
			     cases[i][0], cases[i][1], got, cases[i][2]);
	}
	cr_expect_eq(vmbus_netvsc_channels(32, VMBUS_NETVSC_CHANNELS_DEFAULT), 8);
}

/* ---- vmbus_ring_drain: the reader's protocol in one call ---- */

struct drain_log {
	struct vmbus_ring *r;
	struct vmbus_packet *waiting; /* a writer's packet refused for space, let in on the signal */
	uint32_t reads, signals, masked_reads;
};

static void drain_fn(struct vmbus_packet *p, bool signal_writer, void *arg)
{
	struct drain_log *l = arg;
	l->reads++;
	l->masked_reads += l->r->interrupt_mask;
	g_free(p);
	if (signal_writer) {
		l->signals++;
		cr_assert(vmbus_ring_write(l->r, l->waiting, NULL), "the signalled writer's packet fits");
		l->waiting = NULL;
	}
}

/*
 * A 1 KiB ring filled with 64-byte packets refuses a 512-byte one (pending_send_sz); the drain
 * reads with interrupts masked, signals the writer once when enough is free, and reads the
 * packet that writer then puts in during the same call; the ring ends empty and unmasked.
 */
Test(vmbus, drain_reads_everything_signals_a_waiting_writer_once_and_unmasks)
{
	struct vmbus_ring r;
	vmbus_ring_init(&r, 1024);
	uint32_t n = 0;
	for (;;) {
		struct vmbus_packet *p = pkt_of_bytes(64);
		if (!vmbus_ring_write(&r, p, NULL)) {
			g_free(p);
			break;
		}
		n++;
	}
	struct drain_log l = {.r = &r, .waiting = pkt_of_bytes(512)};
	cr_assert_not(vmbus_ring_write(&r, l.waiting, NULL));
	vmbus_ring_drain(&r, drain_fn, &l);
	cr_expect_eq(l.reads, n + 1, "read %u of %u + 1", l.reads, n);
	cr_expect_eq(l.signals, 1);
	cr_expect_eq(l.masked_reads, l.reads, "every read with interrupts masked");
	cr_expect(vmbus_ring_empty(&r));
	cr_expect_not(r.interrupt_mask);
	cr_expect_null(l.waiting);
	vmbus_ring_fini(&r);
}
