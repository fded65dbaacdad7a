/* SPDX-License-Identifier: MIT */
/*
 * test_highlights.c - results_compare_highlights() and its printed block (analysis/highlights.h),
 *   on comparison rows made by hand (no database).
 * Checks: per-op values are a side's mean over its mean of ops; the CPU categories are disjoint
 *   (guest run time without spin and remote memory); categories rank by the extra ns per op and
 *   only losses are kept, at most three; the net extra and the losses' sum; counters rank by the
 *   ratio virtual/bare, a bare-metal 0 first (by the virtual rate), only those that grew, at most
 *   three; VMs without a bare-metal side are left out, VMs without operations say so; sub-scopes
 *   are not VMs; VMs come in name order; the printed block, line for line.
 * Leaves unchecked: the rows results_compare reads from a database (test_results.c) and the block
 *   under `hvsim run` / `hvsim compare` (tests/cli/export.sh).
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "analysis/highlights.h"

static void row_free(gpointer p)
{
	struct results_row *row = p;

	g_free(row->group_id);
	g_free(row->scope);
	g_free(row->name);
	g_free(row->unit);
	g_free(row);
}

static GPtrArray *rows_new(void)
{
	return g_ptr_array_new_with_free_func(row_free);
}

/* A row whose sides each have n values with the given mean (n = 0: the side is missing). */
static void add_row(GPtrArray *rows, const char *scope, const char *name, uint32_t nv, double virt, uint32_t nb,
		    double bare)
{
	struct results_row *row = g_new0(struct results_row, 1);

	row->group_id = g_strdup("g");
	row->scope = g_strdup(scope);
	row->name = g_strdup(name);
	row->unit = g_strdup(g_str_has_suffix(name, "_ns") ? "ns" : "count");
	row->virt = (struct results_side){.n = nv, .mean = nv ? virt : NAN, .sd = NAN, .ci95 = NAN};
	row->bare = (struct results_side){.n = nb, .mean = nb ? bare : NAN, .sd = NAN, .ci95 = NAN};
	row->ratio = nb && bare != 0 ? virt / bare : NAN;
	g_ptr_array_add(rows, row);
}

/* Both sides with one value each. */
static void add(GPtrArray *rows, const char *scope, const char *name, double virt, double bare)
{
	add_row(rows, scope, name, 1, virt, 1, bare);
}

/*
 * VM web: 100 ops virtual, 200 bare metal. Per op (virtual vs bare): guest 1000 vs 900 (cpu_guest
 * minus spin minus remote), spin 300 vs 50, remote memory 20 vs 20, hypervisor 80 vs 0, steal
 * 400 vs 0 ns. Counters per op: exits 3 vs 0, intercepts 2 vs 0, hypercalls 0.5 vs 0, interrupts
 * 4 vs 1 (x4), vp_preemptions 1 vs 0.5 (x2), context_switches 1 vs 2 (shrank), lhp_events 0 vs 0.
 */
static GPtrArray *web_rows(void)
{
	GPtrArray *rows = rows_new();

	add(rows, "vm:web", "ops", 100, 200);
	add(rows, "vm:web", "cpu_guest_ns", 100 * (1000 + 300 + 20), 200 * (900 + 50 + 20));
	add(rows, "vm:web", "spin_ns", 100 * 300, 200 * 50);
	add(rows, "vm:web", "remote_memory_ns", 100 * 20, 200 * 20);
	add(rows, "vm:web", "cpu_hypervisor_ns", 100 * 80, 0);
	add(rows, "vm:web", "steal_ns", 100 * 400, 0);
	add(rows, "vm:web", "exits", 300, 0);
	add(rows, "vm:web", "intercepts", 200, 0);
	add(rows, "vm:web", "hypercalls", 50, 0);
	add(rows, "vm:web", "interrupts_delivered", 400, 200);
	add(rows, "vm:web", "vp_preemptions", 100, 100);
	add(rows, "vm:web", "context_switches", 100, 400);
	add(rows, "vm:web", "lhp_events", 0, 0);
	add(rows, "vm:web/vcpu:0", "steal_ns", 1e9, 0);   /* not a VM scope */
	add(rows, "vm:web/vcpu:0", "ops", 1, 1);
	return rows;
}

