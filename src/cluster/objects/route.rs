use gateway_api::grpcroutes::{GrpcRoute, GrpcRouteRulesMatches};
use gateway_api::httproutes::{HttpRoute, HttpRouteRulesMatches};
use jiff::Timestamp;

use super::common::{Cond, ObjKey, created};
use crate::cluster::kinds::Kind;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum RouteKind {
    #[serde(rename = "HTTPRoute")]
    Http,
    #[serde(rename = "GRPCRoute")]
    Grpc,
    /// Istio VirtualService (`http[].route[]`): no status, weights sum to 100.
    #[serde(rename = "VirtualService")]
    Virtual,
}

impl RouteKind {
    pub const ALL: [RouteKind; 3] = [RouteKind::Http, RouteKind::Grpc, RouteKind::Virtual];

    /// The watch routes of this kind come from.
    pub fn watched(self) -> Kind {
        match self {
            RouteKind::Http => Kind::HttpRoutes,
            RouteKind::Grpc => Kind::GrpcRoutes,
            RouteKind::Virtual => Kind::VirtualServices,
        }
    }

    /// The route kind a watch delivers; None for a watch of something else.
    pub fn of(kind: Kind) -> Option<RouteKind> {
        RouteKind::ALL.into_iter().find(|r| r.watched() == kind)
    }

    /// `HTTPRoute`, `GRPCRoute`, `VirtualService`.
    pub fn kind(self) -> &'static str {
        self.watched().spec().kind
    }
}

/// A parentRef with defaults applied (group gateway.networking.k8s.io, kind Gateway,
/// namespace of the route).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParentRef {
    pub group: String,
    pub kind: String,
    pub key: ObjKey,
    pub section: Option<String>,
    pub port: Option<i32>,
}

impl ParentRef {
    pub fn is_gateway(&self) -> bool {
        self.kind == "Gateway" && self.group == GATEWAY_GROUP
    }

    pub fn matches(&self, other: &ParentRef) -> bool {
        self.group == other.group
            && self.kind == other.kind
            && self.key == other.key
            && self.section == other.section
    }
}

pub const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

