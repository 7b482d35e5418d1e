//! Istio VirtualService, projected into the same `RouteInfo` as Gateway API routes so the
//! Routes view, the route detail and the weight editor treat all three kinds alike.
//!
//! Only the fields a view or the weight editor needs are read: hosts, gateways, and per
//! `http[]` rule its matches and `route[]` destinations with weights.

use serde::Deserialize;

use super::common::{ObjKey, created};
use super::route::{BackendInfo, ParentRef, RouteInfo, RouteKind, RuleInfo};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub const ISTIO_NETWORKING_GROUP: &str = "networking.istio.io";

#[derive(Debug, Clone, Deserialize)]
pub struct VirtualService {
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: VsSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct VsSpec {
    #[serde(default)]
    pub hosts: Vec<String>,
    #[serde(default)]
    pub gateways: Vec<String>,
    #[serde(default)]
    pub http: Vec<VsHttpRoute>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct VsHttpRoute {
    pub name: Option<String>,
    #[serde(default, rename = "match")]
    pub matches: Vec<serde_json::Value>,
    #[serde(default)]
    pub route: Vec<VsDestinationWeight>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct VsDestinationWeight {
    pub destination: VsDestination,
    pub weight: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct VsDestination {
    pub host: String,
    pub subset: Option<String>,
    pub port: Option<VsPort>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct VsPort {
    pub number: Option<i32>,
}

/// The Service a destination host names, if it names one in this cluster: `reviews`
/// (the VirtualService's namespace), `reviews.shop`, `reviews.shop.svc`,
/// `reviews.shop.svc.cluster.local`. Anything else (an external host, a ServiceEntry) is
/// not a Service, so the Service checks do not flag it.
fn service_of(host: &str, vs_ns: &str) -> Option<ObjKey> {
    let parts: Vec<&str> = host.split('.').collect();
    match parts.as_slice() {
        [name] if !name.is_empty() && *name != "*" => Some(ObjKey::new(vs_ns, *name)),
        [name, ns] | [name, ns, "svc"] => Some(ObjKey::new(*ns, *name)),
        [name, ns, "svc", "cluster", "local"] => Some(ObjKey::new(*ns, *name)),
        _ => None,
    }
}

fn destination(vs_ns: &str, d: &VsDestinationWeight, only: bool) -> BackendInfo {
    let (group, kind, key) = match service_of(&d.destination.host, vs_ns) {
        Some(key) => (String::new(), "Service".to_string(), key),
        None => (
            ISTIO_NETWORKING_GROUP.to_string(),
            "Host".to_string(),
            ObjKey::new("", d.destination.host.clone()),
        ),
    };
    BackendInfo {
        group,
        kind,
        key,
        port: d.destination.port.as_ref().and_then(|p| p.number),
        // Istio: a lone destination takes all traffic whatever its weight; an omitted
        // weight among several is 0.
        weight: if only { 100 } else { d.weight.unwrap_or(0) },
        subset: d.destination.subset.clone(),
    }
}

/// `uri prefix /api`, `headers x-canary`, … one short summary per match block.
fn match_summary(m: &serde_json::Value) -> String {
    let mut parts = Vec::new();
    if let Some(uri) = m.get("uri").and_then(|u| u.as_object()) {
        for (how, v) in uri {
            parts.push(format!("uri {how} {}", v.as_str().unwrap_or("?")));
        }
    }
    if let Some(method) = m
        .get("method")
        .and_then(|x| x.as_object())
        .and_then(|o| o.values().next())
    {
        parts.push(method.as_str().unwrap_or("?").to_string());
    }
    if let Some(h) = m.get("headers").and_then(|h| h.as_object()) {
        for name in h.keys() {
            parts.push(format!("hdr:{name}"));
        }
    }
    if let Some(port) = m.get("port").and_then(|p| p.as_i64()) {
        parts.push(format!("port {port}"));
    }
    if parts.is_empty() {
        "match all".into()
    } else {
        parts.join(" ")
    }
}

/// `gateways` entries are `[ns/]name` of Istio Gateways, or `mesh` for sidecars.
fn gateway_ref(vs_ns: &str, g: &str) -> ParentRef {
    let key = match g.split_once('/') {
        Some((ns, name)) => ObjKey::new(ns, name),
        None if g == "mesh" => ObjKey::new("", "mesh"),
        None => ObjKey::new(vs_ns, g),
    };
    ParentRef {
        group: ISTIO_NETWORKING_GROUP.into(),
        kind: "Gateway".into(),
        key,
        section: None,
        port: None,
    }
}

impl From<&VirtualService> for RouteInfo {
    fn from(vs: &VirtualService) -> Self {
        let key = ObjKey::of(&vs.metadata);
        let ns = key.ns.clone();
        RouteInfo {
            kind: RouteKind::Virtual,
            generation: vs.metadata.generation,
            resource_version: vs.metadata.resource_version.clone(),
            hostnames: vs.spec.hosts.clone(),
            parents: vs
                .spec
                .gateways
                .iter()
                .map(|g| gateway_ref(&ns, g))
                .collect(),
            rules: vs
                .spec
                .http
                .iter()
                .map(|h| RuleInfo {
                    name: h.name.clone(),
                    matches: h.matches.iter().map(match_summary).collect(),
                    backends: h
                        .route
                        .iter()
                        .map(|d| destination(&ns, d, h.route.len() == 1))
                        .collect(),
                })
                .collect(),
            status: Vec::new(),
            created: created(&vs.metadata),
            key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn vs(spec: serde_json::Value) -> RouteInfo {
        let v: VirtualService = serde_json::from_value(json!({
            "metadata": {"name": "reviews", "namespace": "bookinfo", "resourceVersion": "7"},
            "spec": spec
        }))
        .unwrap();
        RouteInfo::from(&v)
    }

    #[test]
    fn destinations_become_backends_with_subsets_and_weights() {
        let r = vs(json!({
            "hosts": ["reviews"], "gateways": ["istio-system/ingress", "mesh", "local-gw"],
            "http": [{"name": "canary", "match": [{"uri": {"prefix": "/api"}}],
                "route": [
                    {"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
                    {"destination": {"host": "reviews.other.svc.cluster.local", "port": {"number": 9080}}, "weight": 20},
                    {"destination": {"host": "api.example.com"}}
                ]}]
        }));
        assert_eq!(r.kind, RouteKind::Virtual);
        assert_eq!(r.resource_version.as_deref(), Some("7"));
        let b = &r.rules[0].backends;
        assert_eq!(b[0].key, ObjKey::new("bookinfo", "reviews"));
        assert_eq!((b[0].subset.as_deref(), b[0].weight), (Some("v1"), 80));
        assert_eq!(b[1].key, ObjKey::new("other", "reviews"));
        assert_eq!((b[1].port, b[1].weight), (Some(9080), 20));
        assert!(!b[2].is_service(), "an external host is not a Service");
        assert_eq!(b[2].weight, 0, "an omitted weight among several is 0");
        assert_eq!(r.rules[0].matches, vec!["uri prefix /api".to_string()]);
        let parents: Vec<String> = r.parents.iter().map(|p| p.key.to_string()).collect();
        assert_eq!(
            parents,
            ["istio-system/ingress", "mesh", "bookinfo/local-gw"]
        );
        assert!(
            r.parents.iter().all(|p| !p.is_gateway()),
            "not Gateway API parents"
        );
    }

    #[test]
    fn a_lone_destination_takes_all_traffic() {
        let r = vs(json!({"http": [{"route": [{"destination": {"host": "pricing"}}]}]}));
        assert_eq!(r.rules[0].backends[0].weight, 100);
        assert_eq!(r.rules[0].matches, Vec::<String>::new());
    }
}
