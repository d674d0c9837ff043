#!/usr/bin/env bash
# Runs the portal: installs what is missing, builds the release bundle, and
# serves it in the foreground on http://127.0.0.1:3000 (config/dev.toml, SQLite
# at data/gantry.db, seeded from fixtures/infrastructure-status.md on first start).
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

log "Gantry: http://$bind  (Ctrl-C to stop)"
exec env "${unset_args[@]}" "${site_env[@]}" GANTRY_SERVER__SITE_ROOT="$SITE_ROOT" \
  "$SERVER_BIN" --config config/dev.toml serve
