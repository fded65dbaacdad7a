/* SPDX-License-Identifier: MIT */
/*
 * test_stats.c - counters, time-weighted gauges and log-linear histograms.
 * Checks: a gauge's mean is the exact time-weighted mean of a known piecewise-constant signal, and
 *   reset starts a new window that keeps the current value; the histogram's slots tile the whole
 *   uint64 range (contiguous, increasing, every value in [lo, hi] of its slot maps back, each slot
 *   at most 1/64 of its lower bound wide) and are exact below 128; percentiles are the nearest-rank
 *   value exactly below 128 and within 1/128 relative error of it elsewhere, for values of very
 *   different spreads (1 .. 1e12), with p0 = min and p100 = max exactly; merging equals recording
 *   everything into one histogram; record_n equals n records; reset forgets values and keeps
 *   memory; an empty histogram owns nothing and counts grow by whole octaves.
 * Leaves unchecked: the warm-up reset of tracked statistics (sim_track_*, tested with the run in
 *   test_run.c) and speed. Values come from an inline xorshift, not sim/rng.c, so a change to the
 *   run's generator cannot move these tests.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/helpers/xorshift.h"
#include "sim/stats.h"

#define NSLOTS 3776u /* 128 exact + 57 octaves (k = 7 .. 63) of 64 */

/* ---- counters ---- */

Test(counter, adds_and_increments)
{
	struct sim_counter c = { 0 };

	sim_counter_inc(&c);
	sim_counter_add(&c, 41);
	sim_counter_add(&c, 0);
	cr_assert_eq(c.n, 42, "n = %" PRIu64, c.n);
}

/* ---- gauges ---- */

/*
 * The signal: 2 on [100, 300), 5 on [300, 400), 0 on [400, 600), 0.5 on [600, 1000).
 * Every partial area is an integer or a half, so the doubles below are exact.
 */
Test(gauge, mean_of_piecewise_constant_signal)
{
	struct sim_gauge g;

	sim_gauge_init(&g, 100, 2.0);
	cr_assert(sim_gauge_mean(&g, 100) == 2.0, "mean of an empty window = %g, want the value 2", sim_gauge_mean(&g, 100));
	cr_assert(sim_gauge_mean(&g, 200) == 2.0, "mean at 200 = %g, want 2", sim_gauge_mean(&g, 200));
	sim_gauge_set(&g, 300, 5.0);
	cr_assert(sim_gauge_mean(&g, 300) == 2.0, "mean at 300 = %g, want 2", sim_gauge_mean(&g, 300));
	cr_assert(sim_gauge_mean(&g, 400) == 900.0 / 300.0, "mean at 400 = %.17g, want 3", sim_gauge_mean(&g, 400));
	sim_gauge_add(&g, 400, -5.0);
	cr_assert(g.value == 0.0, "value after add = %g", g.value);
	sim_gauge_set(&g, 600, 0.5);
	cr_assert(sim_gauge_mean(&g, 600) == 900.0 / 500.0, "mean at 600 = %.17g, want 1.8", sim_gauge_mean(&g, 600));
	cr_assert(sim_gauge_mean(&g, 1000) == 1100.0 / 900.0, "mean at 1000 = %.17g, want 1100/900",
		  sim_gauge_mean(&g, 1000));
	cr_assert(g.min == 0.0 && g.max == 5.0, "min %g max %g, want 0 and 5", g.min, g.max);
	/* Setting the same value twice at one instant changes nothing. */
	sim_gauge_set(&g, 1000, 0.5);
	sim_gauge_set(&g, 1000, 0.5);
	cr_assert(sim_gauge_mean(&g, 1000) == 1100.0 / 900.0, "mean after no-op sets = %.17g", sim_gauge_mean(&g, 1000));
}

Test(gauge, mean_over_long_windows)
{
	struct sim_gauge g;
	const sim_time_t day = 86400 * SIM_PS_PER_S;

	/* 3 for a day, then 1 for a day: mean 2, areas near 2^58 stay exact (3 * 8.64e16). */
	sim_gauge_init(&g, 0, 3.0);
	sim_gauge_set(&g, day, 1.0);
	cr_assert(sim_gauge_mean(&g, 2 * day) == 2.0, "mean = %.17g, want 2", sim_gauge_mean(&g, 2 * day));
}

