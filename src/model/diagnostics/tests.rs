//! Each finding: a fixture that produces it, one that must not, and "kind not live / not
//! visible in the scope -> no finding".

use std::collections::BTreeMap;

use serde_json::json;

use super::*;
use crate::cluster::objects::{
    GatewayClassInfo, GatewayInfo, IngressClassInfo, IngressInfo, IngressServiceRef, MtlsMode,
    NamespaceInfo, PeerAuthInfo, PodInfo, ReferenceGrantInfo, RouteInfo, ServiceInfo, ServicePort,
    WorkloadInfo,
};

fn labels(l: &[(&str, &str)]) -> BTreeMap<String, String> {
    l.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ns(c: &mut ClusterCache, name: &str, l: &[(&str, &str)]) {
    c.namespaces.insert(
        name.into(),
        NamespaceInfo {
            name: name.into(),
            labels: labels(l),
            phase: None,
            resource_version: Some("1".into()),
        },
    );
}

fn workload(c: &mut ClusterCache, kind: WorkloadKind, ns: &str, name: &str, l: &[(&str, &str)]) {
    let w = WorkloadInfo {
        kind,
        key: ObjKey::new(ns, name),
        labels: labels(l),
        selector: labels(&[("app", name)]),
        resource_version: Some("5".into()),
        desired: 1,
        ready: 1,
        ..Default::default()
    };
    if w.control_plane_revision().is_some() {
        c.control_planes.insert(w.key.clone(), w.clone());
    }
    c.workloads.insert((w.key.clone(), kind), w);
}

fn istiod(c: &mut ClusterCache, rev: &str) {
    workload(
        c,
        WorkloadKind::Deployment,
        "aks-istio-system",
        &format!("istiod-{rev}"),
        &[("app", "istiod"), ("istio.io/rev", rev)],
    );
}

/// A pod of workload `app` (label app=<app>), with a sidecar of `rev` when given.
fn pod(c: &mut ClusterCache, ns: &str, app: &str, n: usize, rev: Option<&str>) {
    let mut p = PodInfo::running(ObjKey::new(ns, format!("{app}-{n}")), Some(app), rev);
    p.labels.insert("app.kubernetes.io/name".into(), app.into());
    c.pods.insert(p.key.clone(), p);
}

fn service(c: &mut ClusterCache, ns: &str, name: &str, port: i32) {
    c.services.insert(
        ObjKey::new(ns, name),
        ServiceInfo {
            key: ObjKey::new(ns, name),
            type_: "ClusterIP".into(),
            selector: labels(&[("app", name)]),
            ports: vec![ServicePort {
                name: None,
                port,
                protocol: "TCP".into(),
            }],
            cluster_ip: None,
            external: vec![],
        },
    );
}

fn peer_auth(c: &mut ClusterCache, ns: &str, mode: MtlsMode) {
    c.peer_auths.insert(
        ObjKey::new(ns, "default"),
        PeerAuthInfo {
            key: ObjKey::new(ns, "default"),
            has_selector: false,
            mode: Some(mode),
            raw_mode: None,
            port_overrides: 0,
        },
    );
}

fn live() -> Live {
    Live::all(None)
}

fn without(kind: Kind) -> Live {
    let mut l = live();
    l.kinds.remove(&kind);
    l
}

fn scoped(ns: &str) -> Live {
    Live::all(Some(ns.into()))
}

fn codes(c: &ClusterCache, live: &Live) -> Vec<&'static str> {
    findings(c, live, &[]).iter().map(|f| f.code).collect()
}

fn one<'a>(all: &'a [Finding], code: &str) -> &'a Finding {
    let hits: Vec<&Finding> = all.iter().filter(|f| f.code == code).collect();
    assert_eq!(hits.len(), 1, "exactly one {code} expected in {all:#?}");
    hits[0]
}

// ---------------------------------------------------------------- mesh membership

#[test]
fn mesh001_conflicting_labels() {
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    ns(
        &mut c,
        "legacy",
        &[("istio-injection", "enabled"), ("istio.io/rev", "asm-1-22")],
    );
    ns(&mut c, "fine", &[("istio.io/rev", "asm-1-22")]);
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH001");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.objects, vec![ObjRef::namespace("legacy")]);
    assert_eq!(f.istio, Some(IST0123));
    assert!(f.explanation.contains("(asm-1-22)"), "{}", f.explanation);
    assert_eq!(
        f.fix,
        Some(Fix::ToggleInjection {
            namespace: "legacy".into()
        })
    );
    assert!(codes(&c, &without(Kind::Namespaces)).is_empty());
    assert!(
        codes(&c, &scoped("fine")).is_empty(),
        "other namespaces are out of scope"
    );
}

