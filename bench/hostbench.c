/* SPDX-License-Identifier: MIT */
/*
 * hostbench.c - the hypervisor model's benchmark: a large host whose VPs are all always runnable.
 * Role: measures how fast the VP scheduler and the execution mechanism simulate an
 *       over-subscribed host (issue 3's target: 256 LPs, 1,024 VPs, 1 s of simulated time).
 *       Every VP runs the test guest of tests/helpers/busy_guest (compute chunks back to back).
 * Output: one line `hostbench: policy=P lps=N vps=V sim_s=S events=E wall_s=W events_per_s=R
 *       sim_per_wall=X rss_mb=M digest=HEX`; wall_s times sim_run only.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "tests/helpers/busy_guest.h"

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
		     "defaults: classic, 2 sockets x 2 nodes x 32 cores x 2 threads = 256 LPs,\n"
		     "          128 VMs x 8 vCPUs = 1,024 VPs, 1 s, 1000 us chunks\n");
}

int main(int argc, char **argv)
{
	const char *policy = "classic";
	uint32_t sockets = 2, nodes = 2, cores = 32, threads = 2, vms = 128, vcpus = 8;
	double seconds = 1, chunk_us = 1000;
	static const struct option opts[] = {
		{"policy", required_argument, 0, 'p'}, {"sockets", required_argument, 0, 's'},
		{"nodes", required_argument, 0, 'n'},  {"cores", required_argument, 0, 'c'},
		{"threads", required_argument, 0, 't'}, {"vms", required_argument, 0, 'v'},
		{"vcpus", required_argument, 0, 'u'},  {"seconds", required_argument, 0, 'S'},
		{"chunk-us", required_argument, 0, 'k'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0},
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
	struct busy_guest **g = calloc(vms, sizeof *g);
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	bp.chunk_cycles = (uint64_t)(chunk_us * 3000.0);
	for (uint32_t i = 0; i < vms; i++) {
		char name[32];
		snprintf(name, sizeof name, "vm%u", i);
		struct hv_partition_config pc;
		hv_partition_config_default(&pc);
		pc.name = name, pc.vcpus = vcpus, pc.mem_share = 0.2;
		g[i] = busy_guest_new(hv, &pc, &bp, &err);
		if (!g[i]) {
			fprintf(stderr, "hostbench: %s\n", err->message);
			return 2;
		}
	}
	struct sim_run_params rp = {.end = (sim_time_t)(seconds * 1e12)};
	double t0 = wall_now();
	sim_run(sim, &rp);
	double wall = wall_now() - t0;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("hostbench: policy=%s lps=%u vps=%u sim_s=%g events=%llu wall_s=%.3f events_per_s=%.0f "
	       "sim_per_wall=%.3f rss_mb=%.1f digest=%016llx\n",
	       policy, hw_nlps(host), vms * vcpus, seconds, (unsigned long long)sim_events(sim), wall,
	       (double)sim_events(sim) / wall, seconds / wall, (double)ru.ru_maxrss / 1024.0,
	       (unsigned long long)sim_digest(sim));
	for (uint32_t i = 0; i < vms; i++)
		busy_guest_free(g[i]);
	free(g);
	hv_free(hv);
	hw_host_free(host);
	sim_free(sim);
	return 0;
}
