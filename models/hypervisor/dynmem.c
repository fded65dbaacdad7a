/* SPDX-License-Identifier: MIT */
/*
 * dynmem.c - Hyper-V Dynamic Memory on the host side: the balancing loop, hot-add and balloon
 *            requests (REFERENCE 6; docs/memory.md).
 * Role: a partition with dynamic memory starts with its startup memory (hv_partition_config.memory,
 *       placed by hv.c like any other) and its guest reports its demand (vhw_memory_report, every
 *       1 s in hv_balloon). Every dm_interval the loop gives each reporting partition a goal:
 *       target = clamp(demand x (1 + buffer/100), minimum, maximum) rounded up to 2 MiB; when the
 *       memory the host has for them (its total less the memory of the other partitions) cannot
 *       hold every target, each gets its minimum and the rest is shared in proportion to memory
 *       weight, no partition above its target (water-filling, the excess of a capped one goes to
 *       the others). A partition above its goal is asked to balloon the difference (2 MiB units);
 *       one below it is hot-added the difference in 128 MiB chunks, one after the other, each
 *       taking dm_hot_add_latency before the guest is told, as far as free host memory goes (the
 *       last chunk may be smaller: the host's "covered" range). One operation at a time per
 *       partition; a partition with one in flight, not running or not yet reporting keeps what
 *       it has this round.
 * Nodes: a chunk comes from the home node if it fits there, else from the node with the most
 *       free memory (spanning on; the home node only without it); a balloon gives back memory on
 *       other nodes first, then the home node's. mem_frac follows.
 * Invariant: the memory partitions hold (in-flight hot-adds included) never exceeds the host's,
 *       nor any node's; checked with SIM_ASSERT at every change.
 */
#include <math.h>
#include <string.h>

#include "models/hypervisor/hv-int.h"

#define DM_CHUNK (UINT64_C(128) << 20) /* HA_CHUNK (REFERENCE 6 [S]) */
#define DM_UNIT (UINT64_C(2) << 20)    /* PAGES_IN_2M: the balloon's unit [S] */
#define HV_ERROR (g_quark_from_static_string("hv-config-error"))

enum { DM_EV_LOOP = 1, DM_EV_CHUNK };

struct hv_dm {
	struct sim_entity ent;          /* "vm:NAME/dm": its hot-add chunks */
	sim_timer_t chunk_timer;
	char name[80];
	struct hv_partition *p;
	struct hv_dynamic_memory cfg;
	uint64_t assigned;              /* what the guest has (p->memory also holds an in-flight chunk) */
	uint64_t demand;
	bool reported;
	uint64_t add_left;              /* bytes still to hot-add in the current operation */
	uint64_t chunk;                 /* the chunk in flight (0: none) */
	uint64_t ballooning;            /* bytes asked of the guest's balloon (0: none) */
	uint64_t *node_bytes;           /* nnodes: p->memory per node */
	uint64_t hot_adds, balloon_ops, balloon_bytes;
	double area;                    /* assigned x time since the warm-up, up to area_at */
	sim_time_t area_at, reset_at;
};

static uint64_t round_up(uint64_t x, uint64_t unit) { return (x + unit - 1) / unit * unit; }

uint64_t hv_memory_total(const struct hv *hv) { return hw_memory_per_node(hv->host) * hv->nnodes; }

uint64_t hv_memory_assigned(const struct hv *hv)
{
	uint64_t sum = 0;
	for (uint32_t n = 0; n < hv->nnodes; n++)
		sum += hv->node_memory_used[n];
	return sum;
}

void hv_memory_on_change(struct hv *hv, void (*fn)(void *arg, struct hv_partition *p), void *arg)
{
	hv->dm.on_change = fn;
	hv->dm.on_change_arg = arg;
}

