/* SPDX-License-Identifier: MIT */
/* test_pq.c - the indexed heap (sim/pq.h) against a plain reference: same order, any removal. */
#include <criterion/criterion.h>

#include "sim/pq.h"
#include "tests/helpers/xorshift.h"

#define N 512

/* the reference: the queued node that comes first in (k0, k1, id) order, by a linear scan */
static struct sim_pq_node *ref_min(struct sim_pq_node *nodes, const bool *in)
{
	struct sim_pq_node *best = NULL;
	for (int i = 0; i < N; i++)
		if (in[i] && (!best || sim_pq_before(&nodes[i], best)))
			best = &nodes[i];
	return best;
}

Test(pq, matches_reference_under_random_pushes_and_removals)
{
	static struct sim_pq_node nodes[N];
	static bool in[N];
	struct sim_pq q;
	sim_pq_init(&q);
	uint64_t s = 88172645463325252ull;
	uint32_t queued = 0;
	for (int step = 0; step < 200000; step++) {
		int i = (int)(test_xorshift(&s) % N);
		if (!in[i]) {
			nodes[i].k0 = test_xorshift(&s) % 3;        /* few classes: many ties on k0 */
			nodes[i].k1 = test_xorshift(&s) % 50;       /* and on k1: the id decides */
			nodes[i].id = (uint32_t)i;
			sim_pq_push(&q, &nodes[i]);
			in[i] = true;
			queued++;
		} else if (test_xorshift(&s) & 1) {
			sim_pq_remove(&q, &nodes[i]);
			in[i] = false;
			queued--;
		} else {
			struct sim_pq_node *h = sim_pq_head(&q);
			cr_assert_eq(h, ref_min(nodes, in), "step %d", step);
			sim_pq_remove(&q, h);
			in[h - nodes] = false;
			queued--;
		}
		cr_assert_eq(sim_pq_len(&q), queued);
		for (uint32_t j = 0; j < sim_pq_len(&q); j++)
			cr_assert_eq(sim_pq_at(&q, j)->idx, j);
	}
	sim_pq_fini(&q);
}
