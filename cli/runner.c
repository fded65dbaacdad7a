/* SPDX-License-Identifier: MIT */
/*
 * runner.c - builds and runs one scenario run (virtual, or the bare-metal twin) and turns the
 *            models' counters into metric rows (scopes and names of ../shared/INTERFACES.md).
 */
#include <math.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli/runner.h"
#include "models/guestos/lock.h"
#include "models/io/disk.h"
#include "models/io/swap.h"
#include "models/io/net.h"
#include "workloads/workload.h"

/* One simulated machine: a sim, a host, a hypervisor, the kernels and workloads of its VMs. */
struct world {
	struct sim *sim;
	struct hw_host *host;
	struct hv *hv;
	GPtrArray *vms;               /* const struct scn_vm * */
	GPtrArray *kernels;           /* struct gos_kernel * */
	GPtrArray *wl;                /* struct wl_inst * */
	GPtrArray *disks;             /* per VM: GPtrArray of struct io_disk * */
	GPtrArray *nets;              /* per VM: GPtrArray of struct io_net * */
	GPtrArray *blockdevs, *nics;  /* per host device (scenario.host_devices): the device, or NULL (other kind) */
	GPtrArray *pv;                /* per VM: struct pv_trace * */
	GPtrArray *mem;               /* per VM: struct mem_trace *, NULL without dynamic memory */
	GPtrArray *swaps;             /* struct io_swap *: the paging device of each VM with a disk */
	struct sampler *sampler;      /* the per-interval memory series, or NULL (none to write) */
	char *dir;                    /* the scenario's directory (workloads' files are relative to it) */
};

struct wl_inst {
	const struct wl_kind *kind;
	void *inst;
	uint32_t vm;                  /* index in world.vms */
	uint32_t index;               /* in the VM's list of workloads: scope vm:NAME/wl:INDEX */
};

/* One point of a VM's vCPUs-in-use step function. */
struct pv_point {
	sim_time_t t;
	uint32_t in_use;
};

/* A VM's vCPUs in use over the whole run (gos_pv_on_change), from its value at world build on. */
struct pv_trace {
	GArray *points;               /* struct pv_point, in time order; several at one t: the last holds */
};

static void on_pv_change(void *arg, sim_time_t t, uint32_t in_use)
{
	struct pv_trace *tr = arg;
	struct pv_point p = {t, in_use};
	g_array_append_val(tr->points, p);
}

static void pv_trace_free(struct pv_trace *tr)
{
	g_array_free(tr->points, TRUE);
	g_free(tr);
}

/* One point of a VM's dynamic memory (gos_memory_on_change): assigned and demand from t on. */
struct mem_point {
	sim_time_t t;
	uint64_t assigned, demand;
};

struct mem_trace {
	GArray *points;               /* struct mem_point, in time order; several at one t: the last holds */
};

static void on_mem_change(void *arg, sim_time_t t, uint64_t assigned, uint64_t demand)
{
	struct mem_trace *tr = arg;
	struct mem_point p = {t, assigned, demand};
	g_array_append_val(tr->points, p);
}

static void mem_trace_free(struct mem_trace *tr)
{
	if (!tr)
		return;
	g_array_free(tr->points, TRUE);
	g_free(tr);
}

/*
 * The per-interval memory series (docs/memory.md "Metrics"): every `interval` from the warm-up on
 * the sampler (an entity of its own, added after the world is built, so it changes no other
 * entity's id; it only reads) records each VM's cumulative page faults, remote-memory time and
 * guest run time since the warm-up; the last interval ends with the run. Only when there is a
 * series to write: a VM that declared a working set (page_faults_interval) or a host with more
 * than one NUMA node (remote_memory_share_interval).
 */
struct mem_sample {
	sim_time_t t;
	uint64_t faults;
	double remote_ps;
	sim_time_t guest_run;
};

struct sampler {
	struct sim_entity ent;        /* "cli/memory-sampler" */
	sim_timer_t timer;
	struct world *w;
	sim_time_t interval, end;
	GArray **per_vm;              /* struct mem_sample, in time order (the warm-up's zeros implied) */
	uint32_t nvms;
};

#define SAMPLE_INTERVAL_DEFAULT SIM_PS_PER_S

static void sample_now(struct sampler *sp)
{
	sim_time_t now = sim_now(sp->w->sim);
	for (uint32_t v = 0; v < sp->nvms; v++) {
		struct gos_kernel *k = sp->w->kernels->pdata[v];
		struct gos_paging_stats ps;
		struct gos_kernel_stats ks;
		struct hv_counters c;
		gos_paging_stats(k, &ps);
		gos_kernel_stats(k, &ks);
		hv_partition_counters(gos_partition(k), &c);
		struct mem_sample m = {now, ps.page_faults, ks.remote_memory_ps, c.guest_run};
		g_array_append_val(sp->per_vm[v], m);
	}
}

static void sampler_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)kind, (void)pl;
	struct sampler *sp = sim_container_of(ent, struct sampler, ent);
	sample_now(sp);
	if (sim_now(ent->sim) + sp->interval < sp->end)
		sim_timer_arm_in(ent->sim, &sp->timer, sp->interval);
}

static const struct sim_entity_ops sampler_ops = {.kind = "cli-memory-sampler", .event = sampler_event};

/* Adds the sampler to a built world if it has a series to write (see above). */
static void sampler_attach(struct world *w, const struct scenario *s)
{
	bool any = hw_nnodes(w->host) > 1;
	for (guint v = 0; v < w->kernels->len && !any; v++)
		any = gos_paging_possible(w->kernels->pdata[v]);
	if (!any)
		return;
	const cJSON *run = cJSON_GetObjectItemCaseSensitive(s->resolved, "run");
	struct sampler *sp = g_new0(struct sampler, 1);
	sp->w = w;
	sp->interval = cJSON_GetObjectItemCaseSensitive(run, "sample_interval") ? param_time(run, "sample_interval")
										 : SAMPLE_INTERVAL_DEFAULT;
	sp->end = s->warmup + s->duration;
	sp->nvms = w->kernels->len;
	sp->per_vm = g_new(GArray *, sp->nvms);
	for (uint32_t v = 0; v < sp->nvms; v++)
		sp->per_vm[v] = g_array_new(FALSE, FALSE, sizeof(struct mem_sample));
	w->sampler = sp;
	sim_entity_add(w->sim, &sp->ent, &sampler_ops, "cli/memory-sampler");
	sim_timer_init(&sp->timer, &sp->ent, 1);
	if (s->warmup + sp->interval < sp->end)
		sim_timer_arm(w->sim, &sp->timer, s->warmup + sp->interval);
}

static void sampler_free(struct sampler *sp)
{
	if (!sp)
		return;
	for (uint32_t v = 0; v < sp->nvms; v++)
		g_array_free(sp->per_vm[v], TRUE);
	g_free(sp->per_vm);
	g_free(sp);
}

static void free_net(void *n) { io_net_free(n); }
static void free_disk(void *d) { io_disk_free(d); }

