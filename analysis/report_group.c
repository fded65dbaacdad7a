/* SPDX-License-Identifier: MIT */
/*
 * report_group.c - the report page of one group (one `hvsim run`, or one sweep point).
 * Role: lays out, each chart followed by its numbers in a table:
 *  - per VM, virtual vs bare metal for the headline metrics (report__headline), bars with 95% CIs;
 *  - where the CPU time went: a 100% stacked bar per LP (lp:N scopes; the host's sum over its LPs
 *    when there are none), for the root partition, and per VM virtual and bare metal, in the
 *    categories guest, hypervisor, root, spin, idle, steal (docs/report.md has the formulas);
 *  - the latency CDF of each VM, virtual and bare metal, from the histograms table;
 *  - every metric of the group in a folded table.
 * Numbers: the comparison of results_compare() (means, CIs, ratio, significance).
 */
#include <math.h>
#include <string.h>

#include "analysis/report-int.h"
#include "analysis/report_svg.h"

enum cpu_category { CPU_GUEST, CPU_HYPERVISOR, CPU_ROOT, CPU_SPIN, CPU_IDLE, CPU_STEAL, CPU_N };
static const char *const cpu_categories[CPU_N] = {"guest", "hypervisor", "root", "spin", "idle", "steal"};

/* The group's comparison rows, looked up by scope and metric name. */
struct group_data {
	const char *group;
	struct report_group_info info;
	GPtrArray *rows;        /* struct results_row * (results_compare) */
	GHashTable *by_metric;  /* "scope\nname" -> struct results_row * (borrowed) */
	GPtrArray *vms;         /* char *: the vm:NAME scopes, sorted */
};

static const struct results_row *find_row(const struct group_data *g, const char *scope, const char *name)
{
	char *key = g_strconcat(scope, "\n", name, NULL);
	const struct results_row *row = g_hash_table_lookup(g->by_metric, key);

	g_free(key);
	return row;
}

/* A metric's mean on one side (virtual or bare metal); 0 when the group lacks it. */
static double side_mean(const struct group_data *g, const char *scope, const char *name, bool virt)
{
	const struct results_row *row = find_row(g, scope, name);
	double v = row ? (virt ? row->virt.mean : row->bare.mean) : NAN;

	return isnan(v) ? 0.0 : v;
}

static bool is_vm_scope(const char *scope)
{
	return g_str_has_prefix(scope, "vm:") && !strchr(scope, '/');
}

/* Indexes the rows and lists the VM scopes. */
static void group_data_index(struct group_data *g)
{
	g->by_metric = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g->vms = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < g->rows->len; i++) {
		struct results_row *row = g->rows->pdata[i];

		g_hash_table_insert(g->by_metric, g_strconcat(row->scope, "\n", row->name, NULL), row);
		if (is_vm_scope(row->scope) &&
		    (!g->vms->len || strcmp(g_ptr_array_index(g->vms, g->vms->len - 1), row->scope)))
			g_ptr_array_add(g->vms, g_strdup(row->scope));
	}
}

/* ---- header ---- */

static void put_meta_row(GString *out, const char *key, const char *value)
{
	g_string_append(out, "<tr><td>");
	report__put_text(out, key);
	g_string_append(out, "</td><td>");
	report__put_text(out, value ? value : "-");
	g_string_append(out, "</td></tr>\n");
}

static void put_meta(GString *out, const struct group_data *g)
{
	char *runs = g_strdup_printf("%u virtual, %u bare metal", g->info.n_virtual, g->info.n_bare_metal);
	char *span = svg_format_value(g->info.sim_seconds * 1e9, "ns");

	g_string_append(out, "<table class=\"meta\">\n");
	put_meta_row(out, "group", g->group);
	if (g->info.sweep_name) {
		char *point = g_strdup_printf("%s, point %s", g->info.sweep_name, g->info.point_name);
		put_meta_row(out, "sweep", point);
		g_free(point);
	}
	put_meta_row(out, "scenario", g->info.scenario);
	put_meta_row(out, "runs", runs);
	put_meta_row(out, "measured span", span);
	put_meta_row(out, "started", g->info.started_at);
	put_meta_row(out, "hvsim", g->info.hvsim_version);
	g_string_append(out, "</table>\n");
	g_free(runs);
	g_free(span);
}

