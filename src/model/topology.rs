//! The Gateways tree: GatewayClass → Gateway → listener → route → rule → backend (weight,
//! share) → Service → pods.

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{
    BackendInfo, GatewayInfo, ListenerInfo, PodInfo, RouteInfo, RuleInfo, find_cond,
};

use super::routes::{
    Known, backend_kind_invalid, backend_kind_label, route_problems, route_status_word,
};
use super::tree::{Node, Tone, cond_span};
use super::weights::{format_percent, shares};

/// Builds the tree. `filter` (lower-case) keeps gateways whose name, class, or any attached
/// route name contains it.
pub fn gateway_tree(cache: &ClusterCache, known: Known, filter: &str) -> Vec<Node> {
    let mut classes: Vec<Node> = Vec::new();
    for class in class_names(cache) {
        let mut node = class_node(cache, &class);
        for gw in cache.gateways.values().filter(|g| g.class == class) {
            let routes = attached(cache, gw);
            let matches = filter.is_empty()
                || gw.key.to_string().to_lowercase().contains(filter)
                || class.to_lowercase().contains(filter)
                || routes
                    .iter()
                    .any(|r| r.key.to_string().to_lowercase().contains(filter));
            if matches {
                node = node.child(gateway_node(cache, known, gw, &routes));
            }
        }
        if filter.is_empty() || !node.children.is_empty() {
            classes.push(node);
        }
    }
    classes
}

/// The classes at the top of the tree, in order: every GatewayClass, then the classes
/// only gateways name.
pub fn class_names(cache: &ClusterCache) -> Vec<String> {
    let mut class_names: Vec<String> = cache.gateway_classes.keys().cloned().collect();
    for gw in cache.gateways.values() {
        if !class_names.contains(&gw.class) {
            class_names.push(gw.class.clone());
        }
    }
    class_names
}

/// A class's own line, without its gateways.
pub fn class_node(cache: &ClusterCache, class: &str) -> Node {
    let mut node = Node::new(format!("class:{class}"))
        .span("GatewayClass ", Tone::Muted)
        .span(class.to_string(), Tone::Accent);
    match cache.gateway_classes.get(class) {
        Some(gc) => {
            node = node.span(format!("  {}", gc.controller), Tone::Muted);
            let accepted = find_cond(&gc.conditions, "Accepted").map(|c| c.status.as_str());
            let (t, tone) = cond_span("Accepted", accepted);
            node = node.span("  ", Tone::Normal).span(t, tone);
        }
        None => node = node.span("  (GatewayClass not found)", Tone::Error),
    }
    node
}

/// The routes whose parents name this gateway.
pub fn attached<'a>(cache: &'a ClusterCache, gw: &GatewayInfo) -> Vec<&'a RouteInfo> {
    cache
        .routes
        .values()
        .filter(|r| r.parents.iter().any(|p| p.is_gateway() && p.key == gw.key))
        .collect()
}

/// The namespaces whose Services and pods a gateway's node reads: its routes' backends'.
/// (Everything else it reads is routes, gateways and classes.)
pub fn backend_namespaces(routes: &[&RouteInfo]) -> Vec<String> {
    let mut nss: Vec<String> = routes
        .iter()
        .flat_map(|r| r.rules.iter().flat_map(|x| &x.backends))
        .map(|b| b.key.ns.clone())
        .collect();
    nss.sort();
    nss.dedup();
    nss
}

/// One gateway with its listeners, routes, backends, Services and pods.
pub fn gateway_node(
    cache: &ClusterCache,
    known: Known,
    gw: &GatewayInfo,
    routes: &[&RouteInfo],
) -> Node {
    let mut n = Node::new(format!("gw:{}", gw.key))
        .span("Gateway ", Tone::Muted)
        .span(gw.key.to_string(), Tone::Accent);
    let addrs: Vec<&str> = gw
        .status_addresses
        .iter()
        .map(|(_, v)| v.as_str())
        .collect();
    if addrs.is_empty() {
        n = n.span("  no address", Tone::Warn);
    } else {
        n = n.span(format!("  {}", addrs.join(", ")), Tone::Normal);
    }
    for t in ["Accepted", "Programmed"] {
        let (s, tone) = cond_span(t, find_cond(&gw.conditions, t).map(|c| c.status.as_str()));
        n = n.span("  ", Tone::Normal).span(s, tone);
    }
    let mut attached = vec![false; routes.len()];
    for l in &gw.listeners {
        let mut ln = listener_node(l);
        for (i, r) in routes.iter().enumerate() {
            let hit = r.parents.iter().any(|p| {
                p.is_gateway()
                    && p.key == gw.key
                    && p.section.as_ref().is_none_or(|s| *s == l.name)
                    && p.port.is_none_or(|port| port == l.port)
            });
            if hit {
                attached[i] = true;
                ln = ln.child(route_node(cache, known, r));
            }
        }
        n = n.child(ln);
    }
    let stray: Vec<&&RouteInfo> = routes
        .iter()
        .zip(&attached)
        .filter(|(_, a)| !**a)
        .map(|(r, _)| r)
        .collect();
    if !stray.is_empty() {
        let mut s = Node::new("stray").span(
            "routes naming no existing listener of this gateway",
            Tone::Warn,
        );
        for r in stray {
            s = s.child(route_node(cache, known, r));
        }
        n = n.child(s);
    }
    n
}

