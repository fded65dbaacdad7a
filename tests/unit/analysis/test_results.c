/* SPDX-License-Identifier: MIT */
/*
 * test_results.c - the results database (analysis/results.h) and the comparison.
 * Checks: the file has every column INTERFACES.md lists for runs and metrics (names, types, the
 *   mode CHECK, the foreign key), the histograms and timeseries tables, the indexes and the views;
 *   user_version 2, journal mode WAL; a run reads back field for field, a histogram's buckets add
 *   up to its count and its summary rows equal sim_hist's own percentiles, timeseries rows point for
 *   point; a failing write (NULL scope, duplicate name, bad mode, a NaN time) leaves no part of its
 *   run; a writer killed with SIGKILL leaves
 *   only whole runs; a file that is not SQLite, a newer schema, someone else's database or a
 *   mismatched schema is refused with RESULTS_ERROR_INPUT and its bytes stay as they were (no
 *   -wal/-shm/-journal left behind); a missing file or directory and an unwritable directory are
 *   refused (INPUT/IO); the latest group; results_compare's means, CI half-widths (computed here
 *   by hand from the t table), ratios and significance both ways, n = 1 and one-sided metrics;
 *   the views comparison and twins agree with it; t quantiles; the printed table and JSON.
 * Leaves unchecked: concurrent writers from several processes (only one at a time here), disk
 *   full, and migrations from an older version (none exists yet). The database is inspected here
 *   through SQLite directly, as any user of the file would.
 */
#include <criterion/criterion.h>
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/results.h"
#include "tmpdir.h"
#include "analysis/tdist.h"

/* ---- fixtures and helpers ---- */

static void setup(void)
{
	tmpdir_make("hvsim-results");
}

static void teardown(void)
{
	tmpdir_remove();
}

TestSuite(schema, .init = setup, .fini = teardown);
TestSuite(write, .init = setup, .fini = teardown);
TestSuite(open, .init = setup, .fini = teardown);
TestSuite(latest, .init = setup, .fini = teardown);
TestSuite(compare, .init = setup, .fini = teardown);
TestSuite(print, .init = setup, .fini = teardown);

static char *tmp_path(const char *name)
{
	return g_build_filename(tmp_dir, name, NULL);
}

/* A fresh database at tmp_dir/name, asserted to open. */
static struct results *open_new(const char *name, char **path_out)
{
	GError *error = NULL;
	char *path = tmp_path(name);
	struct results *r = results_open(path, true, &error);

	cr_assert_not_null(r, "open %s: %s", path, error ? error->message : "?");
	if (path_out)
		*path_out = path;
	else
		g_free(path);
	return r;
}

/* A raw SQLite connection to inspect (or prepare) a file behind the library's back. */
static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	cr_assert_eq(rc, SQLITE_OK, "raw open %s: %s", path, sqlite3_errmsg(db));
	return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, msg ? msg : "?");
}

/* The first column of the first row of sql as an integer (0 when there is no row). */
static int64_t q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = 0;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The same as a double; NAN for NULL or no row. */
static double q_double(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	double v = NAN;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The same as a newly allocated string; NULL for NULL or no row. */
static char *q_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = g_strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static GBytes *file_bytes(const char *path)
{
	char *data = NULL;
	gsize len = 0;

	cr_assert(g_file_get_contents(path, &data, &len, NULL), "cannot read %s", path);
	return g_bytes_new_take(data, len);
}

static bool exists_with_suffix(const char *path, const char *suffix)
{
	char *p = g_strconcat(path, suffix, NULL);
	bool e = g_file_test(p, G_FILE_TEST_EXISTS);

	g_free(p);
	return e;
}

/* results_open(path, create) must refuse with code, name the file, mention what, and change nothing. */
static void assert_refused(const char *path, bool create, int code, const char *what)
{
	GError *error = NULL;
	GBytes *before = g_file_test(path, G_FILE_TEST_IS_REGULAR) ? file_bytes(path) : NULL;
	struct results *r = results_open(path, create, &error);

	cr_assert_null(r, "%s was accepted", path);
	cr_assert_not_null(error);
	cr_assert(error->domain == RESULTS_ERROR && error->code == code, "code %d, want %d: %s", error->code, code,
		  error->message);
	cr_assert(g_str_has_prefix(error->message, path), "message does not name the file: %s", error->message);
	cr_assert(strstr(error->message, what), "message lacks '%s': %s", what, error->message);
	if (before) {
		GBytes *after = file_bytes(path);

		cr_assert(g_bytes_equal(before, after), "%s changed", path);
		g_bytes_unref(after);
		g_bytes_unref(before);
	}
	cr_assert(!exists_with_suffix(path, "-wal") && !exists_with_suffix(path, "-shm") &&
		  !exists_with_suffix(path, "-journal"), "%s: a -wal, -shm or -journal file was left", path);
	g_error_free(error);
}

static struct results_run run_of(const char *group, const char *mode, uint32_t replication)
{
	return (struct results_run){
		.group_id = group, .scenario = "test", .mode = mode, .seed = 1 + replication,
		.replication = replication, .config_json = "{}", .config_hash = "0", .hvsim_version = "test",
		.started_at = "2024-01-01T00:00:00Z", .wall_seconds = 0.5, .sim_seconds = 10.0, .events = 1000,
		.status = RESULTS_STATUS_OK,
	};
}

static void write_ok(struct results *r, const struct results_run *run, const struct results_metric *m, size_t nm,
		     const struct results_hist *h, size_t nh)
{
	GError *error = NULL;

	cr_assert(results_write_run(r, run, m, nm, h, nh, NULL, &error), "write: %s", error ? error->message : "?");
}

/* ---- schema ---- */

struct col {
	const char *name, *type;
};

/* Every column of want is in table with its type. */
static void assert_columns(sqlite3 *db, const char *table, const struct col *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *sql = sqlite3_mprintf("SELECT type FROM pragma_table_info(%Q) WHERE name = %Q", table, want[i].name);
		char *type = q_text(db, sql);

		cr_assert_not_null(type, "%s has no column %s", table, want[i].name);
		cr_assert_str_eq(type, want[i].type, "%s.%s is %s, want %s", table, want[i].name, type, want[i].type);
		g_free(type);
		sqlite3_free(sql);
	}
}

