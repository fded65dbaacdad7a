/* SPDX-License-Identifier: MIT */
/*
 * cmd_sweep.c - `hvsim sweep SWEEP.json`: every point of a sweep, in -j worker processes, into one
 *       results database; or the files that run it elsewhere (a Slurm job array, a GNU parallel
 *       job list).
 * Workers: one forked process per point, at most -j at once; each opens the database, runs the
 *       point's group and stores it in one transaction with its sweep_points row (cli/group.h), so
 *       a point is complete or absent whatever happens to the processes. A worker dies with its
 *       parent (PR_SET_PDEATHSIG). Results do not depend on -j: a point's rows depend on its
 *       scenario only.
 * Resume: --resume runs the points without a sweep_points row; a point two processes race for is
 *       stored once (the second finds the row inside its transaction and writes nothing).
 * Signals: SIGINT/SIGTERM stop launching, pass SIGTERM to running workers, wait for them and exit
 *       130/143; what was complete stays, and --resume finishes the rest. A worker stops its
 *       simulation at the next event boundary (runner_signals_install) and stores nothing of its
 *       point, unless the signal came while the point was being written (then it is complete).
 * Limits: --max-events / --max-wall apply to every run of every point; a point with a run stopped
 *       by one is not stored (the worker fails with a message), and --resume runs it again.
 */
#include <errno.h>
#include <glib/gstdio.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "cli/cli_error.h"
#include "cli/commands.h"
#include "cli/group.h"
#include "cli/sweep.h"

struct sweep_opts {
	const char *db, *points, *emit_slurm, *emit_jobs;
	const char *max_events, *max_wall; /* as given (passed on to emitted commands) */
	struct run_limits limits;     /* each point's runs (--max-events, --max-wall) */
	int jobs;                     /* 0: the number of processors */
	uint32_t chunk;
	bool resume, quiet, have_jobs;
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hvsim sweep SWEEP.json [--db FILE] [-j N] [--resume] [--points LIST] [--quiet]\n"
		"                  [--max-events N] [--max-wall DURATION]\n"
		"       hvsim sweep SWEEP.json --emit-slurm DIR [--chunk N] [-j N]\n"
		"       hvsim sweep SWEEP.json --emit-jobs FILE [--points LIST]\n"
		"Runs every point of a sweep (docs/sweeps.md) in N worker processes (default: one per\n"
		"processor) into the results database (default hvsim.db), one group per point, and prints\n"
		"each point's ops/s against bare metal. Results do not depend on N.\n"
		"  --resume        run only the points the database lacks (after Ctrl-C, a kill, a crash)\n"
		"  --points LIST   only these points: 0-based indexes and ranges, \"0-9,12,20-\"\n"
		"  --emit-slurm DIR  write DIR/sweep.sbatch, a Slurm job array (--chunk N points per array\n"
		"                  task, default 1; -j N CPUs per task), each task into its own shard\n"
		"                  DIR/shards/task-K.db; then `hvsim merge OUT.db DIR/shards/*.db`\n"
		"  --emit-jobs FILE  write one `hvsim run SWEEP --point K` command per line for GNU\n"
		"                  parallel (`parallel -j N < FILE`), shards next to FILE in shards/\n"
		"  --max-events N, --max-wall DURATION  stop any one run of a point past N events or that\n"
		"                  long (90s, 10m, 2h); the point is not stored and counts as failed (exit\n"
		"                  1); --resume runs it again. Passed on by --emit-slurm and --emit-jobs.\n");
}

