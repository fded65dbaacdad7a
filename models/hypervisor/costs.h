/* SPDX-License-Identifier: MIT */
/*
 * costs.h - the cost of every hypervisor crossing, with its default and its source.
 * Role: one table (HV_COSTS) names each cost, its default in cycles or nanoseconds, and where the
 *       default comes from (../shared/REFERENCE.md section 8; grade S = source, M = measurement,
 *       R = engineering estimate). Scenarios override any entry by name ("hypervisor.costs").
 *       Costs are converted once to picoseconds at the host's nominal frequency.
 * Simplifies: a cost is a fixed time; it does not depend on SMT, NUMA or cache state.
 */
#ifndef MODELS_HYPERVISOR_COSTS_H
#define MODELS_HYPERVISOR_COSTS_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/time.h"

enum hv_cost_unit { HV_CYCLES, HV_NS };

/* X(id, name, default, unit, source) */
#define HV_COSTS(X)                                                                                      \
	X(VMEXIT, "vmexit", 1300, HV_CYCLES, "M: VMRUN->#VMEXIT round trip, AMD SVM KVM 2020 (REFERENCE 2.1)")  \
	X(HYPERCALL, "hypercall", 1500, HV_CYCLES, "R: Dall et al. ISCA 2016 ~1.3k cycles + margin")         \
	X(INTERCEPT_HV, "intercept_hypervisor", 2500, HV_CYCLES, "R: Dall 2016 interrupt-controller trap")   \
	X(INTERCEPT_ROOT_KERNEL, "intercept_root_kernel", 10000, HV_NS, "R: message to root + VSP dispatch")  \
	X(INTERCEPT_ROOT_USER, "intercept_root_user", 25000, HV_NS, "R: vmwp.exe path, inl_from_qemu ratio") \
	X(VIRTUAL_IPI, "virtual_ipi", 5000, HV_CYCLES, "R: Dall 2016 virtual IPI ~5.2k cycles")              \
	X(INTERRUPT, "interrupt_delivery", 1500, HV_CYCLES, "R: Dall 2016 virtual IRQ completion (EOI)")     \
	X(VP_SWITCH, "vp_switch", 6000, HV_CYCLES, "R: Dall 2016 VM switch 4.8k-10.5k cycles")              \
	X(TLB_FLUSH_VP, "tlb_flush_vp", 1500, HV_CYCLES, "R: flush hypercall: physical IPI + exit per running VP, as interrupt_delivery")

enum hv_cost {
#define X(id, name, def, unit, src) HV_COST_##id,
	HV_COSTS(X)
#undef X
	HV_NCOSTS
};

struct hv_costs {
	uint64_t value[HV_NCOSTS]; /* in the entry's unit */
	sim_time_t ps[HV_NCOSTS];  /* converted (hv_costs_resolve) */
};

void hv_costs_default(struct hv_costs *c);
/* Sets a cost by name (in its unit). False when there is no such cost. */
bool hv_costs_set(struct hv_costs *c, const char *name, uint64_t value);
/* Converts every cost to picoseconds at khz; all zero when `none` (bare metal). False on overflow. */
bool hv_costs_resolve(struct hv_costs *c, uint64_t khz, bool bare_metal);

const char *hv_cost_name(enum hv_cost k);
enum hv_cost_unit hv_cost_unit(enum hv_cost k);
const char *hv_cost_source(enum hv_cost k);
uint64_t hv_cost_default(enum hv_cost k);

#endif /* MODELS_HYPERVISOR_COSTS_H */
