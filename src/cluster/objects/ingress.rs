//! Ingress-API objects and ReferenceGrants, reduced to what the diagnostics join on.

use k8s_openapi::api::networking::v1::{Ingress, IngressBackend, IngressClass};
use kube::api::DynamicObject;

use super::common::ObjKey;

/// The legacy class annotation, still honoured by most controllers.
pub const INGRESS_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";
pub const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";

/// A Service an Ingress sends traffic to (always in the Ingress's namespace).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressServiceRef {
    pub service: ObjKey,
    pub port: Option<i32>,
    pub port_name: Option<String>,
}

/// networking.k8s.io/v1 Ingress: class and the Services it routes to, nothing else (no TLS
/// secrets, no annotations).
#[derive(Debug, Clone, PartialEq)]
pub struct IngressInfo {
    pub key: ObjKey,
    /// `spec.ingressClassName`, else the legacy annotation; None = the default class.
    pub class: Option<String>,
    pub hosts: Vec<String>,
    /// Distinct backends, default backend first.
    pub backends: Vec<IngressServiceRef>,
}

fn service_ref(ns: &str, b: &IngressBackend) -> Option<IngressServiceRef> {
    let s = b.service.as_ref()?;
    let port = s.port.as_ref();
    Some(IngressServiceRef {
        service: ObjKey::new(ns, s.name.clone()),
        port: port.and_then(|p| p.number),
        port_name: port.and_then(|p| p.name.clone()),
    })
}

impl From<&Ingress> for IngressInfo {
    fn from(i: &Ingress) -> Self {
        let key = ObjKey::of(&i.metadata);
        let spec = i.spec.as_ref();
        let mut backends: Vec<IngressServiceRef> = Vec::new();
        let mut push = |b: Option<IngressServiceRef>| {
            if let Some(b) = b
                && !backends.contains(&b)
            {
                backends.push(b);
            }
        };
        if let Some(b) = spec.and_then(|s| s.default_backend.as_ref()) {
            push(service_ref(&key.ns, b));
        }
        let mut hosts = Vec::new();
        for rule in spec.and_then(|s| s.rules.as_ref()).into_iter().flatten() {
            if let Some(h) = &rule.host {
                hosts.push(h.clone());
            }
            for p in rule.http.iter().flat_map(|h| h.paths.iter()) {
                push(service_ref(&key.ns, &p.backend));
            }
        }
        IngressInfo {
            class: spec.and_then(|s| s.ingress_class_name.clone()).or_else(|| {
                i.metadata
                    .annotations
                    .as_ref()
                    .and_then(|a| a.get(INGRESS_CLASS_ANNOTATION))
                    .cloned()
            }),
            hosts,
            backends,
            key,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct IngressClassInfo {
    pub name: String,
    /// `spec.controller`, e.g. `k8s.io/ingress-nginx`.
    pub controller: String,
    pub is_default: bool,
}

impl From<&IngressClass> for IngressClassInfo {
    fn from(c: &IngressClass) -> Self {
        IngressClassInfo {
            name: c.metadata.name.clone().unwrap_or_default(),
            controller: c
                .spec
                .as_ref()
                .and_then(|s| s.controller.clone())
                .unwrap_or_default(),
            is_default: c
                .metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get(DEFAULT_CLASS_ANNOTATION))
                .is_some_and(|v| v == "true"),
        }
    }
}

/// One `from` entry of a ReferenceGrant: objects of this group/kind in this namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantFrom {
    pub group: String,
    pub kind: String,
    pub namespace: String,
}

/// One `to` entry: objects of this group/kind (only `name` when set) in the grant's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantTo {
    pub group: String,
    pub kind: String,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceGrantInfo {
    pub key: ObjKey,
    pub from: Vec<GrantFrom>,
    pub to: Vec<GrantTo>,
}

impl ReferenceGrantInfo {
    /// Whether this grant lets a `from_kind` in `from_ns` (group gateway.networking.k8s.io)
    /// refer to the object `to_group`/`to_kind`/`to_name` in the grant's namespace.
    pub fn permits(
        &self,
        from_group: &str,
        from_kind: &str,
        from_ns: &str,
        to_group: &str,
        to_kind: &str,
        to_name: &str,
    ) -> bool {
        self.from
            .iter()
            .any(|f| f.group == from_group && f.kind == from_kind && f.namespace == from_ns)
            && self.to.iter().any(|t| {
                t.group == to_group
                    && t.kind == to_kind
                    && t.name.as_deref().is_none_or(|n| n == to_name)
            })
    }
}

impl From<&DynamicObject> for ReferenceGrantInfo {
    fn from(o: &DynamicObject) -> Self {
        let s = |v: &serde_json::Value, k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let list = |k: &str| {
            o.data["spec"][k]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
        };
        ReferenceGrantInfo {
            key: ObjKey::of(&o.metadata),
            from: list("from")
                .map(|f| GrantFrom {
                    group: s(&f, "group"),
                    kind: s(&f, "kind"),
                    namespace: s(&f, "namespace"),
                })
                .collect(),
            to: list("to")
                .map(|t| GrantTo {
                    group: s(&t, "group"),
                    kind: s(&t, "kind"),
                    name: t
                        .get("name")
                        .and_then(|x| x.as_str())
                        .filter(|n| !n.is_empty())
                        .map(String::from),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ingress_keeps_class_hosts_and_distinct_backends() {
        let i: Ingress = serde_json::from_value(json!({
            "metadata": {"name": "web", "namespace": "shop",
                "annotations": {"kubernetes.io/ingress.class": "legacy"}},
            "spec": {
                "defaultBackend": {"service": {"name": "fallback", "port": {"name": "http"}}},
                "rules": [
                    {"host": "a.example", "http": {"paths": [
                        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                        {"path": "/x", "pathType": "Prefix", "backend": {"service": {"name": "web", "port": {"number": 80}}}},
                        {"path": "/r", "pathType": "Prefix", "backend": {"resource": {"kind": "Bucket", "name": "b"}}}
                    ]}}
                ]
            }
        }))
        .unwrap();
        let info = IngressInfo::from(&i);
        assert_eq!(info.class.as_deref(), Some("legacy"));
        assert_eq!(info.hosts, ["a.example"]);
        assert_eq!(
            info.backends,
            vec![
                IngressServiceRef {
                    service: ObjKey::new("shop", "fallback"),
                    port: None,
                    port_name: Some("http".into())
                },
                IngressServiceRef {
                    service: ObjKey::new("shop", "web"),
                    port: Some(80),
                    port_name: None
                },
            ]
        );
    }

    #[test]
    fn reference_grant_permits_by_namespace_kind_and_optional_name() {
        let o: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
            "metadata": {"name": "g", "namespace": "bookinfo"},
            "spec": {
                "from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "test-infra"}],
                "to": [{"group": "", "kind": "Service", "name": "productpage"}]
            }
        }))
        .unwrap();
        let g = ReferenceGrantInfo::from(&o);
        let gw = "gateway.networking.k8s.io";
        assert!(g.permits(gw, "HTTPRoute", "test-infra", "", "Service", "productpage"));
        assert!(!g.permits(gw, "HTTPRoute", "test-infra", "", "Service", "reviews"));
        assert!(!g.permits(gw, "GRPCRoute", "test-infra", "", "Service", "productpage"));
        assert!(!g.permits(gw, "HTTPRoute", "other", "", "Service", "productpage"));
    }
}
