/* SPDX-License-Identifier: MIT */
/*
 * sweep.c - sweep files: the key tables, the checks the tables leave to code, the expansion of
 *           axes into points (product: the first axis varies slowest; zip: the i-th values go
 *           together), and the sweep's id.
 * Role: see sweep.h. A point is its base scenario plus overrides, exactly what
 *       `hvsim run BASE --set ...` would run: the `set` entries first, then each axis' value at
 *       each of its paths, then run.replications when the sweep sets it.
 */
#include <math.h>
#include <string.h>

#include "cli/scenario-int.h"
#include "cli/runner.h"
#include "cli/sweep.h"
#include "workloads/param.h"

static const struct param axis_keys[] = {
	{.name = "name", .type = PARAM_STRING, .def = "null",
	 .doc = "the axis' name in point names and params_json (default: the last token of its first path, or `scenario`)"},
	{.name = "path", .type = PARAM_ANY, .def = "null",
	 .doc = "a JSON Pointer into the scenario (`/vms/0/vcpus`), or a list of them set together"},
	{.name = "values", .type = PARAM_ANY, .def = "null",
	 .doc = "the values the path takes (any JSON), one per point of the axis"},
	{.name = "labels", .type = PARAM_ANY, .def = "null", .doc = "names of the values in point names (default: the values)"},
	{.name = "files", .type = PARAM_ANY, .def = "null",
	 .doc = "instead of path and values: scenario files (relative to the sweep file) each point starts from"},
	{0},
};

static const struct param sweep_keys[] = {
	{.name = "name", .type = PARAM_STRING, .def = "null", .doc = "the sweep's name (default: the file's name without .json)"},
	{.name = "description", .type = PARAM_STRING, .def = "\"\"", .doc = "free text"},
	{.name = "base", .type = PARAM_ANY, .def = "null",
	 .doc = "the scenario every point starts from: a path relative to the sweep file, or the scenario inline"},
	{.name = "set", .type = PARAM_ANY, .def = "{}",
	 .doc = "overrides for every point, `{\"/run/duration\": \"2s\"}` (JSON Pointer: value), applied before the axes"},
	{.name = "axes", .type = PARAM_ARRAY, .doc = "the axes (at least one)", .fields = axis_keys},
	{.name = "combine", .type = PARAM_ENUM, .def = "\"product\"", .choices = "product|zip",
	 .doc = "`product`: every combination; `zip`: the i-th values of every axis together (equal lengths)"},
	{.name = "replications", .type = PARAM_INT, .def = "0", .min = 0, .max = 10000,
	 .doc = "replications of every point (0: the scenario's run.replications)"},
	{.name = "point_name", .type = PARAM_STRING, .def = "null",
	 .doc = "a template for point names, `{axis}` standing for its label (default: `axis=label,...`)"},
	{0},
};

/* A loaded axis: its values (borrowed from the resolved JSON) and their labels. */
struct axis {
	const char *name;
	const cJSON *paths;      /* array of strings, or NULL for a files axis */
	const cJSON *values;     /* array */
	char **labels;           /* one per value */
	int n, index;            /* number of values; position in /axes */
	bool files;
};

/* The file being loaded (where its values are, for messages), its JSON and its axes. */
struct loader {
	struct ctx c;
	cJSON *root;
	GArray *axes;            /* struct axis */
};

#define fail(l, pointer, ...) (fail_at(&(l)->c, (pointer), __VA_ARGS__) != NULL)

/* A value's name in point names: strings as they are, numbers as written, the rest as compact JSON. */
static char *label_of(const cJSON *v)
{
	if (cJSON_IsString(v))
		return g_strdup(v->valuestring);
	/* integers as integers; the range check first: converting 1e20 to int64_t is undefined */
	if (cJSON_IsNumber(v) && fabs(v->valuedouble) < 0x1p63 && v->valuedouble == (double)(int64_t)v->valuedouble)
		return g_strdup_printf("%" G_GINT64_FORMAT, (int64_t)v->valuedouble);
	if (cJSON_IsNumber(v))
		return g_strdup_printf("%g", v->valuedouble);
	char *json = cJSON_PrintUnformatted(v), *s = g_strdup(json);
	cJSON_free(json);
	return s;
}