/* ---- headline metrics ---- */

/* One small chart: the metric's virtual and bare-metal means with their 95% CIs. */
static void put_headline_chart(GString *out, const struct results_row *row)
{
	struct svg_bar bars[2] = {
		{.label = "virtual", .value = row->virt.mean, .err = row->virt.ci95, .color = 0},
		{.label = "bare metal", .value = row->bare.mean, .err = row->bare.ci95, .color = 1},
	};
	char *title = g_strdup_printf("%s: %s", row->scope, row->name);

	svg_bar_chart(out, "headline", title, row->unit, bars, 2);
	g_free(title);
}

/* The table row of one metric: name, unit, n, both sides, ratio, significance. */
static void put_comparison_row(GString *out, const struct results_row *row, bool with_scope)
{
	char *n = g_strdup_printf("%u/%u", row->virt.n, row->bare.n);
	char *virt = report__format_side(&row->virt, row->unit), *bare = report__format_side(&row->bare, row->unit);
	char *ratio = report__format_ratio(row->ratio);
	const char *cells[] = {row->scope, row->name, row->unit, n, virt, bare, ratio, row->significant ? "*" : ""};

	report__table_row(out, with_scope ? cells : cells + 1, with_scope ? 8 : 7);
	g_free(n);
	g_free(virt);
	g_free(bare);
	g_free(ratio);
}

static const char *const comparison_headers[] = {"scope", "metric", "unit", "n virtual/bare", "virtual",
						 "bare metal", "ratio", "significant"};

static void put_headline_vm(GString *out, const struct group_data *g, const char *vm)
{
	g_string_append(out, "<h3>");
	report__put_text(out, vm);
	g_string_append(out, "</h3>\n<div class=\"charts\">\n");
	for (unsigned i = 0; i < report__n_headline; i++) {
		const struct results_row *row = find_row(g, vm, report__headline[i]);
		if (row)
			put_headline_chart(out, row);
	}
	g_string_append(out, "</div>\n");
	report__table_begin(out, "table-headline", comparison_headers + 1, 7);
	for (unsigned i = 0; i < report__n_headline; i++) {
		const struct results_row *row = find_row(g, vm, report__headline[i]);
		if (row)
			put_comparison_row(out, row, false);
	}
	report__table_end(out);
}

static void put_headline_section(GString *out, const struct group_data *g)
{
	g_string_append(out, "<h2 id=\"headline\">Virtual vs bare metal</h2>\n<p class=\"note\">Per VM: the mean "
			     "over the replications with its 95% confidence interval (error bar; none with one "
			     "replication). * in the table: the difference is significant at 5% (Welch).</p>\n");
	for (guint i = 0; i < g->vms->len; i++)
		put_headline_vm(out, g, g->vms->pdata[i]);
}

/* ---- CPU breakdown ---- */

/* One bar of the CPU chart: a label and the time of each category (ns, means). */
struct cpu_row {
	char *label;
	double ns[CPU_N];
};

/* An LP scope (lp:N, or host for all LPs): the lp_* categories, disjoint (they add up to the span). */
static void cpu_row_lp(const struct group_data *g, const char *scope, struct cpu_row *row)
{
	row->ns[CPU_GUEST] = side_mean(g, scope, "lp_guest_ns", true);
	row->ns[CPU_HYPERVISOR] = side_mean(g, scope, "lp_hypervisor_ns", true);
	row->ns[CPU_ROOT] = side_mean(g, scope, "lp_root_ns", true);
	row->ns[CPU_SPIN] = side_mean(g, scope, "lp_spin_ns", true);
	row->ns[CPU_IDLE] = side_mean(g, scope, "lp_idle_ns", true);
}

/* The number of vCPUs of a VM: its vm:NAME/vcpu:N scopes. */
static unsigned vm_vcpus(const struct group_data *g, const char *vm)
{
	char *prefix = g_strconcat(vm, "/vcpu:", NULL);
	unsigned n = 0;

	for (guint i = 0; i < g->rows->len; i++) {
		const struct results_row *row = g->rows->pdata[i];
		n += g_str_has_prefix(row->scope, prefix) && strcmp(row->name, "busy_ns") == 0;
	}
	g_free(prefix);
	return n;
}

