/* SPDX-License-Identifier: MIT */
/*
 * cmd_run.c - `hvsim run SCENARIO.json` and `hvsim validate SCENARIO.json`.
 * run: loads the scenario (with --set overrides), opens the results database first (nothing runs
 *      when it cannot be written), runs every replication and its bare-metal twin, stores each
 *      run in one transaction, and prints the comparison of the group (the same numbers
 *      `hvsim compare` prints). Progress goes to stderr when it is a terminal.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/runner.h"
#include "sim/rng.h"
#include "workloads/param.h"

struct run_opts {
	const char *db;
	GPtrArray *sets;              /* char *, NULL-terminated for scenario_load */
	GPtrArray *owned;             /* the sets made from options (freed with it) */
	bool quiet, json, no_baseline, have_seed, have_reps;
	uint64_t seed;
	uint32_t replications;
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
		     "Runs the scenario (and, unless run.baseline is \"none\" or --no-baseline, its bare-metal\n"
		     "twin), stores every run in the results database (default hvsim.db) and prints virtual\n"
		     "vs bare metal per VM. See docs/scenario-reference.md for the keys.\n");
}

static void validate_usage(FILE *out)
{
	fprintf(out, "usage: hvsim validate SCENARIO.json [--set /json/pointer=VALUE]...\n"
		     "Checks a scenario (keys, types, ranges, references) and runs nothing.\n");
}

/* ---- progress on a terminal ---- */

struct bar {
	double start;
	int last_pct;
	const char *label;
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

/* ---- one run into the database ---- */

static bool store(struct results *db, const struct scenario *s, const char *group, const char *mode, uint64_t seed,
		  uint32_t rep, const char *started, const struct run_output *o, GError **error)
{
	struct results_run run = {
		.group_id = group, .scenario = s->name, .mode = mode, .seed = seed, .replication = rep,
		.config_json = s->config_json, .config_hash = s->config_hash, .hvsim_version = HVSIM_VERSION,
		.started_at = started, .wall_seconds = o->wall_seconds, .sim_seconds = (double)o->sim_time / SIM_PS_PER_S,
		.events = o->events, .status = "ok",
	};
	struct results_rows rows = {
		.metrics = (const struct results_metric *)(const void *)o->metrics->data, .nmetrics = o->metrics->len,
		.hists = (const struct results_hist *)(const void *)o->hists->data, .nhists = o->hists->len,
		.points = (const struct results_point *)(const void *)o->points->data, .npoints = o->points->len,
	};
	int64_t id;
	return results_write(db, &run, &rows, &id, error);
}

static char *now_iso(void)
{
	GDateTime *t = g_date_time_new_now_utc();
	char *s = g_date_time_format_iso8601(t);
	g_date_time_unref(t);
	return s;
}

static int fail(GError *e)
{
	int code = e->domain == scenario_error_quark() ? e->code
		   : e->domain == results_error_quark() && e->code == RESULTS_ERROR_INPUT ? 2
											 : 1;
	fprintf(stderr, "hvsim: %s\n", e->message);
	g_error_free(e);
	return code;
}

static int parse(int argc, char **argv, struct run_opts *o, bool validate_only, const char **file)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},     {"seed", required_argument, 0, 's'},
		{"replications", required_argument, 0, 'r'}, {"set", required_argument, 0, 'S'},
		{"no-baseline", no_argument, 0, 'n'},  {"quiet", no_argument, 0, 'q'},
		{"json", no_argument, 0, 'j'},         {"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	void (*usage)(FILE *) = validate_only ? validate_usage : run_usage;
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
		case 'q': o->quiet = true; break;
		case 'j': o->json = true; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "hvsim: %s: unknown option or missing value: %s\n", argv[0], argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 || (validate_only && (o->db || o->have_seed || o->have_reps || o->json))) {
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
static struct scenario *load(int argc, char **argv, bool validate_only, struct run_opts *o, int *rc)
{
	*o = (struct run_opts){.sets = g_ptr_array_new(), .owned = g_ptr_array_new_with_free_func(g_free)};
	const char *file;
	*rc = parse(argc, argv, o, validate_only, &file);
	if (*rc >= 0) {
		opts_free(o);
		return NULL;
	}
	GError *e = NULL;
	struct scenario *s = scenario_load(file, (const char *const *)o->sets->pdata, &e);
	opts_free(o);
	if (!s)
		*rc = fail(e);
	return s;
}

int cmd_validate(int argc, char **argv)
{
	struct run_opts o;
	int rc;
	struct scenario *s = load(argc, argv, true, &o, &rc);
	if (!s)
		return rc;
	GError *e = NULL;
	if (!runner_check(s, &e)) {
		scenario_free(s);
		return fail(e);
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

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int rc;
	struct scenario *s = load(argc, argv, false, &o, &rc);
	if (!s)
		return rc;
	GError *e = NULL;
	uint64_t seed = s->seed;   /* the options reached the scenario as overrides */
	uint32_t reps = s->replications;
	bool twin = s->baseline;
	struct results *db = results_open(o.db ? o.db : "hvsim.db", true, &e);
	if (!db) {
		scenario_free(s);
		return fail(e);
	}
	char *group = g_uuid_string_random();
	struct bar bar = {.start = mono(), .last_pct = -1};
	bool show = !o.quiet && isatty(STDERR_FILENO);
	rc = 0;
	for (uint32_t r = 0; r < reps && rc == 0; r++) {
		uint64_t rseed = sim_seed_derive(seed, "replication", r);
		for (int m = 0; m < (twin ? 2 : 1) && rc == 0; m++) {
			const char *mode = m ? "bare_metal" : "virtual";
			char label[32];
			snprintf(label, sizeof label, "%s %u/%u", m ? "bare" : "virtual", r + 1, reps);
			bar.label = label;
			struct run_output out;
			run_output_init(&out);
			char *started = now_iso();
			bool ok = runner_run(s, m == 1, rseed, show ? draw : NULL, &bar, &out, &e) &&
				  store(db, s, group, mode, rseed, r, started, &out, &e);
			g_free(started);
			run_output_clear(&out);
			if (!ok)
				rc = fail(g_steal_pointer(&e));
		}
	}
	if (show)
		bar_end(&bar);
	if (rc == 0) {
		GPtrArray *rows = results_compare(db, group, &e);
		if (!rows) {
			rc = fail(e);
		} else {
			if (!o.json)
				printf("%s: group %s, %u replication%s%s (hvsim compare --db %s %s)\n", s->name, group, reps,
				       reps == 1 ? "" : "s", twin ? ", virtual vs bare metal" : "", o.db ? o.db : "hvsim.db",
				       group);
			results_compare_summary(rows);
			results_compare_print(rows, stdout, o.json);
			g_ptr_array_free(rows, TRUE);
		}
	}
	g_free(group);
	results_close(db);
	scenario_free(s);
	return rc;
}
