/* SPDX-License-Identifier: MIT */
/*
 * scenario.h - a scenario file, loaded: checked against the key tables, defaults filled in,
 *              overrides applied, and bound to the models' configuration structs.
 * Role: the only reader of scenario JSON. Errors (exit status 2) read
 *       "FILE:LINE:COL: /json/pointer: what was expected, got what"; docs/scenario-reference.md
 *       is generated from the same tables (scenario_reference), and a test keeps them equal.
 */
#ifndef CLI_SCENARIO_H
#define CLI_SCENARIO_H

#include <cjson/cJSON.h>
#include <glib.h>

#include "models/guestos/guestos.h"
#include "models/hypervisor/hv.h"
#include "models/io/disk.h"
#include "models/io/net.h"

GQuark scenario_error_quark(void);

struct scn_vm {
	char *name;                       /* "web", or "web-1".. with count > 1 */
	uint32_t index;                   /* its entry in /vms (for messages) */
	struct hv_partition_config part;  /* part.name = name */
	uint32_t *affinity;               /* owned copy (part.affinity) */
	struct gos_config guest;          /* guest.paravirt.schedule = pv_steps */
	struct gos_pv_step *pv_steps;     /* owned copy of the paravirt schedule, or NULL */
	const cJSON *workloads;           /* resolved workload objects (an array; borrowed) */
	GArray *disks;                    /* struct io_disk_config (names borrowed from the resolved JSON) */
	GArray *nets;                     /* struct io_net_config (likewise) */
	GArray *disk_refs, *net_refs;     /* struct scn_devref, one per disk / net, in the same order */
};

/* Where a VM's disk or adapter was written and the host device it uses (config.backend is left
   NULL: each world creates its own host devices and fills it in). */
struct scn_devref {
	uint32_t device;                  /* its index in /vms/N/devices */
	int32_t backend;                  /* its index in scenario.host_devices, or -1: a device of its own */
};

/* A physical device of /host/devices, shared by the VM devices that name it as their backend. */
struct scn_hostdev {
	const char *name;                 /* "nvme0" (borrowed from the resolved JSON) */
	bool nic;                         /* kind nic (nic_cfg), else nvme (blk) */
	struct io_blockdev_config blk;
	struct io_nic_config nic_cfg;     /* nic_cfg.name = name */
};

struct scn_action {
	sim_time_t at;
	enum hv_action_kind kind;
	char *vm;                         /* a VM's name after count expansion, or a template name */
	double value;
	char *device;                     /* vf-remove / vf-add: the adapter's name (kind is then unused); else NULL */
	bool vf_present;                  /* vf-add */
};

struct scenario {
	char *path, *name, *description;
	cJSON *resolved;                  /* the complete configuration, defaults filled in */
	char *config_json;                /* resolved, printed compactly (stored with every run) */
	char *config_hash;                /* SHA-256 of config_json */
	struct hw_config host;
	uint32_t *distance;               /* owned SLIT matrix, or NULL */
	struct hv_config hv;
	const char *hv_kind;              /* "hyperv", "kvm", "none" */
	GPtrArray *host_devices;          /* struct scn_hostdev *, in the file's order */
	GPtrArray *vms;                   /* struct scn_vm * */
	GArray *timeline;                 /* struct scn_action */
	sim_time_t duration, warmup;
	uint64_t seed;
	uint32_t replications;
	bool baseline;                    /* run the bare-metal twin */
	char *text;                       /* the file, and where its values are (for messages) */
	GHashTable *pos;
	char *prefix;                     /* the scenario's place in the file: "" or a sweep's "/base" */
};

/*
 * Loads `path`, applies `sets` ("/json/pointer=VALUE", VALUE being JSON or else a string; NULL-
 * terminated, may be NULL) and checks everything. NULL with an error naming the place.
 */
struct scenario *scenario_load(const char *path, const char *const *sets, GError **error);
/*
 * scenario_load of the object at `prefix` ("/base": a sweep's inline scenario) inside the JSON
 * file `path`; messages name the file and the full pointer (/base/vms/0/...), and relative paths
 * (workload files) are relative to the file.
 */
struct scenario *scenario_load_at(const char *path, const char *prefix, const char *const *sets, GError **error);
void scenario_free(struct scenario *s);
/*
 * Turns *error (the models refusing a configuration) into a scenario error (exit status 2) that
 * names the place: "FILE:LINE:COL: POINTER: message".
 */
void scenario_locate_error(const struct scenario *s, const char *pointer, GError **error);

/* Does VM `vm` answer to `name` (its own name, or the base name of counted copies)? */
bool scenario_vm_matches(const char *vm, const char *name);

/* The markdown reference of every key (docs/scenario-reference.md is this text). */
char *scenario_reference(void);

#endif /* CLI_SCENARIO_H */
