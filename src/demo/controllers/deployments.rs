//! Deployment controller: one ReplicaSet per pod template (`<name>-<hash>`), rolling
//! updates bounded by maxSurge/maxUnavailable, and the status `kubectl rollout
//! status` reads.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Mode;
use super::workload::{self, condition, pod_counts, replicas, set_replicas, template_hash};
use crate::demo::meta;
use crate::demo::ops::{self, DeleteOptions};
use crate::demo::store::Store;

pub const DEPLOYMENTS: &str = "deployments.apps";
pub const REPLICASETS: &str = "replicasets.apps";
const REVISION: &str = "deployment.kubernetes.io/revision";

fn revision(rs: &Value) -> i64 {
    meta::annotation(rs, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// An int-or-percent of `total`, rounding up (surge) or down (unavailable).
fn int_or_percent(v: &Value, total: i64, round_up: bool, default: &str) -> i64 {
    let text = match v {
        Value::Number(n) => return n.as_i64().unwrap_or(0).max(0),
        Value::String(s) => s.as_str(),
        _ => default,
    };
    let pct: i64 = text.trim_end_matches('%').parse().unwrap_or(25);
    let scaled = pct * total;
    if round_up {
        (scaled + 99) / 100
    } else {
        scaled / 100
    }
}

/// (maxSurge, maxUnavailable) with Kubernetes' defaults and their "not both zero" rule.
fn rolling_bounds(d: &Value, desired: i64) -> (i64, i64) {
    let ru = &d["spec"]["strategy"]["rollingUpdate"];
    let surge = int_or_percent(&ru["maxSurge"], desired, true, "25%");
    let unavailable = int_or_percent(&ru["maxUnavailable"], desired, false, "25%");
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// Whether a ReplicaSet runs the deployment's current template (ignoring the hash
/// label, as the real controller does, so adopted asset ReplicaSets keep their names).
pub fn runs_template(rs: &Value, d: &Value) -> bool {
    let mut t = rs["spec"]["template"].clone();
    if let Some(labels) = t["metadata"]["labels"].as_object_mut() {
        labels.remove("pod-template-hash");
    }
    let normalize = |mut v: Value| {
        if v["metadata"]["labels"]
            .as_object()
            .is_some_and(|l| l.is_empty())
            && let Some(m) = v["metadata"].as_object_mut()
        {
            m.remove("labels");
        }
        if v["metadata"].as_object().is_some_and(|m| m.is_empty())
            && let Some(o) = v.as_object_mut()
        {
            o.remove("metadata");
        }
        v
    };
    normalize(t) == normalize(d["spec"]["template"].clone())
}

/// The ReplicaSet for the current template; created (with `replicas`) when missing,
/// named with `hash` when given (adopted asset pods) or the template's hash.
pub fn ensure_new_rs(
    s: &mut Store,
    d: &Value,
    owned: &[Arc<Value>],
    replicas: i64,
    hash: Option<&str>,
) -> Option<Arc<Value>> {
    if let Some(rs) = owned.iter().find(|rs| runs_template(rs, d)) {
        return Some(rs.clone());
    }
    let template = &d["spec"]["template"];
    let hash = hash
        .map(String::from)
        .unwrap_or_else(|| template_hash(template));
    let mut tpl = template.clone();
    meta::set_label(&mut tpl, "pod-template-hash", &hash);
    let mut selector = d["spec"]["selector"].clone();
    meta::map_at(&mut selector, &["matchLabels"])
        .insert("pod-template-hash".into(), hash.clone().into());
    let next_revision = owned.iter().map(|rs| revision(rs)).max().unwrap_or(0) + 1;
    let desired = workload::replicas(d);
    let rs = json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": format!("{}-{hash}", meta::name(d)),
            "namespace": meta::namespace(d),
            "labels": tpl["metadata"]["labels"],
            "annotations": {
                REVISION: next_revision.to_string(),
                "deployment.kubernetes.io/desired-replicas": desired.to_string(),
                "deployment.kubernetes.io/max-replicas": (desired + rolling_bounds(d, desired).0).to_string()
            },
            "ownerReferences": [workload::owner_ref(d)]
        },
        "spec": {
            "replicas": replicas,
            "minReadySeconds": d["spec"]["minReadySeconds"].as_i64().unwrap_or(0),
            "selector": selector,
            "template": tpl
        }
    });
    let rt = s.registry.get(REPLICASETS)?;
    ops::create(s, &rt, meta::namespace(d), rs, false).ok()
}

