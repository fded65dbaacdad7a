/* SPDX-License-Identifier: MIT */
/*
 * test_time.c - picosecond conversions, the time parser and the time formatter.
 * Checks: every conversion rounds to nearest with halves up (cases just below, at and just above
 *   .5), refuses a zero frequency and never wraps on overflow (false, *out untouched); the parser
 *   reads every unit, exact decimal fractions rounded at the picosecond, bare integers as ns, and
 *   surrounding spaces, and it rejects each kind of bad input with the right SIM_TIME_ERROR code
 *   and a message that quotes the text; the formatter picks the unit by magnitude, and what it
 *   prints parses back to the same time whenever three decimals are enough (else within 0.05%).
 * Leaves unchecked: locales (the parser only knows ASCII digits and '.', whatever the locale), and
 *   the double helpers sim_time_to_seconds/_ns (plain divisions, for reports only).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <string.h>

#include "sim/time.h"

#define KHZ_3GHZ UINT64_C(3000000)

/* ---- sim_muldiv_round ---- */

Test(time, muldiv_rounds_halves_up)
{
	static const struct {
		uint64_t n, num, den, want;
	} cases[] = {
		{ 1, 1, 3, 0 },  /* 0.333 */
		{ 2, 1, 3, 1 },  /* 0.667 */
		{ 1, 1, 2, 1 },  /* 0.5 exactly: up */
		{ 3, 1, 2, 2 },  /* 1.5 exactly: up */
		{ 5, 1, 4, 1 },  /* 1.25 */
		{ 7, 1, 4, 2 },  /* 1.75 */
		{ 0, 123, 7, 0 },
		{ 10, 10, 10, 10 },
		/* the product needs 128 bits, the quotient does not */
		{ UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX },
		{ UINT64_MAX, 1000, 1000, UINT64_MAX },
		{ UINT64_MAX, 3, 6, UINT64_C(0x8000000000000000) }, /* (2^64-1)/2 = 2^63 - 0.5: up */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t got = 42;
		cr_assert(sim_muldiv_round(cases[i].n, cases[i].num, cases[i].den, &got),
			  "%" PRIu64 " * %" PRIu64 " / %" PRIu64 " failed", cases[i].n, cases[i].num, cases[i].den);
		cr_assert_eq(got, cases[i].want, "%" PRIu64 " * %" PRIu64 " / %" PRIu64 " = %" PRIu64 ", want %" PRIu64,
			     cases[i].n, cases[i].num, cases[i].den, got, cases[i].want);
	}
}

Test(time, muldiv_refuses_zero_and_overflow)
{
	uint64_t got = 42;

	cr_assert_not(sim_muldiv_round(1, 1, 0, &got), "den 0 accepted, got %" PRIu64, got);
	cr_assert_not(sim_muldiv_round(0, 0, 0, &got), "0/0 accepted, got %" PRIu64, got);
	cr_assert_not(sim_muldiv_round(UINT64_MAX, 2, 1, &got), "2^65 - 2 accepted, got %" PRIu64, got);
	/* 31 * 1190112520884487201 = 2^65 - 1, so the quotient is (2^64 - 1) + 0.5: rounding up overflows */
	cr_assert_not(sim_muldiv_round(UINT64_C(1190112520884487201), 31, 2, &got), "max + 0.5 accepted, got %" PRIu64, got);
	cr_assert_not(sim_muldiv_round(UINT64_MAX, 3, 2, &got), "1.5 * max accepted, got %" PRIu64, got);
	got = 42;
	cr_assert_not(sim_muldiv_round(UINT64_MAX, UINT64_MAX, UINT64_MAX - 1, &got), "max^2/(max-1) accepted");
	cr_assert_eq(got, 42, "*out touched on failure: %" PRIu64, got);
}

/* ---- cycles ---- */

