/* SPDX-License-Identifier: MIT */
/*
 * kinds.c - the registry of workload kinds: one array, in documentation order, looked up by the
 *           name a scenario writes ("workload": {"kind": "cpu"}). No constructors, no sections.
 * See: workloads/workload.h; docs/workloads.md
 */
#include <string.h>

#include "workloads/perfsched.h"
#include "workloads/wl-int.h"

static const struct wl_kind *const kinds[] = {
	&wl_kind_cpu,
	&wl_kind_open_poisson,
	&wl_kind_closed_loop,
	&wl_kind_locks,
	&wl_kind_messaging,
	&wl_kind_storage,
	&wl_kind_net_stream,
	&wl_kind_net_rr,
	&wl_kind_kv,
	&wl_kind_rtapp,
	&wl_kind_perf_sched,
	NULL,
};

const struct wl_kind *const *wl_kinds(void) { return kinds; }

const struct wl_kind *wl_kind_find(const char *name)
{
	for (const struct wl_kind *const *k = kinds; name && *k; k++)
		if (strcmp((*k)->name, name) == 0)
			return *k;
	return NULL;
}
