/* SPDX-License-Identifier: MIT */
/*
 * rng.h - named random-number streams and the distributions models draw from.
 * Role: every consumer of randomness owns one stream, seeded from (master seed, stream name):
 *       state = splitmix64 sequence started at master_seed ^ fnv1a64(name). Adding a stream never
 *       changes another's draws; streams are never numbered by creation order.
 * Generator: xoshiro256** (Blackman & Vigna, 2018): 256-bit state, period 2^256 - 1.
 * Platform independence: every distribution is written down here and in rng.c using only integer
 *       operations and IEEE-754 +, -, *, /, sqrt (correctly rounded everywhere, built with
 *       -ffp-contract=off). log and exp are sim_log/sim_exp (sim/fmath.h), not libm, so the same seed
 *       gives the same bits on every machine and at every optimisation level.
 * See: docs/design.md "Random numbers"; tests/unit/sim/test_rng.c
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct sim_rng {
	uint64_t s[4];
} sim_rng_t;

/* 64-bit FNV-1a of a NUL-terminated string. */
uint64_t sim_fnv1a64(const char *s);

/* One step of splitmix64: advances *x and returns the next output. */
uint64_t sim_splitmix64(uint64_t *x);

/* Seeds `r` for stream `name` under `master_seed`. */
void sim_rng_seed(sim_rng_t *r, uint64_t master_seed, const char *name);

/* Derives the seed of replication `index` from a master seed (independent streams per replication). */
uint64_t sim_seed_derive(uint64_t master_seed, const char *purpose, uint64_t index);

/* Next raw 64-bit output of xoshiro256**. */
static inline uint64_t sim_rng_next(sim_rng_t *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5;
	uint64_t result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}

/* Uniform double in [0, 1): the top 53 bits times 2^-53. */
static inline double sim_rng_uniform(sim_rng_t *r) { return (double)(sim_rng_next(r) >> 11) * 0x1.0p-53; }

/* Uniform double in [lo, hi): lo + (hi - lo) * U. */
static inline double sim_rng_uniform_range(sim_rng_t *r, double lo, double hi) { return lo + (hi - lo) * sim_rng_uniform(r); }

/*
 * Uniform integer in [0, n), n >= 1, without bias: Lemire's multiply-shift with rejection
 * (D. Lemire, "Fast random integer generation in an interval", ACM TOMACS 2019).
 */
uint64_t sim_rng_below(sim_rng_t *r, uint64_t n);

/* Exponential with the given mean (> 0): -mean * log(1 - U). */
double sim_rng_exp(sim_rng_t *r, double mean);

/* Standard normal by Marsaglia's polar method (the second value of each pair is discarded). */
double sim_rng_std_normal(sim_rng_t *r);

/* Normal N(mean, sd^2). */
static inline double sim_rng_normal(sim_rng_t *r, double mean, double sd) { return mean + sd * sim_rng_std_normal(r); }

/* Lognormal: exp(mu + sigma * Z), Z standard normal (mu, sigma of the underlying normal). */
double sim_rng_lognormal(sim_rng_t *r, double mu, double sigma);

/*
 * Lognormal given the mean and coefficient of variation (sd / mean) of the result:
 * sigma^2 = log(1 + cv^2), mu = log(mean) - sigma^2 / 2.
 */
double sim_rng_lognormal_mean_cv(sim_rng_t *r, double mean, double cv);

/*
 * Bounded Pareto on [lo, hi] with shape alpha > 0 (0 < lo < hi), by inversion:
 * x = lo * (1 - U * (1 - (lo/hi)^alpha))^(-1/alpha).
 */
double sim_rng_bounded_pareto(sim_rng_t *r, double alpha, double lo, double hi);

/*
 * Discrete choice: index i drawn with probability w[i] / sum(w). Build once (O(n)), draw in O(log n)
 * by binary search of the cumulative weights (first index whose cumulative weight exceeds U * total).
 */
struct sim_choice {
	double *cum; /* cumulative weights, owned */
	size_t n;
};
/* False when n is 0, a weight is negative or not finite, or all are 0. */
bool sim_choice_init(struct sim_choice *c, const double *w, size_t n);
void sim_choice_clear(struct sim_choice *c);
size_t sim_rng_choice(sim_rng_t *r, const struct sim_choice *c);

#endif /* SIM_RNG_H */
