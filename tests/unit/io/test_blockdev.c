/* SPDX-License-Identifier: MIT */
/*
 * test_blockdev.c - unit tests of models/io/blockdev: the NVMe-like SSD (media slots + one link).
 * Checks: one op alone completes at latency + ceil(bytes x 1e12 / bandwidth) ps, exactly (also for
 *   a size whose product needs 128 bits, and a quotient that rounds up); with parallelism 1 and N
 *   ops at once op k completes at C_k = max(k L, C_(k-1)) + T, i.e. k L + T while T <= L (media of
 *   op k+1 overlaps the transfer of op k) and L + k T once the link is the bottleneck; ops that
 *   finish their media together take the link in submission order; slots are FIFO across queues;
 *   in closed loops the completions over a window match the analytic rate min(N / (L + T), P / L,
 *   B / S) within the bound each regime allows (each of N ops completes floor or ceil(D / period)
 *   times in a window D); large ops move bandwidth x D bytes within one op; a full queue refuses and
 *   submitted == completed + in flight after every submit and every completion, with every op done
 *   exactly once; the same inputs give the same completion times and digest; warm-up resets the
 *   counters, the latency histogram and the busy time. Bad configs and bad submits are refused.
 * Expected values come from arithmetic written here (exact integers), never from blockdev.c.
 * Leaves unchecked: JSON keys (no io_config.c yet), speed, the absence of malloc per op (only that
 *   no fire-and-forget event is ever taken from the slab).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>

#include "models/io/blockdev.h"
#include "tests/helpers/xorshift.h"

#define US SIM_PS_PER_US
#define MS SIM_PS_PER_MS
#define KIB UINT64_C(1024)
#define MIB (KIB * KIB)

/* Defaults: L_R = 80 us, L_W = 20 us, B = 3.2e9 B/s, so 4 KiB take 1.28 us and 1 MiB 327.68 us. */
#define L_R (80 * US)
#define L_W (20 * US)
#define T_4K UINT64_C(1280000)     /* 4096 x 1e12 / 3.2e9, exact */
#define T_128K UINT64_C(40960000)  /* 131072 x 1e12 / 3.2e9, exact */
#define T_1M UINT64_C(327680000)   /* 1048576 x 1e12 / 3.2e9, exact */

/* ---- fixture ---- */

static struct sim *sim;
static struct io_blockdev *dev;
static struct io_blockdev_config cfg;

#define MAXOPS 512
struct op {
	struct io_req req;
	uint32_t q;
	bool closed_loop;      /* resubmit from done */
	unsigned ndone;
	sim_time_t arrive;     /* when the driver offers it */
	sim_time_t accepted;   /* when a submit took it */
	sim_time_t done_at;    /* last completion */
};
static struct op ops[MAXOPS];
static uint64_t submitted, completed;
static uint32_t order[MAXOPS]; /* op indices in completion order */
static uint32_t norder;

static void pending_retry(void);

/* The driver of the churn tests: offers ops at given times, keeps the refused ones, retries them. */
static struct {
	struct sim_entity ent;
	sim_timer_t timer;
	uint32_t n, next;              /* ops[0..n) by arrival time; next to offer */
	uint32_t pending[MAXOPS];      /* refused, in offer order */
	uint32_t npending;
	uint64_t refusals;
} drv;

static void reset_globals(void)
{
	memset(ops, 0, sizeof ops);
	submitted = completed = 0;
	norder = 0;
	memset(&drv, 0, sizeof drv);
}

static void setup(void)
{
	sim = sim_new(1);
	dev = NULL;
	io_blockdev_config_default(&cfg);
	reset_globals();
}

/* The sim first: the device's entity, timers and statistics must outlive sim_free. */
static void teardown(void)
{
	sim_free(sim);
	io_blockdev_free(dev);
}

