/* SPDX-License-Identifier: MIT */
/*
 * compare_print.c - results_compare_print(): the comparison as an aligned table, as JSON or as CSV;
 *       and a sweep's points as one table, JSON or CSV (export.h).
 * Role: presentation only; the numbers come from compare.c. The table is for people (six
 *       significant digits (times in their unit with 4, CIs with 2), a legend); JSON and CSV are for
 *       scripts (every number to round-trip precision, NaN as null / an empty field; the same
 *       columns by the same names; JSON one row object per line inside one array, CSV RFC 4180).
 * Shape: everything prints a "sheet": blocks of rows, each block with the same leading cells (none
 *       for a group; a sweep point's name and axis values for a sweep).
 * Cost: the table is built twice over (cells, then widths); rows are few hundred at most.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/export.h"
#include "analysis/results.h"

enum { COL_SCOPE, COL_METRIC, COL_UNIT, COL_N, COL_VIRT, COL_BARE, COL_RATIO, COL_SIG, NCOLS };

static const char *const headers[NCOLS] = { "scope", "metric", "unit", "n", "virtual", "bare metal", "ratio", "" };
/* Numbers right-aligned, names left-aligned. */
static const bool right_aligned[NCOLS] = { false, false, false, true, true, true, true, false };

/* The columns of JSON and CSV, in this order (the JSON keys of a row). */
static const char *const export_columns[] = {
	"group", "scope", "name", "unit",
	"n_virtual", "mean_virtual", "sd_virtual", "ci95_virtual",
	"n_bare_metal", "mean_bare_metal", "sd_bare_metal", "ci95_bare_metal",
	"ratio", "significant",
};

/* Rows that share their leading cells: a group's (no leading cells), or one sweep point's. */
struct block {
	const GPtrArray *rows;  /* struct results_row */
	char **text, **json;    /* the leading cells: for the table and CSV, and as JSON values */
};

/* What one print shows: the names of the leading columns, and the blocks. */
struct sheet {
	guint nlead;
	char **lead_names;
	struct block *blocks;
	guint nblocks;
	const char *empty;      /* what the table says when there is no row at all */
};

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

static guint sheet_rows(const struct sheet *sh)
{
	guint n = 0;

	for (guint b = 0; b < sh->nblocks; b++)
		n += sh->blocks[b].rows->len;
	return n;
}

/* The table's cells of one row: the leading ones, then scope .. significance. */
static void row_cells(char **line, const struct block *blk, guint nlead, const struct results_row *row)
{
	for (guint c = 0; c < nlead; c++)
		line[c] = g_strdup(blk->text[c]);
	line += nlead;
	line[COL_SCOPE] = g_strdup(row->scope);
	line[COL_METRIC] = g_strdup(row->name);
	line[COL_UNIT] = g_strdup(row->unit);
	line[COL_N] = g_strdup_printf("%" PRIu32 "/%" PRIu32, row->virt.n, row->bare.n);
	line[COL_VIRT] = side_cell(&row->virt, row->unit);
	line[COL_BARE] = side_cell(&row->bare, row->unit);
	line[COL_RATIO] = isnan(row->ratio) ? g_strdup("-") : g_strdup_printf("%.4g", row->ratio);
	line[COL_SIG] = g_strdup(row->significant ? "*" : "");
}

/* Prints the lines of cells aligned in columns; the last column (significance) is not padded, so
 * lines carry no trailing blanks. */
static void print_aligned(FILE *out, char **cells, size_t nlines, guint ncols, guint nlead)
{
	size_t *width = g_new0(size_t, ncols);

	for (size_t l = 0; l < nlines; l++)
		for (guint c = 0; c < ncols; c++)
			width[c] = MAX(width[c], (size_t)g_utf8_strlen(cells[l * ncols + c], -1));
	for (size_t l = 0; l < nlines; l++) {
		for (guint c = 0; c < ncols - 1; c++) {
			if (c)
				fputs("  ", out);
			print_cell(out, cells[l * ncols + c], width[c], c >= nlead && right_aligned[c - nlead]);
		}
		if (*cells[l * ncols + ncols - 1])
			fprintf(out, " %s", cells[l * ncols + ncols - 1]);
		fputc('\n', out);
	}
	g_free(width);
}

