/* SPDX-License-Identifier: MIT */
/*
 * workload.h - workload kinds: what a VM's guest tasks execute, chosen by name in the scenario
 *              ("workload": {"kind": "cpu", ...}), each with its parameter table.
 * Role: a kind creates its tasks in a guest kernel (models/guestos) and feeds them operations;
 *       it reports operations completed and their latency. The scenario loader checks a workload
 *       object against the kind's table (param.h) before create() sees it.
 * Randomness: every draw comes from a named stream "vm:NAME/wl:I/<purpose>" seeded by the run's
 *       master seed, so the bare-metal twin of a run draws exactly the same numbers (common random
 *       numbers); rng_digest lets tests check that.
 * Kinds: kinds.c lists them (docs/workloads.md). Each reports its operations, their latency and
 *       its draws (struct wl_stats); optionally the operations of each of its tasks and counters of
 *       its own (the runner's scopes vm:NAME/wl:I and vm:NAME/task:TASK, docs/results.md).
 */
#ifndef WORKLOADS_WORKLOAD_H
#define WORKLOADS_WORKLOAD_H

#include <cjson/cJSON.h>
#include <glib.h>

#include "models/guestos/guestos.h"
#include "sim/stats.h"
#include "workloads/param.h"

/* Guest tasks one VM's workloads may create in all (docs/reliability.md "Limits"). */
#define WL_MAX_TASKS_PER_VM 65536

struct wl_env {
	struct gos_kernel *k;         /* the VM's kernel: tasks are created in it */
	const char *vm;               /* the VM's name ("web-2") */
	uint32_t index;               /* the workload's index in the VM's list */
	uint64_t seed;                /* the run's master seed */
	uint64_t khz;                 /* the host's nominal frequency, for CPU demands */
	const GPtrArray *disks;       /* the VM's disks (struct io_disk *, models/io/disk.h); may be NULL */
	const GPtrArray *nets;        /* the VM's network adapters (struct io_net *, models/io/net.h); may be NULL */
	const char *dir;              /* the scenario file's directory: files a workload names are relative to it */
};

/* One of a kind's own counters, reported in the workload's scope vm:NAME/wl:I (kv's `reads`). */
struct wl_counter {
	const char *name;             /* lower_snake_case_with_unit, static; not ops, ops_per_s, rng_digest, latency_* */
	const char *unit;             /* "ops", "count", "bytes" */
	double value;                 /* since the warm-up, unless the kind documents a level (in flight) */
};

/* What stats() reports; every pointer is borrowed from the instance, valid until its next stats()
   or free(). The optional parts are zero (NULL, 0) when a kind has none. */
struct wl_stats {
	uint64_t ops;                 /* operations completed (since the warm-up) */
	const struct sim_hist *latency; /* ps per operation (since the warm-up); may be empty */
	uint64_t rng_digest;          /* fnv1a64 over every value drawn so far (0 when nothing is drawn) */
	/* optional: operations attributed to each of the workload's tasks (the runner's per-task `ops`) */
	uint32_t ntasks;
	struct gos_task *const *tasks;
	const uint64_t *task_ops;     /* since the warm-up; what counts is the kind's (docs/workloads.md) */
	/* optional: the kind's own counters */
	uint32_t ncounters;
	const struct wl_counter *counters;
};

struct wl_kind {
	const char *name;             /* "cpu" */
	const char *doc;              /* one line for the reference */
	const char *ops_unit;         /* what an operation is: "chunks", "requests" */
	const struct param *params;   /* the workload object's keys besides "kind" */
	/* Creates the tasks; params is resolved (defaults filled in). NULL with an error. */
	void *(*create)(const struct wl_env *env, const cJSON *params, GError **error);
	void (*stats)(void *inst, struct wl_stats *out);
	void (*free)(void *inst);
};

/* Every kind, NULL-terminated, in documentation order. */
const struct wl_kind *const *wl_kinds(void);
const struct wl_kind *wl_kind_find(const char *name);

#endif /* WORKLOADS_WORKLOAD_H */
