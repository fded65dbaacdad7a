/* SPDX-License-Identifier: MIT */
/*
 * rng.c - seeding of named streams and the distributions declared in sim/rng.h.
 * Role: turns (master seed, stream name) into xoshiro256** state, and raw 64-bit outputs into the
 *       draws models use. The generator step itself is inline in rng.h.
 * Determinism: integer operations, IEEE +, -, *, /, sqrt and sim_log/sim_exp/sim_pow only, so every
 *       draw has the same bits on every machine and optimisation level. Changing any formula here
 *       changes every run's numbers: tests/unit/sim/test_rng.c pins the first draws bit for bit.
 * Cost per draw (x86-64, -O2, throughput loop): raw/uniform 0.8 ns; below 3.4 ns; exp 6.8 ns (one
 *       sim_log); std_normal 15 ns (4/pi pairs of uniforms, one log, sqrt and division); lognormal
 *       28 ns; lognormal_mean_cv 45 ns; bounded Pareto 86 ns (two sim_pow); choice(16) 4.4 ns.
 * See: docs/design.md "Random numbers"; tests/unit/sim/test_rng.c
 */
#include "sim/rng.h"

#include <math.h> /* sqrt (correctly rounded, an instruction on x86-64/aarch64), isfinite, NAN */

#include <glib.h>

#include "sim/fmath.h"

/* Standard 64-bit FNV-1a (offset basis 0xcbf29ce484222325, prime 2^40 + 2^8 + 0xb3). */
uint64_t sim_fnv1a64(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Vigna's splitmix64: a Weyl sequence (golden-ratio increment) through a bijective 64-bit mixer. */
uint64_t sim_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * The four state words are four successive splitmix64 outputs from master_seed ^ fnv1a64(name),
 * as xoshiro's authors recommend for seeding. An all-zero state (xoshiro's one fixed point) cannot
 * arise: splitmix64's output function is a bijection, so at most one of the four distinct counter
 * values maps to 0. The guard states the requirement; it is never taken.
 */
void sim_rng_seed(sim_rng_t *r, uint64_t master_seed, const char *name)
{
	g_return_if_fail(r != NULL && name != NULL);
	uint64_t x = master_seed ^ sim_fnv1a64(name);
	for (int i = 0; i < 4; i++)
		r->s[i] = sim_splitmix64(&x);
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 1;
}

/*
 * seed = sm(sm(master_seed ^ fnv1a64(purpose)) ^ index), sm(v) being the output of one splitmix64
 * step from state v. The inner step mixes master seed and purpose; the outer one makes neighbouring
 * indices give unrelated seeds. For a fixed (master_seed, purpose) the map index -> seed is a
 * bijection (xor with a constant, then splitmix64's bijective output function), so distinct
 * replications never share a seed.
 */
uint64_t sim_seed_derive(uint64_t master_seed, const char *purpose, uint64_t index)
{
	g_return_val_if_fail(purpose != NULL, 0);
	uint64_t x = master_seed ^ sim_fnv1a64(purpose);
	uint64_t y = sim_splitmix64(&x) ^ index;
	return sim_splitmix64(&y);
}

/*
 * Lemire: the high word of x * n (x a raw 64-bit draw) is uniform on [0, n) once the draws whose
 * low word falls below 2^64 mod n are rejected. The modulo (one division) is computed only when the
 * low word is below n, i.e. with probability n / 2^64; the rejection probability is
 * (2^64 mod n) / 2^64 < n / 2^64. n = 0 is outside the contract and returns 0 (no division by 0).
 */
