//! DaemonSet controller: one pod per Node, replaced one at a time on template change.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Mode;
use super::workload::{self, PODS, is_active, is_ready, template_hash};
use crate::demo::meta;
use crate::demo::store::Store;

pub const DAEMONSETS: &str = "daemonsets.apps";
const REVISION_LABEL: &str = "controller-revision-hash";

fn node_of(pod: &Value) -> &str {
    meta::str_at(pod, &["spec", "nodeName"]).unwrap_or_default()
}

pub fn reconcile(s: &mut Store, ds: &Value, mode: Mode) {
    if meta::is_terminating(ds) {
        return;
    }
    let ns = meta::namespace(ds).to_string();
    let rev = template_hash(&ds["spec"]["template"]);
    let nodes: Vec<String> = s
        .list("nodes", None)
        .map(|n| meta::name(n).to_string())
        .collect();
    let active: Vec<Arc<Value>> = workload::owned_by(&s.snapshot(PODS, Some(&ns)), meta::uid(ds))
        .into_iter()
        .filter(|p| is_active(p))
        .collect();
    for node in &nodes {
        if !active.iter().any(|p| node_of(p) == node) {
            let mut pod = workload::pod_from_template(&ds["spec"]["template"], ds);
            meta::map_at(&mut pod, &["metadata"])
                .insert("generateName".into(), format!("{}-", meta::name(ds)).into());
            meta::set_label(&mut pod, REVISION_LABEL, &rev);
            meta::set_label(
                &mut pod,
                "pod-template-generation",
                &meta::int_at(ds, &["metadata", "generation"])
                    .unwrap_or(1)
                    .to_string(),
            );
            meta::map_at(&mut pod, &["spec"]).insert("nodeName".into(), node.clone().into());
            workload::create_pod(s, pod, mode);
        }
    }
    for pod in active
        .iter()
        .filter(|p| !nodes.iter().any(|n| n == node_of(p)))
    {
        workload::delete_pod(s, pod, mode);
    }
    let settled = active.len() == nodes.len() && active.iter().all(|p| is_ready(p));
    if settled && ds["spec"]["updateStrategy"]["type"] != "OnDelete" {
        // maxUnavailable 1: replace one outdated pod at a time.
        if let Some(pod) = active
            .iter()
            .find(|p| meta::label(p, REVISION_LABEL) != Some(rev.as_str()))
        {
            workload::delete_pod(s, pod, mode);
        }
    }
    update_status(s, ds, &rev, nodes.len());
}

fn update_status(s: &mut Store, ds: &Value, rev: &str, desired: usize) {
    let ns = meta::namespace(ds).to_string();
    let active: Vec<Arc<Value>> = workload::owned_by(&s.snapshot(PODS, Some(&ns)), meta::uid(ds))
        .into_iter()
        .filter(|p| is_active(p))
        .collect();
    let ready = active.iter().filter(|p| is_ready(p)).count();
    let updated = active
        .iter()
        .filter(|p| meta::label(p, REVISION_LABEL) == Some(rev))
        .count();
    let mut status = json!({
        "observedGeneration": meta::int_at(ds, &["metadata", "generation"]).unwrap_or(1),
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": active.len(),
        "numberMisscheduled": 0,
        "numberReady": ready,
        "numberAvailable": ready,
        "updatedNumberScheduled": updated
    });
    if desired > ready {
        status["numberUnavailable"] = json!(desired - ready);
    }
    workload::set_status(s, DAEMONSETS, ds, status);
}