static void print_table(const struct sheet *sh, FILE *out)
{
	guint ncols = sh->nlead + NCOLS;
	size_t nlines = (size_t)sheet_rows(sh) + 1, l = 1;
	char **cells = g_new0(char *, nlines * ncols);

	for (guint c = 0; c < sh->nlead; c++)
		cells[c] = g_strdup(sh->lead_names[c]);
	for (int c = 0; c < NCOLS; c++)
		cells[sh->nlead + c] = g_strdup(headers[c]);
	for (guint b = 0; b < sh->nblocks; b++)
		for (guint i = 0; i < sh->blocks[b].rows->len; i++, l++)
			row_cells(cells + l * ncols, &sh->blocks[b], sh->nlead, g_ptr_array_index(sh->blocks[b].rows, i));
	print_aligned(out, cells, nlines, ncols, sh->nlead);
	if (nlines == 1)
		fprintf(out, "%s\n", sh->empty);
	fputs("\nn: replications virtual/bare metal; ± 95% confidence half-width (Student t); "
	      "ratio: virtual/bare metal;\n* the difference is significant at 5% (Welch's t-test).\n", out);
	for (size_t i = 0; i < nlines * ncols; i++)
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

/* A number in the fewest digits (15, else 17) that read back as the same double; "" for NaN/inf. */
static void format_number(char *buf, size_t size, double v)
{
	if (!isfinite(v)) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, size, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, size, "%.17g", v);
}

