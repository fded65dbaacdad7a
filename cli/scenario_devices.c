/* SPDX-License-Identifier: MIT */
/*
 * scenario_devices.c - a scenario's devices: the key tables of VM devices (disk, nic) and host
 *                      devices (nvme, nic), their checks, and their binding to the io configs.
 * Role: part of the scenario loader (private to cli/scenario*.c, through cli/scenario-int.h):
 *       scenario.c checks with check_host_devices / check_devices and binds with
 *       bind_host_devices / bind_devices; scenario_reference prints the four device tables.
 * Kinds: a VM device's and a host device's table is chosen by its kind (disk, nic; nvme, nic),
 *        so each kind has its own defaults and a key of the other kind is named as such.
 */
#include <stdarg.h>
#include <string.h>

#include "cli/scenario-int.h"
#include "models/io/disk.h"
#include "models/io/net.h"

/* ---- the tables ---- */

/* Filled from the io models' cost tables (device_cost_tables_init). A disk and an adapter take different costs (some names
   are shared, with different defaults), so each kind has its own table. */
static struct param disk_cost_keys[IO_DISK_NCOSTS + 1];
static struct param net_cost_keys[IO_NET_NCOSTS + 1];

/* The physical block device (blockdev.h): a disk's own device, or a host "nvme" device. */
#define BLOCKDEV_KEYS                                                                                                \
	{"queues", PARAM_INT, "64", 1, 65536, NULL, NULL, "device submission queues", NULL, 0},                        \
	{"queue_depth", PARAM_INT, "1024", 1, 65536, NULL, NULL, "entries per queue", NULL, 0},                        \
	{"parallelism", PARAM_INT, "32", 1, 65536, NULL, NULL, "media operations in flight at once [R]", NULL, 0},     \
	{"read_latency", PARAM_TIME, "\"80us\"", 0, 1e10, NULL, "ns", "media time of a read [R]", NULL, 0},            \
	{"write_latency", PARAM_TIME, "\"20us\"", 0, 1e10, NULL, "ns", "media time of a write (write cache) [R]", NULL, 0}, \
	{"bandwidth", PARAM_BYTES, "3200000000", 1, 1e12, NULL, "bytes/s", "transfer link (PCIe 3 x4 less overhead) [R]", NULL, 0}

/* The physical NIC, its link and the peer (net.h): an adapter's own NIC, or a host "nic" device. */
#define NIC_KEYS                                                                                                     \
	{"gbps", PARAM_NUMBER, "10", 0.001, 1000, NULL, "Gb/s", "link rate per direction", NULL, 0},                   \
	{"mtu", PARAM_INT, "1500", 576, 9216, NULL, "bytes", "IP packet size (9216: jumbo frames); MSS = mtu - 40", NULL, 0}, \
	{"queues", PARAM_INT, "8", 1, 1024, NULL, NULL, "RSS / VF queue pairs [R]", NULL, 0},                          \
	{"tso", PARAM_BOOL, "true", 0, 0, NULL, NULL, "TCP segmentation offload (software hands over up to 64 KiB)", NULL, 0}, \
	{"lro", PARAM_BOOL, "true", 0, 0, NULL, NULL, "receive coalescing (LRO/GRO)", NULL, 0},                         \
	{"csum", PARAM_BOOL, "true", 0, 0, NULL, NULL, "checksum offload (else the stack checksums: costs.csum_byte)", NULL, 0}, \
	{"latency", PARAM_TIME, "\"10us\"", 0, 1e10, NULL, "ns", "one way to the peer: cables, switches, the peer's stack [R]", NULL, 0}

/* Keys every VM device has. */
#define DEVICE_COMMON_KEYS(kinds, kind_default, name_doc)                                                           \
	{"name", PARAM_STRING, "null", 0, 0, NULL, NULL, name_doc, NULL, 0},                                          \
	{"kind", PARAM_ENUM, kind_default, 0, 0, kinds, NULL,                                                         \
	 "PATH-disk / PATH-nic also set path (synthetic-disk: kind disk, path synthetic)", NULL, 0},                  \
	{"path", PARAM_ENUM, "\"synthetic\"", 0, 0, "native|sriov|synthetic|emulated", NULL,                         \
	 "how the guest reaches it (docs/io.md); the bare-metal twin uses native", NULL, 0},                           \
	{"backend", PARAM_STRING, "null", 0, 0, NULL, NULL,                                                           \
	 "a host device (/host/devices) shared with other VMs' devices; else a device of its own", NULL, 0}