pub fn reconcile(s: &mut Store, d: &Value, mode: Mode) {
    if meta::is_terminating(d) {
        return;
    }
    let ns = meta::namespace(d).to_string();
    let owned = workload::owned_by(&s.snapshot(REPLICASETS, Some(&ns)), meta::uid(d));
    let desired = replicas(d);
    let paused = d["spec"]["paused"].as_bool() == Some(true);
    let is_new = |rs: &Value| runs_template(rs, d);
    let old_total: i64 = owned
        .iter()
        .filter(|rs| !is_new(rs))
        .map(|rs| replicas(rs))
        .sum();
    if !paused {
        let initial = if old_total == 0 { desired } else { 0 };
        if let Some(new_rs) = ensure_new_rs(s, d, &owned, initial, None) {
            let owned = workload::owned_by(&s.snapshot(REPLICASETS, Some(&ns)), meta::uid(d));
            let old: Vec<Arc<Value>> = owned.iter().filter(|rs| !is_new(rs)).cloned().collect();
            let pods = s.snapshot(workload::PODS, Some(&ns));
            if d["spec"]["strategy"]["type"] == "Recreate" {
                recreate(s, d, &new_rs, &old, &pods);
            } else {
                rolling_update(s, d, &new_rs, &old, &pods);
            }
            cleanup_history(s, d, &old, &pods, mode);
        }
    }
    update_status(s, d);
}

fn recreate(s: &mut Store, d: &Value, new_rs: &Value, old: &[Arc<Value>], pods: &[Arc<Value>]) {
    let mut old_pods_left = false;
    for rs in old {
        if replicas(rs) > 0 {
            set_replicas(s, REPLICASETS, rs, 0);
        }
        old_pods_left |= !pod_counts(pods, meta::uid(rs)).0.is_empty();
    }
    if !old_pods_left && replicas(new_rs) != replicas(d) {
        set_replicas(s, REPLICASETS, new_rs, replicas(d));
    }
}

fn ready_of(pods: &[Arc<Value>], rs: &Value) -> i64 {
    pod_counts(pods, meta::uid(rs)).1.min(replicas(rs))
}

/// One step of the rolling update; each write re-triggers reconciliation.
fn rolling_update(
    s: &mut Store,
    d: &Value,
    new_rs: &Value,
    old: &[Arc<Value>],
    pods: &[Arc<Value>],
) {
    let desired = replicas(d);
    let (surge, unavailable) = rolling_bounds(d, desired);
    let new_spec = replicas(new_rs);
    let old_spec: i64 = old.iter().map(|rs| replicas(rs)).sum();
    let total = new_spec + old_spec;
    if new_spec > desired {
        return set_replicas(s, REPLICASETS, new_rs, desired);
    }
    if new_spec < desired {
        let room = desired + surge - total;
        if room > 0 {
            return set_replicas(
                s,
                REPLICASETS,
                new_rs,
                new_spec + room.min(desired - new_spec),
            );
        }
    }
    if old_spec == 0 {
        return;
    }
    let min_available = desired - unavailable;
    let new_unavailable = new_spec - ready_of(pods, new_rs);
    let mut max_down = total - min_available - new_unavailable;
    if max_down <= 0 {
        return;
    }
    let mut old_sorted = old.to_vec();
    old_sorted.sort_by_key(|rs| revision(rs));
    let mut spec: Vec<i64> = old_sorted.iter().map(|rs| replicas(rs)).collect();
    // First drop old replicas that are not available anyway.
    for (i, rs) in old_sorted.iter().enumerate() {
        let unhealthy = (spec[i] - ready_of(pods, rs)).min(max_down);
        if unhealthy > 0 {
            spec[i] -= unhealthy;
            max_down -= unhealthy;
        }
    }
    let available: i64 =
        ready_of(pods, new_rs) + old_sorted.iter().map(|rs| ready_of(pods, rs)).sum::<i64>();
    let mut budget = (available - min_available).min(max_down);
    for n in spec.iter_mut() {
        let down = (*n).min(budget.max(0));
        *n -= down;
        budget -= down;
    }
    for (rs, n) in old_sorted.iter().zip(spec) {
        if n != replicas(rs) {
            set_replicas(s, REPLICASETS, rs, n);
        }
    }
}

