/* SPDX-License-Identifier: MIT */
/*
 * results-int.h - private to analysis/: the open database handle and the helpers that turn SQLite
 *       failures into RESULTS_ERROR GErrors.
 * Role: shared by results.c (open, close, latest group), schema.c (create, check, migrate),
 *       write.c (one run per transaction) and compare.c; SQLite codes go no further than these files.
 */
#ifndef ANALYSIS_RESULTS_INT_H
#define ANALYSIS_RESULTS_INT_H

#include <sqlite3.h>

#include "analysis/results.h"

/* hvsim's PRAGMA application_id: "hvsm" in ASCII. */
#define RESULTS_APPLICATION_ID 0x6876736d

struct results {
	sqlite3 *db;
	char *path;
	/* Prepared once at open, reset after every use (write.c). */
	sqlite3_stmt *insert_run, *insert_metric, *insert_hist, *insert_point;
};

/*
 * Sets *error to "PATH: what: SQLite's message" with the code SQLite's failure rc maps to
 * (not a database / corrupt -> RESULTS_ERROR_INPUT, everything else -> RESULTS_ERROR_IO).
 * Always returns false, so callers can `return results__db_fail(...)`.
 */
bool results__db_fail(struct results *r, int rc, GError **error, const char *what);
/* Sets *error to "PATH: " + the formatted message with the given code; returns false. */
bool results__fail(struct results *r, GError **error, int code, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
/* Runs SQL without results (BEGIN, COMMIT, PRAGMA ... =); false + error naming what. */
bool results__exec(struct results *r, const char *sql, const char *what, GError **error);

/*
 * Makes the SQL functions the schema's views use available on db: sqrt() is built into SQLite only
 * with SQLITE_ENABLE_MATH_FUNCTIONS (the default of its configure script, not of every build);
 * without it, hvsim's own is registered on this connection.
 */
void results__add_functions(sqlite3 *db);

/*
 * Brings the schema to RESULTS_SCHEMA_VERSION: refuses what results_open refuses, migrates an
 * older version, checks the result against this hvsim's definition (schema.c).
 */
bool results__schema_open(struct results *r, bool create, GError **error);

/* Whether a sweep point's row exists (sweep.c; write.c checks it inside the group's transaction). */
bool results__sweep_point_exists(struct results *r, const struct results_sweep_point *p, bool *exists,
				 GError **error);
/* Inserts a sweep point's row (inside the caller's transaction). */
bool results__sweep_point_insert(struct results *r, const struct results_sweep_point *p, GError **error);

#endif /* ANALYSIS_RESULTS_INT_H */
