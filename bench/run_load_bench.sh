#!/usr/bin/env bash
# Load benchmark of `notebridge serve` on loopback with wrk: POST /notes (parse, map, validate,
# store in one transaction), a FHIR read, a FHIR search, and /healthz as the ceiling of the same
# server. Prints one JSON line per run: requests/s, p50 and p99 latency (ms), errors.
# Usage: bench/run_load_bench.sh [BUILD_DIR] [SECONDS] [CONNECTIONS]
# NB_BENCH_WRITER_BOOST=N sets the server's store.writerBoost (default 10; 0 for the A/B).
# Needs: wrk (installed with apt-get when missing), openssl, python3, curl.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
seconds="${2:-10}"
connections="${3:-16}"
port="${NB_BENCH_PORT:-18573}"

if ! command -v wrk >/dev/null; then
  apt-get install -y wrk >/dev/null
fi
cmake --build "$build" --target notebridge >/dev/null
notebridge="$build/gateway/notebridge"

work="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# A JWT signing key for the FHIR runs.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/jwt.key" 2>/dev/null
openssl pkey -in "$work/jwt.key" -pubout -out "$work/jwt.pub.pem"
cat > "$work/gateway.properties" <<PROPS
server.host = 127.0.0.1
server.port = $port
server.threads = ${NB_BENCH_THREADS:-16}
server.queue = 1024
data.dir = $work/data
log.level = warning
auth.jwt.keyFiles = $work/jwt.pub.pem
store.writerBoost = ${NB_BENCH_WRITER_BOOST:-10}
PROPS
key="$("$notebridge" keys add bench --config "$work/gateway.properties" | head -n 1)"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
header="$(printf '{"alg":"RS256","typ":"JWT"}' | b64url)"
payload="$(printf '{"sub":"bench","exp":%d,"scope":"system/*.rs"}' "$(( $(date +%s) + 3600 ))" | b64url)"
signature="$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha256 -sign "$work/jwt.key" | b64url)"
token="$header.$payload.$signature"

# The note: the SOAP fixture (two scores: PHQ-9, GAD-7) with its subjective section grown to
# make a ~4 KB document.
python3 - "$here/../tests/data/mappers/soap.note.json" "$work/note.json" <<'PY'
import json, sys
note = json.load(open(sys.argv[1]))
note["noteId"] = "__NOTE_ID__"
note["client"]["id"] = "__CLIENT_ID__"
extra = " Client described the week in detail, including sleep, appetite and work stress."
while len(json.dumps(note)) < 4096:
    note["sections"]["subjective"] += extra
json.dump(note, open(sys.argv[2], "w"))
PY

# NB_BENCH_STORE_STATS=1: the store prints its group-commit figures (notes per commit, time the
# writer is held per note) when the server stops; they are printed after the runs.
NOTEBRIDGE_STORE_STATS="${NB_BENCH_STORE_STATS:-}" \
  "$notebridge" serve --config "$work/gateway.properties" > "$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done

# One note for the read and search runs.
sed 's/__NOTE_ID__/bench-seed/; s/__CLIENT_ID__/bench-seed-client/' "$work/note.json" > "$work/seed.json"
seed="$(curl -sf -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' \
          --data-binary @"$work/seed.json" "http://127.0.0.1:$port/notes")"
document="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["fhir"]["DocumentReference"])' "$seed")"
# The searched client: NB_BENCH_SEARCH_NOTES notes (default 10, a few months of weekly
# sessions), each with two scores, so `Observation?patient=` matches twice as many
# Observations (one page of 20 by default).
search_notes="${NB_BENCH_SEARCH_NOTES:-10}"
for i in $(seq 1 "$search_notes"); do
  sed "s/__NOTE_ID__/bench-search-$i/; s/__CLIENT_ID__/bench-search-client/" "$work/note.json" > "$work/search.json"
  searched="$(curl -sf -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' \
                --data-binary @"$work/search.json" "http://127.0.0.1:$port/notes")"
done
patient="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["fhir"]["Patient"])' "${searched:-$seed}")"
matches="$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Observation?patient=$patient&_count=0" |
           python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
search_bytes="$(curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$port/fhir/Observation?patient=$patient" | wc -c)"
echo "{\"bench\":\"load\",\"search_patient_observations\":$matches,\"search_response_bytes\":$search_bytes}"

# run NAME wrk-arguments...: prints {"bench":"load","run":NAME,...} from wrk's report.
run() {
  # NB_BENCH_ONLY=run,run,...: only these runs (profiling).
  if [ -n "${NB_BENCH_ONLY:-}" ] && [[ ",$NB_BENCH_ONLY," != *",$1,"* ]]; then return; fi
  local name="$1"; shift
  local out
  local cpu_before cpu_after
  local written_before written_after
  cpu_before="$(awk '{print $14 + $15}' "/proc/$server_pid/stat")"
  written_before="$(awk '/^wchar/ {print $2}' "/proc/$server_pid/io")"
  out="$(wrk -t2 -c"$connections" -d"${seconds}s" --latency "$@")"
  cpu_after="$(awk '{print $14 + $15}' "/proc/$server_pid/stat")"
  written_after="$(awk '/^wchar/ {print $2}' "/proc/$server_pid/io")"
  out="$out
server_cpu_ticks: $(( cpu_after - cpu_before ))
server_written_bytes: $(( written_after - written_before ))"
  python3 - "$name" "$connections" "$seconds" "$out" <<'PY'
import json, re, sys
name, connections, seconds, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def ms(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s|m)", text).groups()
    return round(float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 3)
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
p50 = ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
p99 = ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))
errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
sockets = re.search(r"Socket errors:.*", out)
ticks = int(re.search(r"server_cpu_ticks: (\d+)", out).group(1))
requests = int(re.search(r"(\d+) requests in", out).group(1))
written = int(re.search(r"server_written_bytes: (\d+)", out).group(1))
print(json.dumps({"bench": "load", "run": name, "connections": connections, "seconds": seconds,
                  "requests_per_second": round(rate, 1), "p50_ms": p50, "p99_ms": p99,
                  "non_2xx": int(errors.group(1)) if errors else 0,
                  "server_cpu_ms_per_request": round(ticks * 10.0 / max(requests, 1), 3),
                  "server_written_kb_per_request": round(written / 1024.0 / max(requests, 1), 1),
                  "socket_errors": sockets.group(0) if sockets else ""}))
PY
}

base="http://127.0.0.1:$port"
if [ -n "${NB_BENCH_PERF:-}" ]; then
  # Profile the server during the runs: perf report -i $NB_BENCH_PERF afterwards.
  perf record ${NB_BENCH_PERF_ARGS:--g} -o "$NB_BENCH_PERF" -p "$server_pid" >/dev/null 2>&1 &
  perf_pid=$!
fi
NB_NOTE_FILE="$work/note.json" NB_KEY="$key" run post_notes -s "$here/load/post_notes.lua" "$base/notes"
run fhir_read -H "Authorization: Bearer $token" "$base/fhir/$document"
run fhir_search -H "Authorization: Bearer $token" "$base/fhir/Observation?patient=$patient"
run healthz "$base/healthz"
if [ -n "${NB_BENCH_PERF:-}" ]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
if [ -n "${NB_BENCH_STORE_STATS:-}" ]; then
  kill "$server_pid"
  wait "$server_pid" || true
  server_pid=""
  grep -h '"store_stats"' "$work/serve.log" || true
fi
# NB_BENCH_KEEP_DB=DIR: the database is copied there (analysis: sqlite3 DIR/notebridge.db).
if [ -n "${NB_BENCH_KEEP_DB:-}" ]; then
  if [ -n "$server_pid" ]; then kill "$server_pid"; wait "$server_pid" || true; server_pid=""; fi
  mkdir -p "$NB_BENCH_KEEP_DB" && cp "$work"/data/notebridge.db* "$NB_BENCH_KEEP_DB"/
fi