Test(schema, has_every_interface_column)
{
	static const struct col runs[] = {
		{ "id", "INTEGER" }, { "group_id", "TEXT" }, { "scenario", "TEXT" }, { "mode", "TEXT" },
		{ "seed", "INTEGER" }, { "replication", "INTEGER" }, { "config_json", "TEXT" },
		{ "config_hash", "TEXT" }, { "hvsim_version", "TEXT" }, { "started_at", "TEXT" },
		{ "wall_seconds", "REAL" }, { "sim_seconds", "REAL" }, { "events", "INTEGER" }, { "status", "TEXT" },
	};
	static const struct col metrics[] = {
		{ "run_id", "INTEGER" }, { "scope", "TEXT" }, { "name", "TEXT" }, { "value", "REAL" }, { "unit", "TEXT" },
	};
	static const struct col histograms[] = {
		{ "run_id", "INTEGER" }, { "scope", "TEXT" }, { "name", "TEXT" }, { "unit", "TEXT" },
		{ "lo", "INTEGER" }, { "hi", "INTEGER" }, { "count", "INTEGER" },
	};
	static const struct col timeseries[] = {
		{ "run_id", "INTEGER" }, { "scope", "TEXT" }, { "name", "TEXT" }, { "t_seconds", "REAL" }, { "value", "REAL" },
	};
	static const char *const comparison[] = {
		"group_id", "scope", "name", "unit", "n_virtual", "mean_virtual", "sd_virtual",
		"n_bare_metal", "mean_bare_metal", "sd_bare_metal", "ratio",
	};
	char *path;
	struct results *r = open_new("s.db", &path);
	sqlite3 *db;

	results_close(r);
	db = raw_open(path);
	assert_columns(db, "runs", runs, G_N_ELEMENTS(runs));
	assert_columns(db, "metrics", metrics, G_N_ELEMENTS(metrics));
	assert_columns(db, "histograms", histograms, G_N_ELEMENTS(histograms));
	assert_columns(db, "timeseries", timeseries, G_N_ELEMENTS(timeseries));
	cr_assert_eq(q_int(db, "SELECT pk FROM pragma_table_info('runs') WHERE name = 'id'"), 1);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM pragma_foreign_key_list('metrics')"
			       " WHERE \"table\" = 'runs' AND \"from\" = 'run_id' AND \"to\" = 'id'"), 1);
	/* The mode CHECK as INTERFACES.md writes it. */
	cr_assert_eq(sqlite3_exec(db, "INSERT INTO runs(group_id, scenario, mode, seed, replication, status)"
				      " VALUES ('g', 's', 'cloud', 1, 0, 'ok')", NULL, NULL, NULL), SQLITE_CONSTRAINT);
	raw_exec(db, "INSERT INTO runs(group_id, scenario, mode, seed, replication, status)"
		     " VALUES ('g', 's', 'bare_metal', 1, 0, 'ok')");
	/* Indexes: metrics by run_id (leading column), metrics by (scope, name), runs by group_id. */
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM pragma_index_list('metrics') l"
			       " WHERE (SELECT name FROM pragma_index_info(l.name) WHERE seqno = 0) = 'run_id'"), 1);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM pragma_index_list('metrics') l"
			       " WHERE (SELECT group_concat(name) FROM pragma_index_info(l.name)) = 'scope,name'"), 1);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM pragma_index_list('runs') l"
			       " WHERE (SELECT group_concat(name) FROM pragma_index_info(l.name)) = 'group_id'"), 1);
	/* The views, comparison with its columns in order. */
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'view' AND name IN ('comparison', 'twins')"), 2);
	for (size_t i = 0; i < G_N_ELEMENTS(comparison); i++) {
		char *sql = sqlite3_mprintf("SELECT name FROM pragma_table_info('comparison') WHERE cid = %d", (int)i);
		char *name = q_text(db, sql);

		cr_assert_str_eq(name ? name : "(none)", comparison[i], "comparison column %zu", i);
		g_free(name);
		sqlite3_free(sql);
	}
	sqlite3_close(db);
	g_free(path);
}

Test(schema, version_2_and_wal)
{
	char *path, *mode;
	struct results *r = open_new("v.db", &path);
	sqlite3 *db;

	results_close(r);
	db = raw_open(path);
	cr_assert_eq(q_int(db, "PRAGMA user_version"), 2);
	cr_assert_eq(RESULTS_SCHEMA_VERSION, 2);
	mode = q_text(db, "PRAGMA journal_mode");
	cr_assert_str_eq(mode, "wal");
	g_free(mode);
	sqlite3_close(db);
	/* Reopening a valid file is accepted and keeps what is in it. */
	r = results_open(path, false, NULL);
	cr_assert_not_null(r);
	results_close(r);
	g_free(path);
}

/* ---- writing ---- */