#[test]
fn mesh002_revision_without_control_plane() {
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    ns(&mut c, "canary", &[("istio.io/rev", "asm-1-23")]);
    workload(&mut c, WorkloadKind::Deployment, "canary", "checkout", &[]);
    pod(&mut c, "canary", "checkout", 1, None);
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH002");
    assert_eq!(f.severity, Severity::Error);
    assert!(f.title.contains("asm-1-23"));
    assert!(f.explanation.contains("asm-1-22 in aks-istio-system"));
    assert!(f.explanation.contains("1 pod run"), "{}", f.explanation);
    assert_eq!(
        all.len(),
        1,
        "no pod is 'missing' a sidecar nobody can inject"
    );
    // The revision exists: nothing; control planes not listed yet: nothing.
    istiod(&mut c, "asm-1-23");
    assert!(!codes(&c, &live()).contains(&"MESH002"));
    let mut c = ClusterCache::default();
    ns(&mut c, "canary", &[("istio.io/rev", "asm-1-23")]);
    assert!(codes(&c, &without(Kind::ControlPlanes)).is_empty());
}

/// shop (asm-1-22): cart has one pod without sidecar; web is fine.
fn shop() -> ClusterCache {
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    ns(&mut c, "shop", &[("istio.io/rev", "asm-1-22")]);
    for w in ["cart", "web"] {
        workload(&mut c, WorkloadKind::Deployment, "shop", w, &[]);
    }
    pod(&mut c, "shop", "cart", 1, Some("asm-1-22"));
    pod(&mut c, "shop", "cart", 2, None);
    pod(&mut c, "shop", "web", 1, Some("asm-1-22"));
    c
}

#[test]
fn mesh003_pods_missing_their_sidecar() {
    let mut c = shop();
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH003");
    assert_eq!(f.istio, Some(IST0103));
    assert_eq!(f.id, "MESH003 Deployment/shop/cart");
    assert_eq!(
        f.objects.last(),
        Some(&ObjRef::new("Pod", &ObjKey::new("shop", "cart-2")))
    );
    assert_eq!(
        f.fix,
        Some(Fix::RolloutRestart {
            kind: WorkloadKind::Deployment,
            workload: ObjKey::new("shop", "cart")
        })
    );
    assert!(codes(&c, &without(Kind::Pods)).is_empty(), "pods unknown");
    assert!(codes(&c, &scoped("other")).is_empty());
    assert_eq!(codes(&c, &scoped("shop")), ["MESH003"]);
    // Two workloads: one finding for the namespace, fixed by its bulk restart.
    pod(&mut c, "shop", "web", 2, None);
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH003");
    assert_eq!(f.objects[0], ObjRef::namespace("shop"));
    assert!(f.title.contains("2 pods") && f.title.contains("cart, web"));
    assert_eq!(
        f.fix,
        Some(Fix::BulkRestartNamespace {
            namespace: "shop".into()
        })
    );
    // Healthy: every pod has its sidecar.
    let mut c = shop();
    c.pods.remove(&ObjKey::new("shop", "cart-2"));
    assert!(findings(&c, &live(), &[]).is_empty());
}

#[test]
fn mesh004_sidecar_of_an_old_revision() {
    let mut c = shop();
    c.pods.remove(&ObjKey::new("shop", "cart-2"));
    pod(&mut c, "shop", "web", 1, Some("asm-1-21"));
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH004");
    assert_eq!(f.istio, Some(IST0105));
    assert!(
        f.title
            .contains("sidecar asm-1-21, namespace wants asm-1-22"),
        "{}",
        f.title
    );
    assert_eq!(
        f.fix,
        Some(Fix::RolloutRestart {
            kind: WorkloadKind::Deployment,
            workload: ObjKey::new("shop", "web")
        })
    );
    // A pod without workload is judged by its own labels but has nothing to restart.
    assert_eq!(all.len(), 1);
}

#[test]
fn mesh005_sidecar_new_pods_would_not_get() {
    let mut c = shop();
    c.pods.remove(&ObjKey::new("shop", "cart-2"));
    ns(&mut c, "shop", &[]);
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH005");
    assert_eq!(f.severity, Severity::Info);
    assert!(f.title.contains("2 pods"), "{}", f.title);
}

