//! The `scale` subresource (`kubectl scale`): an autoscaling/v1 Scale view of
//! `spec.replicas`, with the object's resourceVersion as precondition.

use std::sync::Arc;

use serde_json::{Value, json};

use super::error::ApiError;
use super::meta;
use super::ops::{self, Part};
use super::patch::{self, PatchType};
use super::resources::ResourceType;
use super::store::Store;

fn selector_string(obj: &Value) -> String {
    let sel = &obj["spec"]["selector"];
    let source = if sel["matchLabels"].is_object() {
        &sel["matchLabels"]
    } else {
        sel
    };
    let mut parts: Vec<String> = source
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
        .collect();
    parts.sort();
    parts.join(",")
}

pub fn to_scale(obj: &Value) -> Value {
    let m = &obj["metadata"];
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m["name"], "namespace": m["namespace"], "uid": m["uid"],
            "resourceVersion": m["resourceVersion"], "creationTimestamp": m["creationTimestamp"]
        },
        "spec": {"replicas": obj["spec"]["replicas"].as_i64().unwrap_or(1)},
        "status": {"replicas": obj["status"]["replicas"].as_i64().unwrap_or(0), "selector": selector_string(obj)}
    })
}

pub fn get(s: &Store, rt: &ResourceType, ns: &str, name: &str) -> Result<Value, ApiError> {
    Ok(to_scale(&*ops::get(s, rt, ns, name)?))
}

pub fn update(
    s: &mut Store,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    scale: &Value,
    dry_run: bool,
) -> Result<Value, ApiError> {
    let cur: Arc<Value> = ops::get(s, rt, ns, name)?;
    if let Some(rv) = meta::resource_version(scale)
        && Some(rv) != meta::resource_version(&cur)
    {
        return Err(ApiError::conflict(rt, name));
    }
    let replicas = scale["spec"]["replicas"]
        .as_i64()
        .filter(|r| *r >= 0)
        .ok_or_else(|| {
            ApiError::invalid(
                rt,
                name,
                "spec.replicas: Invalid value: must be greater than or equal to 0",
            )
        })?;
    let mut new = (*cur).clone();
    meta::map_at(&mut new, &["spec"]).insert("replicas".into(), replicas.into());
    let stored = ops::commit_update(s, rt, &cur, new, Part::Main, dry_run)?;
    Ok(to_scale(&stored))
}

pub fn patch(
    s: &mut Store,
    rt: &ResourceType,
    ns: &str,
    name: &str,
    pt: PatchType,
    body: &[u8],
    dry_run: bool,
) -> Result<Value, ApiError> {
    let current = get(s, rt, ns, name)?;
    let doc = patch::parse_body(pt, body)?;
    let patched = patch::apply(&current, pt, &doc, rt)?;
    update(s, rt, ns, name, &patched, dry_run)
}