static int parse(int argc, char **argv, struct sweep_opts *o, const char **file)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},         {"jobs", required_argument, 0, 'j'},
		{"resume", no_argument, 0, 'r'},           {"points", required_argument, 0, 'p'},
		{"emit-slurm", required_argument, 0, 'S'}, {"emit-jobs", required_argument, 0, 'J'},
		{"chunk", required_argument, 0, 'c'},      {"quiet", no_argument, 0, 'q'},
		{"help", no_argument, 0, 'h'},             {"max-events", required_argument, 0, 'E'},
		{"max-wall", required_argument, 0, 'W'},   {0, 0, 0, 0},
	};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "j:", opts, NULL)) != -1) {
		char *end = NULL;
		guint64 v;
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'j':
		case 'c':
			v = g_ascii_strtoull(optarg, &end, 10);
			if (!*optarg || *end || v < 1 || v > 4096) {
				fprintf(stderr, "hvsim: %s expects 1..4096, got '%s'\n", c == 'j' ? "-j" : "--chunk", optarg);
				return 2;
			}
			if (c == 'j')
				o->jobs = (int)v, o->have_jobs = true;
			else
				o->chunk = (uint32_t)v;
			break;
		case 'r': o->resume = true; break;
		case 'p': o->points = optarg; break;
		case 'S': o->emit_slurm = optarg; break;
		case 'J': o->emit_jobs = optarg; break;
		case 'q': o->quiet = true; break;
		case 'E':
		case 'W':
			if (!group_parse_limit(c == 'E' ? "--max-events" : "--max-wall", optarg, &o->limits))
				return 2;
			*(c == 'E' ? &o->max_events : &o->max_wall) = optarg;
			break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "hvsim: sweep: unknown option or missing value: %s\n", argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	bool emit = o->emit_slurm || o->emit_jobs;
	if (optind != argc - 1 || (o->emit_slurm && o->emit_jobs) || (emit && (o->db || o->resume)) ||
	    (o->emit_slurm && o->points) || (o->chunk && !o->emit_slurm)) {
		usage(stderr);
		return 2;
	}
	*file = argv[optind];
	return -1;
}

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *duration(double s)
{
	if (s < 60)
		return g_strdup_printf("%.0fs", s);
	if (s < 3600)
		return g_strdup_printf("%dm%02ds", (int)s / 60, (int)s % 60);
	return g_strdup_printf("%dh%02dm", (int)s / 3600, (int)s % 3600 / 60);
}

/* ---- emitting files for other engines ---- */

/* " --max-events N --max-wall D" as given, shell-quoted, for the emitted commands ("" without). */
static char *limit_args(const struct sweep_opts *o)
{
	GString *a = g_string_new(NULL);
	const char *names[] = {"--max-events", "--max-wall"}, *values[] = {o->max_events, o->max_wall};
	for (int i = 0; i < 2; i++) {
		if (!values[i])
			continue;
		char *q = g_shell_quote(values[i]);
		g_string_append_printf(a, " %s %s", names[i], q);
		g_free(q);
	}
	return g_string_free(a, FALSE);
}

static char *self_path(void)
{
	char *exe = g_file_read_link("/proc/self/exe", NULL);
	return exe ? exe : g_strdup("hvsim");
}

static bool write_file(const char *path, const char *text, bool executable)
{
	GError *e = NULL;
	if (!g_file_set_contents(path, text, -1, &e)) {
		fprintf(stderr, "hvsim: %s\n", e->message);
		g_error_free(e);
		return false;
	}
	if (executable)
		g_chmod(path, 0755);
	return true;
}

static bool make_dir(const char *dir)
{
	if (g_mkdir_with_parents(dir, 0755) == 0)
		return true;
	fprintf(stderr, "hvsim: cannot create %s: %s\n", dir, g_strerror(errno));
	return false;
}

/* A job name Slurm shows: the sweep's name with anything but [A-Za-z0-9_.-] as '-'. */
static char *job_name(const char *name)
{
	char *s = g_strdup_printf("hvsim-%s", name);
	for (char *c = s; *c; c++)
		if (!g_ascii_isalnum(*c) && !strchr("_.-", *c))
			*c = '-';
	return s;
}

