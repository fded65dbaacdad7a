/* SPDX-License-Identifier: MIT */
/*
 * schema.c - the results database's schema: its SQL, the migrations, and the checks that decide
 *       whether a file may be used at all.
 * Role: results__schema_open() runs once per results_open(), before anything is written: it reads
 *       user_version and application_id, refuses what is not ours or is newer, migrates an older
 *       version in one transaction, checks tables and views against this build's definition, and
 *       finally switches the file to WAL mode.
 * Migrations: migrations[] is a table of steps; step i takes version i to i + 1, and version 0 is
 *       the empty database. A schema change appends a step (ALTER TABLE ..., CREATE ...) and bumps
 *       RESULTS_SCHEMA_VERSION; old steps are never edited, since files created by them exist.
 * Check: the expected schema is not written twice. A private in-memory database is built by the
 *       same steps and every table, index and view of it must exist in the file with the same
 *       columns (name, type, NOT NULL, primary key) and the same SQL text. Objects a user added
 *       (own views or indexes) are allowed.
 * Cost: the check is a few dozen small queries, well under a millisecond.
 */
#include <string.h>

#include "analysis/results-int.h"

/*
 * Version 1. runs and metrics follow INTERFACES.md column for column (types and the mode CHECK
 * as written there) and add NOT NULL where a NULL would make a row meaningless. Every run row's
 * children are deleted with it. The unique index on metrics(run_id, scope, name) is also the
 * index on metrics(run_id): a run has one value per (scope, name).
 * Views count only runs with status 'ok'. comparison: per (group, scope, name, unit) and side,
 * n, mean and sample sd (the sum of squared deviations from the side's mean, a window function,
 * so that values far from 0 keep their digits), and the ratio of the means. When a side's values
 * are all equal its mean is that value and its sd 0 exactly. twins: each virtual run's metric
 * beside the same metric of the bare-metal run of the same group and replication.
 */
