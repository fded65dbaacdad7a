/* SPDX-License-Identifier: MIT */
/*
 * report_sweep.c - the report page of a sweep: each headline metric of each VM against each axis.
 * Role: for every VM scope, headline metric (report__headline) and axis, a line chart of the
 *       virtual mean with its 95% confidence band against the axis' values, one line per
 *       combination of the other axes' values, and the bare-metal mean as a dashed line of the same
 *       colour; then a table of the metric at every point. A numeric axis is drawn to scale, any
 *       other axis as evenly spaced categories in the order of the sweep file.
 * Numbers: the view sweep_comparison over the complete points (report_data.c); the CI is
 *       t(0.975, n-1) x sd / sqrt(n), as hvsim compare computes it.
 */
#include <math.h>
#include <string.h>

#include "analysis/report-int.h"
#include "analysis/report_svg.h"

/* One line of a sweep chart: the points of one combination of the other axes, by x. */
struct sweep_line {
	char *key;                           /* "axis=value, ..." of the other axes; "" with one axis */
	GArray *x, *y, *lo, *hi, *bare;      /* double */
};

static void sweep_line_free(gpointer p)
{
	struct sweep_line *l = p;

	g_free(l->key);
	g_array_unref(l->x);
	g_array_unref(l->y);
	g_array_unref(l->lo);
	g_array_unref(l->hi);
	g_array_unref(l->bare);
	g_free(l);
}

static const struct report_axis *axis_at(const struct report_sweep *s, unsigned a)
{
	return s->axes->pdata[a];
}

/* The index of point pt's value on axis a, G_MAXUINT when it has none. */
static unsigned value_of(const struct report_point *pt, unsigned a)
{
	return a < pt->value_index->len ? g_array_index(pt->value_index, unsigned, a) : G_MAXUINT;
}

/* "b=value, c=value" over every axis but `skip`, for the legend. */
static char *other_axes_key(const struct report_sweep *s, const struct report_point *pt, unsigned skip)
{
	GString *key = g_string_new(NULL);

	for (unsigned b = 0; b < s->axes->len; b++) {
		unsigned v = value_of(pt, b);

		if (b == skip)
			continue;
		g_string_append_printf(key, "%s%s=%s", key->len ? ", " : "", axis_at(s, b)->name,
				       v == G_MAXUINT ? "?" : (const char *)axis_at(s, b)->labels->pdata[v]);
	}
	return g_string_free(key, FALSE);
}

static struct sweep_line *line_for(GPtrArray *lines, char *key /* steals */)
{
	struct sweep_line *l;

	for (guint i = 0; i < lines->len; i++) {
		l = lines->pdata[i];
		if (strcmp(l->key, key) == 0) {
			g_free(key);
			return l;
		}
	}
	l = g_new0(struct sweep_line, 1);
	l->key = key;
	l->x = g_array_new(FALSE, FALSE, sizeof(double));
	l->y = g_array_new(FALSE, FALSE, sizeof(double));
	l->lo = g_array_new(FALSE, FALSE, sizeof(double));
	l->hi = g_array_new(FALSE, FALSE, sizeof(double));
	l->bare = g_array_new(FALSE, FALSE, sizeof(double));
	g_ptr_array_add(lines, l);
	return l;
}

/* Appends one point to a line: the virtual mean, its band (mean ± CI; none: the mean), bare metal. */
static void line_append(struct sweep_line *l, double x, const struct report_sweep_row *row)
{
	double ci = isnan(row->virt.ci95) ? 0.0 : row->virt.ci95;
	double lo = row->virt.mean - ci, hi = row->virt.mean + ci;

	g_array_append_val(l->x, x);
	g_array_append_val(l->y, row->virt.mean);
	g_array_append_val(l->lo, lo);
	g_array_append_val(l->hi, hi);
	g_array_append_val(l->bare, row->bare.mean);
}

/* Sorts a line's points by x (insertion sort: a line has as many points as the axis has values). */
static void line_sort(struct sweep_line *l)
{
	GArray *cols[] = {l->x, l->y, l->lo, l->hi, l->bare};

	for (guint i = 1; i < l->x->len; i++)
		for (guint j = i; j > 0 && g_array_index(l->x, double, j - 1) > g_array_index(l->x, double, j); j--)
			for (unsigned c = 0; c < G_N_ELEMENTS(cols); c++) {
				double t = g_array_index(cols[c], double, j);
				g_array_index(cols[c], double, j) = g_array_index(cols[c], double, j - 1);
				g_array_index(cols[c], double, j - 1) = t;
			}
}

