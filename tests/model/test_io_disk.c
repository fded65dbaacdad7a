/* SPDX-License-Identifier: MIT */
/*
 * test_io_disk.c - the disk paths: intercepts and root CPU per I/O by path, signal suppression on
 *                  a busy ring, back-pressure without loss on a full ring, and completion
 *                  interrupts that wait for a descheduled vCPU.
 */
#include "models/io/disk.h"
#include "tests/model/gostest.h"

/* Each task does `count` I/Os of 4 KiB (0: for ever) and counts them. */
struct ioer {
	struct io_disk_io io;
	uint32_t count, done;
	bool started;
};

static void ioer_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	struct ioer *e = arg;
	if (e->started)
		e->done++;
	e->started = true;
	if (e->count && e->done >= e->count) {
		op->kind = GOS_OP_EXIT;
		return;
	}
	gos_op_disk(op, &e->io);
}
static const struct gos_program ioer = {.next = ioer_next};

struct io_result {
	double iops, exits_per_io, intercepts_per_io, guest_ns_per_io, root_ns_per_io, signals_per_io, p50_us, mean_us;
	uint64_t ios, stalls;
	uint64_t task_done;   /* I/Os the tasks saw complete, from time 0 */
	bool all_exited;
};

/* A 4-vCPU VM alone on its 4 LPs (LP 4 for the root), `tasks` tasks doing I/O on one disk. */
static struct io_result run_disk(const char *policy, enum io_path path, uint32_t tasks, uint32_t count,
				 uint32_t ring, const uint32_t *lps, uint32_t nlps, bool hog)
{
	static const uint32_t own[] = {0, 1, 2, 3};
	struct gost t;
	gost_init(&t, 5, policy, NULL);
	bool bare = strcmp(policy, "none") == 0;
	struct gos_kernel *k = gost_vm(&t, "vm", 4, NULL, bare ? NULL : (lps ? lps : own), bare ? 0 : (lps ? nlps : 4));
	struct io_disk_config dc;
	io_disk_config_default(&dc);
	dc.path = path;
	if (ring)
		dc.ring_size = ring;
	GError *err = NULL;
	struct io_disk *d = io_disk_new(k, t.h.hv, &dc, &err);
	cr_assert_not_null(d, "%s", err ? err->message : "");
	struct ioer *e = g_new0(struct ioer, tasks);
	for (uint32_t i = 0; i < tasks; i++) {
		e[i].io = (struct io_disk_io){.disk = d, .bytes = 4096};
		e[i].count = count;
		gost_task(k, &ioer, &e[i], (int32_t)(i % 4), 0);
	}
	if (hog) {
		struct gos_kernel *h = gost_vm(&t, "hog", nlps, NULL, lps, nlps);
		for (uint32_t i = 0; i < nlps; i++)
			gost_task(h, &gost_burn, &gost_ms_chunk, -1, 0);
	}
	const double secs = 0.5;
	if (count) /* a fixed amount of work: count it all, from time 0 */
		gost_run(&t, (sim_time_t)(secs * SIM_PS_PER_S));
	else
		gost_run_warm(&t, 20 * SIM_PS_PER_MS, (sim_time_t)(secs * SIM_PS_PER_S));
	struct io_disk_stats s;
	io_disk_stats(d, &s);
	struct hv_counters c;
	hv_partition_counters(gos_partition(k), &c);
	uint64_t ic = 0;
	for (int i = 0; i < VHW_NINTERCEPTS; i++)
		ic += c.intercepts[i];
	double n = s.ios ? (double)s.ios : 1;
	struct io_result r = {
		.iops = (double)s.ios / secs, .exits_per_io = (double)c.exits / n, .intercepts_per_io = (double)ic / n,
		.guest_ns_per_io = (double)(c.guest_run + c.hypervisor_run) / 1e3 / n, .root_ns_per_io = s.root_ns / n,
		.signals_per_io = (double)s.signals / n, .p50_us = sim_hist_percentile(s.latency, 50) / 1e6,
		.mean_us = sim_hist_mean(s.latency) / 1e6, .ios = s.ios, .stalls = s.ring_full_stalls,
	};
	cr_log_info("%-8s %-9s %3u tasks: %.0f IOPS, %.2f exits/io, %.2f intercepts/io, guest %.0f ns/io, root %.0f ns/io, "
		    "%.2f signals/io, p50 %.1f us, mean %.1f us, stalls %llu", policy, io_path_name(path), tasks, r.iops,
		    r.exits_per_io, r.intercepts_per_io, r.guest_ns_per_io, r.root_ns_per_io, r.signals_per_io, r.p50_us,
		    r.mean_us, (unsigned long long)r.stalls);
	for (uint32_t i = 0; i < tasks; i++)
		r.task_done += e[i].done;
	r.all_exited = true;
	for (uint32_t i = 0; i < tasks; i++)
		r.all_exited = r.all_exited && count && e[i].done == count;
	gost_fini(&t);
	io_disk_free(d); /* after the run (its device is an entity of the freed sim: frees only memory) */
	g_free(e);
	return r;
}