static bool is_string_array(const cJSON *a, int *n)
{
	if (!cJSON_IsArray(a))
		return false;
	*n = cJSON_GetArraySize(a);
	for (const cJSON *v = a->child; v; v = v->next)
		if (!cJSON_IsString(v))
			return false;
	return true;
}

/* Checks the path key of axis i: a pointer or a non-empty list of them; stores a list. */
static bool check_paths(struct loader *l, cJSON *ax, const char *p, struct axis *a)
{
	cJSON *path = cJSON_GetObjectItemCaseSensitive(ax, "path");
	char *pp = g_strconcat(p, "/path", NULL);
	int n = 0;
	bool ok = true;
	if (cJSON_IsString(path)) { /* normalised to a one-element list */
		cJSON *list = cJSON_CreateArray();
		cJSON_AddItemToArray(list, cJSON_CreateString(path->valuestring));
		cJSON_ReplaceItemInObjectCaseSensitive(ax, "path", list);
		path = list;
	}
	if (!is_string_array(path, &n) || n == 0)
		ok = fail(l, pp, "expected a JSON Pointer (\"/vms/0/vcpus\") or a list of them");
	for (const cJSON *s = ok ? path->child : NULL; s && ok; s = s->next)
		if (s->valuestring[0] != '/')
			ok = fail(l, pp, "expected a JSON Pointer starting with '/', got \"%s\"", s->valuestring);
	g_free(pp);
	a->paths = path;
	return ok;
}

/* Checks axis i (already through its key table) and fills *a. */
static bool check_axis(struct loader *l, cJSON *ax, int i, struct axis *a)
{
	char *p = g_strdup_printf("/axes/%d", i), *pv = NULL;
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(ax, "files");
	const cJSON *values = cJSON_GetObjectItemCaseSensitive(ax, "values");
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(ax, "labels");
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(ax, "name");
	bool ok = true;
	int nl = 0;
	*a = (struct axis){.index = i, .files = files != NULL};
	if (files && (values || cJSON_GetObjectItemCaseSensitive(ax, "path"))) {
		ok = fail(l, p, "an axis has either `files` or `path` and `values`, not both");
	} else if (files) {
		pv = g_strconcat(p, "/files", NULL);
		if (!is_string_array(files, &a->n) || a->n == 0)
			ok = fail(l, pv, "expected a non-empty list of scenario files");
		a->values = files;
	} else {
		pv = g_strconcat(p, "/values", NULL);
		ok = check_paths(l, ax, p, a);
		if (ok && (!cJSON_IsArray(values) || (a->n = cJSON_GetArraySize(values)) == 0))
			ok = fail(l, values ? pv : p, "expected `values`: a non-empty list");
		a->values = values;
	}
	if (ok && labels && (!is_string_array(labels, &nl) || nl != a->n)) {
		char *pl = g_strconcat(p, "/labels", NULL);
		ok = fail(l, pl, "expected a list of %d strings, one per value", a->n);
		g_free(pl);
	}
	if (ok) {
		a->labels = g_new0(char *, a->n + 1);
		int k = 0;
		for (const cJSON *v = a->values->child; v; v = v->next, k++) {
			const cJSON *lab = labels ? cJSON_GetArrayItem(labels, k) : NULL;
			char *base = a->files && !lab ? g_path_get_basename(v->valuestring) : NULL;
			if (base && g_str_has_suffix(base, ".json"))
				base[strlen(base) - 5] = '\0';
			a->labels[k] = lab ? g_strdup(lab->valuestring) : base ? base : label_of(v);
		}
		if (cJSON_IsString(name))
			a->name = name->valuestring;
		else if (a->files)
			a->name = "scenario";
		else {
			const char *last = strrchr(cJSON_GetArrayItem(a->paths, 0)->valuestring, '/');
			a->name = last + 1;
		}
		if (!a->name[0])
			ok = fail(l, p, "the axis needs a `name`");
	}
	if (!ok) { /* a refused axis is not kept: nothing of it may stay */
		g_strfreev(a->labels);
		a->labels = NULL;
	}
	g_free(pv);
	g_free(p);
	return ok;
}

