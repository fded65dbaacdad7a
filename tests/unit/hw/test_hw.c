/* SPDX-License-Identifier: MIT */
/*
 * test_hw.c - unit tests of models/hw: topology, SMT and NUMA arithmetic, progress, accounting.
 * Checks: LP ids are socket-major (socket, node, core, thread) with the threads of a core
 *   consecutive, from 1 LP up to the 64-node / 65536-LP limits; the SLIT defaults to 10 / 20 and a
 *   custom matrix (and lp_khz) is copied; bad configs are refused with NULL, a message naming the
 *   key and no entity registered. Work of C cycles at K kHz completes at ceil(C x 1e9 / K) ps,
 *   slowed by exactly smt_factor while another thread of the core is in any category but idle and by
 *   (1 - m) + m x d / 10 for remote memory; rate changes mid-way are settled, so the completion is
 *   within 1 ps of the exact piecewise finish. hw_lp_stop settles and detaches; a stopped work never
 *   completes and resumes from its remainder. Per-LP time matches a shadow ledger kept by the test
 *   to the picosecond and sums to LPs x (now - window start), also across the warm-up reset; a
 *   randomised churn of categories and work keeps both properties.
 * Expected values come from integer or binary-exact arithmetic done here, never from hw.c's output.
 * Tolerances: a completion after a settle may be 1 ps late or early (the quotient is a double that
 *   can land on either side of an integer); single-rate completions with a non-integer exact finish
 *   far (> 1e-3 ps) from an integer are asserted exactly.
 * Leaves unchecked: JSON keys (no hw_config.c yet), speed, out-of-range ids to hw_lp_at/hw_distance.
 * Regressions: a topology product that wraps 2^64 is refused; the too-many-nodes error names its
 *   keys (both found by these tests, fixed in cb44b3f).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "models/hw/hw.h"
#include "tests/helpers/xorshift.h"

/* ---- fixture ---- */

static struct sim *sim;
static struct hw_host *host;

static void script_reset(void);

static void setup(void)
{
	sim = sim_new(1);
	host = NULL;
	script_reset();
}

/* The sim first: LP entities (and their pending timers) must outlive sim_free (entity.h). */
static void teardown(void)
{
	sim_free(sim);
	hw_host_free(host);
}

TestSuite(topology, .init = setup, .fini = teardown);
TestSuite(config, .init = setup, .fini = teardown);
TestSuite(smt, .init = setup, .fini = teardown);
TestSuite(numa, .init = setup, .fini = teardown);
TestSuite(stop, .init = setup, .fini = teardown);
TestSuite(accounting, .init = setup, .fini = teardown);

static struct hw_config topo(uint32_t sockets, uint32_t nodes, uint32_t cores, uint32_t threads)
{
	struct hw_config c;
	hw_config_default(&c);
	c.sockets = sockets;
	c.nodes_per_socket = nodes;
	c.cores_per_node = cores;
	c.threads_per_core = threads;
	return c;
}

/* Builds the fixture's host; fails the test if the config is refused. */
static struct hw_host *build(const struct hw_config *c)
{
	GError *err = NULL;
	host = hw_host_new(sim, c, &err);
	cr_assert_not_null(host, "hw_host_new refused: %s", err ? err->message : "(no error)");
	cr_assert_null(err, "error set on success");
	return host;
}

static void run_until(sim_time_t end)
{
	struct sim_run_params p = { .end = end };
	sim_run(sim, &p);
}

static void run_all(void) { run_until(SIM_TIME_MAX); }

/* ceil(num / den), exact (128-bit). */
static sim_time_t ceil_div(unsigned __int128 num, unsigned __int128 den) { return (sim_time_t)((num + den - 1) / den); }

/* Exact time of `cycles` at `khz` with nothing slowing it: ceil(cycles x 1e9 / khz) ps. */
static sim_time_t full_ps(uint64_t cycles, uint64_t khz) { return ceil_div((unsigned __int128)cycles * 1000000000u, khz); }

/* got is within tol ps of want (tol 0: exact). */
static void expect_ps(const char *what, sim_time_t got, sim_time_t want, sim_time_t tol)
{
	sim_time_t d = got > want ? got - want : want - got;
	cr_expect(d <= tol, "%s: %" PRIu64 " ps, want %" PRIu64 " +- %" PRIu64, what, got, want, tol);
}

/* ---- a work that records its completion ---- */

struct probe {
	struct hw_work w;
	int ndone;
	sim_time_t done_at;
	struct hw_lp *idle_on_done; /* optional: put this LP idle when done (as a hypervisor would) */
	sim_timer_t *cancel_on_done; /* optional: cancel this timer when done */
};

static void probe_done(struct hw_work *w)
{
	struct probe *p = sim_container_of(w, struct probe, w);
	cr_assert_null(w->lp, "done called with the work still attached");
	cr_assert_eq(w->cycles, 0.0, "done with %g cycles left", w->cycles);
	p->ndone++;
	p->done_at = sim_now(sim);
	if (p->idle_on_done)
		hw_lp_set_cat(p->idle_on_done, HW_CAT_IDLE);
	if (p->cancel_on_done)
		sim_timer_cancel(sim, p->cancel_on_done);
}

static const struct hw_work_ops probe_ops = { .done = probe_done };

static void probe_init(struct probe *p, double cycles, double mem_share, const double *mem_frac)
{
	memset(p, 0, sizeof *p);
	p->w.ops = &probe_ops;
	p->w.cycles = cycles;
	p->w.mem_share = mem_share;
	p->w.mem_frac = mem_frac;
}

/* ---- a script: things done to the host at given times, from an entity of the test's own ---- */

enum { EV_ACT = 1, EV_TICK };
enum act_kind { ACT_CAT, ACT_STOP, ACT_RUN, ACT_PEEK };

struct act {
	enum act_kind kind;
	struct hw_lp *lp;
	enum hw_cat cat;          /* ACT_CAT: the new category */
	struct hw_work *w;        /* ACT_RUN: the work to run */
	/* filled in when the act runs */
	bool ran;
	struct hw_work *stopped;  /* ACT_STOP: what hw_lp_stop returned */
	double left;              /* ACT_STOP: its cycles right after */
	bool detached;            /* ACT_STOP: work->lp == NULL and lp->work == NULL */
	bool timer_pending;       /* ACT_STOP: the LP's completion timer is still pending */
	sim_time_t time[HW_NCAT]; /* ACT_PEEK: hw_lp_time of every category */
};

#define MAXACTS 16
static struct {
	struct sim_entity ent;
	bool added;
	unsigned n;
	struct act acts[MAXACTS];
} script;

static void script_reset(void) { memset(&script, 0, sizeof script); }

static void script_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)ent;
	cr_assert_eq(kind, EV_ACT);
	struct act *a = &script.acts[pl->u64[0]];
	a->ran = true;
	switch (a->kind) {
	case ACT_CAT:
		hw_lp_set_cat(a->lp, a->cat);
		break;
	case ACT_STOP:
		a->stopped = hw_lp_stop(a->lp);
		if (a->stopped) {
			a->left = a->stopped->cycles;
			a->detached = a->stopped->lp == NULL && a->lp->work == NULL;
		}
		a->timer_pending = sim_timer_pending(&a->lp->done_timer);
		break;
	case ACT_RUN:
		hw_lp_run(a->lp, a->w);
		break;
	case ACT_PEEK:
		for (int c = 0; c < HW_NCAT; c++)
			a->time[c] = hw_lp_time(a->lp, (enum hw_cat)c);
		break;
	}
}

static const struct sim_entity_ops script_ops = { .kind = "test-script", .event = script_event };

/* Acts at the same time run in the order they were added (ties are FIFO). */
static struct act *at(sim_time_t t, enum act_kind kind, struct hw_lp *lp)
{
	if (!script.added) {
		sim_entity_add(sim, &script.ent, &script_ops, "script");
		script.added = true;
	}
	cr_assert_lt(script.n, MAXACTS);
	struct act *a = &script.acts[script.n];
	*a = (struct act){ .kind = kind, .lp = lp };
	union sim_payload p = { .u64 = { script.n, 0 } };
	sim_schedule(sim, &script.ent, t, EV_ACT, &p);
	script.n++;
	return a;
}