Test(time, from_cycles_rounds_to_nearest)
{
	static const struct {
		uint64_t cycles, khz;
		sim_time_t want;
	} cases[] = {
		{ 1, KHZ_3GHZ, 333 },                 /* 333.33 ps */
		{ 2, KHZ_3GHZ, 667 },                 /* 666.67 ps */
		{ 3, KHZ_3GHZ, 1000 },                /* exact */
		{ 1200, KHZ_3GHZ, 400000 },           /* a VM exit, 400 ns */
		{ 1, 16000000, 63 },                  /* 62.5 ps exactly: up */
		{ 3, 16000000, 188 },                 /* 187.5 ps exactly: up */
		{ 1, 2000000000, 1 },                 /* 0.5 ps exactly: up */
		{ 1, 2000000001, 0 },                 /* just below 0.5 ps */
		{ 1, 1999999999, 1 },                 /* just above 0.5 ps */
		{ 0, KHZ_3GHZ, 0 },
		{ 1, 1, 1000000000 },                 /* 1 cycle at 1 kHz = 1 ms */
		{ UINT64_MAX, 1000000000, UINT64_MAX }, /* 1 THz: 1 cycle = 1 ps, largest that fits */
		{ UINT64_C(18446744073), 1, UINT64_C(18446744073000000000) },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sim_time_t got = 42;
		cr_assert(sim_time_from_cycles(cases[i].cycles, cases[i].khz, &got),
			  "%" PRIu64 " cycles at %" PRIu64 " kHz failed", cases[i].cycles, cases[i].khz);
		cr_assert_eq(got, cases[i].want, "%" PRIu64 " cycles at %" PRIu64 " kHz = %" PRIu64 " ps, want %" PRIu64,
			     cases[i].cycles, cases[i].khz, got, cases[i].want);
	}
}

Test(time, from_cycles_refuses_zero_khz_and_overflow)
{
	sim_time_t got = 42;

	cr_assert_not(sim_time_from_cycles(1, 0, &got), "0 kHz accepted: %" PRIu64, got);
	cr_assert_not(sim_time_from_cycles(0, 0, &got), "0 cycles at 0 kHz accepted: %" PRIu64, got);
	cr_assert_not(sim_time_from_cycles(UINT64_C(18446744074), 1, &got), "2^64+ ps accepted: %" PRIu64, got);
	cr_assert_not(sim_time_from_cycles(UINT64_MAX, KHZ_3GHZ, &got), "max cycles at 3 GHz accepted: %" PRIu64, got);
	cr_assert_eq(got, 42, "*out touched on failure: %" PRIu64, got);
}

Test(time, to_cycles_rounds_to_nearest)
{
	static const struct {
		sim_time_t t;
		uint64_t khz, want;
	} cases[] = {
		{ 333, KHZ_3GHZ, 1 },                  /* 0.999 cycles */
		{ 1000, KHZ_3GHZ, 3 },
		{ SIM_PS_PER_S, KHZ_3GHZ, 3000000000 }, /* 1 s at 3 GHz */
		{ 500, 1000000, 1 },                    /* 0.5 cycle at 1 GHz: up */
		{ 499, 1000000, 0 },
		{ 1500, 1000000, 2 },                   /* 1.5: up */
		{ 1000, 0, 0 },                         /* a stopped clock counts no cycles */
		{ UINT64_MAX, 1000000000, UINT64_MAX }, /* 1 THz: identity at the top */
		{ UINT64_MAX, 1, UINT64_C(18446744074) }, /* 18446744073.7 cycles */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t got = 42;
		cr_assert(sim_time_to_cycles(cases[i].t, cases[i].khz, &got), "%" PRIu64 " ps at %" PRIu64 " kHz failed",
			  cases[i].t, cases[i].khz);
		cr_assert_eq(got, cases[i].want, "%" PRIu64 " ps at %" PRIu64 " kHz = %" PRIu64 " cycles, want %" PRIu64,
			     cases[i].t, cases[i].khz, got, cases[i].want);
	}
}

