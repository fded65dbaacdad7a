/* SPDX-License-Identifier: MIT */
/*
 * hv.c - building the hypervisor: configuration, partitions and their VPs, NUMA placement of a
 *        partition's memory and VPs, run-time actions, enforcement periods, counters.
 * Role: the structural half of models/hypervisor (vp.c runs VPs, sched_*.c choose them).
 * Placement: a partition without a fixed node gets the node with the fewest VPs per LP already
 *       placed among those with room for its memory (lowest id on ties); its memory comes from
 *       that node, or, when it does not fit and NUMA spanning is on, from the nearest nodes in
 *       turn (REFERENCE 1.4); or, by its memory_placement, evenly over the nodes it may use
 *       (interleave) or in proportion to where its VPs are expected to run (follow). Without
 *       spanning a partition must fit one node (memory and VPs), all its memory is on that node
 *       whatever the placement, and its VPs run only on that node's LPs.
 * Virtual NUMA (vnuma_nodes > 1): the memory is cut into one equal part per virtual node and
 *       each part lies whole on one host node (place_vnodes); a VP prefers the host node of its
 *       virtual node (vp->home_node) where every policy prefers the home node.
 */
#include <math.h>
#include <string.h>

#include "models/hypervisor/hv-int.h"

#define HV_ERROR (g_quark_from_static_string("hv-config-error"))
enum { HV_EV_PERIOD = 1, HV_EV_ACTION, HV_EV_COSTOP };

