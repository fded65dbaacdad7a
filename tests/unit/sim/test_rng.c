/* SPDX-License-Identifier: MIT */
/*
 * test_rng.c - named streams and distributions (sim/rng.h).
 * Checks: (a) known values: splitmix64 and FNV-1a against their published outputs, and the first
 * raw outputs and first draws of every distribution of one stream pinned bit for bit, so any change
 * to seeding, the generator or a formula fails here first (xoshiro256** and the pinned values were
 * cross-checked against an independent Python transcription of the reference algorithms);
 * (b) stream isolation: a stream's draws do not depend on other streams being seeded or drawn
 * before, after or in between, while different names and different master seeds give different
 * sequences; sim_seed_derive is deterministic and injective in the index;
 * (c) distributions: with 10^6 draws from a fixed stream, sample mean and variance within 5 standard
 * errors of the exact values (standard errors from each distribution's exact variance and kurtosis),
 * chi-square uniformity of sim_rng_below for a small and a huge non-power-of-two bound, its
 * rejection rate, and sim_rng_choice frequencies within 5 binomial standard deviations.
 * The draws are fixed by the seed, so each test either always passes or always fails; the 5-sigma
 * bounds say how unlikely a correct implementation is to fail for an arbitrary seed (< 1e-6 each).
 * Leaves unchecked: higher-order independence of the generator (the job of TestU01/PractRand on
 * xoshiro256**, not of a unit test), tails beyond what 10^6 draws reach, and the -O0 build.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/rng.h"

#define N_DRAWS 1000000

static uint64_t bits(double x)
{
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

/* ---------------------------------------------------------------------------------------------- */
/* (a) known values                                                                              */

Test(rng, splitmix64_known_values)
{
	uint64_t x = 0;
	uint64_t first = sim_splitmix64(&x);
	cr_assert_eq(first, UINT64_C(0xe220a8397b1dcdaf), "splitmix64 from 0: %016" PRIx64, first);
	cr_assert_eq(x, UINT64_C(0x9e3779b97f4a7c15), "state after one step: %016" PRIx64, x);
}

Test(rng, fnv1a64_known_values)
{
	cr_assert_eq(sim_fnv1a64(""), UINT64_C(0xcbf29ce484222325), "fnv1a64(\"\") = %016" PRIx64, sim_fnv1a64(""));
	cr_assert_eq(sim_fnv1a64("a"), UINT64_C(0xaf63dc4c8601ec8c), "fnv1a64(\"a\") = %016" PRIx64, sim_fnv1a64("a"));
	cr_assert_eq(sim_fnv1a64("foobar"), UINT64_C(0x85944171f73967e8), "fnv1a64(\"foobar\") = %016" PRIx64,
		     sim_fnv1a64("foobar"));
}

Test(rng, raw_outputs_pinned)
{
	static const uint64_t want[4] = {
		UINT64_C(0x222c08cba5a0aaab),
		UINT64_C(0xe975d4b20b0de751),
		UINT64_C(0x7959150bf9bcf7df),
		UINT64_C(0xddb3b25902431aa9),
	};
	sim_rng_t r;
	sim_rng_seed(&r, 42, "test/stream");
	for (int i = 0; i < 4; i++) {
		uint64_t got = sim_rng_next(&r);
		cr_assert_eq(got, want[i], "output %d of \"test/stream\"@42: %016" PRIx64 ", want %016" PRIx64, i, got,
			     want[i]);
	}
}

