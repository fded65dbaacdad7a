/* SPDX-License-Identifier: MIT */
/*
 * cmd_compare.c - `hvsim compare [--db FILE] [--all] [--json | --csv] [GROUP | --sweep ID|NAME]`:
 *       virtual vs bare metal for one group of runs, or for every point of a sweep, with 95%
 *       confidence intervals and significance.
 * Role: argument parsing and exit status only; the numbers come from analysis/compare.c, the
 *       layout from analysis/compare_print.c (the same table `hvsim run` prints at its end), the
 *       block under a group's table from analysis/highlights.c.
 * Defaults: --db hvsim.db (INTERFACES.md); GROUP the group of the most recently written run.
 *       GROUP may also be given as --group ID.
 * Exit status: 0; 1 the database cannot be read (I/O) or stdout cannot be written; 2 bad usage
 *       (--csv with --json, --sweep with a group), or bad input: not SQLite, not hvsim's, a newer
 *       schema, no runs, no such group or sweep.
 */
#include <getopt.h>
#include <stdio.h>

#include "analysis/export.h"
#include "analysis/highlights.h"
#include "analysis/results.h"
#include "cli/cli_error.h"
#include "cli/commands.h"

#define DEFAULT_DB "hvsim.db"

static void compare_usage(FILE *out)
{
	fprintf(out, "usage: hvsim compare [--db FILE] [--all] [--json | --csv] [GROUP | --sweep ID|NAME]\n"
		     "Prints the summary of a group of runs (one `hvsim run`, or one sweep point) per VM, virtual vs\n"
		     "bare metal: mean ± 95%% confidence half-width over the replications (Student t), the ratio\n"
		     "virtual/bare metal, and '*' where the difference is significant at 5%% (Welch's t-test;\n"
		     "never with one replication a side); under the table, per VM, where the virtual run lost most\n"
		     "per operation.\n"
		     "  --db FILE     results database (default %s)\n"
		     "  --group ID    the same as GROUP; default: the group of the latest run in FILE\n"
		     "  --sweep ID|NAME  every complete point of a sweep (its id, or the latest sweep of that name)\n"
		     "                in one table, with the point's name and axis values as the first columns\n"
		     "  --all         every metric of every scope (vCPUs, tasks, host), not only the summary\n"
		     "                (per VM: ops/s, latency p50/p99, CPU per op, spin, steal, exits)\n"
		     "  --json        one JSON document (an array, a row object per line) instead of the table\n"
		     "  --csv         CSV (RFC 4180: a header row, a line per row) with the JSON's columns\n",
		     DEFAULT_DB);
}

/* What was asked on the command line. */
struct compare_opts {
	const char *db, *group, *sweep;
	bool all;
	enum results_format format;
};

/* Parses the arguments into *o; -1 to go on, else the exit status (0 after --help, 2 bad usage). */
static int parse(int argc, char **argv, struct compare_opts *o)
{
	static const struct option opts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "group", required_argument, 0, 'g' },
		{ "sweep", required_argument, 0, 's' },
		{ "json", no_argument, 0, 'j' },
		{ "csv", no_argument, 0, 'c' },
		{ "all", no_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	bool json = false, csv = false;
	int c;

	optind = 1;
	opterr = 0; /* our own messages */
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'g': o->group = optarg; break;
		case 's': o->sweep = optarg; break;
		case 'j': json = true; break;
		case 'c': csv = true; break;
		case 'a': o->all = true; break;
		case 'h': compare_usage(stdout); return 0;
		default:
			fprintf(stderr, "hvsim compare: unknown option or missing value: %s\n", argv[optind - 1]);
			compare_usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !o->group)
		o->group = argv[optind++];
	if (json && csv) {
		fprintf(stderr, "hvsim compare: --csv and --json exclude each other\n");
		return 2;
	}
	if (o->sweep && o->group) {
		fprintf(stderr, "hvsim compare: --sweep shows a whole sweep: give no GROUP with it\n");
		return 2;
	}
	if (optind != argc || !*o->db || (o->group && !*o->group) || (o->sweep && !*o->sweep)) {
		compare_usage(stderr);
		return 2;
	}
	o->format = json ? RESULTS_FORMAT_JSON : csv ? RESULTS_FORMAT_CSV : RESULTS_FORMAT_TABLE;
	return -1;
}

/* One group: the table with the highlights under it, or JSON, or CSV. */
static int print_group(struct results *r, const struct compare_opts *o)
{
	GError *e = NULL;
	char *latest = NULL;
	const char *group = o->group;
	GPtrArray *rows, *highlights = NULL;

	if (!group && !(group = latest = results_latest_group(r, &e)))
		return cli_fail("compare", e);
	rows = results_compare(r, group, &e);
	if (!rows) {
		g_free(latest);
		return cli_fail("compare", e);
	}
	if (o->format == RESULTS_FORMAT_TABLE)
		highlights = results_compare_highlights(rows); /* from every metric: before the summary */
	if (!o->all)
		results_compare_summary(rows);
	if (o->format == RESULTS_FORMAT_TABLE) {
		printf("group %s (%s)\n\n", group, o->db);
		results_compare_print(rows, stdout, false);
		results_highlights_print(highlights, stdout);
		g_ptr_array_unref(highlights);
	} else if (o->format == RESULTS_FORMAT_JSON) {
		results_compare_print(rows, stdout, true);
	} else {
		results_compare_print_csv(rows, stdout);
	}
	g_ptr_array_unref(rows);
	g_free(latest);
	return 0;
}

/* Every complete point of a sweep, in one table, JSON or CSV. */
static int print_sweep(struct results *r, const struct compare_opts *o)
{
	GError *e = NULL;
	GPtrArray *parts = results_compare_sweep(r, o->sweep, &e);

	if (!parts)
		return cli_fail("compare", e);
	for (guint i = 0; !o->all && i < parts->len; i++)
		results_compare_summary(((struct results_sweep_part *)g_ptr_array_index(parts, i))->rows);
	if (o->format == RESULTS_FORMAT_TABLE)
		printf("sweep %s: %u complete point%s (%s)\n\n", o->sweep, parts->len, parts->len == 1 ? "" : "s", o->db);
	results_sweep_print(parts, stdout, o->format);
	g_ptr_array_unref(parts);
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	struct compare_opts o = {.db = DEFAULT_DB};
	struct results *r;
	GError *e = NULL;
	int rc = parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	r = results_open(o.db, false, &e);
	if (!r)
		return cli_fail("compare", e);
	rc = o.sweep ? print_sweep(r, &o) : print_group(r, &o);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
		fprintf(stderr, "hvsim compare: cannot write to stdout\n");
		rc = 1;
	}
	results_close(r);
	return rc;
}