/* After every change: the invariant, mem_frac, the hook. */
static void changed(struct hv_dm *dm)
{
	struct hv_partition *p = dm->p;
	struct hv *hv = p->hv;
	uint64_t per_node = hw_memory_per_node(hv->host), sum = 0;
	for (uint32_t n = 0; n < hv->nnodes; n++) {
		SIM_ASSERT(hv->sim, hv->node_memory_used[n] <= per_node);
		sum += dm->node_bytes[n];
		p->mem_frac[n] = p->memory ? (double)dm->node_bytes[n] / (double)p->memory : 0;
	}
	SIM_ASSERT(hv->sim, sum == p->memory && dm->assigned <= p->memory);
	SIM_ASSERT(hv->sim, hv_memory_assigned(hv) <= hv_memory_total(hv));
	if (hv->dm.on_change)
		hv->dm.on_change(hv->dm.on_change_arg, p);
}

static void set_assigned(struct hv_dm *dm, uint64_t bytes)
{
	sim_time_t now = sim_now(dm->p->hv->sim);
	dm->area += (double)dm->assigned * (double)(now - dm->area_at);
	dm->area_at = now;
	dm->assigned = bytes;
	changed(dm);
	if (dm->p->ops && dm->p->ops->memory_changed)
		dm->p->ops->memory_changed(dm->p->kernel, bytes);
}

/* Starts the next chunk of the hot-add operation, if host memory allows; else ends it. */
static void next_chunk(struct hv_dm *dm)
{
	struct hv *hv = dm->p->hv;
	uint64_t per_node = hw_memory_per_node(hv->host);
	uint32_t home = dm->p->home_node, node = home;
	if (per_node - hv->node_memory_used[home] < MIN(DM_CHUNK, dm->add_left) && hv->cfg.numa_spanning)
		for (uint32_t n = 0; n < hv->nnodes; n++)
			if (hv->node_memory_used[n] < hv->node_memory_used[node])
				node = n;
	uint64_t chunk = MIN(MIN(DM_CHUNK, dm->add_left), per_node - hv->node_memory_used[node]);
	if (chunk == 0) {
		dm->add_left = 0;
		return;
	}
	dm->chunk = chunk;
	hv->node_memory_used[node] += chunk;
	dm->node_bytes[node] += chunk;
	dm->p->memory += chunk;
	changed(dm);
	sim_timer_arm(hv->sim, &dm->chunk_timer, sim_now(hv->sim) + hv->cfg.dm_hot_add_latency);
}

static void chunk_done(struct hv_dm *dm)
{
	uint64_t chunk = dm->chunk;
	dm->chunk = 0;
	dm->add_left -= chunk;
	dm->hot_adds++;
	set_assigned(dm, dm->assigned + chunk);
	if (dm->add_left > 0)
		next_chunk(dm);
}

void vhw_memory_balloon_done(struct vhw_cpu *c, uint64_t bytes)
{
	struct hv_dm *dm = hv_vp_of(c)->part->dm;
	if (!dm)
		return;
	struct hv *hv = dm->p->hv;
	SIM_ASSERT(hv->sim, bytes == dm->ballooning);
	uint64_t left = bytes;
	for (uint32_t i = 0; i <= hv->nnodes && left > 0; i++) {
		/* other nodes first, highest id first, the home node last */
		uint32_t n = i < hv->nnodes ? hv->nnodes - 1 - i : dm->p->home_node;
		if (n == dm->p->home_node && i < hv->nnodes)
			continue;
		uint64_t take = MIN(left, dm->node_bytes[n]);
		dm->node_bytes[n] -= take;
		hv->node_memory_used[n] -= take;
		left -= take;
	}
	SIM_ASSERT(hv->sim, left == 0);
	dm->p->memory -= bytes;
	dm->ballooning = 0;
	dm->balloon_ops++;
	dm->balloon_bytes += bytes;
	set_assigned(dm, dm->assigned - bytes);
}

static void balloon(struct hv_dm *dm, uint64_t bytes)
{
	dm->ballooning = bytes;
	if (dm->p->ops && dm->p->ops->balloon)
		dm->p->ops->balloon(dm->p->kernel, bytes);
	else
		vhw_memory_balloon_done(&((struct hv_vp *)dm->p->vps->pdata[0])->cpu, bytes);
}

void vhw_memory_report(struct vhw_cpu *c, uint64_t demand_bytes)
{
	struct hv_dm *dm = hv_vp_of(c)->part->dm;
	if (!dm)
		return;
	dm->demand = demand_bytes;
	dm->reported = true;
}

