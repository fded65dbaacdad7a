/* SPDX-License-Identifier: MIT */
/*
 * report_data.c - what `hvsim report` reads from the database, beyond results_compare(): a group's
 *       description, its latency histograms summed over replications, and a sweep's axes, points
 *       and headline metrics (the view sweep_comparison).
 * Role: the SQL of the report; the pages (report_group.c, report_sweep.c) see plain structs
 *       (report-int.h). Counts only runs with status ok, as the comparison does.
 * Cost: sweep_comparison aggregates the comparison view, which SQLite evaluates over every group
 *       of the file before filtering by sweep: fine for thousands of runs, slow for millions.
 */
#include <math.h>
#include <string.h>

#include "analysis/report-int.h"
#include "analysis/results-int.h"
#include "analysis/tdist.h"

const char *const report__headline[] = {"ops_per_s", "latency_p50_ns", "latency_p99_ns", "cpu_ns_per_op",
					"spin_ns", "steal_ns", "exits"};
const unsigned report__n_headline = G_N_ELEMENTS(report__headline);

/* Prepares sql and binds ?1 to text1 (and ?2 to text2 unless NULL); false + error naming what. */
static bool prepare(struct results *r, const char *sql, const char *text1, const char *text2, sqlite3_stmt **st,
		    const char *what, GError **error)
{
	int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);

	if (rc != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
		return results__db_fail(r, rc, error, what);
	}
	sqlite3_bind_text(*st, 1, text1, -1, SQLITE_TRANSIENT);
	if (text2)
		sqlite3_bind_text(*st, 2, text2, -1, SQLITE_TRANSIENT);
	return true;
}

/* Column i as a new string (NULL for SQL NULL). */
static char *column_dup(sqlite3_stmt *st, int i)
{
	return g_strdup((const char *)sqlite3_column_text(st, i));
}

/* Column i as a double, NaN for SQL NULL. */
static double column_num(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* Finishes a statement stepped until rc: true when it ran to the end. */
static bool finish(struct results *r, sqlite3_stmt *st, int rc, const char *what, GError **error)
{
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || results__db_fail(r, rc, error, what);
}

bool report__group_exists(struct results *r, const char *group, bool *exists, GError **error)
{
	sqlite3_stmt *st;
	int rc;

	if (!prepare(r, "SELECT 1 FROM runs WHERE group_id = ?1 LIMIT 1", group, NULL, &st, "reading the runs", error))
		return false;
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	return finish(r, st, rc == SQLITE_ROW ? SQLITE_DONE : rc, "reading the runs", error);
}

/* The sweep and point names of a group that is a sweep point (left NULL otherwise). */
static bool load_point_names(struct results *r, const char *group, struct report_group_info *info, GError **error)
{
	sqlite3_stmt *st;
	int rc;

	if (!prepare(r, "SELECT s.name, p.name FROM sweep_points p JOIN sweeps s ON s.id = p.sweep_id"
			" WHERE p.group_id = ?1 ORDER BY s.created_at DESC LIMIT 1",
		     group, NULL, &st, "reading the sweep points", error))
		return false;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		info->sweep_name = column_dup(st, 0);
		info->point_name = column_dup(st, 1);
		rc = SQLITE_DONE;
	}
	return finish(r, st, rc, "reading the sweep points", error);
}

bool report__group_info_load(struct results *r, const char *group, struct report_group_info *info, GError **error)
{
	static const char sql[] =
		"SELECT MAX(scenario), MIN(started_at), MAX(hvsim_version),"
		" COALESCE(SUM(mode = 'virtual'), 0), COALESCE(SUM(mode = 'bare_metal'), 0),"
		" AVG(CASE WHEN mode = 'virtual' THEN sim_seconds END)"
		" FROM runs WHERE group_id = ?1 AND status = '" RESULTS_STATUS_OK "'";
	sqlite3_stmt *st;
	int rc;

	memset(info, 0, sizeof *info);
	if (!prepare(r, sql, group, NULL, &st, "reading the runs", error))
		return false;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		info->scenario = column_dup(st, 0);
		info->started_at = column_dup(st, 1);
		info->hvsim_version = column_dup(st, 2);
		info->n_virtual = (unsigned)sqlite3_column_int(st, 3);
		info->n_bare_metal = (unsigned)sqlite3_column_int(st, 4);
		info->sim_seconds = column_num(st, 5);
		rc = SQLITE_DONE;
	}
	if (!finish(r, st, rc, "reading the runs", error))
		return false;
	return load_point_names(r, group, info, error);
}

void report__group_info_clear(struct report_group_info *info)
{
	g_free(info->scenario);
	g_free(info->started_at);
	g_free(info->hvsim_version);
	g_free(info->sweep_name);
	g_free(info->point_name);
	memset(info, 0, sizeof *info);
}

