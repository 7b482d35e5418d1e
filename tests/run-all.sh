#!/usr/bin/env bash
# The whole test suite: unit, snapshot, demo-cluster, and end-to-end tests against a real
# kube-apiserver + etcd that the test tooling starts on loopback.
# The Kubernetes binaries come from $KUBEBUILDER_ASSETS or are built once into a cache
# outside the repo by tests/e2e/kube-assets.sh (first run: ~10 minutes, needs root for apt).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
KUBEBUILDER_ASSETS="$(bash tests/e2e/kube-assets.sh | tail -n 1)"
export KUBEBUILDER_ASSETS
echo "KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS" >&2
exec cargo test --locked "$@"
