/* SPDX-License-Identifier: MIT */
/*
 * vhw.h - the virtual-hardware interface: the only place where a guest kernel and the
 *         hypervisor meet, as the real ones meet at VM exits and hypercalls.
 * Role: the guest side (models/guestos, the bare-metal kernel, test guests) implements
 *       struct vhw_guest_ops; the hypervisor implements the vhw_* calls. Neither side sees the
 *       other's structures: a guest knows a vCPU as a struct vhw_cpu, owned by the hypervisor.
 * Execution: guest code runs only while its VP runs on an LP. At every entry into guest mode the
 *       hypervisor first delivers pending interrupts (interrupt()), then calls run(); the guest
 *       then either attaches compute work (vhw_compute), spins (vhw_spin), or crosses into the
 *       hypervisor (halt, hypercall, intercept, IPI). When the hypervisor takes the VP off the
 *       LP (preemption, an exit, an interrupt) it settles and detaches the work first and calls
 *       stop(); the work keeps its remaining cycles and the guest re-attaches it at the next run().
 *       A completed work calls its own hw_work_ops.done while the VP is in guest mode.
 * Costs: every crossing is charged from the hypervisor's cost table (costs.h) and counted; under
 *       the `none` hypervisor (bare metal) the same calls cost nothing and count no exits.
 */
#ifndef MODELS_HYPERVISOR_VHW_H
#define MODELS_HYPERVISOR_VHW_H

#include <stdbool.h>
#include <stdint.h>

#include "models/hw/hw.h"

struct vhw_cpu;

/* Hypercalls, by the name a Hyper-V user knows them (TLFS); counted per kind. */
#define VHW_HYPERCALLS(X)                                                                    \
	X(SIGNAL_EVENT, "signal_event")       /* HvCallSignalEvent: VMBus signal to the host */ \
	X(POST_MESSAGE, "post_message")       /* HvCallPostMessage */                           \
	X(SEND_IPI, "send_ipi")               /* HvCallSendSyntheticClusterIpi */               \
	X(FLUSH_TLB, "flush_tlb")             /* HvCallFlushVirtualAddressSpace/List */         \
	X(LONG_SPIN_WAIT, "long_spin_wait")   /* HvCallNotifyLongSpinWait */                    \
	X(OTHER, "other")
enum vhw_hypercall {
#define X(id, name) VHW_HC_##id,
	VHW_HYPERCALLS(X)
#undef X
	VHW_NHYPERCALLS
};

/*
 * Intercepts, by kind; each is handled where a real hypervisor handles it: in the hypervisor
 * (CPUID, MSR, APIC, halt, pause loop), by the root kernel, or by the VM's worker process in
 * root user mode (emulated devices).
 */
#define VHW_INTERCEPTS(X)                          \
	X(CPUID, "cpuid", VHW_AT_HYPERVISOR)         \
	X(MSR, "msr", VHW_AT_HYPERVISOR)             \
	X(APIC, "apic", VHW_AT_HYPERVISOR)           \
	X(HALT, "halt", VHW_AT_HYPERVISOR)           \
	X(PAUSE, "pause", VHW_AT_HYPERVISOR)         \
	X(IO_KERNEL, "io_kernel", VHW_AT_ROOT_KERNEL) \
	X(IO_PORT, "io_port", VHW_AT_ROOT_USER)      \
	X(MMIO, "mmio", VHW_AT_ROOT_USER)
enum vhw_where { VHW_AT_HYPERVISOR, VHW_AT_ROOT_KERNEL, VHW_AT_ROOT_USER };
enum vhw_intercept {
#define X(id, name, where) VHW_IC_##id,
	VHW_INTERCEPTS(X)
#undef X
	VHW_NINTERCEPTS
};

/* Interrupt vectors the hypervisor itself raises. Others are the guest's (IPIs, devices). */
enum { VHW_VEC_TIMER = 0xec, VHW_VEC_VMBUS = 0xf2 };

/* Hypervisor -> guest. Implemented by the guest kernel, one table per guest. */
struct vhw_guest_ops {
	/* An interrupt is delivered; called in guest context just before run(). */
	void (*interrupt)(struct vhw_cpu *c, unsigned vector);
	/* The vCPU executes guest code from now on: continue (re-attach work, take the next op). */
	void (*run)(struct vhw_cpu *c);
	/* The vCPU stopped executing guest code (its work, if any, is settled and detached). */
	void (*stop)(struct vhw_cpu *c);
};

/* What a guest may read about its vCPU. */
struct vhw_cpu {
	void *guest;     /* the guest's own per-vCPU state (set with vhw_set_guest) */
	uint32_t index;  /* vCPU number inside the partition */
	uint32_t track;  /* its trace track ("vm:NAME", "vcpu:N"): the hypervisor shows "ready" and
	                    "halted" there while the VP is off its LP, the guest its tasks while on */
};

/* Attaches the guest's per-vCPU state and ops; before the partition starts. */
void vhw_set_guest(struct vhw_cpu *c, const struct vhw_guest_ops *ops, void *guest);

