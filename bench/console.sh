#!/usr/bin/env bash
# Time the security console and its API on a large population.
#
# usage: bench/console.sh [path/to/tocsin]
#
#   path/to/tocsin   a release build (default: target/release/tocsin); this script builds nothing.
#
# environment:
#   ROWS=1000000 SEED=42   the generated subjects (bench/gen_subjects.py), as bench/import.sh
#   TOCSIN_DATABASE_URL    default: a fresh SQLite file under bench/out/console/; give
#                          postgres://postgres@127.0.0.1:5432/<db> for PostgreSQL (the database
#                          must exist and be empty)
#   REUSE=1                keep the database of an earlier run (subjects and incident) and only
#                          time the pages again (the incident id is in bench/out/console/incident)
#   RUNS=3                 timings per page (the median is printed)
#   COMPOSE=0              skip compose and approval (composing a million notices takes minutes)
#   PORT=18931
#   WORK=bench/out/console the clean directory the server runs in (one per database)
#
# What it does, from the clean directory bench/out/console/ (git ignores bench/out/):
#   migrate, import the subjects, add a responder and an approver (each signs in to the
#   console once to set a password) and their API tokens, start `tocsin serve`, open an incident
#   over the API, add everyone (`selector.all`), compose (timed), then time every console page
#   and the API reads with curl (`%{time_total}`), and print one line per URL: median seconds,
#   HTTP status, bytes.
set -euo pipefail