/* Frees a per-VM array of device arrays (may be NULL) with `free_one` for each device. */
static void free_per_vm(GPtrArray *per_vm, void (*free_one)(void *))
{
	for (guint i = 0; per_vm && i < per_vm->len; i++) {
		GPtrArray *devs = per_vm->pdata[i];
		for (guint j = 0; j < devs->len; j++)
			free_one(devs->pdata[j]);
		g_ptr_array_free(devs, TRUE);
	}
	if (per_vm)
		g_ptr_array_free(per_vm, TRUE);
}

static void world_free(struct world *w)
{
	g_free(w->dir);
	if (w->hv)
		hv_free(w->hv);
	/* adapters and disks first: their rings may still hold packets embedded in the workloads' I/Os,
	   and an adapter frees its connections (the workloads must not touch theirs afterwards); then
	   the host devices they share */
	free_per_vm(w->nets, free_net);
	free_per_vm(w->disks, free_disk);
	for (guint i = 0; w->swaps && i < w->swaps->len; i++) /* after the disks: their I/Os' packets */
		io_swap_free(w->swaps->pdata[i]);
	if (w->swaps)
		g_ptr_array_free(w->swaps, TRUE);
	for (guint i = 0; w->blockdevs && i < w->blockdevs->len; i++) {
		if (w->blockdevs->pdata[i])
			io_blockdev_free(w->blockdevs->pdata[i]);
		if (w->nics->pdata[i])
			io_nic_free(w->nics->pdata[i]);
	}
	if (w->blockdevs) {
		g_ptr_array_free(w->blockdevs, TRUE);
		g_ptr_array_free(w->nics, TRUE);
	}
	for (guint i = 0; w->wl && i < w->wl->len; i++) {
		struct wl_inst *x = w->wl->pdata[i];
		x->kind->free(x->inst);
		g_free(x);
	}
	for (guint i = 0; w->kernels && i < w->kernels->len; i++)
		gos_free(w->kernels->pdata[i]);
	if (w->host)
		hw_host_free(w->host);
	if (w->sim)
		sim_free(w->sim);
	sampler_free(w->sampler); /* after the sim: it held the sampler's entity */
	if (w->wl)
		g_ptr_array_free(w->wl, TRUE);
	if (w->kernels)
		g_ptr_array_free(w->kernels, TRUE);
	if (w->vms)
		g_ptr_array_free(w->vms, TRUE);
	for (guint i = 0; w->pv && i < w->pv->len; i++)
		pv_trace_free(w->pv->pdata[i]);
	if (w->pv)
		g_ptr_array_free(w->pv, TRUE);
	for (guint i = 0; w->mem && i < w->mem->len; i++)
		mem_trace_free(w->mem->pdata[i]);
	if (w->mem)
		g_ptr_array_free(w->mem, TRUE);
}

/* Every kind's working_set key (scenario.c checked it): a size, or steps in time order. */
static void add_working_set(struct gos_kernel *k, const cJSON *ws)
{
	if (!ws)
		return;
	if (!cJSON_IsArray(ws)) {
		uint64_t bytes = 0;
		param_parse_bytes(ws, &bytes);
		gos_add_working_set(k, bytes);
		return;
	}
	uint32_t n = (uint32_t)cJSON_GetArraySize(ws), i = 0;
	struct gos_ws_step *steps = g_new(struct gos_ws_step, n);
	for (const cJSON *st = ws->child; st; st = st->next, i++)
		steps[i] = (struct gos_ws_step){.at = param_time(st, "at"), .size = param_bytes(st, "size")};
	gos_working_set_schedule(k, steps, n);
	g_free(steps);
}

/* The guest tasks of every VM built so far: within RUN_MAX_TASKS (each VM's within WL_MAX_TASKS_PER_VM). */
static bool tasks_room(const struct world *w, GError **error)
{
	uint64_t n = 0;
	for (guint i = 0; i < w->kernels->len; i++)
		n += gos_ntasks(w->kernels->pdata[i]);
	if (n <= RUN_MAX_TASKS)
		return true;
	g_set_error(error, RESULTS_ERROR, RESULTS_ERROR_INPUT, "the VMs so far have %" G_GUINT64_FORMAT " guest tasks, "
		    "above the cap of %d in a run", n, RUN_MAX_TASKS);
	return false;
}

static bool add_vm(struct world *w, const struct scenario *s, const struct scn_vm *vm,
		   const struct hv_partition_config *pc, uint64_t seed, bool native, GError **error)
{
	char where[32];
	snprintf(where, sizeof where, "/vms/%u", vm->index);
	struct gos_kernel *k = gos_new(w->hv, pc, &vm->guest, error);
	if (!k) {
		scenario_locate_error(s, where, error);
		return false;
	}
	g_ptr_array_add(w->kernels, k);
	g_ptr_array_add(w->vms, (gpointer)vm);
	/* the vCPUs in use: the value at build (a static count already applies), then every change */
	struct pv_trace *tr = g_new(struct pv_trace, 1);
	tr->points = g_array_new(FALSE, FALSE, sizeof(struct pv_point));
	struct gos_pv_stats pv;
	gos_pv_stats(k, &pv);
	on_pv_change(tr, 0, pv.in_use);
	gos_pv_on_change(k, on_pv_change, tr);
	g_ptr_array_add(w->pv, tr);
	struct mem_trace *mt = NULL;
	if (pc->dynamic_memory.enabled) {
		mt = g_new(struct mem_trace, 1);
		mt->points = g_array_new(FALSE, FALSE, sizeof(struct mem_point));
		gos_memory_on_change(k, on_mem_change, mt);
	}
	g_ptr_array_add(w->mem, mt);
	GPtrArray *disks = g_ptr_array_new(), *nets = g_ptr_array_new();
	g_ptr_array_add(w->disks, disks);
	g_ptr_array_add(w->nets, nets);
	char dwhere[48];
	for (guint i = 0; i < vm->disks->len; i++) {
		struct io_disk_config dc = g_array_index(vm->disks, struct io_disk_config, i);
		const struct scn_devref *ref = &g_array_index(vm->disk_refs, struct scn_devref, i);
		if (native)
			dc.path = IO_PATH_NATIVE; /* the twin's devices are its own */
		dc.backend = ref->backend >= 0 ? w->blockdevs->pdata[ref->backend] : NULL;
		struct io_disk *d = io_disk_new(k, w->hv, &dc, error);
		if (!d) {
			snprintf(dwhere, sizeof dwhere, "/vms/%u/devices/%u", vm->index, ref->device);
			scenario_locate_error(s, dwhere, error);
			return false;
		}
		g_ptr_array_add(disks, d);
	}
	if (disks->len) /* paging reads pages through the first disk (docs/memory.md "Paging") */
		g_ptr_array_add(w->swaps, io_swap_new(k, disks->pdata[0]));
	for (guint i = 0; i < vm->nets->len; i++) {
		struct io_net_config nc = g_array_index(vm->nets, struct io_net_config, i);
		const struct scn_devref *ref = &g_array_index(vm->net_refs, struct scn_devref, i);
		if (native)
			nc.path = IO_PATH_NATIVE;
		nc.backend = ref->backend >= 0 ? w->nics->pdata[ref->backend] : NULL;
		struct io_net *n = io_net_new(k, w->hv, &nc, error);
		if (!n) {
			snprintf(dwhere, sizeof dwhere, "/vms/%u/devices/%u", vm->index, ref->device);
			scenario_locate_error(s, dwhere, error);
			return false;
		}
		g_ptr_array_add(nets, n);
	}
	uint32_t i = 0;
	for (const cJSON *j = vm->workloads ? vm->workloads->child : NULL; j; j = j->next, i++) {
		const struct wl_kind *kind = wl_kind_find(cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring);
		struct wl_env env = {.k = k, .vm = vm->name, .index = i, .seed = seed, .khz = s->host.khz, .disks = disks,
				      .nets = nets, .dir = w->dir};
		add_working_set(k, cJSON_GetObjectItemCaseSensitive(j, "working_set"));
		void *inst = kind->create(&env, j, error);
		if (!inst) {
			scenario_locate_error(s, where, error);
			return false;
		}
		struct wl_inst *x = g_new(struct wl_inst, 1);
		*x = (struct wl_inst){kind, inst, w->vms->len - 1, i};
		g_ptr_array_add(w->wl, x);
	}
	if (!tasks_room(w, error)) {
		scenario_locate_error(s, where, error);
		return false;
	}
	if (mt) { /* the first point: the memory and demand at build */
		uint64_t assigned, demand;
		gos_memory(k, &assigned, &demand);
		g_array_set_size(mt->points, 0);
		on_mem_change(mt, 0, assigned, demand);
	}
	return true;
}