static const char schema_v1[] =
	"CREATE TABLE runs(\n"
	"  id INTEGER PRIMARY KEY,\n"
	"  group_id TEXT NOT NULL,\n"
	"  scenario TEXT NOT NULL,\n"
	"  mode TEXT NOT NULL CHECK(mode IN ('virtual','bare_metal')),\n"
	"  seed INTEGER NOT NULL,\n"
	"  replication INTEGER NOT NULL,\n"
	"  config_json TEXT,\n"
	"  config_hash TEXT,\n"
	"  hvsim_version TEXT,\n"
	"  started_at TEXT,\n"
	"  wall_seconds REAL,\n"
	"  sim_seconds REAL,\n"
	"  events INTEGER,\n"
	"  status TEXT NOT NULL);\n"
	"CREATE INDEX runs_group ON runs(group_id);\n"
	"CREATE TABLE metrics(\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  scope TEXT NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  value REAL,\n"
	"  unit TEXT NOT NULL);\n"
	"CREATE UNIQUE INDEX metrics_run ON metrics(run_id, scope, name);\n"
	"CREATE INDEX metrics_scope_name ON metrics(scope, name);\n"
	"CREATE TABLE histograms(\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  scope TEXT NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  unit TEXT NOT NULL,\n"
	"  lo INTEGER NOT NULL,\n"
	"  hi INTEGER NOT NULL,\n"
	"  count INTEGER NOT NULL CHECK(count > 0));\n"
	"CREATE UNIQUE INDEX histograms_run ON histograms(run_id, scope, name, lo);\n"
	"CREATE TABLE timeseries(\n"
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,\n"
	"  scope TEXT NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  t_seconds REAL NOT NULL,\n"
	"  value REAL);\n"
	"CREATE INDEX timeseries_run ON timeseries(run_id, scope, name, t_seconds);\n"
	"CREATE VIEW comparison AS\n"
	"WITH obs AS (\n"
	"  SELECT r.group_id, m.scope, m.name, m.unit, r.mode, m.value,\n"
	"         AVG(m.value) OVER (PARTITION BY r.group_id, m.scope, m.name, m.unit, r.mode) AS side_mean\n"
	"  FROM runs r JOIN metrics m ON m.run_id = r.id\n"
	"  WHERE r.status = 'ok' AND m.value IS NOT NULL),\n"
	"side AS (\n"
	"  SELECT group_id, scope, name, unit, mode, COUNT(*) AS n,\n"
	"         CASE WHEN MIN(value) = MAX(value) THEN MIN(value) ELSE AVG(value) END AS mean,\n"
	"         CASE WHEN COUNT(*) < 2 THEN NULL WHEN MIN(value) = MAX(value) THEN 0.0\n"
	"              ELSE sqrt(SUM((value - side_mean) * (value - side_mean)) / (COUNT(*) - 1)) END AS sd\n"
	"  FROM obs GROUP BY group_id, scope, name, unit, mode)\n"
	"SELECT group_id, scope, name, unit,\n"
	"  COALESCE(SUM(CASE WHEN mode = 'virtual' THEN n END), 0) AS n_virtual,\n"
	"  MAX(CASE WHEN mode = 'virtual' THEN mean END) AS mean_virtual,\n"
	"  MAX(CASE WHEN mode = 'virtual' THEN sd END) AS sd_virtual,\n"
	"  COALESCE(SUM(CASE WHEN mode = 'bare_metal' THEN n END), 0) AS n_bare_metal,\n"
	"  MAX(CASE WHEN mode = 'bare_metal' THEN mean END) AS mean_bare_metal,\n"
	"  MAX(CASE WHEN mode = 'bare_metal' THEN sd END) AS sd_bare_metal,\n"
	"  CASE WHEN MAX(CASE WHEN mode = 'bare_metal' THEN mean END) <> 0\n"
	"       THEN MAX(CASE WHEN mode = 'virtual' THEN mean END)\n"
	"            / MAX(CASE WHEN mode = 'bare_metal' THEN mean END) END AS ratio\n"
	"FROM side GROUP BY group_id, scope, name, unit;\n"
	"CREATE VIEW twins AS\n"
	"SELECT v.group_id AS group_id, v.replication AS replication,\n"
	"  v.id AS virtual_run_id, b.id AS bare_metal_run_id,\n"
	"  mv.scope AS scope, mv.name AS name, mv.unit AS unit,\n"
	"  mv.value AS virtual_value, mb.value AS bare_metal_value,\n"
	"  CASE WHEN mb.value <> 0 THEN mv.value / mb.value END AS ratio\n"
	"FROM runs v\n"
	"JOIN runs b ON b.group_id = v.group_id AND b.replication = v.replication\n"
	"  AND b.mode = 'bare_metal' AND b.status = 'ok'\n"
	"JOIN metrics mv ON mv.run_id = v.id\n"
	"JOIN metrics mb ON mb.run_id = b.id AND mb.scope = mv.scope AND mb.name = mv.name\n"
	"  AND mb.unit = mv.unit\n"
	"WHERE v.mode = 'virtual' AND v.status = 'ok';\n";

/*
 * Version 2: sweeps. A sweep's id is derived from what it runs (cli/sweep.c), so a resumed sweep,
 * a Slurm shard and a merged database agree on it. A sweep_points row is written in the same
 * transaction as every run of its point (group_id): the row exists exactly when the point is
 * complete. params_json holds the point's axis values by axis name (json_extract() reads them).
 * runs_identity finds a run again by what it ran (hvsim merge skips duplicates with it).
 * sweep_comparison: the comparison view of every complete point, with its axis values.
 */
