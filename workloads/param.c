/* SPDX-License-Identifier: MIT */
/*
 * param.c - parameter tables (param.h): checking a JSON object against its table, filling in
 *           defaults, suggesting names for unknown keys, reading resolved values, and writing the
 *           markdown reference.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "workloads/param.h"

void param_error_clear(struct param_error *e)
{
	g_free(e->pointer);
	g_free(e->message);
	e->pointer = e->message = NULL;
}

static bool fail(struct param_error *err, const char *pointer, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static bool fail(struct param_error *err, const char *pointer, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	err->pointer = g_strdup(pointer);
	err->message = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	return false;
}

char *param_pointer_child(const char *pointer, const char *key)
{
	GString *s = g_string_new(pointer);
	g_string_append_c(s, '/');
	for (const char *c = key; *c; c++) {
		if (*c == '~')
			g_string_append(s, "~0");
		else if (*c == '/')
			g_string_append(s, "~1");
		else
			g_string_append_c(s, *c);
	}
	return g_string_free(s, FALSE);
}

static const struct param *find(const struct param *table, const char *name)
{
	for (const struct param *p = table; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* ---- suggestions ---- */

static unsigned edit_distance(const char *a, const char *b)
{
	size_t n = strlen(b);
	unsigned *row = g_new(unsigned, n + 1);
	for (size_t j = 0; j <= n; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; a[i - 1]; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= n; j++) {
			unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	unsigned d = row[n];
	g_free(row);
	return d;
}

const char *param_suggest(const struct param *table, const char *name)
{
	const char *best = NULL;
	unsigned best_d = 3;
	for (const struct param *p = table; p && p->name; p++) {
		unsigned d = edit_distance(name, p->name);
		if (d < best_d) {
			best_d = d;
			best = p->name;
		}
	}
	if (best)
		return best;
	for (const struct param *p = table; p && p->name; p++)
		if (*name && (g_str_has_prefix(p->name, name) || g_str_has_prefix(name, p->name)))
			return p->name;
	return NULL;
}

/* ---- value parsers ---- */

bool param_parse_time(const cJSON *v, sim_time_t *out)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d < 0 || d != floor(d) || d > (double)(SIM_TIME_MAX / SIM_PS_PER_NS))
			return false;
		*out = (sim_time_t)d * SIM_PS_PER_NS;
		return true;
	}
	if (!cJSON_IsString(v))
		return false;
	return sim_time_parse(v->valuestring, out, NULL);
}

bool param_parse_bytes(const cJSON *v, uint64_t *out)
{
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		if (d < 0 || d != floor(d) || d >= 0x1p64)
			return false;
		*out = (uint64_t)d;
		return true;
	}
	if (!cJSON_IsString(v))
		return false;
	static const struct {
		const char *suffix;
		uint64_t mult;
	} units[] = {{"TiB", UINT64_C(1) << 40}, {"GiB", UINT64_C(1) << 30}, {"MiB", UINT64_C(1) << 20},
		     {"KiB", UINT64_C(1) << 10}, {"B", 1}};
	const char *s = v->valuestring;
	char *end = NULL;
	guint64 n = g_ascii_strtoull(s, &end, 10);
	if (end == s || !g_ascii_isdigit(*s))
		return false;
	for (size_t i = 0; i < G_N_ELEMENTS(units); i++)
		if (strcmp(end, units[i].suffix) == 0) {
			if (n > UINT64_MAX / units[i].mult)
				return false;
			*out = n * units[i].mult;
			return true;
		}
	return false;
}

bool param_parse_demand(const cJSON *v, uint64_t khz, uint64_t *cycles)
{
	if (cJSON_IsObject(v)) {
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "cycles");
		if (!cJSON_IsNumber(c) || c->valuedouble < 1 || c->valuedouble != floor(c->valuedouble) ||
		    c->valuedouble >= 0x1p63 || cJSON_GetArraySize(v) != 1)
			return false;
		*cycles = (uint64_t)c->valuedouble;
		return true;
	}
	sim_time_t t;
	if (!param_parse_time(v, &t))
		return false;
	return sim_time_to_cycles(t, khz, cycles);
}

/* ---- checking ---- */

static bool ranged(const struct param *p) { return p->min != 0 || p->max != 0; }

static const char *type_name(enum param_type t)
{
	switch (t) {
	case PARAM_BOOL: return "true or false";
	case PARAM_INT: return "an integer";
	case PARAM_NUMBER: return "a number";
	case PARAM_STRING: return "a string";
	case PARAM_ENUM: return "one of";
	case PARAM_TIME: return "a time such as \"10ms\" or integer nanoseconds";
	case PARAM_BYTES: return "a size such as \"8GiB\" or integer bytes";
	case PARAM_DEMAND: return "a CPU demand: a time such as \"1ms\" or {\"cycles\": N}";
	case PARAM_OBJECT: return "an object";
	case PARAM_ARRAY: return "an array";
	case PARAM_ANY: return "a value";
	}
	return "a value";
}

