#!/usr/bin/env bash
# Provide real Kubernetes control-plane binaries (etcd, kube-apiserver,
# kube-controller-manager) for the end-to-end tests, without any network
# access except the Debian package archive.
#
# Prints, as the LAST line on stdout, a directory that holds all three
# binaries. Everything else (progress, build output) goes to stderr.
#
# Resolution order:
#   1. $KUBEBUILDER_ASSETS (envtest convention) if it holds kube-apiserver and
#      kube-controller-manager (etcd may also come from PATH).
#   2. The cache ${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-tui/kube-1.20.2/bin
#      (fast path: nothing is done if it is already complete).
#   3. Otherwise build it: Debian's etcd-server package provides etcd 3.4;
#      Debian's `kubernetes` source package (1.20.2) is downloaded with
#      `apt-get source` and kube-apiserver + kube-controller-manager are built
#      with Debian's Go (1.19). Takes about 5-10 minutes on two cores.
#
# Environment knobs:
#   KUBEBUILDER_ASSETS          use prebuilt binaries from this directory
#   MESHCTL_KEEP_KUBE_BUILD=1   keep the (large) build tree after a build
set -euo pipefail

KUBE_VERSION=1.20.2
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-tui/kube-${KUBE_VERSION}"
BIN_DIR="$CACHE_ROOT/bin"
BUILD_DIR="$CACHE_ROOT/build"
DEB_SRC_FILE_BASE=/etc/apt/sources.list.d/meshctl-tui-deb-src

log() { echo "kube-assets: $*" >&2; }
die() {
    echo "kube-assets: ERROR: $*" >&2
    exit 1
}

have_exec() { [[ -f "$1" && -x "$1" ]]; }

# ---------------------------------------------------------------------------
# 1. KUBEBUILDER_ASSETS
# ---------------------------------------------------------------------------
if [[ -n "${KUBEBUILDER_ASSETS:-}" ]]; then
    ka="$KUBEBUILDER_ASSETS"
    if have_exec "$ka/kube-apiserver" && have_exec "$ka/kube-controller-manager"; then
        if have_exec "$ka/etcd"; then
            log "using KUBEBUILDER_ASSETS=$ka"
            echo "$ka"
            exit 0
        fi
        if etcd_path="$(command -v etcd 2>/dev/null)"; then
            # Make a directory that really holds all three (as symlinks).
            links="$CACHE_ROOT/kubebuilder-assets-links"
            mkdir -p "$links"
            ln -sfn "$(readlink -f "$ka/kube-apiserver")" "$links/kube-apiserver"
            ln -sfn "$(readlink -f "$ka/kube-controller-manager")" "$links/kube-controller-manager"
            ln -sfn "$(readlink -f "$etcd_path")" "$links/etcd"
            log "using KUBEBUILDER_ASSETS=$ka with etcd from PATH ($etcd_path)"
            echo "$links"
            exit 0
        fi
    fi
    log "WARNING: KUBEBUILDER_ASSETS=$ka does not hold kube-apiserver, kube-controller-manager" \
        "and etcd (etcd may also be on PATH); falling back to the cache in $BIN_DIR"
fi

cache_complete() {
    have_exec "$BIN_DIR/etcd" && have_exec "$BIN_DIR/kube-apiserver" &&
        have_exec "$BIN_DIR/kube-controller-manager"
}

# ---------------------------------------------------------------------------
# 2. Fast path: cache already populated.
# ---------------------------------------------------------------------------
if cache_complete; then
    log "using cached binaries in $BIN_DIR"
    echo "$BIN_DIR"
    exit 0
fi

# ---------------------------------------------------------------------------
# 3. Build.
# ---------------------------------------------------------------------------
mkdir -p "$CACHE_ROOT"
# Serialize concurrent invocations (e.g. several terminals / CI steps).
exec 9>"$CACHE_ROOT/.lock"
if ! flock -n 9; then
    log "another kube-assets.sh is building into $CACHE_ROOT; waiting for it..."
    flock 9
fi
if cache_complete; then
    log "using cached binaries in $BIN_DIR (built by a concurrent run)"
    echo "$BIN_DIR"
    exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
    SUDO=()
elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
else
    SUDO=()
fi

