//! Gateway API and VirtualService health: model::routes' route problems as findings, plus
//! ReferenceGrants, Gateway conditions and unused listeners.

use crate::cluster::kinds::Kind;
use crate::cluster::objects::{BackendInfo, GatewayInfo, RouteInfo, RouteKind, find_cond};

const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";
use crate::cluster::cache::ClusterCache;
use crate::model::routes::{RouteProblem, backend_kind_label, route_problems};

use super::{Finding, Fix, Live, ObjRef};

fn route_kind_live(live: &Live, k: RouteKind) -> bool {
    live.has(match k {
        RouteKind::Http => Kind::HttpRoutes,
        RouteKind::Grpc => Kind::GrpcRoutes,
        RouteKind::Virtual => Kind::VirtualServices,
    })
}

pub fn findings(cache: &ClusterCache, live: &Live, out: &mut Vec<Finding>) {
    for r in cache.routes.values() {
        route_findings(cache, live, r, out);
    }
    gateway_findings(cache, live, out);
}

/// The findings of one route: they read the route, the Gateways and classes, and the
/// Services and ReferenceGrants of its backends' namespaces
/// (`model::routes::namespaces_read`).
pub fn route_findings(cache: &ClusterCache, live: &Live, r: &RouteInfo, out: &mut Vec<Finding>) {
    if route_kind_live(live, r.kind) && live.in_scope(&r.key.ns) {
        route(cache, live, r, out);
    }
}

/// The findings of the Gateways themselves (each reads only its own object).
pub fn gateway_findings(cache: &ClusterCache, live: &Live, out: &mut Vec<Finding>) {
    if live.has(Kind::Gateways) {
        for gw in cache.gateways.values().filter(|g| live.in_scope(&g.key.ns)) {
            gateway(gw, out);
        }
    }
}

fn route_ref(r: &RouteInfo) -> ObjRef {
    ObjRef::new(r.kind.kind(), &r.key)
}

fn svc_ref(b: &BackendInfo) -> ObjRef {
    ObjRef::new(
        if b.kind.is_empty() {
            "Service"
        } else {
            &b.kind
        },
        &b.key,
    )
}

/// Cross-namespace Service backends of Gateway API routes that no ReferenceGrant allows.
fn ungranted<'a>(cache: &ClusterCache, live: &Live, r: &'a RouteInfo) -> Vec<&'a BackendInfo> {
    if r.kind == RouteKind::Virtual {
        return Vec::new();
    }
    let mut out: Vec<&BackendInfo> = Vec::new();
    for b in r.rules.iter().flat_map(|x| &x.backends) {
        if !b.is_service() || b.key.ns == r.key.ns || !live.sees(Kind::ReferenceGrants, &b.key.ns) {
            continue;
        }
        let granted = cache.reference_grants.values().any(|g| {
            g.key.ns == b.key.ns
                && g.permits(
                    GATEWAY_GROUP,
                    r.kind.kind(),
                    &r.key.ns,
                    "",
                    "Service",
                    &b.key.name,
                )
        });
        if !granted && !out.iter().any(|x| x.key == b.key) {
            out.push(b);
        }
    }
    out
}

