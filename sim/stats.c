/* SPDX-License-Identifier: MIT */
/*
 * stats.c - time-weighted gauges and log-linear histograms (sim/stats.h has the layout and bound).
 * Role: what models record into on their hot paths; the engine resets tracked ones after warm-up
 *       (sim_track_* live in run.c) and the reporting code reads means and percentiles at the end.
 * Cost: gauge_set O(1); hist_record O(1), allocating only when a value lands in an octave above
 *       every earlier one (counts grow an octave at a time, so an empty histogram owns nothing);
 *       percentile O(slots), at most 3776 slots for the whole uint64 range.
 * Floating point: only in reported numbers (gauge area and mean, hist sum and percentile
 *       midpoints); slots, counts and ranks are integers, so equal inputs give equal buckets.
 * See: sim/stats.h; tests/unit/sim/test_stats.c
 */
#include <string.h>

#include "sim/sim.h"

/* ---- gauges ---- */

void sim_gauge_init(struct sim_gauge *g, sim_time_t now, double value)
{
	g->value = value;
	g->area = 0.0;
	g->min = g->max = value;
	g->start = g->since = now;
}

/* Closes the interval [since, now) at the old value, then takes the new one. */
void sim_gauge_set(struct sim_gauge *g, sim_time_t now, double value)
{
	SIM_ASSERT(NULL, now >= g->since);
	g->area += g->value * (double)(now - g->since);
	g->since = now;
	g->value = value;
	if (value < g->min)
		g->min = value;
	if (value > g->max)
		g->max = value;
}

double sim_gauge_mean(const struct sim_gauge *g, sim_time_t now)
{
	SIM_ASSERT(NULL, now >= g->since);
	if (now == g->start)
		return g->value;
	return (g->area + g->value * (double)(now - g->since)) / (double)(now - g->start);
}

void sim_gauge_reset(struct sim_gauge *g, sim_time_t now)
{
	sim_gauge_init(g, now, g->value);
}

/* ---- histograms ---- */

#define SUB_COUNT (1u << SIM_HIST_SUB_BITS) /* 64 */
/* Slots: 128 exact ones, then 64 for each octave k = 7 .. 63. */
#define SLOT_COUNT (SIM_HIST_EXACT + (64u - (SIM_HIST_SUB_BITS + 1)) * SUB_COUNT)

/*
 * v < 128 is its own slot. Otherwise v = 2^k + j * 2^(k-6) + r with k = floor(log2 v) >= 7 and
 * j < 64 (the 6 bits below the leading one): slot 128 + (k-7)*64 + j.
 */
uint32_t sim_hist_slot(uint64_t value)
{
	unsigned k, sub;

	if (value < SIM_HIST_EXACT)
		return (uint32_t)value;
	k = 63u - (unsigned)__builtin_clzll(value);
	sub = (unsigned)(value >> (k - SIM_HIST_SUB_BITS)) & (SUB_COUNT - 1);
	return SIM_HIST_EXACT + (k - (SIM_HIST_SUB_BITS + 1)) * SUB_COUNT + sub;
}

void sim_hist_slot_range(uint32_t slot, uint64_t *lo, uint64_t *hi)
{
	unsigned k, sub;

	g_return_if_fail(slot < SLOT_COUNT);
	if (slot < SIM_HIST_EXACT) {
		*lo = *hi = slot;
		return;
	}
	k = (slot - SIM_HIST_EXACT) / SUB_COUNT + SIM_HIST_SUB_BITS + 1;
	sub = (slot - SIM_HIST_EXACT) % SUB_COUNT;
	/* (64 + sub) << (k-6) <= 127 << 57 and hi <= 2^64 - 1: neither overflows. */
	*lo = (uint64_t)(SUB_COUNT + sub) << (k - SIM_HIST_SUB_BITS);
	*hi = *lo + ((UINT64_C(1) << (k - SIM_HIST_SUB_BITS)) - 1);
}

void sim_hist_init(struct sim_hist *h)
{
	memset(h, 0, sizeof *h);
}

