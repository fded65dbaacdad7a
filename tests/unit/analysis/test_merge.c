/* SPDX-License-Identifier: MIT */
/*
 * test_merge.c - results_merge (analysis/merge.c): shards merged into one database.
 * Checks: two shards merge into their union, row for row in every table (runs, metrics,
 *   histograms, timeseries, sweeps, sweep_points, compared by content keyed on run identity, not
 *   by id) and view for view (comparison, sweep_comparison), equal to a database the same runs were
 *   written to directly; the counts results_merge reports; merging a shard again adds nothing; a
 *   run in both shards (same group, config_hash - NULL included -, seed, replication, mode) is
 *   copied once and the first copy kept, while a run differing in any one of them is copied;
 *   sweeps and points merge by id and (sweep, point); a sweep of the same id with another spec, a
 *   point conflicting with the output's, a newer or older schema, a file that is not SQLite or not
 *   hvsim's, a missing file, a directory and the output itself (also through a symlink) are
 *   refused with the output's rows and the caller's stats unchanged; a failure after runs were
 *   copied rolls the whole shard back; the shard's bytes are never changed.
 * Leaves unchecked: concurrent writers to the output while merging (the busy timeout is
 *   results.c's), a full disk, I/O errors while reading the shard.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "analysis/results.h"
#include "tmpdir.h"

/* ---- fixtures and helpers ---- */

static void setup(void)
{
	tmpdir_make("hvsim-merge");
}

static void teardown(void)
{
	tmpdir_remove();
}

TestSuite(merge, .init = setup, .fini = teardown);

static char *tmp_path(const char *name)
{
	return g_build_filename(tmp_dir, name, NULL);
}

static struct results *open_db(const char *path)
{
	GError *error = NULL;
	struct results *r = results_open(path, true, &error);

	cr_assert_not_null(r, "open %s: %s", path, error ? error->message : "?");
	return r;
}

/* A raw SQLite connection, to prepare a file behind the library's back or read it as a user would. */
static sqlite3 *raw_open(const char *path)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	cr_assert_eq(rc, SQLITE_OK, "raw open %s: %s", path, sqlite3_errmsg(db));
	return db;
}

static void raw_exec_file(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	cr_assert_eq(rc, SQLITE_OK, "%s: %s: %s", path, sql, msg ? msg : "?");
	sqlite3_close(db);
}

static int append_row(void *arg, int n, char **cols, char **names)
{
	GString *out = arg;

	(void)names;
	for (int i = 0; i < n; i++)
		g_string_append_printf(out, "%s%s", i ? "|" : "", cols[i] ? cols[i] : "NULL");
	g_string_append_c(out, '\n');
	return 0;
}

/* Every row sql returns from the file at path, one line each (NULL as "NULL"); newly allocated. */
static char *dump_sql(const char *path, const char *sql)
{
	sqlite3 *db = raw_open(path);
	GString *out = g_string_new(NULL);
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, append_row, out, &msg);

	cr_assert_eq(rc, SQLITE_OK, "%s: %s: %s", path, sql, msg ? msg : "?");
	sqlite3_close(db);
	return g_string_free(out, FALSE);
}

/* A run's identity, to key its rows by what it ran rather than by its id in one file. */
#define RUN_KEY "r.group_id, r.mode, r.replication, r.seed, quote(r.config_hash)"

