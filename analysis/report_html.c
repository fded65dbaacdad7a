/* SPDX-License-Identifier: MIT */
/*
 * report_html.c - the frame of a report page (doctype, inline CSS, a Content-Security-Policy that
 *       forbids every fetch) and the helpers for its tables and numbers.
 * Role: shared by report_group.c and report_sweep.c. The page has no scripts and references
 *       nothing outside itself, so it opens offline, from a mail attachment or a CI artefact.
 *       Every text from the database goes through report__put_text (g_markup_escape_text).
 */
#include <math.h>

#include "analysis/report-int.h"
#include "analysis/report_svg.h"

/* The page's style: the charts' SVG classes (report_svg.c) and the tables. */
static const char page_css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#222;max-width:1400px}\n"
	"h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ccc}h3{font-size:15px}\n"
	".meta td{padding:1px 12px 1px 0}.note{color:#555;font-size:13px}\n"
	".charts{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}\n"
	"svg.chart{background:#fff;border:1px solid #ddd}\n"
	"svg text{font-family:inherit}svg .title{font-size:12px;font-weight:600}\n"
	"svg .tick,svg .value{font-size:10px;fill:#444}svg .legend{font-size:11px}\n"
	"svg .axis-title{font-size:11px;fill:#333}\n"
	"svg .grid{stroke:#eee}svg .axis{stroke:#444}svg .err{stroke:#111;stroke-width:1.2}\n"
	"svg .line{fill:none;stroke-width:2}svg .key{stroke-width:2}svg .dashed{stroke-dasharray:5 3}\n"
	"svg .band{opacity:.18}\n"
	"table.data{border-collapse:collapse;font-size:12px;margin:8px 0 16px}\n"
	"table.data th,table.data td{border:1px solid #ddd;padding:2px 8px;text-align:right}\n"
	"table.data th{background:#f4f4f4}table.data td:first-child,table.data th:first-child{text-align:left}\n"
	"details{margin:8px 0}summary{cursor:pointer;color:#335}\n";

void report__put_text(GString *out, const char *text)
{
	char *e = g_markup_escape_text(text ? text : "", -1);

	g_string_append(out, e);
	g_free(e);
}

void report__page_begin(GString *out, const char *title)
{
	g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			     "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			     "style-src 'unsafe-inline'\">\n"
			     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	report__put_text(out, title);
	g_string_append_printf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", page_css);
	report__put_text(out, title);
	g_string_append(out, "</h1>\n");
}

void report__page_end(GString *out)
{
	g_string_append(out, "<p class=\"note\">Written by hvsim report. Numbers: mean &#177; 95% confidence "
			     "half-width over the replications (Student t); ratio: virtual / bare metal.</p>\n"
			     "</body>\n</html>\n");
}

void report__table_begin(GString *out, const char *cls, const char *const *headers, unsigned n)
{
	g_string_append_printf(out, "<table class=\"data %s\">\n<thead><tr>", cls);
	for (unsigned i = 0; i < n; i++) {
		g_string_append(out, "<th>");
		report__put_text(out, headers[i]);
		g_string_append(out, "</th>");
	}
	g_string_append(out, "</tr></thead>\n<tbody>\n");
}

void report__table_row(GString *out, const char *const *cells, unsigned n)
{
	g_string_append(out, "<tr>");
	for (unsigned i = 0; i < n; i++) {
		g_string_append(out, "<td>");
		report__put_text(out, cells[i]);
		g_string_append(out, "</td>");
	}
	g_string_append(out, "</tr>\n");
}

void report__table_end(GString *out)
{
	g_string_append(out, "</tbody>\n</table>\n");
}

char *report__format_side(const struct results_side *s, const char *unit)
{
	char *mean, *ci, *text;

	if (s->n == 0 || isnan(s->mean))
		return g_strdup("-");
	mean = svg_format_value(s->mean, unit);
	if (isnan(s->ci95))
		return mean;
	ci = svg_format_value(s->ci95, unit);
	text = g_strdup_printf("%s ± %s", mean, ci);
	g_free(mean);
	g_free(ci);
	return text;
}

char *report__format_ratio(double ratio)
{
	char buf[G_ASCII_DTOSTR_BUF_SIZE];

	return isnan(ratio) ? g_strdup("-") : g_strdup(g_ascii_formatd(buf, sizeof buf, "%.4g", ratio));
}
