//! Route health: what is wrong with an HTTPRoute/GRPCRoute, as far as the API shows it.

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{BackendInfo, ParentRef, RouteInfo, RouteKind, find_cond};

use super::weights::{format_percent, shares};

/// Problems are judged only against kinds whose watch is live: a missing Service is not a
/// problem while Services are still syncing or forbidden.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Known {
    pub gateways: bool,
    pub services: bool,
    /// Pods are listed: only then does "no pods" behind a Service mean none exist.
    pub pods: bool,
    /// Every namespace is listed. Under a namespace scope only the route's own namespace is,
    /// so a Gateway or Service in another namespace is unknown, not missing.
    pub all_namespaces: bool,
}

impl Known {
    /// Objects of a kind that is `listed`, in namespace `ns`, seen from a route in
    /// `route_ns`: is their absence a fact?
    pub fn absence_is_known(&self, listed: bool, ns: &str, route_ns: &str) -> bool {
        listed && (self.all_namespaces || ns == route_ns)
    }
}

/// Whether an object a route refers to exists, as far as the listed kinds tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Found,
    /// Its kind is listed where it would be, and it is not there.
    Missing,
    /// Its kind is not listed (syncing, forbidden) or not in the namespace scope.
    Unknown,
}

/// A route's parent Gateway: found, missing, or unknown (Gateways not listed, or in another
/// namespace under a namespace scope). The one rule for the Routes view, the route detail
/// and the findings.
pub fn parent_gateway(
    cache: &ClusterCache,
    known: Known,
    route: &RouteInfo,
    p: &ParentRef,
) -> Presence {
    if cache.gateways.contains_key(&p.key) {
        Presence::Found
    } else if known.absence_is_known(known.gateways, &p.key.ns, &route.key.ns) {
        Presence::Missing
    } else {
        Presence::Unknown
    }
}

/// Backend kinds Istio routes to besides core Services (Gateway API "implementation-specific"
/// or "extended" support), as Istio's Gateway API conversion accepts them.
const ISTIO_BACKEND_KINDS: &[(&str, &str)] = &[
    ("networking.istio.io", "Hostname"),
    ("networking.istio.io", "ServiceEntry"),
    ("multicluster.x-k8s.io", "ServiceImport"),
    ("inference.networking.k8s.io", "InferencePool"),
    ("inference.networking.x-k8s.io", "InferencePool"),
];

const ISTIO_CONTROLLERS: &[&str] = &["istio.io/gateway-controller", "istio.io/mesh-controller"];

/// A Gateway API backendRef whose kind no parent's controller can route to. Gateway API:
/// such a ref is invalid (ResolvedRefs=False, InvalidKind) and the share of requests its
/// weight would get is answered with HTTP 500. Core Services are always supported; Istio's
/// own kinds where every parent with a known controller is Istio; any other kind only when
/// the controller itself says it resolved every ref (ResolvedRefs=True on every parent), so
/// another implementation's kind is not a false alarm once its controller has spoken.
pub fn backend_kind_invalid(cache: &ClusterCache, route: &RouteInfo, b: &BackendInfo) -> bool {
    backend_kind_invalid_with(route, b, |p| {
        cache
            .gateways
            .get(&p.key)
            .and_then(|g| cache.gateway_classes.get(&g.class))
            .map(|c| c.controller.as_str())
    })
}

