//! The cluster under measurement: a real etcd + kube-apiserver (audit log on, a separate
//! console user), the demo's CRDs and base assets, then the synthetic shape of the size
//! asked for (`meshctl_tui::demo::synthetic`).

use std::path::{Path, PathBuf};
use std::time::Instant;

use futures::{StreamExt, stream};
use kube::Client;
use kube::api::{Api, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use kube::discovery::{Discovery, Scope};
use meshctl_tui::demo::synthetic;
use serde_json::{Value, json};

use crate::support::kube_env::{self, KubeEnv};

/// Requests in flight while loading.
const LOAD_CONCURRENCY: usize = 16;

/// A loaded cluster and what loading it took.
pub struct Loaded {
    pub env: KubeEnv,
    pub server_version: String,
    /// One line: objects, statuses, time.
    pub summary: String,
}

/// Starts the API server and loads the demo's base assets plus `pods` worth of synthetic
/// objects. Every step that fails is an error naming it.
pub async fn start(pods: usize) -> Result<Loaded, String> {
    let started = Instant::now();
    let env = KubeEnv::start_with(kube_env::Options {
        audit_console: true,
    })
    .await;
    let server_version = env
        .client()
        .apiserver_version()
        .await
        .map(|v| v.git_version)
        .map_err(|e| format!("server version: {e}"))?;
    env.install_crds(&[assets_dir().join("00-crds.yaml")]).await;
    let summary = populate(&env.client(), pods).await?;
    let summary = format!(
        "loaded in {:.0} s: {summary}",
        started.elapsed().as_secs_f64()
    );
    Ok(Loaded {
        env,
        server_version,
        summary,
    })
}

/// The demo's assets: its CRDs (`00-crds.yaml`) and the base objects the synthetic shape
/// sits on.
pub fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo")
}

/// Creates the demo's base assets and then a synthetic cluster of `pods` pods through
/// `client` (the CRDs must be installed); returns one line saying what was created.
pub async fn populate(client: &Client, pods: usize) -> Result<String, String> {
    let base = base_documents(&assets_dir())?;
    let (created, statuses) = apply(client, &base).await?;
    let objects = synthetic::objects(&synthetic::Size { pods });
    let load = synthetic::load(client, &objects, LOAD_CONCURRENCY)
        .await
        .map_err(|e| format!("synthetic load of {pods} pods: {e}"))?;
    Ok(format!(
        "demo base assets {created} objects ({statuses} statuses), \
         synthetic {} objects ({} statuses) in {:.0} s at concurrency {LOAD_CONCURRENCY}",
        load.created,
        load.statuses,
        load.elapsed.as_secs_f64(),
    ))
}

/// Every document of `assets/demo/*.yaml` but the CRDs, in file order.
fn base_documents(dir: &Path) -> Result<Vec<Value>, String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| !p.ends_with("00-crds.yaml"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| format!("read {}: {e}", f.display()))?;
        docs.extend(kube_env::parse_yaml_documents(
            &text,
            &f.display().to_string(),
        ));
    }
    Ok(docs)
}

/// Creates each document (one that exists already, e.g. `kube-system`, is left as it is),
/// cluster-scoped ones (namespaces) first, then writes its `status` through the status
/// subresource where it has one, as controllers do. Returns (created, statuses written).
async fn apply(client: &Client, docs: &[Value]) -> Result<(usize, usize), String> {
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .map_err(|e| format!("discovery: {e}"))?;
    let (mut cluster, mut namespaced) = (Vec::new(), Vec::new());
    for doc in docs {
        let obj: DynamicObject =
            serde_json::from_value(for_this_server(doc)).map_err(|e| format!("base asset: {e}"))?;
        let types = obj
            .types
            .clone()
            .ok_or("base asset without apiVersion/kind")?;
        let (group, version) = types
            .api_version
            .split_once('/')
            .unwrap_or(("", &types.api_version));
        let gvk = GroupVersionKind::gvk(group, version, &types.kind);
        let (ar, caps) = discovery
            .resolve_gvk(&gvk)
            .ok_or_else(|| format!("no API for {} {}", types.api_version, types.kind))?;
        let status = doc.get("status").cloned();
        match caps.scope {
            Scope::Namespaced => {
                let ns = obj.metadata.namespace.as_deref().unwrap_or("default");
                let api = Api::namespaced_with(client.clone(), ns, &ar);
                namespaced.push((api, obj, status));
            }
            Scope::Cluster => cluster.push((Api::all_with(client.clone(), &ar), obj, status)),
        }
    }
    let mut counts = (0, 0);
    for phase in [cluster, namespaced] {
        let (created, statuses) = create_all(phase).await?;
        counts = (counts.0 + created, counts.1 + statuses);
    }
    Ok(counts)
}

/// The document without what this API server would refuse: the demo's Service cluster IPs
/// lie outside the test server's service range, so the server picks its own.
fn for_this_server(doc: &Value) -> Value {
    let mut doc = doc.clone();
    if doc.get("kind").and_then(Value::as_str) == Some("Service")
        && let Some(spec) = doc.get_mut("spec").and_then(Value::as_object_mut)
    {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
    }
    doc
}

type Target = (Api<DynamicObject>, DynamicObject, Option<Value>);

async fn create_all(targets: Vec<Target>) -> Result<(usize, usize), String> {
    let results: Vec<Result<(bool, bool), String>> = stream::iter(targets)
        .map(|(api, obj, status)| async move {
            let name = obj.metadata.name.clone().unwrap_or_default();
            let created = match api.create(&PostParams::default(), &obj).await {
                Ok(_) => true,
                Err(kube::Error::Api(s)) if s.code == 409 => false,
                Err(e) => return Err(format!("create {name}: {e}")),
            };
            let mut status_written = false;
            if let Some(status) = status.filter(|_| created) {
                let patch = Patch::Merge(json!({ "status": status }));
                status_written = api
                    .patch_status(&name, &PatchParams::default(), &patch)
                    .await
                    .is_ok();
            }
            Ok((created, status_written))
        })
        .buffer_unordered(LOAD_CONCURRENCY)
        .collect()
        .await;
    let mut counts = (0, 0);
    for r in results {
        let (created, status) = r?;
        counts.0 += usize::from(created);
        counts.1 += usize::from(status);
    }
    Ok(counts)
}
