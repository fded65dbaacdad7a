/* SPDX-License-Identifier: MIT */
/*
 * swap.c - the swap device of the guest's paging model (swap.h; docs/memory.md "Paging"): a
 *          fault's page read is a synchronous 4 KiB read of the faulting task on the VM's disk.
 */
#include "models/io/swap.h"

struct io_swap {
	struct io_disk *disk;
	GPtrArray *ios;               /* struct io_disk_io * by task id (NULL until its first fault), owned */
};

static void fill_op(void *ctx, struct gos_task *t, struct gos_op *op)
{
	struct io_swap *s = ctx;
	uint32_t id = gos_task_id(t);
	if (id >= s->ios->len)
		g_ptr_array_set_size(s->ios, (gint)id + 1);
	struct io_disk_io *io = s->ios->pdata[id];
	if (!io) {
		io = g_new0(struct io_disk_io, 1);
		io->disk = s->disk;
		s->ios->pdata[id] = io;
	}
	io->bytes = GOS_PAGE_BYTES;
	io->write = false;
	gos_op_disk(op, io);
}

struct io_swap *io_swap_new(struct gos_kernel *k, struct io_disk *d)
{
	struct io_swap *s = g_new0(struct io_swap, 1);
	s->disk = d;
	s->ios = g_ptr_array_new_with_free_func(g_free);
	gos_set_swap(k, fill_op, s);
	return s;
}

void io_swap_free(struct io_swap *s)
{
	if (!s)
		return;
	g_ptr_array_free(s->ios, TRUE);
	g_free(s);
}
