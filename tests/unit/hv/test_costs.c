/* SPDX-License-Identifier: MIT */
/* test_costs.c - the cost table: defaults, overrides by name, conversion, bare metal. */
#include <criterion/criterion.h>

#include "models/hypervisor/costs.h"

Test(costs, defaults_convert_at_the_nominal_frequency)
{
	struct hv_costs c;
	hv_costs_default(&c);
	cr_assert(hv_costs_resolve(&c, 3000000, false));
	cr_expect_eq(c.ps[HV_COST_VMEXIT], 433333);            /* 1,300 cycles at 3 GHz, halves up */
	cr_expect_eq(c.ps[HV_COST_HYPERCALL], 500000);
	cr_expect_eq(c.ps[HV_COST_INTERCEPT_ROOT_USER], 25000000); /* 25 us */
	cr_expect_eq(c.ps[HV_COST_VP_SWITCH], 2000000);
	for (int k = 0; k < HV_NCOSTS; k++) {
		cr_expect_eq(c.value[k], hv_cost_default((enum hv_cost)k));
		cr_expect(hv_cost_source((enum hv_cost)k)[0] != '\0');
	}
}

Test(costs, overrides_by_name)
{
	struct hv_costs c;
	hv_costs_default(&c);
	cr_expect(hv_costs_set(&c, "vp_switch", 12000));
	cr_expect_not(hv_costs_set(&c, "vp-switch", 1));
	cr_assert(hv_costs_resolve(&c, 2000000, false));
	cr_expect_eq(c.ps[HV_COST_VP_SWITCH], 6000000); /* 12,000 cycles at 2 GHz */
	cr_expect_str_eq(hv_cost_name(HV_COST_VP_SWITCH), "vp_switch");
}

Test(costs, bare_metal_costs_nothing)
{
	struct hv_costs c;
	hv_costs_default(&c);
	cr_assert(hv_costs_resolve(&c, 3000000, true));
	for (int k = 0; k < HV_NCOSTS; k++)
		cr_expect_eq(c.ps[k], 0);
}

Test(costs, overflow_is_reported)
{
	struct hv_costs c;
	hv_costs_default(&c);
	hv_costs_set(&c, "intercept_root_user", UINT64_MAX);
	cr_expect_not(hv_costs_resolve(&c, 3000000, false));
}
