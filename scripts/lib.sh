# shellcheck shell=bash
# Shared helpers for Gantry's scripts. Source it; do not run it.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Everything here works as root with no terminal and no standard input (CI=true),
# and uses only crates.io, npm, PyPI and Debian packages: nothing is downloaded
# from anywhere else (see /work/shared/TOOLCHAIN.md for why).

if [[ -n "${_GANTRY_LIB_SH_LOADED:-}" ]]; then
  return 0
fi
_GANTRY_LIB_SH_LOADED=1

# --- Paths and pinned versions ------------------------------------------------

# Not exported, and no GANTRY_ prefix: the server rejects unknown GANTRY_* variables.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Builds are large and slow: keep them outside the clone so they persist.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gantry/target}"
export PATH="$HOME/.cargo/bin:$PATH"

# cargo-leptos resolves a relative `site-root` ("target/site" in Cargo.toml)
# against the workspace root (it chdirs there), not against CARGO_TARGET_DIR,
# so the site lands inside the clone even with an external target dir.
SITE_ROOT="$REPO_ROOT/target/site"
SITE_PKG_DIR="pkg"
OUTPUT_NAME="gantry"
SERVER_BIN="$CARGO_TARGET_DIR/release/gantry"

CARGO_LEPTOS_VERSION="0.3.10"
MOTO_VERSION="5.2.5"
OIDC_MOCK_VERSION="0.3.4"

# --- Build cache -------------------------------------------------------------

# The shared build directory only grows: every edit leaves incremental caches
# and every changed test leaves a new binary (seen: 17 GB of incremental data
# and a full disk). Keeps it bounded: drops the incremental caches above 6 GB
# and test/bench executables untouched for two hours (a clone in another
# folder links a new set of its own; cargo relinks any it still needs). Libraries are never deleted, so no dependency is rebuilt.
prune_target_dir() {
  local dir="$CARGO_TARGET_DIR" inc kb
  [[ -d "$dir" ]] || return 0
  for inc in "$dir"/debug/incremental "$dir"/release/incremental; do
    [[ -d "$inc" ]] || continue
    kb="$(du -sk "$inc" | cut -f1)"
    if ((kb > 6 * 1024 * 1024)); then
      log "pruning $inc ($((kb / 1024)) MB)"
      rm -rf "$inc"
    fi
  done
  find "$dir"/debug/deps "$dir"/release/deps -maxdepth 1 -type f -executable \
    ! -name '*.*' -size +20M -mmin +120 -delete 2>/dev/null || true
  log "build cache: $(du -sh "$dir" 2>/dev/null | cut -f1) in $dir; $(df -h --output=avail "$dir" | tail -1 | tr -d ' ') free"
}

# --- Logging ------------------------------------------------------------------

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { log "WARNING: $*"; }
die() {
  log "ERROR: $*"
  exit 1
}

# Seconds since the epoch with milliseconds, as a string (bash 5 EPOCHREALTIME).
now_s() {
  local t="${EPOCHREALTIME:-$(date +%s.%N)}"
  printf '%s' "${t/,/.}" # some locales use a decimal comma
}
# elapsed START -> "12.3"
elapsed_since() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }'; }

# Timing lines collected by `step`, printed by `print_step_summary`.
STEP_LINES=()

# step NAME CMD [ARGS...]: runs CMD, prints a timing line, returns CMD's status.
# CMD runs in an `if`, so `set -e` does not apply inside it: functions passed
# here must check their own errors (the ones in this file do).
step() {
  local name="$1"
  shift
  local start rc=0 secs
  start="$(now_s)"
  log "==> $name"
  if "$@"; then rc=0; else rc=$?; fi
  secs="$(elapsed_since "$start")"
  if ((rc == 0)); then
    STEP_LINES+=("$(printf '%-44s %8ss  ok' "$name" "$secs")")
    log "<== $name: ok in ${secs}s"
  else
    STEP_LINES+=("$(printf '%-44s %8ss  FAILED (exit %d)' "$name" "$secs" "$rc")")
    log "<== $name: FAILED (exit $rc) after ${secs}s"
  fi
  return "$rc"
}