static bool world_init(struct world *w, const struct scenario *s, uint64_t seed, const struct hw_config *hc,
		       const struct hv_config *hvc, GError **error)
{
	memset(w, 0, sizeof *w);
	w->vms = g_ptr_array_new();
	w->kernels = g_ptr_array_new();
	w->wl = g_ptr_array_new();
	w->disks = g_ptr_array_new();
	w->swaps = g_ptr_array_new();
	w->nets = g_ptr_array_new();
	w->blockdevs = g_ptr_array_new();
	w->nics = g_ptr_array_new();
	w->pv = g_ptr_array_new();
	w->mem = g_ptr_array_new();
	w->sim = sim_new(seed);
	w->dir = g_path_get_dirname(s->path);
	w->host = hw_host_new(w->sim, hc, error);
	if (!w->host) {
		scenario_locate_error(s, "/host", error);
		return false;
	}
	w->hv = hv_new(w->host, hvc, error);
	if (!w->hv) {
		scenario_locate_error(s, "/hypervisor", error);
		return false;
	}
	/* the host devices, before the VMs whose devices use them (each world has its own) */
	for (guint i = 0; i < s->host_devices->len; i++) {
		const struct scn_hostdev *h = s->host_devices->pdata[i];
		char *name = g_strdup_printf("host/dev:%s", h->name);
		void *blk = h->nic ? NULL : io_blockdev_new(w->sim, name, &h->blk, error);
		void *nic = h->nic ? io_nic_new(w->sim, &h->nic_cfg, error) : NULL;
		g_free(name);
		g_ptr_array_add(w->blockdevs, blk);
		g_ptr_array_add(w->nics, nic);
		if (!blk && !nic) {
			char *where = g_strdup_printf("/host/devices/%s", h->name);
			scenario_locate_error(s, where, error);
			g_free(where);
			return false;
		}
	}
	return true;
}

/* The scenario as written. */
static bool build_virtual(struct world *w, const struct scenario *s, uint64_t seed, GError **error)
{
	if (!world_init(w, s, seed, &s->host, &s->hv, error))
		return false;
	for (guint i = 0; i < s->vms->len; i++) {
		const struct scn_vm *vm = s->vms->pdata[i];
		if (!add_vm(w, s, vm, &vm->part, seed, false, error))
			return false;
	}
	for (guint i = 0; i < s->timeline->len; i++) {
		const struct scn_action *a = &g_array_index(s->timeline, struct scn_action, i);
		for (guint v = 0; v < s->vms->len; v++) {
			const struct scn_vm *vm = s->vms->pdata[v];
			if (!scenario_vm_matches(vm->name, a->vm))
				continue;
			bool ok;
			if (a->device) { /* vf-remove, vf-add (the loader checked that the adapter exists) */
				GPtrArray *nets = w->nets->pdata[v];
				struct io_net *n = NULL;
				for (guint j = 0; j < nets->len && !n; j++)
					if (strcmp(io_net_name(nets->pdata[j]), a->device) == 0)
						n = nets->pdata[j];
				g_assert(n);
				ok = io_net_schedule_vf(n, a->at, a->vf_present, error);
			} else {
				struct hv_action act = {.at = a->at, .kind = a->kind, .partition = gos_partition(w->kernels->pdata[v]),
							.value = a->value};
				ok = hv_action_schedule(w->hv, &act, error);
			}
			if (!ok) {
				char where[32];
				snprintf(where, sizeof where, "/timeline/%u", i);
				scenario_locate_error(s, where, error);
				return false;
			}
		}
	}
	return true;
}

/* The twin of one VM: a machine of the same hardware with one LP per vCPU, bare metal. */
static bool build_twin(struct world *w, const struct scenario *s, const struct scn_vm *vm, uint64_t seed,
		       GError **error)
{
	struct hw_config hc = s->host;
	uint32_t tpc = vm->part.vcpus % s->host.threads_per_core == 0 ? s->host.threads_per_core : 1;
	hc.sockets = 1, hc.nodes_per_socket = 1, hc.threads_per_core = tpc, hc.cores_per_node = vm->part.vcpus / tpc;
	hc.distance = NULL;
	if (hc.memory_per_node < vm->part.memory)
		hc.memory_per_node = vm->part.memory;
	struct hv_config hvc = s->hv;
	hvc.policy = "none";
	if (!world_init(w, s, seed, &hc, &hvc, error))
		return false;
	struct hv_partition_config pc = vm->part;
	pc.affinity = NULL, pc.naffinity = 0, pc.numa_node = -1, pc.reserve = 0, pc.limit = 100, pc.start = true;
	pc.dynamic_memory.enabled = false; /* bare metal: the startup memory is the machine's */
	return add_vm(w, s, vm, &pc, seed, true, error);
}

/* ---- metrics ---- */

void run_output_init(struct run_output *o)
{
	memset(o, 0, sizeof *o);
	o->metrics = g_array_new(FALSE, FALSE, sizeof(struct results_metric));
	o->hists = g_array_new(FALSE, FALSE, sizeof(struct results_hist));
	o->points = g_array_new(FALSE, FALSE, sizeof(struct results_point));
	o->strings = g_string_chunk_new(4096);
	o->owned_hists = g_ptr_array_new();
}

void run_output_clear(struct run_output *o)
{
	if (!o->metrics)
		return;
	g_array_free(o->metrics, TRUE);
	g_array_free(o->hists, TRUE);
	g_array_free(o->points, TRUE);
	g_string_chunk_free(o->strings);
	for (guint i = 0; i < o->owned_hists->len; i++) {
		sim_hist_clear(o->owned_hists->pdata[i]);
		g_free(o->owned_hists->pdata[i]);
	}
	g_ptr_array_free(o->owned_hists, TRUE);
	memset(o, 0, sizeof *o);
}

