/* SPDX-License-Identifier: MIT */
/* test_hv_core.c - model tests of the `core` VP policy (being written). */
#include "tests/model/hvtest.h"