TestSuite(blockdev_single, .init = setup, .fini = teardown);
TestSuite(blockdev_pipeline, .init = setup, .fini = teardown);
TestSuite(blockdev_fifo, .init = setup, .fini = teardown);
TestSuite(blockdev_rate, .init = setup, .fini = teardown);
TestSuite(blockdev_queue, .init = setup, .fini = teardown);
TestSuite(blockdev_determinism, .init = setup, .fini = teardown);
TestSuite(blockdev_warmup, .init = setup, .fini = teardown);
TestSuite(blockdev_config, .init = setup, .fini = teardown);

static void build(void)
{
	GError *err = NULL;
	dev = io_blockdev_new(sim, "nvme0", &cfg, &err);
	cr_assert_not_null(dev, "io_blockdev_new refused: %s", err ? err->message : "(no error)");
	cr_assert_null(err, "error set on success");
}

static enum sim_run_status run(sim_time_t end, sim_time_t warmup)
{
	struct sim_run_params p = { .end = end, .warmup = warmup };
	return sim_run(sim, &p);
}

static uint64_t total_inflight(void)
{
	uint64_t n = 0;
	for (uint32_t q = 0; q < cfg.queues; q++) {
		uint32_t k = io_blockdev_inflight(dev, q);
		cr_assert_leq(k, cfg.queue_depth, "queue %u holds %u > depth %u", q, k, cfg.queue_depth);
		n += k;
	}
	return n;
}

/* Nothing is lost: every accepted op is either completed or still counted on its queue. */
static void check_conservation(const char *where)
{
	uint64_t inf = total_inflight();
	cr_assert_eq(submitted, completed + inf, "%s at %" PRIu64 " ps: submitted %" PRIu64 " != completed %" PRIu64
		     " + in flight %" PRIu64, where, sim_now(sim), submitted, completed, inf);
}

static bool submit(struct op *o)
{
	bool ok = io_blockdev_submit(dev, o->q, &o->req);
	if (ok) {
		submitted++;
		o->accepted = sim_now(sim);
	}
	check_conservation("after submit");
	return ok;
}

static void op_done(struct io_req *r)
{
	struct op *o = sim_container_of(r, struct op, req);
	o->ndone++;
	o->done_at = sim_now(sim);
	completed++;
	if (norder < MAXOPS)
		order[norder++] = (uint32_t)(o - ops);
	check_conservation("in done");
	if (o->closed_loop)
		cr_assert(submit(o), "closed-loop resubmit refused on queue %u", o->q);
	else
		pending_retry();
}

static struct op *mkop(uint32_t i, uint32_t q, uint64_t bytes, bool write)
{
	struct op *o = &ops[i];
	memset(o, 0, sizeof *o);
	o->q = q;
	o->req.bytes = bytes;
	o->req.write = write;
	o->req.done = op_done;
	return o;
}

/* Submits ops 0..n-1 (queue i % queues) at the current time; all must be accepted. */
static void submit_all(uint32_t n, uint64_t bytes, bool write, bool closed_loop)
{
	for (uint32_t i = 0; i < n; i++) {
		struct op *o = mkop(i, i % cfg.queues, bytes, write);
		o->closed_loop = closed_loop;
		cr_assert(submit(o), "op %u refused", i);
	}
}

static void expect_ps(const char *what, sim_time_t got, sim_time_t want)
{
	cr_expect_eq(got, want, "%s: %" PRIu64 " ps, want %" PRIu64 " ps", what, got, want);
}

/* ---- a driver: offers ops at given times, keeps the refused ones and retries them ---- */

/* Tries every refused op once, in order; those refused again keep their order. */
static void pending_retry(void)
{
	uint32_t keep = 0;
	for (uint32_t i = 0; i < drv.npending; i++) {
		struct op *o = &ops[drv.pending[i]];
		if (!submit(o))
			drv.pending[keep++] = drv.pending[i];
	}
	drv.npending = keep;
}

