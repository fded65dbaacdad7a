/* SPDX-License-Identifier: MIT */
/*
 * report_svg.c - the SVG chart toolkit of `hvsim report` (report_svg.h): scales and nice ticks,
 *       value formatting, bar charts with error bars, stacked bars, lines with bands.
 * Role: text generation only. Coordinates are written with one decimal through g_ascii_formatd,
 *       so the output does not depend on the locale; every string is escaped with
 *       g_markup_escape_text (valid in HTML and in XML, which the browser test parses).
 * Simplifications: no label collision handling beyond rotating crowded x labels; a logarithmic
 *       axis ticks whole decades only. When no value of a chart is negative its y axis starts at 0
 *       and error bars and bands are cut there (the tables keep the full intervals).
 */
#include <math.h>
#include <string.h>

#include "analysis/report_svg.h"

/* The frame of a chart: its size and the margins around the plot area (pixels). */
struct frame {
	double w, h;
	double left, right, top, bottom;
};

static double plot_x0(const struct frame *f) { return f->left; }
static double plot_x1(const struct frame *f) { return f->w - f->right; }
static double plot_y0(const struct frame *f) { return f->h - f->bottom; } /* the bottom edge */
static double plot_y1(const struct frame *f) { return f->top; }

/* ---- numbers ---- */

double svg_scale_px(const struct svg_scale *s, double v)
{
	double a = s->lo, b = s->hi;

	if (s->log) {
		a = log10(a);
		b = log10(b);
		v = log10(v);
	}
	if (b == a)
		return (s->px_lo + s->px_hi) / 2;
	return s->px_lo + (v - a) / (b - a) * (s->px_hi - s->px_lo);
}

double svg_nice_step(double span, unsigned target)
{
	double raw, mag, f;

	if (!(span > 0) || !isfinite(span) || target == 0)
		return 1.0;
	raw = span / target;
	mag = pow(10.0, floor(log10(raw)));
	f = raw / mag;
	if (f <= 1.0)
		return mag;
	if (f <= 2.0)
		return 2.0 * mag;
	if (f <= 5.0)
		return 5.0 * mag;
	return 10.0 * mag;
}

GArray *svg_ticks_linear(double *lo, double *hi, unsigned target)
{
	GArray *ticks = g_array_new(FALSE, FALSE, sizeof(double));
	double step, first, last;

	if (!isfinite(*lo) || !isfinite(*hi)) {
		*lo = 0.0;
		*hi = 1.0;
	}
	if (*lo > *hi) {
		double t = *lo;
		*lo = *hi;
		*hi = t;
	}
	if (*lo == *hi) {
		double pad = *lo == 0.0 ? 1.0 : fabs(*lo) * 0.5;
		*lo -= *lo >= 0.0 && *lo - pad < 0.0 ? *lo : pad; /* a positive value keeps 0 as its floor */
		*hi += pad;
	}
	step = svg_nice_step(*hi - *lo, target ? target : 5);
	first = floor(*lo / step + 1e-9) * step;
	last = ceil(*hi / step - 1e-9) * step;
	for (double i = 0; first + i * step <= last + step * 1e-6; i++) {
		double t = first + i * step;
		if (fabs(t) < step * 1e-9)
			t = 0.0; /* no "-0" */
		g_array_append_val(ticks, t);
	}
	*lo = first;
	*hi = last;
	return ticks;
}

GArray *svg_ticks_log(double *lo, double *hi)
{
	GArray *ticks = g_array_new(FALSE, FALSE, sizeof(double));
	double a, b;

	if (!(*lo > 0) || !isfinite(*lo))
		*lo = 1.0;
	if (!(*hi > *lo) || !isfinite(*hi))
		*hi = *lo * 10.0;
	a = floor(log10(*lo) + 1e-9);
	b = ceil(log10(*hi) - 1e-9);
	if (b <= a)
		b = a + 1;
	for (double e = a; e <= b; e++) {
		double t = pow(10.0, e);
		g_array_append_val(ticks, t);
	}
	*lo = pow(10.0, a);
	*hi = pow(10.0, b);
	return ticks;
}

