/* SPDX-License-Identifier: MIT */
/*
 * rtapp.h - the rt-app workload kind's private model: an rt-app JSON description (the "tasks" and
 *           "global" objects of github.com/scheduler-tools/rt-app, doc/tutorial.txt) parsed into
 *           tasks, phases and events with every named resource numbered, checked before a task
 *           exists. Private to workloads/ (rtapp_parse.c builds it, rtapp.c runs it) and its tests.
 * Units: rt-app's own, as written in the file: durations (run, runtime, sleep, timer period,
 *        delay) in microseconds, mem and iorun in bytes, global.duration in seconds.
 * See: docs/rt-app.md
 */
#ifndef WORKLOADS_RTAPP_H
#define WORKLOADS_RTAPP_H

#include <cjson/cJSON.h>
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

/* The events, in the order docs/rt-app.md lists them. */
enum rtapp_ev_kind {
	RTAPP_EV_RUN,     /* value us of CPU work at the host's nominal frequency */
	RTAPP_EV_RUNTIME, /* value us of wall time spent computing (32 us chunks, as rt-app) */
	RTAPP_EV_SLEEP,   /* value us */
	RTAPP_EV_TIMER,   /* res: timer; value: period us */
	RTAPP_EV_LOCK,    /* res: mutex */
	RTAPP_EV_UNLOCK,  /* res: mutex */
	RTAPP_EV_WAIT,    /* res: condition; dep: its mutex (held) */
	RTAPP_EV_SIGNAL,  /* res: condition */
	RTAPP_EV_BROAD,   /* res: condition */
	RTAPP_EV_SYNC,    /* res: condition; dep: its mutex (held): signal, then wait */
	RTAPP_EV_BARRIER, /* res: barrier */
	RTAPP_EV_SUSPEND, /* res: condition, dep: mutex, both named by the string */
	RTAPP_EV_RESUME,  /* res: condition, dep: mutex, both named by the string */
	RTAPP_EV_YIELD,
	RTAPP_EV_IORUN,   /* value bytes written to the VM's disk */
	RTAPP_EV_MEM,     /* value bytes written to memory */
	RTAPP_NEV_KINDS
};
const char *rtapp_ev_name(enum rtapp_ev_kind k);

struct rtapp_event {
	enum rtapp_ev_kind kind;
	char *path;       /* "/tasks/t0/phases/p1/run0": the key it came from, for messages */
	int64_t value;    /* us or bytes (see the kinds) */
	int32_t res, dep; /* indices into the model's resource tables; -1 = none */
};

struct rtapp_phase {
	char *name;       /* the key in "phases" (the task's name when it has none) */
	int64_t loop;     /* passes; -1 = for ever */
	uint64_t working_set; /* hvsim's extension: bytes each instance commits while in the phase */
	bool has_working_set; /* given (on the phase, or on its task as the default) */
	struct rtapp_event *events;
	uint32_t nevents;
};

struct rtapp_task {
	char *name;       /* the key in "tasks" */
	char *path;       /* "/tasks/NAME" */
	uint32_t instances; /* guest tasks running this description (0: none) */
	int64_t delay_us; /* start delay */
	int64_t loop;     /* passes over all phases; -1 = for ever */
	int nice;         /* `priority` of SCHED_OTHER */
	uint32_t *cpus;   /* affinity (vCPU numbers, ascending); NULL = all */
	uint32_t ncpus;
	char *cpus_path;  /* where the affinity was given, to name it when the VM is too small */
	struct rtapp_phase *phases;
	uint32_t nphases;
};

struct rtapp_timer {
	char *name;
	int32_t task;     /* -1: shared by every task naming it; else a "unique" timer of this task
			     (one per instance) */
	bool absolute;    /* some event gave mode "absolute" */
};

struct rtapp_barrier {
	char *name;
	uint32_t users;   /* task instances that use it (each meets the others at every use) */
};

struct rtapp_model {
	struct rtapp_task *tasks;
	uint32_t ntasks;
	char **mutexes;   /* lock/unlock, wait and sync mutexes, suspend/resume names */
	uint32_t nmutexes;
	char **conds;     /* wait/signal/broad/sync references, suspend/resume names */
	uint32_t nconds;
	struct rtapp_timer *timers;
	uint32_t ntimers;
	struct rtapp_barrier *barriers;
	uint32_t nbarriers;
	int64_t duration_s;       /* global.duration: the tasks stop then; <= 0 = never */
	uint64_t mem_buffer_size; /* global.mem_buffer_size: the size of one iorun write */
	const char *io_path;      /* the first iorun event (borrowed from its event), or NULL */
};

/*
 * Parses an rt-app description: `root` holds "tasks" (required), "global" and "resources".
 * `origin` starts every message ("rt-app file periodic.json", "rt-app"). Checks everything that
 * does not depend on the VM (types, ranges, unsupported keys, policies, that no task locks a mutex
 * it holds or unlocks one it does not hold). NULL with an error naming the key's path.
 */
struct rtapp_model *rtapp_model_parse(const cJSON *root, const char *origin, GError **error);
void rtapp_model_free(struct rtapp_model *m);

/* A test hook: called as each event of a task ends (name "t0-1": task t0, instance 1). */
typedef void (*rtapp_trace_fn)(void *arg, const char *task, const struct rtapp_event *ev, sim_time_t start,
			       sim_time_t end);
/* Sets the hook of an rt-app workload instance (what the kind's create returned). */
void rtapp_set_trace(void *inst, rtapp_trace_fn fn, void *arg);

#endif /* WORKLOADS_RTAPP_H */