/// Keeps at most `revisionHistoryLimit` scaled-down old ReplicaSets.
fn cleanup_history(s: &mut Store, d: &Value, old: &[Arc<Value>], pods: &[Arc<Value>], mode: Mode) {
    let limit = d["spec"]["revisionHistoryLimit"]
        .as_i64()
        .unwrap_or(10)
        .max(0) as usize;
    let mut idle: Vec<&Arc<Value>> = old
        .iter()
        .filter(|rs| replicas(rs) == 0 && workload::owned_by(pods, meta::uid(rs)).is_empty())
        .collect();
    if idle.len() <= limit {
        return;
    }
    idle.sort_by_key(|rs| revision(rs));
    let Some(rt) = s.registry.get(REPLICASETS) else {
        return;
    };
    for rs in &idle[..idle.len() - limit] {
        let opts = DeleteOptions {
            dry_run: false,
            grace_seconds: (mode == Mode::Instant).then_some(0),
            ..Default::default()
        };
        let _ = ops::delete(s, &rt, meta::namespace(rs), meta::name(rs), &opts);
    }
}

fn update_status(s: &mut Store, d: &Value) {
    let ns = meta::namespace(d).to_string();
    let Some(d) = s.get(DEPLOYMENTS, &ns, meta::name(d)).cloned() else {
        return;
    };
    let owned = workload::owned_by(&s.snapshot(REPLICASETS, Some(&ns)), meta::uid(&d));
    let pods = s.snapshot(workload::PODS, Some(&ns));
    let desired = replicas(&d);
    let (_, unavailable_allowed) = rolling_bounds(&d, desired);
    let new_rs = owned.iter().find(|rs| runs_template(rs, &d));
    let (mut total, mut ready, mut old_spec) = (0, 0, 0);
    for rs in &owned {
        let (active, r) = pod_counts(&pods, meta::uid(rs));
        total += active.len() as i64;
        ready += r;
        if Some(rs) != new_rs {
            old_spec += replicas(rs);
        }
    }
    let (updated, new_name, new_spec) = match new_rs {
        Some(rs) => (
            pod_counts(&pods, meta::uid(rs)).0.len() as i64,
            meta::name(rs),
            replicas(rs),
        ),
        None => (0, "", 0),
    };
    let prev = &d["status"];
    let (av, av_reason, av_msg) = if ready >= desired - unavailable_allowed {
        (
            "True",
            "MinimumReplicasAvailable",
            "Deployment has minimum availability.",
        )
    } else {
        (
            "False",
            "MinimumReplicasUnavailable",
            "Deployment does not have minimum availability.",
        )
    };
    let complete = updated == desired
        && total == desired
        && ready == desired
        && new_spec == desired
        && old_spec == 0;
    let (pr, pr_reason, pr_msg) = if d["spec"]["paused"].as_bool() == Some(true) {
        (
            "Unknown",
            "DeploymentPaused",
            "Deployment is paused".to_string(),
        )
    } else if complete {
        (
            "True",
            "NewReplicaSetAvailable",
            format!("ReplicaSet \"{new_name}\" has successfully progressed."),
        )
    } else {
        (
            "True",
            "ReplicaSetUpdated",
            format!("ReplicaSet \"{new_name}\" is progressing."),
        )
    };
    let mut status = json!({
        "observedGeneration": meta::int_at(&d, &["metadata", "generation"]).unwrap_or(1),
        "replicas": total,
        "updatedReplicas": updated,
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": [
            condition(prev, "Available", av, av_reason, av_msg, true),
            condition(prev, "Progressing", pr, pr_reason, &pr_msg, true)
        ]
    });
    if desired > ready {
        status["unavailableReplicas"] = json!(desired - ready);
    }
    let revision = new_rs.map(|rs| revision(rs)).unwrap_or(0);
    ops::mutate(s, DEPLOYMENTS, &ns, meta::name(&d), |o| {
        if revision > 0 {
            meta::set_annotation(o, REVISION, &revision.to_string());
        }
        meta::as_map(o).insert("status".into(), status);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        let d = json!({"spec": {}});
        assert_eq!(rolling_bounds(&d, 4), (1, 1));
        assert_eq!(rolling_bounds(&d, 1), (1, 0));
        let d = json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "0%"}}}});
        assert_eq!(rolling_bounds(&d, 3), (0, 1));
    }
}
