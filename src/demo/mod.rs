//! Embedded demo cluster: an in-process server for the subset of the Kubernetes REST
//! API that meshctl-tui uses, plugged into `kube::Client` through a tower service so
//! the app runs the same code against the demo as against a real cluster.
//!
//! Data comes from `assets/demo/*.yaml` (embedded at compile time). Small simulated
//! controllers make actions visible: deployments roll out new ReplicaSets and pods,
//! pods get Istio sidecars in injected namespaces, route status follows generations.

mod certs;
mod controllers;
mod discovery;
mod engine;
mod error;
mod injection;
mod loader;
mod meta;
mod ops;
mod patch;
mod paths;
mod resources;
mod router;
mod scale;
mod selectors;
mod store;
pub mod synthetic;
mod view;
mod watch;

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use include_dir::{Dir, include_dir};
use serde_json::Value;

pub use self::certs::{BUNDLE_ANNOTATION, CERT_ANNOTATION, PLACEHOLDER_KEY};
pub use self::controllers::kubelet::FAIL_ANNOTATION;
pub use self::error::DemoError;
pub use self::loader::AGE_ANNOTATION;

use self::engine::Engine;
use self::store::Store;

/// Context name the app shows for the demo.
pub const DEMO_CONTEXT: &str = "demo";
/// Cluster name the app shows for the demo.
pub const DEMO_CLUSTER: &str = "meshctl-demo";
/// Namespace of `DemoCluster::client()`.
pub const DEMO_DEFAULT_NAMESPACE: &str = "default";
/// Pods of a synthetic cluster (`synthetic::objects`) the demo adds to its own, for
/// benchmarks on the demo: `MESHCTL_DEMO_PODS=10000 meshctl-tui --demo`.
pub const DEMO_PODS_ENV: &str = "MESHCTL_DEMO_PODS";

// Edits to embedded files trigger a rebuild; a newly added file is only picked up
// once this crate recompiles (touch this file).
static ASSETS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/assets/demo");

fn embedded_files() -> Vec<(String, &'static str)> {
    fn walk(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
        for f in dir.files() {
            let path = f.path().to_string_lossy().to_string();
            if (path.ends_with(".yaml") || path.ends_with(".yml"))
                && let Some(text) = f.contents_utf8()
            {
                out.push((format!("assets/demo/{path}"), text));
            }
        }
        for d in dir.dirs() {
            walk(d, out);
        }
    }
    let mut out = Vec::new();
    walk(&ASSETS, &mut out);
    out.sort();
    out
}

/// The running demo cluster. Cheap to clone; everything lives behind one `Arc`.
#[derive(Clone)]
pub struct DemoCluster {
    engine: Arc<Engine>,
}

impl std::fmt::Debug for DemoCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoCluster")
            .field("resource_version", &self.resource_version())
            .finish()
    }
}

impl DemoCluster {
    /// Loads the embedded `assets/demo/*.yaml` (plus a synthetic cluster of
    /// `$MESHCTL_DEMO_PODS` pods when set) and starts the simulated controllers (needs a
    /// tokio runtime).
    pub fn start() -> Result<DemoCluster, DemoError> {
        let pods = match std::env::var(DEMO_PODS_ENV) {
            Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| DemoError::Yaml {
                file: DEMO_PODS_ENV.into(),
                message: format!("{v:?} is not a number of pods"),
            })?,
            _ => 0,
        };
        Self::start_with_pods(pods)
    }

    /// The embedded assets plus `synthetic::objects` of `pods` pods (none when 0), loaded
    /// as the assets are (same loader rules, owners linked, controllers settled).
    pub fn start_with_pods(pods: usize) -> Result<DemoCluster, DemoError> {
        let extra = match pods {
            0 => Vec::new(),
            pods => synthetic::objects(&synthetic::Size { pods }),
        };
        Self::build_with(&embedded_files(), extra)
    }

    /// Same from given YAML documents (each `&str` is a multi-document YAML file).
    pub fn from_yaml(files: &[&str]) -> Result<DemoCluster, DemoError> {
        let named: Vec<(String, &str)> = files
            .iter()
            .enumerate()
            .map(|(i, text)| (format!("yaml #{i}"), *text))
            .collect();
        Self::build(&named)
    }

    fn build(files: &[(String, &str)]) -> Result<DemoCluster, DemoError> {
        Self::build_with(files, Vec::new())
    }

    fn build_with(files: &[(String, &str)], extra: Vec<Value>) -> Result<DemoCluster, DemoError> {
        tokio::runtime::Handle::try_current().map_err(|e| DemoError::NoRuntime(e.to_string()))?;
        let mut store = Store::default();
        loader::load(&mut store, files, extra)?;
        controllers::bootstrap(&mut store);
        // Start-up writes are not history a client could have seen.
        store.compact();
        let engine = Arc::new(Engine::new(store));
        controllers::spawn(&engine);
        Ok(DemoCluster { engine })
    }

    /// A `kube::Client` whose requests this cluster serves in-process
    /// (default namespace "default"). Needs a tokio runtime.
    pub fn client(&self) -> kube::Client {
        let engine = self.engine.clone();
        let service = tower::service_fn(move |req| {
            let engine = engine.clone();
            async move { Ok::<_, Infallible>(router::handle(engine, req).await) }
        });
        kube::Client::new(service, DEMO_DEFAULT_NAMESPACE)
    }

    /// How often watches that allow bookmarks receive one (default 5 s).
    pub fn set_bookmark_interval(&self, every: Duration) {
        self.engine.set_bookmark_interval(every);
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.engine.lock().rv()
    }

    /// Forgets the change history, like an etcd compaction: watches resuming from an
    /// older resourceVersion get 410 Gone.
    pub fn compact_history(&self) {
        self.engine.lock().compact();
    }

    /// Open watch streams plus the controller loop (tests check nothing leaks).
    pub fn subscriber_count(&self) -> usize {
        self.engine.lock().subscriber_count()
    }

    /// An object by group-resource (`pods`, `deployments.apps`), namespace ("" for
    /// cluster-scoped kinds) and name.
    pub fn get(&self, resource: &str, namespace: &str, name: &str) -> Option<Value> {
        self.engine
            .lock()
            .get(resource, namespace, name)
            .map(|o| (**o).clone())
    }

    /// Objects of a group-resource, in one namespace or all.
    pub fn list(&self, resource: &str, namespace: Option<&str>) -> Vec<Value> {
        self.engine
            .lock()
            .list(resource, namespace)
            .map(|o| (**o).clone())
            .collect()
    }

    /// Creates or replaces the objects of a YAML file through the API rules
    /// (admission included), like `kubectl apply` of whole objects.
    pub fn apply(&self, yaml: &str) -> Result<(), DemoError> {
        let mut s = self.engine.lock();
        ops::apply_yaml(&mut s, yaml)
    }
}