Test(write, reads_back_run_metrics_and_histogram)
{
	struct results_metric m[] = {
		{ "vm:web", "ops", 12345.0, "ops" },
		{ "vm:web", "steal_ns", 1.5e9, "ns" },
		{ "host", "events_nan", NAN, NULL },
	};
	struct sim_hist h, empty;
	struct results_hist hs[3];
	struct results_run run = run_of("g1", "virtual", 3);
	uint64_t state = 88172645463325252ull;
	int64_t id = -1;
	GError *error = NULL;
	char *path, *s;
	struct results *r = open_new("w.db", &path);
	sqlite3 *db;

	sim_hist_init(&h);
	sim_hist_init(&empty);
	for (int i = 0; i < 5000; i++) {
		state ^= state << 13, state ^= state >> 7, state ^= state << 17;
		sim_hist_record(&h, state % 2000000u);
	}
	sim_hist_record_n(&h, 42, 7);
	hs[0] = (struct results_hist){ "vm:web", "latency", "ns", &h };
	hs[1] = (struct results_hist){ "vm:db", "latency_ns", "ns", &h }; /* the unit suffix is not doubled */
	hs[2] = (struct results_hist){ "vm:idle", "latency", "ns", &empty };
	run.seed = UINT64_C(0x8000000000000005); /* above 2^63 - 1 */
	run.events = UINT64_C(123456789012);
	cr_assert(results_write_run(r, &run, m, G_N_ELEMENTS(m), hs, G_N_ELEMENTS(hs), &id, &error), "%s",
		  error ? error->message : "?");
	cr_assert_gt(id, 0);
	results_close(r);

	db = raw_open(path);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM runs"), 1);
	cr_assert_eq(q_int(db, "SELECT id FROM runs"), id);
	s = q_text(db, "SELECT group_id || '|' || scenario || '|' || mode || '|' || replication || '|' || config_json"
		       " || '|' || config_hash || '|' || hvsim_version || '|' || started_at || '|' || status FROM runs");
	cr_assert_str_eq(s, "g1|test|virtual|3|{}|0|test|2024-01-01T00:00:00Z|ok");
	g_free(s);
	cr_assert_eq((uint64_t)q_int(db, "SELECT seed FROM runs"), run.seed);
	cr_assert_eq(q_int(db, "SELECT events FROM runs"), 123456789012);
	cr_assert_eq(q_double(db, "SELECT wall_seconds FROM runs"), 0.5);
	cr_assert_eq(q_double(db, "SELECT sim_seconds FROM runs"), 10.0);
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:web' AND name = 'ops'"), 12345.0);
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE name = 'steal_ns'"), 1.5e9);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM metrics WHERE name = 'events_nan' AND value IS NULL AND unit = ''"), 1);

	/* Buckets: they add up to the count, each is one slot of sim_hist's layout, all distinct. */
	cr_assert_eq((uint64_t)q_int(db, "SELECT SUM(count) FROM histograms WHERE scope = 'vm:web'"), sim_hist_count(&h));
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM histograms WHERE scope = 'vm:web'"),
		     q_int(db, "SELECT COUNT(DISTINCT lo) FROM histograms WHERE scope = 'vm:web'"));
	{
		sqlite3_stmt *st = NULL;
		uint64_t lo, hi, count, slo, shi;
		uint32_t slot;
		unsigned rows = 0;

		sqlite3_prepare_v2(db, "SELECT lo, hi, count, unit FROM histograms WHERE scope = 'vm:web' ORDER BY lo", -1, &st, NULL);
		while (sqlite3_step(st) == SQLITE_ROW) {
			lo = (uint64_t)sqlite3_column_int64(st, 0);
			hi = (uint64_t)sqlite3_column_int64(st, 1);
			count = (uint64_t)sqlite3_column_int64(st, 2);
			slot = sim_hist_slot(lo);
			sim_hist_slot_range(slot, &slo, &shi);
			cr_assert(lo == slo && hi == shi, "bucket [%" PRIu64 ", %" PRIu64 "] is not a slot", lo, hi);
			cr_assert_eq(count, h.counts[slot], "slot %" PRIu32, slot);
			cr_assert_str_eq((const char *)sqlite3_column_text(st, 3), "ns");
			rows++;
		}
		sqlite3_finalize(st);
		cr_assert_gt(rows, 100);
	}
	/* Summary rows: sim_hist's own numbers, named with the unit last. */
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:web' AND name = 'latency_p50_ns' AND unit = 'ns'"),
		     sim_hist_percentile(&h, 50.0));
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:web' AND name = 'latency_p90_ns'"),
		     sim_hist_percentile(&h, 90.0));
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:web' AND name = 'latency_p99_ns'"),
		     sim_hist_percentile(&h, 99.0));
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:web' AND name = 'latency_p999_ns'"),
		     sim_hist_percentile(&h, 99.9));
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:web' AND name = 'latency_mean_ns'"),
		     sim_hist_mean(&h));
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:web' AND name = 'latency_count' AND unit = 'count'"),
		     (double)sim_hist_count(&h));
	/* "latency_ns" gives the same names; the histograms table keeps the name given. */
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM metrics WHERE scope = 'vm:db' AND name IN"
			       " ('latency_p50_ns', 'latency_p90_ns', 'latency_p99_ns', 'latency_p999_ns', 'latency_mean_ns', 'latency_count')"), 6);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM histograms WHERE scope = 'vm:db' AND name = 'latency_ns'"),
		     q_int(db, "SELECT COUNT(*) FROM histograms WHERE scope = 'vm:web'"));
	/* An empty histogram: no buckets, count 0, NULL percentiles and mean. */
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM histograms WHERE scope = 'vm:idle'"), 0);
	cr_assert_eq(q_double(db, "SELECT value FROM metrics WHERE scope = 'vm:idle' AND name = 'latency_count'"), 0.0);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM metrics WHERE scope = 'vm:idle' AND value IS NULL"), 5);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM metrics"), 3 + 3 * 6);
	sqlite3_close(db);
	sim_hist_clear(&h);
	g_free(path);
}

/* Counts of runs, metrics and histogram rows, as one comparable number triple. */
static void counts(const char *path, int64_t out[3])
{
	sqlite3 *db = raw_open(path);

	out[0] = q_int(db, "SELECT COUNT(*) FROM runs");
	out[1] = q_int(db, "SELECT COUNT(*) FROM metrics");
	out[2] = q_int(db, "SELECT COUNT(*) FROM histograms");
	sqlite3_close(db);
}