Test(time, to_cycles_refuses_overflow)
{
	uint64_t got = 42;

	cr_assert_not(sim_time_to_cycles(UINT64_MAX, 2000000000, &got), "2 THz over max time accepted: %" PRIu64, got);
	cr_assert_not(sim_time_to_cycles(UINT64_MAX, UINT64_MAX, &got), "max * max accepted: %" PRIu64, got);
	cr_assert_eq(got, 42, "*out touched on failure: %" PRIu64, got);
}

Test(time, cycles_round_trip_within_half_a_unit)
{
	/* to_cycles(from_cycles(c)) == c whenever a cycle is at least 1 ps (khz <= 10^9). */
	static const uint64_t khzs[] = { 1, 32768, 1000000, KHZ_3GHZ, 3700000, 1000000000 };
	for (size_t i = 0; i < sizeof khzs / sizeof khzs[0]; i++) {
		for (uint64_t c = 0; c < 5000; c += 7) {
			sim_time_t t;
			uint64_t back;
			cr_assert(sim_time_from_cycles(c, khzs[i], &t));
			cr_assert(sim_time_to_cycles(t, khzs[i], &back));
			cr_assert_eq(back, c, "%" PRIu64 " cycles at %" PRIu64 " kHz -> %" PRIu64 " ps -> %" PRIu64 " cycles",
				     c, khzs[i], t, back);
		}
	}
}

/* ---- the inline unit helpers: overflow is false, never a wrap ---- */

Test(time, unit_helpers_refuse_overflow)
{
	static const struct {
		bool (*fn)(uint64_t, sim_time_t *);
		uint64_t per;
		const char *name;
	} units[] = {
		{ sim_time_from_ns, SIM_PS_PER_NS, "ns" },
		{ sim_time_from_us, SIM_PS_PER_US, "us" },
		{ sim_time_from_ms, SIM_PS_PER_MS, "ms" },
		{ sim_time_from_s, SIM_PS_PER_S, "s" },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		uint64_t top = UINT64_MAX / units[i].per;
		sim_time_t got = 42;
		cr_assert(units[i].fn(top, &got), "%" PRIu64 " %s refused", top, units[i].name);
		cr_assert_eq(got, top * units[i].per, "%" PRIu64 " %s = %" PRIu64 " ps", top, units[i].name, got);
		got = 42;
		cr_assert_not(units[i].fn(top + 1, &got), "%" PRIu64 " %s accepted as %" PRIu64 " ps", top + 1,
			      units[i].name, got);
		cr_assert_not(units[i].fn(UINT64_MAX, &got), "max %s accepted as %" PRIu64 " ps", units[i].name, got);
		cr_assert_eq(got, 42, "*out touched on failure: %" PRIu64, got);
	}
}

Test(time, add_and_mul_refuse_overflow)
{
	sim_time_t got = 42;

	cr_assert(sim_time_add(UINT64_MAX - 1, 1, &got) && got == UINT64_MAX, "max-1 + 1 = %" PRIu64, got);
	got = 42;
	cr_assert_not(sim_time_add(UINT64_MAX, 1, &got), "max + 1 accepted: %" PRIu64, got);
	cr_assert_not(sim_time_mul(UINT64_C(1) << 32, UINT64_C(1) << 32, &got), "2^64 accepted: %" PRIu64, got);
	cr_assert_eq(got, 42, "*out touched on failure: %" PRIu64, got);
}

/* ---- parsing ---- */

static sim_time_t parse_ok(const char *text)
{
	GError *err = NULL;
	sim_time_t t = 42;

	cr_assert(sim_time_parse(text, &t, &err), "'%s' refused: %s", text, err ? err->message : "(no error set)");
	cr_assert_null(err, "error set on success for '%s'", text);
	return t;
}

