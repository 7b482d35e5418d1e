//! Loads YAML manifests into the store as a cluster that already exists: CRDs first
//! (they register kinds), then namespaces, then everything else. Strict on purpose:
//! a wrong manifest is reported with its file, rather than silently dropped.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::error::DemoError;
use super::meta;
use super::ops;
use super::store::Store;

/// Sets `creationTimestamp` to now minus the value ("3d", "5h30m", "90s").
pub const AGE_ANNOTATION: &str = "demo.meshctl.dev/age";
const STANDARD_NAMESPACES: [&str; 4] = ["default", "kube-system", "kube-public", "kube-node-lease"];
const CRDS: &str = "customresourcedefinitions.apiextensions.k8s.io";

struct Doc {
    file: String,
    obj: Value,
}

impl Doc {
    fn fail(&self, message: impl Into<String>) -> DemoError {
        let kind = self.obj["kind"].as_str().unwrap_or("?");
        let ns = meta::namespace(&self.obj);
        let object = if ns.is_empty() {
            format!("{kind} {}", meta::name(&self.obj))
        } else {
            format!("{kind} {ns}/{}", meta::name(&self.obj))
        };
        DemoError::Object {
            file: self.file.clone(),
            object,
            message: message.into(),
        }
    }
}

fn parse(files: &[(String, &str)]) -> Result<Vec<Doc>, DemoError> {
    let mut docs = Vec::new();
    for (file, text) in files {
        let values: Vec<Value> =
            serde_saphyr::from_multiple(text).map_err(|e| DemoError::Yaml {
                file: file.clone(),
                message: e.to_string(),
            })?;
        for v in values {
            match v {
                Value::Null => {}
                Value::Object(_) if v["kind"] == "List" => {
                    for item in v["items"].as_array().into_iter().flatten() {
                        docs.push(Doc {
                            file: file.clone(),
                            obj: item.clone(),
                        });
                    }
                }
                Value::Object(_) => docs.push(Doc {
                    file: file.clone(),
                    obj: v,
                }),
                _ => {
                    return Err(DemoError::Yaml {
                        file: file.clone(),
                        message: "a document is not a mapping".into(),
                    });
                }
            }
        }
    }
    Ok(docs)
}

/// "2d4h", "90s", "1h30m" → seconds.
fn parse_age(text: &str) -> Option<i64> {
    let (mut total, mut num) = (0i64, String::new());
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            'd' => 86_400,
            'h' => 3_600,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total += num.parse::<i64>().ok()? * unit;
        num.clear();
    }
    num.is_empty().then_some(total)
}

