//! Multi-document YAML parsing and preparing CRDs for the test apiserver: what 1.20 rejects
//! in today's CRDs, and the status subresource the project's own CRDs leave out.

use serde_json::Value;

/// Parses a multi-document YAML stream into JSON values (empty documents are
/// skipped). Panics with `origin` in the message on a parse error.
pub fn parse_yaml_documents(text: &str, origin: &str) -> Vec<Value> {
    // The CRD bundles are big and deeply nested: lift the parser's budget.
    let options = serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: usize::MAX,
            max_depth: 10_000,
            max_nodes: usize::MAX,
            max_documents: 100_000,
        },
    };
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .unwrap_or_else(|e| panic!("cannot parse YAML from {origin}: {e}"));
    docs.into_iter().filter(|d| !d.is_null()).collect()
}

/// Gives each version of a CRD that declares no subresources but may hold a `status` (a
/// `status` property, or an object that keeps unknown fields) the `status` subresource, as
/// the CRDs of a real installation have: the tests write statuses the way controllers do,
/// through `…/status`. The project's own CRDs (`assets/demo/00-crds.yaml`) leave it out, the
/// demo server not needing it; upstream CRDs already have it where they have a status.
pub fn ensure_status_subresource(crd: &mut Value) {
    let Some(versions) = crd
        .pointer_mut("/spec/versions")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for version in versions {
        let Some(version) = version.as_object_mut() else {
            continue;
        };
        let schema = version.get("schema").and_then(|s| s.get("openAPIV3Schema"));
        let may_have_status = schema.is_some_and(|s| {
            s.pointer("/properties/status").is_some()
                || s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        });
        if may_have_status && !version.contains_key("subresources") {
            version.insert("subresources".into(), serde_json::json!({"status": {}}));
        }
    }
}

/// Removes from a CRD (as JSON) what a Kubernetes 1.20 apiserver rejects or
/// does not understand:
///
/// * `x-kubernetes-validations` (CEL validation rules, 1.25+) anywhere in the
///   schemas;
/// * `selectableFields` on versions (1.30+);
/// * `default: ""`: 1.20 decodes an empty-string default as `null` and then
///   rejects it ("must be of type string: \"null\""); where such a property is
///   a list-map key, it is made `required` instead (1.20 wants a default or
///   `required` for those).
pub fn sanitize_crd_for_1_20(crd: &mut Value) {
    let Some(versions) = crd
        .pointer_mut("/spec/versions")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for version in versions {
        let Some(version) = version.as_object_mut() else {
            continue;
        };
        version.remove("selectableFields");
        if let Some(schema) = version
            .get_mut("schema")
            .and_then(|s| s.get_mut("openAPIV3Schema"))
        {
            sanitize_schema(schema);
        }
    }
}

/// Recursively cleans one JSONSchemaProps node (schema keywords only: the keys
/// of `properties` are field names and are left alone).
fn sanitize_schema(schema: &mut Value) {
    sanitize_schema_node(schema);
}

/// Returns whether an empty-string default was removed from this node.
///
/// 1.20 requires the properties named in a list's `x-kubernetes-list-map-keys`
/// to be `required` or to have a (non-null) default; when such a key loses its
/// `default: ""`, it is made `required` instead (e.g. cert-manager's
/// `imagePullSecrets[].name`).
fn sanitize_schema_node(schema: &mut Value) -> bool {
    let Some(obj) = schema.as_object_mut() else {
        return false;
    };
    obj.remove("x-kubernetes-validations");
    let mut dropped_empty_default = false;
    if obj.get("default").is_some_and(|d| d.as_str() == Some("")) {
        obj.remove("default");
        dropped_empty_default = true;
    }
    let list_map_keys: Vec<String> = obj
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for key in [
        "properties",
        "patternProperties",
        "definitions",
        "dependencies",
    ] {
        if let Some(map) = obj.get_mut(key).and_then(Value::as_object_mut) {
            for sub in map.values_mut() {
                sanitize_schema_node(sub);
            }
        }
    }
    match obj.get_mut("items") {
        Some(Value::Array(list)) => list.iter_mut().for_each(sanitize_schema),
        Some(items @ Value::Object(_)) => {
            // Sanitize the item's properties here, to know the list-map keys.
            let props = items
                .as_object_mut()
                .and_then(|item| item.remove("properties"));
            sanitize_schema_node(items);
            if let (Some(mut props), Some(item)) = (props, items.as_object_mut()) {
                let mut now_required = Vec::new();
                if let Some(props) = props.as_object_mut() {
                    for (name, sub) in props.iter_mut() {
                        if sanitize_schema_node(sub) && list_map_keys.contains(name) {
                            now_required.push(name.clone());
                        }
                    }
                }
                item.insert("properties".into(), props);
                if !now_required.is_empty() {
                    let required = item
                        .entry("required")
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Some(required) = required.as_array_mut() {
                        for name in now_required {
                            if !required.iter().any(|r| r.as_str() == Some(&name)) {
                                required.push(Value::String(name));
                            }
                        }
                    }
                }
            }
        }
        _ => {}
    }
    for key in ["additionalProperties", "additionalItems", "not"] {
        match obj.get_mut(key) {
            Some(Value::Array(list)) => list.iter_mut().for_each(sanitize_schema),
            Some(sub @ Value::Object(_)) => sanitize_schema(sub),
            _ => {}
        }
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(list) = obj.get_mut(key).and_then(Value::as_array_mut) {
            list.iter_mut().for_each(sanitize_schema);
        }
    }
    dropped_empty_default
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_status_subresource_is_added_only_where_a_status_can_be_and_none_is_declared() {
        let mut crd = json!({"spec": {"versions": [
            {"name": "open", "schema": {"openAPIV3Schema": {"type": "object",
                "x-kubernetes-preserve-unknown-fields": true}}},
            {"name": "typed", "schema": {"openAPIV3Schema": {"properties": {"status": {}}}}},
            {"name": "statusless", "schema": {"openAPIV3Schema": {"properties": {"spec": {}}}}},
            {"name": "declared", "subresources": {"scale": {}},
                "schema": {"openAPIV3Schema": {"properties": {"status": {}}}}},
        ]}});
        ensure_status_subresource(&mut crd);
        let subresources: Vec<&Value> = crd["spec"]["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| &v["subresources"])
            .collect();
        assert_eq!(
            subresources,
            [
                &json!({"status": {}}),
                &json!({"status": {}}),
                &Value::Null,
                &json!({"scale": {}}),
            ]
        );
    }
}
