/* SPDX-License-Identifier: MIT */
/*
 * perfsched.h - private to workloads/ (perfsched_parse.c, perfsched.c) and their tests: a
 *               `perf sched script` trace rebuilt as one step sequence per recorded thread.
 * Role: the parser turns the text into run bursts (CPU time consumed, from sched_stat_runtime and
 *       sched_switch), blocks matched to the wake that ended them (sched_waking, or sched_wakeup
 *       in traces without it; a fork wakes its child), and timed sleeps for blocks that something
 *       outside the replay ended. The kind perf-sched (perfsched.c) replays the sequences as guest
 *       tasks: a thread blocks until its recorded waker reaches the same point of its own
 *       sequence, so the replay follows the simulated scheduler instead of recorded timestamps.
 * Units: ns of the recording (CPU ns at the recorded frequency for runs, wall ns for sleeps).
 * See: docs/perf-sched.md; tests/unit/wl/test_perfsched.c
 */
#ifndef WORKLOADS_PERFSCHED_H
#define WORKLOADS_PERFSCHED_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "workloads/workload.h"

enum wl_ps_step_kind {
	WL_PS_RUN,   /* compute `ns` of CPU (as recorded) */
	WL_PS_WAKE,  /* wake thread `peer` out of its BLOCK step `peer_step` (a recorded wake or a fork) */
	WL_PS_BLOCK, /* block until thread `peer` has passed its WAKE step `peer_step` */
	WL_PS_SLEEP, /* sleep `ns` of wall time: a block ended from outside the replay (timer, interrupt,
			a thread the filters dropped, a wake the trace does not show) */
};

struct wl_ps_step {
	enum wl_ps_step_kind kind;
	uint32_t peer;      /* WAKE, BLOCK: index of the other thread in wl_ps_trace.threads */
	uint32_t peer_step; /* WAKE, BLOCK: index of the matching step in the other thread */
	uint64_t ns;        /* RUN, SLEEP */
};

/* One recorded thread (a pid of the trace that the filters kept). */
struct wl_ps_thread {
	int32_t pid;
	char *comm;         /* its name when it was first kept */
	uint64_t start_ns;  /* its first kept appearance, from the trace's origin */
	uint64_t end_ns;    /* its exit, or its last event when the trace ends first */
	bool exited;        /* the trace shows its exit */
	uint64_t run_ns;    /* sum of its RUN steps */
	GArray *steps;      /* struct wl_ps_step, in order */
};

/* Which threads to keep: a thread is kept when it matches both (an empty filter matches all). */
struct wl_ps_filter {
	const char *comm;   /* comma-separated globs (g_pattern_match_simple: * and ?); NULL/"" = all */
	const int32_t *pids;
	uint32_t npids;
};

struct wl_ps_trace {
	char *file;          /* as given, for messages */
	/* the header line "# hvsim-trace: lps=N mhz=M cmd=..." (0 / NULL when absent) */
	uint32_t lps;
	uint32_t mhz;
	char *cmd;
	GPtrArray *threads;  /* struct wl_ps_thread *, in order of first kept appearance */
	uint64_t origin_ns;  /* absolute time of the first kept appearance */
	uint64_t makespan_ns; /* origin to the last kept thread's end */
	/* what the file held */
	uint64_t lines, events;
	uint32_t cpus;       /* highest CPU number seen + 1 */
	bool have_runtime;   /* sched_stat_runtime events: run bursts are their sums (else switch times) */
	bool have_waking;    /* sched_waking events (then sched_wakeup lines are ignored) */
	/* what the rebuild made of it */
	uint64_t wakes;      /* blocks matched to a kept waker (WAKE/BLOCK pairs), forks excluded */
	uint64_t forks;      /* kept children started by a kept parent */
	uint64_t sleeps;     /* blocks ended from outside the replay (SLEEP steps) */
	uint64_t stray_wakes; /* wakes of a kept thread that was not blocked (nothing to replay) */
	uint64_t run_ns;     /* sum of every kept thread's RUN steps */
	/* CPU time of the recording machine during [origin, origin + makespan], summed over CPUs */
	uint64_t cpu_kept_ns;  /* kept threads current */
	uint64_t cpu_other_ns; /* threads the filters dropped current */
	uint64_t cpu_idle_ns;  /* the idle task (pid 0) current */
};

/* Parses `len` bytes of `perf sched script` text; `file` names it in errors ("FILE:LINE: ...").
   NULL with an error for a malformed line or a trace that keeps no thread. */
struct wl_ps_trace *wl_ps_trace_parse(const char *text, size_t len, const char *file,
				      const struct wl_ps_filter *filter, GError **error);
/* Reads and parses `path` (a message names it as `path`). */
struct wl_ps_trace *wl_ps_trace_load(const char *path, const struct wl_ps_filter *filter, GError **error);
void wl_ps_trace_free(struct wl_ps_trace *t);

/* ---- the kind and its test hooks (perfsched.c) ---- */

extern const struct wl_kind wl_kind_perf_sched;

struct wl_ps_replay;
/* The trace a perf-sched instance replays (borrowed). */
const struct wl_ps_trace *wl_ps_replay_trace(const struct wl_ps_replay *r);
/* When thread `thread` took step `step` in the latest replay (handed out a RUN or SLEEP, made a
   WAKE, entered or passed a BLOCK), or UINT64_MAX when it has not got there. sim_time_t ps. */
uint64_t wl_ps_replay_step_time(const struct wl_ps_replay *r, uint32_t thread, uint32_t step);
/* The latest completed replay's makespan in ps (0 before the first completes). */
uint64_t wl_ps_replay_makespan(const struct wl_ps_replay *r);

#endif /* WORKLOADS_PERFSCHED_H */
