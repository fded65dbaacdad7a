/* SPDX-License-Identifier: MIT */
/*
 * highlights.c - results_compare_highlights(): per VM, the CPU categories and counters per
 *       operation where the virtual run lost most against bare metal, and the block that shows them.
 * Role: a reading aid under the comparison table; the definitions (categories, counters, ranking)
 *       are in highlights.h. Works on the rows results_compare returns, nothing else.
 * Missing metrics (an older database, a kind that does not write one) and sides without values
 *       count as 0, so a category or counter simply does not show.
 * Cost: each VM looks its ~20 metrics up by a scan of the rows: O(VMs x rows), a few thousand
 *       comparisons for a large group.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/highlights.h"

/* A metric's share in a category: sign x value. */
struct term {
	const char *metric;
	double sign;
};

/* The CPU-time categories, disjoint: guest run time holds spin and remote-memory time. */
static const struct category {
	const char *what;
	struct term terms[3];
} categories[] = {
	{"guest", {{"cpu_guest_ns", 1}, {"spin_ns", -1}, {"remote_memory_ns", -1}}},
	{"spin", {{"spin_ns", 1}}},
	{"remote memory", {{"remote_memory_ns", 1}}},
	{"hypervisor", {{"cpu_hypervisor_ns", 1}}},
	{"steal", {{"steal_ns", 1}}},
};

/* The counters compared per operation (VM scope, ../shared/INTERFACES.md and docs/results.md). */
static const char *const counters[] = {
	"exits", "intercepts", "hypercalls", "ple_exits", "interrupts_delivered", "vp_preemptions",
	"vp_migrations", "lhp_events", "context_switches", "ipis_sent", "tlb_shootdowns", "page_faults",
	"yields", "directed_yields", "costops",
};

static void highlight_free(gpointer p)
{
	struct results_highlight *h = p;

	g_free(h->vm);
	g_free(h);
}

/* The row of (scope, name), or NULL. */
static const struct results_row *find_row(const GPtrArray *rows, const char *scope, const char *name)
{
	for (guint i = 0; i < rows->len; i++) {
		const struct results_row *row = g_ptr_array_index(rows, i);

		if (strcmp(row->scope, scope) == 0 && strcmp(row->name, name) == 0)
			return row;
	}
	return NULL;
}

/* A side's mean of (scope, name); 0 when the metric or the side's values are missing. */
static double side_mean(const GPtrArray *rows, const char *scope, const char *name, bool virt)
{
	const struct results_row *row = find_row(rows, scope, name);
	const struct results_side *s = row ? (virt ? &row->virt : &row->bare) : NULL;

	return s && s->n > 0 && isfinite(s->mean) ? s->mean : 0.0;
}

/* A loss from the two sides' totals and operations. */
static struct results_loss make_loss(const char *what, double virt, double bare, double virt_ops, double bare_ops)
{
	struct results_loss l = {.what = what, .virt_per_op = virt / virt_ops, .bare_per_op = bare / bare_ops};

	l.extra_per_op = l.virt_per_op - l.bare_per_op;
	l.ratio = l.bare_per_op != 0.0 ? l.virt_per_op / l.bare_per_op : INFINITY;
	return l;
}

/* Categories: the bigger extra first. */
static int by_extra(const void *a, const void *b)
{
	const struct results_loss *x = a, *y = b;

	if (x->extra_per_op != y->extra_per_op)
		return x->extra_per_op > y->extra_per_op ? -1 : 1;
	return 0;
}

/* Counters: the bigger ratio first (a bare-metal 0 is infinite), then the bigger virtual rate, then the name. */
static int by_ratio(const void *a, const void *b)
{
	const struct results_loss *x = a, *y = b;

	if (x->ratio != y->ratio)
		return x->ratio > y->ratio ? -1 : 1;
	if (x->virt_per_op != y->virt_per_op)
		return x->virt_per_op > y->virt_per_op ? -1 : 1;
	return strcmp(x->what, y->what);
}

/* The categories of one VM: the net extra, the losses' sum, the top losses. */
static void rank_categories(struct results_highlight *h, const GPtrArray *rows, const char *scope,
			    double virt_ops, double bare_ops)
{
	struct results_loss all[G_N_ELEMENTS(categories)];

	for (size_t c = 0; c < G_N_ELEMENTS(categories); c++) {
		double virt = 0.0, bare = 0.0;

		for (size_t t = 0; t < G_N_ELEMENTS(categories[c].terms) && categories[c].terms[t].metric; t++) {
			virt += categories[c].terms[t].sign * side_mean(rows, scope, categories[c].terms[t].metric, true);
			bare += categories[c].terms[t].sign * side_mean(rows, scope, categories[c].terms[t].metric, false);
		}
		all[c] = make_loss(categories[c].what, virt, bare, virt_ops, bare_ops);
		h->extra_ns_per_op += all[c].extra_per_op;
		if (all[c].extra_per_op > 0)
			h->loss_ns_per_op += all[c].extra_per_op;
	}
	/* An insertion sort, stable (qsort is not): equal extras keep the table's order. */
	for (size_t i = 1; i < G_N_ELEMENTS(all); i++)
		for (size_t j = i; j > 0 && by_extra(&all[j - 1], &all[j]) > 0; j--) {
			struct results_loss tmp = all[j - 1];

			all[j - 1] = all[j];
			all[j] = tmp;
		}
	for (size_t c = 0; c < G_N_ELEMENTS(all) && h->ncpu < RESULTS_HIGHLIGHT_TOP && all[c].extra_per_op > 0; c++)
		h->cpu[h->ncpu++] = all[c];
}