/* Offers the ops arriving now: each joins the back of the refused ones, which are then retried. */
static void drv_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)ent;
	(void)kind;
	(void)p;
	while (drv.next < drv.n && ops[drv.next].arrive == sim_now(sim)) {
		uint32_t i = drv.next++;
		drv.pending[drv.npending++] = i;
		pending_retry();
		if (drv.npending > 0 && drv.pending[drv.npending - 1] == i)
			drv.refusals++;
	}
	if (drv.next < drv.n)
		sim_timer_arm(sim, &drv.timer, ops[drv.next].arrive);
}

static const struct sim_entity_ops drv_ops = { .kind = "test-driver", .event = drv_event };

/* Starts offering ops[0..n) at their arrive times (non-decreasing). */
static void drv_start(uint32_t n)
{
	memset(&drv, 0, sizeof drv);
	drv.n = n;
	sim_entity_add(sim, &drv.ent, &drv_ops, "driver");
	sim_timer_init(&drv.timer, &drv.ent, 1);
	if (n > 0)
		sim_timer_arm(sim, &drv.timer, ops[0].arrive);
}

/* ---- one op alone ---- */

Test(blockdev_single, read_takes_latency_plus_transfer)
{
	build();
	submit_all(1, 4 * KIB, false, false);
	cr_assert_eq(io_blockdev_inflight(dev, 0), 1);
	cr_assert_eq(ops[0].ndone, 0, "done called synchronously");
	cr_assert_eq(run(SIM_TIME_MAX, 0), SIM_RUN_EMPTY);
	cr_assert_eq(ops[0].ndone, 1);
	expect_ps("4 KiB read", ops[0].done_at, L_R + T_4K); /* 81.28 us */
	cr_assert_eq(io_blockdev_inflight(dev, 0), 0);

	struct io_blockdev_stats st;
	io_blockdev_stats(dev, &st);
	cr_expect_eq(st.ops, 1);
	cr_expect_eq(st.reads, 1);
	cr_expect_eq(st.writes, 0);
	cr_expect_eq(st.bytes, 4 * KIB);
	expect_ps("busy", st.busy, L_R);
	cr_expect_eq(sim_hist_count(st.latency), 1);
	cr_expect_eq(st.latency->min, L_R + T_4K);
	cr_expect_eq(st.latency->max, L_R + T_4K);
}

Test(blockdev_single, write_uses_write_latency)
{
	build();
	submit_all(1, 128 * KIB, true, false);
	run(SIM_TIME_MAX, 0);
	expect_ps("128 KiB write", ops[0].done_at, L_W + T_128K); /* 20 + 40.96 us */
	struct io_blockdev_stats st;
	io_blockdev_stats(dev, &st);
	cr_expect_eq(st.writes, 1);
	cr_expect_eq(st.reads, 0);
	expect_ps("busy", st.busy, L_W);
}

Test(blockdev_single, transfer_rounds_up)
{
	cfg.bandwidth = UINT64_C(3000000000);
	build();
	submit_all(1, 1000, false, false);
	run(SIM_TIME_MAX, 0);
	/* 1000 x 1e12 / 3e9 = 333333.33... ps -> 333334 */
	expect_ps("1000 B at 3e9", ops[0].done_at, L_R + 333334);
}

Test(blockdev_single, transfer_is_exact_past_64_bits)
{
	cfg.bandwidth = UINT64_C(3000000000);
	build();
	/* 2^44 x 1e12 = 1.76e25 does not fit 64 bits; / 3e9 = 17592186044416000 / 3 = 5864062014805333.33 */
	submit_all(1, UINT64_C(1) << 44, false, false);
	run(SIM_TIME_MAX, 0);
	expect_ps("16 TiB at 3e9", ops[0].done_at, L_R + UINT64_C(5864062014805334));
}

Test(blockdev_single, zero_bytes_take_the_media_time_only)
{
	build();
	submit_all(1, 0, false, false);
	run(SIM_TIME_MAX, 0);
	expect_ps("0 B read", ops[0].done_at, L_R);
}