Test(gauge, reset_starts_a_new_window_keeping_the_value)
{
	struct sim_gauge g;

	sim_gauge_init(&g, 0, 10.0);
	sim_gauge_set(&g, 100, 0.0);
	sim_gauge_set(&g, 200, 4.0); /* 4 since 200 */
	sim_gauge_reset(&g, 300);
	cr_assert(g.value == 4.0, "value after reset = %g, want 4", g.value);
	cr_assert(g.min == 4.0 && g.max == 4.0, "extremes after reset: min %g max %g, want 4 and 4", g.min, g.max);
	cr_assert(g.start == 300 && g.since == 300, "window after reset: start %" PRIu64 " since %" PRIu64, g.start,
		  g.since);
	cr_assert(sim_gauge_mean(&g, 300) == 4.0, "mean at the reset = %g, want 4", sim_gauge_mean(&g, 300));
	sim_gauge_set(&g, 400, 1.0);
	/* [300, 400) at 4, [400, 500) at 1: 500 / 200 */
	cr_assert(sim_gauge_mean(&g, 500) == 2.5, "mean = %.17g, want 2.5", sim_gauge_mean(&g, 500));
	cr_assert(g.min == 1.0 && g.max == 4.0, "min %g max %g, want 1 and 4", g.min, g.max);
}

/* ---- histogram buckets ---- */

static void check_value_in_its_slot(uint64_t v)
{
	uint64_t lo, hi;
	uint32_t s = sim_hist_slot(v);

	cr_assert_lt(s, NSLOTS, "slot(%" PRIu64 ") = %u is past the last slot", v, s);
	sim_hist_slot_range(s, &lo, &hi);
	cr_assert(lo <= v && v <= hi, "%" PRIu64 " -> slot %u = [%" PRIu64 ", %" PRIu64 "]", v, s, lo, hi);
}

Test(hist, slots_tile_the_uint64_range)
{
	uint64_t prev_hi = 0;

	for (uint32_t s = 0; s < NSLOTS; s++) {
		uint64_t lo, hi;
		sim_hist_slot_range(s, &lo, &hi);
		cr_assert_leq(lo, hi, "slot %u: lo %" PRIu64 " > hi %" PRIu64, s, lo, hi);
		if (s == 0)
			cr_assert_eq(lo, 0, "slot 0 starts at %" PRIu64, lo);
		else
			cr_assert_eq(lo, prev_hi + 1, "slot %u starts at %" PRIu64 ", the slot before ended at %" PRIu64,
				     s, lo, prev_hi);
		/* Every value in [lo, hi] maps back: the ends, the middle and neighbours of the ends. */
		const uint64_t probes[] = { lo, hi, lo + (hi - lo) / 2, lo + (hi > lo), hi - (hi > lo) };
		for (size_t i = 0; i < G_N_ELEMENTS(probes); i++)
			cr_assert_eq(sim_hist_slot(probes[i]), s,
				     "%" PRIu64 " in [%" PRIu64 ", %" PRIu64 "] maps to slot %u, not %u", probes[i], lo, hi,
				     sim_hist_slot(probes[i]), s);
		/* The width bound behind the 1/128 error: a slot is at most lo/64 wide (exact below 128). */
		if (s < SIM_HIST_EXACT)
			cr_assert(lo == s && hi == s, "slot %u = [%" PRIu64 ", %" PRIu64 "], want exact", s, lo, hi);
		else
			cr_assert_leq((hi - lo + 1) * 64, lo, "slot %u = [%" PRIu64 ", %" PRIu64 "] is too wide", s, lo, hi);
		prev_hi = hi;
	}
	cr_assert_eq(prev_hi, UINT64_MAX, "the last slot ends at %" PRIu64, prev_hi);
	cr_assert_eq(sim_hist_slot(UINT64_MAX), NSLOTS - 1, "slot(max) = %u", sim_hist_slot(UINT64_MAX));
}

Test(hist, octave_boundaries)
{
	for (unsigned k = 0; k < 64; k++) {
		uint64_t p = UINT64_C(1) << k;
		check_value_in_its_slot(p - 1);
		check_value_in_its_slot(p);
		check_value_in_its_slot(p + 1);
		check_value_in_its_slot(p | (p >> 1)); /* 1.5 * 2^k */
		check_value_in_its_slot(p + (p - 1)); /* 2^(k+1) - 1 */
		if (k >= 7) {
			/* 2^k opens octave k: the first of its 64 sub-buckets. */
			uint32_t want = SIM_HIST_EXACT + (k - 7) * 64;
			cr_assert_eq(sim_hist_slot(p), want, "slot(2^%u) = %u, want %u", k, sim_hist_slot(p), want);
			cr_assert_eq(sim_hist_slot(p - 1), want - 1, "slot(2^%u - 1) = %u, want %u", k, sim_hist_slot(p - 1),
				     want - 1);
		}
	}
}