/* The counters of one VM that grew per op, the top ones by ratio. */
static void rank_counters(struct results_highlight *h, const GPtrArray *rows, const char *scope,
			  double virt_ops, double bare_ops)
{
	struct results_loss grew[G_N_ELEMENTS(counters)];
	size_t n = 0;

	for (size_t c = 0; c < G_N_ELEMENTS(counters); c++) {
		struct results_loss l = make_loss(counters[c], side_mean(rows, scope, counters[c], true),
						  side_mean(rows, scope, counters[c], false), virt_ops, bare_ops);

		if (l.extra_per_op > 0)
			grew[n++] = l;
	}
	qsort(grew, n, sizeof grew[0], by_ratio);
	for (size_t c = 0; c < n && h->ncounters < RESULTS_HIGHLIGHT_TOP; c++)
		h->counters[h->ncounters++] = grew[c];
}

/* One VM's highlight, or NULL when its ops are missing on a side (no twin). */
static struct results_highlight *vm_highlight(const GPtrArray *rows, const char *scope)
{
	const struct results_row *ops = find_row(rows, scope, "ops");
	struct results_highlight *h;

	if (!ops || ops->virt.n == 0 || ops->bare.n == 0)
		return NULL;
	h = g_new0(struct results_highlight, 1);
	h->vm = g_strdup(scope + strlen("vm:"));
	h->has_ops = ops->virt.mean > 0 && ops->bare.mean > 0;
	if (h->has_ops) {
		rank_categories(h, rows, scope, ops->virt.mean, ops->bare.mean);
		rank_counters(h, rows, scope, ops->virt.mean, ops->bare.mean);
	}
	return h;
}

static bool is_vm_scope(const char *scope)
{
	return g_str_has_prefix(scope, "vm:") && !strchr(scope, '/');
}

static gint by_vm(gconstpointer a, gconstpointer b)
{
	const struct results_highlight *x = *(struct results_highlight *const *)a;
	const struct results_highlight *y = *(struct results_highlight *const *)b;

	return strcmp(x->vm, y->vm);
}

GPtrArray *results_compare_highlights(const GPtrArray *rows)
{
	g_return_val_if_fail(rows != NULL, NULL);
	GPtrArray *out = g_ptr_array_new_with_free_func(highlight_free);
	GHashTable *seen = g_hash_table_new(g_str_hash, g_str_equal); /* lookup only */

	for (guint i = 0; i < rows->len; i++) {
		const struct results_row *row = g_ptr_array_index(rows, i);
		struct results_highlight *h;

		if (!is_vm_scope(row->scope) || !g_hash_table_add(seen, row->scope))
			continue;
		h = vm_highlight(rows, row->scope);
		if (h)
			g_ptr_array_add(out, h);
	}
	g_hash_table_unref(seen);
	g_ptr_array_sort(out, by_vm);
	return out;
}

/* A time in ns as "%.3g UNIT", the unit by its size: "412 us", "1.5 ms", "80 ns". */
static char *fmt_time(double ns)
{
	static const struct {
		double div;
		const char *name;
	} scales[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
	size_t i = 0;

	while (i + 1 < G_N_ELEMENTS(scales) && fabs(ns) < scales[i].div)
		i++;
	return g_strdup_printf("%.3g %s", ns / scales[i].div, scales[i].name);
}

/* "steal +300 us/op (73%)": the share of the VM's losses, "(<1%)" below half a percent. */
static void print_category(FILE *out, const struct results_loss *l, double losses)
{
	char *t = fmt_time(l->extra_per_op);
	double pct = 100.0 * l->extra_per_op / losses;

	if (pct < 0.5)
		fprintf(out, "%s +%s/op (<1%%)", l->what, t);
	else
		fprintf(out, "%s +%s/op (%.0f%%)", l->what, t, pct);
	g_free(t);
}

/* "exits 3.1/op vs 0 (bare)". */
static void print_counter(FILE *out, const struct results_loss *l)
{
	fprintf(out, "%s %.3g/op vs %.3g (bare)", l->what, l->virt_per_op, l->bare_per_op);
}

static void print_vm(FILE *out, const struct results_highlight *h)
{
	char *net;

	if (!h->has_ops) {
		fprintf(out, "  %s: no operations completed on a side, nothing per operation\n", h->vm);
		return;
	}
	if (h->ncpu == 0 && h->ncounters == 0) {
		fprintf(out, "  %s: no loss per operation against bare metal\n", h->vm);
		return;
	}
	net = fmt_time(h->extra_ns_per_op);
	fprintf(out, "  %s: %s%s/op", h->vm, h->extra_ns_per_op > 0 ? "+" : "", net);
	g_free(net);
	for (guint i = 0; i < h->ncpu; i++) {
		fputs(i ? ", " : ": ", out);
		print_category(out, &h->cpu[i], h->loss_ns_per_op);
	}
	fputc('\n', out);
	for (guint i = 0; i < h->ncounters; i++) {
		fputs(i ? ", " : "    ", out);
		print_counter(out, &h->counters[i]);
	}
	if (h->ncounters)
		fputc('\n', out);
}

void results_highlights_print(const GPtrArray *highlights, FILE *out)
{
	g_return_if_fail(highlights != NULL && out != NULL);
	if (highlights->len == 0)
		return;
	fputs("\nWhere the virtual run lost most against bare metal, per operation (means over the replications):\n",
	      out);
	for (guint i = 0; i < highlights->len; i++)
		print_vm(out, g_ptr_array_index(highlights, i));
}

bool results_compare_highlights_print(struct results *r, const char *group, FILE *out, GError **error)
{
	GPtrArray *rows = results_compare(r, group, error), *hl;

	if (!rows)
		return false;
	hl = results_compare_highlights(rows);
	results_highlights_print(hl, out);
	g_ptr_array_unref(hl);
	g_ptr_array_unref(rows);
	return true;
}