static void parse_fails(const char *text, int code, const char *const *needles)
{
	GError *err = NULL;
	sim_time_t t = 42;

	cr_assert_not(sim_time_parse(text, &t, &err), "'%s' accepted as %" PRIu64 " ps", text, t);
	cr_assert_eq(t, 42, "'%s': *out touched on failure (%" PRIu64 ")", text, t);
	cr_assert_not_null(err, "'%s': no error set", text);
	cr_assert(err->domain == SIM_TIME_ERROR, "'%s': domain %s", text, g_quark_to_string(err->domain));
	cr_assert_eq(err->code, code, "'%s': code %d, want %d (%s)", text, err->code, code, err->message);
	for (; *needles; needles++)
		cr_assert(strstr(err->message, *needles), "'%s': message \"%s\" lacks \"%s\"", text, err->message, *needles);
	g_error_free(err);
}

#define FAILS(text, code, ...) parse_fails((text), (code), (const char *const[]){ __VA_ARGS__, NULL })

struct parse_case {
	const char *text;
	sim_time_t want;
};

static void check_parses(const struct parse_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		sim_time_t got = parse_ok(cases[i].text);
		cr_assert_eq(got, cases[i].want, "'%s' = %" PRIu64 " ps, want %" PRIu64, cases[i].text, got, cases[i].want);
	}
}

Test(time, parse_every_unit)
{
	static const struct parse_case cases[] = {
		{ "3ps", 3 },
		{ "1500ns", 1500000 },
		{ "800us", 800000000 },
		{ "800\u00b5s", 800000000 }, /* micro sign */
		{ "800\u03bcs", 800000000 }, /* Greek mu */
		{ "10ms", 10 * SIM_PS_PER_MS },
		{ "2s", 2 * SIM_PS_PER_S },
		{ "0s", 0 },
		{ "0ps", 0 },
		{ "007ns", 7000 },
		{ "000000000000000000000000000001ns", 1000 }, /* leading zeros never overflow */
	};
	check_parses(cases, G_N_ELEMENTS(cases));
}

Test(time, parse_fractions_exactly)
{
	static const struct parse_case cases[] = {
		{ "2.5s", 2500000000000 },
		{ "1.25ns", 1250 },
		{ "0.001ms", 1000000 },
		{ "0.000001ms", 1000 },
		{ "0.000000001ms", 1 },
		{ "1.000000000001s", 1000000000001 },     /* 1 s + 1 ps */
		{ "0.1s", 100000000000 },                 /* 0.1 has no exact double; here it is exact */
		{ "0.0000000000015s", 2 },                /* 1.5 ps: half, up */
		{ "0.0000000000014999999s", 1 },          /* just below half */
		{ "0.0000000000025s", 3 },                /* 2.5 ps: half, up (not to even) */
		{ "1.0004ps", 1 },
		{ "1.5ps", 2 },
		{ "0.5ps", 1 },
		{ "0.4999ps", 0 },
		{ "0.9999999ps", 1 },
		{ "1.9995ns", 2000 },                     /* 1999.5 ps: up */
		{ "0.9999999999995s", SIM_PS_PER_S },     /* the carry crosses into the integer part */
		{ "3.14159265358979323846264338327950288s", 3141592653590 }, /* many digits: fine */
	};
	check_parses(cases, G_N_ELEMENTS(cases));
}

Test(time, parse_bare_integers_are_ns)
{
	static const struct parse_case cases[] = {
		{ "1500", 1500000 },
		{ "0", 0 },
		{ "1", 1000 },
		{ "18446744073709551", UINT64_C(18446744073709551000) }, /* the most ns that fit */
	};
	check_parses(cases, G_N_ELEMENTS(cases));
}

Test(time, parse_allows_surrounding_spaces)
{
	static const struct parse_case cases[] = {
		{ " 10ms", 10 * SIM_PS_PER_MS },
		{ "10ms ", 10 * SIM_PS_PER_MS },
		{ "10 ms", 10 * SIM_PS_PER_MS },
		{ "  10 \t ms  ", 10 * SIM_PS_PER_MS },
		{ "\t2.5 s\n", 2500000000000 },
		{ "  42  ", 42000 },
	};
	check_parses(cases, G_N_ELEMENTS(cases));
}

