/* SPDX-License-Identifier: MIT */
/*
 * test_evq.c - the event queue against a reference model.
 * Checks: under long random sequences of push, re-arm, cancel and pop (with many exact ties,
 *   wide and narrow spreads, bursts, and tunings that force rung builds, spills and the plain
 *   heap), the queue pops exactly the events a naive reference pops - the earliest by (time,
 *   seq), seq being the order of (re-)arming - and every structural invariant (sim__evq_check)
 *   holds after every operation. Also: pop_before honours its limit without removing anything.
 * Leaves unchecked: speed (bench/phold measures it) and allocation behaviour.
 */
#include <criterion/criterion.h>
#include <inttypes.h>

#include "tests/helpers/xorshift.h"
#include "sim/sim-int.h"

/* The reference: live events in an array; pop scans for the minimum (time, seq). */
struct ref {
	struct sim_event **live;
	uint64_t *seq; /* seq the reference gave each live event */
	size_t n;
	uint64_t next_seq;
};

static void ref_add(struct ref *r, struct sim_event *ev)
{
	r->live[r->n] = ev;
	r->seq[r->n] = r->next_seq++;
	r->n++;
}

static bool ref_remove(struct ref *r, struct sim_event *ev)
{
	for (size_t i = 0; i < r->n; i++) {
		if (r->live[i] == ev) {
			r->live[i] = r->live[r->n - 1];
			r->seq[i] = r->seq[r->n - 1];
			r->n--;
			return true;
		}
	}
	return false;
}

/* Index of the earliest live event, or SIZE_MAX. */
static size_t ref_min(const struct ref *r)
{
	size_t m = SIZE_MAX;
	for (size_t i = 0; i < r->n; i++)
		if (m == SIZE_MAX || r->live[i]->time < r->live[m]->time ||
		    (r->live[i]->time == r->live[m]->time && r->seq[i] < r->seq[m]))
			m = i;
	return m;
}

static uint64_t xs_state;
static uint64_t xs(void) { return test_xorshift(&xs_state); }

enum spread { NARROW_TIES, EXP_WIDE, BURSTY, CONSTANT };

static sim_time_t draw_delay(enum spread s)
{
	switch (s) {
	case NARROW_TIES: return xs() % 8;                    /* lots of exact ties */
	case EXP_WIDE: return (xs() % 1000000) >> (xs() % 20); /* spans six decades */
	case BURSTY: return (xs() % 16 == 0) ? 1000000 + xs() % 3 : xs() % 50;
	case CONSTANT: return 1000;
	}
	return 0;
}

/*
 * Runs `ops` random operations over a pool of `pool` timers. The queue and the reference must
 * agree on every pop. Returns the number of pops compared.
 */
static uint64_t stress(const struct sim_evq_tuning *tune, enum spread spread, uint32_t pool, uint32_t ops,
		       uint64_t seed, bool check_every_op)
{
	struct sim_evq q;
	struct ref r = { 0 };
	struct sim_event *evs = calloc(pool, sizeof *evs);
	sim_time_t now = 0;
	uint64_t pops = 0;
	const char *why = NULL;

	sim__evq_init(&q);
	if (tune)
		q.tune = *tune;
	r.live = calloc(pool, sizeof *r.live);
	r.seq = calloc(pool, sizeof *r.seq);
	xs_state = seed * 0x9e3779b97f4a7c15ULL + 1;

	for (uint32_t op = 0; op < ops; op++) {
		uint32_t dice = xs() % 100;
		struct sim_event *ev = &evs[xs() % pool];
		if (dice < 50) {
			/* (re-)arm */
			if (ev->tier) {
				sim__evq_remove(&q, ev);
				cr_assert(ref_remove(&r, ev));
			}
			ev->time = now + draw_delay(spread);
			sim__evq_push(&q, ev);
			ref_add(&r, ev);
		} else if (dice < 60) {
			/* cancel */
			bool pending = ev->tier != SIM__TIER_IDLE;
			cr_assert_eq(pending, ref_remove(&r, ev), "op %u: pending flag disagrees with the reference", op);
			if (pending)
				sim__evq_remove(&q, ev);
		} else {
			/* pop, sometimes with a limit that stops it */
			size_t m = ref_min(&r);
			sim_time_t limit = (dice < 65) ? now + xs() % 4 : SIM_TIME_MAX;
			struct sim_event *got = sim__evq_pop_before(&q, limit);
			if (m == SIZE_MAX || r.live[m]->time >= limit) {
				cr_assert_null(got, "op %u: popped an event at %" PRIu64 " but the reference has %s", op,
					       got ? got->time : 0, m == SIZE_MAX ? "none" : "none before the limit");
			} else {
				struct sim_event *want = r.live[m];
				cr_assert_not_null(got, "op %u: queue empty but reference has %zu events", op, r.n);
				cr_assert_eq(got, want, "op %u: popped event #%td (t=%" PRIu64 ") want #%td (t=%" PRIu64 ")", op,
					     got - evs, got->time, want - evs, want->time);
				cr_assert_eq(got->tier, SIM__TIER_IDLE);
				cr_assert_geq(got->time, now, "time went backwards");
				now = got->time;
				ref_remove(&r, want);
				pops++;
			}
		}
		cr_assert_eq(q.size, r.n, "op %u: size %zu, reference %zu", op, q.size, r.n);
		if (check_every_op || op % 1024 == 0)
			cr_assert(sim__evq_check(&q, &why), "op %u: invariant broken: %s", op, why);
	}
	/* drain */
	for (size_t m; (m = ref_min(&r)) != SIZE_MAX;) {
		struct sim_event *got = sim__evq_pop_before(&q, SIM_TIME_MAX);
		cr_assert_eq(got, r.live[m], "drain: wrong event");
		ref_remove(&r, got);
		pops++;
	}
	cr_assert_null(sim__evq_pop_before(&q, SIM_TIME_MAX));
	cr_assert_eq(q.size, 0);
	sim__evq_clear(&q);
	free(evs);
	free(r.live);
	free(r.seq);
	return pops;
}

