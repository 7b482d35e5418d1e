//! Creates objects on an API server: kind by kind (in order of first appearance, so
//! namespaces and owners exist before what needs them), each kind with bounded
//! concurrency, then the status of the kinds whose status the server keeps apart.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use serde_json::{Value, json};

/// Kinds whose `status` a create ignores and the status subresource writes.
const STATUS_KINDS: [&str; 5] = ["Pod", "Deployment", "ReplicaSet", "Gateway", "HTTPRoute"];
/// Errors reported before `load` gives up.
const MAX_ERRORS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadReport {
    /// Objects created.
    pub created: usize,
    /// Statuses written through the status subresource.
    pub statuses: usize,
    pub elapsed: Duration,
}

/// `(kind, namespace, name)` → the uid the server gave it.
type Uids = Mutex<HashMap<(String, String, String), String>>;

fn str_at<'a>(o: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .fold(o, |v, k| &v[*k])
        .as_str()
        .unwrap_or_default()
}

/// The API of an object's kind, in its namespace when it has one.
pub fn api_for(client: &kube::Client, obj: &Value) -> Result<Api<DynamicObject>, String> {
    let api_version = str_at(obj, &["apiVersion"]);
    let kind = str_at(obj, &["kind"]);
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    if version.is_empty() || kind.is_empty() {
        return Err(format!("an object without apiVersion or kind: {obj}"));
    }
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    Ok(match str_at(obj, &["metadata", "namespace"]) {
        "" => Api::all_with(client.clone(), &ar),
        ns => Api::namespaced_with(client.clone(), ns, &ar),
    })
}

/// "Pod scale-0001/web-x": how errors name an object.
pub fn describe(obj: &Value) -> String {
    let ns = str_at(obj, &["metadata", "namespace"]);
    let name = str_at(obj, &["metadata", "name"]);
    let kind = str_at(obj, &["kind"]);
    if ns.is_empty() {
        format!("{kind} {name}")
    } else {
        format!("{kind} {ns}/{name}")
    }
}

/// Points owner references at the uids of owners created earlier in this load.
fn with_owner_uids(obj: &Value, uids: &Uids) -> Value {
    let mut obj = obj.clone();
    let ns = str_at(&obj, &["metadata", "namespace"]).to_string();
    let uids = uids.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(refs) = obj["metadata"]["ownerReferences"].as_array_mut() {
        for r in refs {
            let key = (
                str_at(r, &["kind"]).to_string(),
                ns.clone(),
                str_at(r, &["name"]).to_string(),
            );
            if let Some(uid) = uids.get(&key) {
                r["uid"] = uid.clone().into();
            }
        }
    }
    obj
}

/// Creates one object, then writes its status when its kind keeps it apart. Returns
/// whether a status was written.
pub async fn create(
    client: &kube::Client,
    obj: &Value,
    uids: Option<&Uids>,
) -> Result<bool, String> {
    let what = || describe(obj);
    let api = api_for(client, obj)?;
    let body = match uids {
        Some(uids) => with_owner_uids(obj, uids),
        None => obj.clone(),
    };
    let dynamic: DynamicObject =
        serde_json::from_value(body).map_err(|e| format!("{}: {e}", what()))?;
    let created = api
        .create(&PostParams::default(), &dynamic)
        .await
        .map_err(|e| format!("create {}: {e}", what()))?;
    if let (Some(uids), Some(uid)) = (uids, created.metadata.uid) {
        let key = (
            str_at(obj, &["kind"]).to_string(),
            str_at(obj, &["metadata", "namespace"]).to_string(),
            str_at(obj, &["metadata", "name"]).to_string(),
        );
        uids.lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, uid);
    }
    let status = &obj["status"];
    let kind = str_at(obj, &["kind"]);
    if !STATUS_KINDS.contains(&kind) || status.as_object().is_none_or(|s| s.is_empty()) {
        return Ok(false);
    }
    let name = str_at(obj, &["metadata", "name"]);
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": status})),
    )
    .await
    .map_err(|e| format!("status of {}: {e}", what()))?;
    Ok(true)
}

/// Kinds in order of first appearance, each with its objects in order.
fn waves(objects: &[Value]) -> Vec<Vec<&Value>> {
    let mut order: Vec<(&str, &str)> = Vec::new();
    let mut groups: Vec<Vec<&Value>> = Vec::new();
    for o in objects {
        let key = (str_at(o, &["apiVersion"]), str_at(o, &["kind"]));
        match order.iter().position(|k| *k == key) {
            Some(i) => groups[i].push(o),
            None => {
                order.push(key);
                groups.push(vec![o]);
            }
        }
    }
    groups
}

/// POSTs each object (at most `concurrency` at once; a kind starts when the previous one
/// is done), then its status through the status subresource. Owner references are
/// pointed at the uids of owners created earlier in the same load. Gives up after the
/// first errors, naming each object.
pub async fn load(
    client: &kube::Client,
    objects: &[Value],
    concurrency: usize,
) -> Result<LoadReport, String> {
    let started = Instant::now();
    let uids = Uids::default();
    let mut report = LoadReport {
        created: 0,
        statuses: 0,
        elapsed: Duration::ZERO,
    };
    let mut errors = Vec::new();
    for wave in waves(objects) {
        let mut results = stream::iter(wave)
            .map(|o| create(client, o, Some(&uids)))
            .buffer_unordered(concurrency.max(1));
        while let Some(result) = results.next().await {
            match result {
                Ok(status) => {
                    report.created += 1;
                    report.statuses += usize::from(status);
                }
                Err(e) => errors.push(e),
            }
            if errors.len() >= MAX_ERRORS {
                break;
            }
        }
        if !errors.is_empty() {
            return Err(format!(
                "{} created, then {} error(s):\n{}",
                report.created,
                errors.len(),
                errors.join("\n")
            ));
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}