/// [`backend_kind_invalid`] with the controller of each parent Gateway (None = unknown).
pub fn backend_kind_invalid_with<'a>(
    route: &RouteInfo,
    b: &BackendInfo,
    controller: impl Fn(&ParentRef) -> Option<&'a str>,
) -> bool {
    if route.kind == RouteKind::Virtual || b.is_service() {
        return false;
    }
    fn resolved(s: &crate::cluster::objects::ParentStatus) -> Option<(&str, &str)> {
        find_cond(&s.conditions, "ResolvedRefs").map(|c| (c.status.as_str(), c.reason.as_str()))
    }
    if route
        .status
        .iter()
        .any(|s| resolved(s) == Some(("False", "InvalidKind")))
    {
        return true;
    }
    if !route.parents.is_empty()
        && route.parents.iter().all(|p| {
            route
                .status
                .iter()
                .any(|s| s.parent.matches(p) && resolved(s).is_some_and(|(st, _)| st == "True"))
        })
    {
        return false;
    }
    if !ISTIO_BACKEND_KINDS.contains(&(b.group.as_str(), b.kind.as_str())) {
        return true;
    }
    // An Istio kind: invalid through any parent Gateway whose controller is known and not Istio.
    route
        .parents
        .iter()
        .filter(|p| p.is_gateway())
        .any(|p| controller(p).is_some_and(|c| !ISTIO_CONTROLLERS.contains(&c)))
}