/* "%.4g" of v without a trailing exponent for the magnitudes we print. */
static char *format_plain(double v, const char *suffix)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	return g_strconcat(g_ascii_formatd(buf, sizeof buf, "%.4g", v), suffix, NULL);
}

/* A time of `ns` nanoseconds in the largest unit that keeps it >= 1. */
static char *format_time_ns(double ns)
{
	static const struct { double scale; const char *suffix; } units[] = {
		{1e9, " s"}, {1e6, " ms"}, {1e3, " µs"},
	};

	for (unsigned i = 0; i < G_N_ELEMENTS(units); i++)
		if (fabs(ns) >= units[i].scale)
			return format_plain(ns / units[i].scale, units[i].suffix);
	return format_plain(ns, ns == 0.0 ? "" : " ns");
}

char *svg_format_value(double v, const char *unit)
{
	if (isnan(v))
		return g_strdup("-");
	if (unit && strcmp(unit, "ns") == 0)
		return format_time_ns(v);
	if (unit && strcmp(unit, "ps") == 0)
		return format_time_ns(v / 1e3);
	if (fabs(v) >= 1e9)
		return format_plain(v / 1e9, "G");
	if (fabs(v) >= 1e6)
		return format_plain(v / 1e6, "M");
	if (fabs(v) >= 1e4)
		return format_plain(v / 1e3, "k");
	return format_plain(v, "");
}

const char *svg_color(unsigned i)
{
	static const char *const palette[] = {
		"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
		"#bab0ac", "#ff9da7",
	};

	return palette[i % G_N_ELEMENTS(palette)];
}

/* ---- SVG primitives ---- */

/* Appends a coordinate with one decimal, locale-independent. */
static void put_num(GString *out, double v)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	g_string_append(out, g_ascii_formatd(buf, sizeof buf, "%.1f", v));
}

/* Appends text escaped for HTML and XML. */
static void put_text(GString *out, const char *text)
{
	char *e = g_markup_escape_text(text ? text : "", -1);

	g_string_append(out, e);
	g_free(e);
}

/* <text x y class anchor>text</text>; rotate != 0 turns it around its anchor. */
static void put_label(GString *out, double x, double y, const char *cls, const char *anchor, double rotate,
		      const char *text)
{
	g_string_append(out, "<text x=\"");
	put_num(out, x);
	g_string_append(out, "\" y=\"");
	put_num(out, y);
	g_string_append_printf(out, "\" class=\"%s\" text-anchor=\"%s\"", cls, anchor);
	if (rotate != 0.0) {
		g_string_append(out, " transform=\"rotate(");
		put_num(out, rotate);
		g_string_append_c(out, ' ');
		put_num(out, x);
		g_string_append_c(out, ' ');
		put_num(out, y);
		g_string_append(out, ")\"");
	}
	g_string_append_c(out, '>');
	put_text(out, text);
	g_string_append(out, "</text>\n");
}

static void put_line(GString *out, double x1, double y1, double x2, double y2, const char *cls)
{
	g_string_append(out, "<line x1=\"");
	put_num(out, x1);
	g_string_append(out, "\" y1=\"");
	put_num(out, y1);
	g_string_append(out, "\" x2=\"");
	put_num(out, x2);
	g_string_append(out, "\" y2=\"");
	put_num(out, y2);
	g_string_append_printf(out, "\" class=\"%s\"/>\n", cls);
}

/* A filled rectangle; a data mark when cls says so. Its <title> (tooltip) is tip, if any. */
static void put_rect(GString *out, double x, double y, double w, double h, const char *cls, const char *fill,
		     const char *tip)
{
	g_string_append(out, "<rect x=\"");
	put_num(out, x);
	g_string_append(out, "\" y=\"");
	put_num(out, y);
	g_string_append(out, "\" width=\"");
	put_num(out, w);
	g_string_append(out, "\" height=\"");
	put_num(out, h);
	g_string_append_printf(out, "\" class=\"%s\" fill=\"%s\"", cls, fill);
	if (!tip) {
		g_string_append(out, "/>\n");
		return;
	}
	g_string_append(out, "><title>");
	put_text(out, tip);
	g_string_append(out, "</title></rect>\n");
}

