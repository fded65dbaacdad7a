/* SPDX-License-Identifier: MIT */
/* exploration */
#include "models/guestos/lock.h"
#include "tests/model/gostest.h"

static const uint32_t lps1to4[] = {1, 2, 3, 4};

static void pv_config(struct gos_config *gc, enum gos_pv_method m, enum gos_pv_hint h, uint32_t count)
{
	gos_config_default(gc);
	gc->paravirt = (struct gos_paravirt){.method = m, .hint = h, .count = count, .interval = SIM_PS_PER_S,
					     .high = 500, .low = 200, .capacity = 64,
					     .hotplug_latency = 100 * SIM_PS_PER_MS};
}

struct drain_watch {
	struct sim_monitor mon;
	struct gos_kernel *k;
	uint32_t count;
	sim_time_t from, drained_at;
	bool back;
};

static bool drained(const struct gos_kernel *k, uint32_t count)
{
	for (uint32_t i = 0; i < gos_ntasks(k); i++)
		if ((uint32_t)gos_task_cpu(gos_task_at(k, i)) >= count)
			return false;
	return true;
}

static bool drain_check(struct sim_monitor *m, const struct sim *sim)
{
	struct drain_watch *w = sim_container_of(m, struct drain_watch, mon);
	if (sim_now(sim) < w->from)
		return false;
	bool ok = drained(w->k, w->count);
	if (ok && w->drained_at == SIM_TIME_MAX)
		w->drained_at = sim_now(sim);
	else if (!ok && w->drained_at != SIM_TIME_MAX)
		w->back = true;
	return false;
}
static const struct sim_monitor_ops drain_ops = {.should_stop = drain_check};

static sim_time_t drain(enum gos_pv_method m, uint32_t ntasks, sim_time_t t0, sim_time_t span, struct gos_pv_stats *st)
{
	struct gost t;
	gost_init(&t, 5, "classic", NULL);
	struct gos_config gc;
	pv_config(&gc, m, GOS_PV_SCHEDULE, 0);
	static struct gos_pv_step steps[1];
	steps[0] = (struct gos_pv_step){.at = t0, .count = 2};
	gc.paravirt.schedule = steps;
	gc.paravirt.nschedule = 1;
	gc.paravirt.hotplug_latency = 2 * SIM_PS_PER_S;
	struct gos_kernel *k = gost_vm(&t, "vm", 4, &gc, lps1to4, 4);
	for (uint32_t i = 0; i < ntasks; i++)
		gost_task(k, &gost_burn, &gost_ms_chunk, (int32_t)(4 - ntasks + i), 0);
	struct drain_watch w = {.mon = {.ops = &drain_ops, .every = 1}, .k = k, .count = 2, .from = t0,
				.drained_at = SIM_TIME_MAX};
	struct sim_run_params rp = {.end = t0 + span, .monitor = &w.mon};
	sim_run(t.h.sim, &rp);
	gos_pv_stats(k, st);
	cr_log_info("%s %u tasks: drained %.3f ms after, back %d, pushes %llu", gos_pv_method_name(m), ntasks,
		    w.drained_at == SIM_TIME_MAX ? -1.0 : (double)(w.drained_at - t0) / 1e9, w.back,
		    (unsigned long long)st->pushes);
	gost_fini(&t);
	return w.drained_at;
}

Test(gos_paravirt, explore_drain)
{
	struct gos_pv_stats st;
	enum gos_pv_method ms[] = {GOS_PV_PUSH, GOS_PV_BALANCER, GOS_PV_CAPACITY, GOS_PV_OFFLINE};
	for (int i = 0; i < 4; i++)
		for (uint32_t n = 1; n <= 4; n++)
			drain(ms[i], n, 102 * SIM_PS_PER_MS, 10 * SIM_PS_PER_S, &st);
}
