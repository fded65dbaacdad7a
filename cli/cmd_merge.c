/* SPDX-License-Identifier: MIT */
/*
 * cmd_merge.c - `hvsim merge [--quiet] OUT.db SHARD.db...`: merges shard databases (sweep shards,
 *       runs made on other machines) into one.
 * Role: argument parsing, the per-shard report and the exit status; the copying is
 *       analysis/merge.c (results_merge), one transaction per shard.
 * Behaviour: OUT.db is created when missing. Shards are merged in the order given; runs OUT.db
 *       already holds (same group, config hash, seed, replication, mode) are skipped, so merging
 *       again is a no-op. The first shard that fails stops the merge; the shards before it stay
 *       merged and the message says so.
 * Exit status: 0; 1 OUT.db cannot be written or a shard cannot be read (I/O), stdout cannot be
 *       written; 2 bad usage, or a refused database (not SQLite, not hvsim's, another schema
 *       version, OUT.db itself given as a shard, a conflicting sweep).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

#include "analysis/results.h"
#include "cli/cli_error.h"
#include "cli/commands.h"

static void merge_usage(FILE *out)
{
	fprintf(out, "usage: hvsim merge [--quiet] OUT.db SHARD.db...\n"
		     "Copies the runs (with their metrics, histograms and timeseries), sweeps and complete sweep\n"
		     "points of each SHARD.db into OUT.db, creating OUT.db when it is missing. A run OUT.db already\n"
		     "holds (same group, config hash, seed, replication and mode) is skipped, so merging a shard\n"
		     "twice adds nothing. Each shard is merged in one transaction; the first one that fails stops\n"
		     "the merge, and the shards before it stay merged. Shards are only read.\n"
		     "  --quiet   no line per shard, only the total\n");
}

/* "LABEL: N runs added, M duplicates skipped, P sweep points" */
static void print_stats(const char *label, const struct results_merge_stats *s)
{
	printf("%s: %" PRIu64 " runs added, %" PRIu64 " duplicates skipped, %" PRIu64 " sweep points\n", label,
	       s->runs_added, s->runs_duplicate, s->points_added);
}

/* Adds one shard's counts to the total. */
static void add_stats(struct results_merge_stats *total, const struct results_merge_stats *s)
{
	total->runs_added += s->runs_added;
	total->runs_duplicate += s->runs_duplicate;
	total->sweeps_added += s->sweeps_added;
	total->points_added += s->points_added;
}

/* After shards[failed] failed: which shard stopped the merge, and which ones before it are in. */
static void report_stop(struct results *r, char **shards, int failed)
{
	const char *out = results_path(r);

	if (failed == 0)
		fprintf(stderr, "hvsim merge: stopped at %s, the first shard; %s is as it was\n", shards[0], out);
	else if (failed == 1)
		fprintf(stderr, "hvsim merge: stopped at %s; the shard before it (%s) is merged into %s\n",
			shards[1], shards[0], out);
	else
		fprintf(stderr, "hvsim merge: stopped at %s; the %d shards before it (%s ... %s) are merged into %s\n",
			shards[failed], failed, shards[0], shards[failed - 1], out);
}

/* Merges shards[0..n) in order; on a failure says which shard stopped it and what stays merged. */
static int merge_all(struct results *r, char **shards, int n, bool quiet)
{
	struct results_merge_stats total = { 0 };
	GError *e = NULL;
	int rc;

	for (int i = 0; i < n; i++) {
		struct results_merge_stats s = { 0 };

		if (!results_merge(r, shards[i], &s, &e)) {
			rc = cli_fail("merge", e);
			report_stop(r, shards, i);
			return rc;
		}
		if (!quiet)
			print_stats(shards[i], &s);
		add_stats(&total, &s);
	}
	print_stats("total", &total);
	return 0;
}

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	struct results *r;
	GError *e = NULL;
	bool quiet = false;
	int c, rc;

	optind = 1;
	opterr = 0; /* our own messages */
	while ((c = getopt_long(argc, argv, "q", opts, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = true; break;
		case 'h': merge_usage(stdout); return 0;
		default:
			fprintf(stderr, "hvsim merge: unknown option: %s\n", argv[optind - 1]);
			merge_usage(stderr);
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "hvsim merge: name the output database and at least one shard\n");
		merge_usage(stderr);
		return 2;
	}
	for (int i = optind; i < argc; i++) {
		if (!*argv[i]) {
			fprintf(stderr, "hvsim merge: an empty file name (argument %d)\n", i - optind + 1);
			merge_usage(stderr);
			return 2;
		}
	}
	r = results_open(argv[optind], true, &e);
	if (!r)
		return cli_fail("merge", e);
	rc = merge_all(r, argv + optind + 1, argc - optind - 1, quiet);
	results_close(r);
	if (rc == 0 && (fflush(stdout) != 0 || ferror(stdout))) {
		fprintf(stderr, "hvsim merge: cannot write to stdout\n");
		rc = 1;
	}
	return rc;
}
