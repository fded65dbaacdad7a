/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `hvsim run SCENARIO.json` and `hvsim validate SCENARIO.json` (or a sweep file).
 * run: loads the scenario (with --set overrides), opens the results database first (nothing runs
 *      when it cannot be written), runs the group (cli/group.h: every replication and its
 *      bare-metal twin, each run stored in one transaction), and prints the comparison of the
 *      group (the same numbers `hvsim compare` prints). Progress goes to stderr when it is a
 *      terminal. With a sweep file and --point, runs that point as the sweep would.
 *      --trace FILE writes the timeline of replication 0's virtual run (analysis/trace_json.h,
 *      docs/traces.md), --trace-window START:END only that span of it; both are checked, and the
 *      file created, before anything runs.
 *      --max-events / --max-wall stop a runaway run (stored with a "stopped: ..." status, exit 1);
 *      SIGINT/SIGTERM stop the current run at an event boundary (not stored), exit 130/143
 *      (docs/reliability.md "Stopping a run").
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analysis/highlights.h"
#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/group.h"
#include "cli/sweep.h"
#include "workloads/param.h"

struct run_opts {
	const char *db;
	GPtrArray *sets;              /* char *, NULL-terminated for scenario_load */
	GPtrArray *owned;             /* the sets made from options (freed with it) */
	const char *point;            /* --point: one point of a sweep file */
	const char *trace;            /* --trace FILE.json, or NULL */
	const char *trace_window;     /* --trace-window START:END, or NULL */
	const char *trace_max;        /* --trace-max SIZE, or NULL (TRACE_JSON_MAX_BYTES_DEFAULT) */
	bool quiet, json, no_baseline, have_seed, have_reps;
	uint64_t seed;
	uint32_t replications;
	struct run_limits limits;     /* --max-events, --max-wall (not part of the configuration) */
};

static void opts_free(struct run_opts *o)
{
	g_ptr_array_free(o->sets, TRUE);  /* borrowed strings */
	g_ptr_array_free(o->owned, TRUE); /* owned ones */
}

static void run_usage(FILE *out)
{
	fprintf(out, "usage: hvsim run SCENARIO.json [--db FILE] [--seed N] [--replications N]\n"
		     "                 [--set /json/pointer=VALUE]... [--no-baseline] [--quiet] [--json]\n"
		     "                 [--trace FILE.json [--trace-window START:END] [--trace-max SIZE]]\n"
		     "                 [--max-events N] [--max-wall DURATION]\n"
		     "       hvsim run SWEEP.json --point NAME|INDEX [--db FILE] [--quiet] [--json]\n"
		     "Runs the scenario (and, unless run.baseline is \"none\" or --no-baseline, its bare-metal\n"
		     "twin), stores every run in the results database (default hvsim.db) and prints virtual\n"
		     "vs bare metal per VM. See docs/scenario-reference.md for the keys.\n"
		     "With a sweep file, runs one of its points and records it as that sweep's point, as\n"
		     "`hvsim sweep` would (docs/sweeps.md); `hvsim validate SWEEP.json` lists the points.\n"
		     "--trace writes a Chrome/Perfetto trace-event JSON file (open it in ui.perfetto.dev) of\n"
		     "the virtual run of replication 0 only: VPs on LPs, tasks on vCPUs, spins, lock holds,\n"
		     "I/O flows, counters. --trace-window START:END (scenario times, e.g. 1s:1.2s) keeps only\n"
		     "that span, from the start of the simulation (warm-up included); --trace-max SIZE (default\n"
		     "2GiB, 0: none) ends the trace when the file reaches SIZE. docs/traces.md.\n"
		     "--max-events N, --max-wall DURATION (90s, 10m, 2h) stop any one run that handles N events or\n"
		     "runs that long; it is stored with status \"stopped: max-events\" (or max-wall), which\n"
		     "compare ignores, and hvsim exits 1. SIGINT/SIGTERM stop the current run (not stored) and\n"
		     "exit 130/143; completed runs stay. docs/reliability.md.\n");
}

static void validate_usage(FILE *out)
{
	fprintf(out, "usage: hvsim validate SCENARIO.json [--set /json/pointer=VALUE]...\n"
		     "       hvsim validate SWEEP.json\n"
		     "Checks a scenario (keys, types, ranges, references) and runs nothing. A sweep file is\n"
		     "checked with every point's scenario, and its points are listed.\n");
}

