/* SPDX-License-Identifier: MIT */
/*
 * write.c - results_write(): one run, its metrics, its histograms and its timeseries rows, in one
 *       transaction.
 * Role: the only writer of runs, metrics, histograms and timeseries. Statements are prepared once
 *       at open (results.c) and reset after every row.
 * Atomicity: BEGIN IMMEDIATE ... COMMIT; any failing row rolls the whole run back, and a process
 *       killed mid-run leaves only an uncommitted WAL tail that SQLite discards on the next open.
 * Integers: SQLite's INTEGER is signed 64-bit. A seed is an identifier and is stored as its two's
 *       complement (exact, but above 2^63 - 1 it reads negative); quantities (events, bucket
 *       bounds and counts) above 2^63 - 1 are stored as REAL, keeping their magnitude.
 * Cost: one row per metric, per non-empty histogram slot and per timeseries point, one fsync per
 *       run (WAL commit).
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "analysis/results-int.h"

/* Binds a quantity: INTEGER when it fits, REAL above 2^63 - 1. */
static void bind_quantity(sqlite3_stmt *st, int i, uint64_t v)
{
	if (v <= (uint64_t)INT64_MAX)
		sqlite3_bind_int64(st, i, (sqlite3_int64)v);
	else
		sqlite3_bind_double(st, i, (double)v);
}

/*
 * Steps an INSERT once and makes the statement ready for the next row. On failure the error is
 * taken before the reset (which would keep the code but may change the message).
 */