static void axes_free(GArray *axes)
{
	for (guint i = 0; i < axes->len; i++)
		g_strfreev(g_array_index(axes, struct axis, i).labels);
	g_array_free(axes, TRUE);
}

/* The checks the key tables leave to code: base, set, each axis, names, zip lengths. */
static bool check(struct loader *l)
{
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(l->root, "base");
	const cJSON *set = cJSON_GetObjectItemCaseSensitive(l->root, "set");
	cJSON *axes = cJSON_GetObjectItemCaseSensitive(l->root, "axes");
	bool zip = strcmp(param_string(l->root, "combine"), "zip") == 0, has_files = false, ok = true;
	if (!cJSON_IsObject(set))
		return fail(l, "/set", "expected an object of JSON Pointer: value");
	for (const cJSON *s = set->child; s; s = s->next)
		if (s->string[0] != '/') {
			char *p = param_pointer_child("/set", s->string);
			ok = fail(l, p, "expected a JSON Pointer starting with '/'");
			g_free(p);
			return ok;
		}
	if (cJSON_GetArraySize(axes) == 0)
		return fail(l, "/axes", "expected at least one axis");
	int i = 0;
	for (cJSON *ax = axes->child; ax && ok; ax = ax->next, i++) {
		struct axis a;
		ok = check_axis(l, ax, i, &a);
		if (!ok)
			break;
		g_array_append_val(l->axes, a);
		char *p = g_strdup_printf("/axes/%d", i);
		for (guint j = 0; ok && j + 1 < l->axes->len; j++)
			if (!strcmp(g_array_index(l->axes, struct axis, j).name, a.name))
				ok = fail(l, p, "two axes are named '%s' (give one a `name`)", a.name);
		if (ok && a.files && has_files)
			ok = fail(l, p, "only one axis may list scenario `files`");
		if (ok && zip && a.n != g_array_index(l->axes, struct axis, 0).n)
			ok = fail(l, p, "`zip` needs axes of equal length: axis 0 has %d values, this one %d",
				  g_array_index(l->axes, struct axis, 0).n, a.n);
		has_files |= a.files;
		g_free(p);
	}
	if (ok && !has_files && !cJSON_IsString(base) && !cJSON_IsObject(base))
		ok = fail(l, base ? "/base" : "", "expected `base`: a scenario file (relative to the sweep file) or an inline scenario");
	if (ok && has_files && base)
		ok = fail(l, "/base", "a `files` axis gives each point its scenario: leave `base` out");
	return ok;
}

/* The name of the point whose axis value indexes are idx[]. */
static char *point_name(struct loader *l, const int *idx)
{
	const cJSON *tmpl = cJSON_GetObjectItemCaseSensitive(l->root, "point_name");
	GString *s = g_string_new(NULL);
	if (!cJSON_IsString(tmpl)) {
		for (guint a = 0; a < l->axes->len; a++) {
			const struct axis *ax = &g_array_index(l->axes, struct axis, a);
			g_string_append_printf(s, "%s%s=%s", a ? "," : "", ax->name, ax->labels[idx[a]]);
		}
		return g_string_free(s, FALSE);
	}
	for (const char *c = tmpl->valuestring; *c; c++) {
		const char *close = *c == '{' ? strchr(c, '}') : NULL;
		guint a = 0;
		for (; close && a < l->axes->len; a++) {
			const struct axis *ax = &g_array_index(l->axes, struct axis, a);
			if (strlen(ax->name) == (size_t)(close - c - 1) && !strncmp(ax->name, c + 1, (size_t)(close - c - 1)))
				break;
		}
		if (close && a < l->axes->len) {
			g_string_append(s, g_array_index(l->axes, struct axis, a).labels[idx[a]]);
			c = close;
		} else if (close) {
			(void)fail(l, "/point_name", "'%.*s' names no axis", (int)(close - c + 1), c);
			g_string_free(s, TRUE);
			return NULL;
		} else {
			g_string_append_c(s, *c);
		}
	}
	return g_string_free(s, FALSE);
}

static void add_set(GPtrArray *sets, const char *pointer, const cJSON *value)
{
	char *json = cJSON_PrintUnformatted(value);
	g_ptr_array_add(sets, g_strdup_printf("%s=%s", pointer, json));
	cJSON_free(json);
}