/*
 * A VM on one side: guest (cpu_guest_ns without spin_ns), hypervisor, spin, steal, and idle: the
 * rest of its vCPUs' time over the measured span (halted, neither running nor waiting), at least 0.
 */
static void cpu_row_vm(const struct group_data *g, const char *vm, bool virt, struct cpu_row *row)
{
	double span_ns = isnan(g->info.sim_seconds) ? 0.0 : g->info.sim_seconds * 1e9;
	double guest = side_mean(g, vm, "cpu_guest_ns", virt), spin = side_mean(g, vm, "spin_ns", virt);

	row->ns[CPU_GUEST] = guest - spin;
	row->ns[CPU_HYPERVISOR] = side_mean(g, vm, "cpu_hypervisor_ns", virt);
	row->ns[CPU_SPIN] = spin;
	row->ns[CPU_STEAL] = side_mean(g, vm, "steal_ns", virt);
	row->ns[CPU_IDLE] = fmax(0.0, vm_vcpus(g, vm) * span_ns - guest - row->ns[CPU_HYPERVISOR] - row->ns[CPU_STEAL]);
}

static struct cpu_row *cpu_row_add(GArray *rows, char *label)
{
	struct cpu_row row = {.label = label};

	g_array_append_val(rows, row);
	return &g_array_index(rows, struct cpu_row, rows->len - 1);
}

/* The rows of the CPU chart: LPs (or the host), the root, each VM virtual then bare metal. */
static GArray *cpu_rows(const struct group_data *g)
{
	GArray *rows = g_array_new(FALSE, TRUE, sizeof(struct cpu_row));
	bool per_lp = false;

	for (guint i = 0; i < g->rows->len; i++) {
		const struct results_row *row = g->rows->pdata[i];
		if (g_str_has_prefix(row->scope, "lp:") && strcmp(row->name, "lp_idle_ns") == 0) {
			cpu_row_lp(g, row->scope, cpu_row_add(rows, g_strdup(row->scope)));
			per_lp = true;
		}
	}
	if (!per_lp && find_row(g, "host", "lp_idle_ns"))
		cpu_row_lp(g, "host", cpu_row_add(rows, g_strdup_printf("host (%g LPs)", side_mean(g, "host", "lps", true))));
	if (find_row(g, "root", "cpu_root_ns")) {
		struct cpu_row *root = cpu_row_add(rows, g_strdup("root partition"));
		root->ns[CPU_ROOT] = side_mean(g, "root", "cpu_root_ns", true);
		root->ns[CPU_HYPERVISOR] = side_mean(g, "root", "cpu_hypervisor_ns", true);
	}
	for (guint i = 0; i < g->vms->len; i++) {
		const char *vm = g->vms->pdata[i];
		const struct results_row *guest = find_row(g, vm, "cpu_guest_ns");

		if (guest && guest->virt.n)
			cpu_row_vm(g, vm, true, cpu_row_add(rows, g_strdup_printf("%s virtual", vm)));
		if (guest && guest->bare.n)
			cpu_row_vm(g, vm, false, cpu_row_add(rows, g_strdup_printf("%s bare metal", vm)));
	}
	return rows;
}

static void put_cpu_table(GString *out, const GArray *rows)
{
	const char *headers[CPU_N + 2] = {"bar"};

	for (unsigned c = 0; c < CPU_N; c++)
		headers[c + 1] = cpu_categories[c];
	headers[CPU_N + 1] = "total";
	report__table_begin(out, "table-cpu", headers, CPU_N + 2);
	for (guint r = 0; r < rows->len; r++) {
		const struct cpu_row *row = &g_array_index(rows, struct cpu_row, r);
		char *cells[CPU_N + 2];
		double total = 0.0;

		cells[0] = g_strdup(row->label);
		for (unsigned c = 0; c < CPU_N; c++) {
			cells[c + 1] = svg_format_value(row->ns[c], "ns");
			total += fmax(0.0, row->ns[c]);
		}
		cells[CPU_N + 1] = svg_format_value(total, "ns");
		report__table_row(out, (const char *const *)cells, CPU_N + 2);
		for (unsigned c = 0; c < CPU_N + 2; c++)
			g_free(cells[c]);
	}
	report__table_end(out);
}