as_root() {
    if [[ "$(id -u)" -ne 0 && ${#SUDO[@]} -eq 0 ]]; then
        die "need root (or sudo) to run: $* -- or set KUBEBUILDER_ASSETS to prebuilt binaries"
    fi
    "${SUDO[@]}" "$@"
}

command -v apt-get >/dev/null 2>&1 ||
    die "apt-get not found: this build needs Debian bookworm. Set KUBEBUILDER_ASSETS to a" \
        "directory with etcd, kube-apiserver and kube-controller-manager instead."

APT_UPDATED=0
apt_update() {
    log "apt-get update"
    as_root apt-get update -q >&2 || die "apt-get update failed"
    APT_UPDATED=1
}

BUILD_PKGS=(etcd-server golang-go golang-github-modern-go-reflect2-dev
    dpkg-dev make rsync ca-certificates)
missing=()
for p in "${BUILD_PKGS[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [[ ${#missing[@]} -gt 0 ]]; then
    [[ $APT_UPDATED -eq 1 ]] || apt_update
    log "installing build dependencies: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
fi
have_exec /usr/bin/etcd || die "/usr/bin/etcd missing although etcd-server is installed"
REFLECT2_SRC=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -f "$REFLECT2_SRC/reflect2.go" ]] ||
    die "$REFLECT2_SRC missing although golang-github-modern-go-reflect2-dev is installed"

# --- deb-src entries --------------------------------------------------------
have_kube_src() { apt-cache showsrc kubernetes 2>/dev/null | grep -q '^Package: kubernetes$'; }

if ! have_kube_src; then
    [[ $APT_UPDATED -eq 1 ]] || apt_update
fi
if ! have_kube_src; then
    log "adding deb-src entries mirroring the existing Debian deb entries"
    tmp_src="$(mktemp)"
    if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
        # deb822 format: same stanzas, only the Types change.
        sed -E 's/^Types:.*$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$tmp_src"
        as_root install -m 0644 "$tmp_src" "$DEB_SRC_FILE_BASE.sources"
    elif [[ -f /etc/apt/sources.list ]] && grep -qE '^deb\s' /etc/apt/sources.list; then
        # One-line format: turn every "deb ..." line into "deb-src ...".
        grep -E '^deb\s' /etc/apt/sources.list | sed -E 's/^deb(\s)/deb-src\1/' >"$tmp_src"
        as_root install -m 0644 "$tmp_src" "$DEB_SRC_FILE_BASE.list"
    else
        cat >"$tmp_src" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
        as_root install -m 0644 "$tmp_src" "$DEB_SRC_FILE_BASE.sources"
    fi
    rm -f "$tmp_src"
    apt_update
    have_kube_src ||
        die "Debian source package 'kubernetes' still not found after adding deb-src entries" \
            "(see $DEB_SRC_FILE_BASE.*)"
fi

# --- fetch the source ------------------------------------------------------
mkdir -p "$BUILD_DIR"
cd "$BUILD_DIR"
find_tree() {
    find "$BUILD_DIR" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | sort | tail -n 1
}
TREE="$(find_tree)"
if [[ -z "$TREE" || ! -f "$TREE/.meshctl-unpacked" ]]; then
    [[ -n "$TREE" ]] && rm -rf "$TREE"
    log "downloading Debian source package 'kubernetes' into $BUILD_DIR"
    # apt runs the download as the _apt user when possible: let it write here.
    chmod 0777 "$BUILD_DIR" 2>/dev/null || true
    apt-get source -q kubernetes >&2 || die "apt-get source kubernetes failed"
    TREE="$(find_tree)"
    [[ -n "$TREE" && -f "$TREE/Makefile" ]] || die "unpacked kubernetes source tree not found in $BUILD_DIR"
    touch "$TREE/.meshctl-unpacked"
fi
log "kubernetes source tree: $TREE"
grep -q "^go 1\." "$TREE/go.mod" 2>/dev/null || die "$TREE does not look like a kubernetes tree"

# --- patch vendored reflect2 -----------------------------------------------
# The vendored github.com/modern-go/reflect2 1.0.1 relies on runtime internals
# that changed in Go 1.18 and crashes at run time (e.g. "fatal error:
# unexpected signal" in json-iterator map handling). Debian's 1.0.2 is fixed
# and API compatible.
VREFLECT2="$TREE/vendor/github.com/modern-go/reflect2"
[[ -d "$VREFLECT2" ]] || die "vendored reflect2 not found at $VREFLECT2"
if [[ ! -f "$VREFLECT2/.meshctl-replaced" ]]; then
    log "replacing vendored reflect2 with Debian's $REFLECT2_SRC"
    rm -rf "$VREFLECT2"
    mkdir -p "$VREFLECT2"
    # Copy only the package's Go sources (no tests), dereferencing symlinks.
    for f in "$REFLECT2_SRC"/*; do
        case "$f" in
        *_test.go) ;;
        *.go | */LICENSE | */go.mod) cp -L "$f" "$VREFLECT2/" ;;
        esac
    done
    touch "$VREFLECT2/.meshctl-replaced"
    sed -i -E 's|^# github.com/modern-go/reflect2 v1\.0\.1$|# github.com/modern-go/reflect2 v1.0.2|' \
        "$TREE/vendor/modules.txt" 2>/dev/null || true
