/* SPDX-License-Identifier: MIT */
/* check.c - sim_check (check.h). */
#include "sim/check.h"

bool sim_check(bool ok, GError **error, GQuark domain, const char *fmt, ...)
{
	if (ok)
		return true;
	va_list ap;
	va_start(ap, fmt);
	g_propagate_error(error, g_error_new_valist(domain, 0, fmt, ap));
	va_end(ap);
	return false;
}