static bool insert(struct results *r, sqlite3_stmt *st, GError **error, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static bool insert(struct results *r, sqlite3_stmt *st, GError **error, const char *fmt, ...)
{
	int rc = sqlite3_step(st);
	bool ok = true;

	if (rc != SQLITE_DONE) {
		va_list ap;
		char *what;

		va_start(ap, fmt);
		what = g_strdup_vprintf(fmt, ap);
		va_end(ap);
		ok = results__db_fail(r, rc, error, what);
		g_free(what);
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ok;
}

static bool insert_metric(struct results *r, int64_t run_id, const char *scope, const char *name,
			  double value, const char *unit, GError **error)
{
	sqlite3_stmt *st = r->insert_metric;

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
	if (isnan(value))
		sqlite3_bind_null(st, 4);
	else
		sqlite3_bind_double(st, 4, value);
	sqlite3_bind_text(st, 5, unit ? unit : "", -1, SQLITE_STATIC);
	return insert(r, st, error, "writing metric %s %s", scope ? scope : "(null scope)",
		      name ? name : "(null name)");
}

/*
 * Name of a histogram summary, the unit kept last (INTERFACES.md "lower_snake_case_with_unit"):
 * ("latency" or "latency_ns", "ns", "p50") -> "latency_p50_ns"; unit "" -> "latency_p50". With
 * unit_last false the unit is dropped but still cut from the stem ("latency_ns" -> "latency_count"):
 * a count is a plain number.
 */
static char *summary_name(const char *name, const char *name_unit, const char *tag, bool unit_last)
{
	size_t n = strlen(name), u = strlen(name_unit);

	if (u > 0 && n > u + 1 && name[n - u - 1] == '_' && !strcmp(name + n - u, name_unit))
		n -= u + 1; /* the stem: the name without its unit suffix */
	if (u == 0 || !unit_last)
		return g_strdup_printf("%.*s_%s", (int)n, name, tag);
	return g_strdup_printf("%.*s_%s_%s", (int)n, name, tag, name_unit);
}

/* One histogram: a row per non-empty slot, then its summary metrics. */
static bool write_hist(struct results *r, int64_t run_id, const struct results_hist *rh, GError **error)
{
	static const struct {
		const char *tag;
		double p;
	} pct[] = { { "p50", 50.0 }, { "p90", 90.0 }, { "p99", 99.0 }, { "p999", 99.9 } };
	const struct sim_hist *h = rh->h;
	const char *unit = rh->unit ? rh->unit : "";
	uint64_t lo, hi;
	char *name;
	bool ok = true;

	if (!rh->scope || !rh->name || !h)
		return results__fail(r, error, RESULTS_ERROR_IO, "a histogram lacks its scope, name or values");
	for (uint32_t i = 0; ok && i < h->ncounts; i++) {
		if (h->counts[i] == 0)
			continue;
		sim_hist_slot_range(i, &lo, &hi);
		sqlite3_bind_int64(r->insert_hist, 1, run_id);
		sqlite3_bind_text(r->insert_hist, 2, rh->scope, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->insert_hist, 3, rh->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(r->insert_hist, 4, unit, -1, SQLITE_STATIC);
		bind_quantity(r->insert_hist, 5, lo);
		bind_quantity(r->insert_hist, 6, hi);
		bind_quantity(r->insert_hist, 7, h->counts[i]);
		ok = insert(r, r->insert_hist, error, "writing histogram %s %s", rh->scope, rh->name);
	}
	for (size_t i = 0; ok && i < G_N_ELEMENTS(pct); i++) {
		name = summary_name(rh->name, unit, pct[i].tag, true);
		ok = insert_metric(r, run_id, rh->scope, name, h->total ? sim_hist_percentile(h, pct[i].p) : NAN,
				   unit, error);
		g_free(name);
	}
	if (ok) {
		name = summary_name(rh->name, unit, "mean", true);
		ok = insert_metric(r, run_id, rh->scope, name, h->total ? sim_hist_mean(h) : NAN, unit, error);
		g_free(name);
	}
	if (ok) {
		name = summary_name(rh->name, unit, "count", false);
		ok = insert_metric(r, run_id, rh->scope, name, (double)h->total, "count", error);
		g_free(name);
	}
	return ok;
}

/* One timeseries row. A NaN time binds NULL, which the NOT NULL constraint refuses. */
static bool insert_point(struct results *r, int64_t run_id, const struct results_point *p, GError **error)
{
	sqlite3_stmt *st = r->insert_point;

	sqlite3_bind_int64(st, 1, run_id);
	sqlite3_bind_text(st, 2, p->scope, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->name, -1, SQLITE_STATIC);
	if (isnan(p->t_seconds))
		sqlite3_bind_null(st, 4);
	else
		sqlite3_bind_double(st, 4, p->t_seconds);
	if (isnan(p->value))
		sqlite3_bind_null(st, 5);
	else
		sqlite3_bind_double(st, 5, p->value);
	return insert(r, st, error, "writing timeseries %s %s at %g s", p->scope ? p->scope : "(null scope)",
		      p->name ? p->name : "(null name)", p->t_seconds);
}

/* The runs row; *run_id gets its id. */
static bool write_run_row(struct results *r, const struct results_run *run, int64_t *run_id, GError **error)
{
	sqlite3_stmt *st = r->insert_run;

	sqlite3_bind_text(st, 1, run->group_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, run->scenario, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, run->mode, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)run->seed);
	sqlite3_bind_int64(st, 5, run->replication);
	sqlite3_bind_text(st, 6, run->config_json, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, run->config_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, run->hvsim_version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, run->started_at, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 10, run->wall_seconds);
	sqlite3_bind_double(st, 11, run->sim_seconds);
	bind_quantity(st, 12, run->events);
	sqlite3_bind_text(st, 13, run->status, -1, SQLITE_STATIC);
	if (!insert(r, st, error, "writing the run of group %s, %s replication %" PRIu32,
		    run->group_id ? run->group_id : "(null)", run->mode ? run->mode : "(null mode)",
		    run->replication))
		return false;
	*run_id = sqlite3_last_insert_rowid(r->db);
	return true;
}

/* The rows of one run, inside the caller's transaction; *run_id gets its id. */
static bool write_one(struct results *r, const struct results_run *run, const struct results_rows *rows,
		      int64_t *run_id, GError **error)
{
	bool ok;

	g_return_val_if_fail(run != NULL && rows != NULL, false);
	g_return_val_if_fail(rows->nmetrics == 0 || rows->metrics != NULL, false);
	g_return_val_if_fail(rows->nhists == 0 || rows->hists != NULL, false);
	g_return_val_if_fail(rows->npoints == 0 || rows->points != NULL, false);
	ok = write_run_row(r, run, run_id, error);
	for (size_t i = 0; ok && i < rows->nmetrics; i++) {
		const struct results_metric *m = &rows->metrics[i];

		ok = insert_metric(r, *run_id, m->scope, m->name, m->value, m->unit, error);
	}
	for (size_t i = 0; ok && i < rows->nhists; i++)
		ok = write_hist(r, *run_id, &rows->hists[i], error);
	for (size_t i = 0; ok && i < rows->npoints; i++)
		ok = insert_point(r, *run_id, &rows->points[i], error);
	return ok;
}

/* Ends the transaction: COMMIT when ok, else ROLLBACK (also after a failed COMMIT). */
static bool finish(struct results *r, bool ok, GError **error)
{
	if (ok)
		ok = results__exec(r, "COMMIT", "committing the run", error);
	/* After a failed COMMIT the transaction may already be gone (autocommit again). */
	if (!ok && !sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return ok;
}

bool results_write(struct results *r, const struct results_run *run, const struct results_rows *rows,
		   int64_t *run_id, GError **error)
{
	int64_t id = 0;

	g_return_val_if_fail(r != NULL, false);
	if (!results__exec(r, "BEGIN IMMEDIATE", "starting the run's transaction", error))
		return false;
	if (!finish(r, write_one(r, run, rows, &id, error), error))
		return false;
	if (run_id)
		*run_id = id;
	return true;
}

bool results_write_group(struct results *r, const struct results_run *runs, const struct results_rows *rows,
			 size_t n, const struct results_sweep_point *point, bool *already, GError **error)
{
	bool ok = true, have = false;
	int64_t id;

	g_return_val_if_fail(r != NULL && (n == 0 || (runs != NULL && rows != NULL)), false);
	*already = false;
	if (!results__exec(r, "BEGIN IMMEDIATE", "starting the group's transaction", error))
		return false;
	if (point)
		ok = results__sweep_point_exists(r, point, &have, error);
	if (ok && have) {
		*already = true;
		return finish(r, true, error);
	}
	for (size_t i = 0; ok && i < n; i++)
		ok = write_one(r, &runs[i], &rows[i], &id, error);
	if (ok && point)
		ok = results__sweep_point_insert(r, point, error);
	return finish(r, ok, error);
}

bool results_write_run(struct results *r, const struct results_run *run,
		       const struct results_metric *m, size_t nm,
		       const struct results_hist *h, size_t nh, int64_t *run_id, GError **error)
{
	struct results_rows rows = { .metrics = m, .nmetrics = nm, .hists = h, .nhists = nh };

	return results_write(r, run, &rows, run_id, error);
}