/// `ConfigMap`, `example.com/Bar`: a backend kind as Gateway API writes group and kind.
pub fn backend_kind_label(b: &BackendInfo) -> String {
    if b.group.is_empty() {
        b.kind.clone()
    } else {
        format!("{}/{}", b.group, b.kind)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteProblem {
    ParentGatewayMissing(ParentRef),
    NotAccepted {
        parent: String,
        reason: String,
        message: String,
    },
    RefsNotResolved {
        parent: String,
        reason: String,
        message: String,
    },
    NoStatus {
        parent: String,
    },
    BackendServiceMissing(BackendInfo),
    BackendPortMissing(BackendInfo),
    /// A backendRef of a kind no parent's controller supports: its `share` (percent of
    /// the rule's requests) gets HTTP 500.
    BackendInvalidKind {
        rule: usize,
        backend: BackendInfo,
        share: String,
    },
    AllWeightsZero {
        rule: usize,
    },
    /// VirtualService weights are percentages: Istio expects them to add up to 100.
    WeightsNot100 {
        rule: usize,
        sum: i64,
    },
}

impl RouteProblem {
    pub fn describe(&self) -> String {
        match self {
            RouteProblem::ParentGatewayMissing(p) => format!("parent Gateway {} not found", p.key),
            RouteProblem::NotAccepted {
                parent,
                reason,
                message,
            } => format!("not Accepted by {parent}: {reason} {message}")
                .trim()
                .to_string(),
            RouteProblem::RefsNotResolved {
                parent,
                reason,
                message,
            } => format!("ResolvedRefs=False on {parent}: {reason} {message}")
                .trim()
                .to_string(),
            RouteProblem::NoStatus { parent } => {
                format!("no controller has reported status for {parent}")
            }
            RouteProblem::BackendServiceMissing(b) => {
                format!("backend Service {} not found", b.key)
            }
            RouteProblem::BackendPortMissing(b) => format!(
                "backend Service {} has no port {}",
                b.key,
                b.port.unwrap_or_default()
            ),
            RouteProblem::BackendInvalidKind {
                rule,
                backend,
                share,
            } => format!(
                "rule {} backend {} {}: unsupported kind (InvalidKind), its {share} get HTTP 500",
                rule + 1,
                backend_kind_label(backend),
                backend.key
            ),
            RouteProblem::AllWeightsZero { rule } => {
                format!("rule {} has all backend weights 0: no traffic", rule + 1)
            }
            RouteProblem::WeightsNot100 { rule, sum } => {
                format!("rule {} weights sum to {sum}, not 100", rule + 1)
            }
        }
    }
}

fn parent_label(p: &ParentRef) -> String {
    match &p.section {
        Some(s) => format!("{}#{s}", p.key),
        None => p.key.to_string(),
    }
}

pub fn route_problems(cache: &ClusterCache, known: Known, route: &RouteInfo) -> Vec<RouteProblem> {
    let mut out = Vec::new();
    // VirtualServices have no status and name Istio Gateways, which we do not watch.
    let parents = if route.kind == RouteKind::Virtual {
        &[][..]
    } else {
        &route.parents[..]
    };
    for p in parents {
        if p.is_gateway() && parent_gateway(cache, known, route, p) == Presence::Missing {
            out.push(RouteProblem::ParentGatewayMissing(p.clone()));
            continue;
        }
        let statuses: Vec<_> = route
            .status
            .iter()
            .filter(|s| s.parent.matches(p))
            .collect();
        if statuses.is_empty() {
            out.push(RouteProblem::NoStatus {
                parent: parent_label(p),
            });
        }
        for s in statuses {
            if let Some(c) = find_cond(&s.conditions, "Accepted").filter(|c| c.status == "False") {
                out.push(RouteProblem::NotAccepted {
                    parent: parent_label(p),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                });
            }
            if let Some(c) =
                find_cond(&s.conditions, "ResolvedRefs").filter(|c| c.status == "False")
            {
                out.push(RouteProblem::RefsNotResolved {
                    parent: parent_label(p),
                    reason: c.reason.clone(),
                    message: c.message.clone(),
                });
            }
        }
    }
    for (i, rule) in route.rules.iter().enumerate() {
        let s = shares(&rule.backends.iter().map(|b| b.weight).collect::<Vec<_>>());
        for (b, pct) in rule.backends.iter().zip(&s.percent) {
            if backend_kind_invalid(cache, route, b) {
                out.push(RouteProblem::BackendInvalidKind {
                    rule: i,
                    backend: b.clone(),
                    share: format_percent(*pct),
                });
            }
        }
        if s.all_zero {
            out.push(RouteProblem::AllWeightsZero { rule: i });
        } else if route.kind == RouteKind::Virtual && rule.backends.len() > 1 {
            let sum = rule.backends.iter().map(|b| b.weight).sum();
            if sum != 100 {
                out.push(RouteProblem::WeightsNot100 { rule: i, sum });
            }
        }
        if !known.services {
            continue;
        }
        for b in rule.backends.iter().filter(|b| b.is_service()) {
            match cache.services.get(&b.key) {
                None if !known.absence_is_known(true, &b.key.ns, &route.key.ns) => {}
                None => out.push(RouteProblem::BackendServiceMissing(b.clone())),
                Some(svc) => {
                    if let Some(port) = b.port
                        && !svc.ports.iter().any(|p| p.port == port)
                    {
                        out.push(RouteProblem::BackendPortMissing(b.clone()));
                    }
                }
            }
        }
    }
    out
}

/// The namespaces whose objects a route's row and findings read: its own (the route
/// itself) and its backends' (Services, ReferenceGrants). Gateways may be anywhere.
pub fn namespaces_read(route: &RouteInfo) -> Vec<String> {
    let mut nss: Vec<String> = std::iter::once(&route.key.ns)
        .chain(
            route
                .rules
                .iter()
                .flat_map(|r| &r.backends)
                .map(|b| &b.key.ns),
        )
        .cloned()
        .collect();
    nss.sort();
    nss.dedup();
    nss
}

/// Overall condition of a route across its parents, for a one-word status column.
pub fn route_status_word(route: &RouteInfo) -> &'static str {
    if route.kind == RouteKind::Virtual {
        return "n/a";
    }
    if route.status.is_empty() {
        return "Pending";
    }
    let all = |t: &str| {
        route
            .status
            .iter()
            .all(|s| find_cond(&s.conditions, t).is_some_and(|c| c.is_true()))
    };
    match (all("Accepted"), all("ResolvedRefs")) {
        (true, true) => "Accepted",
        (true, false) => "RefsNotResolved",
        _ => "NotAccepted",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::objects::{
        Cond, GatewayInfo, ObjKey, ParentStatus, RuleInfo, ServiceInfo, ServicePort,
    };

    fn gw_ref(ns: &str, name: &str) -> ParentRef {
        ParentRef {
            group: "gateway.networking.k8s.io".into(),
            kind: "Gateway".into(),
            key: ObjKey::new(ns, name),
            section: None,
            port: None,
        }
    }

    fn backend(ns: &str, name: &str, port: Option<i32>, weight: i64) -> BackendInfo {
        BackendInfo {
            group: String::new(),
            kind: "Service".into(),
            key: ObjKey::new(ns, name),
            port,
            weight,
            subset: None,
        }
    }

    fn cond(t: &str, s: &str, reason: &str) -> Cond {
        Cond {
            type_: t.into(),
            status: s.into(),
            reason: reason.into(),
            message: String::new(),
        }
    }

    fn route(
        parents: Vec<ParentRef>,
        backends: Vec<BackendInfo>,
        status: Vec<ParentStatus>,
    ) -> RouteInfo {
        RouteInfo {
            kind: RouteKind::Http,
            key: ObjKey::new("app", "r"),
            generation: Some(1),
            resource_version: Some("1".into()),
            hostnames: vec![],
            parents,
            rules: vec![RuleInfo {
                name: None,
                matches: vec![],
                backends,
            }],
            status,
            created: None,
        }
    }

    fn cache_with(gw: &str, svc: &str, port: i32) -> ClusterCache {
        let mut c = ClusterCache::default();
        let key = ObjKey::new("infra", gw);
        c.gateways.insert(
            key.clone(),
            GatewayInfo {
                key,
                class: "x".into(),
                alb_annotations: Default::default(),
                spec_addresses: vec![],
                listeners: vec![],
                status_addresses: vec![],
                conditions: vec![],
                created: None,
            },
        );
        let key = ObjKey::new("app", svc);
        c.services.insert(
            key.clone(),
            ServiceInfo {
                key,
                type_: "ClusterIP".into(),
                selector: Default::default(),
                ports: vec![ServicePort {
                    name: None,
                    port,
                    protocol: "TCP".into(),
                }],
                cluster_ip: None,
                external: vec![],
            },
        );
        c
    }

    const KNOWN: Known = Known {
        gateways: true,
        services: true,
        pods: true,
        all_namespaces: true,
    };

    #[test]
    fn healthy_route_has_no_problems() {
        let c = cache_with("gw", "svc", 80);
        let st = ParentStatus {
            parent: gw_ref("infra", "gw"),
            controller: "c".into(),
            conditions: vec![
                cond("Accepted", "True", "Accepted"),
                cond("ResolvedRefs", "True", "ResolvedRefs"),
            ],
        };
        let r = route(
            vec![gw_ref("infra", "gw")],
            vec![backend("app", "svc", Some(80), 1)],
            vec![st],
        );
        assert_eq!(route_problems(&c, KNOWN, &r), vec![]);
        assert_eq!(route_status_word(&r), "Accepted");
    }

    #[test]
    fn missing_parent_service_port_and_zero_weights() {
        let c = cache_with("gw", "svc", 80);
        let r = route(
            vec![gw_ref("infra", "nope")],
            vec![
                backend("app", "gone", None, 0),
                backend("app", "svc", Some(8080), 0),
            ],
            vec![],
        );
        let p = route_problems(&c, KNOWN, &r);
        assert!(p.contains(&RouteProblem::ParentGatewayMissing(gw_ref("infra", "nope"))));
        assert!(p.contains(&RouteProblem::BackendServiceMissing(backend(
            "app", "gone", None, 0
        ))));
        assert!(p.contains(&RouteProblem::BackendPortMissing(backend(
            "app",
            "svc",
            Some(8080),
            0
        ))));
        assert!(p.contains(&RouteProblem::AllWeightsZero { rule: 0 }));
    }

    #[test]
    fn virtual_services_are_judged_on_weights_and_services_not_gateway_status() {
        let c = cache_with("gw", "svc", 80);
        let mut r = route(
            vec![gw_ref("istio-system", "ingress")],
            vec![
                backend("app", "svc", Some(80), 80),
                backend("app", "svc", Some(80), 10),
            ],
            vec![],
        );
        r.kind = RouteKind::Virtual;
        r.parents[0].group = "networking.istio.io".into();
        assert_eq!(
            route_problems(&c, KNOWN, &r),
            vec![RouteProblem::WeightsNot100 { rule: 0, sum: 90 }],
            "no status and Istio Gateways are not problems; a sum of 90 is"
        );
        assert_eq!(route_status_word(&r), "n/a");
        r.rules[0].backends[1].weight = 20;
        assert_eq!(route_problems(&c, KNOWN, &r), vec![]);
    }

    #[test]
    fn under_a_namespace_scope_other_namespaces_are_unknown_not_missing() {
        let c = cache_with("gw", "svc", 80);
        let r = route(
            vec![gw_ref("elsewhere", "gw")],
            vec![backend("other", "api", Some(80), 1)],
            vec![],
        );
        let scoped = Known {
            all_namespaces: false,
            ..KNOWN
        };
        let p = route_problems(&c, scoped, &r);
        assert!(
            !p.iter().any(|x| matches!(
                x,
                RouteProblem::ParentGatewayMissing(_) | RouteProblem::BackendServiceMissing(_)
            )),
            "{p:?}"
        );
        // The route's own namespace is listed: a Service missing there is missing.
        let r = route(vec![], vec![backend("app", "gone", None, 1)], vec![]);
        assert!(
            route_problems(&c, scoped, &r).contains(&RouteProblem::BackendServiceMissing(backend(
                "app", "gone", None, 1
            )))
        );
        // All namespaces listed: the other namespace's absence is a fact.
        let r = route(
            vec![gw_ref("elsewhere", "gw")],
            vec![backend("other", "api", Some(80), 1)],
            vec![],
        );
        let p = route_problems(&c, KNOWN, &r);
        assert!(p.contains(&RouteProblem::BackendServiceMissing(backend(
            "other",
            "api",
            Some(80),
            1
        ))));
    }

    #[test]
    fn a_parent_gateway_is_found_missing_or_unknown_by_one_rule() {
        let c = cache_with("gw", "svc", 80);
        let r = route(vec![], vec![], vec![]); // route in namespace app
        let scoped = Known {
            all_namespaces: false,
            ..KNOWN
        };
        let at = |known, ns, name| parent_gateway(&c, known, &r, &gw_ref(ns, name));
        assert_eq!(at(KNOWN, "infra", "gw"), Presence::Found);
        assert_eq!(
            at(scoped, "infra", "gw"),
            Presence::Found,
            "in the cache: found"
        );
        assert_eq!(at(KNOWN, "infra", "nope"), Presence::Missing);
        // Under a scope another namespace's Gateway is unknown, the own namespace's missing.
        assert_eq!(at(scoped, "infra", "nope"), Presence::Unknown);
        assert_eq!(at(scoped, "app", "nope"), Presence::Missing);
        // Gateways not listed: unknown everywhere.
        assert_eq!(at(Known::default(), "app", "nope"), Presence::Unknown);
    }

    #[test]
    fn nothing_is_judged_missing_while_unknown() {
        let c = ClusterCache::default();
        let r = route(
            vec![gw_ref("infra", "nope")],
            vec![backend("app", "gone", None, 1)],
            vec![],
        );
        let p = route_problems(&c, Known::default(), &r);
        assert_eq!(
            p,
            vec![RouteProblem::NoStatus {
                parent: "infra/nope".into()
            }]
        );
    }

    #[test]
    fn status_conditions_false_are_reported() {
        let c = cache_with("gw", "svc", 80);
        let st = ParentStatus {
            parent: gw_ref("infra", "gw"),
            controller: "c".into(),
            conditions: vec![
                cond("Accepted", "False", "NotAllowedByListeners"),
                cond("ResolvedRefs", "False", "BackendNotFound"),
            ],
        };
        let r = route(
            vec![gw_ref("infra", "gw")],
            vec![backend("app", "svc", None, 1)],
            vec![st],
        );
        let p = route_problems(&c, KNOWN, &r);
        assert_eq!(p.len(), 2);
        assert_eq!(route_status_word(&r), "NotAccepted");
        assert!(p[1].describe().contains("BackendNotFound"));
    }
}
