#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# slurm_sweep.sh HVSIM SRCDIR SCRATCH - a sweep through a real Slurm equals the same sweep run here.
# Brings up a private single-node Slurm under SCRATCH (slurm-up.sh: munged, slurmctld, slurmd,
# no systemd, no cgroups), runs tests/data/sweeps/slurm.json (6 points x 2 replications) as
# `hvsim sweep --emit-slurm DIR --chunk 2` (a 3-task job array) with `sbatch --wait`, merges the
# shards, and checks: every array task succeeded and wrote its shard; the merged database holds
# every point once with all its runs; it equals, row for row (run ids, timestamps and wall times
# aside), `hvsim sweep -j 2` of the same file; merging the shards again changes nothing. Slurm is
# stopped on every exit (slurm-down.sh: exactly the PIDs slurm-up.sh recorded). Every wait is
# bounded (the bounds add up to 870 s, within meson's 900 s); the timings are printed.
# Skips (77) when not root or when Slurm or munge is missing (scripts/deps --test installs them).
# Leaves unchecked: several nodes, cgroups, accounting; failure of one task (sbatch --wait then
# returns its code; the resume tests cover re-running).
set -uo pipefail
hvsim=$(realpath "$1") src=$(realpath "$2") S=$(realpath -m "$3")
here=$(dirname "$(realpath "$0")")
. "$here/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "not root (the test starts munged, slurmctld and slurmd)"
for p in munged munge slurmctld slurmd sbatch squeue sinfo scancel sqlite3 flock; do
  command -v $p > /dev/null || skip "$p is missing (scripts/deps --test installs Slurm and munge)"
done

# one private Slurm at a time on this machine (its ports are fixed)
exec 9> "${TMPDIR:-/tmp}/hvsim-slurm-test.lock"
flock -w 60 9 || { echo "another slurm test held the lock for a minute"; exit 1; }

sweep=$src/tests/data/sweeps/slurm.json
points=6 reps=2 chunk=2 tasks=3
rm -rf "$S"
mkdir -p "$S"
export SLURM_CONF=$S/slurm/slurm.conf
down() { timeout 60 "$here/slurm-down.sh" "$S/slurm"; }
trap down EXIT
trap 'exit 143' TERM INT

timed "slurm up" timeout 60 "$here/slurm-up.sh" "$S/slurm" 9>&- || { echo "Slurm did not come up"; exit 1; }
ok "a single-node Slurm is up ($(timeout 5 sinfo -h -o '%P %a %D %T' | tr '\n' ' '))"

# the job array
timed "emit-slurm" timeout 30 "$hvsim" sweep "$sweep" --emit-slurm "$S/array" --chunk $chunk > "$S/emit.out"
rc=$?
sed 's/^/# /' "$S/emit.out"
t "hvsim sweep --emit-slurm exits 0" [ $rc -eq 0 ]
b=$S/array/sweep.sbatch
t "it writes sweep.sbatch, shards/ and logs/" [ -f "$b" -a -d "$S/array/shards" -a -d "$S/array/logs" ]
array_shape() { grep -q "^#SBATCH --array=0-$((tasks - 1))\$" "$b" && grep -q '^#SBATCH --cpus-per-task=1$' "$b"; }
t "an array of $tasks tasks ($points points, --chunk $chunk), 1 CPU each" array_shape
follow_up() { grep -qF "sbatch --wait $b" "$S/emit.out" && grep -qF "merge" "$S/emit.out"; }
t "it prints the follow-up commands" follow_up

t_array=$(now)
timeout 300 sbatch --wait "$b" > "$S/sbatch.out" 2>&1
rc=$?
echo "# time sbatch --wait: $(secs "$t_array") s (rc $rc)"
sed 's/^/# /' "$S/sbatch.out"
t "sbatch --wait: every array task exits 0" [ $rc -eq 0 ]
if [ $rc -ne 0 ]; then
  for f in "$S"/array/logs/*; do echo "# == $f"; tail -n 20 "$f" | sed 's/^/#   /'; done
  tail -n 20 "$S/slurm/log/slurmctld.log" | sed 's/^/# slurmctld: /'
fi
grep -hE 'Allocate|_job_complete.*done' "$S/slurm/log/slurmctld.log" | sed 's/^/# slurmctld: /'
shards=("$S"/array/shards/*.db)
t "one shard per array task (${#shards[@]})" [ ${#shards[@]} -eq $tasks ]
t "one log per array task" [ "$(ls "$S"/array/logs | wc -l)" -eq $tasks ]

merged_equals_local Slurm "$S/slurm.db" "${shards[@]}"

timed "slurm down" down
trap - EXIT
left=$(pgrep -af -- "$S/(slurm|array)/" || true)
t "no daemon or task of this test is left" [ -z "$left" ]
[ -z "$left" ] || echo "$left" | sed 's/^/#   /'

echo "# time total: $(secs "$T0") s"
echo "$n checks, $fails failed"
[ $fails -eq 0 ]
