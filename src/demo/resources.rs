//! Which resources the demo server knows: the built-in kinds plus every kind that a
//! loaded CustomResourceDefinition registers (so a missing CRD is a real 404).

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

/// One served resource (for example `deployments.apps`).
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    pub group: String,
    /// Served versions, most preferred first; objects are stored with the first.
    pub versions: Vec<String>,
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub list_kind: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    pub status_subresource: bool,
    pub scale_subresource: bool,
    /// Whether `metadata.generation` follows spec changes.
    pub tracks_generation: bool,
    /// Only POST (reviews): nothing is stored.
    pub create_only: bool,
    /// Defined by a CRD (no strategic merge patch, like the real server).
    pub custom: bool,
}

impl ResourceType {
    /// `pods` or `deployments.apps`: the key in the store and in error messages.
    pub fn group_resource(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// `Pod` or `Deployment.apps`, as in "is invalid" messages.
    pub fn group_kind(&self) -> String {
        if self.group.is_empty() {
            self.kind.clone()
        } else {
            format!("{}.{}", self.kind, self.group)
        }
    }

    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    pub fn storage_api_version(&self) -> String {
        self.api_version(self.versions.first().map(String::as_str).unwrap_or("v1"))
    }

    pub fn verbs(&self) -> Vec<&'static str> {
        if self.create_only {
            vec!["create"]
        } else {
            vec![
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        }
    }
}

/// Builtin table row: group, version, plural, kind, short names, namespaced, flags.
struct Builtin(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
    Flags,
);

#[derive(Clone, Copy)]
struct Flags {
    status: bool,
    scale: bool,
    generation: bool,
    all: bool,
}

// One row per resource reads better than rustfmt's vertical layout.
#[rustfmt::skip]
mod table {
    use super::{Builtin, Flags};

    const PLAIN: Flags = Flags { status: false, scale: false, generation: false, all: false };
    const STATUS: Flags = Flags { status: true, ..PLAIN };
    const GEN: Flags = Flags { generation: true, ..PLAIN };
    const GEN_STATUS: Flags = Flags { status: true, generation: true, ..PLAIN };
    const WORKLOAD: Flags = Flags { status: true, scale: true, generation: true, all: true };
    const LISTED: Flags = Flags { all: true, ..STATUS };

