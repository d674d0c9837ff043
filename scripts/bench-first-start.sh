#!/usr/bin/env bash
# Measures a new user's first start: clones this repository (its committed
# HEAD) into a temporary folder and runs scripts/run.sh there with nothing
# cached: an empty CARGO_HOME (no registry index, no downloaded crates), an
# empty CARGO_TARGET_DIR, an empty npm cache and pip cache, no venv, no
# node_modules. What may stay is what the machine came with: the Rust
# toolchain (rustup, with its installed targets) and the Debian packages.
#
#   scripts/bench-first-start.sh [--port N] [--keep]
#
# Prints the time of each phase of run.sh (its step lines; the builds run in
# parallel, so their times overlap), the total from `git clone` to the first
# 200 from /roadmap, and the ten slowest crates of each cargo build (from
# `cargo build --timings`) with what pulls each in. The last line is a
# one-line summary (the README quotes it). --keep leaves the folder (the
# timing reports are in <folder>/target/cargo-timings). A report: exits 0 when
# the page answered, non-zero when it did not.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

port=3300
keep=0
while (($# > 0)); do
  case "$1" in
    --port)
      port="$(port_arg "${2:-}")"
      shift
      ;;
    --keep) keep=1 ;;
    -h | --help)
      sed -n '2,17p' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  shift
done
port_in_use "$port" && die "port $port is in use (--port N)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/gantry-first-start.XXXXXX")"
RUN_PID=""
cleanup() {
  local rc=$?
  set +e
  if [[ -n "$RUN_PID" ]] && kill -0 "$RUN_PID" 2>/dev/null; then
    # run.sh leads its own process group (setsid): the server, moto and any
    # build still going stop with it.
    kill -TERM -- "-$RUN_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$RUN_PID" 2>/dev/null
  fi
  if ((keep)); then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

commit="$(git -C "$REPO_ROOT" rev-parse --short HEAD)"
log "first start of $commit in $WORK (port $port)"
t0="$(now_s)"
git clone --quiet --no-hardlinks "$REPO_ROOT" "$WORK/gantry"
clone_s="$(elapsed_since "$t0")"

use_empty_caches "$WORK"

(cd "$WORK/gantry" && exec setsid scripts/run.sh --port "$port" --timings) \
  </dev/null >"$WORK/run.log" 2>&1 &
RUN_PID=$!

# The first page a person sees: /roadmap after the development sign-in (as
# Vera, a viewer; a plain form POST, with the Origin a browser sends).
base="http://127.0.0.1:$port"
jar="$WORK/cookies"
first_s=""
while kill -0 "$RUN_PID" 2>/dev/null; do
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/healthz" 2>/dev/null)" == 200 ]]; then
    curl -s -o /dev/null --max-time 10 -c "$jar" -H "Origin: $base" \
      --data 'subject=vera&return_to=/roadmap' "$base/auth/dev" 2>/dev/null || true
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -b "$jar" "$base/roadmap" 2>/dev/null || true)"
    if [[ "$code" == 200 ]]; then
      first_s="$(elapsed_since "$t0")"
      break
    fi
  fi
  sleep 1
done

printf '\nscripts/run.sh on a fresh clone of %s (%s cores), phases (parallel ones overlap):\n' \
  "$commit" "$(nproc)"
printf '  %-52s %8ss\n' "git clone" "$clone_s"
sed -n 's/^\[[0-9:]*\] <== \(.*\): ok in \([0-9.]*\)s$/\1|\2/p' "$WORK/run.log" |
  while IFS='|' read -r name secs; do printf '  %-52s %8ss\n' "$name" "$secs"; done

if [[ -z "$first_s" ]]; then
  log "run.sh exited before /roadmap answered 200; its last lines:"
  tail -n 60 "$WORK/run.log" >&2
  exit 1
fi

# The ten slowest units of each cargo build, and who depends on each.
for report in "$CARGO_TARGET_DIR"/cargo-timings/cargo-timing-*.html; do
  [[ -f "$report" ]] || continue
  python3 - "$report" "$WORK/gantry" <<'EOF' || true
import json, re, subprocess, sys
html = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r"const UNIT_DATA = (\[.*?\]);\n", html, re.S)
root = re.search(r"<td>Targets:</td><td>(.*?)</td>", html, re.S)
if not m:
    sys.exit(0)
units = json.loads(m.group(1))
total = re.search(r"<td>Total time:</td><td>([^<]*)</td>", html)
print(f"\ncargo build of {re.sub('<[^>]+>', '', root.group(1)) if root else '?'}"
      f" ({total.group(1).strip() if total else '?'}, {len(units)} units); the ten slowest:")
def pulled_in_by(name, version):
    """The crates that depend on name@version directly (cargo tree -i)."""
    out = subprocess.run(
        ["cargo", "tree", "-q", "--target", "all", "-e", "normal,build",
         "-i", f"{name}@{version}", "--depth", "1", "--prefix", "none"],
        cwd=sys.argv[2], capture_output=True, text=True).stdout.splitlines()
    parents = sorted({line.split(" (")[0].rsplit(" ", 1)[0] for line in out[1:] if line.strip()})
    return ", ".join(parents[:4]) + (", …" if len(parents) > 4 else "") if parents else "?"
for u in sorted(units, key=lambda u: -u["duration"])[:10]:
    target = u.get("target", "").strip()
    print(f"  {u['duration']:7.1f}s  {u['name']} {u['version']}{(' ' + target) if target else ''}"
          f"  <- {pulled_in_by(u['name'], u['version'])}")
EOF
done

minutes="$(awk -v s="$first_s" 'BEGIN { printf "%.1f", s / 60 }')"
printf '\nfirst start: %s min (%ss) from git clone to the first 200 from /roadmap; %s, %s cores, %s\n' \
  "$minutes" "$first_s" "$commit" "$(nproc)" "$(date -u +%F)"
