#!/usr/bin/env bash
# test-deps.sh — install and start what the tests need; `make test` runs it first.
#
#   Debian packages  redis-server (the demo Redis app's end-to-end test), chromium (browser
#                    tests through chromedp; as root Chromium needs --no-sandbox), and openssl
#                    and curl for k8s-up.sh. Missing ones are apt-installed when this runs as
#                    root or with passwordless sudo (one `apt-get update` first); otherwise it
#                    names them and the command to install them, and goes on (the tests that
#                    need them skip locally and fail in CI, saying why).
#   Kubernetes       the test control plane of k8s-up.sh (`up`: built once, ~7-15 min, cached
#                    in ~/.cache/pitrix-k8s; a healthy running one is reused). It uses
#                    ../shared/scripts/k8s-up.sh when present, else the vendored scripts/k8s-up.sh.
#                    If another k8s-up.sh is building or starting it, it waits for that one.
#
# Usage:  scripts/test-deps.sh [up|down]       (default: up)
#   up    the above; then writes .pitrix/test-env (`export PITRIX_KUBECONFIG=...`), which the
#         Makefile's test targets source, and prints the export line on stdout, so
#         `eval "$(scripts/test-deps.sh)"` sets it in your shell. Quick when all is there.
#   down  stop the test Kubernetes (k8s-up.sh down).
#
# Env:
#   PITRIX_TEST_DEPS=skip   do nothing (and remove .pitrix/test-env): you manage the deps and
#                           PITRIX_KUBECONFIG yourself.
#   PITRIX_KUBECONFIG       an existing file: use that Kubernetes instead of starting one.
#   PITRIX_K8S_WAIT=2400    seconds to wait for another k8s-up.sh that is building/starting.
#   k8s-up.sh's knobs (PITRIX_K8S_CACHE, PITRIX_K8S_RUN, PITRIX_K8S_PORT, ...) pass through.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ENV_FILE="$ROOT/.pitrix/test-env"
PACKAGES=(redis-server chromium openssl curl) # Debian package = command it provides
RUN="${PITRIX_K8S_RUN:-/tmp/pitrix-k8s}"
export PATH="/usr/local/go/bin:$PATH"

