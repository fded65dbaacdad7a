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
 * Stopping (docs/reliability.md "Stopping a run"): a run ended by a limit (--max-events,
 *       --max-wall, events in flight) is stored with its status ("stopped: max-events") in a plain
 *       group, and the group ends there; a run ended by SIGINT/SIGTERM is not stored. A sweep point
 *       with a stopped run stores nothing (it stays absent; --resume runs it again).
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

/* How a group ended (group_run). */
struct group_outcome {
	uint32_t stored, total;       /* runs written; runs the group has */
	bool already;                 /* a sweep point another process stored first: nothing written */
	enum run_stop stopped;        /* RUN_STOP_NONE, or why the group ended early */
	bool stored_stopped;          /* the stopped run was stored (with its status) */
	char which[48];               /* the run that stopped: "virtual 2/3" */
	uint64_t events;              /* its events when it stopped */
	sim_time_t reached, end;      /* the simulated time it reached, and the end it aimed for */
};

/*
 * Runs the group `group` of scenario s into db. point NULL: a plain group; else a sweep point.
 * limits may be NULL. True when nothing failed, *out saying what was stored and whether a limit or
 * a signal ended the group early; false + error (RESULTS_ERROR or the model's) when a run or the
 * write fails.
 */
bool group_run(const struct scenario *s, struct results *db, const char *group, const struct results_sweep_point *point,
	       const struct run_limits *limits, const struct group_watch *watch, struct group_outcome *out,
	       GError **error);

/*
 * Parses the value of --max-events (a positive integer) or --max-wall (a positive duration: 90,
 * 90s, 10m, 2h, 500ms) into *l; false with a message on stderr (exit status 2) when malformed.
 */
bool group_parse_limit(const char *option, const char *value, struct run_limits *l);


#endif /* CLI_GROUP_H */