static int emit_slurm(const struct sweep *sw, const struct sweep_opts *o)
{
	char *dir = g_canonicalize_filename(o->emit_slurm, NULL), *shards = g_build_filename(dir, "shards", NULL),
	     *logs = g_build_filename(dir, "logs", NULL), *script = g_build_filename(dir, "sweep.sbatch", NULL);
	char *exe = self_path(), *qexe = g_shell_quote(exe), *abs = g_canonicalize_filename(sw->path, NULL),
	     *qsweep = g_shell_quote(abs), *qshards = g_shell_quote(shards), *name = job_name(sw->name);
	uint32_t n = sw->points->len, chunk = o->chunk ? o->chunk : 1, tasks = (n + chunk - 1) / chunk;
	int cpus = o->have_jobs ? o->jobs : 1, rc = 2;
	char *limits = limit_args(o);
	char *text = g_strdup_printf(
		"#!/bin/bash\n"
		"# Generated by `hvsim sweep --emit-slurm`: sweep '%s' (id %s), %u points, %u per array task.\n"
		"# Submit:  sbatch --wait %s\n"
		"#          (SBATCH_PARTITION, SBATCH_ACCOUNT, SBATCH_TIMELIMIT ... in the environment apply)\n"
		"# Then:    %s merge OUT.db %s/task-*.db\n"
		"# A task resubmitted or rerun resumes: its shard keeps the points it completed.\n"
		"#SBATCH --job-name=%s\n"
		"#SBATCH --array=0-%u\n"
		"#SBATCH --cpus-per-task=%d\n"
		"#SBATCH --output=%s/%%A_%%a.out\n"
		"set -euo pipefail\n"
		"first=$(( SLURM_ARRAY_TASK_ID * %u ))\n"
		"last=$(( first + %u ))\n"
		"[ \"$last\" -lt %u ] || last=%u\n"
		"exec %s sweep %s --points \"$first-$last\" --db %s/task-\"$SLURM_ARRAY_TASK_ID\".db \\\n"
		"     -j \"${SLURM_CPUS_PER_TASK:-%d}\" --resume --quiet%s\n",
		sw->name, sw->id, n, chunk, script, exe, shards, name, tasks - 1, cpus, logs, chunk, chunk - 1, n, n - 1,
		qexe, qsweep, qshards, cpus, limits);
	if (make_dir(shards) && make_dir(logs) && write_file(script, text, true)) {
		printf("%s: sweep '%s', %u points in %u array tasks of %u\n"
		       "  sbatch --wait %s\n  %s merge OUT.db %s/task-*.db\n",
		       script, sw->name, n, tasks, chunk, script, exe, shards);
		rc = 0;
	}
	g_free(text), g_free(dir), g_free(shards), g_free(logs), g_free(script), g_free(exe), g_free(qexe);
	g_free(abs), g_free(qsweep), g_free(qshards), g_free(name), g_free(limits);
	return rc;
}

static int emit_jobs(const struct sweep *sw, const struct sweep_opts *o, const bool *sel)
{
	char *file = g_canonicalize_filename(o->emit_jobs, NULL), *dir = g_path_get_dirname(file);
	char *shards = g_build_filename(dir, "shards", NULL), *exe = self_path(), *qexe = g_shell_quote(exe);
	char *abs = g_canonicalize_filename(sw->path, NULL), *qsweep = g_shell_quote(abs);
	GString *text = g_string_new(NULL);
	char *limits = limit_args(o);
	uint32_t count = 0;
	int rc = 2;
	for (guint i = 0; i < sw->points->len; i++) {
		if (!sel[i])
			continue;
		char *db = g_strdup_printf("%s/point-%u.db", shards, i), *qdb = g_shell_quote(db);
		g_string_append_printf(text, "%s run %s --point %u --db %s --quiet%s\n", qexe, qsweep, i, qdb, limits);
		g_free(db), g_free(qdb);
		count++;
	}
	if (make_dir(shards) && write_file(file, text->str, false)) {
		printf("%s: sweep '%s', %u commands\n  parallel -j N < %s\n  %s merge OUT.db %s/point-*.db\n", file,
		       sw->name, count, file, exe, shards);
		rc = 0;
	}
	g_string_free(text, TRUE);
	g_free(limits);
	g_free(file), g_free(dir), g_free(shards), g_free(exe), g_free(qexe), g_free(abs), g_free(qsweep);
	return rc;
}