static void at_cat(sim_time_t t, struct hw_lp *lp, enum hw_cat c) { at(t, ACT_CAT, lp)->cat = c; }
static struct act *at_stop(sim_time_t t, struct hw_lp *lp) { return at(t, ACT_STOP, lp); }
static void at_run(sim_time_t t, struct hw_lp *lp, struct hw_work *w) { at(t, ACT_RUN, lp)->w = w; }
static struct act *at_peek(sim_time_t t, struct hw_lp *lp) { return at(t, ACT_PEEK, lp); }

/* ================================ topology ================================ */

Test(topology, config_defaults)
{
	struct hw_config c;
	memset(&c, 0xa5, sizeof c);
	hw_config_default(&c);
	cr_expect_eq(c.sockets, 1);
	cr_expect_eq(c.nodes_per_socket, 1);
	cr_expect_eq(c.cores_per_node, 8);
	cr_expect_eq(c.threads_per_core, 2);
	cr_expect_eq(c.khz, 3000000);
	cr_expect_null(c.lp_khz);
	cr_expect_eq(c.smt_factor, 0.65);
	cr_expect_eq(c.memory_per_node, UINT64_C(64) << 30);
	cr_expect_null(c.distance);

	struct hw_host *h = build(&c);
	cr_expect_eq(hw_nlps(h), 16);
	cr_expect_eq(hw_ncores(h), 8);
	cr_expect_eq(hw_nnodes(h), 1);
	cr_expect_eq(hw_distance(h, 0, 0), 10);
	cr_expect_eq(hw_memory_per_node(h), UINT64_C(64) << 30);
	cr_expect_eq(hw_smt_factor(h), 0.65);
	cr_expect_eq(hw_sim(h), sim);
	cr_expect_eq(hw_window_start(h), 0);
	cr_expect_eq(sim_entity_count(sim), 16, "one entity per LP");
	for (uint32_t i = 0; i < 16; i++) {
		struct hw_lp *lp = hw_lp_at(h, i);
		cr_expect_eq(lp->khz, 3000000);
		cr_expect_eq(lp->cat, HW_CAT_IDLE, "lp %u does not start idle", i);
		cr_expect_null(lp->work);
		cr_expect_eq(lp->host, h);
	}
}

Test(topology, socket_major_layout_2x2x4x2)
{
	struct hw_config c = topo(2, 2, 4, 2);
	struct hw_host *h = build(&c);
	cr_assert_eq(hw_nlps(h), 32);
	cr_assert_eq(hw_ncores(h), 16);
	cr_assert_eq(hw_nnodes(h), 4);
	uint32_t id0 = hw_lp_at(h, 0)->ent.id;
	/* walk the hierarchy outermost first: the id must simply count up */
	uint32_t id = 0;
	for (uint32_t s = 0; s < 2; s++)
		for (uint32_t n = 0; n < 2; n++)
			for (uint32_t k = 0; k < 4; k++)
				for (uint32_t t = 0; t < 2; t++, id++) {
					struct hw_lp *lp = hw_lp_at(h, id);
					uint32_t node = s * 2 + n, core = node * 4 + k;
					char name[16];
					snprintf(name, sizeof name, "lp:%u", id);
					cr_expect_eq(lp->id, id);
					cr_expect_eq(lp->socket, s, "lp %u: socket %u, want %u", id, lp->socket, s);
					cr_expect_eq(lp->node, node, "lp %u: node %u, want %u", id, lp->node, node);
					cr_expect_eq(lp->core, core, "lp %u: core %u, want %u", id, lp->core, core);
					cr_expect_eq(lp->first_thread, core * 2, "lp %u: first_thread %u", id, lp->first_thread);
					cr_expect_eq(lp->nthreads, 2);
					cr_expect_eq(lp->first_thread + t, id, "lp %u is not thread %u of its core", id, t);
					cr_expect_str_eq(lp->name, name);
					cr_expect_str_eq(lp->ent.name, name);
					cr_expect_eq(lp->ent.sim, sim);
					cr_expect_eq(lp->ent.id, id0 + id, "entities registered in LP id order");
				}
}

Test(topology, threads_of_a_core_are_consecutive_and_are_the_siblings)
{
	/* 3 threads per core and 3 cores per node, so nothing divides by a power of two */
	struct hw_config c = topo(1, 2, 3, 3);
	struct hw_host *h = build(&c);
	cr_assert_eq(hw_nlps(h), 18);
	for (uint32_t k = 0; k < hw_ncores(h); k++) {
		uint32_t n = 0, first = UINT32_MAX;
		for (uint32_t i = 0; i < hw_nlps(h); i++) {
			struct hw_lp *lp = hw_lp_at(h, i);
			if (lp->core != k)
				continue;
			if (first == UINT32_MAX)
				first = i;
			cr_expect_eq(i, first + n, "core %u: lp %u breaks the run of consecutive ids", k, i);
			cr_expect_eq(lp->first_thread, first);
			cr_expect_eq(lp->nthreads, 3);
			n++;
		}
		cr_expect_eq(n, 3, "core %u has %u threads", k, n);
	}

	/* the middle thread of core 1 (LP 4) busy: LPs 3 and 5 see a busy sibling, nobody else */
	enum hw_cat busy[] = { HW_CAT_GUEST, HW_CAT_HYPERVISOR, HW_CAT_ROOT, HW_CAT_SPIN };
	for (unsigned b = 0; b < 4; b++) {
		hw_lp_set_cat(hw_lp_at(h, 4), busy[b]);
		for (uint32_t i = 0; i < hw_nlps(h); i++)
			cr_expect_eq(hw_lp_sibling_busy(hw_lp_at(h, i)), i == 3 || i == 5, "lp %u with lp 4 %s", i,
				     hw_cat_name(busy[b]));
	}
	hw_lp_set_cat(hw_lp_at(h, 4), HW_CAT_IDLE);
	for (uint32_t i = 0; i < hw_nlps(h); i++)
		cr_expect_not(hw_lp_sibling_busy(hw_lp_at(h, i)), "lp %u: all idle", i);
}

Test(topology, one_lp_host)
{
	struct hw_config c = topo(1, 1, 1, 1);
	struct hw_host *h = build(&c);
	cr_assert_eq(hw_nlps(h), 1);
	cr_assert_eq(hw_ncores(h), 1);
	cr_assert_eq(hw_nnodes(h), 1);
	struct hw_lp *lp = hw_lp_at(h, 0);
	cr_expect_eq(lp->core, 0);
	cr_expect_eq(lp->node, 0);
	cr_expect_eq(lp->socket, 0);
	cr_expect_eq(lp->first_thread, 0);
	cr_expect_eq(lp->nthreads, 1);
	cr_expect_eq(hw_distance(h, 0, 0), 10);

	/* its own category never counts as a busy sibling: 3000 cycles at 3 GHz, exactly 1 us */
	hw_lp_set_cat(lp, HW_CAT_GUEST);
	cr_expect_not(hw_lp_sibling_busy(lp));
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	hw_lp_run(lp, &p.w);
	run_all();
	cr_assert_eq(p.ndone, 1);
	expect_ps("1 LP", p.done_at, 1000000, 0);
}

Test(topology, largest_grid_512_lps_8_nodes)
{
	struct hw_config c = topo(2, 4, 32, 2);
	struct hw_host *h = build(&c);
	cr_assert_eq(hw_nlps(h), 512);
	cr_assert_eq(hw_ncores(h), 256);
	cr_assert_eq(hw_nnodes(h), 8);
	for (uint32_t id = 0; id < 512; id++) {
		struct hw_lp *lp = hw_lp_at(h, id);
		/* 2 threads per core, 64 LPs per node, 256 per socket */
		cr_expect_eq(lp->core, id / 2, "lp %u", id);
		cr_expect_eq(lp->node, id / 64, "lp %u", id);
		cr_expect_eq(lp->socket, id / 256, "lp %u", id);
		cr_expect_eq(lp->first_thread, id & ~1u, "lp %u", id);
	}
	for (uint32_t i = 0; i < 8; i++)
		for (uint32_t j = 0; j < 8; j++)
			cr_expect_eq(hw_distance(h, i, j), i == j ? 10u : 20u, "distance %u -> %u", i, j);
}

