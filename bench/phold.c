/* SPDX-License-Identifier: MIT */
/*
 * phold.c - the PHOLD benchmark on hvsim's engine: the engine's speedometer.
 * Role: N entities (logical processes) with their own random streams pass a fixed population of
 *       events around (definition: docs/phold.md, the same as ROSS's models/phold). Each event
 *       handled at LP i and time t draws U; if U <= REMOTE the next event goes to a uniform LP,
 *       otherwise to i; it is scheduled at t + LOOKAHEAD + Exp(MEAN - LOOKAHEAD), truncated to ps.
 * Output: one line, `phold: lps=N pop=POP events=E wall_s=W events_per_s=R digest=HEX`; wall_s
 *       times the event loop only (the initial events are scheduled before the clock starts).
 *       --verbose adds a second line with the setup time, peak RSS and queue statistics.
 * Streams: LP i draws from stream "phold/lp:i" of the master seed (--seed).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "sim/sim.h"

enum { PHOLD_EV_MSG = 1 };

struct phold;

struct phold_lp {
	struct sim_entity ent;
	sim_rng_t rng;
	const struct phold *w;
};

struct phold {
	uint32_t n, pop;
	double remote;
	double la_ps;        /* lookahead, ps */
	double mean_exp_ps;  /* MEAN - LOOKAHEAD, ps */
	struct phold_lp *lps;
};

static inline sim_time_t phold_delay(const struct phold *w, sim_rng_t *r)
{
	return (sim_time_t)(w->la_ps + sim_rng_exp(r, w->mean_exp_ps));
}

static void lp_event(struct sim_entity *ent, unsigned kind, const union sim_payload *p)
{
	(void)kind;
	(void)p;
	struct phold_lp *lp = sim_container_of(ent, struct phold_lp, ent);
	const struct phold *w = lp->w;
	struct phold_lp *dest = lp;
	if (sim_rng_uniform(&lp->rng) <= w->remote)
		dest = &w->lps[sim_rng_below(&lp->rng, w->n)];
	sim_time_t dt = phold_delay(w, &lp->rng);
	sim_schedule(ent->sim, &dest->ent, sim_now(ent->sim) + dt, PHOLD_EV_MSG, NULL);
}

static const struct sim_entity_ops phold_lp_ops = {
	.kind = "phold-lp",
	.event = lp_event,
};

struct config {
	const char *id;
	uint32_t lps, pop;
	double lookahead_us, end_us;
};

/* The configurations of docs/phold.md. */
static const struct config configs[] = {
	{ "P1", 8, 1, 1.0, 8e6 },
	{ "P2", 1000, 1, 0.1, 30e3 },
	{ "P3", 1000, 100, 0.1, 60 },
	{ "P4", 100000, 1, 0.1, 50 },
	{ "P5", 1000000, 1, 0.1, 3 },
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: phold --lps N --pop POP --end-us T --lookahead-us L [--remote R] [--mean-us M] [--seed S]\n"
		"       phold --config P1|P2|P3|P4|P5 [--seed S]\n"
		"options:\n"
		"  --queue ladder|heap   event queue mode (default ladder; heap: never build a rung)\n"
		"  --bucket N            events per rung bucket (default 8)\n"
		"  --spill-min N         a plain heap larger than N becomes a rung (default 256)\n"
		"  --verbose             also print setup time, peak RSS and queue statistics\n"
		"Prints: phold: lps=N pop=POP events=E wall_s=W events_per_s=R digest=HEX\n");
}

static bool parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