static bool fail(GError **error, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool fail(GError **error, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	g_propagate_error(error, g_error_new_valist(HV_ERROR, 0, fmt, ap));
	va_end(ap);
	return false;
}

void hv_config_default(struct hv_config *c)
{
	memset(c, 0, sizeof *c);
	c->policy = "classic";
	c->timeslice = 10 * SIM_PS_PER_MS;
	c->period = 100 * SIM_PS_PER_MS;
	c->soft_affinity = true;
	c->affinity_slack = 20 * SIM_PS_PER_MS;
	c->numa_spanning = true;
	c->numa_slack = 50 * SIM_PS_PER_MS;
	c->cfs_latency = 24 * SIM_PS_PER_MS;
	c->cfs_min_granularity = 3 * SIM_PS_PER_MS;
	c->cfs_wakeup_granularity = 4 * SIM_PS_PER_MS;
	c->cfs_balance_interval = 4 * SIM_PS_PER_MS;
	c->steal_clock = -1;
	c->ple = "off";
	c->ple_window = 4096;
	c->ple_window_max = 4096u << 10;
	c->ple_gap = 128;
	c->pause_filter_count = 3000;
	c->pause_filter_thresh = 128;
	c->directed_yield = true;
	c->root_vcpus = 0;
	c->root_weight = 100;
	c->dm_interval = SIM_PS_PER_S;
	c->dm_hot_add_latency = 10 * SIM_PS_PER_MS;
	hv_costs_default(&c->costs);
}

void hv_partition_config_default(struct hv_partition_config *c)
{
	memset(c, 0, sizeof *c);
	c->vcpus = 1;
	c->weight = 100;
	c->reserve = 0;
	c->limit = 100;
	c->memory = UINT64_C(1) << 30;
	c->numa_node = -1;
	c->start = true;
	c->dynamic_memory.buffer_pct = 20;
	c->dynamic_memory.weight = 5000;
}

/* ---- names ---- */

static const char *const hc_names[] = {
#define X(id, name) [VHW_HC_##id] = name,
	VHW_HYPERCALLS(X)
#undef X
};
static const struct {
	const char *name;
	enum vhw_where where;
} ic_table[] = {
#define X(id, name, where) [VHW_IC_##id] = {name, where},
	VHW_INTERCEPTS(X)
#undef X
};
const char *vhw_hypercall_name(enum vhw_hypercall k) { return k < VHW_NHYPERCALLS ? hc_names[k] : "?"; }
const char *vhw_intercept_name(enum vhw_intercept k) { return k < VHW_NINTERCEPTS ? ic_table[k].name : "?"; }
enum vhw_where vhw_intercept_where(enum vhw_intercept k) { return ic_table[k].where; }

/* ---- policies ---- */

const struct hv_sched_ops *hv_sched_find(const char *name)
{
	static const struct hv_sched_ops *const all[] = {&hv_sched_classic, &hv_sched_core, &hv_sched_cfs, &hv_sched_none};
	for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

/* ---- VPs ---- */

static struct hv_vp *vp_new(struct hv_partition *p, uint32_t index)
{
	struct hv *hv = p->hv;
	struct hv_vp *vp = g_new0(struct hv_vp, 1);
	vp->cpu.index = index;
	vp->hv = hv;
	vp->part = p;
	vp->state = HV_VP_OFF;
	vp->mode = HV_MODE_EXIT;
	vp->last_lp = -1;
	vp->pinned_lp = -1;
	vp->home_node = p->nvnodes > 1 ? p->vnode_host[MIN(index / p->vcpus_per_vnode, p->nvnodes - 1)] : p->home_node;
	vp->vruntime = hv->min_vruntime;
	vp->throttle_link.data = vp;
	vp->pause_cycles = 40;
	vp->ple_window = hv->cfg.ple_window;
	vp->rq_node.id = sim_entity_count(hv->sim);
	snprintf(vp->name, sizeof vp->name, "%s%s/vp:%u", p->is_root ? "" : "vm:", p->name, index);
	snprintf(vp->label, sizeof vp->label, "%s/vp%u", p->name, index);
	if (!p->is_root) {
		char *group = g_strdup_printf("vm:%s", p->name), *track = g_strdup_printf("vcpu:%u", index);
		vp->cpu.track = sim_trace_track(hv->sim, group, track);
		g_free(group);
		g_free(track);
	}
	sim_entity_add(hv->sim, &vp->ent, &hv_vp_ops, vp->name);
	hv_vp_timers_init(vp);
	g_ptr_array_add(p->vps, vp);
	return vp;
}

/* Is LP lp in the partition's hard affinity (all LPs when it has none)? */
static bool may_use(const struct hv_partition *p, uint32_t lp)
{
	return !p->affinity || (p->affinity[lp / 64] >> (lp % 64) & 1);
}

bool hv_vp_allowed(const struct hv *hv, const struct hv_vp *vp, const struct hv_lp *lp)
{
	if (vp->pinned_lp >= 0)
		return (uint32_t)vp->pinned_lp == lp->id;
	const struct hv_partition *p = vp->part;
	if (!may_use(p, lp->id))
		return false;
	if (!hv->cfg.numa_spanning && lp->hw->node != p->home_node)
		return false;
	return true;
}

struct hv_lp *hv_find_idle_lp(struct hv *hv, const struct hv_vp *vp, int32_t first)
{
	if (first >= 0 && !hv->lps[first].cur && !sim_timer_pending(&hv->lps[first].kick_timer) &&
	    hv_vp_allowed(hv, vp, &hv->lps[first]))
		return &hv->lps[first];
	for (uint32_t pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < hv->nlps; i++) {
			struct hv_lp *lp = &hv->lps[i];
			if ((pass == 0) != (lp->hw->node == vp->home_node))
				continue;
			if (!lp->cur && !sim_timer_pending(&lp->kick_timer) && hv_vp_allowed(hv, vp, lp))
				return lp;
		}
	return NULL;
}

/* ---- partitions ---- */

static struct hv_partition *partition_new(struct hv *hv, const char *name, bool is_root)
{
	struct hv_partition *p = g_new0(struct hv_partition, 1);
	p->hv = hv;
	p->name = g_strdup(name);
	p->index = hv->parts->len;
	p->is_root = is_root;
	p->vps = g_ptr_array_new();
	p->mem_frac = g_new0(double, hv->nnodes);
	p->nvnodes = 1;
	if (!is_root) {
		char *group = g_strdup_printf("vm:%s", name);
		p->steal_track = sim_trace_track(hv->sim, group, "steal");
		g_free(group);
	}
	g_ptr_array_add(hv->parts, p);
	return p;
}

static void partition_free(struct hv_partition *p)
{
	for (guint i = 0; i < p->vps->len; i++)
		g_free(p->vps->pdata[i]);
	g_ptr_array_free(p->vps, TRUE);
	g_free(p->mem_frac);
	g_free(p->vnode_host);
	g_free(p->vnode_frac);
	g_free(p->affinity);
	g_free(p->name);
	g_free(p->backing.busy);
	hv_dm_free(p);
	g_free(p);
}

static uint32_t vps_on_node(const struct hv *hv, uint32_t node)
{
	uint32_t n = 0;
	for (guint i = 0; i < hv->parts->len; i++) {
		const struct hv_partition *p = hv->parts->pdata[i];
		if (!p->is_root && p->home_node == node)
			n += p->vps->len;
	}
	return n;
}

const char *hv_mem_placement_name(enum hv_mem_placement m)
{
	static const char *const names[] = {[HV_MEM_NODE] = "node", [HV_MEM_INTERLEAVE] = "interleave",
					    [HV_MEM_FOLLOW] = "follow"};
	return m < G_N_ELEMENTS(names) ? names[m] : "?";
}

/*
 * memory_placement follow: adds to w[node] how many of p's nvps VPs are expected on each node.
 * VP i counts on the node of the i-th (wrapping) LP in its affinity: under `none` the free LPs in
 * id order (the LP add_vps pins it to); otherwise its home node's LPs, then the others, each in
 * id order (the order hv_find_idle_lp tries them, so where busy VPs spread).
 */
static void follow_nodes(const struct hv *hv, const struct hv_partition *p, uint32_t nvps, uint32_t *node_of_vp,
			 uint64_t *w);
static void mem_follow(const struct hv *hv, const struct hv_partition *p, uint32_t nvps, uint64_t *w)
{
	follow_nodes(hv, p, nvps, NULL, w);
}

/* mem_follow's expected node of each VP (node_of_vp, may be NULL) and the count per node (w, may be NULL). */
static void follow_nodes(const struct hv *hv, const struct hv_partition *p, uint32_t nvps, uint32_t *node_of_vp,
			 uint64_t *w)
{
	uint32_t *lps = g_new(uint32_t, hv->nlps), n = 0;
	for (uint32_t pass = 0; pass < 2; pass++)
		for (uint32_t i = 0; i < hv->nlps; i++) {
			bool skip = hv->bare_metal ? pass == 1 || hv->lp_taken[i]
						   : (pass == 0) != (hv->lps[i].hw->node == p->home_node);
			if (!skip && may_use(p, i))
				lps[n++] = i;
		}
	for (uint32_t i = 0; i < nvps; i++) {
		uint32_t node = n > 0 ? hv->lps[lps[i % n]].hw->node : p->home_node;
		if (w && n > 0)
			w[node]++;
		if (node_of_vp)
			node_of_vp[i] = node;
	}
	g_free(lps);
}

/*
 * memory_placement interleave or follow (spanning on): node k gets memory x w[k] / sum(w), the
 * bytes lost to rounding going to the home node (or the first node with a share). A node without
 * room for its share refuses the VM: nothing spills elsewhere.
 */
static bool place_spread(struct hv *hv, struct hv_partition *p, const struct hv_partition_config *cfg,
			 GError **error)
{
	uint64_t per_node = hw_memory_per_node(hv->host), total = 0, given = 0;
	uint64_t *w = g_new0(uint64_t, hv->nnodes), *take = g_new0(uint64_t, hv->nnodes);
	if (cfg->memory_placement == HV_MEM_INTERLEAVE) {
		for (uint32_t i = 0; i < hv->nlps; i++)
			if (may_use(p, i))
				w[hv->lps[i].hw->node] = 1;
	} else {
		mem_follow(hv, p, cfg->vcpus, w);
	}
	for (uint32_t n = 0; n < hv->nnodes; n++)
		total += w[n];
	if (total == 0)
		w[p->home_node] = total = 1;
	uint32_t first = p->home_node;
	for (uint32_t n = 0; n < hv->nnodes; n++) {
		take[n] = (uint64_t)((unsigned __int128)cfg->memory * w[n] / total);
		given += take[n];
		if (w[n] && !w[first])
			first = n;
	}
	take[first] += cfg->memory - given;
	bool ok = true;
	for (uint32_t n = 0; n < hv->nnodes && ok; n++)
		if (take[n] > per_node - hv->node_memory_used[n])
			ok = fail(error, "vm '%s': memory_placement %s puts %llu MiB on NUMA node %u, which has %llu MiB free",
				  p->name, hv_mem_placement_name(cfg->memory_placement),
				  (unsigned long long)(take[n] >> 20), n,
				  (unsigned long long)((per_node - hv->node_memory_used[n]) >> 20));
	for (uint32_t n = 0; n < hv->nnodes && ok; n++) {
		hv->node_memory_used[n] += take[n];
		p->mem_frac[n] = cfg->memory ? (double)take[n] / (double)cfg->memory : (double)w[n] / (double)total;
	}
	g_free(w);
	g_free(take);
	return ok;
}

/* The nodes p may use (an LP of them in its affinity), in id order; returns how many. */
static uint32_t usable_nodes(const struct hv *hv, const struct hv_partition *p, uint32_t *out)
{
	uint32_t n = 0;
	for (uint32_t node = 0; node < hv->nnodes; node++)
		for (uint32_t i = 0; i < hv->nlps; i++)
			if (hv->lps[i].hw->node == node && may_use(p, i)) {
				out[n++] = node;
				break;
			}
	return n;
}

/*
 * The host node of virtual node v (`bytes` of memory; take[] holds what the earlier virtual nodes
 * took): the home node without spanning; by placement node the home node if it has room, else the
 * nearest node with room (lowest id on ties); interleave the usable nodes in turn from the home
 * node; follow the node most of v's VPs are expected on (follow_nodes; lowest id on ties).
 * -1: no node has room (placement node).
 */
static int32_t vnode_host(const struct hv *hv, const struct hv_partition *p, const struct hv_partition_config *cfg,
			  uint32_t v, uint64_t bytes, const uint64_t *take)
{
	uint64_t per_node = hw_memory_per_node(hv->host);
	uint32_t home = p->home_node, *nodes = g_new(uint32_t, MAX(hv->nnodes, cfg->vcpus));
	int32_t best = -1;
	if (!hv->cfg.numa_spanning) {
		best = (int32_t)home;
	} else if (cfg->memory_placement == HV_MEM_INTERLEAVE) {
		uint32_t u = usable_nodes(hv, p, nodes), start = 0;
		for (uint32_t i = 0; i < u; i++)
			if (nodes[i] == home)
				start = i;
		best = u ? (int32_t)nodes[(start + v) % u] : (int32_t)home;
	} else if (cfg->memory_placement == HV_MEM_FOLLOW) {
		follow_nodes(hv, p, cfg->vcpus, nodes, NULL);
		uint32_t *count = g_new0(uint32_t, hv->nnodes);
		for (uint32_t i = v * p->vcpus_per_vnode; i < (v + 1) * p->vcpus_per_vnode; i++)
			count[nodes[i]]++;
		for (uint32_t n = 0; n < hv->nnodes; n++)
			if (best < 0 || count[n] > count[best])
				best = (int32_t)n;
		g_free(count);
	} else {
		for (uint32_t n = 0; n < hv->nnodes; n++) {
			bool room = per_node - hv->node_memory_used[n] - take[n] >= bytes;
			if (room && (best < 0 || n == home ||
				     (best != (int32_t)home && hw_distance(hv->host, home, n) <
								hw_distance(hv->host, home, (uint32_t)best))))
				best = (int32_t)n;
		}
	}
	g_free(nodes);
	return best;
}

/*
 * Virtual NUMA: virtual node v gets memory / n bytes (the last one the remainder too) on the host
 * node vnode_host chooses. A host node without room for what its virtual nodes take refuses the VM
 * (nothing is taken then).
 */
static bool place_vnodes(struct hv *hv, struct hv_partition *p, const struct hv_partition_config *cfg, GError **error)
{
	uint32_t nv = cfg->vnuma_nodes;
	uint64_t per_node = hw_memory_per_node(hv->host), *take = g_new0(uint64_t, hv->nnodes);
	p->nvnodes = nv;
	p->vcpus_per_vnode = cfg->vcpus / nv;
	p->vnode_host = g_new0(uint32_t, nv);
	p->vnode_frac = g_new0(double, (size_t)nv * hv->nnodes);
	bool ok = true;
	for (uint32_t v = 0; v < nv && ok; v++) {
		uint64_t bytes = cfg->memory / nv + (v == nv - 1 ? cfg->memory % nv : 0);
		int32_t node = vnode_host(hv, p, cfg, v, bytes, take);
		if (node < 0) {
			ok = fail(error, "vm '%s': virtual NUMA node %u (%llu MiB) fits no host node", p->name, v,
				  (unsigned long long)(bytes >> 20));
			break;
		}
		p->vnode_host[v] = (uint32_t)node;
		p->vnode_frac[(size_t)v * hv->nnodes + (uint32_t)node] = 1.0;
		take[node] += bytes;
	}
	for (uint32_t n = 0; n < hv->nnodes && ok; n++)
		if (take[n] > per_node - hv->node_memory_used[n])
			ok = fail(error, "vm '%s': its virtual NUMA nodes put %llu MiB on NUMA node %u, which has %llu MiB free",
				  p->name, (unsigned long long)(take[n] >> 20), n,
				  (unsigned long long)((per_node - hv->node_memory_used[n]) >> 20));
	for (uint32_t n = 0; n < hv->nnodes && ok; n++) {
		hv->node_memory_used[n] += take[n];
		p->mem_frac[n] = cfg->memory ? (double)take[n] / (double)cfg->memory : (n == p->home_node);
	}
	g_free(take);
	return ok;
}

/* Chooses the home node and spreads the memory (see the top of this file). */
static bool place_memory(struct hv *hv, struct hv_partition *p, const struct hv_partition_config *cfg, GError **error)
{
	uint64_t per_node = hw_memory_per_node(hv->host);
	uint32_t lps_per_node = hv->nlps / hv->nnodes;
	int32_t home = cfg->numa_node;
	if (home < 0) {
		/* fewest VPs already placed (then lowest id) among nodes where the memory fits */
		for (int fit = 1; fit >= 0 && home < 0; fit--)
			for (uint32_t n = 0; n < hv->nnodes; n++) {
				if (fit && per_node - hv->node_memory_used[n] < cfg->memory)
					continue;
				if (home < 0 || vps_on_node(hv, n) < vps_on_node(hv, (uint32_t)home))
					home = (int32_t)n;
			}
	}
	p->home_node = (uint32_t)home;
	uint64_t free_home = per_node - hv->node_memory_used[home];
	if (!hv->cfg.numa_spanning) {
		if (cfg->memory > free_home)
			return fail(error, "vm '%s': memory %llu MiB does not fit NUMA node %d (%llu MiB free) and "
					   "numa_spanning is off", p->name, (unsigned long long)(cfg->memory >> 20), home,
				    (unsigned long long)(free_home >> 20));
		if (cfg->vcpus > lps_per_node)
			return fail(error, "vm '%s': %u vcpus exceed the %u logical processors of one NUMA node and "
					   "numa_spanning is off", p->name, cfg->vcpus, lps_per_node);
	}
	if (cfg->vnuma_nodes > 1)
		return place_vnodes(hv, p, cfg, error);
	if (cfg->memory_placement != HV_MEM_NODE && hv->cfg.numa_spanning)
		return place_spread(hv, p, cfg, error);
	/* take from the home node, then the nearest nodes (lowest id on ties) */
	uint64_t left = cfg->memory;
	bool *used = g_new0(bool, hv->nnodes);
	for (uint32_t step = 0; step < hv->nnodes && left > 0; step++) {
		int32_t best = -1;
		for (uint32_t n = 0; n < hv->nnodes; n++)
			if (!used[n] && (best < 0 || hw_distance(hv->host, (uint32_t)home, n) <
							  hw_distance(hv->host, (uint32_t)home, (uint32_t)best)))
				best = (int32_t)n;
		if (step == 0)
			best = home;
		used[best] = true;
		uint64_t take = MIN(left, per_node - hv->node_memory_used[best]);
		p->mem_frac[best] = (double)take / (double)cfg->memory;
		hv->node_memory_used[best] += take;
		left -= take;
	}
	g_free(used);
	if (left > 0) {
		for (uint32_t n = 0; n < hv->nnodes; n++)
			hv->node_memory_used[n] -= (uint64_t)llround(p->mem_frac[n] * (double)cfg->memory);
		return fail(error, "vm '%s': memory %llu MiB exceeds the host's free memory", p->name,
			    (unsigned long long)(cfg->memory >> 20));
	}
	if (cfg->memory == 0)
		p->mem_frac[home] = 1.0;
	return true;
}

static bool check_controls(struct hv *hv, const char *name, uint32_t weight, double reserve, double limit,
			   uint32_t vcpus, double reserve_elsewhere, GError **error)
{
	if (weight < 1 || weight > 10000)
		return fail(error, "vm '%s': weight %u outside 1..10000", name, weight);
	if (!(reserve >= 0 && reserve <= 100))
		return fail(error, "vm '%s': reserve %g%% outside 0..100", name, reserve);
	if (!(limit > 0 && limit <= 100))
		return fail(error, "vm '%s': limit %g%% outside (0, 100]", name, limit);
	if (reserve > limit)
		return fail(error, "vm '%s': reserve %g%% above limit %g%%", name, reserve, limit);
	if (reserve_elsewhere + reserve * vcpus > 100.0 * hv->nlps + 1e-9)
		return fail(error, "vm '%s': reserves would total %g%% of one LP, more than the host's %u LPs", name,
			    reserve_elsewhere + reserve * vcpus, hv->nlps);
	return true;
}

static double reserve_total(const struct hv *hv, const struct hv_partition *except)
{
	double r = 0;
	for (guint i = 0; i < hv->parts->len; i++) {
		const struct hv_partition *p = hv->parts->pdata[i];
		if (p != except)
			r += p->reserve * p->vps->len;
	}
	return r;
}

/* Under `none`: LPs not yet given to a guest CPU that p may use (its affinity list, if any). */
static uint32_t bare_metal_free(const struct hv *hv, const struct hv_partition *p)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < hv->nlps; i++)
		n += !hv->lp_taken[i] && may_use(p, i);
	return n;
}

