/* SPDX-License-Identifier: MIT */
/*
 * test_queueing.c - the engine against queueing theory: M/M/1 and M/D/1 single-server FCFS queues
 * built from one entity (Poisson arrivals as fire-and-forget events, service completion as a timer).
 * Checks, each with a tolerance from the replications (99.9% Student-t interval over R independent
 *   replications, seeds derived from one master seed), never tuned:
 *   - M/M/1 mean response time W = 1/(mu - lambda), and its median ln2/(mu - lambda) (the response
 *     time of FCFS M/M/1 is exponential), widened by the histogram's 1/128 relative error;
 *   - Little's law: the time-averaged number in system (a gauge) equals lambda * W;
 *   - M/D/1 mean response time by Pollaczek-Khinchine: W = 1/mu + rho / (2 mu (1 - rho)).
 *   The warm-up reset of tracked statistics removes the empty-start transient.
 * Leaves unchecked: higher moments; other service disciplines (the guest and hypervisor schedulers
 *   have their own validation tests).
 */
#include <criterion/criterion.h>
#include <math.h>

#include "sim/sim.h"
#include "tests/helpers/replications.h"

enum { EV_ARRIVE = 1, EV_DEPART };

struct station {
	struct sim_entity ent;
	sim_rng_t arrivals, service;
	double mean_gap_ps, mean_service_ps;
	bool det_service;
	sim_time_t *fifo; /* arrival times, ring buffer */
	uint32_t head, n, cap;
	sim_timer_t depart;
	struct sim_gauge in_system;
	struct sim_hist response_ns;
	struct sim_counter served;
	double sum_response_ps;
	sim_time_t warmup;
};

static void start_service(struct station *s)
{
	double d = s->det_service ? s->mean_service_ps : sim_rng_exp(&s->service, s->mean_service_ps);
	sim_timer_arm_in(s->ent.sim, &s->depart, (sim_time_t)d);
}

static void station_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)p;
	struct station *s = sim_container_of(ent, struct station, ent);
	struct sim *sim = ent->sim;
	sim_time_t now = sim_now(sim);

	switch (kind) {
	/* A customer arrives: join the FIFO, start service if the server was idle, draw the next. */
	case EV_ARRIVE:
		cr_assert_lt(s->n, s->cap, "queue overflow");
		s->fifo[(s->head + s->n++) % s->cap] = now;
		sim_gauge_add(&s->in_system, now, 1);
		if (s->n == 1)
			start_service(s);
		sim_schedule_in(sim, ent, (sim_time_t)sim_rng_exp(&s->arrivals, s->mean_gap_ps), EV_ARRIVE, NULL);
		break;
	/* Service ends: the head leaves with its response time; the next starts. */
	case EV_DEPART: {
		sim_time_t arrived = s->fifo[s->head];
		s->head = (s->head + 1) % s->cap;
		s->n--;
		sim_gauge_add(&s->in_system, now, -1);
		if (arrived >= s->warmup) {
			sim_hist_record(&s->response_ns, (now - arrived) / SIM_PS_PER_NS);
			s->sum_response_ps += (double)(now - arrived);
			sim_counter_inc(&s->served);
		}
		if (s->n)
			start_service(s);
		break;
	}
	default:
		cr_assert_fail("unexpected event kind %u", kind);
	}
}

static const struct sim_entity_ops station_ops = { .kind = "station", .event = station_event };

struct rep_result {
	double mean_w_us, median_w_us, mean_l, throughput_per_us;
};

