/* SPDX-License-Identifier: MIT */
/*
 * test_io_paging.c - the paging model (issue 10, docs/memory.md "Paging"): a VM whose working set
 *                    exceeds its memory takes major faults in the number the shortfall and the
 *                    touch rate imply, reads each faulted page through its disk (one 4 KiB I/O per
 *                    fault), and its compute takes longer by at least the faults' cost; the same VM
 *                    with enough memory takes none. Without a swap device a fault sleeps swap_latency.
 * Leaves unchecked: dynamic memory changing the shortfall during a run (memory.c reads it at each
 *                   op), the CLI rows (scenarios/memory-paging.json).
 */
#include "models/io/swap.h"
#include "tests/model/gostest.h"

#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

enum { NOPS = 100, RATE = 10 }; /* 1 ms compute ops; 10 pages touched per ms */

/* Computes NOPS chunks of 1 ms, then exits; notes when it asked for its first op and its exit. */
struct chunker {
	uint32_t handed;
	sim_time_t first, last;
	struct sim *sim;
};

static void chunker_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct chunker *c = arg;
	if (c->handed == 0)
		c->first = sim_now(c->sim);
	if (c->handed == NOPS) {
		c->last = sim_now(c->sim);
		op->kind = GOS_OP_EXIT;
		return;
	}
	c->handed++;
	op->kind = GOS_OP_COMPUTE;
	op->cycles = gost_ms_chunk;
}
static const struct gos_program chunker = {.next = chunker_next};

struct paging_result {
	double per_op_ns;             /* wall time per compute op of the task */
	uint64_t faults, bytes, ios;
	double io_latency_ns;         /* mean swap read, op start to end */
};

/* A 1-vCPU VM on LP 0 with `memory`, a working set of 1792 MiB (demand 2 GiB with the 256 MiB base)
   and, if `disk`, a synthetic disk as its swap device; one task computes NOPS ms. */
static struct paging_result run_paging(uint64_t memory, bool disk)
{
	static const uint32_t lp0[] = {0};
	struct gost t;
	gost_init(&t, 2, "classic", NULL);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "vm";
	pc.vcpus = 1;
	pc.affinity = lp0;
	pc.naffinity = 1;
	pc.memory = memory;
	struct gos_config gc;
	gos_config_default(&gc);
	gc.memory.page_touch_rate = RATE;
	GError *err = NULL;
	struct gos_kernel *k = gos_new(t.h.hv, &pc, &gc, &err);
	cr_assert_not_null(k, "%s", err ? err->message : "");
	t.k[t.nk++] = k;
	gos_add_working_set(k, 1792 * MiB);
	struct io_disk *d = NULL;
	struct io_swap *sw = NULL;
	if (disk) {
		struct io_disk_config dc;
		io_disk_config_default(&dc);
		d = io_disk_new(k, t.h.hv, &dc, &err);
		cr_assert_not_null(d, "%s", err ? err->message : "");
		sw = io_swap_new(k, d);
	}
	struct chunker c = {.sim = t.h.sim};
	gost_task(k, &chunker, &c, 0, 0);
	gost_run(&t, 2 * SIM_PS_PER_S);
	cr_assert_eq(c.handed, NOPS);
	cr_assert_gt(c.last, 0, "the task finished its ops");
	struct paging_result r = {.per_op_ns = (double)(c.last - c.first) / 1e3 / NOPS};
	struct gos_paging_stats ps;
	gos_paging_stats(k, &ps);
	r.faults = ps.page_faults;
	r.bytes = ps.paging_bytes;
	if (d) {
		struct io_disk_stats ds;
		io_disk_stats(d, &ds);
		r.ios = ds.ios;
		r.io_latency_ns = ds.ios ? sim_hist_mean(ds.latency) / 1e3 : 0;
	}
	cr_log_info("memory %llu MiB, disk %d: %.1f us per op, %llu faults, %llu I/Os (mean %.1f us)",
		    (unsigned long long)(memory / MiB), disk, r.per_op_ns / 1e3, (unsigned long long)r.faults,
		    (unsigned long long)r.ios, r.io_latency_ns / 1e3);
	gost_fini(&t);
	io_disk_free(d);
	io_swap_free(sw); /* after the disk */
	return r;
}

/*
 * Demand 2 GiB. With 1 GiB the shortfall f is 1/2: each 1 ms op touches RATE pages, RATE/2 = 5
 * faults per op (exact: the carry stays 0), 500 in all, each one 4 KiB read through the disk. Each
 * op takes longer by at least its 5 faults' page_fault cost (2 us) and swap reads (the disk's mean
 * latency). With 2 GiB nothing pages.
 */
Test(io_paging, too_little_memory_pages_through_the_disk)
{
	struct paging_result enough = run_paging(2 * GiB, true);
	struct paging_result small = run_paging(1 * GiB, true);
	cr_expect_eq(enough.faults, 0);
	cr_expect_eq(enough.ios, 0);
	const uint64_t per_op = RATE / 2;
	cr_expect_eq(small.faults, NOPS * per_op);
	cr_expect_eq(small.ios, small.faults, "one disk read per fault");
	cr_expect_eq(small.bytes, small.faults * 4096);
	double cost = (double)per_op * (2000.0 + small.io_latency_ns);
	cr_expect_geq(small.per_op_ns - enough.per_op_ns, cost * 0.999, "%.1f ns more per op, faults cost %.1f ns",
		      small.per_op_ns - enough.per_op_ns, cost);
	cr_expect_gt(small.io_latency_ns, 0);
}

/* Without a swap device a fault is its page_fault cost and a swap_latency (80 us) sleep. */
Test(io_paging, without_a_disk_a_fault_sleeps)
{
	struct paging_result enough = run_paging(2 * GiB, false);
	struct paging_result small = run_paging(1 * GiB, false);
	cr_expect_eq(enough.faults, 0);
	cr_expect_eq(small.faults, NOPS * (RATE / 2));
	double cost = (RATE / 2) * (2000.0 + 80000.0);
	cr_expect_geq(small.per_op_ns - enough.per_op_ns, cost, "%.1f ns more per op, faults cost %.1f ns",
		      small.per_op_ns - enough.per_op_ns, cost);
}