/* The lines of one metric (rows[0..n)) against axis a. */
static GPtrArray *lines_against(const struct report_sweep *s, struct report_sweep_row *const *rows, unsigned n,
				unsigned a)
{
	GPtrArray *lines = g_ptr_array_new_with_free_func(sweep_line_free);
	const struct report_axis *axis = axis_at(s, a);

	for (unsigned i = 0; i < n; i++) {
		const struct report_point *pt;
		unsigned v;

		if (rows[i]->point_pos >= s->pts->len)
			continue;
		pt = s->pts->pdata[rows[i]->point_pos];
		v = value_of(pt, a);
		if (v == G_MAXUINT)
			continue;
		line_append(line_for(lines, other_axes_key(s, pt, a)),
			    axis->numeric ? g_array_index(axis->numbers, double, v) : (double)v, rows[i]);
	}
	for (guint i = 0; i < lines->len; i++)
		line_sort(lines->pdata[i]);
	return lines;
}

/* Whether a line has a bare-metal mean anywhere. */
static bool has_bare(const struct sweep_line *l)
{
	for (guint i = 0; i < l->bare->len; i++)
		if (!isnan(g_array_index(l->bare, double, i)))
			return true;
	return false;
}

/* The chart of one metric of one VM against axis a. */
static void put_axis_chart(GString *out, const struct report_sweep *s, struct report_sweep_row *const *rows,
			   unsigned n, unsigned a)
{
	const struct report_axis *axis = axis_at(s, a);
	GPtrArray *lines = lines_against(s, rows, n, a);
	struct svg_series *series = g_new0(struct svg_series, 2 * lines->len + 1);
	GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
	char *title = g_strdup_printf("%s: %s against %s", rows[0]->scope, rows[0]->name, axis->name);
	struct svg_line_spec spec = {.kind = "sweep", .title = title, .x_title = axis->name, .x_unit = "",
				     .y_title = rows[0]->name, .y_unit = rows[0]->unit,
				     .x_labels = axis->numeric ? NULL : (const char *const *)axis->labels->pdata,
				     .n_x_labels = axis->numeric ? 0 : axis->labels->len};
	unsigned ns = 0;

	for (guint i = 0; i < lines->len; i++) {
		const struct sweep_line *l = lines->pdata[i];
		char *label = g_strdup(*l->key ? l->key : "virtual");

		g_ptr_array_add(labels, label);
		series[ns++] = (struct svg_series){.label = label, .color = i, .n = l->x->len,
						   .x = (double *)(void *)l->x->data, .y = (double *)(void *)l->y->data,
						   .lo = (double *)(void *)l->lo->data, .hi = (double *)(void *)l->hi->data};
		if (!has_bare(l))
			continue;
		label = *l->key ? g_strdup_printf("%s (bare metal)", l->key) : g_strdup("bare metal");
		g_ptr_array_add(labels, label);
		series[ns++] = (struct svg_series){.label = label, .color = i, .dashed = true, .n = l->x->len,
						   .x = (double *)(void *)l->x->data, .y = (double *)(void *)l->bare->data};
	}
	svg_line_chart(out, &spec, series, ns);
	g_free(title);
	g_ptr_array_unref(labels);
	g_free(series);
	g_ptr_array_unref(lines);
}

/* The table of one metric of one VM: every point with its axis values, both sides and the ratio. */
static void put_metric_table(GString *out, const struct report_sweep *s, struct report_sweep_row *const *rows,
			     unsigned n)
{
	unsigned na = s->axes->len, ncells = na + 5;
	const char **headers = g_new0(const char *, ncells);
	const char **cells = g_new0(const char *, ncells);

	headers[0] = "point";
	for (unsigned a = 0; a < na; a++)
		headers[a + 1] = axis_at(s, a)->name;
	headers[na + 1] = "n virtual/bare";
	headers[na + 2] = "virtual";
	headers[na + 3] = "bare metal";
	headers[na + 4] = "ratio";
	report__table_begin(out, "table-sweep", headers, ncells);
	for (unsigned i = 0; i < n; i++) {
		const struct report_point *pt = rows[i]->point_pos < s->pts->len ? s->pts->pdata[rows[i]->point_pos] : NULL;
		char *count = g_strdup_printf("%u/%u", rows[i]->virt.n, rows[i]->bare.n);
		char *virt = report__format_side(&rows[i]->virt, rows[i]->unit);
		char *bare = report__format_side(&rows[i]->bare, rows[i]->unit);
		char *ratio = report__format_ratio(rows[i]->ratio);

		cells[0] = pt ? pt->name : "?";
		for (unsigned a = 0; a < na; a++) {
			unsigned v = pt ? value_of(pt, a) : G_MAXUINT;
			cells[a + 1] = v == G_MAXUINT ? "-" : axis_at(s, a)->labels->pdata[v];
		}
		cells[na + 1] = count;
		cells[na + 2] = virt;
		cells[na + 3] = bare;
		cells[na + 4] = ratio;
		report__table_row(out, cells, ncells);
		g_free(count);
		g_free(virt);
		g_free(bare);
		g_free(ratio);
	}
	report__table_end(out);
	g_free(headers);
	g_free(cells);
}