double run_output_metric(const struct run_output *o, const char *scope, const char *name)
{
	for (guint i = 0; i < o->metrics->len; i++) {
		const struct results_metric *m = &g_array_index(o->metrics, struct results_metric, i);
		if (strcmp(m->scope, scope) == 0 && strcmp(m->name, name) == 0)
			return m->value;
	}
	return NAN;
}

static void put(struct run_output *o, const char *scope, const char *name, double value, const char *unit)
{
	struct results_metric m = {g_string_chunk_insert_const(o->strings, scope), name, value, unit};
	g_array_append_val(o->metrics, m);
}

/*
 * Stores a histogram of picoseconds in nanoseconds (INTERFACES.md names latencies in ns): each
 * slot's count at the slot's middle, which keeps the histogram's relative error; mean, min and
 * max exact. The database adds NAME_p50_ns, _p90_ns, _p99_ns, _p999_ns, _mean_ns and NAME_count.
 */
static void put_hist_ns(struct run_output *o, const char *scope, const char *name, const struct sim_hist *ps)
{
	struct sim_hist *h = g_new0(struct sim_hist, 1);
	sim_hist_init(h);
	for (uint32_t slot = 0; slot < ps->ncounts; slot++) {
		if (!ps->counts[slot])
			continue;
		uint64_t lo, hi;
		sim_hist_slot_range(slot, &lo, &hi);
		sim_hist_record_n(h, (lo + (hi - lo) / 2 + 500) / 1000, ps->counts[slot]);
	}
	if (ps->total) {
		h->sum = ps->sum / 1e3;
		h->min = ps->min / 1000;
		h->max = (ps->max + 999) / 1000;
	}
	g_ptr_array_add(o->owned_hists, h);
	struct results_hist r = {g_string_chunk_insert_const(o->strings, scope), name, "ns", h};
	g_array_append_val(o->hists, r);
}

/* One timeseries row: `name` of `scope` holds `value` from t (from the start of the run) on. */
static void put_point(struct run_output *o, const char *scope, const char *name, sim_time_t t, double value)
{
	struct results_point p = {g_string_chunk_insert_const(o->strings, scope), name, (double)t / SIM_PS_PER_S, value};
	g_array_append_val(o->points, p);
}

static double ns(sim_time_t t) { return (double)t / SIM_PS_PER_NS; }

static double gbps(uint64_t bytes, double span_s) { return span_s > 0 ? (double)bytes * 8 / span_s / 1e9 : 0; }
static double share(sim_time_t busy, double span_s) { return span_s > 0 ? (double)busy / SIM_PS_PER_S / span_s : 0; }

/* A NIC's link (a host device, or an adapter's own NIC): its utilisation each way (busy / span)
   and, with `all`, frames and wire bytes (payload plus IO_NET_FRAME_OVERHEAD per frame). */
static void link_metrics(struct run_output *o, const char *scope, const struct io_nic *nic, double span_s, bool all)
{
	struct io_nic_stats st;
	io_nic_stats(nic, &st);
	if (all) {
		put(o, scope, "tx_frames", (double)st.tx_frames, "count");
		put(o, scope, "rx_frames", (double)st.rx_frames, "count");
		put(o, scope, "tx_bytes", (double)st.tx_bytes, "bytes");
		put(o, scope, "rx_bytes", (double)st.rx_bytes, "bytes");
		put(o, scope, "tx_gbps", gbps(st.tx_bytes, span_s), "Gb/s");
		put(o, scope, "rx_gbps", gbps(st.rx_bytes, span_s), "Gb/s");
	}
	put(o, scope, "link_tx_utilisation", share(st.tx_busy, span_s), "");
	put(o, scope, "link_rx_utilisation", share(st.rx_busy, span_s), "");
}

/*
 * The VM's network adapters, scope dev:VM/NAME: packets and payload each way, and per packet the
 * VM's exits and intercepts and its guest CPU (as the disks do: VM-wide, so they are per packet only
 * when the adapter is the VM's only I/O), and the root's CPU spent for the adapter. Returns the VM's
 * payload bytes both ways.
 */
static uint64_t net_metrics(struct run_output *o, struct world *w, guint v, const struct hv_counters *c, uint64_t ic,
			    double span_s)
{
	const struct scn_vm *vm = w->vms->pdata[v];
	GPtrArray *nets = w->nets->pdata[v];
	uint64_t bytes = 0;
	for (guint i = 0; i < nets->len; i++) {
		struct io_net_stats st;
		io_net_stats(nets->pdata[i], &st);
		bytes += st.tx_bytes + st.rx_bytes;
		char *scope = g_strdup_printf("dev:%s/%s", vm->name, io_net_name(nets->pdata[i]));
		uint64_t packets = st.tx_packets + st.rx_packets;
		double n = packets ? (double)packets : NAN;
		put(o, scope, "packets", (double)packets, "count");
		put(o, scope, "tx_packets", (double)st.tx_packets, "count");
		put(o, scope, "rx_packets", (double)st.rx_packets, "count");
		put(o, scope, "tx_bytes", (double)st.tx_bytes, "bytes");
		put(o, scope, "rx_bytes", (double)st.rx_bytes, "bytes");
		put(o, scope, "tx_gbps", gbps(st.tx_bytes, span_s), "Gb/s");
		put(o, scope, "rx_gbps", gbps(st.rx_bytes, span_s), "Gb/s");
		put(o, scope, "signals_per_packet", (double)st.signals / n, "");
		put(o, scope, "interrupts_per_packet", (double)st.guest_interrupts / n, "");
		put(o, scope, "exits_per_packet", (double)c->exits / n, "");
		put(o, scope, "intercepts_per_packet", (double)ic / n, "");
		put(o, scope, "guest_cpu_ns_per_packet", ns(c->guest_run + c->hypervisor_run) / n, "ns");
		put(o, scope, "root_cpu_ns_per_packet", st.root_ns / n, "ns");
		put(o, scope, "ring_full_stalls", (double)st.ring_full_stalls, "count");
		put(o, scope, "vsp_batches", (double)st.vsp_batches, "count");
		put(o, scope, "vf_switches", (double)st.vf_switches, "count");
		put(o, scope, "channels", (double)st.channels, "count");
		put_hist_ns(o, scope, "tx_latency", st.tx_latency);
		put_hist_ns(o, scope, "rx_latency", st.rx_latency);
		if (g_array_index(vm->net_refs, struct scn_devref, i).backend < 0) /* its own NIC: its link */
			link_metrics(o, scope, io_net_nic(nets->pdata[i]), span_s, false);
		g_free(scope);
	}
	return bytes;
}

