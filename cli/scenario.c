/* SPDX-License-Identifier: MIT */
/*
 * scenario.c - the scenario loader: key tables for every part of a scenario, --set overrides
 *              (JSON Pointer), checking with positions, and binding to the models' configs.
 * Devices: their tables, checks and binding are in scenario_devices.c; what the two files share
 *          (struct ctx, fail_at, obj) is in scenario-int.h.
 * Limits (documented in docs/scenario-reference.md through the tables): up to 64 sockets, 16 nodes
 * per socket, 1,024 cores per node, 8 threads per core; 4,096 vCPUs per VM, 1,024 copies of a VM.
 * Caps on the totals (check_sizes, check_times; docs/reliability.md "Limits"): SCN_MAX_LPS LPs,
 * SCN_MAX_VMS VMs and SCN_MAX_VCPUS vCPUs (copies and add-vcpus actions counted), and a run end
 * (warm-up + duration) of at most SCN_MAX_END, so that no time a model computes can overflow.
 */
#include <errno.h>
#include <string.h>

#include "cli/jsonpos.h"
#include "cli/scenario-int.h"
#include "cli/scenario.h"
#include "models/guestos/lock.h"
#include "models/io/net.h"
#include "workloads/workload.h"

G_DEFINE_QUARK(scenario-error-quark, scenario_error)

#define SCN_MAX_LPS 16384                     /* sockets x nodes x cores x threads */
#define SCN_MAX_VMS 4096                      /* VMs, each copy of a counted VM one */
#define SCN_MAX_VCPUS 65536                   /* vCPUs of all VMs, add-vcpus included */
#define SCN_MAX_END (UINT64_C(1) << 62)       /* ps, warm-up + duration (53 days): any time key (at most
						 1e16 ns) added to a time before the end stays below 2^64 */

/* ---- the tables ---- */