/* Opens the chart's <svg> with its classes, data attributes, accessible title and visible title. */
static void chart_begin(GString *out, const char *kind, const char *title, const struct frame *f, unsigned marks)
{
	g_string_append_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart chart-%s\" data-chart=\"%s\" "
				    "data-marks=\"%u\" width=\"", kind, kind, marks);
	put_num(out, f->w);
	g_string_append(out, "\" height=\"");
	put_num(out, f->h);
	g_string_append(out, "\" viewBox=\"0 0 ");
	put_num(out, f->w);
	g_string_append_c(out, ' ');
	put_num(out, f->h);
	g_string_append(out, "\" role=\"img\"><title>");
	put_text(out, title);
	g_string_append(out, "</title>\n");
	put_label(out, f->w / 2, 16, "title", "middle", 0, title);
}

static void chart_end(GString *out)
{
	g_string_append(out, "</svg>\n");
}

/* Horizontal grid lines and labels at the ticks of a y scale, and the axis line. */
static void draw_y_axis(GString *out, const struct frame *f, const struct svg_scale *y, const GArray *ticks,
			const char *unit)
{
	for (guint i = 0; i < ticks->len; i++) {
		double t = g_array_index(ticks, double, i), py = svg_scale_px(y, t);
		char *label = svg_format_value(t, unit);

		put_line(out, plot_x0(f), py, plot_x1(f), py, "grid");
		put_label(out, plot_x0(f) - 4, py + 4, "tick", "end", 0, label);
		g_free(label);
	}
	put_line(out, plot_x0(f), plot_y0(f), plot_x0(f), plot_y1(f), "axis");
}

/* Vertical grid lines and labels at the ticks of a numeric x scale, and the axis line. */
static void draw_x_axis(GString *out, const struct frame *f, const struct svg_scale *x, const GArray *ticks,
			const char *unit)
{
	for (guint i = 0; i < ticks->len; i++) {
		double t = g_array_index(ticks, double, i), px = svg_scale_px(x, t);
		char *label = svg_format_value(t, unit);

		put_line(out, px, plot_y0(f), px, plot_y1(f), "grid");
		put_label(out, px, plot_y0(f) + 14, "tick", "middle", 0, label);
		g_free(label);
	}
	put_line(out, plot_x0(f), plot_y0(f), plot_x1(f), plot_y0(f), "axis");
}

/* Labels under evenly spaced categories (x = 0..n-1 on scale x); rotated when they are crowded. */
static void draw_x_categories(GString *out, const struct frame *f, const struct svg_scale *x,
			      const char *const *labels, unsigned n)
{
	size_t longest = 0;
	double room = n ? (plot_x1(f) - plot_x0(f)) / n : 0;

	for (unsigned i = 0; i < n; i++)
		longest = MAX(longest, strlen(labels[i]));
	for (unsigned i = 0; i < n; i++) {
		double px = svg_scale_px(x, i);
		bool crowded = longest * 6.5 > room;

		put_label(out, px, plot_y0(f) + 14, "tick", crowded ? "end" : "middle", crowded ? -30 : 0, labels[i]);
	}
	put_line(out, plot_x0(f), plot_y0(f), plot_x1(f), plot_y0(f), "axis");
}

/* ---- bar chart ---- */

/*
 * The value range the bars and their error bars span, 0 included. When no bar is negative the
 * range starts at 0: error bars of a quantity that cannot be negative are cut there.
 */