static const struct results_highlight *only(const GPtrArray *hl)
{
	cr_assert_eq(hl->len, 1, "one VM expected, got %u", hl->len);
	return g_ptr_array_index(hl, 0);
}

Test(highlights, categories_rank_by_extra_ns_per_op)
{
	GPtrArray *rows = web_rows(), *hl = results_compare_highlights(rows);
	const struct results_highlight *h = only(hl);

	cr_assert_str_eq(h->vm, "web");
	cr_assert(h->has_ops);
	cr_assert_eq(h->ncpu, 3, "ncpu %u", h->ncpu);
	/* steal +400, spin +250, guest +100; hypervisor +80 is the fourth; remote memory +0 none */
	cr_assert_str_eq(h->cpu[0].what, "steal");
	cr_assert_float_eq(h->cpu[0].extra_per_op, 400, 1e-9, "steal %g", h->cpu[0].extra_per_op);
	cr_assert_float_eq(h->cpu[0].virt_per_op, 400, 1e-9);
	cr_assert_float_eq(h->cpu[0].bare_per_op, 0, 1e-9);
	cr_assert_str_eq(h->cpu[1].what, "spin");
	cr_assert_float_eq(h->cpu[1].extra_per_op, 250, 1e-9, "spin %g", h->cpu[1].extra_per_op);
	cr_assert_str_eq(h->cpu[2].what, "guest");
	cr_assert_float_eq(h->cpu[2].extra_per_op, 100, 1e-9, "guest %g (spin and remote memory excluded)",
			   h->cpu[2].extra_per_op);
	cr_assert_float_eq(h->extra_ns_per_op, 400 + 250 + 100 + 80, 1e-9, "net %g", h->extra_ns_per_op);
	cr_assert_float_eq(h->loss_ns_per_op, 830, 1e-9);
	g_ptr_array_unref(hl);
	g_ptr_array_unref(rows);
}

Test(highlights, counters_rank_by_ratio_bare_zero_first)
{
	GPtrArray *rows = web_rows(), *hl = results_compare_highlights(rows);
	const struct results_highlight *h = only(hl);

	/* exits 3/op, intercepts 2/op, hypercalls 0.5/op all vs 0 (infinite ratio, by virtual rate);
	 * interrupts x4 and vp_preemptions x2 come after them; context_switches shrank */
	cr_assert_eq(h->ncounters, 3, "ncounters %u", h->ncounters);
	cr_assert_str_eq(h->counters[0].what, "exits");
	cr_assert_float_eq(h->counters[0].virt_per_op, 3, 1e-12);
	cr_assert(isinf(h->counters[0].ratio));
	cr_assert_str_eq(h->counters[1].what, "intercepts");
	cr_assert_str_eq(h->counters[2].what, "hypercalls");
	cr_assert_float_eq(h->counters[2].virt_per_op, 0.5, 1e-12);
	g_ptr_array_unref(hl);
	g_ptr_array_unref(rows);
}

Test(highlights, finite_ratios_and_only_counters_that_grew)
{
	GPtrArray *rows = rows_new(), *hl;
	const struct results_highlight *h;

	add(rows, "vm:db", "ops", 10, 10);
	add(rows, "vm:db", "interrupts_delivered", 40, 10);  /* x4 */
	add(rows, "vm:db", "vp_preemptions", 20, 10);        /* x2 */
	add(rows, "vm:db", "ipis_sent", 30, 20);             /* x1.5 */
	add(rows, "vm:db", "exits", 5, 1);                   /* x5 */
	add(rows, "vm:db", "context_switches", 10, 20);      /* shrank */
	hl = results_compare_highlights(rows);
	h = only(hl);
	cr_assert_eq(h->ncounters, 3);
	cr_assert_str_eq(h->counters[0].what, "exits");
	cr_assert_float_eq(h->counters[0].ratio, 5, 1e-12);
	cr_assert_str_eq(h->counters[1].what, "interrupts_delivered");
	cr_assert_str_eq(h->counters[2].what, "vp_preemptions");
	cr_assert_eq(h->ncpu, 0, "no CPU metrics: no category");
	g_ptr_array_unref(hl);
	g_ptr_array_unref(rows);
}