/* What a user can read in a database, ids left out; quote() keeps every bit of a REAL. */
static const struct {
	const char *what, *sql;
} contents[] = {
	{ "runs", "SELECT group_id, scenario, mode, seed, replication, config_json, quote(config_hash), hvsim_version,"
		  " started_at, quote(wall_seconds), quote(sim_seconds), events, status FROM runs r"
		  " ORDER BY group_id, mode, replication, seed, config_hash, id" },
	{ "metrics", "SELECT " RUN_KEY ", m.scope, m.name, quote(m.value), m.unit FROM metrics m"
		     " JOIN runs r ON r.id = m.run_id ORDER BY 1, 2, 3, 4, 5, 6, 7" },
	{ "histograms", "SELECT " RUN_KEY ", h.scope, h.name, h.unit, h.lo, h.hi, h.count FROM histograms h"
			" JOIN runs r ON r.id = h.run_id ORDER BY 1, 2, 3, 4, 5, 6, 7, 9" },
	{ "timeseries", "SELECT " RUN_KEY ", t.scope, t.name, quote(t.t_seconds), quote(t.value) FROM timeseries t"
			" JOIN runs r ON r.id = t.run_id ORDER BY 1, 2, 3, 4, 5, 6, 7, t.t_seconds" },
	{ "sweeps", "SELECT id, name, spec_json, points, created_at FROM sweeps ORDER BY id" },
	{ "sweep_points", "SELECT sweep_id, point, name, group_id, params_json FROM sweep_points ORDER BY 1, 2" },
	{ "comparison", "SELECT group_id, scope, name, unit, n_virtual, quote(mean_virtual), quote(sd_virtual),"
			" n_bare_metal, quote(mean_bare_metal), quote(sd_bare_metal), quote(ratio) FROM comparison"
			" ORDER BY 1, 2, 3, 4" },
	{ "sweep_comparison", "SELECT sweep_id, point, point_name, params_json, group_id, scope, name, unit, n_virtual,"
			      " quote(mean_virtual), quote(sd_virtual), n_bare_metal, quote(mean_bare_metal),"
			      " quote(sd_bare_metal), quote(ratio) FROM sweep_comparison ORDER BY 1, 2, 6, 7, 8" },
};

/* Every table and view of contents[], one after another. */
static char *dump_all(const char *path)
{
	GString *out = g_string_new(NULL);

	for (size_t i = 0; i < G_N_ELEMENTS(contents); i++) {
		char *part = dump_sql(path, contents[i].sql);

		g_string_append_printf(out, "== %s\n%s", contents[i].what, part);
		g_free(part);
	}
	return g_string_free(out, FALSE);
}

/* Table by table, so that a failure says which one differs. */
static void assert_same_contents(const char *got_path, const char *want_path)
{
	for (size_t i = 0; i < G_N_ELEMENTS(contents); i++) {
		char *got = dump_sql(got_path, contents[i].sql), *want = dump_sql(want_path, contents[i].sql);

		cr_assert_str_eq(got, want, "%s differs:\n--- %s\n%s--- %s\n%s", contents[i].what, got_path, got,
				 want_path, want);
		g_free(got);
		g_free(want);
	}
}

static int64_t count(const char *path, const char *table)
{
	char *sql = g_strdup_printf("SELECT COUNT(*) FROM %s", table);
	char *text = dump_sql(path, sql);
	int64_t n = g_ascii_strtoll(text, NULL, 10);

	g_free(text);
	g_free(sql);
	return n;
}

static GBytes *file_bytes(const char *path)
{
	char *data = NULL;
	gsize len = 0;

	cr_assert(g_file_get_contents(path, &data, &len, NULL), "cannot read %s", path);
	return g_bytes_new_take(data, len);
}

/* ---- writing shards ---- */

/* One run to write: what identifies it, and a number its values derive from. */
struct spec {
	const char *group, *mode;
	uint32_t rep;
	uint64_t seed;
	const char *hash; /* NULL allowed */
	double base;
};

/* A run with a metric, a histogram (its buckets and summaries) and two timeseries rows, values from s->base. */
static void write_spec(struct results *r, const struct spec *s)
{
	struct results_run run = {
		.group_id = s->group, .scenario = "merge-test", .mode = s->mode, .seed = s->seed,
		.replication = s->rep, .config_json = "{\"run\":{}}", .config_hash = s->hash, .hvsim_version = "test",
		.started_at = "2024-01-01T00:00:00Z", .wall_seconds = 0.25 + s->base, .sim_seconds = 1.0,
		.events = 1000 + (uint64_t)s->base, .status = RESULTS_STATUS_OK,
	};
	struct results_metric m[] = {
		{ "vm:web", "ops_per_s", 1000.0 + s->base * 3.7, "ops/s" },
		{ "vm:web", "nothing", NAN, NULL },
	};
	struct results_point p[] = {
		{ "vm:web", "vcpus_in_use", 0.0, 4.0 },
		{ "vm:web", "vcpus_in_use", 0.5, 2.0 + s->base },
	};
	struct sim_hist h;
	struct results_hist hs;
	struct results_rows rows;
	GError *error = NULL;

	sim_hist_init(&h);
	for (uint64_t v = 1; v < 50; v++)
		sim_hist_record(&h, v * v * (uint64_t)(10 + s->base));
	hs = (struct results_hist){ "vm:web", "latency", "ns", &h };
	rows = (struct results_rows){ m, G_N_ELEMENTS(m), &hs, 1, p, G_N_ELEMENTS(p) };
	cr_assert(results_write(r, &run, &rows, NULL, &error), "write %s %s %u: %s", s->group, s->mode, s->rep,
		  error ? error->message : "?");
	sim_hist_clear(&h);
}

