/* SPDX-License-Identifier: MIT */
/*
 * group.c - runs a group (all replications and twins of a scenario) and stores it; see group.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli/group.h"
#include "sim/rng.h"

static char *now_iso(void)
{
	GDateTime *t = g_date_time_new_now_utc();
	char *s = g_date_time_format_iso8601(t);
	g_date_time_unref(t);
	return s;
}

/* One finished run: its runs row and the rows results_write takes. */
struct done_run {
	struct run_output out;
	struct results_run row;
	struct results_rows rows;
	char *started;
};

static void fill_rows(struct done_run *d, const struct scenario *s, const char *group, const char *mode,
		      uint64_t seed, uint32_t rep)
{
	const struct run_output *o = &d->out;
	d->row = (struct results_run){
		.group_id = group, .scenario = s->name, .mode = mode, .seed = seed, .replication = rep,
		.config_json = s->config_json, .config_hash = s->config_hash, .hvsim_version = HVSIM_VERSION,
		.started_at = d->started, .wall_seconds = o->wall_seconds,
		.sim_seconds = (double)o->sim_time / SIM_PS_PER_S, .events = o->events, .status = run_stop_status(o->stopped),
	};
	d->rows = (struct results_rows){
		.metrics = (const struct results_metric *)(const void *)o->metrics->data, .nmetrics = o->metrics->len,
		.hists = (const struct results_hist *)(const void *)o->hists->data, .nhists = o->hists->len,
		.points = (const struct results_point *)(const void *)o->points->data, .npoints = o->points->len,
	};
}

static void done_clear(struct done_run *d)
{
	run_output_clear(&d->out);
	g_free(d->started);
}

/* Notes in *out which run stopped, and how far it got. */
static void note_stop(struct group_outcome *out, const struct scenario *s, const struct run_output *o, const char *label)
{
	out->stopped = o->stopped;
	g_strlcpy(out->which, label, sizeof out->which);
	out->events = o->events;
	out->reached = o->reached;
	out->end = s->warmup + s->duration;
}

bool group_run(const struct scenario *s, struct results *db, const char *group, const struct results_sweep_point *point,
	       const struct run_limits *limits, const struct group_watch *watch, struct group_outcome *out,
	       GError **error)
{
	uint32_t reps = s->replications, modes = s->baseline ? 2 : 1, n = reps * modes, k = 0;
	struct done_run *done = g_new0(struct done_run, point ? n : 1);
	bool ok = true;
	*out = (struct group_outcome){.total = n};
	for (uint32_t r = 0; r < reps && ok && !out->stopped; r++) {
		uint64_t seed = sim_seed_derive(s->seed, "replication", r);
		for (uint32_t m = 0; m < modes && ok && !out->stopped; m++) {
			struct done_run *d = &done[point ? k++ : 0];
			const char *mode = m ? "bare_metal" : "virtual";
			char label[48];
			g_snprintf(label, sizeof label, "%s %u/%u", m ? "bare" : "virtual", r + 1, reps);
			if (watch && watch->stage)
				watch->stage(watch->arg, label);
			run_output_init(&d->out);
			d->started = now_iso();
			if (runner_signal()) /* arrived between runs: this one does not start */
				d->out.stopped = RUN_STOP_SIGNAL;
			else
				ok = runner_run(s, m == 1, seed, limits, watch ? watch->progress : NULL,
						watch ? watch->arg : NULL, &d->out, error);
			if (ok && d->out.stopped)
				note_stop(out, s, &d->out, label);
			/* a point is stored whole or not at all; an interrupted run is never stored */
			if (!ok || (d->out.stopped && (point || d->out.stopped == RUN_STOP_SIGNAL))) {
				done_clear(d);
				k -= point ? 1 : 0;
				break;
			}
			fill_rows(d, s, group, mode, seed, r);
			if (!point) { /* stored now, kept no longer */
				ok = results_write(db, &d->row, &d->rows, NULL, error);
				out->stored += ok;
				out->stored_stopped = ok && d->out.stopped;
				done_clear(d);
			}
		}
	}
	if (ok && point && !out->stopped) {
		struct results_run *rows = g_new(struct results_run, n);
		struct results_rows *children = g_new(struct results_rows, n);
		for (uint32_t i = 0; i < n; i++)
			rows[i] = done[i].row, children[i] = done[i].rows;
		ok = results_write_group(db, rows, children, n, point, &out->already, error);
		out->stored = ok && !out->already ? n : 0;
		g_free(rows);
		g_free(children);
	}
	for (uint32_t i = 0; point && i < k; i++)
		done_clear(&done[i]);
	g_free(done);
	return ok;
}

bool group_parse_limit(const char *option, const char *value, struct run_limits *l)
{
	char *end = NULL;
	if (strcmp(option, "--max-events") == 0) {
		guint64 v = g_ascii_strtoull(value, &end, 10);
		if (!*value || *end || v == 0 || !g_ascii_isdigit(value[0])) {
			fprintf(stderr, "hvsim: --max-events expects a positive integer, got '%s'\n", value);
			return false;
		}
		l->max_events = v;
		return true;
	}
	static const struct {
		const char *suffix;
		double s;
	} units[] = {{"", 1}, {"ms", 1e-3}, {"s", 1}, {"m", 60}, {"h", 3600}};
	double v = g_ascii_strtod(value, &end);
	for (size_t i = 0; end != value && i < G_N_ELEMENTS(units); i++) {
		if (strcmp(end, units[i].suffix) == 0 && v > 0 && v * units[i].s <= 1e9) {
			l->max_wall_s = v * units[i].s;
			return true;
		}
	}
	fprintf(stderr, "hvsim: --max-wall expects a positive duration (90, 90s, 10m, 2h, 500ms), got '%s'\n", value);
	return false;
}