#[test]
fn mesh006_injection_explicitly_disabled() {
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    ns(&mut c, "batch", &[("istio-injection", "disabled")]);
    ns(&mut c, "empty", &[("istio-injection", "disabled")]);
    workload(&mut c, WorkloadKind::Deployment, "batch", "job", &[]);
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH006");
    assert_eq!(f.objects, vec![ObjRef::namespace("batch")]);
    assert_eq!(f.severity, Severity::Info);
    // Without any control plane the cluster has no mesh to opt out of.
    c.control_planes.clear();
    assert!(codes(&c, &live()).is_empty());
}

#[test]
fn mesh007_ambient_without_ztunnel() {
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    ns(&mut c, "lab", &[("istio.io/dataplane-mode", "ambient")]);
    assert_eq!(codes(&c, &live()), ["MESH007"]);
    assert!(codes(&c, &without(Kind::DaemonSets)).is_empty());
    assert!(
        codes(&c, &scoped("lab")).is_empty(),
        "DaemonSets of other namespaces unseen"
    );
    workload(
        &mut c,
        WorkloadKind::DaemonSet,
        "istio-system",
        "ztunnel",
        &[],
    );
    assert!(codes(&c, &live()).is_empty());
}

#[test]
fn mesh008_revision_whose_istiod_has_no_ready_replica() {
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    istiod(&mut c, "asm-1-23");
    ns(&mut c, "shop", &[("istio.io/rev", "asm-1-23")]);
    ns(&mut c, "web", &[("istio.io/rev", "asm-1-22")]);
    assert!(codes(&c, &live()).is_empty(), "both ready");
    let key = ObjKey::new("aks-istio-system", "istiod-asm-1-23");
    c.control_planes.get_mut(&key).unwrap().ready = 0;
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MESH008");
    assert_eq!(all.len(), 1, "web's asm-1-22 is ready; not MESH002 either");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.objects,
        vec![ObjRef::namespace("shop"), ObjRef::new("Deployment", &key)]
    );
    assert_eq!(
        f.title,
        "shop: istio.io/rev=asm-1-23 but istiod asm-1-23 has no ready replica (0/1)"
    );
    assert!(
        f.explanation
            .contains("istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready"),
        "{}",
        f.explanation
    );
    assert!(
        f.explanation.contains("rollouts stall"),
        "{}",
        f.explanation
    );
    assert_eq!(
        f.fix,
        Some(Fix::ToggleInjection {
            namespace: "shop".into()
        })
    );
    // istio-injection=enabled follows the default revision (the only one, here).
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    let key = ObjKey::new("aks-istio-system", "istiod-asm-1-22");
    c.control_planes.get_mut(&key).unwrap().ready = 0;
    ns(&mut c, "legacy", &[("istio-injection", "enabled")]);
    ns(&mut c, "off", &[("istio-injection", "disabled")]);
    let all = findings(&c, &live(), &[]);
    assert!(
        one(&all, "MESH008")
            .title
            .contains("default revision asm-1-22")
    );
    assert_eq!(
        codes(&c, &live()),
        ["MESH008"],
        "`off` asks for no control plane"
    );
    // Control planes not listed yet, or the namespace out of scope: nothing.
    assert!(codes(&c, &without(Kind::ControlPlanes)).is_empty());
    assert!(codes(&c, &scoped("off")).is_empty());
}

// ---------------------------------------------------------------- traffic into STRICT

/// ingress-nginx without sidecar; Ingress shop/web -> Service shop/web; shop STRICT
/// mesh-wide, web's pod has a sidecar.
fn nginx_into_strict() -> ClusterCache {
    let mut c = ClusterCache::default();
    istiod(&mut c, "asm-1-22");
    peer_auth(&mut c, "aks-istio-system", MtlsMode::Strict);
    ns(&mut c, "ingress-nginx", &[]);
    ns(&mut c, "shop", &[("istio.io/rev", "asm-1-22")]);
    workload(
        &mut c,
        WorkloadKind::Deployment,
        "ingress-nginx",
        "ingress-nginx",
        &[],
    );
    pod(&mut c, "ingress-nginx", "ingress-nginx", 1, None);
    workload(&mut c, WorkloadKind::Deployment, "shop", "web", &[]);
    pod(&mut c, "shop", "web", 1, Some("asm-1-22"));
    service(&mut c, "shop", "web", 80);
    c.ingress_classes.insert(
        "nginx".into(),
        IngressClassInfo {
            name: "nginx".into(),
            controller: "k8s.io/ingress-nginx".into(),
            is_default: true,
        },
    );
    ingress(&mut c, "shop", "web", None, "web");
    c
}