Test(blockdev_single, busy_counts_held_time_only)
{
	/* reads offered at 0, 1 ms and 1 ms + 10 us (overlapping the previous one): busy is
	   L + (10 us + L), the idle gap in between not counted */
	build();
	mkop(0, 0, 4 * KIB, false)->arrive = 0;
	mkop(1, 0, 4 * KIB, false)->arrive = 1 * MS;
	mkop(2, 1, 4 * KIB, false)->arrive = 1 * MS + 10 * US;
	drv_start(3);
	run(SIM_TIME_MAX, 0);
	cr_assert_eq(completed, 3);
	expect_ps("second op", ops[1].done_at, 1 * MS + L_R + T_4K);
	expect_ps("third op (own slot)", ops[2].done_at, 1 * MS + 10 * US + L_R + T_4K);
	struct io_blockdev_stats st;
	io_blockdev_stats(dev, &st);
	expect_ps("busy", st.busy, L_R + 10 * US + L_R);
}

/* ---- parallelism 1: the media/link pipeline ---- */

/* Submits n ops at 0 on one slot and checks C_k = max(k L, C_(k-1)) + T and the closed form. */
static void pipeline_case(uint32_t n, uint64_t bytes, bool write, sim_time_t lat, sim_time_t xfer,
			  bool link_bound)
{
	cfg.parallelism = 1;
	build();
	submit_all(n, bytes, write, false);
	run(SIM_TIME_MAX, 0);
	sim_time_t c = 0;
	for (uint32_t k = 1; k <= n; k++) {
		sim_time_t ready = k * lat;
		c = (ready > c ? ready : c) + xfer;
		sim_time_t closed = link_bound ? lat + k * xfer : k * lat + xfer;
		cr_assert_eq(c, closed, "the test's own recurrence and closed form disagree at k=%u", k);
		struct op *o = &ops[k - 1];
		cr_expect_eq(o->ndone, 1, "op %u done %u times", k, o->ndone);
		cr_expect_eq(o->done_at, c, "op %u done at %" PRIu64 " ps, want %" PRIu64 " ps", k, o->done_at, c);
		cr_expect_eq(order[k - 1], k - 1, "completion %u is op %u", k, order[k - 1] + 1);
	}
	struct io_blockdev_stats st;
	io_blockdev_stats(dev, &st);
	expect_ps("busy (one slot held back to back)", st.busy, n * lat);
}

Test(blockdev_pipeline, media_overlaps_transfer)
{
	/* T = 1.28 us <= L = 80 us: op k completes at k x 80 us + 1.28 us */
	pipeline_case(8, 4 * KIB, false, L_R, T_4K, false);
}

Test(blockdev_pipeline, link_bound_when_transfer_exceeds_latency)
{
	/* T = 40.96 us > L = 20 us: the link is always busy from L on: op k completes at L + k T */
	pipeline_case(8, 128 * KIB, true, L_W, T_128K, true);
}

Test(blockdev_pipeline, transfer_equal_to_latency_ties)
{
	/* 64000 B take exactly 20 us = L_W: media done and link done coincide at every k L */
	pipeline_case(8, 64000, true, L_W, 20 * US, false);
}

Test(blockdev_pipeline, simultaneous_media_take_the_link_in_submission_order)
{
	/* P = 4, 16 ops: ops 4j+1..4j+4 finish media at (j+1) L together, then transfer one after the
	   other: op 4j+i completes at (j+1) L + i T (4 T < L, so no batch waits for the previous one) */
	cfg.parallelism = 4;
	build();
	submit_all(16, 4 * KIB, false, false);
	run(SIM_TIME_MAX, 0);
	for (uint32_t k = 0; k < 16; k++) {
		sim_time_t want = (k / 4 + 1) * L_R + (k % 4 + 1) * T_4K;
		cr_expect_eq(ops[k].done_at, want, "op %u at %" PRIu64 ", want %" PRIu64, k + 1, ops[k].done_at, want);
		cr_expect_eq(order[k], k, "completion %u is op %u", k + 1, order[k] + 1);
	}
}

/* ---- FIFO ---- */

