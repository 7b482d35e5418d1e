//! Traffic from outside the mesh into STRICT mTLS: Ingress controllers without a sidecar,
//! Gateway API gateways without a mesh integration, and Ingress objects the AGC mesh
//! extension does not support. These join objects across namespaces, so they need every
//! namespace listed (no namespace scope).

use std::collections::BTreeSet;

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::{
    IngressInfo, MtlsMode, ObjKey, PodInfo, RouteKind, ServiceInfo, WorkloadKind,
};
use crate::model::mesh::{ControlPlanes, effective_mtls, injection};

use super::{Finding, Fix, Live, ObjRef, some_names};

/// AGC's controller name, for GatewayClasses and IngressClasses alike.
pub const AGC_CONTROLLER: &str = "alb.networking.azure.io/alb-controller";
/// The ALB Controller's Istio extension: AGC's mesh integration (Gateway API only).
pub const AGC_MESH_EXTENSION: &str = "alb-controller-istio-extension";
pub const AGC_NAMESPACE: &str = "azure-alb-system";

const ISTIO_GATEWAY_CONTROLLERS: &[&str] =
    &["istio.io/gateway-controller", "istio.io/mesh-controller"];

/// Where an Ingress controller's proxies run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Runs {
    /// Outside the cluster (a cloud load balancer): never in the mesh.
    External(&'static str),
    /// In cluster pods carrying this label.
    Pods(&'static str, &'static str),
    /// An Istio gateway: in the mesh.
    Mesh,
}

fn ingress_controller(controller: &str) -> Option<Runs> {
    Some(match controller {
        "k8s.io/ingress-nginx" => Runs::Pods("app.kubernetes.io/name", "ingress-nginx"),
        "nginx.org/ingress-controller" => Runs::Pods("app.kubernetes.io/name", "nginx-ingress"),
        "traefik.io/ingress-controller" => Runs::Pods("app.kubernetes.io/name", "traefik"),
        "istio.io/ingress-controller" => Runs::Mesh,
        AGC_CONTROLLER => Runs::External("Application Gateway for Containers"),
        "azure/application-gateway" => Runs::External("Application Gateway (AGIC)"),
        "ingress.k8s.aws/alb" => Runs::External("AWS Application Load Balancer"),
        "k8s.io/ingress-gce" => Runs::External("Google Cloud load balancer"),
        _ => return None,
    })
}

fn in_mesh(p: &PodInfo) -> bool {
    p.sidecar.is_some() || p.gateway.is_some() || p.ambient
}

fn live_pod(p: &PodInfo) -> bool {
    !p.deleting && !matches!(p.phase.as_str(), "Succeeded" | "Failed")
}

/// What the mTLS judgement of a Service's namespace needs.
struct Mtls<'a> {
    cache: &'a ClusterCache,
    root: String,
}

impl Mtls<'_> {
    /// The Service when its namespace is STRICT and at least one of its pods enforces it
    /// (a sidecar or ambient): plaintext from outside is refused there.
    fn strict_service(&self, key: &ObjKey) -> Option<&ServiceInfo> {
        let svc = self.cache.services.get(key)?;
        let m = effective_mtls(&key.ns, &self.root, self.cache.peer_auths.values());
        if m.mode != MtlsMode::Strict {
            return None;
        }
        self.cache
            .pods_in(&key.ns)
            .any(|p| live_pod(p) && svc.selects(p) && in_mesh(p) && p.gateway.is_none())
            .then_some(svc)
    }

    fn note(&self, ns: &str) -> String {
        let m = effective_mtls(ns, &self.root, self.cache.peer_auths.values());
        let source = match &m.source {
            crate::model::mesh::MtlsSource::Namespace(n) => format!("PeerAuthentication {ns}/{n}"),
            crate::model::mesh::MtlsSource::MeshWide(n) => {
                format!("mesh-wide PeerAuthentication {n}")
            }
            crate::model::mesh::MtlsSource::Default => "the default".into(),
        };
        let mut s = format!("{ns} is STRICT ({source})");
        if m.workload_policies > 0 {
            s.push_str(&format!(
                "; {} workload-scoped PeerAuthentication(s) there may relax some pods or ports",
                m.workload_policies
            ));
        }
        s
    }
}

pub fn findings(cache: &ClusterCache, live: &Live, out: &mut Vec<Finding>) {
    // Cross-namespace joins: every namespace must be listed, and the mTLS inputs live.
    let needed = [
        Kind::Services,
        Kind::Pods,
        Kind::PeerAuthentications,
        Kind::ControlPlanes,
        Kind::Namespaces,
    ];
    if !needed.iter().all(|k| live.sees_all(*k)) {
        return;
    }
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    if cps.by_revision.is_empty() {
        return; // no Istio: nothing enforces mTLS
    }
    let mtls = Mtls {
        cache,
        root: cps.root_namespace(),
    };
    let extension = agc_extension(cache, live);
    if live.sees_all(Kind::Ingresses) && live.has(Kind::IngressClasses) {
        for ing in cache.ingresses.values() {
            ingress_into_strict(cache, &mtls, ing, extension, out);
        }
    }
    if live.sees_all(Kind::Gateways) && live.has(Kind::GatewayClasses) {
        gateways_into_strict(cache, live, &mtls, extension, out);
    }
}

