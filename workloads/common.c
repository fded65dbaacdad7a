/* SPDX-License-Identifier: MIT */
/*
 * common.c - the pieces every workload kind shares (wl-int.h): named draw streams and their
 *            digest, the `service` distributions (exp, det, lognormal, bounded Pareto), the meter
 *            of operations and latency, the YCSB zipfian generator, task creation, and finding the
 *            VM's disks and network adapters.
 * Determinism: every draw goes through a wl_stream seeded by name from the run's master seed;
 *       the Pareto bound is solved with sim_pow/sim_log only, so it has the same bits everywhere.
 * See: docs/workloads.md; tests/unit/wl/test_workloads.c
 */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "models/io/disk.h"
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

bool wl_dist_parse(const char *name, enum wl_dist *out)
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
	enum wl_dist dist;
	if (!wl_dist_parse(param_string(obj, "dist"), &dist)) {
		*s = (struct wl_service){0};
		g_set_error(error, WL_ERROR, 0, "%s/dist: not a known distribution", where);
		return false;
	}
	return wl_service_set(s, dist, (double)param_demand(obj, "mean", khz), param_number(obj, "cv"),
			      param_number(obj, "alpha"), (double)param_demand(obj, "max", khz), where, error);
}

bool wl_service_set(struct wl_service *s, enum wl_dist dist, double mean_cycles, double cv, double alpha,
		    double hi_cycles, const char *where, GError **error)
{
	*s = (struct wl_service){.dist = dist, .mean_cycles = mean_cycles, .cv = cv, .alpha = alpha, .hi_cycles = hi_cycles};
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

static void meter_reset(struct sim_reset_hook *h, sim_time_t now)
{
	(void)now;
	struct wl_meter *m = sim_container_of(h, struct wl_meter, reset);
	for (uint32_t i = 0; i < m->ntasks; i++)
		m->task_ops[i] = 0;
}

void wl_meter_init(struct wl_meter *m, struct sim *sim)
{
	*m = (struct wl_meter){.reset = {.reset = meter_reset}};
	sim_hist_init(&m->latency);
	sim_track_counter(sim, &m->ops);
	sim_track_hist(sim, &m->latency);
	sim_track_reset(sim, &m->reset);
}

void wl_meter_record(struct wl_meter *m, sim_time_t latency)
{
	sim_counter_inc(&m->ops);
	sim_hist_record(&m->latency, latency);
}

uint32_t wl_meter_task(struct wl_meter *m, struct gos_task *t)
{
	if (m->ntasks == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 8;
		m->tasks = g_renew(struct gos_task *, m->tasks, m->cap);
		m->task_ops = g_renew(uint64_t, m->task_ops, m->cap);
	}
	m->tasks[m->ntasks] = t;
	m->task_ops[m->ntasks] = 0;
	return m->ntasks++;
}

void wl_meter_record_task(struct wl_meter *m, uint32_t slot, sim_time_t latency)
{
	wl_meter_record(m, latency);
	wl_meter_count_task(m, slot, 1);
}

void wl_meter_count_task(struct wl_meter *m, uint32_t slot, uint64_t n)
{
	g_assert(slot < m->ntasks);
	m->task_ops[slot] += n;
}

void wl_meter_stats(const struct wl_meter *m, uint64_t digest, struct wl_stats *out)
{
	*out = (struct wl_stats){.ops = m->ops.n, .latency = &m->latency, .rng_digest = digest, .ntasks = m->ntasks,
				 .tasks = m->tasks, .task_ops = m->task_ops};
}

void wl_meter_clear(struct wl_meter *m)
{
	sim_hist_clear(&m->latency);
	g_free(m->tasks);
	g_free(m->task_ops);
	m->tasks = NULL;
	m->task_ops = NULL;
	m->ntasks = m->cap = 0;
}

/* ---- the zipfian generator ---- */

/* sum over i = from + 1 .. to of 1 / i^theta, added to acc (in order: the same bits everywhere) */
static double zeta_add(double acc, uint64_t from, uint64_t to, double theta)
{
	if (theta == 0)
		return acc + (double)(to - from);
	for (uint64_t i = from + 1; i <= to; i++)
		acc += 1.0 / sim_pow((double)i, theta);
	return acc;
}

double wl_zeta(uint64_t n, double theta) { return zeta_add(0, 0, n, theta); }

/* eta of Gray's formula for the current n and zetan (unused for n <= 2: ranks 0 and 1 are exact). */
static void zipf_eta(struct wl_zipf *z)
{
	z->eta = z->n > 2 ? (1 - sim_pow(2.0 / (double)z->n, 1 - z->theta)) / (1 - z->zeta2 / z->zetan) : 0;
}

void wl_zipf_init(struct wl_zipf *z, uint64_t n, double theta)
{
	g_assert(n >= 1 && theta >= 0 && theta < 1);
	*z = (struct wl_zipf){.theta = theta, .alpha = 1 / (1 - theta), .zeta2 = wl_zeta(2, theta), .n = n};
	z->rank1 = 1 + sim_pow(0.5, theta);
	z->zetan = wl_zeta(n, theta);
	zipf_eta(z);
}

/*
 * Gray's inversion: with u uniform and uz = u zeta(n): rank 0 when uz < 1, rank 1 when
 * uz < 1 + 2^-theta, else n (eta u - eta + 1)^alpha (clamped into [2, n - 1]).
 */
uint64_t wl_zipf_next(struct wl_zipf *z, struct wl_stream *st, uint64_t n)
{
	if (n > z->n) { /* inserts: extend zeta rather than summing it again (YCSB does the same) */
		z->zetan = zeta_add(z->zetan, z->n, n, z->theta);
		z->n = n;
		zipf_eta(z);
	}
	double u = wl_stream_keep(st, sim_rng_uniform(&st->rng));
	double uz = u * z->zetan;
	if (uz < 1.0 || z->n == 1)
		return 0;
	if (uz < z->rank1 || z->n == 2)
		return 1;
	double x = z->eta * u - z->eta + 1;
	uint64_t r = x > 0 ? (uint64_t)((double)z->n * sim_pow(x, z->alpha)) : 0;
	return r < 2 ? 2 : r >= z->n ? z->n - 1 : r;
}

/* ---- tasks ---- */

bool wl_tasks_room(const struct wl_env *env, const char *kind, uint64_t more, GError **error)
{
	uint64_t have = gos_ntasks(env->k), total;
	if (g_uint64_checked_add(&total, have, more) && total <= WL_MAX_TASKS_PER_VM)
		return true;
	g_set_error(error, WL_ERROR, 0, "%s: the VM has %" G_GUINT64_FORMAT " guest tasks and asks for %" G_GUINT64_FORMAT
		    " more, above the cap of %d tasks per VM", kind, have, more, WL_MAX_TASKS_PER_VM);
	return false;
}

struct gos_task *wl_task_new(const struct wl_env *env, const char *role, uint32_t i, int nice,
			     const struct gos_program *program, void *arg, GError **error)
{
	if (!wl_tasks_room(env, role, 1, error))
		return NULL;
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

struct io_disk *wl_disk_find(const struct wl_env *env, const char *kind, const char *name, GError **error)
{
	GString *have = g_string_new(NULL);
	for (guint i = 0; env->disks && i < env->disks->len; i++) {
		const char *n = io_disk_name(env->disks->pdata[i]);
		if (strcmp(n, name) == 0) {
			g_string_free(have, TRUE);
			return env->disks->pdata[i];
		}
		g_string_append_printf(have, "%s%s", have->len ? ", " : "", n);
	}
	g_set_error(error, WL_ERROR, 0, "%s: the VM has no disk named '%s' (%s%s)", kind, name,
		    have->len ? "its disks: " : "it has none: add a device of kind disk", have->str);
	g_string_free(have, TRUE);
	return NULL;
}