log() { printf 'test-deps: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# k8s_script prints the k8s-up.sh to use: ../shared's beside the checkout (or beside the main
# checkout, for a git worktree), else the vendored copy.
k8s_script() {
  local vendored="$ROOT/scripts/k8s-up.sh" c common
  local candidates=("$ROOT/../shared/scripts/k8s-up.sh")
  if common="$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)"; then
    candidates+=("$(dirname "$common")/../shared/scripts/k8s-up.sh")
  fi
  for c in "${candidates[@]}"; do
    if [[ -f "$c" ]]; then
      # the vendored copy is the shared one plus a 2-line note after the shebang
      if ! sed 2,3d "$vendored" | cmp -s - "$c"; then
        log "note: scripts/k8s-up.sh differs from $c (using the latter); refresh the vendored copy"
      fi
      echo "$c"
      return
    fi
  done
  echo "$vendored"
}

install_packages() {
  local p missing=() sudo=()
  for p in "${PACKAGES[@]}"; do command -v "$p" >/dev/null 2>&1 || missing+=("$p"); done
  ((${#missing[@]})) || { log "packages: ${PACKAGES[*]} installed"; return 0; }
  if [[ "$(id -u)" != 0 ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo=(sudo -n)
    else
      log "MISSING: ${missing[*]} (not root, no passwordless sudo). Install them with:"
      log "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
      log "going on without them: the tests that need them skip (fail in CI)"
      return 0
    fi
  fi
  log "installing ${missing[*]} (apt-get)"
  # Another apt may hold the lock: apt waits up to DPkg::Lock::Timeout; retry a few times too.
  local apt=("${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -qq -o DPkg::Lock::Timeout=300)
  local try updated=0
  for try in 1 2 3 4 5; do
    if ((updated)) || "${apt[@]}" update; then updated=1; fi
    if ((updated)) && "${apt[@]}" install -y "${missing[@]}" >/dev/null; then
      # apt starts a redis-server service on 127.0.0.1:6379; the tests use their own addresses.
      log "installed ${missing[*]}"
      return 0
    fi
    ((try < 5)) || break
    log "apt-get failed (attempt $try/5; another apt may hold its lock); retrying in 20s"
    sleep 20
  done
  log "MISSING: could not install ${missing[*]}; install them with:"
  log "    sudo apt-get update && sudo apt-get install -y ${missing[*]}"
  log "going on without them: the tests that need them skip (fail in CI)"
}

# other_k8s_up prints the PIDs of k8s-up.sh processes that are building or starting the cluster
# (`bash .../k8s-up.sh` with `up`, `build` or no argument), whichever copy of the script they run.
other_k8s_up() {
  pgrep -f '^([^ ]*/)?(ba)?sh( +-[^ ]+)* +[^ ]*k8s-up\.sh( +(up|build))? *$' 2>/dev/null | grep -vx "$$" || true
}

start_k8s() {
  local k8s out kubeconfig
  if [[ -n "${PITRIX_KUBECONFIG:-}" && "$PITRIX_KUBECONFIG" != "$RUN/kubeconfig" ]]; then
    if [[ -f "$PITRIX_KUBECONFIG" ]]; then
      log "Kubernetes: using PITRIX_KUBECONFIG=$PITRIX_KUBECONFIG (not starting one)"
      KUBECONFIG_PATH="$PITRIX_KUBECONFIG"
      return 0
    fi
    log "PITRIX_KUBECONFIG=$PITRIX_KUBECONFIG does not exist; starting the test Kubernetes instead"
  fi
  k8s="$(k8s_script)"
  # One starter at a time: a second `k8s-up.sh up` while one builds would build again, and
  # while one starts it would take its half-made run dir for stale and tear it down.
  mkdir -p "$(dirname "$RUN")"
  exec 9>"$RUN.lock"
  if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
    log "waiting for another test-deps.sh starting the test Kubernetes"
    flock 9
  fi
  local waited=0 limit="${PITRIX_K8S_WAIT:-2400}" pids
  while pids="$(other_k8s_up)" && [[ -n "$pids" ]]; do
    ((waited < limit)) || die "another k8s-up.sh (PIDs ${pids//$'\n'/ }) is still building/starting after ${limit}s; wait for it or stop it"
    ((waited % 60)) || log "waiting for another k8s-up.sh building/starting the test Kubernetes (PIDs ${pids//$'\n'/ }; ${waited}s so far)"
    sleep 5 9>&-
    waited=$((waited + 5))
  done
  log "Kubernetes: $k8s up (first build ~7-15 min, cached in ${PITRIX_K8S_CACHE:-$HOME/.cache/pitrix-k8s})"
  # 9>&-: the daemons k8s-up.sh starts must not inherit the lock (they would hold it for good)
  out="$(bash "$k8s" up 9>&-)" || die "$k8s up failed (see above); or run with PITRIX_TEST_DEPS=skip and set PITRIX_KUBECONFIG"
  exec 9>&-
  kubeconfig="$(sed -n 's/^export KUBECONFIG=//p' <<<"$out" | tail -n 1)"
  [[ -n "$kubeconfig" && -f "$kubeconfig" ]] || die "$k8s up printed no kubeconfig: $out"
  KUBECONFIG_PATH="$kubeconfig"
}

up() {
  if [[ "${PITRIX_TEST_DEPS:-}" == skip ]]; then
    rm -f "$ENV_FILE"
    log "PITRIX_TEST_DEPS=skip: installing and starting nothing; the tests run with your environment"
    return 0
  fi
  rm -f "$ENV_FILE"
  install_packages
  KUBECONFIG_PATH=""
  start_k8s
  mkdir -p "$(dirname "$ENV_FILE")"
  {
    echo "# written by scripts/test-deps.sh; sourced by make test-race/test-multi (POSIX sh)."
    echo "# Your own PITRIX_KUBECONFIG wins; a stopped cluster's (file gone) is not exported."
    echo "if [ -z \"\${PITRIX_KUBECONFIG:-}\" ] && [ -f '$KUBECONFIG_PATH' ]; then"
    echo "  export PITRIX_KUBECONFIG='$KUBECONFIG_PATH'"
    echo "fi"
  } >"$ENV_FILE"
  log "Kubernetes ready; PITRIX_KUBECONFIG=$KUBECONFIG_PATH (in ${ENV_FILE#"$ROOT"/})"
  echo "export PITRIX_KUBECONFIG=$KUBECONFIG_PATH"
}

down() {
  bash "$(k8s_script)" down
  rm -f "$ENV_FILE"
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 [up|down]" >&2; exit 2 ;;
esac
