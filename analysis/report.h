/* SPDX-License-Identifier: MIT */
/*
 * report.h - `hvsim report`: one self-contained HTML page (inline CSS and SVG, no scripts, no
 *       external resources) with the charts and tables of a group of runs or of a sweep.
 * Role: the interface cli/cmd_report.c uses; the page is built in analysis/report*.c from the
 *       database (report_data.c reads it, report_svg.c draws, report_group.c and report_sweep.c
 *       lay out the two kinds of page, report_html.c holds the page frame and tables).
 * Errors: RESULTS_ERROR as everywhere in analysis/ (INPUT: no such group or sweep; IO: reading).
 * See: docs/report.md; tests/browser/report.sh; tests/unit/analysis/test_report.c
 */
#ifndef ANALYSIS_REPORT_H
#define ANALYSIS_REPORT_H

#include <stdbool.h>

#include <glib.h>

#include "analysis/results.h"

/* What a report shows. */
enum report_kind {
	REPORT_GROUP, /* one group: one `hvsim run`, or one sweep point */
	REPORT_SWEEP, /* every complete point of a sweep, against its axes */
};

/* Which kinds report_resolve may answer with. */
enum {
	REPORT_ACCEPT_GROUP = 1 << 0,
	REPORT_ACCEPT_SWEEP = 1 << 1,
};

/*
 * Finds what `name` names, among the kinds in `accept`: a group id, then a sweep id, then a sweep
 * name (its most recent sweep). name NULL: the latest group (results_latest_group). On success
 * *kind is set and *id is the group or sweep id, newly allocated. RESULTS_ERROR_INPUT when nothing
 * matches ("no group or sweep 'X'") or the database holds no runs.
 */
bool report_resolve(struct results *r, const char *name, unsigned accept, enum report_kind *kind, char **id,
		    GError **error);

/* The HTML page of the group or sweep `id` (newly allocated), or NULL and an error. */
char *report_html(struct results *r, enum report_kind kind, const char *id, GError **error);

#endif /* ANALYSIS_REPORT_H */