Test(hist, exact_below_128)
{
	for (uint64_t v = 0; v < SIM_HIST_EXACT; v++) {
		uint64_t lo, hi;
		cr_assert_eq(sim_hist_slot(v), v, "slot(%" PRIu64 ") = %u", v, sim_hist_slot(v));
		sim_hist_slot_range((uint32_t)v, &lo, &hi);
		cr_assert(lo == v && hi == v, "slot %" PRIu64 " = [%" PRIu64 ", %" PRIu64 "]", v, lo, hi);
	}
	cr_assert_eq(sim_hist_slot(128), 128, "slot(128) = %u", sim_hist_slot(128));
	cr_assert_eq(sim_hist_slot(129), 128, "slot(129) = %u: 128 and 129 share a 2-wide slot", sim_hist_slot(129));
	cr_assert_eq(sim_hist_slot(130), 129, "slot(130) = %u", sim_hist_slot(130));
}

/* ---- percentiles ---- */

static uint64_t xs_state;
static uint64_t xs(void) { return test_xorshift(&xs_state); }

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Nearest rank of per-mille pm among n values: max(1, ceil(pm * n / 1000)), in integers. */
static uint64_t rank_of(uint64_t pm, uint64_t n)
{
	uint64_t r = (pm * n + 999) / 1000;
	return r ? r : 1;
}

/* How a value set is drawn: uniform in [1, spread], or log-uniform over [1, spread]. */
enum draw { UNIFORM, LOG_UNIFORM };

static uint64_t draw(enum draw how, uint64_t spread)
{
	if (how == UNIFORM)
		return 1 + xs() % spread;
	/* A random octave below spread, then a uniform value in it. */
	unsigned top = 63u - (unsigned)__builtin_clzll(spread);
	unsigned k = (unsigned)(xs() % (top + 1));
	uint64_t v = (UINT64_C(1) << k) + xs() % (UINT64_C(1) << k);
	return v > spread ? spread : v;
}

/* Every percentile at 0.1% steps against the sorted values: exact below 128, else within 1/128. */
static void check_percentiles(const struct sim_hist *h, uint64_t *sorted, size_t n, const char *what)
{
	qsort(sorted, n, sizeof sorted[0], cmp_u64);
	cr_assert(sim_hist_percentile(h, 0) == (double)sorted[0], "%s: p0 = %.17g, min %" PRIu64, what,
		  sim_hist_percentile(h, 0), sorted[0]);
	cr_assert(sim_hist_percentile(h, 100) == (double)sorted[n - 1], "%s: p100 = %.17g, max %" PRIu64, what,
		  sim_hist_percentile(h, 100), sorted[n - 1]);
	for (uint64_t pm = 0; pm <= 1000; pm++) {
		double p = (double)pm / 10.0;
		uint64_t exact = sorted[rank_of(pm, n) - 1];
		double est = sim_hist_percentile(h, p);
		if (exact < SIM_HIST_EXACT) {
			cr_assert(est == (double)exact, "%s: p%g = %.17g, exact %" PRIu64, what, p, est, exact);
		} else {
			double err = (est > (double)exact ? est - (double)exact : (double)exact - est) / (double)exact;
			cr_assert_leq(err, 1.0 / 128, "%s: p%g = %.17g, exact %" PRIu64 ": relative error %.5f > 1/128",
				      what, p, est, exact, err);
		}
	}
}

