#!/usr/bin/env bash
# Delivery benchmark: approved notices from dispatch until the last is accepted, against local
# sinks. Not a test.
#
# usage: bench/delivery.sh [--no-build] [CASE ...]
#
# cases (default: all, in this order):
#   email20k    20,000 e-mails to smtp-sink, and smtp-source with the same concurrency, size, count
#   email100k   the same with 100,000
#   sms100k     100,000 SMS to a local Twilio-compatible sink (bench/http_sink.rs)
#   push100k    100,000 FCM pushes to the same sink (OAuth2 token endpoint and messages:send)
#   email1m     1,000,000 e-mails; peak RSS (VmHWM) of the sending process
#   workers     100,000 e-mails by two `tocsin worker`s on one PostgreSQL; duplicates counted by
#               Message-ID in smtp-sink's dumps
#
# environment:
#   CONC=16          TOCSIN_SEND_CONCURRENCY, and smtp-source's -s
#   PG=postgres://postgres@127.0.0.1:5432   PostgreSQL server for `workers` (a database
#                    bench_delivery is dropped and created)
#   SMTP_PORT=25250 HTTP_PORT=9099 API_PORT=18080
#   PERF=1           record a CPU profile of tocsin during the e-mail, SMS and push runs (perf);
#                    PERF_ARGS: perf record's options (default "-F 499 -g"; with call graphs
#                    through Rust frames: PERF_ARGS="-F 299 --call-graph dwarf,32768")
#                    PERF=dispatch: of the dispatch request alone (perf-dispatch.data)
#   THREADS=1        each thread's CPU use every 100 ms during the run (bench/threads.py), in
#                    threads.txt under the case's folder
#   BIN=path         another tocsin binary (to compare builds in one session)
#
# How: for each case a fresh SQLite database (PostgreSQL for `workers`) under bench/out/delivery/,
# N generated people (US-CA, e-mail, phone and an FCM token each) imported with `tocsin subjects
# import`, two accounts and tokens from the CLI; `tocsin serve` (or `serve --no-dispatcher` and
# `tocsin worker`s), then over the API as README's first incident: open the incident (one
# channel), population {"selector": {"all": true}}, compose, approve, and the clock starts at
# `POST …/dispatch`; it stops when `GET …/delivery` has nothing pending (each result is recorded
# after the sink accepted the message, so this is "the last message accepted" plus at most one
# finaliser batch). The sink's own count is checked against N. Must run as root (smtp-sink -u).
set -euo pipefail

die() { printf 'delivery.sh: %s\n' "$*" >&2; exit 1; }

BUILD=1
CASES=()
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) die "unknown option '$arg' (try --help)" ;;
    *) CASES+=("$arg") ;;
  esac
