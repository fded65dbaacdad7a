/* SPDX-License-Identifier: MIT */
/*
 * jsonpos.c - where every value of a JSON text starts (line and column), by JSON Pointer, so that
 *             errors found after parsing (a wrong type at /vms/0/vcpus) can name the place.
 * Role: cJSON keeps no positions; this walks the text once more (it is already known to be
 *       well-formed) and records each value's pointer. Also turns a parse error's offset into a
 *       line and column.
 */
#include <stdio.h>
#include <string.h>

#include "cli/jsonpos.h"
#include "workloads/param.h"

struct walker {
	const char *s;
	size_t i, n;
	GHashTable *pos;
};

void jsonpos_at(const char *text, size_t offset, unsigned *line, unsigned *col)
{
	*line = 1, *col = 1;
	for (size_t i = 0; i < offset && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80) {
			(*col)++; /* count characters, not UTF-8 continuation bytes */
		}
	}
}

/* Whitespace as cJSON skips it: every byte up to ' ', control characters included (a text with
   one parsed, and this walker must stay aligned with the parser). */
static bool is_ws(char c) { return c && (unsigned char)c <= ' '; }

static void skip_ws(struct walker *w)
{
	while (w->i < w->n && is_ws(w->s[w->i]))
		w->i++;
}

/* Reads a string token; returns it unescaped enough for keys (\" \\ \/ and \uXXXX kept raw). */
static char *read_string(struct walker *w)
{
	GString *out = g_string_new(NULL);
	w->i++; /* opening quote */
	while (w->i < w->n && w->s[w->i] != '"') {
		char c = w->s[w->i++];
		if (c == '\\' && w->i < w->n) {
			char e = w->s[w->i++];
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				g_string_append(out, "\\u");
				continue;
			default: c = e; break;
			}
		}
		g_string_append_c(out, c);
	}
	w->i++; /* closing quote */
	return g_string_free(out, FALSE);
}

static void walk_value(struct walker *w, char *ptr); /* takes ptr */

static void walk_value(struct walker *w, char *ptr)
{
	skip_ws(w);
	g_hash_table_replace(w->pos, ptr, GSIZE_TO_POINTER(w->i + 1)); /* +1: 0 means absent */
	if (w->i >= w->n)
		return;
	char c = w->s[w->i];
	if (c == '{') {
		w->i++;
		for (;;) {
			skip_ws(w);
			if (w->i >= w->n || w->s[w->i] == '}') {
				w->i++;
				return;
			}
			if (w->s[w->i] == ',') {
				w->i++;
				continue;
			}
			char *key = read_string(w);
			skip_ws(w);
			w->i++; /* ':' */
			walk_value(w, param_pointer_child(ptr, key));
			g_free(key);
		}
	} else if (c == '[') {
		w->i++;
		unsigned idx = 0;
		for (;;) {
			skip_ws(w);
			if (w->i >= w->n || w->s[w->i] == ']') {
				w->i++;
				return;
			}
			if (w->s[w->i] == ',') {
				w->i++;
				continue;
			}
			char num[16];
			snprintf(num, sizeof num, "%u", idx++);
			size_t at = w->i;
			walk_value(w, param_pointer_child(ptr, num));
			if (w->i == at) /* a '}' here: never when aligned with cJSON, and never a loop */
				w->i++;
		}
	} else if (c == '"') {
		g_free(read_string(w));
	} else {
		while (w->i < w->n && !strchr(",]}", w->s[w->i]) && !is_ws(w->s[w->i]))
			w->i++;
	}
}

GHashTable *jsonpos_index(const char *text)
{
	struct walker w = {.s = text, .n = strlen(text)};
	w.pos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	walk_value(&w, g_strdup(""));
	return w.pos;
}

bool jsonpos_find(GHashTable *index, const char *text, const char *pointer, unsigned *line, unsigned *col)
{
	/* the value itself, else its nearest recorded ancestor (a key that is missing) */
	char *p = g_strdup(pointer);
	for (;;) {
		gpointer v = g_hash_table_lookup(index, p);
		if (v) {
			jsonpos_at(text, GPOINTER_TO_SIZE(v) - 1, line, col);
			g_free(p);
			return true;
		}
		char *slash = strrchr(p, '/');
		if (!slash) {
			g_free(p);
			return false;
		}
		*slash = '\0';
	}
}