static const char schema_v2[] =
	"CREATE TABLE sweeps(\n"
	"  id TEXT PRIMARY KEY,\n"
	"  name TEXT NOT NULL,\n"
	"  spec_json TEXT NOT NULL,\n"
	"  points INTEGER NOT NULL,\n"
	"  created_at TEXT);\n"
	"CREATE TABLE sweep_points(\n"
	"  sweep_id TEXT NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,\n"
	"  point INTEGER NOT NULL,\n"
	"  name TEXT NOT NULL,\n"
	"  group_id TEXT NOT NULL,\n"
	"  params_json TEXT NOT NULL,\n"
	"  PRIMARY KEY(sweep_id, point));\n"
	"CREATE UNIQUE INDEX sweep_points_name ON sweep_points(sweep_id, name);\n"
	"CREATE INDEX runs_identity ON runs(group_id, config_hash, seed, replication, mode);\n"
	"CREATE VIEW sweep_comparison AS\n"
	"SELECT p.sweep_id AS sweep_id, p.point AS point, p.name AS point_name, p.params_json AS params_json,\n"
	"  c.group_id AS group_id, c.scope AS scope, c.name AS name, c.unit AS unit,\n"
	"  c.n_virtual AS n_virtual, c.mean_virtual AS mean_virtual, c.sd_virtual AS sd_virtual,\n"
	"  c.n_bare_metal AS n_bare_metal, c.mean_bare_metal AS mean_bare_metal,\n"
	"  c.sd_bare_metal AS sd_bare_metal, c.ratio AS ratio\n"
	"FROM sweep_points p JOIN comparison c ON c.group_id = p.group_id;\n";

/* migrations[i] takes a database from version i to i + 1 (version 0: empty). Append only. */
static const char *const migrations[] = {
	schema_v1,
	schema_v2,
};
G_STATIC_ASSERT(G_N_ELEMENTS(migrations) == RESULTS_SCHEMA_VERSION);

/* Reads an integer PRAGMA (user_version, application_id); the first read of the file. */
static bool read_pragma(struct results *r, const char *sql, int *out, GError **error)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int(st, 0);
			rc = SQLITE_OK;
		}
	}
	sqlite3_finalize(st);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return results__fail(r, error, RESULTS_ERROR_INPUT, "not an SQLite database");
	if (rc != SQLITE_OK)
		return results__db_fail(r, rc, error, "reading the schema version");
	return true;
}

/*
 * Decides from user_version and application_id (and, for version 0, whether the file holds
 * anything) whether this is our database; refuses otherwise. Reads only.
 */
