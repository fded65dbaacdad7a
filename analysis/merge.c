/* SPDX-License-Identifier: MIT */
/*
 * merge.c - results_merge(): copies a shard database (a sweep shard, runs made on another machine)
 *       into the open one, skipping what it already holds.
 * Role: the only writer that copies rows between databases. The shard is ATTACHed read-only
 *       (URI mode=ro) on a private connection to the output file: the handle's own connection was
 *       opened without URI names, and a plain ATTACH would open the shard read-write.
 * Identity: a run is a duplicate when the output holds a run of the same (group_id, config_hash,
 *       seed, replication, mode) (index runs_identity; a NULL config_hash equals a NULL one). A new
 *       run gets the next free id of the output, in the shard's id order; its metrics, histograms
 *       and timeseries rows follow it through a temporary mapping table (shard id -> output id).
 *       Sweeps are keyed by id (a different spec_json or point count under the same id is refused),
 *       sweep points by (sweep_id, point).
 * Atomicity: one BEGIN IMMEDIATE ... COMMIT per shard; any failure rolls it all back.
 * Cost: a handful of INSERT ... SELECT statements, one index probe per shard run; one fsync.
 * See: docs/results.md "Merging shards"; tests/unit/analysis/test_merge.c
 */
#include <errno.h>
#include <sys/stat.h>

#include "analysis/results-int.h"

/* How long the merge waits for another process's transaction (units: ms; as results.c). */
#define MERGE_BUSY_TIMEOUT_MS 60000

/*
 * One merge: a private connection to the output with the shard attached as "shard". out and shard
 * are views of that connection under each file's name, so that results__fail and results__db_fail
 * name the file a message is about.
 */
struct merge {
	struct results out, shard;
	struct results_merge_stats got;
};

/*
 * Refuses a shard that is missing or a directory, and the output itself under any name (the same
 * device and inode as out_file, the output's full path).
 */
static bool check_paths(const char *out_file, const char *shard_path, GError **error)
{
	struct results named = { .path = (char *)shard_path }; /* only its name, for the messages */
	struct stat so, ss;

	if (g_file_test(shard_path, G_FILE_TEST_IS_DIR))
		return results__fail(&named, error, RESULTS_ERROR_INPUT, "is a directory, not a shard database");
	if (stat(shard_path, &ss) != 0)
		return errno == ENOENT ? results__fail(&named, error, RESULTS_ERROR_INPUT, "no such file")
				       : results__fail(&named, error, RESULTS_ERROR_IO, "cannot read the shard: %s",
						       g_strerror(errno));
	if (stat(out_file, &so) == 0 && so.st_dev == ss.st_dev && so.st_ino == ss.st_ino)
		return results__fail(&named, error, RESULTS_ERROR_INPUT,
				     "is the output database itself (%s); name another shard", out_file);
	return true;
}

/* "file:///abs/path?mode=ro", the path percent-encoded ('?', '#', '%' and spaces are legal in names). */
static char *readonly_uri(const char *path)
{
	char *abs = g_canonicalize_filename(path, NULL);
	char *esc = g_uri_escape_string(abs, "/", TRUE);
	char *uri = g_strconcat("file://", esc, "?mode=ro", NULL);

	g_free(esc);
	g_free(abs);
	return uri;
}

/*
 * The private connection to the output (out_file: its full path, which SQLite never reads as a
 * URI), configured as results_open configures its own.
 */
static bool open_out(struct merge *m, const char *out_file, GError **error)
{
	int rc = sqlite3_open_v2(out_file, &m->out.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL);

	if (rc != SQLITE_OK)
		return results__db_fail(&m->out, rc, error, "opening the output for the merge");
	sqlite3_extended_result_codes(m->out.db, 1);
	sqlite3_busy_timeout(m->out.db, MERGE_BUSY_TIMEOUT_MS);
	return results__exec(&m->out, "PRAGMA foreign_keys = ON", "enabling foreign keys", error);
}

/* ATTACHes the shard read-only as "shard". */
static bool attach_shard(struct merge *m, GError **error)
{
	sqlite3_stmt *st = NULL;
	char *uri = readonly_uri(m->shard.path);
	int rc = sqlite3_prepare_v2(m->out.db, "ATTACH DATABASE ?1 AS shard", -1, &st, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, uri, -1, SQLITE_TRANSIENT);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	g_free(uri);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return results__fail(&m->shard, error, RESULTS_ERROR_INPUT, "not an SQLite database, so not a shard");
	if (rc != SQLITE_DONE)
		return results__db_fail(&m->shard, rc, error, "cannot open the shard read-only");
	return true;
}