/* A short rendering of the value that was found, for messages. */
static char *shown(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	if (s && strlen(s) > 40)
		strcpy(s + 37, "...");
	char *out = g_strdup(s ? s : "?");
	cJSON_free(s);
	return out;
}

static bool range_fail(struct param_error *err, const char *ptr, const struct param *p, const char *what,
		       const cJSON *v)
{
	char *got = shown(v);
	if (ranged(p))
		fail(err, ptr, "expected %s in %g..%g%s%s, got %s", what, p->min, p->max, p->unit ? " " : "",
		     p->unit ? p->unit : "", got);
	else
		fail(err, ptr, "expected %s, got %s", what, got);
	g_free(got);
	return false;
}

static bool in_range(const struct param *p, double x) { return !ranged(p) || (x >= p->min && x <= p->max); }

static bool check_scalar(const struct param *p, enum param_type type, const cJSON *v, const char *ptr,
			 struct param_error *err)
{
	switch (type) {
	case PARAM_BOOL:
		return cJSON_IsBool(v) || range_fail(err, ptr, p, type_name(type), v);
	case PARAM_INT:
		if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || !in_range(p, v->valuedouble))
			return range_fail(err, ptr, p, "an integer", v);
		return true;
	case PARAM_NUMBER:
		if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || !in_range(p, v->valuedouble))
			return range_fail(err, ptr, p, "a number", v);
		return true;
	case PARAM_STRING:
		return cJSON_IsString(v) || range_fail(err, ptr, p, type_name(type), v);
	case PARAM_ENUM: {
		if (cJSON_IsString(v)) {
			char **c = g_strsplit(p->choices, "|", -1);
			bool ok = g_strv_contains((const char *const *)c, v->valuestring);
			g_strfreev(c);
			if (ok)
				return true;
		}
		char **c = g_strsplit(p->choices, "|", -1);
		char *choices = g_strjoinv(", ", c);
		g_strfreev(c);
		char *got = shown(v);
		fail(err, ptr, "expected one of %s, got %s", choices, got);
		g_free(got);
		g_free(choices);
		return false;
	}
	case PARAM_TIME: {
		sim_time_t t;
		if (!param_parse_time(v, &t) || !in_range(p, (double)t / SIM_PS_PER_NS))
			return range_fail(err, ptr, p, type_name(type), v);
		return true;
	}
	case PARAM_BYTES: {
		uint64_t b;
		if (!param_parse_bytes(v, &b) || !in_range(p, (double)b))
			return range_fail(err, ptr, p, type_name(type), v);
		return true;
	}
	case PARAM_DEMAND: {
		uint64_t c;
		if (!param_parse_demand(v, 1000000, &c)) /* the form only; the range is checked in ns */
			return range_fail(err, ptr, p, type_name(type), v);
		sim_time_t t;
		if (!cJSON_IsObject(v) && param_parse_time(v, &t) && !in_range(p, (double)t / SIM_PS_PER_NS))
			return range_fail(err, ptr, p, type_name(type), v);
		return true;
	}
	case PARAM_ANY:
		return true;
	case PARAM_OBJECT:
	case PARAM_ARRAY:
		break;
	}
	return range_fail(err, ptr, p, type_name(type), v);
}

static bool check_value(const struct param *p, cJSON *v, const char *ptr, struct param_error *err)
{
	if (p->type == PARAM_OBJECT) {
		if (!cJSON_IsObject(v))
			return range_fail(err, ptr, p, "an object", v);
		return p->fields ? param_resolve(p->fields, v, ptr, err) : true;
	}
	if (p->type != PARAM_ARRAY)
		return check_scalar(p, p->type, v, ptr, err);
	if (!cJSON_IsArray(v))
		return range_fail(err, ptr, p, "an array", v);
	int i = 0;
	for (cJSON *e = v->child; e; e = e->next, i++) {
		char idx[16];
		snprintf(idx, sizeof idx, "%d", i);
		char *ep = param_pointer_child(ptr, idx);
		bool ok;
		if (p->fields) {
			ok = cJSON_IsObject(e) ? param_resolve(p->fields, e, ep, err) : range_fail(err, ep, p, "an object", e);
		} else {
			ok = check_scalar(p, p->item, e, ep, err);
		}
		g_free(ep);
		if (!ok)
			return false;
	}
	return true;
}