fn ingress(c: &mut ClusterCache, ns: &str, name: &str, class: Option<&str>, svc: &str) {
    c.ingresses.insert(
        ObjKey::new(ns, name),
        IngressInfo {
            key: ObjKey::new(ns, name),
            class: class.map(String::from),
            hosts: vec![],
            backends: vec![IngressServiceRef {
                service: ObjKey::new(ns, svc),
                port: Some(80),
                port_name: None,
            }],
        },
    );
}

#[test]
fn mtls001_ingress_controller_outside_the_mesh_into_strict() {
    let c = nginx_into_strict();
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MTLS001");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.objects,
        vec![
            ObjRef::new("Ingress", &ObjKey::new("shop", "web")),
            ObjRef::new("Service", &ObjKey::new("shop", "web")),
            ObjRef::new("Deployment", &ObjKey::new("ingress-nginx", "ingress-nginx")),
        ]
    );
    assert!(
        f.explanation
            .contains("mesh-wide PeerAuthentication aks-istio-system/default")
    );
    assert_eq!(
        f.fix,
        Some(Fix::ToggleInjection {
            namespace: "ingress-nginx".into()
        })
    );
    for k in [
        Kind::Ingresses,
        Kind::IngressClasses,
        Kind::Pods,
        Kind::PeerAuthentications,
    ] {
        assert!(
            !codes(&c, &without(k)).contains(&"MTLS001"),
            "{k:?} not live"
        );
    }
    assert!(!codes(&c, &scoped("shop")).contains(&"MTLS001"));
}

#[test]
fn mtls001_not_when_anything_lets_plaintext_through() {
    // The namespace is PERMISSIVE.
    let mut c = nginx_into_strict();
    peer_auth(&mut c, "shop", MtlsMode::Permissive);
    assert!(codes(&c, &live()).is_empty());
    // The controller has a sidecar.
    let mut c = nginx_into_strict();
    pod(
        &mut c,
        "ingress-nginx",
        "ingress-nginx",
        1,
        Some("asm-1-22"),
    );
    assert!(!codes(&c, &live()).contains(&"MTLS001"));
    // The backend's pods have no sidecar: nothing enforces STRICT.
    let mut c = nginx_into_strict();
    pod(&mut c, "shop", "web", 1, None);
    assert!(!codes(&c, &live()).contains(&"MTLS001"));
    // A controller we cannot place: no guess.
    let mut c = nginx_into_strict();
    c.ingress_classes.get_mut("nginx").unwrap().controller = "example.com/custom".into();
    assert!(codes(&c, &live()).is_empty());
    // No Istio at all.
    let mut c = nginx_into_strict();
    c.control_planes.clear();
    assert_eq!(
        codes(&c, &live()),
        ["MESH002"],
        "only: shop's revision has no istiod"
    );
}

/// An AGC gateway whose route sends to STRICT shop/web; no mesh extension.
fn agc_into_strict() -> ClusterCache {
    let mut c = nginx_into_strict();
    c.ingresses.clear();
    c.gateway_classes.insert(
        "azure-alb-external".into(),
        GatewayClassInfo {
            name: "azure-alb-external".into(),
            controller: traffic::AGC_CONTROLLER.into(),
            description: None,
            conditions: vec![],
        },
    );
    gateway(&mut c, "edge", "gw", "azure-alb-external", accepted(), 1);
    c.routes.insert(
        (ObjKey::new("shop", "r"), RouteKind::Http),
        http_route(
            "shop",
            "r",
            "edge",
            "gw",
            &[("web", 80, 1)],
            accepted_route("edge", "gw"),
        ),
    );
    c
}

