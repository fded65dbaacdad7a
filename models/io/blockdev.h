/* SPDX-License-Identifier: MIT */
/*
 * blockdev.h - a physical block device (an NVMe-like SSD): submission queues, media slots, one link.
 * Role: the bottom of the storage path. Whoever issues I/O (a native driver, a VSP in the root
 *       partition) embeds a struct io_req, submits it on one of the device's queues and is called
 *       back at completion. The device itself never touches a CPU: its work is media time and link
 *       time only.
 * Model: an op takes one of `parallelism` media slots (FIFO across all queues, in submission
 *       order), holds it for read_latency or write_latency, releases it, then transfers its bytes
 *       over the single link (FIFO, in the order the media finished) in
 *       ceil(bytes x 10^12 / bandwidth) ps, then completes. So media of one op overlaps the
 *       transfer of another, and throughput is min(parallelism / latency, bandwidth / bytes) ops/s
 *       once enough ops are queued. Its queue entry is held from submission to completion.
 * Simplifies: no queue arbitration (one FIFO over all queues, not NVMe round robin); reads and
 *       writes both do media then transfer (a real write transfers first); no per-queue doorbell or
 *       interrupt cost, no garbage collection, no write-cache flushes, latency does not depend on
 *       size or address.
 * Cost: submit and completion are O(1) and allocate nothing (intrusive lists, a fixed pool of
 *       `parallelism` slots with embedded timers, one link timer).
 * See: tests/unit/io/test_blockdev.c
 */
#ifndef MODELS_IO_BLOCKDEV_H
#define MODELS_IO_BLOCKDEV_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/sim.h"

#define IO_BLOCKDEV_MAX_QUEUES 65536      /* NVMe: at most 65535 I/O queues + the admin queue */
#define IO_BLOCKDEV_MAX_QUEUE_DEPTH 65536 /* NVMe: at most 64 Ki entries per queue */
#define IO_BLOCKDEV_MAX_PARALLELISM 65536 /* memory bound of the slot pool, not a device limit */

/*
 * Defaults are engineering estimates [R] for a PCIe 3.0 x4 datacenter TLC SSD; ../shared/REFERENCE.md
 * has no device figures (5.2 covers only the storvsc/StorVSP path above it), so every number here,
 * including the NVMe and PCIe limits recalled from their specifications, is [R]. Calibrate before use.
 */
struct io_blockdev_config {
	uint32_t queues;          /* submission queues (default 64) [R] */
	uint32_t queue_depth;     /* entries per queue (default 1024) [R]; NVMe allows up to 64 Ki */
	uint32_t parallelism;     /* media operations in flight at once (default 32) [R] (dies x planes) */
	sim_time_t read_latency;  /* media time of a read (default 80 us) [R] (4 KiB random read, QD1) */
	sim_time_t write_latency; /* media time of a write (default 20 us) [R] (lands in the write cache) */
	uint64_t bandwidth;       /* bytes/s of the link (default 3.2e9) [R]: PCIe 3.0 x4 is 8 GT/s x 4
				     lanes x 128/130 / 8 = 3.94e9 B/s raw, less TLP/DLLP overhead */
};
void io_blockdev_config_default(struct io_blockdev_config *c);

struct io_blockdev;

/*
 * One I/O. Owned by the caller, who embeds it and gets back to the outer struct with
 * sim_container_of. The caller fills bytes, write and done, zeroes the private fields before the
 * first submit (a designated initializer or g_new0 does), and must not touch the request between a
 * successful submit and the done call. A request may be submitted again from its own done.
 */
struct io_req {
	uint64_t bytes;                  /* bytes to transfer over the link (0 allowed) */
	bool write;                      /* media time: write_latency, else read_latency */
	void (*done)(struct io_req *r);  /* completion: device context (no vCPU), sim_now() is the time */
	uint64_t flow;                   /* trace flow id (sim_trace_flow_id), 0: none; set by the submitter */
	/* private: the device's, valid between submit and done */
	struct io_req *next;             /* slot wait list, then link list */
	sim_time_t submitted;            /* for the latency histogram */
	sim_time_t xfer;                 /* link time, computed at submit */
	uint32_t queue;
	bool busy;                       /* between submit and done */
};

/*
 * Builds the device and registers it as one entity ("name", copied). NULL with an error (domain
 * IO_ERROR) for a bad config. The sim keeps pointers into the device (entity, timers, tracked
 * statistics): free it after the run, never while the sim may still run.
 */
#define IO_ERROR (io_error_quark())
GQuark io_error_quark(void);
struct io_blockdev *io_blockdev_new(struct sim *sim, const char *name, const struct io_blockdev_config *cfg,
				    GError **error);
/* Frees the device (after sim_free, or at least after the last sim_run). Requests are not touched. */
void io_blockdev_free(struct io_blockdev *d);

/*
 * Queues r on queue q (q < queues; r not already submitted: both model bugs). Returns false when q
 * already holds queue_depth requests: r is left untouched and the caller keeps it and retries, for
 * instance from the done of one of its earlier requests. Never calls done synchronously.
 */
bool io_blockdev_submit(struct io_blockdev *d, uint32_t q, struct io_req *r);

/* The device's submission queues (its configuration's `queues`). */
uint32_t io_blockdev_queues(const struct io_blockdev *d);

/* Requests submitted on queue q and not yet completed. q out of range: g_return_val_if_fail, 0. */
uint32_t io_blockdev_inflight(const struct io_blockdev *d, uint32_t q);

/*
 * Statistics since the start or the warm-up: completed ops (reads + writes), their bytes, the time
 * at least one media slot was held (up to now) and the latency of each completed op, submission to
 * done, in ps. The histogram is borrowed from the device.
 */
struct io_blockdev_stats {
	uint64_t ops, reads, writes, bytes;
	sim_time_t busy;                /* media busy-any time */
	const struct sim_hist *latency; /* ps, submit to done */
};
void io_blockdev_stats(const struct io_blockdev *d, struct io_blockdev_stats *out);

#endif /* MODELS_IO_BLOCKDEV_H */
