//! The fast tests: everything that needs no kube-apiserver. One test binary (one link)
//! instead of one per file; each module was a test binary of its own before.
//!
//! - `snapshots`: every view drawn from a fixed cluster (insta, `tests/snapshots/`);
//! - `app_loop`: the real app loop against the embedded demo cluster;
//! - `demo_server`: the embedded demo API server as kube-rs sees it;
//! - `demo_console`, `signals`: the real binary on the demo cluster in a pseudo-terminal.
//!
//! Run one module with `cargo test --test integration snapshots::`.

#[path = "../support/mod.rs"]
mod support;

mod app_loop;
mod demo_console;
mod demo_server;
mod signals;
mod snapshots;