const struct param disk_device_keys[] = {
	DEVICE_COMMON_KEYS("disk|synthetic-disk|emulated-disk|sriov-disk|native-disk", "\"disk\"",
			   "unique in the VM (workloads name it; scope dev:VM/NAME); default disk0, disk1... in order"),
	BLOCKDEV_KEYS,
	{"ring_size", PARAM_BYTES, "\"128KiB\"", 4096, 1073741824, NULL, "bytes", "synthetic: VMBus ring per direction (storvsc [S])", NULL, 0},
	{"ide_accesses", PARAM_INT, "7", 1, 1000, NULL, NULL, "emulated: register accesses per transfer (REFERENCE 5.4 [M])", NULL, 0},
	{"ide_isr_accesses", PARAM_INT, "2", 0, 1000, NULL, NULL, "emulated: register accesses in the interrupt handler [R]", NULL, 0},
	{"costs", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "path cost overrides by name, ns (docs/io.md)", disk_cost_keys, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

const struct param nic_device_keys[] = {
	DEVICE_COMMON_KEYS("nic|synthetic-nic|emulated-nic|sriov-nic|native-nic", NULL,
			   "unique in the VM (workloads name it; scope dev:VM/NAME); default nic0, nic1... in order"),
	NIC_KEYS,
	{"channels", PARAM_INT, "8", 1, 64, NULL, NULL, "synthetic: vRSS channels at most (REFERENCE 5.1 [S])", NULL, 0},
	{"host_queues", PARAM_INT, "0", 0, 1024, NULL, NULL,
	 "synthetic/emulated: root VPs carrying the traffic (VMMQ); 1 = one VMQ (REFERENCE 5.3 [M]); 0 = one per channel", NULL, 0},
	{"ring_size", PARAM_BYTES, "\"512KiB\"", 4096, 1073741824, NULL, "bytes", "synthetic: VMBus ring per direction (netvsc [S])", NULL, 0},
	{"tulip_tx_accesses", PARAM_INT, "1", 1, 1000, NULL, NULL, "emulated: register accesses to send a frame (CSR1 poll demand) [R]", NULL, 0},
	{"tulip_isr_accesses", PARAM_INT, "2", 0, 1000, NULL, NULL, "emulated: register accesses per interrupt (read and clear CSR5) [R]", NULL, 0},
	{"costs", PARAM_OBJECT, "{}", 0, 0, NULL, NULL, "path cost overrides by name, in each cost's unit (docs/io.md)", net_cost_keys, 0},
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

const struct param host_nvme_keys[] = {
	{"kind", PARAM_ENUM, NULL, 0, 0, "nvme|nic", NULL, "an NVMe-like SSD (blockdev.h)", NULL, 0},
	BLOCKDEV_KEYS,
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

const struct param host_nic_keys[] = {
	{"kind", PARAM_ENUM, NULL, 0, 0, "nvme|nic", NULL, "a NIC with its link and the peer at its other end (net.h)", NULL, 0},
	NIC_KEYS,
	{NULL, 0, NULL, 0, 0, NULL, NULL, NULL, NULL, 0},
};

static char *cost_defaults[IO_DISK_NCOSTS + IO_NET_NCOSTS];

/* Once, under costs_tables_init's guard (scenario.c): the defaults are the models' own. */
void device_cost_tables_init(void)
{
	struct io_disk_config dc;
	io_disk_config_default(&dc);
	for (int i = 0; i < IO_DISK_NCOSTS; i++) {
		char **slot = &cost_defaults[i];
		*slot = g_strdup_printf("%llu", (unsigned long long)dc.cost_ns[i]);
		disk_cost_keys[i] = (struct param){io_disk_cost_name((enum io_disk_cost)i), PARAM_INT, *slot, 0, 1e12, NULL,
						   "ns", io_disk_cost_source((enum io_disk_cost)i), NULL, 0};
	}
	for (int i = 0; i < IO_NET_NCOSTS; i++) {
		enum io_net_cost nc = (enum io_net_cost)i;
		char **slot = &cost_defaults[IO_DISK_NCOSTS + i];
		*slot = g_strdup_printf("%llu", (unsigned long long)io_net_cost_default(nc));
		net_cost_keys[i] = (struct param){io_net_cost_name(nc), PARAM_INT, *slot, 0, 1e12, NULL, io_net_cost_unit(nc),
						  io_net_cost_source(nc), NULL, 0};
	}
}

/* ---- devices: a table per kind, chosen by the kind the object names ---- */

static const struct param *row(const struct param *table, const char *name)
{
	for (const struct param *p = table; p && p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

/* A table's names, ", "-separated (for messages); g_malloc'd. */
static char *row_names(const struct param *table)
{
	GString *s = g_string_new(NULL);
	for (const struct param *p = table; p && p->name; p++)
		g_string_append_printf(s, "%s%s", s->len ? ", " : "", p->name);
	return g_string_free(s, FALSE);
}

static char *printed(const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	char *out = g_strdup(s ? s : "?");
	cJSON_free(s);
	return out;
}

/* fail_at for pointer + "/" + key. */
static bool fail_key(struct ctx *c, const char *pointer, const char *key, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
static bool fail_key(struct ctx *c, const char *pointer, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = g_strdup_vprintf(fmt, ap);
	va_end(ap);
	char *p = param_pointer_child(pointer, key);
	fail_at(c, p, "%s", msg);
	g_free(p);
	g_free(msg);
	return false;
}

static bool resolve_at(struct ctx *c, const struct param *table, cJSON *o, const char *ptr)
{
	struct param_error pe = {0};
	if (param_resolve(table, o, ptr, &pe))
		return true;
	fail_at(c, pe.pointer, "%s", pe.message);
	param_error_clear(&pe);
	return false;
}

/*
 * A key that belongs to the other kind's table is an error naming both (a NIC's gbps on a disk),
 * not an unknown key; so is a cost of the other kind. Keys of neither are left to param_resolve
 * (unknown key, did you mean).
 */
static bool check_foreign_keys(struct ctx *c, const cJSON *d, const char *ptr, const struct param *own,
			       const struct param *other, const char *own_kind, const char *a_own_kind, const char *other_kind)
{
	for (const cJSON *x = d->child; x; x = x->next)
		if (!row(own, x->string) && row(other, x->string))
			return fail_key(c, ptr, x->string, "'%s' is a %s key: %s does not take it", x->string, other_kind,
					a_own_kind);
	const cJSON *costs = cJSON_GetObjectItemCaseSensitive(d, "costs");
	const struct param *oc = row(own, "costs"), *xc = row(other, "costs");
	if (!cJSON_IsObject(costs) || !oc || !xc)
		return true;
	for (const cJSON *x = costs->child; x; x = x->next) {
		if (row(oc->fields, x->string) || !row(xc->fields, x->string))
			continue;
		char *names = row_names(oc->fields);
		char *p = param_pointer_child(ptr, "costs");
		fail_key(c, p, x->string, "'%s' is a %s cost, not a %s one (%s's costs: %s)", x->string, other_kind,
			 own_kind, a_own_kind, names);
		g_free(p);
		g_free(names);
		return false;
	}
	return true;
}

/* Each /host/devices/NAME: {"kind": "nvme"|"nic", keys of the kind}, completed with defaults. */
bool check_host_devices(struct ctx *c, cJSON *devs)
{
	for (cJSON *d = devs->child; d; d = d->next) {
		char *ptr = param_pointer_child("/host/devices", d->string);
		bool ok = true;
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(d, "kind");
		if (!cJSON_IsObject(d)) {
			ok = fail_at(c, ptr, "expected a device object {\"kind\": \"nvme\"|\"nic\", ...}") != NULL;
		} else if (!kind) {
			ok = fail_at(c, ptr, "a host device needs \"kind\": nvme or nic") != NULL;
		} else if (!cJSON_IsString(kind) || (strcmp(kind->valuestring, "nvme") != 0 && strcmp(kind->valuestring, "nic") != 0)) {
			char *got = printed(kind);
			ok = fail_key(c, ptr, "kind", "expected one of nvme, nic, got %s", got);
			g_free(got);
		} else {
			bool nic = strcmp(kind->valuestring, "nic") == 0;
			const struct param *own = nic ? host_nic_keys : host_nvme_keys, *other = nic ? host_nvme_keys : host_nic_keys;
			ok = check_foreign_keys(c, d, ptr, own, other, nic ? "nic" : "nvme", nic ? "a nic" : "an nvme device",
						nic ? "nvme" : "nic") &&
			     resolve_at(c, own, d, ptr);
		}
		g_free(ptr);
		if (!ok)
			return false;
	}
	return true;
}

static const struct {
	const char *kind;
	bool nic;
	const char *path;             /* an alias's path, or NULL */
} device_kinds[] = {
	{"disk", false, NULL},           {"nic", true, NULL},
	{"synthetic-disk", false, "synthetic"}, {"emulated-disk", false, "emulated"},
	{"sriov-disk", false, "sriov"},  {"native-disk", false, "native"},
	{"synthetic-nic", true, "synthetic"},   {"emulated-nic", true, "emulated"},
	{"sriov-nic", true, "sriov"},    {"native-nic", true, "native"},
};

/* The host device a VM device names as its backend: it must exist and be of the matching kind,
   and the VM device must not also set the physical device's keys. */
static bool check_backend(struct ctx *c, const cJSON *d, const char *ptr, bool nic, const cJSON *hostdevs)
{
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(d, "backend");
	if (!cJSON_IsString(b))
		return true; /* absent, or a type error param_resolve reports */
	const cJSON *hd = cJSON_GetObjectItemCaseSensitive(hostdevs, b->valuestring);
	if (!hd) {
		GString *names = g_string_new(NULL);
		for (const cJSON *x = hostdevs->child; x; x = x->next)
			g_string_append_printf(names, "%s%s", names->len ? ", " : "", x->string);
		fail_key(c, ptr, "backend", "no host device named '%s' (%s%s)", b->valuestring,
			 names->len ? "/host/devices has: " : "/host/devices is empty", names->str);
		g_string_free(names, TRUE);
		return false;
	}
	const char *hk = param_string(hd, "kind"), *want = nic ? "nic" : "nvme";
	if (strcmp(hk, want) != 0)
		return fail_key(c, ptr, "backend", "host device '%s' is of kind %s: a %s needs a host device of kind %s",
				b->valuestring, hk, nic ? "nic" : "disk", want);
	for (const struct param *p = nic ? host_nic_keys : host_nvme_keys; p->name; p++)
		if (strcmp(p->name, "kind") != 0 && cJSON_GetObjectItemCaseSensitive(d, p->name))
			return fail_key(c, ptr, p->name, "the device's physical %s is host device '%s' (backend): set %s on /host/devices/%s",
					nic ? "NIC" : "block device", b->valuestring, p->name, b->valuestring);
	return true;
}

/*
 * One VM device: its kind picks the table (a PATH-disk / PATH-nic alias becomes kind + path), keys
 * of the other kind are refused, the backend checked, defaults filled in (none of the physical
 * device's with a backend: they are the host device's), and the name defaulted to disk<i> / nic<i>
 * (i counted per kind in the VM) and checked unique in the VM.
 */
static bool check_device(struct ctx *c, cJSON *d, const char *ptr, const cJSON *hostdevs, uint32_t count[2],
			 GHashTable *names)
{
	if (!cJSON_IsObject(d))
		return fail_at(c, ptr, "expected a device object {\"kind\": \"disk\"|\"nic\", ...}") != NULL;
	cJSON *kind = cJSON_GetObjectItemCaseSensitive(d, "kind");
	size_t k = 0;
	if (kind) {
		while (k < G_N_ELEMENTS(device_kinds) &&
		       !(cJSON_IsString(kind) && strcmp(kind->valuestring, device_kinds[k].kind) == 0))
			k++;
		if (k == G_N_ELEMENTS(device_kinds)) {
			GString *choices = g_string_new(NULL);
			for (size_t i = 0; i < G_N_ELEMENTS(device_kinds); i++)
				g_string_append_printf(choices, "%s%s", i ? ", " : "", device_kinds[i].kind);
			char *got = printed(kind);
			fail_key(c, ptr, "kind", "expected one of %s, got %s", choices->str, got);
			g_free(got);
			g_string_free(choices, TRUE);
			return false;
		}
	}
	bool nic = device_kinds[k].nic;
	const struct param *own = nic ? nic_device_keys : disk_device_keys, *other = nic ? disk_device_keys : nic_device_keys;
	if (!check_foreign_keys(c, d, ptr, own, other, nic ? "nic" : "disk", nic ? "a nic" : "a disk", nic ? "disk" : "nic") ||
	    !check_backend(c, d, ptr, nic, hostdevs))
		return false;
	if (device_kinds[k].path) { /* the alias: kind and path */
		const char *want = device_kinds[k].path;
		const cJSON *path = cJSON_GetObjectItemCaseSensitive(d, "path");
		if (path && !(cJSON_IsString(path) && strcmp(path->valuestring, want) == 0)) {
			char *got = printed(path);
			fail_key(c, ptr, "path", "kind %s means path \"%s\", not %s (write kind \"%s\" and the path)",
				 device_kinds[k].kind, want, got, nic ? "nic" : "disk");
			g_free(got);
			return false;
		}
		cJSON_ReplaceItemInObjectCaseSensitive(d, "kind", cJSON_CreateString(nic ? "nic" : "disk"));
		if (!path)
			cJSON_AddStringToObject(d, "path", want);
	}
	if (!resolve_at(c, own, d, ptr))
		return false;
	if (cJSON_GetObjectItemCaseSensitive(d, "backend"))
		for (const struct param *p = nic ? host_nic_keys : host_nvme_keys; p->name; p++)
			if (strcmp(p->name, "kind") != 0)
				cJSON_DeleteItemFromObjectCaseSensitive(d, p->name);
	uint32_t i = count[nic]++;
	cJSON *name = cJSON_GetObjectItemCaseSensitive(d, "name");
	bool written = name != NULL;
	if (!name) {
		char *def = g_strdup_printf("%s%u", nic ? "nic" : "disk", i);
		name = cJSON_AddStringToObject(d, "name", def);
		g_free(def);
	}
	if (g_hash_table_contains(names, name->valuestring)) {
		char *p = written ? param_pointer_child(ptr, "name") : g_strdup(ptr);
		fail_at(c, p, "two devices of this VM are named '%s'%s", name->valuestring,
			written ? "" : " (this one by default: name it)");
		g_free(p);
		return false;
	}
	g_hash_table_add(names, name->valuestring);
	return true;
}

bool check_devices(struct ctx *c, cJSON *vm, const char *ptr, const cJSON *hostdevs)
{
	uint32_t count[2] = {0, 0};
	GHashTable *names = g_hash_table_new(g_str_hash, g_str_equal);
	bool ok = true;
	int i = 0;
	for (cJSON *d = cJSON_GetObjectItemCaseSensitive(vm, "devices")->child; d && ok; d = d->next, i++) {
		char *p = g_strdup_printf("%s/devices/%d", ptr, i);
		ok = check_device(c, d, p, hostdevs, count, names);
		g_free(p);
	}
	g_hash_table_destroy(names);
	return ok;
}

/* ---- binding ---- */

static void bind_blockdev(struct io_blockdev_config *b, const cJSON *j)
{
	b->queues = (uint32_t)param_int(j, "queues");
	b->queue_depth = (uint32_t)param_int(j, "queue_depth");
	b->parallelism = (uint32_t)param_int(j, "parallelism");
	b->read_latency = param_time(j, "read_latency");
	b->write_latency = param_time(j, "write_latency");
	b->bandwidth = param_bytes(j, "bandwidth");
}

static void bind_nic(struct io_nic_config *n, const cJSON *j)
{
	n->gbps = param_number(j, "gbps");
	n->mtu = (uint32_t)param_int(j, "mtu");
	n->queues = (uint32_t)param_int(j, "queues");
	n->tso = param_bool(j, "tso");
	n->lro = param_bool(j, "lro");
	n->csum = param_bool(j, "csum");
	n->latency = param_time(j, "latency");
}

void bind_host_devices(struct scenario *s, const cJSON *devs)
{
	for (const cJSON *d = devs->child; d; d = d->next) {
		struct scn_hostdev *h = g_new0(struct scn_hostdev, 1);
		h->name = d->string; /* lives in s->resolved */
		h->nic = strcmp(param_string(d, "kind"), "nic") == 0;
		io_blockdev_config_default(&h->blk);
		io_nic_config_default(&h->nic_cfg);
		if (h->nic) {
			bind_nic(&h->nic_cfg, d);
			h->nic_cfg.name = h->name;
		} else {
			bind_blockdev(&h->blk, d);
		}
		g_ptr_array_add(s->host_devices, h);
	}
}

static int32_t host_device_index(const struct scenario *s, const char *name)
{
	for (guint i = 0; name && i < s->host_devices->len; i++)
		if (strcmp(((const struct scn_hostdev *)s->host_devices->pdata[i])->name, name) == 0)
			return (int32_t)i;
	return -1;
}

/* A VM's checked devices into disk and adapter configs (backends as indices: see scn_devref). */
void bind_devices(const struct scenario *s, struct scn_vm *m, const cJSON *devs)
{
	m->disks = g_array_new(FALSE, FALSE, sizeof(struct io_disk_config));
	m->nets = g_array_new(FALSE, FALSE, sizeof(struct io_net_config));
	m->disk_refs = g_array_new(FALSE, FALSE, sizeof(struct scn_devref));
	m->net_refs = g_array_new(FALSE, FALSE, sizeof(struct scn_devref));
	uint32_t j = 0;
	for (const cJSON *dv = devs->child; dv; dv = dv->next, j++) {
		struct scn_devref ref = {.device = j, .backend = host_device_index(s, param_string(dv, "backend"))};
		if (strcmp(param_string(dv, "kind"), "nic") == 0) {
			struct io_net_config nc;
			io_net_config_default(&nc);
			nc.name = param_string(dv, "name");
			io_path_parse(param_string(dv, "path"), &nc.path);
			if (ref.backend < 0)
				bind_nic(&nc.nic, dv);
			nc.nic.name = nc.name;
			nc.channels = (uint32_t)param_int(dv, "channels");
			nc.host_queues = (uint32_t)param_int(dv, "host_queues");
			nc.ring_size = (uint32_t)param_bytes(dv, "ring_size");
			nc.tulip_tx_accesses = (uint32_t)param_int(dv, "tulip_tx_accesses");
			nc.tulip_isr_accesses = (uint32_t)param_int(dv, "tulip_isr_accesses");
			for (const cJSON *k = obj(dv, "costs")->child; k; k = k->next)
				io_net_cost_set(nc.cost, k->string, (uint64_t)k->valuedouble);
			g_array_append_val(m->nets, nc);
			g_array_append_val(m->net_refs, ref);
		} else {
			struct io_disk_config dc;
			io_disk_config_default(&dc);
			dc.name = param_string(dv, "name");
			io_path_parse(param_string(dv, "path"), &dc.path);
			if (ref.backend < 0)
				bind_blockdev(&dc.device, dv);
			dc.ring_size = (uint32_t)param_bytes(dv, "ring_size");
			dc.ide_accesses = (uint32_t)param_int(dv, "ide_accesses");
			dc.ide_isr_accesses = (uint32_t)param_int(dv, "ide_isr_accesses");
			for (const cJSON *k = obj(dv, "costs")->child; k; k = k->next)
				io_disk_cost_set(dc.cost_ns, k->string, (uint64_t)k->valuedouble);
			g_array_append_val(m->disks, dc);
			g_array_append_val(m->disk_refs, ref);
		}
	}
}
