//! Helpers shared by the workload controllers: template hashes, pods from templates,
//! readiness, conditions and scaling writes.

use std::sync::Arc;

use serde_json::{Value, json};

use super::Mode;
use super::kubelet;
use crate::demo::meta;
pub use crate::demo::meta::{is_active, is_ready};
use crate::demo::ops::{self, DeleteOptions};
use crate::demo::store::Store;

pub const PODS: &str = "pods";

/// Like the pod-template-hash label: FNV-1a over the template with sorted keys,
/// rendered through the safe alphabet (e.g. `7c5ddbdf54`).
pub fn template_hash(template: &Value) -> String {
    fn mix(h: &mut u32, b: &[u8]) {
        for &x in b {
            *h ^= u32::from(x);
            *h = h.wrapping_mul(0x0100_0193);
        }
    }
    fn feed(h: &mut u32, v: &Value) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                mix(h, b"{");
                for k in keys {
                    mix(h, k.as_bytes());
                    mix(h, b":");
                    feed(h, &m[k]);
                }
                mix(h, b"}");
            }
            Value::Array(a) => {
                mix(h, b"[");
                a.iter().for_each(|x| feed(h, x));
                mix(h, b"]");
            }
            other => mix(h, other.to_string().as_bytes()),
        }
    }
    let mut h = 0x811c_9dc5u32;
    feed(&mut h, template);
    meta::safe_encode(&h.to_string())
}

pub fn replicas(obj: &Value) -> i64 {
    obj["spec"]["replicas"].as_i64().unwrap_or(1).max(0)
}

pub fn owned_by(objs: &[Arc<Value>], owner_uid: &str) -> Vec<Arc<Value>> {
    objs.iter()
        .filter(|o| meta::controller_uid(o) == Some(owner_uid))
        .cloned()
        .collect()
}

pub fn owner_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta::name(owner),
        "uid": meta::uid(owner),
        "controller": true,
        "blockOwnerDeletion": true
    })
}

/// A pod (without name) from a workload's template, owned by `owner`.
pub fn pod_from_template(template: &Value, owner: &Value) -> Value {
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "namespace": meta::namespace(owner),
            "ownerReferences": [owner_ref(owner)]
        },
        "spec": template["spec"].clone()
    });
    for key in ["labels", "annotations"] {
        if let Some(m) = template["metadata"][key].as_object() {
            meta::map_at(&mut pod, &["metadata"]).insert(key.into(), Value::Object(m.clone()));
        }
    }
    pod
}

/// Creates a pod through admission; in `Instant` mode it is running at once.
pub fn create_pod(s: &mut Store, pod: Value, mode: Mode) -> Option<Arc<Value>> {
    let rt = s.registry.get(PODS)?;
    let ns = meta::namespace(&pod).to_string();
    let created = ops::create(s, &rt, &ns, pod, false).ok()?;
    if mode == Mode::Instant {
        return kubelet::start_now(s, &created);
    }
    Some(created)
}

/// Deletes a pod: gracefully when live (it shows as Terminating first).
pub fn delete_pod(s: &mut Store, pod: &Value, mode: Mode) {
    if let Some(rt) = s.registry.get(PODS) {
        let opts = DeleteOptions {
            grace_seconds: (mode == Mode::Instant).then_some(0),
            precondition_uid: Some(meta::uid(pod).to_string()),
            ..Default::default()
        };
        let _ = ops::delete(s, &rt, meta::namespace(pod), meta::name(pod), &opts);
    }
}

pub fn set_replicas(s: &mut Store, gr: &str, obj: &Value, n: i64) {
    ops::mutate(s, gr, meta::namespace(obj), meta::name(obj), |o| {
        meta::map_at(o, &["spec"]).insert("replicas".into(), n.into());
    });
}

pub fn set_status(s: &mut Store, gr: &str, obj: &Value, status: Value) {
    ops::mutate(s, gr, meta::namespace(obj), meta::name(obj), |o| {
        meta::as_map(o).insert("status".into(), status);
    });
}

/// A status condition that keeps its timestamps while nothing about it changes.
pub fn condition(
    previous: &Value,
    kind: &str,
    status: &str,
    reason: &str,
    message: &str,
    with_update_time: bool,
) -> Value {
    let old = previous["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == kind));
    let now = meta::now();
    let same_status = old.is_some_and(|c| c["status"] == status);
    let same_all =
        same_status && old.is_some_and(|c| c["reason"] == reason && c["message"] == message);
    let keep = |field: &str, same: bool| match old {
        Some(c) if same && c[field].is_string() => c[field].clone(),
        _ => Value::String(now.clone()),
    };
    let mut c = json!({
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": keep("lastTransitionTime", same_status),
    });
    if with_update_time {
        c["lastUpdateTime"] = keep("lastUpdateTime", same_all);
    }
    c
}

/// Active pods of `owner` and how many of them are ready.
pub fn pod_counts(pods: &[Arc<Value>], owner_uid: &str) -> (Vec<Arc<Value>>, i64) {
    let active: Vec<Arc<Value>> = owned_by(pods, owner_uid)
        .into_iter()
        .filter(|p| is_active(p))
        .collect();
    let ready = active.iter().filter(|p| is_ready(p)).count() as i64;
    (active, ready)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_sensitive() {
        let a =
            json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "c"}]}});
        let b =
            json!({"spec": {"containers": [{"name": "c"}]}, "metadata": {"labels": {"app": "x"}}});
        assert_eq!(template_hash(&a), template_hash(&b));
        let mut c = a.clone();
        meta::set_annotation(&mut c, "kubectl.kubernetes.io/restartedAt", "now");
        assert_ne!(template_hash(&a), template_hash(&c));
        assert!(template_hash(&a).chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
