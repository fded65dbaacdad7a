/* SPDX-License-Identifier: MIT */
/*
 * time.c - conversions into and out of sim_time_t (picoseconds): cycles, text.
 * Role: the one place where a cost written by a person ("800us", "1200 cycles at 3 GHz") becomes
 *       picoseconds, so that every model rounds the same way (sim/time.h states the rule).
 * How: products are formed in unsigned __int128 and divided once, so nothing is lost before the
 *       single rounding; the parser reads decimal fractions digit by digit, never through a double.
 * Errors: sim_time_parse reports in SIM_TIME_ERROR with messages meant for the person who wrote
 *       the scenario: the text that was found, and what was expected instead.
 * See: sim/time.h; tests/unit/sim/test_time.c
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/time.h"

G_DEFINE_QUARK(sim-time-error-quark, sim_time_error)

/*
 * n * num / den, rounded to nearest with halves up. The product is exact in 128 bits and the
 * remainder test 2r >= den cannot overflow either (r < den <= 2^64), so the result is exact.
 */
bool sim_muldiv_round(uint64_t n, uint64_t num, uint64_t den, uint64_t *out)
{
	unsigned __int128 p, q, r;

	if (den == 0)
		return false;
	p = (unsigned __int128)n * num;
	q = p / den;
	r = p % den;
	if (2 * r >= den)
		q++;
	if (q > UINT64_MAX)
		return false;
	*out = (uint64_t)q;
	return true;
}

/* cycles * 10^12 ps/s / (khz * 10^3 cycles/s) = cycles * 10^9 / khz. */
bool sim_time_from_cycles(uint64_t cycles, uint64_t khz, sim_time_t *out)
{
	return sim_muldiv_round(cycles, SIM_PS_PER_MS, khz, out);
}

/* t ps * khz * 10^3 cycles/s / 10^12 ps/s = t * khz / 10^9; khz == 0 gives 0 cycles. */
bool sim_time_to_cycles(sim_time_t t, uint64_t khz, uint64_t *out)
{
	return sim_muldiv_round(t, khz, SIM_PS_PER_MS, out);
}

/* ---- parsing ---- */

#define UNITS_EXPECTED "ps, ns, us, ms or s"

struct time_unit {
	const char *name;
	unsigned exp10; /* picoseconds per unit = 10^exp10 */
};

/* "µs" is accepted with both the micro sign (U+00B5) and the Greek small mu (U+03BC). */
static const struct time_unit time_units[] = {
	{ "ps", 0 }, { "ns", 3 }, { "us", 6 }, { "\u00b5s", 6 }, { "\u03bcs", 6 }, { "ms", 9 }, { "s", 12 },
};

static const struct time_unit *unit_lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < G_N_ELEMENTS(time_units); i++)
		if (strlen(time_units[i].name) == len && memcmp(time_units[i].name, name, len) == 0)
			return &time_units[i];
	return NULL;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_space(char c) { return g_ascii_isspace(c); }

static bool syntax_error(GError **error, const char *text, const char *why)
{
	g_set_error(error, SIM_TIME_ERROR, SIM_TIME_ERROR_SYNTAX, "'%s' is not a time: %s", text, why);
	return false;
}

static bool range_error(GError **error, const char *text)
{
	g_set_error(error, SIM_TIME_ERROR, SIM_TIME_ERROR_RANGE,
		    "'%s' is too long: the longest time is 18446744.073709551615s (about 213 days)", text);
	return false;
}

/*
 * Grammar: spaces* digits ['.' digits] spaces* [unit] spaces*, where the unit is required when
 * there is a fraction and a bare integer means nanoseconds. Exact: the integer part is multiplied
 * by 10^exp10 with an overflow check, the first exp10 fraction digits are picoseconds, and the
 * next digit alone decides the rounding (>= 5 rounds up: halves up). Any number of leading zeros
 * or fraction digits is fine. Error codes: SIM_TIME_ERROR_RANGE for a value above SIM_TIME_MAX,
 * SIM_TIME_ERROR_SYNTAX for everything else (including a negative sign).
 */
