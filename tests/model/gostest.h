/* SPDX-License-Identifier: MIT */
/* gostest.h - fixtures of the guest OS model tests: a host, a hypervisor, guest kernels, programs. */
#ifndef TESTS_MODEL_GOSTEST_H
#define TESTS_MODEL_GOSTEST_H

#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "models/guestos/guestos.h"
#include "tests/model/hvtest.h"

struct gost {
	struct hvt h;               /* host and hypervisor (tests/model/hvtest.h) */
	struct gos_kernel *k[16];
	int nk;
};

/* A host of `cores` single-thread cores on one node (3 GHz); hypervisor `policy` (tweak may edit). */
static inline void gost_init(struct gost *t, uint32_t cores, const char *policy, void (*tweak)(struct hv_config *))
{
	memset(t, 0, sizeof *t);
	hvt_init(&t->h, 1, cores, 1, policy, tweak);
}

/* A VM of `vcpus` vCPUs with guest config gc (NULL: defaults), optionally restricted to LPs. */
static inline struct gos_kernel *gost_vm(struct gost *t, const char *name, uint32_t vcpus, const struct gos_config *gc,
					 const uint32_t *lps, uint32_t nlps)
{
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = name;
	pc.vcpus = vcpus;
	pc.affinity = lps;
	pc.naffinity = nlps;
	struct gos_config def;
	gos_config_default(&def);
	GError *err = NULL;
	struct gos_kernel *k = gos_new(t->h.hv, &pc, gc ? gc : &def, &err);
	cr_assert_not_null(k, "%s", err ? err->message : "");
	t->k[t->nk++] = k;
	return k;
}

/* ---- programs ---- */

/* Computes chunks of `cycles` for ever. arg: uint64_t * cycles. */
static void gost_burn_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	op->kind = GOS_OP_COMPUTE;
	op->cycles = *(const uint64_t *)arg;
}
static G_GNUC_UNUSED const struct gos_program gost_burn = {.next = gost_burn_next};
static G_GNUC_UNUSED uint64_t gost_ms_chunk = 3000000; /* 1 ms at 3 GHz */

static inline struct gos_task *gost_task(struct gos_kernel *k, const struct gos_program *p, void *arg, int32_t cpu,
					 uint32_t mm)
{
	struct gos_task_config tc;
	gos_task_config_default(&tc);
	tc.program = p;
	tc.arg = arg;
	tc.cpu = cpu;
	tc.mm = mm;
	GError *err = NULL;
	struct gos_task *task = gos_task_new(k, &tc, &err);
	cr_assert_not_null(task, "%s", err ? err->message : "");
	return task;
}

static inline void gost_run(struct gost *t, sim_time_t end)
{
	struct sim_run_params rp = {.end = end};
	sim_run(t->h.sim, &rp);
}

/* Runs to warmup + span, statistics reset at warmup. */
static inline void gost_run_warm(struct gost *t, sim_time_t warmup, sim_time_t span)
{
	struct sim_run_params rp = {.end = warmup + span, .warmup = warmup};
	sim_run(t->h.sim, &rp);
}

static inline double gost_now_s(const struct gost *t) { return (double)sim_now(t->h.sim) / (double)SIM_PS_PER_S; }

static inline void gost_fini(struct gost *t)
{
	hvt_fini(&t->h); /* the hypervisor, the host and the sim (there are no busy guests) */
	for (int i = 0; i < t->nk; i++)
		gos_free(t->k[i]); /* touches nothing of the sim */
}

#endif /* TESTS_MODEL_GOSTEST_H */