static void hist_free(gpointer p)
{
	struct report_hist *h = p;

	g_free(h->scope);
	g_free(h->mode);
	g_free(h->unit);
	g_array_unref(h->lo);
	g_array_unref(h->hi);
	g_array_unref(h->count);
	g_free(h);
}

static struct report_hist *hist_new(sqlite3_stmt *st)
{
	struct report_hist *h = g_new0(struct report_hist, 1);

	h->scope = column_dup(st, 0);
	h->mode = column_dup(st, 1);
	h->unit = column_dup(st, 2);
	h->lo = g_array_new(FALSE, FALSE, sizeof(double));
	h->hi = g_array_new(FALSE, FALSE, sizeof(double));
	h->count = g_array_new(FALSE, FALSE, sizeof(double));
	return h;
}

GPtrArray *report__hists_load(struct results *r, const char *group, const char *name, GError **error)
{
	static const char sql[] =
		"SELECT h.scope, r.mode, h.unit, h.lo, h.hi, SUM(h.count)"
		" FROM runs r JOIN histograms h ON h.run_id = r.id"
		" WHERE r.group_id = ?1 AND r.status = '" RESULTS_STATUS_OK "' AND h.name = ?2"
		"   AND h.scope GLOB 'vm:*' AND h.scope NOT GLOB '*/*'"
		" GROUP BY h.scope, r.mode, h.unit, h.lo, h.hi"
		" ORDER BY h.scope, r.mode DESC, h.unit, h.lo"; /* virtual before bare_metal */
	GPtrArray *hists = g_ptr_array_new_with_free_func(hist_free);
	struct report_hist *h = NULL;
	sqlite3_stmt *st;
	int rc;

	if (!prepare(r, sql, group, name, &st, "reading the histograms", error)) {
		g_ptr_array_unref(hists);
		return NULL;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		double lo = sqlite3_column_double(st, 3), hi = sqlite3_column_double(st, 4);
		double count = sqlite3_column_double(st, 5);

		if (!h || strcmp(h->scope, (const char *)sqlite3_column_text(st, 0)) ||
		    strcmp(h->mode, (const char *)sqlite3_column_text(st, 1)) ||
		    strcmp(h->unit, (const char *)sqlite3_column_text(st, 2))) {
			h = hist_new(st);
			g_ptr_array_add(hists, h);
		}
		g_array_append_val(h->lo, lo);
		g_array_append_val(h->hi, hi);
		g_array_append_val(h->count, count);
		h->total += count;
	}
	if (!finish(r, st, rc, "reading the histograms", error)) {
		g_ptr_array_unref(hists);
		return NULL;
	}
	return hists;
}

/* ---- sweeps ---- */

static void axis_free(gpointer p)
{
	struct report_axis *a = p;

	g_free(a->name);
	g_ptr_array_unref(a->labels);
	g_array_unref(a->numbers);
	g_free(a);
}

static void point_free(gpointer p)
{
	struct report_point *pt = p;

	g_free(pt->name);
	g_free(pt->group_id);
	g_array_unref(pt->value_index);
	g_free(pt);
}

static void sweep_row_free(gpointer p)
{
	struct report_sweep_row *row = p;

	g_free(row->scope);
	g_free(row->name);
	g_free(row->unit);
	g_free(row);
}

/* The axis called name, created (numeric until a value says otherwise) when it is new. */
static unsigned axis_index(GPtrArray *axes, const char *name)
{
	struct report_axis *a;

	for (unsigned i = 0; i < axes->len; i++)
		if (strcmp(((struct report_axis *)axes->pdata[i])->name, name) == 0)
			return i;
	a = g_new0(struct report_axis, 1);
	a->name = g_strdup(name);
	a->labels = g_ptr_array_new_with_free_func(g_free);
	a->numbers = g_array_new(FALSE, FALSE, sizeof(double));
	a->numeric = true;
	g_ptr_array_add(axes, a);
	return axes->len - 1;
}

/* The index of a value on an axis, added in first-seen order when it is new. */
static unsigned axis_value_index(struct report_axis *a, const char *label, bool numeric, double number)
{
	for (unsigned i = 0; i < a->labels->len; i++)
		if (strcmp(a->labels->pdata[i], label) == 0)
			return i;
	g_ptr_array_add(a->labels, g_strdup(label));
	g_array_append_val(a->numbers, number);
	a->numeric = a->numeric && numeric;
	return a->labels->len - 1;
}

/* Records that point pt has value `value` on axis `axis` (value_index grows as needed). */
static void point_set_value(struct report_point *pt, unsigned axis, unsigned value)
{
	unsigned none = G_MAXUINT;

	while (pt->value_index->len <= axis)
		g_array_append_val(pt->value_index, none);
	g_array_index(pt->value_index, unsigned, axis) = value;
}