static void bars_range(const struct svg_bar *bars, unsigned n, double *lo, double *hi)
{
	bool negative = false;

	*lo = *hi = 0.0;
	for (unsigned i = 0; i < n; i++)
		negative = negative || bars[i].value < 0;
	for (unsigned i = 0; i < n; i++) {
		double v = bars[i].value, e = isnan(bars[i].err) ? 0.0 : bars[i].err;

		if (isnan(v))
			continue;
		*lo = negative ? fmin(*lo, v - e) : 0.0;
		*hi = fmax(*hi, v + e);
	}
}

/* The error bar of one bar: a vertical segment, value ± err, with caps (none where cut at the axis). */
static void draw_error_bar(GString *out, const struct svg_scale *y, double cx, double v, double err)
{
	double top = svg_scale_px(y, v + err), bottom = svg_scale_px(y, fmax(v - err, y->lo));

	put_line(out, cx, top, cx, bottom, "err");
	put_line(out, cx - 5, top, cx + 5, top, "err");
	if (v - err >= y->lo)
		put_line(out, cx - 5, bottom, cx + 5, bottom, "err");
}

void svg_bar_chart(GString *out, const char *kind, const char *title, const char *unit,
		   const struct svg_bar *bars, unsigned nbars)
{
	struct frame f = {.w = 90 + 70.0 * nbars, .h = 210, .left = 62, .right = 10, .top = 28, .bottom = 36};
	struct svg_scale y = {.px_lo = plot_y0(&f), .px_hi = plot_y1(&f)};
	double slot = (plot_x1(&f) - plot_x0(&f)) / (nbars ? nbars : 1);
	unsigned marks = 0;
	GArray *ticks;

	for (unsigned i = 0; i < nbars; i++)
		marks += !isnan(bars[i].value);
	bars_range(bars, nbars, &y.lo, &y.hi);
	ticks = svg_ticks_linear(&y.lo, &y.hi, 4);
	chart_begin(out, kind, title, &f, marks);
	draw_y_axis(out, &f, &y, ticks, unit);
	for (unsigned i = 0; i < nbars; i++) {
		const struct svg_bar *b = &bars[i];
		double x = plot_x0(&f) + slot * i + slot * 0.2, w = slot * 0.6;
		double y0 = svg_scale_px(&y, 0.0), yv;
		char *value = svg_format_value(b->value, unit);
		char *tip = g_strdup_printf("%s: %s", b->label, value);

		put_label(out, x + w / 2, plot_y0(&f) + 14, "tick", "middle", 0, b->label);
		if (!isnan(b->value)) {
			yv = svg_scale_px(&y, b->value);
			put_rect(out, x, fmin(y0, yv), w, fabs(y0 - yv), "mark bar", svg_color(b->color), tip);
			if (!isnan(b->err) && b->err > 0)
				draw_error_bar(out, &y, x + w / 2, b->value, b->err);
			put_label(out, x + w / 2, plot_y0(&f) + 28, "value", "middle", 0, value);
		}
		g_free(tip);
		g_free(value);
	}
	put_line(out, plot_x0(&f), svg_scale_px(&y, 0.0), plot_x1(&f), svg_scale_px(&y, 0.0), "axis");
	chart_end(out);
	g_array_unref(ticks);
}

/* ---- stacked bars ---- */

static double clean(double v)
{
	return isnan(v) || v < 0 ? 0.0 : v;
}

/* The legend of a stacked chart: a swatch and a name per category, in one row under the title. */
static void draw_category_legend(GString *out, const struct frame *f, const char *const *categories, unsigned n)
{
	double x = f->left;

	for (unsigned c = 0; c < n; c++) {
		put_rect(out, x, 28, 12, 12, "swatch", svg_color(c), NULL);
		put_label(out, x + 16, 38, "legend", "start", 0, categories[c]);
		x += 24 + 7.0 * strlen(categories[c]);
	}
}