Test(topology, limits_64_nodes_and_65536_lps_build)
{
	struct sim *s1 = sim_new(1), *s2 = sim_new(1);
	GError *err = NULL;
	struct hw_config c = topo(4, 16, 1, 1);
	struct hw_host *h1 = hw_host_new(s1, &c, &err);
	cr_assert_not_null(h1, "64 nodes refused: %s", err ? err->message : "");
	cr_expect_eq(hw_nnodes(h1), 64);
	cr_expect_eq(hw_lp_at(h1, 63)->node, 63);
	cr_expect_eq(hw_lp_at(h1, 63)->socket, 3);
	cr_expect_eq(hw_distance(h1, 63, 0), 20);

	c = topo(1, 1, 32768, 2);
	struct hw_host *h2 = hw_host_new(s2, &c, &err);
	cr_assert_not_null(h2, "65536 LPs refused: %s", err ? err->message : "");
	cr_expect_eq(hw_nlps(h2), 65536);
	struct hw_lp *last = hw_lp_at(h2, 65535);
	cr_expect_eq(last->core, 32767);
	cr_expect_eq(last->first_thread, 65534);
	cr_expect_str_eq(last->name, "lp:65535");
	sim_free(s1);
	sim_free(s2);
	hw_host_free(h1);
	hw_host_free(h2);
}

Test(topology, default_slit_is_10_local_20_remote)
{
	struct hw_config c = topo(2, 2, 1, 1);
	struct hw_host *h = build(&c);
	cr_assert_eq(hw_nnodes(h), 4);
	for (uint32_t i = 0; i < 4; i++)
		for (uint32_t j = 0; j < 4; j++)
			cr_expect_eq(hw_distance(h, i, j), i == j ? 10u : 20u, "distance %u -> %u", i, j);
}

Test(topology, custom_distance_matrix_is_row_major_and_copied)
{
	/* asymmetric on purpose: [0][1] = 12 but [1][0] = 21, so a transposed read shows */
	uint32_t d[16] = {
		10, 12, 30, 40, //
		21, 10, 31, 41, //
		32, 33, 10, 42, //
		43, 44, 45, 10, //
	};
	uint32_t want[16];
	memcpy(want, d, sizeof d);
	struct hw_config c = topo(2, 2, 2, 2);
	c.distance = d;
	struct hw_host *h = build(&c);
	for (unsigned i = 0; i < 16; i++)
		d[i] = 99; /* the host keeps its own copy */
	for (uint32_t i = 0; i < 4; i++)
		for (uint32_t j = 0; j < 4; j++)
			cr_expect_eq(hw_distance(h, i, j), want[i * 4 + j], "distance %u -> %u: %u", i, j, hw_distance(h, i, j));
}

Test(topology, lp_khz_is_per_lp_and_copied)
{
	uint64_t khz[4] = { 1000000, 2000000, 3000000, 4000000 };
	struct hw_config c = topo(1, 1, 2, 2);
	c.lp_khz = khz;
	struct hw_host *h = build(&c);
	for (unsigned i = 0; i < 4; i++)
		khz[i] = 1234;
	for (uint32_t i = 0; i < 4; i++)
		cr_expect_eq(hw_lp_at(h, i)->khz, (uint64_t)(i + 1) * 1000000, "lp %u: %" PRIu64 " kHz", i, hw_lp_at(h, i)->khz);
}

/* ================================ config errors ================================ */

/* c is refused: NULL, an error naming `key`, nothing registered; also with error == NULL. */
static void expect_refused(const struct hw_config *c, const char *key, const char *what)
{
	uint32_t before = sim_entity_count(sim);
	GError *err = NULL;
	struct hw_host *h = hw_host_new(sim, c, &err);
	cr_expect_null(h, "%s: accepted", what);
	hw_host_free(h);
	cr_assert_not_null(err, "%s: NULL without an error", what);
	cr_expect(strstr(err->message, key) != NULL, "%s: message \"%s\" does not name \"%s\"", what, err->message, key);
	g_error_free(err);
	h = hw_host_new(sim, c, NULL);
	cr_expect_null(h, "%s: accepted when error == NULL", what);
	hw_host_free(h);
	cr_expect_eq(sim_entity_count(sim), before, "%s: a refused config registered entities", what);
}

/* c is accepted (built with a sim of its own, freed at once). */
static void expect_accepted(const struct hw_config *c, const char *what)
{
	struct sim *s = sim_new(1);
	GError *err = NULL;
	struct hw_host *h = hw_host_new(s, c, &err);
	cr_expect_not_null(h, "%s: refused: %s", what, err ? err->message : "(no error)");
	cr_expect_null(err);
	if (err)
		g_error_free(err);
	sim_free(s);
	hw_host_free(h);
}

Test(config, zero_counts_are_refused_naming_the_key)
{
	struct hw_config c = topo(2, 2, 2, 2);
	c.sockets = 0;
	expect_refused(&c, "sockets", "sockets = 0");
	c = topo(2, 2, 2, 2);
	c.nodes_per_socket = 0;
	expect_refused(&c, "numa_nodes_per_socket", "nodes_per_socket = 0");
	c = topo(2, 2, 2, 2);
	c.cores_per_node = 0;
	expect_refused(&c, "cores_per_node", "cores_per_node = 0");
	c = topo(2, 2, 2, 2);
	c.threads_per_core = 0;
	expect_refused(&c, "threads_per_core", "threads_per_core = 0");
}

Test(config, smt_factor_outside_0_1_is_refused)
{
	const double bad[] = { 0.0, -0.0, -0.5, 1.0000001, 2.0, NAN, INFINITY };
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct hw_config c = topo(1, 1, 2, 2);
		c.smt_factor = bad[i];
		char what[48];
		snprintf(what, sizeof what, "smt_factor %g", bad[i]);
		expect_refused(&c, "smt_factor", what);
	}
	const double good[] = { 1.0, 1e-9, 0.5 };
	for (unsigned i = 0; i < 3; i++) {
		struct hw_config c = topo(1, 1, 2, 2);
		c.smt_factor = good[i];
		expect_accepted(&c, "smt_factor in (0, 1]");
	}
}

Test(config, bad_slit_values_are_refused_naming_the_entry)
{
	struct {
		uint32_t d[4];
		const char *key;
	} bad[] = {
		{ { 11, 20, 20, 10 }, "numa_distance[0][0]" }, /* diagonal must be 10 */
		{ { 10, 20, 20, 9 }, "numa_distance[1][1]" },
		{ { 10, 9, 20, 10 }, "numa_distance[0][1]" }, /* below 10 */
		{ { 10, 0, 20, 10 }, "numa_distance[0][1]" },
		{ { 10, 20, 256, 10 }, "numa_distance[1][0]" }, /* above 255 */
		{ { 10, 20, 255, 10 }, "numa_distance[1][0]" }, /* 255: "unreachable" in ACPI */
		{ { 10, 10, 20, 10 }, "numa_distance[0][1]" }, /* remote must be farther than local */
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct hw_config c = topo(1, 2, 1, 1);
		c.distance = bad[i].d;
		expect_refused(&c, bad[i].key, bad[i].key);
	}
	uint32_t good[4] = { 10, 254, 11, 10 };
	struct hw_config c = topo(1, 2, 1, 1);
	c.distance = good;
	expect_accepted(&c, "SLIT 10 / 254 / 11 / 10");
}

Test(config, too_many_nodes_or_lps_are_refused)
{
	struct hw_config c = topo(5, 13, 1, 1); /* 65 nodes */
	expect_refused(&c, "65", "65 NUMA nodes");
	c = topo(1, 65, 1, 1);
	expect_refused(&c, "65", "65 nodes on one socket");
	c = topo(1, 1, 65537, 1); /* 65537 is prime: no other split */
	expect_refused(&c, "65537", "65537 LPs");
	c = topo(1, 1, 32768, 3);
	expect_refused(&c, "98304", "98304 LPs");
}

