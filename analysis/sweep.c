/* SPDX-License-Identifier: MIT */
/*
 * sweep.c - the sweeps and sweep_points tables: recording a sweep, finding it again, and which of
 *       its points are complete.
 * Role: a sweep point is complete exactly when its sweep_points row exists; the row is written in
 *       the transaction of its runs (results_write_group, write.c), so a killed sweep leaves
 *       complete points and nothing of the others, and `hvsim sweep --resume` reads the bitmap.
 */
#include <string.h>

#include "analysis/results-int.h"

/* Prepares a one-off statement; false + error naming what. */
static bool prepare(struct results *r, const char *sql, sqlite3_stmt **st, const char *what, GError **error)
{
	int rc = sqlite3_prepare_v2(r->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? true : results__db_fail(r, rc, error, what);
}

bool results_sweep_register(struct results *r, const struct results_sweep *s, GError **error)
{
	sqlite3_stmt *st = NULL;
	bool ok;
	int rc;

	if (!prepare(r, "SELECT spec_json, points FROM sweeps WHERE id = ?1", &st, "reading the sweeps", error))
		return false;
	sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *spec = (const char *)sqlite3_column_text(st, 0);

		ok = spec && strcmp(spec, s->spec_json) == 0 && sqlite3_column_int64(st, 1) == s->points;
		if (!ok)
			results__fail(r, error, RESULTS_ERROR_INPUT,
				      "sweep %s is recorded with another definition (was the database edited?)", s->id);
		sqlite3_finalize(st);
		return ok;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return results__db_fail(r, rc, error, "reading the sweeps");
	if (!prepare(r, "INSERT OR IGNORE INTO sweeps(id, name, spec_json, points, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
		     &st, "recording the sweep", error))
		return false;
	sqlite3_bind_text(st, 1, s->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, s->spec_json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, s->points);
	sqlite3_bind_text(st, 5, s->created_at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? true : results__db_fail(r, rc, error, "recording the sweep");
}

bool results_sweep_find(struct results *r, const char *id, bool *found, uint32_t *done, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!prepare(r, "SELECT (SELECT COUNT(*) FROM sweep_points WHERE sweep_id = ?1) FROM sweeps WHERE id = ?1",
		     &st, "reading the sweeps", error))
		return false;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	*done = *found ? (uint32_t)sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : results__db_fail(r, rc, error, "reading the sweeps");
}

bool results_sweep_done(struct results *r, const char *id, bool *done, uint32_t n, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(done, 0, n * sizeof *done);
	if (!prepare(r, "SELECT point FROM sweep_points WHERE sweep_id = ?1", &st, "reading the sweep's points", error))
		return false;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sqlite3_int64 p = sqlite3_column_int64(st, 0);

		if (p >= 0 && p < n)
			done[p] = true;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? true : results__db_fail(r, rc, error, "reading the sweep's points");
}

char *results_sweep_by_name(struct results *r, const char *name, GError **error)
{
	sqlite3_stmt *st = NULL;
	char *id = NULL;
	int rc;

	if (!prepare(r, "SELECT id FROM sweeps WHERE name = ?1 ORDER BY created_at DESC, rowid DESC LIMIT 1", &st,
		     "reading the sweeps", error))
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = g_strdup((const char *)sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		results__db_fail(r, rc, error, "reading the sweeps");
	sqlite3_finalize(st);
	return id;
}

bool results__sweep_point_exists(struct results *r, const struct results_sweep_point *p, bool *exists,
				 GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!prepare(r, "SELECT 1 FROM sweep_points WHERE sweep_id = ?1 AND point = ?2", &st,
		     "reading the sweep's points", error))
		return false;
	sqlite3_bind_text(st, 1, p->sweep_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, p->point);
	rc = sqlite3_step(st);
	*exists = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? true : results__db_fail(r, rc, error, "reading the sweep's points");
}

bool results__sweep_point_insert(struct results *r, const struct results_sweep_point *p, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (!prepare(r, "INSERT INTO sweep_points(sweep_id, point, name, group_id, params_json)"
		     " VALUES (?1, ?2, ?3, ?4, ?5)", &st, "recording the sweep point", error))
		return false;
	sqlite3_bind_text(st, 1, p->sweep_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, p->point);
	sqlite3_bind_text(st, 3, p->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, p->group_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, p->params_json, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return true;
	return results__fail(r, error, RESULTS_ERROR_IO, "recording point %u (%s) of sweep %s: %s", p->point, p->name,
			     p->sweep_id, sqlite3_errmsg(r->db));
}
