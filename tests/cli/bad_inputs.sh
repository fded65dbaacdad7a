#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bad_inputs.sh HVSIM SRCDIR - bad input gets an exit status users can act on and a message naming
# file, line, column and JSON path (tests/data/bad/EXPECT), and leaves an existing database exactly
# as it was: every bad scenario, a database that is not SQLite, a database path that cannot be
# written. Prints "ok N - ..." / "not ok N - ..." lines (TAP).
set -uo pipefail
hvsim=$1 src=$2
bad=$src/tests/data/bad
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/tap.sh"

# a database with one good run in it
db=$tmp/results.db
"$hvsim" run "$src/scenarios/quickstart.json" --db "$db" --set /run/duration='"20ms"' --set /run/warmup=0 \
  --no-baseline --quiet > /dev/null || { echo "Bail out! the good run failed"; exit 1; }
sqlite3 "$db" 'PRAGMA wal_checkpoint(TRUNCATE);' > /dev/null
sum() { sha256sum "$db" | cut -d' ' -f1; }
before=$(sum)

check() { # description expected-status regex command...
  local what=$1 want=$2 re=$3
  shift 3
  local err status
  err=$("$@" 2>&1 >/dev/null)
  status=$?
  local first=${err%%$'\n'*}
  if [ "$status" != "$want" ]; then
    notok "$what: exit status $status, want $want ($first)"
  elif ! [[ "$first" =~ ^hvsim:\ .*$re ]]; then
    notok "$what: message '$first' does not match '$re'"
  elif [ "$(sum)" != "$before" ]; then
    notok "$what: the database changed"
  else
    ok "$what"
  fi
}

while IFS='|' read -r file want re; do
  case $file in ''|'#'*) continue ;; esac
  check "validate $file" "$want" "$re" "$hvsim" validate "$bad/$file"
  case $file in # a sweep file (sweep-*.json) is run by hvsim sweep, a scenario by hvsim run
    sweep-*) check "sweep $file" "$want" "$re" "$hvsim" sweep "$bad/$file" --db "$db" --quiet ;;
    *) check "run $file" "$want" "$re" "$hvsim" run "$bad/$file" --db "$db" --quiet ;;
  esac
done < "$bad/EXPECT"

# databases: not SQLite (unchanged), a path that cannot be written
printf 'these are not the droids\n' > "$tmp/notsqlite.db"
nsum=$(sha256sum "$tmp/notsqlite.db")
check "not a database" 2 "notsqlite.db: .*not.*(SQLite|database)" \
  "$hvsim" run "$src/scenarios/quickstart.json" --db "$tmp/notsqlite.db" --quiet
[ "$(sha256sum "$tmp/notsqlite.db")" = "$nsum" ] && ok "the non-database is unchanged" || notok "the non-database changed"
check "unwritable path" 1 "" "$hvsim" run "$src/scenarios/quickstart.json" --db /proc/hvsim/x.db --quiet
check "bad --set" 2 "--set" "$hvsim" run "$src/scenarios/quickstart.json" --db "$db" --set vms=1 --quiet
check "unknown option" 2 "" "$hvsim" run "$src/scenarios/quickstart.json" --db "$db" --frobnicate

tap_done
