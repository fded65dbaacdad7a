/* SPDX-License-Identifier: MIT */
/* test_rq.c - the ready queue (indexed heap) against a plain reference: same order, any removal. */
#include <criterion/criterion.h>

#include "models/hypervisor/rq.h"
#include "tests/helpers/xorshift.h"

#define N 512

/* the reference: the queued node that comes first in (k0, k1, id) order, by a linear scan */
static struct rq_node *ref_min(struct rq_node *nodes, const bool *in)
{
	struct rq_node *best = NULL;
	for (int i = 0; i < N; i++)
		if (in[i] && (!best || rq_before(&nodes[i], best)))
			best = &nodes[i];
	return best;
}

Test(rq, matches_reference_under_random_pushes_and_removals)
{
	static struct rq_node nodes[N];
	static bool in[N];
	struct hv_rq q;
	rq_init(&q);
	uint64_t s = 88172645463325252ull;
	uint32_t queued = 0;
	for (int step = 0; step < 200000; step++) {
		int i = (int)(test_xorshift(&s) % N);
		if (!in[i]) {
			nodes[i].k0 = test_xorshift(&s) % 3;        /* few classes: many ties on k0 */
			nodes[i].k1 = test_xorshift(&s) % 50;       /* and on k1: the id decides */
			nodes[i].id = (uint32_t)i;
			rq_push(&q, &nodes[i]);
			in[i] = true;
			queued++;
		} else if (test_xorshift(&s) & 1) {
			rq_remove(&q, &nodes[i]);
			in[i] = false;
			queued--;
		} else {
			struct rq_node *h = rq_head(&q);
			cr_assert_eq(h, ref_min(nodes, in), "step %d", step);
			rq_remove(&q, h);
			in[h - nodes] = false;
			queued--;
		}
		cr_assert_eq(rq_len(&q), queued);
		for (uint32_t j = 0; j < rq_len(&q); j++)
			cr_assert_eq(rq_at(&q, j)->idx, j);
	}
	rq_fini(&q);
}
