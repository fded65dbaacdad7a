/* SPDX-License-Identifier: MIT */
/*
 * replications.h - a 99.9% Student-t interval over the results of R = 10 independent
 *                  replications, for tests that compare a simulated mean with theory.
 */
#ifndef TESTS_HELPERS_REPLICATIONS_H
#define TESTS_HELPERS_REPLICATIONS_H

#include <math.h>

#define R 10
/* Student t quantile t_{0.9995, R-1 = 9}: a two-sided 99.9% interval. */
#define T_999_9 4.781

struct ci {
	double mean, half;
};

static inline struct ci interval(const double *x)
{
	double m = 0, v = 0;
	for (int i = 0; i < R; i++)
		m += x[i];
	m /= R;
	for (int i = 0; i < R; i++)
		v += (x[i] - m) * (x[i] - m);
	v /= R - 1;
	return (struct ci){m, T_999_9 * sqrt(v / R)};
}

#endif /* TESTS_HELPERS_REPLICATIONS_H */
