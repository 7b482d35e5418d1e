//! What the two test crates share (`tests/integration`, `tests/e2e`), one module per concern:
//!
//! - [`kube_env`]: a real etcd + kube-apiserver (+ kube-controller-manager) on loopback, and
//!   creating objects and CRDs in it;
//! - [`crds`]: which CRD set the e2e tests install (`$MESHCTL_CRDS_DIR`, `../shared/crds`,
//!   or the vendored `tests/fixtures/crds`);
//! - [`machine`]: which e2e tests may overlap in the one test process;
//! - [`scenario`]: what the console e2e tests share (RBAC, workloads, audit log, screen);
//! - [`pty`]: the real binary in a pseudo-terminal, read through a vt100 emulator;
//! - [`fixtures`]: YAML fixtures turned into the app's objects, as the watchers do;
//! - [`certs`]: deterministic test certificates for those fixtures.
//!
//! Each crate uses part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod certs;
pub mod crds;
pub mod fixtures;
pub mod kube_env;
pub mod machine;
pub mod pty;
pub mod scenario;