Test(hist, percentiles_within_bound)
{
	static const uint64_t spreads[] = { 1, 10, 127, 128, 1000, 100000, 1000000000, UINT64_C(1000000000000) };
	static const size_t sizes[] = { 1, 2, 3, 7, 1000, 10007 };
	uint64_t *vals = g_new(uint64_t, 10007);

	for (uint64_t seed = 1; seed <= 3; seed++) {
		for (size_t si = 0; si < G_N_ELEMENTS(spreads); si++) {
			for (int how = UNIFORM; how <= LOG_UNIFORM; how++) {
				for (size_t zi = 0; zi < G_N_ELEMENTS(sizes); zi++) {
					struct sim_hist h;
					char what[96];
					size_t n = sizes[zi];
					uint64_t min = UINT64_MAX, max = 0;
					sim_hist_init(&h);
					xs_state = 0x9e3779b97f4a7c15u * seed + si * 1000 + zi;
					for (size_t i = 0; i < n; i++) {
						vals[i] = draw((enum draw)how, spreads[si]);
						min = vals[i] < min ? vals[i] : min;
						max = vals[i] > max ? vals[i] : max;
						sim_hist_record(&h, vals[i]);
					}
					snprintf(what, sizeof what, "seed %" PRIu64 " %s spread %" PRIu64 " n %zu", seed,
						 how == UNIFORM ? "uniform" : "log-uniform", spreads[si], n);
					cr_assert_eq(sim_hist_count(&h), n, "%s: count %" PRIu64, what, sim_hist_count(&h));
					cr_assert(h.min == min && h.max == max,
						  "%s: min %" PRIu64 " max %" PRIu64 ", want %" PRIu64 " and %" PRIu64, what,
						  h.min, h.max, min, max);
					check_percentiles(&h, vals, n, what);
					sim_hist_clear(&h);
				}
			}
		}
	}
	g_free(vals);
}

Test(hist, percentiles_of_values_near_the_top)
{
	struct sim_hist h;
	uint64_t vals[500];

	sim_hist_init(&h);
	xs_state = 77;
	for (size_t i = 0; i < G_N_ELEMENTS(vals); i++) {
		vals[i] = UINT64_MAX - xs() % (UINT64_C(1) << 62);
		sim_hist_record(&h, vals[i]);
	}
	check_percentiles(&h, vals, G_N_ELEMENTS(vals), "top quarter of uint64");
	sim_hist_clear(&h);
}

/* p = 99.9 means the decimal 99.9: with 1000 values that is rank 999, not 1000. */
Test(hist, percentile_rank_is_decimal)
{
	struct sim_hist h;

	sim_hist_init(&h);
	sim_hist_record_n(&h, 5, 999);
	sim_hist_record(&h, 100);
	cr_assert(sim_hist_percentile(&h, 99.9) == 5.0, "p99.9 = %g, want 5 (rank 999)", sim_hist_percentile(&h, 99.9));
	cr_assert(sim_hist_percentile(&h, 99.95) == 100.0, "p99.95 = %g, want 100 (rank 1000)",
		  sim_hist_percentile(&h, 99.95));
	sim_hist_record(&h, 100); /* 1001 values: rank ceil(999.999) = 1000 */
	cr_assert(sim_hist_percentile(&h, 99.9) == 100.0, "p99.9 of 1001 = %g, want 100", sim_hist_percentile(&h, 99.9));
	sim_hist_clear(&h);
}

Test(hist, small_exact_percentiles)
{
	struct sim_hist h;
	static const struct {
		double p;
		double want;
	} cases[] = {
		{ 0, 3 }, { 20, 3 }, { 20.0001, 3 }, { 40, 3 }, { 40.1, 7 }, { 60, 7 }, { 80, 100 }, { 99, 127 }, { 100, 127 },
	};

	sim_hist_init(&h);
	sim_hist_record(&h, 100);
	sim_hist_record(&h, 3);
	sim_hist_record(&h, 127);
	sim_hist_record(&h, 3);
	sim_hist_record(&h, 7);
	for (size_t i = 0; i < G_N_ELEMENTS(cases); i++)
		cr_assert(sim_hist_percentile(&h, cases[i].p) == cases[i].want, "p%g = %g, want %g", cases[i].p,
			  sim_hist_percentile(&h, cases[i].p), cases[i].want);
	cr_assert(sim_hist_mean(&h) == 48.0, "mean = %g, want 48", sim_hist_mean(&h));
	sim_hist_clear(&h);
}

/* The first and the last rank are the recorded extremes, not their slots' midpoints. */
Test(hist, first_and_last_rank_are_exact)
{
	struct sim_hist h;

	sim_hist_init(&h);
	sim_hist_record(&h, 1000); /* slot [1000, 1007], midpoint 1003.5 */
	sim_hist_record(&h, 1001);
	sim_hist_record(&h, 1006);
	cr_assert(sim_hist_percentile(&h, 0) == 1000.0, "p0 = %g, want 1000", sim_hist_percentile(&h, 0));
	cr_assert(sim_hist_percentile(&h, 33) == 1000.0, "p33 (rank 1) = %g, want 1000", sim_hist_percentile(&h, 33));
	cr_assert(sim_hist_percentile(&h, 50) == 1003.5, "p50 (rank 2) = %g, want the midpoint 1003.5",
		  sim_hist_percentile(&h, 50));
	cr_assert(sim_hist_percentile(&h, 67) == 1006.0, "p67 (rank 3) = %g, want 1006", sim_hist_percentile(&h, 67));
	sim_hist_clear(&h);
}

