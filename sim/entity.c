/* SPDX-License-Identifier: MIT */
/*
 * entity.c - registering entities with a run and naming them in messages.
 * Role: gives each entity its dense id (registration order) and starts entities added while the
 *       run is going. The run borrows entities; their owners free them after sim_free().
 */
#include <stdio.h>

#include "sim/sim-int.h"

void sim_entity_add(struct sim *sim, struct sim_entity *ent, const struct sim_entity_ops *ops, const char *name)
{
	g_return_if_fail(ops && ops->kind && ops->event);
	g_return_if_fail(sim->entities->len < UINT32_MAX);
	ent->ops = ops;
	ent->sim = sim;
	ent->name = name;
	ent->id = sim->entities->len;
	g_ptr_array_add(sim->entities, ent);
	if (sim->running) {
		sim->started = sim->entities->len;
		if (ops->start)
			ops->start(ent);
	}
}

const char *sim_entity_name(const struct sim_entity *ent, char *buf, size_t len)
{
	if (ent->name)
		return ent->name;
	snprintf(buf, len, "%s#%u", ent->ops->kind, ent->id);
	return buf;
}

struct sim_entity *sim_entity_at(const struct sim *sim, uint32_t id)
{
	g_return_val_if_fail(id < sim->entities->len, NULL);
	return sim->entities->pdata[id];
}

uint32_t sim_entity_count(const struct sim *sim) { return sim->entities->len; }