#[test]
fn mtls002_gateway_without_mesh_integration_into_strict() {
    let mut c = agc_into_strict();
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MTLS002");
    assert_eq!(f.severity, Severity::Error);
    assert_eq!(
        f.objects[0],
        ObjRef::new("Gateway", &ObjKey::new("edge", "gw"))
    );
    assert!(f.explanation.contains("alb-controller-istio-extension"));
    assert!(f.explanation.contains("503"));
    assert!(!codes(&c, &without(Kind::Deployments)).contains(&"MTLS002"));
    assert!(!codes(&c, &without(Kind::GatewayClasses)).contains(&"MTLS002"));
    // The extension is installed (and ready): integrated.
    workload(
        &mut c,
        WorkloadKind::Deployment,
        "azure-alb-system",
        "alb-controller-istio-extension",
        &[],
    );
    assert!(!codes(&c, &live()).contains(&"MTLS002"));
    // Installed but not running: still a finding.
    for w in c.workloads.values_mut() {
        if w.key.name == "alb-controller-istio-extension" {
            w.ready = 0;
        }
    }
    let all = findings(&c, &live(), &[]);
    assert!(one(&all, "MTLS002").explanation.contains("no ready pod"));
    // Istio's own gateway class is in the mesh.
    let mut c = agc_into_strict();
    c.gateway_classes
        .get_mut("azure-alb-external")
        .unwrap()
        .controller = "istio.io/gateway-controller".into();
    assert!(!codes(&c, &live()).contains(&"MTLS002"));
}

#[test]
fn mtls003_ingress_api_where_the_agc_extension_serves() {
    let mut c = nginx_into_strict();
    c.ingress_classes.insert(
        "azure-alb-external".into(),
        IngressClassInfo {
            name: "azure-alb-external".into(),
            controller: traffic::AGC_CONTROLLER.into(),
            is_default: false,
        },
    );
    c.ingresses.clear();
    ingress(&mut c, "shop", "agc", Some("azure-alb-external"), "web");
    // Without the extension: plain AGC into STRICT (MTLS001), not "unsupported".
    assert_eq!(codes(&c, &live()), ["MTLS001"]);
    workload(
        &mut c,
        WorkloadKind::Deployment,
        "azure-alb-system",
        "alb-controller-istio-extension",
        &[],
    );
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "MTLS003");
    assert_eq!(f.severity, Severity::Warning);
    assert!(f.title.contains("Gateway API only"));
    // An AGC Ingress into a namespace outside the mesh is fine.
    ns(&mut c, "shop", &[]);
    assert!(!codes(&c, &live()).contains(&"MTLS003"));
}

// ---------------------------------------------------------------- routes and gateways

fn accepted() -> serde_json::Value {
    json!([
        {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1},
        {"type": "Programmed", "status": "True", "reason": "Programmed", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}
    ])
}

fn gateway(
    c: &mut ClusterCache,
    ns: &str,
    name: &str,
    class: &str,
    conditions: serde_json::Value,
    attached: i32,
) {
    let gw: gateway_api::gateways::Gateway = serde_json::from_value(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"gatewayClassName": class, "listeners": [{"name": "http", "port": 80, "protocol": "HTTP"}]},
        "status": {"conditions": conditions, "listeners": [{"name": "http", "attachedRoutes": attached,
            "supportedKinds": [], "conditions": []}]}
    }))
    .unwrap();
    let info = GatewayInfo::from(&gw);
    c.gateways.insert(info.key.clone(), info);
}

fn accepted_route(gw_ns: &str, gw: &str) -> serde_json::Value {
    json!([{"parentRef": {"name": gw, "namespace": gw_ns}, "controllerName": "c",
    "conditions": [
        {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "ResolvedRefs", "status": "True", "reason": "ResolvedRefs", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}
    ]}])
}

/// backends: (namespace-qualified "ns/name" or name, port, weight).
fn http_route(
    ns: &str,
    name: &str,
    gw_ns: &str,
    gw: &str,
    backends: &[(&str, i32, i32)],
    parents_status: serde_json::Value,
) -> RouteInfo {
    let refs: Vec<serde_json::Value> = backends
        .iter()
        .map(|(b, port, weight)| match b.split_once('/') {
            Some((bns, bname)) => {
                json!({"name": bname, "namespace": bns, "port": port, "weight": weight})
            }
            None => json!({"name": b, "port": port, "weight": weight}),
        })
        .collect();
    let r: gateway_api::httproutes::HttpRoute = serde_json::from_value(json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"parentRefs": [{"name": gw, "namespace": gw_ns}], "rules": [{"backendRefs": refs}]},
        "status": {"parents": parents_status}
    }))
    .unwrap();
    RouteInfo::from(&r)
}

