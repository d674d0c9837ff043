#!/usr/bin/env bash
# Reports the size of the release bundle and of the first load of /roadmap.
#
#   scripts/bench-size.sh             setup + the release build (build_site --release), then report
#   scripts/bench-size.sh --no-build  report on what is already built
#
# For the site's main .wasm, .js and .css: raw, gzip -9 and brotli (quality 11,
# node's zlib) bytes. Then the same for every lazy-loaded WASM chunk that
# __wasm_split.*.js can fetch (the code of the lazy routes, app/src/routes.rs),
# their total, and what the first visit to each lazy route fetches. Then starts
# the server on 127.0.0.1:3200 with a temp SQLite database and measures the
# first load of /roadmap in Chromium (bytes as transferred, number of requests).
# Compares the main WASM's brotli size (the initial download; chunks load on
# demand) with the budget (300 KB = 300,000 bytes; BENCH_WASM_BROTLI_BUDGET
# overrides) and says PASS or FAIL. A report: exits 0 either way (non-zero only
# if it cannot measure).
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
      sed -n '2,17p' "${BASH_SOURCE[0]}"
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
  build_site --release
fi
check_site_built

pkg="$SITE_ROOT/$SITE_PKG_DIR"
wasm="$(site_asset wasm)"
js="$(site_asset js)"
css="$(site_asset css)"

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
split_js=("$pkg"/__wasm_split.*.js)
[[ -f "${split_js[0]}" ]] || split_js=()
for f in "$wasm" "$js" "${split_js[@]}" "$css"; do
  if [[ ! -f "$f" ]]; then
    printf '%-14s %12s\n' "$(basename "$f")" "missing"
    continue
  fi
  read -r raw gz br < <(sizes "$f")
  name="$(basename "$f")"
  [[ "$name" == __wasm_split.* ]] && name="__wasm_split.js"
  [[ "$name" == "$OUTPUT_NAME".* ]] && name="$OUTPUT_NAME.${name##*.}"
  printf '%-14s %12s %12s %12s\n' "$name" "$raw" "$gz" "$br"
  [[ "$f" == "$wasm" ]] && wasm_br="$br"
done

# The chunks: every .wasm the split loader can fetch (stale files of an older
# build in the directory are not counted, only reported).
declare -A chunk_br=()
if ((${#split_js[@]})); then
  mapfile -t chunks < <(grep -oE '"\./[A-Za-z0-9_.-]+\.wasm"' "${split_js[0]}" | tr -d '"' | sed 's|^\./||' | sort -u -V)
  echo
  echo "Lazy-loaded WASM chunks (${#chunks[@]}, fetched on demand by $(basename "${split_js[0]}"))"
  printf '%-56s %10s %10s %10s\n' "chunk" "raw B" "gzip -9 B" "brotli B"
  t_raw=0 t_gz=0 t_br=0
  for c in "${chunks[@]}"; do
    [[ -f "$pkg/$c" ]] || die "$c is named by ${split_js[0]} but missing"
    read -r raw gz br < <(sizes "$pkg/$c")
    printf '%-56s %10s %10s %10s\n' "$c" "$raw" "$gz" "$br"
    chunk_br["${c%.wasm}"]="$br"
    t_raw=$((t_raw + raw)) t_gz=$((t_gz + gz)) t_br=$((t_br + br))
  done
  printf '%-56s %10s %10s %10s\n' "total of all chunks" "$t_raw" "$t_gz" "$t_br"
  read -r m_raw m_gz m_br < <(sizes "$wasm")
  printf '%-56s %10s %10s %10s\n' "main + all chunks" "$((m_raw + t_raw))" "$((m_gz + t_gz))" "$((m_br + t_br))"
  for f in "$pkg"/split_*.wasm "$pkg"/chunk_*.wasm; do
    [[ -f "$f" && -z "${chunk_br[$(basename "${f%.wasm}")]+x}" ]] && warn "stale chunk not named by the loader: $f"
  done

  # What the first visit to each lazy route fetches (its chunks, from the
  # manifest the server also uses for <link rel="preload">), brotli.
  manifest=("$pkg"/__wasm_split_manifest*.json)
  manifest="${manifest[0]}"
  if [[ -f "$manifest" ]]; then
    echo
    echo "First visit to each lazy route: chunks fetched (brotli B, from $(basename "$manifest"))"
    node -e '
      const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      for (const [split, files] of Object.entries(m).sort()) console.log(split, files.join(" "));' "$manifest" |
      while read -r split files; do
        n=0 sum=0
        for c in $files; do
          n=$((n + 1)) sum=$((sum + ${chunk_br[$c]:-0}))
        done
        printf '%-56s %3s files %10s\n' "$split" "$n" "$sum"
      done
  fi
else
  echo
  echo "No __wasm_split.*.js: the build was not split (no lazy-loaded chunks)."
fi

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
echo "Main (initial) WASM brotli: $wasm_br bytes ($(kb "$wasm_br")), budget $BUDGET bytes ($(kb "$BUDGET")): $verdict"