/* A path the sweep file gives: relative to the file's directory unless absolute. */
static char *relative_to(const char *dir, const char *path)
{
	return g_path_is_absolute(path) ? g_strdup(path) : g_build_filename(dir, path, NULL);
}

static void point_free(struct sweep_point *p)
{
	g_free(p->name);
	g_free(p->group_id);
	g_free(p->params_json);
	g_free(p->base);
	g_ptr_array_free(p->sets, TRUE);
	g_free(p);
}

/* Builds the point whose axis value indexes are idx[]; NULL with an error (a bad point_name). */
static struct sweep_point *make_point(struct loader *l, uint32_t index, const int *idx, const char *dir)
{
	const cJSON *base = cJSON_GetObjectItemCaseSensitive(l->root, "base");
	struct sweep_point *p = g_new0(struct sweep_point, 1);
	cJSON *params = cJSON_CreateObject();
	p->index = index;
	p->sets = g_ptr_array_new_with_free_func(g_free);
	p->base_prefix = cJSON_IsObject(base) ? "/base" : "";
	p->base = cJSON_IsObject(base) ? g_strdup(l->c.path)
		  : cJSON_IsString(base) ? relative_to(dir, base->valuestring) : NULL;
	for (const cJSON *s = cJSON_GetObjectItemCaseSensitive(l->root, "set")->child; s; s = s->next)
		add_set(p->sets, s->string, s);
	for (guint a = 0; a < l->axes->len; a++) {
		const struct axis *ax = &g_array_index(l->axes, struct axis, a);
		const cJSON *v = cJSON_GetArrayItem(ax->values, idx[a]);
		cJSON_AddItemToObject(params, ax->name, cJSON_Duplicate(v, true));
		if (ax->files) {
			g_free(p->base);
			p->base = relative_to(dir, v->valuestring);
		}
		for (const cJSON *path = ax->paths ? ax->paths->child : NULL; path; path = path->next)
			add_set(p->sets, path->valuestring, v);
	}
	if (param_int(l->root, "replications") > 0)
		g_ptr_array_add(p->sets, g_strdup_printf("/run/replications=%" G_GINT64_FORMAT,
							 param_int(l->root, "replications")));
	g_ptr_array_add(p->sets, NULL);
	char *json = cJSON_PrintUnformatted(params);
	p->params_json = g_strdup(json);
	cJSON_free(json);
	cJSON_Delete(params);
	p->name = point_name(l, idx);
	if (!p->name) {
		point_free(p);
		return NULL;
	}
	return p;
}

/* Every point, in order: product (odometer, the last axis fastest) or zip. */
static bool expand(struct loader *l, struct sweep *sw)
{
	guint na = l->axes->len;
	int *idx = g_new0(int, na);
	bool zip = strcmp(param_string(l->root, "combine"), "zip") == 0, more = true, ok = true;
	char *dir = g_path_get_dirname(l->c.path);
	GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
	for (uint32_t index = 0; more && ok; index++) {
		struct sweep_point *p = make_point(l, index, idx, dir);
		ok = p != NULL;
		if (ok && g_hash_table_contains(names, p->name))
			ok = fail(l, cJSON_GetObjectItemCaseSensitive(l->root, "point_name") ? "/point_name" : "/axes",
				  "two points are named '%s' (label the values, or name the points with `point_name`)",
				  p->name);
		if (ok) {
			g_hash_table_add(names, p->name);
			g_ptr_array_add(sw->points, p);
		} else if (p) {
			point_free(p);
		}
		if (zip) {
			for (guint a = 0; a < na; a++)
				idx[a]++;
			more = idx[0] < g_array_index(l->axes, struct axis, 0).n;
		} else {
			int a = (int)na - 1;
			for (; a >= 0 && ++idx[a] == g_array_index(l->axes, struct axis, a).n; a--)
				idx[a] = 0;
			more = a >= 0;
		}
	}
	g_hash_table_destroy(names);
	g_free(dir);
	g_free(idx);
	return ok;
}

