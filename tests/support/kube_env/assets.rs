//! Where the control-plane binaries come from: `$KUBEBUILDER_ASSETS`, else the cache that
//! `tests/e2e/kube-assets.sh` fills.

use std::fs;
use std::path::{Path, PathBuf};

use super::KUBE_VERSION;

const ASSETS_HINT: &str = "real kube-apiserver binaries not found: run tests/e2e/kube-assets.sh or set KUBEBUILDER_ASSETS";

/// Paths of the three control-plane binaries.
#[derive(Debug, Clone)]
pub struct KubeAssets {
    pub etcd: PathBuf,
    pub kube_apiserver: PathBuf,
    pub kube_controller_manager: PathBuf,
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| is_executable(p))
    })
}

/// The cache directory `tests/e2e/kube-assets.sh` builds into.
pub fn assets_cache_dir() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is not set")).join(".cache")
        });
    cache
        .join("meshctl-tui")
        .join(format!("kube-{KUBE_VERSION}"))
        .join("bin")
}

fn assets_in(dir: &Path) -> Option<KubeAssets> {
    let apiserver = dir.join("kube-apiserver");
    let kcm = dir.join("kube-controller-manager");
    if !is_executable(&apiserver) || !is_executable(&kcm) {
        return None;
    }
    let etcd = Some(dir.join("etcd"))
        .filter(|p| is_executable(p))
        .or_else(|| which("etcd"))?;
    Some(KubeAssets {
        etcd,
        kube_apiserver: apiserver,
        kube_controller_manager: kcm,
    })
}

/// Finds the binaries: `$KUBEBUILDER_ASSETS` first, then the cache.
///
/// Panics with a clear message when they are missing.
pub fn find_assets() -> KubeAssets {
    let mut looked = Vec::new();
    if let Some(dir) = std::env::var_os("KUBEBUILDER_ASSETS").filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if let Some(a) = assets_in(&dir) {
            return a;
        }
        looked.push(format!("KUBEBUILDER_ASSETS={}", dir.display()));
    }
    let cache = assets_cache_dir();
    if let Some(a) = assets_in(&cache) {
        return a;
    }
    looked.push(cache.display().to_string());
    panic!(
        "\n\n=====================================================================\n\
         {ASSETS_HINT}\n\
         (looked for etcd, kube-apiserver, kube-controller-manager in: {})\n\
         =====================================================================\n",
        looked.join(", ")
    );
}
