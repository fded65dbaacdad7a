/* SPDX-License-Identifier: MIT */
/*
 * common.c - the pieces every workload kind shares (wl-int.h): named draw streams and their
 *            digest, the `service` distributions (exp, det, lognormal, bounded Pareto), the meter
 *            of operations and latency, task creation, and finding the VM's network adapters.
 * Determinism: every draw goes through a wl_stream seeded by name from the run's master seed;
 *       the Pareto bound is solved with sim_pow/sim_log only, so it has the same bits everywhere.
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "models/io/net.h"
#include "sim/fmath.h"
#include "workloads/wl-int.h"

G_DEFINE_QUARK(wl-error-quark, wl_error)

/* ---- streams and digests ---- */

#define FNV_OFFSET UINT64_C(0xcbf29ce484222325)
#define FNV_PRIME UINT64_C(0x100000001b3)

/* fnv1a64 step over the 8 little-endian bytes of v. */
static uint64_t fnv_fold_u64(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++) {
		h ^= (v >> (8 * i)) & 0xff;
		h *= FNV_PRIME;
	}
	return h;
}

void wl_stream_init(struct wl_stream *s, const struct wl_env *env, const char *purpose_fmt, ...)
{
	va_list ap;
	va_start(ap, purpose_fmt);
	char *purpose = g_strdup_vprintf(purpose_fmt, ap);
	va_end(ap);
	char *name = g_strdup_printf("vm:%s/wl:%u/%s", env->vm, env->index, purpose);
	sim_rng_seed(&s->rng, env->seed, name);
	s->digest = FNV_OFFSET;
	s->draws = 0;
	g_free(name);
	g_free(purpose);
}

double wl_stream_keep(struct wl_stream *s, double value)
{
	uint64_t bits;
	memcpy(&bits, &value, sizeof bits);
	s->digest = fnv_fold_u64(s->digest, bits);
	s->draws++;
	return value;
}

double wl_stream_exp(struct wl_stream *s, double mean) { return wl_stream_keep(s, sim_rng_exp(&s->rng, mean)); }

sim_time_t wl_stream_exp_time(struct wl_stream *s, sim_time_t mean)
{
	return (sim_time_t)(wl_stream_exp(s, (double)mean) + 0.5);
}

uint64_t wl_digest_fold(uint64_t acc, const struct wl_stream *s)
{
	if (s->draws == 0)
		return acc;
	return fnv_fold_u64(acc ? acc : FNV_OFFSET, s->digest);
}

/* ---- service demands ---- */

const struct param wl_service_fields[] = {
	{.name = "dist", .type = PARAM_ENUM, .def = "\"exp\"", .choices = "exp|det|lognormal|pareto",
	 .doc = "distribution of the demand: exponential, deterministic, lognormal, bounded Pareto"},
	{.name = "mean", .type = PARAM_DEMAND, .def = "\"1ms\"", .min = 1, .max = 1e12, .unit = "ns",
	 .doc = "mean demand (time at the host's nominal frequency, or {\"cycles\": N})"},
	{.name = "cv", .type = PARAM_NUMBER, .def = "1", .min = 0, .max = 100,
	 .doc = "lognormal: coefficient of variation (sd / mean)"},
	{.name = "alpha", .type = PARAM_NUMBER, .def = "1.5", .min = 0.05, .max = 20,
	 .doc = "pareto: shape; the lower bound is solved so that the mean is `mean`"},
	{.name = "max", .type = PARAM_DEMAND, .def = "\"100ms\"", .min = 1, .max = 1e12, .unit = "ns",
	 .doc = "pareto: upper bound of a demand (must exceed `mean`)"},
	{0},
};

static bool dist_parse(const char *name, enum wl_dist *out)
{
	static const char *const names[] = {"exp", "det", "lognormal", "pareto"};
	for (size_t i = 0; name && i < G_N_ELEMENTS(names); i++)
		if (strcmp(name, names[i]) == 0) {
			*out = (enum wl_dist)i;
			return true;
		}
	return false;
}

/*
 * E[X] of the bounded Pareto on [lo, hi], with r = lo / hi:
 *   alpha != 1: hi * alpha / (alpha - 1) * (r - r^alpha) / (1 - r^alpha)
 *   alpha == 1: hi * r * ln(1 / r) / (1 - r)
 * (Harchol-Balter's formula divided through by hi^(1 - alpha), which keeps it finite for tiny r.)
 */
double wl_pareto_mean(double alpha, double lo, double hi)
{
	double r = lo / hi;
	if (fabs(alpha - 1.0) < 1e-9)
		return hi * r * -sim_log(r) / (1.0 - r);
	double ra = sim_pow(r, alpha);
	return hi * alpha / (alpha - 1.0) * (r - ra) / (1.0 - ra);
}

/*
 * The mean grows monotonically from 0 (lo -> 0) to hi (lo -> hi) and is at least lo, so the lower
 * bound lies in (0, mean]: bisect until the interval stops shrinking (at most ~1100 halvings of a
 * double interval; about 60 in practice). Same arithmetic everywhere, so the same bound.
 */