fi

# --- build -------------------------------------------------------------------
cd "$BUILD_DIR"
mkdir -p .go/src/k8s.io
ln -sfn "$TREE" .go/src/k8s.io/kubernetes
export GOPATH="$BUILD_DIR/.go"
# Keep Go's build cache inside the build dir so it is removed with it.
export GOCACHE="$BUILD_DIR/go-cache"
export GO111MODULE=off
export GOFLAGS=
export GOTOOLCHAIN=local
export GOPROXY=off
# Static binaries, no C toolchain needed (as Debian's own debian/rules does).
export CGO_ENABLED=0
# No .git in the Debian tree: give the build its version info explicitly so
# /version reports the real release instead of v0.0.0-master.
cat >"$BUILD_DIR/version.env" <<EOF
KUBE_GIT_COMMIT='debian-source-package'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_VERSION='v${KUBE_VERSION}'
KUBE_GIT_MAJOR='${KUBE_VERSION%%.*}'
KUBE_GIT_MINOR='$(echo "$KUBE_VERSION" | cut -d. -f2)'
EOF
export KUBE_GIT_VERSION_FILE="$BUILD_DIR/version.env"

log "building kube-apiserver and kube-controller-manager (several minutes; log: $BUILD_DIR/build.log)"
start=$(date +%s)
cd "$GOPATH/src/k8s.io/kubernetes"
if ! make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >"$BUILD_DIR/build.log" 2>&1; then
    tail -n 60 "$BUILD_DIR/build.log" >&2
    die "kubernetes build failed; full log: $BUILD_DIR/build.log"
fi
log "build finished in $(($(date +%s) - start))s"

OUT=""
for cand in _output/bin _output/local/bin/linux/amd64 _output/local/go/bin; do
    if have_exec "$cand/kube-apiserver" && have_exec "$cand/kube-controller-manager"; then
        OUT="$PWD/$cand"
        break
    fi
done
[[ -n "$OUT" ]] || die "built binaries not found under $PWD/_output"

# --- install into the cache atomically ----------------------------------------
TMP_BIN="$CACHE_ROOT/bin.tmp.$$"
rm -rf "$TMP_BIN"
mkdir -p "$TMP_BIN"
cp -L "$OUT/kube-apiserver" "$OUT/kube-controller-manager" "$TMP_BIN/"
# A copy (not a symlink) keeps the cache usable even if etcd-server goes away.
cp -L /usr/bin/etcd "$TMP_BIN/etcd"
chmod 0755 "$TMP_BIN"/*
for b in etcd kube-apiserver kube-controller-manager; do
    "$TMP_BIN/$b" --version >&2 || die "$TMP_BIN/$b --version failed"
done
rm -rf "$BIN_DIR"
mv "$TMP_BIN" "$BIN_DIR"

if [[ "${MESHCTL_KEEP_KUBE_BUILD:-0}" != 1 ]]; then
    log "removing build tree $BUILD_DIR (set MESHCTL_KEEP_KUBE_BUILD=1 to keep it)"
    rm -rf "$BUILD_DIR"
fi

cache_complete || die "cache incomplete after build: $BIN_DIR"
log "binaries ready in $BIN_DIR"
echo "$BIN_DIR"
