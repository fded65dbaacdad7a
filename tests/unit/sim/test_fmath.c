/* SPDX-License-Identifier: MIT */
/*
 * test_fmath.c - sim_log, sim_exp, sim_pow (sim/fmath.h).
 * Checks: the special values of the contract (log(1) = +0 and exp(0) = 1 exactly, zeros, infinities,
 * NaN, negative arguments, overflow and underflow); an error of at most MAX_ULPS ulps against the
 * C library over wide ranges (log on [1e-300, 1e300], around 1, around the reduction boundaries
 * sqrt(2) * 2^k and among subnormals; exp on [-740, 709], near 0, with subnormal results and up to
 * overflow; pow with |y log x| <= 700);
 * log(exp(x)) == x within the error the two bounds allow; and a digest of the result bits over
 * fixed arguments, so a change of algorithm, constant or compiler contraction cannot pass unseen.
 * Leaves unchecked: correct rounding (libm is the reference and is itself ~0.5 ulp off), pow with
 * subnormal or overflowing results beyond spot values, and the -O0 build (the determinism suite
 * compares -O0 and -O2 digests of whole runs).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "sim/fmath.h"

/* The contract in sim/fmath.h. Measured maxima against glibc 2.36 when written: 1 ulp for each function. */
#define MAX_ULPS 4

static uint64_t bits(double x)
{
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	return u;
}

/* Doubles ordered as integers: the distance between two finite doubles in units in the last place. */
static int64_t ordered(double x)
{
	uint64_t u = bits(x);
	return (u >> 63) ? -(int64_t)(u & ~(1ull << 63)) : (int64_t)u;
}

static uint64_t ulp_dist(double a, double b)
{
	int64_t d = ordered(a) - ordered(b);
	return d < 0 ? (uint64_t)-d : (uint64_t)d;
}

/* Local generator (xorshift64) so these tests do not depend on sim/rng.c. */
static uint64_t gen_state = 0x853c49e6748fea9bull;
static double gen_unit(void)
{
	gen_state ^= gen_state << 13;
	gen_state ^= gen_state >> 7;
	gen_state ^= gen_state << 17;
	return (double)(gen_state >> 11) * 0x1.0p-53;
}

struct worst {
	uint64_t ulps;
	double x, y;
};

static void track(struct worst *w, double got, double want, double x, double y)
{
	uint64_t d = ulp_dist(got, want);
	if (d > w->ulps) {
		w->ulps = d;
		w->x = x;
		w->y = y;
	}
}

Test(fmath, log_special_values)
{
	cr_assert_eq(bits(sim_log(1.0)), bits(0.0), "log(1) = %a, want +0 exactly", sim_log(1.0));
	cr_assert(isinf(sim_log(0.0)) && sim_log(0.0) < 0, "log(+0) = %a", sim_log(0.0));
	cr_assert(isinf(sim_log(-0.0)) && sim_log(-0.0) < 0, "log(-0) = %a", sim_log(-0.0));
	cr_assert(isnan(sim_log(-1.0)), "log(-1) = %a", sim_log(-1.0));
	cr_assert(isnan(sim_log(-INFINITY)), "log(-inf) = %a", sim_log(-INFINITY));
	cr_assert(isnan(sim_log(-0x1p-1074)), "log(-min subnormal) = %a", sim_log(-0x1p-1074));
	cr_assert(isnan(sim_log(NAN)), "log(NaN) = %a", sim_log(NAN));
	cr_assert(isinf(sim_log(INFINITY)) && sim_log(INFINITY) > 0, "log(inf) = %a", sim_log(INFINITY));
	/* the ends of the positive range, subnormal included */
	const double ends[] = {0x1p-1074, 0x1.8p-1070, 0x1.fffffffffffffp-1023, 0x1p-1022, 0x1.fffffffffffffp+1023, 2.0, 0.5};
	for (size_t i = 0; i < sizeof ends / sizeof ends[0]; i++)
		cr_assert_leq(ulp_dist(sim_log(ends[i]), log(ends[i])), MAX_ULPS, "log(%a) = %a, libm %a", ends[i],
			      sim_log(ends[i]), log(ends[i]));
}

