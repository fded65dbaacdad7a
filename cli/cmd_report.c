/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - `hvsim report [--db FILE] [--group ID | --sweep ID|NAME | GROUP] --html OUT.html`:
 *       one self-contained HTML page with the charts and tables of a group of runs or of a sweep.
 * Role: argument parsing, exit status and the atomic write only; the page comes from
 *       analysis/report*.c (analysis/report.h).
 * Defaults: --db hvsim.db (INTERFACES.md); without GROUP the group of the most recently written
 *       run. A bare GROUP may also name a sweep, by id or by name.
 * Output: OUT.html is written whole or not at all (a temporary file renamed over it).
 * Exit status: 0; 1 the database cannot be read (I/O) or OUT.html cannot be written; 2 bad usage,
 *       or bad input: not SQLite, not hvsim's, a newer schema, no runs, no such group or sweep.
 */
#include <getopt.h>
#include <stdio.h>

#include "analysis/report.h"
#include "cli/cli_error.h"
#include "cli/commands.h"

#define DEFAULT_DB "hvsim.db"

static void report_usage(FILE *out)
{
	fprintf(out, "usage: hvsim report [--db FILE] [--group ID | --sweep ID|NAME | GROUP] --html OUT.html\n"
		     "Writes one HTML file (charts as inline SVG, no scripts, nothing fetched: it opens offline) with\n"
		     "the results of a group of runs: per VM virtual vs bare metal with 95%% confidence intervals, where\n"
		     "the CPU time went, latency CDFs, every metric in tables; or of a sweep: each headline metric of\n"
		     "each VM against each axis, with confidence bands. docs/report.md describes the charts.\n"
		     "  --db FILE        results database (default %s)\n"
		     "  --group ID       a group (one `hvsim run`, or one sweep point); default: the latest run's\n"
		     "  --sweep ID|NAME  a sweep, by id or by name (the latest sweep of that name)\n"
		     "  GROUP            a group id, or else a sweep id or name\n"
		     "  --html OUT.html  the file to write (replaced whole, atomically)\n",
		     DEFAULT_DB);
}

/* Writes html to path through a temporary file renamed over it; 1 on failure, with a message. */
static int write_atomically(const char *path, const char *html)
{
	GError *e = NULL;

	if (g_file_set_contents_full(path, html, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0644, &e))
		return 0;
	fprintf(stderr, "hvsim report: %s\n", e->message);
	g_error_free(e);
	return 1;
}

/* Resolves what to draw, draws it, writes it. */
static int report_run(const char *db, const char *name, unsigned accept, const char *html_path)
{
	struct results *r;
	enum report_kind kind;
	char *id = NULL, *html = NULL;
	GError *e = NULL;
	int rc;

	r = results_open(db, false, &e);
	if (!r)
		return cli_fail("report", e);
	if (!report_resolve(r, name, accept, &kind, &id, &e) || !(html = report_html(r, kind, id, &e)))
		rc = cli_fail("report", e);
	else
		rc = write_atomically(html_path, html);
	g_free(html);
	g_free(id);
	results_close(r);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "group", required_argument, 0, 'g' },
		{ "sweep", required_argument, 0, 's' },
		{ "html", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *db = DEFAULT_DB, *name = NULL, *html = NULL;
	unsigned accept = REPORT_ACCEPT_GROUP | REPORT_ACCEPT_SWEEP, given = 0;
	int c;

	optind = 1;
	opterr = 0; /* our own messages */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'g': name = optarg; accept = REPORT_ACCEPT_GROUP; given++; break;
		case 's': name = optarg; accept = REPORT_ACCEPT_SWEEP; given++; break;
		case 'o': html = optarg; break;
		case 'h': report_usage(stdout); return 0;
		default:
			fprintf(stderr, "hvsim report: unknown option or missing value: %s\n", argv[optind - 1]);
			report_usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !given) {
		name = argv[optind++];
		given++;
	}
	if (optind != argc || given > 1 || !*db || (name && !*name) || !html || !*html) {
		fprintf(stderr, "hvsim report: %s\n", !html || !*html ? "--html OUT.html is required"
					       : "give at most one of GROUP, --group and --sweep");
		report_usage(stderr);
		return 2;
	}
	return report_run(db, name, accept, html);
}
