/* SPDX-License-Identifier: MIT */
/*
 * sweep.h - a sweep file, loaded: a base scenario, axes of JSON Pointer paths and values combined
 *           by product or zip, and the list of points that makes (docs/sweeps.md).
 * Role: the only reader of sweep files. Loading checks the file (keys, types, unique point names)
 *       and loads every point's scenario, and sweep_check builds the worlds of the points a command
 *       will run, so a bad value is reported before anything runs; errors
 *       are scenario errors (exit status 2) naming file, line, column and JSON path.
 * Identity: a sweep's id is derived from what it runs (its name, and every point's name, config
 *       hash and replications), never from where the file lies or when it runs, so a resumed
 *       sweep, each Slurm shard and the merged database agree on it. Point i's runs are group
 *       "ID/pI".
 */
#ifndef CLI_SWEEP_H
#define CLI_SWEEP_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <glib.h>

#include "analysis/results.h"
#include "cli/scenario.h"

struct sweep_point {
	uint32_t index;
	char *name;
	char *group_id;               /* "ID/pINDEX" */
	char *params_json;            /* {"axis": value, ...} */
	char *base;                   /* the scenario file (path as the loader opens it) */
	const char *base_prefix;      /* "" or "/base" (an inline scenario of the sweep file) */
	GPtrArray *sets;              /* "/json/pointer=JSON", NULL-terminated (the `set` ones, then the axes') */
};

struct sweep {
	char *path, *name, *description;
	char *id;                     /* 16 hex digits */
	char *spec_json;              /* what the sweep runs, resolved (stored in sweeps.spec_json) */
	GPtrArray *points;            /* struct sweep_point * */
};

/* Whether the JSON file at path is a sweep file (an object with "axes" or "base", keys no scenario
 * has); false when unreadable. */
bool sweep_is_sweep_file(const char *path);

/*
 * Loads and checks a sweep file and every point's scenario (keys, values, references: what its id
 * needs). Building the points' worlds (the models' own refusals) is sweep_check's: a process that
 * runs some points builds only those (a Slurm task of 10 points of 10,000 checks 10).
 */
struct sweep *sweep_load(const char *path, GError **error);
/* Builds the worlds of the selected points (sel NULL: all), as runner_check; false at the first refusal. */
bool sweep_check(const struct sweep *sw, const bool *sel, GError **error);
void sweep_free(struct sweep *sw);

/* The scenario of point i, loaded afresh. */
struct scenario *sweep_point_scenario(const struct sweep *sw, uint32_t i, GError **error);

/* Records the sweep in db (a no-op when it is there). */
bool sweep_register(const struct sweep *sw, struct results *db, GError **error);

/* The point named `name`, or of index `name` (decimal); NULL when there is none. */
const struct sweep_point *sweep_find_point(const struct sweep *sw, const char *name);

/*
 * Parses a point selection "0-9,12,20-" (0-based, ranges inclusive, an open end runs to the last
 * point) into sel[n]. False + a message (exit status 2) when malformed or out of range.
 */
bool sweep_parse_selection(const char *spec, uint32_t n, bool *sel, GError **error);

/* The markdown reference of the sweep file's keys (appended to docs/scenario-reference.md). */
char *sweep_reference(void);

#endif /* CLI_SWEEP_H */
