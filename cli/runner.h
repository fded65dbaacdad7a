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
	sim_time_t sim_time;          /* measured span (after the warm-up) */
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

bool runner_run(const struct scenario *s, bool bare_metal, uint64_t seed, run_progress_fn progress, void *arg,
		struct run_output *out, GError **error);

#endif /* CLI_RUNNER_H */
