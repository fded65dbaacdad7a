/* SPDX-License-Identifier: MIT */
/*
 * test_trace.c - the trace-sink interface.
 * Checks: with no sink nothing is emitted (and nothing breaks); an attached sink receives every
 *   emit stamped with the simulated time, in order; tracks declared before attaching are replayed
 *   to the sink in id order; detaching stops delivery.
 * Leaves unchecked: any file format (the Perfetto writer has its own tests).
 */
#include <criterion/criterion.h>

#include "sim/sim.h"

struct rec_sink {
	struct sim_trace_sink sink;
	char log[64][48];
	int n;
};

static void rec(struct sim_trace_sink *s, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void rec(struct sim_trace_sink *s, const char *fmt, ...)
{
	struct rec_sink *r = sim_container_of(s, struct rec_sink, sink);
	va_list ap;
	va_start(ap, fmt);
	cr_assert_lt(r->n, 64);
	vsnprintf(r->log[r->n++], sizeof r->log[0], fmt, ap);
	va_end(ap);
}

static void r_track(struct sim_trace_sink *s, uint32_t id, const char *g, const char *n) { rec(s, "track %u %s/%s", id, g, n); }
static void r_begin(struct sim_trace_sink *s, sim_time_t t, uint32_t tr, const char *n) { rec(s, "B %u %u %s", (unsigned)t, tr, n); }
static void r_end(struct sim_trace_sink *s, sim_time_t t, uint32_t tr) { rec(s, "E %u %u", (unsigned)t, tr); }
static void r_instant(struct sim_trace_sink *s, sim_time_t t, uint32_t tr, const char *n) { rec(s, "I %u %u %s", (unsigned)t, tr, n); }
static void r_counter(struct sim_trace_sink *s, sim_time_t t, uint32_t tr, const char *n, double v) { rec(s, "C %u %u %s %g", (unsigned)t, tr, n, v); }

static const struct sim_trace_ops rec_ops = {
	.track = r_track, .begin = r_begin, .end = r_end, .instant = r_instant, .counter = r_counter,
};

enum { EV_GO = 1 };
static uint32_t trk;

static void tracer_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)kind;
	(void)p;
	struct sim *sim = ent->sim;
	sim_trace_begin(sim, trk, "run");
	sim_trace_instant(sim, trk, "exit");
	sim_trace_counter(sim, trk, "rq", 2.5);
	sim_trace_end(sim, trk);
}

static const struct sim_entity_ops tracer_ops = { .kind = "tracer", .event = tracer_event };

Test(trace, sink_gets_stamped_events_and_replayed_tracks)
{
	struct sim *sim = sim_new(1);
	struct sim_entity e;
	struct rec_sink r = { .sink = { .ops = &rec_ops } };
	sim_entity_add(sim, &e, &tracer_ops, "t");
	uint32_t t0 = sim_trace_track(sim, "lp", "lp:0");
	trk = sim_trace_track(sim, "vm:web", "vcpu:1");
	cr_assert_eq(t0, 0);
	cr_assert_eq(trk, 1);

	sim_schedule(sim, &e, 5, EV_GO, NULL); /* no sink yet at t=5 */
	struct sim_run_params p = { .end = 6 };
	sim_run(sim, &p);
	cr_assert_eq(r.n, 0);

	sim_trace_attach(sim, &r.sink);
	sim_schedule(sim, &e, 7, EV_GO, NULL);
	p.end = 100;
	sim_run(sim, &p);
	sim_trace_attach(sim, NULL);
	sim_schedule(sim, &e, 200, EV_GO, NULL);
	p.end = 300;
	sim_run(sim, &p);

	const char *want[] = { "track 0 lp/lp:0", "track 1 vm:web/vcpu:1", "B 7 1 run", "I 7 1 exit", "C 7 1 rq 2.5", "E 7 1" };
	cr_assert_eq(r.n, 6, "got %d records", r.n);
	for (int i = 0; i < 6; i++)
		cr_assert_str_eq(r.log[i], want[i]);
	sim_free(sim);
}