static void put_cpu_section(GString *out, const struct group_data *g)
{
	GArray *rows = cpu_rows(g);
	struct svg_stack_row *stack = g_new0(struct svg_stack_row, rows->len ? rows->len : 1);

	g_string_append(out, "<h2 id=\"cpu\">Where the CPU time went</h2>\n<p class=\"note\">Shares of each bar's "
			     "time, means over the replications (virtual runs unless the bar says bare metal). LPs: "
			     "the LP time in each category; a VM: its vCPUs' time over the measured span.</p>\n");
	for (guint r = 0; r < rows->len; r++) {
		stack[r].label = g_array_index(rows, struct cpu_row, r).label;
		stack[r].values = g_array_index(rows, struct cpu_row, r).ns;
	}
	g_string_append(out, "<div class=\"charts\">\n");
	svg_stacked_chart(out, "cpu", "CPU time by category", cpu_categories, CPU_N, stack, rows->len);
	g_string_append(out, "</div>\n");
	put_cpu_table(out, rows);
	for (guint r = 0; r < rows->len; r++)
		g_free(g_array_index(rows, struct cpu_row, r).label);
	g_array_unref(rows);
	g_free(stack);
}

/* ---- latency CDFs ---- */

/* The CDF of a histogram as a staircase: from (first lo, 0) to (hi_i, cumulative share up to i). */
static void hist_cdf(const struct report_hist *h, GArray *x, GArray *y)
{
	double acc = 0.0, zero = 0.0;

	if (!h->lo->len || h->total <= 0)
		return;
	g_array_append_val(x, g_array_index(h->lo, double, 0));
	g_array_append_val(y, zero);
	for (guint i = 0; i < h->lo->len; i++) {
		double share;

		acc += g_array_index(h->count, double, i);
		share = acc / h->total;
		g_array_append_val(x, g_array_index(h->hi, double, i));
		g_array_append_val(y, share);
	}
}

/* The percentile rows of a VM's latency, both sides (the metrics latency_p50_ns ...). */
static void put_latency_table(GString *out, const struct group_data *g, const char *vm)
{
	static const char *const names[] = {"latency_p50_ns", "latency_p90_ns", "latency_p99_ns", "latency_p999_ns",
					    "latency_mean_ns", "latency_count"};

	report__table_begin(out, "table-latency", comparison_headers + 1, 7);
	for (unsigned i = 0; i < G_N_ELEMENTS(names); i++) {
		const struct results_row *row = find_row(g, vm, names[i]);
		if (row)
			put_comparison_row(out, row, false);
	}
	report__table_end(out);
}

/* Every bucket of the VM's histograms: upper bound, count, cumulative share, folded. */
static void put_bucket_table(GString *out, const struct report_hist *const *hists, unsigned n)
{
	static const char *const headers[] = {"side", "bucket lo", "bucket hi", "count", "cumulative share"};

	g_string_append(out, "<details><summary>histogram buckets</summary>\n");
	report__table_begin(out, "table-buckets", headers, G_N_ELEMENTS(headers));
	for (unsigned k = 0; k < n; k++) {
		double acc = 0.0;

		for (guint i = 0; i < hists[k]->lo->len; i++) {
			char *lo = svg_format_value(g_array_index(hists[k]->lo, double, i), hists[k]->unit);
			char *hi = svg_format_value(g_array_index(hists[k]->hi, double, i), hists[k]->unit);
			char *count = g_strdup_printf("%.0f", g_array_index(hists[k]->count, double, i));
			char *share;
			const char *cells[5];

			acc += g_array_index(hists[k]->count, double, i);
			share = g_strdup_printf("%.4f", acc / hists[k]->total);
			cells[0] = hists[k]->mode;
			cells[1] = lo;
			cells[2] = hi;
			cells[3] = count;
			cells[4] = share;
			report__table_row(out, cells, 5);
			g_free(lo);
			g_free(hi);
			g_free(count);
			g_free(share);
		}
	}
	report__table_end(out);
	g_string_append(out, "</details>\n");
}