/*
 * Checked before any VP is made: a VP's entity cannot be taken back from the sim, so nothing
 * after this may fail. Under `none` each guest CPU needs an LP of its own.
 */
static bool check_room(const struct hv_partition *p, uint32_t n, GError **error)
{
	const struct hv *hv = p->hv;
	if (!hv->bare_metal)
		return true;
	uint32_t free = bare_metal_free(hv, p);
	if (n > free)
		return fail(error, "vm '%s': bare metal (hypervisor none) gives each vCPU its own logical processor; "
				   "%u vcpus asked for, %u free%s", p->name, n, free, p->affinity ? " in its affinity" : "");
	return true;
}

/* Adds n VPs (check_room said there is room); under `none` each takes the next free LP. */
static void add_vps(struct hv_partition *p, uint32_t n)
{
	struct hv *hv = p->hv;
	for (uint32_t i = 0; i < n; i++) {
		struct hv_vp *vp = vp_new(p, p->vps->len);
		/* the first free LP; with virtual NUMA one on its virtual node's host node first */
		for (uint32_t pass = p->nvnodes > 1 ? 0 : 1; hv->bare_metal && pass < 2; pass++)
			for (uint32_t lp = 0; lp < hv->nlps && vp->pinned_lp < 0; lp++)
				if (!hv->lp_taken[lp] && may_use(p, lp) && (pass == 1 || hv->lps[lp].hw->node == vp->home_node)) {
					hv->lp_taken[lp] = true;
					vp->pinned_lp = (int32_t)lp;
				}
		if (p->ops && p->ops->vcpu_added)
			p->ops->vcpu_added(p->kernel, &vp->cpu);
		if (p->running)
			hv_vp_start(vp);
	}
}