fn insert(s: &mut Store, doc: Doc) -> Result<(), DemoError> {
    let api_version = doc.obj["apiVersion"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let kind = doc.obj["kind"].as_str().unwrap_or_default().to_string();
    let rt = s.registry.by_kind(&api_version, &kind).ok_or_else(|| {
        doc.fail(format!(
            "no kind {kind:?} is served for apiVersion {api_version:?} (is its CustomResourceDefinition in the assets?)"
        ))
    })?;
    let name = meta::name(&doc.obj).to_string();
    if name.is_empty() {
        return Err(doc.fail("metadata.name is required"));
    }
    let mut obj = doc.obj.clone();
    let ns = if rt.namespaced {
        let ns = match meta::namespace(&obj) {
            "" => "default".to_string(),
            ns => ns.to_string(),
        };
        if s.get("namespaces", "", &ns).is_none() {
            return Err(doc.fail(format!("namespace {ns:?} is not defined in the assets")));
        }
        ns
    } else {
        String::new()
    };
    if s.get(&rt.group_resource(), &ns, &name).is_some() {
        return Err(doc.fail("defined twice"));
    }
    let age = meta::annotation(&obj, AGE_ANNOTATION).map(|a| (a.to_string(), parse_age(a)));
    let created = match age {
        Some((_, Some(secs))) => meta::timestamp_from_now(-secs),
        Some((a, None)) => {
            return Err(doc.fail(format!(
                "{AGE_ANNOTATION}: cannot parse {a:?} (use e.g. 3d, 5h30m)"
            )));
        }
        None => meta::str_at(&obj, &["metadata", "creationTimestamp"])
            .map(String::from)
            .unwrap_or_else(meta::now),
    };
    let o = meta::as_map(&mut obj);
    o.insert("apiVersion".into(), rt.storage_api_version().into());
    let m = meta::map_at(&mut obj, &["metadata"]);
    if rt.namespaced {
        m.insert("namespace".into(), ns.into());
    } else {
        m.remove("namespace");
    }
    m.entry("uid").or_insert_with(|| meta::new_uid().into());
    m.insert("creationTimestamp".into(), created.into());
    if rt.tracks_generation {
        m.entry("generation").or_insert(1.into());
    }
    m.remove("resourceVersion");
    match rt.group_resource().as_str() {
        "namespaces" => {
            meta::set_label(&mut obj, "kubernetes.io/metadata.name", &name);
            meta::map_at(&mut obj, &["status"])
                .entry("phase")
                .or_insert("Active".into());
        }
        "secrets" => ops::normalize_secret(&mut obj),
        CRDS => {
            s.registry.register_crd(&obj).map_err(|e| doc.fail(e))?;
            if obj["status"]["conditions"].is_null() {
                ops::crd_status(&mut obj);
            }
        }
        _ => {}
    }
    s.insert(&rt.group_resource(), obj);
    Ok(())
}

/// Points `ownerReferences` written by name at the owners' generated uids.
fn link_owners(s: &mut Store) {
    let mut uids: HashMap<(String, String, String), String> = HashMap::new();
    for rt in s.registry.all() {
        for o in s.list(&rt.group_resource(), None) {
            let k = (
                rt.kind.clone(),
                meta::namespace(o).to_string(),
                meta::name(o).to_string(),
            );
            uids.insert(k, meta::uid(o).to_string());
        }
    }
    let grs: Vec<String> = s.registry.all().map(|rt| rt.group_resource()).collect();
    for gr in grs {
        for o in s.snapshot(&gr, None) {
            if o["metadata"]["ownerReferences"]
                .as_array()
                .is_none_or(Vec::is_empty)
            {
                continue;
            }
            let ns = meta::namespace(&o).to_string();
            ops::mutate(s, &gr, &ns, meta::name(&o), |o| {
                let refs = o["metadata"]["ownerReferences"].as_array_mut();
                for r in refs.into_iter().flatten() {
                    let kind = r["kind"].as_str().unwrap_or_default().to_string();
                    let name = r["name"].as_str().unwrap_or_default().to_string();
                    let uid = uids
                        .get(&(kind.clone(), ns.clone(), name.clone()))
                        .or_else(|| uids.get(&(kind, String::new(), name)));
                    if let Some(uid) = uid {
                        meta::as_map(r).insert("uid".into(), uid.clone().into());
                    }
                }
            });
        }
    }
}

/// A cluster always has nodes; three stand-ins when the assets define none.
fn ensure_nodes(s: &mut Store) {
    if s.list("nodes", None).next().is_some() {
        return;
    }
    for i in 1..=3 {
        let name = format!("meshctl-demo-node-{i}");
        let node = json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "uid": meta::new_uid(), "creationTimestamp": meta::timestamp_from_now(-30 * 86_400),
                "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
                           "topology.kubernetes.io/zone": format!("zone-{i}")}},
            "spec": {"podCIDR": format!("10.244.{}.0/24", i - 1)},
            "status": {
                "addresses": [{"type": "InternalIP", "address": format!("10.224.0.{}", i + 3)}, {"type": "Hostname", "address": name}],
                "capacity": {"cpu": "4", "memory": "16374584Ki", "pods": "110"},
                "allocatable": {"cpu": "3860m", "memory": "12880696Ki", "pods": "110"},
                "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                    "message": "kubelet is posting ready status", "lastHeartbeatTime": meta::now(),
                    "lastTransitionTime": meta::timestamp_from_now(-30 * 86_400)}],
                "nodeInfo": {"kubeletVersion": "v1.33.0", "containerRuntimeVersion": "containerd://1.7.27",
                    "osImage": "Ubuntu 22.04.5 LTS", "kernelVersion": "5.15.0-1079-azure",
                    "operatingSystem": "linux", "architecture": "amd64"}
            }
        });
        s.insert("nodes", node);
    }
}