/* A database at path holding the runs of specs[0..n), written in that order. */
static void write_db(const char *path, const struct spec *specs, size_t n)
{
	struct results *r = open_db(path);

	for (size_t i = 0; i < n; i++)
		write_spec(r, &specs[i]);
	results_close(r);
}

static const struct results_sweep sweep_s = {
	.id = "s-0123", .name = "spinlocks", .spec_json = "{\"axes\":{\"vcpus\":[2,4,8]}}", .points = 3,
	.created_at = "2024-01-02T00:00:00Z",
};

/* Point i of sweep, complete: its virtual and bare-metal run (group "ID/i", one metric each) and its row. */
static void write_point(struct results *r, const struct results_sweep *sweep, uint32_t i)
{
	static const char *const modes[2] = { "virtual", "bare_metal" };
	char *group = g_strdup_printf("%s/%u", sweep->id, i), *name = g_strdup_printf("vcpus=%u", 2u << i);
	char *params = g_strdup_printf("{\"vcpus\":%u}", 2u << i);
	struct results_sweep_point point = { sweep->id, i, name, group, params };
	struct results_metric m[2];
	struct results_run runs[2];
	struct results_rows rows[2];
	bool already = true;
	GError *error = NULL;

	for (int k = 0; k < 2; k++) {
		runs[k] = (struct results_run){
			.group_id = group, .scenario = "merge-test", .mode = modes[k], .seed = 7, .replication = 0,
			.config_json = "{}", .config_hash = "h-s", .hvsim_version = "test",
			.started_at = "2024-01-02T00:00:00Z", .wall_seconds = 1.0, .sim_seconds = 1.0, .events = 10,
			.status = RESULTS_STATUS_OK,
		};
		m[k] = (struct results_metric){ "vm:web", "ops_per_s", 10.0 * (k + 1) + i, "ops/s" };
		rows[k] = (struct results_rows){ .metrics = &m[k], .nmetrics = 1 };
	}
	cr_assert(results_sweep_register(r, sweep, &error), "register: %s", error ? error->message : "?");
	cr_assert(results_write_group(r, runs, rows, 2, &point, &already, &error), "point %u: %s", i,
		  error ? error->message : "?");
	cr_assert(!already, "point %u was already complete", i);
	g_free(group);
	g_free(name);
	g_free(params);
}

/* Merges shard into the open database, asserting success; returns what it reported. */
static struct results_merge_stats merge_ok(struct results *r, const char *shard)
{
	struct results_merge_stats s = { 0 };
	GError *error = NULL;

	cr_assert(results_merge(r, shard, &s, &error), "merge %s: %s", shard, error ? error->message : "?");
	return s;
}

static void assert_stats(struct results_merge_stats got, uint64_t added, uint64_t dup, uint64_t sweeps,
			 uint64_t points, const char *what)
{
	cr_assert(got.runs_added == added && got.runs_duplicate == dup && got.sweeps_added == sweeps &&
		  got.points_added == points,
		  "%s: %" PRIu64 " added, %" PRIu64 " duplicates, %" PRIu64 " sweeps, %" PRIu64 " points; want %" PRIu64
		  ", %" PRIu64 ", %" PRIu64 ", %" PRIu64, what, got.runs_added, got.runs_duplicate, got.sweeps_added,
		  got.points_added, added, dup, sweeps, points);
}

/*
 * results_merge(r, shard) must refuse with code and a message naming the shard and mentioning
 * what, leave the output's contents, the caller's stats and the shard's bytes as they were.
 */