struct hv_partition *hv_partition_add(struct hv *hv, const struct hv_partition_config *cfg,
				      const struct vhw_partition_ops *ops, void *kernel, GError **error)
{
	const char *name = cfg->name ? cfg->name : "";
	if (!*name || strchr(name, '/') || hv_partition_find(hv, name)) {
		fail(error, "vm name '%s': names must be non-empty, unique and free of '/'", name);
		return NULL;
	}
	if (cfg->vcpus < 1 || cfg->vcpus > 4096) {
		fail(error, "vm '%s': vcpus %u outside 1..4096", name, cfg->vcpus);
		return NULL;
	}
	if (!check_controls(hv, name, cfg->weight, cfg->reserve, cfg->limit, cfg->vcpus, reserve_total(hv, NULL), error))
		return NULL;
	if (!(cfg->mem_share >= 0 && cfg->mem_share <= 1)) {
		fail(error, "vm '%s': memory_bound %g outside 0..1", name, cfg->mem_share);
		return NULL;
	}
	if ((unsigned)cfg->memory_placement > HV_MEM_FOLLOW) {
		fail(error, "vm '%s': unknown memory_placement %d", name, (int)cfg->memory_placement);
		return NULL;
	}
	if (!hv_dm_check(hv, cfg, error))
		return NULL;
	if (cfg->vnuma_nodes > 1 && (cfg->vcpus % cfg->vnuma_nodes != 0 || cfg->dynamic_memory.enabled)) {
		fail(error, cfg->dynamic_memory.enabled ? "vm '%s': a VM with dynamic memory has one virtual NUMA node, not %u"
							: "vm '%s': %u virtual NUMA nodes do not divide its vcpus", name,
		     cfg->vnuma_nodes);
		return NULL;
	}
	if (cfg->numa_node >= (int32_t)hv->nnodes) {
		fail(error, "vm '%s': numa_node %d but the host has %u nodes", name, cfg->numa_node, hv->nnodes);
		return NULL;
	}
	for (uint32_t i = 0; i < cfg->naffinity; i++)
		if (cfg->affinity[i] >= hv->nlps) {
			fail(error, "vm '%s': affinity names LP %u but the host has %u", name, cfg->affinity[i], hv->nlps);
			return NULL;
		}
	struct hv_partition *p = partition_new(hv, name, false);
	p->weight = cfg->weight;
	p->reserve = cfg->reserve;
	p->limit = cfg->limit;
	p->memory = cfg->memory;
	p->mem_share = cfg->mem_share;
	p->ops = ops;
	p->kernel = kernel;
	if (cfg->naffinity) {
		p->affinity = g_new0(uint64_t, (hv->nlps + 63) / 64);
		for (uint32_t i = 0; i < cfg->naffinity; i++)
			p->affinity[cfg->affinity[i] / 64] |= UINT64_C(1) << (cfg->affinity[i] % 64);
	}
	GError *err = NULL;
	if (!place_memory(hv, p, cfg, &err) || (hv->sched->check_partition && !hv->sched->check_partition(hv, p, &err)) ||
	    !check_room(p, cfg->vcpus, &err)) {
		g_propagate_error(error, err);
		/* undo: a partition that failed leaves nothing behind (it has no VPs yet) */
		for (uint32_t n = 0; n < hv->nnodes; n++)
			if (p->mem_frac[n] > 0)
				hv->node_memory_used[n] -= (uint64_t)llround(p->mem_frac[n] * (double)p->memory);
		g_ptr_array_remove_index(hv->parts, hv->parts->len - 1);
		partition_free(p);
		return NULL;
	}
	add_vps(p, cfg->vcpus);
	if (cfg->dynamic_memory.enabled)
		hv_dm_attach(p, &cfg->dynamic_memory);
	if (cfg->start && hv->started)
		hv_partition_start(p);
	else
		p->running = false, p->start_at_run = cfg->start;
	return p;
}

