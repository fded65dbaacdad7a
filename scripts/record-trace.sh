#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# scripts/record-trace.sh OUT.txt CMD [ARG...] - records CMD with `perf sched record` and writes
# `perf sched script` text to OUT.txt for the perf-sched workload (docs/perf-sched.md), behind one
# header line the parser reads:
#   # hvsim-trace: lps=N mhz=M cmd=CMD ARG...
# (LPs online and the first "cpu MHz" of /proc/cpuinfo) and comment lines naming the machine.
# Needs perf (Debian: linux-perf) and the right to trace scheduler events (root, or
# kernel.perf_event_paranoid <= -1). Record on a quiet machine: every other task's CPU time is in
# the trace too (the parser reports it as cpu_other_ns) and stretches the recorded makespan.
#
# The shipped traces (tests/data/traces/) were made on a `c` machine (2 vCPUs of an AMD EPYC,
# a VM with Linux 6.18, Debian 12's perf 6.1) with:
#   scripts/record-trace.sh tests/data/traces/messaging.txt perf bench sched messaging -g 2 -l 50
#   scripts/record-trace.sh tests/data/traces/cpu-bound.txt \
#     sh -c 'for i in 1 2 3 4; do awk "BEGIN { for (i = 0; i < 1e7; i++) s += i }" & done; wait'
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 OUT.txt CMD [ARG...]" >&2; exit 2; }
out=$1
shift
command -v perf > /dev/null || { echo "$0: perf is missing (Debian: apt-get install linux-perf)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

perf sched record -o "$tmp/perf.data" -- "$@" > "$tmp/cmd.out" 2> "$tmp/record.err" ||
  { cat "$tmp/record.err" >&2; exit 1; }
lps=$(getconf _NPROCESSORS_ONLN)
mhz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 + 0.5; exit }' /proc/cpuinfo)
model=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
  echo "# hvsim-trace: lps=$lps mhz=${mhz:-0} cmd=$*"
  echo "# machine: $model; $(uname -sr); $(perf --version); recorded $(date -u +%Y-%m-%dT%H:%MZ)"
  perf sched script -i "$tmp/perf.data" 2> /dev/null
} > "$out"
echo "$out: $(grep -vc '^#' "$out") events, $(du -h "$out" | cut -f1)" >&2
