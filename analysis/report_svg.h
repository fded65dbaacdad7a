/* SPDX-License-Identifier: MIT */
/*
 * report_svg.h - a small SVG chart toolkit for `hvsim report`: scales with nice ticks (linear and
 *       logarithmic), number formatting by unit, and three chart kinds written into a GString:
 *       bars with error bars, 100% stacked horizontal bars, lines (straight or steps) with shaded
 *       bands.
 * Role: pure text generation, no database and no I/O; report_group.c and report_sweep.c feed it.
 *       Every text it writes (titles, labels, units) is escaped for HTML/XML here, so callers pass
 *       raw strings from the database.
 * Output: one <svg class="chart chart-KIND" data-chart="KIND" data-marks="N"> per chart, N the
 *       number of data marks drawn (bars, segments, lines, bands); each mark has class "mark".
 *       Colours come from a fixed palette (svg_color); no scripts, no external references.
 * See: docs/report.md; tests/unit/analysis/test_report.c
 */
#ifndef ANALYSIS_REPORT_SVG_H
#define ANALYSIS_REPORT_SVG_H

#include <stdbool.h>

#include <glib.h>

/* A map from data values [lo, hi] to pixels [px_lo, px_hi] (px_hi < px_lo for a y axis). */
struct svg_scale {
	double lo, hi;
	double px_lo, px_hi;
	bool log; /* log10 mapping; lo and hi must then be > 0 */
};

/* The pixel of value v; values outside [lo, hi] map outside the pixel range. */
double svg_scale_px(const struct svg_scale *s, double v);

/* The nice step (1, 2 or 5 times a power of ten) that cuts span into at most about target parts. */
double svg_nice_step(double span, unsigned target);

/*
 * Widens [*lo, *hi] to multiples of a nice step and returns the ticks from *lo to *hi (a GArray of
 * double, at most about target + 1 of them). lo == hi is widened around the value (0 to 1 for 0);
 * non-finite bounds give [0, 1].
 */
GArray *svg_ticks_linear(double *lo, double *hi, unsigned target);

/* Widens [*lo, *hi] (both > 0) to whole decades and returns one tick per decade (1, 10, 100...). */
GArray *svg_ticks_log(double *lo, double *hi);

/*
 * A value for a person, newly allocated: unit "ns" as a time scaled to ns, µs, ms or s ("1.5 ms");
 * unit "ps" likewise; any other unit as a number with at most 4 significant digits and k, M, G for
 * thousands, millions, billions ("1.5k"), the unit not appended. NaN gives "-".
 */
char *svg_format_value(double v, const char *unit);

/* Colour i of the palette (cycles). */
const char *svg_color(unsigned i);

/* One bar: its label under it, its value and the half-width of its error bar (NaN: none). */
struct svg_bar {
	const char *label;
	double value, err;
	unsigned color;
};

/* A vertical bar chart with error bars; the y axis starts at 0 (or below, for negative values). */
void svg_bar_chart(GString *out, const char *kind, const char *title, const char *unit,
		   const struct svg_bar *bars, unsigned nbars);

/* One row of a stacked bar chart: values[c] is category c's amount (negative or NaN count as 0). */
struct svg_stack_row {
	const char *label;
	const double *values;
};

/*
 * Horizontal bars, one per row, each split into its categories as shares of the row's total (a
 * row whose total is 0 draws nothing), with a legend of the categories (colour c = svg_color(c)).
 */
void svg_stacked_chart(GString *out, const char *kind, const char *title, const char *const *categories,
		       unsigned ncategories, const struct svg_stack_row *rows, unsigned nrows);

/*
 * One line: n points (x[i], y[i]); NaN y leaves a gap. lo and hi (both or neither) bound a band
 * shaded under the line (a NaN bound: the line's own y). step draws a staircase (horizontal to the
 * next x, then vertical), as for a CDF; dashed draws the line dashed.
 */
struct svg_series {
	const char *label;
	unsigned color;
	bool step, dashed;
	unsigned n;
	const double *x, *y, *lo, *hi;
};

struct svg_line_spec {
	const char *kind, *title;
	const char *x_title, *x_unit, *y_title, *y_unit;
	bool x_log;                    /* logarithmic x (positive x only; smaller ones are clipped) */
	const char *const *x_labels;   /* categorical x: x values are indexes 0..n_x_labels - 1 */
	unsigned n_x_labels;
	bool y_unit_interval;          /* y is 0..1 (a CDF) */
};

/* A line chart with axes, ticks, a legend of the series' labels. */
void svg_line_chart(GString *out, const struct svg_line_spec *spec, const struct svg_series *series,
		    unsigned nseries);

#endif /* ANALYSIS_REPORT_SVG_H */