/* ---- run-time actions ---- */

bool hv_partition_hot_add(struct hv_partition *p, uint32_t n, GError **error)
{
	if (n < 1 || p->vps->len + n > 4096)
		return fail(error, "vm '%s': cannot hot-add %u vcpus to %u", p->name, n, p->vps->len);
	if (p->reserve > 0 && !check_controls(p->hv, p->name, p->weight, p->reserve, p->limit, p->vps->len + n,
					      reserve_total(p->hv, p), error))
		return false;
	if (!check_room(p, n, error))
		return false;
	add_vps(p, n);
	return true;
}

static void reweight(struct hv_partition *p)
{
	if (p->hv->sched->reweight)
		p->hv->sched->reweight(p->hv, p);
}

bool hv_partition_set_weight(struct hv_partition *p, uint32_t weight, GError **error)
{
	if (!check_controls(p->hv, p->name, weight, p->reserve, p->limit, p->vps->len, reserve_total(p->hv, p), error))
		return false;
	p->weight = weight;
	reweight(p);
	return true;
}

bool hv_partition_set_reserve(struct hv_partition *p, double reserve, GError **error)
{
	if (!check_controls(p->hv, p->name, p->weight, reserve, p->limit, p->vps->len, reserve_total(p->hv, p), error))
		return false;
	double old = p->reserve;
	p->reserve = reserve;
	if (p->hv->sched->check_partition && !p->hv->sched->check_partition(p->hv, p, error)) {
		p->reserve = old;
		return false;
	}
	reweight(p);
	return true;
}