done
[[ ${#CASES[@]} -gt 0 ]] || CASES=(email20k email100k sms100k push100k email1m workers)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$ROOT"
CONC="${CONC:-16}"
PG="${PG:-postgres://postgres@127.0.0.1:5432}"
SMTP_PORT="${SMTP_PORT:-25250}"
HTTP_PORT="${HTTP_PORT:-9099}"
API_PORT="${API_PORT:-18080}"
OUT="$ROOT/bench/out/delivery"
BIN="${BIN:-$ROOT/target/release/tocsin}"
SINK="$ROOT/target/release/examples/http_sink"
API="http://127.0.0.1:$API_PORT/api/v1"

[[ "$(id -u)" == 0 ]] || die "run as root: smtp-sink needs -u postfix"
for t in smtp-sink smtp-source curl jq python3; do
  command -v "$t" >/dev/null || die "$t is missing (smtp-sink/smtp-source: apt-get install postfix; jq: apt-get install jq)"
done
if [[ "$BUILD" == 1 ]]; then
  cargo build --release --bin tocsin --example http_sink
fi
[[ -x "$BIN" && -x "$SINK" ]] || die "no release build; run without --no-build"
mkdir -p "$OUT"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "inf" }'; }
RESULTS=()
result() { RESULTS+=("$(printf "| %s | %s | %s | %s | %s |" "$@")"); printf "  %s\n" "${RESULTS[-1]}"; }

# people N FILE: N people in California, each with an e-mail, a phone and an FCM token.
people() {
  python3 - "$1" "$2" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as f:
    f.write("external_id,name,email,phone,country,region,locale,push_platform,push_token\n")
    for i in range(n):
        f.write(f"b-{i:07d},Person {i},p{i:07d}@example.com,+1415{2000000 + i:07d},US,US-CA,en-US,fcm,fcm-token-{i:07d}\n")
EOF
}

# env for tocsin in case dir $1 with database $2
tocsin_env() {
  local dir=$1 db=$2
  export TOCSIN_DATABASE_URL="$db" TOCSIN_ADDR="127.0.0.1:$API_PORT" TOCSIN_LOG=warn
  export TOCSIN_OUTBOX_DIR="$dir/outbox" TOCSIN_AUDIT_KEY_FILE="$dir/tocsin.key"
  export TOCSIN_PLAYBOOKS_DIR="$ROOT/playbooks" TOCSIN_TEMPLATES_DIR="$ROOT/templates"
  export TOCSIN_SEND_CONCURRENCY="$CONC" TOCSIN_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"
  export TOCSIN_SMS_URL="http://127.0.0.1:$HTTP_PORT" TOCSIN_SMS_ACCOUNT=ACbench TOCSIN_SMS_TOKEN=bench
  export TOCSIN_SMS_FROM=+14155550100
  export TOCSIN_FCM_URL="http://127.0.0.1:$HTTP_PORT" TOCSIN_FCM_CREDENTIALS="$dir/fcm.json"
  export TOCSIN_PUBLIC_URL="https://status.example.com"
  # Composing a million notices takes longer than the default 60 s request timeout.
  export TOCSIN_REQUEST_TIMEOUT_SECS=3600
}

fcm_credentials() {
  jq -n --arg key "$(cat "$ROOT/src/delivery/wire/testdata/rsa-test-key.pkcs8.pem")" \
    --arg uri "http://127.0.0.1:$HTTP_PORT/token" \
    '{type: "service_account", project_id: "tocsin-bench", private_key_id: "k1", private_key: $key,
      client_email: "bench@tocsin-bench.iam.gserviceaccount.com", client_id: "1", token_uri: $uri}' >"$1"
}

wait_http() { for _ in $(seq 1 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; die "$1 did not come up"; }

api() { # METHOD PATH TOKEN [BODY]
  local out code
  out=$(curl -sS --max-time 3600 -w '\n%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
    -H 'Content-Type: application/json' ${4:+-d "$4"} "$API$2") || die "$1 $2 failed"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ "$code" -lt 400 ]] || die "$1 $2: HTTP $code: $out"
  printf '%s' "$out"
}

start_smtp_sink() { # [dump dir]
  local args=(-u postfix)
  if [[ -n "${1:-}" ]]; then mkdir -p "$1"; chown postfix "$1"; args+=(-d "$1/%H%M%S."); fi
  smtp-sink "${args[@]}" 127.0.0.1:"$SMTP_PORT" 1000 &
  SMTP_SINK=$!
  PIDS+=("$SMTP_SINK")
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/"$SMTP_PORT") 2>/dev/null && return 0; sleep 0.1; done
  die "smtp-sink did not come up"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# prepare CASE N CHANNEL DBURL: a database with N approved notices on CHANNEL; sets INCIDENT, R.
prepare() {
  local name=$1 n=$2 channel=$3 db=$4
  DIR="$OUT/$name"
  rm -rf "$DIR"; mkdir -p "$DIR"
  tocsin_env "$DIR" "$db"
  fcm_credentials "$DIR/fcm.json"
  people "$n" "$DIR/people.csv"
  "$BIN" migrate >/dev/null
  "$BIN" subjects import "$DIR/people.csv" | tail -1
  "$BIN" user add --email r@bench.example --role responder >/dev/null
  "$BIN" user add --email a@bench.example --role approver >/dev/null
  R=$("$BIN" token create --email r@bench.example --name bench)
  A=$("$BIN" token create --email a@bench.example --name bench)
}