Test(blockdev_fifo, slots_are_fifo_across_queues)
{
	cfg.parallelism = 1;
	cfg.queues = 4;
	build();
	static const uint32_t qs[] = { 2, 0, 1, 0, 3, 2 };
	for (uint32_t i = 0; i < 6; i++)
		cr_assert(submit(mkop(i, qs[i], 4 * KIB, false)));
	run(SIM_TIME_MAX, 0);
	for (uint32_t i = 0; i < 6; i++) {
		cr_expect_eq(order[i], i, "completion %u is op %u (submission order across queues)", i, order[i]);
		expect_ps("op", ops[i].done_at, (i + 1) * L_R + T_4K);
	}
}

Test(blockdev_fifo, a_write_passes_a_read_at_the_media_only_with_a_free_slot)
{
	cfg.parallelism = 2;
	build();
	cr_assert(submit(mkop(0, 0, 4 * KIB, false)));
	cr_assert(submit(mkop(1, 1, 4 * KIB, true)));
	run(SIM_TIME_MAX, 0);
	expect_ps("write (own slot)", ops[1].done_at, L_W + T_4K);
	expect_ps("read", ops[0].done_at, L_R + T_4K);
	cr_expect_eq(order[0], 1);
}

Test(blockdev_fifo, a_write_waits_behind_a_read_for_the_only_slot)
{
	cfg.parallelism = 1;
	build();
	cr_assert(submit(mkop(0, 0, 4 * KIB, false)));
	cr_assert(submit(mkop(1, 1, 4 * KIB, true)));
	run(SIM_TIME_MAX, 0);
	expect_ps("read", ops[0].done_at, L_R + T_4K);
	expect_ps("write (slot at L_R)", ops[1].done_at, L_R + L_W + T_4K);
}

/* ---- rates in closed loops ---- */

#define WARM (10 * MS)
#define WINDOW (100 * MS)

/*
 * n ops of `bytes` reads resubmitted from their done (queue i % queues), all submitted at 0; stats
 * over [WARM, WARM + WINDOW).
 */
static void closed_loop(uint32_t n, uint64_t bytes, struct io_blockdev_stats *st)
{
	build();
	submit_all(n, bytes, false, true);
	cr_assert_eq(run(WARM + WINDOW, WARM), SIM_RUN_END_TIME);
	io_blockdev_stats(dev, st);
	cr_expect_eq(st->ops, st->reads);
	cr_expect_eq(st->bytes, st->ops * bytes);
	cr_expect_eq(sim_hist_count(st->latency), st->ops);
	check_conservation("end of run");
	cr_expect_eq(submitted - completed, n, "closed loop keeps %u ops in the device", n);
	struct sim_evq_stats es;
	sim_evq_stats(sim, &es);
	cr_expect_eq(es.slab_events, 0, "the device uses its own timers only");
}

/* Each of n ops with period p completes floor or ceil(WINDOW / p) times in the window. */
static void expect_ops_in(const char *what, uint64_t got, uint64_t n, sim_time_t period)
{
	uint64_t lo = n * (WINDOW / period), hi = n * ((WINDOW + period - 1) / period);
	cr_expect(got >= lo && got <= hi, "%s: %" PRIu64 " ops in %" PRIu64 " ps, want %" PRIu64 "..%" PRIu64,
		  what, got, (uint64_t)WINDOW, lo, hi);
}

Test(blockdev_rate, qd32_media_bound_iops_is_qd_over_latency_plus_transfer)
{
	/*
	 * QD 32 = P: no op ever waits (32 T = 40.96 us <= L, so transfers never collide after the first
	 * round), each op cycles in L + T = 81.28 us: IOPS = 32 / 81.28 us = 393,701. P / L = 400,000
	 * is the bound only once more ops than slots are queued (next test); at QD = P the transfer
	 * time is not overlapped by anything.
	 */
	struct io_blockdev_stats st;
	closed_loop(32, 4 * KIB, &st);
	expect_ops_in("QD32 4 KiB", st.ops, 32, L_R + T_4K); /* 39360..39392 */
	expect_ps("media busy all window", st.busy, WINDOW);
	/* every op: L + T, never waiting */
	cr_expect_eq(st.latency->min, L_R + T_4K);
	cr_expect_eq(st.latency->max, L_R + T_4K);
}