/* A JSON number to round-trip precision; null for NaN/inf. */
static void json_number(FILE *out, double v)
{
	char buf[32];

	format_number(buf, sizeof buf, v);
	fputs(*buf ? buf : "null", out);
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

/* One row object: the leading keys (a sweep point's), then export_columns. */
static void json_row(FILE *out, const struct sheet *sh, const struct block *blk, const struct results_row *row)
{
	fputc('{', out);
	for (guint c = 0; c < sh->nlead; c++) {
		json_string(out, sh->lead_names[c]);
		fprintf(out, ":%s,", blk->json[c]);
	}
	fputs("\"group\":", out);
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

static void print_json(const struct sheet *sh, FILE *out)
{
	bool first = true;

	fputs("[", out);
	for (guint b = 0; b < sh->nblocks; b++)
		for (guint i = 0; i < sh->blocks[b].rows->len; i++) {
			fputs(first ? "\n" : ",\n", out);
			json_row(out, sh, &sh->blocks[b], g_ptr_array_index(sh->blocks[b].rows, i));
			first = false;
		}
	fputs("\n]\n", out);
}

/* One CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, a quote, CR or LF. */
static void csv_field(FILE *out, const char *s, bool first)
{
	if (!first)
		fputc(',', out);
	if (!strpbrk(s, ",\"\r\n")) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	fputc('"', out);
}

static void csv_number(FILE *out, double v)
{
	char buf[32];

	format_number(buf, sizeof buf, v);
	csv_field(out, buf, false);
}

static void csv_side(FILE *out, const struct results_side *s)
{
	fprintf(out, ",%" PRIu32, s->n);
	csv_number(out, s->mean);
	csv_number(out, s->sd);
	csv_number(out, s->ci95);
}

static void csv_row(FILE *out, const struct sheet *sh, const struct block *blk, const struct results_row *row)
{
	for (guint c = 0; c < sh->nlead; c++)
		csv_field(out, blk->text[c], c == 0);
	csv_field(out, row->group_id, sh->nlead == 0);
	csv_field(out, row->scope, false);
	csv_field(out, row->name, false);
	csv_field(out, row->unit, false);
	csv_side(out, &row->virt);
	csv_side(out, &row->bare);
	csv_number(out, row->ratio);
	csv_field(out, row->significant ? "true" : "false", false);
	fputs("\r\n", out);
}

static void print_csv(const struct sheet *sh, FILE *out)
{
	for (guint c = 0; c < sh->nlead; c++)
		csv_field(out, sh->lead_names[c], c == 0);
	for (size_t c = 0; c < G_N_ELEMENTS(export_columns); c++)
		csv_field(out, export_columns[c], sh->nlead == 0 && c == 0);
	fputs("\r\n", out);
	for (guint b = 0; b < sh->nblocks; b++)
		for (guint i = 0; i < sh->blocks[b].rows->len; i++)
			csv_row(out, sh, &sh->blocks[b], g_ptr_array_index(sh->blocks[b].rows, i));
}

static void print_sheet(const struct sheet *sh, FILE *out, enum results_format format)
{
	switch (format) {
	case RESULTS_FORMAT_TABLE: print_table(sh, out); break;
	case RESULTS_FORMAT_CSV: print_csv(sh, out); break;
	case RESULTS_FORMAT_JSON: print_json(sh, out); break;
	}
}

/* One group: one block without leading columns. */
static void print_group(const GPtrArray *rows, FILE *out, enum results_format format)
{
	struct block blk = {.rows = rows};
	struct sheet sh = {.blocks = &blk, .nblocks = 1, .empty = "(no metrics from successful runs in this group)"};

	print_sheet(&sh, out, format);
}

void results_compare_print(const GPtrArray *rows, FILE *out, bool json)
{
	g_return_if_fail(rows != NULL && out != NULL);
	print_group(rows, out, json ? RESULTS_FORMAT_JSON : RESULTS_FORMAT_TABLE);
}

void results_compare_print_csv(const GPtrArray *rows, FILE *out)
{
	g_return_if_fail(rows != NULL && out != NULL);
	print_group(rows, out, RESULTS_FORMAT_CSV);
}

/*
 * The leading columns of a sweep's sheet, from its first point (every point has the same axes):
 * for scripts sweep_id, point (the index) and point_name; for the table the name alone, as
 * "point". Then one column per axis.
 */
static GPtrArray *sweep_lead_names(const GPtrArray *parts, bool for_scripts)
{
	GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
	const struct results_sweep_part *first = parts->len ? g_ptr_array_index(parts, 0) : NULL;

	if (for_scripts) {
		g_ptr_array_add(names, g_strdup("sweep_id"));
		g_ptr_array_add(names, g_strdup("point"));
		g_ptr_array_add(names, g_strdup("point_name"));
	} else {
		g_ptr_array_add(names, g_strdup("point"));
	}
	for (guint a = 0; first && a < first->axes->len; a++)
		g_ptr_array_add(names, g_strdup(((const struct results_axis_value *)g_ptr_array_index(first->axes, a))->column));
	return names;
}

/* A JSON string's text as a JSON value (for the fixed leading columns). */
static char *json_quoted(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_string(f, s);
	fclose(f);
	return buf;
}

/* One point's leading cells, as the table/CSV show them and as JSON values (nlead each). */
static void sweep_lead_cells(struct block *blk, const struct results_sweep_part *part, guint nlead, bool for_scripts)
{
	guint c = 0;

	blk->text = g_new0(char *, nlead);
	blk->json = g_new0(char *, nlead);
	if (for_scripts) {
		blk->text[0] = g_strdup(part->sweep_id);
		blk->json[0] = json_quoted(part->sweep_id);
		blk->text[1] = g_strdup_printf("%" PRIu32, part->point);
		blk->json[1] = g_strdup(blk->text[1]);
		c = 2;
	}
	blk->text[c] = g_strdup(part->name);
	blk->json[c] = json_quoted(part->name);
	c++;
	for (guint a = 0; a < part->axes->len && c < nlead; a++, c++) {
		const struct results_axis_value *v = g_ptr_array_index(part->axes, a);

		blk->text[c] = g_strdup(v->text);
		blk->json[c] = g_strdup(v->json);
	}
	for (; c < nlead; c++) { /* a point with fewer axes than the first (hand-edited): empty cells */
		blk->text[c] = g_strdup("");
		blk->json[c] = g_strdup("null");
	}
}

static void block_clear(struct block *blk, guint nlead)
{
	for (guint c = 0; c < nlead; c++) {
		g_free(blk->text[c]);
		g_free(blk->json[c]);
	}
	g_free(blk->text);
	g_free(blk->json);
}

void results_sweep_print(const GPtrArray *parts, FILE *out, enum results_format format)
{
	g_return_if_fail(parts != NULL && out != NULL);
	bool for_scripts = format != RESULTS_FORMAT_TABLE;
	GPtrArray *names = sweep_lead_names(parts, for_scripts);
	struct sheet sh = {.nlead = names->len, .lead_names = (char **)names->pdata, .nblocks = parts->len,
			   .blocks = g_new0(struct block, parts->len ? parts->len : 1),
			   .empty = "(no complete points in this sweep)"};

	for (guint b = 0; b < parts->len; b++) {
		const struct results_sweep_part *part = g_ptr_array_index(parts, b);

		sh.blocks[b].rows = part->rows;
		sweep_lead_cells(&sh.blocks[b], part, sh.nlead, for_scripts);
	}
	print_sheet(&sh, out, format);
	for (guint b = 0; b < parts->len; b++)
		block_clear(&sh.blocks[b], sh.nlead);
	g_free(sh.blocks);
	g_ptr_array_unref(names);
}