static void assert_merge_refused(struct results *r, const char *out_path, const char *shard, int code,
				 const char *what)
{
	struct results_merge_stats s = { 7, 7, 7, 7 };
	GBytes *before = g_file_test(shard, G_FILE_TEST_IS_REGULAR) ? file_bytes(shard) : NULL;
	char *out_before = dump_all(out_path), *out_after;
	GError *error = NULL;

	cr_assert(!results_merge(r, shard, &s, &error), "%s was merged", shard);
	cr_assert_not_null(error);
	cr_assert(error->domain == RESULTS_ERROR && error->code == code, "code %d, want %d: %s", error->code, code,
		  error->message);
	cr_assert(strstr(error->message, shard), "message does not name the shard: %s", error->message);
	cr_assert(strstr(error->message, what), "message lacks '%s': %s", what, error->message);
	assert_stats(s, 7, 7, 7, 7, "stats after a refusal");
	out_after = dump_all(out_path);
	cr_assert_str_eq(out_after, out_before, "the output changed");
	if (before) {
		GBytes *after = file_bytes(shard);

		cr_assert(g_bytes_equal(before, after), "%s changed", shard);
		g_bytes_unref(after);
		g_bytes_unref(before);
	}
	g_free(out_before);
	g_free(out_after);
	g_error_free(error);
}

/* Shard a: one group, two replications and their twins. Shard b: another group, one without a hash. */
static const struct spec specs_a[] = {
	{ "ga", "virtual", 0, 11, "h1", 1 },
	{ "ga", "bare_metal", 0, 11, "h1", 2 },
	{ "ga", "virtual", 1, 12, "h1", 3 },
	{ "ga", "bare_metal", 1, 12, "h1", 4 },
};
static const struct spec specs_b[] = {
	{ "gb", "virtual", 0, 21, "h2", 5 },
	{ "gb", "bare_metal", 0, 21, "h2", 6 },
	{ "gb", "virtual", 1, 22, NULL, 7 },
};

/* ---- the union ---- */

Test(merge, two_shards_give_their_union)
{
	char *a = tmp_path("a.db"), *b = tmp_path("b.db"), *out = tmp_path("out.db"), *direct = tmp_path("direct.db");
	struct spec all[G_N_ELEMENTS(specs_a) + G_N_ELEMENTS(specs_b)];
	struct results *r;
	char *ids, *latest;

	write_db(a, specs_a, G_N_ELEMENTS(specs_a));
	write_db(b, specs_b, G_N_ELEMENTS(specs_b));
	memcpy(all, specs_a, sizeof specs_a);
	memcpy(all + G_N_ELEMENTS(specs_a), specs_b, sizeof specs_b);
	write_db(direct, all, G_N_ELEMENTS(all));

	r = open_db(out);
	assert_stats(merge_ok(r, a), 4, 0, 0, 0, "shard a");
	assert_stats(merge_ok(r, b), 3, 0, 0, 0, "shard b");
	latest = results_latest_group(r, NULL);
	cr_assert_str_eq(latest, "gb", "the latest run is the last shard's");
	results_close(r);

	assert_same_contents(out, direct);
	for (size_t i = 0; i < 4; i++) {
		const char *t = (const char *[]){ "runs", "metrics", "histograms", "timeseries" }[i];

		cr_assert_eq(count(out, t), count(a, t) + count(b, t), "%s: %" PRId64 " rows, want %" PRId64 " + %" PRId64,
			     t, count(out, t), count(a, t), count(b, t));
		cr_assert_gt(count(a, t), 0, "%s: the shard has none, the check proves nothing", t);
	}
	/* New ids follow one another in the shards' order; every child row points at a run. */
	ids = dump_sql(out, "SELECT group_concat(id, ',') FROM (SELECT id FROM runs ORDER BY id)");
	cr_assert_str_eq(ids, "1,2,3,4,5,6,7\n");
	g_free(ids);
	ids = dump_sql(out, "SELECT COUNT(*) FROM pragma_foreign_key_check");
	cr_assert_str_eq(ids, "0\n", "rows without their run");
	g_free(ids);
	g_free(latest);
	g_free(a);
	g_free(b);
	g_free(out);
	g_free(direct);
}

Test(merge, into_a_database_with_runs_keeps_them)
{
	char *a = tmp_path("a.db"), *b = tmp_path("b.db"), *direct = tmp_path("direct.db");
	struct spec all[G_N_ELEMENTS(specs_a) + G_N_ELEMENTS(specs_b)];
	struct results *r;

	write_db(a, specs_a, G_N_ELEMENTS(specs_a));
	write_db(b, specs_b, G_N_ELEMENTS(specs_b));
	memcpy(all, specs_b, sizeof specs_b);
	memcpy(all + G_N_ELEMENTS(specs_b), specs_a, sizeof specs_a);
	write_db(direct, all, G_N_ELEMENTS(all));
	/* b is the output here: its own runs keep their ids, a's come after. */
	r = open_db(b);
	assert_stats(merge_ok(r, a), 4, 0, 0, 0, "a into b");
	results_close(r);
	assert_same_contents(b, direct);
	g_free(a);
	g_free(b);
	g_free(direct);
}

