/* SPDX-License-Identifier: MIT */
/*
 * results.h - the results database (one SQLite file) and the comparison of virtual runs with their
 *       bare-metal twins.
 * Role: the only interface to the database; nothing outside analysis/ includes sqlite3.h or sees
 *       an SQLite code (failures arrive as GError in RESULTS_ERROR, whose code is the exit status).
 * Schema: version RESULTS_SCHEMA_VERSION in PRAGMA user_version, WAL mode, foreign keys on. Tables
 *       runs and metrics as INTERFACES.md lists them, histograms, timeseries; views comparison (per
 *       group and metric: n, mean and sd of each side, ratio) and twins (each virtual run beside
 *       its bare-metal twin). analysis/schema.c has the SQL.
 * Writes: one run = one transaction (the run row, its metrics, its histograms, its timeseries
 *       rows); a failure or a crash leaves no part of it.
 * See: docs/design.md "Results"; tests/unit/analysis/test_results.c
 */
#ifndef ANALYSIS_RESULTS_H
#define ANALYSIS_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "sim/stats.h"

#define RESULTS_SCHEMA_VERSION 2
/* The run status counted by the comparison; any other status ("failed" ...) is kept but ignored. */
#define RESULTS_STATUS_OK "ok"

#define RESULTS_ERROR results_error_quark()
GQuark results_error_quark(void);
/* The code is the exit status the CLI uses. */
enum {
	RESULTS_ERROR_IO = 1,    /* cannot read or write the file, or a write was refused: nothing written */
	RESULTS_ERROR_INPUT = 2, /* not SQLite, not an hvsim database, newer schema, no such file or group */
};

struct results;

/*
 * Opens a results database, creating it when it is missing and create is true. Every message
 * names the file ("PATH: what is wrong").
 * Refuses with RESULTS_ERROR_INPUT, writing nothing: a missing file (create false), a file that is
 * not SQLite, a database from a newer hvsim (user_version above ours), a database that is not
 * hvsim's (user_version 0 but objects in it, another application_id) or whose tables or views do
 * not match ours; and, when create is false, an empty database.
 * An older schema is migrated in one transaction. The database is switched to WAL mode after the
 * checks. RESULTS_ERROR_IO when the file cannot be opened or created (permissions, missing
 * directory) or a migration cannot be written.
 */
struct results *results_open(const char *path, bool create, GError **error);
void results_close(struct results *r); /* NULL is fine */
/* The path given to results_open (borrowed). */
const char *results_path(const struct results *r);

/* One row of runs. Strings are copied; NULL is stored as NULL where the schema allows it. */
struct results_run {
	const char *group_id;      /* one `hvsim run` invocation or one sweep point; required */
	const char *scenario;      /* the scenario's name; required */
	const char *mode;          /* "virtual" | "bare_metal" */
	uint64_t seed;             /* stored as its 64-bit two's complement: above 2^63 - 1 reads negative */
	uint32_t replication;
	const char *config_json;   /* the fully resolved configuration */
	const char *config_hash;
	const char *hvsim_version;
	const char *started_at;    /* ISO 8601, UTC */
	double wall_seconds, sim_seconds;
	uint64_t events;           /* above 2^63 - 1 stored as REAL */
	const char *status;        /* RESULTS_STATUS_OK, or what went wrong; required */
};

/* One metric row. value NaN is stored as NULL. unit NULL is stored as "" (dimensionless). */
struct results_metric {
	const char *scope, *name;
	double value;
	const char *unit;
};

/*
 * A histogram to store: one histograms row (lo, hi, count) per non-empty slot, and summary rows
 * in metrics named after the INTERFACES.md rule "lower_snake_case_with_unit" (the unit stays
 * last): name "latency" (or "latency_ns") with unit "ns" gives latency_p50_ns, latency_p90_ns,
 * latency_p99_ns, latency_p999_ns, latency_mean_ns (unit "ns") and latency_count (unit "count").
 * An empty histogram stores no buckets, count 0 and NULL for the others.
 */
struct results_hist {
	const char *scope, *name, *unit;
	const struct sim_hist *h;
};

/*
 * One timeseries row: a quantity of a scope (named as a metric is) that holds `value` from
 * `t_seconds` on, t_seconds counted from the start of the run (the warm-up included). Several rows
 * of one (scope, name) make a step function; the table keeps them in any order and readers sort
 * by t_seconds. value NaN is stored as NULL; t_seconds must be finite (NaN fails the write).
 */
struct results_point {
	const char *scope, *name;
	double t_seconds, value;
};

/* Every row of one run besides the run row (arrays borrowed for the call; a count may be 0). */
struct results_rows {
	const struct results_metric *metrics;
	size_t nmetrics;
	const struct results_hist *hists;
	size_t nhists;
	const struct results_point *points;  /* timeseries rows */
	size_t npoints;
};

/*
 * Writes one run in one transaction: the run row, its metrics, its histograms and its timeseries
 * rows. On success *run_id (may be NULL) is the new runs.id. On failure (a constraint - NULL
 * scope, duplicate metric name, bad mode, a NaN time -, a full disk, a busy database after the
 * timeout) nothing of the run is in the database and the error is RESULTS_ERROR_IO naming the
 * file and the row.
 * Metric names must be unique within (run, scope), histogram summaries included; timeseries rows
 * need not be (a (scope, name) has one row per point).
 */