/* One row: its label, and a rectangle per non-zero category, widths as shares of the row total. */
static unsigned draw_stack_row(GString *out, const struct frame *f, const struct svg_scale *x, double py,
			       double height, const char *const *categories, unsigned ncat,
			       const struct svg_stack_row *row)
{
	double total = 0.0, acc = 0.0;
	unsigned marks = 0;

	put_label(out, plot_x0(f) - 6, py + height / 2 + 4, "tick", "end", 0, row->label);
	for (unsigned c = 0; c < ncat; c++)
		total += clean(row->values[c]);
	if (total <= 0)
		return 0;
	for (unsigned c = 0; c < ncat; c++) {
		double share = clean(row->values[c]) / total;
		char *tip;

		if (share <= 0)
			continue;
		tip = g_strdup_printf("%s, %s: %.1f%%", row->label, categories[c], share * 100);
		put_rect(out, svg_scale_px(x, acc), py, svg_scale_px(x, acc + share) - svg_scale_px(x, acc), height,
			 "mark seg", svg_color(c), tip);
		g_free(tip);
		acc += share;
		marks++;
	}
	return marks;
}

/* The marks a stacked chart will draw: its non-zero segments. */
static unsigned count_segments(const struct svg_stack_row *rows, unsigned nrows, unsigned ncat)
{
	unsigned marks = 0;

	for (unsigned r = 0; r < nrows; r++) {
		double total = 0.0;

		for (unsigned c = 0; c < ncat; c++)
			total += clean(rows[r].values[c]);
		for (unsigned c = 0; c < ncat && total > 0; c++)
			marks += clean(rows[r].values[c]) > 0;
	}
	return marks;
}

void svg_stacked_chart(GString *out, const char *kind, const char *title, const char *const *categories,
		       unsigned ncategories, const struct svg_stack_row *rows, unsigned nrows)
{
	const double row_h = 18, gap = 6;
	struct frame f = {.w = 900, .left = 200, .right = 30, .top = 50, .bottom = 30};
	struct svg_scale x = {.lo = 0, .hi = 1, .px_lo = f.left, .px_hi = f.w - f.right};
	GArray *ticks;

	f.h = f.top + f.bottom + nrows * (row_h + gap);
	chart_begin(out, kind, title, &f, count_segments(rows, nrows, ncategories));
	draw_category_legend(out, &f, categories, ncategories);
	ticks = svg_ticks_linear(&x.lo, &x.hi, 4);
	for (guint i = 0; i < ticks->len; i++) {
		double t = g_array_index(ticks, double, i), px = svg_scale_px(&x, t);
		char *label = g_strdup_printf("%.0f%%", t * 100);

		put_line(out, px, plot_y1(&f), px, plot_y0(&f), "grid");
		put_label(out, px, plot_y0(&f) + 14, "tick", "middle", 0, label);
		g_free(label);
	}
	for (unsigned r = 0; r < nrows; r++)
		draw_stack_row(out, &f, &x, f.top + gap / 2 + r * (row_h + gap), row_h, categories, ncategories, &rows[r]);
	chart_end(out);
	g_array_unref(ticks);
}

/* ---- lines with bands ---- */

/* Whether point i of s is drawn on the scale (a finite y, and a positive x on a log scale). */
static bool point_ok(const struct svg_series *s, unsigned i, bool x_log)
{
	return isfinite(s->y[i]) && isfinite(s->x[i]) && (!x_log || s->x[i] > 0);
}

static double band_lo(const struct svg_series *s, unsigned i)
{
	return s->lo && isfinite(s->lo[i]) ? s->lo[i] : s->y[i];
}

static double band_hi(const struct svg_series *s, unsigned i)
{
	return s->hi && isfinite(s->hi[i]) ? s->hi[i] : s->y[i];
}

/*
 * The data range of every drawable point, bands included; but when no line goes below 0 the y
 * range starts at 0 (bands of a quantity that cannot be negative are cut there).
 */