static bool takes_part(const struct hv_dm *dm)
{
	return dm->p->running && dm->reported && !dm->chunk && !dm->ballooning;
}

static uint64_t target_of(const struct hv_dm *dm)
{
	uint64_t t = round_up((uint64_t)(((unsigned __int128)dm->demand * (100 + dm->cfg.buffer_pct)) / 100), DM_UNIT);
	return CLAMP(t, dm->cfg.minimum, dm->cfg.maximum);
}

/* The balancing loop (see the top of this file). */
static void balance(struct hv *hv)
{
	uint32_t n = hv->parts->len;
	uint64_t *goal = g_new0(uint64_t, n), *target = g_new0(uint64_t, n);
	bool *in = g_new0(bool, n); /* takes part in this round */
	uint64_t avail = hv_memory_total(hv), want = 0, floor = 0;
	for (uint32_t i = 0; i < n; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		if (!p->dm || !takes_part(p->dm)) {
			avail -= p->memory;
			continue;
		}
		in[i] = true;
		target[i] = target_of(p->dm);
		want += target[i];
		floor += p->dm->cfg.minimum;
	}
	if (want <= avail) {
		memcpy(goal, target, n * sizeof *goal);
	} else { /* minimum each, then the rest by weight, water-filling */
		uint64_t rest = avail - floor;
		for (uint32_t i = 0; i < n; i++)
			if (in[i])
				goal[i] = ((struct hv_partition *)hv->parts->pdata[i])->dm->cfg.minimum;
		while (rest >= DM_UNIT) {
			uint64_t w = 0, given = 0;
			for (uint32_t i = 0; i < n; i++)
				if (in[i] && goal[i] < target[i])
					w += ((struct hv_partition *)hv->parts->pdata[i])->dm->cfg.weight;
			if (w == 0)
				break;
			for (uint32_t i = 0; i < n; i++) {
				if (!in[i] || goal[i] >= target[i])
					continue;
				uint64_t share = (uint64_t)(((unsigned __int128)rest *
							     ((struct hv_partition *)hv->parts->pdata[i])->dm->cfg.weight) / w);
				share = MIN(share, target[i] - goal[i]);
				goal[i] += share;
				given += share;
			}
			rest -= given;
			if (given == 0)
				break;
		}
		for (uint32_t i = 0; i < n; i++) /* whole balloon units, not below the minimum */
			if (in[i])
				goal[i] = MAX(goal[i] / DM_UNIT * DM_UNIT,
					      ((struct hv_partition *)hv->parts->pdata[i])->dm->cfg.minimum);
	}
	/* balloons first: the memory they return serves the hot-adds of later rounds */
	for (uint32_t i = 0; i < n; i++) {
		struct hv_dm *dm = ((struct hv_partition *)hv->parts->pdata[i])->dm;
		if (in[i] && dm->assigned >= goal[i] + DM_UNIT)
			balloon(dm, (dm->assigned - goal[i]) / DM_UNIT * DM_UNIT);
	}
	for (uint32_t i = 0; i < n; i++) {
		struct hv_dm *dm = ((struct hv_partition *)hv->parts->pdata[i])->dm;
		if (in[i] && goal[i] > dm->assigned) {
			dm->add_left = goal[i] - dm->assigned;
			next_chunk(dm);
		}
	}
	g_free(goal);
	g_free(target);
	g_free(in);
}

static void loop_start(struct sim_entity *ent)
{
	struct hv *hv = sim_container_of(ent, struct hv, dm.ent);
	sim_timer_arm(hv->sim, &hv->dm.timer, sim_now(hv->sim) + hv->cfg.dm_interval);
}

static void loop_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)kind, (void)pl;
	struct hv *hv = sim_container_of(ent, struct hv, dm.ent);
	balance(hv);
	sim_timer_arm(hv->sim, &hv->dm.timer, sim_now(hv->sim) + hv->cfg.dm_interval);
}

static const struct sim_entity_ops loop_ops = {.kind = "hv-dm", .start = loop_start, .event = loop_event};

static void dm_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)kind, (void)pl;
	chunk_done(sim_container_of(ent, struct hv_dm, ent));
}

