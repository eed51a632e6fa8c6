#!/usr/bin/env bash
# Runs the FHIRPath benchmark in C++ and through fhirpath.js on the same workload, then prints
# the ratios. Usage: bench/run_fhirpath_bench.sh [BUILD_DIR] [SECONDS]
# Installs the npm package `fhirpath` (pinned) into BUILD_DIR/bench-js on first use.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="${1:-$here/../build}"
seconds="${2:-3}"
js_dir="$build/bench-js"
fhirpath_js_version="5.2.2"

cmake --build "$build" --target bench_fhirpath >/dev/null
if [ ! -f "$js_dir/node_modules/fhirpath/package.json" ]; then
  mkdir -p "$js_dir"
  [ -f "$js_dir/package.json" ] || echo '{"private":true}' > "$js_dir/package.json"
  (cd "$js_dir" && npm install --no-audit --no-fund "fhirpath@$fhirpath_js_version" >/dev/null)
fi

cpp_out="$("$build/bench/bench_fhirpath" --seconds "$seconds" --workload "$js_dir/workload.json")"
js_out="$(NODE_PATH="$js_dir/node_modules" node "$here/fhirpath_js_bench.js" "$js_dir/workload.json" "$seconds")"
echo "$cpp_out"
echo "$js_out"

value() { echo "$1" | awk -v k="$2" '$1 == k { print $2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo "ratio.compile $(ratio "$(value "$js_out" fhirpathjs.compile.us_per_expression)" "$(value "$cpp_out" fhirpath.compile.us_per_expression)")"
echo "ratio.invariants $(ratio "$(value "$cpp_out" fhirpath.invariants.items_per_second)" "$(value "$js_out" fhirpathjs.invariants.items_per_second)")"
echo "ratio.notes $(ratio "$(value "$cpp_out" fhirpath.notes.items_per_second)" "$(value "$js_out" fhirpathjs.notes.items_per_second)")"