/* The first column of sql's first row as an integer (0 without a row); rc of the failure otherwise. */
static int query_int(sqlite3 *db, const char *sql, sqlite3_int64 *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	*out = 0;
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			*out = sqlite3_column_int64(st, 0);
		rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SQLITE_OK : rc;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * The shard must be an hvsim database of exactly this schema version: the rows are copied column
 * by column, so an older shard is migrated first by opening it with this hvsim.
 */
static bool check_shard(struct merge *m, GError **error)
{
	sqlite3_int64 app, version;
	int rc = query_int(m->out.db, "PRAGMA shard.application_id", &app);

	if (rc == SQLITE_OK)
		rc = query_int(m->out.db, "PRAGMA shard.user_version", &version);
	if ((rc & 0xff) == SQLITE_NOTADB)
		return results__fail(&m->shard, error, RESULTS_ERROR_INPUT, "not an SQLite database, so not a shard");
	if (rc != SQLITE_OK)
		return results__db_fail(&m->shard, rc, error, "reading the shard's schema version");
	if (app != RESULTS_APPLICATION_ID)
		return results__fail(&m->shard, error, RESULTS_ERROR_INPUT,
				     "not an hvsim results database (application_id 0x%08x); only hvsim databases merge",
				     (unsigned)app);
	if (version > RESULTS_SCHEMA_VERSION)
		return results__fail(&m->shard, error, RESULTS_ERROR_INPUT,
				     "results schema version %lld is newer than this hvsim's (%d); merge with a newer hvsim",
				     (long long)version, RESULTS_SCHEMA_VERSION);
	if (version < RESULTS_SCHEMA_VERSION)
		return results__fail(&m->shard, error, RESULTS_ERROR_INPUT,
				     "results schema version %lld is older than this hvsim's (%d); open it once with this "
				     "hvsim (hvsim compare --db %s) to migrate it, then merge again",
				     (long long)version, RESULTS_SCHEMA_VERSION, m->shard.path);
	return true;
}

/*
 * Runs one statement of the merge; *changes (may be NULL) += the rows it changed. A constraint
 * that fails is a shard that conflicts with the output (bad input); anything else is I/O.
 */
static bool step(struct merge *m, const char *sql, const char *what, uint64_t *changes, GError **error)
{
	int rc = sqlite3_exec(m->out.db, sql, NULL, NULL, NULL);
	char *msg;

	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return results__fail(&m->out, error, RESULTS_ERROR_INPUT,
				     "merging %s: %s: %s; the shard conflicts with this database, nothing merged",
				     m->shard.path, what, sqlite3_errmsg(m->out.db));
	if (rc != SQLITE_OK) {
		msg = g_strdup_printf("merging %s: %s", m->shard.path, what);
		results__db_fail(&m->out, rc, error, msg);
		g_free(msg);
		return false;
	}
	if (changes)
		*changes += (uint64_t)sqlite3_changes64(m->out.db);
	return true;
}

/* Refuses a shard sweep whose id the output holds with another spec or point count. */
static bool check_sweeps(struct merge *m, GError **error)
{
	static const char sql[] =
		"SELECT s.id FROM shard.sweeps s JOIN main.sweeps o ON o.id = s.id"
		" WHERE o.spec_json IS NOT s.spec_json OR o.points IS NOT s.points ORDER BY s.id LIMIT 1";
	sqlite3_stmt *st = NULL;
	bool ok = true;
	int rc = sqlite3_prepare_v2(m->out.db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ok = results__fail(&m->shard, error, RESULTS_ERROR_INPUT,
				   "sweep %s differs from the sweep of that id in %s (another spec or point count); "
				   "nothing merged. Was one of the files edited by hand?",
				   (const char *)sqlite3_column_text(st, 0), m->out.path);
	else if (rc != SQLITE_DONE)
		ok = results__db_fail(&m->out, rc, error, "comparing the shard's sweeps");
	sqlite3_finalize(st);
	return ok;
}

/* The sweeps the output lacks. */
static bool copy_sweeps(struct merge *m, GError **error)
{
	return check_sweeps(m, error) &&
	       step(m, "INSERT INTO main.sweeps(id, name, spec_json, points, created_at)"
		       " SELECT id, name, spec_json, points, created_at FROM shard.sweeps s"
		       " WHERE NOT EXISTS (SELECT 1 FROM main.sweeps o WHERE o.id = s.id) ORDER BY id",
		    "copying sweeps", &m->got.sweeps_added, error);
}

/*
 * temp.merge_map: the shard runs the output lacks, in the shard's id order, each with its output
 * id (after the output's largest, as SQLite itself would number them).
 */
static bool map_new_runs(struct merge *m, GError **error)
{
	sqlite3_int64 total;
	int rc;

	if (!step(m, "CREATE TEMP TABLE merge_map(seq INTEGER PRIMARY KEY, shard_id INTEGER NOT NULL UNIQUE,"
		     " out_id INTEGER)", "creating the run map", NULL, error) ||
	    !step(m, "INSERT INTO temp.merge_map(shard_id) SELECT s.id FROM shard.runs s"
		     " WHERE NOT EXISTS (SELECT 1 FROM main.runs o WHERE o.group_id = s.group_id"
		     "  AND o.config_hash IS s.config_hash AND o.seed = s.seed"
		     "  AND o.replication = s.replication AND o.mode = s.mode) ORDER BY s.id",
		  "finding the new runs", &m->got.runs_added, error) ||
	    !step(m, "UPDATE temp.merge_map SET out_id = seq + (SELECT COALESCE(MAX(id), 0) FROM main.runs)",
		  "numbering the new runs", NULL, error))
		return false;
	rc = query_int(m->out.db, "SELECT COUNT(*) FROM shard.runs", &total);
	if (rc != SQLITE_OK)
		return results__db_fail(&m->shard, rc, error, "counting the shard's runs");
	m->got.runs_duplicate = (uint64_t)total - m->got.runs_added;
	return true;
}

/* The new runs and every row that belongs to them, under their output ids. */
static bool copy_runs(struct merge *m, GError **error)
{
	return map_new_runs(m, error) &&
	       step(m, "INSERT INTO main.runs(id, group_id, scenario, mode, seed, replication, config_json,"
		       " config_hash, hvsim_version, started_at, wall_seconds, sim_seconds, events, status)"
		       " SELECT p.out_id, s.group_id, s.scenario, s.mode, s.seed, s.replication, s.config_json,"
		       " s.config_hash, s.hvsim_version, s.started_at, s.wall_seconds, s.sim_seconds, s.events,"
		       " s.status FROM temp.merge_map p JOIN shard.runs s ON s.id = p.shard_id ORDER BY p.seq",
		    "copying runs", NULL, error) &&
	       step(m, "INSERT INTO main.metrics(run_id, scope, name, value, unit)"
		       " SELECT p.out_id, x.scope, x.name, x.value, x.unit"
		       " FROM temp.merge_map p JOIN shard.metrics x ON x.run_id = p.shard_id ORDER BY p.seq, x.rowid",
		    "copying metrics", NULL, error) &&
	       step(m, "INSERT INTO main.histograms(run_id, scope, name, unit, lo, hi, count)"
		       " SELECT p.out_id, x.scope, x.name, x.unit, x.lo, x.hi, x.count"
		       " FROM temp.merge_map p JOIN shard.histograms x ON x.run_id = p.shard_id ORDER BY p.seq, x.rowid",
		    "copying histograms", NULL, error) &&
	       step(m, "INSERT INTO main.timeseries(run_id, scope, name, t_seconds, value)"
		       " SELECT p.out_id, x.scope, x.name, x.t_seconds, x.value"
		       " FROM temp.merge_map p JOIN shard.timeseries x ON x.run_id = p.shard_id ORDER BY p.seq, x.rowid",
		    "copying timeseries", NULL, error);
}

/*
 * The complete points the output lacks, by (sweep_id, point). Another point of the same name in
 * the same sweep still fails (sweep_points_name): that is a conflict, not a duplicate.
 */
static bool copy_points(struct merge *m, GError **error)
{
	return step(m, "INSERT INTO main.sweep_points(sweep_id, point, name, group_id, params_json)"
		       " SELECT sweep_id, point, name, group_id, params_json FROM shard.sweep_points s"
		       " WHERE NOT EXISTS (SELECT 1 FROM main.sweep_points o"
		       "  WHERE o.sweep_id = s.sweep_id AND o.point = s.point) ORDER BY sweep_id, point",
		    "copying sweep points", &m->got.points_added, error);
}

/* The whole shard in one write transaction; rolled back on any failure. */
static bool merge_rows(struct merge *m, GError **error)
{
	if (!results__exec(&m->out, "BEGIN IMMEDIATE", "starting the merge's transaction", error))
		return false;
	if (copy_sweeps(m, error) && copy_runs(m, error) && copy_points(m, error) &&
	    results__exec(&m->out, "COMMIT", "committing the merge", error))
		return true;
	/* After a failed COMMIT the transaction may already be gone (autocommit again). */
	if (!sqlite3_get_autocommit(m->out.db))
		sqlite3_exec(m->out.db, "ROLLBACK", NULL, NULL, NULL);
	return false;
}

bool results_merge(struct results *r, const char *shard_path, struct results_merge_stats *stats, GError **error)
{
	/* Both views borrow their names; shard_path is never written through .path. */
	struct merge m = { .shard.path = (char *)shard_path };
	const char *out_file;
	bool ok, attached;

	g_return_val_if_fail(r != NULL && shard_path != NULL && *shard_path && stats != NULL, false);
	g_return_val_if_fail(error == NULL || *error == NULL, false);
	m.out.path = r->path;
	out_file = sqlite3_db_filename(r->db, "main");
	if (!out_file || !*out_file)
		return results__fail(r, error, RESULTS_ERROR_INPUT, "an in-memory database; merge into a file");
	if (!check_paths(out_file, shard_path, error))
		return false;
	ok = open_out(&m, out_file, error);
	m.shard.db = m.out.db;
	attached = ok && attach_shard(&m, error);
	ok = attached && check_shard(&m, error) && merge_rows(&m, error);
	if (attached)
		sqlite3_exec(m.out.db, "DETACH DATABASE shard", NULL, NULL, NULL);
	sqlite3_close(m.out.db); /* NULL is fine */
	if (ok) {
		stats->runs_added += m.got.runs_added;
		stats->runs_duplicate += m.got.runs_duplicate;
		stats->sweeps_added += m.got.sweeps_added;
		stats->points_added += m.got.points_added;
	}
	return ok;
}
