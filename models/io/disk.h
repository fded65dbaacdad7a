/* SPDX-License-Identifier: MIT */
/*
 * disk.h - a VM's disk and the path its I/O takes to a physical block device: native (bare
 *          metal), SR-IOV (direct device access, virtualized interrupts), synthetic (storvsc over
 *          a VMBus channel to StorVSP in the root) or emulated (an IDE controller whose register
 *          accesses are intercepts served by the VM's worker process in the root).
 * Role: a workload hands out gos_op_disk operations; the guest driver half of each path runs in
 *       the task's operation and the vCPU's interrupt handler (guestos hooks), the host half in
 *       the root partition's VPs (hv_root_submit). docs/io.md has the model, costs and sources.
 */
#ifndef MODELS_IO_DISK_H
#define MODELS_IO_DISK_H

#include "models/guestos/guestos.h"
#include "models/io/blockdev.h"
#include "models/io/path.h"
#include "models/io/vmbus.h"


/* Path costs, X(id, name, default ns, source); all [R] unless the source says otherwise. */
#define IO_DISK_COSTS(X)                                                                                \
	X(BLK_SUBMIT, "blk_submit", 2000, "R: block layer + driver submission (blk-mq, NVMe doorbell)")     \
	X(BLK_COMPLETE, "blk_complete", 1500, "R: completion handling and waking the task")                \
	X(VSC_PACKET, "vsc_packet", 1000, "R: storvsc builds or parses one VMBus packet")                   \
	X(VSP_WAKEUP, "vsp_wakeup", 2000, "R: the StorVSP thread wakes to drain a channel")                 \
	X(VSP_SUBMIT, "vsp_submit", 10000, "R: StorVSP per request (with vsp_complete: REFERENCE 8 storvsp_host_cpu_per_io 15 us)") \
	X(VSP_COMPLETE, "vsp_complete", 5000, "R: StorVSP completes a request into the inbound ring")      \
	X(ROOT_IRQ, "root_irq", 1000, "R: the root handles the physical device's interrupt")
enum io_disk_cost {
#define X(id, name, def, src) IO_DISK_COST_##id,
	IO_DISK_COSTS(X)
#undef X
	IO_DISK_NCOSTS
};
const char *io_disk_cost_name(enum io_disk_cost c);
const char *io_disk_cost_source(enum io_disk_cost c);
/* Sets a cost by name (ns); false when there is no such cost. */
bool io_disk_cost_set(uint64_t ns[IO_DISK_NCOSTS], const char *name, uint64_t value);

struct io_disk_config {
	const char *name;             /* for metrics: scope dev:NAME */
	enum io_path path;
	struct io_blockdev_config device; /* its own device, when backend is NULL */
	struct io_blockdev *backend;  /* a host device shared with other disks (host.devices), or NULL */
	uint32_t ring_size;           /* synthetic: bytes per ring direction (128 KiB, storvsc [S]) */
	uint32_t ide_accesses;        /* emulated: register accesses to start one transfer (7 [M], REFERENCE 5.4) */
	uint32_t ide_isr_accesses;    /* emulated: accesses in the interrupt handler (status, ack: 2 [R]) */
	uint64_t cost_ns[IO_DISK_NCOSTS];
};
void io_disk_config_default(struct io_disk_config *c);

struct io_disk;

/* The disk of kernel k on the host of hv (its own physical device). NULL with an error. */
struct io_disk *io_disk_new(struct gos_kernel *k, struct hv *hv, const struct io_disk_config *cfg, GError **error);
void io_disk_free(struct io_disk *d); /* after the run */
const char *io_disk_name(const struct io_disk *d);

/* One I/O, owned by the caller (a workload keeps one per task). */
struct io_disk_io {
	struct io_disk *disk;
	uint64_t bytes;
	bool write;
	/* asynchronous I/O (gos_op_disk_submit): called at completion from the completing context
	   (the guest's interrupt bottom half), instead of ending the task's operation */
	void (*done)(struct io_disk_io *io);
	void *ctx;                    /* the caller's */
	/* private */
	struct io_req req;
	struct gos_task *task;
	sim_time_t start;
	uint32_t step, cpu, chan;    /* step: register accesses made (emulated) / packet written (synthetic) */
	bool waiting, completed;     /* the operation blocked for it / it completed before that */
	struct vmbus_packet out, in;
	GList link;
	uint64_t flow;                /* trace: its flow id (0: not traced) */
};
/* Fills a task's next operation: do io (read or write of io->bytes); it ends when the I/O completes. */
void gos_op_disk(struct gos_op *op, struct io_disk_io *io);
/* The same submission (its CPU, register accesses, ring write and signal), but the operation ends
   once the request is handed over (to the device, the ring, or the driver's queue for ring space:
   submission never waits); io->done (required) reports the completion (libaio's io_submit). */
void gos_op_disk_submit(struct gos_op *op, struct io_disk_io *io);

struct io_disk_stats {
	uint64_t ios, bytes;
	/* conservation: in_flight_start + submitted = ios + in_flight_end, exactly */
	uint64_t submitted;           /* I/Os started since the warm-up */
	uint64_t in_flight_start, in_flight_end; /* started and not finished at the warm-up, at the end */
	uint64_t signals;             /* synthetic: guest -> host signals (SIGNAL_EVENT hypercalls) */
	uint64_t guest_interrupts;    /* completion interrupts raised to the guest */
	uint64_t ring_full_stalls;    /* synthetic: requests that found the outbound ring full */
	uint64_t vsp_batches;         /* synthetic: drains by the VSP */
	double root_ns;               /* root CPU spent for this disk (StorVSP, the IDE worker process) */
	const struct sim_hist *latency; /* ps from the operation's start to its end */
};
void io_disk_stats(const struct io_disk *d, struct io_disk_stats *out);

#endif /* MODELS_IO_DISK_H */