/* ---- workers ---- */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* A run of the point stopped (a limit, a signal): says so; the worker's exit status. */
static int worker_stopped(const struct sweep_point *p, const struct group_outcome *g)
{
	if (g->stopped == RUN_STOP_SIGNAL)
		return 128 + runner_signal();
	fprintf(stderr, "hvsim: point %u (%s): run %s %s after %" G_GUINT64_FORMAT " events, at simulated %.6g s of "
			"%.6g s; the point is not stored\n", p->index, p->name, g->which, run_stop_status(g->stopped),
		g->events, (double)g->reached / SIM_PS_PER_S, (double)g->end / SIM_PS_PER_S);
	return 1;
}

/*
 * The body of a worker process: runs point i into the database; its exit status. SIGTERM (the
 * parent passes it on) or SIGINT stops the running simulation at an event boundary; the point is
 * then not stored (128 + the signal). A signal that arrives while the point is being written lets
 * the transaction finish: the point is complete.
 */
static int worker(const struct sweep *sw, uint32_t i, const char *db_path, const struct run_limits *limits)
{
	const struct sweep_point *p = sw->points->pdata[i];
	struct results_sweep_point row = {.sweep_id = sw->id, .point = p->index, .name = p->name,
					  .group_id = p->group_id, .params_json = p->params_json};
	GError *e = NULL;
	struct results *db = NULL;
	struct group_outcome g = {0};
	struct scenario *s = sweep_point_scenario(sw, i, &e);
	bool ok = s && (db = results_open(db_path, false, &e)) &&
		  group_run(s, db, p->group_id, &row, limits, NULL, &g, &e);
	int rc = 0;
	if (!ok) {
		fprintf(stderr, "hvsim: point %u (%s): %s\n", p->index, p->name, e->message);
		rc = cli_error_status(e);
		g_error_free(e);
	} else if (g.stopped) {
		rc = worker_stopped(p, &g);
	}
	results_close(db);
	scenario_free(s);
	return rc;
}

static pid_t spawn(const struct sweep *sw, uint32_t i, const char *db_path, const struct run_limits *limits)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	runner_signals_install(false); /* the parent's SIGTERM may follow a Ctrl-C: both just stop the run */
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(1);
#endif
	int rc = worker(sw, i, db_path, limits);
	fflush(NULL);
	_exit(rc);
}

struct pool {
	const struct sweep *sw;
	const char *db;
	const struct run_limits *limits;
	const bool *sel;              /* the points selected (held here too: a worker ends with _exit, and
					 valgrind counts what no live pointer reaches as lost) */
	pid_t *pids;                  /* by point; 0 when not running */
	uint32_t *todo, ntodo, next, running, done, failed;
	int *status;                  /* by point: -1 not run, else the worker's exit status */
	double start;
	bool tty, quiet;
};

static void progress(const struct pool *p, bool final)
{
	if (p->quiet || !p->tty)
		return;
	double el = mono() - p->start;
	char *e = duration(el), *eta = p->done ? duration(el / p->done * (p->ntodo - p->done)) : g_strdup("--");
	fprintf(stderr, "\r\033[Ksweep %s: %u/%u points, %u running, %u failed, elapsed %s, ETA %s%s", p->sw->name,
		p->done, p->ntodo, p->running, p->failed, e, eta, final ? "\n" : "");
	g_free(e), g_free(eta);
}

/* A worker ended: note it, and say so when stderr is a log rather than a terminal. */
static void reap(struct pool *p, pid_t pid, int wstatus)
{
	uint32_t i = 0;
	while (i < p->sw->points->len && p->pids[i] != pid)
		i++;
	if (i == p->sw->points->len)
		return;
	p->pids[i] = 0;
	p->running--;
	p->done++;
	p->status[i] = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	p->failed += p->status[i] != 0;
	if (!p->quiet && !p->tty) {
		const struct sweep_point *pt = p->sw->points->pdata[i];
		char *e = duration(mono() - p->start);
		fprintf(stderr, "hvsim sweep: [%u/%u] point %u (%s) %s, elapsed %s\n", p->done, p->ntodo, i, pt->name,
			p->status[i] == 0 ? "done" : "FAILED", e);
		g_free(e);
	}
}

