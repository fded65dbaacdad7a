/* SPDX-License-Identifier: MIT */
/*
 * compare.c - results_compare(): every metric of a group, virtual against bare metal, with 95%
 *       confidence intervals and Welch's t-test.
 * Role: the numbers behind `hvsim compare`. Reads the raw values (runs with status 'ok', non-NULL
 *       values) in (scope, name, unit, mode) order through the runs(group_id) and metrics_run
 *       indexes, and summarises each side in C: the view `comparison` gives the same n, mean and
 *       sd for ad-hoc SQL, but reading it would aggregate every group of the file.
 * Numerics: two passes (mean, then squared deviations), so a metric of 1e9 ns varying by 1 ns
 *       keeps its sd. A side whose values are all equal is "exact": mean = that value, sd = 0.
 * Rule for `significant`: results.h, results_compare.
 * Sweeps: results_compare_sweep (export.h) reads a sweep's complete points with their axis values
 *       (json_each over params_json) and compares each point's group the same way.
 */
#include <math.h>
#include <string.h>

#include "analysis/export.h"
#include "analysis/results-int.h"
#include "analysis/tdist.h"

static void row_free(gpointer p)
{
	struct results_row *row = p;

	g_free(row->group_id);
	g_free(row->scope);
	g_free(row->name);
	g_free(row->unit);
	g_free(row);
}

/* n, mean, sd, ci95 and exactness of one side's values. */
static void summarise(const GArray *values, struct results_side *s)
{
	const double *x = (const double *)(const void *)values->data;
	uint32_t n = values->len;
	double sum = 0.0, ss = 0.0, min, max;

	s->n = n;
	s->mean = s->sd = s->ci95 = NAN;
	s->exact = false;
	if (n == 0)
		return;
	min = max = x[0];
	for (uint32_t i = 0; i < n; i++) {
		sum += x[i];
		min = fmin(min, x[i]);
		max = fmax(max, x[i]);
	}
	s->mean = min == max ? min : sum / n;
	if (n < 2)
		return;
	if (min == max) {
		s->sd = s->ci95 = 0.0;
		s->exact = true;
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		ss += (x[i] - s->mean) * (x[i] - s->mean);
	s->sd = sqrt(ss / (n - 1));
	s->ci95 = an_t975(n - 1) * s->sd / sqrt((double)n);
}

/* The rule in results.h: n < 2 never; both exact: differ; otherwise Welch's t-test at 5%. */
static bool significant(const struct results_side *v, const struct results_side *b)
{
	double av, ab, t, df;

	if (v->n < 2 || b->n < 2)
		return false;
	if (v->exact && b->exact)
		return v->mean != b->mean;
	av = v->sd * v->sd / v->n;
	ab = b->sd * b->sd / b->n;
	t = (v->mean - b->mean) / sqrt(av + ab);
	df = (av + ab) * (av + ab) / (av * av / (v->n - 1) + ab * ab / (b->n - 1));
	return fabs(t) > an_t975(df);
}

/* Completes a row from the values gathered for it and empties the gatherers. */
static void finish_row(struct results_row *row, GArray *virt, GArray *bare)
{
	summarise(virt, &row->virt);
	summarise(bare, &row->bare);
	row->ratio = row->virt.n && row->bare.n && row->bare.mean != 0.0 ? row->virt.mean / row->bare.mean : NAN;
	row->significant = significant(&row->virt, &row->bare);
	g_array_set_size(virt, 0);
	g_array_set_size(bare, 0);
}

/* RESULTS_ERROR_INPUT unless the group has at least one run (of any status). */
static bool group_exists(struct results *r, const char *group, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, "SELECT 1 FROM runs WHERE group_id = ?1 LIMIT 1", -1, &st, NULL);
	bool ok = true;

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_DONE)
		ok = results__fail(r, error, RESULTS_ERROR_INPUT, "no runs in group '%s'", group);
	else if (rc != SQLITE_ROW)
		ok = results__db_fail(r, rc, error, "reading the runs");
	sqlite3_finalize(st);
	return ok;
}