Test(config, frequencies_outside_1mhz_100ghz_are_refused)
{
	struct hw_config c = topo(1, 1, 2, 2);
	c.khz = 999;
	expect_refused(&c, "999 kHz", "khz 999");
	c.khz = 100000001;
	expect_refused(&c, "100000001 kHz", "khz 100000001");
	c.khz = 0;
	expect_refused(&c, "0 kHz", "khz 0");
	c.khz = 1000;
	expect_accepted(&c, "khz 1000");
	c.khz = 100000000;
	expect_accepted(&c, "khz 100000000");

	uint64_t lp_khz[4] = { 3000000, 3000000, 3000000, 999 };
	c = topo(1, 1, 2, 2);
	c.lp_khz = lp_khz;
	expect_refused(&c, "lp 3", "lp_khz[3] = 999");
}

/* ================================ SMT ================================ */

Test(smt, idle_sibling_runs_at_full_rate_exactly)
{
	/* thread 0 of each core runs one case at its own frequency; thread 1 stays idle */
	const struct {
		uint64_t khz, cycles;
	} cases[8] = {
		{ 3000000, 3000 },      /* 1 us exactly */
		{ 3000000, 1 },         /* 333.3 -> 334 ps */
		{ 3000000, 7 },         /* 2333.3 -> 2334 ps */
		{ 2400000, 1000 },      /* 416666.7 -> 416667 ps; 2.4e6 x 1e-9 is not exact in binary */
		{ 2400000, 2400 },      /* 1 us exactly */
		{ 1000000, 1 },         /* 1000 ps */
		{ 3300000, 123456789 }, /* 37411148181.8 -> 37411148182 ps */
		{ 4000000, 6000 },      /* 1.5 us */
	};
	uint64_t khz[16];
	for (unsigned k = 0; k < 8; k++)
		khz[2 * k] = khz[2 * k + 1] = cases[k].khz;
	struct hw_config c = topo(1, 1, 8, 2);
	c.lp_khz = khz;
	struct hw_host *h = build(&c);
	struct probe p[8];
	for (unsigned k = 0; k < 8; k++) {
		probe_init(&p[k], (double)cases[k].cycles, 0, NULL);
		hw_lp_set_cat(hw_lp_at(h, 2 * k), HW_CAT_GUEST); /* its own category does not matter */
		hw_lp_run(hw_lp_at(h, 2 * k), &p[k].w);
	}
	run_all();
	for (unsigned k = 0; k < 8; k++) {
		char what[64];
		snprintf(what, sizeof what, "%" PRIu64 " cycles at %" PRIu64 " kHz", cases[k].cycles, cases[k].khz);
		cr_expect_eq(p[k].ndone, 1, "%s: done %d times", what, p[k].ndone);
		expect_ps(what, p[k].done_at, full_ps(cases[k].cycles, cases[k].khz), 0);
	}
}

Test(smt, busy_sibling_in_any_category_multiplies_the_rate)
{
	/*
	 * smt 0.65 = 13/20: 3000 cycles at 3 GHz take 1e6 x 20/13 = 1538461.54 ps -> 1538462
	 * (0.46 ps from an integer: floating point cannot move the ceiling). Core 4's sibling idles.
	 */
	struct hw_config c = topo(1, 1, 5, 2);
	struct hw_host *h = build(&c);
	enum hw_cat sib[5] = { HW_CAT_GUEST, HW_CAT_HYPERVISOR, HW_CAT_ROOT, HW_CAT_SPIN, HW_CAT_IDLE };
	struct probe p[5];
	for (unsigned k = 0; k < 5; k++) {
		hw_lp_set_cat(hw_lp_at(h, 2 * k + 1), sib[k]);
		probe_init(&p[k], 3000, 0, NULL);
		hw_lp_run(hw_lp_at(h, 2 * k), &p[k].w);
	}
	run_all();
	for (unsigned k = 0; k < 5; k++) {
		cr_expect_eq(p[k].ndone, 1);
		expect_ps(hw_cat_name(sib[k]), p[k].done_at, sib[k] == HW_CAT_IDLE ? 1000000 : ceil_div(20000000, 13), 0);
	}
}

Test(smt, smt_factor_one_half_doubles_the_time_exactly)
{
	/* 0.5 is a power of two: rate / 2 and the quotient x 2 are exact, so the time is exactly 2x */
	struct hw_config c = topo(1, 1, 3, 2);
	c.smt_factor = 0.5;
	struct hw_host *h = build(&c);
	const uint64_t cycles[3] = { 3000, 7, 123456789 };
	struct probe p[3];
	for (unsigned k = 0; k < 3; k++) {
		hw_lp_set_cat(hw_lp_at(h, 2 * k + 1), HW_CAT_GUEST);
		probe_init(&p[k], (double)cycles[k], 0, NULL);
		hw_lp_run(hw_lp_at(h, 2 * k), &p[k].w);
	}
	run_all();
	for (unsigned k = 0; k < 3; k++) {
		char what[48];
		snprintf(what, sizeof what, "%" PRIu64 " cycles, sibling busy", cycles[k]);
		expect_ps(what, p[k].done_at, full_ps(2 * cycles[k], 3000000), 0);
	}
}

Test(smt, own_category_changes_do_not_rerate_own_work)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	struct hw_lp *lp = hw_lp_at(h, 0);
	at_cat(100000, lp, HW_CAT_GUEST);
	at_cat(200000, lp, HW_CAT_HYPERVISOR);
	at_cat(300000, lp, HW_CAT_SPIN);
	at_cat(400000, lp, HW_CAT_IDLE);
	at_cat(500000, lp, HW_CAT_ROOT);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	hw_lp_run(lp, &p.w);
	run_all();
	cr_assert_eq(p.ndone, 1);
	expect_ps("own categories only", p.done_at, 1000000, 0);
}

/*
 * In the tests below a work of 3000 cycles at 3 GHz is W = 1e6 "full-rate ps"; a segment of dt ps
 * with a busy sibling does dt x 13/20 of them (smt 0.65). The times are chosen so every partial sum
 * is an integer; the exact finish is then an integer and the model may land 1 ps either side.
 */

Test(smt, sibling_busy_half_way_settles_at_both_rates)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	at_cat(500000, hw_lp_at(h, 1), HW_CAT_GUEST);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	hw_lp_run(hw_lp_at(h, 0), &p.w);
	run_all();
	cr_assert_eq(p.ndone, 1);
	/* 500000 at full rate, the other 500000 full-rate ps at 13/20: 769230.77 ps -> 1269230.77 */
	expect_ps("busy from 500000", p.done_at, 500000 + ceil_div(500000 * 20, 13), 1);
}

Test(smt, sibling_busy_then_idle_again)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	at_cat(200000, hw_lp_at(h, 1), HW_CAT_GUEST);
	at_cat(400000, hw_lp_at(h, 1), HW_CAT_SPIN); /* still busy: no change of rate */
	at_cat(600000, hw_lp_at(h, 1), HW_CAT_IDLE);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	hw_lp_run(hw_lp_at(h, 0), &p.w);
	run_all();
	/* by 600000: 200000 + 400000 x 13/20 = 460000 done; 540000 left at full rate */
	expect_ps("busy 200000..600000", p.done_at, 600000 + 540000, 1);
}

Test(smt, sibling_idle_half_way_speeds_up)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	hw_lp_set_cat(hw_lp_at(h, 1), HW_CAT_ROOT);
	at_cat(650000, hw_lp_at(h, 1), HW_CAT_IDLE);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	hw_lp_run(hw_lp_at(h, 0), &p.w);
	run_all();
	/* by 650000: 650000 x 13/20 = 422500 done; 577500 left at full rate */
	expect_ps("busy until 650000", p.done_at, 650000 + 577500, 1);
}