# setup_incident CHANNEL N: over the API of a running serve; sets INCIDENT.
setup_incident() {
  local channel=$1 n=$2 body t0
  body=$(jq -n --arg c "$channel" '{title: "Benchmark", summary: "Member passwords exposed in a leaked backup.",
    kind: "credential-exposure", severity: "high", aware_at: "2026-11-24T09:00:00Z",
    occurred_from: "2026-11-20T00:00:00Z", occurred_to: "2026-11-23T00:00:00Z",
    cause: "A storage bucket was made public by mistake.", channels: [$c]}')
  INCIDENT=$(api POST /incidents "$R" "$body" | jq -r .id)
  [[ "$INCIDENT" =~ ^[0-9]+$ ]] || die "no incident"
  t0=$(now)
  api POST "/incidents/$INCIDENT/population" "$R" '{"selector": {"all": true}}' | jq -c '{count}'
  local comp
  comp=$(api POST "/incidents/$INCIDENT/notices" "$R" | jq -r .composition)
  api POST "/incidents/$INCIDENT/approval" "$A" "{\"composition\": \"$comp\"}" | jq -c '{approved: .notices.approved}'
  echo "  population, compose, approve: $(elapsed "$t0" "$(now)") s"
  NOTICE_BYTES=$(api GET "/incidents/$INCIDENT/notices/preview?external_id=b-0000000&channel=email" "$R" |
    jq -r '[.subject, .text, (.html // "")] | map(utf8bytelength) | add + 900')
}

