/* SPDX-License-Identifier: MIT */
/*
 * cli_error.c - exit statuses and messages of failures (cli_error.h).
 */
#include <stdio.h>

#include "analysis/results.h"
#include "cli/cli_error.h"
#include "cli/scenario.h"

int cli_error_status(const GError *e)
{
	if (e->domain == scenario_error_quark())
		return e->code;
	return e->domain == RESULTS_ERROR && e->code == RESULTS_ERROR_INPUT ? 2 : 1;
}

int cli_fail(const char *command, GError *e)
{
	int code = cli_error_status(e);

	fprintf(stderr, "hvsim%s%s: %s\n", command ? " " : "", command ? command : "", e->message);
	g_error_free(e);
	return code;
}