/* Runs the pool until every point ran or a signal stopped it. */
static void run_pool(struct pool *p, int jobs)
{
	bool forwarded = false;
	while ((p->next < p->ntodo && !stop_signal) || p->running) {
		while (!stop_signal && p->next < p->ntodo && p->running < (uint32_t)jobs) {
			uint32_t i = p->todo[p->next++];
			pid_t pid = spawn(p->sw, i, p->db, p->limits);
			if (pid < 0) {
				fprintf(stderr, "hvsim: cannot start a worker: %s\n", g_strerror(errno));
				p->status[i] = 1, p->done++, p->failed++;
				continue;
			}
			p->pids[i] = pid;
			p->running++;
		}
		int ws;
		pid_t pid = waitpid(-1, &ws, WNOHANG);
		if (pid > 0) {
			reap(p, pid, ws);
		} else {
			progress(p, false);
			g_usleep(100000);
		}
		if (stop_signal && !forwarded) /* Ctrl-C reached the workers already; a kill did not */
			for (guint i = 0; i < p->sw->points->len; i++)
				if (p->pids[i] > 0)
					kill(p->pids[i], SIGTERM);
		forwarded = stop_signal != 0;
	}
	progress(p, true);
}

/* ---- the summary ---- */

static void print_row(const struct sweep_point *pt, const char *scope, double v, double b, double ratio)
{
	printf("%6u  %-32s  %-16s  %14.6g  %14.6g  %7.3f\n", pt->index, pt->name, scope, v, b, ratio);
}

/* Per point and VM: ops/s virtual, bare metal, and their ratio (what `hvsim compare GROUP` details). */
static void summary(const struct sweep *sw, struct results *db, const int *status)
{
	printf("%6s  %-32s  %-16s  %14s  %14s  %7s\n", "point", "name", "scope", "ops/s virtual", "ops/s bare",
	       "ratio");
	for (guint i = 0; i < sw->points->len; i++) {
		const struct sweep_point *pt = sw->points->pdata[i];
		GError *e = NULL;
		GPtrArray *rows = status[i] == 0 ? results_compare(db, pt->group_id, &e) : NULL;
		if (!rows) {
			if (e)
				g_error_free(e);
			continue;
		}
		for (guint r = 0; r < rows->len; r++) {
			const struct results_row *row = rows->pdata[r];
			if (g_str_has_prefix(row->scope, "vm:") && !strchr(row->scope + 3, '/') &&
			    !strcmp(row->name, "ops_per_s"))
				print_row(pt, row->scope, row->virt.mean, row->bare.mean, row->ratio);
		}
		g_ptr_array_free(rows, TRUE);
	}
}

/* ---- the command ---- */

/* Says so when a sweep of this name but another definition is in the database (informational). */
static void note_changed(const struct sweep *sw, struct results *db)
{
	GError *e = NULL;
	char *other = results_sweep_by_name(db, sw->name, &e);
	if (other)
		fprintf(stderr, "hvsim: sweep '%s' changed since its earlier run (id %s, now %s): this one starts "
				"anew; the earlier results stay\n", sw->name, other, sw->id);
	g_clear_error(&e);
	g_free(other);
}

/* Opens the database, records the sweep, and marks the points it already holds; the exit status or -1. */
static int prepare(const struct sweep *sw, const struct sweep_opts *o, bool *done)
{
	GError *e = NULL;
	struct results *db = results_open(o->db, true, &e);
	bool found = false;
	uint32_t have = 0;
	int rc = -1;
	if (db && results_sweep_find(db, sw->id, &found, &have, &e)) {
		if (found && !o->resume) {
			fprintf(stderr, "hvsim: sweep '%s' (id %s) is already in %s with %u of %u points; --resume runs "
					"the missing ones (or use another --db)\n", sw->name, sw->id, o->db, have,
				sw->points->len);
			rc = 2;
		} else if (!found && o->resume && !o->quiet) {
			note_changed(sw, db);
		}
		if (rc < 0 && sweep_register(sw, db, &e))
			results_sweep_done(db, sw->id, done, sw->points->len, &e);
	}
	if (e)
		rc = cli_fail(NULL, e);
	results_close(db);
	return rc;
}

