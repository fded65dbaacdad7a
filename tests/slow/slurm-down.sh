#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# slurm-down.sh DIR - stops the private Slurm that slurm-up.sh DIR started: first cancels whatever
# jobs it still has (so no task outlives the test), then stops exactly the PIDs recorded in
# DIR/run (slurmd and slurmctld, then munged), with SIGTERM, then SIGKILL after 10 s.
# Safe to call twice, or after a failed bring-up. Leaves DIR's logs for inspection.
set -uo pipefail
D=$(realpath -m "${1:-${SLURM_DIR:?usage: slurm-down.sh DIR}}")
export SLURM_CONF=$D/slurm.conf
t0=$(date +%s.%N) stopped=

alive() { [ -f "$D/run/$1.pid" ] && kill -0 "$(cat "$D/run/$1.pid")" 2> /dev/null; }
if alive slurmctld && [ -f "$SLURM_CONF" ]; then
  jobs=$(timeout 5 squeue -h -o '%A' 2> /dev/null | sort -u)
  if [ -n "$jobs" ]; then
    echo "slurm-down.sh: cancelling jobs" $jobs >&2
    timeout 5 scancel $jobs 2> /dev/null
    for _ in $(seq 100); do [ -z "$(timeout 5 squeue -h 2> /dev/null)" ] && break; sleep 0.2; done
  fi
fi
# stop NAME...: SIGTERM to the recorded PIDs of these daemons at once, wait for all of them (SIGKILL
# after 10 s), forget their PID files
stop() {
  local f pid t=$(date +%s.%N) pids=()
  for f in "$@"; do
    [ -f "$D/run/$f.pid" ] || continue
    pid=$(cat "$D/run/$f.pid")
    kill -TERM "$pid" 2> /dev/null && pids+=("$f:$pid")
  done
  for _ in $(seq 100); do
    alive=0
    for f in "${pids[@]}"; do kill -0 "${f#*:}" 2> /dev/null && alive=1; done
    [ $alive -eq 0 ] && break
    sleep 0.1
  done
  for f in "${pids[@]}"; do
    if kill -0 "${f#*:}" 2> /dev/null; then
      echo "slurm-down.sh: ${f%%:*} (pid ${f#*:}) still alive after 10 s, SIGKILL" >&2
      kill -KILL "${f#*:}" 2> /dev/null
    fi
  done
  for f in "$@"; do rm -f "$D/run/$f.pid"; done
  [ ${#pids[@]} -eq 0 ] || stopped+=" $* $(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s,"
}
stop slurmd slurmctld   # together: each takes 1.5-2 s to exit
stop munged             # last: the Slurm daemons authenticate through it until they are gone
echo "slurm-down.sh:${stopped%,}; stopped in $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s" >&2
