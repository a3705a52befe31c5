#!/usr/bin/env bash
# Vendored copy of ../shared/scripts/k8s-up.sh (the project's own script), kept in sync with it:
# below this note the file is verbatim. scripts/test-deps.sh prefers ../shared's when present.
# k8s-up.sh — a real, single-host Kubernetes control plane on loopback, for tests.
#
#   etcd (go.etcd.io/etcd/server/v3, built from the Go module proxy)
#   kube-apiserver, kube-controller-manager, kube-scheduler (k8s.io/kubernetes, built
#     from the Go module proxy: a wrapper module replaces the k8s.io/* staging modules
#     with their published v0.X.Y versions, which is what `go install ...@vX` refuses to do)
#   kwok (sigs.k8s.io/kwok): fake kubelet — makes Nodes Ready and Pods Running
#
# Downloads only from the Go module proxy (and apt for openssl/curl if missing).
#
# Usage:  k8s-up.sh [up|down|status|env|build]      (default: up)
#   up     build if needed (cached), start everything, wait until a smoke pod is Running,
#          print `export KUBECONFIG=...`. Idempotent: a healthy running cluster is reused.
#   down   stop the processes (by recorded PID) and delete the run dir.
#   status print which processes are alive.
#   env    print the export line for KUBECONFIG.
#   build  only build/install the binaries.
#
# Env knobs (defaults):
#   K8S_VERSION=1.37.1        k8s.io/kubernetes version (staging modules at v0.<minor>.<patch>)
#   KWOK_VERSION=0.8.0
#   PITRIX_K8S_CACHE=~/.cache/pitrix-k8s    binaries + build module (survives runs)
#   PITRIX_K8S_RUN=/tmp/pitrix-k8s           pki, etcd data, logs, pids, kubeconfig
#   PITRIX_K8S_PORT=6443      apiserver port on 127.0.0.1
#   PITRIX_K8S_ETCD_PORT=2379 etcd client port (peer = +1, metrics = +2)
#   PITRIX_K8S_NODES=1        number of fake kwok nodes
#   PITRIX_K8S_PVS=0          pre-made 100Gi PersistentVolumes of a default StorageClass "standard"
#                             (0: no StorageClass, so claims stay Pending)
#   GOCACHE / GOMODCACHE      honoured as usual
#
# Pod and Service IPs in this cluster are fictitious (kwok hands out 10.0.0.x, services
# 10.96.x.x). Nothing listens there; never dial them from tests.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.1}"
KWOK_VERSION="${KWOK_VERSION:-0.8.0}"
CACHE="${PITRIX_K8S_CACHE:-$HOME/.cache/pitrix-k8s}"
RUN="${PITRIX_K8S_RUN:-/tmp/pitrix-k8s}"
PORT="${PITRIX_K8S_PORT:-6443}"
ETCD_PORT="${PITRIX_K8S_ETCD_PORT:-2379}"
NODES="${PITRIX_K8S_NODES:-1}"
BIN="$CACHE/k8s-v$K8S_VERSION-kwok-v$KWOK_VERSION/bin"
SRC="$CACHE/k8s-v$K8S_VERSION-kwok-v$KWOK_VERSION/src"
KUBECONFIG_OUT="$RUN/kubeconfig"
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

