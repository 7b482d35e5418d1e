//! Simulated control plane. One task receives every store change (pushed through the
//! broadcast channel), reacts per kind, and reconciles the workloads of each touched
//! namespace. It holds only a `Weak` to the engine, so it ends with the cluster.

pub mod daemonsets;
pub mod deployments;
pub mod gc;
pub mod kubelet;
pub mod replicasets;
pub mod routes;
pub mod statefulsets;
pub mod workload;

use std::collections::BTreeSet;
use std::sync::{Arc, Weak};

use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

use self::daemonsets::DAEMONSETS;
use self::deployments::{DEPLOYMENTS, REPLICASETS};
use self::statefulsets::STATEFULSETS;
use super::engine::Engine;
use super::meta;
use super::selectors::LabelSelector;
use super::store::{Change, ChangeKind, Store};

/// `Instant`: start-up, pods are running at once. `Live`: pods take their time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Instant,
    Live,
}

const WORKLOADS: [&str; 4] = [DEPLOYMENTS, REPLICASETS, STATEFULSETS, DAEMONSETS];

fn workload_namespaces(s: &Store) -> BTreeSet<String> {
    WORKLOADS
        .iter()
        .flat_map(|gr| s.namespaces_with(gr))
        .collect()
}

pub fn reconcile_namespace(s: &mut Store, ns: &str, mode: Mode) {
    for d in s.snapshot(DEPLOYMENTS, Some(ns)) {
        deployments::reconcile(s, &d, mode);
    }
    for rs in s.snapshot(REPLICASETS, Some(ns)) {
        replicasets::reconcile(s, &rs, mode);
    }
    for sts in s.snapshot(STATEFULSETS, Some(ns)) {
        statefulsets::reconcile(s, &sts, mode);
    }
    for ds in s.snapshot(DAEMONSETS, Some(ns)) {
        daemonsets::reconcile(s, &ds, mode);
    }
}

/// Gives orphan asset objects to the workload whose selector matches them, so pods
/// written in the assets (e.g. one created before injection was enabled) are kept.
fn adopt(s: &mut Store) {
    for d in s.snapshot(DEPLOYMENTS, None) {
        let ns = meta::namespace(&d).to_string();
        let sel = LabelSelector::from_structured(&d["spec"]["selector"]);
        if sel.is_empty() {
            continue;
        }
        for rs in s.snapshot(REPLICASETS, Some(&ns)) {
            if meta::controller_uid(&rs).is_none() && sel.matches(&rs) {
                set_owner(s, REPLICASETS, &rs, &d, None);
            }
        }
        let owned = workload::owned_by(&s.snapshot(REPLICASETS, Some(&ns)), meta::uid(&d));
        let orphans = orphan_pods(s, &ns, &sel);
        if orphans.is_empty() {
            continue;
        }
        let hash = most_common_label(&orphans, "pod-template-hash");
        let Some(rs) =
            deployments::ensure_new_rs(s, &d, &owned, workload::replicas(&d), hash.as_deref())
        else {
            continue;
        };
        let hash =
            meta::label(&rs, "pod-template-hash").map(|h| ("pod-template-hash", h.to_string()));
        for pod in orphans {
            set_owner(s, workload::PODS, &pod, &rs, hash.clone());
        }
    }
    for sts in s.snapshot(STATEFULSETS, None) {
        let sel = LabelSelector::from_structured(&sts["spec"]["selector"]);
        let rev = statefulsets::revision(&sts);
        for pod in orphan_pods(s, meta::namespace(&sts), &sel) {
            set_owner(
                s,
                workload::PODS,
                &pod,
                &sts,
                Some(("controller-revision-hash", rev.clone())),
            );
        }
    }
    for ds in s.snapshot(DAEMONSETS, None) {
        let sel = LabelSelector::from_structured(&ds["spec"]["selector"]);
        let rev = workload::template_hash(&ds["spec"]["template"]);
        let nodes: Vec<String> = s
            .list("nodes", None)
            .map(|n| meta::name(n).to_string())
            .collect();
        for (i, pod) in orphan_pods(s, meta::namespace(&ds), &sel)
            .into_iter()
            .enumerate()
        {
            set_owner(
                s,
                workload::PODS,
                &pod,
                &ds,
                Some(("controller-revision-hash", rev.clone())),
            );
            if pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty)
                && let Some(node) = nodes.get(i)
            {
                let node = node.clone();
                super::ops::mutate(
                    s,
                    workload::PODS,
                    meta::namespace(&pod),
                    meta::name(&pod),
                    |o| {
                        meta::map_at(o, &["spec"]).insert("nodeName".into(), node.into());
                    },
                );
            }
        }
    }
}

