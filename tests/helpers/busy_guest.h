/* SPDX-License-Identifier: MIT */
/*
 * busy_guest.h - a minimal guest kernel for tests and benchmarks of the hypervisor: every vCPU
 *                executes compute chunks back to back, optionally halting for a think time
 *                (its synthetic timer wakes it) or making a hypercall/intercept between chunks.
 * Role: exercises the virtual-hardware interface (vhw.h) from the guest side without the real
 *       guest OS (models/guestos). Used by tests/ and bench/hostbench.c.
 */
#ifndef TESTS_HELPERS_BUSY_GUEST_H
#define TESTS_HELPERS_BUSY_GUEST_H

#include "models/hypervisor/hv.h"

struct busy_guest;

struct busy_vcpu {
	struct busy_guest *g;
	struct vhw_cpu *cpu;
	struct hw_work work;
	bool in_chunk;           /* work holds the remaining cycles of a chunk */
	bool thinking;           /* halted until the think timer */
	uint64_t chunks;         /* chunks completed */
	uint64_t interrupts;
	uint64_t runs;           /* run() calls */
};

struct busy_guest_params {
	uint64_t chunk_cycles;   /* cycles per chunk (default 3,000,000 = 1 ms at 3 GHz) */
	sim_time_t think;        /* halt this long after each chunk (0: never halt) */
	int hypercall;           /* >= 0: make this hypercall after each chunk */
	int intercept;           /* >= 0: make this intercept after each chunk */
	/* called at every run(); tests check invariants here. May be NULL. */
	void (*on_run)(struct busy_vcpu *v, void *arg);
	void *arg;
};
void busy_guest_params_default(struct busy_guest_params *p);

struct busy_guest {
	struct busy_guest_params p;
	struct hv_partition *part;
	GPtrArray *vcpus;        /* struct busy_vcpu *, owned */
};

/* Creates the partition with this guest as its kernel; NULL with an error. */
struct busy_guest *busy_guest_new(struct hv *hv, const struct hv_partition_config *cfg,
				  const struct busy_guest_params *p, GError **error);
void busy_guest_free(struct busy_guest *g);
uint64_t busy_guest_chunks(const struct busy_guest *g);

#endif /* TESTS_HELPERS_BUSY_GUEST_H */