Test(fmath, exp_special_values)
{
	cr_assert_eq(bits(sim_exp(0.0)), bits(1.0), "exp(0) = %a, want 1 exactly", sim_exp(0.0));
	cr_assert_eq(bits(sim_exp(-0.0)), bits(1.0), "exp(-0) = %a, want 1 exactly", sim_exp(-0.0));
	cr_assert(isnan(sim_exp(NAN)), "exp(NaN) = %a", sim_exp(NAN));
	cr_assert(isinf(sim_exp(INFINITY)) && sim_exp(INFINITY) > 0, "exp(inf) = %a", sim_exp(INFINITY));
	cr_assert_eq(bits(sim_exp(-INFINITY)), bits(0.0), "exp(-inf) = %a", sim_exp(-INFINITY));
	/* overflow above ln(DBL_MAX) = 709.78..., underflow to 0 below ln(2^-1075) = -745.13... */
	cr_assert(isinf(sim_exp(709.8)), "exp(709.8) = %a", sim_exp(709.8));
	cr_assert(isinf(sim_exp(1e300)), "exp(1e300) = %a", sim_exp(1e300));
	cr_assert_eq(bits(sim_exp(-745.2)), bits(0.0), "exp(-745.2) = %a", sim_exp(-745.2));
	cr_assert_eq(bits(sim_exp(-1e300)), bits(0.0), "exp(-1e300) = %a", sim_exp(-1e300));
	const double edges[] = {709.78, 709.0, 708.0, -708.0, -708.4, -709.0, -720.0, -744.0, -745.0, 1e-300, -1e-300};
	for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
		cr_assert_leq(ulp_dist(sim_exp(edges[i]), exp(edges[i])), MAX_ULPS, "exp(%a) = %a, libm %a", edges[i],
			      sim_exp(edges[i]), exp(edges[i]));
	cr_assert(sim_exp(-745.0) > 0.0, "exp(-745) = %a, want the smallest subnormals, not 0", sim_exp(-745.0));
}

Test(fmath, pow_special_values)
{
	const double any[] = {0.0, 0.5, 1.0, 3.0, -2.0, INFINITY, -INFINITY, NAN};
	for (size_t i = 0; i < sizeof any / sizeof any[0]; i++) {
		cr_assert_eq(sim_pow(any[i], 0.0), 1.0, "pow(%a, 0) = %a", any[i], sim_pow(any[i], 0.0));
		cr_assert_eq(sim_pow(1.0, any[i]), 1.0, "pow(1, %a) = %a", any[i], sim_pow(1.0, any[i]));
	}
	cr_assert_eq(bits(sim_pow(0.0, 2.0)), bits(0.0), "pow(0, 2) = %a", sim_pow(0.0, 2.0));
	cr_assert(isinf(sim_pow(0.0, -1.0)), "pow(0, -1) = %a", sim_pow(0.0, -1.0));
	cr_assert(isinf(sim_pow(INFINITY, 0.5)), "pow(inf, 0.5) = %a", sim_pow(INFINITY, 0.5));
	cr_assert_eq(bits(sim_pow(INFINITY, -0.5)), bits(0.0), "pow(inf, -0.5) = %a", sim_pow(INFINITY, -0.5));
	cr_assert(isinf(sim_pow(2.0, INFINITY)), "pow(2, inf) = %a", sim_pow(2.0, INFINITY));
	cr_assert_eq(bits(sim_pow(0.5, INFINITY)), bits(0.0), "pow(0.5, inf) = %a", sim_pow(0.5, INFINITY));
	cr_assert(isnan(sim_pow(-2.0, 0.5)), "pow(-2, 0.5) = %a", sim_pow(-2.0, 0.5));
	cr_assert(isnan(sim_pow(NAN, 2.0)), "pow(NaN, 2) = %a", sim_pow(NAN, 2.0));
	cr_assert(isnan(sim_pow(2.0, NAN)), "pow(2, NaN) = %a", sim_pow(2.0, NAN));
	cr_assert(isinf(sim_pow(10.0, 400.0)), "pow(10, 400) = %a", sim_pow(10.0, 400.0));
	cr_assert_eq(bits(sim_pow(10.0, -400.0)), bits(0.0), "pow(10, -400) = %a", sim_pow(10.0, -400.0));
	/* a subnormal base goes through the scaled reduction */
	cr_assert_leq(ulp_dist(sim_pow(0x1p-1060, -0.5), 0x1p530), MAX_ULPS, "pow(2^-1060, -1/2) = %a",
		      sim_pow(0x1p-1060, -0.5));
	cr_assert_leq(ulp_dist(sim_pow(2.0, 10.0), 1024.0), MAX_ULPS, "pow(2, 10) = %a", sim_pow(2.0, 10.0));
}