    pub(super) const BUILTINS: &[Builtin] = &[
        Builtin("", "v1", "namespaces", "Namespace", &["ns"], false, STATUS),
        Builtin("", "v1", "pods", "Pod", &["po"], true, LISTED),
        Builtin("", "v1", "services", "Service", &["svc"], true, LISTED),
        Builtin("", "v1", "endpoints", "Endpoints", &["ep"], true, PLAIN),
        Builtin("", "v1", "configmaps", "ConfigMap", &["cm"], true, PLAIN),
        Builtin("", "v1", "secrets", "Secret", &[], true, PLAIN),
        Builtin("", "v1", "serviceaccounts", "ServiceAccount", &["sa"], true, PLAIN),
        Builtin("", "v1", "events", "Event", &["ev"], true, PLAIN),
        Builtin("", "v1", "nodes", "Node", &["no"], false, STATUS),
        Builtin("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", &["pvc"], true, STATUS),
        Builtin("apps", "v1", "deployments", "Deployment", &["deploy"], true, WORKLOAD),
        Builtin("apps", "v1", "replicasets", "ReplicaSet", &["rs"], true, WORKLOAD),
        Builtin("apps", "v1", "statefulsets", "StatefulSet", &["sts"], true, WORKLOAD),
        Builtin("apps", "v1", "daemonsets", "DaemonSet", &["ds"], true, Flags { scale: false, ..WORKLOAD }),
        Builtin("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", &[], true, PLAIN),
        Builtin("networking.k8s.io", "v1", "ingresses", "Ingress", &["ing"], true, GEN_STATUS),
        Builtin("networking.k8s.io", "v1", "ingressclasses", "IngressClass", &[], false, GEN),
        Builtin("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", &["netpol"], true, GEN),
        Builtin("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", &["pdb"], true, GEN_STATUS),
        Builtin("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", &[], false, GEN),
        Builtin("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", &[], false, GEN),
        Builtin("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", &["crd", "crds"], false, GEN_STATUS),
    ];
}

fn builtin(b: &Builtin) -> ResourceType {
    let Builtin(group, version, plural, kind, short, namespaced, f) = b;
    ResourceType {
        group: group.to_string(),
        versions: vec![version.to_string()],
        plural: plural.to_string(),
        singular: kind.to_lowercase(),
        kind: kind.to_string(),
        list_kind: format!("{kind}List"),
        short_names: short.iter().map(|s| s.to_string()).collect(),
        categories: if f.all { vec!["all".into()] } else { vec![] },
        namespaced: *namespaced,
        status_subresource: f.status,
        scale_subresource: f.scale,
        tracks_generation: f.generation,
        create_only: false,
        custom: false,
    }
}

fn self_subject_access_review() -> ResourceType {
    ResourceType {
        group: "authorization.k8s.io".into(),
        versions: vec!["v1".into()],
        plural: "selfsubjectaccessreviews".into(),
        singular: "selfsubjectaccessreview".into(),
        kind: "SelfSubjectAccessReview".into(),
        list_kind: "SelfSubjectAccessReviewList".into(),
        short_names: vec![],
        categories: vec![],
        namespaced: false,
        status_subresource: false,
        scale_subresource: false,
        tracks_generation: false,
        create_only: true,
        custom: false,
    }
}

/// All resources currently served, keyed by group-resource (`deployments.apps`).
#[derive(Debug, Clone)]
pub struct Registry {
    types: BTreeMap<String, Arc<ResourceType>>,
}

impl Default for Registry {
    fn default() -> Self {
        let mut r = Registry {
            types: BTreeMap::new(),
        };
        for b in table::BUILTINS {
            r.insert(builtin(b));
        }
        r.insert(self_subject_access_review());
        r
    }
}

impl Registry {
    fn insert(&mut self, rt: ResourceType) {
        self.types.insert(rt.group_resource(), Arc::new(rt));
    }

    pub fn get(&self, group_resource: &str) -> Option<Arc<ResourceType>> {
        self.types.get(group_resource).cloned()
    }

    /// Resource served at `/{group}/{version}/{plural}`.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        let key = if group.is_empty() {
            plural.to_string()
        } else {
            format!("{plural}.{group}")
        };
        self.types
            .get(&key)
            .filter(|rt| rt.versions.iter().any(|v| v == version))
            .cloned()
    }

    /// Resource for a manifest's `apiVersion` + `kind`.
    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        let (group, version) = split_api_version(api_version);
        self.types
            .values()
            .find(|rt| {
                rt.group == group && rt.kind == kind && rt.versions.iter().any(|v| v == version)
            })
            .cloned()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.types.values()
    }

    /// Groups (core is "") with their versions, most preferred first.
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rt in self.types.values() {
            let vs = groups.entry(rt.group.clone()).or_default();
            for v in &rt.versions {
                if !vs.contains(v) {
                    vs.push(v.clone());
                }
            }
        }
        for vs in groups.values_mut() {
            vs.sort_by(|a, b| compare_versions(a, b));
        }
        groups
    }

    /// Registers (or re-registers) the kind a CRD defines. Returns the group-resource.
    pub fn register_crd(&mut self, crd: &Value) -> Result<String, String> {
        let rt = crd_resource_type(crd)?;
        let key = rt.group_resource();
        self.types.insert(key.clone(), Arc::new(rt));
        Ok(key)
    }

    pub fn unregister_crd(&mut self, crd: &Value) {
        if let Ok(rt) = crd_resource_type(crd) {
            self.types.remove(&rt.group_resource());
        }
    }
}

pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

fn crd_resource_type(crd: &Value) -> Result<ResourceType, String> {
    let spec = &crd["spec"];
    let names = &spec["names"];
    let group = spec["group"].as_str().ok_or("spec.group is required")?;
    let plural = names["plural"]
        .as_str()
        .ok_or("spec.names.plural is required")?;
    let kind = names["kind"]
        .as_str()
        .ok_or("spec.names.kind is required")?;
    let served: Vec<&Value> = spec["versions"]
        .as_array()
        .map(|vs| {
            vs.iter()
                .filter(|v| v["served"].as_bool() != Some(false))
                .collect()
        })
        .unwrap_or_default();
    let mut versions: Vec<String> = served
        .iter()
        .filter_map(|v| v["name"].as_str().map(String::from))
        .collect();
    if versions.is_empty() {
        return Err("spec.versions has no served version".into());
    }
    versions.sort_by(|a, b| compare_versions(a, b));
    let sub = |name: &str| served.iter().any(|v| v["subresources"][name].is_object());
    Ok(ResourceType {
        group: group.to_string(),
        versions,
        plural: plural.to_string(),
        singular: names["singular"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| kind.to_lowercase()),
        kind: kind.to_string(),
        list_kind: names["listKind"]
            .as_str()
            .map(String::from)
            .unwrap_or_else(|| format!("{kind}List")),
        short_names: strings(&names["shortNames"]),
        categories: strings(&names["categories"]),
        namespaced: spec["scope"].as_str() != Some("Cluster"),
        status_subresource: sub("status"),
        scale_subresource: sub("scale"),
        tracks_generation: true,
        create_only: false,
        custom: true,
    })
}

/// Kubernetes version priority: GA before beta before alpha, higher numbers first,
/// anything else last in lexical order (what discovery uses to pick the preferred version).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn key(v: &str) -> (u8, u64, u64, String) {
        let parsed = v.strip_prefix('v').and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let major: u64 = digits.parse().ok()?;
            let tail = &rest[digits.len()..];
            if tail.is_empty() {
                return Some((0, major, 0));
            }
            for (stage, prefix) in [(1u8, "beta"), (2u8, "alpha")] {
                if let Some(n) = tail.strip_prefix(prefix) {
                    return Some((stage, major, n.parse().ok()?));
                }
            }
            None
        });
        match parsed {
            Some((stage, major, minor)) => {
                (stage, u64::MAX - major, u64::MAX - minor, String::new())
            }
            None => (3, 0, 0, v.to_string()),
        }
    }
    key(a).cmp(&key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_priority() {
        let mut vs = vec!["v1alpha1", "foo", "v1beta1", "v2", "v1", "v1beta2"];
        vs.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(vs, ["v2", "v1", "v1beta2", "v1beta1", "v1alpha1", "foo"]);
    }

    #[test]
    fn crd_registers_kind() {
        let crd = serde_json::json!({
            "spec": {"group": "networking.istio.io", "scope": "Namespaced",
              "names": {"plural": "virtualservices", "kind": "VirtualService", "shortNames": ["vs"]},
              "versions": [{"name": "v1beta1", "served": true}, {"name": "v1", "served": true,
                "subresources": {"status": {}}}]}
        });
        let mut r = Registry::default();
        assert_eq!(
            r.register_crd(&crd).unwrap(),
            "virtualservices.networking.istio.io"
        );
        let rt = r
            .by_kind("networking.istio.io/v1beta1", "VirtualService")
            .unwrap();
        assert_eq!(rt.versions, ["v1", "v1beta1"]);
        assert!(rt.status_subresource && rt.namespaced && rt.custom);
        assert!(
            r.lookup("networking.istio.io", "v1", "virtualservices")
                .is_some()
        );
        assert!(
            r.lookup("networking.istio.io", "v2", "virtualservices")
                .is_none()
        );
    }
}