fn listener_node(l: &ListenerInfo) -> Node {
    let mut n = Node::new(format!("l:{}", l.name))
        .span("listener ", Tone::Muted)
        .span(l.name.clone(), Tone::Normal)
        .span(format!("  :{} {}", l.port, l.protocol), Tone::Normal);
    if let Some(h) = &l.hostname {
        n = n.span(format!("  {h}"), Tone::Normal);
    }
    if !l.cert_refs.is_empty() {
        let certs: Vec<String> = l
            .cert_refs
            .iter()
            .map(|c| format!("{} {}/{}", c.kind, c.ns, c.name))
            .collect();
        n = n.span(format!("  tls: {}", certs.join(", ")), Tone::Muted);
    }
    match l.attached_routes {
        Some(0) => n = n.span("  routes 0", Tone::Warn),
        Some(k) => n = n.span(format!("  routes {k}"), Tone::Normal),
        None => n = n.span("  routes ?", Tone::Muted),
    }
    for c in l.conditions.iter().filter(|c| {
        c.status != "True" && c.type_ != "Conflicted"
            || c.type_ == "Conflicted" && c.status == "True"
    }) {
        n = n.span(
            format!("  {}={} {}", c.type_, c.status, c.reason),
            Tone::Error,
        );
    }
    n
}

