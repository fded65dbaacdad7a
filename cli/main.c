/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `hvsim` command: parses the command word and hands over to it.
 * Role: the only place that returns the process's exit status (docs/style.md (a)): 0 success,
 *       1 the run failed (model or I/O error), 2 bad usage or bad input.
 * Commands: run, validate, sweep, merge, compare, report (cli/cmd_*.c).
 */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"run", cmd_run, "run a scenario and its bare-metal twin, store the results, print the comparison"},
	{"validate", cmd_validate, "check a scenario or sweep file, run nothing"},
	{"sweep", cmd_sweep, "run every point of a sweep in parallel (resumable), or emit a Slurm array / job list"},
	{"compare", cmd_compare, "virtual vs bare metal for a group of runs, with 95% confidence intervals"},
	{"merge", cmd_merge, "merge shard databases into one (duplicate runs skipped; merging again adds nothing)"},
	{"report", cmd_report, "an HTML page with charts of a group of runs or of a sweep (self-contained, offline)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: hvsim COMMAND [ARGS]   (hvsim help COMMAND for its options)\n\n");
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n  --version, --help\n\n"
		     "hvsim simulates a virtualization platform (physical CPUs, a hypervisor, guest kernels and\n"
		     "their workloads) and measures the cost of virtualization against bare metal.\n"
		     "Scenario keys: docs/scenario-reference.md. Exit status: 0 ok, 1 run failed, 2 bad input.\n");
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("hvsim %s\n", HVSIM_VERSION);
		return 0;
	}
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		if (argc == 2) {
			usage(stdout);
			return 0;
		}
		const struct command *c = argc == 3 ? find(argv[2]) : NULL;
		if (!c) {
			fprintf(stderr, "hvsim: no help for '%s'\n", argv[2]);
			usage(stderr);
			return 2;
		}
		char *help[] = {argv[2], "--help", NULL};
		return c->fn(2, help);
	}
	const struct command *c = argc >= 2 ? find(argv[1]) : NULL;
	if (!c) {
		if (argc >= 2)
			fprintf(stderr, "hvsim: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	return c->fn(argc - 1, argv + 1);
}