/* The host devices (virtual world only; the twins have copies of their own), scope host/dev:NAME. */
static void host_device_metrics(struct run_output *o, struct world *w, const struct scenario *s, double span_s)
{
	for (guint i = 0; i < s->host_devices->len; i++) {
		const struct scn_hostdev *h = s->host_devices->pdata[i];
		char *scope = g_strdup_printf("host/dev:%s", h->name);
		if (h->nic) {
			link_metrics(o, scope, w->nics->pdata[i], span_s, true);
		} else {
			struct io_blockdev_stats st;
			io_blockdev_stats(w->blockdevs->pdata[i], &st);
			put(o, scope, "ops", (double)st.ops, "ops");
			put(o, scope, "reads", (double)st.reads, "ops");
			put(o, scope, "writes", (double)st.writes, "ops");
			put(o, scope, "bytes", (double)st.bytes, "bytes");
			put(o, scope, "iops", span_s > 0 ? (double)st.ops / span_s : 0, "ops/s");
			put(o, scope, "bytes_per_s", span_s > 0 ? (double)st.bytes / span_s : 0, "bytes/s");
			put(o, scope, "busy_utilisation", share(st.busy, span_s), "");
			put_hist_ns(o, scope, "latency", st.latency);
		}
		g_free(scope);
	}
}

/* A digest's low 52 bits: exact in a REAL. */
static double digest52(uint64_t d) { return (double)(d & ((UINT64_C(1) << 52) - 1)); }

/*
 * One workload of VM `vm`, scope vm:NAME/wl:I: its operations, latency and draws, and the kind's
 * own counters. Its tasks' attributed operations go into task_ops (task -> ops, for the per-task
 * scopes). Returns the stats (pointers borrowed from the instance until its next stats()).
 */
static struct wl_stats workload_metrics(struct run_output *o, const struct wl_inst *x, const char *vm, double span_s,
					GHashTable *task_ops)
{
	struct wl_stats st = {0};
	x->kind->stats(x->inst, &st);
	char *scope = g_strdup_printf("%s/wl:%u", vm, x->index);
	put(o, scope, "ops", (double)st.ops, "ops");
	put(o, scope, "ops_per_s", span_s > 0 ? (double)st.ops / span_s : 0, "ops/s");
	put(o, scope, "rng_digest", digest52(st.rng_digest), "hash");
	if (st.latency)
		put_hist_ns(o, scope, "latency", st.latency);
	for (uint32_t i = 0; i < st.ncounters; i++)
		put(o, scope, st.counters[i].name, st.counters[i].value, st.counters[i].unit);
	for (uint32_t i = 0; i < st.ntasks; i++)
		g_hash_table_insert(task_ops, st.tasks[i], (gpointer)&st.task_ops[i]);
	g_free(scope);
	return st;
}

/* A step series of (t, value) rows over the measured span, as pv_metrics writes vcpus_in_use. */
static void mem_series(struct run_output *o, const GArray *pts, const char *scope, const char *name, bool demand,
		       sim_time_t warmup)
{
#define MEM_VALUE(i) (demand ? g_array_index(pts, struct mem_point, i).demand : g_array_index(pts, struct mem_point, i).assigned)
	guint i = 0;
	while (i + 1 < pts->len && g_array_index(pts, struct mem_point, i + 1).t <= warmup)
		i++;
	bool any = false;
	uint64_t last = 0;
	for (; i < pts->len; i++) {
		const struct mem_point *p = &g_array_index(pts, struct mem_point, i);
		sim_time_t t = p->t > warmup ? p->t : warmup;
		if ((i + 1 < pts->len && g_array_index(pts, struct mem_point, i + 1).t <= t) || (any && MEM_VALUE(i) == last))
			continue;
		put_point(o, scope, name, t, (double)MEM_VALUE(i));
		last = MEM_VALUE(i);
		any = true;
	}
#undef MEM_VALUE
}

/*
 * Paging (docs/memory.md "Paging"), scope vm:NAME, for VMs with a working set: page_faults and
 * paging_bytes (the disk's dev: rows show the reads). Dynamic memory, only for VMs that use it: the memory assigned
 * (end, time-weighted mean), the guest's demand, hot-add chunks and balloon operations, and the
 * timeseries rows memory_assigned and memory_demand (bytes).
 */
static void mem_metrics(struct run_output *o, struct world *w, guint v, const char *scope, sim_time_t warmup)
{
	const struct mem_trace *tr = w->mem->pdata[v];
	struct gos_kernel *k = w->kernels->pdata[v];
	if (gos_paging_possible(k)) { /* paging: only where a workload declared a working set */
		struct gos_paging_stats ps;
		gos_paging_stats(k, &ps);
		put(o, scope, "page_faults", (double)ps.page_faults, "count");
		put(o, scope, "paging_bytes", (double)ps.paging_bytes, "bytes");
	}
	if (!tr)
		return;
	struct hv_dm_stats st;
	hv_partition_dm_stats(gos_partition(k), &st);
	uint64_t assigned, demand;
	gos_memory(k, &assigned, &demand);
	put(o, scope, "memory_assigned_end", (double)st.assigned, "bytes");
	put(o, scope, "memory_assigned_mean", st.assigned_mean, "bytes");
	put(o, scope, "memory_demand_end", (double)demand, "bytes");
	put(o, scope, "hot_adds", (double)st.hot_adds, "count");
	put(o, scope, "balloon_ops", (double)st.balloon_ops, "count");
	put(o, scope, "balloon_bytes", (double)st.balloon_bytes, "bytes");
	mem_series(o, tr->points, scope, "memory_assigned", false, warmup);
	mem_series(o, tr->points, scope, "memory_demand", true, warmup);
}

/*
 * The sampler's series of VM v (scope vm:NAME), one row per interval at its start (t from the
 * start of the run, the first at the warm-up): page_faults_interval, the major faults taken in
 * the interval (VMs with a working set), and remote_memory_share_interval, the remote-memory time
 * over the guest run time in the interval (0 without run time; hosts of several NUMA nodes).
 * The last interval ends with the run; the rows of page faults add up to the total page_faults.
 */
static void interval_series(struct run_output *o, struct world *w, guint v, const char *scope, sim_time_t warmup)
{
	struct sampler *sp = w->sampler;
	if (!sp)
		return;
	GArray *pts = sp->per_vm[v];
	bool faults = gos_paging_possible(w->kernels->pdata[v]), remote = hw_nnodes(w->host) > 1;
	struct mem_sample prev = {warmup, 0, 0, 0};
	for (guint i = 0; i < pts->len; i++) {
		const struct mem_sample *m = &g_array_index(pts, struct mem_sample, i);
		sim_time_t run = m->guest_run - prev.guest_run;
		if (faults)
			put_point(o, scope, "page_faults_interval", prev.t, (double)(m->faults - prev.faults));
		if (remote)
			put_point(o, scope, "remote_memory_share_interval", prev.t, run ? (m->remote_ps - prev.remote_ps) / (double)run : 0);
		prev = *m;
	}
}

/*
 * Paravirt CPUs (docs/paravirt.md), scope vm:NAME: the guest's counters, and the vCPUs in use as
 * timeseries rows `vcpus_in_use` over the measured span: the value in force at the warm-up (at t =
 * warm-up), then each change after it (several at one instant: the last).
 */