/// The AGC mesh extension: Some(ready) when its Deployment exists, None when absent, and
/// no answer at all (outer None) when Deployments are not fully listed.
fn agc_extension(cache: &ClusterCache, live: &Live) -> Option<Option<bool>> {
    if !live.sees_all(Kind::Deployments) {
        return None;
    }
    Some(
        cache
            .workloads
            .values()
            .find(|w| w.kind == WorkloadKind::Deployment && w.key.name == AGC_MESH_EXTENSION)
            .map(|w| w.ready > 0),
    )
}

fn class_controller<'a>(cache: &'a ClusterCache, ing: &IngressInfo) -> Option<(String, &'a str)> {
    let class = match &ing.class {
        Some(c) => cache.ingress_classes.get(c)?,
        None => cache.ingress_classes.values().find(|c| c.is_default)?,
    };
    Some((class.name.clone(), class.controller.as_str()))
}

fn ingress_into_strict(
    cache: &ClusterCache,
    mtls: &Mtls,
    ing: &IngressInfo,
    extension: Option<Option<bool>>,
    out: &mut Vec<Finding>,
) {
    let Some((class, controller)) = class_controller(cache, ing) else {
        return;
    };
    let Some(runs) = ingress_controller(controller) else {
        return; // a controller we cannot place: no guess
    };
    if controller == AGC_CONTROLLER
        && extension == Some(Some(true))
        && let Some(f) = agc_ingress_unsupported(cache, ing, &class)
    {
        out.push(f);
    }
    let (where_, fix_ns, controller_objs) = match runs {
        Runs::Mesh => return,
        Runs::External(what) => (format!("{what}, outside the cluster"), None, Vec::new()),
        Runs::Pods(k, v) => {
            let pods: Vec<&PodInfo> = cache
                .pods
                .values()
                .filter(|p| live_pod(p) && p.labels.get(k).is_some_and(|x| x == v))
                .collect();
            if pods.is_empty() || pods.iter().any(|p| in_mesh(p)) {
                return; // not found (no guess), or in the mesh
            }
            let nss: BTreeSet<&str> = pods.iter().map(|p| p.key.ns.as_str()).collect();
            let ns = nss.iter().next().copied().unwrap_or_default().to_string();
            let labels = cache
                .namespaces
                .get(&ns)
                .map(|n| injection(n).effective.label())
                .unwrap_or_else(|| "-".into());
            let objs = cache
                .workloads_in(&ns)
                .filter(|w| pods.iter().any(|p| w.selects(p)))
                .map(|w| ObjRef::new(w.kind.as_str(), &w.key))
                .collect::<Vec<_>>();
            (
                format!(
                    "its {} pod(s) in namespace {ns} have no sidecar (namespace injection: {labels})",
                    pods.len()
                ),
                Some(ns),
                objs,
            )
        }
    };
    let strict: Vec<&ServiceInfo> = ing
        .backends
        .iter()
        .filter_map(|b| mtls.strict_service(&b.service))
        .collect();
    if strict.is_empty() {
        return;
    }
    let mut objects = vec![ObjRef::new("Ingress", &ing.key)];
    objects.extend(strict.iter().map(|s| ObjRef::new("Service", &s.key)));
    objects.extend(controller_objs);
    let names: Vec<String> = strict.iter().map(|s| s.key.to_string()).collect();
    let expect = if matches!(runs, Runs::External(_)) {
        "HTTP 503s"
    } else {
        "connection resets, seen as 502s"
    };
    let mut f = Finding::new(
        "MTLS001",
        objects,
        "",
        format!(
            "Ingress {} (class {class}) sends plaintext to STRICT mTLS pods of {}",
            ing.key,
            some_names(&names, 3)
        ),
        format!(
            "Ingress {} is served by {controller} (class {class}); {where_}. It sends \
             plaintext HTTP to {}, whose pods have sidecars and {}. The sidecars refuse \
             non-mTLS connections: expect {expect}. Fix one of: give the controller a sidecar \
             (inject its namespace and restart it, excluding its inbound ports from capture), \
             set PERMISSIVE for the target port with a workload PeerAuthentication, or route \
             through a mesh gateway instead.",
            ing.key,
            some_names(&names, 3),
            mtls.note(&strict[0].key.ns)
        ),
    );
    if let Some(ns) = fix_ns {
        f = f.with_fix(Fix::ToggleInjection { namespace: ns });
    }
    out.push(f);
}