static void series_range(const struct svg_series *series, unsigned n, bool x_log, double *xlo, double *xhi,
			 double *ylo, double *yhi)
{
	double line_lo = INFINITY;

	*xlo = *ylo = INFINITY;
	*xhi = *yhi = -INFINITY;
	for (unsigned s = 0; s < n; s++)
		for (unsigned i = 0; i < series[s].n; i++) {
			if (!point_ok(&series[s], i, x_log))
				continue;
			*xlo = fmin(*xlo, series[s].x[i]);
			*xhi = fmax(*xhi, series[s].x[i]);
			*ylo = fmin(*ylo, band_lo(&series[s], i));
			*yhi = fmax(*yhi, band_hi(&series[s], i));
			line_lo = fmin(line_lo, series[s].y[i]);
		}
	if (line_lo >= 0)
		*ylo = 0.0;
}

/* Appends "M x y" or "L x y" (or the staircase "H x V y" after the first point) to a path. */
static void path_point(GString *d, bool first, bool step, double px, double py)
{
	if (first) {
		g_string_append(d, d->len ? " M" : "M");
		put_num(d, px);
		g_string_append_c(d, ' ');
		put_num(d, py);
	} else if (step) {
		g_string_append(d, " H");
		put_num(d, px);
		g_string_append(d, " V");
		put_num(d, py);
	} else {
		g_string_append(d, " L");
		put_num(d, px);
		g_string_append_c(d, ' ');
		put_num(d, py);
	}
}

/* The band of a series as closed paths (one per run of drawable points): hi forward, lo back. */
static unsigned draw_band(GString *out, const struct svg_scale *x, const struct svg_scale *y,
			  const struct svg_series *s, bool x_log)
{
	unsigned marks = 0, i = 0;

	while (i < s->n) {
		unsigned start, end;
		GString *d;

		while (i < s->n && !point_ok(s, i, x_log))
			i++;
		start = i;
		while (i < s->n && point_ok(s, i, x_log))
			i++;
		end = i;
		if (end - start < 2)
			continue;
		d = g_string_new(NULL);
		for (unsigned k = start; k < end; k++)
			path_point(d, k == start, false, svg_scale_px(x, s->x[k]), svg_scale_px(y, band_hi(s, k)));
		for (unsigned k = end; k > start; k--)
			path_point(d, false, false, svg_scale_px(x, s->x[k - 1]),
				   svg_scale_px(y, fmax(band_lo(s, k - 1), y->lo)));
		g_string_append_printf(out, "<path class=\"mark band\" d=\"%s Z\" fill=\"%s\"/>\n", d->str,
				       svg_color(s->color));
		g_string_free(d, TRUE);
		marks++;
	}
	return marks;
}

/* The line of a series (gaps at undrawable points), and a dot at each point when it is not a step. */
static unsigned draw_series_line(GString *out, const struct svg_scale *x, const struct svg_scale *y,
				 const struct svg_series *s, bool x_log)
{
	GString *d = g_string_new(NULL);
	bool first = true;
	unsigned drawn = 0;

	for (unsigned i = 0; i < s->n; i++) {
		if (!point_ok(s, i, x_log)) {
			first = true;
			continue;
		}
		path_point(d, first, s->step, svg_scale_px(x, s->x[i]), svg_scale_px(y, s->y[i]));
		first = false;
		drawn++;
		if (!s->step) {
			g_string_append(out, "<circle class=\"dot\" r=\"2.5\" cx=\"");
			put_num(out, svg_scale_px(x, s->x[i]));
			g_string_append(out, "\" cy=\"");
			put_num(out, svg_scale_px(y, s->y[i]));
			g_string_append_printf(out, "\" fill=\"%s\"/>\n", svg_color(s->color));
		}
	}
	if (drawn > 0)
		g_string_append_printf(out, "<path class=\"mark line%s\" d=\"%s\" stroke=\"%s\"/>\n",
				       s->dashed ? " dashed" : "", d->str, svg_color(s->color));
	g_string_free(d, TRUE);
	return drawn > 0;
}