Test(smt, four_threads_only_the_first_busy_and_last_idle_matter)
{
	struct hw_config c = topo(1, 1, 1, 4);
	struct hw_host *h = build(&c);
	at_cat(100000, hw_lp_at(h, 1), HW_CAT_GUEST);      /* busy from here */
	at_cat(300000, hw_lp_at(h, 2), HW_CAT_HYPERVISOR); /* still busy */
	at_cat(500000, hw_lp_at(h, 1), HW_CAT_IDLE);       /* still busy: lp 2 */
	at_cat(700000, hw_lp_at(h, 2), HW_CAT_IDLE);       /* idle from here */
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	hw_lp_run(hw_lp_at(h, 0), &p.w);
	run_all();
	/* by 700000: 100000 + 600000 x 13/20 = 490000 done; 510000 left at full rate */
	expect_ps("4 threads", p.done_at, 700000 + 510000, 1);
}

Test(smt, siblings_slow_each_other_until_one_goes_idle)
{
	struct hw_config c = topo(1, 1, 1, 2);
	c.smt_factor = 0.5;
	struct hw_host *h = build(&c);
	struct hw_lp *a = hw_lp_at(h, 0), *b = hw_lp_at(h, 1);
	hw_lp_set_cat(a, HW_CAT_GUEST);
	hw_lp_set_cat(b, HW_CAT_GUEST);
	struct probe pa, pb;
	probe_init(&pa, 1500, 0, NULL); /* 500000 full-rate ps */
	probe_init(&pb, 3000, 0, NULL); /* 1000000 full-rate ps */
	pa.idle_on_done = a;
	hw_lp_run(a, &pa.w);
	hw_lp_run(b, &pb.w);
	run_all();
	/* a: 500000 at 1/2 -> 1e6; b: 500000 done by then, 500000 left at full rate -> 1.5e6 */
	expect_ps("a (both busy)", pa.done_at, 1000000, 1);
	expect_ps("b (alone after a)", pb.done_at, 1500000, 1);
}

/* ================================ NUMA ================================ */

Test(numa, slowdown_formula_on_two_nodes)
{
	struct hw_config c = topo(1, 2, 1, 1);
	struct hw_host *h = build(&c);
	const double even[2] = { 0.5, 0.5 }, on0[2] = { 1, 0 }, on1[2] = { 0, 1 };
	/* (1 - m) + m x d / 10; every operand below is binary-exact, so the results are exact */
	const struct {
		uint32_t node;
		double m;
		const double *frac;
		double want;
	} cases[] = {
		{ 0, 1.0, even, 1.5 },  /* d = 15 */
		{ 0, 1.0, NULL, 1.0 },  /* NULL: local */
		{ 1, 1.0, NULL, 1.0 },
		{ 0, 1.0, on0, 1.0 },   /* all local */
		{ 0, 1.0, on1, 2.0 },   /* all remote */
		{ 1, 1.0, on0, 2.0 },
		{ 0, 0.0, on1, 1.0 },   /* not memory-bound */
		{ 0, 0.5, on1, 1.5 },   /* 0.5 + 0.5 x 2 */
		{ 0, 0.25, on1, 1.25 }, /* 0.75 + 0.25 x 2 */
		{ 1, 0.5, even, 1.25 }, /* 0.5 + 0.5 x 1.5 */
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double got = hw_numa_slowdown(h, cases[i].node, cases[i].m, cases[i].frac);
		cr_expect_eq(got, cases[i].want, "case %u: node %u m %g: %.17g, want %g", i, cases[i].node, cases[i].m, got,
			     cases[i].want);
	}
}

Test(numa, slowdown_formula_with_a_custom_matrix)
{
	uint32_t d[16] = {
		10, 16, 22, 28, //
		16, 10, 16, 22, //
		22, 16, 10, 16, //
		28, 22, 16, 10, //
	};
	struct hw_config c = topo(2, 2, 1, 1);
	c.distance = d;
	struct hw_host *h = build(&c);
	/* node 2, m = 1/4: d = 22/8 + 16/4 + 10/2 + 16/8 = 13.75; 0.75 + 0.25 x 1.375 = 1.09375 */
	const double frac[4] = { 0.125, 0.25, 0.5, 0.125 };
	cr_expect_eq(hw_numa_slowdown(h, 2, 0.25, frac), 1.09375, "%.17g", hw_numa_slowdown(h, 2, 0.25, frac));
	/* node 0, everything on node 3, m = 1: 28 / 10, one rounding */
	const double on3[4] = { 0, 0, 0, 1 };
	cr_expect_eq(hw_numa_slowdown(h, 0, 1.0, on3), 28.0 / 10.0);
	cr_expect_eq(hw_numa_slowdown(h, 3, 1.0, NULL), 1.0);
}

Test(numa, remote_memory_runs_exactly_twice_slower)
{
	/* 2 nodes x 2 cores x 1 thread: LPs 0, 1 on node 0; LPs 2, 3 on node 1; no SMT */
	struct hw_config c = topo(1, 2, 2, 1);
	struct hw_host *h = build(&c);
	const double on1[2] = { 0, 1 }, even[2] = { 0.5, 0.5 };
	struct probe remote, local, by_default, split;
	probe_init(&remote, 3000, 1.0, on1);
	probe_init(&local, 3000, 1.0, on1);
	probe_init(&by_default, 3000, 1.0, NULL);
	probe_init(&split, 3000, 1.0, even);
	hw_lp_run(hw_lp_at(h, 0), &remote.w);     /* node 0, memory on node 1: slowdown 2 */
	hw_lp_run(hw_lp_at(h, 2), &local.w);      /* node 1, memory on node 1 */
	hw_lp_run(hw_lp_at(h, 1), &by_default.w); /* NULL: local wherever it runs */
	hw_lp_run(hw_lp_at(h, 3), &split.w);      /* half / half: slowdown 1.5 */
	run_all();
	expect_ps("all remote", remote.done_at, 2000000, 0); /* rate / 2 is exact: exactly 2x */
	expect_ps("all local", local.done_at, 1000000, 0);
	expect_ps("mem_frac NULL", by_default.done_at, 1000000, 0);
	expect_ps("even split", split.done_at, 1500000, 1); /* rate / 1.5 is not exact */
	/* the time lost to remote memory: elapsed x (1 - 1 / slowdown) */
	cr_expect(fabs(remote.w.remote_ps - 1000000.0) <= 1, "all remote: lost %.3f ps of 2 us", remote.w.remote_ps);
	cr_expect_eq(local.w.remote_ps, 0.0);
	cr_expect_eq(by_default.w.remote_ps, 0.0);
	cr_expect(fabs(split.w.remote_ps - 500000.0) <= 1, "even split: lost %.3f ps of 1.5 us", split.w.remote_ps);
}

Test(numa, numa_and_smt_multiply)
{
	struct hw_config c = topo(1, 2, 1, 2);
	c.smt_factor = 0.5;
	struct hw_host *h = build(&c);
	const double on1[2] = { 0, 1 };
	struct probe p;
	probe_init(&p, 3000, 1.0, on1);
	hw_lp_set_cat(hw_lp_at(h, 1), HW_CAT_GUEST);
	hw_lp_run(hw_lp_at(h, 0), &p.w);
	run_all();
	expect_ps("remote x busy sibling", p.done_at, 4000000, 0); /* x2 x2, both powers of two */
}

Test(numa, moving_work_to_the_memory_node_settles_at_the_old_rate)
{
	struct hw_config c = topo(1, 2, 1, 1);
	struct hw_host *h = build(&c);
	const double on1[2] = { 0, 1 };
	struct probe p;
	probe_init(&p, 3000, 1.0, on1);
	struct act *s = at_stop(400000, hw_lp_at(h, 0));
	at_run(400000, hw_lp_at(h, 1), &p.w); /* after the stop: same instant, added later */
	hw_lp_run(hw_lp_at(h, 0), &p.w);
	run_all();
	/* 400000 ps at half rate (0.0015 cycles/ps) = 600 cycles; 2400 left at 0.003 -> 800000 ps */
	cr_expect_eq(s->stopped, &p.w);
	cr_expect(fabs(s->left - 2400) <= 1e-9, "left %.17g, want 2400", s->left);
	cr_expect_eq(p.ndone, 1);
	expect_ps("node 0 then node 1", p.done_at, 1200000, 1);
}

