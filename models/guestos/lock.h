/* SPDX-License-Identifier: MIT */
/*
 * lock.h - locks inside a guest kernel: spinlocks of several kinds (the guest's `spinlock`
 *          setting) and a sleeping mutex, taken and released by task operations.
 * Role: a workload hands out gos_op_lock / gos_op_unlock around its critical sections. A task
 *       that takes or holds a spinlock is not preempted by the guest (as in a kernel); its vCPU
 *       can still be preempted by the hypervisor, and then everyone waiting spins in vain: the
 *       lock-holder preemption this model exists to show (docs/locks.md).
 * Kinds (REFERENCE 3): tas (test-and-set: unfair, whoever runs when the lock frees takes it),
 *       ticket and qspinlock (FIFO hand-off: a waiter whose vCPU is descheduled holds everyone
 *       up: lock-waiter preemption), pv-qspinlock (queued, but an unlock frees the lock for any running
 *       waiter to steal, as Linux's PV hybrid unfair trylock; a waiter spins pv_spin_threshold
 *       iterations then halts; the unlocker kicks a halted queue head), hyperv (FIFO, spin long_spin_threshold
 *       iterations then HvCallNotifyLongSpinWait, which yields the VP; then spin again), mutex
 *       (sleep in the queue; hand-off and wakeup on unlock).
 */
#ifndef MODELS_GUESTOS_LOCK_H
#define MODELS_GUESTOS_LOCK_H

#include "models/guestos/guestos.h"

enum gos_lock_kind { GOS_LOCK_TAS, GOS_LOCK_TICKET, GOS_LOCK_QSPIN, GOS_LOCK_PVQSPIN, GOS_LOCK_HYPERV, GOS_LOCK_MUTEX };
const char *gos_lock_kind_name(enum gos_lock_kind k);
bool gos_lock_kind_parse(const char *s, enum gos_lock_kind *out);

struct gos_lock;

/* A lock of `kind` in kernel k (owned by the kernel), named for metrics (scope lock:VM/NAME). */
struct gos_lock *gos_lock_new(struct gos_kernel *k, const char *name, enum gos_lock_kind kind);
uint32_t gos_nlocks(const struct gos_kernel *k);
struct gos_lock *gos_lock_at(const struct gos_kernel *k, uint32_t i);
const char *gos_lock_name(const struct gos_lock *l);
enum gos_lock_kind gos_lock_kind(const struct gos_lock *l);

/* Fill a task's next operation: take / release lock l. */
void gos_op_lock(struct gos_op *op, struct gos_lock *l);
void gos_op_unlock(struct gos_op *op, struct gos_lock *l);

struct gos_lock_stats {
	uint64_t acquisitions, contended;  /* contended: had to wait */
	uint64_t lhp_events;               /* holds during which the holder's VP was descheduled */
	uint64_t lwp_events;               /* hand-offs to a waiter whose VP was descheduled before it took the lock */
	uint64_t pv_halts, pv_kicks;       /* pv-qspinlock */
	uint64_t long_spin_waits;          /* hyperv: HvCallNotifyLongSpinWait */
	sim_time_t spin;                   /* on-CPU spinning of waiters */
	const struct sim_hist *wait;       /* ps from asking to holding */
	const struct sim_hist *hold;       /* ps from holding to releasing */
};
void gos_lock_stats(const struct gos_lock *l, struct gos_lock_stats *out);

#endif /* MODELS_GUESTOS_LOCK_H */