bool sim_time_parse(const char *text, sim_time_t *out, GError **error)
{
	const char *s = text, *int_start, *frac_start = NULL, *unit_start;
	size_t int_len, frac_len = 0, unit_len;
	const struct time_unit *unit;
	uint64_t whole = 0, frac_ps = 0, unit_ps = 1, v;

	g_return_val_if_fail(text != NULL, false);
	g_return_val_if_fail(out != NULL, false);
	g_return_val_if_fail(error == NULL || *error == NULL, false);

	while (is_space(*s))
		s++;
	if (*s == '\0')
		return syntax_error(error, text, "it is empty (expected a number and a unit, e.g. 10ms)");
	if (*s == '-')
		return syntax_error(error, text, "times cannot be negative");
	if (*s == '.')
		return syntax_error(error, text, "expected a digit before '.' (e.g. 0.5ms)");
	if (!is_digit(*s))
		return syntax_error(error, text, "expected a number and a unit (e.g. 10ms)");

	int_start = s;
	while (is_digit(*s))
		s++;
	int_len = (size_t)(s - int_start);
	if (*s == '.') {
		frac_start = ++s;
		while (is_digit(*s))
			s++;
		frac_len = (size_t)(s - frac_start);
		if (frac_len == 0)
			return syntax_error(error, text, "expected a digit after '.' (e.g. 2.5s)");
	}

	while (is_space(*s))
		s++;
	unit_start = s;
	while (*s != '\0' && !is_space(*s))
		s++;
	unit_len = (size_t)(s - unit_start);
	while (is_space(*s))
		s++;

	if (unit_len == 0) {
		if (frac_start)
			return syntax_error(error, text, "a number with a fraction needs a unit (" UNITS_EXPECTED ")");
		unit = unit_lookup("ns", 2);
	} else if ((unit = unit_lookup(unit_start, unit_len)) == NULL) {
		g_autofree char *why = NULL;
		bool exponent = (unit_start[0] == 'e' || unit_start[0] == 'E') &&
				(is_digit(unit_start[1]) || unit_start[1] == '+' || unit_start[1] == '-');
		if (exponent)
			why = g_strdup("exponents are not supported "
				       "(write the digits out, with a unit: " UNITS_EXPECTED ")");
		else
			why = g_strdup_printf("unknown unit '%.*s' (expected " UNITS_EXPECTED ")", (int)unit_len,
					      unit_start);
		return syntax_error(error, text, why);
	}
	if (*s != '\0') {
		g_autofree char *why = g_strdup_printf("unexpected '%s' after the unit '%.*s'", s, (int)unit_len,
						       unit_start);
		return syntax_error(error, text, why);
	}

	for (unsigned i = 0; i < unit->exp10; i++)
		unit_ps *= 10;
	for (size_t i = 0; i < int_len; i++)
		if (!sim_time_mul(whole, 10, &whole) || !sim_time_add(whole, (uint64_t)(int_start[i] - '0'), &whole))
			return range_error(error, text);
	for (unsigned i = 0; i < unit->exp10; i++)
		frac_ps = frac_ps * 10 + (i < frac_len ? (uint64_t)(frac_start[i] - '0') : 0);
	if (frac_len > unit->exp10 && frac_start[unit->exp10] >= '5')
		frac_ps++; /* may reach unit_ps: a carry into the integer part, which the add absorbs */
	if (!sim_time_mul(whole, unit_ps, &v) || !sim_time_add(v, frac_ps, &v))
		return range_error(error, text);
	*out = v;
	return true;
}

/* ---- formatting ---- */

/*
 * Picks the unit by magnitude, rounds to thousandths of it (halves up, in integers, as everywhere
 * else) and trims trailing zeros. A value that rounds up to 1000 of its unit is written in the
 * next unit ("1s", not "1000ms"). The longest output is "18446744.074s" (14 bytes with the NUL).
 */
char *sim_time_format(sim_time_t t, char *buf, size_t len)
{
	static const struct {
		const char *name;
		uint64_t ps;
	} units[] = {
		{ "ps", 1 },
		{ "ns", SIM_PS_PER_NS },
		{ "us", SIM_PS_PER_US },
		{ "ms", SIM_PS_PER_MS },
		{ "s", SIM_PS_PER_S },
	};
	size_t u = 0;
	uint64_t milli = 0; /* t in thousandths of units[u], rounded */
	char frac[5] = "";

	g_return_val_if_fail(buf != NULL || len == 0, buf);

	if (t == 0)
		u = G_N_ELEMENTS(units) - 1; /* "0s" */
	while (u + 1 < G_N_ELEMENTS(units) && t >= units[u + 1].ps)
		u++;
	/* Cannot fail: units[u].ps >= 1 and, for u > 0, the quotient is at most t. */
	if (u == 0)
		milli = t * 1000;
	else
		sim_muldiv_round(t, 1000, units[u].ps, &milli);
	if (milli >= UINT64_C(1000000) && u + 1 < G_N_ELEMENTS(units)) {
		/* 999.9996ms rounds to 1000.000ms: write it as 1s instead. */
		u++;
		sim_muldiv_round(t, 1000, units[u].ps, &milli);
	}

	if (milli % 1000 != 0) {
		unsigned f = (unsigned)(milli % 1000);
		frac[0] = '.';
		frac[1] = (char)('0' + f / 100);
		frac[2] = (char)('0' + f / 10 % 10);
		frac[3] = (char)('0' + f % 10);
		for (int i = 3; frac[i] == '0'; i--)
			frac[i] = '\0';
	}
	if (len > 0)
		snprintf(buf, len, "%" PRIu64 "%s%s", milli / 1000, frac, units[u].name);
	return buf;
}