/* ---- lifecycle, record_n, merge ---- */

Test(hist, empty_owns_nothing_and_grows_by_octaves)
{
	struct sim_hist h;

	sim_hist_init(&h);
	cr_assert(h.counts == NULL && h.ncounts == 0, "empty histogram owns %u slots", h.ncounts);
	cr_assert(sim_hist_percentile(&h, 50) == 0.0 && sim_hist_mean(&h) == 0.0 && sim_hist_count(&h) == 0,
		  "empty: p50 %g mean %g count %" PRIu64, sim_hist_percentile(&h, 50), sim_hist_mean(&h),
		  sim_hist_count(&h));
	sim_hist_record_n(&h, 12345, 0); /* records nothing */
	cr_assert(h.counts == NULL && h.total == 0 && h.min == 0 && h.max == 0, "record_n(0) changed the histogram");

	sim_hist_record(&h, 5);
	cr_assert_eq(h.ncounts, SIM_HIST_EXACT, "after a small value: %u slots, want the 128 exact ones", h.ncounts);
	const uint64_t vals[] = { 1000, 1023, 1024, UINT64_C(1) << 40, UINT64_MAX, 77 };
	for (size_t i = 0; i < G_N_ELEMENTS(vals); i++) {
		uint32_t before = h.ncounts, s = sim_hist_slot(vals[i]);
		sim_hist_record(&h, vals[i]);
		uint32_t want = s < before ? before : (s - SIM_HIST_EXACT) / 64 * 64 + SIM_HIST_EXACT + 64;
		cr_assert_eq(h.ncounts, want, "after %" PRIu64 " (slot %u): %u slots, want %u (end of its octave)",
			     vals[i], s, h.ncounts, want);
	}
	cr_assert_eq(h.ncounts, NSLOTS, "after UINT64_MAX: %u slots", h.ncounts);
	sim_hist_clear(&h);
	cr_assert(h.counts == NULL && h.ncounts == 0 && h.total == 0, "clear left %u slots, total %" PRIu64, h.ncounts,
		  h.total);
}

Test(hist, reset_forgets_values_keeps_memory)
{
	struct sim_hist h;

	sim_hist_init(&h);
	for (uint64_t v = 1; v < 100000; v += 17)
		sim_hist_record(&h, v);
	uint64_t *mem = h.counts;
	uint32_t n = h.ncounts;
	sim_hist_reset(&h);
	cr_assert(h.counts == mem && h.ncounts == n, "reset moved or shrank the counts (%u -> %u slots)", n, h.ncounts);
	cr_assert(h.total == 0 && h.sum == 0.0 && h.min == 0 && h.max == 0,
		  "after reset: total %" PRIu64 " sum %g min %" PRIu64 " max %" PRIu64 ", want all 0 (as after init)",
		  h.total, h.sum, h.min, h.max);
	for (uint32_t i = 0; i < h.ncounts; i++)
		cr_assert_eq(h.counts[i], 0, "slot %u holds %" PRIu64 " after reset", i, h.counts[i]);
	cr_assert(sim_hist_percentile(&h, 50) == 0.0 && sim_hist_mean(&h) == 0.0, "after reset: p50 %g mean %g",
		  sim_hist_percentile(&h, 50), sim_hist_mean(&h));

	/* The old extremes are forgotten too. */
	sim_hist_record(&h, 500);
	sim_hist_record(&h, 600);
	cr_assert(h.min == 500 && h.max == 600, "after reset and 500, 600: min %" PRIu64 " max %" PRIu64, h.min, h.max);
	cr_assert(sim_hist_percentile(&h, 0) == 500.0 && sim_hist_percentile(&h, 100) == 600.0, "p0 %g p100 %g",
		  sim_hist_percentile(&h, 0), sim_hist_percentile(&h, 100));
	cr_assert(sim_hist_mean(&h) == 550.0, "mean %g", sim_hist_mean(&h));
	sim_hist_clear(&h);
}

