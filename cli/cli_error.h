/* SPDX-License-Identifier: MIT */
/*
 * cli_error.h - what an error means to the command line: its exit status and its message.
 * Role: every subcommand ends a failure the same way: "hvsim COMMAND: what" on stderr and
 *       status 2 for bad input (a scenario or sweep file, a database that is not ours, no such
 *       group), 1 for the rest (a run or I/O failed). commands.h states the contract.
 */
#ifndef CLI_CLI_ERROR_H
#define CLI_CLI_ERROR_H

#include <glib.h>

/* 2 for bad input (scenario errors carry their status; RESULTS_ERROR_INPUT), else 1. */
int cli_error_status(const GError *e);
/* Prints "hvsim COMMAND: message" ("hvsim: message" when command is NULL), frees e, returns its status. */
int cli_fail(const char *command, GError *e);

#endif /* CLI_CLI_ERROR_H */
