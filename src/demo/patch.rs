//! PATCH bodies by content type: JSON merge patch, JSON patch (RFC 6902, with
//! `test`), a strategic merge patch good enough for pod templates (lists of named
//! objects merge by `name`), and server-side apply approximated as a merge.

use serde_json::{Map, Value};

use super::error::ApiError;
use super::resources::ResourceType;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    Apply,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/json-patch+json" => Some(PatchType::Json),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                Some(PatchType::Apply)
            }
            _ => None,
        }
    }
}

/// Parses a patch body; apply bodies are YAML (JSON is a subset).
pub fn parse_body(pt: PatchType, body: &[u8]) -> Result<Value, ApiError> {
    let parsed = if pt == PatchType::Apply {
        let text = std::str::from_utf8(body).map_err(|e| ApiError::bad_request(e.to_string()))?;
        serde_saphyr::from_str::<Value>(text).map_err(|e| e.to_string())
    } else {
        serde_json::from_slice::<Value>(body).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
}

/// Returns `target` with the patch applied.
pub fn apply(
    target: &Value,
    pt: PatchType,
    patch: &Value,
    rt: &ResourceType,
) -> Result<Value, ApiError> {
    let mut doc = target.clone();
    match pt {
        PatchType::Merge => json_patch::merge(&mut doc, patch),
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone())
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            json_patch::patch(&mut doc, &ops).map_err(|_| ApiError::json_patch_failed())?;
        }
        PatchType::Strategic if rt.custom => {
            return Err(ApiError::unsupported_media_type(format!(
                "the body of the request was in an unknown format - accepted media types include: \
                 application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml \
                 (strategic merge patch is not supported for {})",
                rt.group_resource()
            )));
        }
        PatchType::Strategic => strategic_merge(&mut doc, patch),
        PatchType::Apply if rt.custom => json_patch::merge(&mut doc, patch),
        PatchType::Apply => strategic_merge(&mut doc, patch),
    }
    Ok(doc)
}

fn named(v: &Value) -> Option<&str> {
    v.get("name")?.as_str()
}

/// Drops `$`-directives and nulls that a merge would have deleted.
fn clean(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
                .map(|(k, v)| (k.clone(), clean(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(clean).collect()),
        other => other.clone(),
    }
}

/// Merge patch, except that lists whose items all carry a `name` (containers, env,
/// volumes, ports) merge item by item, and `$patch: delete|replace` is honoured.
pub fn strategic_merge(doc: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                *doc = clean(patch);
                return;
            }
            if !doc.is_object() {
                *doc = Value::Object(Map::new());
            }
            let Value::Object(d) = doc else { return };
            for (k, v) in p {
                if k.starts_with('$') {
                    continue;
                }
                if v.is_null() {
                    d.remove(k);
                } else {
                    strategic_merge(d.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        Value::Array(items) if items.iter().all(|i| named(i).is_some()) && doc.is_array() => {
            let Value::Array(d) = doc else { return };
            for item in items {
                let name = named(item).unwrap_or_default();
                let pos = d.iter().position(|x| named(x) == Some(name));
                let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                match (pos, delete) {
                    (Some(i), true) => {
                        d.remove(i);
                    }
                    (Some(i), false) => strategic_merge(&mut d[i], item),
                    (None, true) => {}
                    (None, false) => d.push(clean(item)),
                }
            }
        }
        other => *doc = clean(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::resources::Registry;
    use serde_json::json;

    #[test]
    fn strategic_merges_containers_by_name() {
        let mut doc = json!({"spec": {"containers": [
            {"name": "app", "image": "a:1", "ports": [{"containerPort": 80}]},
            {"name": "side", "image": "s:1"}]}});
        strategic_merge(
            &mut doc,
            &json!({"$setElementOrder/containers": [], "spec": {"containers": [
                {"name": "app", "image": "a:2"}, {"name": "side", "$patch": "delete"}]}}),
        );
        assert_eq!(
            doc,
            json!({"spec": {"containers": [{"name": "app", "image": "a:2", "ports": [{"containerPort": 80}]}]}})
        );
    }

    #[test]
    fn json_patch_test_failure_is_422() {
        let reg = Registry::default();
        let rt = reg.get("configmaps").unwrap();
        let doc = json!({"metadata": {"resourceVersion": "5"}});
        let p = json!([{"op": "test", "path": "/metadata/resourceVersion", "value": "4"},
                       {"op": "add", "path": "/data", "value": {}}]);
        let err = apply(&doc, PatchType::Json, &p, &rt).unwrap_err();
        assert_eq!(err.code, 422);
        // Word for word what kube-apiserver 1.20 answers.
        assert_eq!(
            err.message,
            "the server rejected our request due to an error in our request"
        );
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchType::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchType::Merge)
        );
        assert_eq!(PatchType::from_content_type("application/json"), None);
    }
}