Test(merge, again_adds_nothing)
{
	char *a = tmp_path("a.db"), *b = tmp_path("b.db"), *out = tmp_path("out.db");
	struct results *r;
	char *once, *twice;

	write_db(a, specs_a, G_N_ELEMENTS(specs_a));
	write_db(b, specs_b, G_N_ELEMENTS(specs_b));
	r = open_db(out);
	merge_ok(r, a);
	merge_ok(r, b);
	once = dump_all(out);
	assert_stats(merge_ok(r, a), 0, 4, 0, 0, "a again");
	assert_stats(merge_ok(r, b), 0, 3, 0, 0, "b again");
	results_close(r);
	twice = dump_all(out);
	cr_assert_str_eq(twice, once, "merging again changed the output");
	cr_assert_eq(count(out, "runs"), 7);
	g_free(once);
	g_free(twice);
	g_free(a);
	g_free(b);
	g_free(out);
}

Test(merge, stats_are_added_to_the_callers)
{
	char *a = tmp_path("a.db"), *out = tmp_path("out.db");
	struct results_merge_stats s = { 100, 200, 300, 400 };
	struct results *r;

	write_db(a, specs_a, G_N_ELEMENTS(specs_a));
	r = open_db(out);
	cr_assert(results_merge(r, a, &s, NULL));
	cr_assert(results_merge(r, a, &s, NULL));
	assert_stats(s, 104, 204, 300, 400, "two merges added to the stats");
	results_close(r);
	g_free(a);
	g_free(out);
}

/* ---- duplicates ---- */

Test(merge, a_run_in_both_shards_is_copied_once)
{
	/* b repeats a's replication 1 (with other values: the first copy stays) and its NULL-hash run. */
	static const struct spec a_specs[] = {
		{ "g", "virtual", 0, 1, "h", 1 },
		{ "g", "virtual", 1, 2, "h", 2 },
		{ "g", "bare_metal", 0, 1, NULL, 3 },
	};
	static const struct spec b_specs[] = {
		{ "g", "virtual", 1, 2, "h", 99 },      /* duplicate of a[1] */
		{ "g", "bare_metal", 0, 1, NULL, 98 },  /* duplicate of a[2]: NULL hash equals NULL */
		{ "g", "virtual", 2, 3, "h", 4 },       /* another replication */
		{ "g", "virtual", 0, 9, "h", 5 },       /* a[0] with another seed */
		{ "g", "virtual", 0, 1, "h-other", 6 }, /* a[0] with another config */
		{ "g2", "virtual", 0, 1, "h", 7 },      /* a[0] in another group */
		{ "g", "bare_metal", 0, 1, "h", 8 },    /* a[2] with a hash: NULL is not "h" */
		{ "g", "bare_metal", 1, 2, "h", 9 },    /* a[1] in the other mode */
	};
	struct spec want[G_N_ELEMENTS(a_specs) + G_N_ELEMENTS(b_specs) - 2];
	char *a = tmp_path("a.db"), *b = tmp_path("b.db"), *out = tmp_path("out.db"), *direct = tmp_path("direct.db");
	struct results *r;
	char *v;

	write_db(a, a_specs, G_N_ELEMENTS(a_specs));
	write_db(b, b_specs, G_N_ELEMENTS(b_specs));
	memcpy(want, a_specs, sizeof a_specs);
	memcpy(want + G_N_ELEMENTS(a_specs), b_specs + 2, sizeof b_specs - 2 * sizeof b_specs[0]);
	write_db(direct, want, G_N_ELEMENTS(want));

	r = open_db(out);
	assert_stats(merge_ok(r, a), 3, 0, 0, 0, "a");
	assert_stats(merge_ok(r, b), 6, 2, 0, 0, "b");
	results_close(r);
	assert_same_contents(out, direct);
	v = dump_sql(out, "SELECT COUNT(*), quote(MIN(m.value)) FROM runs r JOIN metrics m ON m.run_id = r.id"
			  " WHERE r.group_id = 'g' AND r.mode = 'virtual' AND r.replication = 1 AND m.name = 'ops_per_s'");
	cr_assert_str_eq(v, "1|1007.4\n", "replication 1 once, with a's value");
	g_free(v);
	g_free(a);
	g_free(b);
	g_free(out);
	g_free(direct);
}