int main(int argc, char **argv)
{
	uint64_t lps = 0, pop = 1, seed = 1, bucket = 0, spill = 0;
	double end_us = 0, la_us = -1, remote = 0.25, mean_us = 1.0;
	bool verbose = false, heap_only = false;
	static const struct option opts[] = {
		{ "lps", required_argument, NULL, 'n' },      { "pop", required_argument, NULL, 'p' },
		{ "end-us", required_argument, NULL, 'e' },   { "lookahead-us", required_argument, NULL, 'l' },
		{ "remote", required_argument, NULL, 'r' },   { "mean-us", required_argument, NULL, 'm' },
		{ "seed", required_argument, NULL, 's' },     { "config", required_argument, NULL, 'c' },
		{ "queue", required_argument, NULL, 'q' },    { "bucket", required_argument, NULL, 'b' },
		{ "spill-min", required_argument, NULL, 'S' }, { "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, li = 0;
	bool ok = true;
	while ((c = getopt_long(argc, argv, "", opts, &li)) != -1) {
		switch (c) {
		case 'n': ok = parse_u64(optarg, &lps) && lps > 0 && lps <= UINT32_MAX; break;
		case 'p': ok = parse_u64(optarg, &pop) && pop > 0 && pop <= UINT32_MAX; break;
		case 'e': ok = parse_double(optarg, &end_us) && end_us > 0; break;
		case 'l': ok = parse_double(optarg, &la_us) && la_us >= 0; break;
		case 'r': ok = parse_double(optarg, &remote) && remote >= 0 && remote <= 1; break;
		case 'm': ok = parse_double(optarg, &mean_us) && mean_us >= 0; break;
		case 's': ok = parse_u64(optarg, &seed); break;
		case 'b': ok = parse_u64(optarg, &bucket) && bucket > 0 && bucket <= UINT32_MAX; break;
		case 'S': ok = parse_u64(optarg, &spill) && spill > 0 && spill <= UINT32_MAX; break;
		case 'v': verbose = true; break;
		case 'q':
			ok = !strcmp(optarg, "ladder") || !strcmp(optarg, "heap");
			heap_only = !strcmp(optarg, "heap");
			break;
		case 'c':
			ok = false;
			for (size_t i = 0; i < G_N_ELEMENTS(configs); i++) {
				if (!g_ascii_strcasecmp(optarg, configs[i].id)) {
					lps = configs[i].lps;
					pop = configs[i].pop;
					la_us = configs[i].lookahead_us;
					end_us = configs[i].end_us;
					ok = true;
				}
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
		if (!ok) {
			fprintf(stderr, "phold: bad value '%s' for --%s\n", optarg, opts[li].name);
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || lps == 0 || end_us <= 0 || la_us < 0) {
		fprintf(stderr, "phold: need --config, or --lps, --end-us and --lookahead-us\n");
		usage(stderr);
		return 2;
	}
	if (la_us > mean_us) {
		fprintf(stderr, "phold: --lookahead-us (%g) must not exceed --mean-us (%g)\n", la_us, mean_us);
		return 2;
	}
	if (lps * pop > UINT32_MAX) {
		fprintf(stderr, "phold: lps x pop must stay below 2^32\n");
		return 2;
	}

	double t0 = now_s();
	struct sim *sim = sim_new(seed);
	if (bucket || spill || heap_only) {
		struct sim_evq_tuning tune;
		sim_evq_tuning_default(&tune);
		if (bucket)
			tune.bucket_target = (uint32_t)bucket;
		if (spill)
			tune.spill_min = (uint32_t)spill;
		if (heap_only)
			tune.small_max = tune.spill_min = UINT32_MAX;
		sim_set_evq_tuning(sim, &tune);
	}
	struct phold w = {
		.n = (uint32_t)lps,
		.pop = (uint32_t)pop,
		.remote = remote,
		.la_ps = la_us * 1e6,
		.mean_exp_ps = (mean_us - la_us) * 1e6,
	};
	w.lps = g_new0(struct phold_lp, lps);
	char name[32];
	for (uint32_t i = 0; i < w.n; i++) {
		struct phold_lp *lp = &w.lps[i];
		lp->w = &w;
		snprintf(name, sizeof name, "phold/lp:%u", i);
		sim_rng_stream(sim, &lp->rng, name);
		sim_entity_add(sim, &lp->ent, &phold_lp_ops, NULL);
	}
	for (uint32_t i = 0; i < w.n; i++)
		for (uint32_t k = 0; k < w.pop; k++)
			sim_schedule(sim, &w.lps[i].ent, phold_delay(&w, &w.lps[i].rng), PHOLD_EV_MSG, NULL);

	struct sim_run_params params = { .end = (sim_time_t)(end_us * 1e6) };
	double t1 = now_s();
	sim_run(sim, &params);
	double t2 = now_s();

	uint64_t events = sim_events(sim);
	double wall = t2 - t1;
	printf("phold: lps=%" PRIu64 " pop=%" PRIu64 " events=%" PRIu64 " wall_s=%.3f events_per_s=%.0f digest=%016" PRIx64 "\n",
	       lps, pop, events, wall, wall > 0 ? (double)events / wall : 0.0, sim_digest(sim));
	if (verbose) {
		struct rusage ru;
		struct sim_evq_stats qs;
		getrusage(RUSAGE_SELF, &ru);
		sim_evq_stats(sim, &qs);
		printf("phold-detail: setup_s=%.3f peak_rss_mb=%.1f rung_builds=%" PRIu64 " spills=%" PRIu64 "\n", t1 - t0,
		       (double)ru.ru_maxrss / 1024.0, qs.rung_builds, qs.spills);
	}
	sim_free(sim);
	g_free(w.lps);
	return 0;
}