/* Point i's scenario, loaded and checked; with build, its worlds built too (runner_check). */
static struct scenario *load_point(const struct sweep *sw, uint32_t i, bool build, GError **error)
{
	const struct sweep_point *p = sw->points->pdata[i];
	GError *e = NULL;
	struct scenario *s = scenario_load_at(p->base, p->base_prefix, (const char *const *)p->sets->pdata, &e);
	if (s && build && !runner_check(s, &e)) {
		scenario_free(s);
		s = NULL;
	}
	if (!s) {
		g_set_error(error, scenario_error_quark(), 2, "%s: point %u (%s): %s", sw->path, p->index, p->name,
			    e->message);
		g_error_free(e);
	}
	return s;
}

struct scenario *sweep_point_scenario(const struct sweep *sw, uint32_t i, GError **error)
{
	return load_point(sw, i, true, error);
}

bool sweep_check(const struct sweep *sw, const bool *sel, GError **error)
{
	for (guint i = 0; i < sw->points->len; i++) {
		if (sel && !sel[i])
			continue;
		struct scenario *s = load_point(sw, i, true, error);
		if (!s)
			return false;
		scenario_free(s);
	}
	return true;
}

/*
 * Loads every point once (its worlds are built by sweep_check, for the points that will run): its
 * config hash and replications go into the sweep's id and spec (what it runs, independent of paths
 * on this machine).
 */
static bool identify(struct loader *l, struct sweep *sw)
{
	GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
	cJSON *spec = cJSON_Duplicate(l->root, true), *list = cJSON_AddArrayToObject(spec, "points");
	bool ok = true;
	g_checksum_update(sum, (const guchar *)"hvsim sweep 1\n", -1);
	g_checksum_update(sum, (const guchar *)sw->name, -1);
	for (guint i = 0; ok && i < sw->points->len; i++) {
		struct sweep_point *p = sw->points->pdata[i];
		struct scenario *s = load_point(sw, i, false, l->c.error);
		ok = s != NULL;
		if (!ok)
			break;
		char *line = g_strdup_printf("\n%u %s %s %u", p->index, p->name, s->config_hash, s->replications);
		g_checksum_update(sum, (const guchar *)line, -1);
		g_free(line);
		cJSON *pt = cJSON_CreateObject();
		cJSON_AddStringToObject(pt, "name", p->name);
		cJSON_AddItemToObject(pt, "params", cJSON_Parse(p->params_json));
		cJSON_AddStringToObject(pt, "config_hash", s->config_hash);
		cJSON_AddNumberToObject(pt, "replications", s->replications);
		cJSON_AddItemToArray(list, pt);
		scenario_free(s);
	}
	if (ok) {
		sw->id = g_strndup(g_checksum_get_string(sum), 16);
		char *json = cJSON_PrintUnformatted(spec);
		sw->spec_json = g_strdup(json);
		cJSON_free(json);
		for (guint i = 0; i < sw->points->len; i++) {
			struct sweep_point *p = sw->points->pdata[i];
			p->group_id = g_strdup_printf("%s/p%u", sw->id, p->index);
		}
	}
	cJSON_Delete(spec);
	g_checksum_free(sum);
	return ok;
}

/* Reads and parses the file; NULL with an error. */
static cJSON *parse(struct loader *l)
{
	cJSON *root = ctx_parse_file(&l->c);
	if (root && !cJSON_IsObject(root)) {
		(void)fail(l, "", "expected a sweep: an object with `base` and `axes`");
		cJSON_Delete(root);
		return NULL;
	}
	return root;
}

bool sweep_is_sweep_file(const char *path)
{
	char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL))
		return false;
	cJSON *root = cJSON_Parse(text);
	bool yes = cJSON_IsObject(root) && (cJSON_HasObjectItem(root, "axes") || cJSON_HasObjectItem(root, "base"));
	cJSON_Delete(root);
	g_free(text);
	return yes;
}

