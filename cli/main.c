/* SPDX-License-Identifier: MIT */
/*
 * main.c - the `hvsim` command: parses the command word and hands over to it.
 * Role: the only place that calls exit() (docs/style.md (a)). Exit status: 0 success, 1 the run
 *       failed, 2 bad usage or bad input.
 * Today: --version and --help only; run, sweep, merge, compare, report and validate arrive with
 *       their issues (docs/design.md, INTERFACES in docs/).
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: hvsim --version | --help\n"
		"\n"
		"hvsim simulates a virtualization platform (physical CPUs, a hypervisor, guest kernels and\n"
		"their workloads) and measures the cost of virtualization against bare metal.\n"
		"\n"
		"This build has the simulation engine only; the commands run, sweep, merge, compare,\n"
		"report and validate are not in it yet. The engine benchmark is bench/phold.\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("hvsim %s\n", HVSIM_VERSION);
		return 0;
	}
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))) {
		usage(stdout);
		return 0;
	}
	if (argc >= 2)
		fprintf(stderr, "hvsim: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
