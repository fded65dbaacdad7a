/* SPDX-License-Identifier: MIT */
/*
 * trace.c - track registry and the emit functions of trace.h.
 * Role: keeps the declared tracks (so a sink attached late still learns them, in id order) and
 *       forwards each emit to the attached sink, stamped with the current simulated time.
 */
#include "sim/sim-int.h"

void sim_trace_attach(struct sim *sim, struct sim_trace_sink *sink)
{
	sim->trace = sink;
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
	if (sim->trace)
		sim->trace->ops->track(sim->trace, id, group, name);
	return id;
}

void sim_trace_begin(struct sim *sim, uint32_t track, const char *name)
{
	if (sim->trace)
		sim->trace->ops->begin(sim->trace, sim->now, track, name);
}

void sim_trace_end(struct sim *sim, uint32_t track)
{
	if (sim->trace)
		sim->trace->ops->end(sim->trace, sim->now, track);
}

void sim_trace_instant(struct sim *sim, uint32_t track, const char *name)
{
	if (sim->trace)
		sim->trace->ops->instant(sim->trace, sim->now, track, name);
}

void sim_trace_counter(struct sim *sim, uint32_t track, const char *name, double value)
{
	if (sim->trace)
		sim->trace->ops->counter(sim->trace, sim->now, track, name, value);
}