Test(highlights, gains_lower_the_net_but_are_not_listed)
{
	GPtrArray *rows = rows_new(), *hl;
	const struct results_highlight *h;

	add(rows, "vm:w", "ops", 10, 10);
	add(rows, "vm:w", "cpu_guest_ns", 10 * 50, 10 * 100); /* guest -50/op: a gain */
	add(rows, "vm:w", "steal_ns", 10 * 30, 0);            /* steal +30/op */
	hl = results_compare_highlights(rows);
	h = only(hl);
	cr_assert_eq(h->ncpu, 1);
	cr_assert_str_eq(h->cpu[0].what, "steal");
	cr_assert_float_eq(h->extra_ns_per_op, -20, 1e-9, "net %g", h->extra_ns_per_op);
	cr_assert_float_eq(h->loss_ns_per_op, 30, 1e-9);
	g_ptr_array_unref(hl);
	g_ptr_array_unref(rows);
}

Test(highlights, no_bare_metal_side_no_highlight)
{
	GPtrArray *rows = rows_new(), *hl;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	add_row(rows, "vm:a", "ops", 3, 100, 0, 0);
	add_row(rows, "vm:a", "steal_ns", 3, 1e6, 0, 0);
	hl = results_compare_highlights(rows);
	cr_assert_eq(hl->len, 0, "a VM without its twin has no highlight");
	f = open_memstream(&buf, &len);
	results_highlights_print(hl, f);
	fclose(f);
	cr_assert_eq(len, 0, "nothing printed without a highlight: '%s'", buf);
	free(buf);
	g_ptr_array_unref(hl);
	g_ptr_array_unref(rows);
}

Test(highlights, vms_in_name_order_and_without_operations)
{
	GPtrArray *rows = rows_new(), *hl;

	add(rows, "vm:zeta", "ops", 0, 5);
	add(rows, "vm:alpha", "ops", 5, 5);
	add(rows, "vm:alpha", "steal_ns", 50, 0);
	hl = results_compare_highlights(rows);
	cr_assert_eq(hl->len, 2);
	cr_assert_str_eq(((struct results_highlight *)g_ptr_array_index(hl, 0))->vm, "alpha");
	cr_assert_str_eq(((struct results_highlight *)g_ptr_array_index(hl, 1))->vm, "zeta");
	cr_assert_not(((struct results_highlight *)g_ptr_array_index(hl, 1))->has_ops);
	g_ptr_array_unref(hl);
	g_ptr_array_unref(rows);
}

/* The block printed for rows (the whole text). */
static char *printed(GPtrArray *rows)
{
	GPtrArray *hl = results_compare_highlights(rows);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	results_highlights_print(hl, f);
	fclose(f);
	g_ptr_array_unref(hl);
	return buf;
}

Test(highlights, printed_block)
{
	GPtrArray *rows = web_rows();
	char *text;

	add(rows, "vm:idle", "ops", 10, 10);
	add(rows, "vm:idle", "steal_ns", 0, 0);
	add(rows, "vm:none", "ops", 0, 10);
	text = printed(rows);
	cr_assert_str_eq(text,
			 "\nWhere the virtual run lost most against bare metal, per operation (means over the replications):\n"
			 "  idle: no loss per operation against bare metal\n"
			 "  none: no operations completed on a side, nothing per operation\n"
			 "  web: +830 ns/op: steal +400 ns/op (48%), spin +250 ns/op (30%), guest +100 ns/op (12%)\n"
			 "    exits 3/op vs 0 (bare), intercepts 2/op vs 0 (bare), hypercalls 0.5/op vs 0 (bare)\n",
			 "got:\n%s", text);
	free(text);
	g_ptr_array_unref(rows);
}

Test(highlights, printed_times_scale_and_small_shares)
{
	GPtrArray *rows = rows_new();
	char *text;

	add(rows, "vm:b", "ops", 1, 1);
	add(rows, "vm:b", "steal_ns", 412e3, 0);          /* +412 us/op */
	add(rows, "vm:b", "cpu_hypervisor_ns", 1e3, 0);   /* +1 us/op: 0.24% */
	text = printed(rows);
	cr_assert(strstr(text, "  b: +413 us/op: steal +412 us/op (100%), hypervisor +1 us/op (<1%)\n"), "got:\n%s", text);
	free(text);
	g_ptr_array_unref(rows);
}
