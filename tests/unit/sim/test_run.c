/* SPDX-License-Identifier: MIT */
/*
 * test_run.c - the run: timers, fire-and-forget events, run control, warm-up, the digest.
 * Checks: events reach their entity at their time, ties in scheduling order (timers re-armed go
 *   behind); cancel and re-arm; payloads arrive intact; entities start in id order (also when added
 *   while running); `end` excludes events at end and leaves the clock at end; an empty queue ends
 *   the run; sim_stop and the monitor's should_stop end it; the monitor is called at its cadence;
 *   tracked statistics are reset exactly at warm-up; the digest depends on event order and
 *   targets; scheduling in the past is a model bug (the process aborts).
 * Leaves unchecked: the queue's internals (test_evq.c), speed (bench/phold).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>

#include "sim/sim.h"

/* A probe entity that records what reaches it. */
enum { EV_A = 1, EV_B, EV_TIMER, EV_STOP, EV_SPAWN };
#define MAXLOG 64

struct probe {
	struct sim_entity ent;
	sim_timer_t timer;
	int started, stopped;
	unsigned nlog;
	struct {
		sim_time_t t;
		unsigned kind;
		uint64_t arg;
	} log[MAXLOG];
	struct sim_counter hits;
	struct probe *spawn; /* EV_SPAWN adds this entity */
	int *start_order;    /* shared log of ids in start order */
	int *nstart;
};

static void probe_start(struct sim_entity *ent)
{
	struct probe *p = sim_container_of(ent, struct probe, ent);
	p->started++;
	if (p->start_order)
		p->start_order[(*p->nstart)++] = (int)ent->id;
}

static void probe_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	struct probe *p = sim_container_of(ent, struct probe, ent);
	cr_assert_lt(p->nlog, MAXLOG);
	p->log[p->nlog].t = sim_now(ent->sim);
	p->log[p->nlog].kind = kind;
	p->log[p->nlog].arg = pl->u64[0];
	p->nlog++;
	sim_counter_inc(&p->hits);
	if (kind == EV_STOP)
		sim_stop(ent->sim);
	if (kind == EV_SPAWN)
		sim_entity_add(ent->sim, &p->spawn->ent, ent->ops, "spawned");
}

static void probe_stop(struct sim_entity *ent)
{
	sim_container_of(ent, struct probe, ent)->stopped++;
}

static const struct sim_entity_ops probe_ops = {
	.kind = "probe",
	.start = probe_start,
	.event = probe_event,
	.stop = probe_stop,
};

static struct sim *sim;
static struct probe a, b;

static void setup(void)
{
	sim = sim_new(7);
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	sim_entity_add(sim, &a.ent, &probe_ops, "a");
	sim_entity_add(sim, &b.ent, &probe_ops, "b");
	sim_timer_init(&a.timer, &a.ent, EV_TIMER);
}

static void teardown(void) { sim_free(sim); }

static const struct sim_run_params forever = { .end = SIM_TIME_MAX };

static union sim_payload arg(uint64_t v) { return (union sim_payload){ .u64 = { v, 0 } }; }

TestSuite(run, .init = setup, .fini = teardown);

Test(run, events_arrive_in_time_then_fifo_order)
{
	union sim_payload p1 = arg(1), p2 = arg(2), p3 = arg(3), p4 = arg(4);
	sim_schedule(sim, &a.ent, 500, EV_A, &p1);
	sim_schedule(sim, &a.ent, 100, EV_A, &p2);
	sim_schedule(sim, &a.ent, 500, EV_B, &p3); /* tie with p1: after it */
	sim_schedule(sim, &a.ent, 100, EV_B, &p4); /* tie with p2: after it */
	cr_assert_eq(sim_run(sim, &forever), SIM_RUN_EMPTY);
	cr_assert_eq(a.nlog, 4);
	uint64_t want[] = { 2, 4, 1, 3 };
	sim_time_t when[] = { 100, 100, 500, 500 };
	for (int i = 0; i < 4; i++) {
		cr_assert_eq(a.log[i].arg, want[i], "event %d carried %" PRIu64 ", want %" PRIu64, i, a.log[i].arg, want[i]);
		cr_assert_eq(a.log[i].t, when[i]);
	}
	cr_assert_eq(sim_events(sim), 4);
	cr_assert_eq(a.started, 1);
	cr_assert_eq(a.stopped, 1);
	cr_assert_eq(b.started, 1);
}

