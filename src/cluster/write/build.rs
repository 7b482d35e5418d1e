//! Builders for guarded write requests, and the inverse of a write (undo).

use json_patch::{Patch, PatchOperation};
use serde_json::{Map, Value, json};

use super::{PatchBody, RESTARTED_AT, RV_POINTER, Target, WriteRequest};

/// A merge patch with `metadata.resourceVersion` set, so the server answers 409 if the
/// object changed since `resource_version`. A non-object `patch` becomes `{}`.
pub fn guarded_merge_patch(
    target: Target,
    resource_version: &str,
    mut patch: Value,
    verb: &'static str,
    summary: String,
) -> WriteRequest {
    if !patch.is_object() {
        patch = json!({});
    }
    let meta = patch
        .as_object_mut()
        .map(|p| p.entry("metadata").or_insert_with(|| json!({})));
    if let Some(meta) = meta {
        if !meta.is_object() {
            *meta = json!({});
        }
        meta["resourceVersion"] = resource_version.into();
    }
    WriteRequest {
        target,
        patch: PatchBody::Merge(patch),
        verb,
        summary,
    }
}

/// A JSON patch whose first op tests `/metadata/resourceVersion` (replacing any
/// resourceVersion test the caller put first), so a changed object fails the whole patch.
pub fn guarded_json_patch(
    target: Target,
    resource_version: &str,
    ops: Vec<PatchOperation>,
    verb: &'static str,
    summary: String,
) -> WriteRequest {
    let mut all = vec![rv_test(resource_version)];
    all.extend(ops.into_iter().filter(|op| !is_rv_test(op)));
    WriteRequest {
        target,
        patch: PatchBody::Json(Patch(all)),
        verb,
        summary,
    }
}

fn rv_test(resource_version: &str) -> PatchOperation {
    serde_json::from_value(json!({"op": "test", "path": RV_POINTER, "value": resource_version}))
        .expect("a test op is a valid patch operation")
}

fn is_rv_test(op: &PatchOperation) -> bool {
    matches!(op, PatchOperation::Test(t) if t.path.as_str() == RV_POINTER)
}

/// What `kubectl rollout restart` does to a Deployment, StatefulSet or DaemonSet: set the
/// pod-template annotation `kubectl.kubernetes.io/restartedAt`.
///
/// kubectl writes `time.Now().Format(time.RFC3339)`, i.e. whole seconds with the local
/// offset (`2024-05-01T14:03:07+02:00`). We write the same RFC 3339 shape in UTC
/// (`2024-05-01T12:03:07Z`, which is also what kubectl writes on a machine in UTC), so the
/// value does not depend on the operator's time zone.
pub fn rollout_restart(
    target: Target,
    resource_version: &str,
    now: jiff::Timestamp,
) -> WriteRequest {
    let at = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let patch = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}});
    let summary = format!("rollout restart {}", target.display());
    guarded_merge_patch(target, resource_version, patch, "rollout-restart", summary)
}

/// Where a rule's backend list lives in each route kind's spec.
fn backends_pointer(target: &Target, rule: usize) -> String {
    if target.kind == "VirtualService" {
        format!("/spec/http/{rule}/route")
    } else {
        format!("/spec/rules/{rule}/backendRefs")
    }
}

/// New weights for backends of one rule, as a JSON patch: after the resourceVersion test,
/// each named backend is tested to still be the one the user saw (Gateway API), then its
/// weight is set (`add` sets an omitted weight as well as an existing one).
/// `changes` is `(backend index, name to test, new weight)`.
pub fn set_weights(
    target: Target,
    resource_version: &str,
    rule: usize,
    changes: &[(usize, Option<String>, i64)],
) -> WriteRequest {
    let base = backends_pointer(&target, rule);
    let mut ops = Vec::new();
    let mut words = Vec::new();
    for (i, name, weight) in changes {
        if let Some(name) = name {
            ops.push(json!({"op": "test", "path": format!("{base}/{i}/name"), "value": name}));
        }
        ops.push(json!({"op": "add", "path": format!("{base}/{i}/weight"), "value": weight}));
        words.push(format!("#{}={weight}", i + 1));
    }
    let ops = ops
        .into_iter()
        .map(|op| serde_json::from_value(op).expect("test/add ops are valid patch operations"))
        .collect();
    let summary = format!(
        "set weights {} rule {}: {}",
        target.display(),
        rule + 1,
        words.join(" ")
    );
    guarded_json_patch(target, resource_version, ops, "set-weights", summary)
}

/// Sets and removes namespace labels in one merge patch (a removed label is `null`).
/// A key in both lists is set: removing first and setting after is what the user means.
pub fn set_namespace_labels(
    name: &str,
    resource_version: &str,
    set: &[(String, String)],
    remove: &[String],
) -> WriteRequest {
    let mut labels = Map::new();
    for key in remove {
        labels.insert(key.clone(), Value::Null);
    }
    for (key, value) in set {
        labels.insert(key.clone(), value.clone().into());
    }
    let target = Target::namespace(name);
    let changes: Vec<String> = set
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .chain(
            remove
                .iter()
                .filter(|k| !set.iter().any(|(s, _)| s == *k))
                .map(|k| format!("{k}-")),
        )
        .collect();
    let summary = format!("label {}: {}", target.display(), changes.join(" "));
    let patch = json!({"metadata": {"labels": labels}});
    guarded_merge_patch(target, resource_version, patch, "label-namespace", summary)
}