/* The CDF chart of one VM from its histograms (at most one per side), then its tables. */
static void put_latency_vm(GString *out, const struct group_data *g, const char *vm, const struct report_hist *const *hists,
			   unsigned n)
{
	struct svg_series series[2];
	GArray *xs[2], *ys[2];
	char *title = g_strdup_printf("%s: latency CDF", vm);
	struct svg_line_spec spec = {.kind = "cdf", .title = title, .x_title = "latency", .x_unit = hists[0]->unit,
				     .y_title = "share of operations", .y_unit = "", .x_log = true,
				     .y_unit_interval = true};

	for (unsigned k = 0; k < n; k++) {
		bool virt = strcmp(hists[k]->mode, "virtual") == 0;

		xs[k] = g_array_new(FALSE, FALSE, sizeof(double));
		ys[k] = g_array_new(FALSE, FALSE, sizeof(double));
		hist_cdf(hists[k], xs[k], ys[k]);
		series[k] = (struct svg_series){.label = virt ? "virtual" : "bare metal", .color = virt ? 0 : 1, .step = true,
						.dashed = !virt, .n = xs[k]->len, .x = (const double *)(void *)xs[k]->data,
						.y = (const double *)(void *)ys[k]->data};
	}
	g_string_append(out, "<h3>");
	report__put_text(out, vm);
	g_string_append(out, "</h3>\n<div class=\"charts\">\n");
	svg_line_chart(out, &spec, series, n);
	g_string_append(out, "</div>\n");
	put_latency_table(out, g, vm);
	put_bucket_table(out, hists, n);
	for (unsigned k = 0; k < n; k++) {
		g_array_unref(xs[k]);
		g_array_unref(ys[k]);
	}
	g_free(title);
}

static void put_latency_section(GString *out, const struct group_data *g, const GPtrArray *hists)
{
	g_string_append(out, "<h2 id=\"latency\">Latency</h2>\n<p class=\"note\">The share of the VM's operations "
			     "that took at most a given time (histogram <code>latency</code>, all replications "
			     "together; logarithmic time axis).</p>\n");
	for (guint i = 0; i < hists->len;) {
		const struct report_hist *group[2] = {NULL, NULL};
		unsigned n = 0;
		const char *scope = ((const struct report_hist *)hists->pdata[i])->scope;

		while (i < hists->len && n < 2 && strcmp(((const struct report_hist *)hists->pdata[i])->scope, scope) == 0)
			group[n++] = hists->pdata[i++];
		while (i < hists->len && strcmp(((const struct report_hist *)hists->pdata[i])->scope, scope) == 0)
			i++; /* a third unit of the same scope: not drawn */
		put_latency_vm(out, g, scope, group, n);
	}
}

/* ---- every metric ---- */

static void put_all_metrics(GString *out, const struct group_data *g)
{
	g_string_append_printf(out, "<h2 id=\"all\">All metrics</h2>\n<details><summary>%u rows</summary>\n",
			       g->rows->len);
	report__table_begin(out, "table-all", comparison_headers, 8);
	for (guint i = 0; i < g->rows->len; i++)
		put_comparison_row(out, g->rows->pdata[i], true);
	report__table_end(out);
	g_string_append(out, "</details>\n");
}

static void group_data_clear(struct group_data *g)
{
	report__group_info_clear(&g->info);
	if (g->rows)
		g_ptr_array_unref(g->rows);
	if (g->by_metric)
		g_hash_table_unref(g->by_metric);
	if (g->vms)
		g_ptr_array_unref(g->vms);
}

char *report__group_page(struct results *r, const char *group, GError **error)
{
	struct group_data g = {.group = group};
	GPtrArray *hists = NULL;
	GString *out;
	char *title;

	if (!report__group_info_load(r, group, &g.info, error) || !(g.rows = results_compare(r, group, error)) ||
	    !(hists = report__hists_load(r, group, "latency", error))) {
		group_data_clear(&g);
		return NULL;
	}
	group_data_index(&g);
	out = g_string_new(NULL);
	title = g_strdup_printf("hvsim report: %s", g.info.scenario ? g.info.scenario : group);
	report__page_begin(out, title);
	put_meta(out, &g);
	put_headline_section(out, &g);
	put_cpu_section(out, &g);
	put_latency_section(out, &g, hists);
	put_all_metrics(out, &g);
	report__page_end(out);
	g_free(title);
	g_ptr_array_unref(hists);
	group_data_clear(&g);
	return g_string_free(out, FALSE);
}