print_step_summary() {
  ((${#STEP_LINES[@]} > 0)) || return 0
  printf '\n%-44s %9s  %s\n' "step" "time" "result" >&2
  printf '%s\n' "${STEP_LINES[@]}" >&2
}

# --- Small utilities ----------------------------------------------------------

is_root() { [[ "$(id -u)" == 0 ]]; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
  if is_root; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@"
  else
    log "need root for: $*"
    return 1
  fi
}

# port_in_use PORT: true when something accepts connections on 127.0.0.1:PORT.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port PREFERRED: prints PREFERRED if free, else the next free port above it.
free_port() {
  local port="$1"
  while port_in_use "$port"; do
    port=$((port + 1))
    if ((port > 65000)); then
      log "no free port found"
      return 1
    fi
  done
  printf '%s\n' "$port"
}

# wait_for_http URL TIMEOUT_SECONDS [PID]: polls URL until it answers 200.
# Gives up early when PID (e.g. the server) has exited.
wait_for_http() {
  local url="$1" timeout="${2:-60}" pid="${3:-}"
  local start code
  start="$(now_s)"
  while :; do
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null || true)"
    if [[ "$code" == 200 ]]; then
      log "$url answered 200 after $(elapsed_since "$start")s"
      return 0
    fi
    if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
      log "process $pid exited while waiting for $url"
      return 1
    fi
    if awk -v a="$start" -v b="$(now_s)" -v t="$timeout" 'BEGIN { exit !(b - a >= t) }'; then
      log "timed out after ${timeout}s waiting for $url (last status: ${code:-none})"
      return 1
    fi
    sleep 0.25
  done
}

# --- Installers (each is a no-op when the right version is present) -----------

ensure_wasm_target() {
  if rustup target list --installed 2>/dev/null | grep -qx 'wasm32-unknown-unknown'; then
    return 0
  fi
  log "installing rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
}

cargo_leptos_version() {
  cargo leptos --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true
}

ensure_cargo_leptos() {
  local have
  have="$(cargo_leptos_version)"
  if [[ "$have" == "$CARGO_LEPTOS_VERSION" ]]; then
    return 0
  fi
  # Another `cargo install cargo-leptos` (e.g. one started by hand) may be under
  # way: wait for it instead of compiling the same thing twice.
  local running='(^|/)cargo install (.* )?cargo-leptos( |$)'
  if [[ -z "$have" ]] && pgrep -f "$running" >/dev/null 2>&1; then
    log "a 'cargo install cargo-leptos' is already running; waiting for it to finish"
    while pgrep -f "$running" >/dev/null 2>&1; do sleep 5; done
    have="$(cargo_leptos_version)"
    [[ "$have" == "$CARGO_LEPTOS_VERSION" ]] && return 0
  fi
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (found: ${have:-none}); about 16 minutes cold"
  # 0.3.11 needs a newer rustc; no_downloads turns a missing tool into a clear
  # error instead of a download from GitHub that fails here.
  cargo install cargo-leptos --locked --version "$CARGO_LEPTOS_VERSION" --features no_downloads || return 1
  have="$(cargo_leptos_version)"
  if [[ "$have" != "$CARGO_LEPTOS_VERSION" ]]; then
    log "cargo-leptos reports '${have:-nothing}' after installing $CARGO_LEPTOS_VERSION"
    return 1
  fi
}

# cargo-nextest runs the tests (a process per test, in parallel). The machine
# image ships it in /usr/local/bin; installed from crates.io only when missing.
ensure_cargo_nextest() {
  if cargo nextest --version >/dev/null 2>&1; then
    return 0
  fi
  log "installing cargo-nextest from crates.io (not found)"
  cargo install cargo-nextest --locked || return 1
  cargo nextest --version >/dev/null 2>&1
}

# Prints the version of the `wasm-bindgen` package in Cargo.lock (empty if none).
locked_wasm_bindgen_version() {
  local lock="$REPO_ROOT/Cargo.lock"
  [[ -f "$lock" ]] || return 0
  awk '
    /^\[\[package\]\]/ { in_wb = 0; next }
    /^name = "wasm-bindgen"$/ { in_wb = 1; next }
    in_wb && /^version = / { gsub(/"/, "", $3); print $3; exit }
  ' "$lock"
}

# ensure_wasm_bindgen [--required]: wasm-bindgen-cli at exactly Cargo.lock's
# wasm-bindgen version. Without Cargo.lock it warns (or fails with --required).
ensure_wasm_bindgen() {
  local required="${1:-}" want have
  if [[ ! -f "$REPO_ROOT/Cargo.lock" ]]; then
    if [[ "$required" == --required ]]; then
      log "Cargo.lock is missing: cannot tell which wasm-bindgen-cli to install (run 'cargo generate-lockfile' or a build first)"
      return 1
    fi
    warn "Cargo.lock is missing: skipping wasm-bindgen-cli for now (a build will need it)"
    return 0
  fi
  want="$(locked_wasm_bindgen_version)"
  if [[ -z "$want" ]]; then
    if [[ "$required" == --required ]]; then
      log "Cargo.lock has no wasm-bindgen package: cannot pick a wasm-bindgen-cli version"
      return 1
    fi
    warn "Cargo.lock has no wasm-bindgen package yet: skipping wasm-bindgen-cli"
    return 0
  fi
  have="$(wasm-bindgen --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)"
  if [[ "$have" == "$want" ]]; then
    return 0
  fi
  log "installing wasm-bindgen-cli $want (found: ${have:-none}); about 2 minutes"
  # Not --locked: its lock names a webpki-roots version that is gone.
  cargo install wasm-bindgen-cli --version "$want" --force || return 1
  have="$(wasm-bindgen --version 2>/dev/null | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n1 || true)"
  if [[ "$have" != "$want" ]]; then
    log "wasm-bindgen reports '${have:-nothing}' after installing $want"
    return 1
  fi
}

# Root node_modules (Tailwind CLI, binaryen's wasm-opt, Playwright).
ensure_node_modules() {
  local root="$REPO_ROOT"
  command -v npm >/dev/null 2>&1 || {
    log "npm is missing (install Debian's nodejs and npm)"
    return 1
  }
  if [[ -f "$root/package-lock.json" ]]; then
    # npm writes node_modules/.package-lock.json on every install.
    if [[ -f "$root/node_modules/.package-lock.json" &&
      ! "$root/package-lock.json" -nt "$root/node_modules/.package-lock.json" &&
      ! "$root/package.json" -nt "$root/node_modules/.package-lock.json" ]]; then
      return 0
    fi
    log "npm ci"
    (cd "$root" && npm ci --no-audit --no-fund) || return 1
  else
    if [[ -d "$root/node_modules" ]]; then
      return 0
    fi
    log "npm install (no package-lock.json)"
    (cd "$root" && npm install --no-audit --no-fund) || return 1
  fi
  # cargo-leptos takes wasm-opt from node_modules/.bin; Debian's would be wrong.
  [[ -x "$root/node_modules/.bin/wasm-opt" ]] || {
    log "node_modules/.bin/wasm-opt is missing after npm install (package 'binaryen')"
    return 1
  }
}

# Python venv with the AWS and OIDC stand-ins used by later tests.
ensure_venv() {
  local venv="$REPO_ROOT/.venv" py
  py="$venv/bin/python"
  if [[ -x "$py" ]] && "$py" - "$MOTO_VERSION" "$OIDC_MOCK_VERSION" <<'EOF' 2>/dev/null; then
import sys
from importlib.metadata import version
version("flask")  # part of moto[server]; raises when the extra is missing
sys.exit(0 if version("moto") == sys.argv[1] and version("oidc-provider-mock") == sys.argv[2] else 1)
EOF
    return 0
  fi
  if [[ ! -x "$py" ]]; then
    log "creating Python venv .venv"
    python3 -m venv "$venv" || return 1
  fi
  log "installing moto[server]==$MOTO_VERSION and oidc-provider-mock==$OIDC_MOCK_VERSION into .venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    "moto[server]==$MOTO_VERSION" "oidc-provider-mock==$OIDC_MOCK_VERSION"
}

# ensure_apt_packages PKG...: installs the Debian packages that are missing.
ensure_apt_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! as_root apt-get install -y --no-install-recommends "${missing[@]}" </dev/null; then
    log "apt-get install failed; running apt-get update and retrying"
    as_root apt-get update </dev/null || return 1
    as_root apt-get install -y --no-install-recommends "${missing[@]}" </dev/null || return 1
  fi
}

# --- Throwaway PostgreSQL -----------------------------------------------------

# Set by start_postgres; read by stop_postgres.
PG_TMP_DIR=""
PG_BIN_DIR=""
PG_TMP_PORT=""

pg_bindir() {
  local d="" candidate
  # The newest installed major version (Debian's layout).
  for candidate in /usr/lib/postgresql/*/bin; do
    [[ -x "$candidate/initdb" ]] || continue
    if [[ -z "$d" ]] || [[ "$(printf '%s\n%s\n' "$d" "$candidate" | sort -V | tail -n1)" == "$candidate" ]]; then
      d="$candidate"
    fi
  done
  if [[ -z "$d" ]] && command -v pg_config >/dev/null 2>&1; then
    d="$(pg_config --bindir)"
  fi
  [[ -n "$d" && -x "$d/initdb" ]] || return 1
  printf '%s\n' "$d"
}

# Runs a command as the `postgres` OS user when we are root (initdb refuses root).
as_pg_user() {
  if is_root; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# start_postgres [PREFERRED_PORT]: initdb in a fresh temp dir, start on 127.0.0.1,
# superuser gantry/gantry, export TEST_POSTGRES_URL. Tests create their own
# databases from it.
start_postgres() {
  local want_port="${1:-54329}" port dir
  PG_BIN_DIR="$(pg_bindir)" || {
    log "PostgreSQL server binaries not found (apt-get install postgresql)"
    return 1
  }
  port="$(free_port "$want_port")" || return 1
  dir="$(mktemp -d "${TMPDIR:-/tmp}/gantry-pg.XXXXXX")" || return 1
  PG_TMP_DIR="$dir"
  PG_TMP_PORT="$port"
  printf 'gantry\n' >"$dir/pwfile"
  mkdir -p "$dir/sock"
  if is_root; then
    chown -R postgres: "$dir" || return 1
  fi
  log "initdb in $dir/data"
  as_pg_user "$PG_BIN_DIR/initdb" -D "$dir/data" -U gantry --pwfile="$dir/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || {
    cat "$dir/initdb.log" >&2
    return 1
  }
  log "starting PostgreSQL on 127.0.0.1:$port"
  # fsync and friends off: this database lives for one test run.
  as_pg_user "$PG_BIN_DIR/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null || {
    cat "$dir/server.log" >&2
    return 1
  }
  export TEST_POSTGRES_URL="postgres://gantry:gantry@127.0.0.1:$port/postgres"
  log "TEST_POSTGRES_URL=$TEST_POSTGRES_URL"
}

stop_postgres() {
  [[ -n "$PG_TMP_DIR" ]] || return 0
  if [[ -f "$PG_TMP_DIR/data/postmaster.pid" ]]; then
    log "stopping PostgreSQL on port $PG_TMP_PORT"
    as_pg_user "$PG_BIN_DIR/pg_ctl" -D "$PG_TMP_DIR/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
      as_pg_user "$PG_BIN_DIR/pg_ctl" -D "$PG_TMP_DIR/data" -m immediate -w -t 30 stop >/dev/null 2>&1 ||
      warn "could not stop PostgreSQL in $PG_TMP_DIR"
  fi
  rm -rf "$PG_TMP_DIR"
  PG_TMP_DIR=""
  unset TEST_POSTGRES_URL
}

# --- The Gantry server --------------------------------------------------------

# The release build (server + WASM + CSS), then precompressed copies of the
# assets (.br, .gz) that the server sends as they are. `--split` moves the code
# of the lazy routes (app/src/routes.rs) out of the main WASM into chunks
# (split_*.wasm, chunk_*.wasm) loaded by __wasm_split.*.js; chunks of an
# earlier build are removed first, as cargo-leptos only ever adds files.
build_site() {
  local pkg="$SITE_ROOT/$SITE_PKG_DIR"
  # Assets are named by content (hash-files): a new build writes new names,
  # and cargo-leptos would hash an old build's files again. Start empty.
  rm -rf "$pkg" || return 1
  cargo leptos build --release --split || return 1
  node "$REPO_ROOT/scripts/compress-site.mjs" "$pkg"
}

# Prints `NAME=VALUE` lines of the LEPTOS_* runtime environment for BIND.
leptos_site_env() {
  local bind="$1"
  printf '%s\n' \
    "LEPTOS_OUTPUT_NAME=$OUTPUT_NAME" \
    "LEPTOS_SITE_ROOT=$SITE_ROOT" \
    "LEPTOS_SITE_PKG_DIR=$SITE_PKG_DIR" \
    "LEPTOS_SITE_ADDR=$bind" \
    "LEPTOS_ENV=PROD"
}

# The server rejects GANTRY_* variables it does not know: prints `-u NAME` lines
# (for `env`) dropping every GANTRY_* variable inherited from the caller.
inherited_gantry_env_unset_args() {
  local name
  while IFS= read -r name; do
    [[ "$name" == GANTRY_* ]] && printf -- '-u\n%s\n' "$name"
  done < <(compgen -e)
  return 0
}

check_site_built() {
  local f
  for f in "$SERVER_BIN" "$(dirname "$SERVER_BIN")/hash.txt" \
    "$(site_asset js)" "$(site_asset wasm)"; do
    [[ -n "$f" && -e "$f" ]] || {
      log "missing build output: ${f:-the main js or wasm of the site} (run 'cargo leptos build --release --split', or scripts/run.sh)"
      return 1
    }
  done
}

# site_asset EXT: the built site's main .js or .wasm, by the content-hashed name
# hash.txt (beside the server binary) gives it; empty when there is none.
site_asset() {
  local ext="$1" hash
  hash="$(sed -n "s/^$ext: *//p" "$(dirname "$SERVER_BIN")/hash.txt" 2>/dev/null | head -n1)"
  [[ -n "$hash" ]] || return 0
  printf '%s\n' "$SITE_ROOT/$SITE_PKG_DIR/$OUTPUT_NAME.$hash.$ext"
}

# Set by start_server; read by stop_server.
SERVER_PID=""
SERVER_LOG=""

# start_server PORT DB_URL LOG_FILE [NAME=VALUE...]: starts the release binary in
# the background on 127.0.0.1:PORT with config/dev.toml and the given database.
# Inherited GANTRY_* variables are dropped; extra NAME=VALUE arguments (e.g.
# GANTRY_AUTH__OIDC__ISSUER_URL=...) are passed to the server's environment.
start_server() {
  local port="$1" db_url="$2" logfile="$3" bind
  shift 3
  local -a extra_env=("$@")
  bind="127.0.0.1:$port"
  check_site_built || return 1
  if port_in_use "$port"; then
    log "port $port is already in use"
    return 1
  fi
  SERVER_LOG="$logfile"
  log "starting gantry on http://$bind (log: $logfile)"
  local -a envs unset_args
  mapfile -t envs < <(leptos_site_env "$bind")
  mapfile -t unset_args < <(inherited_gantry_env_unset_args)
  (cd "$REPO_ROOT" && exec env "${unset_args[@]}" "${envs[@]}" \
    GANTRY_SERVER__BIND="$bind" \
    GANTRY_SERVER__PUBLIC_URL="http://$bind" \
    GANTRY_SERVER__SITE_ROOT="$SITE_ROOT" \
    GANTRY_DATABASE__URL="$db_url" \
    "${extra_env[@]}" \
    "$SERVER_BIN" --config config/dev.toml serve) </dev/null >"$logfile" 2>&1 &
  SERVER_PID=$!
}

# stop_process PID NAME: SIGTERM, up to 5 s to exit, then SIGKILL; reaps it.
stop_process() {
  local pid="$1" name="$2" i
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

stop_server() {
  [[ -n "$SERVER_PID" ]] || return 0
  stop_process "$SERVER_PID" gantry
  SERVER_PID=""
}

show_server_log() {
  [[ -n "$SERVER_LOG" && -f "$SERVER_LOG" ]] || return 0
  log "---- last 200 lines of the server log ($SERVER_LOG) ----"
  tail -n 200 "$SERVER_LOG" >&2
  log "---- end of server log ----"
}

# --- OpenID Connect provider for tests (oidc-provider-mock) ---------------------

# Set by start_oidc_provider; read by stop_oidc_provider.
OIDC_PID=""
OIDC_LOG=""

# start_oidc_provider [PREFERRED_PORT]: starts .venv's oidc-provider-mock on
# 127.0.0.1 (PREFERRED_PORT, else the next free port above it) with no preset
# users: tests add theirs with `PUT /users/<sub>`. Waits for its discovery
# document, then exports OIDC_TEST_ISSUER=http://127.0.0.1:PORT (deliberately
# not a GANTRY_* name: the server rejects unknown GANTRY_* variables).
start_oidc_provider() {
  local want_port="${1:-9400}" port bin="$REPO_ROOT/.venv/bin/oidc-provider-mock"
  [[ -x "$bin" ]] || {
    log "$bin is missing (run scripts/setup.sh to create .venv)"
    return 1
  }
  port="$(free_port "$want_port")" || return 1
  OIDC_LOG="$(mktemp "${TMPDIR:-/tmp}/gantry-oidc.XXXXXX")" || return 1
  log "starting oidc-provider-mock on http://127.0.0.1:$port (log: $OIDC_LOG)"
  # NO_COLOR: plain log lines in the file.
  NO_COLOR=1 "$bin" -H 127.0.0.1 -p "$port" </dev/null >"$OIDC_LOG" 2>&1 &
  OIDC_PID=$!
  if ! wait_for_http "http://127.0.0.1:$port/.well-known/openid-configuration" 30 "$OIDC_PID"; then
    show_oidc_provider_log
    stop_oidc_provider
    return 1
  fi
  export OIDC_TEST_ISSUER="http://127.0.0.1:$port"
  log "OIDC_TEST_ISSUER=$OIDC_TEST_ISSUER"
}

show_oidc_provider_log() {
  [[ -n "$OIDC_LOG" && -f "$OIDC_LOG" ]] || return 0
  log "---- last 100 lines of the OIDC provider log ($OIDC_LOG) ----"
  tail -n 100 "$OIDC_LOG" >&2
  log "---- end of OIDC provider log ----"
}

stop_oidc_provider() {
  if [[ -n "$OIDC_PID" ]]; then
    stop_process "$OIDC_PID" oidc-provider-mock
    OIDC_PID=""
  fi
  [[ -n "$OIDC_LOG" ]] && rm -f "$OIDC_LOG"
  OIDC_LOG=""
  unset OIDC_TEST_ISSUER
}

# --- AWS stand-in for tests (moto) ---------------------------------------------

# Set by start_moto; read by stop_moto.
MOTO_PID=""
MOTO_LOG=""

# start_moto [PREFERRED_PORT]: starts .venv's moto_server on 127.0.0.1
# (PREFERRED_PORT, else the next free port above it), waits until it answers,
# seeds the demo account with scripts/demo_aws.py --reset, then exports
# MOTO_TEST_ENDPOINT=http://127.0.0.1:PORT (not a GANTRY_* name: the server
# rejects unknown GANTRY_* variables).
#
# Started without MOTO_ECS_SERVICE_RUNNING: moto reads that one count for every
# service, so dev (desired 1) and prod (desired 3) cannot both be "complete";
# without it every ECS rollout stays IN_PROGRESS with 0 running, which the
# health tests expect (Progressing).
start_moto() {
  local want_port="${1:-5100}" port bin="$REPO_ROOT/.venv/bin/moto_server" url
  [[ -x "$bin" ]] || {
    log "$bin is missing (run scripts/setup.sh to create .venv)"
    return 1
  }
  port="$(free_port "$want_port")" || return 1
  url="http://127.0.0.1:$port"
  MOTO_LOG="$(mktemp "${TMPDIR:-/tmp}/gantry-moto.XXXXXX")" || return 1
  log "starting moto on $url (log: $MOTO_LOG)"
  # MOTO_RUNNING_TASKS (optional, set by scripts/run.sh for the demo): the
  # running-task count moto reports for every ECS service.
  local running=()
  [[ -n "${MOTO_RUNNING_TASKS:-}" ]] && running=("MOTO_ECS_SERVICE_RUNNING=$MOTO_RUNNING_TASKS")
  env -u MOTO_ECS_SERVICE_RUNNING -u MOTO_ECS_SERVICE_FAILED_TASKS -u MOTO_ACCOUNT_ID \
    "${running[@]}" "$bin" -H 127.0.0.1 -p "$port" </dev/null >"$MOTO_LOG" 2>&1 &
  MOTO_PID=$!
  if ! wait_for_http "$url/moto-api/" 30 "$MOTO_PID"; then
    show_moto_log
    stop_moto
    return 1
  fi
  # The last day of the demo's Cost Explorer data, fixed once: the server must
  # ask for exactly this window (moto matches request bodies; see demo_aws.py),
  # so it is exported for the server's [cost] end_date too.
  export DEMO_COST_END_DATE="${DEMO_COST_END_DATE:-$(date -u -d yesterday +%F)}"
  if ! "$REPO_ROOT/.venv/bin/python" "$REPO_ROOT/scripts/demo_aws.py" --endpoint "$url" --reset \
    --end-date "$DEMO_COST_END_DATE" >"$MOTO_LOG.seed" 2>&1; then
    log "seeding moto with scripts/demo_aws.py failed:"
    cat "$MOTO_LOG.seed" >&2
    show_moto_log
    stop_moto
    return 1
  fi
  export MOTO_TEST_ENDPOINT="$url"
  log "MOTO_TEST_ENDPOINT=$MOTO_TEST_ENDPOINT (demo account seeded)"
}

show_moto_log() {
  [[ -n "$MOTO_LOG" && -f "$MOTO_LOG" ]] || return 0
  log "---- last 100 lines of the moto log ($MOTO_LOG) ----"
  tail -n 100 "$MOTO_LOG" >&2
  log "---- end of moto log ----"
}

stop_moto() {
  if [[ -n "$MOTO_PID" ]]; then
    stop_process "$MOTO_PID" moto_server
    MOTO_PID=""
  fi
  [[ -n "$MOTO_LOG" ]] && rm -f "$MOTO_LOG" "$MOTO_LOG.seed"
  MOTO_LOG=""
  unset MOTO_TEST_ENDPOINT
}