/* x log-uniform over [1e-300, 1e300]: every binade of the normal range but the outermost ones. */
Test(fmath, log_ulps_wide_range)
{
	struct worst w = {0};
	for (int i = 0; i < 1000000; i++) {
		double x = exp(-690.7755 + 1381.551 * gen_unit());
		track(&w, sim_log(x), log(x), x, 0);
	}
	cr_assert_leq(w.ulps, MAX_ULPS, "log: %" PRIu64 " ulps at %a (got %a, libm %a)", w.ulps, w.x, sim_log(w.x), log(w.x));
}

/* Near 1 the result is small and log's relative accuracy depends on f = x - 1 being exact. */
Test(fmath, log_ulps_near_one)
{
	struct worst w = {0};
	for (int i = 0; i < 500000; i++) {
		double x = 1.0 + (gen_unit() - 0.5) * 0.9;
		track(&w, sim_log(x), log(x), x, 0);
		x = 1.0 + (gen_unit() - 0.5) * 1e-9;
		track(&w, sim_log(x), log(x), x, 0);
	}
	for (int k = -2000; k <= 2000; k++) {
		double x = 1.0 + k * 0x1p-52;
		track(&w, sim_log(x), log(x), x, 0);
	}
	cr_assert_leq(w.ulps, MAX_ULPS, "log: %" PRIu64 " ulps at %a (got %a, libm %a)", w.ulps, w.x, sim_log(w.x), log(w.x));
}

/* The reduction switches exponent at sqrt(1/2) * 2^k; walk 64 doubles either side, and subnormals. */
Test(fmath, log_ulps_reduction_edges_and_subnormals)
{
	struct worst w = {0};
	for (int e = -1020; e <= 1020; e += 7) {
		double edge = ldexp(0x1.6a09e667f3bcdp-1, e);
		double x = edge;
		for (int i = 0; i < 64; i++) {
			x = nextafter(x, INFINITY);
			track(&w, sim_log(x), log(x), x, 0);
		}
		x = edge;
		for (int i = 0; i < 64; i++) {
			x = nextafter(x, 0.0);
			track(&w, sim_log(x), log(x), x, 0);
		}
	}
	for (int i = 0; i < 100000; i++) {
		double x = ldexp(gen_unit(), -1022); /* subnormal */
		if (x > 0.0)
			track(&w, sim_log(x), log(x), x, 0);
	}
	cr_assert_leq(w.ulps, MAX_ULPS, "log: %" PRIu64 " ulps at %a (got %a, libm %a)", w.ulps, w.x, sim_log(w.x), log(w.x));
}

Test(fmath, exp_ulps)
{
	struct worst w = {0};
	for (int i = 0; i < 1000000; i++) {
		double x = -740.0 + 1449.0 * gen_unit(); /* [-740, 709] */
		track(&w, sim_exp(x), exp(x), x, 0);
		x = (gen_unit() - 0.5) * 2.0;
		track(&w, sim_exp(x), exp(x), x, 0);
	}
	for (int i = 0; i < 100000; i++) {
		double x = (gen_unit() - 0.5) * 1e-12;
		track(&w, sim_exp(x), exp(x), x, 0);
		/* the two-step scalings: subnormal results (ulps of 2^-1074 there) and the top binades */
		x = -745.13 + 37.13 * gen_unit();
		track(&w, sim_exp(x), exp(x), x, 0);
		x = 708.0 + 1.78 * gen_unit();
		track(&w, sim_exp(x), exp(x), x, 0);
	}
	cr_assert_leq(w.ulps, MAX_ULPS, "exp: %" PRIu64 " ulps at %a (got %a, libm %a)", w.ulps, w.x, sim_exp(w.x), exp(w.x));
}

/*
 * x log-uniform over [1e-300, 1e300], y such that |y log x| <= 700 (a normal result); this is where
 * an exp(y * log x) without extra precision would lose up to ~700 ulps. A third of the draws use
 * small |y| <= 3, the bounded-Pareto regime.
 */
