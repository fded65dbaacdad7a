/* SPDX-License-Identifier: MIT */
/* path.c - names of the I/O paths (path.h). */
#include <string.h>

#include <glib.h>

#include "models/io/path.h"

static const char *const path_names[] = {"native", "sriov", "synthetic", "emulated"};
const char *io_path_name(enum io_path p) { return path_names[p]; }

bool io_path_parse(const char *s, enum io_path *out)
{
	for (unsigned i = 0; i < G_N_ELEMENTS(path_names); i++)
		if (strcmp(s, path_names[i]) == 0) {
			*out = (enum io_path)i;
			return true;
		}
	return false;
}