bool hv_partition_set_limit(struct hv_partition *p, double limit, GError **error)
{
	if (!check_controls(p->hv, p->name, p->weight, p->reserve, limit, p->vps->len, reserve_total(p->hv, p), error))
		return false;
	double old = p->limit;
	p->limit = limit;
	if (p->hv->sched->check_partition && !p->hv->sched->check_partition(p->hv, p, error)) {
		p->limit = old;
		return false;
	}
	/* a running VP's slice was cut to its old budget: let it reschedule under the new one */
	for (guint i = 0; i < p->vps->len; i++) {
		struct hv_vp *vp = p->vps->pdata[i];
		if (vp->state == HV_VP_RUNNING)
			hv_lp_kick(vp->lp);
	}
	return true;
}

void hv_partition_start(struct hv_partition *p)
{
	if (p->running)
		return;
	p->running = true;
	for (guint i = 0; i < p->vps->len; i++)
		hv_vp_start(p->vps->pdata[i]);
}

void hv_partition_stop(struct hv_partition *p)
{
	if (!p->running)
		return;
	p->running = false;
	for (guint i = 0; i < p->vps->len; i++)
		hv_vp_stop(p->vps->pdata[i]);
}

static bool do_action(const struct hv_action *a, GError **error)
{
	struct hv_partition *p = a->partition;
	switch (a->kind) {
	case HV_ACT_HOT_ADD:
		return hv_partition_hot_add(p, (uint32_t)a->value, error);
	case HV_ACT_SET_WEIGHT:
		return hv_partition_set_weight(p, (uint32_t)a->value, error);
	case HV_ACT_SET_RESERVE:
		return hv_partition_set_reserve(p, a->value, error);
	case HV_ACT_SET_LIMIT:
		return hv_partition_set_limit(p, a->value, error);
	case HV_ACT_START:
		hv_partition_start(p);
		return true;
	case HV_ACT_STOP:
		hv_partition_stop(p);
		return true;
	}
	return fail(error, "unknown action %d", a->kind);
}

bool hv_action_schedule(struct hv *hv, const struct hv_action *a, GError **error)
{
	if (!a->partition || a->partition->hv != hv)
		return fail(error, "action: no such vm");
	if (a->partition->is_root)
		return fail(error, "action: the root partition is not changed by actions");
	switch (a->kind) {
	case HV_ACT_HOT_ADD:
		if (!(a->value >= 1 && a->value == floor(a->value)))
			return fail(error, "vm '%s': hot-add needs a whole number of vcpus >= 1, not %g",
				    a->partition->name, a->value);
		if (!check_room(a->partition, (uint32_t)a->value, error))
			return false;
		break;
	case HV_ACT_SET_WEIGHT:
		if (!(a->value >= 1 && a->value <= 10000 && a->value == floor(a->value)))
			return fail(error, "vm '%s': weight %g outside 1..10000", a->partition->name, a->value);
		break;
	case HV_ACT_SET_RESERVE:
	case HV_ACT_SET_LIMIT: {
		struct hv_partition *p = a->partition;
		double r = a->kind == HV_ACT_SET_RESERVE ? a->value : p->reserve;
		double l = a->kind == HV_ACT_SET_LIMIT ? a->value : p->limit;
		if (!check_controls(hv, p->name, p->weight, r, l, p->vps->len, reserve_total(hv, p), error))
			return false;
		/* and what the policy supports (cfs has no reserve), checked now rather than at its time */
		double old_r = p->reserve, old_l = p->limit;
		p->reserve = r, p->limit = l;
		bool ok = !hv->sched->check_partition || hv->sched->check_partition(hv, p, error);
		p->reserve = old_r, p->limit = old_l;
		if (!ok)
			return false;
		break;
	}
	case HV_ACT_START:
	case HV_ACT_STOP:
		break;
	default:
		return fail(error, "unknown action %d", a->kind);
	}
	struct hv_action *copy = g_memdup2(a, sizeof *a);
	g_ptr_array_add(hv->actions, copy);
	union sim_payload pl = {.mixed = {.a = hv->actions->len - 1}};
	sim_schedule(hv->sim, &hv->ent, a->at, HV_EV_ACTION, &pl);
	return true;
}

/* ---- the hypervisor entity ---- */

/* Relaxed co-scheduling looks every quarter skew (at least every 100 us). */
static sim_time_t costop_interval(const struct hv *hv)
{
	sim_time_t i = hv->cfg.coschedule_skew / 4;
	return i < 100 * SIM_PS_PER_US ? 100 * SIM_PS_PER_US : i;
}

static void hv_start(struct sim_entity *ent)
{
	struct hv *hv = sim_container_of(ent, struct hv, ent);
	hv->started = true;
	for (guint i = 0; i < hv->parts->len; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		if (p->start_at_run)
			hv_partition_start(p);
	}
	if (!hv->bare_metal)
		sim_timer_arm(hv->sim, &hv->period_timer, sim_now(hv->sim) + hv->cfg.period);
	if (!hv->bare_metal && hv->cfg.coschedule_skew > 0)
		sim_timer_arm(hv->sim, &hv->costop_timer, sim_now(hv->sim) + costop_interval(hv));
}

static void hv_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	struct hv *hv = sim_container_of(ent, struct hv, ent);
	if (kind == HV_EV_COSTOP) {
		hv_costop_check(hv);
		sim_timer_arm(hv->sim, &hv->costop_timer, sim_now(hv->sim) + costop_interval(hv));
		return;
	}
	if (kind == HV_EV_PERIOD) {
		hv_period_start(hv);
		sim_timer_arm(hv->sim, &hv->period_timer, sim_now(hv->sim) + hv->cfg.period);
		return;
	}
	GError *err = NULL;
	const struct hv_action *a = hv->actions->pdata[pl->mixed.a];
	if (!do_action(a, &err))
		sim_bug(hv->sim, ent, "timeline action at %llu ps failed: %s", (unsigned long long)a->at, err->message);
}

