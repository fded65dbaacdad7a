/* SPDX-License-Identifier: MIT */
/*
 * scenario-int.h - what the scenario loader's files share: the error context, fail_at, and the
 *                  device part (scenario_devices.c) that scenario.c checks, binds and documents with.
 * Role: private to cli/scenario*.c; everything else uses cli/scenario.h.
 */
#ifndef CLI_SCENARIO_INT_H
#define CLI_SCENARIO_INT_H

#include <cjson/cJSON.h>
#include <glib.h>

#include "cli/scenario.h"
#include "workloads/param.h"

/* ---- errors with a place (scenario.c) ---- */

/* Where messages point: the scenario file, its text and the positions of its values (jsonpos),
   and the caller's error. */
struct ctx {
	const char *path;
	char *text;
	GHashTable *pos;                  /* NULL before the JSON parsed: messages then have no LINE:COL */
	const char *prefix;               /* where the scenario sits in the file ("" or a sweep's "/base") */
	GError **error;
};

/*
 * Sets *c->error to "FILE:LINE:COL: POINTER: message" (the pointer "" printed as "/"). Returns NULL,
 * so a check can end with `return fail_at(...) != NULL;`.
 */
void *fail_at(struct ctx *c, const char *pointer, const char *fmt, ...) G_GNUC_PRINTF(3, 4);

/*
 * Reads and parses c->path into c->text and c->pos (both the caller's to free, also on failure);
 * NULL with *c->error set ("FILE: why", "FILE:LINE:COL: malformed JSON near here").
 */
cJSON *ctx_parse_file(struct ctx *c);

/* A key of a resolved object (borrowed; NULL if absent). */
static inline const cJSON *obj(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

/* ---- devices (scenario_devices.c) ---- */

/* The key tables of a VM device by kind and of a host device by kind (scenario_reference prints them). */
extern const struct param disk_device_keys[], nic_device_keys[], host_nvme_keys[], host_nic_keys[];

/* Fills the disk and adapter cost tables from the io models; called once, by costs_tables_init. */
void device_cost_tables_init(void);

/* Checks /host/devices (each {"kind": "nvme"|"nic", keys}) and fills in defaults. */
bool check_host_devices(struct ctx *c, cJSON *devs);
/* Checks the VM at `ptr`'s /devices against their kinds' tables and `hostdevs`; fills in defaults
   and names. */
bool check_devices(struct ctx *c, cJSON *vm, const char *ptr, const cJSON *hostdevs);

/* The checked /host/devices into s->host_devices, in the file's order. */
void bind_host_devices(struct scenario *s, const cJSON *devs);
/* A VM's checked devices into m->disks / m->nets (and their scn_devref). */
void bind_devices(const struct scenario *s, struct scn_vm *m, const cJSON *devs);

#endif /* CLI_SCENARIO_INT_H */