GPtrArray *results_compare(struct results *r, const char *group, GError **error)
{
	static const char sql[] =
		"SELECT m.scope, m.name, m.unit, r.mode, m.value"
		" FROM runs r JOIN metrics m ON m.run_id = r.id"
		" WHERE r.group_id = ?1 AND r.status = '" RESULTS_STATUS_OK "' AND m.value IS NOT NULL"
		" ORDER BY m.scope, m.name, m.unit, r.mode, r.id";
	sqlite3_stmt *st = NULL;
	GPtrArray *rows;
	GArray *virt, *bare;
	struct results_row *row = NULL;
	const char *scope, *name, *unit, *mode;
	double value;
	int rc;

	g_return_val_if_fail(r != NULL && group != NULL, NULL);
	if (!group_exists(r, group, error))
		return NULL;
	rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		results__db_fail(r, rc, error, "reading the metrics");
		return NULL;
	}
	sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
	rows = g_ptr_array_new_with_free_func(row_free);
	virt = g_array_new(FALSE, FALSE, sizeof(double));
	bare = g_array_new(FALSE, FALSE, sizeof(double));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		scope = (const char *)sqlite3_column_text(st, 0);
		name = (const char *)sqlite3_column_text(st, 1);
		unit = (const char *)sqlite3_column_text(st, 2);
		mode = (const char *)sqlite3_column_text(st, 3);
		value = sqlite3_column_double(st, 4);
		if (!row || strcmp(scope, row->scope) || strcmp(name, row->name) || strcmp(unit, row->unit)) {
			if (row)
				finish_row(row, virt, bare);
			row = g_new0(struct results_row, 1);
			row->group_id = g_strdup(group);
			row->scope = g_strdup(scope);
			row->name = g_strdup(name);
			row->unit = g_strdup(unit);
			g_ptr_array_add(rows, row);
		}
		g_array_append_val(strcmp(mode, "virtual") ? bare : virt, value);
	}
	if (row)
		finish_row(row, virt, bare);
	g_array_unref(virt);
	g_array_unref(bare);
	if (rc != SQLITE_DONE) {
		results__db_fail(r, rc, error, "reading the metrics");
		g_ptr_array_unref(rows);
		rows = NULL;
	}
	sqlite3_finalize(st);
	return rows;
}

/* The metrics of the summary, in this order (../shared/INTERFACES.md's VM scope). */
static const char *const summary_names[] = {"ops_per_s", "latency_p50_ns", "latency_p99_ns", "cpu_ns_per_op",
					     "spin_ns", "steal_ns", "exits"};

static int summary_rank(const struct results_row *row)
{
	if (!g_str_has_prefix(row->scope, "vm:") || strchr(row->scope, '/'))
		return -1;
	for (int i = 0; i < (int)G_N_ELEMENTS(summary_names); i++)
		if (strcmp(row->name, summary_names[i]) == 0)
			return i;
	return -1;
}

static gint by_vm_then_rank(gconstpointer a, gconstpointer b)
{
	const struct results_row *x = *(struct results_row *const *)a, *y = *(struct results_row *const *)b;
	int c = strcmp(x->scope, y->scope);
	return c ? c : summary_rank(x) - summary_rank(y);
}

void results_compare_summary(GPtrArray *rows)
{
	for (guint i = rows->len; i > 0; i--)
		if (summary_rank(rows->pdata[i - 1]) < 0)
			g_ptr_array_remove_index(rows, i - 1);
	g_ptr_array_sort(rows, by_vm_then_rank);
}

/* ---- a sweep's points (export.h) ---- */

static void axis_value_free(gpointer p)
{
	struct results_axis_value *v = p;

	g_free(v->column);
	g_free(v->json);
	g_free(v->text);
	g_free(v);
}

static void sweep_part_free(gpointer p)
{
	struct results_sweep_part *part = p;

	g_free(part->sweep_id);
	g_free(part->name);
	g_free(part->group_id);
	g_ptr_array_unref(part->axes);
	if (part->rows)
		g_ptr_array_unref(part->rows);
	g_free(part);
}

