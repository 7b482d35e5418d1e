//! A real Kubernetes control plane (etcd + kube-apiserver, optionally
//! kube-controller-manager) on loopback for end-to-end tests: finding the binaries
//! ([`assets`]), running and reaping the processes ([`process`]), certificates and
//! kubeconfigs ([`pki`]), the environment itself ([`env`]), creating objects and CRDs in it
//! ([`apply`]) and the YAML/CRD preparation that needs ([`yaml`]).
//!
//! The binaries come from `$KUBEBUILDER_ASSETS` or from the cache that
//! `tests/e2e/kube-assets.sh` fills (`${XDG_CACHE_HOME:-$HOME/.cache}/meshctl-tui/kube-1.20.2/bin`).
//! If neither has them, starting an environment PANICS: these tests are never
//! skipped silently.
//!
//! Every [`KubeEnv`] owns its own etcd and kube-apiserver on free
//! 127.0.0.1 ports in its own temporary directory, so several tests (and
//! several test binaries) may run in parallel. The processes are killed when
//! the [`KubeEnv`] is dropped (also while unwinding from a panic) and, through
//! `PR_SET_PDEATHSIG`, when the test process dies in any other way.
//!
//! Environment knobs:
//! * `KUBEBUILDER_ASSETS`: directory with `kube-apiserver`,
//!   `kube-controller-manager` and (optionally, else from `PATH`) `etcd`.
//! * `MESHCTL_E2E_KEEP_DIR=1`: keep the temporary directories (logs, data).
//! * `MESHCTL_E2E_START_TIMEOUT_SECS`: readiness timeout (default 120).

mod apply;
mod assets;
mod env;
mod pki;
mod process;
mod yaml;

use std::time::{Duration, Instant};

#[allow(unused_imports)] // for the benchmark's `generate`
pub use apply::install_crd_documents_on;
#[allow(unused_imports)] // Options: the benchmark's audit log (the e2e crate and benches)
pub use env::{KubeEnv, Options};
#[allow(unused_imports)] // the integration crate compiles this module but starts no apiserver
pub use pki::{client_from_kubeconfig, ensure_crypto_provider};
pub use yaml::parse_yaml_documents;

/// Kubernetes version of the binaries built by `tests/e2e/kube-assets.sh`.
pub const KUBE_VERSION: &str = "1.20.2";
/// Context name used in both generated kubeconfigs.
pub const CONTEXT: &str = "e2e";
/// Admin user (group `system:masters`).
pub const ADMIN_USER: &str = "e2e-admin";
pub const ADMIN_TOKEN: &str = "e2e-admin-token-0123456789abcdef";
/// Low-privilege user: authenticated, but no RBAC grants beyond the
/// defaults for `system:authenticated` (discovery, self reviews), so any list
/// or get of resources is Forbidden unless a test grants more.
pub const LIMITED_USER: &str = "e2e-limited";
pub const LIMITED_TOKEN: &str = "e2e-limited-token-fedcba9876543210";
/// A cluster admin (`system:masters`) for a console under measurement: its own user, so
/// the API server's audit log tells its requests from everyone else's
/// ([`Options::audit_console`]).
pub const CONSOLE_USER: &str = "e2e-console";
pub const CONSOLE_TOKEN: &str = "e2e-console-token-00ff00ff00ff00ff";
/// Service CIDR given to the apiserver (only used for ClusterIP allocation;
/// nothing is ever sent there). A /16: the scale benchmark creates thousands of Services.
pub const SERVICE_CLUSTER_IP_RANGE: &str = "10.0.0.0/16";

/// Polls `f` until it returns `Some` or `timeout` passes (then panics with
/// `what`).
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
