#!/usr/bin/env bash
# Runs every test: formatting, clippy (server and WASM), cargo tests against a
# throwaway PostgreSQL, the portal's build (as scripts/run.sh builds it), and
# Playwright end-to-end tests in Debian's Chromium against that server on a
# fresh SQLite database.
# A mock OpenID Connect provider (oidc-provider-mock) runs from before the cargo
# tests to the end: the SSO tests use it (OIDC_TEST_ISSUER) and the e2e server
# offers SSO through it besides the development sign-in. The AWS stand-in
# (moto, seeded with the demo account by scripts/demo_aws.py) runs for the
# cargo tests (MOTO_TEST_ENDPOINT) and for the e2e server, which polls it.
#
# Exits non-zero on the first failure; the EXIT trap stops the server, moto, the
# OIDC provider and PostgreSQL and removes temp dirs either way. Prints a timing line
# per step.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$REPO_ROOT"

# Playwright runs one worker per stack, each stack isolated from the others: its
# own server (port 3100 + i), SQLite database and moto (the first stack reuses
# the cargo tests' moto). The tests change what they find (jobs scale services,
# imports add editions), so two workers never share one. The suite is bound by
# Chromium's CPU: one stack per two cores (measured on 2 cores: 2 stacks 546 s,
# 1 stack 604 s, the renderers saturating both cores), at most 4; E2E_STACKS
# overrides.
default_e2e_stacks() {
  local n=$(($(nproc) / 2))
  ((n < 1)) && n=1
  ((n > 4)) && n=4
  printf '%s\n' "$n"
}
E2E_STACKS="${E2E_STACKS:-$(default_e2e_stacks)}"
E2E_URLS=()
E2E_SERVER_PIDS=()
E2E_SERVER_LOGS=()
E2E_MOTO_PIDS=()
E2E_MOTO_LOGS=()
TEST_TMP=""
total_start="$(now_s)"