/* The first draw of each distribution from a fresh "test/stream"@42, as exact bit patterns. */
Test(rng, first_draws_pinned)
{
	sim_rng_t r;
	double x;
#define FIRST(call, want)                                                                                          \
	do {                                                                                                       \
		sim_rng_seed(&r, 42, "test/stream");                                                               \
		x = (call);                                                                                        \
		cr_assert_eq(bits(x), UINT64_C(want), "%s = %a (bits %016" PRIx64 ")", #call, x, bits(x));        \
	} while (0)
	FIRST(sim_rng_uniform(&r), 0x3fc1160465d2d054);
	FIRST(sim_rng_exp(&r, 1.0), 0x3fc256d750783735);
	FIRST(sim_rng_std_normal(&r), 0xbfb42ac2ee1cc90e);
	FIRST(sim_rng_lognormal(&r, 0.0, 1.0), 0x3fed936b6b50a583);
	FIRST(sim_rng_lognormal_mean_cv(&r, 3.0, 0.5), 0x4004ae9ec7134c36);
	FIRST(sim_rng_bounded_pareto(&r, 1.5, 1.0, 100.0), 0x3ff19a117769165b);
#undef FIRST

	static const uint64_t dice[10] = {0, 5, 2, 5, 3, 4, 1, 1, 2, 5};
	sim_rng_seed(&r, 42, "test/stream");
	for (int i = 0; i < 10; i++) {
		uint64_t got = sim_rng_below(&r, 6);
		cr_assert_eq(got, dice[i], "below(6) draw %d: %" PRIu64 ", want %" PRIu64, i, got, dice[i]);
	}
	sim_rng_seed(&r, 42, "test/stream");
	uint64_t big = sim_rng_below(&r, UINT64_C(3) << 62);
	cr_assert_eq(big, UINT64_C(0x19a10698bc388000), "below(3 * 2^62) = %016" PRIx64, big);

	static const double w[] = {1.0, 0.0, 2.0, 3.5, 0.5};
	static const size_t picks[8] = {0, 3, 3, 3, 3, 3, 2, 2};
	struct sim_choice c;
	cr_assert(sim_choice_init(&c, w, 5));
	sim_rng_seed(&r, 42, "test/stream");
	for (int i = 0; i < 8; i++) {
		size_t got = sim_rng_choice(&r, &c);
		cr_assert_eq(got, picks[i], "choice draw %d: %zu, want %zu", i, got, picks[i]);
	}
	sim_choice_clear(&c);

	uint64_t d0 = sim_seed_derive(42, "replication", 0), d1 = sim_seed_derive(42, "replication", 1);
	cr_assert_eq(d0, UINT64_C(0x6b62847a9c995053), "derive(42, replication, 0) = %016" PRIx64, d0);
	cr_assert_eq(d1, UINT64_C(0x8965e000baa12d81), "derive(42, replication, 1) = %016" PRIx64, d1);
}

/* ---------------------------------------------------------------------------------------------- */
/* (b) stream isolation                                                                          */

#define ISO_N 2000

/* One value of a mixed sequence: raw, bounded integer, exponential and normal draws in turn (the
 * normal consumes a variable number of raw outputs). */
static uint64_t mixed_draw(sim_rng_t *r, int i)
{
	switch (i % 4) {
	case 0:
		return sim_rng_next(r);
	case 1:
		return sim_rng_below(r, 1000);
	case 2:
		return bits(sim_rng_exp(r, 3.0));
	default:
		return bits(sim_rng_std_normal(r));
	}
}

static void assert_same(const uint64_t *got, const uint64_t *want, const char *how)
{
	for (int i = 0; i < ISO_N; i++)
		cr_assert_eq(got[i], want[i], "%s: draw %d of \"a\" is %016" PRIx64 ", alone it was %016" PRIx64, how, i,
			     got[i], want[i]);
}

Test(rng, stream_isolation)
{
	static uint64_t ref[ISO_N], got[ISO_N];
	sim_rng_t a, b;

	sim_rng_seed(&a, 7, "a");
	for (int i = 0; i < ISO_N; i++)
		ref[i] = mixed_draw(&a, i);

	/* b seeded and drawn before a is seeded */
	sim_rng_seed(&b, 7, "b");
	for (int i = 0; i < 500; i++)
		(void)mixed_draw(&b, i);
	sim_rng_seed(&a, 7, "a");
	for (int i = 0; i < ISO_N; i++)
		got[i] = mixed_draw(&a, i);
	assert_same(got, ref, "b before a");

	/* b seeded after a, then drawn between a's draws, a varying number of times */
	sim_rng_seed(&a, 7, "a");
	got[0] = mixed_draw(&a, 0);
	sim_rng_seed(&b, 7, "b");
	for (int i = 1; i < ISO_N; i++) {
		for (int j = 0; j < i % 5; j++)
			(void)mixed_draw(&b, i + j);
		got[i] = mixed_draw(&a, i);
	}
	assert_same(got, ref, "interleaved with b");

	/* b reseeded repeatedly and drawn after all of a's draws: a's values were already final */
	sim_rng_seed(&a, 7, "a");
	for (int i = 0; i < ISO_N; i++) {
		got[i] = mixed_draw(&a, i);
		if (i % 100 == 0)
			sim_rng_seed(&b, 7, "b");
	}
	for (int i = 0; i < 500; i++)
		(void)mixed_draw(&b, i);
	assert_same(got, ref, "b reseeded during a, drawn after");
}

/* First four raw outputs: equal sequences would agree on all four. */
static void first_four(uint64_t master, const char *name, uint64_t out[4])
{
	sim_rng_t r;
	sim_rng_seed(&r, master, name);
	for (int i = 0; i < 4; i++)
		out[i] = sim_rng_next(&r);
}

Test(rng, names_and_seeds_give_different_sequences)
{
	static const char *const names[] = {"a", "b", "A", "a/", "", "vm:web/vp:0", "vm:web/vp:1", "vm:web/vp:10"};
	enum { NN = sizeof names / sizeof names[0] };
	uint64_t seq[NN][4];
	for (int i = 0; i < NN; i++)
		first_four(7, names[i], seq[i]);
	for (int i = 0; i < NN; i++)
		for (int j = i + 1; j < NN; j++)
			for (int k = 0; k < 4; k++)
				cr_assert_neq(seq[i][k], seq[j][k], "\"%s\" and \"%s\" share output %d: %016" PRIx64, names[i],
					      names[j], k, seq[i][k]);

	static const uint64_t seeds[] = {0, 1, 2, 42, UINT64_C(1) << 63, UINT64_MAX};
	enum { NS = sizeof seeds / sizeof seeds[0] };
	uint64_t by_seed[NS][4];
	for (int i = 0; i < NS; i++)
		first_four(seeds[i], "a", by_seed[i]);
	for (int i = 0; i < NS; i++)
		for (int j = i + 1; j < NS; j++)
			for (int k = 0; k < 4; k++)
				cr_assert_neq(by_seed[i][k], by_seed[j][k],
					      "seeds %" PRIu64 " and %" PRIu64 " share output %d: %016" PRIx64, seeds[i], seeds[j],
					      k, by_seed[i][k]);

	/* and the same (seed, name) twice gives the same sequence */
	uint64_t again[4];
	first_four(7, "vm:web/vp:1", again);
	cr_assert_arr_eq(again, seq[6], sizeof again, "reseeding \"vm:web/vp:1\" changed its outputs");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

Test(rng, seed_derive_deterministic_and_distinct)
{
	enum { NI = 10000 };
	static uint64_t s[NI];
	for (uint64_t i = 0; i < NI; i++) {
		s[i] = sim_seed_derive(99, "replication", i);
		cr_assert_eq(s[i], sim_seed_derive(99, "replication", i), "derive(99, replication, %" PRIu64 ") not repeatable", i);
	}
	cr_assert_neq(sim_seed_derive(99, "replication", 0), sim_seed_derive(99, "warmup", 0), "purpose ignored");
	cr_assert_neq(sim_seed_derive(99, "replication", 0), sim_seed_derive(100, "replication", 0), "master seed ignored");
	qsort(s, NI, sizeof s[0], cmp_u64);
	for (int i = 1; i < NI; i++)
		cr_assert_neq(s[i], s[i - 1], "two indices derive the same seed %016" PRIx64, s[i]);
}

/* ---------------------------------------------------------------------------------------------- */
/* (c) distributions                                                                             */

struct sample {
	double mean, var; /* sample mean; unbiased sample variance (Welford) */
	double min, max;
};

static struct sample sample_of(const char *stream, double (*draw)(sim_rng_t *))
{
	sim_rng_t r;
	sim_rng_seed(&r, 2024, stream);
	double mean = 0.0, m2 = 0.0, lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < N_DRAWS; i++) {
		double x = draw(&r);
		double d = x - mean;
		mean += d / (i + 1);
		m2 += d * (x - mean);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	return (struct sample){.mean = mean, .var = m2 / (N_DRAWS - 1), .min = lo, .max = hi};
}

/*
 * The sample mean has standard error sigma / sqrt(n). The unbiased sample variance s^2 has
 * Var(s^2) = (mu4 - var^2 (n - 3) / (n - 1)) / n = var^2 (kurt - (n - 3) / (n - 1)) / n, where
 * kurt = mu4 / var^2 is the (non-excess) kurtosis; for large n its SE is var sqrt((kurt - 1) / n).
 * Both must lie within 5 SE of the exact values.
 */
static void check_moments(const char *what, struct sample s, double mean, double var, double kurt)
{
	const double n = N_DRAWS;
	double se_mean = sqrt(var / n);
	cr_assert_leq(fabs(s.mean - mean), 5.0 * se_mean, "%s: sample mean %.6g, exact %.6g, 5 SE = %.3g", what, s.mean,
		      mean, 5.0 * se_mean);
	double se_var = var * sqrt((kurt - (n - 3.0) / (n - 1.0)) / n);
	cr_assert_leq(fabs(s.var - var), 5.0 * se_var, "%s: sample variance %.6g, exact %.6g, 5 SE = %.3g", what,
		      s.var, var, 5.0 * se_var);
}

static double draw_uniform(sim_rng_t *r) { return sim_rng_uniform(r); }

/* U on [0, 1): mean 1/2, variance 1/12, kurtosis E[(U-1/2)^4] / (1/12)^2 = (1/80) * 144 = 9/5. */
Test(rng, uniform_moments)
{
	struct sample s = sample_of("test/uniform", draw_uniform);
	cr_assert(s.min >= 0.0 && s.max < 1.0, "uniform outside [0, 1): min %a max %a", s.min, s.max);
	check_moments("uniform", s, 0.5, 1.0 / 12.0, 1.8);
}

static double draw_uniform_range(sim_rng_t *r) { return sim_rng_uniform_range(r, -2.0, 6.0); }

Test(rng, uniform_range_moments)
{
	struct sample s = sample_of("test/uniform_range", draw_uniform_range);
	cr_assert(s.min >= -2.0 && s.max < 6.0, "uniform_range(-2, 6) outside: min %a max %a", s.min, s.max);
	check_moments("uniform_range(-2, 6)", s, 2.0, 64.0 / 12.0, 1.8);
}

static double draw_exp(sim_rng_t *r) { return sim_rng_exp(r, 2.5); }

/* Exponential, mean m: variance m^2, mu4 = 9 m^4, so kurtosis 9. */
Test(rng, exp_moments)
{
	struct sample s = sample_of("test/exp", draw_exp);
	cr_assert(s.min >= 0.0 && isfinite(s.max), "exp draws outside [0, inf): min %a max %a", s.min, s.max);
	check_moments("exp(mean 2.5)", s, 2.5, 6.25, 9.0);
}

static double draw_std_normal(sim_rng_t *r) { return sim_rng_std_normal(r); }
static double draw_normal(sim_rng_t *r) { return sim_rng_normal(r, -3.0, 2.0); }

/* Normal: kurtosis 3. */
Test(rng, normal_moments)
{
	check_moments("std_normal", sample_of("test/std_normal", draw_std_normal), 0.0, 1.0, 3.0);
	check_moments("normal(-3, 2)", sample_of("test/normal", draw_normal), -3.0, 4.0, 3.0);
}

/*
 * Lognormal exp(mu + sigma Z): mean exp(mu + s2/2), variance (exp(s2) - 1) exp(2 mu + s2) with
 * s2 = sigma^2, kurtosis exp(4 s2) + 2 exp(3 s2) + 3 exp(2 s2) - 3.
 */
static double lognormal_kurtosis(double s2) { return exp(4 * s2) + 2 * exp(3 * s2) + 3 * exp(2 * s2) - 3; }

static double draw_lognormal(sim_rng_t *r) { return sim_rng_lognormal(r, 0.3, 0.5); }

Test(rng, lognormal_moments)
{
	const double mu = 0.3, s2 = 0.25;
	struct sample s = sample_of("test/lognormal", draw_lognormal);
	cr_assert(s.min > 0.0, "lognormal draw %a <= 0", s.min);
	check_moments("lognormal(0.3, 0.5)", s, exp(mu + s2 / 2), (exp(s2) - 1) * exp(2 * mu + s2), lognormal_kurtosis(s2));
}

static double draw_lognormal_mean_cv(sim_rng_t *r) { return sim_rng_lognormal_mean_cv(r, 3.0, 0.5); }

/*
 * mean 3, cv 0.5: the requested mean, variance (cv mean)^2 = 2.25, and the kurtosis of a lognormal
 * with s2 = log(1 + cv^2). The sample cv = sqrt(s^2) / mean-hat then follows to first order: its
 * relative error is at most half the variance's plus the mean's, so the two 5 SE bands bound it by
 * cv * 5 (SE_var / (2 var) + SE_mean / mean) (0.9% of 0.5 here).
 */
Test(rng, lognormal_mean_cv_moments)
{
	const double mean = 3.0, cv = 0.5, var = (cv * mean) * (cv * mean), kurt = lognormal_kurtosis(log(1.0 + cv * cv));
	struct sample s = sample_of("test/lognormal_mean_cv", draw_lognormal_mean_cv);
	cr_assert(s.min > 0.0, "lognormal draw %a <= 0", s.min);
	check_moments("lognormal_mean_cv(3, 0.5)", s, mean, var, kurt);
	const double n = N_DRAWS;
	double se_var = var * sqrt((kurt - (n - 3.0) / (n - 1.0)) / n), se_mean = sqrt(var / n);
	double tol = cv * 5.0 * (se_var / (2.0 * var) + se_mean / mean);
	double cv_hat = sqrt(s.var) / s.mean;
	cr_assert_leq(fabs(cv_hat - cv), tol, "lognormal_mean_cv: sample cv %.5f, want %.2f +- %.4f", cv_hat, cv, tol);
}

/*
 * Bounded Pareto on [L, H], shape a: density a L^a x^(-a-1) / (1 - (L/H)^a), so for k != a
 * E[X^k] = a L^a (H^(k-a) - L^(k-a)) / ((k - a) (1 - (L/H)^a)). Central moments from raw ones:
 * var = m2 - m1^2, mu4 = m4 - 4 m1 m3 + 6 m1^2 m2 - 3 m1^4. For a = 1.5, L = 1, H = 100: mean 2.703,
 * variance 19.72, kurtosis 129 (the 5 SE band on the variance is +-5.7%).
 */
static double pareto_raw_moment(double a, double L, double H, int k)
{
	return a * pow(L, a) * (pow(H, k - a) - pow(L, k - a)) / ((k - a) * (1 - pow(L / H, a)));
}

static double draw_pareto(sim_rng_t *r) { return sim_rng_bounded_pareto(r, 1.5, 1.0, 100.0); }

Test(rng, bounded_pareto_moments)
{
	const double a = 1.5, L = 1.0, H = 100.0;
	double m1 = pareto_raw_moment(a, L, H, 1), m2 = pareto_raw_moment(a, L, H, 2);
	double m3 = pareto_raw_moment(a, L, H, 3), m4 = pareto_raw_moment(a, L, H, 4);
	double var = m2 - m1 * m1;
	double mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 * m1 * m1 * m1;
	struct sample s = sample_of("test/bounded_pareto", draw_pareto);
	cr_assert(s.min >= L && s.max <= H, "bounded Pareto outside [1, 100]: min %a max %a", s.min, s.max);
	check_moments("bounded_pareto(1.5, 1, 100)", s, m1, var, mu4 / (var * var));
}

/*
 * Chi-square critical value with k degrees of freedom at "5 sigma": the Wilson-Hilferty
 * approximation (chi2_k / k)^(1/3) ~ N(1 - 2/(9k), 2/(9k)) with z = 5. The one-sided normal tail
 * beyond 5 sigma is 2.9e-7; the exact chi-square tail at this value is 1.1e-7 for k = 5 and 1.5e-7
 * for k = 8 (computed with mpmath), i.e. the bound is slightly conservative.
 */
static double chi2_critical(int k)
{
	double v = 2.0 / (9.0 * k);
	double c = 1.0 - v + 5.0 * sqrt(v);
	return k * c * c * c;
}

static double chi2_uniform(const uint64_t *count, int bins, double n)
{
	double e = n / bins, chi2 = 0.0;
	for (int i = 0; i < bins; i++)
		chi2 += (count[i] - e) * (count[i] - e) / e;
	return chi2;
}

/* Raw outputs consumed between two states of a stream (steps a copy of `from` until it equals `to`). */
static uint64_t raw_steps(sim_rng_t from, const sim_rng_t *to, uint64_t limit)
{
	uint64_t n = 0;
	while (memcmp(from.s, to->s, sizeof from.s) != 0 && n < limit) {
		(void)sim_rng_next(&from);
		n++;
	}
	return n;
}

/*
 * n = 6: 10^6 draws, 5 degrees of freedom. The rejection threshold is 2^64 mod 6 = 4, so a rejection
 * has probability 2^-62 per draw and the draws must consume exactly one raw output each.
 */
Test(rng, below_small_chi_square)
{
	sim_rng_t r, start;
	sim_rng_seed(&r, 2024, "test/below6");
	start = r;
	uint64_t count[6] = {0};
	for (int i = 0; i < N_DRAWS; i++) {
		uint64_t v = sim_rng_below(&r, 6);
		cr_assert_lt(v, UINT64_C(6), "below(6) = %" PRIu64, v);
		count[v]++;
	}
	double chi2 = chi2_uniform(count, 6, N_DRAWS), crit = chi2_critical(5);
	cr_assert_leq(chi2, crit, "below(6): chi2 %.2f > %.2f; counts %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
		      " %" PRIu64, chi2, crit, count[0], count[1], count[2], count[3], count[4], count[5]);
	uint64_t used = raw_steps(start, &r, 2 * N_DRAWS);
	cr_assert_eq(used, (uint64_t)N_DRAWS, "below(6) consumed %" PRIu64 " raw outputs for %d draws", used, N_DRAWS);

	sim_rng_seed(&r, 2024, "test/below1");
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(sim_rng_below(&r, 1), UINT64_C(0), "below(1) must be 0");
}

/*
 * n = 3 * 2^62 (not a power of two, 2^64 mod n = 2^62). Nine bins: the top two bits (v >> 62, in
 * {0, 1, 2}) times v mod 3. Plain x mod n would put half the mass in top bin 0; multiply-shift
 * without rejection would give residue 0 mod 3 twice the mass of the others (floor(3x/4) hits every
 * third value twice). Under uniformity each bin has probability 1/9 up to 2^-62. The low word of
 * x * n is uniform on {0, 2^62, 2^63, 3 * 2^62}, so exactly 1/4 of the attempts are rejected: the
 * attempts per draw are geometric with p = 3/4, mean 4/3 and variance (1 - p) / p^2 = 4/9.
 */
Test(rng, below_huge_chi_square_and_rejection_rate)
{
	const uint64_t n = UINT64_C(3) << 62;
	const int draws = 900000;
	sim_rng_t r, start;
	sim_rng_seed(&r, 2024, "test/below_huge");
	start = r;
	uint64_t count[9] = {0};
	for (int i = 0; i < draws; i++) {
		uint64_t v = sim_rng_below(&r, n);
		cr_assert_lt(v, n, "below(3 * 2^62) = %016" PRIx64, v);
		count[(v >> 62) * 3 + v % 3]++;
	}
	double chi2 = chi2_uniform(count, 9, draws), crit = chi2_critical(8);
	cr_assert_leq(chi2, crit, "below(3 * 2^62): chi2 %.2f > %.2f (bin 0: %" PRIu64 ", bin 1: %" PRIu64 ")", chi2, crit,
		      count[0], count[1]);

	uint64_t used = raw_steps(start, &r, 3 * (uint64_t)draws);
	double mean = draws * 4.0 / 3.0, sd = sqrt(draws * 4.0 / 9.0);
	cr_assert_leq(fabs(used - mean), 5.0 * sd,
		      "below(3 * 2^62): %" PRIu64 " raw outputs for %d draws, expected %.0f +- %.0f", used, draws, mean,
		      5.0 * sd);

	sim_rng_seed(&r, 2024, "test/below_max");
	for (int i = 0; i < 1000; i++)
		cr_assert_lt(sim_rng_below(&r, UINT64_MAX), UINT64_MAX, "below(2^64 - 1) out of range");
}

/* Each count is Binomial(N, p_i): within 5 sd = 5 sqrt(N p_i (1 - p_i)) of N p_i; weight 0 never drawn. */
Test(rng, choice_frequencies)
{
	static const double w[] = {1.0, 0.0, 2.0, 3.5, 0.5, 0.0};
	enum { NW = sizeof w / sizeof w[0] };
	const double total = 7.0;
	struct sim_choice c;
	cr_assert(sim_choice_init(&c, w, NW), "init with valid weights failed");
	sim_rng_t r;
	sim_rng_seed(&r, 2024, "test/choice");
	uint64_t count[NW] = {0};
	for (int i = 0; i < N_DRAWS; i++) {
		size_t k = sim_rng_choice(&r, &c);
		cr_assert_lt(k, (size_t)NW, "choice index %zu out of range", k);
		count[k]++;
	}
	sim_choice_clear(&c);
	cr_assert_null(c.cum, "clear left cum");
	for (int i = 0; i < NW; i++) {
		double p = w[i] / total, want = N_DRAWS * p, sd = sqrt(N_DRAWS * p * (1 - p));
		if (w[i] == 0.0)
			cr_assert_eq(count[i], UINT64_C(0), "weight-0 index %d drawn %" PRIu64 " times", i, count[i]);
		else
			cr_assert_leq(fabs(count[i] - want), 5.0 * sd, "index %d: %" PRIu64 " draws, expected %.0f +- %.0f", i,
				      count[i], want, 5.0 * sd);
	}
}

Test(rng, choice_init_rejects_bad_weights)
{
	struct sim_choice c;
	const double zero[] = {0.0, 0.0}, neg[] = {1.0, -0.5}, nan[] = {1.0, NAN}, inf[] = {INFINITY, 1.0},
		     huge[] = {1.5e308, 1.5e308};
	cr_assert_not(sim_choice_init(&c, zero, 0), "n = 0 accepted");
	cr_assert_not(sim_choice_init(&c, zero, 2), "all-zero weights accepted");
	cr_assert_not(sim_choice_init(&c, neg, 2), "negative weight accepted");
	cr_assert_not(sim_choice_init(&c, nan, 2), "NaN weight accepted");
	cr_assert_not(sim_choice_init(&c, inf, 2), "infinite weight accepted");
	cr_assert_not(sim_choice_init(&c, huge, 2), "weights summing to inf accepted");
	cr_assert(c.cum == NULL && c.n == 0, "failed init left cum %p n %zu", (void *)c.cum, c.n);
	sim_choice_clear(&c); /* safe after a failed init */

	/* a single positive weight among zeros is always chosen */
	const double one[] = {0.0, 0.0, 4.0, 0.0};
	cr_assert(sim_choice_init(&c, one, 4));
	sim_rng_t r;
	sim_rng_seed(&r, 2024, "test/choice_one");
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(sim_rng_choice(&r, &c), (size_t)2, "only index 2 has weight");
	sim_choice_clear(&c);
}