static const struct sim_entity_ops dm_ops = {.kind = "hv-dm-partition", .event = dm_event};

bool hv_dm_check(struct hv *hv, const struct hv_partition_config *cfg, GError **error)
{
	const struct hv_dynamic_memory *d = &cfg->dynamic_memory;
	const char *name = cfg->name;
	if (!d->enabled)
		return true;
	uint64_t min = d->minimum ? d->minimum : cfg->memory, max = d->maximum ? d->maximum : cfg->memory;
	const char *why = hv->bare_metal                                ? "needs a hypervisor (not none)"
			  : hv->cfg.dm_interval == 0 || hv->cfg.dm_hot_add_latency == 0 ? "needs a positive dm_interval and dm_hot_add_latency"
			  : min > cfg->memory || cfg->memory > max ? "needs minimum <= memory <= maximum"
			  : d->weight < 1 || d->weight > 10000           ? "weight outside 1..10000"
			  : d->buffer_pct > 2000                          ? "buffer outside 0..2000 %"
									  : NULL;
	if (why)
		g_set_error(error, HV_ERROR, 0, "vm '%s': dynamic memory %s", name, why);
	return !why;
}

void hv_dm_attach(struct hv_partition *p, const struct hv_dynamic_memory *cfg)
{
	struct hv *hv = p->hv;
	struct hv_dm *dm = g_new0(struct hv_dm, 1);
	dm->p = p;
	dm->cfg = *cfg;
	if (!dm->cfg.minimum)
		dm->cfg.minimum = p->memory;
	if (!dm->cfg.maximum)
		dm->cfg.maximum = p->memory;
	dm->assigned = p->memory;
	dm->node_bytes = g_new0(uint64_t, hv->nnodes);
	uint64_t sum = 0;
	uint32_t big = p->home_node;
	for (uint32_t n = 0; n < hv->nnodes; n++) {
		dm->node_bytes[n] = (uint64_t)llround(p->mem_frac[n] * (double)p->memory);
		sum += dm->node_bytes[n];
		if (dm->node_bytes[n] > dm->node_bytes[big])
			big = n;
	}
	dm->node_bytes[big] += p->memory - sum; /* rounding, if any */
	dm->area_at = dm->reset_at = sim_now(hv->sim);
	p->dm = dm;
	snprintf(dm->name, sizeof dm->name, "vm:%s/dm", p->name);
	sim_entity_add(hv->sim, &dm->ent, &dm_ops, dm->name);
	sim_timer_init(&dm->chunk_timer, &dm->ent, DM_EV_CHUNK);
	if (!hv->dm.added) {
		hv->dm.added = true;
		sim_entity_add(hv->sim, &hv->dm.ent, &loop_ops, "hv/dm");
		sim_timer_init(&hv->dm.timer, &hv->dm.ent, DM_EV_LOOP);
	}
}

void hv_dm_free(struct hv_partition *p)
{
	if (!p->dm)
		return;
	g_free(p->dm->node_bytes);
	g_free(p->dm);
	p->dm = NULL;
}

void hv_dm_reset(struct hv_partition *p, sim_time_t now)
{
	struct hv_dm *dm = p->dm;
	dm->area = 0;
	dm->area_at = dm->reset_at = now;
	dm->hot_adds = dm->balloon_ops = dm->balloon_bytes = 0;
}

void hv_partition_dm_stats(const struct hv_partition *p, struct hv_dm_stats *out)
{
	memset(out, 0, sizeof *out);
	const struct hv_dm *dm = p->dm;
	if (!dm) {
		out->assigned = p->memory;
		out->assigned_mean = (double)p->memory;
		return;
	}
	sim_time_t now = sim_now(p->hv->sim);
	out->enabled = true;
	out->assigned = dm->assigned;
	out->demand = dm->demand;
	double area = dm->area + (double)dm->assigned * (double)(now - dm->area_at);
	out->assigned_mean = now > dm->reset_at ? area / (double)(now - dm->reset_at) : (double)dm->assigned;
	out->hot_adds = dm->hot_adds;
	out->balloon_ops = dm->balloon_ops;
	out->balloon_bytes = dm->balloon_bytes;
}