Test(fmath, pow_ulps)
{
	struct worst w = {0};
	for (int i = 0; i < 500000; i++) {
		double x = exp(-690.7755 + 1381.551 * gen_unit());
		double lx = fabs(log(x));
		double y = (2.0 * gen_unit() - 1.0) * (i % 3 == 0 ? 3.0 : 700.0 / (lx > 1e-300 ? lx : 1.0));
		double want = pow(x, y);
		if (want < 0x1p-1022 || isinf(want))
			continue;
		track(&w, sim_pow(x, y), want, x, y);
	}
	cr_assert_leq(w.ulps, MAX_ULPS, "pow: %" PRIu64 " ulps at (%a, %a) (got %a, libm %a)", w.ulps, w.x, w.y,
		      sim_pow(w.x, w.y), pow(w.x, w.y));
}

/*
 * Each function is within MAX_ULPS ulps of libm and libm within 1 ulp of the exact value, so
 * within E = (MAX_ULPS + 1) ulps, i.e. a relative error <= E 2^-52. exp(x) = e^x (1 + d) with
 * |d| <= E 2^-52; its log is x + log(1 + d), off by |d| (to second order), and sim_log adds at most
 * E 2^-52 |x| more: |log(exp(x)) - x| <= E 2^-52 (1 + |x|), up to terms of order 2^-100.
 */
Test(fmath, log_of_exp_roundtrip)
{
	double worst = 0.0, at = 0.0;
	for (int i = 0; i < 200000; i++) {
		double x = -700.0 + 1400.0 * gen_unit();
		double bound = (MAX_ULPS + 1) * 0x1p-52 * (1.0 + fabs(x));
		double err = fabs(sim_log(sim_exp(x)) - x);
		if (err / bound > worst) {
			worst = err / bound;
			at = x;
		}
	}
	cr_assert_leq(worst, 1.0, "log(exp(%a)) = %a: error %.3g of the bound", at, sim_log(sim_exp(at)), worst);
}

/*
 * FNV-1a over the result bits of each function at fixed arguments. IEEE arithmetic without
 * contraction gives these bits everywhere; a different digest means the algorithm, a constant or
 * the compiler's floating-point settings changed (then every seeded run changes too). Update the
 * constants only together with a deliberate change to sim/fmath.c.
 */
static uint64_t digest_of(double (*f)(double, double), double lo, double span, int n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < n; i++) {
		double x = lo + span * i / n;
		uint64_t b = bits(f(x, (double)(i % 7) - 3.0 + 0.25));
		for (int k = 0; k < 8; k++) {
			h ^= (b >> (8 * k)) & 0xff;
			h *= 0x100000001b3ull;
		}
	}
	return h;
}
static double log_of(double x, double y)
{
	(void)y;
	return sim_log(x);
}
static double exp_of(double x, double y)
{
	(void)y;
	return sim_exp(x);
}
static double pow_of(double x, double y) { return sim_pow(x, y); }

Test(fmath, result_bits_pinned)
{
	uint64_t hl = digest_of(log_of, 1e-3, 1e3, 10000);
	uint64_t he = digest_of(exp_of, -700.0, 1400.0, 10000);
	uint64_t hp = digest_of(pow_of, 1e-2, 50.0, 10000);
	cr_assert_eq(hl, UINT64_C(0xcd4d6ff55f8ec131), "log digest %016" PRIx64, hl);
	cr_assert_eq(he, UINT64_C(0x78abd0ff44ca7b07), "exp digest %016" PRIx64, he);
	cr_assert_eq(hp, UINT64_C(0xbe0da176d55d478c), "pow digest %016" PRIx64, hp);
	cr_assert_eq(bits(sim_log(10.0)), UINT64_C(0x40026bb1bbb55516), "log(10) = %a", sim_log(10.0));
	cr_assert_eq(bits(sim_exp(1.0)), UINT64_C(0x4005bf0a8b14576a), "exp(1) = %a", sim_exp(1.0));
	cr_assert_eq(bits(sim_pow(2.0, 0.5)), UINT64_C(0x3ff6a09e667f3bcc), "pow(2, 1/2) = %a", sim_pow(2.0, 0.5));
}