bool param_resolve(const struct param *table, cJSON *obj, const char *pointer, struct param_error *err)
{
	if (!cJSON_IsObject(obj))
		return fail(err, pointer, "expected an object");
	for (cJSON *c = obj->child; c; c = c->next) {
		if (find(table, c->string))
			continue;
		char *ptr = param_pointer_child(pointer, c->string);
		const char *hint = param_suggest(table, c->string);
		if (hint)
			fail(err, ptr, "unknown key '%s' - did you mean '%s'?", c->string, hint);
		else
			fail(err, ptr, "unknown key '%s'", c->string);
		g_free(ptr);
		return false;
	}
	for (const struct param *p = table; p && p->name; p++) {
		cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, p->name);
		if (!v && p->def && strcmp(p->def, "null") == 0)
			continue; /* optional, no default */
		if (!v) {
			if (!p->def)
				return fail(err, pointer[0] ? pointer : "/", "missing required key '%s' (%s)", p->name,
					    p->doc ? p->doc : type_name(p->type));
			v = cJSON_Parse(p->def);
			g_assert(v); /* defaults are written by us */
			cJSON_AddItemToObject(obj, p->name, v);
		}
		char *ptr = param_pointer_child(pointer, p->name);
		bool ok = check_value(p, v, ptr, err);
		g_free(ptr);
		if (!ok)
			return false;
	}
	return true;
}

/* ---- reading resolved values ---- */

static const cJSON *get(const cJSON *obj, const char *name) { return cJSON_GetObjectItemCaseSensitive(obj, name); }

bool param_bool(const cJSON *obj, const char *name) { return cJSON_IsTrue(get(obj, name)); }

int64_t param_int(const cJSON *obj, const char *name)
{
	const cJSON *v = get(obj, name);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

double param_number(const cJSON *obj, const char *name)
{
	const cJSON *v = get(obj, name);
	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

const char *param_string(const cJSON *obj, const char *name)
{
	const cJSON *v = get(obj, name);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

sim_time_t param_time(const cJSON *obj, const char *name)
{
	sim_time_t t = 0;
	return param_parse_time(get(obj, name), &t) ? t : 0;
}

uint64_t param_bytes(const cJSON *obj, const char *name)
{
	uint64_t b = 0;
	return param_parse_bytes(get(obj, name), &b) ? b : 0;
}

uint64_t param_demand(const cJSON *obj, const char *name, uint64_t khz)
{
	uint64_t c = 0;
	return param_parse_demand(get(obj, name), khz, &c) ? c : 0;
}

/* ---- the reference ---- */

static const char *doc_type(const struct param *p)
{
	switch (p->type) {
	case PARAM_BOOL: return "bool";
	case PARAM_INT: return "integer";
	case PARAM_NUMBER: return "number";
	case PARAM_STRING: return "string";
	case PARAM_ENUM: return "enum";
	case PARAM_TIME: return "time";
	case PARAM_BYTES: return "size";
	case PARAM_DEMAND: return "CPU demand";
	case PARAM_OBJECT: return "object";
	case PARAM_ARRAY: return p->fields ? "array of objects" : "array";
	case PARAM_ANY: return "see below";
	}
	return "?";
}

static void doc_rows(GString *out, const struct param *table, const char *pointer, GPtrArray *nested)
{
	for (const struct param *p = table; p && p->name; p++) {
		char *ptr = param_pointer_child(pointer, p->name);
		g_string_append_printf(out, "| `%s` | %s | ", ptr, doc_type(p));
		if (p->def && strcmp(p->def, "null") == 0)
			g_string_append(out, "optional");
		else if (p->def)
			g_string_append_printf(out, "`%s`", p->def);
		else
			g_string_append(out, "required");
		g_string_append(out, " | ");
		if (p->type == PARAM_ENUM)
			g_string_append(out, p->choices);
		else if (ranged(p))
			g_string_append_printf(out, "%g..%g", p->min, p->max);
		g_string_append_printf(out, " | %s | %s |\n", p->unit ? p->unit : "", p->doc ? p->doc : "");
		if (p->fields) {
			/* PARAM_ANY with fields: the fields of its array form (e.g. working_set's steps) */
			char *sub = p->type == PARAM_ARRAY || p->type == PARAM_ANY ? param_pointer_child(ptr, "*") : g_strdup(ptr);
			g_ptr_array_add(nested, sub);
			g_ptr_array_add(nested, (gpointer)p->fields);
		}
		g_free(ptr);
	}
}

void param_doc(GString *out, const struct param *table, const char *pointer)
{
	GPtrArray *nested = g_ptr_array_new();
	g_string_append(out, "| key | type | default | range | unit | meaning |\n|---|---|---|---|---|---|\n");
	doc_rows(out, table, pointer, nested);
	for (guint i = 0; i < nested->len; i += 2) {
		char *sub = nested->pdata[i];
		g_string_append_c(out, '\n');
		param_doc(out, nested->pdata[i + 1], sub);
		g_free(sub);
	}
	g_ptr_array_free(nested, TRUE);
}