/// Gateway infra/gw (accepted), Service app/svc:80, and one route app/r.
fn one_route(backends: &[(&str, i32, i32)], status: serde_json::Value) -> ClusterCache {
    let mut c = ClusterCache::default();
    gateway(&mut c, "infra", "gw", "x", accepted(), 1);
    service(&mut c, "app", "svc", 80);
    service(&mut c, "other", "svc", 80);
    c.routes.insert(
        (ObjKey::new("app", "r"), RouteKind::Http),
        http_route("app", "r", "infra", "gw", backends, status),
    );
    c
}

#[test]
fn healthy_route_and_gateway_have_no_findings() {
    let c = one_route(&[("svc", 80, 1)], accepted_route("infra", "gw"));
    assert!(
        findings(&c, &live(), &[]).is_empty(),
        "{:#?}",
        findings(&c, &live(), &[])
    );
}

#[test]
fn route_problems_become_findings() {
    // Missing Service, missing port, all weights 0, no status.
    let c = one_route(&[("gone", 80, 0), ("svc", 8080, 0)], json!([]));
    let all = findings(&c, &live(), &[]);
    assert_eq!(
        all.iter().map(|f| f.code).collect::<Vec<_>>(),
        ["ROUTE002", "ROUTE003", "ROUTE004", "ROUTE008"]
    );
    assert_eq!(all[0].istio, Some(IST0101));
    assert_eq!(
        all[2].fix,
        Some(Fix::OpenWeightEditor {
            kind: RouteKind::Http,
            route: ObjKey::new("app", "r"),
            rule: 0
        })
    );
    // Services not listed: nothing is "missing".
    assert_eq!(
        codes(&c, &without(Kind::Services)),
        ["ROUTE004", "ROUTE008"]
    );
    // HTTPRoutes not live: nothing about them at all.
    assert!(codes(&c, &without(Kind::HttpRoutes)).is_empty());
}

#[test]
fn parent_gateway_missing_is_judged_only_where_visible() {
    let mut c = one_route(&[("svc", 80, 1)], json!([]));
    c.gateways.clear();
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "ROUTE001");
    assert_eq!(f.istio, Some(IST0101));
    assert_eq!(
        f.objects[1],
        ObjRef::new("Gateway", &ObjKey::new("infra", "gw"))
    );
    assert!(
        codes(&c, &without(Kind::Gateways))
            .iter()
            .all(|c| *c != "ROUTE001")
    );
    // Scoped to app: the gateway's namespace is not listed, so it is not "missing".
    assert!(!codes(&c, &scoped("app")).contains(&"ROUTE001"));
}

#[test]
fn status_conditions_become_findings() {
    let status = json!([{"parentRef": {"name": "gw", "namespace": "infra"}, "controllerName": "c",
    "conditions": [
        {"type": "Accepted", "status": "False", "reason": "NotAllowedByListeners", "message": "no", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "ResolvedRefs", "status": "False", "reason": "InvalidKind", "message": "bad", "lastTransitionTime": "2026-01-01T00:00:00Z"}
    ]}]);
    let c = one_route(&[("svc", 80, 1)], status);
    assert_eq!(codes(&c, &live()), ["ROUTE005", "ROUTE006"]);
}

/// one_route with backends svc (1), ConfigMap app/cm (1) and example.com/Bar app/bar (2).
fn route_with_odd_kinds(status: serde_json::Value) -> ClusterCache {
    let mut c = one_route(&[("svc", 80, 1), ("cm", 80, 1), ("bar", 80, 2)], status);
    let r = c
        .routes
        .get_mut(&(ObjKey::new("app", "r"), RouteKind::Http))
        .unwrap();
    r.rules[0].backends[1].kind = "ConfigMap".into();
    r.rules[0].backends[2].group = "example.com".into();
    r.rules[0].backends[2].kind = "Bar".into();
    c
}

#[test]
fn route010_backend_of_an_unsupported_kind_gets_its_share_as_500s() {
    let c = route_with_odd_kinds(json!([]));
    let all = findings(&c, &live(), &[]);
    let mine: Vec<&Finding> = all.iter().filter(|f| f.code == "ROUTE010").collect();
    assert_eq!(mine.len(), 2, "{all:#?}");
    assert_eq!(mine[0].severity, Severity::Error);
    let titles: Vec<&str> = mine.iter().map(|f| f.title.as_str()).collect();
    assert!(
        titles
            .iter()
            .any(|t| t.contains("sends 25% to ConfigMap app/cm")),
        "{titles:?}"
    );
    assert!(
        titles
            .iter()
            .any(|t| t.contains("sends 50% to example.com/Bar app/bar")),
        "{titles:?}"
    );
    assert!(mine.iter().all(|f| f.explanation.contains("HTTP 500")));
    assert_eq!(
        mine[0].objects[1],
        ObjRef::new("ConfigMap", &ObjKey::new("app", "cm"))
    );
    assert!(matches!(
        mine[0].fix,
        Some(Fix::OpenWeightEditor { rule: 0, .. })
    ));
    // No "Service not found" for refs that are not Services.
    assert!(!codes(&c, &live()).contains(&"ROUTE002"));
}

