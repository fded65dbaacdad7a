/* SPDX-License-Identifier: MIT */
/*
 * storage.c - workload kind "storage": I/Os of `bs` bytes to the VM's disk `device`, fio-like.
 *             sync (default): threads x iodepth tasks each issuing one I/O after another (fio's
 *             sync engine with numjobs = threads x iodepth: every in-flight I/O has its own task);
 *             async: `threads` tasks each keeping iodepth I/Os in flight (libaio): submit while a
 *             slot is free (gos_op_disk_submit), else block until a completion wakes it.
 * Direction: read/randread read, write/randwrite write, randrw draws each I/O's direction 50/50
 *            from stream "vm:NAME/wl:I/task:T/rw" (async: ".../thread:T/rw"). The device model has no address-dependent
 *            latency, so sequential and random access differ only by name (docs/io.md).
 * Operation: one I/O. Latency: from its submission's start to its completion. Per task: its I/Os.
 */
#include <string.h>

#include "models/io/disk.h"
#include "workloads/wl-int.h"

struct storage_wl;
struct storage_thread;

struct storage_io {
	struct io_disk_io io;
	struct storage_thread *th;
	sim_time_t started;
	bool busy;
};

/* A task: one I/O at a time (sync: one of threads x iodepth tasks) or iodepth of them (async). */
struct storage_thread {
	struct storage_wl *wl;
	struct gos_task *task;
	uint32_t slot;                /* in the meter */
	struct wl_stream rw;
	struct storage_io *ios;
	uint32_t nios;
};

struct storage_wl {
	struct sim *sim;
	struct wl_meter meter;
	bool mixed, write;
	uint32_t nthreads;
	struct storage_thread *threads;
};

static void fill(struct storage_thread *th, struct storage_io *x)
{
	struct storage_wl *wl = th->wl;
	x->busy = true;
	x->started = sim_now(wl->sim);
	x->io.write = wl->mixed ? wl_stream_keep(&th->rw, (double)sim_rng_below(&th->rw.rng, 2)) != 0 : wl->write;
}

/* sync: the previous I/O ended with the operation; do the next one */
static void sync_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct storage_thread *th = arg;
	struct storage_io *x = &th->ios[0];
	if (x->busy)
		wl_meter_record_task(&th->wl->meter, th->slot, sim_now(th->wl->sim) - x->started);
	fill(th, x);
	gos_op_disk(op, &x->io);
}

/* async: completions are counted as they come (io_done); submit while a slot is free, else wait */
static void async_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct storage_thread *th = arg;
	for (uint32_t i = 0; i < th->nios; i++)
		if (!th->ios[i].busy) {
			fill(th, &th->ios[i]);
			gos_op_disk_submit(op, &th->ios[i].io);
			return;
		}
	op->kind = GOS_OP_BLOCK; /* io_getevents: a completion's wake ends it (or a wake kept from before) */
}

static void io_done(struct io_disk_io *io)
{
	struct storage_io *x = io->ctx;
	struct storage_thread *th = x->th;
	wl_meter_record_task(&th->wl->meter, th->slot, sim_now(th->wl->sim) - x->started);
	x->busy = false;
	gos_task_wake(th->task);
}

static const struct gos_program sync_program = {.next = sync_next};
static const struct gos_program async_program = {.next = async_next};

static void storage_free(void *inst)
{
	struct storage_wl *wl = inst;
	if (!wl)
		return;
	wl_meter_clear(&wl->meter);
	for (uint32_t i = 0; i < wl->nthreads; i++)
		g_free(wl->threads[i].ios);
	g_free(wl->threads);
	g_free(wl);
}

static void *storage_create(const struct wl_env *env, const cJSON *params, GError **error)
{
	struct io_disk *disk = wl_disk_find(env, "storage", param_string(params, "device"), error);
	if (!disk)
		return NULL;
	const char *rw = param_string(params, "rw");
	bool sync = param_bool(params, "sync");
	uint32_t threads = (uint32_t)param_int(params, "threads"), depth = (uint32_t)param_int(params, "iodepth");
	struct storage_wl *wl = g_new0(struct storage_wl, 1);
	wl->sim = gos_sim(env->k);
	wl->mixed = strcmp(rw, "randrw") == 0;
	wl->write = strcmp(rw, "write") == 0 || strcmp(rw, "randwrite") == 0;
	wl->nthreads = sync ? threads * depth : threads;
	wl->threads = g_new0(struct storage_thread, wl->nthreads);
	wl_meter_init(&wl->meter, wl->sim);
	for (uint32_t i = 0; i < wl->nthreads; i++) {
		struct storage_thread *th = &wl->threads[i];
		th->wl = wl;
		th->nios = sync ? 1 : depth;
		th->ios = g_new0(struct storage_io, th->nios);
		for (uint32_t j = 0; j < th->nios; j++)
			th->ios[j] = (struct storage_io){.th = th, .io = {.disk = disk, .bytes = param_bytes(params, "bs"),
									   .done = sync ? NULL : io_done, .ctx = &th->ios[j]}};
		if (sync)
			wl_stream_init(&th->rw, env, "task:%u/rw", i);
		else
			wl_stream_init(&th->rw, env, "thread:%u/rw", i);
		th->task = wl_task_new(env, "io", i, 0, sync ? &sync_program : &async_program, th, error);
		if (!th->task) {
			storage_free(wl);
			return NULL;
		}
		th->slot = wl_meter_task(&wl->meter, th->task);
	}
	return wl;
}

static void storage_stats(void *inst, struct wl_stats *out)
{
	const struct storage_wl *wl = inst;
	uint64_t digest = 0;
	for (uint32_t i = 0; i < wl->nthreads; i++)
		digest = wl_digest_fold(digest, &wl->threads[i].rw);
	wl_meter_stats(&wl->meter, digest, out);
}

static const struct param storage_params[] = {
	{.name = "device", .type = PARAM_STRING, .def = "\"disk0\"", .doc = "the VM's disk (a name in its devices)"},
	{.name = "rw", .type = PARAM_ENUM, .def = "\"randread\"", .choices = "read|write|randread|randwrite|randrw",
	 .doc = "direction (the device has no locality: sequential = random)"},
	{.name = "bs", .type = PARAM_BYTES, .def = "\"4KiB\"", .min = 1, .max = 1073741824, .unit = "bytes", .doc = "bytes per I/O"},
	{.name = "iodepth", .type = PARAM_INT, .def = "1", .min = 1, .max = 1024, .doc = "I/Os in flight per thread"},
	{.name = "threads", .type = PARAM_INT, .def = "1", .min = 1, .max = 256, .doc = "threads (fio numjobs)"},
	{.name = "sync", .type = PARAM_BOOL, .def = "true",
	 .doc = "true: a task per in-flight I/O (fio's sync engine, numjobs = threads x iodepth); false: a task per thread keeping iodepth I/Os in flight (libaio)"},
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
