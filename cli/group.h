/* SPDX-License-Identifier: MIT */
/*
 * group.h - one group of runs: every replication of a scenario and, unless the scenario says
 *           otherwise, each one's bare-metal twin, stored in the results database.
 * Role: what `hvsim run` (a group of its own), `hvsim run SWEEP --point` and each worker of
 *       `hvsim sweep` (a sweep point) do. Replication r uses seed sim_seed_derive(run.seed,
 *       "replication", r), the virtual run first and then its twin, so a group's rows depend on
 *       nothing but the scenario.
 * Storage: a plain group stores each run as it completes (one transaction per run); a sweep point
 *       is stored in one transaction with its sweep_points row, so it is complete or absent.
 */
#ifndef CLI_GROUP_H
#define CLI_GROUP_H

#include "analysis/results.h"
#include "cli/runner.h"

/* Told before each run starts: which one ("virtual 1/3", "bare 2/3"). */
typedef void (*group_stage_fn)(void *arg, const char *label);

struct group_watch {
	group_stage_fn stage;         /* may be NULL */
	run_progress_fn progress;     /* may be NULL */
	void *arg;
};

/*
 * Runs the group `group` of scenario s into db. point NULL: a plain group; else a sweep point
 * (*already set when another process stored it first; then nothing is written). False + error
 * (RESULTS_ERROR or the model's) when a run or the write fails.
 */
bool group_run(const struct scenario *s, struct results *db, const char *group, const struct results_sweep_point *point,
	       const struct group_watch *watch, bool *already, GError **error);

/* The exit status for an error: 2 bad input (scenario, missing database, ...), else 1. */
int group_error_status(const GError *e);

#endif /* CLI_GROUP_H */