#[test]
fn route010_the_controller_status_decides_and_replaces_route006() {
    // The controller resolved every ref (its own kinds): no alarm.
    let c = route_with_odd_kinds(accepted_route("infra", "gw"));
    assert!(!codes(&c, &live()).contains(&"ROUTE010"));
    // The controller says InvalidKind: ROUTE010 tells it, ROUTE006 not again.
    let status = json!([{"parentRef": {"name": "gw", "namespace": "infra"}, "controllerName": "c",
    "conditions": [
        {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "ResolvedRefs", "status": "False", "reason": "InvalidKind", "message": "kind ConfigMap", "lastTransitionTime": "2026-01-01T00:00:00Z"}
    ]}]);
    let c = route_with_odd_kinds(status);
    let got = codes(&c, &live());
    assert!(
        got.contains(&"ROUTE010") && !got.contains(&"ROUTE006"),
        "{got:?}"
    );
    let all = findings(&c, &live(), &[]);
    let route010: Vec<&Finding> = all.iter().filter(|f| f.code == "ROUTE010").collect();
    assert_eq!(route010.len(), 2);
    assert!(
        route010
            .iter()
            .all(|f| f.explanation.contains("InvalidKind: kind ConfigMap"))
    );
}

#[test]
fn route010_istio_kinds_are_valid_where_istio_serves_the_route() {
    let mut c = one_route(&[("svc", 80, 1), ("api.example.com", 443, 1)], json!([]));
    let r = c
        .routes
        .get_mut(&(ObjKey::new("app", "r"), RouteKind::Http))
        .unwrap();
    r.rules[0].backends[1].group = "networking.istio.io".into();
    r.rules[0].backends[1].kind = "Hostname".into();
    let class = |controller: &str| GatewayClassInfo {
        name: "x".into(),
        controller: controller.into(),
        description: None,
        conditions: vec![],
    };
    // Controller unknown (no class listed): not judged.
    assert!(!codes(&c, &live()).contains(&"ROUTE010"));
    c.gateway_classes
        .insert("x".into(), class("istio.io/gateway-controller"));
    assert!(!codes(&c, &live()).contains(&"ROUTE010"));
    c.gateway_classes
        .insert("x".into(), class(traffic::AGC_CONTROLLER));
    assert!(codes(&c, &live()).contains(&"ROUTE010"));
}

#[test]
fn route007_cross_namespace_backend_needs_a_reference_grant() {
    let status = json!([{"parentRef": {"name": "gw", "namespace": "infra"}, "controllerName": "c",
    "conditions": [
        {"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"},
        {"type": "ResolvedRefs", "status": "False", "reason": "RefNotPermitted", "message": "not permitted", "lastTransitionTime": "2026-01-01T00:00:00Z"}
    ]}]);
    let mut c = one_route(&[("other/svc", 80, 1)], status);
    let all = findings(&c, &live(), &[]);
    assert_eq!(
        all.iter().map(|f| f.code).collect::<Vec<_>>(),
        ["ROUTE007"],
        "the RefNotPermitted status is told in ROUTE007, not twice"
    );
    assert!(
        all[0]
            .explanation
            .contains("Create a ReferenceGrant in other")
    );
    assert!(all[0].explanation.contains("not permitted"));
    // Grants unknown: only the controller's word.
    assert_eq!(codes(&c, &without(Kind::ReferenceGrants)), ["ROUTE006"]);
    // A grant for this route's namespace and kind: fine.
    let g: kube::api::DynamicObject = serde_json::from_value(json!({
        "apiVersion": "gateway.networking.k8s.io/v1beta1", "kind": "ReferenceGrant",
        "metadata": {"name": "allow", "namespace": "other"},
        "spec": {"from": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "app"}],
                 "to": [{"group": "", "kind": "Service"}]}
    }))
    .unwrap();
    let g = ReferenceGrantInfo::from(&g);
    c.reference_grants.insert(g.key.clone(), g);
    assert_eq!(
        codes(&c, &live()),
        ["ROUTE006"],
        "only the (stale) status is left"
    );
}

