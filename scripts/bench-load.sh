#!/usr/bin/env bash
# Loads the release server with wrk and prints, per page, requests/s, latency
# percentiles, errors and timeouts, and the server's peak memory.
#
#   scripts/bench-load.sh                 build the release site, then measure
#   scripts/bench-load.sh --no-build      measure what is already built
#
# BENCH_SECONDS (60) per page, BENCH_CONNECTIONS (64), BENCH_THREADS (2).
# Pages: every lazy route (board, module, environments, one environment, cost,
# audit) and the matrix, signed in as the demo admin (dev sign-in), on a fresh
# SQLite database with the seed document. The AWS stand-in is not started:
# the pages read only what is stored, so viewers cause no AWS call. A report:
# exits 0 unless it cannot measure. Installs Debian's wrk when missing.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

PORT=3300
URL="http://127.0.0.1:$PORT"
SECONDS_PER_PAGE="${BENCH_SECONDS:-60}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
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
BENCH_TMP="$(mktemp -d "${TMPDIR:-/tmp}/gantry-load.XXXXXX")"

command -v wrk >/dev/null 2>&1 || ensure_apt_packages wrk || die "installing wrk failed"
if ((build)); then
  scripts/setup.sh
  build_site --release
fi
start_server "$PORT" "sqlite://$BENCH_TMP/load.db" "$BENCH_TMP/server.log" \
  GANTRY_HEALTH__ENABLED=false GANTRY_COST__ENABLED=false \
  GANTRY_LOG__FILTER=warn || die "server did not start"
wait_for_http "$URL/healthz" 60 "$SERVER_PID" || {
  show_server_log
  die "server not ready"
}

# A session as the demo admin (every page readable).
cookie="$(curl -s -o /dev/null -D - -X POST "$URL/auth/dev" \
  -H "Origin: $URL" -H 'Content-Type: application/x-www-form-urlencoded' \
  --data 'subject=ada&return_to=/roadmap' |
  awk 'tolower($1)=="set-cookie:" { split($2, c, ";"); print c[1]; exit }')"
[[ -n "$cookie" ]] || die "dev sign-in gave no session cookie"
module="$(curl -s -H "Cookie: $cookie" "$URL/roadmap" |
  grep -oE 'href="/roadmap/modules/[a-z0-9-]+"' | head -n1 | sed -E 's/href="|"//g')"

rss_kb() { awk '/VmHWM/ { print $2 }' "/proc/$SERVER_PID/status"; }

printf '\n%-28s %10s %9s %9s %9s %8s %9s\n' page 'req/s' 'p50 ms' 'p99 ms' 'max ms' errors timeouts
for page in /roadmap /roadmap/board "$module" /environments /environments/prod /cost /audit; do
  out="$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_PAGE}s" --timeout 15s --latency \
    -H "Cookie: $cookie" -H 'Accept: text/html' "$URL$page")"
  rps="$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")"
  ms() { # wrk prints 1.23ms / 456.00us / 1.20s
    awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
      else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
      else if (v ~ /s$/) { sub(/s$/, "", v); printf "%.0f", v * 1000 } }'
  }
  p50="$(ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")"
  p99="$(ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")"
  max="$(ms "$(awk '$1 == "Latency" { print $4; exit }' <<<"$out")")"
  errors="$(awk '/Non-2xx/ { print $5 }' <<<"$out")"
  # wrk prints the socket-errors line only when there were some.
  timeouts="$(awk '/Socket errors/ { for (i = 1; i <= NF; i++) if ($i == "timeout") print $(i + 1) }' <<<"$out")"
  [[ -n "$rps" ]] || { printf '%s\n' "$out" >&2; die "wrk gave no figures for $page"; }
  printf '%-28s %10s %9s %9s %9s %8s %9s\n' "$page" "$rps" "$p50" "$p99" "$max" \
    "${errors:-0}" "${timeouts:-0}"
done
printf '\nserver peak memory (VmHWM): %s MB\n' "$(($(rss_kb) / 1024))"
