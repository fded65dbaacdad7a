/* SPDX-License-Identifier: MIT */
/*
 * commands.h - the hvsim subcommands main.c dispatches to.
 * Contract: argv[0] is the command word ("run", "compare" ...), options and operands follow;
 *       "--help" prints the command's usage on stdout and returns 0. The return value is the exit
 *       status (0 success, 1 the run or I/O failed, 2 bad usage or bad input); only main.c exits.
 *       Messages go to stderr as "hvsim COMMAND: FILE: what is wrong" (or "hvsim: ...").
 */
#ifndef CLI_COMMANDS_H
#define CLI_COMMANDS_H

#include <glib.h> /* the commands are GLib programs; main.c takes G_N_ELEMENTS from here */

/* hvsim run SCENARIO.json [options]: cli/cmd_run.c */
int cmd_run(int argc, char **argv);
/* hvsim validate SCENARIO.json [--set ...]: cli/cmd_run.c */
int cmd_validate(int argc, char **argv);
/* hvsim compare [--db FILE] [--json] [GROUP | --group ID]: cli/cmd_compare.c */
int cmd_compare(int argc, char **argv);
/* hvsim sweep SWEEP.json [options]: cli/cmd_sweep.c */
int cmd_sweep(int argc, char **argv);
/* hvsim merge [--quiet] OUT.db SHARD.db...: cli/cmd_merge.c */
int cmd_merge(int argc, char **argv);
/* hvsim report [--db FILE] [--group ID | --sweep ID|NAME | GROUP] --html OUT.html: cli/cmd_report.c */
int cmd_report(int argc, char **argv);

#endif /* CLI_COMMANDS_H */
