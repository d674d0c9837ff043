#!/usr/bin/env bash
# The jobs engine's benchmark (core/benches/jobs.rs): 1,000 queued no-op jobs
# drained by one and by three workers on SQLite and PostgreSQL (jobs/s), and
# submit -> claimed latency (p50/p95). Starts a throwaway PostgreSQL and stops
# it afterwards. A report: the last line is the summary.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

trap 'stop_postgres' EXIT
step "start PostgreSQL" start_postgres 54339
cargo bench -p gantry-core --bench jobs