static const struct param scheduler_keys[] = {
	{"policy", PARAM_ENUM, "\"auto\"", 0, 0, "auto|classic|core|cfs|none", NULL,
	 "VP scheduler; auto: classic under hyperv, cfs under kvm, none under none (docs/hypervisor.md)", NULL, 0},
	{"timeslice", PARAM_TIME, "\"10ms\"", 1000, 1e10, NULL, "ns", "classic/core VP quantum (REF 1.2 [R])", NULL, 0},
	{"period", PARAM_TIME, "\"100ms\"", 1000, 1e11, NULL, "ns", "reserve/limit enforcement period", NULL, 0},
	{"soft_affinity", PARAM_BOOL, "true", 0, 0, NULL, NULL, "prefer the LP a VP last ran on", NULL, 0},
	{"affinity_slack", PARAM_TIME, "\"20ms\"", 0, 1e11, NULL, "ns", "lag before a VP is taken elsewhere", NULL, 0},
	{"numa_spanning", PARAM_BOOL, "true", 0, 0, NULL, NULL, "VMs may span NUMA nodes", NULL, 0},
	{"numa_slack", PARAM_TIME, "\"50ms\"", 0, 1e11, NULL, "ns", "extra lag before a VP runs off its node", NULL, 0},
	{"cfs_latency", PARAM_TIME, "\"24ms\"", 1000, 1e11, NULL, "ns", "cfs: scheduling latency", NULL, 0},
	{"cfs_min_granularity", PARAM_TIME, "\"3ms\"", 1000, 1e11, NULL, "ns", "cfs: minimum slice", NULL, 0},
	{"cfs_wakeup_granularity", PARAM_TIME, "\"4ms\"", 0, 1e11, NULL, "ns", "cfs: wakeup preemption granularity", NULL, 0},
	{"cfs_balance_interval", PARAM_TIME, "\"4ms\"", 1000, 1e11, NULL, "ns", "cfs: periodic balancing", NULL, 0},
	{"coschedule_skew", PARAM_TIME, "0", 0, 1e11, NULL, "ns",
	 "relaxed co-scheduling: co-stop a VP this far ahead of its slowest runnable sibling (0 = off; 3ms VMware-like [R])",
	 NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param spin_keys[] = {
	{"ple", PARAM_ENUM, "\"off\"", 0, 0, "off|intel|amd", NULL,
	 "pause-loop exiting: Intel PLE (window/gap) or the AMD pause filter (count/threshold)", NULL, 0},
	{"ple_window", PARAM_INT, "4096", 1, 4294967295.0, NULL, "cycles", "intel: PAUSE-loop length before an exit (KVM [S])", NULL, 0},
	{"ple_window_max", PARAM_INT, "4194304", 1, 4294967295.0, NULL, "cycles",
	 "intel: the window doubles per exit up to this; back to ple_window at dispatch (KVM grow/shrink)", NULL, 0},
	{"ple_gap", PARAM_INT, "128", 1, 4294967295.0, NULL, "cycles", "intel: PAUSEs further apart are not one loop (KVM [S])", NULL, 0},
	{"pause_filter_count", PARAM_INT, "3000", 1, 65535, NULL, "PAUSEs", "amd: PAUSEs before an exit (KVM [S])", NULL, 0},
	{"pause_filter_thresh", PARAM_INT, "128", 1, 65535, NULL, "cycles", "amd: PAUSEs further apart restart the count (KVM [S])", NULL, 0},
	{"directed_yield", PARAM_BOOL, "true", 0, 0, NULL, NULL,
	 "a spin exit hands the LP to a preempted VP of the same VM (kvm_vcpu_on_spin)", NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param root_keys[] = {
	{"vcpus", PARAM_INT, "0", 0, 65536, NULL, NULL, "root VPs pinned to LPs 0..n-1; 0 = one per LP", NULL, 0},
	{"weight", PARAM_INT, "100", 1, 10000, NULL, NULL, "the root's weight", NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

/* Filled from the cost tables of the models (costs_tables_init). */
static struct param hv_cost_keys[HV_NCOSTS + 1];
static struct param gos_cost_keys[GOS_NCOSTS + 1];

static struct param hypervisor_keys[] = {
	{"kind", PARAM_ENUM, "\"hyperv\"", 0, 0, "hyperv|kvm|none", NULL, "the platform; none = bare metal", NULL, 0},
	{"scheduler", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "the VP scheduler", scheduler_keys, 0},
	{"root", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "the root partition", root_keys, 0},
	{"spin_wait", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "spin-wait handling: pause-loop exits and directed yield (docs/locks.md)",
	 spin_keys, 0},
	{"steal_clock", PARAM_ENUM, "\"auto\"", 0, 0, "auto|on|off", NULL,
	 "publish steal time and the preempted flag to guests; auto: kvm yes, hyperv no (REF 4.4)", NULL, 0},
	{"dm_interval", PARAM_TIME, "\"1s\"", 1e6, 1e13, NULL, "ns",
	 "dynamic memory: how often the host recomputes targets and rebalances (1 s [R], REF 6; docs/memory.md)", NULL, 0},
	{"dm_hot_add_latency", PARAM_TIME, "\"10ms\"", 1, 1e12, NULL, "ns",
	 "dynamic memory: one 128 MiB hot-add chunk until the guest has it (10 ms [R])", NULL, 0},
	{"costs", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "cost overrides by name (docs/hypervisor.md)", hv_cost_keys, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param host_keys[] = {
	{"sockets", PARAM_INT, "1", 1, 64, NULL, NULL, "sockets", NULL, 0},
	{"numa_nodes_per_socket", PARAM_INT, "1", 1, 16, NULL, NULL, "NUMA nodes per socket", NULL, 0},
	{"cores_per_node", PARAM_INT, "8", 1, 1024, NULL, NULL, "cores per NUMA node", NULL, 0},
	{"threads_per_core", PARAM_INT, "2", 1, 8, NULL, NULL, "SMT threads per core", NULL, 0},
	{"mhz", PARAM_INT, "3000", 100, 10000, NULL, "MHz", "nominal frequency of every LP", NULL, 0},
	{"smt_factor", PARAM_NUMBER, "0.65", 0.05, 1, NULL, NULL, "speed of a thread while its sibling is busy [R]", NULL, 0},
	{"memory_per_node", PARAM_BYTES, "\"64GiB\"", 1048576, 1.2e15, NULL, "bytes", "memory of each node", NULL, 0},
	{"numa_distance", PARAM_ANY, "null", 0, 0, NULL, NULL,
	 "nodes x nodes ACPI SLIT matrix (10 diagonal, 11..254 elsewhere); default 10/20", NULL, 0},
	{"devices", PARAM_OBJECT, "{}", 0, 0, NULL, NULL,
	 "physical devices VMs' devices share (their backend): NAME -> {\"kind\": \"nvme\"|\"nic\", keys} (see Devices)", NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param pv_step_keys[] = {
	{"at", PARAM_TIME, NULL, 0, 1e15, NULL, "ns", "when, from the start of the run (the warm-up included); after the previous step's",
	 NULL, 0},
	{"count", PARAM_INT, NULL, 0, 4096, NULL, NULL, "vCPUs to use from then on, the lowest-numbered (0 = all; at most vcpus)",
	 NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param paravirt_keys[] = {
	{"method", PARAM_ENUM, "\"none\"", 0, 0, "none|capacity|load-balancer|push|offline", NULL,
	 "how vCPUs out of use are avoided: capacity (low capacity), load-balancer (parked: no placement, no pulling; "
	 "8-10 s to drain [S]), push (load-balancer and the tick pushes the running task off; the series' choice [S]), "
	 "offline (hot-unplug: serial, breaks affinity) (REF 4.2)", NULL, 0},
	{"hint", PARAM_ENUM, "\"static\"", 0, 0, "static|schedule|steal|hypervisor", NULL,
	 "where the number of vCPUs to use comes from: count, schedule, the guest's steal governor (steal_monitor, "
	 "needs a steal clock the guest can read), the hypervisor's backing hint (REF 4.2)", NULL, 0},
	{"count", PARAM_INT, "0", 0, 4096, NULL, NULL, "static: vCPUs to use, the lowest-numbered (0 = all; at most vcpus)",
	 NULL, 0},
	{"schedule", PARAM_ARRAY, "[]", 0, 0, NULL, NULL, "schedule: steps {at, count} in increasing time order", pv_step_keys,
	 0},
	{"interval", PARAM_TIME, "\"1s\"", 1e6, 1e11, NULL, "ns",
	 "steal, hypervisor: how often the governor decides (steal_monitor interval_ms 1000 [S], REF 4.2)", NULL, 0},
	{"high", PARAM_INT, "500", 1, 9999, NULL, "% x 100",
	 "steal: above this steal one core fewer is used (500 = 5 %, steal_monitor [S], REF 4.2); must exceed low", NULL, 0},
	{"low", PARAM_INT, "200", 0, 9998, NULL, "% x 100",
	 "steal: at or below this steal one core more is used (200 = 2 %, steal_monitor [S], REF 4.2)", NULL, 0},
	{"capacity", PARAM_INT, "64", 1, 1024, NULL, NULL, "capacity: a vCPU out of use's capacity out of 1024 [R] (REF 4.2)",
	 NULL, 0},
	{"hotplug_latency", PARAM_TIME, "\"100ms\"", 0, 1e11, NULL, "ns",
	 "offline: one vCPU's offline or online operation, one at a time (100ms [R]; ~20 s on large LPARs [S], REF 4.2)",
	 NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param guest_keys[] = {
	{"hz", PARAM_INT, "250", 1, 10000, NULL, "per s", "timer tick frequency", NULL, 0},
	{"tickless", PARAM_BOOL, "true", 0, 0, NULL, NULL, "idle vCPUs stop their tick (NO_HZ_IDLE)", NULL, 0},
	{"halt_poll", PARAM_TIME, "0", 0, 1e9, NULL, "ns", "idle polling before HLT (guest haltpoll; 0 = off)", NULL, 0},
	{"threads_per_core", PARAM_INT, "1", 1, 8, NULL, NULL, "guest-visible SMT siblings", NULL, 0},
	{"numa_nodes", PARAM_INT, "1", 1, 64, NULL, NULL,
	 "guest-visible NUMA nodes (must divide the vCPUs): each node's memory whole on one host node by memory_placement, "
	 "its vCPUs prefer that node's LPs; 1 with dynamic memory (docs/memory.md Virtual NUMA)", NULL, 0},
	{"base_slice", PARAM_TIME, "0", 0, 1e10, NULL, "ns", "0: 0.7 ms x (1 + log2 min(vcpus, 8))", NULL, 0},
	{"wakeup_granularity", PARAM_TIME, "0", 0, 1e10, NULL, "ns", "0: 1 ms x (1 + log2 min(vcpus, 8))", NULL, 0},
	{"migration_cost", PARAM_TIME, "\"500us\"", 0, 1e10, NULL, "ns", "cache-hot threshold for balancing", NULL, 0},
	{"busy_factor", PARAM_INT, "16", 1, 1024, NULL, NULL, "balance interval multiplier on busy vCPUs", NULL, 0},
	{"tlb_flush", PARAM_ENUM, "\"auto\"", 0, 0, "auto|ipi|pv|hypercall", NULL, "TLB shootdown method (docs/guestos.md)", NULL, 0},
	{"spinlock", PARAM_ENUM, "\"qspinlock\"", 0, 0, "tas|ticket|qspinlock|pv-qspinlock|hyperv", NULL,
	 "the kernel's spinlock kind (docs/locks.md)", NULL, 0},
	{"spin_pause_cycles", PARAM_INT, "40", 1, 100000, NULL, "cycles", "one spin-loop iteration (PAUSE and re-read) [R]", NULL, 0},
	{"pv_spin_threshold", PARAM_INT, "32768", 1, 1e9, NULL, "iterations", "pv-qspinlock: spins before halting (SPIN_THRESHOLD [S])", NULL, 0},
	{"long_spin_threshold", PARAM_INT, "2047", 1, 1e9, NULL, "iterations",
	 "hyperv: spins before HvCallNotifyLongSpinWait (TLFS [S])", NULL, 0},
	{"paravirt", PARAM_OBJECT, "{}", 0, 0, NULL, NULL,
	 "paravirt CPUs: use fewer vCPUs under overcommit (REF 4; docs/paravirt.md)", paravirt_keys, 0},
	{"base_memory", PARAM_BYTES, "\"256MiB\"", 0, 1.2e15, NULL, "bytes",
	 "dynamic memory: the kernel's own committed memory; demand = this + the workloads' working_set [R] (docs/memory.md)",
	 NULL, 0},
	{"pressure_report_delay", PARAM_TIME, "\"45s\"", 0, 1e15, NULL, "ns",
	 "dynamic memory: first pressure report after boot, then one every second (hv_balloon [S], REF 6)", NULL, 0},
	{"balloon_ns_per_2mib", PARAM_INT, "20000", 0, 1e9, NULL, "ns",
	 "dynamic memory: balloon driver work on vCPU 0 per 2 MiB given back [R]", NULL, 0},
	{"page_touch_rate", PARAM_INT, "100", 0, 1e9, NULL, "pages/ms",
	 "paging: pages a compute op touches per ms; each misses with the memory shortfall's probability [R] (docs/memory.md)",
	 NULL, 0},
	{"costs", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "guest cost overrides by name, ns (docs/guestos.md)", gos_cost_keys, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param dm_keys[] = {
	{"enabled", PARAM_BOOL, "false", 0, 0, NULL, NULL, "Hyper-V Dynamic Memory; startup memory is the VM's memory", NULL, 0},
	{"minimum", PARAM_BYTES, "0", 0, 1.2e15, NULL, "bytes", "minimum RAM (0 = memory); at most memory", NULL, 0},
	{"maximum", PARAM_BYTES, "0", 0, 1.2e15, NULL, "bytes", "maximum RAM (0 = memory); at least memory", NULL, 0},
	{"buffer", PARAM_INT, "20", 0, 2000, NULL, "%", "target = demand x (1 + buffer/100) (20 % [M], REF 6)", NULL, 0},
	{"weight", PARAM_INT, "5000", 1, 10000, NULL, NULL, "memory weight: share of scarce host memory (5000 [M])", NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

/* A step of a working set that changes in time. */
static const struct param ws_step_keys[] = {
	{"at", PARAM_TIME, NULL, 0, 1e16, NULL, "ns", "from this time on (from the start of the run)", NULL, 0},
	{"size", PARAM_BYTES, NULL, 0, 1.2e15, NULL, "bytes", "the working set until the next step", NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

/* Keys every workload kind takes besides its own (check_workload, the runner). */
static const struct param wl_common_keys[] = {
	{"working_set", PARAM_ANY, "0", 0, 0, NULL, "bytes",
	 "memory the workload commits (adds to the guest's demand; paging when it exceeds the memory): a size, or "
	 "steps [{\"at\": TIME, \"size\": SIZE}, ...] in increasing time order (0 before the first); "
	 "some kinds derive one when none is given (docs/memory.md)", ws_step_keys, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

/* The two forms of working_set, checked by the form found (check_workload). */
static const struct param ws_size_key[] = {
	{"working_set", PARAM_BYTES, NULL, 0, 1.2e15, NULL, "bytes", NULL, NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};
static const struct param ws_steps_key[] = {
	{"working_set", PARAM_ARRAY, NULL, 0, 0, NULL, NULL, NULL, ws_step_keys, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param vm_keys[] = {
	{"name", PARAM_STRING, NULL, 0, 0, NULL, NULL, "unique name (copies get -1, -2, ...)", NULL, 0},
	{"count", PARAM_INT, "1", 1, 1024, NULL, NULL, "identical copies of this VM", NULL, 0},
	{"vcpus", PARAM_INT, "1", 1, 4096, NULL, NULL, "virtual processors", NULL, 0},
	{"memory", PARAM_BYTES, "\"1GiB\"", 1048576, 1.2e15, NULL, "bytes", "memory", NULL, 0},
	{"weight", PARAM_INT, "100", 1, 10000, NULL, NULL, "relative CPU weight", NULL, 0},
	{"reserve", PARAM_NUMBER, "0", 0, 100, NULL, "%", "share of one LP guaranteed to each VP", NULL, 0},
	{"limit", PARAM_NUMBER, "100", 0.01, 100, NULL, "%", "share of one LP each VP may use", NULL, 0},
	{"numa_node", PARAM_INT, "-1", -1, 1023, NULL, NULL, "home node; -1 = placed by the hypervisor", NULL, 0},
	{"affinity", PARAM_ARRAY, "[]", 0, 65535, NULL, NULL, "LPs the VPs may run on; [] = all", NULL, PARAM_INT},
	{"memory_bound", PARAM_NUMBER, "0", 0, 1, NULL, NULL,
	 "memory-bound share of the VM's compute where its workload sets none (a workload's memory_bound wins)", NULL, 0},
	{"memory_placement", PARAM_ENUM, "\"node\"", 0, 0, "node|interleave|follow", NULL,
	 "NUMA memory: on the home node (nearest next if it does not fit), evenly over the nodes its affinity "
	 "reaches, or in proportion to where its VPs run; all on the home node when numa_spanning is off "
	 "(docs/hypervisor.md)", NULL, 0},
	{"start", PARAM_BOOL, "true", 0, 0, NULL, NULL, "running from time 0 (else a start action)", NULL, 0},
	{"dynamic_memory", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "Hyper-V Dynamic Memory (REF 6; docs/memory.md)", dm_keys, 0},
	{"guest", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "the guest kernel", guest_keys, 0},
	{"devices", PARAM_ARRAY, "[]", 0, 0, NULL, NULL,
	 "virtual devices, each {\"kind\": \"disk\"|\"nic\"|PATH-disk|PATH-nic, keys} (see Devices; docs/io.md)", NULL, PARAM_ANY},
	{"workload", PARAM_ANY, "null", 0, 0, NULL, NULL, "one workload: {\"kind\": ..., parameters} (see Workloads)", NULL, 0},
	{"workloads", PARAM_ARRAY, "null", 0, 0, NULL, NULL, "several workloads (instead of workload)", NULL, PARAM_ANY},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param action_keys[] = {
	{"at", PARAM_TIME, NULL, 0, 1e15, NULL, "ns", "when", NULL, 0},
	{"action", PARAM_ENUM, NULL, 0, 0, "add-vcpus|set-weight|set-reserve|set-limit|start|stop|vf-remove|vf-add", NULL,
	 "what; vf-remove/vf-add: an SR-IOV adapter's VF leaves (traffic falls back to synthetic) or returns", NULL, 0},
	{"vm", PARAM_STRING, NULL, 0, 0, NULL, NULL, "the VM (a name, or a counted VM's base name for all copies)", NULL, 0},
	{"vcpus", PARAM_INT, "null", 1, 4096, NULL, NULL, "add-vcpus: how many", NULL, 0},
	{"weight", PARAM_INT, "null", 1, 10000, NULL, NULL, "set-weight", NULL, 0},
	{"reserve", PARAM_NUMBER, "null", 0, 100, NULL, "%", "set-reserve", NULL, 0},
	{"limit", PARAM_NUMBER, "null", 0.01, 100, NULL, "%", "set-limit", NULL, 0},
	{"device", PARAM_STRING, "null", 0, 0, NULL, NULL, "vf-remove, vf-add: the VM's adapter (a name in its devices)", NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param run_keys[] = {
	{"duration", PARAM_TIME, "\"10s\"", 1000, 1e16, NULL, "ns", "simulated time measured (after the warm-up)", NULL, 0},
	{"warmup", PARAM_TIME, "\"0s\"", 0, 1e16, NULL, "ns", "simulated time before statistics start", NULL, 0},
	{"sample_interval", PARAM_TIME, "null", 1000, 1e16, NULL, "ns",
	 "the per-interval memory series (page_faults_interval, remote_memory_share_interval; docs/memory.md): one row "
	 "per interval from the warm-up on (absent: 1 s)", NULL, 0},
	{"seed", PARAM_INT, "1", 0, 9007199254740991.0, NULL, NULL, "master seed", NULL, 0},
	{"replications", PARAM_INT, "1", 1, 10000, NULL, NULL, "independent runs (seeds derived from the master)", NULL, 0},
	{"baseline", PARAM_ENUM, "\"bare_metal\"", 0, 0, "bare_metal|none", NULL, "also run the bare-metal twin", NULL, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static const struct param top_keys[] = {
	{"name", PARAM_STRING, "\"scenario\"", 0, 0, NULL, NULL, "the scenario's name", NULL, 0},
	{"description", PARAM_STRING, "\"\"", 0, 0, NULL, NULL, "free text", NULL, 0},
	{"host", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "the physical machine", host_keys, 0},
	{"hypervisor", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "the hypervisor", hypervisor_keys, 0},
	{"vms", PARAM_ARRAY, NULL, 0, 0, NULL, NULL, "the partitions", vm_keys, 0},
	{"timeline", PARAM_ARRAY, "[]", 0, 0, NULL, NULL, "run-time actions", action_keys, 0},
	{"run", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "run control", run_keys, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static char *cost_defaults[HV_NCOSTS + GOS_NCOSTS];

/* Fills the hypervisor's and the guest's cost tables, and the devices' (device_cost_tables_init), once. */
static void costs_tables_init(void)
{
	static gsize done;
	if (!g_once_init_enter(&done))
		return;
	for (int i = 0; i < HV_NCOSTS; i++) {
		cost_defaults[i] = g_strdup_printf("%llu", (unsigned long long)hv_cost_default((enum hv_cost)i));
		hv_cost_keys[i] = (struct param){hv_cost_name((enum hv_cost)i), PARAM_INT, cost_defaults[i], 0, 1e12, NULL,
						 hv_cost_unit((enum hv_cost)i) == HV_CYCLES ? "cycles" : "ns",
						 hv_cost_source((enum hv_cost)i), NULL, 0};
	}
	struct gos_config gc;
	gos_config_default(&gc);
	for (int i = 0; i < GOS_NCOSTS; i++) {
		cost_defaults[HV_NCOSTS + i] = g_strdup_printf("%llu", (unsigned long long)gc.cost_ns[i]);
		gos_cost_keys[i] = (struct param){gos_cost_name((enum gos_cost)i), PARAM_INT, cost_defaults[HV_NCOSTS + i],
						  i == GOS_COST_SYSCALL ? 1 : 0, 1e12, NULL, "ns",
						  gos_cost_source((enum gos_cost)i), NULL, 0};
	}
	device_cost_tables_init();
	g_once_init_leave(&done, 1);
}

/* ---- errors with a place ---- */

/*
 * Where `pointer` is in the file. A VM's single "workload" is checked as "workloads/0": when the
 * file has the singular form, look there.
 */
static bool find_place(const struct ctx *c, const char *pointer, unsigned *line, unsigned *col)
{
	const char *w = strstr(pointer, "/workloads/0");
	if (w && (w[12] == '\0' || w[12] == '/')) {
		char *vm = g_strdup_printf("%.*s/workload", (int)(w - pointer), pointer);
		char *alt = g_strconcat(vm, w + 12, NULL);
		bool singular = g_hash_table_contains(c->pos, vm);
		bool found = singular && jsonpos_find(c->pos, c->text, alt, line, col);
		g_free(alt);
		g_free(vm);
		if (found)
			return true;
	}
	return jsonpos_find(c->pos, c->text, pointer, line, col);
}

/* The pointer as the file knows it: prefixed with where the scenario sits ("/base/vms/0"). */
static const char *in_file(const struct ctx *c, const char *pointer, char **owned)
{
	*owned = c->prefix && *c->prefix ? g_strconcat(c->prefix, pointer, NULL) : NULL;
	return *owned ? *owned : pointer;
}

void *fail_at(struct ctx *c, const char *pointer, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	unsigned line = 0, col = 0;
	char *owned;
	pointer = in_file(c, pointer, &owned);
	if (c->pos && find_place(c, pointer, &line, &col))
		g_set_error(c->error, scenario_error_quark(), 2, "%s:%u:%u: %s: %s", c->path, line, col,
			    pointer[0] ? pointer : "/", msg);
	else
		g_set_error(c->error, scenario_error_quark(), 2, "%s: %s: %s", c->path, pointer[0] ? pointer : "/", msg);
	g_free(owned);
	g_free(msg);
	return NULL;
}

void scenario_locate_error(const struct scenario *s, const char *pointer, GError **error)
{
	if (!error || !*error || (*error)->domain == scenario_error_quark())
		return;
	GError *old = *error;
	*error = NULL;
	struct ctx c = {.path = s->path, .text = s->text, .pos = s->pos, .prefix = s->prefix, .error = error};
	fail_at(&c, pointer, "%s", old->message);
	g_error_free(old);
}

/* ---- --set overrides ---- */

static char *unescape_token(const char *tok)
{
	GString *s = g_string_new(NULL);
	for (const char *p = tok; *p; p++) {
		if (p[0] == '~' && p[1] == '0')
			g_string_append_c(s, '~'), p++;
		else if (p[0] == '~' && p[1] == '1')
			g_string_append_c(s, '/'), p++;
		else
			g_string_append_c(s, *p);
	}
	return g_string_free(s, FALSE);
}

static bool apply_set(cJSON *root, const char *set, GError **error)
{
	const char *eq = strchr(set, '=');
	if (!eq || set[0] != '/') {
		g_set_error(error, scenario_error_quark(), 2,
			    "--set %s: expected /json/pointer=VALUE (for example /run/duration=\"2s\")", set);
		return false;
	}
	char *ptr = g_strndup(set, (gsize)(eq - set));
	cJSON *value = cJSON_ParseWithOpts(eq + 1, NULL, true); /* the whole text, or it is not JSON */
	if (!value)
		value = cJSON_CreateString(eq + 1); /* a bare word is a string: /run/duration=2s */
	char **toks = g_strsplit(ptr + 1, "/", -1);
	cJSON *node = root;
	bool ok = true;
	for (int i = 0; toks[i] && ok; i++) {
		char *key = unescape_token(toks[i]);
		bool last = toks[i + 1] == NULL;
		if (cJSON_IsArray(node)) {
			char *end = NULL;
			long idx = strtol(key, &end, 10);
			int n = cJSON_GetArraySize(node);
			if (last && strcmp(key, "-") == 0) {
				cJSON_AddItemToArray(node, value);
				value = NULL;
			} else if (end == key || *end || idx < 0 || idx >= n) {
				g_set_error(error, scenario_error_quark(), 2, "--set %s: no element %s in the array", ptr, key);
				ok = false;
			} else if (last) {
				cJSON_ReplaceItemInArray(node, (int)idx, value);
				value = NULL;
			} else {
				node = cJSON_GetArrayItem(node, (int)idx);
			}
		} else if (cJSON_IsObject(node)) {
			cJSON *next = cJSON_GetObjectItemCaseSensitive(node, key);
			if (last) {
				if (next)
					cJSON_ReplaceItemInObjectCaseSensitive(node, key, value);
				else
					cJSON_AddItemToObject(node, key, value);
				value = NULL;
			} else {
				if (!next)
					next = cJSON_AddObjectToObject(node, key);
				node = next;
			}
		} else {
			g_set_error(error, scenario_error_quark(), 2, "--set %s: %s is not inside an object or array", ptr, key);
			ok = false;
		}
		g_free(key);
	}
	g_strfreev(toks);
	cJSON_Delete(value);
	g_free(ptr);
	return ok;
}

/* ---- checking the parts the tables leave to us ---- */

/* working_set as steps: at least one, in increasing time order. */
static bool check_ws_steps(struct ctx *c, const cJSON *ws, const char *ptr)
{
	if (!cJSON_IsArray(ws))
		return true;
	char *wp = g_strdup_printf("%s/working_set", ptr);
	bool ok = cJSON_GetArraySize(ws) > 0 ||
		  fail_at(c, wp, "expected a size, or at least one step {\"at\": TIME, \"size\": SIZE}") != NULL;
	sim_time_t prev = 0;
	int i = 0;
	for (const cJSON *st = ws->child; ok && st; st = st->next, i++) {
		sim_time_t at = param_time(st, "at");
		if (i > 0 && at <= prev) {
			char *p = g_strdup_printf("%s/%d/at", wp, i);
			fail_at(c, p, "steps must be in increasing time order: %.9g s is not after the previous step's %.9g s",
				(double)at / SIM_PS_PER_S, (double)prev / SIM_PS_PER_S);
			g_free(p);
			ok = false;
		}
		prev = at;
	}
	g_free(wp);
	return ok;
}

static bool check_workload(struct ctx *c, cJSON *w, const char *ptr)
{
	if (!cJSON_IsObject(w))
		return fail_at(c, ptr, "expected a workload object {\"kind\": ...}") != NULL;
	cJSON *kind = cJSON_GetObjectItemCaseSensitive(w, "kind");
	if (!cJSON_IsString(kind)) {
		GString *names = g_string_new(NULL);
		for (const struct wl_kind *const *k = wl_kinds(); *k; k++)
			g_string_append_printf(names, "%s%s", names->len ? ", " : "", (*k)->name);
		fail_at(c, ptr, "a workload needs \"kind\": one of %s", names->str);
		g_string_free(names, TRUE);
		return false;
	}
	const struct wl_kind *k = wl_kind_find(kind->valuestring);
	if (!k) {
		char *kp = g_strdup_printf("%s/kind", ptr);
		fail_at(c, kp, "unknown workload kind '%s'", kind->valuestring);
		g_free(kp);
		return false;
	}
	cJSON_DetachItemViaPointer(w, kind);
	/* the keys every kind takes are checked apart, and stay out of the resolved object when not given */
	cJSON *common = cJSON_CreateObject(), *ws = cJSON_DetachItemFromObjectCaseSensitive(w, "working_set");
	if (ws)
		cJSON_AddItemToObject(common, "working_set", ws);
	struct param_error pe = {0};
	bool ok = param_resolve(k->params, w, ptr, &pe) && (!ws || param_resolve(wl_common_keys, common, ptr, &pe)) &&
		  (!ws || param_resolve(cJSON_IsArray(ws) ? ws_steps_key : ws_size_key, common, ptr, &pe));
	cJSON_AddItemToObject(w, "kind", kind);
	if (ws)
		cJSON_AddItemToObject(w, "working_set", cJSON_DetachItemFromObjectCaseSensitive(common, "working_set"));
	cJSON_Delete(common);
	if (!ok) {
		fail_at(c, pe.pointer, "%s", pe.message);
		param_error_clear(&pe);
	}
	return ok && (!ws || check_ws_steps(c, ws, ptr));
}

/* fail_at(ptr + "/" + rel) */
static bool fail_below(struct ctx *c, const char *ptr, const char *rel, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static bool fail_below(struct ctx *c, const char *ptr, const char *rel, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *p = g_strdup_printf("%s/%s", ptr, rel);
	fail_at(c, p, "%s", msg);
	g_free(p);
	g_free(msg);
	return false;
}

/*
 * The VM at `ptr`'s guest.paravirt beyond its table: high above low, counts within the VM's vCPUs
 * (as written: vCPUs added by the timeline do not count), schedule steps in increasing time order,
 * and a schedule for hint schedule. What depends on the platform (a steal clock for hint steal) is
 * the model's to refuse (gos_new).
 */
static bool check_paravirt(struct ctx *c, const cJSON *vm, const char *ptr)
{
	const cJSON *pv = obj(obj(vm, "guest"), "paravirt");
	char *pp = g_strdup_printf("%s/guest/paravirt", ptr);
	int64_t vcpus = param_int(vm, "vcpus"), high = param_int(pv, "high"), low = param_int(pv, "low");
	bool ok = true;
	if (high <= low)
		ok = fail_below(c, pp, "high", "high (%" G_GINT64_FORMAT ") must be above low (%" G_GINT64_FORMAT ")",
				high, low);
	else if (param_int(pv, "count") > vcpus)
		ok = fail_below(c, pp, "count", "%" G_GINT64_FORMAT " vCPUs to use, but the VM has %" G_GINT64_FORMAT,
				param_int(pv, "count"), vcpus);
	const cJSON *sched = obj(pv, "schedule");
	if (ok && strcmp(param_string(pv, "hint"), "schedule") == 0 && cJSON_GetArraySize(sched) == 0)
		ok = fail_below(c, pp, "schedule", "hint schedule needs at least one step {\"at\": TIME, \"count\": N}");
	sim_time_t prev = 0;
	int i = 0;
	for (const cJSON *st = sched->child; ok && st; st = st->next, i++) {
		sim_time_t at = param_time(st, "at");
		char rel[48];
		if (i > 0 && at <= prev) {
			snprintf(rel, sizeof rel, "schedule/%d/at", i);
			ok = fail_below(c, pp, rel, "steps must be in increasing time order: %.9g s is not after the previous "
					"step's %.9g s", (double)at / SIM_PS_PER_S, (double)prev / SIM_PS_PER_S);
		} else if (param_int(st, "count") > vcpus) {
			snprintf(rel, sizeof rel, "schedule/%d/count", i);
			ok = fail_below(c, pp, rel, "%" G_GINT64_FORMAT " vCPUs to use, but the VM has %" G_GINT64_FORMAT,
					param_int(st, "count"), vcpus);
		}
		prev = at;
	}
	g_free(pp);
	return ok;
}

static bool check_vm_extras(struct ctx *c, cJSON *vm, const char *ptr, const cJSON *hostdevs)
{
	if (!check_devices(c, vm, ptr, hostdevs) || !check_paravirt(c, vm, ptr))
		return false;
	const cJSON *dm = obj(vm, "dynamic_memory");
	uint64_t mem = param_bytes(vm, "memory"), dmin = param_bytes(dm, "minimum"), dmax = param_bytes(dm, "maximum");
	if (param_bool(dm, "enabled") && ((dmin && dmin > mem) || (dmax && dmax < mem))) {
		char *p = g_strdup_printf("%s/dynamic_memory", ptr);
		fail_at(c, p, "needs minimum <= memory <= maximum (memory is %" G_GUINT64_FORMAT " MiB)", mem >> 20);
		g_free(p);
		return false;
	}
	int64_t vnodes = param_int(obj(vm, "guest"), "numa_nodes");
	if (param_bool(dm, "enabled") && vnodes > 1) /* REFERENCE 6: a DM VM has one virtual NUMA node */
		return fail_below(c, ptr, "guest/numa_nodes",
				  "a VM with dynamic memory has one virtual NUMA node (Hyper-V), got %" G_GINT64_FORMAT
				  " (disable dynamic_memory or set numa_nodes 1)", vnodes);
	cJSON *one = cJSON_GetObjectItemCaseSensitive(vm, "workload");
	cJSON *many = cJSON_GetObjectItemCaseSensitive(vm, "workloads");
	if (one && many) {
		char *p = g_strdup_printf("%s/workloads", ptr);
		fail_at(c, p, "give either workload or workloads, not both");
		g_free(p);
		return false;
	}
	if (one) { /* normalise: one workload becomes a list of one */
		cJSON_DetachItemViaPointer(vm, one);
		many = cJSON_AddArrayToObject(vm, "workloads");
		cJSON_AddItemToArray(many, one);
	}
	if (!many)
		many = cJSON_AddArrayToObject(vm, "workloads");
	int i = 0;
	for (cJSON *w = many->child; w; w = w->next, i++) {
		char *wp = one ? g_strdup_printf("%s/workload", ptr) : g_strdup_printf("%s/workloads/%d", ptr, i);
		bool ok = check_workload(c, w, wp);
		g_free(wp);
		if (!ok)
			return false;
	}
	return true;
}

/* ---- caps on the totals ---- */

/* The host's LPs, the VMs and their vCPUs (before anything is bound: a VM's copies are allocated). */
static bool check_sizes(struct ctx *c, const cJSON *root)
{
	const cJSON *h = obj(root, "host");
	uint64_t lps = (uint64_t)param_int(h, "sockets");
	const char *factors[] = {"numa_nodes_per_socket", "cores_per_node", "threads_per_core"};
	for (size_t i = 0; i < G_N_ELEMENTS(factors); i++)
		if (!g_uint64_checked_mul(&lps, lps, (uint64_t)param_int(h, factors[i])))
			lps = UINT64_MAX;
	if (lps > SCN_MAX_LPS)
		return fail_at(c, "/host", "%" G_GUINT64_FORMAT " LPs (sockets x numa_nodes_per_socket x cores_per_node x "
			       "threads_per_core), above the cap of %d", lps, SCN_MAX_LPS) != NULL;
	uint64_t vms = 0, vcpus = 0;
	int i = 0;
	for (const cJSON *v = obj(root, "vms")->child; v; v = v->next, i++) {
		uint64_t count = (uint64_t)param_int(v, "count"), n;
		char rel[32];
		if (!g_uint64_checked_add(&vms, vms, count) || vms > SCN_MAX_VMS) {
			snprintf(rel, sizeof rel, "/vms/%d/count", i);
			return fail_at(c, rel, "the VMs so far number %" G_GUINT64_FORMAT ", above the cap of %d VMs "
				       "(each copy counts)", vms, SCN_MAX_VMS) != NULL;
		}
		if (!g_uint64_checked_mul(&n, count, (uint64_t)param_int(v, "vcpus")) ||
		    !g_uint64_checked_add(&vcpus, vcpus, n) || vcpus > SCN_MAX_VCPUS) {
			snprintf(rel, sizeof rel, "/vms/%d/vcpus", i);
			return fail_at(c, rel, "the vCPUs so far number %" G_GUINT64_FORMAT ", above the cap of %d vCPUs in "
				       "all VMs (count x vcpus)", vcpus, SCN_MAX_VCPUS) != NULL;
		}
	}
	return true;
}

/* The vCPUs add-vcpus actions add, on top of the VMs' (bound by then): still within the cap. */
static bool check_added_vcpus(struct ctx *c, const struct scenario *s)
{
	uint64_t vcpus = 0;
	for (guint v = 0; v < s->vms->len; v++)
		vcpus += ((const struct scn_vm *)s->vms->pdata[v])->part.vcpus;
	for (guint i = 0; i < s->timeline->len; i++) {
		const struct scn_action *a = &g_array_index(s->timeline, struct scn_action, i);
		if (a->device || a->kind != HV_ACT_HOT_ADD)
			continue;
		for (guint v = 0; v < s->vms->len; v++)
			if (scenario_vm_matches(((const struct scn_vm *)s->vms->pdata[v])->name, a->vm))
				vcpus += (uint64_t)a->value; /* at most 4,096 x 4,096 VMs x actions: no overflow */
		if (vcpus > SCN_MAX_VCPUS) {
			char rel[32];
			snprintf(rel, sizeof rel, "/timeline/%u/vcpus", i);
			return fail_at(c, rel, "with this action the VMs have %" G_GUINT64_FORMAT " vCPUs, above the cap of %d",
				       vcpus, SCN_MAX_VCPUS) != NULL;
		}
	}
	return true;
}

/* The run's end, warm-up + duration, in ps: checked, and within SCN_MAX_END. */
static bool check_times(struct ctx *c, struct scenario *s)
{
	sim_time_t end;
	if (sim_time_add(s->warmup, s->duration, &end) && end <= SCN_MAX_END)
		return true;
	return fail_at(c, "/run/duration", "warmup + duration is %.6g s, above the cap of %.6g s (2^62 ps, 53 days)",
		       ((double)s->warmup + (double)s->duration) / SIM_PS_PER_S, (double)SCN_MAX_END / SIM_PS_PER_S) != NULL;
}

/* ---- binding ---- */

static void bind_host(struct scenario *s, const cJSON *h)
{
	hw_config_default(&s->host);
	s->host.sockets = (uint32_t)param_int(h, "sockets");
	s->host.nodes_per_socket = (uint32_t)param_int(h, "numa_nodes_per_socket");
	s->host.cores_per_node = (uint32_t)param_int(h, "cores_per_node");
	s->host.threads_per_core = (uint32_t)param_int(h, "threads_per_core");
	s->host.khz = (uint64_t)param_int(h, "mhz") * 1000;
	s->host.smt_factor = param_number(h, "smt_factor");
	s->host.memory_per_node = param_bytes(h, "memory_per_node");
}

static bool bind_distance(struct ctx *c, struct scenario *s, const cJSON *h)
{
	const cJSON *d = obj(h, "numa_distance");
	if (!d)
		return true;
	uint32_t n = s->host.sockets * s->host.nodes_per_socket;
	if (!cJSON_IsArray(d) || (uint32_t)cJSON_GetArraySize(d) != n)
		return fail_at(c, "/host/numa_distance", "expected %u rows of %u distances (one per node)", n, n) != NULL;
	s->distance = g_new(uint32_t, (size_t)n * n);
	uint32_t i = 0;
	for (const cJSON *row = d->child; row; row = row->next, i++) {
		if (!cJSON_IsArray(row) || (uint32_t)cJSON_GetArraySize(row) != n) {
			char *p = g_strdup_printf("/host/numa_distance/%u", i);
			fail_at(c, p, "expected a row of %u distances", n);
			g_free(p);
			return false;
		}
		uint32_t j = 0;
		for (const cJSON *x = row->child; x; x = x->next, j++) {
			bool diag = i == j;
			if (!cJSON_IsNumber(x) || (diag ? x->valuedouble != 10 : (x->valuedouble < 11 || x->valuedouble > 254))) {
				char *p = g_strdup_printf("/host/numa_distance/%u/%u", i, j);
				fail_at(c, p, "expected %s", diag ? "10 on the diagonal" : "an integer in 11..254");
				g_free(p);
				return false;
			}
			s->distance[(size_t)i * n + j] = (uint32_t)x->valuedouble;
		}
	}
	s->host.distance = s->distance;
	return true;
}

static bool bind_hypervisor(struct ctx *c, struct scenario *s, cJSON *h)
{
	hv_config_default(&s->hv);
	s->hv_kind = param_string(h, "kind");
	bool none = strcmp(s->hv_kind, "none") == 0, kvm = strcmp(s->hv_kind, "kvm") == 0;
	cJSON *sch = cJSON_GetObjectItemCaseSensitive(h, "scheduler");
	const char *policy = param_string(sch, "policy");
	if (strcmp(policy, "auto") == 0) {
		policy = kvm ? "cfs" : none ? "none" : "classic";
		cJSON_ReplaceItemInObjectCaseSensitive(sch, "policy", cJSON_CreateString(policy));
	} else if (none != (strcmp(policy, "none") == 0)) {
		return fail_at(c, "/hypervisor/scheduler/policy",
			       none ? "kind none is bare metal: the policy is none (or auto)"
				    : "policy none is bare metal: set hypervisor.kind to none") != NULL;
	}
	s->hv.policy = param_string(sch, "policy"); /* lives in s->resolved */
	s->hv.timeslice = param_time(sch, "timeslice");
	s->hv.period = param_time(sch, "period");
	s->hv.soft_affinity = param_bool(sch, "soft_affinity");
	s->hv.affinity_slack = param_time(sch, "affinity_slack");
	s->hv.numa_spanning = param_bool(sch, "numa_spanning");
	s->hv.numa_slack = param_time(sch, "numa_slack");
	s->hv.cfs_latency = param_time(sch, "cfs_latency");
	s->hv.cfs_min_granularity = param_time(sch, "cfs_min_granularity");
	s->hv.cfs_wakeup_granularity = param_time(sch, "cfs_wakeup_granularity");
	s->hv.cfs_balance_interval = param_time(sch, "cfs_balance_interval");
	s->hv.coschedule_skew = param_time(sch, "coschedule_skew");
	const cJSON *root = obj(h, "root");
	s->hv.root_vcpus = (uint32_t)param_int(root, "vcpus");
	s->hv.root_weight = (uint32_t)param_int(root, "weight");
	const cJSON *sw = obj(h, "spin_wait");
	s->hv.ple = param_string(sw, "ple");
	s->hv.ple_window = (uint32_t)param_int(sw, "ple_window");
	s->hv.ple_window_max = (uint32_t)param_int(sw, "ple_window_max");
	s->hv.ple_gap = (uint32_t)param_int(sw, "ple_gap");
	s->hv.pause_filter_count = (uint32_t)param_int(sw, "pause_filter_count");
	s->hv.pause_filter_thresh = (uint32_t)param_int(sw, "pause_filter_thresh");
	s->hv.directed_yield = param_bool(sw, "directed_yield");
	s->hv.dm_interval = param_time(h, "dm_interval");
	s->hv.dm_hot_add_latency = param_time(h, "dm_hot_add_latency");
	const char *sc = param_string(h, "steal_clock");
	s->hv.steal_clock = strcmp(sc, "on") == 0 ? 1 : strcmp(sc, "off") == 0 ? 0 : kvm ? 1 : 0; /* auto: by kind */
	for (const cJSON *k = obj(h, "costs")->child; k; k = k->next)
		hv_costs_set(&s->hv.costs, k->string, (uint64_t)k->valuedouble);
	return true;
}

/* guest.paravirt; the schedule's steps are copied into m->pv_steps (the config borrows them). */
static void bind_paravirt(struct scn_vm *m, const cJSON *j)
{
	struct gos_paravirt *p = &m->guest.paravirt;
	gos_pv_method_parse(param_string(j, "method"), &p->method);
	gos_pv_hint_parse(param_string(j, "hint"), &p->hint);
	p->count = (uint32_t)param_int(j, "count");
	const cJSON *sched = obj(j, "schedule");
	p->nschedule = (uint32_t)cJSON_GetArraySize(sched);
	m->pv_steps = p->nschedule ? g_new(struct gos_pv_step, p->nschedule) : NULL;
	uint32_t i = 0;
	for (const cJSON *st = sched->child; st; st = st->next, i++)
		m->pv_steps[i] = (struct gos_pv_step){.at = param_time(st, "at"), .count = (uint32_t)param_int(st, "count")};
	p->schedule = m->pv_steps;
	p->interval = param_time(j, "interval");
	p->high = (uint32_t)param_int(j, "high");
	p->low = (uint32_t)param_int(j, "low");
	p->capacity = (uint32_t)param_int(j, "capacity");
	p->hotplug_latency = param_time(j, "hotplug_latency");
}

static void bind_guest(struct gos_config *g, const cJSON *j)
{
	gos_config_default(g);
	g->hz = (uint32_t)param_int(j, "hz");
	g->tickless = param_bool(j, "tickless");
	g->halt_poll = param_time(j, "halt_poll");
	g->threads_per_core = (uint32_t)param_int(j, "threads_per_core");
	g->numa_nodes = (uint32_t)param_int(j, "numa_nodes");
	g->base_slice = param_time(j, "base_slice");
	g->wakeup_granularity = param_time(j, "wakeup_granularity");
	g->migration_cost = param_time(j, "migration_cost");
	g->busy_factor = (uint32_t)param_int(j, "busy_factor");
	gos_tlb_flush_parse(param_string(j, "tlb_flush"), &g->tlb_flush);
	enum gos_lock_kind lk;
	gos_lock_kind_parse(param_string(j, "spinlock"), &lk);
	g->spinlock = (int)lk;
	g->spin_pause_cycles = (uint32_t)param_int(j, "spin_pause_cycles");
	g->pv_spin_threshold = (uint32_t)param_int(j, "pv_spin_threshold");
	g->long_spin_threshold = (uint32_t)param_int(j, "long_spin_threshold");
	g->memory.base = param_bytes(j, "base_memory");
	g->memory.report_delay = param_time(j, "pressure_report_delay");
	g->memory.balloon_ns_per_2mib = (uint64_t)param_int(j, "balloon_ns_per_2mib");
	g->memory.page_touch_rate = (uint32_t)param_int(j, "page_touch_rate");
	for (const cJSON *k = obj(j, "costs")->child; k; k = k->next)
		gos_cost_set(g->cost_ns, k->string, (uint64_t)k->valuedouble);
}

static void vm_free(struct scn_vm *v)
{
	if (v->disks) {
		g_array_free(v->disks, TRUE);
		g_array_free(v->nets, TRUE);
		g_array_free(v->disk_refs, TRUE);
		g_array_free(v->net_refs, TRUE);
	}
	g_free(v->name);
	g_free(v->affinity);
	g_free(v->pv_steps);
	g_free(v);
}

static bool bind_vms(struct ctx *c, struct scenario *s, const cJSON *vms)
{
	GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
	int i = 0;
	bool ok = true;
	for (const cJSON *v = vms->child; v && ok; v = v->next, i++) {
		const char *base = param_string(v, "name");
		uint32_t count = (uint32_t)param_int(v, "count");
		const cJSON *aff = obj(v, "affinity");
		uint32_t naff = (uint32_t)cJSON_GetArraySize(aff);
		for (uint32_t k = 0; k < count; k++) {
			struct scn_vm *m = g_new0(struct scn_vm, 1);
			m->name = count == 1 ? g_strdup(base) : g_strdup_printf("%s-%u", base, k + 1);
			m->index = (uint32_t)i;
			hv_partition_config_default(&m->part);
			m->part.name = m->name;
			m->part.vcpus = (uint32_t)param_int(v, "vcpus");
			m->part.memory = param_bytes(v, "memory");
			m->part.weight = (uint32_t)param_int(v, "weight");
			m->part.reserve = param_number(v, "reserve");
			m->part.limit = param_number(v, "limit");
			m->part.numa_node = (int32_t)param_int(v, "numa_node");
			m->part.mem_share = param_number(v, "memory_bound");
			const char *mp = param_string(v, "memory_placement");
			m->part.memory_placement = strcmp(mp, "interleave") == 0 ? HV_MEM_INTERLEAVE
						   : strcmp(mp, "follow") == 0  ? HV_MEM_FOLLOW
										: HV_MEM_NODE;
			m->part.start = param_bool(v, "start");
			const cJSON *dm = obj(v, "dynamic_memory");
			m->part.dynamic_memory.enabled = param_bool(dm, "enabled");
			m->part.dynamic_memory.minimum = param_bytes(dm, "minimum") ? param_bytes(dm, "minimum") : m->part.memory;
			m->part.dynamic_memory.maximum = param_bytes(dm, "maximum") ? param_bytes(dm, "maximum") : m->part.memory;
			m->part.dynamic_memory.buffer_pct = (uint32_t)param_int(dm, "buffer");
			m->part.dynamic_memory.weight = (uint32_t)param_int(dm, "weight");
			if (naff) {
				m->affinity = g_new(uint32_t, naff);
				uint32_t j = 0;
				for (const cJSON *x = aff->child; x; x = x->next)
					m->affinity[j++] = (uint32_t)x->valuedouble;
				m->part.affinity = m->affinity;
				m->part.naffinity = naff;
			}
			bind_guest(&m->guest, obj(v, "guest"));
			bind_paravirt(m, obj(obj(v, "guest"), "paravirt"));
			bind_devices(s, m, obj(v, "devices"));
			m->workloads = obj(v, "workloads");
			g_ptr_array_add(s->vms, m);
			if (g_hash_table_contains(names, m->name)) {
				char *p = g_strdup_printf("/vms/%d/name", i);
				fail_at(c, p, "two VMs are named '%s'", m->name);
				g_free(p);
				ok = false;
				break;
			}
			g_hash_table_add(names, m->name);
		}
	}
	g_hash_table_destroy(names);
	return ok;
}

/* Does `name` name a VM, or the base name of counted copies ("web" for "web-1", "web-2")? */
bool scenario_vm_matches(const char *vm, const char *name)
{
	size_t n = strlen(name);
	return strcmp(vm, name) == 0 ||
	       (strncmp(vm, name, n) == 0 && vm[n] == '-' && g_ascii_isdigit(vm[n + 1]));
}

static bool vm_named(const struct scenario *s, const char *name)
{
	for (guint i = 0; i < s->vms->len; i++)
		if (scenario_vm_matches(((const struct scn_vm *)s->vms->pdata[i])->name, name))
			return true;
	return false;
}

/* Does every VM that `name` names have a network adapter called `dev`? Else an error at `ptr`. */
static bool check_vf_device(struct ctx *c, const struct scenario *s, const char *name, const char *dev, const char *ptr)
{
	for (guint v = 0; v < s->vms->len; v++) {
		const struct scn_vm *vm = s->vms->pdata[v];
		if (!scenario_vm_matches(vm->name, name))
			continue;
		GString *have = g_string_new(NULL);
		bool found = false;
		for (guint j = 0; j < vm->nets->len && !found; j++) {
			const char *n = g_array_index(vm->nets, struct io_net_config, j).name;
			found = strcmp(n, dev) == 0;
			g_string_append_printf(have, "%s%s", have->len ? ", " : "", n);
		}
		if (!found)
			fail_at(c, ptr, "VM '%s' has no network adapter named '%s' (%s%s)", vm->name, dev,
				have->len ? "its adapters: " : "it has none", have->str);
		g_string_free(have, TRUE);
		if (!found)
			return false;
	}
	return true;
}

static bool bind_timeline(struct ctx *c, struct scenario *s, const cJSON *tl)
{
	static const struct {
		const char *action, *key;
		enum hv_action_kind kind;
	} map[] = {{"add-vcpus", "vcpus", HV_ACT_HOT_ADD},     {"set-weight", "weight", HV_ACT_SET_WEIGHT},
		   {"set-reserve", "reserve", HV_ACT_SET_RESERVE}, {"set-limit", "limit", HV_ACT_SET_LIMIT},
		   {"start", NULL, HV_ACT_START},                  {"stop", NULL, HV_ACT_STOP},
		   {"vf-remove", "device", 0},                     {"vf-add", "device", 0}}; /* io_net_schedule_vf */
	int i = 0;
	for (const cJSON *a = tl->child; a; a = a->next, i++) {
		const char *action = param_string(a, "action");
		for (size_t m = 0; m < G_N_ELEMENTS(map); m++) {
			if (strcmp(map[m].action, action) != 0)
				continue;
			const char *name = param_string(a, "vm");
			if (!vm_named(s, name)) {
				char *p = g_strdup_printf("/timeline/%d/vm", i);
				fail_at(c, p, "no VM named '%s'", name);
				g_free(p);
				return false;
			}
			if (map[m].key && !obj(a, map[m].key)) {
				char *p = g_strdup_printf("/timeline/%d", i);
				fail_at(c, p, "%s needs \"%s\"", action, map[m].key);
				g_free(p);
				return false;
			}
			struct scn_action act = {.at = param_time(a, "at"), .kind = map[m].kind};
			if (g_str_has_prefix(action, "vf-")) {
				const char *dev = param_string(a, "device");
				char *p = g_strdup_printf("/timeline/%d/device", i);
				bool ok = check_vf_device(c, s, name, dev, p);
				g_free(p);
				if (!ok)
					return false;
				act.device = g_strdup(dev);
				act.vf_present = strcmp(action, "vf-add") == 0;
			} else if (map[m].key) {
				act.value = param_number(a, map[m].key);
			}
			act.vm = g_strdup(name);
			g_array_append_val(s->timeline, act);
		}
	}
	return true;
}

/*
 * SHA-256 of the resolved configuration and of the contents of every file a workload reads (its
 * `file`: rt-app descriptions, perf-sched traces), so that a changed file changes the hash. NULL
 * with an error at the file's key when it cannot be read.
 */
static char *config_hash(struct ctx *c, const struct scenario *s, const cJSON *root)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(sum, (const guchar *)s->config_json, -1);
	char *dir = g_path_get_dirname(s->path);
	bool ok = true;
	int v = 0;
	for (const cJSON *vm = obj(root, "vms")->child; ok && vm; vm = vm->next, v++) {
		const cJSON *wls = obj(vm, "workloads");
		int i = 0;
		for (const cJSON *w = wls ? wls->child : NULL; ok && w; w = w->next, i++) {
			const cJSON *f = obj(w, "file");
			if (!cJSON_IsString(f))
				continue;
			/* as the workloads resolve it: relative to the scenario's directory, or absolute */
			char *path = g_path_is_absolute(f->valuestring) ? g_strdup(f->valuestring)
									: g_build_filename(dir, f->valuestring, NULL);
			char *text = NULL;
			gsize len = 0;
			GError *e = NULL;
			if (g_file_get_contents(path, &text, &len, &e)) {
				char *fh = g_compute_checksum_for_data(G_CHECKSUM_SHA256, (const guchar *)text, len);
				g_checksum_update(sum, (const guchar *)"\n", 1);
				g_checksum_update(sum, (const guchar *)fh, -1);
				g_free(fh);
			} else {
				char *p = g_strdup_printf("/vms/%d/workloads/%d/file", v, i);
				ok = fail_at(c, p, "the workload's file: %s", e->message) != NULL;
				g_free(p);
				g_error_free(e);
			}
			g_free(text);
			g_free(path);
		}
	}
	g_free(dir);
	char *hex = ok ? g_strdup(g_checksum_get_string(sum)) : NULL;
	g_checksum_free(sum);
	return hex;
}

/* ---- loading ---- */

cJSON *ctx_parse_file(struct ctx *c)
{
	GError *e = NULL;
	if (!g_file_get_contents(c->path, &c->text, NULL, &e)) {
		g_set_error(c->error, scenario_error_quark(), 2, "%s: %s", c->path, e->message);
		g_error_free(e);
		return NULL;
	}
	const char *end = NULL;
	cJSON *root = cJSON_ParseWithOpts(c->text, &end, true);
	if (!root) {
		unsigned line, col;
		jsonpos_at(c->text, end ? (size_t)(end - c->text) : 0, &line, &col);
		g_set_error(c->error, scenario_error_quark(), 2, "%s:%u:%u: malformed JSON near here", c->path, line, col);
		return NULL;
	}
	c->pos = jsonpos_index(c->text);
	return root;
}

/* Detaches the object at a top-level key ("/base") of root for loading; NULL with an error if none. */
static cJSON *take_at(struct ctx *c, cJSON *root, const char *prefix)
{
	cJSON *sub = cJSON_DetachItemFromObjectCaseSensitive(root, prefix + 1);
	if (!cJSON_IsObject(sub)) {
		cJSON_Delete(sub);
		c->prefix = "";
		fail_at(c, prefix, "expected a scenario object");
	}
	return cJSON_IsObject(sub) ? sub : NULL;
}

struct scenario *scenario_load(const char *path, const char *const *sets, GError **error)
{
	return scenario_load_at(path, "", sets, error);
}

struct scenario *scenario_load_at(const char *path, const char *prefix, const char *const *sets, GError **error)
{
	costs_tables_init();
	g_return_val_if_fail(prefix[0] == '\0' || (prefix[0] == '/' && !strchr(prefix + 1, '/')), NULL);
	struct ctx c = {.path = path, .prefix = prefix, .error = error};
	cJSON *root = ctx_parse_file(&c);
	if (root && *prefix) {
		cJSON *sub = take_at(&c, root, prefix);
		cJSON_Delete(root);
		root = sub;
	}
	if (!root) {
		if (c.pos)
			g_hash_table_destroy(c.pos);
		g_free(c.text);
		return NULL;
	}
	struct scenario *s = g_new0(struct scenario, 1);
	s->path = g_strdup(path);
	s->prefix = g_strdup(prefix);
	s->vms = g_ptr_array_new_with_free_func((GDestroyNotify)vm_free);
	s->host_devices = g_ptr_array_new_with_free_func(g_free);
	s->timeline = g_array_new(FALSE, TRUE, sizeof(struct scn_action));
	s->resolved = root;
	bool ok = true;
	for (int i = 0; sets && sets[i] && ok; i++)
		ok = apply_set(root, sets[i], error);
	struct param_error pe = {0};
	if (ok && !param_resolve(top_keys, root, "", &pe)) {
		fail_at(&c, pe.pointer, "%s", pe.message);
		param_error_clear(&pe);
		ok = false;
	}
	cJSON *hostdevs = ok ? cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "host"), "devices") : NULL;
	if (ok)
		ok = check_host_devices(&c, hostdevs);
	int i = 0;
	for (cJSON *v = ok ? obj(root, "vms")->child : NULL; v && ok; v = v->next, i++) {
		char *p = g_strdup_printf("/vms/%d", i);
		ok = check_vm_extras(&c, v, p, hostdevs);
		g_free(p);
	}
	if (ok)
		ok = check_sizes(&c, root);
	if (ok) {
		s->name = g_strdup(param_string(root, "name"));
		s->description = g_strdup(param_string(root, "description"));
		bind_host(s, obj(root, "host"));
		bind_host_devices(s, hostdevs);
		ok = bind_distance(&c, s, obj(root, "host"));
	}
	if (ok) {
		ok = bind_hypervisor(&c, s, cJSON_GetObjectItemCaseSensitive(root, "hypervisor")) &&
		     bind_vms(&c, s, obj(root, "vms")) && bind_timeline(&c, s, obj(root, "timeline")) &&
		     check_added_vcpus(&c, s);
	}
	if (ok) {
		const cJSON *run = obj(root, "run");
		s->duration = param_time(run, "duration");
		s->warmup = param_time(run, "warmup");
		s->seed = (uint64_t)param_int(run, "seed");
		s->replications = (uint32_t)param_int(run, "replications");
		s->baseline = strcmp(param_string(run, "baseline"), "bare_metal") == 0 && strcmp(s->hv_kind, "none") != 0;
		if (cJSON_GetArraySize(obj(root, "vms")) == 0)
			ok = fail_at(&c, "/vms", "expected at least one VM") != NULL;
		else
			ok = check_times(&c, s);
	}
	if (ok) {
		s->config_json = cJSON_PrintUnformatted(root);
		s->config_hash = config_hash(&c, s, root);
		ok = s->config_hash != NULL;
	}
	s->text = c.text;
	s->pos = c.pos;
	if (!ok) {
		scenario_free(s);
		return NULL;
	}
	return s;
}

void scenario_free(struct scenario *s)
{
	if (!s)
		return;
	for (guint i = 0; i < s->timeline->len; i++) {
		struct scn_action *a = &g_array_index(s->timeline, struct scn_action, i);
		g_free(a->vm);
		g_free(a->device);
	}
	g_array_free(s->timeline, TRUE);
	g_ptr_array_free(s->vms, TRUE);
	g_ptr_array_free(s->host_devices, TRUE);
	cJSON_Delete(s->resolved);
	if (s->config_json)
		cJSON_free(s->config_json);
	g_free(s->config_hash);
	g_free(s->distance);
	if (s->pos)
		g_hash_table_destroy(s->pos);
	g_free(s->text);
	g_free(s->name);
	g_free(s->description);
	g_free(s->path);
	g_free(s->prefix);
	g_free(s);
}

char *scenario_reference(void)
{
	costs_tables_init();
	GString *out = g_string_new(NULL);
	g_string_append(out, "## Scenario keys\n\n");
	param_doc(out, top_keys, "");
	g_string_append(out,
			"\n## Devices\n\n"
			"A VM device is {\"kind\": KIND, keys} with the keys of its kind: a key of the other kind (gbps on "
			"a disk), or a cost of the other kind, is an error. Kind PATH-disk or PATH-nic (synthetic-nic) "
			"means that kind with that path. With `backend`, the device uses that host device (a disk an "
			"nvme, a nic a nic) and the physical device's keys belong there, not on the VM device.\n");
	static const struct {
		const char *title, *pointer;
		const struct param *keys;
	} devs[] = {
		{"disk", "/vms/*/devices/*{kind=disk}", disk_device_keys},
		{"nic", "/vms/*/devices/*{kind=nic}", nic_device_keys},
		{"host nvme", "/host/devices/*{kind=nvme}", host_nvme_keys},
		{"host nic", "/host/devices/*{kind=nic}", host_nic_keys},
	};
	for (size_t i = 0; i < G_N_ELEMENTS(devs); i++) {
		g_string_append_printf(out, "\n### %s\n\n", devs[i].title);
		param_doc(out, devs[i].keys, devs[i].pointer);
	}
	g_string_append(out, "\n## Workloads\n\nA workload object is {\"kind\": KIND, parameters}. Every kind also takes:\n\n");
	param_doc(out, wl_common_keys, "/vms/*/workload");
	g_string_append(out, "\nKinds:\n");
	for (const struct wl_kind *const *k = wl_kinds(); *k; k++) {
		g_string_append_printf(out, "\n### %s\n\n%s Operations: %s.\n\n", (*k)->name, (*k)->doc, (*k)->ops_unit);
		char *ptr = g_strdup_printf("/vms/*/workload{kind=%s}", (*k)->name);
		param_doc(out, (*k)->params, ptr);
		g_free(ptr);
	}
	return g_string_free(out, FALSE);
}