static void pv_metrics(struct run_output *o, struct world *w, guint v, const char *scope, sim_time_t warmup)
{
	struct gos_pv_stats st;
	gos_pv_stats(w->kernels->pdata[v], &st);
	put(o, scope, "vcpus_in_use_mean", st.in_use_mean, "count");
	put(o, scope, "vcpus_in_use_end", st.in_use, "count");
	put(o, scope, "pv_changes", (double)st.changes, "count");
	put(o, scope, "pv_pushes", (double)st.pushes, "count");
	put(o, scope, "pv_evacuated", (double)st.evacuated, "count");
	put(o, scope, "pv_affinity_broken", (double)st.affinity_broken, "count");
	const GArray *pts = ((const struct pv_trace *)w->pv->pdata[v])->points;
	guint i = 0;
	while (i + 1 < pts->len && g_array_index(pts, struct pv_point, i + 1).t <= warmup)
		i++; /* the last point at or before the warm-up: the value in force then */
	int64_t last = -1;
	for (; i < pts->len; i++) {
		const struct pv_point *p = &g_array_index(pts, struct pv_point, i);
		sim_time_t t = p->t > warmup ? p->t : warmup;
		if ((i + 1 < pts->len && g_array_index(pts, struct pv_point, i + 1).t <= t) || p->in_use == last)
			continue; /* superseded at the same instant, or no change */
		put_point(o, scope, "vcpus_in_use", t, p->in_use);
		last = p->in_use;
	}
}

static void vm_metrics(struct run_output *o, struct world *w, guint v, double span_s, sim_time_t warmup)
{
	const struct scn_vm *vm = w->vms->pdata[v];
	struct gos_kernel *k = w->kernels->pdata[v];
	char *scope = g_strdup_printf("vm:%s", vm->name);
	/* workloads: each in its scope, and merged into the VM's */
	uint64_t ops = 0, digest = 0;
	struct sim_hist lat;
	sim_hist_init(&lat);
	GHashTable *task_ops = g_hash_table_new(g_direct_hash, g_direct_equal); /* lookup only */
	for (guint i = 0; i < w->wl->len; i++) {
		struct wl_inst *x = w->wl->pdata[i];
		if (x->vm != v)
			continue;
		struct wl_stats st = workload_metrics(o, x, scope, span_s, task_ops);
		ops += st.ops;
		if (st.latency)
			sim_hist_merge(&lat, st.latency);
		digest = digest * 1099511628211ull ^ st.rng_digest;
	}
	/* the workloads' draws: equal in the bare-metal twin */
	put(o, scope, "rng_digest", digest52(digest), "hash");
	put(o, scope, "ops", (double)ops, "ops");
	put(o, scope, "ops_per_s", span_s > 0 ? (double)ops / span_s : 0, "ops/s");
	put_hist_ns(o, scope, "latency", &lat); /* latency_p50_ns, _p99_ns, _p999_ns, _mean_ns */
	sim_hist_clear(&lat);
	/* the hypervisor's view */
	struct hv_counters c;
	hv_partition_counters(gos_partition(k), &c);
	uint64_t ic = 0, hc = 0;
	for (int i = 0; i < VHW_NINTERCEPTS; i++)
		ic += c.intercepts[i];
	for (int i = 0; i < VHW_NHYPERCALLS; i++)
		hc += c.hypercalls[i];
	put(o, scope, "cpu_guest_ns", ns(c.guest_run), "ns");
	put(o, scope, "cpu_hypervisor_ns", ns(c.hypervisor_run), "ns");
	put(o, scope, "cpu_ns_per_op", ops ? ns(c.guest_run + c.hypervisor_run) / (double)ops : NAN, "ns");
	put(o, scope, "spin_ns", ns(c.spin), "ns");
	put(o, scope, "steal_ns", ns(c.wait), "ns");
	put(o, scope, "vp_dispatches", (double)c.dispatches, "count");
	put(o, scope, "vp_preemptions", (double)c.preemptions, "count");
	put(o, scope, "vp_migrations", (double)c.migrations, "count");
	put(o, scope, "exits", (double)c.exits, "count");
	put(o, scope, "intercepts", (double)ic, "count");
	put(o, scope, "hypercalls", (double)hc, "count");
	put(o, scope, "interrupts_delivered", (double)c.interrupts, "count");
	put(o, scope, "ple_exits", (double)c.ple_exits, "count");
	put(o, scope, "yields", (double)c.yields, "count");
	put(o, scope, "directed_yields", (double)c.directed_yields, "count");
	put(o, scope, "costops", (double)c.costops, "count");
	uint64_t lhp = 0;
	for (uint32_t i = 0; i < gos_nlocks(k); i++) {
		struct gos_lock *l = gos_lock_at(k, i);
		struct gos_lock_stats ls;
		gos_lock_stats(l, &ls);
		lhp += ls.lhp_events;
		char *lscope = g_strdup_printf("lock:%s/%s", vm->name, gos_lock_name(l));
		put(o, lscope, "acquisitions", (double)ls.acquisitions, "count");
		put(o, lscope, "contended", (double)ls.contended, "count");
		put(o, lscope, "lhp_events", (double)ls.lhp_events, "count");
		put(o, lscope, "lwp_events", (double)ls.lwp_events, "count");
		put(o, lscope, "pv_halts", (double)ls.pv_halts, "count");
		put(o, lscope, "pv_kicks", (double)ls.pv_kicks, "count");
		put(o, lscope, "long_spin_waits", (double)ls.long_spin_waits, "count");
		put(o, lscope, "spin_ns", ns(ls.spin), "ns");
		put_hist_ns(o, lscope, "wait", ls.wait);
		put_hist_ns(o, lscope, "hold", ls.hold);
		g_free(lscope);
	}
	put(o, scope, "lhp_events", (double)lhp, "count");
	uint64_t io_ops = 0, io_bytes = 0;
	GPtrArray *disks = w->disks->pdata[v];
	for (guint i = 0; i < disks->len; i++) {
		struct io_disk_stats ds;
		io_disk_stats(disks->pdata[i], &ds);
		io_ops += ds.ios, io_bytes += ds.bytes;
		char *dscope = g_strdup_printf("dev:%s/%s", vm->name, io_disk_name(disks->pdata[i]));
		double n = ds.ios ? (double)ds.ios : NAN;
		put(o, dscope, "ios", (double)ds.ios, "ops");
		put(o, dscope, "submitted", (double)ds.submitted, "ops");
		put(o, dscope, "in_flight_start", (double)ds.in_flight_start, "ops");
		put(o, dscope, "in_flight_end", (double)ds.in_flight_end, "ops");
		put(o, dscope, "iops", span_s > 0 ? (double)ds.ios / span_s : 0, "ops/s");
		put(o, dscope, "bytes_per_s", span_s > 0 ? (double)ds.bytes / span_s : 0, "bytes/s");
		put(o, dscope, "signals_per_io", (double)ds.signals / n, "");
		put(o, dscope, "interrupts_per_io", (double)ds.guest_interrupts / n, "");
		put(o, dscope, "ring_full_stalls", (double)ds.ring_full_stalls, "count");
		put(o, dscope, "vsp_batches", (double)ds.vsp_batches, "count");
		put(o, dscope, "exits_per_io", (double)c.exits / n, "");
		put(o, dscope, "intercepts_per_io", (double)ic / n, "");
		put(o, dscope, "guest_cpu_ns_per_io", ns(c.guest_run + c.hypervisor_run) / n, "ns");
		put(o, dscope, "root_cpu_ns_per_io", ds.root_ns / n, "ns");
		put_hist_ns(o, dscope, "latency", ds.latency);
		g_free(dscope);
	}
	put(o, scope, "io_ops", (double)io_ops, "ops");
	put(o, scope, "io_bytes", (double)io_bytes, "bytes");
	put(o, scope, "net_bytes", (double)net_metrics(o, w, v, &c, ic, span_s), "bytes");
	/* the guest's view */
	struct gos_kernel_stats ks;
	gos_kernel_stats(k, &ks);
	put(o, scope, "tlb_shootdowns", (double)ks.shootdowns, "count");
	put(o, scope, "remote_memory_ns", ks.remote_memory_ps / 1e3, "ns");
	put(o, scope, "remote_memory_share", c.guest_run ? ks.remote_memory_ps / (double)c.guest_run : 0, "");
	interval_series(o, w, v, scope, warmup);
	put_hist_ns(o, scope, "tlb_shootdown_latency", ks.shootdown_latency);
	sim_time_t vis = 0;
	uint64_t cs = 0, ipis = 0;
	for (uint32_t i = 0; i < gos_ncpus(k); i++) {
		struct gos_cpu_stats s;
		gos_cpu_stats(k, i, &s);
		char *cscope = g_strdup_printf("%s/vcpu:%u", scope, i);
		put(o, cscope, "busy_ns", ns(s.busy), "ns");
		put(o, cscope, "idle_ns", ns(s.idle), "ns");
		put(o, cscope, "steal_ns", ns(s.steal), "ns");
		put(o, cscope, "steal_visible_ns", ns(s.steal_visible), "ns");
		put(o, cscope, "context_switches", (double)s.context_switches, "count");
		put(o, cscope, "migrations_in", (double)s.migrations_in, "count");
		put(o, cscope, "ipis_sent", (double)s.ipis_sent, "count");
		put(o, cscope, "ipis_received", (double)s.ipis_received, "count");
		put(o, cscope, "ticks", (double)s.ticks, "count");
		put(o, cscope, "halts", (double)s.halts, "count");
		put(o, cscope, "polls", (double)s.polls, "count");
		g_free(cscope);
		vis += s.steal_visible;
		cs += s.context_switches;
		ipis += s.ipis_sent;
	}
	pv_metrics(o, w, v, scope, warmup);
	mem_metrics(o, w, v, scope, warmup);
	put(o, scope, "steal_visible_ns", ns(vis), "ns");
	put(o, scope, "context_switches", (double)cs, "count");
	put(o, scope, "ipis_sent", (double)ipis, "count");
	for (uint32_t i = 0; i < gos_ntasks(k); i++) {
		struct gos_task *t = gos_task_at(k, i);
		struct gos_task_stats s;
		gos_task_stats(t, &s);
		char *tscope = g_strdup_printf("%s/task:%s", scope, gos_task_name(t));
		put(o, tscope, "run_ns", ns(s.run), "ns");
		put(o, tscope, "wait_ns", ns(s.wait), "ns");
		put(o, tscope, "steal_ns", ns(s.steal), "ns");
		put(o, tscope, "migrations", (double)s.migrations, "count");
		put(o, tscope, "voluntary_switches", (double)s.voluntary_switches, "count");
		put(o, tscope, "involuntary_switches", (double)s.involuntary_switches, "count");
		const uint64_t *n = g_hash_table_lookup(task_ops, t);
		if (n)
			put(o, tscope, "ops", (double)*n, "ops");
		g_free(tscope);
	}
	g_hash_table_destroy(task_ops);
	g_free(scope);
}

