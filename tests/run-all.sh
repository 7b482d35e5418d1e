#!/usr/bin/env bash
# The whole test suite: unit, snapshot, demo-cluster, and end-to-end tests against a real
# kube-apiserver + etcd that the test tooling starts on loopback.
# The Kubernetes binaries come from $KUBEBUILDER_ASSETS or are built once into a cache
# outside the repo by tests/e2e/kube-assets.sh (first run: ~10 minutes, needs root for apt).
# Two test crates: tests/integration (fast, no apiserver) and tests/e2e. The e2e tests install
# the CRDs of $MESHCTL_CRDS_DIR, else ../shared/crds when present, else the vendored
# tests/fixtures/crds (tests/support/crds.rs); e.g. MESHCTL_CRDS_DIR=assets/demo for the
# project's own. Extra arguments go to cargo test (e.g. `--test e2e console::`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KUBEBUILDER_ASSETS="$(bash tests/e2e/kube-assets.sh | tail -n 1)"
export KUBEBUILDER_ASSETS
echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS" >&2
exec cargo test --locked "$@"