void sim_hist_clear(struct sim_hist *h)
{
	g_free(h->counts);
	sim_hist_init(h);
}

void sim_hist_reset(struct sim_hist *h)
{
	if (h->ncounts)
		memset(h->counts, 0, h->ncounts * sizeof h->counts[0]);
	h->total = 0;
	h->min = h->max = 0;
	h->sum = 0.0;
}

/* Makes counts[slot] valid: grows to the end of slot's octave (the exact range is one block). */
static void hist_reserve(struct sim_hist *h, uint32_t slot)
{
	uint32_t n;

	if (slot < h->ncounts)
		return;
	if (slot < SIM_HIST_EXACT)
		n = SIM_HIST_EXACT;
	else
		n = SIM_HIST_EXACT + ((slot - SIM_HIST_EXACT) / SUB_COUNT + 1) * SUB_COUNT;
	h->counts = g_renew(uint64_t, h->counts, n);
	memset(h->counts + h->ncounts, 0, (n - h->ncounts) * sizeof h->counts[0]);
	h->ncounts = n;
}

void sim_hist_record_n(struct sim_hist *h, uint64_t value, uint64_t count)
{
	uint32_t slot;

	if (count == 0)
		return;
	slot = sim_hist_slot(value);
	hist_reserve(h, slot);
	h->counts[slot] += count;
	if (h->total == 0 || value < h->min)
		h->min = value;
	if (h->total == 0 || value > h->max)
		h->max = value;
	h->total += count;
	h->sum += (double)value * (double)count;
}

void sim_hist_record(struct sim_hist *h, uint64_t value)
{
	sim_hist_record_n(h, value, 1);
}

void sim_hist_merge(struct sim_hist *dst, const struct sim_hist *src)
{
	uint32_t top;

	if (src->total == 0)
		return;
	top = sim_hist_slot(src->max); /* src's counts above this slot are all zero */
	hist_reserve(dst, top);
	for (uint32_t i = 0; i <= top; i++)
		dst->counts[i] += src->counts[i];
	if (dst->total == 0 || src->min < dst->min)
		dst->min = src->min;
	if (dst->total == 0 || src->max > dst->max)
		dst->max = src->max;
	dst->total += src->total;
	dst->sum += src->sum;
}

/*
 * Nearest rank ceil(p/100 * total), at least 1. p is first rounded to a whole number of parts
 * per 10^11 (nine decimals of a percent), so that p = 99.9 means the decimal 99.9 and not the
 * double just above it: with total = 1000 that is rank 999, where the product in doubles would
 * give 999.0000000000001 and rank 1000. The rest is integer arithmetic in 128 bits.
 * The first and the last rank are min and max exactly; any other rank is reported as the
 * midpoint of its slot, clamped to [min, max] (sim/stats.h derives the 1/128 error bound).
 */
double sim_hist_percentile(const struct sim_hist *h, double p)
{
	const uint64_t scale = UINT64_C(100000000000); /* 100% in parts per 10^11 */
	uint64_t pp, rank, seen = 0, lo, hi;
	double mid;
	uint32_t i;

	g_return_val_if_fail(p >= 0.0 && p <= 100.0, 0.0); /* also rejects NaN */
	if (h->total == 0)
		return 0.0;
	pp = (uint64_t)(p * 1e9 + 0.5);
	rank = (uint64_t)(((unsigned __int128)pp * h->total + scale - 1) / scale);
	if (rank <= 1)
		return (double)h->min;
	if (rank >= h->total)
		return (double)h->max;
	for (i = 0; i < h->ncounts; i++) {
		seen += h->counts[i];
		if (seen >= rank)
			break;
	}
	SIM_ASSERT(NULL, i < h->ncounts); /* the counts add up to total */
	sim_hist_slot_range(i, &lo, &hi);
	mid = (double)lo + (double)(hi - lo) / 2.0;
	if (mid < (double)h->min)
		return (double)h->min;
	if (mid > (double)h->max)
		return (double)h->max;
	return mid;
}

double sim_hist_mean(const struct sim_hist *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}
