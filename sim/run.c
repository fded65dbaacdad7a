/* SPDX-License-Identifier: MIT */
/*
 * run.c - the run: clock, event loop, timers, the event slab, warm-up and run control.
 * Role: implements sim.h and event.h on top of the queue in evq.c.
 * The loop (sim_run): start new entities; handle events before min(warmup, end); reset the
 *       tracked statistics at warmup; handle events before end; move the clock to end; stop
 *       every entity. The monitor is called between chunks of `every` events, so the hot loop
 *       has one pop, one indirect call and one flag test per event.
 * Memory: fire-and-forget events come from chunks of SIM__SLAB_CHUNK and go back to a LIFO free
 *       list (the next event scheduled reuses the one just handled, still in cache); chunks are
 *       freed with the run. Timers live in their owners.
 * Digest: each handled event folds (time, target id, kind) into a 64-bit FNV-style hash.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim-int.h"

#define DIGEST_BASIS UINT64_C(0xcbf29ce484222325)
#define DIGEST_PRIME UINT64_C(0x100000001b3)
#define MONITOR_EVERY_DEFAULT 65536

struct sim *sim_new(uint64_t master_seed)
{
	struct sim *sim = g_new0(struct sim, 1);
	sim__evq_init(&sim->q);
	sim->seed = master_seed;
	sim->digest = DIGEST_BASIS;
	sim->entities = g_ptr_array_new();
	sim->slab_chunks = g_ptr_array_new_with_free_func(g_free);
	sim->counters = g_ptr_array_new();
	sim->gauges = g_ptr_array_new();
	sim->hists = g_ptr_array_new();
	sim->reset_hooks = g_ptr_array_new();
	sim->track_groups = g_ptr_array_new_with_free_func(g_free);
	sim->track_names = g_ptr_array_new_with_free_func(g_free);
	return sim;
}

void sim_free(struct sim *sim)
{
	if (!sim)
		return;
	sim__evq_clear(&sim->q);
	g_ptr_array_free(sim->entities, TRUE);
	g_ptr_array_free(sim->slab_chunks, TRUE);
	g_ptr_array_free(sim->counters, TRUE);
	g_ptr_array_free(sim->gauges, TRUE);
	g_ptr_array_free(sim->hists, TRUE);
	g_ptr_array_free(sim->reset_hooks, TRUE);
	g_ptr_array_free(sim->track_groups, TRUE);
	g_ptr_array_free(sim->track_names, TRUE);
	g_free(sim);
}

sim_time_t sim_now(const struct sim *sim) { return sim->now; }
uint64_t sim_master_seed(const struct sim *sim) { return sim->seed; }
uint64_t sim_events(const struct sim *sim) { return sim->events; }
size_t sim_pending(const struct sim *sim) { return sim->q.size; }
uint64_t sim_digest(const struct sim *sim) { return sim->digest; }

void sim_rng_stream(const struct sim *sim, sim_rng_t *r, const char *name) { sim_rng_seed(r, sim->seed, name); }

void sim_set_evq_tuning(struct sim *sim, const struct sim_evq_tuning *t)
{
	g_return_if_fail(sim->q.size == 0 && sim->q.next_seq == 0);
	g_return_if_fail(t->bucket_target > 0);
	sim->q.tune = *t;
}

void sim_evq_stats(const struct sim *sim, struct sim_evq_stats *out)
{
	out->rung_builds = sim->q.rebuilds;
	out->spills = sim->q.spills;
	out->slab_events = (uint64_t)sim->slab_chunks->len * SIM__SLAB_CHUNK;
}

/* ---- events ---- */

static struct sim_event *slab_get(struct sim *sim)
{
	struct sim_event *ev = sim->free_list;
	if (G_UNLIKELY(!ev)) {
		struct sim_event *chunk = g_new0(struct sim_event, SIM__SLAB_CHUNK);
		g_ptr_array_add(sim->slab_chunks, chunk);
		for (uint32_t i = SIM__SLAB_CHUNK; i-- > 1;) {
			chunk[i].next_free = sim->free_list;
			sim->free_list = &chunk[i];
		}
		ev = &chunk[0];
	} else {
		sim->free_list = ev->next_free;
	}
	return ev;
}

