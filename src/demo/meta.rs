//! Small helpers over objects held as `serde_json::Value`. Every mutable accessor
//! coerces non-objects instead of panicking, because objects come from requests.

use serde_json::{Map, Value};

pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

pub fn name(v: &Value) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

pub fn namespace(v: &Value) -> &str {
    str_at(v, &["metadata", "namespace"]).unwrap_or("")
}

pub fn uid(v: &Value) -> &str {
    str_at(v, &["metadata", "uid"]).unwrap_or("")
}

pub fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get("metadata")?.get("labels")?.get(key)?.as_str()
}

pub fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get("metadata")?.get("annotations")?.get(key)?.as_str()
}

pub fn resource_version(v: &Value) -> Option<&str> {
    str_at(v, &["metadata", "resourceVersion"]).filter(|s| !s.is_empty())
}

pub fn is_terminating(v: &Value) -> bool {
    v["metadata"]["deletionTimestamp"].is_string()
}

/// UID of the owner with `controller: true`, if any.
pub fn controller_uid(v: &Value) -> Option<&str> {
    v["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|o| o["controller"].as_bool() == Some(true))?["uid"]
        .as_str()
}

pub fn owner_uids(v: &Value) -> impl Iterator<Item = &str> {
    v["metadata"]["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|o| o["uid"].as_str())
}

/// Turns `v` into an object if it is not one and returns its map.
pub fn as_map(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// Child `key` of `v` (created as null when absent), coercing `v` into an object.
pub fn child<'a>(v: &'a mut Value, key: &str) -> &'a mut Value {
    as_map(v).entry(key.to_string()).or_insert(Value::Null)
}

/// Object at `path`, creating (or replacing non-object) intermediate levels.
pub fn map_at<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Map<String, Value> {
    let target = path.iter().fold(v, |v, k| child(v, k));
    as_map(target)
}

pub fn set_label(v: &mut Value, key: &str, value: &str) {
    map_at(v, &["metadata", "labels"]).insert(key.into(), value.into());
}

pub fn set_annotation(v: &mut Value, key: &str, value: &str) {
    map_at(v, &["metadata", "annotations"]).insert(key.into(), value.into());
}

pub fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_i64()
}

/// Now, RFC 3339 with second precision like Kubernetes timestamps.
pub fn now() -> String {
    timestamp_from_now(0)
}

/// `now + seconds` (negative for the past), RFC 3339 with second precision.
pub fn timestamp_from_now(seconds: i64) -> String {
    let s = jiff::Timestamp::now().as_second().saturating_add(seconds);
    jiff::Timestamp::from_second(s)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Random version-4 style UID.
pub fn new_uid() -> String {
    let h = format!("{:032x}", fastrand::u128(..));
    format!(
        "{}-{}-4{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Characters Kubernetes uses for generated names (no vowels, no confusable digits).
const SAFE_CHARS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub fn random_suffix(len: usize) -> String {
    (0..len)
        .map(|_| SAFE_CHARS[fastrand::usize(..SAFE_CHARS.len())] as char)
        .collect()
}

/// Kubernetes' `rand.SafeEncodeString`: maps each byte into the safe alphabet.
pub fn safe_encode(s: &str) -> String {
    s.bytes()
        .map(|b| SAFE_CHARS[b as usize % SAFE_CHARS.len()] as char)
        .collect()
}

/// A pod whose Ready condition is True.
pub fn is_ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// Counts toward a controller's replicas: not terminating, not finished.
pub fn is_active(pod: &Value) -> bool {
    let phase = pod["status"]["phase"].as_str().unwrap_or_default();
    !is_terminating(pod) && phase != "Succeeded" && phase != "Failed"
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accessors_tolerate_odd_shapes() {
        let mut v = json!({"metadata": "oops"});
        assert_eq!(name(&v), "");
        set_label(&mut v, "a", "b");
        assert_eq!(label(&v, "a"), Some("b"));
    }

    #[test]
    fn timestamps_have_second_precision() {
        let t = now();
        assert_eq!(t.len(), 20, "{t}");
        assert!(t.ends_with('Z'));
    }

    #[test]
    fn uid_shape() {
        let u = new_uid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
    }
}
