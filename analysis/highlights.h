/* SPDX-License-Identifier: MIT */
/*
 * highlights.h - where a virtual run lost most against its bare-metal twin: per VM, the CPU-time
 *       categories and the counters that grew most per operation.
 * Role: the short block `hvsim run` and `hvsim compare` print under their table. Reads the rows
 *       of results_compare (results.h), every metric of the group, not the summary.
 * Per operation: a side's mean of the metric over its mean of `ops` (a ratio of means over the
 *       replications).
 * CPU categories (ns per op, disjoint): guest = cpu_guest_ns - spin_ns - remote_memory_ns, spin
 *       = spin_ns, remote memory = remote_memory_ns, hypervisor = cpu_hypervisor_ns, steal =
 *       steal_ns. Their sum is the time per op the VM's vCPUs ran or waited for an LP. Ranked by
 *       the extra ns per op, virtual minus bare metal; only losses (extra > 0) are kept.
 * Counters (per op): exits, intercepts, hypercalls, ple_exits, interrupts_delivered,
 *       vp_preemptions, vp_migrations, lhp_events, context_switches, ipis_sent, tlb_shootdowns,
 *       page_faults, yields, directed_yields, costops. Ranked by the ratio virtual/bare metal (a
 *       bare-metal 0 ranks first, by the virtual rate), only those that grew.
 * See: docs/results.md "Highlights"; tests/unit/analysis/test_highlights.c
 */
#ifndef ANALYSIS_HIGHLIGHTS_H
#define ANALYSIS_HIGHLIGHTS_H

#include <stdbool.h>
#include <stdio.h>

#include <glib.h>

#include "analysis/results.h"

/* How many categories and how many counters a VM's highlight keeps. */
#define RESULTS_HIGHLIGHT_TOP 3

/* One way the virtual run lost, per operation of its VM. */
struct results_loss {
	const char *what;        /* a category ("steal") or a counter's metric name ("exits"); static */
	double virt_per_op, bare_per_op; /* ns per op (category) or count per op (counter) */
	double extra_per_op;     /* virt_per_op - bare_per_op, > 0 */
	double ratio;            /* virt_per_op / bare_per_op; INFINITY when bare_per_op is 0 */
};

/* One VM's highlight. */
struct results_highlight {
	char *vm;                /* the VM's name: scope "vm:NAME" without "vm:" */
	bool has_ops;            /* both sides completed operations (otherwise nothing below is set) */
	double extra_ns_per_op;  /* the sum of every category's extra (gains included): net loss per op */
	double loss_ns_per_op;   /* the sum of the categories' losses (the extras > 0): shares are of this */
	struct results_loss cpu[RESULTS_HIGHLIGHT_TOP];
	guint ncpu;
	struct results_loss counters[RESULTS_HIGHLIGHT_TOP];
	guint ncounters;
};

/*
 * The highlights of a group's rows (any order; the summary's rows are not enough): one per VM
 * scope that has an `ops` row with both sides, in VM name order; a GPtrArray of struct
 * results_highlight that frees them. Empty when no VM has a bare-metal side (no baseline).
 */
GPtrArray *results_compare_highlights(const GPtrArray *rows);

/*
 * Prints the block: a heading line, then per VM "NAME: +T/op: CAT +X/op (S%), ..." and an
 * indented line "COUNTER R/op vs B (bare), ...". Nothing when highlights is empty.
 */
void results_highlights_print(const GPtrArray *highlights, FILE *out);

/* results_compare of the group, then the two above (the call `hvsim run` makes after its table). */
bool results_compare_highlights_print(struct results *r, const char *group, FILE *out, GError **error);

#endif /* ANALYSIS_HIGHLIGHTS_H */