die() { printf 'console.sh: %s\n' "$*" >&2; exit 1; }
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
case "${1:-}" in
  "") BIN="$ROOT/target/release/tocsin" ;;
  /*) BIN="$1" ;;
  *) BIN="$PWD/$1" ;;
esac
[[ -x "$BIN" ]] || die "no tocsin binary at $BIN (cargo build --release)"
ROWS="${ROWS:-1000000}"
SEED="${SEED:-42}"
RUNS="${RUNS:-3}"
PORT="${PORT:-18931}"
OUT="$ROOT/bench/out"
WORK="${WORK:-$OUT/console}"
mkdir -p "$WORK"
if [[ "$ROWS" == 1000000 ]]; then DATA="$OUT/subjects-1m.csv"; else DATA="$OUT/subjects-$ROWS.csv"; fi
[[ -s "$DATA" ]] || python3 "$ROOT/bench/gen_subjects.py" --rows "$ROWS" --seed "$SEED" --out "$DATA"

cd "$WORK"
export TOCSIN_DATABASE_URL="${TOCSIN_DATABASE_URL:-sqlite://$WORK/tocsin.db?mode=rwc}"
export TOCSIN_AUDIT_KEY_FILE="$WORK/tocsin.key"
export TOCSIN_OUTBOX_DIR="$WORK/outbox"
export TOCSIN_LOG="${TOCSIN_LOG:-warn}"
# Composing a million notices takes longer than the default request timeout.
export TOCSIN_REQUEST_TIMEOUT_SECS=3600
BASE="http://127.0.0.1:$PORT"
API="$BASE/api/v1"
PASS='bench-password-123456'
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

if [[ "${REUSE:-0}" != 1 ]]; then
  case "$TOCSIN_DATABASE_URL" in
    sqlite://*) rm -f "$WORK"/tocsin.db* ;;
  esac
  rm -f "$WORK"/tokens "$WORK"/incident "$WORK"/accounts
  "$BIN" migrate >/dev/null
  t0=$(now)
  "$BIN" subjects import "$DATA" | tail -n 1
  echo "import: $(elapsed "$t0" "$(now)") s"
  for who in responder approver; do
    pw=$("$BIN" user add --email "$who@bench.test" --role "$who" | awk -F': ' '/one-time password/ { split($2, a, " "); print a[1] }')
    echo "$who $pw" >>"$WORK/accounts"
    echo "$who $("$BIN" token create --email "$who@bench.test" --name bench)" >>"$WORK/tokens"
  done
fi
if [[ "${REUSE:-0}" == 1 ]]; then
  # A newer binary may bring migrations (over a million rows, they take a while).
  t0=$(now)
  "$BIN" migrate >/dev/null
  echo "migrate: $(elapsed "$t0" "$(now)") s"
fi
R=$(awk '$1 == "responder" { print $2 }' "$WORK/tokens")
A=$(awk '$1 == "approver" { print $2 }' "$WORK/tokens")

"$BIN" serve --addr "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "$BASE/readyz" >/dev/null || die "the server did not start (log: $WORK/serve.log)"

# A console session for the responder (the one-time password is changed on first use).
JAR="$WORK/cookies"
sign_in() {
  local pw="$1" code
  rm -f "$JAR"
  code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" -H "Origin: $BASE" \
    --data-urlencode "email=responder@bench.test" --data-urlencode "password=$pw" \
    --data-urlencode "next=/" "$BASE/login")
  [[ "$code" == 303 ]]
}
if ! sign_in "$PASS"; then
  one=$(awk '$1 == "responder" { print $2 }' "$WORK/accounts")
  sign_in "$one" || die "cannot sign in as the responder"
  csrf=$(curl -sS -b "$JAR" "$BASE/account/password" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
  curl -sS -o /dev/null -b "$JAR" -c "$JAR" -H "Origin: $BASE" --data-urlencode "_csrf=$csrf" \
    --data-urlencode "current_password=$one" --data-urlencode "new_password=$PASS" \
    --data-urlencode "confirm_password=$PASS" "$BASE/account/password"
  sign_in "$PASS" || die "the new password does not sign in"
fi

if [[ -s "$WORK/incident" ]]; then
  ID=$(cat "$WORK/incident")
else
  ID=$(curl -fsS -H "Authorization: Bearer $R" -H 'Content-Type: application/json' "$API/incidents" -d '{
    "title": "Buyer accounts exposed in a leaked backup",
    "summary": "A database backup with buyer contact details was readable on a misconfigured server.",
    "kind": "credential-exposure", "severity": "high", "aware_at": "2026-11-29T09:00:00Z",
    "channels": ["email", "sms"] }' | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
  [[ -n "$ID" ]] || die "could not open the incident"
  t0=$(now)
  curl -fsS -o /dev/null -H "Authorization: Bearer $R" -H 'Content-Type: application/json' \
    "$API/incidents/$ID/population" -d '{"selector": {"all": true}}'
  echo "population (selector all): $(elapsed "$t0" "$(now)") s"
  if [[ "${COMPOSE:-1}" == 1 ]]; then
  t0=$(now)
  composed=$(curl -fsS -H "Authorization: Bearer $R" -X POST "$API/incidents/$ID/notices")
  echo "compose: $(elapsed "$t0" "$(now)") s  $composed"
  digest=$(printf '%s' "$composed" | python3 -c 'import json, sys; print(json.load(sys.stdin)["composition"])')
  t0=$(now)
  curl -fsS -o /dev/null -H "Authorization: Bearer $A" -H 'Content-Type: application/json' \
    "$API/incidents/$ID/approval" -d "{\"composition\": \"$digest\", \"accept_incomplete\": true}"
  echo "approval: $(elapsed "$t0" "$(now)") s"
  fi
  echo "$ID" >"$WORK/incident"
fi
echo "incident $ID"

# time LABEL CURL-ARGS... -> one line: median seconds, status, bytes
time_it() {
  local label="$1"; shift
  local times=() code size
  for _ in $(seq 1 "$RUNS"); do
    read -r code size t < <(curl -sS -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$@")
    times+=("$t")
  done
  med=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  printf '%-48s %8.3f s  %s  %9s B   (runs: %s)\n' "$label" "$med" "$code" "$size" "${times[*]}"
}
page() { time_it "console $1" -b "$JAR" "$BASE$1"; }
api() { time_it "api GET ${1#$API}" -H "Authorization: Bearer $R" "$1"; }

page /
page /incidents
page "/incidents/$ID"
page "/incidents/$ID/population"
page "/incidents/$ID/notices"
page "/incidents/$ID/delivery"
page "/incidents/$ID/obligations"
page "/incidents/$ID/reports"
api "$API/incidents"
api "$API/incidents/$ID"
time_it "api POST /incidents/$ID/population?dry_run" -H "Authorization: Bearer $R" \
  -H 'Content-Type: application/json' "$API/incidents/$ID/population?dry_run=true" \
  -d '{"selector": {"countries": ["DE"]}}'
api "$API/incidents/$ID/notices/preview?external_id=$(sed -n 2p "$DATA" | cut -d, -f1)&channel=email"
api "$API/incidents/$ID/obligations"
api "$API/incidents/$ID/delivery"
time_it "api POST /incidents/$ID/dispatch?dry_run" -H "Authorization: Bearer $R" -X POST \
  "$API/incidents/$ID/dispatch?dry_run=true"