/* ---- guest -> hypervisor; all only while c runs guest code (inside run/interrupt/done) ---- */

/* Runs compute work on the vCPU's LP (at most one at a time); its done op fires in guest mode. */
void vhw_compute(struct vhw_cpu *c, struct hw_work *w);
/* Detaches the running work early (settled) and returns it; NULL if none. */
struct hw_work *vhw_compute_stop(struct vhw_cpu *c);
/* Spinning: on-CPU time without progress, accounted as spin until vhw_spin(c, false). A spin
   long enough may take a pause-loop exit (hv_config.ple): stop() then run() as for any exit. */
void vhw_spin(struct vhw_cpu *c, bool spinning);
/* The guest's spin loops PAUSE every `cycles` cycles (what PLE's gap sees; default 40). Any time. */
void vhw_spin_pause(struct vhw_cpu *c, uint32_t cycles);
/* The vCPU halts; it blocks until an interrupt arrives (at once if one is pending). */
void vhw_halt(struct vhw_cpu *c);
/* A hypercall: an exit handled by the hypervisor; run() follows when it is done. */
void vhw_hypercall(struct vhw_cpu *c, enum vhw_hypercall kind);
/* An intercept (port I/O, MMIO, MSR, ...): handled where its kind says; run() follows when done. */
void vhw_intercept(struct vhw_cpu *c, enum vhw_intercept kind);
/* Sends `vector` to vCPU `target` of the same partition (one exit on the sender). */
void vhw_send_ipi(struct vhw_cpu *c, uint32_t target, unsigned vector);
/* The vCPU gives up the rest of its time slice (pause-loop exit, directed yield). */
void vhw_yield(struct vhw_cpu *c);
/*
 * Enlightened remote TLB flush (HvCallFlushVirtualAddressSpace, REFERENCE 2.3): one hypercall;
 * the hypervisor flushes the targets that are running (an exit of tlb_flush_vp on each, and the
 * caller waits a virtual_ipi round trip for them) and marks the others to flush at their next
 * entry without waiting for them. Not on bare metal (there is no hypervisor to ask).
 */
void vhw_flush_tlb(struct vhw_cpu *c, const uint32_t *targets, uint32_t n);

/* ---- guest -> hypervisor, from any context (the hypervisor's synthetic devices) ---- */

/* Arms the vCPU's synthetic timer: VHW_VEC_TIMER is raised at `when` (replaces an armed one). */
void vhw_timer_arm(struct vhw_cpu *c, sim_time_t when);
void vhw_timer_cancel(struct vhw_cpu *c);
/* Raises `vector` on the vCPU (a device interrupt): delivered at its next entry, waking it. */
void vhw_raise(struct vhw_cpu *c, unsigned vector);

/*
 * Dynamic memory (hv_balloon's messages on its VMBus channel; free of cost here): the guest's
 * pressure report (its committed memory, bytes) and the end of a balloon request (the bytes go
 * back to the host). Ignored for a partition without dynamic memory.
 */
void vhw_memory_report(struct vhw_cpu *c, uint64_t demand_bytes);
void vhw_memory_balloon_done(struct vhw_cpu *c, uint64_t bytes);

/* ---- what the guest can observe ---- */

/*
 * The steal clock: time the vCPU was runnable but not running since it was created (monotone,
 * across warm-up resets of the counters), as the hypervisor publishes it
 * (KVM's steal-time page). False when the platform publishes none (Hyper-V's default, bare metal).
 */
bool vhw_steal_clock(const struct vhw_cpu *c, sim_time_t *steal);
/* Is vCPU `target` preempted (runnable, not running)? False when the flag is not published. */
bool vhw_preempted(const struct vhw_cpu *c, uint32_t target, bool *preempted);
/*
 * The true steal (the hypervisor's CPU wait time of the VP), whether published or not: for
 * metrics only. Guest policies must use vhw_steal_clock, which is what a real guest can see.
 */
sim_time_t vhw_true_steal(const struct vhw_cpu *c);
/*
 * The backing hint ("how many vCPUs can this VM be backed by now"): the partition's max-min fair
 * share of the LPs the root leaves, among the partitions that wanted CPU since its previous
 * reading (weights, each capped at its VP count), rounded to the nearest VP count in 1..VPs.
 * False on bare metal. Each reading starts a new window (one reader per partition).
 */
bool vhw_backing_hint(struct vhw_cpu *c, uint32_t *vps);
/* Nominal frequency of the LP the vCPU runs on (kHz), for guests converting time to cycles. */
uint64_t vhw_khz(const struct vhw_cpu *c);
/* Is this the `none` hypervisor (bare metal)? */
bool vhw_bare_metal(const struct vhw_cpu *c);
struct sim *vhw_sim(const struct vhw_cpu *c);

const char *vhw_hypercall_name(enum vhw_hypercall k);
const char *vhw_intercept_name(enum vhw_intercept k);
enum vhw_where vhw_intercept_where(enum vhw_intercept k);

#endif /* MODELS_HYPERVISOR_VHW_H */
