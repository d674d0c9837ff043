#!/usr/bin/env bash
# Installs what building, running and testing Gantry needs, when missing.
#
#   scripts/setup.sh          Rust wasm target, npm packages, Python venv (.venv)
#   scripts/setup.sh --test   also Debian's chromium and postgresql, cargo-nextest
#
# Everything else the build needs is compiled from the workspace (site-build,
# with wasm-bindgen as a library at Cargo.lock's version): no cargo-leptos, no
# wasm-bindgen-cli. The installs run at once; idempotent and fast (a few
# seconds) when everything is present. Works as root with no standard input
# (CI=true), on a machine where nothing is installed yet.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

with_test=0
for arg in "$@"; do
  case "$arg" in
    --test) with_test=1 ;;
    -h | --help)
      sed -n '2,9p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

cd "$REPO_ROOT"
start="$(now_s)"

if ((with_test)); then
  start_job "Debian packages (chromium, postgresql)" ensure_apt_packages chromium postgresql
  start_job "cargo-nextest" ensure_cargo_nextest
fi
start_job "rustup target wasm32-unknown-unknown" ensure_wasm_target
start_job "npm packages" ensure_node_modules
start_job "Python venv (moto, OIDC mock)" ensure_venv
wait_jobs || die "setup failed (the failing install is named above)"

log "setup done in $(elapsed_since "$start")s"
print_step_summary
