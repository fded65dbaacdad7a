/* SPDX-License-Identifier: MIT */
/*
 * runner.h - one run of a scenario: builds the host, hypervisor, guest kernels and workloads,
 *            runs the simulation, and collects the metrics rows the results database stores.
 * Modes: "virtual" (the scenario as written) and "bare_metal" (the twin: each VM alone on a
 *        machine of the same hardware with one LP per vCPU, hypervisor `none`, the same master
 *        seed and stream names, so its workloads draw the same random numbers; the timeline's
 *        actions do not apply to it). Each world builds its own host devices (/host/devices) before
 *        its VMs, and its VMs' devices use the native path in the twin.
 */
#ifndef CLI_RUNNER_H
#define CLI_RUNNER_H

#include "analysis/results.h"
#include "analysis/trace_json.h"
#include "cli/scenario.h"

/*
 * Guards that end a run early (`--max-events`, `--max-wall`; docs/reliability.md "Stopping a run").
 * Each applies to one run: a virtual run, or a bare-metal twin with all its machines.
 */
struct run_limits {
	uint64_t max_events;          /* 0: none */
	double max_wall_s;            /* wall-clock seconds, the build included; 0: none */
};

/* Guest tasks in all VMs of a run (each VM: WL_MAX_TASKS_PER_VM). */
#define RUN_MAX_TASKS 1048576
/*
 * Before the first virtual run of a process, the runner prints its memory estimate (built world:
 * LPs, VMs, vCPUs, tasks; docs/reliability.md) to stderr when it is at least this many bytes, or
 * the environment's HVSIM_MEMORY_WARN.
 */
#define RUN_MEMORY_WARN_DEFAULT (UINT64_C(1) << 30)
uint64_t runner_memory_threshold(void);
/* Events pending in one simulation above which the run stops (a runaway model). */
#define RUN_MAX_EVENTS_IN_FLIGHT (UINT64_C(1) << 26)
/* The guards are polled every this many events (the engine's monitor): a limit stops within it. */
#define RUN_POLL_EVENTS 65536

/* Why a run ended before its end. */
enum run_stop {
	RUN_STOP_NONE,                /* it ran to its end */
	RUN_STOP_MAX_EVENTS,          /* run_limits.max_events */
	RUN_STOP_MAX_WALL,            /* run_limits.max_wall_s */
	RUN_STOP_QUEUE,               /* more than RUN_MAX_EVENTS_IN_FLIGHT events pending */
	RUN_STOP_SIGNAL,              /* SIGINT or SIGTERM (runner_signals_install) */
};
/* The runs.status of a run so stopped: "stopped: max-events", "stopped: max-wall", ... */
const char *run_stop_status(enum run_stop why);

/*
 * SIGINT and SIGTERM set a flag that the running simulation polls with its guards: the run stops
 * at an event boundary and runner_run returns with RUN_STOP_SIGNAL. once: the handler is reset
 * after the first signal (a second Ctrl-C kills; the database is safe either way).
 */
void runner_signals_install(bool once);
/* The signal caught since install (SIGINT, SIGTERM), or 0. */
int runner_signal(void);

/* What a run produced: rows for the database, and the summary a person reads. */
struct run_output {
	GArray *metrics;              /* struct results_metric (strings in `strings`) */
	GArray *hists;                /* struct results_hist (histograms owned here) */
	GArray *points;               /* struct results_point: timeseries rows (scopes in `strings`) */
	GStringChunk *strings;
	GPtrArray *owned_hists;
	uint64_t events;
	uint64_t digest;              /* the sims' run digests folded (determinism checks) */
	double wall_seconds;
	sim_time_t sim_time;          /* measured span (after the warm-up); shorter when stopped */
	enum run_stop stopped;        /* RUN_STOP_NONE, or why the run ended before its end */
	sim_time_t reached;           /* the simulated time the run reached (warm-up included) */
};
void run_output_init(struct run_output *o);
void run_output_clear(struct run_output *o);
/* A metric's value by scope and name; NAN when absent. */
double run_output_metric(const struct run_output *o, const char *scope, const char *name);

/* Progress callback: fraction done (0..1), simulated seconds, events per wall second. */
typedef void (*run_progress_fn)(void *arg, double done, double sim_s, double events_per_s);

/* Builds every world of the scenario without running it: what the models refuse, located. */
bool runner_check(const struct scenario *s, GError **error);

/*
 * `hvsim run --trace`: the next virtual run runner_run makes (the group runs replication 0's first)
 * sends its timeline to w (borrowed; attached after the world is built, so every track is
 * declared to it) and finishes it at the run's end. One request serves one run; NULL cancels.
 */
void runner_trace_next(struct trace_json *w);

/*
 * One run. limits may be NULL (none). A run stopped by a limit or a signal returns true with
 * out->stopped set and the metrics of the span it reached (of the machines that ran, for a twin).
 */
bool runner_run(const struct scenario *s, bool bare_metal, uint64_t seed, const struct run_limits *limits,
		run_progress_fn progress, void *arg, struct run_output *out, GError **error);

#endif /* CLI_RUNNER_H */
