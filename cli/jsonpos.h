/* SPDX-License-Identifier: MIT */
/*
 * jsonpos.h - line and column of JSON values by JSON Pointer (cJSON keeps no positions).
 * Role: error messages of the scenario loader name file, line, column and JSON path.
 */
#ifndef CLI_JSONPOS_H
#define CLI_JSONPOS_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* Line and column (1-based, in characters) of byte `offset` of text. */
void jsonpos_at(const char *text, size_t offset, unsigned *line, unsigned *col);
/* Indexes every value of a well-formed JSON text by its JSON Pointer ("" = the root). */
GHashTable *jsonpos_index(const char *text);
/* The position of `pointer`, or of its nearest ancestor present in the text; false if none. */
bool jsonpos_find(GHashTable *index, const char *text, const char *pointer, unsigned *line, unsigned *col);

#endif /* CLI_JSONPOS_H */