Test(numa, per_lp_frequency_sets_the_rate)
{
	uint64_t khz[4] = { 1000000, 2000000, 3000000, 2400000 };
	struct hw_config c = topo(1, 1, 4, 1);
	c.lp_khz = khz;
	struct hw_host *h = build(&c);
	struct probe p[4];
	for (unsigned i = 0; i < 4; i++) {
		probe_init(&p[i], 6000, 0, NULL);
		hw_lp_run(hw_lp_at(h, i), &p[i].w);
	}
	run_all();
	const sim_time_t want[4] = { 6000000, 3000000, 2000000, 2500000 };
	for (unsigned i = 0; i < 4; i++) {
		char what[32];
		snprintf(what, sizeof what, "6000 cycles at %" PRIu64 " kHz", khz[i]);
		expect_ps(what, p[i].done_at, want[i], 0);
	}
}

/* ================================ stop / resume ================================ */

Test(stop, stop_settles_and_detaches)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	struct hw_lp *lp = hw_lp_at(h, 0);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	struct act *s = at_stop(400000, lp);
	hw_lp_run(lp, &p.w);
	cr_assert_eq(lp->work, &p.w);
	cr_assert_eq(p.w.lp, lp);
	run_all();
	cr_assert(s->ran);
	cr_expect_eq(s->stopped, &p.w);
	cr_expect(s->detached, "work still attached after hw_lp_stop");
	cr_expect_not(s->timer_pending, "completion timer still armed after hw_lp_stop");
	/* 400000 ps x 0.003 cycles/ps = 1200 done (rounding error of a few ulp of 3000) */
	cr_expect(fabs(s->left - 1800) <= 1e-9, "left %.17g, want 1800", s->left);
	cr_expect_eq(p.w.cycles, s->left, "cycles changed while stopped");
	cr_expect_eq(p.ndone, 0, "a stopped work completed");
	cr_expect_eq(sim_pending(sim), 0);
	cr_expect_null(hw_lp_stop(lp), "stopping an LP without work returns NULL");
}

Test(stop, rerun_resumes_from_the_remainder)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	struct hw_lp *lp = hw_lp_at(h, 0);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	at_stop(400000, lp);
	at_run(700000, lp, &p.w);
	hw_lp_run(lp, &p.w);
	run_all();
	cr_expect_eq(p.ndone, 1);
	/* 400000 run + 300000 stopped + 600000 for the 1800 left */
	expect_ps("stopped 400000..700000", p.done_at, 1300000, 1);
	cr_expect_null(lp->work);
}

Test(stop, stop_with_busy_sibling_settles_at_the_smt_rate)
{
	struct hw_config c = topo(1, 1, 1, 2);
	c.smt_factor = 0.5;
	struct hw_host *h = build(&c);
	struct hw_lp *lp = hw_lp_at(h, 0);
	hw_lp_set_cat(hw_lp_at(h, 1), HW_CAT_GUEST);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	struct act *s = at_stop(400000, lp);
	at_cat(500000, hw_lp_at(h, 1), HW_CAT_IDLE); /* no work on lp 0: nothing to re-rate */
	at_run(600000, lp, &p.w);
	hw_lp_run(lp, &p.w);
	run_all();
	/* 400000 ps x 0.0015 = 600 done, 2400 left; from 600000 alone: 800000 ps */
	cr_expect(fabs(s->left - 2400) <= 1e-9, "left %.17g, want 2400", s->left);
	expect_ps("resumed alone", p.done_at, 1400000, 1);
}

Test(stop, migrating_between_cores_keeps_the_remainder)
{
	struct hw_config c = topo(1, 1, 2, 2);
	struct hw_host *h = build(&c);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	at_stop(250000, hw_lp_at(h, 0));
	at_run(250000, hw_lp_at(h, 3), &p.w);
	at_cat(250000, hw_lp_at(h, 2), HW_CAT_GUEST); /* lp 3's sibling: from now 13/20 */
	hw_lp_run(hw_lp_at(h, 0), &p.w);
	run_all();
	/* 250000 full-rate ps done; 750000 left at 13/20: 1153846.15 ps */
	expect_ps("moved to a busy core", p.done_at, 250000 + ceil_div(750000 * 20, 13), 1);
	cr_expect_null(hw_lp_at(h, 0)->work);
	cr_expect_null(hw_lp_at(h, 3)->work);
}

Test(stop, stop_at_the_completion_instant_wins_when_handled_first)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	struct hw_lp *lp = hw_lp_at(h, 0);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	struct act *s = at_stop(1000000, lp); /* scheduled before the completion is armed */
	hw_lp_run(lp, &p.w);
	cr_assert_eq(sim_timer_expiry(&lp->done_timer), 1000000);
	run_all();
	cr_expect_eq(s->stopped, &p.w);
	cr_expect(s->left >= 0 && s->left <= 1e-9, "left %.17g, want 0", s->left);
	cr_expect_eq(p.ndone, 0, "the completion fired for a stopped work");
}

/* Stops and restarts a work at random instants until it is done. */
static struct toggler {
	struct sim_entity ent;
	sim_timer_t timer;
	struct hw_lp *lp;
	struct probe *p;
	uint64_t rng;
	bool running;
	sim_time_t stopped_at, gaps;
	unsigned nstops;
} tg;

static void toggler_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)ent;
	(void)kind;
	(void)pl;
	uint64_t x = test_xorshift(&tg.rng);
	sim_time_t now = sim_now(sim);
	if (tg.running) {
		cr_assert_eq(hw_lp_stop(tg.lp), &tg.p->w);
		tg.nstops++;
		tg.running = false;
		tg.stopped_at = now;
		sim_time_t gap = x % 40001;
		if (gap) {
			sim_timer_arm(sim, &tg.timer, now + gap);
			return;
		}
	}
	tg.gaps += now - tg.stopped_at;
	hw_lp_run(tg.lp, &tg.p->w);
	tg.running = true;
	sim_timer_arm(sim, &tg.timer, now + 1 + (x >> 20) % 40000);
}

static const struct sim_entity_ops toggler_ops = { .kind = "test-toggler", .event = toggler_event };

Test(stop, many_stop_run_cycles_conserve_progress)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	struct probe p;
	probe_init(&p, 3000, 0, NULL);
	memset(&tg, 0, sizeof tg);
	tg.lp = hw_lp_at(h, 0);
	tg.p = &p;
	tg.rng = 0x9e3779b97f4a7c15u;
	p.cancel_on_done = &tg.timer;
	sim_entity_add(sim, &tg.ent, &toggler_ops, "toggler");
	sim_timer_init(&tg.timer, &tg.ent, EV_TICK);
	sim_timer_arm(sim, &tg.timer, 0);
	run_until(SIM_PS_PER_MS); /* ~2 us expected; bounded, so lost progress fails instead of looping */
	cr_assert_eq(p.ndone, 1);
	cr_assert_gt(tg.nstops, 20, "only %u stops: the test did not exercise settling", tg.nstops);
	/* run segments add up to exactly 1e6 ps of full-rate work; everything else is gaps */
	expect_ps("after many stops", p.done_at, 1000000 + tg.gaps, 1);
}

Test(stop, running_work_on_an_occupied_lp_is_a_model_bug, .signal = SIGABRT)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	struct probe a, b;
	probe_init(&a, 3000, 0, NULL);
	probe_init(&b, 3000, 0, NULL);
	hw_lp_run(hw_lp_at(h, 0), &a.w);
	hw_lp_run(hw_lp_at(h, 0), &b.w);
}

Test(stop, running_one_work_on_two_lps_is_a_model_bug, .signal = SIGABRT)
{
	struct hw_config c = topo(1, 1, 2, 2);
	struct hw_host *h = build(&c);
	struct probe a;
	probe_init(&a, 3000, 0, NULL);
	hw_lp_run(hw_lp_at(h, 0), &a.w);
	hw_lp_run(hw_lp_at(h, 2), &a.w);
}

