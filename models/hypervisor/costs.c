/* SPDX-License-Identifier: MIT */
/* costs.c - the cost table of costs.h: defaults, overrides by name, conversion to picoseconds. */
#include <string.h>

#include "models/hypervisor/costs.h"

static const struct {
	const char *name;
	uint64_t def;
	enum hv_cost_unit unit;
	const char *source;
} table[HV_NCOSTS] = {
#define X(id, nm, d, u, src) [HV_COST_##id] = {nm, d, u, src},
	HV_COSTS(X)
#undef X
};

void hv_costs_default(struct hv_costs *c)
{
	memset(c, 0, sizeof *c);
	for (int k = 0; k < HV_NCOSTS; k++)
		c->value[k] = table[k].def;
}

bool hv_costs_set(struct hv_costs *c, const char *name, uint64_t value)
{
	for (int k = 0; k < HV_NCOSTS; k++)
		if (strcmp(table[k].name, name) == 0) {
			c->value[k] = value;
			return true;
		}
	return false;
}

bool hv_costs_resolve(struct hv_costs *c, uint64_t khz, bool bare_metal)
{
	bool ok = true;
	for (int k = 0; k < HV_NCOSTS; k++) {
		if (bare_metal)
			c->ps[k] = 0;
		else if (table[k].unit == HV_CYCLES)
			ok &= sim_time_from_cycles(c->value[k], khz, &c->ps[k]);
		else
			ok &= sim_time_from_ns(c->value[k], &c->ps[k]);
	}
	return ok;
}

const char *hv_cost_name(enum hv_cost k) { return table[k].name; }
enum hv_cost_unit hv_cost_unit(enum hv_cost k) { return table[k].unit; }
const char *hv_cost_source(enum hv_cost k) { return table[k].source; }
uint64_t hv_cost_default(enum hv_cost k) { return table[k].def; }
