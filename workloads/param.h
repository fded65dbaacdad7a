/* SPDX-License-Identifier: MIT */
/*
 * param.h - parameter tables: the schema of scenario keys (name, type, default, range, unit, one
 *           line of documentation), shared by the scenario loader (cli/) and the workload kinds.
 * Role: one table per JSON object. param_resolve checks an object against its table (types,
 *       ranges, choices, unknown keys with a "did you mean", required keys) and fills in every
 *       default, so that the resolved JSON is the complete configuration a run stores. Errors name
 *       the JSON Pointer of the offending value; the caller adds file, line and column.
 *       docs/scenario-reference.md is generated from these tables (param_doc) and a test checks
 *       that the shipped reference is the generated one.
 * Units: times are strings with a unit ("10ms", "2.5s", "800us", "1500ns") or integer
 *       nanoseconds; sizes are strings with a unit ("8GiB", "512MiB", "4KiB", "100B") or integer
 *       bytes; CPU demands are times at the host's nominal frequency or {"cycles": N}.
 */
#ifndef WORKLOADS_PARAM_H
#define WORKLOADS_PARAM_H

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

enum param_type {
	PARAM_BOOL,
	PARAM_INT,      /* a JSON integer in [min, max] */
	PARAM_NUMBER,   /* any JSON number in [min, max] */
	PARAM_STRING,
	PARAM_ENUM,     /* a string among `choices` ("exp|det|lognormal") */
	PARAM_TIME,     /* "10ms" or integer ns; range in ns */
	PARAM_BYTES,    /* "8GiB" or integer bytes; range in bytes */
	PARAM_DEMAND,   /* CPU demand: a time at nominal frequency, or {"cycles": N} */
	PARAM_OBJECT,   /* an object described by `fields` */
	PARAM_ARRAY,    /* an array of objects described by `fields` (or of `item` values) */
	PARAM_ANY,      /* checked by its owner (e.g. a workload object, by its kind's table) */
};

struct param {
	const char *name;             /* NULL ends a table */
	enum param_type type;
	const char *def;              /* default as JSON text ("4", "\"10ms\"", "{}"); NULL = required;
					 "null" = optional without a default (left out when absent) */
	double min, max;              /* range (ignored when min == max == 0) */
	const char *choices;          /* PARAM_ENUM */
	const char *unit;             /* for the reference ("ns", "bytes", "%", "per s") */
	const char *doc;              /* one line */
	const struct param *fields;   /* PARAM_OBJECT, PARAM_ARRAY of objects */
	enum param_type item;         /* PARAM_ARRAY of scalars when fields == NULL (e.g. PARAM_INT) */
};

/* An error: the JSON Pointer of the value at fault and what was expected. */
struct param_error {
	char *pointer;                /* "/vms/0/vcpus" (g_malloc'd) */
	char *message;                /* "expected an integer in 1..4096, got 0" (g_malloc'd) */
};
void param_error_clear(struct param_error *e);

/*
 * Checks `obj` (an object at JSON Pointer `pointer`) against `table` and adds every missing key
 * that has a default. Unknown keys are errors ("unknown key 'vcpu' - did you mean 'vcpus'?").
 * PARAM_ANY values are left to the caller. False with *err filled at the first error.
 */
bool param_resolve(const struct param *table, cJSON *obj, const char *pointer, struct param_error *err);

/* Reading resolved values (no errors possible after param_resolve; missing = the zero value). */
bool param_bool(const cJSON *obj, const char *name);
int64_t param_int(const cJSON *obj, const char *name);
double param_number(const cJSON *obj, const char *name);
const char *param_string(const cJSON *obj, const char *name);
sim_time_t param_time(const cJSON *obj, const char *name);
uint64_t param_bytes(const cJSON *obj, const char *name);
/* A CPU demand in cycles at `khz` (the host's nominal frequency). */
uint64_t param_demand(const cJSON *obj, const char *name, uint64_t khz);

/* Value parsers (also used by the loader for values outside tables). */
bool param_parse_time(const cJSON *v, sim_time_t *out);
bool param_parse_bytes(const cJSON *v, uint64_t *out);
bool param_parse_demand(const cJSON *v, uint64_t khz, uint64_t *cycles);

/* pointer + "/" + key, with ~ and / escaped as JSON Pointer (RFC 6901) wants; g_malloc'd. */
char *param_pointer_child(const char *pointer, const char *key);

/* The closest name of `table` to `name` (edit distance <= 2 or a prefix), or NULL. */
const char *param_suggest(const struct param *table, const char *name);

/* Appends the markdown reference of `table` at `pointer` (a table of key, type, default, range, meaning). */
void param_doc(GString *out, const struct param *table, const char *pointer);

#endif /* WORKLOADS_PARAM_H */
