/* SPDX-License-Identifier: MIT */
/*
 * tdist.h - quantiles of Student's t distribution for 95% confidence intervals and t-tests.
 * Role: used by compare.c; exposed for tests. Table lookup with interpolation, no special functions.
 * See: analysis/tdist.c (the table and its source); tests/unit/analysis/test_results.c
 */
#ifndef ANALYSIS_TDIST_H
#define ANALYSIS_TDIST_H

/*
 * t_{0.975, df}: the two-sided 5% critical value (the 97.5th percentile) for df >= 1 degrees of
 * freedom, df not necessarily whole (Welch-Satterthwaite). NAN for df < 1 or NaN; 1.960 for
 * df = infinity. Accurate to the table's three decimals at its entries, and to about 1e-3
 * between them (interpolation in 1/df).
 */
double an_t975(double df);

#endif /* ANALYSIS_TDIST_H */
