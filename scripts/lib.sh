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
# The Python venvs (ensure_venv), persistent for the same reason.
VENV_CACHE="${VENV_CACHE:-$HOME/.cache/gantry/venvs}"
export PATH="$HOME/.cargo/bin:$PATH"

# The built portal: the site (pkg/ with the WebAssembly, JS and CSS, then
# public/) and a copy of the server binary beside the hash.txt naming the
# site's assets, both inside the clone (build_site; config/dev.toml's
# site_root). The binary's copy is its own, outside the site root, so the site
# never serves it and a test build's binary never reads this hash.txt.
SITE_ROOT="$REPO_ROOT/target/site"
SITE_PKG_DIR="pkg"
SITE_BIN_DIR="$REPO_ROOT/target/bin"
OUTPUT_NAME="gantry"
SERVER_BIN="$SITE_BIN_DIR/gantry"

MOTO_VERSION="5.2.5"
OIDC_MOCK_VERSION="0.3.4"
NEXTEST_VERSION="0.9.143"

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

# --- Benchmarks of a fresh machine ------------------------------------------

# use_empty_caches DIR: points every cache of the builds and installs at empty
# folders under DIR, as on a machine that has never built Gantry: CARGO_HOME
# (registry index, downloaded crates), CARGO_TARGET_DIR, the npm and pip
# caches, the venvs. The toolchain stays (rustup's proxies in ~/.cargo/bin
# find it in RUSTUP_HOME whatever CARGO_HOME says), as do Debian's packages.
use_empty_caches() {
  local dir="$1"
  export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
  export CARGO_HOME="$dir/cargo-home"
  export CARGO_TARGET_DIR="$dir/target"
  export npm_config_cache="$dir/npm-cache"
  export PIP_CACHE_DIR="$dir/pip-cache"
  export VENV_CACHE="$dir/venvs"
  mkdir -p "$CARGO_HOME"
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

# port_arg VALUE: prints VALUE as a TCP port number (1–65535), or dies naming
# the option (for the scripts' `--port N`; `port="$(port_arg "$2")"`).
port_arg() {
  if [[ "$1" =~ ^[0-9]{1,5}$ ]] && ((10#$1 >= 1 && 10#$1 <= 65535)); then
    printf '%s\n' "$((10#$1))"
  else
    die "--port needs a port number from 1 to 65535, not '$1'"
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

# cargo-nextest runs the tests (a process per test, in parallel). The machine
# image ships it in /usr/local/bin; installed from crates.io only when missing.
ensure_cargo_nextest() {
  if cargo nextest --version >/dev/null 2>&1; then
    return 0
  fi
  # A tool, not the product: its debug build compiles in a fraction of the
  # release build's time and runs the tests as fast (it starts processes).
  log "installing cargo-nextest $NEXTEST_VERSION from crates.io (debug build; not found)"
  cargo install cargo-nextest --locked --debug --version "$NEXTEST_VERSION" || return 1
  cargo nextest --version >/dev/null 2>&1
}

# Root node_modules (Tailwind CLI, binaryen's wasm-opt, esbuild, Playwright).
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
  # site-build takes wasm-opt from node_modules/.bin; Debian's would be wrong.
  local tool
  for tool in wasm-opt tailwindcss esbuild; do
    [[ -x "$root/node_modules/.bin/$tool" ]] || {
      log "node_modules/.bin/$tool is missing after npm install"
      return 1
    }
  done
}

# Python venv with the AWS and OIDC stand-ins used by later tests. `.venv` in
# the clone is a link to a venv in the persistent cache, one per Python and
# pinned versions ($VENV_CACHE/venv-py3.N-moto…-oidc…), so a new clone (CI's,
# a second checkout) links in a second instead of installing for a minute.
# Made under a lock at its final path (a venv cannot be moved); a venv left
# half-made by a killed install lacks its `complete` mark and is made again.
# A real `.venv` folder of an older checkout is replaced by the link.
ensure_venv() {
  local link="$REPO_ROOT/.venv" pyver venv
  pyver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')" || return 1
  venv="$VENV_CACHE/venv-py$pyver-moto$MOTO_VERSION-oidc$OIDC_MOCK_VERSION"
  mkdir -p "$VENV_CACHE" || return 1
  if [[ ! -f "$venv/complete" ]]; then
    (
      flock 9 || exit 1
      [[ -f "$venv/complete" ]] && exit 0
      rm -rf "$venv"
      log "creating the Python venv $venv"
      python3 -m venv "$venv" || exit 1
      log "installing moto[server]==$MOTO_VERSION and oidc-provider-mock==$OIDC_MOCK_VERSION"
      "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
        "moto[server]==$MOTO_VERSION" "oidc-provider-mock==$OIDC_MOCK_VERSION" || exit 1
      "$venv/bin/python" - <<'PY' || exit 1
from importlib.metadata import version
version("flask")  # part of moto[server]; raises when the extra is missing
PY
      touch "$venv/complete"
    ) 9>"$VENV_CACHE/venv.lock" || return 1
  fi
  if [[ "$(readlink "$link" 2>/dev/null)" != "$venv" ]]; then
    rm -rf "$link"
    ln -s "$venv" "$link" || return 1
  fi
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

# --- Background jobs ------------------------------------------------------------

# Jobs started by start_job, waited for (and timed) by wait_jobs.
JOB_PIDS=()
JOB_NAMES=()
JOB_DIR=""

# start_job NAME CMD [ARGS...]: runs CMD in the background (its output goes
# to this script's stderr as it comes). Like `step`, CMD runs in an `if`.
start_job() {
  local name="$1"
  shift
  if [[ -z "$JOB_DIR" ]]; then
    JOB_DIR="$(mktemp -d "${TMPDIR:-/tmp}/gantry-jobs.XXXXXX")" || return 1
  fi
  local n="${#JOB_PIDS[@]}" dir="$JOB_DIR"
  log "==> $name (in parallel)"
  (
    start="$(now_s)"
    if "$@"; then rc=0; else rc=$?; fi
    printf '%s %s\n' "$rc" "$(elapsed_since "$start")" >"$dir/$n"
    exit "$rc"
  ) &
  JOB_PIDS+=("$!")
  JOB_NAMES+=("$name")
}

# wait_jobs: waits for every started job, adds a timing line per job to the
# step summary, and fails when any job failed.
wait_jobs() {
  local i rc=0 status secs
  for i in "${!JOB_PIDS[@]}"; do
    wait "${JOB_PIDS[$i]}" 2>/dev/null || true
    status=1 secs="?"
    [[ -f "$JOB_DIR/$i" ]] && read -r status secs <"$JOB_DIR/$i"
    if ((status == 0)); then
      STEP_LINES+=("$(printf '%-44s %8ss  ok (parallel)' "${JOB_NAMES[$i]}" "$secs")")
      log "<== ${JOB_NAMES[$i]}: ok in ${secs}s"
    else
      STEP_LINES+=("$(printf '%-44s %8ss  FAILED (exit %d)' "${JOB_NAMES[$i]}" "$secs" "$status")")
      log "<== ${JOB_NAMES[$i]}: FAILED (exit $status) after ${secs}s"
      rc=1
    fi
  done
  [[ -n "$JOB_DIR" ]] && rm -rf "$JOB_DIR"
  JOB_PIDS=()
  JOB_NAMES=()
  JOB_DIR=""
  return "$rc"
}

# --- The site -------------------------------------------------------------------

# The WebAssembly's cargo build: the frontend for wasm32, linked with its
# relocations (the splitter needs them; .cargo/config.toml passes them).
# PROFILE is wasm-dev or wasm-release; wasm-release is built with fully typed
# views (no `erase_components`, see .cargo/config.toml).
build_wasm() {
  local profile="$1"
  shift
  ensure_wasm_target || return 1
  if [[ "$profile" == wasm-release ]]; then
    # Linked with relocations (site-build's splitter reads them), and the
    # source paths that panics carry shortened to `crate-version/src/…`:
    # the builder's home and clone directory never reach the browser, the
    # module is the same from any clone, and smaller.
    local -a flags=(-Clink-args=--emit-relocs "--remap-path-prefix=$REPO_ROOT/=")
    local index
    for index in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/; do
      [[ -d "$index" ]] && flags+=("--remap-path-prefix=$index=")
    done
    CARGO_ENCODED_RUSTFLAGS="$(IFS=$'\x1f'; printf '%s' "${flags[*]}")" \
      cargo build -p frontend --lib --target wasm32-unknown-unknown --profile "$profile" "$@"
  else
    cargo build -p frontend --lib --target wasm32-unknown-unknown --profile "$profile" "$@"
  fi
}

# build_css OUT: the Tailwind stylesheet (scans app/src for class names).
build_css() {
  ensure_node_modules || return 1
  "$REPO_ROOT/node_modules/.bin/tailwindcss" -i "$REPO_ROOT/style/tailwind.css" -o "$1" --minify
}

# build_site [--release] [--timings]: the portal, from the sources to
# $SITE_ROOT and $SERVER_BIN. Three builds at once: the server (with
# site-build, the workspace's own assembler), the WebAssembly, the Tailwind
# stylesheet; then site-build splits the WebAssembly at the lazy routes
# (app/src/routes.rs: split_*.wasm and chunk_*.wasm, loaded by
# __wasm_split.*.js), runs wasm-bindgen, names every asset by its content and
# writes hash.txt beside a copy of the server binary.
#
# Without --release (scripts/run.sh, the end-to-end tests): the server in the
# dev profile (the test build's dependencies, already compiled when the tests
# ran) and the WebAssembly in `wasm-dev`: minutes less to compile, the same
# pages. With --release (what a deployed Gantry serves, the benchmarks): the
# release server, the WebAssembly in `wasm-release` (size-optimised, LTO),
# wasm-opt -Oz on every module, the JS minified, then brotli and gzip copies of
# every asset (scripts/compress-site.mjs), which the server sends as they are.
# --timings: cargo's build timings (HTML under $CARGO_TARGET_DIR/cargo-timings).
build_site() {
  local release=0 arg
  local -a extra=()
  for arg in "$@"; do
    case "$arg" in
      --release) release=1 ;;
      --timings) extra+=(--timings) ;;
      *)
        log "build_site: unknown argument $arg"
        return 1
        ;;
    esac
  done
  local host_dir=debug wasm_profile=wasm-dev
  local -a host_args=() assemble_args=()
  if ((release)); then
    host_dir=release wasm_profile=wasm-release
    host_args=(--release)
    assemble_args=(--optimize)
  fi
  local css_dir
  css_dir="$(mktemp -d "${TMPDIR:-/tmp}/gantry-css.XXXXXX")" || return 1
  # The release server: fully typed views (an empty CARGO_ENCODED_RUSTFLAGS
  # replaces .cargo/config.toml's `erase_components`).
  local -a host_env=()
  ((release)) && host_env=(env CARGO_ENCODED_RUSTFLAGS=)
  start_job "cargo build: server, site-build ($host_dir)" \
    "${host_env[@]}" cargo build "${host_args[@]}" "${extra[@]}" -p server --bin gantry -p site-build --bin site-build
  start_job "cargo build: WebAssembly ($wasm_profile)" build_wasm "$wasm_profile" "${extra[@]}"
  start_job "stylesheet (Tailwind)" build_css "$css_dir/gantry.css"
  if ! wait_jobs; then
    rm -rf "$css_dir"
    return 1
  fi
  local rc=0
  step "assemble the site (split, wasm-bindgen, names)" \
    "$CARGO_TARGET_DIR/$host_dir/site-build" \
    --wasm "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$wasm_profile/frontend.wasm" \
    --css "$css_dir/gantry.css" \
    --public "$REPO_ROOT/public" \
    --server-bin "$CARGO_TARGET_DIR/$host_dir/gantry" \
    --site-root "$SITE_ROOT" \
    --bin-dir "$SITE_BIN_DIR" \
    --wasm-opt "$REPO_ROOT/node_modules/.bin/wasm-opt" \
    --esbuild "$REPO_ROOT/node_modules/.bin/esbuild" \
    "${assemble_args[@]}" || rc=1
  rm -rf "$css_dir"
  ((rc == 0)) || return 1
  if ((release)); then
    step "precompress the assets (brotli, gzip)" \
      node "$REPO_ROOT/scripts/compress-site.mjs" "$SITE_ROOT/$SITE_PKG_DIR" >/dev/null || return 1
  fi
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
      log "missing build output: ${f:-the main js or wasm of the site} (build_site in scripts/lib.sh, or scripts/run.sh)"
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
# spawn_moto [PREFERRED_PORT]: what start_moto does, for a moto the caller
# owns: sets SPAWNED_MOTO=(PID LOG URL) and touches no other global, so a
# script can run several (scripts/test.sh: one per end-to-end stack). On
# failure the moto is stopped and its log shown.
SPAWNED_MOTO=()
spawn_moto() {
  local want_port="${1:-5100}" port bin="$REPO_ROOT/.venv/bin/moto_server" url log pid
  SPAWNED_MOTO=()
  [[ -x "$bin" ]] || {
    log "$bin is missing (run scripts/setup.sh to create .venv)"
    return 1
  }
  port="$(free_port "$want_port")" || return 1
  url="http://127.0.0.1:$port"
  log="$(mktemp "${TMPDIR:-/tmp}/gantry-moto.XXXXXX")" || return 1
  log "starting moto on $url (log: $log)"
  # MOTO_RUNNING_TASKS (optional, set by scripts/run.sh for the demo): the
  # running-task count moto reports for every ECS service.
  local running=()
  [[ -n "${MOTO_RUNNING_TASKS:-}" ]] && running=("MOTO_ECS_SERVICE_RUNNING=$MOTO_RUNNING_TASKS")
  env -u MOTO_ECS_SERVICE_RUNNING -u MOTO_ECS_SERVICE_FAILED_TASKS -u MOTO_ACCOUNT_ID \
    "${running[@]}" "$bin" -H 127.0.0.1 -p "$port" </dev/null >"$log" 2>&1 &
  pid=$!
  # Known while it starts (URL still empty): stop_moto stops a moto whose
  # script is interrupted here.
  SPAWNED_MOTO=("$pid" "$log" "")
  # The last day of the demo's Cost Explorer data, fixed once: the server must
  # ask for exactly this window (moto matches request bodies; see demo_aws.py),
  # so it is exported for the server's [cost] end_date too.
  export DEMO_COST_END_DATE="${DEMO_COST_END_DATE:-$(date -u -d yesterday +%F)}"
  if ! wait_for_http "$url/moto-api/" 30 "$pid"; then
    MOTO_LOG="$log" show_moto_log
  elif ! "$REPO_ROOT/.venv/bin/python" "$REPO_ROOT/scripts/demo_aws.py" --endpoint "$url" --reset \
    --end-date "$DEMO_COST_END_DATE" >"$log.seed" 2>&1; then
    log "seeding moto with scripts/demo_aws.py failed:"
    cat "$log.seed" >&2
    MOTO_LOG="$log" show_moto_log
  else
    SPAWNED_MOTO=("$pid" "$log" "$url")
    return 0
  fi
  stop_process "$pid" moto_server
  rm -f "$log" "$log.seed"
  SPAWNED_MOTO=()
  return 1
}

start_moto() {
  spawn_moto "$@" || return 1
  MOTO_PID="${SPAWNED_MOTO[0]}" MOTO_LOG="${SPAWNED_MOTO[1]}"
  export MOTO_TEST_ENDPOINT="${SPAWNED_MOTO[2]}"
  log "MOTO_TEST_ENDPOINT=$MOTO_TEST_ENDPOINT (demo account seeded)"
}

show_moto_log() {
  [[ -n "$MOTO_LOG" && -f "$MOTO_LOG" ]] || return 0
  log "---- last 100 lines of the moto log ($MOTO_LOG) ----"
  tail -n 100 "$MOTO_LOG" >&2
  log "---- end of moto log ----"
}

stop_moto() {
  if ((${#SPAWNED_MOTO[@]})) && [[ -z "${SPAWNED_MOTO[2]}" ]]; then
    stop_process "${SPAWNED_MOTO[0]}" moto_server
    rm -f "${SPAWNED_MOTO[1]}" "${SPAWNED_MOTO[1]}.seed"
    SPAWNED_MOTO=()
  fi
  if [[ -n "$MOTO_PID" ]]; then
    stop_process "$MOTO_PID" moto_server
    MOTO_PID=""
  fi
  [[ -n "$MOTO_LOG" ]] && rm -f "$MOTO_LOG" "$MOTO_LOG.seed"
  MOTO_LOG=""
  unset MOTO_TEST_ENDPOINT
}
