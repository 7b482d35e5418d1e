//! What the end-to-end tests of writes share: timeouts, the CRDs the console watches, RBAC
//! for a read-only user, reading Deployments/ReplicaSets back through the API, the audit log,
//! and reading the console's screen (rows, header, views).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};
use serde_json::Value;

use super::crds;
use super::kube_env::{self, KubeEnv};
use super::pty::{Console, Screen};

/// First sync of all watchers (cold binary start, TLS, all the lists).
pub const STARTUP: Duration = Duration::from_secs(60);
/// Any one UI step after that (a write is two API calls).
pub const STEP: Duration = Duration::from_secs(15);
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// A ClusterRole `name` bound to `e2e-limited`: get/list/watch on the core resources
/// named, and on everything else the console watches; no write anywhere.
pub fn read_rbac(name: &str, core_resources: &[&str]) -> String {
    format!(
        r#"
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: {name}
rules:
- apiGroups: [""]
  resources: [{core}]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, statefulsets, daemonsets]
  verbs: [get, list, watch]
- apiGroups: [gateway.networking.k8s.io, security.istio.io, networking.istio.io, alb.networking.azure.io, networking.k8s.io]
  resources: ["*"]
  verbs: [get, list, watch]
- apiGroups: [apiextensions.k8s.io]
  resources: [customresourcedefinitions]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: {name}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: {name}
subjects:
- apiGroup: rbac.authorization.k8s.io
  kind: User
  name: e2e-limited
"#,
        core = core_resources.join(", ")
    )
}

/// Read access for `e2e-limited` to everything the console watches, and no write.
pub fn read_everything_rbac() -> String {
    read_rbac(
        "meshctl-e2e-read-everything",
        &["namespaces", "pods", "services"],
    )
}

/// `[e2e_write]   12.34s  what happened`, for following a long test in its output.
pub fn step(test: &str, name: &str, started: Instant) {
    eprintln!("[{test}] {:>7.2}s  {name}", started.elapsed().as_secs_f64());
}

/// The Gateway API (standard) and Istio CRDs: the console watches those kinds.
pub async fn install_crds(env: &KubeEnv) {
    env.install_crd_groups(&[
        crds::GATEWAY_API,
        crds::ISTIO_NETWORKING,
        crds::ISTIO_SECURITY,
    ])
    .await;
}

// ----------------------------------------------------------------------- through the API

pub async fn deployment(env: &KubeEnv, ns: &str, name: &str) -> Deployment {
    Api::<Deployment>::namespaced(env.client(), ns)
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("get Deployment {ns}/{name}: {e}"))
}

pub fn rv(d: &Deployment) -> String {
    d.metadata
        .resource_version
        .clone()
        .expect("a Deployment from the API has a resourceVersion")
}

pub fn generation(d: &Deployment) -> i64 {
    d.metadata
        .generation
        .expect("a Deployment has a generation")
}

/// The pod template's `kubectl.kubernetes.io/restartedAt`, if set.
pub fn restarted_at(d: &Deployment) -> Option<String> {
    d.spec
        .as_ref()?
        .template
        .metadata
        .as_ref()?
        .annotations
        .as_ref()?
        .get(RESTARTED_AT)
        .cloned()
}

/// The ReplicaSets owned by Deployment `ns/name`, oldest first.
pub async fn replica_sets_of(env: &KubeEnv, ns: &str, name: &str) -> Vec<ReplicaSet> {
    let mut owned: Vec<ReplicaSet> = Api::<ReplicaSet>::namespaced(env.client(), ns)
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("list ReplicaSets in {ns}: {e}"))
        .items
        .into_iter()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.kind == "Deployment" && o.name == name)
        })
        .collect();
    owned.sort_by_key(|rs| rs.metadata.creation_timestamp.clone().map(|t| t.0));
    owned
}

pub fn rs_restarted_at(rs: &ReplicaSet) -> Option<String> {
    rs.spec
        .as_ref()?
        .template
        .as_ref()?
        .metadata
        .as_ref()?
        .annotations
        .as_ref()?
        .get(RESTARTED_AT)
        .cloned()
}

/// Waits until Deployment `ns/name`'s resourceVersion has not moved for 2 seconds (the
/// Deployment controller has finished writing its status), and returns it.
pub async fn settled(env: &KubeEnv, ns: &str, name: &str) -> Deployment {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = deployment(env, ns, name).await;
    let mut since = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = deployment(env, ns, name).await;
        if rv(&now) != rv(&last) {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= Duration::from_secs(2) {
            return now;
        }
        assert!(
            Instant::now() < deadline,
            "Deployment {ns}/{name} kept changing for 60s (last resourceVersion {})",
            rv(&last)
        );
    }
}

/// A namespace's `istio.io/rev` label.
pub async fn rev_label(env: &KubeEnv, ns: &str) -> Option<String> {
    Api::<Namespace>::all(env.client())
        .get(ns)
        .await
        .unwrap_or_else(|e| panic!("get namespace {ns}: {e}"))
        .metadata
        .labels
        .and_then(|l| l.get("istio.io/rev").cloned())
}

// ----------------------------------------------------------------------------- audit log

pub fn audit_path(console: &Console) -> PathBuf {
    console.data_dir().join("audit.jsonl")
}