/* ---- progress on a terminal ---- */

struct bar {
	double start;
	int last_pct;
	char label[48];
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void draw(void *arg, double done, double sim_s, double eps)
{
	struct bar *b = arg;
	int pct = (int)(done * 100);
	double el = mono() - b->start, eta = done > 0 ? el * (1 - done) / done : 0;
	char bar[21];
	for (int i = 0; i < 20; i++)
		bar[i] = i < pct / 5 ? '#' : '.';
	bar[20] = 0;
	fprintf(stderr, "\r%-12s [%s] %3d%%  sim %.3f s  %.2f M events/s  ETA %.0f s  ", b->label, bar, pct, sim_s,
		eps / 1e6, eta);
	b->last_pct = pct;
}

static void bar_end(struct bar *b)
{
	if (b->last_pct >= 0)
		fprintf(stderr, "\r%*s\r", 78, "");
}

static void stage(void *arg, const char *label)
{
	struct bar *b = arg;
	g_strlcpy(b->label, label, sizeof b->label);
}

static int parse(int argc, char **argv, struct run_opts *o, bool validate_only, const char **file)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},     {"seed", required_argument, 0, 's'},
		{"replications", required_argument, 0, 'r'}, {"set", required_argument, 0, 'S'},
		{"no-baseline", no_argument, 0, 'n'},  {"quiet", no_argument, 0, 'q'},
		{"json", no_argument, 0, 'j'},         {"help", no_argument, 0, 'h'},
		{"point", required_argument, 0, 'p'},
		{"trace", required_argument, 0, 't'},  {"trace-window", required_argument, 0, 'w'},
		{"max-events", required_argument, 0, 'E'}, {"max-wall", required_argument, 0, 'W'},
		{"trace-max", required_argument, 0, 'M'},
		{0, 0, 0, 0},
	};
	void (*usage)(FILE *) = validate_only ? validate_usage : run_usage;
	bool have_limits = false;
	int c;
	optind = 1;
	opterr = 0; /* our own messages, in the "hvsim: ..." shape */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 'd': o->db = optarg; break;
		case 's':
			o->seed = g_ascii_strtoull(optarg, &end, 10), o->have_seed = true;
			if (!*optarg || *end) {
				fprintf(stderr, "hvsim: --seed expects a non-negative integer, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'r':
			o->replications = (uint32_t)g_ascii_strtoull(optarg, &end, 10), o->have_reps = true;
			if (!*optarg || *end || o->replications < 1 || o->replications > 10000) {
				fprintf(stderr, "hvsim: --replications expects 1..10000, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 'S': g_ptr_array_add(o->sets, optarg); break;
		case 'n': o->no_baseline = true; break;
		case 'p': o->point = optarg; break;
		case 't': o->trace = optarg; break;
		case 'w': o->trace_window = optarg; break;
		case 'M': o->trace_max = optarg; break;
		case 'E':
		case 'W':
			if (!group_parse_limit(c == 'E' ? "--max-events" : "--max-wall", optarg, &o->limits))
				return 2;
			have_limits = true;
			break;
		case 'q': o->quiet = true; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "hvsim: %s: unknown option or missing value: %s\n", argv[0], argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 ||
	    (validate_only && (o->db || o->have_seed || o->have_reps || o->json || o->point || o->trace || o->trace_window || o->trace_max ||
			       have_limits))) {
		usage(stderr);
		return 2;
	}
	*file = argv[optind];
	/* the options are overrides too: the stored configuration says what ran */
	if (o->have_seed)
		g_ptr_array_add(o->owned, g_strdup_printf("/run/seed=%" G_GUINT64_FORMAT, o->seed));
	if (o->have_reps)
		g_ptr_array_add(o->owned, g_strdup_printf("/run/replications=%u", o->replications));
	if (o->no_baseline)
		g_ptr_array_add(o->owned, g_strdup("/run/baseline=\"none\""));
	for (guint i = 0; i < o->owned->len; i++)
		g_ptr_array_add(o->sets, o->owned->pdata[i]);
	g_ptr_array_add(o->sets, NULL);
	return -1;
}

/* Options, then the scenario with its overrides; NULL with *rc the exit status when it ends here. */
static struct scenario *load(struct run_opts *o, const char *file, int *rc)
{
	GError *e = NULL;
	struct scenario *s = scenario_load(file, (const char *const *)o->sets->pdata, &e);
	if (!s)
		*rc = cli_fail(NULL, e);
	return s;
}

/* Whether the options change what runs (not allowed with a sweep: its points are what they are). */
static bool overrides(const struct run_opts *o)
{
	return o->sets->len > 1 || o->have_seed || o->have_reps || o->no_baseline;
}

static int validate_sweep(const char *file, const struct run_opts *o)
{
	if (overrides(o)) {
		fprintf(stderr, "hvsim: %s: a sweep takes no --set (put overrides in its \"set\")\n", file);
		return 2;
	}
	GError *e = NULL;
	struct sweep *sw = sweep_load(file, &e);
	if (!sw)
		return cli_fail(NULL, e);
	if (!sweep_check(sw, NULL, &e)) {
		sweep_free(sw);
		return cli_fail(NULL, e);
	}
	printf("%s: ok: sweep '%s' (id %s), %u points\n", file, sw->name, sw->id, sw->points->len);
	for (guint i = 0; i < sw->points->len; i++) {
		const struct sweep_point *p = sw->points->pdata[i];
		printf("  %4u  %s\n", p->index, p->name);
	}
	sweep_free(sw);
	return 0;
}

int cmd_validate(int argc, char **argv)
{
	struct run_opts o = {.sets = g_ptr_array_new(), .owned = g_ptr_array_new_with_free_func(g_free)};
	const char *file;
	int rc = parse(argc, argv, &o, true, &file);
	if (rc < 0 && sweep_is_sweep_file(file))
		rc = validate_sweep(file, &o);
	struct scenario *s = rc < 0 ? load(&o, file, &rc) : NULL;
	opts_free(&o);
	if (!s)
		return rc;
	GError *e = NULL;
	if (!runner_check(s, &e)) {
		scenario_free(s);
		return cli_fail(NULL, e);
	}
	uint32_t vcpus = 0;
	for (guint i = 0; i < s->vms->len; i++)
		vcpus += ((struct scn_vm *)s->vms->pdata[i])->part.vcpus;
	printf("%s: ok: %u VMs, %u vCPUs on %u LPs, %s hypervisor (%s), %s simulated\n", s->path, s->vms->len, vcpus,
	       s->host.sockets * s->host.nodes_per_socket * s->host.cores_per_node * s->host.threads_per_core, s->hv_kind,
	       s->hv.policy, param_string(cJSON_GetObjectItemCaseSensitive(s->resolved, "run"), "duration"));
	scenario_free(s);
	return 0;
}

/* A limit or a signal ended the group early: what was stored and how far it got; the exit status. */
static int report_stop(const struct group_outcome *g, const struct results *db, const char *group,
		       const struct results_sweep_point *point, const struct run_opts *o)
{
	double at = (double)g->reached / SIM_PS_PER_S, end = (double)g->end / SIM_PS_PER_S;
	if (g->stopped == RUN_STOP_SIGNAL) {
		int sig = runner_signal();
		if (point)
			fprintf(stderr, "hvsim: interrupted (%s): point %u (%s) not stored (a point is stored whole); "
					"`hvsim sweep --resume` runs it\n", sig == SIGINT ? "SIGINT" : "SIGTERM", point->point,
				point->name);
		else
			fprintf(stderr, "hvsim: interrupted (%s): %u of %u runs stored, group %s in %s; the interrupted run "
					"(%s) was not stored\n", sig == SIGINT ? "SIGINT" : "SIGTERM", g->stored, g->total, group,
				results_path(db), g->which);
		return 128 + (sig ? sig : SIGINT);
	}
	char limit[64];
	if (g->stopped == RUN_STOP_MAX_EVENTS)
		g_snprintf(limit, sizeof limit, "--max-events %" G_GUINT64_FORMAT, o->limits.max_events);
	else if (g->stopped == RUN_STOP_MAX_WALL)
		g_snprintf(limit, sizeof limit, "--max-wall %gs", o->limits.max_wall_s);
	else
		g_snprintf(limit, sizeof limit, "the cap of %" G_GUINT64_FORMAT " events in flight", RUN_MAX_EVENTS_IN_FLIGHT);
	fprintf(stderr, "hvsim: run %s stopped by %s after %" G_GUINT64_FORMAT " events, at simulated %.6g s of %.6g s; ",
		g->which, limit, g->events, at, end);
	if (point)
		fprintf(stderr, "point %u (%s) not stored (a point is stored whole)\n", point->point, point->name);
	else
		fprintf(stderr, "stored with status '%s' (hvsim compare counts only 'ok' runs): %u of %u runs stored, "
				"group %s in %s\n", run_stop_status(g->stopped), g->stored, g->total, group, results_path(db));
	return 1;
}

/* Runs the group, prints its comparison; the exit status. */
static int run_and_print(const struct scenario *s, struct results *db, const char *group,
			 const struct results_sweep_point *point, const struct run_opts *o)
{
	GError *e = NULL;
	struct bar bar = {.start = mono(), .last_pct = -1};
	bool show = !o->quiet && isatty(STDERR_FILENO);
	struct group_watch watch = {.stage = stage, .progress = show ? draw : NULL, .arg = &bar};
	struct group_outcome g;
	runner_signals_install(true);
	bool ok = group_run(s, db, group, point, &o->limits, &watch, &g, &e);
	if (show)
		bar_end(&bar);
	if (!ok)
		return cli_fail(NULL, e);
	if (g.stopped)
		return report_stop(&g, db, group, point, o);
	if (g.already)
		fprintf(stderr, "hvsim: point %u (%s) was already in %s: nothing written\n", point->point, point->name,
			results_path(db));
	GPtrArray *rows = results_compare(db, group, &e);
	if (!rows)
		return cli_fail(NULL, e);
	if (!o->json)
		printf("%s: group %s, %u replication%s%s (hvsim compare --db %s %s)\n", s->name, group, s->replications,
		       s->replications == 1 ? "" : "s", s->baseline ? ", virtual vs bare metal" : "", results_path(db),
		       group);
	results_compare_summary(rows);
	results_compare_print(rows, stdout, o->json);
	g_ptr_array_free(rows, TRUE);
	if (!o->json && !results_compare_highlights_print(db, group, stdout, &e))
		return cli_fail(NULL, e);
	return 0;
}

/* --trace-window START:END in the scenario's time syntax; false (message printed) when malformed. */
static bool parse_window(const char *text, sim_time_t *start, sim_time_t *end)
{
	g_auto(GStrv) parts = g_strsplit(text, ":", -1);
	GError *e = NULL;
	if (g_strv_length(parts) != 2) {
		fprintf(stderr, "hvsim: --trace-window expects START:END (e.g. 1s:1.2s), got '%s'\n", text);
		return false;
	}
	if (!sim_time_parse(parts[0], start, &e) || !sim_time_parse(parts[1], end, &e)) {
		fprintf(stderr, "hvsim: --trace-window '%s': %s\n", text, e->message);
		g_error_free(e);
		return false;
	}
	if (*start >= *end) {
		fprintf(stderr, "hvsim: --trace-window '%s': the start must be before the end\n", text);
		return false;
	}
	return true;
}

/* A size in bytes as the scenario writes one ("512MiB", 1048576); false (message printed) when malformed. */
static bool parse_size(const char *option, const char *text, uint64_t *out)
{
	char *end = NULL;
	guint64 n = g_ascii_strtoull(text, &end, 10);
	cJSON *v = end != text && !*end ? cJSON_CreateNumber((double)n) : cJSON_CreateString(text);
	bool ok = param_parse_bytes(v, out);
	cJSON_Delete(v);
	if (!ok)
		fprintf(stderr, "hvsim: %s expects a size (512MiB, 2GiB, bytes; 0: none), got '%s'\n", option, text);
	return ok;
}

/* The trace's size cap cut it: says where (the run itself is not affected). */
static void trace_note(const struct trace_json *w, const struct run_opts *o)
{
	sim_time_t at;
	if (w && trace_json_truncated(w, &at))
		fprintf(stderr, "hvsim: the trace %s reached its size cap (--trace-max %s) at simulated %.6g s and ends "
				"there; --trace-window START:END picks a span\n", o->trace, o->trace_max ? o->trace_max : "2GiB",
			(double)at / SIM_PS_PER_S);
}

/* Creates the trace file of --trace (NULL without it); *rc = 2 when the options or the file are bad. */
static struct trace_json *trace_open(const struct run_opts *o, int *rc)
{
	sim_time_t start = 0, end = SIM_TIME_MAX;
	if ((o->trace_window || o->trace_max) && !o->trace) {
		fprintf(stderr, "hvsim: %s needs --trace FILE.json\n", o->trace_window ? "--trace-window" : "--trace-max");
		*rc = 2;
		return NULL;
	}
	if (!o->trace)
		return NULL;
	uint64_t max = TRACE_JSON_MAX_BYTES_DEFAULT;
	if ((o->trace_window && !parse_window(o->trace_window, &start, &end)) ||
	    (o->trace_max && !parse_size("--trace-max", o->trace_max, &max))) {
		*rc = 2;
		return NULL;
	}
	GError *e = NULL;
	struct trace_json *w = trace_json_open(o->trace, start, end, &e);
	if (w)
		trace_json_set_max_bytes(w, max);
	if (!w) {
		fprintf(stderr, "hvsim: %s\n", e->message);
		g_error_free(e);
		*rc = 2;
	}
	return w;
}

/* hvsim run SWEEP.json --point NAME: one point, recorded as the sweep's (as a sweep worker would). */
static int run_point(const char *file, const struct run_opts *o)
{
	if (o->trace || o->trace_window) {
		fprintf(stderr, "hvsim: --trace applies to a scenario, not to a sweep's point\n");
		return 2;
	}
	if (!o->point || overrides(o)) {
		fprintf(stderr, "hvsim: %s is a sweep: run it with `hvsim sweep`, or one point with --point NAME|INDEX "
				"(and no --set, --seed, --replications or --no-baseline)\n", file);
		return 2;
	}
	GError *e = NULL;
	struct sweep *sw = sweep_load(file, &e);
	if (!sw)
		return cli_fail(NULL, e);
	const struct sweep_point *p = sweep_find_point(sw, o->point);
	int rc = 0;
	struct scenario *s = NULL;
	struct results *db = NULL;
	if (!p) {
		fprintf(stderr, "hvsim: %s: no point '%s' (hvsim validate %s lists them)\n", file, o->point, file);
		rc = 2;
	} else if (!(s = sweep_point_scenario(sw, p->index, &e)) ||
		   !(db = results_open(o->db ? o->db : "hvsim.db", true, &e)) || !sweep_register(sw, db, &e)) {
		rc = cli_fail(NULL, e);
	} else {
		struct results_sweep_point row = {.sweep_id = sw->id, .point = p->index, .name = p->name,
						  .group_id = p->group_id, .params_json = p->params_json};
		rc = run_and_print(s, db, p->group_id, &row, o);
	}
	results_close(db);
	scenario_free(s);
	sweep_free(sw);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {.sets = g_ptr_array_new(), .owned = g_ptr_array_new_with_free_func(g_free)};
	const char *file;
	int rc = parse(argc, argv, &o, false, &file);
	if (rc < 0 && sweep_is_sweep_file(file))
		rc = run_point(file, &o);
	else if (rc < 0 && o.point) {
		fprintf(stderr, "hvsim: --point selects a point of a sweep file; %s is a scenario\n", file);
		rc = 2;
	}
	struct scenario *s = rc < 0 ? load(&o, file, &rc) : NULL;
	struct trace_json *trace = s ? trace_open(&o, &rc) : NULL;
	if (s && rc < 0) {
		GError *e = NULL;
		struct results *db = results_open(o.db ? o.db : "hvsim.db", true, &e);
		char *group = g_uuid_string_random();
		runner_trace_next(trace);
		rc = db ? run_and_print(s, db, group, NULL, &o) : cli_fail(NULL, e);
		runner_trace_next(NULL);
		g_free(group);
		results_close(db);
	}
	trace_note(trace, &o);
	trace_json_free(trace); /* a run that failed midway still leaves a closed array */
	scenario_free(s);
	opts_free(&o);
	return rc;
}
