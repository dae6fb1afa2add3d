#!/usr/bin/env bash
# Benchmark `tocsin subjects import` against sqlite3's own CSV import of the same file.
#
# usage: bench/import.sh [--reference-only] [path/to/tocsin]
#
#   path/to/tocsin     a release build of tocsin (default: target/release/tocsin); this script
#                      builds nothing — run `cargo build --release` first.
#   --reference-only   only generate the data and time the sqlite3 reference.
#
# environment:
#   ROWS=1000000  SEED=42   size and seed of the generated file (bench/gen_subjects.py)
#   RUNS=1                  repeat the whole measurement; with more than one run, every run's
#                           table is printed, then each ratio's runs and median (on a noisy
#                           machine one run says little)
#
# What it does (everything it writes goes to bench/out/, which git ignores):
#   1. generates bench/out/subjects-1m.csv unless it already exists;
#   2. reference: `sqlite3 .import --csv` of that file into a plain 16-column TEXT table in a fresh
#      database (and, for information, the same into a table keyed on external_id);
#   3. tocsin: `tocsin migrate`, then `tocsin subjects import` of the same file into a fresh
#      database, under /usr/bin/time -v (peak RSS); then the same import again, where every
#      row is an update of an existing subject.
# and prints rows/s, the ratio to the sqlite3 reference, and peak RSS.
#
# Notes on the reference: sqlite3's .import runs the whole file inside one transaction (the
# shell issues BEGIN when the connection is in autocommit mode and COMMIT at the end), so
# no explicit BEGIN/COMMIT is added. It binds every field as text with one prepared INSERT,
# and does no validation: it is the floor for "CSV into SQLite", not a like-for-like
# competitor. Default pragmas (rollback journal, synchronous=FULL) are used.

set -euo pipefail

die() { printf 'import.sh: %s\n' "$*" >&2; exit 1; }

REFERENCE_ONLY=0
BIN_ARG=""
for arg in "$@"; do
  case "$arg" in
    --reference-only) REFERENCE_ONLY=1 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) die "unknown option '$arg' (try --help)" ;;
    *) [[ -z "$BIN_ARG" ]] || die "only one tocsin binary path, please"; BIN_ARG="$arg" ;;
  esac
done

RUNS="${RUNS:-1}"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "RUNS must be a positive integer (got '$RUNS')"
if [[ "$RUNS" -gt 1 ]]; then
  fresh=() again=()
  for i in $(seq 1 "$RUNS"); do
    echo "=== run $i of $RUNS"
    out=$(RUNS=1 "$0" "$@") || { printf '%s\n' "$out"; die "run $i failed"; }
    printf '%s\n' "$out" | awk '/^ +rows +seconds/ { show = 1 } show && NF == 0 { exit } show'
    fresh+=("$(printf '%s\n' "$out" | awk '/^tocsin import, fresh/ { sub(/%/, "", $(NF-2)); print $(NF-2) }')")
    again+=("$(printf '%s\n' "$out" | awk '/^tocsin import, again/ { sub(/%/, "", $(NF-2)); print $(NF-2) }')")
    echo
  done
  [[ "$REFERENCE_ONLY" == 1 ]] && exit 0
  median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
  echo "vs reference over $RUNS runs:"
  echo "  fresh (inserts):  ${fresh[*]}  (%)   median $(median "${fresh[@]}") %"
  echo "  again (updates):  ${again[*]}  (%)   median $(median "${again[@]}") %"
  exit 0
fi

