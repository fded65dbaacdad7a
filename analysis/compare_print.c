/* SPDX-License-Identifier: MIT */
/*
 * compare_print.c - results_compare_print(): the comparison as an aligned table or as JSON.
 * Role: presentation only; the numbers come from compare.c. The table is for people (six
 *       significant digits (times in their unit with 4, CIs with 2), a legend); the JSON is for scripts (every number to
 *       round-trip precision, NaN as null, one row object per line inside one array).
 * Cost: the table is built twice over (cells, then widths); rows are few hundred at most.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/results.h"

enum { COL_SCOPE, COL_METRIC, COL_UNIT, COL_N, COL_VIRT, COL_BARE, COL_RATIO, COL_SIG, NCOLS };

static const char *const headers[NCOLS] = { "scope", "metric", "unit", "n", "virtual", "bare metal", "ratio", "" };
/* Numbers right-aligned, names left-aligned. */
static const bool right_aligned[NCOLS] = { false, false, false, true, true, true, true, false };

/* Times read as times ("1.535 ms"), whole numbers without exponents, the rest in 6 digits. */
static char *fmt_value(double v, const char *unit, double scale_of, int digits)
{
	double ns = strcmp(unit, "ns") == 0 ? 1 : strcmp(unit, "ps") == 0 ? 1e-3 : 0;
	if (ns > 0) {
		static const struct {
			double div;
			const char *name;
		} scales[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
		double a = fabs(scale_of * ns);
		size_t i = 0;
		while (i + 1 < G_N_ELEMENTS(scales) && a < scales[i].div)
			i++;
		return g_strdup_printf("%.*g %s", digits, v * ns / scales[i].div, scales[i].name);
	}
	if (v == floor(v) && fabs(v) < 1e15)
		return g_strdup_printf("%.0f", v);
	return g_strdup_printf("%.*g", digits + 2, v);
}

/* "mean ± ci", or the mean alone when the CI is unknown (n = 1), or "-" when there are no values. */
static char *side_cell(const struct results_side *s, const char *unit)
{
	if (s->n == 0 || isnan(s->mean))
		return g_strdup("-");
	char *mean = fmt_value(s->mean, unit, s->mean, 4);
	if (isnan(s->ci95))
		return mean;
	char *ci = fmt_value(s->ci95, unit, s->mean, 2), *cell = g_strdup_printf("%s ± %s", mean, ci);
	g_free(mean);
	g_free(ci);
	return cell;
}

/* Prints cell padded to width columns (characters, not bytes: "±" is two bytes). */
static void print_cell(FILE *out, const char *cell, size_t width, bool right)
{
	size_t len = (size_t)g_utf8_strlen(cell, -1);

	if (right)
		fprintf(out, "%*s%s", (int)(width - len), "", cell);
	else
		fprintf(out, "%s%*s", cell, (int)(width - len), "");
}

static void print_table(const GPtrArray *rows, FILE *out)
{
	char **cells = g_new0(char *, (size_t)(rows->len + 1) * NCOLS);
	size_t width[NCOLS] = { 0 };
	size_t nlines = rows->len + 1;

	for (int c = 0; c < NCOLS; c++)
		cells[c] = g_strdup(headers[c]);
	for (guint i = 0; i < rows->len; i++) {
		const struct results_row *row = g_ptr_array_index(rows, i);
		char **line = cells + (size_t)(i + 1) * NCOLS;

		line[COL_SCOPE] = g_strdup(row->scope);
		line[COL_METRIC] = g_strdup(row->name);
		line[COL_UNIT] = g_strdup(row->unit);
		line[COL_N] = g_strdup_printf("%" PRIu32 "/%" PRIu32, row->virt.n, row->bare.n);
		line[COL_VIRT] = side_cell(&row->virt, row->unit);
		line[COL_BARE] = side_cell(&row->bare, row->unit);
		line[COL_RATIO] = isnan(row->ratio) ? g_strdup("-") : g_strdup_printf("%.4g", row->ratio);
		line[COL_SIG] = g_strdup(row->significant ? "*" : "");
	}
	for (size_t l = 0; l < nlines; l++)
		for (int c = 0; c < NCOLS; c++)
			width[c] = MAX(width[c], (size_t)g_utf8_strlen(cells[l * NCOLS + c], -1));
	for (size_t l = 0; l < nlines; l++) {
		/* The last column (significance) is not padded, so lines carry no trailing blanks. */
		for (int c = 0; c < NCOLS - 1; c++) {
			if (c)
				fputs("  ", out);
			print_cell(out, cells[l * NCOLS + c], width[c], right_aligned[c]);
		}
		if (*cells[l * NCOLS + COL_SIG])
			fprintf(out, " %s", cells[l * NCOLS + COL_SIG]);
		fputc('\n', out);
	}
	if (rows->len == 0)
		fputs("(no metrics from successful runs in this group)\n", out);
	fputs("\nn: replications virtual/bare metal; ± 95% confidence half-width (Student t); "
	      "ratio: virtual/bare metal;\n* the difference is significant at 5% (Welch's t-test).\n", out);
	for (size_t i = 0; i < nlines * NCOLS; i++)
		g_free(cells[i]);
	g_free(cells);
}

/* A JSON string: quotes, backslashes and control characters escaped; UTF-8 passed through. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* A JSON number in the fewest digits that read back as the same double; null for NaN/inf. */
static void json_number(FILE *out, double v)
{
	char buf[32];

	if (!isfinite(v)) {
		fputs("null", out);
		return;
	}
	snprintf(buf, sizeof buf, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, sizeof buf, "%.17g", v);
	fputs(buf, out);
}

static void json_side(FILE *out, const char *suffix, const struct results_side *s)
{
	fprintf(out, ",\"n_%s\":%" PRIu32 ",\"mean_%s\":", suffix, s->n, suffix);
	json_number(out, s->mean);
	fprintf(out, ",\"sd_%s\":", suffix);
	json_number(out, s->sd);
	fprintf(out, ",\"ci95_%s\":", suffix);
	json_number(out, s->ci95);
}

static void print_json(const GPtrArray *rows, FILE *out)
{
	fputs("[", out);
	for (guint i = 0; i < rows->len; i++) {
		const struct results_row *row = g_ptr_array_index(rows, i);

		fputs(i ? ",\n{\"group\":" : "\n{\"group\":", out);
		json_string(out, row->group_id);
		fputs(",\"scope\":", out);
		json_string(out, row->scope);
		fputs(",\"name\":", out);
		json_string(out, row->name);
		fputs(",\"unit\":", out);
		json_string(out, row->unit);
		json_side(out, "virtual", &row->virt);
		json_side(out, "bare_metal", &row->bare);
		fputs(",\"ratio\":", out);
		json_number(out, row->ratio);
		fprintf(out, ",\"significant\":%s}", row->significant ? "true" : "false");
	}
	fputs("\n]\n", out);
}

void results_compare_print(const GPtrArray *rows, FILE *out, bool json)
{
	g_return_if_fail(rows != NULL && out != NULL);
	if (json)
		print_json(rows, out);
	else
		print_table(rows, out);
}