/* ---- sweeps ---- */

Test(merge, sweeps_and_points)
{
	char *a = tmp_path("a.db"), *b = tmp_path("b.db"), *out = tmp_path("out.db"), *direct = tmp_path("direct.db");
	struct results *r;
	char *points;

	/* a completed points 0 and 1, b points 1 and 2 (point 1 twice, as a resumed shard may). */
	r = open_db(a);
	write_point(r, &sweep_s, 0);
	write_point(r, &sweep_s, 1);
	results_close(r);
	r = open_db(b);
	write_point(r, &sweep_s, 1);
	write_point(r, &sweep_s, 2);
	results_close(r);
	r = open_db(direct);
	for (uint32_t i = 0; i < 3; i++)
		write_point(r, &sweep_s, i);
	results_close(r);

	r = open_db(out);
	assert_stats(merge_ok(r, a), 4, 0, 1, 2, "a");
	assert_stats(merge_ok(r, b), 2, 2, 0, 1, "b");
	assert_stats(merge_ok(r, b), 0, 4, 0, 0, "b again");
	results_close(r);
	assert_same_contents(out, direct);
	points = dump_sql(out, "SELECT group_concat(point, ',') FROM (SELECT point FROM sweep_points ORDER BY point)");
	cr_assert_str_eq(points, "0,1,2\n");
	cr_assert_eq(count(out, "sweep_comparison"), 3, "one row per point (ops_per_s)");
	g_free(points);
	g_free(a);
	g_free(b);
	g_free(out);
	g_free(direct);
}

Test(merge, a_sweep_with_another_spec_is_refused)
{
	struct results_sweep other = sweep_s;
	char *a = tmp_path("a.db"), *c = tmp_path("c.db"), *d = tmp_path("d.db"), *out = tmp_path("out.db");
	struct results *r;

	other.spec_json = "{\"axes\":{\"vcpus\":[2,4,16]}}";
	r = open_db(a);
	write_point(r, &sweep_s, 0);
	results_close(r);
	/* c: the same id with another spec, and new runs that must not arrive either. */
	write_db(c, specs_b, G_N_ELEMENTS(specs_b));
	r = open_db(c);
	write_point(r, &other, 1);
	results_close(r);
	/* d: the same spec but a point count of 4. */
	other = sweep_s;
	other.points = 4;
	r = open_db(d);
	write_point(r, &other, 2);
	results_close(r);

	r = open_db(out);
	merge_ok(r, a);
	assert_merge_refused(r, out, c, RESULTS_ERROR_INPUT, "sweep s-0123 differs");
	assert_merge_refused(r, out, d, RESULTS_ERROR_INPUT, "sweep s-0123 differs");
	results_close(r);
	cr_assert_eq(count(out, "runs"), 2, "only a's point");
	g_free(a);
	g_free(c);
	g_free(d);
	g_free(out);
}

Test(merge, a_failure_after_runs_were_copied_rolls_the_shard_back)
{
	char *a = tmp_path("a.db"), *c = tmp_path("c.db"), *out = tmp_path("out.db");
	struct results *r;

	r = open_db(a);
	write_point(r, &sweep_s, 0);
	results_close(r);
	/* c: new runs, then a point 2 named like a's point 0: the last statement of the merge fails. */
	write_db(c, specs_b, G_N_ELEMENTS(specs_b));
	r = open_db(c);
	write_point(r, &sweep_s, 2);
	results_close(r);
	raw_exec_file(c, "UPDATE sweep_points SET name = 'vcpus=2' WHERE point = 2");

	r = open_db(out);
	merge_ok(r, a);
	assert_merge_refused(r, out, c, RESULTS_ERROR_INPUT, "sweep_points");
	results_close(r);
	cr_assert_eq(count(out, "runs"), 2, "runs of the failed shard stayed");
	g_free(a);
	g_free(c);
	g_free(out);
}

/* ---- refusals ---- */