fn route(cache: &ClusterCache, live: &Live, r: &RouteInfo, out: &mut Vec<Finding>) {
    let what = format!("{} {}", r.kind.kind(), r.key);
    // Objects in other namespaces are not listed under a namespace scope: "not found"
    // would be a false alarm there.
    let visible = |ns: &str| live.in_scope(ns);
    let problems: Vec<RouteProblem> = route_problems(cache, live.route_known(), r)
        .into_iter()
        .filter(|p| match p {
            RouteProblem::ParentGatewayMissing(p) => visible(&p.key.ns),
            RouteProblem::BackendServiceMissing(b) | RouteProblem::BackendPortMissing(b) => {
                visible(&b.key.ns)
            }
            _ => true,
        })
        .collect();
    let missing_grant = ungranted(cache, live, r);
    // A ResolvedRefs=False whose cause has its own finding is told there, not twice.
    let specific = !missing_grant.is_empty()
        || problems.iter().any(|p| {
            matches!(
                p,
                RouteProblem::BackendServiceMissing(_) | RouteProblem::BackendPortMissing(_)
            )
        });
    let invalid_kind = problems
        .iter()
        .any(|p| matches!(p, RouteProblem::BackendInvalidKind { .. }));
    let status_reason = |reason: &str| {
        problems
            .iter()
            .find_map(|p| match p {
                RouteProblem::RefsNotResolved {
                    reason: r, message, ..
                } if r == reason => Some(format!(
                    " The route's status says so too: ResolvedRefs=False, {r}: {message}"
                )),
                _ => None,
            })
            .unwrap_or_default()
    };
    for b in &missing_grant {
        out.push(Finding::new(
            "ROUTE007",
            vec![route_ref(r), svc_ref(b), ObjRef::namespace(&b.key.ns)],
            &b.key.to_string(),
            format!(
                "{what}: backend {} in another namespace without a ReferenceGrant",
                b.key
            ),
            format!(
                "{what} sends to Service {} in namespace {}. Gateway API allows a reference \
                 across namespaces only when a ReferenceGrant in the target namespace ({}) lets \
                 {}s from {} refer to that Service; none does, so the gateway drops this \
                 backend (ResolvedRefs=False, RefNotPermitted) and its share of requests fails \
                 with HTTP 500. Create a ReferenceGrant in {} with from: {{group: {GATEWAY_GROUP}, \
                 kind: {}, namespace: {}}} and to: {{group: \"\", kind: Service, name: {}}}.{}",
                b.key,
                b.key.ns,
                b.key.ns,
                r.kind.kind(),
                r.key.ns,
                b.key.ns,
                r.kind.kind(),
                r.key.ns,
                b.key.name,
                status_reason("RefNotPermitted"),
            ),
        ));
    }
    for p in &problems {
        let f = match p {
            RouteProblem::ParentGatewayMissing(parent) => Finding::new(
                "ROUTE001",
                vec![route_ref(r), ObjRef::new("Gateway", &parent.key)],
                &parent.key.to_string(),
                format!("{what}: parent Gateway {} not found", parent.key),
                format!(
                    "{what} attaches to Gateway {}, which does not exist. No gateway serves the \
                     route: its hostnames get no traffic through it. Fix the parentRef or create \
                     the Gateway.",
                    parent.key
                ),
            ),
            RouteProblem::BackendServiceMissing(b) => Finding::new(
                "ROUTE002",
                vec![route_ref(r), svc_ref(b)],
                &b.key.to_string(),
                format!("{what}: backend Service {} not found", b.key),
                format!(
                    "{what} sends traffic to Service {}, which does not exist. Requests routed \
                     to it fail (HTTP 500 from the gateway for its weight share). Fix the \
                     backendRef or create the Service.{}",
                    b.key,
                    status_reason("BackendNotFound")
                ),
            ),
            RouteProblem::BackendPortMissing(b) => Finding::new(
                "ROUTE003",
                vec![route_ref(r), svc_ref(b)],
                &format!("{}:{}", b.key, b.port.unwrap_or_default()),
                format!(
                    "{what}: Service {} has no port {}",
                    b.key,
                    b.port.unwrap_or_default()
                ),
                format!(
                    "{what} sends to port {} of Service {}, which does not expose it. Requests \
                     routed there fail. Use one of the Service's ports.",
                    b.port.unwrap_or_default(),
                    b.key
                ),
            ),
            RouteProblem::BackendInvalidKind {
                rule,
                backend,
                share,
            } => {
                let kind = backend_kind_label(backend);
                Finding::new(
                    "ROUTE010",
                    vec![route_ref(r), svc_ref(backend)],
                    &format!("rule {} {kind} {}", rule + 1, backend.key),
                    format!(
                        "{what}: rule {} sends {share} to {kind} {}, a kind no gateway routes to",
                        rule + 1,
                        backend.key
                    ),
                    format!(
                        "Rule {} of {what} has a backendRef to {kind} {} (weight {}). Gateway                          API backends are Services (implementations may add kinds of their own;                          its parents' controllers do not support this one), so the ref is                          invalid (ResolvedRefs=False, InvalidKind) and the {share} of the rule's                          requests its weight would get are answered with HTTP 500. Point it at a                          Service, or set its weight to 0 / remove it.{}",
                        rule + 1,
                        backend.key,
                        backend.weight,
                        status_reason("InvalidKind"),
                    ),
                )
                .with_fix(Fix::OpenWeightEditor {
                    kind: r.kind,
                    route: r.key.clone(),
                    rule: *rule,
                })
            }
            RouteProblem::AllWeightsZero { rule } => Finding::new(
                "ROUTE004",
                vec![route_ref(r)],
                &format!("rule {}", rule + 1),
                format!("{what}: rule {} has all backend weights 0", rule + 1),
                format!(
                    "Every backend of rule {} of {what} has weight 0, so no backend may take \
                     its requests: the gateway answers them with HTTP 500. Give at least one \
                     backend a weight above 0.",
                    rule + 1
                ),
            )
            .with_fix(Fix::OpenWeightEditor {
                kind: r.kind,
                route: r.key.clone(),
                rule: *rule,
            }),
            RouteProblem::WeightsNot100 { rule, sum } => Finding::new(
                "ROUTE009",
                vec![route_ref(r)],
                &format!("rule {}", rule + 1),
                format!("{what}: rule {} weights sum to {sum}, not 100", rule + 1),
                format!(
                    "VirtualService weights are percentages and Istio expects them to add up to \
                     100; rule {} of {what} adds up to {sum}, so the split is not the one \
                     written. Normalise the weights.",
                    rule + 1
                ),
            )
            .with_fix(Fix::OpenWeightEditor {
                kind: r.kind,
                route: r.key.clone(),
                rule: *rule,
            }),
            RouteProblem::NotAccepted {
                parent,
                reason,
                message,
            } => Finding::new(
                "ROUTE005",
                vec![route_ref(r)],
                parent,
                format!("{what}: not Accepted by {parent} ({reason})"),
                format!(
                    "The controller of {parent} did not accept {what}: {reason}: {message}. \
                     The route is not served through that parent."
                ),
            ),
            RouteProblem::RefsNotResolved {
                parent,
                reason,
                message,
            } => {
                if specific && matches!(reason.as_str(), "RefNotPermitted" | "BackendNotFound") {
                    continue;
                }
                if invalid_kind && reason == "InvalidKind" {
                    continue; // told by ROUTE010, with the backend and its share
                }
                Finding::new(
                    "ROUTE006",
                    vec![route_ref(r)],
                    parent,
                    format!("{what}: ResolvedRefs=False on {parent} ({reason})"),
                    format!(
                        "The controller of {parent} could not resolve every reference of \
                         {what}: {reason}: {message}. Backends it could not resolve get no \
                         traffic; requests for them fail."
                    ),
                )
            }
            RouteProblem::NoStatus { parent } => Finding::new(
                "ROUTE008",
                vec![route_ref(r)],
                parent,
                format!("{what}: no status from the controller of {parent}"),
                format!(
                    "No controller has written status for {what} on parent {parent}: the \
                     Gateway's class may have no running controller, the parentRef may name \
                     a listener that does not exist, or the route is brand new."
                ),
            ),
        };
        out.push(f);
    }
}