/* One replication: lambda, mu per microsecond; runs `end_us` with `warmup_us` of warm-up. */
static struct rep_result replicate(uint64_t seed, double lambda, double mu, bool det, double end_us, double warmup_us)
{
	struct sim *sim = sim_new(seed);
	struct station s = {
		.mean_gap_ps = 1e6 / lambda,
		.mean_service_ps = 1e6 / mu,
		.det_service = det,
		.cap = 1 << 16,
		.warmup = (sim_time_t)(warmup_us * 1e6),
	};
	s.fifo = g_new(sim_time_t, s.cap);
	sim_entity_add(sim, &s.ent, &station_ops, "station");
	sim_rng_stream(sim, &s.arrivals, "station/arrivals");
	sim_rng_stream(sim, &s.service, "station/service");
	sim_timer_init(&s.depart, &s.ent, EV_DEPART);
	sim_gauge_init(&s.in_system, 0, 0);
	sim_hist_init(&s.response_ns);
	sim_track_gauge(sim, &s.in_system);
	sim_schedule(sim, &s.ent, 0, EV_ARRIVE, NULL);

	struct sim_run_params params = { .end = (sim_time_t)(end_us * 1e6), .warmup = s.warmup };
	cr_assert_eq(sim_run(sim, &params), SIM_RUN_END_TIME);
	double window_us = end_us - warmup_us;
	struct rep_result r = {
		.mean_w_us = s.sum_response_ps / (double)s.served.n / 1e6,
		.median_w_us = sim_hist_percentile(&s.response_ns, 50) / 1e3,
		.mean_l = sim_gauge_mean(&s.in_system, sim_now(sim)),
		.throughput_per_us = (double)s.served.n / window_us,
	};
	sim_hist_clear(&s.response_ns);
	g_free(s.fifo);
	sim_free(sim);
	return r;
}


Test(queueing, mm1_response_time_and_littles_law, .timeout = 120)
{
	const double lambda = 0.8, mu = 1.0; /* per microsecond: rho = 0.8 */
	double w[R], med[R], l[R], x[R];
	for (int i = 0; i < R; i++) {
		struct rep_result r = replicate(sim_seed_derive(42, "replication", (uint64_t)i), lambda, mu, false, 60000, 2000);
		w[i] = r.mean_w_us;
		med[i] = r.median_w_us;
		l[i] = r.mean_l;
		x[i] = r.throughput_per_us;
	}
	struct ci cw = interval(w), cmed = interval(med), cl = interval(l), cx = interval(x);
	double want_w = 1 / (mu - lambda), want_med = log(2) / (mu - lambda), want_l = lambda * want_w;
	cr_assert_leq(fabs(cw.mean - want_w), cw.half, "M/M/1 W: %.4f +- %.4f us, theory %.4f", cw.mean, cw.half, want_w);
	cr_assert_leq(fabs(cmed.mean - want_med), cmed.half + want_med / 128, "M/M/1 median: %.4f +- %.4f us, theory %.4f",
		      cmed.mean, cmed.half, want_med);
	cr_assert_leq(fabs(cl.mean - want_l), cl.half, "M/M/1 L: %.4f +- %.4f, theory %.4f", cl.mean, cl.half, want_l);
	cr_assert_leq(fabs(cx.mean - lambda), cx.half, "throughput %.4f +- %.4f per us, want %.4f", cx.mean, cx.half, lambda);
	/* sanity of the intervals themselves: a test with a huge interval proves nothing */
	cr_assert_lt(cw.half / want_w, 0.1, "interval too wide to mean anything: +-%.4f", cw.half);
}

Test(queueing, md1_pollaczek_khinchine, .timeout = 120)
{
	const double lambda = 0.8, mu = 1.0, rho = lambda / mu;
	double w[R];
	for (int i = 0; i < R; i++)
		w[i] = replicate(sim_seed_derive(43, "replication", (uint64_t)i), lambda, mu, true, 60000, 2000).mean_w_us;
	struct ci cw = interval(w);
	double want = 1 / mu + rho / (2 * mu * (1 - rho));
	cr_assert_leq(fabs(cw.mean - want), cw.half, "M/D/1 W: %.4f +- %.4f us, theory %.4f", cw.mean, cw.half, want);
	cr_assert_lt(cw.half / want, 0.1, "interval too wide to mean anything: +-%.4f", cw.half);
}
