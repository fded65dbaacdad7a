/* SPDX-License-Identifier: MIT */
/*
 * report.c - report_resolve() and report_html(): which page `hvsim report` draws, and drawing it.
 * Role: the entry of analysis/report*.c (report.h). A name is tried as a group id, a sweep id,
 *       then a sweep name, in that order; the pages are built by report_group.c and report_sweep.c.
 */
#include "analysis/report-int.h"
#include "analysis/results-int.h"

/* *id: the sweep id `name` is, or the id of the latest sweep called `name`, or NULL when neither. */
static bool find_sweep(struct results *r, const char *name, char **id, GError **error)
{
	GError *e = NULL;
	bool found = false;
	uint32_t done;

	*id = NULL;
	if (!results_sweep_find(r, name, &found, &done, error))
		return false;
	if (found) {
		*id = g_strdup(name);
		return true;
	}
	*id = results_sweep_by_name(r, name, &e);
	if (e) {
		g_propagate_error(error, e);
		return false;
	}
	return true;
}

bool report_resolve(struct results *r, const char *name, unsigned accept, enum report_kind *kind, char **id,
		    GError **error)
{
	bool exists = false;
	char *sweep = NULL;

	g_return_val_if_fail(r != NULL && kind != NULL && id != NULL, false);
	if (!name && (accept & REPORT_ACCEPT_GROUP)) {
		*kind = REPORT_GROUP;
		return (*id = results_latest_group(r, error)) != NULL;
	}
	if (!name)
		return results__fail(r, error, RESULTS_ERROR_INPUT, "no sweep named");
	if ((accept & REPORT_ACCEPT_GROUP) && !report__group_exists(r, name, &exists, error))
		return false;
	if (exists) {
		*kind = REPORT_GROUP;
		*id = g_strdup(name);
		return true;
	}
	if ((accept & REPORT_ACCEPT_SWEEP) && !find_sweep(r, name, &sweep, error))
		return false;
	if (sweep) {
		*kind = REPORT_SWEEP;
		*id = sweep;
		return true;
	}
	return results__fail(r, error, RESULTS_ERROR_INPUT, "no %s '%s'",
			     accept == REPORT_ACCEPT_GROUP ? "group" : accept == REPORT_ACCEPT_SWEEP ? "sweep" : "group or sweep",
			     name);
}

char *report_html(struct results *r, enum report_kind kind, const char *id, GError **error)
{
	g_return_val_if_fail(r != NULL && id != NULL, NULL);
	return kind == REPORT_SWEEP ? report__sweep_page(r, id, error) : report__group_page(r, id, error);
}