Test(blockdev_rate, qd64_slots_saturated_iops_is_parallelism_over_latency)
{
	/*
	 * 64 ops on 32 slots: a slot is never free (32 T < L, so every op is back in the wait list
	 * before the slots free), the completions are j L + i T (i = 1..32, j >= 1) and the window
	 * [125 L, 1375 L) holds exactly 1250 x 32 of them: P / L = 400,000 IOPS.
	 */
	struct io_blockdev_stats st;
	closed_loop(64, 4 * KIB, &st);
	cr_expect_eq(st.ops, 40000, "QD64: %" PRIu64 " ops, want 40000", st.ops);
	expect_ps("media busy all window", st.busy, WINDOW);
	/* an op resubmitted at j L + i T waits for the slots freed at (j + 1) L and completes at
	   (j + 2) L + i T: every latency after the first round is 2 L */
	cr_expect_eq(st.latency->min, 2 * L_R);
	cr_expect_eq(st.latency->max, 2 * L_R);
}

Test(blockdev_rate, qd32_link_saturated_iops_is_bandwidth_over_size)
{
	/*
	 * B = 1e9: T = 4.096 us and 32 T = 131 us > L, so the link never idles after L: one completion
	 * every T, IOPS = B / 4096 = 244,140.6 < min(32 / (L + T), P / L).
	 */
	cfg.bandwidth = UINT64_C(1000000000);
	sim_time_t t = UINT64_C(4096000);
	struct io_blockdev_stats st;
	closed_loop(32, 4 * KIB, &st);
	expect_ops_in("link-bound 4 KiB", st.ops, 1, t); /* 24414..24415 */
	/* in the steady state each op waits for the other 31 transfers: latency = 32 T */
	cr_expect_eq(st.latency->min, 32 * t);
	cr_expect_eq(st.latency->max, 32 * t);
}

Test(blockdev_rate, large_ops_move_bandwidth_bytes)
{
	/*
	 * 1 MiB ops, T = 327.68 us > L: the link is the bottleneck and never idles after L, so the
	 * bytes completed in the window are bandwidth x WINDOW = 3.2e8 within one op (1 MiB).
	 */
	struct io_blockdev_stats st;
	closed_loop(64, MIB, &st);
	expect_ops_in("1 MiB", st.ops, 1, T_1M);
	double want = (double)cfg.bandwidth * sim_time_to_seconds(WINDOW);
	double diff = (double)st.bytes - want;
	cr_expect(diff <= (double)MIB && diff >= -(double)MIB, "%" PRIu64 " bytes in 100 ms, want %.0f +- %" PRIu64,
		  st.bytes, want, MIB);
}

/* ---- full queues ---- */

Test(blockdev_queue, a_full_queue_refuses_and_nothing_is_lost)
{
	cfg.queues = 2;
	cfg.queue_depth = 4;
	cfg.parallelism = 1;
	build();
	for (uint32_t i = 0; i < 4; i++)
		cr_assert(submit(mkop(i, 0, 4 * KIB, false)), "op %u refused below the depth", i);
	struct op *extra = mkop(4, 0, 4 * KIB, false);
	cr_assert_not(submit(extra), "a fifth op on a queue of depth 4 was accepted");
	cr_assert(!extra->req.busy && extra->req.next == NULL && extra->req.bytes == 4 * KIB &&
		  extra->req.done == op_done, "a refused request was modified");
	cr_assert_eq(io_blockdev_inflight(dev, 0), 4);
	cr_assert(submit(mkop(5, 1, 4 * KIB, false)), "the other queue is not full");
	cr_assert_eq(io_blockdev_inflight(dev, 1), 1);

	/* the refused op is kept and retried when queue 0 drains: after op 0 completes at L + T */
	drv.pending[drv.npending++] = 4;
	run(SIM_TIME_MAX, 0);
	cr_assert_eq(completed, 6);
	for (uint32_t i = 0; i < 6; i++)
		cr_expect_eq(ops[i].ndone, 1, "op %u done %u times", i, ops[i].ndone);
	expect_ps("refused op accepted", ops[4].accepted, L_R + T_4K);
	/* 5 ops hold the one slot back to back before it: 6 L + T */
	expect_ps("refused op done", ops[4].done_at, 6 * L_R + T_4K);
	check_conservation("end");
}

