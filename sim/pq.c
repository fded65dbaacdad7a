/* SPDX-License-Identifier: MIT */
/* pq.c - the indexed binary min-heap of pq.h. */
#include <glib.h>

#include "sim/pq.h"

void sim_pq_init(struct sim_pq *q) { q->heap = NULL, q->n = q->cap = 0; }
void sim_pq_fini(struct sim_pq *q) { g_free(q->heap); sim_pq_init(q); }

static void place(struct sim_pq *q, uint32_t i, struct sim_pq_node *x)
{
	q->heap[i] = x;
	x->idx = i;
}

static void sift_up(struct sim_pq *q, uint32_t i, struct sim_pq_node *x)
{
	while (i > 0) {
		uint32_t p = (i - 1) / 2;
		if (!sim_pq_before(x, q->heap[p]))
			break;
		place(q, i, q->heap[p]);
		i = p;
	}
	place(q, i, x);
}

static void sift_down(struct sim_pq *q, uint32_t i, struct sim_pq_node *x)
{
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && sim_pq_before(q->heap[c + 1], q->heap[c]))
			c++;
		if (!sim_pq_before(q->heap[c], x))
			break;
		place(q, i, q->heap[c]);
		i = c;
	}
	place(q, i, x);
}

void sim_pq_push(struct sim_pq *q, struct sim_pq_node *x)
{
	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 8;
		q->heap = g_renew(struct sim_pq_node *, q->heap, q->cap);
	}
	sift_up(q, q->n++, x);
}

void sim_pq_remove(struct sim_pq *q, struct sim_pq_node *x)
{
	uint32_t i = x->idx;
	g_assert(i < q->n && q->heap[i] == x);
	struct sim_pq_node *last = q->heap[--q->n];
	if (last == x)
		return;
	if (i > 0 && sim_pq_before(last, q->heap[(i - 1) / 2]))
		sift_up(q, i, last);
	else
		sift_down(q, i, last);
}