/* A write that must fail with RESULTS_ERROR_IO and leave the counts as they were. */
static void assert_write_fails(struct results *r, const char *path, const struct results_run *run,
			       const struct results_metric *m, size_t nm, const struct results_hist *h, size_t nh)
{
	int64_t before[3], after[3];
	GError *error = NULL;

	counts(path, before);
	cr_assert(!results_write_run(r, run, m, nm, h, nh, NULL, &error), "the write succeeded");
	cr_assert(error && error->domain == RESULTS_ERROR && error->code == RESULTS_ERROR_IO, "%s",
		  error ? error->message : "no error");
	cr_assert(g_str_has_prefix(error->message, path), "%s", error->message);
	g_error_free(error);
	counts(path, after);
	cr_assert(!memcmp(before, after, sizeof before), "runs/metrics/histograms %" PRId64 "/%" PRId64 "/%" PRId64
		  " became %" PRId64 "/%" PRId64 "/%" PRId64, before[0], before[1], before[2], after[0], after[1], after[2]);
}

Test(write, failure_leaves_no_partial_run)
{
	struct results_metric good[] = { { "host", "a", 1.0, "x" }, { "host", "b", 2.0, "x" } };
	struct results_metric null_scope[] = { { "host", "a", 1.0, "x" }, { "host", "b", 2.0, "x" }, { NULL, "c", 3.0, "x" } };
	struct results_metric dup[] = { { "vm:web", "latency_p50_ns", 1.0, "ns" } };
	struct sim_hist h;
	struct results_hist hs = { "vm:web", "latency", "ns", &h };
	struct results_run run = run_of("g", "virtual", 0), bad_mode = run_of("g", "cloud", 0);
	char *path;
	struct results *r = open_new("f.db", &path);
	int64_t n[3];

	sim_hist_init(&h);
	for (uint64_t v = 1; v < 1000; v += 7)
		sim_hist_record(&h, v);
	write_ok(r, &run, good, G_N_ELEMENTS(good), &hs, 1);
	/* A NULL scope (NOT NULL) after two good rows and the histograms. */
	assert_write_fails(r, path, &run, null_scope, G_N_ELEMENTS(null_scope), &hs, 1);
	/* A metric named like a histogram's summary (unique per run and scope), after the buckets. */
	assert_write_fails(r, path, &run, dup, G_N_ELEMENTS(dup), &hs, 1);
	/* A mode outside the CHECK: the run row itself. */
	assert_write_fails(r, path, &bad_mode, good, G_N_ELEMENTS(good), NULL, 0);
	/* The handle still works. */
	write_ok(r, &run, good, G_N_ELEMENTS(good), &hs, 1);
	counts(path, n);
	cr_assert_eq(n[0], 2);
	cr_assert_eq(n[1], 2 * (2 + 6));
	results_close(r);
	sim_hist_clear(&h);
	g_free(path);
}

/*
 * Timeseries rows (results_write): they read back point for point with their run's id (a NaN value
 * as NULL), in the run's transaction: a NaN time fails the write and leaves none of the run (its
 * row, its metrics, its earlier points); results_write_run writes none.
 */
Test(write, timeseries_rows)
{
	struct results_metric m[] = { { "vm:pv", "vcpus_in_use_end", 2.0, "count" } };
	struct results_point p[] = {
		{ "vm:pv", "vcpus_in_use", 0.05, 4.0 },
		{ "vm:pv", "vcpus_in_use", 0.125, 2.0 },
		{ "vm:pv", "vcpus_in_use", 1.5, 3.0 },
		{ "vm:other", "vcpus_in_use", 0.05, NAN },
	};
	struct results_point bad[] = { { "vm:pv", "vcpus_in_use", 0.05, 4.0 }, { "vm:pv", "vcpus_in_use", NAN, 1.0 } };
	struct results_rows rows = { .metrics = m, .nmetrics = 1, .points = p, .npoints = G_N_ELEMENTS(p) };
	struct results_rows bad_rows = { .metrics = m, .nmetrics = 1, .points = bad, .npoints = G_N_ELEMENTS(bad) };
	struct results_run run = run_of("ts", "virtual", 0), twin = run_of("ts", "bare_metal", 0);
	int64_t id = -1, before[3], after[3];
	GError *error = NULL;
	char *path, *s;
	struct results *r = open_new("t.db", &path);
	sqlite3 *db;

	cr_assert(results_write(r, &run, &rows, &id, &error), "write: %s", error ? error->message : "?");
	write_ok(r, &twin, m, 1, NULL, 0);
	counts(path, before);
	cr_assert(!results_write(r, &run, &bad_rows, NULL, &error), "a NaN time was written");
	cr_assert(error && error->domain == RESULTS_ERROR && error->code == RESULTS_ERROR_IO, "%s",
		  error ? error->message : "no error");
	cr_assert(strstr(error->message, "timeseries"), "the message does not say what failed: %s", error->message);
	g_error_free(error);
	counts(path, after);
	cr_assert(!memcmp(before, after, sizeof before), "the failed write left rows");
	results_close(r);

	db = raw_open(path);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM timeseries"), (int64_t)G_N_ELEMENTS(p), "only the first run's points");
	cr_assert_eq(q_int(db, "SELECT COUNT(DISTINCT run_id) FROM timeseries"), 1);
	cr_assert_eq(q_int(db, "SELECT run_id FROM timeseries LIMIT 1"), id);
	s = q_text(db, "SELECT group_concat(t_seconds || '=' || value, ' ') FROM (SELECT t_seconds, value FROM timeseries"
		       " WHERE scope = 'vm:pv' AND name = 'vcpus_in_use' ORDER BY t_seconds)");
	cr_assert_str_eq(s, "0.05=4.0 0.125=2.0 1.5=3.0");
	g_free(s);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM timeseries WHERE scope = 'vm:other' AND value IS NULL"), 1);
	raw_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM runs WHERE mode = 'virtual'");
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM timeseries"), 0, "deleting the run keeps its points");
	sqlite3_close(db);
	g_free(path);
}

