//! ReplicaSet controller: keeps `spec.replicas` active pods, deleting the least
//! useful ones first (unscheduled, not ready, newest), and reports status.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Mode;
use super::deployments::REPLICASETS;
use super::workload::{self, PODS, is_ready, pod_counts, replicas};
use crate::demo::meta;
use crate::demo::store::Store;

pub fn reconcile(s: &mut Store, rs: &Value, mode: Mode) {
    if meta::is_terminating(rs) {
        return;
    }
    let ns = meta::namespace(rs).to_string();
    let pods = s.snapshot(PODS, Some(&ns));
    let (mut active, _) = pod_counts(&pods, meta::uid(rs));
    let want = replicas(rs) as usize;
    if active.len() < want {
        for _ in active.len()..want {
            let mut pod = workload::pod_from_template(&rs["spec"]["template"], rs);
            meta::map_at(&mut pod, &["metadata"])
                .insert("generateName".into(), format!("{}-", meta::name(rs)).into());
            workload::create_pod(s, pod, mode);
        }
    } else if active.len() > want {
        // Least valuable first: not ready, then the most recently created.
        active.sort_by_key(|p| {
            let created = meta::str_at(p, &["metadata", "creationTimestamp"])
                .unwrap_or_default()
                .to_string();
            (is_ready(p), std::cmp::Reverse(created))
        });
        for pod in &active[..active.len() - want] {
            workload::delete_pod(s, pod, mode);
        }
    }
    update_status(s, rs);
}

fn update_status(s: &mut Store, rs: &Value) {
    let ns = meta::namespace(rs).to_string();
    let pods: Vec<Arc<Value>> = s.snapshot(PODS, Some(&ns));
    let (active, ready) = pod_counts(&pods, meta::uid(rs));
    let status = json!({
        "replicas": active.len(),
        "fullyLabeledReplicas": active.len(),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "observedGeneration": meta::int_at(rs, &["metadata", "generation"]).unwrap_or(1)
    });
    workload::set_status(s, REPLICASETS, rs, status);
}
