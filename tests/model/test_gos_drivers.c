/* SPDX-License-Identifier: MIT */
/*
 * test_gos_drivers.c - the driver hooks of the guest kernel: an operation that makes register
 *                      accesses (intercepts) and sleeps until its device interrupts; the handler
 *                      runs on the interrupted vCPU and wakes the task.
 */
#include "tests/model/gostest.h"

enum { VEC = 0x41, ACCESSES = 3 };

/* A toy device: the op makes ACCESSES io_port intercepts, then waits; 50 us later the device raises VEC. */
struct toy {
	struct gos_kernel *k;
	struct sim_entity ent;
	sim_timer_t done;
	struct gos_task *waiter;
	uint32_t accesses, irqs;
	uint64_t ops;
};

static void toy_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)kind;
	(void)p;
	struct toy *d = sim_container_of(ent, struct toy, ent);
	vhw_raise(gos_cpu_vhw(d->k, 0), VEC); /* the device's interrupt, to vCPU 0 */
}
static const struct sim_entity_ops toy_ops = {.kind = "toy", .event = toy_event};

static void toy_irq(struct gos_kernel *k, uint32_t cpu, void *arg)
{
	struct toy *d = arg;
	d->irqs++;
	gos_irq_work(k, cpu, 1500); /* the handler's own 0.5 us */
	struct gos_task *t = d->waiter;
	d->waiter = NULL;
	if (t)
		gos_task_wake(t); /* ends its blocked operation */
}

static void io_start(struct gos_task *t, const struct gos_op *op);
static void io_step(struct gos_task *t);
static const struct gos_op_class toy_io = {.name = "toy_io", .start = io_start, .resume = io_step};

static void io_start(struct gos_task *t, const struct gos_op *op)
{
	struct toy *d = op->arg;
	d->accesses = 0;
	(void)t;
}

/* One register access per step, then arm the device and block. */
static void io_step(struct gos_task *t)
{
	struct toy *d = gos_task_op_arg(t);
	if (d->accesses < ACCESSES) {
		d->accesses++;
		gos_op_intercept(t, VHW_IC_IO_PORT);
		return;
	}
	d->waiter = t;
	d->ops++;
	sim_timer_arm(gos_sim(d->k), &d->done, sim_now(gos_sim(d->k)) + 50 * SIM_PS_PER_US);
	gos_op_block(t);
}

static void io_next(struct gos_task *t, void *arg, struct gos_op *op)
{
	(void)t;
	*op = (struct gos_op){.kind = GOS_OP_CALL, .cls = &toy_io, .arg = arg};
}
static const struct gos_program io_prog = {.next = io_next};

Test(gos_drivers, intercepts_and_device_interrupts)
{
	struct gost t;
	gost_init(&t, 3, "classic", NULL);
	static const uint32_t lp1[] = {1};
	struct gos_kernel *k = gost_vm(&t, "vm", 1, NULL, lp1, 1);
	static struct toy d;
	d = (struct toy){.k = k};
	sim_entity_add(t.h.sim, &d.ent, &toy_ops, "toy");
	sim_timer_init(&d.done, &d.ent, 1);
	cr_assert(gos_irq_register(k, VEC, toy_irq, &d));
	cr_assert_not(gos_irq_register(k, VEC, toy_irq, &d), "one handler per vector");
	cr_assert_not(gos_irq_register(k, 0xfd, toy_irq, &d), "the kernel's vectors are not for drivers");
	gost_task(k, &io_prog, &d, 0, 0);
	gost_run(&t, 100 * SIM_PS_PER_MS);
	struct hv_counters c;
	hv_partition_counters(gos_partition(k), &c);
	cr_expect_gt(d.ops, 100, "ops %llu irqs %u", (unsigned long long)d.ops, d.irqs);
	cr_expect(d.irqs == d.ops || d.irqs + 1 == d.ops, "one interrupt per op (%u, %llu)", d.irqs, (unsigned long long)d.ops);
	uint64_t ops = d.ops;
	/* every started op made its accesses; the one in progress at the end some or all of them (the
	   run may end after its last access and before it is counted) */
	cr_expect(c.intercepts[VHW_IC_IO_PORT] >= ACCESSES * ops && c.intercepts[VHW_IC_IO_PORT] <= ACCESSES * (ops + 1),
		  "%llu intercepts for %llu ops", (unsigned long long)c.intercepts[VHW_IC_IO_PORT], (unsigned long long)ops);
	/* each access costs 25 us of the root's worker process: an op takes at least 3 x 25 + 50 us */
	double per_op_us = 100000.0 / (double)ops;
	cr_expect_geq(per_op_us, ACCESSES * 25.0 + 50.0, "%.1f us per op", per_op_us);
	gost_fini(&t);
}