cleanup() {
  local rc=$?
  set +e
  stop_e2e_stacks
  stop_moto
  stop_oidc_provider
  stop_postgres
  [[ -n "$TEST_TMP" ]] && rm -rf "$TEST_TMP"
  print_step_summary
  if ((rc == 0)); then
    log "all tests passed in $(elapsed_since "$total_start")s"
  else
    log "FAILED (exit $rc) after $(elapsed_since "$total_start")s"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

TEST_TMP="$(mktemp -d "${TMPDIR:-/tmp}/gantry-test.XXXXXX")"

# start_e2e_stack I: the server on 3100+I with its own SQLite database, on the
# cargo tests' moto (I = 0) or a moto of its own seeded with the demo account.
start_e2e_stack() {
  local i="$1" port moto_url
  port=$((3100 + i))
  moto_url="$MOTO_TEST_ENDPOINT"
  if ((i > 0)); then
    spawn_moto $((5100 + i)) || return 1
    E2E_MOTO_PIDS+=("${SPAWNED_MOTO[0]}")
    E2E_MOTO_LOGS+=("${SPAWNED_MOTO[1]}")
    moto_url="${SPAWNED_MOTO[2]}"
  fi
  # SSO through the mock provider (redirect URL: public URL + /auth/callback);
  # config/dev.toml keeps the development sign-in on as well.
  start_server "$port" "sqlite://$TEST_TMP/e2e-$i.db" "$TEST_TMP/server-$i.log" \
    GANTRY_AUTH__OIDC__ISSUER_URL="$OIDC_TEST_ISSUER" \
    GANTRY_AUTH__OIDC__CLIENT_ID=gantry-e2e \
    GANTRY_AUTH__OIDC__CLIENT_SECRET=e2e-secret \
    GANTRY_AWS__ENDPOINT_URL="$moto_url" \
    GANTRY_COST__END_DATE="$DEMO_COST_END_DATE" \
    GANTRY_HEALTH__POLL_INTERVAL_SECS=10 || return 1
  E2E_SERVER_PIDS+=("$SERVER_PID")
  E2E_SERVER_LOGS+=("$SERVER_LOG")
  SERVER_PID=""
  if ! wait_for_http "http://127.0.0.1:$port/healthz" 60 "${E2E_SERVER_PIDS[-1]}"; then
    show_e2e_server_logs
    return 1
  fi
  E2E_URLS+=("http://127.0.0.1:$port")
}

start_e2e_stacks() {
  local i
  for ((i = 0; i < E2E_STACKS; i++)); do
    start_e2e_stack "$i" || return 1
  done
}

stop_e2e_stacks() {
  local pid log
  for pid in "${E2E_SERVER_PIDS[@]}"; do stop_process "$pid" gantry; done
  for pid in "${E2E_MOTO_PIDS[@]}"; do stop_process "$pid" moto_server; done
  for log in "${E2E_MOTO_LOGS[@]}"; do rm -f "$log" "$log.seed"; done
  E2E_SERVER_PIDS=() E2E_MOTO_PIDS=() E2E_MOTO_LOGS=()
}

show_e2e_server_logs() {
  local log
  for log in "${E2E_SERVER_LOGS[@]}"; do
    SERVER_LOG="$log" show_server_log
  done
}

# One Playwright worker per stack: playwright.config.ts counts the URLs of
# GANTRY_E2E_URLS and gives worker N the N-th.
run_playwright() {
  GANTRY_E2E_URLS="${E2E_URLS[*]}" GANTRY_E2E_OIDC_ISSUER="$OIDC_TEST_ISSUER" \
    node_modules/.bin/playwright test --config end2end/playwright.config.ts || {
    show_e2e_server_logs
    show_oidc_provider_log
    return 1
  }
}

# Every cargo test, all in parallel, each in its own process (cargo-nextest;
# .config/nextest.toml: no retries, a test still running after 5 minutes is
# killed and named). In one process, tests that render Leptos pages in
# separate Tokio runtimes interfere: the route-list cause is fixed
# (server/src/http.rs `route_list`: router.rs hung 15 of 30 runs, now 0 of
# 30); a rarer one remains (server/tests/it/health.rs in one process: about 1 run
# in 10, never alone; see the hardening issue's note). The crates have no
# doctests.
run_cargo_test() {
  cargo nextest run --workspace --exclude frontend --profile ci || {
    show_oidc_provider_log
    show_moto_log
    return 1
  }
}

# The date-dependent tests (cost and health, core and server) again at the
# days where date arithmetic breaks: the first, middle and last day of a
# month, New Year's Day and a leap day. Their clock is pinned by TEST_TODAY
# (gantry_core::clock::testing); the main run uses the default day.
DATED_DAYS=(2026-12-01 2026-12-15 2026-12-31 2027-01-01 2028-02-29)
# Integration tests are one binary per crate whose modules are the areas' test
# files: select the modules named after cost or health (`cost_store::…`,
# `aws_health::…`), and the core's unit tests with cost or health in the path.
DATED_TESTS='(kind(test) & test(/^[a-z_]*(cost|health)[a-z_]*::/)) | (binary(gantry_core) & test(/cost|health/))'
run_dated_tests() {
  local day
  for day in "${DATED_DAYS[@]}"; do
    log "date-dependent tests at TEST_TODAY=$day"
    TEST_TODAY="$day" cargo nextest run --workspace --exclude frontend --profile ci \
      -E "$DATED_TESTS" || {
      log "date-dependent tests failed at TEST_TODAY=$day"
      return 1
    }
  done
}

# The release server must carry no test scaffolding: gantry-core's `testing`
# feature (test databases, moto helpers, the scripted health source, the
# pinned clock) is enabled only through dev-dependencies.
check_no_test_code_in_release() {
  local tree
  tree="$(cargo tree -p server --edges normal,build,features -i gantry-core 2>&1)" || {
    printf '%s\n' "$tree" >&2
    return 1
  }
  if grep -q 'feature "testing"' <<<"$tree"; then
    log "the release graph enables gantry-core's testing feature:"
    printf '%s\n' "$tree" >&2
    return 1
  fi
}

step "setup --test" scripts/setup.sh --test
step "prune the build cache" prune_target_dir
# The end-to-end site's WebAssembly compiles beside clippy and the cargo tests
# (its own build folders); build_site below finds it done.
start_job "cargo build: WebAssembly (wasm-dev, for the e2e site)" build_wasm wasm-dev
step "cargo fmt --check" cargo fmt --all --check
step "clippy (workspace, host)" cargo clippy --workspace --exclude frontend --all-targets -- -D warnings
step "clippy (frontend, wasm32)" cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings
step "start PostgreSQL" start_postgres 54329
step "start OIDC provider" start_oidc_provider 9400
step "start moto" start_moto 5100
step "no test code in the release graph" check_no_test_code_in_release
step "cargo nextest (parallel)" run_cargo_test
step "date-dependent tests at fixed days" run_dated_tests
step "stop PostgreSQL" stop_postgres
# The portal as scripts/run.sh builds it (dev server, wasm-dev WebAssembly,
# split and named by content): the server reuses the test build's dependencies.
build_site
step "start $E2E_STACKS e2e stacks (server, SQLite, moto)" start_e2e_stacks
step "playwright (no-js, hydrated; $E2E_STACKS workers)" run_playwright