/// Where objects given as JSON (not from a file) are said to come from.
const GENERATED: &str = "(synthetic objects)";

/// Loads `(file name, YAML text)` pairs, then `extra` objects, into an empty store.
pub fn load(s: &mut Store, files: &[(String, &str)], extra: Vec<Value>) -> Result<(), DemoError> {
    let mut docs = parse(files)?;
    docs.extend(extra.into_iter().map(|obj| Doc {
        file: GENERATED.into(),
        obj,
    }));
    let is = |d: &Doc, kind: &str| d.obj["kind"] == kind;
    let (crds, rest): (Vec<Doc>, Vec<Doc>) = docs
        .into_iter()
        .partition(|d| is(d, "CustomResourceDefinition"));
    let (namespaces, rest): (Vec<Doc>, Vec<Doc>) =
        rest.into_iter().partition(|d| is(d, "Namespace"));
    for doc in crds.into_iter().chain(namespaces) {
        insert(s, doc)?;
    }
    for ns in STANDARD_NAMESPACES {
        if s.get("namespaces", "", ns).is_none() {
            let doc = Doc {
                file: "(built-in)".into(),
                obj: json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
            };
            insert(s, doc)?;
        }
    }
    for doc in rest {
        insert(s, doc)?;
    }
    link_owners(s);
    ensure_nodes(s);
    super::certs::generate(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        assert_eq!(parse_age("2d4h"), Some(2 * 86_400 + 4 * 3_600));
        assert_eq!(parse_age("90s"), Some(90));
        assert_eq!(parse_age("5"), None);
        assert_eq!(parse_age("5w"), None);
    }

    #[test]
    fn strict_about_unknown_kinds_and_namespaces() {
        let mut s = Store::default();
        let e = load(
            &mut s,
            &[(
                "a.yaml".into(),
                "apiVersion: x.io/v1\nkind: Foo\nmetadata: {name: f}\n",
            )],
            vec![],
        );
        assert!(
            e.unwrap_err()
                .to_string()
                .contains("CustomResourceDefinition")
        );
        let mut s = Store::default();
        let e = load(
            &mut s,
            &[(
                "b.yaml".into(),
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: nope}\n",
            )],
            vec![],
        );
        assert!(e.unwrap_err().to_string().contains("nope"));
    }

    #[test]
    fn loads_crd_then_custom_object_and_links_owners() {
        let yaml = r#"
apiVersion: v1
kind: ConfigMap
metadata: {name: child, namespace: default, ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: parent}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: parent, namespace: default}
---
apiVersion: demo.io/v1
kind: Widget
metadata: {name: w}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.demo.io}
spec:
  group: demo.io
  scope: Namespaced
  names: {plural: widgets, kind: Widget}
  versions: [{name: v1, served: true, storage: true}]
"#;
        let mut s = Store::default();
        load(&mut s, &[("c.yaml".into(), yaml)], vec![]).unwrap();
        assert!(s.get("widgets.demo.io", "default", "w").is_some());
        let parent = meta::uid(s.get("configmaps", "default", "parent").unwrap()).to_string();
        let child = s.get("configmaps", "default", "child").unwrap();
        assert_eq!(meta::owner_uids(child).next(), Some(parent.as_str()));
        assert_eq!(s.list("nodes", None).count(), 3);
    }
}
