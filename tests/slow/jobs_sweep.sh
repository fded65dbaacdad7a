#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# jobs_sweep.sh HVSIM SRCDIR SCRATCH - the GNU parallel path of a sweep equals the local one:
# `hvsim sweep --emit-jobs FILE` writes one `hvsim run ... --point` command per point of
# tests/data/sweeps/slurm.json (6 points x 2 replications); `parallel -j 2 < FILE` runs them, each
# into its own shard; `hvsim merge` of the shards equals, row for row (run ids, timestamps and
# wall times aside), `hvsim sweep -j 2` of the same file, holds every point once, and merging
# again changes nothing. Every wait is bounded (630 s in all, within meson's 700 s); the timings
# are printed.
# Skips (77) when GNU parallel is missing (scripts/deps --test installs it). Needs no root.
# Leaves unchecked: --sshlogin across hosts.
set -uo pipefail
hvsim=$(realpath "$1") src=$(realpath "$2") S=$(realpath -m "$3")
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"

for p in parallel sqlite3; do
  command -v $p > /dev/null || skip "$p is missing (scripts/deps --test installs GNU parallel)"
done
parallel --version 2> /dev/null | grep -q 'GNU parallel' || skip "parallel is not GNU parallel"

sweep=$src/tests/data/sweeps/slurm.json
points=6 reps=2
rm -rf "$S"
mkdir -p "$S/jobs"

jobs=$S/jobs/jobs.txt
timed "emit-jobs" timeout 30 "$hvsim" sweep "$sweep" --emit-jobs "$jobs" > "$S/emit.out"
rc=$?
sed 's/^/# /' "$S/emit.out"
t "hvsim sweep --emit-jobs exits 0" [ $rc -eq 0 ]
t "one command per point ($(wc -l < "$jobs" 2> /dev/null) lines)" [ "$(wc -l < "$jobs")" -eq $points ]
head -n 1 "$jobs" | cut -c 1-300 | sed 's/^/# first: /'
t "the commands are hvsim run --point into shards/ next to the file" \
  awk -v d="$S/jobs/shards/" '!(/ run / && / --point / && index($0, d)) { exit 1 }' "$jobs"

timed "parallel -j 2" timeout 240 parallel --will-cite -j 2 --halt now,fail=1 < "$jobs" > "$S/parallel.out" 2>&1
rc=$?
t "parallel -j 2 runs every command with status 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || tail -n 20 "$S/parallel.out" | sed 's/^/#   /'
shards=("$S"/jobs/shards/*.db)
t "one shard per point (${#shards[@]})" [ ${#shards[@]} -eq $points ]

merged_equals_local parallel "$S/parallel.db" "${shards[@]}"

echo "# time total: $(secs "$T0") s"
echo "$n checks, $fails failed"
[ $fails -eq 0 ]
