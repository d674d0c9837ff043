#!/usr/bin/env bash
# Measures the README's test command on a fresh machine: clones this
# repository (its committed HEAD) into a temporary folder and runs
# `CI=true scripts/test.sh` there with nothing cached: an empty CARGO_HOME
# (no registry index, no downloaded crates), an empty
# CARGO_TARGET_DIR, empty npm and pip caches, no venv, no node_modules. What
# may stay is what the machine came with: the Rust toolchain (rustup, with
# its installed targets) and the Debian packages (chromium, postgresql; the
# test command installs them when they are missing).
#
#   scripts/bench-cold-test.sh [--keep]
#
# Prints the time of each step of the test command (its step lines; parallel
# ones overlap) and, last, a one-line summary with the total. --keep leaves
# the folder. A report: exits with the test command's status.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    -h | --help)
      sed -n '2,15p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $arg (try --help)" ;;
  esac
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gantry-cold-test.XXXXXX")"
cleanup() {
  local rc=$?
  if ((keep)); then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT

commit="$(git -C "$REPO_ROOT" rev-parse --short HEAD)"
log "cold test run of $commit in $WORK (log: $WORK/test.log)"
t0="$(now_s)"
git clone --quiet --no-hardlinks "$REPO_ROOT" "$WORK/gantry"

use_empty_caches "$WORK"

rc=0
(cd "$WORK/gantry" && CI=true exec bash .ci/run) </dev/null >"$WORK/test.log" 2>&1 || rc=$?
total_s="$(elapsed_since "$t0")"

printf '\nthe test command on a fresh clone of %s (%s cores), steps (parallel ones overlap):\n' \
  "$commit" "$(nproc)"
sed -n 's/^\[[0-9:]*\] <== \(.*\): \(ok\|FAILED\)[^0-9]*\([0-9.]*\)s$/\1 (\2)|\3/p' "$WORK/test.log" |
  while IFS='|' read -r name secs; do printf '  %-60s %8ss\n' "$name" "$secs"; done
if ((rc != 0)); then
  log "the test command failed (exit $rc); its last lines:"
  tail -n 60 "$WORK/test.log" >&2
fi
minutes="$(awk -v s="$total_s" 'BEGIN { printf "%.1f", s / 60 }')"
printf '\ncold test command: %s min (%ss) from git clone, exit %s; %s, %s cores, %s\n' \
  "$minutes" "$total_s" "$rc" "$commit" "$(nproc)" "$(date -u +%F)"
exit "$rc"
