#!/usr/bin/env bash
# Runs the portal: installs what is missing (the wasm32 target, npm packages,
# a Python venv with moto), builds it (build_site in scripts/lib.sh: the
# server, the WebAssembly and the stylesheet at once, then site-build), starts
# the local AWS stand-in (moto, seeded with the demo "Backend Booking" account
# by scripts/demo_aws.py), and serves Gantry in the foreground on
# http://127.0.0.1:3000 (config/dev.toml, SQLite at data/gantry.db, seeded from
# fixtures/infrastructure-status.md on first start). Ctrl-C stops both.
#
#   scripts/run.sh [--port N] [--release] [--timings]
#
#   --port N     serve on 127.0.0.1:N instead of 3000
#   --release    the release build (what a deployed Gantry serves: optimised
#                server, size-optimised WebAssembly); slower to compile
#   --timings    cargo's build timings, under $CARGO_TARGET_DIR/cargo-timings
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

port=3000
build_args=()
while (($# > 0)); do
  case "$1" in
    --port)
      port="$(port_arg "${2:-}")"
      shift
      ;;
    --release | --timings) build_args+=("$1") ;;
    -h | --help)
      sed -n '2,15p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  shift
done
started="$(now_s)"

# moto's venv installs while the builds compile (build_site waits for it).
start_job "Python venv (moto, OIDC mock)" ensure_venv
build_site "${build_args[@]}" || {
  print_step_summary
  exit 1
}
check_site_built || exit 1

bind="127.0.0.1:$port"
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
print_step_summary
log "built and ready to start in $(elapsed_since "$started")s"

log "Gantry: http://$bind  (Ctrl-C to stop; AWS stand-in at $MOTO_TEST_ENDPOINT)"
env "${unset_args[@]}" "${site_env[@]}" GANTRY_SERVER__SITE_ROOT="$SITE_ROOT" \
  GANTRY_SERVER__BIND="$bind" GANTRY_SERVER__PUBLIC_URL="http://$bind" \
  GANTRY_AWS__ENDPOINT_URL="$MOTO_TEST_ENDPOINT" GANTRY_COST__END_DATE="$DEMO_COST_END_DATE" \
  "$SERVER_BIN" --config config/dev.toml serve