/* ================================ accounting ================================ */

/* Every LP: the categories add up to now - window start. Returns the total over all LPs. */
static sim_time_t check_sums(struct hw_host *h)
{
	sim_time_t span = sim_now(sim) - hw_window_start(h), total = 0;
	for (uint32_t i = 0; i < hw_nlps(h); i++) {
		sim_time_t sum = 0;
		for (int c = 0; c < HW_NCAT; c++)
			sum += hw_lp_time(hw_lp_at(h, i), (enum hw_cat)c);
		cr_assert_eq(sum, span, "lp %u: categories add up to %" PRIu64 " ps, window is %" PRIu64, i, sum, span);
		total += sum;
	}
	cr_assert_eq(total, (sim_time_t)hw_nlps(h) * span);
	return total;
}

Test(accounting, lps_start_idle_and_count_from_zero)
{
	struct hw_config c = topo(1, 1, 2, 2);
	struct hw_host *h = build(&c);
	for (uint32_t i = 0; i < 4; i++)
		for (int k = 0; k < HW_NCAT; k++)
			cr_expect_eq(hw_lp_time(hw_lp_at(h, i), (enum hw_cat)k), 0);
	run_until(1000); /* nothing scheduled: the clock moves to 1000 */
	cr_assert_eq(sim_now(sim), 1000);
	for (uint32_t i = 0; i < 4; i++)
		for (int k = 0; k < HW_NCAT; k++)
			cr_expect_eq(hw_lp_time(hw_lp_at(h, i), (enum hw_cat)k), k == HW_CAT_IDLE ? 1000u : 0u, "lp %u %s", i,
				     hw_cat_name((enum hw_cat)k));
	cr_expect_eq(check_sums(h), 4000);
}

Test(accounting, hw_lp_time_includes_the_open_interval)
{
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	struct hw_lp *lp = hw_lp_at(h, 0);
	at_cat(100, lp, HW_CAT_GUEST);
	struct act *mid = at_peek(400, lp);
	at_cat(450, lp, HW_CAT_HYPERVISOR);
	at_cat(500, lp, HW_CAT_HYPERVISOR); /* same category again: no split, no change */
	at_cat(600, lp, HW_CAT_GUEST);
	run_until(1000);
	cr_expect_eq(mid->time[HW_CAT_GUEST], 300, "at 400, open guest interval: %" PRIu64, mid->time[HW_CAT_GUEST]);
	cr_expect_eq(mid->time[HW_CAT_IDLE], 100);
	cr_expect_eq(hw_lp_time(lp, HW_CAT_GUEST), 350 + 400);
	cr_expect_eq(hw_lp_time(lp, HW_CAT_HYPERVISOR), 150);
	cr_expect_eq(hw_lp_time(lp, HW_CAT_IDLE), 100);
	cr_expect_eq(hw_lp_time(lp, HW_CAT_ROOT), 0);
	cr_expect_eq(hw_lp_time(lp, HW_CAT_SPIN), 0);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 1), HW_CAT_IDLE), 1000);
	check_sums(h);
}

Test(accounting, a_host_built_later_starts_its_window_then)
{
	run_until(5000);
	struct hw_config c = topo(1, 1, 1, 2);
	struct hw_host *h = build(&c);
	cr_expect_eq(hw_window_start(h), 5000);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 0), HW_CAT_IDLE), 0);
	run_until(8000);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 0), HW_CAT_IDLE), 3000);
	cr_expect_eq(check_sums(h), 6000);
}

Test(accounting, warmup_zeroes_accounting_and_moves_the_window)
{
	struct hw_config c = topo(1, 1, 2, 2);
	struct hw_host *h = build(&c);
	hw_lp_set_cat(hw_lp_at(h, 0), HW_CAT_GUEST);         /* guest throughout */
	hw_lp_set_cat(hw_lp_at(h, 1), HW_CAT_GUEST);         /* guest only before warm-up */
	at_cat(300, hw_lp_at(h, 1), HW_CAT_IDLE);
	at_cat(500, hw_lp_at(h, 2), HW_CAT_ROOT);            /* exactly at warm-up: after the reset */
	at_cat(700, hw_lp_at(h, 3), HW_CAT_SPIN);
	struct sim_run_params p = { .end = 1000, .warmup = 500 };
	sim_run(sim, &p);
	cr_assert_eq(hw_window_start(h), 500);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 0), HW_CAT_GUEST), 500);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 1), HW_CAT_GUEST), 0, "guest time before warm-up survived the reset");
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 1), HW_CAT_IDLE), 500);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 2), HW_CAT_ROOT), 500);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 2), HW_CAT_IDLE), 0);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 3), HW_CAT_IDLE), 200);
	cr_expect_eq(hw_lp_time(hw_lp_at(h, 3), HW_CAT_SPIN), 300);
	cr_expect_eq(check_sums(h), 4 * 500);
}

Test(accounting, category_names)
{
	cr_expect_str_eq(hw_cat_name(HW_CAT_GUEST), "guest");
	cr_expect_str_eq(hw_cat_name(HW_CAT_HYPERVISOR), "hypervisor");
	cr_expect_str_eq(hw_cat_name(HW_CAT_ROOT), "root");
	cr_expect_str_eq(hw_cat_name(HW_CAT_SPIN), "spin");
	cr_expect_str_eq(hw_cat_name(HW_CAT_IDLE), "idle");
	cr_expect_str_eq(hw_cat_name(HW_NCAT), "?");
}

/*
 * Churn: an entity of the test's own puts random LPs into random categories at random instants
 * (gaps may be 0: several changes at one instant) and, optionally, starts random work on LPs
 * without any. It keeps two shadow records computed from its own knowledge only:
 *   - a ledger of each LP's time per category (integers: must equal hw_lp_time exactly);
 *   - each work's executed cycles, integrated over the piecewise-constant rate the test derives
 *     from the categories it set (khz x 1e-9, x smt_factor while the other thread is not idle).
 * At completion the shadow must show the work's cycles done within the last picosecond:
 * shadow in [want, want + rate x 1 ps], up to 1e-6 cycles of floating-point noise (thousands of
 * additions of terms below 4000 err by ~1e-9).
 */
#define CH_MAXLP 32

struct ch_work {
	struct hw_work w;
	uint32_t lp;
	double want, shadow;
	sim_time_t last;
	bool running;
};

static struct churn {
	struct sim_entity ent;
	sim_timer_t tick;
	struct sim_reset_hook hook;
	struct hw_host *h;
	uint32_t nlps;
	uint64_t rng;
	sim_time_t max_gap;
	bool with_work;
	enum hw_cat cat[CH_MAXLP];
	sim_time_t since[CH_MAXLP];
	sim_time_t acc[CH_MAXLP][HW_NCAT];
	struct ch_work work[CH_MAXLP];
	unsigned steps, nchanges, nstarted, ndone, nresets;
} ch;

/* The host is 2 threads per core: LP i's sibling is i ^ 1. */
static double ch_rate(uint32_t i)
{
	double r = (double)hw_lp_at(ch.h, i)->khz * 1e-9;
	return ch.cat[i ^ 1] != HW_CAT_IDLE ? r * hw_smt_factor(ch.h) : r;
}

/* Integrates the shadow progress of both threads of i's core up to now. */
static void ch_advance(uint32_t i)
{
	sim_time_t now = sim_now(sim);
	for (uint32_t t = i & ~1u; t <= (i | 1u); t++) {
		struct ch_work *cw = &ch.work[t];
		if (cw->running) {
			cw->shadow += ch_rate(t) * (double)(now - cw->last);
			cw->last = now;
		}
	}
}

