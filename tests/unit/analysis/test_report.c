/* SPDX-License-Identifier: MIT */
/*
 * test_report.c - the chart toolkit of `hvsim report` (analysis/report_svg.h).
 * Checks: nice steps and ticks (1-2-5 steps, bounds widened to whole steps, a 0 tick that is not
 *   "-0", degenerate and non-finite ranges, whole decades on a log axis); the scale's mapping
 *   (linear, logarithmic, inverted y); values formatted by unit (times scaled, k/M/G, NaN as "-");
 *   every chart kind: well-formed XML (GMarkup), text from outside escaped, data-marks equal to
 *   the mark elements drawn (NaN bars, all-zero rows and gaps left out), stacked shares to scale,
 *   error bars and bands cut at 0 for quantities that are never negative, gaps and staircases in
 *   line paths.
 * Leaves unchecked: how a browser draws the result (tests/browser/report.sh renders it in
 *   Chromium) and the pages built from a database (the same test).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "analysis/report_svg.h"

/* ---- helpers ---- */

/* Whether text parses as XML with GLib's parser (the subset SVG inside HTML must keep to). */
static bool well_formed(const char *text, char **why)
{
	static const GMarkupParser none = {0};
	GMarkupParseContext *ctx = g_markup_parse_context_new(&none, 0, NULL, NULL);
	GError *e = NULL;
	bool ok = g_markup_parse_context_parse(ctx, text, -1, &e) && g_markup_parse_context_end_parse(ctx, &e);

	*why = e ? g_strdup(e->message) : NULL;
	g_clear_error(&e);
	g_markup_parse_context_free(ctx);
	return ok;
}