/* An LP's time by category and its VP switches (scope lp:N), or their sums over the host. */
static void lp_metrics(struct run_output *o, const char *scope, const struct hv_lp_counters *c)
{
	put(o, scope, "lp_guest_ns", ns(c->guest_run), "ns");
	put(o, scope, "lp_hypervisor_ns", ns(c->hypervisor_run), "ns");
	put(o, scope, "lp_root_ns", ns(c->root_run), "ns");
	put(o, scope, "lp_spin_ns", ns(c->spin), "ns");
	put(o, scope, "lp_idle_ns", ns(c->idle), "ns");
	put(o, scope, "vp_dispatches", (double)c->dispatches, "count");
	put(o, scope, "vp_preemptions", (double)c->preemptions, "count");
}

static void host_metrics(struct run_output *o, struct world *w)
{
	struct hv_lp_counters sum = {0};
	uint32_t n = hw_nlps(w->host);
	for (uint32_t i = 0; i < n; i++) {
		struct hv_lp_counters c;
		hv_lp_counters(w->hv, i, &c);
		char *scope = g_strdup_printf("lp:%u", i);
		lp_metrics(o, scope, &c);
		g_free(scope);
		sum.guest_run += c.guest_run, sum.hypervisor_run += c.hypervisor_run, sum.root_run += c.root_run;
		sum.spin += c.spin, sum.idle += c.idle, sum.dispatches += c.dispatches, sum.preemptions += c.preemptions;
	}
	put(o, "host", "lps", n, "count");
	lp_metrics(o, "host", &sum);
	struct hv_partition *root = hv_root(w->hv);
	if (root) {
		struct hv_counters c;
		hv_partition_counters(root, &c);
		put(o, "root", "cpu_root_ns", ns(c.guest_run), "ns");
		put(o, "root", "cpu_hypervisor_ns", ns(c.hypervisor_run), "ns");
	}
}

/* ---- running ---- */

/*
 * The engine's monitor of a run: the progress bar (when asked for) and the guards (limits,
 * signals, events in flight), polled every RUN_POLL_EVENTS events so that the hot loop does not
 * change (sim/run.c: one flag test per event, the monitor between chunks).
 */
struct progress_mon {
	struct sim_monitor mon;
	run_progress_fn fn;           /* may be NULL */
	void *arg;
	struct run_limits limits;
	double start_wall, end_s, done_before, share;
	uint64_t events_before;
	enum run_stop why;            /* set by on_should_stop */
};

static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
	caught_signal = sig;
}

