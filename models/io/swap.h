/* SPDX-License-Identifier: MIT */
/*
 * swap.h - a VM's swap device for the guest's paging model (docs/memory.md "Paging"): each major
 *          fault reads one page (GOS_PAGE_BYTES) through the VM's disk path, as a gos_op_disk of
 *          the faulting task, so paging shows in the disk's I/O metrics and latency.
 * Role: io_swap_new hooks itself into the kernel (gos_set_swap); it owns one struct io_disk_io
 *       per task, made at the task's first fault.
 */
#ifndef MODELS_IO_SWAP_H
#define MODELS_IO_SWAP_H

#include "models/io/disk.h"

struct io_swap;

/* Kernel k swaps to disk d (k's disk). */
struct io_swap *io_swap_new(struct gos_kernel *k, struct io_disk *d);
/* After the run, and after the disk (its rings may hold packets of the I/Os freed here). */
void io_swap_free(struct io_swap *s);

#endif /* MODELS_IO_SWAP_H */
