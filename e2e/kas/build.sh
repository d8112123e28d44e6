#!/usr/bin/env bash
# Builds kube-apiserver and etcd from Go modules into a cache directory, for kubegrant's e2e tests.
#
#   e2e/kas/build.sh            # -> ${KUBEGRANT_KAS_DIR:-$HOME/.cache/kubegrant/k8s-v1.34.4}/{kube-apiserver,etcd}
#
# No prebuilt binaries are downloaded: both come from the Go module proxy, built in throwaway wrapper modules
# generated under the cache directory (k8s.io/kubernetes and etcd carry replace directives, so `go install`
# refuses them; see shared/REAL-APISERVER.md §1–§2). The wrapper go.mod files live only in the cache directory
# and never enter kubegrant's own module. A binary that already exists is not rebuilt; delete it to force a build.
# If the Go build of etcd fails, Debian's etcd-server (`apt-get install etcd-server`) is used when present.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.4}"   # the version k8s 1.34.4 pins
STAGING_VERSION="v0.${K8S_VERSION#v1.}"  # v1.34.4 -> v0.34.4
MINOR="$(echo "$K8S_VERSION" | cut -d. -f2)"
DIR="${KUBEGRANT_KAS_DIR:-${HOME}/.cache/kubegrant/k8s-${K8S_VERSION}}"
GO="${GO:-go}"

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:--buildvcs=false}" GOWORK=off

log() { printf '[kas] %s\n' "$*" >&2; }
t0=$(date +%s)

build_kas() {
  local out="$DIR/kube-apiserver"
  if [ -x "$out" ]; then log "kube-apiserver present: $out"; return; fi
  local w="$DIR/src/kube-apiserver"
  rm -rf "$w" && mkdir -p "$w" && cd "$w"
  log "wrapper module for k8s.io/kubernetes@$K8S_VERSION in $w"
  # `go mod download` needs a module context; a bare go.mod is enough.
  printf 'module example.local/kas\n\ngo 1.24.0\n' > go.mod
  "$GO" mod download "k8s.io/kubernetes@$K8S_VERSION"
  local gm
  gm="$("$GO" env GOMODCACHE)/k8s.io/kubernetes@$K8S_VERSION/go.mod"
  {
    printf 'module example.local/kas\n\ngo 1.24.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$K8S_VERSION"
    # every staging module in kubernetes' replace block that its require block pins at v0.0.0
    awk '/^replace \(/{f=1;next} f&&/^\)/{f=0} f{print $1}' "$gm" |
      while read -r m; do
        if grep -qE "^[[:space:]]+$m v0\.0\.0" "$gm"; then printf '\t%s => %s %s\n' "$m" "$m" "$STAGING_VERSION"; fi
      done
    echo ')'
  } > go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "k8s.io/kubernetes/cmd/kube-apiserver"\n' > tools.go
  "$GO" mod tidy
  local ld="-s -w" p
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$MINOR -X $p.gitTreeState=clean -X $p.gitCommit=kubegrant-e2e"
  done
  log "building kube-apiserver $K8S_VERSION (~4 min and ~1.8 GB RSS on a cold build cache)"
  "$GO" build -trimpath -ldflags="$ld" -o "$out.tmp" k8s.io/kubernetes/cmd/kube-apiserver
  mv "$out.tmp" "$out"
}

build_etcd() {
  local out="$DIR/etcd"
  if [ -x "$out" ]; then log "etcd present: $out"; return; fi
  local w="$DIR/src/etcd"
  rm -rf "$w" && mkdir -p "$w" && cd "$w"
  log "building etcd $ETCD_VERSION from go.etcd.io/etcd/server/v3"
  printf 'module example.local/etcd\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" > go.mod
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
  if "$GO" mod tidy && "$GO" build -trimpath -ldflags="-s -w" -o "$out.tmp" go.etcd.io/etcd/server/v3; then
    mv "$out.tmp" "$out"
  else
    if [ ! -x /usr/bin/etcd ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      log "Go build of etcd failed; installing Debian's etcd-server"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server >&2 || true
    fi
    if [ ! -x /usr/bin/etcd ]; then
      log "Go build of etcd failed and /usr/bin/etcd is absent (try: apt-get install etcd-server)"
      return 1
    fi
    log "using Debian's /usr/bin/etcd"
    ln -sf /usr/bin/etcd "$out"
  fi
}

build_etcd
build_kas
"$DIR/kube-apiserver" --version >&2
"$DIR/etcd" --version | sed -n 1p >&2  # sed, not head: no SIGPIPE under pipefail
log "ready in $DIR ($(( $(date +%s) - t0 )) s)"