Test(time, parse_limits)
{
	static const struct parse_case cases[] = {
		{ "18446744073709551615ps", UINT64_MAX },
		{ "18446744.073709551615s", UINT64_MAX },
		{ "18446744.0737095516154s", UINT64_MAX }, /* rounds down onto the maximum */
		{ "18446744073.709551615ms", UINT64_MAX },
	};
	check_parses(cases, G_N_ELEMENTS(cases));

	FAILS("18446744073709551616ps", SIM_TIME_ERROR_RANGE, "'18446744073709551616ps'", "213 days");
	FAILS("18446744.0737095516155s", SIM_TIME_ERROR_RANGE, "'18446744.0737095516155s'", "213 days"); /* rounds up past */
	FAILS("18446744.073709551616s", SIM_TIME_ERROR_RANGE, "213 days");
	FAILS("18446745s", SIM_TIME_ERROR_RANGE, "'18446745s'", "213 days");
	FAILS("18446744073709552", SIM_TIME_ERROR_RANGE, "213 days"); /* bare ns */
	FAILS("99999999999999999999999999ps", SIM_TIME_ERROR_RANGE, "213 days"); /* the integer alone overflows */
	FAILS("300 days", SIM_TIME_ERROR_SYNTAX, "'days'"); /* a unit error, not a range error */
}

Test(time, parse_errors_say_what_was_found_and_expected)
{
	const char *units = "ps, ns, us, ms or s";
	GError *err = NULL;
	sim_time_t t;

	FAILS("", SIM_TIME_ERROR_SYNTAX, "''", "empty");
	FAILS("   ", SIM_TIME_ERROR_SYNTAX, "'   '", "empty");
	FAILS("-5ns", SIM_TIME_ERROR_SYNTAX, "'-5ns'", "negative");
	FAILS(" -0.5 s", SIM_TIME_ERROR_SYNTAX, "' -0.5 s'", "negative");
	FAILS("+5ns", SIM_TIME_ERROR_SYNTAX, "'+5ns'", "expected a number");
	FAILS("ms", SIM_TIME_ERROR_SYNTAX, "'ms'", "expected a number");
	FAILS("ten ms", SIM_TIME_ERROR_SYNTAX, "'ten ms'", "expected a number");
	FAILS(".5s", SIM_TIME_ERROR_SYNTAX, "'.5s'", "before '.'");
	FAILS("5.s", SIM_TIME_ERROR_SYNTAX, "'5.s'", "after '.'");
	FAILS("5.", SIM_TIME_ERROR_SYNTAX, "'5.'", "after '.'");
	FAILS("1.2.3ms", SIM_TIME_ERROR_SYNTAX, "'1.2.3ms'", "'.3ms'");
	FAILS("1e3", SIM_TIME_ERROR_SYNTAX, "'1e3'", "exponent");
	FAILS("1.5E-3s", SIM_TIME_ERROR_SYNTAX, "'1.5E-3s'", "exponent");
	FAILS("2.5", SIM_TIME_ERROR_SYNTAX, "'2.5'", "needs a unit", units);
	FAILS("10 min", SIM_TIME_ERROR_SYNTAX, "'10 min'", "unknown unit 'min'", units);
	FAILS("10NS", SIM_TIME_ERROR_SYNTAX, "unknown unit 'NS'", units); /* units are case-sensitive: Ms is not ms */
	FAILS("1,5ms", SIM_TIME_ERROR_SYNTAX, "unknown unit ',5ms'", units);
	FAILS("10 ms x", SIM_TIME_ERROR_SYNTAX, "'10 ms x'", "unexpected 'x'");
	FAILS("10 20ns", SIM_TIME_ERROR_SYNTAX, "unknown unit '20ns'");
	FAILS("10 x ms", SIM_TIME_ERROR_SYNTAX, "unknown unit 'x'"); /* the unit is judged first */

	/* The complete message, as a user sees it. */
	cr_assert_not(sim_time_parse("10mss", &t, &err));
	cr_assert_str_eq(err->message, "'10mss' is not a time: unknown unit 'mss' (expected ps, ns, us, ms or s)",
			 "message: %s", err->message);
	g_error_free(err);
}

