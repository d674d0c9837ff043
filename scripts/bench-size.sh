#!/usr/bin/env bash
# Reports the size of the release bundle and of the first load of /roadmap.
#
#   scripts/bench-size.sh             setup + cargo leptos build --release, then report
#   scripts/bench-size.sh --no-build  report on what is already built
#
# For the site's .wasm, .js and .css: raw, gzip -9 and brotli (quality 11, node's
# zlib) bytes. Then starts the server on 127.0.0.1:3200 with a temp SQLite
# database and measures the first load of /roadmap in Chromium (bytes as
# transferred, number of requests). Compares the WASM's brotli size with the
# budget (300 KB = 300,000 bytes; BENCH_WASM_BROTLI_BUDGET overrides) and says
# PASS or FAIL. A report: exits 0 either way (non-zero only if it cannot measure).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

BENCH_PORT=3200
BUDGET="${BENCH_WASM_BROTLI_BUDGET:-300000}"
build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h | --help)
      sed -n '2,13p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

BENCH_TMP=""
cleanup() {
  local rc=$?
  set +e
  stop_server
  [[ -n "$BENCH_TMP" ]] && rm -rf "$BENCH_TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/gantry-bench.XXXXXX")"

if ((build)); then
  step "setup" scripts/setup.sh
  step "wasm-bindgen-cli (matches Cargo.lock)" ensure_wasm_bindgen --required
  step "cargo leptos build --release" build_site
fi
check_site_built

pkg="$SITE_ROOT/$SITE_PKG_DIR"
wasm="$pkg/$OUTPUT_NAME.wasm"
js="$pkg/$OUTPUT_NAME.js"
css="$pkg/$OUTPUT_NAME.css"

# sizes FILE -> "raw gzip brotli"
sizes() {
  local f="$1" raw gz br
  raw="$(stat -c %s "$f")"
  gz="$(gzip -9 -c "$f" | wc -c)"
  br="$(node -e '
    const zlib = require("zlib");
    const data = require("fs").readFileSync(process.argv[1]);
    const out = zlib.brotliCompressSync(data, { params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length } });
    process.stdout.write(String(out.length));' "$f")"
  printf '%s %s %s\n' "$raw" "$gz" "$br"
}

kb() { awk -v b="$1" 'BEGIN { printf "%.1f KB", b / 1000 }'; }

echo
echo "Release bundle ($pkg)"
printf '%-14s %12s %12s %12s\n' "file" "raw B" "gzip -9 B" "brotli B"
wasm_br=""
for f in "$wasm" "$js" "$css"; do
  if [[ ! -f "$f" ]]; then
    printf '%-14s %12s\n' "$(basename "$f")" "missing"
    continue
  fi
  read -r raw gz br < <(sizes "$f")
  printf '%-14s %12s %12s %12s\n' "$(basename "$f")" "$raw" "$gz" "$br"
  [[ "$f" == "$wasm" ]] && wasm_br="$br"
done

echo
step "start server (bench)" start_server "$BENCH_PORT" "sqlite://$BENCH_TMP/bench.db" "$BENCH_TMP/server.log"
if ! wait_for_http "http://127.0.0.1:$BENCH_PORT/healthz" 60 "$SERVER_PID"; then
  show_server_log
  exit 1
fi
echo
node scripts/bench-first-load.mjs "http://127.0.0.1:$BENCH_PORT/roadmap"
echo

if ((wasm_br <= BUDGET)); then
  verdict=PASS
else
  verdict=FAIL
fi
echo "WASM brotli: $wasm_br bytes ($(kb "$wasm_br")), budget $BUDGET bytes ($(kb "$BUDGET")): $verdict"