/// Sets (or, with `None`, removes) one pod-template label of a workload. Changing the
/// template rolls the workload like a restart does.
pub fn set_template_label(
    target: Target,
    resource_version: &str,
    key: &str,
    value: Option<&str>,
) -> WriteRequest {
    let change = match value {
        Some(v) => format!("{key}={v}"),
        None => format!("{key}-"),
    };
    let summary = format!("label {} pod template: {change}", target.display());
    let patch = json!({"spec": {"template": {"metadata": {"labels": {key: value}}}}});
    guarded_merge_patch(target, resource_version, patch, "label-template", summary)
}

/// The write that reverts `req`: every field `req` touched goes back to its value in
/// `before` (the object the write was made against), or away if it was absent. Guarded
/// by `after_resource_version`, so the undo refuses (Conflict) if anything changed the
/// object after the write.
pub fn undo_of(
    req: &WriteRequest,
    before: &Value,
    after_resource_version: &str,
) -> Result<WriteRequest, String> {
    let before_rv = before.pointer(RV_POINTER).and_then(Value::as_str);
    if before_rv != req.patch.precondition() {
        return Err(format!(
            "cannot undo {}: the saved object has resourceVersion {:?}, the write expected {:?}",
            req.target.display(),
            before_rv.unwrap_or_default(),
            req.patch.precondition().unwrap_or_default()
        ));
    }
    let summary = format!("undo: {}", req.summary);
    let target = req.target.clone();
    Ok(match &req.patch {
        PatchBody::Merge(patch) => {
            let inverse = merge_inverse(patch, Some(before));
            guarded_merge_patch(target, after_resource_version, inverse, "undo", summary)
        }
        PatchBody::Json(patch) => {
            let inverse = json_inverse(patch, before)?;
            guarded_json_patch(target, after_resource_version, inverse, "undo", summary)
        }
    })
}

/// Mirrors `patch` with each leaf replaced by the old value (null where there was none).
fn merge_inverse(patch: &Value, before: Option<&Value>) -> Value {
    match (patch, before) {
        (Value::Object(p), Some(Value::Object(b))) => Value::Object(
            p.iter()
                .map(|(k, v)| (k.clone(), merge_inverse(v, b.get(k))))
                .collect(),
        ),
        (_, Some(old)) => old.clone(),
        (_, None) => Value::Null,
    }
}

/// Replays `patch` on `before` op by op, recording each op's inverse against the state it
/// met; the inverses run in reverse order. `test` ops are dropped (the undo has its own
/// resourceVersion test); `move`/`copy` are never built here and are refused.
fn json_inverse(patch: &Patch, before: &Value) -> Result<Vec<PatchOperation>, String> {
    let mut doc = before.clone();
    let mut inverse = Vec::new();
    for op in patch.iter() {
        let path = op.path().as_str();
        let old = doc.pointer(path).cloned();
        let undo = match op {
            PatchOperation::Test(_) => continue,
            PatchOperation::Add(_) => match (array_index(&doc, path), old) {
                (Some(at), _) => json!({"op": "remove", "path": at}),
                (None, Some(old)) => json!({"op": "replace", "path": path, "value": old}),
                (None, None) => json!({"op": "remove", "path": path}),
            },
            PatchOperation::Remove(_) | PatchOperation::Replace(_) => {
                let old = old.ok_or_else(|| format!("cannot undo: {path} did not exist"))?;
                let op = if matches!(op, PatchOperation::Remove(_)) {
                    "add"
                } else {
                    "replace"
                };
                json!({"op": op, "path": path, "value": old})
            }
            PatchOperation::Move(_) | PatchOperation::Copy(_) => {
                return Err("cannot undo a JSON patch with move or copy".into());
            }
        };
        json_patch::patch(&mut doc, std::slice::from_ref(op)).map_err(|e| {
            format!("cannot undo: the patch does not apply to the saved object: {e}")
        })?;
        inverse.push(serde_json::from_value(undo).map_err(|e| e.to_string())?);
    }
    inverse.reverse();
    Ok(inverse)
}

/// For an `add` into an array: the concrete index pointer it inserts at (`-` = the end).
fn array_index(doc: &Value, path: &str) -> Option<String> {
    let (parent, last) = path.rsplit_once('/')?;
    let len = doc.pointer(parent)?.as_array()?.len();
    let index = if last == "-" { len } else { last.parse().ok()? };
    Some(format!("{parent}/{index}"))
}

#[cfg(test)]
#[path = "build_tests.rs"]
mod tests;