/// AGC's mesh extension handles Gateway API only: an AGC Ingress into mesh pods gets no mTLS.
fn agc_ingress_unsupported(
    cache: &ClusterCache,
    ing: &IngressInfo,
    class: &str,
) -> Option<Finding> {
    let meshed: Vec<&ObjKey> = ing
        .backends
        .iter()
        .map(|b| &b.service)
        .filter(|k| {
            cache
                .namespaces
                .get(&k.ns)
                .is_some_and(|n| injection(n).effective.wants_sidecars())
        })
        .collect();
    if meshed.is_empty() {
        return None;
    }
    let names: Vec<String> = meshed.iter().map(|k| k.to_string()).collect();
    let mut objects = vec![ObjRef::new("Ingress", &ing.key)];
    objects.extend(meshed.iter().map(|k| ObjRef::new("Service", k)));
    Some(Finding::new(
        "MTLS003",
        objects,
        "",
        format!(
            "Ingress {} (AGC class {class}) into the mesh: the AGC mesh extension supports Gateway API only",
            ing.key
        ),
        format!(
            "The ALB Controller's Istio extension ({AGC_MESH_EXTENSION}) is installed, but it \
             configures mTLS for Gateway API routes only; Ingress-API objects are not \
             supported. Ingress {} sends to {} in injected namespaces without mesh \
             certificates. Move it to a Gateway and HTTPRoute.",
            ing.key,
            some_names(&names, 3)
        ),
    ))
}

fn gateways_into_strict(
    cache: &ClusterCache,
    live: &Live,
    mtls: &Mtls,
    extension: Option<Option<bool>>,
    out: &mut Vec<Finding>,
) {
    let routes_known = live.sees_all(Kind::HttpRoutes) || live.sees_all(Kind::GrpcRoutes);
    if !routes_known {
        return;
    }
    for gw in cache.gateways.values() {
        let Some(class) = cache.gateway_classes.get(&gw.class) else {
            continue;
        };
        let controller = class.controller.as_str();
        if ISTIO_GATEWAY_CONTROLLERS.contains(&controller) {
            continue;
        }
        // Whether this gateway's data plane is outside the mesh, and why.
        let why = if controller == AGC_CONTROLLER {
            match extension {
                None => continue,
                Some(Some(true)) => continue,
                Some(Some(false)) => format!(
                    "the AGC mesh extension ({AGC_MESH_EXTENSION}) exists but has no ready pod"
                ),
                Some(None) => format!(
                    "Application Gateway for Containers runs outside the cluster and the ALB \
                     Controller's Istio extension ({AGC_MESH_EXTENSION}, in {AGC_NAMESPACE}) \
                     is not installed"
                ),
            }
        } else {
            let pods: Vec<&PodInfo> = cache
                .pods_in(&gw.key.ns)
                .filter(|p| {
                    live_pod(p)
                        && p.labels
                            .get("gateway.networking.k8s.io/gateway-name")
                            .is_some_and(|n| *n == gw.key.name)
                })
                .collect();
            if pods.is_empty() || pods.iter().any(|p| in_mesh(p)) {
                continue; // unknown data plane, or in the mesh
            }
            format!(
                "its {} proxy pod(s) ({controller}) have no sidecar",
                pods.len()
            )
        };
        let mut routes = Vec::new();
        let mut strict: Vec<&ServiceInfo> = Vec::new();
        for r in cache.routes.values().filter(|r| {
            r.kind != RouteKind::Virtual
                && r.parents.iter().any(|p| p.is_gateway() && p.key == gw.key)
        }) {
            let mut hit = false;
            for b in r
                .rules
                .iter()
                .flat_map(|x| &x.backends)
                .filter(|b| b.is_service())
            {
                if let Some(s) = mtls.strict_service(&b.key) {
                    hit = true;
                    if !strict.iter().any(|x| x.key == s.key) {
                        strict.push(s);
                    }
                }
            }
            if hit {
                routes.push(r);
            }
        }
        if strict.is_empty() {
            continue;
        }
        let mut objects = vec![ObjRef::new("Gateway", &gw.key)];
        objects.extend(routes.iter().map(|r| ObjRef::new(r.kind.kind(), &r.key)));
        objects.extend(strict.iter().map(|s| ObjRef::new("Service", &s.key)));
        let names: Vec<String> = strict.iter().map(|s| s.key.to_string()).collect();
        let advice = if controller == AGC_CONTROLLER {
            format!(
                "Install the ALB Controller service mesh extension ({AGC_MESH_EXTENSION}), which \
                 gives AGC mesh certificates, or set PERMISSIVE for these services."
            )
        } else {
            "Give the gateway's pods a sidecar, use a mesh-integrated gateway class (istio), \
             or set PERMISSIVE for these services."
                .into()
        };
        out.push(Finding::new(
            "MTLS002",
            objects,
            "",
            format!(
                "Gateway {} (class {}) routes to STRICT mTLS pods without mesh integration: {}",
                gw.key,
                gw.class,
                some_names(&names, 3)
            ),
            format!(
                "Gateway {} (class {}, controller {controller}) has routes to {}; {}. {why}, \
                 so its requests arrive without mesh mTLS and the sidecars refuse them: expect \
                 HTTP 503s. {advice}",
                gw.key,
                gw.class,
                some_names(&names, 3),
                mtls.note(&strict[0].key.ns),
            ),
        ));
    }
}
