/* SPDX-License-Identifier: MIT */
/* hvtest.h - fixtures of the hypervisor model tests: a host, a hypervisor and busy guests. */
#ifndef TESTS_MODEL_HVTEST_H
#define TESTS_MODEL_HVTEST_H

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "tests/helpers/busy_guest.h"

struct hvt {
	struct sim *sim;
	struct hw_host *host;
	struct hv *hv;
	struct busy_guest *g[64];
	int ng;
};

/* A host of nodes x cores x threads; the hypervisor with `policy` and cfg tweaks applied by fn. */
static inline void hvt_init(struct hvt *t, uint32_t nodes, uint32_t cores_per_node, uint32_t threads,
			    const char *policy, void (*tweak)(struct hv_config *))
{
	memset(t, 0, sizeof *t);
	t->sim = sim_new(1);
	struct hw_config hc;
	hw_config_default(&hc);
	hc.nodes_per_socket = nodes;
	hc.cores_per_node = cores_per_node;
	hc.threads_per_core = threads;
	GError *err = NULL;
	t->host = hw_host_new(t->sim, &hc, &err);
	cr_assert_not_null(t->host, "%s", err ? err->message : "");
	struct hv_config c;
	hv_config_default(&c);
	c.policy = policy;
	c.root_vcpus = 1;
	if (tweak)
		tweak(&c);
	t->hv = hv_new(t->host, &c, &err);
	cr_assert_not_null(t->hv, "%s", err ? err->message : "");
}

/* A VM running the busy guest, from a partition config and guest parameters (NULL: defaults). */
static inline struct busy_guest *hvt_vm_cfg(struct hvt *t, const struct hv_partition_config *pc,
					    const struct busy_guest_params *bp)
{
	struct busy_guest_params def;
	busy_guest_params_default(&def);
	GError *err = NULL;
	struct busy_guest *g = busy_guest_new(t->hv, pc, bp ? bp : &def, &err);
	cr_assert_not_null(g, "%s", err ? err->message : "");
	t->g[t->ng++] = g;
	return g;
}

/* A VM of `vcpus` VPs with these controls, running the busy guest with parameters bp (NULL: defaults). */
static inline struct busy_guest *hvt_vm_with(struct hvt *t, const char *name, uint32_t vcpus, uint32_t weight,
					     double reserve, double limit, const struct busy_guest_params *bp)
{
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = name;
	pc.vcpus = vcpus;
	pc.weight = weight;
	pc.reserve = reserve;
	pc.limit = limit;
	return hvt_vm_cfg(t, &pc, bp);
}

static inline struct busy_guest *hvt_vm(struct hvt *t, const char *name, uint32_t vcpus, uint32_t weight,
					double reserve, double limit)
{
	return hvt_vm_with(t, name, vcpus, weight, reserve, limit, NULL);
}

static inline void hvt_run(struct hvt *t, sim_time_t end)
{
	struct sim_run_params rp = {.end = end};
	sim_run(t->sim, &rp);
}

static inline double hvt_vp_share(struct hvt *t, struct busy_guest *g, uint32_t i)
{
	struct hv_counters c;
	hv_vp_counters(hv_partition_vp(g->part, i), &c);
	return (double)(c.guest_run + c.hypervisor_run) / (double)sim_now(t->sim);
}

static inline void hvt_fini(struct hvt *t)
{
	hv_free(t->hv);
	for (int i = 0; i < t->ng; i++)
		busy_guest_free(t->g[i]);
	hw_host_free(t->host);
	sim_free(t->sim);
}

#endif /* TESTS_MODEL_HVTEST_H */