uint64_t sim_rng_below(sim_rng_t *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)sim_rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (G_UNLIKELY(lo < n)) {
		uint64_t threshold = -n % n; /* 2^64 mod n */
		while (lo < threshold) {
			m = (unsigned __int128)sim_rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/*
 * 1 - U is exact (U is a multiple of 2^-53 below 1) and lies in (0, 1], so the log is finite and
 * the draw is never infinite; the largest possible draw is 53 ln2 * mean ~ 36.7 mean.
 * 0.0 - log(...) rather than -log(...): U = 0 gives +0, not -0.
 */
double sim_rng_exp(sim_rng_t *r, double mean)
{
	double u = sim_rng_uniform(r);
	return mean * (0.0 - sim_log(1.0 - u));
}

/*
 * Marsaglia's polar method: (u, v) uniform in the square (-1, 1)^2 until it falls in the unit
 * disc (and not at its centre); then u * sqrt(-2 log(s) / s) is standard normal. Each attempt is
 * accepted with probability pi/4. u = 2U - 1 is exact, so u, v are multiples of 2^-52.
 */
double sim_rng_std_normal(sim_rng_t *r)
{
	double u, v, s;
	do {
		u = 2.0 * sim_rng_uniform(r) - 1.0;
		v = 2.0 * sim_rng_uniform(r) - 1.0;
		s = u * u + v * v;
	} while (s >= 1.0 || s == 0.0);
	return u * sqrt(-2.0 * sim_log(s) / s);
}

double sim_rng_lognormal(sim_rng_t *r, double mu, double sigma)
{
	return sim_exp(mu + sigma * sim_rng_std_normal(r));
}

/*
 * The underlying normal's parameters follow from E[X] = exp(mu + sigma^2/2) and
 * Var[X] / E[X]^2 = exp(sigma^2) - 1. They are recomputed per draw (two logs and a sqrt); a caller
 * drawing millions with fixed parameters can convert once and call sim_rng_lognormal instead,
 * which gives the same bits.
 */
double sim_rng_lognormal_mean_cv(sim_rng_t *r, double mean, double cv)
{
	g_return_val_if_fail(mean > 0.0 && cv >= 0.0, NAN);
	double sigma2 = sim_log(1.0 + cv * cv);
	double mu = sim_log(mean) - 0.5 * sigma2;
	return sim_rng_lognormal(r, mu, sqrt(sigma2));
}

/*
 * Inverse of the CDF F(x) = (1 - (lo/x)^alpha) / (1 - (lo/hi)^alpha) at U. U = 0 gives lo; the
 * result is clamped to hi because rounding in the two pows could push a draw with U near 1 a few
 * ulps past it. (lo/hi)^alpha is recomputed per draw (one extra pow).
 */
double sim_rng_bounded_pareto(sim_rng_t *r, double alpha, double lo, double hi)
{
	g_return_val_if_fail(alpha > 0.0 && lo > 0.0 && lo < hi, NAN);
	double tail = 1.0 - sim_pow(lo / hi, alpha); /* P(lo <= X <= hi) of the unbounded Pareto */
	double u = sim_rng_uniform(r);
	double x = lo * sim_pow(1.0 - u * tail, -1.0 / alpha);
	return x < hi ? x : hi;
}

/*
 * cum[i] = w[0] + ... + w[i], summed left to right. A weight of 0 gives cum[i] == cum[i - 1], so
 * "first index whose cum exceeds u" never selects it. Weights whose sum overflows to inf are
 * refused like an infinite weight. On failure *c is left empty (cum NULL, n 0), so
 * sim_choice_clear is always safe.
 */
bool sim_choice_init(struct sim_choice *c, const double *w, size_t n)
{
	g_return_val_if_fail(c != NULL, false);
	c->cum = NULL;
	c->n = 0;
	if (n == 0 || w == NULL)
		return false;
	double *cum = g_new(double, n);
	double total = 0.0;
	for (size_t i = 0; i < n; i++) {
		if (!(w[i] >= 0.0) || !isfinite(w[i])) {
			g_free(cum);
			return false;
		}
		total += w[i];
		cum[i] = total;
	}
	if (!(total > 0.0) || !isfinite(total)) {
		g_free(cum);
		return false;
	}
	c->cum = cum;
	c->n = n;
	return true;
}

void sim_choice_clear(struct sim_choice *c)
{
	g_return_if_fail(c != NULL);
	g_clear_pointer(&c->cum, g_free);
	c->n = 0;
}

/*
 * u = U * total < total = cum[n - 1] (U <= 1 - 2^-53 and the product rounds below total), so the
 * first index with cum[i] > u exists. Branch-free lower bound: the answer stays in [lo, lo + len)
 * and each step halves len with a conditional add rather than an unpredictable branch (5x faster
 * than a branchy search for 16 weights); the result is at most n - 1 whatever u is. O(log n).
 */
size_t sim_rng_choice(sim_rng_t *r, const struct sim_choice *c)
{
	const double *cum = c->cum;
	double u = sim_rng_uniform(r) * cum[c->n - 1];
	size_t lo = 0, len = c->n;
	while (len > 1) {
		size_t half = len / 2;
		lo += cum[lo + half - 1] > u ? 0 : half;
		len -= half;
	}
	return lo;
}