/* Compares two positions of an axis by their numbers (a GCompareDataFunc over unsigned). */
static gint by_number(gconstpointer a, gconstpointer b, gpointer numbers)
{
	double x = g_array_index((GArray *)numbers, double, *(const unsigned *)a);
	double y = g_array_index((GArray *)numbers, double, *(const unsigned *)b);

	return (x > y) - (x < y);
}

/* Sorts a numeric axis' values ascending and renumbers the points' indexes on it. */
static void axis_sort(struct report_axis *a, unsigned axis, GPtrArray *pts)
{
	unsigned n = a->labels->len, *order = g_new(unsigned, n), *rank = g_new(unsigned, n);
	GPtrArray *labels = g_ptr_array_new_with_free_func(g_free);
	GArray *numbers = g_array_new(FALSE, FALSE, sizeof(double));

	for (unsigned i = 0; i < n; i++)
		order[i] = i;
	g_qsort_with_data(order, n, sizeof *order, by_number, a->numbers);
	for (unsigned i = 0; i < n; i++) {
		rank[order[i]] = i;
		g_ptr_array_add(labels, g_strdup(a->labels->pdata[order[i]]));
		g_array_append_val(numbers, g_array_index(a->numbers, double, order[i]));
	}
	for (unsigned p = 0; p < pts->len; p++) {
		GArray *vi = ((struct report_point *)pts->pdata[p])->value_index;

		if (axis < vi->len && g_array_index(vi, unsigned, axis) != G_MAXUINT)
			g_array_index(vi, unsigned, axis) = rank[g_array_index(vi, unsigned, axis)];
	}
	g_ptr_array_unref(a->labels);
	g_array_unref(a->numbers);
	a->labels = labels;
	a->numbers = numbers;
	g_free(order);
	g_free(rank);
}

/* The sweeps row: id, name, point count; RESULTS_ERROR_INPUT when there is none. */
static bool load_sweep_row(struct results *r, const char *id, struct report_sweep *s, GError **error)
{
	sqlite3_stmt *st;
	int rc;

	if (!prepare(r, "SELECT id, name, points FROM sweeps WHERE id = ?1", id, NULL, &st, "reading the sweeps", error))
		return false;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		s->id = column_dup(st, 0);
		s->name = column_dup(st, 1);
		s->points = (unsigned)sqlite3_column_int(st, 2);
		rc = SQLITE_DONE;
	} else if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return results__fail(r, error, RESULTS_ERROR_INPUT, "no sweep '%s'", id);
	}
	return finish(r, st, rc, "reading the sweeps", error);
}

/* The complete points and, from their params_json, the axes and their values. */
static bool load_points(struct results *r, struct report_sweep *s, GError **error)
{
	static const char sql[] =
		"SELECT p.point, p.name, p.group_id, j.key, j.type,"
		" CASE j.type WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' WHEN 'null' THEN 'null'"
		"   ELSE j.value END, j.value"
		" FROM sweep_points p LEFT JOIN json_each(p.params_json) j"
		" WHERE p.sweep_id = ?1 ORDER BY p.point, j.id";
	struct report_point *pt = NULL;
	sqlite3_stmt *st;
	int rc;

	if (!prepare(r, sql, s->id, NULL, &st, "reading the sweep points", error))
		return false;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		unsigned point = (unsigned)sqlite3_column_int(st, 0), axis;
		const char *type = (const char *)sqlite3_column_text(st, 4);
		bool numeric = type && (!strcmp(type, "integer") || !strcmp(type, "real"));

		if (!pt || pt->point != point) {
			pt = g_new0(struct report_point, 1);
			pt->point = point;
			pt->name = column_dup(st, 1);
			pt->group_id = column_dup(st, 2);
			pt->value_index = g_array_new(FALSE, FALSE, sizeof(unsigned));
			g_ptr_array_add(s->pts, pt);
		}
		if (sqlite3_column_type(st, 3) == SQLITE_NULL)
			continue; /* a point without parameters */
		axis = axis_index(s->axes, (const char *)sqlite3_column_text(st, 3));
		point_set_value(pt, axis, axis_value_index(s->axes->pdata[axis], (const char *)sqlite3_column_text(st, 5),
							   numeric, sqlite3_column_double(st, 6)));
	}
	if (!finish(r, st, rc, "reading the sweep points", error))
		return false;
	for (unsigned a = 0; a < s->axes->len; a++)
		if (((struct report_axis *)s->axes->pdata[a])->numeric)
			axis_sort(s->axes->pdata[a], a, s->pts);
	return true;
}

/* One side of a sweep_comparison row from its n, mean and sd columns (from column i on). */
static void side_from_columns(sqlite3_stmt *st, int i, struct results_side *side)
{
	side->n = (uint32_t)sqlite3_column_int(st, i);
	side->mean = column_num(st, i + 1);
	side->sd = column_num(st, i + 2);
	side->exact = side->n >= 2 && side->sd == 0.0;
	side->ci95 = side->n >= 2 ? an_t975(side->n - 1) * side->sd / sqrt((double)side->n) : NAN;
}

