//! The end-to-end tests: each starts its own etcd + kube-apiserver 1.20 on loopback
//! (`support::kube_env`) and installs CRDs from the set `support::crds` chooses (printed
//! once to stderr). One test binary for all of them; [`support::machine`] keeps the tests
//! that measure time budgets from overlapping any other.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.
//! Run one module with `cargo test --test e2e console::`.

#[path = "../support/mod.rs"]
mod support;

/// The scale benchmark's runner (`benches/scale`), for its smoke run [`bench_smoke`].
#[path = "../../benches/scale/runner/mod.rs"]
mod bench_runner;

mod apiserver_smoke;
mod bench_smoke;
mod certs;
mod connection;
mod console;
mod diagnostics;
mod hostile_text;
mod incluster;
mod inject;
mod migrate;
mod rollout;
mod scale;
mod weights;
mod write;
mod write_contract;