static int run_sweep(const struct sweep *sw, const struct sweep_opts *o, const bool *sel)
{
	uint32_t n = sw->points->len;
	bool *done = g_new0(bool, n);
	int rc = prepare(sw, o, done);
	struct pool p = {.sw = sw, .db = o->db, .limits = &o->limits, .sel = sel, .pids = g_new0(pid_t, n), .todo = g_new(uint32_t, n),
			 .status = g_new(int, n), .start = mono(), .tty = isatty(STDERR_FILENO), .quiet = o->quiet};
	uint32_t skipped = 0;
	for (uint32_t i = 0; i < n; i++) {
		p.status[i] = -1;
		if (sel[i] && !done[i])
			p.todo[p.ntodo++] = i;
		else if (sel[i])
			p.status[i] = 0, skipped++;
	}
	int jobs = o->have_jobs ? o->jobs : (int)g_get_num_processors();
	if (rc < 0) {
		char already[48] = "";
		if (skipped)
			g_snprintf(already, sizeof already, " (%u already done)", skipped);
		if (!o->quiet)
			fprintf(stderr, "hvsim sweep: '%s' (id %s): %u points to run%s, %d worker%s, into %s\n", sw->name,
				sw->id, p.ntodo, already, jobs, jobs == 1 ? "" : "s", o->db);
		struct sigaction sa = {.sa_handler = on_signal}, oldint, oldterm;
		sigaction(SIGINT, &sa, &oldint);
		sigaction(SIGTERM, &sa, &oldterm);
		run_pool(&p, jobs);
		sigaction(SIGINT, &oldint, NULL);
		sigaction(SIGTERM, &oldterm, NULL);
		rc = stop_signal ? 128 + stop_signal : p.failed ? 1 : 0;
		if (stop_signal)
			fprintf(stderr, "hvsim: sweep '%s' interrupted: %u of %u points ran; `hvsim sweep %s --resume` "
					"runs the rest\n", sw->name, p.done - p.failed, p.ntodo, sw->path);
		else if (p.failed)
			fprintf(stderr, "hvsim: sweep '%s': %u of %u points failed (messages above)\n", sw->name, p.failed,
				p.ntodo);
	}
	if (rc <= 1 && !o->quiet) {
		GError *e = NULL;
		struct results *db = results_open(o->db, false, &e);
		if (db) {
			printf("sweep %s (id %s): %u points in %s\n", sw->name, sw->id, n, o->db);
			summary(sw, db, p.status);
		} else {
			g_error_free(e);
		}
		results_close(db);
	}
	g_free(done), g_free(p.pids), g_free(p.todo), g_free(p.status);
	return rc;
}

int cmd_sweep(int argc, char **argv)
{
	struct sweep_opts o = {0};
	const char *file;
	int rc = parse(argc, argv, &o, &file);
	if (rc >= 0)
		return rc;
	if (!o.db)
		o.db = "hvsim.db";
	GError *e = NULL;
	struct sweep *sw = sweep_load(file, &e);
	if (!sw)
		return cli_fail(NULL, e);
	bool *sel = g_new(bool, sw->points->len);
	if (o.points && !sweep_parse_selection(o.points, sw->points->len, sel, &e)) {
		fprintf(stderr, "hvsim: %s\n", e->message);
		g_error_free(e);
		rc = 2;
	} else {
		if (!o.points)
			memset(sel, 1, sw->points->len * sizeof *sel);
		if (!sweep_check(sw, sel, &e)) /* the points this command runs or emits build: refused before anything */
			rc = cli_fail(NULL, e);
		else
			rc = o.emit_slurm ? emit_slurm(sw, &o) : o.emit_jobs ? emit_jobs(sw, &o, sel) : run_sweep(sw, &o, sel);
	}
	g_free(sel);
	sweep_free(sw);
	return rc;
}