/* The column an axis gets: its name, or "axis_NAME" when that is the name of a fixed column. */
static char *axis_column(const char *axis)
{
	static const char *const fixed[] = {
		"sweep_id", "point", "point_name", "group", "scope", "name", "unit",
		"n_virtual", "mean_virtual", "sd_virtual", "ci95_virtual",
		"n_bare_metal", "mean_bare_metal", "sd_bare_metal", "ci95_bare_metal", "ratio", "significant",
	};

	for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
		if (strcmp(axis, fixed[i]) == 0)
			return g_strconcat("axis_", axis, NULL);
	return g_strdup(axis);
}

/* The id of the sweep `sweep` names: an id, else the latest sweep of that name; NULL + error when none. */
static char *sweep_resolve(struct results *r, const char *sweep, GError **error)
{
	GError *e = NULL;
	bool found = false;
	uint32_t done = 0;
	char *id;

	if (!results_sweep_find(r, sweep, &found, &done, error))
		return NULL;
	if (found)
		return g_strdup(sweep);
	id = results_sweep_by_name(r, sweep, &e);
	if (!id && e)
		g_propagate_error(error, e);
	else if (!id)
		results__fail(r, error, RESULTS_ERROR_INPUT, "no sweep '%s' (neither the id nor the name of one)", sweep);
	return id;
}

/* A part from the statement's current row (point, name, group), without axes or rows yet. */
static struct results_sweep_part *part_new(const char *sweep_id, sqlite3_stmt *st)
{
	struct results_sweep_part *part = g_new0(struct results_sweep_part, 1);

	part->sweep_id = g_strdup(sweep_id);
	part->point = (uint32_t)sqlite3_column_int64(st, 0);
	part->name = g_strdup((const char *)sqlite3_column_text(st, 1));
	part->group_id = g_strdup((const char *)sqlite3_column_text(st, 2));
	part->axes = g_ptr_array_new_with_free_func(axis_value_free);
	return part;
}

/* The complete points of sweep id, in point order, with their axis values (no rows yet). */
static GPtrArray *sweep_parts(struct results *r, const char *id, GError **error)
{
	/* One line per (point, axis); a JSON string's text unquoted, anything else as its JSON. */
	static const char sql[] =
		"SELECT p.point, p.name, p.group_id, j.key,"
		" CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'"
		"  ELSE json_quote(j.value) END,"
		" CASE j.type WHEN 'text' THEN j.value WHEN 'true' THEN 'true' WHEN 'false' THEN 'false'"
		"  WHEN 'null' THEN 'null' ELSE json_quote(j.value) END"
		" FROM sweep_points p LEFT JOIN json_each(p.params_json) j"
		" WHERE p.sweep_id = ?1 ORDER BY p.point, j.id";
	sqlite3_stmt *st = NULL;
	GPtrArray *parts;
	struct results_sweep_part *part = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		results__db_fail(r, rc, error, "reading the sweep's points");
		return NULL;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	parts = g_ptr_array_new_with_free_func(sweep_part_free);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!part || part->point != (uint32_t)sqlite3_column_int64(st, 0)) {
			part = part_new(id, st);
			g_ptr_array_add(parts, part);
		}
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			struct results_axis_value *v = g_new0(struct results_axis_value, 1);

			v->column = axis_column((const char *)sqlite3_column_text(st, 3));
			v->json = g_strdup((const char *)sqlite3_column_text(st, 4));
			v->text = g_strdup((const char *)sqlite3_column_text(st, 5));
			g_ptr_array_add(part->axes, v);
		}
	}
	if (rc != SQLITE_DONE) {
		results__db_fail(r, rc, error, "reading the sweep's points");
		g_ptr_array_unref(parts);
		parts = NULL;
	}
	sqlite3_finalize(st);
	return parts;
}

GPtrArray *results_compare_sweep(struct results *r, const char *sweep, GError **error)
{
	g_return_val_if_fail(r != NULL && sweep != NULL, NULL);
	char *id = sweep_resolve(r, sweep, error);
	GPtrArray *parts = id ? sweep_parts(r, id, error) : NULL;

	for (guint i = 0; parts && i < parts->len; i++) {
		struct results_sweep_part *part = g_ptr_array_index(parts, i);

		part->rows = results_compare(r, part->group_id, error);
		if (!part->rows) {
			g_ptr_array_unref(parts);
			parts = NULL;
		}
	}
	g_free(id);
	return parts;
}
