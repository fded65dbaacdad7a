/* SPDX-License-Identifier: MIT */
/*
 * test_hv_fair.c - model tests of VP scheduling shares: N always-runnable VPs on M < N LPs get
 *                  M/N each, weights, limits and reserves.
 */
#include "tests/model/hvtest.h"

Test(hv_fair, smoke)
{
	struct hvt t;
	hvt_init(&t, 1, 3, 1, "classic", NULL);
	struct busy_guest *g = hvt_vm(&t, "a", 5, 100, 0, 100);
	hvt_run(&t, 10 * SIM_PS_PER_S);
	for (uint32_t i = 0; i < 5; i++)
		cr_log_info("vp %u share %.4f", i, hvt_vp_share(&t, g, i));
	cr_expect_gt(busy_guest_chunks(g), 0);
	hvt_fini(&t);
}
