/* SPDX-License-Identifier: MIT */
/*
 * hostbench.c - the hypervisor model's benchmark: a large host whose VPs are all always runnable.
 * Role: measures how fast the VP scheduler and the execution mechanism simulate an
 *       over-subscribed host (issue 3's target: 256 LPs, 1,024 VPs, 1 s of simulated time).
 *       By default every VP runs the test guest of tests/helpers/busy_guest (compute chunks back
 *       to back); with --guest gos every VM runs the guest kernel (models/guestos) with --tasks
 *       tasks per vCPU, each repeating: two chunks, a sleep of half a chunk, and every 8th
 *       operation a TLB shootdown of its VM's address space (ticks, wakes, IPIs, idle, balancing).
 * Output: one line `hostbench: policy=P guest=G lps=N vps=V tasks=T sim_s=S events=E wall_s=W
 *       events_per_s=R sim_per_wall=X rss_mb=M digest=HEX`; wall_s times sim_run only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "models/guestos/guestos.h"
#include "tests/helpers/busy_guest.h"

/* The guest-kernel workload: per task, its step counter and chunk. */
struct mixed {
	uint64_t step, chunk;
};

static void mixed_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct mixed *m = arg;
	uint64_t s = m->step++;
	if (s % 8 == 7) {
		op->kind = GOS_OP_TLB_SHOOTDOWN;
	} else if (s % 3 == 2) {
		op->kind = GOS_OP_SLEEP;
		op->duration = m->chunk * SIM_PS_PER_NS / 6; /* half a chunk at 3 GHz */
	} else {
		op->kind = GOS_OP_COMPUTE;
		op->cycles = m->chunk;
		op->mem_share = 0.2;
	}
}

static const struct gos_program mixed_program = {.next = mixed_next};

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: hostbench [--policy classic|core|cfs|none] [--sockets N] [--nodes N] [--cores N]\n"
		     "                 [--threads N] [--vms N] [--vcpus N] [--seconds S] [--chunk-us U]\n"
		     "                 [--guest busy|gos] [--tasks N]\n"
		     "defaults: classic, 2 sockets x 2 nodes x 32 cores x 2 threads = 256 LPs,\n"
		     "          128 VMs x 8 vCPUs = 1,024 VPs, 1 s, 1000 us chunks, busy guest, 2 tasks per vCPU\n");
}

int main(int argc, char **argv)
{
	const char *policy = "classic";
	const char *guest = "busy";
	uint32_t sockets = 2, nodes = 2, cores = 32, threads = 2, vms = 128, vcpus = 8, tasks = 2;
	double seconds = 1, chunk_us = 1000;
	static const struct option opts[] = {
		{"policy", required_argument, 0, 'p'}, {"sockets", required_argument, 0, 's'},
		{"nodes", required_argument, 0, 'n'},  {"cores", required_argument, 0, 'c'},
		{"threads", required_argument, 0, 't'}, {"vms", required_argument, 0, 'v'},
		{"vcpus", required_argument, 0, 'u'},  {"seconds", required_argument, 0, 'S'},
		{"chunk-us", required_argument, 0, 'k'}, {"guest", required_argument, 0, 'g'},
		{"tasks", required_argument, 0, 'T'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
	};
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': policy = optarg; break;
		case 's': sockets = (uint32_t)atoi(optarg); break;
		case 'n': nodes = (uint32_t)atoi(optarg); break;
		case 'c': cores = (uint32_t)atoi(optarg); break;
		case 't': threads = (uint32_t)atoi(optarg); break;
		case 'v': vms = (uint32_t)atoi(optarg); break;
		case 'u': vcpus = (uint32_t)atoi(optarg); break;
		case 'S': seconds = atof(optarg); break;
		case 'k': chunk_us = atof(optarg); break;
		case 'g': guest = optarg; break;
		case 'T': tasks = (uint32_t)atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	struct sim *sim = sim_new(1);
	struct hw_config hc;
	hw_config_default(&hc);
	hc.sockets = sockets, hc.nodes_per_socket = nodes, hc.cores_per_node = cores, hc.threads_per_core = threads;
	hc.memory_per_node = UINT64_C(1) << 40;
	GError *err = NULL;
	struct hw_host *host = hw_host_new(sim, &hc, &err);
	struct hv_config c;
	hv_config_default(&c);
	c.policy = policy;
	struct hv *hv = host ? hv_new(host, &c, &err) : NULL;
	if (!hv) {
		fprintf(stderr, "hostbench: %s\n", err->message);
		return 2;
	}
	bool use_gos = strcmp(guest, "gos") == 0;
	if (!use_gos && strcmp(guest, "busy") != 0) {
		usage(stderr);
		return 2;
	}
	struct busy_guest **g = calloc(vms, sizeof *g);
	struct gos_kernel **k = calloc(vms, sizeof *k);
	struct mixed *m = calloc((size_t)vms * vcpus * tasks, sizeof *m);
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	bp.chunk_cycles = (uint64_t)(chunk_us * 3000.0);
	struct gos_config gc;
	gos_config_default(&gc);
	for (uint32_t i = 0; i < vms; i++) {
		char name[32];
		snprintf(name, sizeof name, "vm%u", i);
		struct hv_partition_config pc;
		hv_partition_config_default(&pc);
		pc.name = name, pc.vcpus = vcpus, pc.mem_share = 0.2;
		if (use_gos)
			k[i] = gos_new(hv, &pc, &gc, &err);
		else
			g[i] = busy_guest_new(hv, &pc, &bp, &err);
		if (!g[i] && !k[i]) {
			fprintf(stderr, "hostbench: %s\n", err->message);
			return 2;
		}
		for (uint32_t j = 0; use_gos && j < vcpus * tasks; j++) {
			struct mixed *mj = &m[((size_t)i * vcpus * tasks) + j];
			mj->chunk = bp.chunk_cycles;
			struct gos_task_config tc;
			gos_task_config_default(&tc);
			tc.program = &mixed_program;
			tc.arg = mj;
			gos_task_new(k[i], &tc, NULL);
		}
	}
	struct sim_run_params rp = {.end = (sim_time_t)(seconds * 1e12)};
	double t0 = wall_now();
	sim_run(sim, &rp);
	double wall = wall_now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("hostbench: policy=%s guest=%s lps=%u vps=%u tasks=%u sim_s=%g events=%llu wall_s=%.3f events_per_s=%.0f "
	       "sim_per_wall=%.3f rss_mb=%.1f digest=%016llx\n",
	       policy, guest, hw_nlps(host), vms * vcpus, use_gos ? vms * vcpus * tasks : 0, seconds, (unsigned long long)sim_events(sim), wall,
	       (double)sim_events(sim) / wall, seconds / wall, (double)ru.ru_maxrss / 1024.0,
	       (unsigned long long)sim_digest(sim));
	hv_free(hv);
	for (uint32_t i = 0; i < vms; i++) {
		busy_guest_free(g[i]);
		gos_free(k[i]);
	}
	free(g);
	free(k);
	free(m);
	hw_host_free(host);
	sim_free(sim);
	return 0;
}
