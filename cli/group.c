/* SPDX-License-Identifier: MIT */
/*
 * group.c - runs a group (all replications and twins of a scenario) and stores it; see group.h.
 */
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
		.sim_seconds = (double)o->sim_time / SIM_PS_PER_S, .events = o->events, .status = RESULTS_STATUS_OK,
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

bool group_run(const struct scenario *s, struct results *db, const char *group, const struct results_sweep_point *point,
	       const struct group_watch *watch, bool *already, GError **error)
{
	uint32_t reps = s->replications, modes = s->baseline ? 2 : 1, n = reps * modes, k = 0;
	struct done_run *done = g_new0(struct done_run, point ? n : 1);
	bool ok = true;
	*already = false;
	for (uint32_t r = 0; r < reps && ok; r++) {
		uint64_t seed = sim_seed_derive(s->seed, "replication", r);
		for (uint32_t m = 0; m < modes && ok; m++) {
			struct done_run *d = &done[point ? k++ : 0];
			const char *mode = m ? "bare_metal" : "virtual";
			if (watch && watch->stage) {
				char label[48];
				g_snprintf(label, sizeof label, "%s %u/%u", m ? "bare" : "virtual", r + 1, reps);
				watch->stage(watch->arg, label);
			}
			run_output_init(&d->out);
			d->started = now_iso();
			ok = runner_run(s, m == 1, seed, watch ? watch->progress : NULL, watch ? watch->arg : NULL, &d->out,
					error);
			if (!ok) {
				done_clear(d);
				k -= point ? 1 : 0;
				break;
			}
			fill_rows(d, s, group, mode, seed, r);
			if (!point) { /* stored now, kept no longer */
				ok = results_write(db, &d->row, &d->rows, NULL, error);
				done_clear(d);
			}
		}
	}
	if (ok && point) {
		struct results_run *rows = g_new(struct results_run, n);
		struct results_rows *children = g_new(struct results_rows, n);
		for (uint32_t i = 0; i < n; i++)
			rows[i] = done[i].row, children[i] = done[i].rows;
		ok = results_write_group(db, rows, children, n, point, already, error);
		g_free(rows);
		g_free(children);
	}
	for (uint32_t i = 0; point && i < k; i++)
		done_clear(&done[i]);
	g_free(done);
	return ok;
}

int group_error_status(const GError *e)
{
	if (e->domain == scenario_error_quark())
		return e->code;
	return e->domain == RESULTS_ERROR && e->code == RESULTS_ERROR_INPUT ? 2 : 1;
}