# Resolve a binary path given relative to the caller's directory before moving to the repo root.
if [[ -n "$BIN_ARG" ]]; then
  case "$BIN_ARG" in
    /*) BIN="$BIN_ARG" ;;
    *) BIN="$PWD/$BIN_ARG" ;;
  esac
fi

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$ROOT"
BIN="${BIN:-$ROOT/target/release/tocsin}"

ROWS="${ROWS:-1000000}"
SEED="${SEED:-42}"
[[ "$ROWS" =~ ^[0-9]+$ && "$ROWS" -gt 0 ]] || die "ROWS must be a positive integer (got '$ROWS')"
[[ "$SEED" =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer (got '$SEED')"
OUT=bench/out
if [[ "$ROWS" == 1000000 ]]; then DATA="$OUT/subjects-1m.csv"; else DATA="$OUT/subjects-$ROWS.csv"; fi

# ---- tools -------------------------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 is needed to generate the data"
command -v awk >/dev/null || die "awk is needed"
command -v sqlite3 >/dev/null || die "the sqlite3 command-line tool is missing; install it with: apt-get install -y sqlite3"
if [[ "$REFERENCE_ONLY" == 0 ]]; then
  [[ -x "$BIN" ]] || die "no tocsin binary at $BIN
  build one with 'cargo build --release', pass its path as the argument, or use --reference-only"
  [[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time, for peak RSS) is missing; install it with: apt-get install -y time"
fi

mkdir -p "$OUT"

now() { date +%s.%N; }
# elapsed START END -> seconds with 3 decimals
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
# rate ROWS SECONDS -> rows/s, integer
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "inf" }'; }
# pct A B -> 100*A/B with one decimal
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f%%", 100 * a / b; else print "-" }'; }
# peak RSS in MB from a `/usr/bin/time -v -o FILE` report
rss_mb() { awk -F: '/Maximum resident set size/ { gsub(/[^0-9]/, "", $2); printf "%.1f MB", $2 / 1024 }' "$1"; }
fresh_db() { rm -f "$1" "$1-journal" "$1-wal" "$1-shm"; }

# ---- data --------------------------------------------------------------------------------------
if [[ -s "$DATA" ]]; then
  echo "data: $DATA (exists; delete it to regenerate)"
else
  echo "data: generating $ROWS subjects (seed $SEED) into $DATA ..."
  t0=$(now)
  python3 bench/gen_subjects.py --rows "$ROWS" --seed "$SEED" --out "$DATA.tmp"
  mv "$DATA.tmp" "$DATA"
  echo "data: generated in $(elapsed "$t0" "$(now)") s"
fi
echo "data: $(du -h "$DATA" | cut -f1), $(($(wc -l <"$DATA") - 1)) lines after the header"
echo "env:  sqlite3 $(sqlite3 --version | cut -d' ' -f1), $(nproc) CPUs, $(uname -sr)"
echo

COLS="external_id TEXT, name TEXT, email TEXT, phone TEXT, locale TEXT, country TEXT, region TEXT,
      birth_date TEXT, push_platform TEXT, push_token TEXT, data_categories TEXT, company TEXT,
      company_type TEXT, annual_volume TEXT, buyer_since TEXT, segment TEXT"

# ---- (a) reference: sqlite3 .import ------------------------------------------------------------
# reference NAME CREATE_TABLE_SQL -> sets REF_SECS, REF_ROWS
reference() {
  local db="$OUT/reference-$1.db"
  fresh_db "$db"
  sqlite3 "$db" "$2"
  local t0 t1
  sync
  t0=$(now)
  # --skip 1: the table exists, so without it the header row would be imported as data.
  sqlite3 -bail "$db" ".import --csv --skip 1 \"$DATA\" subjects"
  t1=$(now)
  REF_SECS=$(elapsed "$t0" "$t1")
  REF_ROWS=$(sqlite3 "$db" "SELECT count(*) FROM subjects")
  rm -f "$db"
}

echo "reference: sqlite3 .import --csv into a plain table ..."
reference plain "CREATE TABLE subjects ($COLS);"
PLAIN_SECS=$REF_SECS; PLAIN_ROWS=$REF_ROWS; PLAIN_RATE=$(rate "$PLAIN_ROWS" "$PLAIN_SECS")
echo "reference: sqlite3 .import --csv into a table keyed on external_id ..."
reference keyed "CREATE TABLE subjects (${COLS/external_id TEXT/external_id TEXT PRIMARY KEY});"
KEYED_SECS=$REF_SECS; KEYED_ROWS=$REF_ROWS; KEYED_RATE=$(rate "$KEYED_ROWS" "$KEYED_SECS")
DATA_ROWS=$PLAIN_ROWS

row() { printf '%-34s %9s %9s %10s %8s %10s\n' "$@"; }
table_head() {
  echo
  row "" "rows" "seconds" "rows/s" "vs ref" "peak RSS"
  row "sqlite3 .import (plain table)" "$PLAIN_ROWS" "$PLAIN_SECS" "$PLAIN_RATE" "100.0%" "-"
  row "sqlite3 .import (keyed table)" "$KEYED_ROWS" "$KEYED_SECS" "$KEYED_RATE" "$(pct "$KEYED_RATE" "$PLAIN_RATE")" "-"
}

if [[ "$REFERENCE_ONLY" == 1 ]]; then
  table_head
  exit 0
fi

# ---- (b) tocsin subjects import ----------------------------------------------------------------
TDB="$OUT/tocsin-bench.db"
export TOCSIN_DATABASE_URL="sqlite://$TDB?mode=rwc"
# The import's audit entry is signed: keep the key the first run creates with the bench's output.
export TOCSIN_AUDIT_KEY_FILE="$OUT/tocsin.key"
fresh_db "$TDB"
echo "tocsin: $BIN migrate (fresh database $TDB) ..."
"$BIN" migrate >"$OUT/tocsin-migrate.log" 2>&1 || {
  tail -n 20 "$OUT/tocsin-migrate.log" >&2
  die "tocsin migrate failed (log: $OUT/tocsin-migrate.log)"
}

# run_import LABEL -> sets RUN_SECS RUN_RATE RUN_RSS RUN_RC RUN_SUMMARY
run_import() {
  local label="$1" log="$OUT/tocsin-import-$1.log" timing="$OUT/tocsin-import-$1.time"
  echo
  echo "tocsin: subjects import $DATA ($label) ..."
  local t0 t1
  sync   # the previous run's writes are flushed first, not during this one
  t0=$(now)
  set +e
  /usr/bin/time -v -o "$timing" "$BIN" subjects import "$DATA" >"$log" 2>&1
  RUN_RC=$?
  set -e
  t1=$(now)
  RUN_SECS=$(elapsed "$t0" "$t1")
  RUN_RATE=$(rate "$DATA_ROWS" "$RUN_SECS")
  RUN_RSS=$(rss_mb "$timing" 2>/dev/null || echo "?")
  RUN_SUMMARY=$(grep -Eo 'imported [0-9]+, updated [0-9]+, rejected [0-9]+' "$log" | tail -n 1 || true)
  echo "--- last 5 lines of $log (exit code $RUN_RC):"
  tail -n 5 "$log"
  echo "---"
  if [[ "$RUN_RC" -ne 0 ]]; then
    echo "tocsin: WARNING: the import exited with code $RUN_RC; its rate below is not meaningful" >&2
  fi
}

run_import fresh
F_SECS=$RUN_SECS F_RATE=$RUN_RATE F_RSS=$RUN_RSS F_RC=$RUN_RC F_SUM=$RUN_SUMMARY
run_import update
U_SECS=$RUN_SECS U_RATE=$RUN_RATE U_RSS=$RUN_RSS U_RC=$RUN_RC U_SUM=$RUN_SUMMARY

STORED=$(sqlite3 "$TDB" "SELECT count(*) FROM subjects" 2>/dev/null || echo "?")

table_head
row "tocsin import, fresh (inserts)" "$DATA_ROWS" "$F_SECS" "$F_RATE" "$(pct "$F_RATE" "$PLAIN_RATE")" "$F_RSS"
row "tocsin import, again (updates)" "$DATA_ROWS" "$U_SECS" "$U_RATE" "$(pct "$U_RATE" "$PLAIN_RATE")" "$U_RSS"
echo
echo "tocsin fresh:  ${F_SUM:-no summary line found} (exit $F_RC)"
echo "tocsin update: ${U_SUM:-no summary line found} (exit $U_RC)"
echo "subjects stored: $STORED of $DATA_ROWS rows in the file (rows/s counts every row of the file, rejected ones included)"
echo "logs: $OUT/tocsin-import-fresh.log, $OUT/tocsin-import-update.log (+ .time: full /usr/bin/time -v reports)"
[[ "$F_RC" -eq 0 && "$U_RC" -eq 0 ]]
