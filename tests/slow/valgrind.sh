#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# valgrind.sh HVSIM SRCDIR [TEST-EXE...] - hvsim under valgrind memcheck (TAP; docs/reliability.md
# "Sanitizers and leaks"): every command below runs with --leak-check=full
# --errors-for-leak-kinds=definite --error-exitcode=99, so an invalid read or write, a use of
# uninitialised memory or a block definitely lost fails it (99); the command's own exit status is
# checked too. Commands: run (shortened scenarios: quickstart with its twin, an I/O one, an rt-app
# one, --trace, --max-events), sweep -j 2 (its forked workers are followed), run --point, merge,
# compare (table, --csv, --json), report --html, validate of a good and a bad file and a sweep,
# and interrupted by SIGINT. Each TEST-EXE (criterion unit tests) runs whole, --jobs 1.
# Skips (77) without valgrind (scripts/deps --test installs it). Not checked: "possibly lost" and
# "still reachable" blocks (GLib's type system and caches keep some for the process's life).
set -uo pipefail
hvsim=$1 src=$(cd "$2" && pwd)
shift 2
command -v valgrind > /dev/null || { echo "1..0 # SKIP valgrind is missing (scripts/deps --test)"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$src/tests/cli/tap.sh"
vg=(valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --trace-children=no
    --child-silent-after-fork=no --num-callers=30 --log-file="$tmp/vg.%p.log")
short=(--set /run/duration='"20ms"' --set /run/warmup='"5ms"')
db=$tmp/v.db
k=0
# the errors valgrind logged (not "possibly lost" or "still reachable" blocks, which -q still lists)
vg_errors() {
  cat "$tmp"/vg.*.log 2> /dev/null | grep -E "definitely lost in|Invalid (read|write|free)|uninitialised|Conditional jump|Mismatched free|overlap|Syscall param|Process terminating" | head -20
}
# check WHAT WANT-STATUS CMD... : runs CMD under valgrind; its status must be WANT and no valgrind error
check() {
  local what=$1 want=$2
  shift 2
  k=$((k + 1))
  rm -f "$tmp"/vg.*.log
  "${vg[@]}" "$@" > "$tmp/out.$k" 2> "$tmp/err.$k"
  local status=$?
  local errors
  errors=$(vg_errors)
  if [ "$status" = 99 ] || [ -n "$errors" ]; then
    notok "$what: valgrind found errors"
    echo "$errors" | sed 's/^/# /'
  elif [ "$status" != "$want" ]; then
    notok "$what: exit status $status, want $want ($(head -c 300 "$tmp/err.$k"))"
  else
    ok "$what"
  fi
}

check "run quickstart (virtual + twin)" 0 "$hvsim" run "$src/scenarios/quickstart.json" --db "$db" --quiet "${short[@]}"
check "run an I/O scenario" 0 "$hvsim" run "$src/scenarios/io-disk-qd32.json" --db "$db" --quiet "${short[@]}"
check "run an rt-app scenario" 0 "$hvsim" run "$src/scenarios/rt-app-periodic.json" --db "$db" --quiet "${short[@]}"
check "run a paravirt scenario with --trace" 0 "$hvsim" run "$src/scenarios/paravirt-2to1.json" --db "$db" --quiet \
  "${short[@]}" --trace "$tmp/t.json"
check "run stopped by --max-events" 1 "$hvsim" run "$src/scenarios/quickstart.json" --db "$db" --quiet \
  --set /run/duration='"10s"' --max-events 20000
cat > "$tmp/s.json" <<EOF
{ "name": "vg", "base": "$src/scenarios/quickstart.json", "set": { "/run/duration": "20ms", "/run/warmup": "0s" },
  "axes": [ { "name": "rate", "path": "/vms/1/workload/rate", "values": [500, 1000] } ] }
EOF
check "sweep -j 2" 0 "$hvsim" sweep "$tmp/s.json" --db "$tmp/sweep.db" -j 2 --quiet
check "run SWEEP --point" 0 "$hvsim" run "$tmp/s.json" --point 1 --db "$tmp/point.db" --quiet
check "merge" 0 "$hvsim" merge "$tmp/merged.db" "$db" "$tmp/sweep.db"
check "compare" 0 "$hvsim" compare --db "$db" --all
check "compare --csv" 0 "$hvsim" compare --db "$db" --csv
check "compare --json --sweep" 0 "$hvsim" compare --db "$tmp/sweep.db" --json --sweep vg
check "report --html" 0 "$hvsim" report --db "$db" --html "$tmp/r.html"
check "report --sweep --html" 0 "$hvsim" report --db "$tmp/sweep.db" --sweep vg --html "$tmp/s.html"
check "validate a good scenario" 0 "$hvsim" validate "$src/scenarios/lhp-2to1.json"
check "validate a sweep" 0 "$hvsim" validate "$tmp/s.json"
check "validate a bad scenario" 2 "$hvsim" validate "$src/tests/data/bad/unknown-key.json"
check "run a bad scenario" 2 "$hvsim" run "$src/tests/data/bad/rtapp-unknown-event.json" --db "$db" --quiet
check "run over a cap" 2 "$hvsim" run "$src/tests/data/bad/cap-vms.json" --db "$db" --quiet
check "compare of a file that is not a database" 2 "$hvsim" compare --db "$src/README.md"

# interrupted by SIGINT mid-run: the handler, the stop and the cleanup
rm -f "$tmp"/vg.*.log
"${vg[@]}" "$hvsim" run "$src/scenarios/quickstart.json" --db "$tmp/int.db" --quiet --no-baseline \
  --set /run/duration='"100000s"' > /dev/null 2> "$tmp/err.int" &
pid=$!
sleep 8
kill -INT $pid
wait $pid
status=$?
errors=$(vg_errors)
{ [ $status = 130 ] && [ -z "$errors" ]; }; passed "run interrupted by SIGINT: exit $status, no valgrind error"
[ -z "$errors" ] || echo "$errors" | sed 's/^/# /'

for exe in "$@"; do
  check "$(basename "$exe")" 0 "$exe" --jobs 1
done

tap_done
