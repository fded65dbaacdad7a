/* SPDX-License-Identifier: MIT */
/*
 * trace.c - track registry and the out-of-line halves of the emits of trace.h.
 * Role: keeps the declared tracks (so a sink attached late still learns them, in id order) and
 *       forwards each emit to the attached sink, stamped with the current simulated time. The
 *       inline emits in trace.h call here only when a sink is attached.
 */
#include "sim/sim-int.h"

void sim_trace_attach(struct sim *sim, struct sim_trace_sink *sink)
{
	sim->th.sink = sink;
	if (!sink)
		return;
	for (guint i = 0; i < sim->track_names->len; i++)
		sink->ops->track(sink, i, sim->track_groups->pdata[i], sim->track_names->pdata[i]);
}

uint32_t sim_trace_track(struct sim *sim, const char *group, const char *name)
{
	uint32_t id = sim->track_names->len;
	g_ptr_array_add(sim->track_groups, g_strdup(group));
	g_ptr_array_add(sim->track_names, g_strdup(name));
	if (sim->th.sink)
		sim->th.sink->ops->track(sim->th.sink, id, group, name);
	return id;
}

uint64_t sim_trace_flow_id(struct sim *sim) { return ++sim->flow_ids; }

void sim__trace_begin(struct sim *sim, uint32_t track, const char *name)
{
	sim->th.sink->ops->begin(sim->th.sink, sim->now, track, name);
}

void sim__trace_end(struct sim *sim, uint32_t track)
{
	sim->th.sink->ops->end(sim->th.sink, sim->now, track);
}

void sim__trace_instant(struct sim *sim, uint32_t track, const char *name)
{
	sim->th.sink->ops->instant(sim->th.sink, sim->now, track, name);
}

void sim__trace_counter(struct sim *sim, uint32_t track, const char *name, double value)
{
	sim->th.sink->ops->counter(sim->th.sink, sim->now, track, name, value);
}

void sim__trace_flow(struct sim *sim, uint32_t track, enum sim_flow_phase phase, uint64_t id, const char *name)
{
	if (sim->th.sink->ops->flow)
		sim->th.sink->ops->flow(sim->th.sink, sim->now, track, phase, id, name);
}
