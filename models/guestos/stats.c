/* SPDX-License-Identifier: MIT */
/*
 * stats.c - the guest kernel's metrics: per task (run, runqueue wait, true and visible steal,
 *           migrations, switches) and per vCPU (busy, idle, steal, switches, IPIs, ticks, halts,
 *           polls, balancing), the shootdown latency histogram, and their warm-up reset.
 * Steal is measured two ways: the truth (the VP's CPU wait time, vhw_true_steal) and what the
 * guest could see (the published steal clock, 0 where the platform publishes none).
 */
#include <string.h>

#include "models/guestos/gos-int.h"

static sim_time_t visible_steal(const struct gos_cpu *c)
{
	sim_time_t s;
	return vhw_steal_clock(c->cpu, &s) ? s : 0;
}

void gos_account_curr_in(struct gos_cpu *c, struct gos_task *t)
{
	t->cur_since = gos_now(c->k);
	t->true_steal_mark = vhw_true_steal(c->cpu);
	t->visible_steal_mark = visible_steal(c);
}

/* Run and steal of a current task since it became current (or since the last warm-up). */
static void curr_delta(const struct gos_cpu *c, const struct gos_task *t, sim_time_t *run, sim_time_t *steal,
		       sim_time_t *visible)
{
	sim_time_t wall = gos_now(c->k) - t->cur_since;
	*steal = vhw_true_steal(c->cpu) - t->true_steal_mark;
	*visible = visible_steal(c) - t->visible_steal_mark;
	*run = wall > *steal ? wall - *steal : 0;
}

void gos_account_curr_out(struct gos_cpu *c, struct gos_task *t)
{
	sim_time_t run, steal, visible;
	curr_delta(c, t, &run, &steal, &visible);
	t->st.run += run;
	t->st.steal += steal;
	t->st.steal_visible += visible;
}

void gos_task_stats(const struct gos_task *t, struct gos_task_stats *out)
{
	*out = t->st;
	if (t->cpu && t->cpu->curr == t) {
		sim_time_t run, steal, visible;
		curr_delta(t->cpu, t, &run, &steal, &visible);
		out->run += run;
		out->steal += steal;
		out->steal_visible += visible;
	} else if (t->state == GOS_T_RUNNABLE) {
		out->wait += gos_now(t->k) - t->queued_since;
	}
}

void gos_cpu_stats(const struct gos_kernel *k, uint32_t cpu, struct gos_cpu_stats *out)
{
	const struct gos_cpu *c = gos_cpu_at(k, cpu);
	sim_time_t now = gos_now(k);
	*out = c->st;
	if (c->is_idle)
		out->idle += now - c->idle_since;
	else
		out->busy += now - c->busy_since;
	out->steal = vhw_true_steal(c->cpu) - c->true_steal_base;
	out->steal_visible = visible_steal(c) - c->visible_steal_base;
}

/* Remote-memory time of every work the kernel runs up to now (a running work's unsettled part
   included): its tasks' compute, its vCPUs' kernel work and polls. */
static double remote_total(const struct gos_kernel *k)
{
	sim_time_t now = gos_now(k);
	double r = 0;
	for (guint i = 0; i < k->tasks->len; i++)
		r += hw_work_remote_ps(&((const struct gos_task *)k->tasks->pdata[i])->work, now);
	for (guint i = 0; i < k->cpus->len; i++) {
		const struct gos_cpu *c = k->cpus->pdata[i];
		r += hw_work_remote_ps(&c->kwork, now) + hw_work_remote_ps(&c->poll, now);
	}
	return r;
}

void gos_kernel_stats(const struct gos_kernel *k, struct gos_kernel_stats *out)
{
	out->remote_memory_ps = remote_total(k) - k->remote_base;
	out->shootdowns = k->shootdowns;
	out->shootdown_targets = k->sd_targets;
	out->shootdown_skipped = k->sd_skipped;
	out->shootdown_latency = &k->sd_latency;
}

static void reset(struct sim_reset_hook *hook, sim_time_t now)
{
	struct gos_kernel *k = sim_container_of(hook, struct gos_kernel, reset_hook);
	gos_pv_reset(k);
	k->remote_base = remote_total(k);
	k->shootdowns = k->sd_targets = k->sd_skipped = 0;
	k->mem.faults = 0;
	for (guint i = 0; i < k->cpus->len; i++) {
		struct gos_cpu *c = k->cpus->pdata[i];
		memset(&c->st, 0, sizeof c->st);
		c->busy_since = c->idle_since = now;
		c->true_steal_base = vhw_true_steal(c->cpu);
		c->visible_steal_base = visible_steal(c);
	}
	for (guint i = 0; i < k->tasks->len; i++) {
		struct gos_task *t = k->tasks->pdata[i];
		memset(&t->st, 0, sizeof t->st);
		t->queued_since = now;
		if (t->cpu && t->cpu->curr == t) /* current, whatever it is about to do */
			gos_account_curr_in(t->cpu, t);
	}
}

void gos_stats_init(struct gos_kernel *k)
{
	sim_hist_init(&k->sd_latency);
	sim_track_hist(k->sim, &k->sd_latency);
	k->reset_hook.reset = reset;
	sim_track_reset(k->sim, &k->reset_hook);
}