#define KILL_METRICS 1000

/* The child of the SIGKILL test: writes runs of KILL_METRICS metrics until killed; never returns. */
static void kill_child(const char *path, int ready_fd)
{
	struct results_metric *m = g_new(struct results_metric, KILL_METRICS);
	char **names = g_new(char *, KILL_METRICS);
	struct results *r = results_open(path, true, NULL);

	if (!r)
		_exit(3);
	for (int i = 0; i < KILL_METRICS; i++) {
		names[i] = g_strdup_printf("m%04d", i);
		m[i] = (struct results_metric){ "host", names[i], i, "x" };
	}
	for (uint32_t rep = 0; rep < 1000000; rep++) {
		struct results_run run = run_of("kill", "virtual", rep);

		if (!results_write_run(r, &run, m, KILL_METRICS, NULL, 0, NULL, NULL))
			_exit(4);
		if (rep == 0 && write(ready_fd, "x", 1) != 1)
			_exit(5);
	}
	_exit(0);
}

Test(write, sigkill_leaves_only_whole_runs, .timeout = 60)
{
	char *path = tmp_path("k.db");
	int fds[2], status;
	char c;
	pid_t pid;
	struct results *r;
	sqlite3 *db;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(fds[0]);
		kill_child(path, fds[1]);
	}
	close(fds[1]);
	cr_assert_eq(read(fds[0], &c, 1), 1, "the writer died before its first run");
	close(fds[0]);
	g_usleep(50 * 1000);
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "the writer ended by itself (status %d)", status);

	r = results_open(path, false, NULL); /* recovers the WAL */
	cr_assert_not_null(r);
	results_close(r);
	db = raw_open(path);
	cr_assert_geq(q_int(db, "SELECT COUNT(*) FROM runs"), 1);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM runs r WHERE status <> 'ok'"
			       " OR (SELECT COUNT(*) FROM metrics m WHERE m.run_id = r.id) <> 1000"), 0,
		     "a run without exactly its 1000 metrics");
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM metrics WHERE run_id NOT IN (SELECT id FROM runs)"), 0);
	cr_log_info("%" PRId64 " whole runs before the kill", q_int(db, "SELECT COUNT(*) FROM runs"));
	sqlite3_close(db);
	g_free(path);
}

/* ---- opening: what is refused ---- */

Test(open, refuses_a_file_that_is_not_sqlite)
{
	char *path = tmp_path("notes.db"), *small = tmp_path("short.db");
	GString *text = g_string_new(NULL);

	for (int i = 0; i < 400; i++)
		g_string_append(text, "this is not a database, just some notes\n");
	cr_assert(g_file_set_contents(path, text->str, (gssize)text->len, NULL));
	cr_assert(g_file_set_contents(small, "hello\n", -1, NULL));
	assert_refused(path, true, RESULTS_ERROR_INPUT, "not an SQLite database");
	assert_refused(path, false, RESULTS_ERROR_INPUT, "not an SQLite database");
	assert_refused(small, true, RESULTS_ERROR_INPUT, "not an SQLite database");
	g_string_free(text, TRUE);
	g_free(path);
	g_free(small);
}

Test(open, refuses_a_newer_schema)
{
	char *path = tmp_path("v99.db"), *wal = tmp_path("v99wal.db");
	sqlite3 *db = raw_open(path);

	raw_exec(db, "CREATE TABLE runs(id INTEGER PRIMARY KEY); PRAGMA user_version = 99");
	sqlite3_close(db);
	assert_refused(path, true, RESULTS_ERROR_INPUT, "newer");
	/* The same in WAL mode, where even reading would create -wal and -shm files. */
	db = raw_open(wal);
	raw_exec(db, "PRAGMA journal_mode = WAL; CREATE TABLE runs(id INTEGER PRIMARY KEY); PRAGMA user_version = 99");
	sqlite3_close(db);
	assert_refused(wal, true, RESULTS_ERROR_INPUT, "newer");
	assert_refused(wal, false, RESULTS_ERROR_INPUT, "newer");
	g_free(path);
	g_free(wal);
}

Test(open, refuses_someone_elses_database)
{
	char *path = tmp_path("shop.db"), *app = tmp_path("app.db");
	sqlite3 *db = raw_open(path);

	raw_exec(db, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)");
	sqlite3_close(db);
	assert_refused(path, true, RESULTS_ERROR_INPUT, "customers");
	db = raw_open(app);
	raw_exec(db, "PRAGMA application_id = 1234; PRAGMA user_version = 1");
	sqlite3_close(db);
	assert_refused(app, true, RESULTS_ERROR_INPUT, "application_id");
	g_free(path);
	g_free(app);
}

Test(open, refuses_a_mismatched_schema)
{
	char *extra, *view, *missing;
	struct results *r;
	sqlite3 *db;

	r = open_new("extra.db", &extra);
	results_close(r);
	db = raw_open(extra);
	raw_exec(db, "ALTER TABLE runs ADD COLUMN colour TEXT");
	sqlite3_close(db);
	assert_refused(extra, true, RESULTS_ERROR_INPUT, "'colour'");

	r = open_new("view.db", &view);
	results_close(r);
	db = raw_open(view);
	raw_exec(db, "DROP VIEW comparison; CREATE VIEW comparison AS SELECT 1 AS one");
	sqlite3_close(db);
	assert_refused(view, true, RESULTS_ERROR_INPUT, "comparison");

	r = open_new("missing.db", &missing);
	results_close(r);
	db = raw_open(missing);
	raw_exec(db, "DROP TABLE timeseries");
	sqlite3_close(db);
	assert_refused(missing, true, RESULTS_ERROR_INPUT, "timeseries");

	/* A user's own view or index is fine. */
	r = open_new("mine.db", NULL);
	results_close(r);
	{
		char *mine = tmp_path("mine.db");

		db = raw_open(mine);
		raw_exec(db, "CREATE VIEW my_ops AS SELECT * FROM metrics WHERE name = 'ops'");
		sqlite3_close(db);
		r = results_open(mine, false, NULL);
		cr_assert_not_null(r);
		results_close(r);
		g_free(mine);
	}
	g_free(extra);
	g_free(view);
	g_free(missing);
}