Test(merge, refuses_a_newer_or_older_shard)
{
	char *a = tmp_path("a.db"), *newer = tmp_path("newer.db"), *older = tmp_path("older.db"), *out = tmp_path("out.db");
	char *sql;
	struct results *r;

	write_db(a, specs_a, G_N_ELEMENTS(specs_a));
	write_db(newer, specs_b, G_N_ELEMENTS(specs_b));
	sql = g_strdup_printf("PRAGMA user_version = %d", RESULTS_SCHEMA_VERSION + 1);
	raw_exec_file(newer, sql);
	g_free(sql);
	write_db(older, specs_b, G_N_ELEMENTS(specs_b));
	sql = g_strdup_printf("PRAGMA user_version = %d", RESULTS_SCHEMA_VERSION - 1);
	raw_exec_file(older, sql);
	g_free(sql);

	r = open_db(out);
	merge_ok(r, a);
	assert_merge_refused(r, out, newer, RESULTS_ERROR_INPUT, "newer than this hvsim's");
	assert_merge_refused(r, out, older, RESULTS_ERROR_INPUT, "hvsim compare --db");
	results_close(r);
	cr_assert_eq(count(out, "runs"), 4);
	g_free(a);
	g_free(newer);
	g_free(older);
	g_free(out);
}

Test(merge, refuses_what_is_not_an_hvsim_database)
{
	char *out = tmp_path("out.db"), *shop = tmp_path("shop.db"), *app = tmp_path("app.db");
	char *text = tmp_path("notes.db"), *missing = tmp_path("missing.db"), *dir = tmp_path("dir.db");
	GString *notes = g_string_new(NULL);
	struct results *r;

	raw_exec_file(shop, "CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT)");
	raw_exec_file(app, "PRAGMA application_id = 1234; PRAGMA user_version = 2");
	for (int i = 0; i < 400; i++)
		g_string_append(notes, "this is not a database, just some notes\n");
	cr_assert(g_file_set_contents(text, notes->str, (gssize)notes->len, NULL));
	cr_assert_eq(mkdir(dir, 0700), 0);

	r = open_db(out);
	write_spec(r, &specs_a[0]);
	assert_merge_refused(r, out, shop, RESULTS_ERROR_INPUT, "not an hvsim results database");
	assert_merge_refused(r, out, app, RESULTS_ERROR_INPUT, "not an hvsim results database");
	assert_merge_refused(r, out, text, RESULTS_ERROR_INPUT, "not an SQLite database");
	assert_merge_refused(r, out, missing, RESULTS_ERROR_INPUT, "no such file");
	assert_merge_refused(r, out, dir, RESULTS_ERROR_INPUT, "directory");
	results_close(r);
	cr_assert(!g_file_test(missing, G_FILE_TEST_EXISTS), "the missing shard was created");
	g_string_free(notes, TRUE);
	g_free(out);
	g_free(shop);
	g_free(app);
	g_free(text);
	g_free(missing);
	g_free(dir);
}

Test(merge, refuses_the_output_itself)
{
	char *out = tmp_path("out.db"), *link = tmp_path("link.db");
	struct results *r;

	r = open_db(out);
	write_spec(r, &specs_a[0]);
	cr_assert_eq(symlink(out, link), 0);
	assert_merge_refused(r, out, out, RESULTS_ERROR_INPUT, "is the output database itself");
	assert_merge_refused(r, out, link, RESULTS_ERROR_INPUT, "is the output database itself");
	results_close(r);
	g_free(out);
	g_free(link);
}

/* ---- the shard is only read ---- */

Test(merge, the_shard_is_only_read)
{
	char *a = tmp_path("a.db"), *out = tmp_path("out.db"), *wal;
	GBytes *before, *after;
	struct stat st = { 0 };
	struct results *r;

	write_db(a, specs_a, G_N_ELEMENTS(specs_a));
	cr_assert_eq(chmod(a, 0444), 0);
	before = file_bytes(a);
	r = open_db(out);
	assert_stats(merge_ok(r, a), 4, 0, 0, 0, "a read-only shard");
	results_close(r);
	after = file_bytes(a);
	cr_assert(g_bytes_equal(before, after), "the shard changed");
	/* A read-only reader of a WAL database may leave an empty -wal (and a -shm): nothing in it. */
	wal = g_strconcat(a, "-wal", NULL);
	cr_assert(!g_file_test(wal, G_FILE_TEST_EXISTS) || (stat(wal, &st) == 0 && st.st_size == 0),
		  "%s holds %lld bytes written by the merge", wal, (long long)st.st_size);
	g_free(wal);
	g_bytes_unref(before);
	g_bytes_unref(after);
	g_free(a);
	g_free(out);
}