static void ch_check_ledger(void)
{
	sim_time_t now = sim_now(sim);
	for (uint32_t i = 0; i < ch.nlps; i++)
		for (int c = 0; c < HW_NCAT; c++) {
			sim_time_t want = ch.acc[i][c] + (ch.cat[i] == (enum hw_cat)c ? now - ch.since[i] : 0);
			sim_time_t got = hw_lp_time(hw_lp_at(ch.h, i), (enum hw_cat)c);
			cr_assert_eq(got, want, "at %" PRIu64 ": lp %u %s %" PRIu64 " ps, ledger %" PRIu64, now, i,
				     hw_cat_name((enum hw_cat)c), got, want);
		}
	check_sums(ch.h);
}

static void ch_done(struct hw_work *w)
{
	struct ch_work *cw = sim_container_of(w, struct ch_work, w);
	cr_assert(cw->running, "lp %u: done twice", cw->lp);
	cr_assert_null(hw_lp_at(ch.h, cw->lp)->work);
	ch_advance(cw->lp);
	cw->running = false;
	ch.ndone++;
	double top = cw->want + (double)hw_lp_at(ch.h, cw->lp)->khz * 1e-9;
	cr_assert(cw->shadow >= cw->want - 1e-6 && cw->shadow <= top + 1e-6,
		  "lp %u at %" PRIu64 ": done with %.9f of %.0f cycles executed (shadow)", cw->lp, sim_now(sim), cw->shadow,
		  cw->want);
}

static const struct hw_work_ops ch_work_ops = { .done = ch_done };

static void ch_event(struct sim_entity *ent, unsigned kind, const union sim_payload *pl)
{
	(void)ent;
	(void)kind;
	(void)pl;
	uint64_t x = test_xorshift(&ch.rng);
	sim_time_t now = sim_now(sim);
	uint32_t i = (uint32_t)(x % ch.nlps);
	enum hw_cat c = (enum hw_cat)((x >> 8) % HW_NCAT);

	ch_advance(i); /* progress so far at the rates before the change */
	if (c != ch.cat[i]) {
		ch.acc[i][ch.cat[i]] += now - ch.since[i];
		ch.cat[i] = c;
		ch.since[i] = now;
		ch.nchanges++;
	}
	hw_lp_set_cat(hw_lp_at(ch.h, i), c);

	struct ch_work *cw = &ch.work[i];
	if (ch.with_work && !cw->running && (x >> 16) % 3 == 0) {
		cw->want = (double)(1 + (x >> 20) % 4000);
		cw->w = (struct hw_work){ .ops = &ch_work_ops, .cycles = cw->want };
		cw->lp = i;
		cw->shadow = 0;
		cw->last = now;
		cw->running = true;
		hw_lp_run(hw_lp_at(ch.h, i), &cw->w);
		ch.nstarted++;
	}
	if (++ch.steps % 64 == 0)
		ch_check_ledger();
	sim_timer_arm(sim, &ch.tick, now + (x >> 32) % ch.max_gap);
}

static const struct sim_entity_ops churn_ops = { .kind = "test-churn", .event = ch_event };

/* The engine's warm-up reset: runs after hw's own hook (tracked later), at the same instant. */
static void ch_reset(struct sim_reset_hook *hook, sim_time_t now)
{
	(void)hook;
	memset(ch.acc, 0, sizeof ch.acc);
	for (uint32_t i = 0; i < ch.nlps; i++)
		ch.since[i] = now;
	ch.nresets++;
}

static void churn_start(struct hw_host *h, uint64_t seed, sim_time_t max_gap, bool with_work)
{
	memset(&ch, 0, sizeof ch);
	ch.h = h;
	ch.nlps = hw_nlps(h);
	cr_assert_leq(ch.nlps, CH_MAXLP);
	cr_assert_eq(hw_lp_at(h, 0)->nthreads, 2, "the shadow assumes 2 threads per core");
	for (uint32_t i = 0; i < ch.nlps; i++) {
		ch.cat[i] = HW_CAT_IDLE;
		ch.since[i] = sim_now(sim);
	}
	ch.rng = seed;
	ch.max_gap = max_gap;
	ch.with_work = with_work;
	ch.hook.reset = ch_reset;
	sim_track_reset(sim, &ch.hook);
	sim_entity_add(sim, &ch.ent, &churn_ops, "churn");
	sim_timer_init(&ch.tick, &ch.ent, EV_TICK);
	sim_timer_arm(sim, &ch.tick, sim_now(sim));
}

Test(accounting, random_changes_sum_exactly)
{
	struct hw_config c = topo(2, 2, 4, 2);
	struct hw_host *h = build(&c);
	churn_start(h, 0x2545f4914f6cdd1du, 400, false);
	run_until(4000000);
	cr_assert_eq(sim_now(sim), 4000000);
	cr_assert_gt(ch.nchanges, 10000, "only %u changes", ch.nchanges);
	ch_check_ledger();
	cr_expect_eq(check_sums(h), (sim_time_t)32 * 4000000);
}

Test(accounting, warmup_with_random_changes_sums_exactly_after)
{
	struct hw_config c = topo(2, 2, 4, 2);
	struct hw_host *h = build(&c);
	churn_start(h, 0x853c49e6748fea9bu, 400, false);
	struct sim_run_params p = { .end = 4000000, .warmup = 1500001 };
	sim_run(sim, &p);
	cr_assert_eq(ch.nresets, 1);
	cr_assert_eq(hw_window_start(h), 1500001);
	cr_assert_eq(sim_now(sim), 4000000);
	ch_check_ledger();
	cr_expect_eq(check_sums(h), (sim_time_t)32 * (4000000 - 1500001));
}

Test(accounting, random_churn_with_work_keeps_progress_and_accounting_exact)
{
	struct hw_config c = topo(2, 2, 4, 2);
	struct hw_host *h = build(&c);
	churn_start(h, 0xda3e39cb94b95bdbu, 400, true);
	struct sim_run_params p = { .end = 6000000, .warmup = 1000000 };
	sim_run(sim, &p);
	/* guards against a vacuous run, not tuned: ~30000 steps, a third of idle LPs start work */
	cr_assert_gt(ch.ndone, 200, "only %u works completed", ch.ndone);
	unsigned running = 0;
	for (uint32_t i = 0; i < ch.nlps; i++) {
		running += ch.work[i].running;
		cr_expect_eq(hw_lp_at(h, i)->work, ch.work[i].running ? &ch.work[i].w : NULL, "lp %u", i);
	}
	cr_expect_eq(ch.nstarted, ch.ndone + running);
	ch_check_ledger();
	cr_expect_eq(hw_window_start(h), 1000000);
}

/* ================================ regressions ================================ */

/*
 * hw_host_new once formed nnodes x cores_per_node x threads_per_core in uint64 unchecked, so a
 * product that wraps past 2^64 passed "nlps <= HW_MAX_LPS": 2 x 1 x 2527330632 x 3649452082 =
 * 2^64 + 32 was accepted as a 32-LP host whose LPs all claimed core 0 of 3649452082 threads
 * (hw_lp_sibling_busy then walks far past the LP array). It must be refused.
 */
Test(config, lp_count_overflow_is_refused)
{
	struct sim *s = sim_new(1);
	struct hw_config c = topo(2, 1, 2527330632u, 3649452082u);
	GError *err = NULL;
	struct hw_host *h = hw_host_new(s, &c, &err);
	if (h)
		cr_expect_fail("accepted: %u LPs, %u cores, lp 0 has nthreads %u", hw_nlps(h), hw_ncores(h),
			       hw_lp_at(h, 0)->nthreads);
	else
		cr_expect_not_null(err);
	if (err)
		g_error_free(err);
	sim_free(s);
	hw_host_free(h);
}

/*
 * The "too many nodes" error once read "host: 65 NUMA nodes, at most 64 supported", naming neither
 * key that produced the count (sockets, numa_nodes_per_socket); every other config error names its key.
 */
Test(config, too_many_nodes_message_names_the_keys)
{
	struct hw_config c = topo(5, 13, 1, 1);
	GError *err = NULL;
	struct hw_host *h = hw_host_new(sim, &c, &err);
	cr_assert_null(h);
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "sockets") || strstr(err->message, "numa_nodes_per_socket"),
		  "message \"%s\" names neither sockets nor numa_nodes_per_socket", err->message);
	g_error_free(err);
}
