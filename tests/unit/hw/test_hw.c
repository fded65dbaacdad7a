/* SPDX-License-Identifier: MIT */
/* test_hw.c - unit tests of models/hw: topology, SMT and NUMA arithmetic, progress, accounting. */
#include <criterion/criterion.h>

#include "models/hw/hw.h"

Test(hw, default_topology)
{
	struct sim *sim = sim_new(1);
	struct hw_config c;
	hw_config_default(&c);
	GError *err = NULL;
	struct hw_host *h = hw_host_new(sim, &c, &err);
	cr_assert_not_null(h);
	cr_expect_eq(hw_nlps(h), 16);
	cr_expect_eq(hw_ncores(h), 8);
	hw_host_free(h);
	sim_free(sim);
}
