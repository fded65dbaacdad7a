/* SPDX-License-Identifier: MIT */
/*
 * test_hv_fair.c - model tests of the classic VP scheduler's shares: N always-runnable VPs on
 *                  M < N LPs get M/N each; weights; a limit caps; a reserve is honoured; soft
 *                  affinity cuts migrations at equal fairness.
 * Tolerances: under classic a VP lags the others by at most affinity_slack + one quantum
 *       (20 ms + 10 ms) before some LP takes it, so over T its share is off by at most
 *       30 ms / T: 0.3% of an LP over 10 s. The tests ask for 1% of the expected share.
 */
#include "tests/model/hvtest.h"

#define T10 (10 * SIM_PS_PER_S)

static void expect_share(struct hvt *t, struct busy_guest *g, double want, double rel)
{
	for (uint32_t i = 0; i < hv_partition_nvps(g->part); i++) {
		double s = hvt_vp_share(t, g, i);
		cr_expect(fabs(s - want) <= rel * want, "%s vp %u share %.5f, want %.5f +- %.1f%%",
			  hv_partition_name(g->part), i, s, want, rel * 100);
	}
}

Test(hv_fair, n_vps_on_m_lps_get_m_over_n)
{
	struct hvt t;
	hvt_init(&t, 1, 3, 1, "classic", NULL);
	struct busy_guest *g = hvt_vm(&t, "a", 5, 100, 0, 100);
	hvt_run(&t, T10);
	expect_share(&t, g, 3.0 / 5.0, 0.01);
	hvt_fini(&t);
}

Test(hv_fair, several_vms_share_equally)
{
	struct hvt t;
	hvt_init(&t, 1, 4, 1, "classic", NULL);
	struct busy_guest *a = hvt_vm(&t, "a", 3, 100, 0, 100);
	struct busy_guest *b = hvt_vm(&t, "b", 4, 100, 0, 100);
	struct busy_guest *c = hvt_vm(&t, "c", 3, 100, 0, 100);
	hvt_run(&t, T10);
	expect_share(&t, a, 0.4, 0.01);
	expect_share(&t, b, 0.4, 0.01);
	expect_share(&t, c, 0.4, 0.01);
	hvt_fini(&t);
}

Test(hv_fair, weights_two_to_one)
{
	struct hvt t;
	hvt_init(&t, 1, 1, 1, "classic", NULL);
	struct busy_guest *a = hvt_vm(&t, "heavy", 1, 200, 0, 100);
	struct busy_guest *b = hvt_vm(&t, "light", 1, 100, 0, 100);
	hvt_run(&t, T10);
	expect_share(&t, a, 2.0 / 3.0, 0.01);
	expect_share(&t, b, 1.0 / 3.0, 0.01);
	hvt_fini(&t);
}

Test(hv_fair, weights_across_lps)
{
	/* 3 LPs, 2 VPs of weight 200 and 4 of weight 100: shares 3 x w / 800 = 0.75 and 0.375 */
	struct hvt t;
	hvt_init(&t, 1, 3, 1, "classic", NULL);
	struct busy_guest *a = hvt_vm(&t, "heavy", 2, 200, 0, 100);
	struct busy_guest *b = hvt_vm(&t, "light", 4, 100, 0, 100);
	hvt_run(&t, T10);
	expect_share(&t, a, 0.75, 0.01);
	expect_share(&t, b, 0.375, 0.01);
	hvt_fini(&t);
}

Test(hv_fair, limit_caps_alone_and_under_contention)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "classic", NULL);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	/* alone on LP 1: the limit, not the LP, is the bound */
	uint32_t lp1 = 1, lp0 = 0;
	pc.name = "capped", pc.limit = 25, pc.affinity = &lp1, pc.naffinity = 1;
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	GError *err = NULL;
	struct busy_guest *a = busy_guest_new(t.hv, &pc, &bp, &err);
	/* on LP 0 with a competitor: still 25%, the competitor takes the rest */
	pc.name = "capped2", pc.affinity = &lp0;
	struct busy_guest *b = busy_guest_new(t.hv, &pc, &bp, &err);
	pc.name = "free", pc.limit = 100;
	struct busy_guest *c = busy_guest_new(t.hv, &pc, &bp, &err);
	cr_assert(a && b && c);
	t.g[t.ng++] = a, t.g[t.ng++] = b, t.g[t.ng++] = c;
	hvt_run(&t, T10);
	expect_share(&t, a, 0.25, 0.01);
	expect_share(&t, b, 0.25, 0.01);
	/* the root's VP 0 is pinned to LP 0 but idle (halted): the free VM gets the remaining 75% */
	expect_share(&t, c, 0.75, 0.01);
	hvt_fini(&t);
}

Test(hv_fair, reserve_honoured_under_contention)
{
	/* one LP, 4 equal VPs: fair share 25%; the VP with a 40% reserve gets 40% */
	struct hvt t;
	hvt_init(&t, 1, 1, 1, "classic", NULL);
	struct busy_guest *a = hvt_vm(&t, "reserved", 1, 100, 40, 100);
	struct busy_guest *b = hvt_vm(&t, "others", 3, 100, 0, 100);
	hvt_run(&t, T10);
	expect_share(&t, a, 0.40, 0.01);
	expect_share(&t, b, 0.20, 0.01);
	hvt_fini(&t);
}

Test(hv_fair, reserve_beyond_the_host_is_refused)
{
	struct hvt t;
	hvt_init(&t, 1, 2, 1, "classic", NULL);
	struct hv_partition_config pc;
	hv_partition_config_default(&pc);
	pc.name = "greedy", pc.vcpus = 3, pc.reserve = 80; /* 240% of one LP on a 2-LP host */
	struct busy_guest_params bp;
	busy_guest_params_default(&bp);
	GError *err = NULL;
	cr_expect_null(busy_guest_new(t.hv, &pc, &bp, &err));
	cr_assert_not_null(err);
	cr_expect(strstr(err->message, "reserve") != NULL, "%s", err->message);
	g_error_free(err);
	hvt_fini(&t);
}

static void affinity_off(struct hv_config *c) { c->soft_affinity = false; }

/* Migrations per second and the spread of shares of 6 VPs on 4 LPs. */
static void migration_run(bool soft, double *mig_per_s, double *worst_dev)
{
	struct hvt t;
	hvt_init(&t, 1, 4, 1, "classic", soft ? NULL : affinity_off);
	struct busy_guest *g = hvt_vm(&t, "a", 6, 100, 0, 100);
	hvt_run(&t, T10);
	struct hv_counters c;
	hv_partition_counters(g->part, &c);
	*mig_per_s = (double)c.migrations / 10.0;
	*worst_dev = 0;
	for (uint32_t i = 0; i < 6; i++)
		*worst_dev = fmax(*worst_dev, fabs(hvt_vp_share(&t, g, i) - 4.0 / 6.0) / (4.0 / 6.0));
	hvt_fini(&t);
}

Test(hv_fair, soft_affinity_cuts_migrations_at_equal_fairness)
{
	double on, off, dev_on, dev_off;
	migration_run(true, &on, &dev_on);
	migration_run(false, &off, &dev_off);
	cr_log_info("migrations/s: soft affinity %.1f, off %.1f; worst share deviation %.4f / %.4f", on, off, dev_on,
		    dev_off);
	cr_expect(dev_on <= 0.01 && dev_off <= 0.01, "shares off by %.4f / %.4f", dev_on, dev_off);
	cr_expect(off >= 10 * on, "migrations/s %.1f with soft affinity, %.1f without", on, off);
	cr_expect(off > 0);
}