void runner_signals_install(bool once)
{
	struct sigaction sa = {.sa_handler = on_signal, .sa_flags = once ? SA_RESETHAND : 0};
	sigemptyset(&sa.sa_mask);
	caught_signal = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int runner_signal(void) { return caught_signal; }

const char *run_stop_status(enum run_stop why)
{
	switch (why) {
	case RUN_STOP_MAX_EVENTS: return "stopped: max-events";
	case RUN_STOP_MAX_WALL: return "stopped: max-wall";
	case RUN_STOP_QUEUE: return "stopped: events-in-flight";
	case RUN_STOP_SIGNAL: return "interrupted";
	case RUN_STOP_NONE: break;
	}
	return RESULTS_STATUS_OK;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void on_progress(struct sim_monitor *m, const struct sim *sim)
{
	struct progress_mon *p = sim_container_of(m, struct progress_mon, mon);
	if (!p->fn)
		return;
	double sim_s = (double)sim_now(sim) / SIM_PS_PER_S, wall = wall_now() - p->start_wall;
	double eps = wall > 0 ? (double)(p->events_before + sim_events(sim)) / wall : 0;
	p->fn(p->arg, p->done_before + p->share * (sim_s / p->end_s), sim_s, eps);
}

/* The guards, in this order: a signal, --max-events, events in flight, --max-wall. */
static bool on_should_stop(struct sim_monitor *m, const struct sim *sim)
{
	struct progress_mon *p = sim_container_of(m, struct progress_mon, mon);
	const struct run_limits *l = &p->limits;
	if (caught_signal)
		p->why = RUN_STOP_SIGNAL;
	else if (l->max_events && p->events_before + sim_events(sim) >= l->max_events)
		p->why = RUN_STOP_MAX_EVENTS;
	else if (sim_pending(sim) > RUN_MAX_EVENTS_IN_FLIGHT)
		p->why = RUN_STOP_QUEUE;
	else if (l->max_wall_s > 0 && wall_now() - p->start_wall >= l->max_wall_s)
		p->why = RUN_STOP_MAX_WALL;
	return p->why != RUN_STOP_NONE;
}

static const struct sim_monitor_ops monitor_ops = {.progress = on_progress, .should_stop = on_should_stop};

/* Runs a built world to its end or a guard; the measured span it reached (after the warm-up). */
static sim_time_t run_world(struct world *w, const struct scenario *s, struct progress_mon *pm, struct run_output *out)
{
	struct sim_run_params rp = {.end = s->warmup + s->duration, .warmup = s->warmup, .monitor = &pm->mon};
	sampler_attach(w, s);
	sim_run(w->sim, &rp);
	if (w->sampler)
		sample_now(w->sampler); /* the last interval ends with the run */
	out->events += sim_events(w->sim);
	out->digest = out->digest * 1099511628211ull ^ sim_digest(w->sim);
	out->reached = sim_now(w->sim);
	out->stopped = pm->why;
	pm->events_before += sim_events(w->sim);
	pm->done_before += pm->share;
	return out->reached > s->warmup ? out->reached - s->warmup : 0;
}

/* ---- the memory estimate ---- */

/*
 * Peak resident memory of one run, per item of the built world (measured with /usr/bin/time -v on
 * release builds, docs/reliability.md "Memory estimate"; an LP includes its root VP, a vCPU its VP,
 * run queue, statistics and metric rows, a task its guest task and its rows).
 */
#define MEM_BASE (UINT64_C(6) << 20)
#define MEM_PER_LP UINT64_C(2560)
#define MEM_PER_VM (UINT64_C(18) << 10)
#define MEM_PER_VCPU UINT64_C(3584)
#define MEM_PER_TASK UINT64_C(2250)

uint64_t runner_memory_threshold(void)
{
	const char *env = g_getenv("HVSIM_MEMORY_WARN");
	uint64_t v;
	return env && g_ascii_string_to_unsigned(env, 10, 0, G_MAXUINT64, &v, NULL) ? v : RUN_MEMORY_WARN_DEFAULT;
}

/* Once per process, before the first virtual run: the estimate, when above the threshold. */
static void memory_estimate(const struct world *w)
{
	static bool told;
	if (told)
		return;
	told = true;
	uint64_t lps = hw_nlps(w->host), vms = w->kernels->len, vcpus = 0, tasks = 0;
	for (guint i = 0; i < w->kernels->len; i++) {
		vcpus += gos_ncpus(w->kernels->pdata[i]);
		tasks += gos_ntasks(w->kernels->pdata[i]);
	}
	uint64_t est = MEM_BASE + lps * MEM_PER_LP + vms * MEM_PER_VM + vcpus * MEM_PER_VCPU + tasks * MEM_PER_TASK;
	if (est < runner_memory_threshold())
		return;
	fprintf(stderr, "hvsim: this run needs about %.0f MiB of memory: 6 MiB + %" G_GUINT64_FORMAT " LPs x 2.5 KiB + %"
		G_GUINT64_FORMAT " VMs x 18 KiB + %" G_GUINT64_FORMAT " vCPUs x 3.5 KiB + %" G_GUINT64_FORMAT
		" tasks x 2.2 KiB (docs/reliability.md \"Limits\")\n", (double)est / (1 << 20), lps, vms, vcpus, tasks);
}

bool runner_check(const struct scenario *s, GError **error)
{
	struct world w;
	bool ok = build_virtual(&w, s, s->seed, error);
	world_free(&w);
	for (guint v = 0; ok && s->baseline && v < s->vms->len; v++) {
		ok = build_twin(&w, s, s->vms->pdata[v], s->seed, error);
		world_free(&w);
	}
	return ok;
}

static struct trace_json *trace_request; /* runner_trace_next: the next virtual run's trace */

void runner_trace_next(struct trace_json *w) { trace_request = w; }

/* Runs the world, traced when a trace was requested (the request is then used up). */
static bool run_traced(struct world *w, const struct scenario *s, struct progress_mon *pm, struct run_output *out,
		       sim_time_t *span, GError **error)
{
	struct trace_json *tr = trace_request;
	trace_request = NULL;
	if (tr)
		sim_trace_attach(w->sim, trace_json_sink(tr));
	*span = run_world(w, s, pm, out);
	if (!tr)
		return true;
	sim_trace_attach(w->sim, NULL);
	return trace_json_finish(tr, sim_now(w->sim), error);
}

bool runner_run(const struct scenario *s, bool bare_metal, uint64_t seed, const struct run_limits *limits,
		run_progress_fn progress, void *arg, struct run_output *out, GError **error)
{
	double t0 = wall_now();
	uint64_t every = limits && limits->max_events && limits->max_events < RUN_POLL_EVENTS ? limits->max_events
											      : RUN_POLL_EVENTS;
	struct progress_mon pm = {.mon = {.ops = &monitor_ops, .every = every}, .fn = progress, .arg = arg,
				  .start_wall = t0, .end_s = (double)(s->warmup + s->duration) / SIM_PS_PER_S};
	if (limits)
		pm.limits = *limits;
	sim_time_t span = s->duration;
	bool ok = true;
	if (!bare_metal) {
		struct world w;
		pm.share = 1;
		ok = build_virtual(&w, s, seed, error);
		if (ok)
			memory_estimate(&w);
		if (ok)
			ok = run_traced(&w, s, &pm, out, &span, error);
		if (ok) {
			double span_s = (double)span / SIM_PS_PER_S;
			for (guint v = 0; v < w.vms->len; v++)
				vm_metrics(out, &w, v, span_s, s->warmup);
			host_metrics(out, &w);
			host_device_metrics(out, &w, s, span_s);
		}
		world_free(&w);
	} else {
		pm.share = 1.0 / s->vms->len;
		for (guint v = 0; v < s->vms->len && ok && !pm.why; v++) {
			struct world w;
			ok = build_twin(&w, s, s->vms->pdata[v], seed, error);
			if (ok) {
				span = run_world(&w, s, &pm, out);
				vm_metrics(out, &w, 0, (double)span / SIM_PS_PER_S, s->warmup);
			}
			world_free(&w);
		}
	}
	out->sim_time = span;
	out->wall_seconds = wall_now() - t0;
	return ok;
}