static const struct sim_evq_tuning tiny = { .bucket_target = 2, .small_max = 2, .spill_min = 16 };
static const struct sim_evq_tuning heap_only = { .bucket_target = 32, .small_max = UINT32_MAX, .spill_min = UINT32_MAX };

Test(evq, default_tuning_matches_reference)
{
	for (int s = NARROW_TIES; s <= CONSTANT; s++)
		for (uint32_t pool = 3; pool <= 3000; pool *= 10)
			cr_assert_gt(stress(NULL, (enum spread)s, pool, 40000, 11 + (uint64_t)s * 7 + pool, pool < 1000), 1000);
}

Test(evq, tiny_tuning_builds_rungs_and_spills)
{
	/* tiny buckets and thresholds: every path (rung build, pour, spill) runs constantly */
	for (int s = NARROW_TIES; s <= CONSTANT; s++)
		for (uint32_t pool = 5; pool <= 500; pool *= 10)
			cr_assert_gt(stress(&tiny, (enum spread)s, pool, 40000, 3 + (uint64_t)s + pool, true), 1000);
}

Test(evq, plain_heap_matches_reference)
{
	for (int s = NARROW_TIES; s <= CONSTANT; s++)
		cr_assert_gt(stress(&heap_only, (enum spread)s, 300, 40000, 99 + (uint64_t)s, true), 1000);
}

Test(evq, large_population_uses_the_rung)
{
	/* 20,000 pending events with wide spread: the default tuning must cut rungs, and stay right */
	struct sim_evq q;
	enum { N = 20000 };
	struct sim_event *evs = calloc(N, sizeof *evs);
	sim__evq_init(&q);
	xs_state = 12345;
	for (uint32_t i = 0; i < N; i++) {
		evs[i].time = xs() % 1000000;
		sim__evq_push(&q, &evs[i]);
	}
	sim_time_t last = 0;
	uint64_t last_seq = 0;
	for (uint32_t i = 0; i < 10 * N; i++) {
		struct sim_event *ev = sim__evq_pop_before(&q, SIM_TIME_MAX);
		cr_assert_not_null(ev);
		cr_assert(ev->time > last || (ev->time == last && ev->seq > last_seq) || i == 0,
			  "pop %u out of order: t=%" PRIu64 " after %" PRIu64, i, ev->time, last);
		last = ev->time;
		last_seq = ev->seq;
		ev->time = last + xs() % 1000000;
		sim__evq_push(&q, ev);
	}
	/* A rung spans the top's ~1e6 ps; events are handled at N / 5e5 per ps (mean delay 5e5), so a
	 * rung lasts ~40,000 pops and 200,000 pops cut about 5 (the first from the initial top). */
	cr_assert_geq(q.rebuilds, 4, "rung built %" PRIu64 " times", q.rebuilds);
	cr_assert_leq(q.rebuilds, 7, "rung built %" PRIu64 " times", q.rebuilds);
	cr_assert_lt(q.heap_n, 2000, "the heap should hold about one bucket, holds %u", q.heap_n);
	const char *why;
	cr_assert(sim__evq_check(&q, &why), "%s", why);
	sim__evq_clear(&q);
	free(evs);
}

Test(evq, equal_times_leave_in_push_order)
{
	struct sim_evq q;
	enum { N = 5000 };
	struct sim_event *evs = calloc(N, sizeof *evs);
	sim__evq_init(&q);
	q.tune = tiny;
	for (uint32_t i = 0; i < N; i++) {
		evs[i].time = 42 + (i % 3) * 1000;
		sim__evq_push(&q, &evs[i]);
	}
	for (uint32_t k = 0; k < 3; k++)
		for (uint32_t i = k; i < N; i += 3) {
			struct sim_event *ev = sim__evq_pop_before(&q, SIM_TIME_MAX);
			cr_assert_eq(ev, &evs[i], "tie broken out of push order: got #%td want #%u", ev - evs, i);
		}
	sim__evq_clear(&q);
	free(evs);
}

Test(evq, times_near_the_end_of_time)
{
	/* buckets near SIM_TIME_MAX: the rung's end must clamp, not wrap */
	struct sim_evq q;
	struct sim_event evs[200];
	memset(evs, 0, sizeof evs);
	sim__evq_init(&q);
	q.tune = tiny;
	for (uint32_t i = 0; i < 200; i++) {
		evs[i].time = SIM_TIME_MAX - (i * 7919u) % 1000 * (UINT64_MAX / 4096);
		sim__evq_push(&q, &evs[i]);
	}
	sim_time_t last = 0;
	for (uint32_t i = 0; i < 200; i++) {
		struct sim_event *ev = sim__evq_pop_before(&q, SIM_TIME_MAX);
		if (!ev) {
			/* only events at exactly SIM_TIME_MAX may remain: pop_before(MAX) excludes them */
			cr_assert_eq(q.size, 200 - i);
			break;
		}
		cr_assert_geq(ev->time, last);
		last = ev->time;
	}
	sim__evq_clear(&q);
}