Test(open, missing_or_empty_file_when_not_creating)
{
	char *path = tmp_path("none.db"), *empty = tmp_path("empty.db");
	struct results *r;

	assert_refused(path, false, RESULTS_ERROR_INPUT, "no such file");
	cr_assert(!g_file_test(path, G_FILE_TEST_EXISTS), "the file was created");
	assert_refused(tmp_dir, true, RESULTS_ERROR_INPUT, "directory");
	cr_assert(g_file_set_contents(empty, "", 0, NULL));
	assert_refused(empty, false, RESULTS_ERROR_INPUT, "empty");
	/* With create, an empty file (`touch hvsim.db`) becomes a database. */
	r = results_open(empty, true, NULL);
	cr_assert_not_null(r);
	results_close(r);
	g_free(path);
	g_free(empty);
}

Test(open, missing_directory_is_an_io_error)
{
	char *path = g_build_filename(tmp_dir, "no", "such", "dir", "x.db", NULL);

	assert_refused(path, true, RESULTS_ERROR_IO, "cannot open or create");
	g_free(path);
}

Test(open, read_only_directory_is_an_io_error)
{
	char *dir = tmp_path("ro"), *probe, *path;

	cr_assert_eq(mkdir(dir, 0555), 0);
	probe = g_build_filename(dir, "probe", NULL);
	if (g_file_set_contents(probe, "", 0, NULL)) {
		unlink(probe);
		g_free(probe);
		g_free(dir);
		cr_skip_test("permissions are not enforced here (running as root?)");
	}
	path = g_build_filename(dir, "x.db", NULL);
	assert_refused(path, true, RESULTS_ERROR_IO, "cannot open or create");
	cr_assert(!g_file_test(path, G_FILE_TEST_EXISTS));
	g_free(probe);
	g_free(path);
	g_free(dir);
}

/* ---- latest group ---- */

Test(latest, is_the_group_of_the_last_run)
{
	struct results_metric m = { "host", "x", 1.0, "" };
	struct results_run a = run_of("alpha", "virtual", 0), b = run_of("beta", "bare_metal", 0);
	GError *error = NULL;
	struct results *r = open_new("l.db", NULL);
	char *g;

	cr_assert_null(results_latest_group(r, &error));
	cr_assert(error && error->code == RESULTS_ERROR_INPUT && strstr(error->message, "no runs"));
	g_clear_error(&error);
	write_ok(r, &a, &m, 1, NULL, 0);
	write_ok(r, &b, &m, 1, NULL, 0);
	g = results_latest_group(r, &error);
	cr_assert_str_eq(g, "beta");
	g_free(g);
	write_ok(r, &a, &m, 1, NULL, 0);
	g = results_latest_group(r, &error);
	cr_assert_str_eq(g, "alpha");
	g_free(g);
	results_close(r);
}

/* ---- comparison ---- */

/*
 * Group g1, three replications a side (values chosen so that every mean and sd is exact):
 *   ops_per_s      virtual 10 12 14 (mean 12, sd 2)   bare 20 21 22 (mean 21, sd 1)   significant
 *   spin_ns        virtual 90 100 110 (mean 100, sd 10)  bare 99 100 101 (100, 1)     not (t = 0)
 *   vp_dispatches  virtual 5 5 5   bare 3 3 3   both exact and different: significant
 *   steal_ns       virtual 7 7 7   bare 7 7 7   both exact and equal: not
 *   lhp_events     virtual 1 2 3   bare 0 0 0   ratio NaN; t = 2 / sqrt(1/3) = 3.46 < t(2) = 4.303: not
 *   hypercalls     virtual only (bare metal has no such metric)
 * plus a failed virtual run with absurd values, which must be ignored; group g2 has one
 * replication a side.
 */
static const double v_ops[] = { 10, 12, 14 }, b_ops[] = { 20, 21, 22 };
static const double v_spin[] = { 90, 100, 110 }, b_spin[] = { 99, 100, 101 };
static const double v_lhp[] = { 1, 2, 3 };

static void write_groups(struct results *r)
{
	for (uint32_t rep = 0; rep < 3; rep++) {
		struct results_metric vm[] = {
			{ "vm:web", "ops_per_s", v_ops[rep], "1/s" }, { "vm:web", "spin_ns", v_spin[rep], "ns" },
			{ "vm:web", "vp_dispatches", 5, "" }, { "vm:web", "steal_ns", 7, "ns" },
			{ "vm:web", "lhp_events", v_lhp[rep], "" }, { "vm:web", "hypercalls", 100 + rep, "" },
		};
		struct results_metric bm[] = {
			{ "vm:web", "ops_per_s", b_ops[rep], "1/s" }, { "vm:web", "spin_ns", b_spin[rep], "ns" },
			{ "vm:web", "vp_dispatches", 3, "" }, { "vm:web", "steal_ns", 7, "ns" },
			{ "vm:web", "lhp_events", 0, "" },
		};
		struct results_run v = run_of("g1", "virtual", rep), b = run_of("g1", "bare_metal", rep);

		write_ok(r, &v, vm, G_N_ELEMENTS(vm), NULL, 0);
		write_ok(r, &b, bm, G_N_ELEMENTS(bm), NULL, 0);
	}
	{
		struct results_metric junk[] = { { "vm:web", "ops_per_s", 1e12, "1/s" }, { "vm:web", "junk", 1, "" } };
		struct results_run failed = run_of("g1", "virtual", 3);
		struct results_metric one_v = { "vm:web", "ops_per_s", 5, "1/s" }, one_b = { "vm:web", "ops_per_s", 3, "1/s" };
		struct results_run v = run_of("g2", "virtual", 0), b = run_of("g2", "bare_metal", 0);

		failed.status = "failed";
		write_ok(r, &failed, junk, G_N_ELEMENTS(junk), NULL, 0);
		write_ok(r, &v, &one_v, 1, NULL, 0);
		write_ok(r, &b, &one_b, 1, NULL, 0);
	}
}

