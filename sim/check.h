/* SPDX-License-Identifier: MIT */
/*
 * check.h - one helper for configuration checks: a condition, and the error to report when it
 *           does not hold (GLib GError, formatted by GLib).
 * Role: models check their configs up front (hw, devices, ...) with `if (!sim_check(...)) return`.
 */
#ifndef SIM_CHECK_H
#define SIM_CHECK_H

#include <glib.h>
#include <stdbool.h>

/* Returns ok; when it is false, sets *error (domain, code 0) from the printf-style message. */
bool sim_check(bool ok, GError **error, GQuark domain, const char *fmt, ...) G_GNUC_PRINTF(4, 5);

#endif /* SIM_CHECK_H */