/* One metric of one VM (rows[0..n), its points): a chart per axis, then the table. */
static void put_metric(GString *out, const struct report_sweep *s, struct report_sweep_row *const *rows, unsigned n)
{
	g_string_append(out, "<h3>");
	report__put_text(out, rows[0]->scope);
	g_string_append(out, ": ");
	report__put_text(out, rows[0]->name);
	g_string_append(out, "</h3>\n<div class=\"charts\">\n");
	for (unsigned a = 0; a < s->axes->len; a++)
		put_axis_chart(out, s, rows, n, a);
	g_string_append(out, "</div>\n");
	put_metric_table(out, s, rows, n);
}

/* Every (scope, name) run of the rows (ordered by scope, name, point), one section per VM. */
static void put_metrics(GString *out, const struct report_sweep *s)
{
	struct report_sweep_row *const *rows = (struct report_sweep_row *const *)s->rows->pdata;
	const char *scope = NULL;

	for (guint i = 0; i < s->rows->len;) {
		guint end = i;

		while (end < s->rows->len && !strcmp(rows[end]->scope, rows[i]->scope) && !strcmp(rows[end]->name, rows[i]->name))
			end++;
		if (!scope || strcmp(scope, rows[i]->scope)) {
			scope = rows[i]->scope;
			g_string_append(out, "<h2>");
			report__put_text(out, scope);
			g_string_append(out, "</h2>\n");
		}
		put_metric(out, s, rows + i, end - i);
		i = end;
	}
}

/* The sweep's description: id, points, and each axis with its values. */
static void put_sweep_meta(GString *out, const struct report_sweep *s)
{
	g_string_append(out, "<table class=\"meta\">\n<tr><td>sweep</td><td>");
	report__put_text(out, s->id);
	g_string_append_printf(out, "</td></tr>\n<tr><td>points</td><td>%u complete of %u</td></tr>\n", s->pts->len,
			       s->points);
	for (unsigned a = 0; a < s->axes->len; a++) {
		const struct report_axis *axis = axis_at(s, a);

		g_string_append(out, "<tr><td>axis ");
		report__put_text(out, axis->name);
		g_string_append(out, "</td><td>");
		for (guint v = 0; v < axis->labels->len; v++) {
			if (v)
				g_string_append(out, ", ");
			report__put_text(out, axis->labels->pdata[v]);
		}
		g_string_append(out, "</td></tr>\n");
	}
	g_string_append(out, "</table>\n<p class=\"note\">Lines: the virtual mean over the replications with its 95% "
			     "confidence band, one per combination of the other axes; dashed: bare metal. Each "
			     "point's own report: <code>hvsim report GROUP</code> with its group below.</p>\n");
}

static void put_points(GString *out, const struct report_sweep *s)
{
	static const char *const headers[] = {"point", "name", "group"};

	g_string_append(out, "<details><summary>points and their groups</summary>\n");
	report__table_begin(out, "table-points", headers, G_N_ELEMENTS(headers));
	for (guint i = 0; i < s->pts->len; i++) {
		const struct report_point *pt = s->pts->pdata[i];
		char *index = g_strdup_printf("%u", pt->point);
		const char *cells[] = {index, pt->name, pt->group_id};

		report__table_row(out, cells, G_N_ELEMENTS(cells));
		g_free(index);
	}
	report__table_end(out);
	g_string_append(out, "</details>\n");
}

char *report__sweep_page(struct results *r, const char *id, GError **error)
{
	struct report_sweep s;
	GString *out;
	char *title;

	if (!report__sweep_load(r, id, &s, error)) {
		report__sweep_clear(&s);
		return NULL;
	}
	out = g_string_new(NULL);
	title = g_strdup_printf("hvsim report: sweep %s", s.name);
	report__page_begin(out, title);
	put_sweep_meta(out, &s);
	put_points(out, &s);
	put_metrics(out, &s);
	report__page_end(out);
	g_free(title);
	report__sweep_clear(&s);
	return g_string_free(out, FALSE);
}