static const struct results_row *find_row(const GPtrArray *rows, const char *name)
{
	for (guint i = 0; i < rows->len; i++) {
		const struct results_row *row = g_ptr_array_index(rows, i);

		if (!strcmp(row->name, name))
			return row;
	}
	cr_assert_fail("no row %s", name);
	return NULL;
}

#define assert_close(got, want) \
	cr_assert(fabs((got) - (want)) <= 1e-12 * fmax(1.0, fabs(want)), "%s = %.17g, want %.17g", #got, (double)(got), (double)(want))

Test(compare, known_values)
{
	struct results *r = open_new("c.db", NULL);
	GError *error = NULL;
	GPtrArray *rows;
	const struct results_row *row;

	write_groups(r);
	rows = results_compare(r, "g1", &error);
	cr_assert_not_null(rows, "%s", error ? error->message : "?");
	cr_assert_eq(rows->len, 6, "rows: %u (the failed run's 'junk' must not appear)", rows->len);
	/* Ordered by scope, name, unit. */
	cr_assert_str_eq(((struct results_row *)g_ptr_array_index(rows, 0))->name, "hypercalls");
	cr_assert_str_eq(((struct results_row *)g_ptr_array_index(rows, 5))->name, "vp_dispatches");

	row = find_row(rows, "ops_per_s");
	cr_assert_str_eq(row->group_id, "g1");
	cr_assert_str_eq(row->scope, "vm:web");
	cr_assert_str_eq(row->unit, "1/s");
	cr_assert_eq(row->virt.n, 3);
	cr_assert_eq(row->bare.n, 3);
	assert_close(row->virt.mean, 12.0);
	assert_close(row->virt.sd, 2.0);
	assert_close(row->virt.ci95, 4.303 * 2.0 / sqrt(3.0)); /* t_{0.975,2} from the table */
	assert_close(row->bare.mean, 21.0);
	assert_close(row->bare.sd, 1.0);
	assert_close(row->bare.ci95, 4.303 * 1.0 / sqrt(3.0));
	assert_close(row->ratio, 12.0 / 21.0);
	/* t = -9 / sqrt(5/3) = -6.97, Welch df = 2.94, t_{0.975, 2.94} = 3.23. */
	cr_assert(row->significant);

	row = find_row(rows, "spin_ns");
	assert_close(row->virt.ci95, 4.303 * 10.0 / sqrt(3.0));
	assert_close(row->ratio, 1.0);
	cr_assert(!row->significant);

	row = find_row(rows, "vp_dispatches");
	cr_assert(row->virt.exact && row->bare.exact);
	cr_assert(row->virt.mean == 5.0 && row->virt.sd == 0.0 && row->virt.ci95 == 0.0);
	assert_close(row->ratio, 5.0 / 3.0);
	cr_assert(row->significant, "both exact and different");

	row = find_row(rows, "steal_ns");
	cr_assert(!row->significant, "both exact and equal");
	cr_assert_eq(row->ratio, 1.0);

	row = find_row(rows, "lhp_events");
	cr_assert(isnan(row->ratio), "bare mean 0: no ratio");
	cr_assert(!row->virt.exact && row->bare.exact);
	cr_assert(!row->significant, "t = 3.46 is below t(2) = 4.303");

	row = find_row(rows, "hypercalls");
	cr_assert_eq(row->virt.n, 3);
	assert_close(row->virt.mean, 101.0);
	cr_assert_eq(row->bare.n, 0);
	cr_assert(isnan(row->bare.mean) && isnan(row->ratio) && !row->significant);
	g_ptr_array_unref(rows);

	/* One replication a side: no CI, never significant, even though 5 != 3. */
	rows = results_compare(r, "g2", &error);
	cr_assert_not_null(rows);
	cr_assert_eq(rows->len, 1);
	row = g_ptr_array_index(rows, 0);
	cr_assert(row->virt.n == 1 && row->virt.mean == 5.0 && isnan(row->virt.ci95) && isnan(row->virt.sd));
	cr_assert(!row->virt.exact && !row->significant);
	assert_close(row->ratio, 5.0 / 3.0);
	g_ptr_array_unref(rows);
	results_close(r);
}

Test(compare, unknown_group_is_bad_input)
{
	struct results *r = open_new("u.db", NULL);
	GError *error = NULL;

	write_groups(r);
	cr_assert_null(results_compare(r, "nope", &error));
	cr_assert(error && error->code == RESULTS_ERROR_INPUT && strstr(error->message, "'nope'"), "%s",
		  error ? error->message : "no error");
	g_error_free(error);
	results_close(r);
}

/* Same as NAN-aware equality within the tolerance of assert_close. */
static bool same(double got, double want)
{
	if (isnan(want))
		return isnan(got);
	return fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want));
}