static inline void slab_put(struct sim *sim, struct sim_event *ev)
{
	ev->next_free = sim->free_list;
	sim->free_list = ev;
}

static inline void check_not_past(struct sim *sim, struct sim_entity *target, sim_time_t when)
{
	if (G_UNLIKELY(when < sim->now))
		sim_bug(sim, target, "event scheduled in the past: at %" PRIu64 " ps, now %" PRIu64 " ps", when, sim->now);
}

void sim_schedule(struct sim *sim, struct sim_entity *target, sim_time_t when, unsigned kind,
		  const union sim_payload *payload)
{
	check_not_past(sim, target, when);
	struct sim_event *ev = slab_get(sim);
	ev->time = when;
	ev->target = target;
	ev->kind = (uint16_t)kind;
	ev->flags = SIM__EV_POOLED;
	if (payload)
		ev->payload = *payload;
	else
		memset(&ev->payload, 0, sizeof ev->payload);
	sim__evq_push(&sim->q, ev);
}

static sim_time_t after(struct sim *sim, struct sim_entity *target, sim_time_t delay)
{
	sim_time_t when;
	if (G_UNLIKELY(!sim_time_add(sim->now, delay, &when)))
		sim_bug(sim, target, "time overflow: now %" PRIu64 " ps + delay %" PRIu64 " ps", sim->now, delay);
	return when;
}

void sim_schedule_in(struct sim *sim, struct sim_entity *target, sim_time_t delay, unsigned kind,
		     const union sim_payload *payload)
{
	sim_schedule(sim, target, after(sim, target, delay), kind, payload);
}

void sim_timer_init(sim_timer_t *t, struct sim_entity *owner, unsigned kind)
{
	memset(t, 0, sizeof *t);
	t->target = owner;
	t->kind = (uint16_t)kind;
}

void sim_timer_arm(struct sim *sim, sim_timer_t *t, sim_time_t when)
{
	check_not_past(sim, t->target, when);
	if (t->tier != SIM__TIER_IDLE)
		sim__evq_remove(&sim->q, t);
	t->time = when;
	sim__evq_push(&sim->q, t);
}

void sim_timer_arm_in(struct sim *sim, sim_timer_t *t, sim_time_t delay)
{
	sim_timer_arm(sim, t, after(sim, t->target, delay));
}

bool sim_timer_cancel(struct sim *sim, sim_timer_t *t)
{
	if (t->tier == SIM__TIER_IDLE)
		return false;
	sim__evq_remove(&sim->q, t);
	return true;
}

/* ---- statistics registry ---- */

void sim_track_counter(struct sim *sim, struct sim_counter *c) { g_ptr_array_add(sim->counters, c); }
void sim_track_gauge(struct sim *sim, struct sim_gauge *g) { g_ptr_array_add(sim->gauges, g); }
void sim_track_hist(struct sim *sim, struct sim_hist *h) { g_ptr_array_add(sim->hists, h); }
void sim_track_reset(struct sim *sim, struct sim_reset_hook *hook) { g_ptr_array_add(sim->reset_hooks, hook); }

static void reset_tracked(struct sim *sim)
{
	for (guint i = 0; i < sim->counters->len; i++)
		((struct sim_counter *)sim->counters->pdata[i])->n = 0;
	for (guint i = 0; i < sim->gauges->len; i++)
		sim_gauge_reset(sim->gauges->pdata[i], sim->now);
	for (guint i = 0; i < sim->hists->len; i++)
		sim_hist_reset(sim->hists->pdata[i]);
	for (guint i = 0; i < sim->reset_hooks->len; i++) {
		struct sim_reset_hook *hook = sim->reset_hooks->pdata[i];
		hook->reset(hook, sim->now);
	}
}

/* ---- the loop ---- */

void sim_stop(struct sim *sim) { sim->stop_requested = true; }