Test(run, timer_rearm_and_cancel)
{
	sim_timer_arm(sim, &a.timer, 1000);
	cr_assert(sim_timer_pending(&a.timer));
	cr_assert_eq(sim_timer_expiry(&a.timer), 1000);
	sim_schedule(sim, &a.ent, 300, EV_A, NULL);
	sim_timer_arm(sim, &a.timer, 300); /* re-armed: now a tie with EV_A, armed after it */
	cr_assert_eq(sim_pending(sim), 2, "re-arming must not leave the old one behind");
	cr_assert_eq(sim_run(sim, &forever), SIM_RUN_EMPTY);
	cr_assert_eq(a.nlog, 2);
	cr_assert_eq(a.log[0].kind, EV_A);
	cr_assert_eq(a.log[1].kind, EV_TIMER);
	cr_assert_eq(a.log[1].t, 300);
	cr_assert_not(sim_timer_pending(&a.timer));

	sim_timer_arm_in(sim, &a.timer, 50);
	cr_assert(sim_timer_cancel(sim, &a.timer));
	cr_assert_not(sim_timer_cancel(sim, &a.timer), "cancelling an idle timer reports false");
	cr_assert_eq(sim_pending(sim), 0);
	sim_run(sim, &forever);
	cr_assert_eq(a.nlog, 2, "a cancelled timer fired");
}

Test(run, end_excludes_events_at_end_and_sets_the_clock)
{
	sim_schedule(sim, &a.ent, 999, EV_A, NULL);
	sim_schedule(sim, &a.ent, 1000, EV_B, NULL);
	struct sim_run_params p = { .end = 1000 };
	cr_assert_eq(sim_run(sim, &p), SIM_RUN_END_TIME);
	cr_assert_eq(a.nlog, 1);
	cr_assert_eq(sim_now(sim), 1000);
	cr_assert_eq(sim_pending(sim), 1);
	/* continuing the run hands out the rest */
	cr_assert_eq(sim_run(sim, &forever), SIM_RUN_EMPTY);
	cr_assert_eq(a.nlog, 2);
	cr_assert_eq(a.started, 1, "entities start once per run, not per sim_run call");
}

Test(run, empty_queue_moves_the_clock_to_end)
{
	sim_schedule(sim, &a.ent, 10, EV_A, NULL);
	struct sim_run_params p = { .end = 5000 };
	cr_assert_eq(sim_run(sim, &p), SIM_RUN_EMPTY);
	cr_assert_eq(sim_now(sim), 5000);
}

Test(run, stop_from_a_handler)
{
	sim_schedule(sim, &a.ent, 10, EV_A, NULL);
	sim_schedule(sim, &a.ent, 20, EV_STOP, NULL);
	sim_schedule(sim, &a.ent, 30, EV_A, NULL);
	cr_assert_eq(sim_run(sim, &forever), SIM_RUN_STOPPED);
	cr_assert_eq(a.nlog, 2);
	cr_assert_eq(sim_now(sim), 20);
	cr_assert_eq(a.stopped, 1);
}

struct counting_monitor {
	struct sim_monitor mon;
	int progress;
	uint64_t stop_after;
};

static void mon_progress(struct sim_monitor *m, const struct sim *s)
{
	(void)s;
	sim_container_of(m, struct counting_monitor, mon)->progress++;
}

static bool mon_should_stop(struct sim_monitor *m, const struct sim *s)
{
	return sim_events(s) >= sim_container_of(m, struct counting_monitor, mon)->stop_after;
}

static const struct sim_monitor_ops mon_ops = { .progress = mon_progress, .should_stop = mon_should_stop };

Test(run, monitor_cadence_and_stop_predicate)
{
	for (int i = 0; i < 100; i++)
		sim_schedule(sim, &b.ent, (sim_time_t)i, EV_A, NULL);
	struct counting_monitor m = { .mon = { .ops = &mon_ops, .every = 10 }, .stop_after = 35 };
	struct sim_run_params p = { .end = SIM_TIME_MAX, .monitor = &m.mon };
	cr_assert_eq(sim_run(sim, &p), SIM_RUN_STOPPED);
	/* polled after 10, 20, 30, 40 events: stops at the first poll with >= 35 */
	cr_assert_eq(sim_events(sim), 40);
	cr_assert_eq(m.progress, 4 + 1, "4 polls and the final call, got %d", m.progress);
}