Test(time, parse_without_error_pointer)
{
	sim_time_t t = 42;

	cr_assert_not(sim_time_parse("10 min", &t, NULL), "accepted: %" PRIu64, t);
	cr_assert_eq(t, 42, "*out touched: %" PRIu64, t);
	cr_assert(sim_time_parse("10ms", &t, NULL) && t == 10 * SIM_PS_PER_MS, "10ms = %" PRIu64, t);
}

/* ---- formatting ---- */

Test(time, format_picks_unit_by_magnitude)
{
	static const struct {
		sim_time_t t;
		const char *want;
	} cases[] = {
		{ 0, "0s" },
		{ 1, "1ps" },
		{ 999, "999ps" },
		{ 1000, "1ns" },
		{ 1001, "1.001ns" },
		{ 1500, "1.5ns" },
		{ 1000001, "1us" },            /* 1.000001 us: 3 decimals only */
		{ 10 * SIM_PS_PER_MS, "10ms" },
		{ 2500000000000, "2.5s" },
		{ 1234567000000, "1.235s" },
		{ 1234500000000, "1.235s" },   /* 1234.5 ms: half, up */
		{ 1234499999999, "1.234s" },
		{ 999999400000, "999.999ms" },
		{ 999999500000, "1s" },        /* 999.9995 ms rounds to 1000 ms: written in s */
		{ 999999500, "1ms" },
		{ 999500, "999.5ns" },
		{ 60 * SIM_PS_PER_S, "60s" },
		{ 86400 * SIM_PS_PER_S, "86400s" },
		{ UINT64_MAX, "18446744.074s" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[32];
		cr_assert_eq(sim_time_format(cases[i].t, buf, sizeof buf), buf);
		cr_assert_str_eq(buf, cases[i].want, "%" PRIu64 " ps formats as '%s', want '%s'", cases[i].t, buf,
				 cases[i].want);
	}
}

Test(time, format_truncates_to_len)
{
	char buf[8];

	memset(buf, 'x', sizeof buf);
	sim_time_format(UINT64_MAX, buf, 5);
	cr_assert_str_eq(buf, "1844", "got '%s'", buf);
	cr_assert_eq(buf[5], 'x', "wrote past len");
	sim_time_format(UINT64_MAX, buf, 0); /* writes nothing */
	cr_assert_str_eq(buf, "1844", "len 0 wrote: '%s'", buf);
}

/*
 * What the formatter prints parses back: exactly when the value needs at most 3 decimals in its
 * unit (and always below 1 ns), otherwise within 0.05% of the value.
 */
Test(time, format_round_trips)
{
	static const uint64_t mantissas[] = {
		1, 2, 7, 12, 99, 100, 999, 1000, 1001, 1234, 99999, 123456, 999999, 1000001, 1234567,
	};
	static const uint64_t units_ps[] = { 1, SIM_PS_PER_NS, SIM_PS_PER_US, SIM_PS_PER_MS, SIM_PS_PER_S };

	for (uint64_t scale = 1; scale <= SIM_PS_PER_S; scale *= 10) {
		for (size_t i = 0; i < sizeof mantissas / sizeof mantissas[0]; i++) {
			sim_time_t t = mantissas[i] * scale, back, unit = 1;
			char buf[32];
			for (size_t u = 0; u < sizeof units_ps / sizeof units_ps[0]; u++)
				if (t >= units_ps[u])
					unit = units_ps[u];
			sim_time_format(t, buf, sizeof buf);
			back = parse_ok(buf);
			if (unit == 1 || t % (unit / 1000) == 0)
				cr_assert_eq(back, t, "%" PRIu64 " ps -> '%s' -> %" PRIu64 " ps", t, buf, back);
			else
				cr_assert((double)(back > t ? back - t : t - back) <= 0.0005 * (double)t,
					  "%" PRIu64 " ps -> '%s' -> %" PRIu64 " ps: more than 0.05%% off", t, buf, back);
		}
	}
}
