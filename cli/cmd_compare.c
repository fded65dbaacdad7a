/* SPDX-License-Identifier: MIT */
/*
 * cmd_compare.c - `hvsim compare [--db FILE] [--json] [GROUP]`: virtual vs bare metal for one
 *       group of runs, with 95% confidence intervals and significance.
 * Role: argument parsing and exit status only; the numbers come from analysis/compare.c, the
 *       layout from analysis/compare_print.c (the same table `hvsim run` prints at its end).
 * Defaults: --db hvsim.db (INTERFACES.md); GROUP the group of the most recently written run.
 *       GROUP may also be given as --group ID.
 * Exit status: 0; 1 the database cannot be read (I/O) or stdout cannot be written; 2 bad usage,
 *       or bad input: not SQLite, not hvsim's, a newer schema, no runs, no such group.
 */
#include <getopt.h>
#include <stdio.h>

#include "analysis/results.h"
#include "cli/commands.h"

#define DEFAULT_DB "hvsim.db"

static void compare_usage(FILE *out)
{
	fprintf(out, "usage: hvsim compare [--db FILE] [--all] [--json] [GROUP]\n"
		     "Prints the summary of a group of runs (one `hvsim run`, or one sweep point) per VM, virtual vs\n"
		     "bare metal: mean ± 95%% confidence half-width over the replications (Student t), the ratio\n"
		     "virtual/bare metal, and '*' where the difference is significant at 5%% (Welch's t-test;\n"
		     "never with one replication a side).\n"
		     "  --db FILE     results database (default %s)\n"
		     "  --group ID    the same as GROUP; default: the group of the latest run in FILE\n"
		     "  --all         every metric of every scope (vCPUs, tasks, host), not only the summary\n"
		     "                (per VM: ops/s, latency p50/p99, CPU per op, spin, steal, exits)\n"
		     "  --json        one JSON document (an array, a row object per line) instead of the table\n",
		     DEFAULT_DB);
}

/* Prints "hvsim compare: FILE: what" (the results messages name their file) and frees e. */
static int fail(GError *e)
{
	int code = e->domain == RESULTS_ERROR ? e->code : 1;

	fprintf(stderr, "hvsim compare: %s\n", e->message);
	g_error_free(e);
	return code;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "group", required_argument, 0, 'g' },
		{ "json", no_argument, 0, 'j' },
		{ "all", no_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *db = DEFAULT_DB, *group = NULL;
	bool json = false, all = false;
	struct results *r;
	GPtrArray *rows;
	GError *e = NULL;
	char *latest = NULL;
	int c, rc = 0;

	optind = 1;
	opterr = 0; /* our own messages */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'g': group = optarg; break;
		case 'j': json = true; break;
		case 'a': all = true; break;
		case 'h': compare_usage(stdout); return 0;
		default:
			fprintf(stderr, "hvsim compare: unknown option or missing value: %s\n", argv[optind - 1]);
			compare_usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !group)
		group = argv[optind++];
	if (optind != argc || !*db || (group && !*group)) {
		compare_usage(stderr);
		return 2;
	}
	r = results_open(db, false, &e);
	if (!r)
		return fail(e);
	if (!group && !(group = latest = results_latest_group(r, &e))) {
		results_close(r);
		return fail(e);
	}
	rows = results_compare(r, group, &e);
	if (!rows) {
		rc = fail(e);
	} else {
		if (!all)
			results_compare_summary(rows);
		if (!json)
			printf("group %s (%s)\n\n", group, db);
		results_compare_print(rows, stdout, json);
		g_ptr_array_unref(rows);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "hvsim compare: cannot write to stdout\n");
			rc = 1;
		}
	}
	g_free(latest);
	results_close(r);
	return rc;
}