static bool check_identity(struct results *r, int version, int app, bool create, GError **error)
{
	sqlite3_stmt *st = NULL;
	bool ok = true;
	int rc;

	if (version < 0)
		return results__fail(r, error, RESULTS_ERROR_INPUT, "results schema version %d is not one hvsim writes",
				     version);
	if (version > RESULTS_SCHEMA_VERSION)
		return results__fail(r, error, RESULTS_ERROR_INPUT,
				     "results schema version %d is newer than this hvsim's (%d); use a newer hvsim",
				     version, RESULTS_SCHEMA_VERSION);
	if (app != 0 && app != RESULTS_APPLICATION_ID)
		return results__fail(r, error, RESULTS_ERROR_INPUT,
				     "not an hvsim results database (application_id 0x%08x)", (unsigned)app);
	if (version > 0 && app != RESULTS_APPLICATION_ID)
		return results__fail(r, error, RESULTS_ERROR_INPUT,
				     "not an hvsim results database (user_version %d without hvsim's application_id)",
				     version);
	if (version > 0)
		return true;
	rc = sqlite3_prepare_v2(r->db,
				"SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
				" ORDER BY name LIMIT 1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ok = results__fail(r, error, RESULTS_ERROR_INPUT,
				   "not an hvsim results database (it holds %s '%s' and no schema version)",
				   (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
	else if (rc != SQLITE_DONE)
		ok = results__db_fail(r, rc, error, "reading the schema");
	else if (!create)
		ok = results__fail(r, error, RESULTS_ERROR_INPUT, "empty database, no hvsim results in it");
	sqlite3_finalize(st);
	return ok;
}

/* Fetches the next (name, type, notnull, pk) of a pragma_table_info statement; false at the end. */
static bool next_column(sqlite3_stmt *st, const char **name, const char **type, int *notnull, int *pk)
{
	if (sqlite3_step(st) != SQLITE_ROW)
		return false;
	*name = (const char *)sqlite3_column_text(st, 0);
	*type = (const char *)sqlite3_column_text(st, 1);
	*notnull = sqlite3_column_int(st, 2);
	*pk = sqlite3_column_int(st, 3);
	if (!*type)
		*type = "";
	return true;
}

/* Compares table `table`'s columns in the file with the reference's, in order; names the first difference. */
static bool check_columns(struct results *r, sqlite3 *ref, const char *table, GError **error)
{
	static const char sql[] = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1) ORDER BY cid";
	sqlite3_stmt *got = NULL, *want = NULL;
	const char *gn, *gt, *wn, *wt;
	int gnn, gpk, wnn, wpk, rc;
	bool ok = true, has_got, has_want;

	rc = sqlite3_prepare_v2(r->db, sql, -1, &got, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(got);
		return results__db_fail(r, rc, error, "reading the schema");
	}
	if (sqlite3_prepare_v2(ref, sql, -1, &want, NULL) != SQLITE_OK)
		g_error("results: reference schema: %s", sqlite3_errmsg(ref)); /* our SQL: cannot fail */
	sqlite3_bind_text(got, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(want, 1, table, -1, SQLITE_STATIC);
	for (int col = 1; ok; col++) {
		has_got = next_column(got, &gn, &gt, &gnn, &gpk);
		has_want = next_column(want, &wn, &wt, &wnn, &wpk);
		if (!has_got && !has_want)
			break;
		if (!has_want)
			ok = results__fail(r, error, RESULTS_ERROR_INPUT,
					   "does not match hvsim's results schema %d: table '%s' has a column '%s' hvsim does not know",
					   RESULTS_SCHEMA_VERSION, table, gn);
		else if (!has_got)
			ok = results__fail(r, error, RESULTS_ERROR_INPUT,
					   "does not match hvsim's results schema %d: table '%s' lacks column '%s'",
					   RESULTS_SCHEMA_VERSION, table, wn);
		else if (strcmp(gn, wn) || g_ascii_strcasecmp(gt, wt) || gnn != wnn || gpk != wpk)
			ok = results__fail(r, error, RESULTS_ERROR_INPUT,
					   "does not match hvsim's results schema %d: table '%s' column %d is '%s' %s%s, "
					   "hvsim expects '%s' %s%s", RESULTS_SCHEMA_VERSION, table, col,
					   gn, gt, gnn ? " NOT NULL" : "", wn, wt, wnn ? " NOT NULL" : "");
	}
	sqlite3_finalize(got);
	sqlite3_finalize(want);
	return ok;
}

/* Checks one object of the reference (type, name, sql) against the file's object of that name. */
static bool check_object(struct results *r, sqlite3 *ref, const char *type, const char *name,
			 const char *sql, GError **error)
{
	sqlite3_stmt *st = NULL;
	const char *got_type, *got_sql;
	bool ok = true;
	int rc;

	rc = sqlite3_prepare_v2(r->db, "SELECT type, sql FROM main.sqlite_schema WHERE name = ?1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	if (rc == SQLITE_DONE) {
		ok = results__fail(r, error, RESULTS_ERROR_INPUT,
				   "does not match hvsim's results schema %d: no %s '%s'", RESULTS_SCHEMA_VERSION, type, name);
	} else if (rc != SQLITE_ROW) {
		ok = results__db_fail(r, rc, error, "reading the schema");
	} else {
		got_type = (const char *)sqlite3_column_text(st, 0);
		got_sql = (const char *)sqlite3_column_text(st, 1);
		if (strcmp(got_type, type))
			ok = results__fail(r, error, RESULTS_ERROR_INPUT,
					   "does not match hvsim's results schema %d: '%s' is a %s, hvsim expects a %s",
					   RESULTS_SCHEMA_VERSION, name, got_type, type);
		else if (!strcmp(type, "table") && !check_columns(r, ref, name, error))
			ok = false;
		else if (!got_sql || strcmp(got_sql, sql))
			ok = results__fail(r, error, RESULTS_ERROR_INPUT,
					   "does not match hvsim's results schema %d: %s '%s' is defined differently",
					   RESULTS_SCHEMA_VERSION, type, name);
	}
	sqlite3_finalize(st);
	return ok;
}

/* Checks every table, index and view of the current schema (built in memory) against the file. */
static bool check_schema(struct results *r, GError **error)
{
	sqlite3 *ref = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = true;
	int rc;

	if (sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		g_error("results: cannot open an in-memory database: %s", sqlite3_errmsg(ref));
	results__add_functions(ref);
	for (size_t i = 0; i < G_N_ELEMENTS(migrations); i++)
		if (sqlite3_exec(ref, migrations[i], NULL, NULL, NULL) != SQLITE_OK)
			g_error("results: migration %zu: %s", i, sqlite3_errmsg(ref)); /* our SQL */
	/* Tables first, so that a table's columns are named before an index on them is. */
	if (sqlite3_prepare_v2(ref, "SELECT type, name, sql FROM sqlite_schema"
			       " WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
			       " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, name",
			       -1, &st, NULL) != SQLITE_OK)
		g_error("results: reference schema: %s", sqlite3_errmsg(ref));
	while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
		ok = check_object(r, ref, (const char *)sqlite3_column_text(st, 0),
				  (const char *)sqlite3_column_text(st, 1), (const char *)sqlite3_column_text(st, 2),
				  error);
	sqlite3_finalize(st);
	sqlite3_close(ref);
	return ok;
}

/*
 * Takes an older database (version 0: empty) to the current version in one write transaction,
 * and checks the outcome before committing. Identity is read again under the write lock: another
 * process may have created or migrated the file meanwhile.
 */
static bool migrate(struct results *r, bool create, GError **error)
{
	int version = 0, app = 0, rc;
	char *pragmas;
	bool ok;

	if (!results__exec(r, "BEGIN IMMEDIATE", "starting the schema migration", error))
		return false;
	if (!read_pragma(r, "PRAGMA user_version", &version, error) ||
	    !read_pragma(r, "PRAGMA application_id", &app, error) ||
	    !check_identity(r, version, app, create, error))
		goto fail;
	for (int v = version; v < RESULTS_SCHEMA_VERSION; v++) {
		rc = sqlite3_exec(r->db, migrations[v], NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			char *what = g_strdup_printf("migrating the schema from version %d", v);

			results__db_fail(r, rc, error, what);
			g_free(what);
			goto fail;
		}
	}
	/* PRAGMA values cannot be bound; these are our own integer constants. */
	pragmas = g_strdup_printf("PRAGMA application_id = %d; PRAGMA user_version = %d",
				  RESULTS_APPLICATION_ID, RESULTS_SCHEMA_VERSION);
	ok = results__exec(r, pragmas, "setting the schema version", error);
	g_free(pragmas);
	if (!ok || !check_schema(r, error) || !results__exec(r, "COMMIT", "committing the schema", error))
		goto fail;
	return true;
fail:
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	return false;
}

/* Switches the file to WAL mode (persistent; a no-op when it already is). Skipped when read-only. */
static bool set_wal(struct results *r, GError **error)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	bool ok = true;
	int rc;

	if (sqlite3_db_readonly(r->db, "main") == 1)
		return true;
	rc = sqlite3_prepare_v2(r->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		ok = results__db_fail(r, rc, error, "switching to WAL mode");
	} else {
		mode = (const char *)sqlite3_column_text(st, 0);
		if (!mode || g_ascii_strcasecmp(mode, "wal"))
			ok = results__fail(r, error, RESULTS_ERROR_IO, "cannot switch to WAL mode (journal mode stays '%s')",
					   mode ? mode : "?");
	}
	sqlite3_finalize(st);
	return ok;
}

/*
 * Reads the file's identity (version, application_id, and for version 0 whether it holds objects)
 * in one read transaction: another process creating the schema at the same moment is seen either
 * not at all or whole, never its version before and its tables after (which would look foreign).
 */
static bool read_identity(struct results *r, bool create, int *version, int *app, GError **error)
{
	bool ok;

	if (!results__exec(r, "BEGIN", "reading the schema", error))
		return false;
	ok = read_pragma(r, "PRAGMA user_version", version, error) &&
	     read_pragma(r, "PRAGMA application_id", app, error) &&
	     check_identity(r, *version, *app, create, error);
	if (!sqlite3_get_autocommit(r->db))
		sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL);
	return ok;
}

bool results__schema_open(struct results *r, bool create, GError **error)
{
	int version = 0, app = 0;

	if (!read_identity(r, create, &version, &app, error))
		return false;
	if (version < RESULTS_SCHEMA_VERSION) {
		if (!migrate(r, create, error))
			return false;
	} else if (!check_schema(r, error)) {
		return false;
	}
	return set_wal(r, error);
}