double wl_pareto_lo(double alpha, double hi, double mean)
{
	double a = 0.0, b = mean;
	for (;;) {
		double mid = 0.5 * (a + b);
		if (mid <= a || mid >= b)
			return b;
		if (wl_pareto_mean(alpha, mid, hi) < mean)
			a = mid;
		else
			b = mid;
	}
}

bool wl_service_init(struct wl_service *s, const cJSON *obj, uint64_t khz, const char *where, GError **error)
{
	*s = (struct wl_service){0};
	if (!dist_parse(param_string(obj, "dist"), &s->dist)) {
		g_set_error(error, WL_ERROR, 0, "%s/dist: not a known distribution", where);
		return false;
	}
	s->mean_cycles = (double)param_demand(obj, "mean", khz);
	s->cv = param_number(obj, "cv");
	s->alpha = param_number(obj, "alpha");
	s->hi_cycles = (double)param_demand(obj, "max", khz);
	if (s->mean_cycles < 1) {
		g_set_error(error, WL_ERROR, 0, "%s/mean: a demand must be at least one cycle", where);
		return false;
	}
	if (s->dist == WL_DIST_PARETO) {
		if (!(s->hi_cycles > s->mean_cycles) || s->alpha <= 0) {
			g_set_error(error, WL_ERROR, 0, "%s/max: a bounded Pareto needs max > mean (max %.0f, mean %.0f cycles)",
				    where, s->hi_cycles, s->mean_cycles);
			return false;
		}
		s->lo_cycles = wl_pareto_lo(s->alpha, s->hi_cycles, s->mean_cycles);
	}
	return true;
}

/* A drawn demand in whole cycles: rounded, at least 1, at most 2^63 (a lognormal of huge cv). */
static uint64_t to_cycles(double x)
{
	if (x >= 0x1p63)
		return UINT64_C(1) << 63;
	uint64_t c = (uint64_t)(x + 0.5);
	return c ? c : 1;
}

uint64_t wl_service_draw(const struct wl_service *s, struct wl_stream *st)
{
	switch (s->dist) {
	case WL_DIST_EXP:
		return to_cycles(wl_stream_exp(st, s->mean_cycles));
	case WL_DIST_DET:
		return to_cycles(s->mean_cycles);
	case WL_DIST_LOGNORMAL:
		return to_cycles(wl_stream_keep(st, sim_rng_lognormal_mean_cv(&st->rng, s->mean_cycles, s->cv)));
	case WL_DIST_PARETO:
		return to_cycles(wl_stream_keep(st, sim_rng_bounded_pareto(&st->rng, s->alpha, s->lo_cycles, s->hi_cycles)));
	}
	g_assert_not_reached();
}

/* ---- the meter ---- */

void wl_meter_init(struct wl_meter *m, struct sim *sim)
{
	m->ops.n = 0;
	sim_hist_init(&m->latency);
	sim_track_counter(sim, &m->ops);
	sim_track_hist(sim, &m->latency);
}

void wl_meter_record(struct wl_meter *m, sim_time_t latency)
{
	sim_counter_inc(&m->ops);
	sim_hist_record(&m->latency, latency);
}

void wl_meter_stats(const struct wl_meter *m, uint64_t digest, struct wl_stats *out)
{
	out->ops = m->ops.n;
	out->latency = &m->latency;
	out->rng_digest = digest;
}

void wl_meter_clear(struct wl_meter *m) { sim_hist_clear(&m->latency); }

/* ---- tasks ---- */

struct gos_task *wl_task_new(const struct wl_env *env, const char *role, uint32_t i, int nice,
			     const struct gos_program *program, void *arg, GError **error)
{
	char *name = g_strdup_printf("wl%u.%s-%u", env->index, role, i);
	struct gos_task_config tc;
	gos_task_config_default(&tc);
	tc.name = name; /* copied by the kernel */
	tc.nice = nice;
	tc.start = sim_now(gos_sim(env->k));
	tc.program = program;
	tc.arg = arg;
	struct gos_task *t = gos_task_new(env->k, &tc, error);
	g_free(name);
	return t;
}

/* ---- devices ---- */

struct io_net *wl_net_find(const struct wl_env *env, const char *kind, const char *name, GError **error)
{
	GString *have = g_string_new(NULL);
	for (guint i = 0; env->nets && i < env->nets->len; i++) {
		const char *n = io_net_name(env->nets->pdata[i]);
		if (strcmp(n, name) == 0) {
			g_string_free(have, TRUE);
			return env->nets->pdata[i];
		}
		g_string_append_printf(have, "%s%s", have->len ? ", " : "", n);
	}
	g_set_error(error, WL_ERROR, 0, "%s: the VM has no network adapter named '%s' (%s%s)", kind, name,
		    have->len ? "its adapters: " : "it has none: add a device of kind nic", have->str);
	g_string_free(have, TRUE);
	return NULL;
}