struct sweep *sweep_load(const char *path, GError **error)
{
	struct loader l = {.c = {.path = path, .prefix = "", .error = error}};
	l.root = parse(&l);
	struct sweep *sw = g_new0(struct sweep, 1);
	sw->path = g_strdup(path);
	sw->points = g_ptr_array_new_with_free_func((GDestroyNotify)point_free);
	l.axes = g_array_new(FALSE, TRUE, sizeof(struct axis));
	/* "base" is the scenario's to check: the table must not resolve into it. */
	cJSON *base = l.root ? cJSON_DetachItemFromObjectCaseSensitive(l.root, "base") : NULL;
	struct param_error pe = {0};
	bool ok = l.root != NULL;
	if (ok && !param_resolve(sweep_keys, l.root, "", &pe)) {
		ok = fail(&l, pe.pointer, "%s", pe.message);
		param_error_clear(&pe);
	}
	if (base)
		cJSON_AddItemToObject(l.root, "base", base);
	if (ok) {
		const char *name = param_string(l.root, "name");
		char *file = g_path_get_basename(path);
		if (g_str_has_suffix(file, ".json"))
			file[strlen(file) - 5] = '\0';
		sw->name = g_strdup(name ? name : file);
		sw->description = g_strdup(param_string(l.root, "description"));
		g_free(file);
		ok = check(&l) && expand(&l, sw) && identify(&l, sw);
	}
	axes_free(l.axes);
	cJSON_Delete(l.root);
	if (l.c.pos)
		g_hash_table_destroy(l.c.pos);
	g_free(l.c.text);
	if (!ok) {
		sweep_free(sw);
		return NULL;
	}
	return sw;
}

void sweep_free(struct sweep *sw)
{
	if (!sw)
		return;
	g_ptr_array_free(sw->points, TRUE);
	g_free(sw->path);
	g_free(sw->name);
	g_free(sw->description);
	g_free(sw->id);
	g_free(sw->spec_json);
	g_free(sw);
}

bool sweep_register(const struct sweep *sw, struct results *db, GError **error)
{
	GDateTime *now = g_date_time_new_now_utc();
	char *created = g_date_time_format_iso8601(now);
	struct results_sweep row = {.id = sw->id, .name = sw->name, .spec_json = sw->spec_json,
				    .points = sw->points->len, .created_at = created};
	bool ok = results_sweep_register(db, &row, error);
	g_free(created);
	g_date_time_unref(now);
	return ok;
}

const struct sweep_point *sweep_find_point(const struct sweep *sw, const char *name)
{
	for (guint i = 0; i < sw->points->len; i++) {
		const struct sweep_point *p = sw->points->pdata[i];
		if (!strcmp(p->name, name))
			return p;
	}
	char *end = NULL;
	guint64 i = g_ascii_strtoull(name, &end, 10);
	return *name && !*end && i < sw->points->len ? sw->points->pdata[i] : NULL;
}

bool sweep_parse_selection(const char *spec, uint32_t n, bool *sel, GError **error)
{
	char **parts = g_strsplit(spec, ",", -1);
	bool ok = parts[0] != NULL;
	memset(sel, 0, n * sizeof *sel);
	for (int i = 0; ok && parts[i]; i++) {
		char *dash = strchr(parts[i], '-'), *end = NULL;
		guint64 lo = g_ascii_strtoull(parts[i], &end, 10), hi = lo;
		ok = end != parts[i] && (end == dash || !*end);
		if (ok && dash) {
			hi = dash[1] ? g_ascii_strtoull(dash + 1, &end, 10) : n - 1;
			ok = !dash[1] || (end != dash + 1 && !*end);
		}
		ok = ok && lo <= hi && hi < n;
		for (guint64 k = lo; ok && k <= hi; k++)
			sel[k] = true;
	}
	g_strfreev(parts);
	if (!ok)
		g_set_error(error, scenario_error_quark(), 2,
			    "--points %s: expected point indexes 0..%u as a list of N or N-M ranges (\"0-9,12,20-\")", spec,
			    n ? n - 1 : 0);
	return ok;
}

char *sweep_reference(void)
{
	GString *s = g_string_new("## Sweep files\n\n"
				  "A sweep file (docs/sweeps.md) names a base scenario and the axes to vary. "
				  "`hvsim validate SWEEP.json` checks it and counts its points.\n\n");
	param_doc(s, sweep_keys, "");
	g_string_append(s, "\n### Axis (`/axes/*`)\n\n");
	param_doc(s, axis_keys, "/axes/*");
	return g_string_free(s, FALSE);
}