/* Arrivals for the churn: n ops, random gaps in [0, 20 us], queues, sizes and directions. */
static void churn_script(uint64_t seed, uint32_t n)
{
	static const uint64_t sizes[] = { 0, 512, 4096, 65536, 131072, 1048576 };
	uint64_t x = seed;
	sim_time_t t = 0;
	for (uint32_t i = 0; i < n; i++) {
		t += test_xorshift(&x) % (20 * US + 1);
		struct op *o = mkop(i, (uint32_t)(test_xorshift(&x) % cfg.queues), sizes[test_xorshift(&x) % 6],
				    test_xorshift(&x) % 3 == 0);
		o->arrive = t;
	}
}

/* Runs the churn on a fresh sim; returns the digest. */
static uint64_t churn_run(uint64_t seed, uint32_t n)
{
	cfg.queues = 3;
	cfg.queue_depth = 3;
	cfg.parallelism = 4;
	build();
	churn_script(seed, n);
	drv_start(n);
	run(SIM_TIME_MAX, 0);
	return sim_digest(sim);
}

Test(blockdev_queue, churn_with_refusals_loses_nothing)
{
	enum { N = 300 };
	churn_run(42, N);
	cr_assert_gt(drv.refusals, 0, "the churn never filled a queue; the test checks nothing");
	cr_assert_eq(drv.npending, 0);
	cr_assert_eq(completed, N);
	cr_assert_eq(submitted, N);
	uint64_t bytes = 0;
	for (uint32_t i = 0; i < N; i++) {
		struct op *o = &ops[i];
		cr_expect_eq(o->ndone, 1, "op %u done %u times", i, o->ndone);
		cr_expect_geq(o->accepted, o->arrive);
		/* nothing finishes faster than its media time plus its transfer */
		sim_time_t floor_ps = (o->req.write ? L_W : L_R) + o->req.bytes * 1000000 / 3200; /* exact here */
		cr_expect_geq(o->done_at - o->accepted, floor_ps, "op %u took %" PRIu64 " < %" PRIu64 " ps", i,
			      o->done_at - o->accepted, floor_ps);
		bytes += o->req.bytes;
	}
	struct io_blockdev_stats st;
	io_blockdev_stats(dev, &st);
	cr_expect_eq(st.ops, N);
	cr_expect_eq(st.bytes, bytes);
	cr_expect_eq(sim_hist_count(st.latency), N);
	check_conservation("end");
}

/* ---- determinism ---- */

Test(blockdev_determinism, same_inputs_same_completion_times)
{
	enum { N = 300 };
	sim_time_t first[N];
	uint64_t d1 = churn_run(7, N);
	for (uint32_t i = 0; i < N; i++)
		first[i] = ops[i].done_at;
	sim_free(sim);
	io_blockdev_free(dev);

	sim = sim_new(1);
	reset_globals();
	io_blockdev_config_default(&cfg);
	uint64_t d2 = churn_run(7, N);
	cr_expect_eq(d1, d2, "digests differ: %016" PRIx64 " vs %016" PRIx64, d1, d2);
	for (uint32_t i = 0; i < N; i++)
		cr_expect_eq(ops[i].done_at, first[i], "op %u: %" PRIu64 " then %" PRIu64, i, first[i], ops[i].done_at);
}

/* ---- warm-up ---- */

