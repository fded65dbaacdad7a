/* SPDX-License-Identifier: MIT */
/*
 * results.c - opening and closing the results database, its error domain, and the latest group.
 * Role: results_open() decides what the path is (missing, a directory, a file) before SQLite sees
 *       it, opens the connection (foreign keys on, a busy timeout so that parallel writers queue
 *       instead of failing), hands over to schema.c for the checks, then prepares the statements
 *       write.c reuses for every run. Also the helpers that turn SQLite failures into GErrors.
 * Errors: "PATH: what is wrong" in RESULTS_ERROR; the code is the exit status (results.h).
 * See: analysis/schema.c (checks, migrations), analysis/write.c (runs).
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "analysis/results-int.h"

/* How long a writer waits for another process's transaction (units: ms). */
#define BUSY_TIMEOUT_MS 60000

G_DEFINE_QUARK(hvsim-results-error-quark, results_error)

bool results__fail(struct results *r, GError **error, int code, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	g_set_error(error, RESULTS_ERROR, code, "%s: %s", r->path, msg);
	g_free(msg);
	return false;
}

bool results__db_fail(struct results *r, int rc, GError **error, const char *what)
{
	int prim = rc & 0xff;
	int code = (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT) ? RESULTS_ERROR_INPUT : RESULTS_ERROR_IO;
	const char *msg = sqlite3_errmsg(r->db);
	int sys = sqlite3_system_errno(r->db);

	/* SQLite's "unable to open database file" says nothing of why; the OS error does. */
	if ((prim == SQLITE_CANTOPEN || prim == SQLITE_IOERR) && sys != 0)
		return results__fail(r, error, code, "%s: %s (%s)", what, msg, g_strerror(sys));
	return results__fail(r, error, code, "%s: %s", what, msg);
}

bool results__exec(struct results *r, const char *sql, const char *what, GError **error)
{
	int rc = sqlite3_exec(r->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? true : results__db_fail(r, rc, error, what);
}

/* sqrt() for builds of SQLite without the math functions: NULL for NULL or a negative argument. */
static void sql_sqrt(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	double x;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(ctx);
		return;
	}
	x = sqlite3_value_double(argv[0]);
	if (x < 0.0)
		sqlite3_result_null(ctx);
	else
		sqlite3_result_double(ctx, sqrt(x));
}

void results__add_functions(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(db, "SELECT sqrt(4.0)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_finalize(st);
		return;
	}
	sqlite3_finalize(st);
	sqlite3_create_function(db, "sqrt", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
				sql_sqrt, NULL, NULL);
}

/* Prepares one of the statements kept for the connection's life. */
static bool prepare(struct results *r, const char *sql, sqlite3_stmt **st, GError **error)
{
	int rc = sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL);

	return rc == SQLITE_OK ? true : results__db_fail(r, rc, error, "preparing a statement");
}

/* The connection's settings, none of which is stored in the file. */
static bool configure(struct results *r, GError **error)
{
	sqlite3_extended_result_codes(r->db, 1);
	sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
	results__add_functions(r->db);
	return results__exec(r, "PRAGMA foreign_keys = ON", "enabling foreign keys", error);
}

struct results *results_open(const char *path, bool create, GError **error)
{
	struct results *r;
	char *name;
	int rc;

	g_return_val_if_fail(path != NULL && *path, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	r = g_new0(struct results, 1);
	r->path = g_strdup(path);
	/* Decided here rather than by SQLite, whose "unable to open database file" covers all three. */
	if (g_file_test(path, G_FILE_TEST_IS_DIR)) {
		results__fail(r, error, RESULTS_ERROR_INPUT, "is a directory");
		goto fail;
	}
	if (!create && !g_file_test(path, G_FILE_TEST_EXISTS)) {
		results__fail(r, error, RESULTS_ERROR_INPUT, "no such file");
		goto fail;
	}
	/* A name is a file name, never a URI (some SQLite builds read "file:..." as one by default). */
	name = g_str_has_prefix(path, "file:") ? g_strconcat("./", path, NULL) : g_strdup(path);
	rc = sqlite3_open_v2(name, &r->db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
	g_free(name);
	if (rc != SQLITE_OK) {
		results__db_fail(r, rc, error, create ? "cannot open or create" : "cannot open");
		goto fail;
	}
	if (!configure(r, error) || !results__schema_open(r, create, error))
		goto fail;
	if (!prepare(r, "INSERT INTO runs(group_id, scenario, mode, seed, replication, config_json, config_hash,"
			" hvsim_version, started_at, wall_seconds, sim_seconds, events, status)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)", &r->insert_run, error) ||
	    !prepare(r, "INSERT INTO metrics(run_id, scope, name, value, unit) VALUES (?1, ?2, ?3, ?4, ?5)",
		     &r->insert_metric, error) ||
	    !prepare(r, "INSERT INTO histograms(run_id, scope, name, unit, lo, hi, count)"
			" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", &r->insert_hist, error) ||
	    !prepare(r, "INSERT INTO timeseries(run_id, scope, name, t_seconds, value) VALUES (?1, ?2, ?3, ?4, ?5)",
		     &r->insert_point, error))
		goto fail;
	return r;
fail:
	results_close(r);
	return NULL;
}

void results_close(struct results *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->insert_run);
	sqlite3_finalize(r->insert_metric);
	sqlite3_finalize(r->insert_hist);
	sqlite3_finalize(r->insert_point);
	/* NULL is fine; every statement is finalized, so the close is not deferred. */
	sqlite3_close(r->db);
	g_free(r->path);
	g_free(r);
}

const char *results_path(const struct results *r)
{
	return r->path;
}

char *results_latest_group(struct results *r, GError **error)
{
	sqlite3_stmt *st = NULL;
	char *group = NULL;
	int rc;

	g_return_val_if_fail(r != NULL, NULL);
	rc = sqlite3_prepare_v2(r->db, "SELECT group_id FROM runs ORDER BY id DESC LIMIT 1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		group = g_strdup((const char *)sqlite3_column_text(st, 0));
	else if (rc == SQLITE_DONE)
		results__fail(r, error, RESULTS_ERROR_INPUT, "no runs in the database");
	else
		results__db_fail(r, rc, error, "finding the latest group");
	sqlite3_finalize(st);
	return group;
}
