/* SPDX-License-Identifier: MIT */
/*
 * storage.c - workload kind "storage": `threads` x `iodepth` guest tasks each issuing I/Os of
 *             `bs` bytes to the VM's disk `device` one after another (fio with a sync engine and
 *             numjobs = threads x iodepth: every in-flight I/O has its own task).
 * Direction: read/randread read, write/randwrite write, randrw draws each I/O's direction 50/50
 *            from stream "vm:NAME/wl:I/task:T/rw". The device model has no address-dependent
 *            latency, so sequential and random access differ only by name (docs/io.md).
 * Operation: one I/O. Latency: from the operation's start to its completion. Per task: its I/Os.
 */
#include <string.h>

#include "models/io/disk.h"
#include "workloads/wl-int.h"

struct storage_wl;

struct storage_task {
	struct storage_wl *wl;
	struct io_disk_io io;
	struct wl_stream rw;
	uint32_t slot; /* in the meter */
	sim_time_t started;
	bool busy;
};

struct storage_wl {
	struct sim *sim;
	struct wl_meter meter;
	bool mixed, write;
	uint32_t ntasks;
	struct storage_task *tasks;
};

static void task_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct storage_task *st = arg;
	struct storage_wl *wl = st->wl;
	sim_time_t now = sim_now(wl->sim);
	if (st->busy)
		wl_meter_record_task(&wl->meter, st->slot, now - st->started);
	st->busy = true;
	st->started = now;
	st->io.write = wl->mixed ? wl_stream_keep(&st->rw, (double)sim_rng_below(&st->rw.rng, 2)) != 0 : wl->write;
	gos_op_disk(op, &st->io);
}

static const struct gos_program task_program = {.next = task_next};

static void storage_free(void *inst)
{
	struct storage_wl *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	g_free(wl->tasks);
	g_free(wl);
}

static void *storage_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct io_disk *disk = wl_disk_find(env, "storage", param_string(params, "device"), error);
	if (!disk)
		return NULL;
	const char *rw = param_string(params, "rw");
	struct storage_wl *wl = g_new0(struct storage_wl, 1);
	wl->sim = gos_sim(env->k);
	wl->mixed = strcmp(rw, "randrw") == 0;
	wl->write = strcmp(rw, "write") == 0 || strcmp(rw, "randwrite") == 0;
	wl->ntasks = (uint32_t)(param_int(params, "threads") * param_int(params, "iodepth"));
	wl->tasks = g_new0(struct storage_task, wl->ntasks);
	wl_meter_init(&wl->meter, wl->sim);
	for (uint32_t i = 0; i < wl->ntasks; i++) {
		struct storage_task *st = &wl->tasks[i];
		st->wl = wl;
		st->io.disk = disk;
		st->io.bytes = param_bytes(params, "bs");
		wl_stream_init(&st->rw, env, "task:%u/rw", i);
		struct gos_task *t = wl_task_new(env, "io", i, 0, &task_program, st, error);
		if (!t) {
			storage_free(wl);
			return NULL;
		}
		st->slot = wl_meter_task(&wl->meter, t);
	}
	return wl;
}

static void storage_stats(void *inst, struct wl_stats *out)
{
	const struct storage_wl *wl = inst;
	uint64_t digest = 0;
	for (uint32_t i = 0; i < wl->ntasks; i++)
		digest = wl_digest_fold(digest, &wl->tasks[i].rw);
	wl_meter_stats(&wl->meter, digest, out);
}

static const struct param storage_params[] = {
	{.name = "device", .type = PARAM_STRING, .def = "\"disk0\"", .doc = "the VM's disk (a name in its devices)"},
	{.name = "rw", .type = PARAM_ENUM, .def = "\"randread\"", .choices = "read|write|randread|randwrite|randrw",
	 .doc = "direction (the device has no locality: sequential = random)"},
	{.name = "bs", .type = PARAM_BYTES, .def = "\"4KiB\"", .min = 1, .max = 1073741824, .unit = "bytes", .doc = "bytes per I/O"},
	{.name = "iodepth", .type = PARAM_INT, .def = "1", .min = 1, .max = 1024, .doc = "I/Os in flight per thread"},
	{.name = "threads", .type = PARAM_INT, .def = "1", .min = 1, .max = 256, .doc = "threads (fio numjobs)"},
	{0},
};

const struct wl_kind wl_kind_storage = {
	.name = "storage",
	.doc = "fio-like block I/O to one of the VM's disks",
	.ops_unit = "I/Os",
	.params = storage_params,
	.create = storage_create,
	.stats = storage_stats,
	.free = storage_free,
};
