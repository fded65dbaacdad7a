#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ci.sh SRCDIR BUILDDIR [SECONDS] - the `slow` suite's fuzzing: scripts/fuzz runs each libFuzzer
# target (scenario, sweep, rtapp, perfsched) for a fixed number of executions from seed 1, at most
# SECONDS (default 60), in its own fuzz build
# (BUILDDIR, configured with clang), from the seeds alone. One TAP result per target: ok when
# the target ran its time with no crash, hang, leak, undefined behaviour or out-of-memory; a
# failure prints scripts/fuzz's line (the reproducer's path) and the end of libFuzzer's log.
# Skips (77) when clang or libFuzzer is missing (scripts/deps --test installs them).
set -uo pipefail
src=$1 build=$2 secs=${3:-60}
. "$src/tests/cli/tap.sh"
work=$build/runs  # each target's scratch directory: kept when one failed, for its reproducer
rm -rf "$work"

# A fixed seed and a fixed number of executions per target (about 20 s each on machine kind c), so
# that CI repeats the same inputs every time: a failure is a change's, not the dice's. SECONDS
# stays as a bound. scripts/fuzz without FUZZ_RUNS explores anew each time.
runs() { case $1 in scenario) echo 25000 ;; sweep) echo 50000 ;; rtapp) echo 1500000 ;; perfsched) echo 300000 ;; esac; }
for t in scenario sweep rtapp perfsched; do
  out=$(FUZZ_BUILD=$build FUZZ_WORK=$work/$t FUZZ_RUNS=$(runs $t) FUZZ_SEED=1 "$src/scripts/fuzz" "$secs" "$t" 2>&1)
  rc=$?
  if [ $rc -eq 77 ]; then
    echo "1..0 # SKIP clang with libFuzzer is missing (scripts/deps --test)"
    exit 77
  fi
  line=$(grep "^$t " <<<"$out")
  if [ $rc -eq 0 ] && [ -n "$line" ]; then
    ok "fuzz_$t: $(awk '{print $2 " executions, " $3 " exec/s, cov " $4}' <<<"$line")"
  else
    echo "$out" | sed 's/^/# /'
    [ -f "$work/$t/$t.log" ] && tail -40 "$work/$t/$t.log" | sed 's/^/# /'
    notok "fuzz_$t (exit $rc; reproducer and log kept in $work/$t)"
  fi
done
[ $fails -eq 0 ] && rm -rf "$work"
tap_done
