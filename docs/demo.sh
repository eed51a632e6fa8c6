#!/usr/bin/env bash
# The three journeys on loopback (README "Journeys"): two NoteBridge practices (Riverside sends,
# Harbor receives a transfer), a scripted hospital EHR and a scripted payer. Builds the program
# when needed, prints what arrived where, and stops everything it started.
# Usage: docs/demo.sh            (from the repository root; needs curl, openssl and python3)
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/build/gateway/notebridge"
if [[ ! -x "$bin" ]]; then
  echo "== building notebridge (first run only)"
  cmake -S "$root" -B "$root/build" -G Ninja >/dev/null
  cmake --build "$root/build" --target notebridge -j2 >/dev/null
fi

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
json() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=2))'; }

# The scripted receiver: answers every FHIR request and logs one line per request.
receiver_port="$(free_port)"
cat > "$work/receiver.py" <<'PY'
import json, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
log = open(sys.argv[2], "a", buffering=1)
class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            resource = json.loads(body)
        except ValueError:
            resource = {}
        kind = resource.get("resourceType", "?")
        if kind == "Bundle":
            kind += "/" + resource.get("type", "?") + " with " + ", ".join(
                sorted({e.get("resource", {}).get("resourceType", "?") for e in resource.get("entry", [])}))
        if kind == "Parameters":
            kind += " " + ", ".join(p.get("name", "?") for p in resource.get("parameter", []))
        log.write(f"{self.path.split('/')[1]}: {self.command} {self.path} <- {kind} ({len(body)} bytes)\n")
        answer = json.dumps({"resourceType": "OperationOutcome", "issue": [
            {"severity": "information", "code": "informational", "diagnostics": "received"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
    do_PUT = do_POST
    def log_message(self, *args):
        pass
HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
python3 "$work/receiver.py" "$receiver_port" "$work/arrived.log" &
pids+=($!)

# The key that signs Riverside's bearer token for Harbor's FHIR API.
openssl genrsa -out "$work/jwt.key" 2048 2>/dev/null
openssl rsa -in "$work/jwt.key" -pubout -out "$work/jwt.pub.pem" 2>/dev/null
header="$(printf '{"alg":"RS384","typ":"JWT"}' | b64url)"
payload="$(printf '{"sub":"riverside","exp":%d,"scope":"system/*.cruds"}' $(($(date +%s) + 3600)) | b64url)"
signature="$(printf '%s.%s' "$header" "$payload" | openssl dgst -sha384 -sign "$work/jwt.key" | b64url)"
token="$header.$payload.$signature"
echo "$token" > "$work/harbor.token"

# start NAME PORT EXTRA-PROPERTIES: a NoteBridge with its own data folder and API key.
start() {
  local name="$1" port="$2"
  mkdir -p "$work/$name"
  {
    echo "server.port = $port"
    echo "data.dir = $work/$name/data"
    echo "auth.jwt.keyFiles = $work/jwt.pub.pem"
    printf '%b' "$3"
  } > "$work/$name/gateway.properties"
  "$bin" keys add demo --config "$work/$name/gateway.properties" 2>/dev/null > "$work/$name/key"
  "$bin" serve --config "$work/$name/gateway.properties" 2> "$work/$name/log" &
  pids+=($!)
  for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return
    sleep 0.1
  done
  echo "$name did not start:"; cat "$work/$name/log"; exit 1
}

harbor_port="$(free_port)"
riverside_port="$(free_port)"
start harbor "$harbor_port" ""
start riverside "$riverside_port" "\
destinations.harbor.kind = practice
destinations.harbor.base_url = http://127.0.0.1:$harbor_port/fhir
destinations.harbor.auth = bearer-file
destinations.harbor.token_file = $work/harbor.token
destinations.harbor.route.default = false
destinations.hospital.kind = ehr
destinations.hospital.base_url = http://127.0.0.1:$receiver_port/ehr
destinations.hospital.route.default = true
destinations.payer.kind = payer
destinations.payer.base_url = http://127.0.0.1:$receiver_port/payer
destinations.payer.interaction = submit-attachment
destinations.payer.route.default = false
"
riverside_key="$(cat "$work/riverside/key")"
harbor_key="$(cat "$work/harbor/key")"
riverside() { curl -s -H "X-API-Key: $riverside_key" -H 'Content-Type: application/json' "$@"; }
harbor() { curl -s -H "X-API-Key: $harbor_key" "$@"; }
echo "== Riverside on :$riverside_port, Harbor on :$harbor_port, EHR and payer receiver on :$receiver_port"

echo
echo "== 1. Hospital EHR: Riverside accepts two signed notes of client C-1001"
for note in transfer-early soap; do
  riverside -X POST "http://127.0.0.1:$riverside_port/notes" \
    --data-binary @"$root/tests/data/mappers/$note.note.json" |
    python3 -c 'import json,sys; a=json.load(sys.stdin); print("  note", a["id"], "v%d" % a["version"], a["status"], "deliveries:", [(d["destination"], d["state"]) for d in a.get("deliveries", [])])'
done

consent() {
  sed -e "s/\"end\": \"2025-09-30\"/\"end\": \"$1\"/" "$root/tests/data/mappers/transfer-part2.consent.json"
}
echo
echo "== 2. Transfer to a new therapist: refused with an expired consent"
riverside -X POST "http://127.0.0.1:$riverside_port/clients/C-1001/transfer" \
  --data-binary "{\"recipient\": \"harbor\", \"purpose\": \"TREAT\", \"consent\": $(consent 2025-09-30)}" |
  python3 -c 'import json,sys; a=json.load(sys.stdin); print("  refused:", a["issue"][0]["diagnostics"])'
echo "== 2. Transfer with a consent in force (and covering 42 CFR Part 2)"
riverside -X POST "http://127.0.0.1:$riverside_port/clients/C-1001/transfer" \
  --data-binary "{\"recipient\": \"harbor\", \"purpose\": \"TREAT\", \"consent\": $(consent 2099-12-31)}" |
  python3 -c 'import json,sys; a=json.load(sys.stdin); print("  ", a["status"], "to", a["recipient"], "notes", a["notes"], "receiver answered", a["receiver"]["status"])'
echo "   Harbor now holds:"
harbor "http://127.0.0.1:$harbor_port/notes?client=C-1001" |
  python3 -c 'import json,sys; [print("    note", n["id"], "v%d" % n["version"], n["status"], "source", n["source"]) for n in json.load(sys.stdin)["notes"]]'

echo
echo "== 3. Payer submission (Da Vinci CDex \$submit-attachment)"
riverside -X POST "http://127.0.0.1:$riverside_port/notes/N-2025-0412/submit" \
  --data-binary '{"destination": "payer", "claimId": "CLM-77", "trackingId": "TRK-2025-0412", "lineItems": ["1"]}' |
  python3 -c 'import json,sys; a=json.load(sys.stdin); print("  ", a.get("status"), "tracking", a.get("trackingId"), "payer answered", a.get("receiver", {}).get("status"))'

echo
echo "== Audit: AuditEvents (IHE BALP) at each side"
for side in riverside:$riverside_port harbor:$harbor_port; do
  curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:${side#*:}/fhir/AuditEvent" |
    python3 -c 'import json,sys; b=json.load(sys.stdin); print("  '"${side%%:*}"':", ", ".join(sorted("%s %s" % (e["resource"]["type"]["display"], "ok" if e["resource"]["outcome"] == "0" else "refused") for e in b.get("entry", []) if e["resource"]["resourceType"] == "AuditEvent")))'
done

sleep 1
echo
echo "== Riverside's delivery states (outbox)"
for id in N-2025-0301 N-2025-0412; do
  riverside "http://127.0.0.1:$riverside_port/notes/$id" |
    python3 -c 'import json,sys; a=json.load(sys.stdin); print("  note", a["id"], [(d["destination"], d["state"]) for d in a.get("deliveries", [])])'
done
echo
echo "== What arrived at the scripted EHR and payer"
if [[ -s "$work/arrived.log" ]]; then sed 's/^/  /' "$work/arrived.log"; else echo "  (nothing)"; fi
echo
echo "== done; stopping everything"
