#!/usr/bin/env bash
# Runs the portal: installs what is missing, builds the release bundle, starts
# the local AWS stand-in (moto, seeded with the demo "Backend Booking" account by
# scripts/demo_aws.py), and serves Gantry in the foreground on
# http://127.0.0.1:3000 (config/dev.toml, SQLite at data/gantry.db, seeded from
# fixtures/infrastructure-status.md on first start). Ctrl-C stops both.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

step "setup" scripts/setup.sh || exit 1
ensure_wasm_bindgen --required || die "wasm-bindgen-cli is needed to build the site"
step "cargo leptos build --release --split" build_site || exit 1
check_site_built || exit 1

bind="127.0.0.1:3000"
mapfile -t site_env < <(leptos_site_env "$bind")
mapfile -t unset_args < <(inherited_gantry_env_unset_args)
mkdir -p data

# The demo AWS account. moto reports every ECS service with this many running
# tasks: dev (desired 1) is then Healthy and prod (desired 3) shows a rollout
# in progress, 1/3 running.
MOTO_RUNNING_TASKS=1
trap 'stop_moto' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
step "start the AWS stand-in (moto, demo account)" start_moto 5000 || exit 1

log "Gantry: http://$bind  (Ctrl-C to stop; AWS stand-in at $MOTO_TEST_ENDPOINT)"
env "${unset_args[@]}" "${site_env[@]}" GANTRY_SERVER__SITE_ROOT="$SITE_ROOT" \
  GANTRY_AWS__ENDPOINT_URL="$MOTO_TEST_ENDPOINT" GANTRY_COST__END_DATE="$DEMO_COST_END_DATE" \
  "$SERVER_BIN" --config config/dev.toml serve