Test(compare, views_agree)
{
	char *path;
	struct results *r = open_new("view.db", &path);
	GPtrArray *rows;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	guint i = 0;

	write_groups(r);
	rows = results_compare(r, "g1", NULL);
	cr_assert_not_null(rows);
	db = raw_open(path);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT scope, name, n_virtual, mean_virtual, sd_virtual, n_bare_metal,"
					    " mean_bare_metal, sd_bare_metal, ratio FROM comparison"
					    " WHERE group_id = 'g1' ORDER BY scope, name, unit", -1, &st, NULL), SQLITE_OK,
		     "%s", sqlite3_errmsg(db));
	while (sqlite3_step(st) == SQLITE_ROW) {
		const struct results_row *row;
		double col[9];

		cr_assert_lt(i, rows->len, "the view has more rows");
		row = g_ptr_array_index(rows, i++);
		for (int c = 2; c < 9; c++)
			col[c] = sqlite3_column_type(st, c) == SQLITE_NULL ? NAN : sqlite3_column_double(st, c);
		cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), row->name);
		cr_assert(col[2] == row->virt.n && col[5] == row->bare.n, "%s: n", row->name);
		cr_assert(same(col[3], row->virt.mean) && same(col[6], row->bare.mean), "%s: means %g %g vs %g %g",
			  row->name, col[3], col[6], row->virt.mean, row->bare.mean);
		cr_assert(same(col[4], row->virt.sd) && same(col[7], row->bare.sd), "%s: sd", row->name);
		cr_assert(same(col[8], row->ratio), "%s: ratio %g vs %g", row->name, col[8], row->ratio);
	}
	sqlite3_finalize(st);
	cr_assert_eq(i, rows->len, "the view has fewer rows");
	/* twins: each virtual replication beside its bare-metal twin. */
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM twins WHERE group_id = 'g1' AND name = 'ops_per_s'"), 3);
	cr_assert_eq(q_double(db, "SELECT ratio FROM twins WHERE group_id = 'g1' AND name = 'ops_per_s' AND replication = 1"),
		     12.0 / 21.0);
	cr_assert_eq(q_int(db, "SELECT COUNT(*) FROM twins WHERE name = 'hypercalls'"), 0);
	sqlite3_close(db);
	g_ptr_array_unref(rows);
	results_close(r);
	g_free(path);
}

Test(compare, t_table)
{
	double prev = INFINITY;

	cr_assert_eq(an_t975(1), 12.706);
	cr_assert_eq(an_t975(2), 4.303);
	cr_assert_eq(an_t975(30), 2.042);
	cr_assert_eq(an_t975(120), 1.980);
	cr_assert_eq(an_t975(INFINITY), 1.960);
	cr_assert(isnan(an_t975(0.5)) && isnan(an_t975(NAN)));
	/* Between 30 and 40, linear in 1/df: df = 35 -> 2.042 - 0.021 * (1/30 - 1/35) / (1/30 - 1/40). */
	assert_close(an_t975(35), 2.042 - 0.021 * (1.0 / 30 - 1.0 / 35) / (1.0 / 30 - 1.0 / 40));
	cr_assert(fabs(an_t975(35) - 2.0301) < 1e-3); /* the exact quantile */
	cr_assert(fabs(an_t975(1e9) - 1.960) < 1e-6);
	for (double df = 1.0; df < 2000.0; df *= 1.01) {
		double t = an_t975(df);

		cr_assert(t <= prev && t >= 1.960, "t(%g) = %g after %g", df, t, prev);
		prev = t;
	}
}

/* ---- printing ---- */

static char *print_to_string(const GPtrArray *rows, bool json)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	results_compare_print(rows, f, json);
	fclose(f);
	return buf;
}

Test(print, table_and_json)
{
	struct results *r = open_new("p.db", NULL);
	GPtrArray *rows;
	char *table, *json, **lines;
	cJSON *doc, *row;
	glong width;
	unsigned newlines = 0;

	write_groups(r);
	rows = results_compare(r, "g1", NULL);
	cr_assert_not_null(rows);
	table = print_to_string(rows, false);
	cr_assert(strstr(table, "scope") && strstr(table, "ops_per_s") && strstr(table, "12 ± 4.969") && strstr(table, "100 ns ± 25 ns"), "%s", table);
	/*
	 * Aligned: every column but the last ('*') is padded, so the header and every row have the
	 * same length in characters once a trailing " *" is cut; the mark is on the significant rows.
	 */
	lines = g_strsplit(table, "\n", -1);
	width = g_utf8_strlen(lines[0], -1);
	for (guint i = 1; i <= rows->len; i++) {
		const struct results_row *rr = g_ptr_array_index(rows, i - 1);
		bool marked = g_str_has_suffix(lines[i], " *");

		cr_assert_not_null(strstr(lines[i], rr->name), "line %u: %s", i, lines[i]);
		cr_assert_eq(marked, rr->significant, "line %u: %s", i, lines[i]);
		cr_assert_eq(g_utf8_strlen(lines[i], -1) - (marked ? 2 : 0), width, "line %u not aligned:\n%s", i, table);
	}
	g_strfreev(lines);

	json = print_to_string(rows, true);
	doc = cJSON_Parse(json);
	cr_assert_not_null(doc, "not JSON: %s", json);
	cr_assert(cJSON_IsArray(doc));
	cr_assert_eq(cJSON_GetArraySize(doc), (int)rows->len);
	for (const char *p = json; *p; p++)
		newlines += *p == '\n';
	cr_assert_eq(newlines, rows->len + 2, "one row a line between '[' and ']':\n%s", json);
	row = cJSON_GetArrayItem(doc, 0); /* hypercalls: no bare metal */
	cr_assert_str_eq(cJSON_GetObjectItem(row, "name")->valuestring, "hypercalls");
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(row, "mean_bare_metal")));
	cr_assert(cJSON_IsNull(cJSON_GetObjectItem(row, "ratio")));
	cr_assert_eq(cJSON_GetObjectItem(row, "n_virtual")->valuedouble, 3.0);
	cJSON_ArrayForEach(row, doc) {
		if (!strcmp(cJSON_GetObjectItem(row, "name")->valuestring, "ops_per_s")) {
			cr_assert(cJSON_IsTrue(cJSON_GetObjectItem(row, "significant")));
			cr_assert_eq(cJSON_GetObjectItem(row, "mean_virtual")->valuedouble, 12.0);
			assert_close(cJSON_GetObjectItem(row, "ci95_virtual")->valuedouble, 4.303 * 2.0 / sqrt(3.0));
		}
	}
	cJSON_Delete(doc);
	g_free(json);
	g_free(table);
	g_ptr_array_unref(rows);
	results_close(r);
}
