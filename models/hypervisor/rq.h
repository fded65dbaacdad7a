/* SPDX-License-Identifier: MIT */
/*
 * rq.h - a ready queue: an indexed binary min-heap of nodes ordered by (k0, k1, id).
 * Role: the VP policies keep their ready VPs in these (one per LP); a node knows its position,
 *       so removing any queued VP is O(log n). Keys are integers: the order of ready VPs never
 *       depends on floating point (docs/design.md "Determinism and speed rules").
 */
#ifndef MODELS_HYPERVISOR_RQ_H
#define MODELS_HYPERVISOR_RQ_H

#include <stdbool.h>
#include <stdint.h>

struct rq_node {
	uint64_t k0, k1; /* set by the owner before rq_push, not changed while queued */
	uint32_t id;     /* tie-break: a stable unique number */
	uint32_t idx;    /* position in the heap (private) */
};

struct hv_rq {
	struct rq_node **heap;
	uint32_t n, cap;
};

void rq_init(struct hv_rq *q);
void rq_fini(struct hv_rq *q);
void rq_push(struct hv_rq *q, struct rq_node *x);
void rq_remove(struct hv_rq *q, struct rq_node *x);
static inline struct rq_node *rq_head(const struct hv_rq *q) { return q->n ? q->heap[0] : NULL; }
static inline uint32_t rq_len(const struct hv_rq *q) { return q->n; }
static inline struct rq_node *rq_at(const struct hv_rq *q, uint32_t i) { return q->heap[i]; }
/* a before b in the queue's order */
static inline bool rq_before(const struct rq_node *a, const struct rq_node *b)
{
	if (a->k0 != b->k0)
		return a->k0 < b->k0;
	if (a->k1 != b->k1)
		return a->k1 < b->k1;
	return a->id < b->id;
}

#endif /* MODELS_HYPERVISOR_RQ_H */