/* The legend under the plot: one line per series, its colour and dash. */
static void draw_series_legend(GString *out, const struct frame *f, const struct svg_series *series, unsigned n)
{
	for (unsigned s = 0; s < n; s++) {
		double py = plot_y0(f) + 50 + 16.0 * s;

		g_string_append(out, "<line x1=\"");
		put_num(out, f->left);
		g_string_append(out, "\" y1=\"");
		put_num(out, py - 4);
		g_string_append(out, "\" x2=\"");
		put_num(out, f->left + 22);
		g_string_append(out, "\" y2=\"");
		put_num(out, py - 4);
		g_string_append_printf(out, "\" class=\"key%s\" stroke=\"%s\"/>\n", series[s].dashed ? " dashed" : "",
				       svg_color(series[s].color));
		put_label(out, f->left + 28, py, "legend", "start", 0, series[s].label);
	}
}

/* The marks a line chart will draw: lines with a drawable point, bands of two or more. */
static unsigned count_line_marks(const struct svg_series *series, unsigned n, bool x_log)
{
	unsigned marks = 0;

	for (unsigned s = 0; s < n; s++) {
		unsigned run = 0, drawn = 0;

		for (unsigned i = 0; i <= series[s].n; i++) {
			bool ok = i < series[s].n && point_ok(&series[s], i, x_log);

			drawn += ok;
			if (ok) {
				run++;
				continue;
			}
			marks += series[s].lo && run >= 2;
			run = 0;
		}
		marks += drawn > 0;
	}
	return marks;
}

/* The x scale and its ticks: categorical, logarithmic or linear. */
static GArray *x_scale_setup(const struct svg_line_spec *spec, struct svg_scale *x, double xlo, double xhi)
{
	if (spec->x_labels) {
		x->lo = -0.5;
		x->hi = spec->n_x_labels - 0.5;
		return NULL;
	}
	x->lo = xlo;
	x->hi = xhi;
	x->log = spec->x_log;
	return spec->x_log ? svg_ticks_log(&x->lo, &x->hi) : svg_ticks_linear(&x->lo, &x->hi, 6);
}

void svg_line_chart(GString *out, const struct svg_line_spec *spec, const struct svg_series *series,
		    unsigned nseries)
{
	struct frame f = {.w = 460, .left = 66, .right = 16, .top = 28, .bottom = 60};
	struct svg_scale x, y;
	double xlo, xhi, ylo, yhi;
	GArray *xticks, *yticks;

	f.h = 250 + 16.0 * nseries;
	f.bottom = 60 + 16.0 * nseries;
	x = (struct svg_scale){.px_lo = plot_x0(&f), .px_hi = plot_x1(&f)};
	y = (struct svg_scale){.px_lo = plot_y0(&f), .px_hi = plot_y1(&f)};
	series_range(series, nseries, spec->x_log && !spec->x_labels, &xlo, &xhi, &ylo, &yhi);
	if (spec->y_unit_interval) {
		ylo = 0.0;
		yhi = 1.0;
	}
	xticks = x_scale_setup(spec, &x, xlo, xhi);
	y.lo = ylo;
	y.hi = yhi;
	yticks = svg_ticks_linear(&y.lo, &y.hi, 5);
	chart_begin(out, spec->kind, spec->title, &f, count_line_marks(series, nseries, x.log));
	draw_y_axis(out, &f, &y, yticks, spec->y_unit);
	if (xticks)
		draw_x_axis(out, &f, &x, xticks, spec->x_unit);
	else
		draw_x_categories(out, &f, &x, spec->x_labels, spec->n_x_labels);
	put_label(out, (plot_x0(&f) + plot_x1(&f)) / 2, plot_y0(&f) + 32, "axis-title", "middle", 0, spec->x_title);
	put_label(out, 14, (plot_y0(&f) + plot_y1(&f)) / 2, "axis-title", "middle", -90, spec->y_title);
	for (unsigned s = 0; s < nseries; s++)
		if (series[s].lo)
			draw_band(out, &x, &y, &series[s], x.log);
	for (unsigned s = 0; s < nseries; s++)
		draw_series_line(out, &x, &y, &series[s], x.log);
	draw_series_legend(out, &f, series, nseries);
	chart_end(out);
	if (xticks)
		g_array_unref(xticks);
	g_array_unref(yticks);
}