static inline void dispatch(struct sim *sim, struct sim_event *ev)
{
	struct sim_entity *ent = ev->target;
	unsigned kind = ev->kind;

	sim->now = ev->time;
	sim->events++;
	sim->digest = (sim->digest ^ ev->time) * DIGEST_PRIME;
	sim->digest = (sim->digest ^ ((uint64_t)ent->id << 16 | kind)) * DIGEST_PRIME;
	sim->cur_target = ent;
	sim->cur_seq = ev->seq;
	sim->cur_kind = kind;
	if (ev->flags & SIM__EV_POOLED) {
		/* Back to the slab first, so the handler's next schedule reuses this warm node. */
		union sim_payload p = ev->payload;
		slab_put(sim, ev);
		ent->ops->event(ent, kind, &p);
	} else {
		ent->ops->event(ent, kind, &ev->payload);
	}
	sim->cur_target = NULL;
}

/* Handles events earlier than limit. Returns END_TIME when the next one is at or after limit. */
static enum sim_run_status run_before(struct sim *sim, sim_time_t limit, struct sim_monitor *mon)
{
	uint64_t every = mon && mon->every ? mon->every : MONITOR_EVERY_DEFAULT;
	for (;;) {
		for (uint64_t k = every; k; k--) {
			struct sim_event *ev = sim__evq_pop_before(&sim->q, limit);
			if (!ev)
				return sim->q.size ? SIM_RUN_END_TIME : SIM_RUN_EMPTY;
			dispatch(sim, ev);
#ifdef SIM_DEBUG
			const char *why;
			if (!sim__evq_check(&sim->q, &why))
				sim_bug(sim, NULL, "event queue invariant broken: %s", why);
#endif
			if (G_UNLIKELY(sim->stop_requested))
				return SIM_RUN_STOPPED;
		}
		if (mon && mon->ops->progress)
			mon->ops->progress(mon, sim);
		if (mon && mon->ops->should_stop && mon->ops->should_stop(mon, sim))
			return SIM_RUN_STOPPED;
	}
}

static void start_entities(struct sim *sim)
{
	while (sim->started < sim->entities->len) {
		struct sim_entity *ent = sim->entities->pdata[sim->started++];
		if (ent->ops->start)
			ent->ops->start(ent);
	}
}

enum sim_run_status sim_run(struct sim *sim, const struct sim_run_params *params)
{
	enum sim_run_status st = SIM_RUN_END_TIME;
	sim_time_t end = params->end;

	g_return_val_if_fail(!sim->running, SIM_RUN_STOPPED);
	sim->running = true;
	sim->stop_requested = false;
	start_entities(sim);

	if (!sim->warmup_done && params->warmup > 0) {
		sim_time_t w = params->warmup < end ? params->warmup : end;
		st = run_before(sim, w, params->monitor);
		if (st != SIM_RUN_STOPPED) {
			if (sim->now < w)
				sim->now = w;
			reset_tracked(sim);
			sim->warmup_done = true;
		}
	}
	if (st != SIM_RUN_STOPPED)
		st = run_before(sim, end, params->monitor);
	if (st != SIM_RUN_STOPPED && end != SIM_TIME_MAX && sim->now < end)
		sim->now = end; /* nothing happens in between: the window closes at end */

	for (guint i = 0; i < sim->entities->len; i++) {
		struct sim_entity *ent = sim->entities->pdata[i];
		if (ent->ops->stop)
			ent->ops->stop(ent);
	}
	if (params->monitor && params->monitor->ops->progress)
		params->monitor->ops->progress(params->monitor, sim);
	sim->running = false;
	return st;
}

/* ---- model bugs ---- */

void sim__bug(const char *file, int line, const struct sim *sim, const struct sim_entity *ent, const char *fmt, ...)
{
	va_list ap;
	char name[64];

	fflush(stdout);
	fprintf(stderr, "hvsim: model bug: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  at %s:%d\n", file, line);
	if (sim) {
		fprintf(stderr, "  simulated time %" PRIu64 " ps, %" PRIu64 " events handled\n", sim->now, sim->events);
		if (sim->cur_target)
			fprintf(stderr, "  while handling event seq %" PRIu64 " kind %u for %s\n", sim->cur_seq,
				sim->cur_kind, sim_entity_name(sim->cur_target, name, sizeof name));
	}
	if (ent) {
		fprintf(stderr, "  entity %s (kind %s, id %u)\n", sim_entity_name(ent, name, sizeof name), ent->ops->kind, ent->id);
		if (ent->ops->dump)
			ent->ops->dump(ent, stderr);
	}
	abort();
}
