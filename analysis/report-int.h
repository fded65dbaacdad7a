/* SPDX-License-Identifier: MIT */
/*
 * report-int.h - private to analysis/report*.c: the data a report is drawn from (read by
 *       report_data.c with SQL), the page frame and table helpers (report_html.c), and the two
 *       page builders (report_group.c, report_sweep.c).
 * Ownership: every struct here is filled by a *_load function and emptied by its *_clear.
 */
#ifndef ANALYSIS_REPORT_INT_H
#define ANALYSIS_REPORT_INT_H

#include "analysis/report.h"
#include "analysis/results.h"

/* The metrics the headline charts draw, per VM scope (the summary of `hvsim compare`). */
extern const char *const report__headline[];
extern const unsigned report__n_headline;

/* ---- data (report_data.c) ---- */

/* What describes a group: its runs, and the sweep point it is, if it is one. */
struct report_group_info {
	char *scenario, *started_at, *hvsim_version;
	unsigned n_virtual, n_bare_metal; /* runs with status ok */
	double sim_seconds;                /* the measured span of its virtual runs (their mean) */
	char *sweep_name, *point_name;     /* NULL unless the group is a sweep point */
};

/* One histogram of one scope and mode, summed over the group's replications, buckets by lo. */
struct report_hist {
	char *scope, *mode, *unit;
	GArray *lo, *hi, *count; /* double */
	double total;
};

/* One axis of a sweep: its distinct values in the order the x axis shows them. */
struct report_axis {
	char *name;
	GPtrArray *labels; /* char *: the value as written (a string unquoted, a number, other JSON) */
	GArray *numbers;   /* double, parallel to labels when numeric */
	bool numeric;      /* every value is a JSON number (then sorted ascending) */
};

/* One complete point: its name, group, and the index of its value on each axis. */
struct report_point {
	unsigned point;
	char *name, *group_id;
	GArray *value_index; /* unsigned, one per axis */
};

/* One headline metric of one VM at one point (from the view sweep_comparison). */
struct report_sweep_row {
	unsigned point_pos; /* index into report_sweep.points */
	char *scope, *name, *unit;
	struct results_side virt, bare;
	double ratio;
};

struct report_sweep {
	char *id, *name;
	unsigned points;    /* the sweep's point count, complete or not */
	GPtrArray *axes;    /* struct report_axis * */
	GPtrArray *pts;     /* struct report_point *, complete points by index */
	GPtrArray *rows;    /* struct report_sweep_row *, by scope, metric (headline order), point */
	GPtrArray *scopes;  /* char *: the VM scopes, sorted */
};

bool report__group_exists(struct results *r, const char *group, bool *exists, GError **error);
bool report__group_info_load(struct results *r, const char *group, struct report_group_info *info, GError **error);
void report__group_info_clear(struct report_group_info *info);
/* The histograms called `name` of the VM scopes (vm:NAME) of a group, by (scope, mode). */
GPtrArray *report__hists_load(struct results *r, const char *group, const char *name, GError **error);
bool report__sweep_load(struct results *r, const char *id, struct report_sweep *s, GError **error);
void report__sweep_clear(struct report_sweep *s);

/* ---- page frame and tables (report_html.c) ---- */

/* Appends text escaped for HTML. */
void report__put_text(GString *out, const char *text);
/* The document up to <body> and the page's <h1>; the CSS is inline, a CSP forbids any fetch. */
void report__page_begin(GString *out, const char *title);
void report__page_end(GString *out);
/* <table class="CLS"> with a header row; cells are escaped. */
void report__table_begin(GString *out, const char *cls, const char *const *headers, unsigned n);
void report__table_row(GString *out, const char *const *cells, unsigned n);
void report__table_end(GString *out);
/* "mean ± ci" in the unit's format ("1.5 ms ± 0.2 ms"); "-" for no mean; no "±" for no ci. */
char *report__format_side(const struct results_side *s, const char *unit);
/* "1.234", or "-" for NaN. */
char *report__format_ratio(double ratio);

/* ---- pages ---- */

/* report_group.c: the page of one group. */
char *report__group_page(struct results *r, const char *group, GError **error);
/* report_sweep.c: the page of one sweep. */
char *report__sweep_page(struct results *r, const char *id, GError **error);

#endif /* ANALYSIS_REPORT_INT_H */
