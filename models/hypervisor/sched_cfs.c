/* SPDX-License-Identifier: MIT */
/* sched_cfs.c - the `cfs` VP policy (being written: refuses to start until it exists). */
#include "models/hypervisor/hv-int.h"

static bool cfs_init(struct hv *hv, GError **error)
{
	(void)hv;
	g_set_error_literal(error, g_quark_from_static_string("hv-config-error"), 0,
			    "hypervisor: the cfs policy is not available yet");
	return false;
}

const struct hv_sched_ops hv_sched_cfs = {.name = "cfs", .init = cfs_init};