/* The IN list of the headline metric names: ('ops_per_s', ...). Our own constants, no quoting. */
static GString *headline_sql_list(void)
{
	GString *in = g_string_new("(");

	for (unsigned i = 0; i < report__n_headline; i++)
		g_string_append_printf(in, "%s'%s'", i ? ", " : "", report__headline[i]);
	g_string_append_c(in, ')');
	return in;
}

/* The position of a metric in report__headline (the order the pages show them in). */
static unsigned headline_rank(const char *name)
{
	for (unsigned i = 0; i < report__n_headline; i++)
		if (strcmp(name, report__headline[i]) == 0)
			return i;
	return report__n_headline;
}

/* Orders sweep rows by scope, headline rank, then point (a GCompareFunc over row pointers). */
static gint by_scope_rank_point(gconstpointer a, gconstpointer b)
{
	const struct report_sweep_row *x = *(struct report_sweep_row *const *)a;
	const struct report_sweep_row *y = *(struct report_sweep_row *const *)b;
	int c = strcmp(x->scope, y->scope);
	unsigned rx = headline_rank(x->name), ry = headline_rank(y->name);

	if (c)
		return c;
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return (x->point_pos > y->point_pos) - (x->point_pos < y->point_pos);
}

/* The headline metrics of every VM scope at every complete point, and the VM scopes. */
static bool load_sweep_rows(struct results *r, struct report_sweep *s, GError **error)
{
	GString *in = headline_sql_list();
	char *sql = g_strdup_printf(
		"SELECT point, scope, name, unit, n_virtual, mean_virtual, sd_virtual,"
		" n_bare_metal, mean_bare_metal, sd_bare_metal, ratio FROM sweep_comparison"
		" WHERE sweep_id = ?1 AND scope GLOB 'vm:*' AND scope NOT GLOB '*/*' AND name IN %s"
		" ORDER BY scope", in->str);
	GHashTable *pos = g_hash_table_new(g_direct_hash, g_direct_equal); /* point + 1 -> position + 1 */
	sqlite3_stmt *st;
	bool ok;
	int rc = SQLITE_DONE;

	for (unsigned i = 0; i < s->pts->len; i++)
		g_hash_table_insert(pos, GUINT_TO_POINTER(((struct report_point *)s->pts->pdata[i])->point + 1),
				    GUINT_TO_POINTER(i + 1));
	ok = prepare(r, sql, s->id, NULL, &st, "reading sweep_comparison", error);
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct report_sweep_row *row = g_new0(struct report_sweep_row, 1);
		const char *scope = (const char *)sqlite3_column_text(st, 1);

		row->point_pos = GPOINTER_TO_UINT(g_hash_table_lookup(pos,
			GUINT_TO_POINTER((unsigned)sqlite3_column_int(st, 0) + 1))) - 1;
		row->scope = g_strdup(scope);
		row->name = column_dup(st, 2);
		row->unit = column_dup(st, 3);
		side_from_columns(st, 4, &row->virt);
		side_from_columns(st, 7, &row->bare);
		row->ratio = column_num(st, 10);
		g_ptr_array_add(s->rows, row);
		if (!s->scopes->len || strcmp(g_ptr_array_index(s->scopes, s->scopes->len - 1), scope))
			g_ptr_array_add(s->scopes, g_strdup(scope));
	}
	if (ok)
		ok = finish(r, st, rc, "reading sweep_comparison", error);
	g_ptr_array_sort(s->rows, by_scope_rank_point);
	g_hash_table_unref(pos);
	g_string_free(in, TRUE);
	g_free(sql);
	return ok;
}

bool report__sweep_load(struct results *r, const char *id, struct report_sweep *s, GError **error)
{
	memset(s, 0, sizeof *s);
	s->axes = g_ptr_array_new_with_free_func(axis_free);
	s->pts = g_ptr_array_new_with_free_func(point_free);
	s->rows = g_ptr_array_new_with_free_func(sweep_row_free);
	s->scopes = g_ptr_array_new_with_free_func(g_free);
	return load_sweep_row(r, id, s, error) && load_points(r, s, error) && load_sweep_rows(r, s, error);
}

void report__sweep_clear(struct report_sweep *s)
{
	g_free(s->id);
	g_free(s->name);
	if (s->axes)
		g_ptr_array_unref(s->axes);
	if (s->pts)
		g_ptr_array_unref(s->pts);
	if (s->rows)
		g_ptr_array_unref(s->rows);
	if (s->scopes)
		g_ptr_array_unref(s->scopes);
	memset(s, 0, sizeof *s);
}