/// All lines of the audit log, parsed; an empty list if the file does not exist.
pub fn audit_lines(console: &Console) -> Vec<Value> {
    let path = audit_path(console);
    match std::fs::read_to_string(&path) {
        Ok(text) => text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| {
                    panic!("audit line is not JSON ({e}): {l:?} in {}", path.display())
                })
            })
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => panic!("read {}: {e}", path.display()),
    }
}

/// Field `ptr` (JSON pointer) of an audit entry as a string, or a panic naming the entry.
pub fn audit_str<'a>(entry: &'a Value, ptr: &str) -> &'a str {
    entry
        .pointer(ptr)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("audit entry has no string at {ptr}: {entry:#}"))
}

/// One `verb object outcome` per audit line (`-` when nothing was attempted).
pub fn audit_verbs(console: &Console) -> Vec<String> {
    audit_lines(console)
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e.pointer("/verb").and_then(Value::as_str).unwrap_or("?"),
                e.pointer("/object/name")
                    .and_then(Value::as_str)
                    .unwrap_or("?"),
                e.pointer("/outcome/result")
                    .and_then(Value::as_str)
                    .unwrap_or("-"),
            )
        })
        .collect()
}

// -------------------------------------------------------------------------- the screen

/// The table row whose first cell is exactly `first`.
pub fn row<'a>(s: &'a Screen, first: &str) -> Option<&'a str> {
    s.lines
        .iter()
        .map(String::as_str)
        .find(|l| l.trim_start_matches('│').split_whitespace().next() == Some(first))
}

/// The header up to the body's top border, as one line: context line (with the rollouts
/// indicator), tabs, and the flash message (which gets rows of its own, word-wrapped, when
/// it is long).
pub fn header_text(s: &Screen) -> String {
    s.lines
        .iter()
        .take_while(|l| !l.starts_with('┌'))
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Waits until the header (see [`header_text`]) contains every one of `parts`; returns it.
pub fn wait_header(console: &mut Console, parts: &[&str]) -> String {
    let what = format!("the header to contain all of {parts:?}");
    console.wait_until(&what, STEP, |s| {
        let h = header_text(s);
        parts.iter().all(|p| h.contains(p))
    });
    let text = console.screen();
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    header_text(&Screen { text, lines })
}

/// Switches views with a number key and waits until the view's title is drawn.
pub fn show(console: &mut Console, key: &str, title: &str) {
    console.send(key);
    console.wait_for(&format!("┌ {title} ["), STEP);
}

/// Quits with `q`, which must exit 0.
pub fn quit(console: &mut Console) {
    console.send("q");
    let status = console.wait_exit(STEP);
    assert!(
        status.success(),
        "`q` must exit with status 0, got {status:?}\n{}",
        console.framed_screen()
    );
}

// ------------------------------------------------------------------------ control planes

/// There is no kubelet: marks the pods of Deployment `ns/name` Running and Ready through
/// the status subresource, then waits until the controllers count them (readyReplicas).
/// Needs the controller manager (it made the pods and keeps the Deployment's status).
pub async fn make_ready(env: &KubeEnv, ns: &str, name: &str) {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Patch, PatchParams};
    // Its pods by owner (selectors of two istiods may overlap): through its ReplicaSets.
    let pods: Api<Pod> = Api::namespaced(env.client(), ns);
    let list = kube_env::eventually(
        Duration::from_secs(60),
        "pods of the Deployment",
        || async {
            let sets: Vec<String> = replica_sets_of(env, ns, name)
                .await
                .into_iter()
                .filter_map(|rs| rs.metadata.name)
                .collect();
            let owned: Vec<Pod> = pods
                .list(&ListParams::default())
                .await
                .ok()?
                .items
                .into_iter()
                .filter(|p| {
                    p.metadata
                        .owner_references
                        .iter()
                        .flatten()
                        .any(|o| o.kind == "ReplicaSet" && sets.contains(&o.name))
                })
                .collect();
            (!owned.is_empty()).then_some(owned)
        },
    )
    .await;
    let ready = serde_json::json!({"status": {"phase": "Running", "conditions": [
        {"type": "Ready", "status": "True"},
        {"type": "ContainersReady", "status": "True"},
        {"type": "PodScheduled", "status": "True"}
    ]}});
    for p in list {
        let pname = p.metadata.name.unwrap_or_default();
        pods.patch_status(&pname, &PatchParams::default(), &Patch::Merge(&ready))
            .await
            .unwrap_or_else(|e| panic!("mark pod {ns}/{pname} ready: {e}"));
    }
    kube_env::eventually(Duration::from_secs(60), "readyReplicas", || async {
        let d = deployment(env, ns, name).await;
        (d.status?.ready_replicas? > 0).then_some(())
    })
    .await;
}

/// Without a controller manager nobody writes a Deployment's status: sets it as if its
/// one replica were ready (an istiod that serves).
pub async fn set_ready_status(env: &KubeEnv, ns: &str, name: &str) {
    use kube::api::{Patch, PatchParams};
    let status = serde_json::json!({"status": {"observedGeneration": 1, "replicas": 1,
        "updatedReplicas": 1, "readyReplicas": 1, "availableReplicas": 1}});
    Api::<Deployment>::namespaced(env.client(), ns)
        .patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap_or_else(|e| panic!("status of Deployment {ns}/{name}: {e}"));
}