Test(run, warmup_resets_tracked_statistics_exactly_at_warmup)
{
	struct sim_gauge g;
	struct sim_hist h;
	sim_gauge_init(&g, 0, 3.0);
	sim_hist_init(&h);
	sim_hist_record(&h, 5);
	sim_track_counter(sim, &a.hits);
	sim_track_gauge(sim, &g);
	sim_track_hist(sim, &h);
	sim_schedule(sim, &a.ent, 100, EV_A, NULL);
	sim_schedule(sim, &a.ent, 200, EV_A, NULL); /* exactly at warm-up: counted after the reset */
	sim_schedule(sim, &a.ent, 300, EV_A, NULL);
	struct sim_run_params p = { .end = 1000, .warmup = 200 };
	sim_run(sim, &p);
	cr_assert_eq(a.hits.n, 2, "events at or after warm-up: want 2, got %" PRIu64, a.hits.n);
	cr_assert_eq(g.start, 200);
	cr_assert_float_eq(sim_gauge_mean(&g, sim_now(sim)), 3.0, 1e-12);
	cr_assert_eq(sim_hist_count(&h), 0);
	sim_hist_clear(&h);
}

Test(run, entities_start_in_id_order_and_late_ones_start_at_once)
{
	int order[8], n = 0;
	struct probe c = { 0 }, late = { 0 };
	a.start_order = b.start_order = c.start_order = late.start_order = order;
	a.nstart = b.nstart = c.nstart = late.nstart = &n;
	sim_entity_add(sim, &c.ent, &probe_ops, NULL);
	cr_assert_eq(c.ent.id, 2);
	char buf[32];
	cr_assert_str_eq(sim_entity_name(&c.ent, buf, sizeof buf), "probe#2");
	b.spawn = &late;
	sim_schedule(sim, &b.ent, 5, EV_SPAWN, NULL);
	sim_run(sim, &forever);
	cr_assert_eq(n, 4);
	cr_assert_eq(order[0], 0);
	cr_assert_eq(order[1], 1);
	cr_assert_eq(order[2], 2);
	cr_assert_eq(order[3], 3);
	cr_assert_eq(late.started, 1);
	cr_assert_eq(sim_entity_count(sim), 4);
	cr_assert_eq(sim_entity_at(sim, 3), &late.ent);
}

Test(run, digest_follows_order_and_targets)
{
	struct sim *s2 = sim_new(7), *s3 = sim_new(7);
	struct probe a2 = { 0 }, b2 = { 0 }, a3 = { 0 }, b3 = { 0 };
	sim_entity_add(s2, &a2.ent, &probe_ops, "a");
	sim_entity_add(s2, &b2.ent, &probe_ops, "b");
	sim_entity_add(s3, &a3.ent, &probe_ops, "a");
	sim_entity_add(s3, &b3.ent, &probe_ops, "b");
	sim_schedule(sim, &a.ent, 1, EV_A, NULL);
	sim_schedule(sim, &b.ent, 2, EV_A, NULL);
	sim_schedule(s2, &a2.ent, 1, EV_A, NULL);
	sim_schedule(s2, &b2.ent, 2, EV_A, NULL);
	sim_schedule(s3, &b3.ent, 1, EV_A, NULL); /* same times, targets swapped */
	sim_schedule(s3, &a3.ent, 2, EV_A, NULL);
	sim_run(sim, &forever);
	sim_run(s2, &forever);
	sim_run(s3, &forever);
	cr_assert_eq(sim_digest(sim), sim_digest(s2));
	cr_assert_neq(sim_digest(sim), sim_digest(s3));
	sim_free(s2);
	sim_free(s3);
}

static void ping_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	sim_schedule_in(ent->sim, ent, 1 + pl->u64[0] % 3, kind, pl);
}

static const struct sim_entity_ops ping_ops = { .kind = "ping", .event = ping_event };

Test(run, steady_state_allocates_no_events)
{
	/* 3 events in flight for 100,000 steps: the slab never grows past its first chunk */
	struct sim_entity e;
	struct sim_evq_stats st;
	sim_entity_add(sim, &e, &ping_ops, "ping");
	for (uint64_t i = 0; i < 3; i++) {
		union sim_payload p = arg(i);
		sim_schedule(sim, &e, i, EV_A, &p);
	}
	struct sim_run_params p = { .end = 200000 };
	sim_run(sim, &p);
	cr_assert_gt(sim_events(sim), 100000);
	sim_evq_stats(sim, &st);
	cr_assert_eq(st.slab_events, 4096, "slab holds %" PRIu64 " events", st.slab_events);
}

static void past_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)kind;
	(void)pl;
	sim_schedule(ent->sim, ent, sim_now(ent->sim) - 1, EV_A, NULL);
}

static const struct sim_entity_ops past_ops = { .kind = "past", .event = past_event };

Test(run, scheduling_in_the_past_is_a_model_bug, .signal = SIGABRT)
{
	struct sim_entity e;
	sim_entity_add(sim, &e, &past_ops, "past");
	sim_schedule(sim, &e, 10, EV_A, NULL);
	sim_run(sim, &forever);
}