fn parent_ref(
    route_ns: &str,
    group: Option<&String>,
    kind: Option<&String>,
    ns: Option<&String>,
    name: &str,
    section: Option<&String>,
    port: Option<i32>,
) -> ParentRef {
    ParentRef {
        group: group.cloned().unwrap_or_else(|| GATEWAY_GROUP.into()),
        kind: kind.cloned().unwrap_or_else(|| "Gateway".into()),
        key: ObjKey::new(ns.cloned().unwrap_or_else(|| route_ns.to_string()), name),
        section: section.cloned(),
        port,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ParentStatus {
    pub parent: ParentRef,
    pub controller: String,
    pub conditions: Vec<Cond>,
}

/// A backendRef with defaults applied: kind Service, namespace of the route, weight 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendInfo {
    pub group: String,
    pub kind: String,
    pub key: ObjKey,
    pub port: Option<i32>,
    pub weight: i64,
    /// VirtualService destinations only: the DestinationRule subset.
    pub subset: Option<String>,
}

impl BackendInfo {
    pub fn is_service(&self) -> bool {
        self.group.is_empty() && self.kind == "Service"
    }
}

fn backend(
    route_ns: &str,
    group: Option<&String>,
    kind: Option<&String>,
    ns: Option<&String>,
    name: &str,
    port: Option<i32>,
    weight: Option<i32>,
) -> BackendInfo {
    BackendInfo {
        group: group.cloned().unwrap_or_default(),
        kind: kind.cloned().unwrap_or_else(|| "Service".into()),
        key: ObjKey::new(ns.cloned().unwrap_or_else(|| route_ns.to_string()), name),
        port,
        // Gateway API: weight defaults to 1 when omitted.
        weight: i64::from(weight.unwrap_or(1)),
        subset: None,
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleInfo {
    pub name: Option<String>,
    /// One short human summary per match, e.g. `PathPrefix /api GET hdr:x-canary`.
    pub matches: Vec<String>,
    pub backends: Vec<BackendInfo>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RouteInfo {
    pub kind: RouteKind,
    pub key: ObjKey,
    pub generation: Option<i64>,
    /// The precondition of every write to this route.
    pub resource_version: Option<String>,
    pub hostnames: Vec<String>,
    pub parents: Vec<ParentRef>,
    pub rules: Vec<RuleInfo>,
    pub status: Vec<ParentStatus>,
    pub created: Option<Timestamp>,
}

fn http_match_summary(m: &HttpRouteRulesMatches) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &m.path {
        let t = p
            .r#type
            .as_ref()
            .map(|t| format!("{t:?}"))
            .unwrap_or_else(|| "PathPrefix".into());
        parts.push(format!("{t} {}", p.value.as_deref().unwrap_or("/")));
    }
    if let Some(method) = &m.method {
        parts.push(format!("{method:?}").to_uppercase());
    }
    for h in m.headers.iter().flatten() {
        parts.push(format!("hdr:{}={}", h.name, h.value));
    }
    for q in m.query_params.iter().flatten() {
        parts.push(format!("query:{}={}", q.name, q.value));
    }
    if parts.is_empty() {
        "PathPrefix /".into()
    } else {
        parts.join(" ")
    }
}

fn grpc_match_summary(m: &GrpcRouteRulesMatches) -> String {
    let method = m.method.as_ref();
    let svc = method.and_then(|x| x.service.as_deref()).unwrap_or("*");
    let meth = method.and_then(|x| x.method.as_deref()).unwrap_or("*");
    let mut s = format!("{svc}/{meth}");
    for h in m.headers.iter().flatten() {
        s.push_str(&format!(" hdr:{}={}", h.name, h.value));
    }
    s
}

/// A parentRef of any route type (the generated types differ but share field names).
macro_rules! parent_of {
    ($ns:expr, $p:expr) => {
        parent_ref(
            $ns,
            $p.group.as_ref(),
            $p.kind.as_ref(),
            $p.namespace.as_ref(),
            &$p.name,
            $p.section_name.as_ref(),
            $p.port,
        )
    };
}

/// HTTPRoute and GRPCRoute are distinct generated types with the same shape; one projection
/// for both keeps the two kinds from drifting apart. Only match summaries differ.
macro_rules! route_info {
    ($r:expr, $kind:expr, $summary:expr) => {{
        let r = $r;
        let key = ObjKey::of(&r.metadata);
        let ns = key.ns.clone();
        RouteInfo {
            kind: $kind,
            generation: r.metadata.generation,
            resource_version: r.metadata.resource_version.clone(),
            hostnames: r.spec.hostnames.clone().unwrap_or_default(),
            parents: r
                .spec
                .parent_refs
                .iter()
                .flatten()
                .map(|p| parent_of!(&ns, p))
                .collect(),
            rules: r
                .spec
                .rules
                .iter()
                .flatten()
                .map(|rule| RuleInfo {
                    name: rule.name.clone(),
                    matches: rule.matches.iter().flatten().map($summary).collect(),
                    backends: rule
                        .backend_refs
                        .iter()
                        .flatten()
                        .map(|b| {
                            backend(
                                &ns,
                                b.group.as_ref(),
                                b.kind.as_ref(),
                                b.namespace.as_ref(),
                                &b.name,
                                b.port,
                                b.weight,
                            )
                        })
                        .collect(),
                })
                .collect(),
            status: r
                .status
                .iter()
                .flat_map(|s| s.parents.iter())
                .map(|p| ParentStatus {
                    parent: parent_of!(&ns, p.parent_ref),
                    controller: p.controller_name.clone(),
                    conditions: p.conditions.iter().map(Cond::from).collect(),
                })
                .collect(),
            created: created(&r.metadata),
            key,
        }
    }};
}

impl From<&HttpRoute> for RouteInfo {
    fn from(r: &HttpRoute) -> Self {
        route_info!(r, RouteKind::Http, http_match_summary)
    }
}

impl From<&GrpcRoute> for RouteInfo {
    fn from(r: &GrpcRoute) -> Self {
        route_info!(r, RouteKind::Grpc, grpc_match_summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn route_kinds_serialize_as_their_watched_kind() {
        for r in RouteKind::ALL {
            assert_eq!(RouteKind::of(r.watched()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.kind(), "{r:?}");
        }
        assert_eq!(RouteKind::Grpc.kind(), "GRPCRoute");
    }

    fn meta() -> serde_json::Value {
        json!({"name": "r", "namespace": "app", "generation": 3})
    }

    #[test]
    fn http_route_defaults_are_applied() {
        let r: HttpRoute = serde_json::from_value(json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "metadata": meta(),
            "spec": {
                "parentRefs": [{"name": "gw", "namespace": "infra", "sectionName": "https"}],
                "rules": [{
                    "matches": [{"path": {"type": "Exact", "value": "/api"}, "method": "GET"}],
                    "backendRefs": [{"name": "v1", "port": 80}, {"name": "v2", "namespace": "other", "weight": 3}]
                }]
            },
            "status": {"parents": [{"parentRef": {"name": "gw", "namespace": "infra", "sectionName": "https"},
                "controllerName": "c", "conditions": [{"type": "Accepted", "status": "True", "reason": "Accepted",
                "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]}]}
        }))
        .unwrap();
        let info = RouteInfo::from(&r);
        assert_eq!(info.kind, RouteKind::Http);
        assert_eq!(info.generation, Some(3));
        assert!(info.parents[0].is_gateway());
        assert_eq!(info.parents[0].key, ObjKey::new("infra", "gw"));
        assert!(info.status[0].parent.matches(&info.parents[0]));
        let b = &info.rules[0].backends;
        assert_eq!(
            (b[0].weight, b[0].key.clone(), b[0].is_service()),
            (1, ObjKey::new("app", "v1"), true)
        );
        assert_eq!(
            (b[1].weight, b[1].key.clone()),
            (3, ObjKey::new("other", "v2"))
        );
        assert_eq!(info.rules[0].matches, vec!["Exact /api GET".to_string()]);
    }

    #[test]
    fn grpc_route_matches_are_service_slash_method() {
        let r: GrpcRoute = serde_json::from_value(json!({
            "apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute", "metadata": meta(),
            "spec": {
                "parentRefs": [{"name": "gw"}],
                "rules": [{
                    "matches": [{"method": {"service": "search.v1.Search", "method": "Query"}}, {}],
                    "backendRefs": [{"name": "grpc", "port": 9000, "weight": 0}]
                }]
            }
        }))
        .unwrap();
        let info = RouteInfo::from(&r);
        assert_eq!(info.kind, RouteKind::Grpc);
        assert_eq!(
            info.parents[0].key,
            ObjKey::new("app", "gw"),
            "parent namespace defaults to the route's"
        );
        assert_eq!(
            info.rules[0].matches,
            vec!["search.v1.Search/Query".to_string(), "*/*".to_string()]
        );
        assert_eq!(info.rules[0].backends[0].weight, 0);
        assert!(info.status.is_empty());
    }
}