/*
 * 4 KiB reads at queue depth 1: the emulated controller takes its 7 register accesses plus the 2 in
 * its interrupt handler as intercepts, each 25 us of the root's worker: 225 us of root CPU per I/O,
 * many times the synthetic path's StorVSP (10 + 5 + 1 us + a 2 us wakeup); the synthetic path costs
 * the guest more than native (the packet, the signal, the interrupt exit), SR-IOV in between.
 */
Test(io_disk, paths_cost_what_they_cross)
{
	struct io_result native = run_disk("none", IO_PATH_NATIVE, 1, 0, 0, NULL, 0, false);
	struct io_result sriov = run_disk("classic", IO_PATH_SRIOV, 1, 0, 0, NULL, 0, false);
	struct io_result syn = run_disk("classic", IO_PATH_SYNTHETIC, 1, 0, 0, NULL, 0, false);
	struct io_result emu = run_disk("classic", IO_PATH_EMULATED, 1, 0, 0, NULL, 0, false);
	cr_expect_geq(emu.intercepts_per_io, 9.0, "7 + 2 register accesses per I/O");
	/* exact per I/O; an I/O cut by the warm-up boundary moves the mean by at most 225 us / I/Os */
	cr_expect(fabs(emu.root_ns_per_io - 9 * 25000.0) <= 9 * 25000.0 / (double)emu.ios, "root %.1f ns per I/O",
		  emu.root_ns_per_io);
	cr_expect_gt(emu.root_ns_per_io, 5 * syn.root_ns_per_io);
	cr_expect(fabs(syn.root_ns_per_io - 18000.0) <= 18000.0 / (double)syn.ios, "StorVSP %.1f ns per I/O at depth 1",
		  syn.root_ns_per_io);
	cr_expect_eq(sriov.root_ns_per_io, 0);
	cr_expect_gt(syn.guest_ns_per_io, sriov.guest_ns_per_io);
	cr_expect_gt(sriov.guest_ns_per_io, native.guest_ns_per_io);
	cr_expect_gt(native.iops, syn.iops);
	cr_expect_gt(syn.iops, emu.iops);
	cr_expect_geq(sriov.iops, 0.99 * native.iops);
}

/* A busy ring: StorVSP is still draining when the next requests arrive, so they do not signal. */
Test(io_disk, signals_are_suppressed_on_a_busy_ring)
{
	struct io_result idle = run_disk("classic", IO_PATH_SYNTHETIC, 1, 0, 0, NULL, 0, false);
	struct io_result busy = run_disk("classic", IO_PATH_SYNTHETIC, 32, 0, 0, NULL, 0, false);
	cr_expect(fabs(idle.signals_per_io - 1.0) < 0.01, "depth 1: a signal per I/O (%.3f)", idle.signals_per_io);
	cr_expect_lt(busy.signals_per_io, 0.1, "depth 32: %.3f signals per I/O", busy.signals_per_io);
}

/*
 * A ring of 1 KiB holds 11 requests (88 bytes each on the ring): 64 tasks fill it, the rest wait in
 * the driver; every one of 64 x 20 I/Os completes (nothing lost) and every task ends.
 */
Test(io_disk, a_full_ring_stalls_without_losing_requests)
{
	struct io_result r = run_disk("classic", IO_PATH_SYNTHETIC, 64, 20, 1024, NULL, 0, false);
	cr_expect_gt(r.stalls, 0);
	cr_expect_eq(r.task_done, 64 * 20, "completed %llu of %u", (unsigned long long)r.task_done, 64 * 20);
	cr_expect(r.all_exited);
}

/* The completion interrupt waits for the vCPU's dispatch: sharing its LPs 1:1 with a busy VM. */
Test(io_disk, completion_interrupts_wait_for_descheduled_vcpus)
{
	static const uint32_t two[] = {0, 1};
	struct io_result alone = run_disk("classic", IO_PATH_SRIOV, 2, 0, 0, two, 2, false);
	struct io_result shared = run_disk("classic", IO_PATH_SRIOV, 2, 0, 0, two, 2, true);
	cr_expect_gt(shared.mean_us, 10 * alone.mean_us, "mean latency %.1f us shared, %.1f us alone", shared.mean_us,
		     alone.mean_us);
}
