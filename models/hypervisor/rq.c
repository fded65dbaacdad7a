/* SPDX-License-Identifier: MIT */
/* rq.c - the indexed binary min-heap of rq.h. */
#include <glib.h>

#include "models/hypervisor/rq.h"

void rq_init(struct hv_rq *q) { q->heap = NULL, q->n = q->cap = 0; }
void rq_fini(struct hv_rq *q) { g_free(q->heap); rq_init(q); }

static void place(struct hv_rq *q, uint32_t i, struct rq_node *x)
{
	q->heap[i] = x;
	x->idx = i;
}

static void sift_up(struct hv_rq *q, uint32_t i, struct rq_node *x)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!rq_before(x, q->heap[p]))
			break;
		place(q, i, q->heap[p]);
		i = p;
	}
	place(q, i, x);
}

static void sift_down(struct hv_rq *q, uint32_t i, struct rq_node *x)
{
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && rq_before(q->heap[c + 1], q->heap[c]))
			c++;
		if (!rq_before(q->heap[c], x))
			break;
		place(q, i, q->heap[c]);
		i = c;
	}
	place(q, i, x);
}

void rq_push(struct hv_rq *q, struct rq_node *x)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 8;
		q->heap = g_renew(struct rq_node *, q->heap, q->cap);
	}
	sift_up(q, q->n++, x);
}

void rq_remove(struct hv_rq *q, struct rq_node *x)
{
	uint32_t i = x->idx;
	g_assert(i < q->n && q->heap[i] == x);
	struct rq_node *last = q->heap[--q->n];
	if (last == x)
		return;
	if (i > 0 && rq_before(last, q->heap[(i - 1) / 2]))
		sift_up(q, i, last);
	else
		sift_down(q, i, last);
}
