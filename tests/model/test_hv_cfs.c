/* SPDX-License-Identifier: MIT */
/* test_hv_cfs.c - model tests of the `cfs` VP policy (being written). */
#include "tests/model/hvtest.h"