pub fn route_node(cache: &ClusterCache, known: Known, r: &RouteInfo) -> Node {
    let word = route_status_word(r);
    let tone = if word == "Accepted" {
        Tone::Ok
    } else {
        Tone::Warn
    };
    let problems = route_problems(cache, known, r);
    let mut n = Node::new(format!("r:{}:{}", r.kind.kind(), r.key))
        .span(format!("{} ", r.kind.kind()), Tone::Muted)
        .span(r.key.to_string(), Tone::Accent);
    if !r.hostnames.is_empty() {
        n = n.span(format!("  {}", r.hostnames.join(",")), Tone::Normal);
    }
    n = n.span(format!("  {word}"), tone);
    if !problems.is_empty() {
        n = n.span(
            format!(
                "  ⚠ {}",
                problems
                    .iter()
                    .map(|p| p.describe())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            Tone::Error,
        );
    }
    for (i, rule) in r.rules.iter().enumerate() {
        n = n.child(rule_node(cache, known, r, i, rule));
    }
    n
}

fn rule_node(
    cache: &ClusterCache,
    known: Known,
    route: &RouteInfo,
    i: usize,
    rule: &RuleInfo,
) -> Node {
    let label = rule
        .name
        .clone()
        .map(|s| format!(" {s}"))
        .unwrap_or_default();
    let matches = if rule.matches.is_empty() {
        "match all".to_string()
    } else {
        rule.matches.join(" | ")
    };
    let mut n = Node::new(format!("rule:{i}"))
        .span(format!("rule {}{label}  ", i + 1), Tone::Muted)
        .span(matches, Tone::Normal);
    let s = shares(&rule.backends.iter().map(|b| b.weight).collect::<Vec<_>>());
    if s.all_zero {
        n = n.span("  all weights 0: no traffic", Tone::Error);
    }
    for (j, (b, pct)) in rule.backends.iter().zip(&s.percent).enumerate() {
        n = n.child(backend_node(cache, known, route, j, b, *pct));
    }
    n
}

/// A Service or its pods that are not in the cache are only "not found" / "no pods" when
/// that kind is listed; while it is syncing or forbidden they are unknown (`?`).
fn backend_node(
    cache: &ClusterCache,
    known: Known,
    route: &RouteInfo,
    j: usize,
    b: &BackendInfo,
    pct: f64,
) -> Node {
    let route_ns = route.key.ns.as_str();
    let port = b.port.map(|p| format!(":{p}")).unwrap_or_default();
    let subset = b
        .subset
        .as_ref()
        .map(|s| format!(" subset {s}"))
        .unwrap_or_default();
    let n = Node::new(format!("b:{j}"))
        .span("→ ", Tone::Muted)
        .span(format!("{} {}{port}{subset}", b.kind, b.key), Tone::Normal)
        .span(format!("  weight {}", b.weight), Tone::Muted);
    if backend_kind_invalid(cache, route, b) {
        // Gateway API: this share is answered with HTTP 500, it reaches no backend.
        return n.span(
            format!(
                "  {} → HTTP 500: unsupported kind {} (InvalidKind)",
                format_percent(pct),
                backend_kind_label(b)
            ),
            Tone::Error,
        );
    }
    let mut n = n.span(
        format!("  {}", format_percent(pct)),
        if pct > 0.0 { Tone::Accent } else { Tone::Muted },
    );
    if !b.is_service() {
        return n;
    }
    match cache.services.get(&b.key) {
        None if known.absence_is_known(known.services, &b.key.ns, route_ns) => {
            n.span("  Service not found", Tone::Error)
        }
        None => n.span("  Service ?", Tone::Muted),
        Some(svc) => {
            let ports: Vec<String> = svc.ports.iter().map(|p| p.port.to_string()).collect();
            let mut sn = Node::new("svc")
                .span("Service ", Tone::Muted)
                .span(svc.key.to_string(), Tone::Normal)
                .span(
                    format!(
                        "  {} {}  ports {}",
                        svc.type_,
                        svc.cluster_ip.clone().unwrap_or_default(),
                        ports.join(",")
                    ),
                    Tone::Muted,
                );
            let pods: Vec<&PodInfo> = cache
                .pods_in(&svc.key.ns)
                .filter(|p| svc.selects(p))
                .collect();
            if !known.pods {
                sn = sn.span("  pods ?", Tone::Muted);
            } else if pods.is_empty() {
                sn = sn.span("  no pods", Tone::Warn);
            }
            for p in pods {
                sn = sn.child(pod_node(p));
            }
            n = n.child(sn);
            n
        }
    }
}

pub fn pod_node(p: &PodInfo) -> Node {
    let ready_tone = if p.phase == "Running" && p.ready == p.containers {
        Tone::Ok
    } else {
        Tone::Warn
    };
    let mut n = Node::new(format!("pod:{}", p.key.name))
        .span("pod ", Tone::Muted)
        .span(p.key.name.clone(), Tone::Normal)
        .span(
            format!("  {} {}/{}", p.phase, p.ready, p.containers),
            ready_tone,
        );
    n = match (&p.sidecar, &p.gateway) {
        (Some(sc), _) => n.span(
            format!("  sidecar {}", sc.revision.as_deref().unwrap_or("default")),
            Tone::Ok,
        ),
        (None, Some(gw)) => n.span(
            format!(
                "  gateway proxy {}",
                gw.revision.as_deref().unwrap_or("default")
            ),
            Tone::Ok,
        ),
        (None, None) => n.span("  no sidecar", Tone::Muted),
    };
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::objects::{
        Cond, GatewayClassInfo, ObjKey, ParentRef, RouteKind, ServiceInfo, ServicePort, SidecarInfo,
    };

    fn cache() -> ClusterCache {
        let mut c = ClusterCache::default();
        c.gateway_classes.insert(
            "azure-alb-external".into(),
            GatewayClassInfo {
                name: "azure-alb-external".into(),
                controller: "alb.networking.azure.io/alb-controller".into(),
                description: None,
                conditions: vec![Cond {
                    type_: "Accepted".into(),
                    status: "True".into(),
                    ..Default::default()
                }],
            },
        );
        let key = ObjKey::new("infra", "gw");
        c.gateways.insert(
            key.clone(),
            GatewayInfo {
                key,
                class: "azure-alb-external".into(),
                alb_annotations: Default::default(),
                spec_addresses: vec![],
                listeners: vec![
                    ListenerInfo {
                        name: "http".into(),
                        port: 80,
                        protocol: "HTTP".into(),
                        hostname: None,
                        tls_mode: None,
                        cert_refs: vec![],
                        attached_routes: Some(1),
                        conditions: vec![],
                    },
                    ListenerInfo {
                        name: "https".into(),
                        port: 443,
                        protocol: "HTTPS".into(),
                        hostname: Some("*.contoso.com".into()),
                        tls_mode: None,
                        cert_refs: vec![],
                        attached_routes: Some(0),
                        conditions: vec![],
                    },
                ],
                status_addresses: vec![("Hostname".into(), "abc.fz12.alb.azure.com".into())],
                conditions: vec![],
                created: None,
            },
        );
        let route = RouteInfo {
            kind: RouteKind::Http,
            key: ObjKey::new("infra", "split"),
            generation: None,
            resource_version: None,
            hostnames: vec![],
            parents: vec![ParentRef {
                group: "gateway.networking.k8s.io".into(),
                kind: "Gateway".into(),
                key: ObjKey::new("infra", "gw"),
                section: Some("http".into()),
                port: None,
            }],
            rules: vec![RuleInfo {
                name: None,
                matches: vec![],
                backends: vec![
                    BackendInfo {
                        group: String::new(),
                        kind: "Service".into(),
                        key: ObjKey::new("infra", "v1"),
                        port: Some(80),
                        weight: 1,
                        subset: None,
                    },
                    BackendInfo {
                        group: String::new(),
                        kind: "Service".into(),
                        key: ObjKey::new("infra", "v2"),
                        port: Some(80),
                        weight: 3,
                        subset: None,
                    },
                ],
            }],
            status: vec![],
            created: None,
        };
        c.routes.insert((route.key.clone(), route.kind), route);
        let svc = ServiceInfo {
            key: ObjKey::new("infra", "v1"),
            type_: "ClusterIP".into(),
            selector: [("app".to_string(), "v1".to_string())].into(),
            ports: vec![ServicePort {
                name: None,
                port: 80,
                protocol: "TCP".into(),
            }],
            cluster_ip: None,
            external: vec![],
        };
        c.services.insert(svc.key.clone(), svc);
        let pod = PodInfo {
            key: ObjKey::new("infra", "v1-abc"),
            labels: [("app".to_string(), "v1".to_string())].into(),
            owner: None,
            phase: "Running".into(),
            ready: 2,
            containers: 2,
            restarts: 0,
            gateway: None,
            sidecar: Some(SidecarInfo {
                revision: Some("asm-1-22".into()),
                image_tag: None,
            }),
            inject_override: None,
            ambient: false,
            node: None,
            created: None,
            deleting: false,
        };
        c.pods.insert(pod.key.clone(), pod);
        c
    }

    fn find<'a>(nodes: &'a [Node], needle: &str) -> Option<&'a Node> {
        for n in nodes {
            if n.text().contains(needle) {
                return Some(n);
            }
            if let Some(f) = find(&n.children, needle) {
                return Some(f);
            }
        }
        None
    }

    #[test]
    fn tree_goes_from_class_to_pods_with_percentages() {
        let t = gateway_tree(
            &cache(),
            Known {
                gateways: true,
                services: true,
                pods: true,
                all_namespaces: true,
            },
            "",
        );
        assert_eq!(t.len(), 1);
        let gw = &t[0].children[0];
        assert!(gw.text().contains("abc.fz12.alb.azure.com"));
        let http = &gw.children[0];
        assert_eq!(
            http.children.len(),
            1,
            "route attaches to the listener named by sectionName only"
        );
        assert!(gw.children[1].children.is_empty());
        assert!(gw.children[1].text().contains("routes 0"));
        let v1 = find(&t, "Service infra/v1:80").unwrap();
        assert!(v1.text().contains("25%"), "{}", v1.text());
        assert!(
            find(&t, "Service infra/v2:80")
                .unwrap()
                .text()
                .contains("75%")
        );
        assert!(
            find(&t, "Service infra/v2:80")
                .unwrap()
                .text()
                .contains("Service not found")
        );
        let pod = find(&t, "pod v1-abc").unwrap();
        assert!(pod.text().contains("sidecar asm-1-22"));
    }

    #[test]
    fn filter_keeps_matching_gateways_only() {
        let c = cache();
        let known = Known::default();
        assert_eq!(
            gateway_tree(&c, known, "split").len(),
            1,
            "route name matches"
        );
        assert!(gateway_tree(&c, known, "nothing-like-this").is_empty());
    }

    #[test]
    fn gateway_of_unknown_class_is_shown() {
        let mut c = cache();
        c.gateway_classes.clear();
        let t = gateway_tree(&c, Known::default(), "");
        assert!(t[0].text().contains("GatewayClass not found"));
    }

    #[test]
    fn unlisted_services_and_pods_are_unknown_not_missing() {
        let mut c = cache();
        c.pods.clear();
        // Services and pods forbidden (or still syncing): nothing is "not found".
        let t = gateway_tree(
            &c,
            Known {
                gateways: true,
                services: false,
                pods: false,
                all_namespaces: true,
            },
            "",
        );
        let v2 = find(&t, "Service infra/v2:80").unwrap();
        assert!(
            v2.text().contains("Service ?") && !v2.text().contains("not found"),
            "{}",
            v2.text()
        );
        let v1 = find(&t, "Service infra/v1  ").unwrap();
        assert!(
            v1.text().contains("pods ?") && !v1.text().contains("no pods"),
            "{}",
            v1.text()
        );
        // Listed: then they really are missing.
        let t = gateway_tree(
            &c,
            Known {
                gateways: true,
                services: true,
                pods: true,
                all_namespaces: true,
            },
            "",
        );
        assert!(
            find(&t, "Service infra/v2:80")
                .unwrap()
                .text()
                .contains("Service not found")
        );
        assert!(
            find(&t, "Service infra/v1  ")
                .unwrap()
                .text()
                .contains("no pods")
        );
    }
}
