use gateway_api::grpcroutes::GrpcRoute;
use gateway_api::httproutes::{HttpRoute, HttpRouteRulesMatches};
use jiff::Timestamp;

use super::common::{Cond, ObjKey, created};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RouteKind {
    Http,
    Grpc,
}

impl RouteKind {
    pub fn kind(self) -> &'static str {
        match self {
            RouteKind::Http => "HTTPRoute",
            RouteKind::Grpc => "GRPCRoute",
        }
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

impl From<&HttpRoute> for RouteInfo {
    fn from(r: &HttpRoute) -> Self {
        let key = ObjKey::of(&r.metadata);
        let ns = key.ns.clone();
        RouteInfo {
            kind: RouteKind::Http,
            generation: r.metadata.generation,
            hostnames: r.spec.hostnames.clone().unwrap_or_default(),
            parents: r
                .spec
                .parent_refs
                .iter()
                .flatten()
                .map(|p| {
                    parent_ref(
                        &ns,
                        p.group.as_ref(),
                        p.kind.as_ref(),
                        p.namespace.as_ref(),
                        &p.name,
                        p.section_name.as_ref(),
                        p.port,
                    )
                })
                .collect(),
            rules: r
                .spec
                .rules
                .iter()
                .flatten()
                .map(|rule| RuleInfo {
                    name: rule.name.clone(),
                    matches: rule
                        .matches
                        .iter()
                        .flatten()
                        .map(http_match_summary)
                        .collect(),
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
                    parent: {
                        let pr = &p.parent_ref;
                        parent_ref(
                            &ns,
                            pr.group.as_ref(),
                            pr.kind.as_ref(),
                            pr.namespace.as_ref(),
                            &pr.name,
                            pr.section_name.as_ref(),
                            pr.port,
                        )
                    },
                    controller: p.controller_name.clone(),
                    conditions: p.conditions.iter().map(Cond::from).collect(),
                })
                .collect(),
            created: created(&r.metadata),
            key,
        }
    }
}

impl From<&GrpcRoute> for RouteInfo {
    fn from(r: &GrpcRoute) -> Self {
        let key = ObjKey::of(&r.metadata);
        let ns = key.ns.clone();
        RouteInfo {
            kind: RouteKind::Grpc,
            generation: r.metadata.generation,
            hostnames: r.spec.hostnames.clone().unwrap_or_default(),
            parents: r
                .spec
                .parent_refs
                .iter()
                .flatten()
                .map(|p| {
                    parent_ref(
                        &ns,
                        p.group.as_ref(),
                        p.kind.as_ref(),
                        p.namespace.as_ref(),
                        &p.name,
                        p.section_name.as_ref(),
                        p.port,
                    )
                })
                .collect(),
            rules: r
                .spec
                .rules
                .iter()
                .flatten()
                .map(|rule| RuleInfo {
                    name: rule.name.clone(),
                    matches: rule
                        .matches
                        .iter()
                        .flatten()
                        .map(|m| {
                            let method = m.method.as_ref();
                            let svc = method.and_then(|x| x.service.as_deref()).unwrap_or("*");
                            let meth = method.and_then(|x| x.method.as_deref()).unwrap_or("*");
                            let mut s = format!("{svc}/{meth}");
                            for h in m.headers.iter().flatten() {
                                s.push_str(&format!(" hdr:{}={}", h.name, h.value));
                            }
                            s
                        })
                        .collect(),
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
                    parent: {
                        let pr = &p.parent_ref;
                        parent_ref(
                            &ns,
                            pr.group.as_ref(),
                            pr.kind.as_ref(),
                            pr.namespace.as_ref(),
                            &pr.name,
                            pr.section_name.as_ref(),
                            pr.port,
                        )
                    },
                    controller: p.controller_name.clone(),
                    conditions: p.conditions.iter().map(Cond::from).collect(),
                })
                .collect(),
            created: created(&r.metadata),
            key,
        }
    }
}