static const struct sim_entity_ops hv_ops = {.kind = "hv", .start = hv_start, .event = hv_event};

static void reset_counters(struct sim_reset_hook *hook, sim_time_t now)
{
	struct hv *hv = sim_container_of(hook, struct hv, reset_hook);
	for (guint i = 0; i < hv->parts->len; i++) {
		struct hv_partition *p = hv->parts->pdata[i];
		for (guint v = 0; v < p->vps->len; v++) {
			struct hv_vp *vp = p->vps->pdata[v];
			/* the steal clock guests read runs on across the reset (it never goes back) */
			vp->steal_carry += vp->c.wait + (vp->state == HV_VP_READY ? now - vp->ready_since : 0);
			memset(&vp->c, 0, sizeof vp->c);
			vp->mode_since = now;
			if (vp->state == HV_VP_READY)
				vp->ready_since = now;
		}
		if (p->dm)
			hv_dm_reset(p, now);
	}
	for (uint32_t i = 0; i < hv->nlps; i++)
		hv->lps[i].dispatches = hv->lps[i].preemptions = 0;
}

struct hv *hv_new(struct hw_host *host, const struct hv_config *cfg, GError **error)
{
	const struct hv_sched_ops *sched = hv_sched_find(cfg->policy ? cfg->policy : "");
	if (!sched) {
		fail(error, "hypervisor: unknown scheduler policy '%s' (expected classic, core, cfs or none)",
		     cfg->policy ? cfg->policy : "");
		return NULL;
	}
	if (cfg->timeslice == 0 || cfg->period == 0) {
		fail(error, "hypervisor: timeslice and period must be positive");
		return NULL;
	}
	const char *ple = cfg->ple ? cfg->ple : "off";
	if (strcmp(ple, "off") != 0 && strcmp(ple, "intel") != 0 && strcmp(ple, "amd") != 0) {
		fail(error, "hypervisor: unknown pause-loop exiting '%s' (expected off, intel or amd)", ple);
		return NULL;
	}
	if (cfg->ple_window < 1 || cfg->ple_window_max < cfg->ple_window || cfg->pause_filter_count < 1) {
		fail(error, "hypervisor: ple_window must be positive and at most ple_window_max; pause_filter_count positive");
		return NULL;
	}
	if (cfg->root_weight < 1 || cfg->root_weight > 10000) {
		fail(error, "hypervisor: root weight %u outside 1..10000", cfg->root_weight);
		return NULL;
	}
	struct sim *sim = hw_sim(host);
	struct hv *hv = g_new0(struct hv, 1);
	hv->sim = sim;
	hv->host = host;
	hv->cfg = *cfg;
	hv->sched = sched;
	hv->bare_metal = sched == &hv_sched_none;
	hv->steal_clock = !hv->bare_metal && (cfg->steal_clock < 0 ? sched == &hv_sched_cfs : cfg->steal_clock > 0);
	hv->nlps = hw_nlps(host);
	hv->nnodes = hw_nnodes(host);
	hv->parts = g_ptr_array_new();
	hv->actions = g_ptr_array_new_with_free_func(g_free);
	hv->node_memory_used = g_new0(uint64_t, hv->nnodes);
	hv->lp_taken = g_new0(bool, hv->nlps);
	g_queue_init(&hv->throttled);
	if (!hv_costs_resolve(&hv->cfg.costs, hw_lp_at(host, 0)->khz, hv->bare_metal)) {
		fail(error, "hypervisor: a cost overflows the time range");
		hv_free(hv);
		return NULL;
	}
	sim_entity_add(sim, &hv->ent, &hv_ops, "hv");
	sim_timer_init(&hv->period_timer, &hv->ent, HV_EV_PERIOD);
	sim_timer_init(&hv->costop_timer, &hv->ent, HV_EV_COSTOP);
	g_queue_init(&hv->costopped);
	hv->ready_track = sim_trace_track(sim, "host", "runnable VPs");
	hv->ready_traced = -1;
	hv->lps = g_new0(struct hv_lp, hv->nlps);
	for (uint32_t i = 0; i < hv->nlps; i++) {
		struct hv_lp *lp = &hv->lps[i];
		lp->hv = hv;
		lp->hw = hw_lp_at(host, i);
		lp->id = i;
		snprintf(lp->name, sizeof lp->name, "hv/lp:%u", i);
		lp->track = sim_trace_track(sim, "host", lp->name + 3); /* "lp:N" */
		sim_pq_init(&lp->rq);
		sim_entity_add(sim, &lp->ent, &hv_lp_ops, lp->name);
		hv_lp_timers_init(lp);
	}
	if (!sched->init(hv, error)) {
		hv_free(hv);
		return NULL;
	}
	if (!hv->bare_metal) {
		uint32_t n = cfg->root_vcpus ? cfg->root_vcpus : hv->nlps;
		if (n > hv->nlps) {
			fail(error, "hypervisor: root vcpus %u exceed the host's %u logical processors", n, hv->nlps);
			hv_free(hv);
			return NULL;
		}
		struct hv_partition *root = partition_new(hv, "root", true);
		root->weight = cfg->root_weight;
		root->limit = 100;
		for (uint32_t n_ = 0; n_ < hv->nnodes; n_++)
			root->mem_frac[n_] = 1.0 / hv->nnodes;
		root->start_at_run = true;
		hv->root = root;
		for (uint32_t i = 0; i < n; i++)
			vp_new(root, i)->pinned_lp = (int32_t)i;
		if (!hv_root_init(hv, error)) {
			hv_free(hv);
			return NULL;
		}
	}
	hv->reset_hook.reset = reset_counters;
	sim_track_reset(sim, &hv->reset_hook);
	return hv;
}