#[test]
fn virtual_service_weights_not_100() {
    let mut c = ClusterCache::default();
    service(&mut c, "app", "svc", 80);
    let vs: crate::cluster::objects::VirtualService = serde_json::from_value(json!({
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": {"name": "vs", "namespace": "app"},
        "spec": {"hosts": ["svc"], "http": [{"route": [
            {"destination": {"host": "svc"}, "weight": 80},
            {"destination": {"host": "svc"}, "weight": 10}
        ]}]}
    }))
    .unwrap();
    let r = RouteInfo::from(&vs);
    c.routes.insert((r.key.clone(), r.kind), r);
    let all = findings(&c, &live(), &[]);
    let f = one(&all, "ROUTE009");
    assert!(f.title.contains("sum to 90"));
    assert!(matches!(
        f.fix,
        Some(Fix::OpenWeightEditor {
            kind: RouteKind::Virtual,
            rule: 0,
            ..
        })
    ));
    assert!(codes(&c, &without(Kind::VirtualServices)).is_empty());
    // Both destinations name one missing Service: one finding, not two.
    c.services.clear();
    assert_eq!(codes(&c, &live()), ["ROUTE002", "ROUTE009"]);
}

#[test]
fn gateway_conditions_and_unused_listeners() {
    let cond = |t: &str, s: &str, r: &str| json!({"type": t, "status": s, "reason": r, "message": "m", "lastTransitionTime": "2026-01-01T00:00:00Z"});
    let mut c = ClusterCache::default();
    gateway(
        &mut c,
        "a",
        "refused",
        "x",
        json!([cond("Accepted", "False", "InvalidParameters")]),
        0,
    );
    gateway(
        &mut c,
        "a",
        "unprogrammed",
        "x",
        json!([
            cond("Accepted", "True", "Accepted"),
            cond("Programmed", "False", "AddressNotAssigned")
        ]),
        1,
    );
    gateway(&mut c, "a", "unused", "x", accepted(), 0);
    gateway(&mut c, "a", "pending", "x", json!([]), 0);
    gateway(&mut c, "a", "fine", "x", accepted(), 2);
    let all = findings(&c, &live(), &[]);
    let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "GW001 Gateway/a/refused",
            "GW002 Gateway/a/unprogrammed",
            "GW003 Gateway/a/unused http"
        ],
        "a refused gateway's listeners and a gateway without status are not 'unused'"
    );
    assert!(codes(&c, &without(Kind::Gateways)).is_empty());
}

// ---------------------------------------------------------------- order, counts, JSON

#[test]
fn sorted_by_severity_then_code_and_counted() {
    let mut c = shop();
    ns(
        &mut c,
        "legacy",
        &[("istio-injection", "enabled"), ("istio.io/rev", "asm-1-22")],
    );
    ns(&mut c, "canary", &[("istio.io/rev", "asm-1-23")]);
    let all = findings(&c, &live(), &[]);
    assert_eq!(
        all.iter().map(|f| f.code).collect::<Vec<_>>(),
        ["MESH002", "MESH001", "MESH003"]
    );
    let n = Counts::of(&all);
    assert_eq!((n.errors, n.warnings, n.infos), (1, 2, 0));
    assert_eq!(n.describe(), "1 error 2 warnings");
    assert_eq!(Counts::default().describe(), "none");
}

#[test]
fn every_code_is_catalogued_once_and_json_is_stable() {
    let mut seen = std::collections::BTreeSet::new();
    for c in CATALOG {
        assert!(seen.insert(c.code), "{} twice", c.code);
    }
    let c = shop();
    let all = findings(&c, &live(), &[]);
    let v = serde_json::to_value(&all[0]).unwrap();
    assert_eq!(v["code"], "MESH003");
    assert_eq!(v["severity"], "warning");
    assert_eq!(
        v["objects"][0],
        json!({"kind": "Deployment", "namespace": "shop", "name": "cart"})
    );
    assert_eq!(
        v["istio"],
        json!({"code": "IST0103", "name": "PodMissingProxy"})
    );
    assert_eq!(
        v["fix"],
        json!({"action": "rollout_restart", "kind": "Deployment", "workload": {"namespace": "shop", "name": "cart"}})
    );
}
