/* SPDX-License-Identifier: MIT */
/*
 * export.h - the comparison for other programs: CSV (RFC 4180) next to the JSON of
 *       results_compare_print, and all points of a sweep in one table, CSV or JSON.
 * Role: what `hvsim compare --csv` and `hvsim compare --sweep` use. The rows are those of
 *       results_compare (results.h); the columns of CSV and JSON are the same, by the same names:
 *       group, scope, name, unit, n_virtual, mean_virtual, sd_virtual, ci95_virtual, n_bare_metal,
 *       mean_bare_metal, sd_bare_metal, ci95_bare_metal, ratio, significant; a sweep puts
 *       sweep_id, point, point_name and one column per axis before them.
 * Numbers: to round-trip precision (the fewest of 15 or 17 significant digits that read back as
 *       the same double), NaN as an empty CSV field or JSON null.
 * See: docs/results.md "hvsim compare"; analysis/compare.c (results_compare_sweep),
 *       analysis/compare_print.c; tests/cli/export.sh
 */
#ifndef ANALYSIS_EXPORT_H
#define ANALYSIS_EXPORT_H

#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "analysis/results.h"

/* One axis value of a sweep point: `column` is the axis name, or "axis_NAME" when the name is
 * one of the fixed columns; `json` the value as JSON text; `text` the same with a JSON string's
 * quotes and escapes removed (what CSV and the table show). */
struct results_axis_value {
	char *column, *json, *text;
};

/* One complete point of a sweep and the comparison of its group. */
struct results_sweep_part {
	char *sweep_id, *name, *group_id;
	uint32_t point;     /* 0-based index in the sweep's point order */
	GPtrArray *axes;    /* struct results_axis_value, in the order of params_json */
	GPtrArray *rows;    /* struct results_row: results_compare(group_id) */
};

/*
 * Every complete point of a sweep, in point order, each with results_compare of its group; a
 * GPtrArray of struct results_sweep_part that frees them (empty when no point is complete).
 * `sweep` is a sweep id, or else the name of a sweep (the most recent of that name).
 * NULL + RESULTS_ERROR_INPUT when there is no such sweep.
 */
GPtrArray *results_compare_sweep(struct results *r, const char *sweep, GError **error);

/* Rows as CSV: a header row, then one line per row; CRLF line ends, fields quoted when needed. */
void results_compare_print_csv(const GPtrArray *rows, FILE *out);

enum results_format { RESULTS_FORMAT_TABLE, RESULTS_FORMAT_CSV, RESULTS_FORMAT_JSON };

/* The parts of a sweep as one table (point name and axis columns first), one CSV or one JSON
 * array (sweep_id, point, point_name and the axes first). */
void results_sweep_print(const GPtrArray *parts, FILE *out, enum results_format format);

#endif /* ANALYSIS_EXPORT_H */