static void check_same(const struct sim_hist *a, const struct sim_hist *b, const char *what)
{
	uint32_t n = a->ncounts > b->ncounts ? a->ncounts : b->ncounts;

	cr_assert(a->total == b->total && a->min == b->min && a->max == b->max,
		  "%s: total %" PRIu64 "/%" PRIu64 " min %" PRIu64 "/%" PRIu64 " max %" PRIu64 "/%" PRIu64, what, a->total,
		  b->total, a->min, b->min, a->max, b->max);
	for (uint32_t i = 0; i < n; i++) {
		uint64_t ca = i < a->ncounts ? a->counts[i] : 0, cb = i < b->ncounts ? b->counts[i] : 0;
		cr_assert_eq(ca, cb, "%s: slot %u holds %" PRIu64 " and %" PRIu64, what, i, ca, cb);
	}
	for (uint64_t pm = 0; pm <= 1000; pm++) {
		double p = (double)pm / 10.0, pa = sim_hist_percentile(a, p), pb = sim_hist_percentile(b, p);
		cr_assert(pa == pb, "%s: p%g = %.17g and %.17g", what, p, pa, pb);
	}
	/* The sums add in a different order, so the mean may differ in its last bits. */
	cr_assert_float_eq(sim_hist_mean(a), sim_hist_mean(b), 1e-12 * sim_hist_mean(b), "%s: mean %.17g and %.17g", what,
			   sim_hist_mean(a), sim_hist_mean(b));
}

Test(hist, merge_equals_recording_into_one)
{
	struct sim_hist a, b, all, empty;

	sim_hist_init(&a);
	sim_hist_init(&b);
	sim_hist_init(&all);
	sim_hist_init(&empty);
	xs_state = 12345;
	for (int i = 0; i < 5000; i++) {
		uint64_t v = draw(LOG_UNIFORM, 1000000); /* a: small values */
		sim_hist_record(&a, v);
		sim_hist_record(&all, v);
	}
	for (int i = 0; i < 3000; i++) {
		uint64_t v = draw(UNIFORM, UINT64_C(1000000000000)); /* b: large ones, in octaves a lacks */
		sim_hist_record(&b, v);
		sim_hist_record(&all, v);
	}
	sim_hist_merge(&a, &b);
	check_same(&a, &all, "merge(a, b)");

	/* Merging an empty histogram changes nothing; merging into an empty one copies. */
	sim_hist_merge(&a, &empty);
	check_same(&a, &all, "merge(a, empty)");
	sim_hist_merge(&empty, &all);
	check_same(&empty, &all, "merge(empty, all)");
	cr_assert_leq(empty.ncounts, all.ncounts, "merge grew past the source's top octave: %u slots", empty.ncounts);

	/* b merged into a copy of itself: the counts double, the extremes stay. */
	sim_hist_clear(&empty);
	sim_hist_merge(&empty, &b);
	sim_hist_merge(&empty, &b);
	cr_assert(empty.total == 2 * b.total && empty.min == b.min && empty.max == b.max,
		  "b + b: total %" PRIu64 " min %" PRIu64 " max %" PRIu64, empty.total, empty.min, empty.max);

	sim_hist_clear(&a);
	sim_hist_clear(&b);
	sim_hist_clear(&all);
	sim_hist_clear(&empty);
}

Test(hist, record_n_equals_n_records)
{
	struct sim_hist one, many;
	static const struct {
		uint64_t v, n;
	} recs[] = { { 0, 3 }, { 127, 1 }, { 1000, 5 }, { UINT64_C(123456789), 2 }, { 1000, 1 }, { UINT64_MAX, 4 } };

	sim_hist_init(&one);
	sim_hist_init(&many);
	for (size_t i = 0; i < G_N_ELEMENTS(recs); i++) {
		sim_hist_record_n(&one, recs[i].v, recs[i].n);
		for (uint64_t j = 0; j < recs[i].n; j++)
			sim_hist_record(&many, recs[i].v);
	}
	check_same(&one, &many, "record_n vs record");
	sim_hist_clear(&one);
	sim_hist_clear(&many);

	/* Counts beyond what anyone would record one by one. */
	sim_hist_init(&one);
	sim_hist_record_n(&one, 10, UINT64_C(1000000000000000));
	sim_hist_record_n(&one, 20, UINT64_C(1000000000000000));
	cr_assert_eq(sim_hist_count(&one), UINT64_C(2000000000000000), "count %" PRIu64, sim_hist_count(&one));
	cr_assert(sim_hist_percentile(&one, 50) == 10.0 && sim_hist_percentile(&one, 50.0001) == 20.0, "p50 %g p50.0001 %g",
		  sim_hist_percentile(&one, 50), sim_hist_percentile(&one, 50.0001));
	cr_assert(sim_hist_mean(&one) == 15.0, "mean %g", sim_hist_mean(&one));
	sim_hist_clear(&one);
}