# dispatch_and_wait N: seconds from dispatch until nothing is pending (in $SECS).
dispatch_and_wait() {
  local n=$1 t0 d left f
  t0=$(now)
  api POST "/incidents/$INCIDENT/dispatch?dry_run=true" "$R" >/dev/null
  echo "  the plan (dispatch?dry_run=true): $(elapsed "$t0" "$(now)") s"
  local dperf=""
  if [[ "${PERF:-}" == dispatch ]]; then
    perf record -F 999 -g -p "$SERVE" -o "$DIR/perf-dispatch.data" >/dev/null 2>&1 & dperf=$!
    sleep 0.5 # perf attaches
  fi
  local c0 s0
  c0=$(cpu "$SERVE"); s0=$(cpu "${SMTP_SINK:-$SERVE}")
  local io0; io0=$(io "$SERVE")
  t0=$(now)
  if [[ -n "${THREADS:-}" ]]; then
    python3 "$ROOT/bench/threads.py" "$SERVE" "${SMTP_SINK:-}" >"$DIR/threads.txt" 2>&1 & TPID=$!
  fi
  api POST "/incidents/$INCIDENT/dispatch" "$R" >/dev/null
  echo "  dispatch request (outbox and ledger written): $(elapsed "$t0" "$(now)") s; already sent: $(sqlite3 "$(f=${TOCSIN_DATABASE_URL#sqlite://}; echo "${f%%\?*}")" "SELECT COUNT(*) FROM deliveries WHERE status = 'sent'" 2>/dev/null || echo '?')"
  if [[ -n "$dperf" ]]; then kill -INT "$dperf"; wait "$dperf" || true; echo "  profile: perf report -i $DIR/perf-dispatch.data"; fi
  # Polled in the database over the status index (GET …/delivery counts people, which costs
  # more than the sending it would be measuring at this rate).
  local q="SELECT COUNT(*) FROM deliveries WHERE status IN ('pending', 'sending')"
  while :; do
    if [[ "$TOCSIN_DATABASE_URL" == postgres* ]]; then left=$(psql "$TOCSIN_DATABASE_URL" -Atc "$q")
    else f=${TOCSIN_DATABASE_URL#sqlite://}; left=$(sqlite3 "${f%%\?*}" "$q" 2>/dev/null || echo busy); fi
    [[ "${left:-}" == 0 ]] && break
    sleep 0.1
  done
  local seen; seen=$(elapsed "$t0" "$(now)")
  # The clock stops at the last result recorded (the finaliser's time, in the database), not
  # when this loop noticed: polling every 0.1 s would add up to 0.1 s and a process start.
  local last
  if [[ "$TOCSIN_DATABASE_URL" == postgres* ]]; then
    last=$(psql "$TOCSIN_DATABASE_URL" -Atc "SELECT EXTRACT(EPOCH FROM MAX(sent_at)) FROM deliveries")
  else
    f=${TOCSIN_DATABASE_URL#sqlite://}
    last=$(sqlite3 "${f%%\?*}" "SELECT printf('%.6f', (julianday(MAX(sent_at)) - 2440587.5) * 86400.0) FROM deliveries")
  fi
  SECS=$(elapsed "$t0" "$last")
  echo "  last result recorded after $SECS s (the polling loop saw it after $seen s)"
  # Little's law: sends in flight on average = rate × mean time of one send (metrics).
  curl -fsS "http://127.0.0.1:$API_PORT/metrics" | awk -v secs="$SECS" '
    /^tocsin_delivery_attempt_duration_seconds_sum/ { sum += $2 } /^tocsin_delivery_attempt_duration_seconds_count/ { n += $2 }
    END { if (n > 0) printf "  one send took %.2f ms on average; %.1f sends in flight on average\n", 1000 * sum / n, sum / secs }' || true
  if [[ -n "${TPID:-}" ]]; then kill "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null || true; TPID=; echo "  per-thread CPU: $DIR/threads.txt"; fi
  echo "  CPU meanwhile: tocsin serve $(elapsed "$c0" "$(cpu "$SERVE")") s, smtp-sink $(elapsed "$s0" "$(cpu "${SMTP_SINK:-$SERVE}")") s (smtp-sink: only in e-mail cases)"
  echo "  file and socket I/O of tocsin serve meanwhile (MB read, written): $(io_delta "$io0" "$(io "$SERVE")")"
  d=$(api GET "/incidents/$INCIDENT/delivery" "$R")
  SENT=$(jq -r .sent <<<"$d")
  echo "  delivery: $(jq -c '{total, sent, failed, unreachable}' <<<"$d") in $SECS s"
  [[ "$SENT" == "$n" ]] || echo "  WARNING: sent $SENT of $n"
}

serve_bg() { "$BIN" serve "$@" >"$DIR/serve.log" 2>&1 & SERVE=$!; PIDS+=("$SERVE"); wait_http "http://127.0.0.1:$API_PORT/readyz"; }
# cpu PID: CPU seconds (user + system) the process has used so far.
cpu() { awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# bytes read and written through system calls (files and sockets): "rchar wchar"
io() { awk '/^rchar|^wchar/ { printf "%s ", $2 }' "/proc/$1/io" 2>/dev/null || echo "0 0"; }
io_delta() { awk -v a="$1" -v b="$2" 'BEGIN { split(a, x, " "); split(b, y, " "); printf "%.0f, %.0f", (y[1] - x[1]) / 1e6, (y[2] - x[2]) / 1e6 }'; }
vmhwm() { awk '/VmHWM/ { printf "%.0f MB", $2 / 1024 }' "/proc/$1/status"; }

email_case() { # NAME N
  local name=$1 n=$2
  echo "== $name: $n e-mails, concurrency $CONC"
  prepare "$name" "$n" email "sqlite://$OUT/$name/tocsin.db?mode=rwc"
  start_smtp_sink
  serve_bg
  setup_incident email "$n"
  local perf=""
  if [[ "${PERF:-}" == 1 ]]; then
    perf record ${PERF_ARGS:--F 499 -g} -p "$SERVE" -o "$DIR/perf.data" >/dev/null 2>&1 & perf=$!
  fi
  dispatch_and_wait "$n"
  if [[ -n "$perf" ]]; then kill -INT "$perf"; wait "$perf" || true; echo "  profile: perf report -i $DIR/perf.data"; fi
  result "tocsin serve → smtp-sink, $n e-mails" "$SECS" "$(rate "$SENT" "$SECS")/s" "peak RSS $(vmhwm "$SERVE")" "sent $SENT"
  stop "$SERVE"
  local t0 ref
  local s0
  s0=$(cpu "$SMTP_SINK")
  t0=$(now)
  smtp-source -s "$CONC" -m "$n" -l "$NOTICE_BYTES" -d 127.0.0.1:"$SMTP_PORT"
  ref=$(elapsed "$t0" "$(now)")
  echo "  smtp-source: $ref s; CPU meanwhile: smtp-sink $(elapsed "$s0" "$(cpu "$SMTP_SINK")") s"
  result "smtp-source -s $CONC -m $n -l $NOTICE_BYTES -d" "$ref" "$(rate "$n" "$ref")/s" "reference" \
    "tocsin/ref $(awk -v a="$SECS" -v b="$ref" 'BEGIN { printf "%.1f×", a / b }')"
  stop "$SMTP_SINK"
}

http_case() { # NAME N CHANNEL
  local name=$1 n=$2 channel=$3
  echo "== $name: $n $channel, concurrency $CONC"
  prepare "$name" "$n" "$channel" "sqlite://$OUT/$name/tocsin.db?mode=rwc"
  "$SINK" 127.0.0.1:"$HTTP_PORT" 2>/dev/null & local sink=$!; PIDS+=("$sink")
  wait_http "http://127.0.0.1:$HTTP_PORT/count"
  serve_bg
  setup_incident "$channel" "$n"
  local perf=""
  if [[ "${PERF:-}" == 1 ]]; then
    perf record ${PERF_ARGS:--F 499 -g} -p "$SERVE" -o "$DIR/perf.data" >/dev/null 2>&1 & perf=$!
  fi
  dispatch_and_wait "$n"
  if [[ -n "$perf" ]]; then kill -INT "$perf"; wait "$perf" || true; echo "  profile: perf report -i $DIR/perf.data"; fi
  local counted
  counted=$(curl -s "http://127.0.0.1:$HTTP_PORT/count" | jq -r ".$channel")
  result "tocsin serve → local $channel sink, $n" "$SECS" "$(rate "$SENT" "$SECS")/s" "peak RSS $(vmhwm "$SERVE")" "sink counted $counted"
  stop "$SERVE"; stop "$sink"
}

million() {
  local n=1000000
  echo "== email1m: $n e-mails by one tocsin worker, concurrency $CONC"
  prepare email1m "$n" email "sqlite://$OUT/email1m/tocsin.db?mode=rwc"
  start_smtp_sink
  serve_bg --no-dispatcher
  setup_incident email "$n"
  "$BIN" worker >"$DIR/worker.log" 2>&1 & local w=$!; PIDS+=("$w")
  dispatch_and_wait "$n"
  result "tocsin worker → smtp-sink, $n e-mails" "$SECS" "$(rate "$SENT" "$SECS")/s" "worker peak RSS $(vmhwm "$w")" "serve peak RSS $(vmhwm "$SERVE")"
  stop "$w"; stop "$SERVE"; stop "$SMTP_SINK"
}

workers() {
  local n=${WORKERS_N:-100000}
  echo "== workers: $n e-mails by two tocsin workers on PostgreSQL, concurrency $CONC each"
  psql "$PG/postgres" -qc 'DROP DATABASE IF EXISTS bench_delivery' -c 'CREATE DATABASE bench_delivery' >/dev/null
  prepare workers "$n" email "$PG/bench_delivery"
  start_smtp_sink "$DIR/dump"
  serve_bg --no-dispatcher
  setup_incident email "$n"
  "$BIN" worker >"$DIR/worker1.log" 2>&1 & local w1=$!; PIDS+=("$w1")
  "$BIN" worker >"$DIR/worker2.log" 2>&1 & local w2=$!; PIDS+=("$w2")
  sleep 1
  dispatch_and_wait "$n"
  stop "$w1"; stop "$w2"; stop "$SERVE"; stop "$SMTP_SINK"
  local files ids dups
  files=$(find "$DIR/dump" -type f | wc -l)
  ids=$(find "$DIR/dump" -type f -print0 | xargs -0 grep -h -i -m1 '^Message-ID:' | sort | uniq | wc -l)
  dups=$(find "$DIR/dump" -type f -print0 | xargs -0 grep -h -i -m1 '^Message-ID:' | sort | uniq -d | wc -l)
  result "2 × tocsin worker (PostgreSQL) → smtp-sink, $n e-mails" "$SECS" "$(rate "$SENT" "$SECS")/s" \
    "$files messages, $ids Message-IDs" "duplicates: $dups"
}

for c in "${CASES[@]}"; do
  case "$c" in
    email20k) email_case email20k 20000 ;;
    email100k) email_case email100k 100000 ;;
    sms100k) http_case sms100k 100000 sms ;;
    push100k) http_case push100k 100000 push ;;
    email1m) million ;;
    workers) workers ;;
    *) die "unknown case '$c'" ;;
  esac
done

echo
echo "env: $(nproc) CPUs, $(uname -sr), CONC=$CONC, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "| run | seconds | rate | | |"
echo "| --- | ---: | ---: | --- | --- |"
printf '%s\n' "${RESULTS[@]}"
