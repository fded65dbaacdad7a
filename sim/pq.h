/* SPDX-License-Identifier: MIT */
/*
 * pq.h - an indexed binary min-heap of intrusive nodes ordered by (k0, k1, id).
 * Role: ready queues and timer queues of the models (the hypervisor's VP policies, the guest
 *       kernel's runqueues and hrtimers); a node knows its position, so removing any queued
 *       node is O(log n). Keys are integers: the order never depends on floating point
 *       (docs/design.md "Determinism and speed rules"). Grows by doubling; no allocation once
 *       the queue has reached its largest size.
 */
#ifndef SIM_PQ_H
#define SIM_PQ_H

#include <stdbool.h>
#include <stdint.h>

struct sim_pq_node {
	uint64_t k0, k1; /* set by the owner before sim_pq_push, not changed while queued */
	uint32_t id;     /* tie-break: a stable unique number */
	uint32_t idx;    /* position in the heap (private) */
};

struct sim_pq {
	struct sim_pq_node **heap;
	uint32_t n, cap;
};

void sim_pq_init(struct sim_pq *q);
void sim_pq_fini(struct sim_pq *q);
void sim_pq_push(struct sim_pq *q, struct sim_pq_node *x);
void sim_pq_remove(struct sim_pq *q, struct sim_pq_node *x);
static inline struct sim_pq_node *sim_pq_head(const struct sim_pq *q) { return q->n ? q->heap[0] : NULL; }
static inline uint32_t sim_pq_len(const struct sim_pq *q) { return q->n; }
static inline struct sim_pq_node *sim_pq_at(const struct sim_pq *q, uint32_t i) { return q->heap[i]; }
/* a before b in the queue's order */
static inline bool sim_pq_before(const struct sim_pq_node *a, const struct sim_pq_node *b)
{
	if (a->k0 != b->k0)
		return a->k0 < b->k0;
	if (a->k1 != b->k1)
		return a->k1 < b->k1;
	return a->id < b->id;
}

#endif /* SIM_PQ_H */
