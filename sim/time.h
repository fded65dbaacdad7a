/* SPDX-License-Identifier: MIT */
/*
 * time.h - simulated time: an unsigned 64-bit count of picoseconds.
 * Role: the only representation of time inside a run; every cost written in ns, us, ms, s or in
 *       cycles at a frequency is converted once, here, with one rounding rule.
 * Rounding rule: round to nearest, halves away from zero (for these unsigned values: halves up).
 * Overflow: every conversion and sum is checked; an overflow is an error (false, or
 *       SIM_TIME_ERROR_RANGE from the parser), never a wrap. 2^64 ps is about 213 days.
 * Floating point never decides an order: the double conversions exist for reported statistics only.
 * See: docs/design.md "Engine"; tests/unit/sim/test_time.c
 */
#ifndef SIM_TIME_H
#define SIM_TIME_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

typedef uint64_t sim_time_t;

#define SIM_TIME_MAX UINT64_MAX
#define SIM_PS_PER_NS UINT64_C(1000)
#define SIM_PS_PER_US UINT64_C(1000000)
#define SIM_PS_PER_MS UINT64_C(1000000000)
#define SIM_PS_PER_S UINT64_C(1000000000000)

/* Checked arithmetic: each returns false (and leaves *out untouched) on overflow. */
static inline bool sim_time_add(sim_time_t a, sim_time_t b, sim_time_t *out)
{
	sim_time_t r;
	if (__builtin_add_overflow(a, b, &r))
		return false;
	*out = r;
	return true;
}

static inline bool sim_time_mul(sim_time_t a, uint64_t k, sim_time_t *out)
{
	sim_time_t r;
	if (__builtin_mul_overflow(a, k, &r))
		return false;
	*out = r;
	return true;
}

static inline bool sim_time_from_ns(uint64_t ns, sim_time_t *out) { return sim_time_mul(ns, SIM_PS_PER_NS, out); }
static inline bool sim_time_from_us(uint64_t us, sim_time_t *out) { return sim_time_mul(us, SIM_PS_PER_US, out); }
static inline bool sim_time_from_ms(uint64_t ms, sim_time_t *out) { return sim_time_mul(ms, SIM_PS_PER_MS, out); }
static inline bool sim_time_from_s(uint64_t s, sim_time_t *out) { return sim_time_mul(s, SIM_PS_PER_S, out); }

/*
 * Time taken by `cycles` at `khz` (kilohertz): cycles * 10^9 / khz picoseconds, rounded by the rule
 * above. Exact: the product is formed in 128 bits. False when khz is 0 or the result overflows.
 */
bool sim_time_from_cycles(uint64_t cycles, uint64_t khz, sim_time_t *out);

/* Cycles executed in `t` at `khz`: t * khz / 10^9, rounded by the rule above. False on overflow. */
bool sim_time_to_cycles(sim_time_t t, uint64_t khz, uint64_t *out);

/* n * num / den rounded by the rule above, in 128 bits; false when den is 0 or on overflow. */
bool sim_muldiv_round(uint64_t n, uint64_t num, uint64_t den, uint64_t *out);

/* For reports only (never for ordering): seconds / nanoseconds as doubles. */
static inline double sim_time_to_seconds(sim_time_t t) { return (double)t / (double)SIM_PS_PER_S; }
static inline double sim_time_to_ns(sim_time_t t) { return (double)t / (double)SIM_PS_PER_NS; }

/*
 * Parses a time written with a unit, "1500ns", "800us", "10ms", "2.5s", "3ps", or a bare integer
 * (nanoseconds, as the scenario format says; a bare fraction such as "2.5" is refused: the unit
 * must be written). Decimal fractions are exact (no floating point); a value finer than 1 ps is
 * rounded by the rule above. Spaces between number and unit are allowed; units are case-sensitive.
 * Errors, in SIM_TIME_ERROR: SIM_TIME_ERROR_SYNTAX for empty text, a sign, no digits, an exponent
 * or an unknown unit; SIM_TIME_ERROR_RANGE for a value past SIM_TIME_MAX. The message quotes the
 * text and says what was expected.
 */
#define SIM_TIME_FORMAT_LEN 24 /* enough for any sim_time_format output */
#define SIM_TIME_ERROR (sim_time_error_quark())
GQuark sim_time_error_quark(void);
enum sim_time_error { SIM_TIME_ERROR_SYNTAX, SIM_TIME_ERROR_RANGE };
bool sim_time_parse(const char *text, sim_time_t *out, GError **error);

/*
 * Formats t for people: in the largest of s, ms, us, ns, ps that is <= t, with at most 3 decimals
 * (rounded by the rule above, trailing zeros trimmed): "10ms", "2.5s", "1.234567s" -> "1.235s",
 * "999.9996ms" -> "1s", 0 -> "0s". Exact (sim_time_parse gives t back) when t needs at most 3
 * decimals in that unit; otherwise off by at most 0.05%. Writes at most len bytes (truncating,
 * always NUL-terminated when len > 0; 24 bytes always suffice); returns buf.
 */
char *sim_time_format(sim_time_t t, char *buf, size_t len);

#endif /* SIM_TIME_H */