/// The value most of `objs` carry for a label (asset pods name their ReplicaSet's hash).
fn most_common_label(objs: &[Arc<serde_json::Value>], key: &str) -> Option<String> {
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    for o in objs {
        if let Some(v) = meta::label(o, key) {
            *counts.entry(v).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(v, _)| v.to_string())
}

fn orphan_pods(s: &Store, ns: &str, sel: &LabelSelector) -> Vec<Arc<serde_json::Value>> {
    if sel.is_empty() {
        return vec![];
    }
    s.list(workload::PODS, Some(ns))
        .filter(|p| meta::controller_uid(p).is_none() && sel.matches(p))
        .cloned()
        .collect()
}

fn set_owner(
    s: &mut Store,
    gr: &str,
    obj: &serde_json::Value,
    owner: &serde_json::Value,
    label: Option<(&str, String)>,
) {
    let owner_ref = workload::owner_ref(owner);
    super::ops::mutate(s, gr, meta::namespace(obj), meta::name(obj), |o| {
        meta::map_at(o, &["metadata"])
            .insert("ownerReferences".into(), serde_json::json!([owner_ref]));
        if let Some((k, v)) = &label {
            meta::set_label(o, k, v);
        }
    });
}

/// Start-up: asset pods without status run, orphans are adopted, and every workload
/// is reconciled until nothing changes, so the demo opens on a settled cluster.
pub fn bootstrap(s: &mut Store) {
    for pod in s.snapshot(workload::PODS, None) {
        if pod["status"]["phase"].is_null() {
            kubelet::start_now(s, &pod);
        }
    }
    adopt(s);
    for _ in 0..50 {
        let before = s.rv();
        for ns in workload_namespaces(s) {
            reconcile_namespace(s, &ns, Mode::Instant);
        }
        if s.rv() == before {
            break;
        }
    }
}

/// Spawns the controller loop (needs a tokio runtime).
pub fn spawn(engine: &Arc<Engine>) {
    let rx = engine.lock().subscribe();
    tokio::spawn(run(Arc::downgrade(engine), rx));
}

async fn run(engine: Weak<Engine>, mut rx: broadcast::Receiver<Arc<Change>>) {
    loop {
        let mut batch = Vec::new();
        let mut resync = false;
        match rx.recv().await {
            Ok(c) => batch.push(c),
            Err(RecvError::Lagged(_)) => resync = true,
            Err(RecvError::Closed) => return,
        }
        loop {
            match rx.try_recv() {
                Ok(c) => batch.push(c),
                Err(TryRecvError::Lagged(_)) => resync = true,
                Err(_) => break,
            }
        }
        let Some(strong) = engine.upgrade() else {
            return;
        };
        let mut s = strong.lock();
        let mut dirty = BTreeSet::new();
        for c in &batch {
            handle(&engine, &mut s, c, &mut dirty);
        }
        if resync {
            dirty.extend(workload_namespaces(&s));
        }
        for ns in dirty {
            reconcile_namespace(&mut s, &ns, Mode::Live);
        }
    }
}

fn handle(engine: &Weak<Engine>, s: &mut Store, c: &Change, dirty: &mut BTreeSet<String>) {
    let gr = c.group_resource.as_str();
    let ns = meta::namespace(&c.object).to_string();
    match gr {
        workload::PODS => {
            kubelet::on_change(engine, c);
            dirty.insert(ns);
        }
        "nodes" => dirty.extend(s.namespaces_with(DAEMONSETS)),
        _ if WORKLOADS.contains(&gr) => {
            dirty.insert(ns);
        }
        _ if routes::is_gateway_api(gr) => routes::on_change(s, c),
        _ => {}
    }
    if c.kind == ChangeKind::Deleted {
        gc::collect_dependents(s, &c.object, Mode::Live);
    }
}