static unsigned occurrences(const char *haystack, const char *needle)
{
	unsigned n = 0;

	for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* The number in data-marks="N" of the first chart in svg. */
static unsigned data_marks(const char *svg)
{
	const char *p = strstr(svg, "data-marks=\"");

	cr_assert_not_null(p, "no data-marks in %s", svg);
	return (unsigned)strtoul(p + strlen("data-marks=\""), NULL, 10);
}

static void assert_well_formed(const char *svg)
{
	char *why = NULL;

	cr_assert(well_formed(svg, &why), "not well-formed (%s): %s", why, svg);
}

/* ---- ticks and scales ---- */

Test(report_svg, nice_step_is_1_2_5_times_a_power_of_ten)
{
	cr_assert_float_eq(svg_nice_step(10, 5), 2.0, 1e-12);
	cr_assert_float_eq(svg_nice_step(7, 5), 2.0, 1e-12);   /* 1.4 rounds up to 2 */
	cr_assert_float_eq(svg_nice_step(0.3, 3), 0.1, 1e-12);
	cr_assert_float_eq(svg_nice_step(1e9, 4), 5e8, 1e-3);  /* 2.5e8 rounds up to 5e8 */
	cr_assert_float_eq(svg_nice_step(60, 6), 10.0, 1e-12);
	cr_assert_float_eq(svg_nice_step(0, 5), 1.0, 1e-12, "an empty span still gets a step");
}

Test(report_svg, linear_ticks_widen_to_whole_steps)
{
	double lo = 3, hi = 97;
	GArray *t = svg_ticks_linear(&lo, &hi, 5);

	cr_assert_eq(t->len, 6, "ticks %u", t->len);
	cr_assert_float_eq(lo, 0.0, 1e-12);
	cr_assert_float_eq(hi, 100.0, 1e-12);
	for (guint i = 0; i < t->len; i++)
		cr_assert_float_eq(g_array_index(t, double, i), 20.0 * i, 1e-9, "tick %u", i);
	g_array_unref(t);
}

Test(report_svg, linear_ticks_across_zero_have_a_positive_zero)
{
	double lo = -0.7, hi = 0.3;
	GArray *t = svg_ticks_linear(&lo, &hi, 5);
	bool zero = false;

	for (guint i = 0; i < t->len; i++) {
		double v = g_array_index(t, double, i);
		if (v == 0.0) {
			zero = true;
			cr_assert(!signbit(v), "the 0 tick is -0");
		}
	}
	cr_assert(zero, "no 0 tick between %g and %g", lo, hi);
	cr_assert(lo <= -0.7 && hi >= 0.3, "[%g, %g] does not cover the data", lo, hi);
	g_array_unref(t);
}

Test(report_svg, degenerate_ranges_are_widened)
{
	double lo = 0, hi = 0, nlo = NAN, nhi = INFINITY, plo = 5, phi = 5;
	GArray *a = svg_ticks_linear(&lo, &hi, 5), *b = svg_ticks_linear(&nlo, &nhi, 5);
	GArray *c = svg_ticks_linear(&plo, &phi, 5);

	cr_assert(lo == 0 && hi == 1, "[0, 0] gave [%g, %g]", lo, hi);
	cr_assert(nlo == 0 && nhi == 1, "non-finite gave [%g, %g]", nlo, nhi);
	cr_assert(plo >= 0 && plo < 5 && phi > 5, "[5, 5] gave [%g, %g]", plo, phi);
	cr_assert_geq(a->len, 2);
	cr_assert_geq(c->len, 2);
	g_array_unref(a);
	g_array_unref(b);
	g_array_unref(c);
}

Test(report_svg, log_ticks_are_whole_decades)
{
	double lo = 3, hi = 2000;
	GArray *t = svg_ticks_log(&lo, &hi);

	cr_assert_float_eq(lo, 1.0, 1e-12);
	cr_assert_float_eq(hi, 1e4, 1e-6);
	cr_assert_eq(t->len, 5, "ticks %u", t->len);
	cr_assert_float_eq(g_array_index(t, double, 3), 1000.0, 1e-9);
	g_array_unref(t);
}

Test(report_svg, scale_maps_linear_log_and_inverted)
{
	struct svg_scale x = {.lo = 0, .hi = 10, .px_lo = 100, .px_hi = 300};
	struct svg_scale lx = {.lo = 1, .hi = 1e4, .px_lo = 0, .px_hi = 400, .log = true};
	struct svg_scale y = {.lo = 0, .hi = 1, .px_lo = 200, .px_hi = 20};

	cr_assert_float_eq(svg_scale_px(&x, 5), 200.0, 1e-9);
	cr_assert_float_eq(svg_scale_px(&x, 10), 300.0, 1e-9);
	cr_assert_float_eq(svg_scale_px(&lx, 100), 200.0, 1e-9, "log: 100 is halfway between 1 and 1e4");
	cr_assert_float_eq(svg_scale_px(&y, 0), 200.0, 1e-9);
	cr_assert_float_eq(svg_scale_px(&y, 0.5), 110.0, 1e-9, "y grows upwards");
}

/* ---- formatting ---- */

static void assert_format(double v, const char *unit, const char *want)
{
	char *got = svg_format_value(v, unit);

	cr_assert_str_eq(got, want, "%g %s: got '%s', want '%s'", v, unit, got, want);
	g_free(got);
}

Test(report_svg, values_are_formatted_by_unit)
{
	assert_format(1.5e6, "ns", "1.5 ms");
	assert_format(999, "ns", "999 ns");
	assert_format(2.5e9, "ns", "2.5 s");
	assert_format(0, "ns", "0");
	assert_format(1500, "ps", "1.5 ns");
	assert_format(12500, "ops/s", "12.5k");
	assert_format(3.2e6, "bytes", "3.2M");
	assert_format(1234, "count", "1234");
	assert_format(0.25, "", "0.25");
	assert_format(NAN, "ns", "-");
}

/* ---- charts ---- */

Test(report_svg, bar_chart_escapes_text_and_counts_marks)
{
	struct svg_bar bars[] = {
		{.label = "\"x'", .value = 2.0, .err = 0.5, .color = 0},
		{.label = "none", .value = NAN, .err = NAN, .color = 1},
		{.label = "zero", .value = 0.0, .err = NAN, .color = 2},
	};
	GString *out = g_string_new(NULL);

	svg_bar_chart(out, "headline", "<a&b>", "ops/s", bars, 3);
	assert_well_formed(out->str);
	cr_assert(strstr(out->str, "&lt;a&amp;b&gt;") && !strstr(out->str, "<a&b>"), "title not escaped: %s", out->str);
	cr_assert(strstr(out->str, "&quot;x&apos;"), "label not escaped");
	cr_assert(strstr(out->str, "class=\"chart chart-headline\" data-chart=\"headline\""));
	cr_assert_eq(data_marks(out->str), 2, "the NaN bar is no mark");
	cr_assert_eq(occurrences(out->str, "class=\"mark bar\""), 2);
	cr_assert_eq(occurrences(out->str, "class=\"err\""), 3, "one error bar: a segment and two caps");
	g_string_free(out, TRUE);
}

Test(report_svg, error_bars_of_positive_values_stop_at_zero)
{
	struct svg_bar bars[] = {{.label = "a", .value = 1.0, .err = 5.0}, {.label = "b", .value = 2.0, .err = NAN}};
	GString *out = g_string_new(NULL);

	svg_bar_chart(out, "headline", "t", "", bars, 2);
	cr_assert_null(strstr(out->str, ">-"), "a negative tick on a positive chart: %s", out->str);
	cr_assert_eq(occurrences(out->str, "class=\"err\""), 2, "the cut end has no cap");
	g_string_free(out, TRUE);
}

Test(report_svg, stacked_shares_are_to_scale)
{
	const double a[] = {1, 3, NAN}, zero[] = {0, 0, 0}, b[] = {2, -1, 2};
	const char *const cats[] = {"guest", "idle", "x<y"};
	struct svg_stack_row rows[] = {{"a", a}, {"empty", zero}, {"b", b}};
	GString *out = g_string_new(NULL);

	svg_stacked_chart(out, "cpu", "CPU", cats, 3, rows, 3);
	assert_well_formed(out->str);
	/* plot width 900 - 200 - 30 = 670 px: 1/4 and 3/4 of it */
	cr_assert(strstr(out->str, "width=\"167.5\"") && strstr(out->str, "width=\"502.5\""), "%s", out->str);
	cr_assert_eq(data_marks(out->str), 4, "a: 2 segments, empty: none, b: 2 (the negative one is 0)");
	cr_assert_eq(occurrences(out->str, "class=\"mark seg\""), 4);
	cr_assert(strstr(out->str, "x&lt;y"), "category not escaped");
	g_string_free(out, TRUE);
}

Test(report_svg, lines_have_gaps_bands_and_steps)
{
	const double x[] = {0, 1, 2, 3}, y[] = {1, NAN, 3, 4}, lo[] = {0.5, NAN, 2, 3}, hi[] = {1.5, NAN, 4, 5};
	const double cx[] = {10, 100, 1000}, cy[] = {0, 0.5, 1};
	const char *const labels[] = {"a&b", "c", "d", "e"};
	struct svg_series s[] = {
		{.label = "banded", .color = 0, .n = 4, .x = x, .y = y, .lo = lo, .hi = hi},
		{.label = "dashed", .color = 1, .dashed = true, .n = 4, .x = x, .y = y},
	};
	struct svg_series cdf = {.label = "cdf", .step = true, .n = 3, .x = cx, .y = cy};
	struct svg_line_spec spec = {.kind = "sweep", .title = "t", .x_title = "axis", .y_title = "m", .y_unit = "ns",
				     .x_labels = labels, .n_x_labels = 4};
	struct svg_line_spec cspec = {.kind = "cdf", .title = "c", .x_unit = "ns", .x_log = true, .y_unit_interval = true};
	GString *out = g_string_new(NULL), *c = g_string_new(NULL);

	svg_line_chart(out, &spec, s, 2);
	assert_well_formed(out->str);
	cr_assert_eq(data_marks(out->str), 3, "two lines and one band (the 1-point run has none)");
	cr_assert_eq(occurrences(out->str, "class=\"mark "), 3);
	cr_assert_eq(occurrences(out->str, "d=\"M"), 2 + 1, "each line restarts after the gap: %s", out->str);
	cr_assert_eq(occurrences(out->str, " M"), 2, "one gap per line");
	cr_assert(strstr(out->str, "class=\"mark line dashed\""));
	cr_assert(strstr(out->str, "a&amp;b"), "x label not escaped");
	svg_line_chart(c, &cspec, &cdf, 1);
	assert_well_formed(c->str);
	cr_assert(strstr(c->str, " H") && strstr(c->str, " V"), "a CDF is a staircase: %s", c->str);
	cr_assert(strstr(c->str, ">1 µs<") || strstr(c->str, ">10 ns<"), "decade ticks as times: %s", c->str);
	g_string_free(out, TRUE);
	g_string_free(c, TRUE);
}