void hv_free(struct hv *hv)
{
	if (!hv)
		return;
	if (hv->root_data)
		hv_root_fini(hv);
	if (hv->policy_data && hv->sched->fini)
		hv->sched->fini(hv);
	for (guint i = 0; i < hv->parts->len; i++)
		partition_free(hv->parts->pdata[i]);
	g_ptr_array_free(hv->parts, TRUE);
	g_ptr_array_free(hv->actions, TRUE);
	for (uint32_t i = 0; hv->lps && i < hv->nlps; i++)
		sim_pq_fini(&hv->lps[i].rq);
	g_free(hv->lps);
	g_free(hv->node_memory_used);
	g_free(hv->lp_taken);
	g_free(hv);
}

/* ---- counters ---- */

void hv_vp_counters(const struct hv_vp *vp, struct hv_counters *out)
{
	*out = vp->c;
	sim_time_t d = sim_now(vp->hv->sim) - vp->mode_since;
	if (vp->state == HV_VP_RUNNING) {
		if (vp->mode == HV_MODE_GUEST) {
			out->guest_run += d;
			if (vp->spinning)
				out->spin += d;
		} else {
			out->hypervisor_run += d;
		}
	} else if (vp->state == HV_VP_READY) {
		out->wait += sim_now(vp->hv->sim) - vp->ready_since;
	}
}

void hv_partition_counters(const struct hv_partition *p, struct hv_counters *out)
{
	memset(out, 0, sizeof *out);
	for (guint i = 0; i < p->vps->len; i++) {
		struct hv_counters c;
		hv_vp_counters(p->vps->pdata[i], &c);
		out->guest_run += c.guest_run;
		out->spin += c.spin;
		out->hypervisor_run += c.hypervisor_run;
		out->wait += c.wait;
		out->dispatches += c.dispatches;
		out->preemptions += c.preemptions;
		out->migrations += c.migrations;
		out->exits += c.exits;
		out->interrupts += c.interrupts;
		out->ple_exits += c.ple_exits;
		out->yields += c.yields;
		out->directed_yields += c.directed_yields;
		out->costops += c.costops;
		for (int k = 0; k < VHW_NHYPERCALLS; k++)
			out->hypercalls[k] += c.hypercalls[k];
		for (int k = 0; k < VHW_NINTERCEPTS; k++)
			out->intercepts[k] += c.intercepts[k];
	}
}

void hv_lp_counters(const struct hv *hv, uint32_t lp, struct hv_lp_counters *out)
{
	const struct hw_lp *h = hv->lps[lp].hw;
	out->dispatches = hv->lps[lp].dispatches;
	out->preemptions = hv->lps[lp].preemptions;
	out->hypervisor_run = hw_lp_time(h, HW_CAT_HYPERVISOR);
	out->guest_run = hw_lp_time(h, HW_CAT_GUEST);
	out->root_run = hw_lp_time(h, HW_CAT_ROOT);
	out->spin = hw_lp_time(h, HW_CAT_SPIN);
	out->idle = hw_lp_time(h, HW_CAT_IDLE);
}

/* ---- inspection ---- */

const char *hv_policy_name(const struct hv *hv) { return hv->sched->name; }
bool hv_bare_metal(const struct hv *hv) { return hv->bare_metal; }
bool hv_steal_clock(const struct hv *hv) { return hv->steal_clock; }
struct hw_host *hv_host(const struct hv *hv) { return hv->host; }
const struct hv_costs *hv_costs(const struct hv *hv) { return &hv->cfg.costs; }
uint32_t hv_npartitions(const struct hv *hv) { return hv->parts->len; }
struct hv_partition *hv_partition_at(const struct hv *hv, uint32_t i) { return hv->parts->pdata[i]; }
struct hv_partition *hv_root(const struct hv *hv) { return hv->root; }
uint32_t hv_partition_worker_lp(const struct hv_partition *p) { return p->index; }

struct hv_partition *hv_partition_find(const struct hv *hv, const char *name)
{
	for (guint i = 0; i < hv->parts->len; i++)
		if (strcmp(((struct hv_partition *)hv->parts->pdata[i])->name, name) == 0)
			return hv->parts->pdata[i];
	return NULL;
}

const char *hv_partition_name(const struct hv_partition *p) { return p->name; }
uint32_t hv_partition_nvps(const struct hv_partition *p) { return p->vps->len; }
struct hv_vp *hv_partition_vp(const struct hv_partition *p, uint32_t i) { return p->vps->pdata[i]; }
uint32_t hv_partition_home_node(const struct hv_partition *p) { return p->home_node; }
uint32_t hv_partition_vnodes(const struct hv_partition *p) { return p->nvnodes; }
uint32_t hv_partition_vnode_host(const struct hv_partition *p, uint32_t v)
{
	return p->nvnodes > 1 ? p->vnode_host[MIN(v, p->nvnodes - 1)] : p->home_node;
}
const double *hv_partition_vnode_mem_frac(const struct hv_partition *p, uint32_t v)
{
	return p->nvnodes > 1 ? &p->vnode_frac[(size_t)MIN(v, p->nvnodes - 1) * p->hv->nnodes] : p->mem_frac;
}
uint32_t hv_vp_home_node(const struct hv_vp *vp) { return vp->home_node; }
const double *hv_partition_mem_frac(const struct hv_partition *p) { return p->mem_frac; }
double hv_partition_mem_share(const struct hv_partition *p) { return p->mem_share; }
enum hv_vp_state hv_vp_state(const struct hv_vp *vp) { return vp->state; }
int32_t hv_vp_lp(const struct hv_vp *vp) { return vp->lp ? (int32_t)vp->lp->id : -1; }
struct vhw_cpu *hv_vp_cpu(struct hv_vp *vp) { return &vp->cpu; }
struct hv_partition *hv_vp_partition(const struct hv_vp *vp) { return vp->part; }
struct hv_vp *hv_lp_current(const struct hv *hv, uint32_t lp) { return hv->lps[lp].cur; }
