#!/usr/bin/env bash
# Delivery benchmark: deliveries per second from the outbox to a fast loopback receiver at
# concurrency 1 and 8 (bench_delivery). Target: at least 1,000 deliveries/s.
# Usage: bench/run_delivery_bench.sh [BUILD_DIR] [NOTES]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
build="$(cd "${1:-$here/../build}" && pwd)"
notes="${2:-3000}"
"$build/bench/bench_delivery" "$notes" 1 8
