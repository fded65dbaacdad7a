/* SPDX-License-Identifier: MIT */
/*
 * xorshift.h - a tiny generator for test inputs (Marsaglia's xorshift64), independent of sim/rng.c
 * so that tests of the engine do not draw their inputs from the code under test.
 */
#ifndef TESTS_HELPERS_XORSHIFT_H
#define TESTS_HELPERS_XORSHIFT_H

#include <stdint.h>

/* Next value of the xorshift64 sequence in *state (which must not be 0). */
static inline uint64_t test_xorshift(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

#endif /* TESTS_HELPERS_XORSHIFT_H */
