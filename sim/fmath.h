/* SPDX-License-Identifier: MIT */
/*
 * fmath.h - log, exp and pow that give the same bits on every machine.
 * Role: libm's transcendental functions are allowed to differ by an ulp between C libraries,
 *       versions and CPUs; draws and rate arithmetic that must be reproducible use these instead.
 * How: only IEEE-754 +, -, *, / (correctly rounded everywhere; the build forbids fused
 *       multiply-add) and exact bit manipulation of the exponent. Accuracy: a few ulps
 *       (tests/unit/sim/test_fmath.c checks <= 4 ulps against libm over wide ranges).
 * Domain: sim_log(x) for x > 0 finite (x <= 0 gives -inf / NaN like log); sim_exp overflows to
 *       +inf above ~709.78 and underflows to 0 below ~-745.
 */
#ifndef SIM_FMATH_H
#define SIM_FMATH_H

double sim_log(double x);
double sim_exp(double x);
/* x^y for x > 0: sim_exp(y * sim_log(x)) with the product carried in extra precision. */
double sim_pow(double x, double y);

#endif /* SIM_FMATH_H */
