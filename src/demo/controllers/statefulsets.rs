//! StatefulSet controller: pods `<name>-<ordinal>`, started in order (OrderedReady),
//! updated one at a time from the highest ordinal down once all are ready.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use super::Mode;
use super::workload::{self, PODS, is_active, is_ready, replicas, template_hash};
use crate::demo::meta;
use crate::demo::store::Store;

pub const STATEFULSETS: &str = "statefulsets.apps";
const REVISION_LABEL: &str = "controller-revision-hash";

pub fn revision(sts: &Value) -> String {
    format!(
        "{}-{}",
        meta::name(sts),
        template_hash(&sts["spec"]["template"])
    )
}

fn ordinal(sts: &Value, pod: &Value) -> Option<usize> {
    meta::name(pod)
        .strip_prefix(meta::name(sts))?
        .strip_prefix('-')?
        .parse()
        .ok()
}

fn new_pod(sts: &Value, i: usize, rev: &str) -> Value {
    let mut pod = workload::pod_from_template(&sts["spec"]["template"], sts);
    let name = format!("{}-{i}", meta::name(sts));
    meta::map_at(&mut pod, &["metadata"]).insert("name".into(), name.clone().into());
    meta::set_label(&mut pod, REVISION_LABEL, rev);
    meta::set_label(&mut pod, "statefulset.kubernetes.io/pod-name", &name);
    meta::set_label(&mut pod, "apps.kubernetes.io/pod-index", &i.to_string());
    let spec = meta::map_at(&mut pod, &["spec"]);
    spec.insert("hostname".into(), name.into());
    if let Some(svc) = sts["spec"]["serviceName"].as_str() {
        spec.insert("subdomain".into(), svc.into());
    }
    pod
}

pub fn reconcile(s: &mut Store, sts: &Value, mode: Mode) {
    if meta::is_terminating(sts) {
        return;
    }
    let ns = meta::namespace(sts).to_string();
    let want = replicas(sts) as usize;
    let rev = revision(sts);
    let owned = workload::owned_by(&s.snapshot(PODS, Some(&ns)), meta::uid(sts));
    let by_ordinal: BTreeMap<usize, Arc<Value>> = owned
        .iter()
        .filter_map(|p| Some((ordinal(sts, p)?, p.clone())))
        .collect();
    let ordered = sts["spec"]["podManagementPolicy"] != "Parallel";
    let all_settled = owned.iter().all(|p| is_active(p) && is_ready(p));

    // Create missing ordinals (in order, waiting for readiness when OrderedReady).
    for i in 0..want {
        match by_ordinal.get(&i) {
            Some(p) if ordered && !(is_active(p) && is_ready(p)) => break,
            Some(_) => continue,
            None => {
                workload::create_pod(s, new_pod(sts, i, &rev), mode);
                if ordered && mode == Mode::Live {
                    break;
                }
            }
        }
    }
    // Scale down from the highest ordinal, one at a time.
    if let Some((_, extra)) = by_ordinal
        .iter()
        .rev()
        .find(|(i, p)| **i >= want && is_active(p))
    {
        if all_settled || !ordered {
            workload::delete_pod(s, extra, mode);
        }
    } else if all_settled && sts["spec"]["updateStrategy"]["type"] != "OnDelete" {
        // Rolling update: replace the highest outdated pod; it comes back next pass.
        let outdated = by_ordinal
            .iter()
            .rev()
            .find(|(i, p)| **i < want && meta::label(p, REVISION_LABEL) != Some(rev.as_str()));
        if let Some((_, pod)) = outdated {
            workload::delete_pod(s, pod, mode);
        }
    }
    update_status(s, sts, &rev);
}

fn update_status(s: &mut Store, sts: &Value, rev: &str) {
    let ns = meta::namespace(sts).to_string();
    let active: Vec<Arc<Value>> = workload::owned_by(&s.snapshot(PODS, Some(&ns)), meta::uid(sts))
        .into_iter()
        .filter(|p| is_active(p))
        .collect();
    let ready = active.iter().filter(|p| is_ready(p)).count();
    let at = |r: &str| {
        active
            .iter()
            .filter(|p| meta::label(p, REVISION_LABEL) == Some(r))
            .count()
    };
    let updated = at(rev);
    let current_rev = match sts["status"]["currentRevision"].as_str() {
        Some(cur) if updated < replicas(sts) as usize => cur.to_string(),
        _ => rev.to_string(),
    };
    let status = json!({
        "observedGeneration": meta::int_at(sts, &["metadata", "generation"]).unwrap_or(1),
        "replicas": active.len(),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "currentReplicas": at(&current_rev),
        "updatedReplicas": updated,
        "currentRevision": current_rev,
        "updateRevision": rev,
        "collisionCount": 0
    });
    workload::set_status(s, STATEFULSETS, sts, status);
}