export PATH="/usr/local/go/bin:$PATH"
log() { printf '[k8s-up %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
UP_IN_PROGRESS=0
die() {
  log "ERROR: $*"
  if ((UP_IN_PROGRESS)); then log "stopping what was started; logs kept in $RUN/logs"; KEEP_RUN=1 down; fi
  exit 1
}

need_tools() {
  local missing=()
  command -v openssl >/dev/null || missing+=(openssl)
  command -v curl >/dev/null || missing+=(curl)
  if ((${#missing[@]})); then
    log "apt-get install ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  command -v go >/dev/null || die "go not found"
}

build() {
  local ok=1 c
  for c in "${COMPONENTS[@]}"; do [[ -x "$BIN/$c" ]] || ok=0; done
  [[ -s "$BIN/kwok-stages.yaml" ]] || ok=0
  if ((ok)); then return 0; fi
  need_tools
  # build in our own module, whatever the caller's workspace or flags say
  export GOWORK=off GOFLAGS=-buildvcs=false
  local t0=$SECONDS minor patch gomod kwokdir etcdv
  minor="$(echo "$K8S_VERSION" | cut -d. -f2)"; patch="$(echo "$K8S_VERSION" | cut -d. -f3)"
  mkdir -p "$BIN" "$SRC/cmd/etcd"
  log "building kubernetes v$K8S_VERSION control plane into $BIN (cold: ~7 min on 2 cores)"
  gomod="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$gomod" ]] || die "cannot download k8s.io/kubernetes@v$K8S_VERSION go.mod"
  {
    echo "module pitrix.local/k8sbuild"; echo; echo "go $(awk '$1=="go"{print $2; exit}' "$gomod")"; echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"; echo; echo "replace ("
    awk -v v="v0.$minor.$patch" '$2=="=>" && $3 ~ /^\.\/staging\// {print "\t" $1 " => " $1 " " v}' "$gomod"
    echo ")"
  } > "$SRC/go.mod"
  cat > "$SRC/cmd/etcd/main.go" <<'EOF'
// Command etcd wraps etcd's upstream main at the version k8s.io/kubernetes pins.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
  (
    cd "$SRC"
    go get "k8s.io/kubernetes/cmd/kube-apiserver@v$K8S_VERSION" \
           "k8s.io/kubernetes/cmd/kube-controller-manager@v$K8S_VERSION" \
           "k8s.io/kubernetes/cmd/kube-scheduler@v$K8S_VERSION" >get.log 2>&1 \
      || { tail -n 20 get.log >&2; die "go get kubernetes commands failed"; }
    etcdv="$(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)"
    go get "go.etcd.io/etcd/server/v3/etcdmain@$etcdv" >>get.log 2>&1 \
      || { tail -n 20 get.log >&2; die "go get etcdmain@$etcdv failed"; }
    local vpkg=k8s.io/component-base/version
    local ld="-s -w -X $vpkg.gitVersion=v$K8S_VERSION -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$minor -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
    go build -trimpath -ldflags "$ld" -o "$BIN/" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler
    go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" ./cmd/etcd
  )
  log "installing kwok v$KWOK_VERSION"
  GOBIN="$BIN" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  # kwok >= 0.7 ships no built-in behaviour: feed it the upstream "fast" stages.
  kwokdir="$(go mod download -json "sigs.k8s.io/kwok@v$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  local s f
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    s="$kwokdir/kustomize/stage/$f"; [[ -f "$s" ]] || die "missing kwok stage $f"
    echo "---"; cat "$s"
  done > "$BIN/kwok-stages.yaml.tmp" && mv "$BIN/kwok-stages.yaml.tmp" "$BIN/kwok-stages.yaml"
  log "build done in $((SECONDS - t0))s"
}

pid_alive() { # alive, not a zombie, and still our binary (guards against PID reuse)
  local pid
  [[ -s "$RUN/pids/$1" ]] || return 1
  pid="$(cat "$RUN/pids/$1")"
  kill -0 "$pid" 2>/dev/null || return 1
  [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] || return 1
  [[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$BIN/$1"* ]]
}

api() { # api METHOD PATH [curl args...]  -> prints body
  local m="$1" p="$2"; shift 2
  curl -sS --max-time 5 --cacert "$RUN/pki/ca.crt" -H "Authorization: Bearer $(cat "$RUN/pki/token")" \
    -X "$m" "https://127.0.0.1:$PORT$p" "$@"
}

etcd_ready() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }
apiserver_ready() { [[ "$(api GET /readyz 2>/dev/null)" == ok ]]; }
smoke_running() { api GET /api/v1/namespaces/kube-system/pods/pitrix-smoke -f 2>/dev/null | grep -Eq '"phase": ?"Running"'; }

healthy() {
  local c
  for c in "${COMPONENTS[@]}"; do pid_alive "$c" || return 1; done
  [[ -f "$RUN/pki/ca.crt" ]] && apiserver_ready
}

STARTED=()
start_bg() { # start_bg NAME CMD...
  local name="$1"; shift
  setsid "$@" >"$RUN/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/pids/$name"
  STARTED+=("$name")
}

wait_for() { # wait_for SECONDS DESC CMD...
  local limit="$1" desc="$2"; shift 2
  local end=$((SECONDS + limit))
  local c
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < end)) || die "timed out after ${limit}s waiting for $desc (logs in $RUN/logs)"
    for c in "${STARTED[@]}"; do
      pid_alive "$c" || { tail -n 5 "$RUN/logs/$c.log" >&2; die "$c exited while waiting for $desc"; }
    done
    sleep 0.2
  done
}

stop_group() { # stop_group NAME... : SIGTERM all at once, SIGKILL what is left after 5s
  local c pid i pids=()
  for c in "$@"; do
    pid_alive "$c" || continue
    pid="$(cat "$RUN/pids/$c")"; pids+=("$pid")
    kill "$pid" 2>/dev/null || true
    log "stopping $c ($pid)"
  done
  for i in $(seq 1 25); do
    local any=0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]] && any=1
    done
    ((any)) || return 0
    sleep 0.2
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

down() {
  [[ -d "$RUN/pids" ]] || { rm -rf "$RUN"; return 0; }
  # clients first (the apiserver hangs on shutdown if etcd goes away before it)
  stop_group kwok kube-scheduler kube-controller-manager kube-apiserver
  stop_group etcd
  [[ "${KEEP_RUN:-0}" == 1 ]] || rm -rf "$RUN"
}

status() {
  local c
  for c in "${COMPONENTS[@]}"; do
    if pid_alive "$c"; then echo "$c: running (pid $(cat "$RUN/pids/$c"))"; else echo "$c: stopped"; fi
  done
}

print_env() {
  echo "export KUBECONFIG=$KUBECONFIG_OUT"
}

up() {
  if healthy; then log "already running"; print_env; return 0; fi
  [[ -d "$RUN/pids" ]] && { log "stale run dir; cleaning"; down; }
  build
  need_tools
  UP_IN_PROGRESS=1
  local t0=$SECONDS
  mkdir -p "$RUN"/{pki,logs,pids,etcd}
  openssl genrsa -out "$RUN/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$RUN/pki/sa.key" -pubout -out "$RUN/pki/sa.pub" 2>/dev/null
  openssl rand -hex 24 >"$RUN/pki/token"
  echo "$(cat "$RUN/pki/token"),pitrix-admin,pitrix-admin,system:masters" >"$RUN/pki/tokens.csv"
  chmod 600 "$RUN"/pki/*

  start_bg etcd "$BIN/etcd" --name pitrix --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT + 1))" \
    --initial-cluster "pitrix=http://127.0.0.1:$((ETCD_PORT + 1))" \
    --listen-metrics-urls "http://127.0.0.1:$((ETCD_PORT + 2))" \
    --unsafe-no-fsync --quota-backend-bytes=$((2 * 1024 * 1024 * 1024))
  wait_for 30 etcd etcd_ready

  start_bg kube-apiserver "$BIN/kube-apiserver" \
    --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$PORT" \
    --cert-dir="$RUN/pki/apiserver" \
    --token-auth-file="$RUN/pki/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$RUN/pki/sa.pub" --service-account-signing-key-file="$RUN/pki/sa.key" \
    --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
    --allow-privileged=true --profiling=false
  # the apiserver self-signs into --cert-dir: leaf first, then its CA
  wait_for 60 "apiserver cert" test -s "$RUN/pki/apiserver/apiserver.crt"
  awk '/BEGIN CERT/{n++} n==2' "$RUN/pki/apiserver/apiserver.crt" >"$RUN/pki/ca.crt"
  wait_for 90 "apiserver /readyz" apiserver_ready
  log "apiserver ready after $((SECONDS - t0))s"

  cat >"$KUBECONFIG_OUT" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: pitrix
  cluster:
    server: https://127.0.0.1:$PORT
    certificate-authority: $RUN/pki/ca.crt
users:
- name: pitrix-admin
  user:
    token: $(cat "$RUN/pki/token")
contexts:
- name: pitrix
  context: {cluster: pitrix, user: pitrix-admin, namespace: default}
current-context: pitrix
EOF
  chmod 600 "$KUBECONFIG_OUT"

  start_bg kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$KUBECONFIG_OUT" \
    --secure-port=0 --leader-elect=false --controllers='*' \
    --service-account-private-key-file="$RUN/pki/sa.key" --root-ca-file="$RUN/pki/ca.crt" \
    --use-service-account-credentials=false
  start_bg kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$KUBECONFIG_OUT" \
    --secure-port=0 --leader-elect=false
  start_bg kwok "$BIN/kwok" --kubeconfig="$KUBECONFIG_OUT" --config="$BIN/kwok-stages.yaml" \
    --manage-all-nodes=true --node-lease-duration-seconds=40 --cidr=10.0.0.0/16 --node-ip=10.0.0.1

  local i
  for ((i = 0; i < NODES; i++)); do
    api POST /api/v1/nodes -H 'Content-Type: application/json' -o /dev/null --data-binary @- <<EOF
{"apiVersion":"v1","kind":"Node","metadata":{"name":"kwok-node-$i",
 "annotations":{"node.alpha.kubernetes.io/ttl":"0","kwok.x-k8s.io/node":"fake"},
 "labels":{"kubernetes.io/arch":"amd64","kubernetes.io/os":"linux","kubernetes.io/hostname":"kwok-node-$i","type":"kwok"}},
 "status":{"allocatable":{"cpu":"32","memory":"256Gi","pods":"110","ephemeral-storage":"1Ti"},"capacity":{"cpu":"32","memory":"256Gi","pods":"110","ephemeral-storage":"1Ti"}}}
EOF
  done
  # optional storage as charts expect it (PITRIX_K8S_PVS > 0): a default StorageClass and pre-made
  # volumes that claims bind to (kwok mounts nothing; kube-controller-manager does the binding).
  # Off by default: without it a claim stays Pending, which tests of not-ready workloads rely on.
  if [ "${PITRIX_K8S_PVS:-0}" -gt 0 ]; then
    api POST /apis/storage.k8s.io/v1/storageclasses -H 'Content-Type: application/json' -o /dev/null --data-binary \
      '{"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"standard","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},"provisioner":"kubernetes.io/no-provisioner","volumeBindingMode":"Immediate","reclaimPolicy":"Delete"}'
  fi
  for ((i = 0; i < ${PITRIX_K8S_PVS:-0}; i++)); do
    api POST /api/v1/persistentvolumes -H 'Content-Type: application/json' -o /dev/null --data-binary \
      "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolume\",\"metadata\":{\"name\":\"pv-$i\"},\"spec\":{\"capacity\":{\"storage\":\"100Gi\"},\"accessModes\":[\"ReadWriteOnce\",\"ReadOnlyMany\",\"ReadWriteMany\"],\"persistentVolumeReclaimPolicy\":\"Retain\",\"storageClassName\":\"standard\",\"hostPath\":{\"path\":\"$RUN/pv/$i\"}}}"
  done
  # controller-manager is up once it has created the default ServiceAccount
  wait_for 60 "controller-manager (default ServiceAccount)" api GET /api/v1/namespaces/default/serviceaccounts/default -f
  # scheduler + kwok: a smoke pod must get bound and Running
  api POST /api/v1/namespaces/kube-system/pods -H 'Content-Type: application/json' -o /dev/null --data-binary \
    '{"apiVersion":"v1","kind":"Pod","metadata":{"name":"pitrix-smoke"},"spec":{"containers":[{"name":"c","image":"pause"}]}}'
  wait_for 60 "smoke pod Running (scheduler + kwok)" smoke_running
  api DELETE '/api/v1/namespaces/kube-system/pods/pitrix-smoke?gracePeriodSeconds=0' -o /dev/null
  UP_IN_PROGRESS=0
  log "cluster ready in $((SECONDS - t0))s; stop with: $0 down   (PIDs in $RUN/pids, logs in $RUN/logs)"
  print_env
}

case "${1:-up}" in
  up) up ;;
  down) down ;;
  status) status ;;
  env) print_env ;;
  build) build ;;
  *) echo "usage: $0 [up|down|status|env|build]" >&2; exit 2 ;;
esac
