#!/usr/bin/env bash
# Installs what building, running and testing Gantry needs, when missing.
#
#   scripts/setup.sh          Rust wasm target, cargo-leptos, wasm-bindgen-cli,
#                             npm packages, Python venv (.venv)
#   scripts/setup.sh --test   also Debian's chromium and postgresql, cargo-nextest
#
# Idempotent and fast (a few seconds) when everything is present. Works as root
# with no standard input (CI=true), on a machine where nothing is installed yet.
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
  ensure_apt_packages chromium postgresql || die "installing Debian packages failed"
  ensure_cargo_nextest || die "installing cargo-nextest failed"
fi
ensure_wasm_target || die "rustup target add wasm32-unknown-unknown failed"
ensure_node_modules || die "npm install failed"
ensure_venv || die "creating the Python venv failed"
ensure_wasm_bindgen || die "installing wasm-bindgen-cli failed"
ensure_cargo_leptos || die "installing cargo-leptos failed"

log "setup done in $(elapsed_since "$start")s"