Test(blockdev_warmup, statistics_cover_the_window_after_warmup)
{
	/*
	 * P = 1, 10 reads at 0: op k completes at k L + T and the slot is held over [0, 10 L). With
	 * warm-up at 5 L = 400 us, ops 1..4 (done before 400 us) are forgotten, ops 5..10 counted, and
	 * media busy time restarts at 400 us: 10 L - 5 L = 400 us.
	 */
	cfg.parallelism = 1;
	build();
	submit_all(10, 4 * KIB, false, false);
	run(SIM_TIME_MAX, 5 * L_R);
	struct io_blockdev_stats st;
	io_blockdev_stats(dev, &st);
	cr_expect_eq(st.ops, 6, "%" PRIu64 " ops after warm-up, want 6", st.ops);
	cr_expect_eq(st.reads, 6);
	cr_expect_eq(st.bytes, 6 * 4 * KIB);
	cr_expect_eq(sim_hist_count(st.latency), 6);
	cr_expect_eq(st.latency->min, 5 * L_R + T_4K);
	cr_expect_eq(st.latency->max, 10 * L_R + T_4K);
	expect_ps("busy after warm-up", st.busy, 5 * L_R);
}

Test(blockdev_warmup, busy_restarts_while_idle)
{
	/* one op done at 81.28 us, warm-up at 1 ms: nothing happens after it, everything reads 0 */
	build();
	submit_all(1, 4 * KIB, false, false);
	run(2 * MS, 1 * MS);
	cr_assert_eq(sim_now(sim), 2 * MS);
	struct io_blockdev_stats st;
	io_blockdev_stats(dev, &st);
	cr_expect_eq(st.ops, 0);
	cr_expect_eq(st.bytes, 0);
	cr_expect_eq(sim_hist_count(st.latency), 0);
	expect_ps("busy", st.busy, 0);
}

/* ---- config and misuse ---- */

Test(blockdev_config, defaults)
{
	cr_expect_eq(cfg.queues, 64);
	cr_expect_eq(cfg.queue_depth, 1024);
	cr_expect_eq(cfg.parallelism, 32);
	cr_expect_eq(cfg.read_latency, L_R);
	cr_expect_eq(cfg.write_latency, L_W);
	cr_expect_eq(cfg.bandwidth, UINT64_C(3200000000));
}

static void expect_refused(const char *key)
{
	GError *err = NULL;
	struct io_blockdev *d = io_blockdev_new(sim, "nvme0", &cfg, &err);
	cr_expect_null(d, "config with bad %s accepted", key);
	cr_assert_not_null(err, "no error for bad %s", key);
	cr_expect_eq(err->domain, IO_ERROR);
	cr_expect(strstr(err->message, key) != NULL, "message '%s' does not name %s", err->message, key);
	g_error_free(err);
	io_blockdev_free(d);
	cr_expect_eq(sim_entity_count(sim), 0, "a refused device registered an entity");
	io_blockdev_config_default(&cfg);
}

Test(blockdev_config, bad_values_are_refused)
{
	cfg.queues = 0;
	expect_refused("queues");
	cfg.queues = IO_BLOCKDEV_MAX_QUEUES + 1;
	expect_refused("queues");
	cfg.queue_depth = 0;
	expect_refused("queue_depth");
	cfg.parallelism = 0;
	expect_refused("parallelism");
	cfg.bandwidth = 0;
	expect_refused("bandwidth");
}

Test(blockdev_config, submit_on_a_queue_out_of_range_is_a_model_bug, .signal = SIGABRT)
{
	cfg.queues = 2;
	build();
	struct op *o = mkop(0, 2, 4096, false);
	io_blockdev_submit(dev, o->q, &o->req);
}

Test(blockdev_config, submitting_a_request_twice_is_a_model_bug, .signal = SIGABRT)
{
	build();
	struct op *o = mkop(0, 0, 4096, false);
	io_blockdev_submit(dev, 0, &o->req);
	io_blockdev_submit(dev, 1, &o->req);
}