bool results_write(struct results *r, const struct results_run *run, const struct results_rows *rows,
		   int64_t *run_id, GError **error);
/* results_write without timeseries rows: nm metrics, nh histograms. */
bool results_write_run(struct results *r, const struct results_run *run,
		       const struct results_metric *m, size_t nm,
		       const struct results_hist *h, size_t nh, int64_t *run_id, GError **error);

/* ---- sweeps (analysis/sweep.c) ---- */

/* One row of sweeps: a sweep as started (its id derived from what it runs, see cli/sweep.h). */
struct results_sweep {
	const char *id, *name;
	const char *spec_json;     /* the sweep file, resolved (base inlined, points listed) */
	uint32_t points;
	const char *created_at;    /* ISO 8601, UTC */
};

/* One complete point of a sweep: its sweep_points row. */
struct results_sweep_point {
	const char *sweep_id;
	uint32_t point;            /* 0-based index in the sweep's point order */
	const char *name;
	const char *group_id;      /* the group its runs carry */
	const char *params_json;   /* {"axis name": value, ...} */
};

/*
 * Records a sweep (a no-op when the same id is already there). RESULTS_ERROR_INPUT when a sweep
 * of that id is there with another spec_json or point count (cannot happen unless hand-edited).
 */
bool results_sweep_register(struct results *r, const struct results_sweep *s, GError **error);
/* Whether a sweep of this id is recorded; *done = its complete points. */
bool results_sweep_find(struct results *r, const char *id, bool *found, uint32_t *done, GError **error);
/* The complete points of a sweep, a bitmap: done[i] true when point i is complete (n entries). */
bool results_sweep_done(struct results *r, const char *id, bool *done, uint32_t n, GError **error);
/* The name of the most recent sweep called `name` (its id newly allocated), or NULL when none. */
char *results_sweep_by_name(struct results *r, const char *name, GError **error);

/*
 * Writes the n runs of one group and, unless point is NULL, the point's sweep_points row, all in
 * one transaction: either all of it is in the database or none. When the point is already
 * complete (another process wrote it first) nothing is written, *already is set and true returned.
 */
bool results_write_group(struct results *r, const struct results_run *runs, const struct results_rows *rows,
			 size_t n, const struct results_sweep_point *point, bool *already, GError **error);

/* ---- merge (analysis/merge.c) ---- */

struct results_merge_stats {
	uint64_t runs_added, runs_duplicate;  /* duplicate: same group, config_hash, seed, replication, mode */
	uint64_t sweeps_added, points_added;
};

/*
 * Copies every run (with its metrics, histograms, timeseries), sweep and sweep point of the shard
 * database at shard_path into r, in one transaction per shard, skipping what r already holds
 * (idempotent: merging a shard twice adds nothing). The shard is only read; it must be an hvsim
 * database of this schema version (RESULTS_ERROR_INPUT otherwise, naming it). Stats are added to
 * *stats.
 */
bool results_merge(struct results *r, const char *shard_path, struct results_merge_stats *stats, GError **error);

/* The group of the most recently written run (newly allocated); NULL + RESULTS_ERROR_INPUT when
 * the database holds no runs. */
char *results_latest_group(struct results *r, GError **error);

/* ---- comparison (analysis/compare.c) ---- */

/*
 * One metric of one group: each side's replications (runs with status RESULTS_STATUS_OK and a
 * non-NULL value). mean is NAN when n = 0; sd and ci95 are NAN when n < 2; ci95 is the 95%
 * confidence half-width t_{0.975, n-1} * sd / sqrt(n).
 */
struct results_side {
	uint32_t n;
	double mean, sd, ci95;
	bool exact; /* n >= 2 and every value equal (then sd = ci95 = 0) */
};

struct results_row {
	char *group_id, *scope, *name, *unit;
	struct results_side virt, bare;
	double ratio;     /* virt.mean / bare.mean; NAN when a side is missing or bare.mean is 0 */
	bool significant; /* see results_compare */
};

/*
 * Every metric of a group, ordered by (scope, name, unit); a GPtrArray of struct results_row that
 * frees its rows. NULL + RESULTS_ERROR_INPUT when the group has no runs.
 * Significance at 5% (two-sided):
 *  - either side has n < 2: false (no estimate of the spread; one replication is never exact);
 *  - both sides exact: true exactly when the two values differ (t is infinite);
 *  - otherwise Welch's t-test: t = (mean_v - mean_b) / sqrt(sd_v^2/n_v + sd_b^2/n_b), df by
 *    Welch-Satterthwaite; true when |t| > t_{0.975, df} (analysis/tdist.h).
 */
GPtrArray *results_compare(struct results *r, const char *group, GError **error);

/*
 * Keeps the summary a person reads first: per VM, ops/s, latency p50 and p99, CPU per op, spin,
 * steal and exits, in that order (what `hvsim run` prints; `hvsim compare --all` prints all).
 */
void results_compare_summary(GPtrArray *rows);

/*
 * Prints rows: a table aligned in columns (scope, metric, unit, n virtual/bare, virtual ± CI,
 * bare metal ± CI, ratio, '*' when significant) with a legend; or, with json, one JSON document:
 * an array with one row object per line (NaN written as null).
 */
void results_compare_print(const GPtrArray *rows, FILE *out, bool json);

#endif /* ANALYSIS_RESULTS_H */