fn gateway(gw: &GatewayInfo, out: &mut Vec<Finding>) {
    let me = ObjRef::new("Gateway", &gw.key);
    let accepted = find_cond(&gw.conditions, "Accepted");
    let programmed = find_cond(&gw.conditions, "Programmed");
    if let Some(c) = accepted.filter(|c| c.status == "False") {
        out.push(Finding::new(
            "GW001",
            vec![me.clone()],
            "",
            format!("Gateway {}: not Accepted ({})", gw.key, c.reason),
            format!(
                "The controller of class {} did not accept Gateway {}: {}: {}. None of its \
                 listeners serve traffic.",
                gw.class, gw.key, c.reason, c.message
            ),
        ));
        return;
    }
    if let Some(c) = programmed.filter(|c| c.status == "False") {
        out.push(Finding::new(
            "GW002",
            vec![me.clone()],
            "",
            format!("Gateway {}: not Programmed ({})", gw.key, c.reason),
            format!(
                "Gateway {} is accepted but its data plane is not configured: {}: {}. Until it \
                 is Programmed, the addresses may not answer or serve an old configuration.",
                gw.key, c.reason, c.message
            ),
        ));
    }
    // attachedRoutes is only meaningful once a controller has reported on the gateway.
    if accepted.is_none_or(|c| !c.is_true()) {
        return;
    }
    for l in gw.listeners.iter().filter(|l| l.attached_routes == Some(0)) {
        let certs: Vec<String> = l
            .cert_refs
            .iter()
            .map(|c| format!("{}/{}", c.ns, c.name))
            .collect();
        let tls = if certs.is_empty() {
            String::new()
        } else {
            format!(" It still holds certificate {}.", certs.join(", "))
        };
        out.push(Finding::new(
            "GW003",
            vec![me.clone()],
            &l.name,
            format!(
                "Gateway {}: listener {} has no attached routes",
                gw.key, l.name
            ),
            format!(
                "Listener {} ({} port {}{}) of Gateway {} has 0 attached routes: requests to \
                 it match nothing (404). Either routes are missing, their parentRefs name \
                 another sectionName, or the listener's allowedRoutes excludes them.{tls}",
                l.name,
                l.protocol,
                l.port,
                l.hostname
                    .as_deref()
                    .map(|h| format!(", host {h}"))
                    .unwrap_or_default(),
                gw.key
            ),
        ));
    }
}
