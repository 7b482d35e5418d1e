//! Traffic from outside the mesh into STRICT mTLS: Ingress controllers without a sidecar,
//! Gateway API gateways without a mesh integration, and Ingress objects the AGC mesh
//! extension does not support. These join objects across namespaces, so they need every
//! namespace listed (no namespace scope).

use std::cell::OnceCell;
use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::{
    GatewayInfo, IngressInfo, MtlsMode, ObjKey, PodInfo, RouteInfo, RouteKind, ServiceInfo,
    WorkloadKind,
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
    /// The answers of [`Mtls::judge_strict`], kept by the caller (see [`Judge::strict_in`]).
    strict: Option<&'a dyn Fn(&ObjKey) -> bool>,
}

impl Mtls<'_> {
    /// The Service when its namespace is STRICT and at least one of its pods enforces it
    /// (a sidecar or ambient): plaintext from outside is refused there.
    fn strict_service(&self, key: &ObjKey) -> Option<&ServiceInfo> {
        let svc = self.cache.services.get(key)?;
        match self.strict {
            Some(kept) => kept(key),
            None => self.judge_strict(svc),
        }
        .then_some(svc)
    }

    fn judge_strict(&self, svc: &ServiceInfo) -> bool {
        let ns = &svc.key.ns;
        let m = effective_mtls(ns, &self.root, self.cache.peer_auths.values());
        m.mode == MtlsMode::Strict
            && self
                .cache
                .pods_in(ns)
                .any(|p| live_pod(p) && svc.selects(p) && in_mesh(p) && p.gateway.is_none())
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

/// Every traffic finding of the cluster, judged in full.
pub fn findings(cache: &ClusterCache, live: &Live, out: &mut Vec<Finding>) {
    let Some(judge) = Judge::new(cache, live) else {
        return;
    };
    if judge.judges_ingresses() {
        let controllers: Vec<ControllerPod> = cache
            .namespaces
            .keys()
            .flat_map(|ns| controller_pods(cache, ns))
            .collect();
        for ing in cache.ingresses.values() {
            judge.ingress(ing, &controllers, out);
        }
    }
    if judge.judges_gateways() {
        for gw in cache.gateways.values() {
            judge.gateway(gw, out);
        }
    }
}

/// A pod of an Ingress controller that runs in the cluster (`Runs::Pods`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerPod {
    /// The label that tells the controller's pods.
    label: (&'static str, &'static str),
    key: ObjKey,
    in_mesh: bool,
}

/// The live Ingress controller pods of namespace `ns`: what an Ingress finding reads of
/// pods outside its backends' namespaces (so a caller can keep them per namespace).
pub fn controller_pods(cache: &ClusterCache, ns: &str) -> Vec<ControllerPod> {
    cache
        .pods_in(ns)
        .filter(|p| live_pod(p))
        .flat_map(|p| {
            CONTROLLER_POD_LABELS
                .iter()
                .filter(|(k, v)| p.labels.get(*k).is_some_and(|x| x == v))
                .map(|label| ControllerPod {
                    label: *label,
                    key: p.key.clone(),
                    in_mesh: in_mesh(p),
                })
        })
        .collect()
}

/// The labels of `Runs::Pods` in [`ingress_controller`].
const CONTROLLER_POD_LABELS: &[(&str, &str)] = &[
    ("app.kubernetes.io/name", "ingress-nginx"),
    ("app.kubernetes.io/name", "nginx-ingress"),
    ("app.kubernetes.io/name", "traefik"),
];

/// What the traffic findings read besides their own object (an Ingress, a Gateway), so
/// that a caller can judge one object at a time: the mTLS of the mesh, and the AGC mesh
/// extension. Judged only when every namespace is listed (cross-namespace joins) and Istio
/// runs (else nothing enforces mTLS).
pub struct Judge<'a> {
    cache: &'a ClusterCache,
    live: &'a Live,
    mtls: Mtls<'a>,
    extension: Option<Option<bool>>,
    /// The Gateway API routes of each Gateway, built once when a first gateway is judged
    /// (each gateway scanning every route made a route change cost gateways x routes).
    routes: OnceCell<BTreeMap<&'a ObjKey, Vec<&'a RouteInfo>>>,
}

impl<'a> Judge<'a> {
    pub fn new(cache: &'a ClusterCache, live: &'a Live) -> Option<Judge<'a>> {
        let needed = [
            Kind::Services,
            Kind::Pods,
            Kind::PeerAuthentications,
            Kind::ControlPlanes,
            Kind::Namespaces,
        ];
        if !needed.iter().all(|k| live.sees_all(*k)) {
            return None;
        }
        let cps = ControlPlanes::from_workloads(cache.control_planes.values());
        if cps.by_revision.is_empty() {
            return None; // no Istio: nothing enforces mTLS
        }
        Some(Judge {
            cache,
            live,
            mtls: Mtls {
                cache,
                root: cps.root_namespace(),
                strict: None,
            },
            extension: agc_extension(cache, live),
            routes: OnceCell::new(),
        })
    }

    /// The STRICT Services of namespace `ns` (sorted): they read its Services and pods,
    /// and the PeerAuthentications and control planes anywhere. A caller that keeps them per
    /// namespace passes them back with [`Judge::with_strict`].
    pub fn strict_in(&self, ns: &str) -> Vec<ObjKey> {
        self.cache
            .services
            .range(ObjKey::new(ns, "")..)
            .take_while(|(k, _)| k.ns == ns)
            .filter(|(_, s)| self.mtls.judge_strict(s))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// This judge, with the STRICT Services answered by `strict` (from [`Judge::strict_in`])
    /// instead of judged again for every backend.
    pub fn with_strict<'b>(&self, strict: &'b dyn Fn(&ObjKey) -> bool) -> Judge<'b>
    where
        'a: 'b,
    {
        Judge {
            cache: self.cache,
            live: self.live,
            mtls: Mtls {
                cache: self.cache,
                root: self.mtls.root.clone(),
                strict: Some(strict),
            },
            extension: self.extension,
            routes: OnceCell::new(),
        }
    }

    /// The AGC mesh extension as [`agc_extension`] reads it (Deployments anywhere): a
    /// caller keeping results per object keeps them only while this stays the same.
    pub fn extension(&self) -> Option<Option<bool>> {
        self.extension
    }

    pub fn judges_ingresses(&self) -> bool {
        self.live.sees_all(Kind::Ingresses) && self.live.has(Kind::IngressClasses)
    }

    pub fn judges_gateways(&self) -> bool {
        self.live.sees_all(Kind::Gateways)
            && self.live.has(Kind::GatewayClasses)
            && (self.live.sees_all(Kind::HttpRoutes) || self.live.sees_all(Kind::GrpcRoutes))
    }

    /// The findings of Ingress `ing`, given every namespace's [`controller_pods`]. Returns
    /// the namespaces whose objects it read (backends', the controller's).
    pub fn ingress(
        &self,
        ing: &IngressInfo,
        controllers: &[ControllerPod],
        out: &mut Vec<Finding>,
    ) -> Vec<String> {
        let mut read: Vec<String> = ing.backends.iter().map(|b| b.service.ns.clone()).collect();
        if let Some(ns) = ingress_into_strict(
            self.cache,
            &self.mtls,
            ing,
            controllers,
            self.extension,
            out,
        ) {
            read.push(ns);
        }
        read.sort();
        read.dedup();
        read
    }

    /// The findings of Gateway `gw`. Returns the namespaces whose objects it read (its
    /// own, its routes' backends').
    pub fn gateway(&self, gw: &GatewayInfo, out: &mut Vec<Finding>) -> Vec<String> {
        let mut read = vec![gw.key.ns.clone()];
        let routes = self.routes.get_or_init(|| routes_by_gateway(self.cache));
        let routes = routes.get(&gw.key).map_or(&[][..], Vec::as_slice);
        gateway_into_strict(self, gw, routes, &mut read, out);
        read.sort();
        read.dedup();
        read
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

/// Returns the namespace of the controller's pods when it read them.
fn ingress_into_strict(
    cache: &ClusterCache,
    mtls: &Mtls,
    ing: &IngressInfo,
    controllers: &[ControllerPod],
    extension: Option<Option<bool>>,
    out: &mut Vec<Finding>,
) -> Option<String> {
    let (class, controller) = class_controller(cache, ing)?;
    // A controller we cannot place: no guess.
    let runs = ingress_controller(controller)?;
    if controller == AGC_CONTROLLER
        && extension == Some(Some(true))
        && let Some(f) = agc_ingress_unsupported(cache, ing, &class)
    {
        out.push(f);
    }
    let (where_, fix_ns, controller_objs) = match runs {
        Runs::Mesh => return None,
        Runs::External(what) => (format!("{what}, outside the cluster"), None, Vec::new()),
        Runs::Pods(k, v) => {
            let mine: Vec<&ControllerPod> =
                controllers.iter().filter(|c| c.label == (k, v)).collect();
            if mine.is_empty() || mine.iter().any(|c| c.in_mesh) {
                return None; // not found (no guess), or in the mesh
            }
            let pods: Vec<&PodInfo> = mine.iter().filter_map(|c| cache.pods.get(&c.key)).collect();
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
        return fix_ns;
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
    if let Some(ns) = &fix_ns {
        f = f.with_fix(Fix::ToggleInjection {
            namespace: ns.clone(),
        });
    }
    out.push(f);
    fix_ns
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

/// Each Gateway's Gateway API routes (a route with two listeners of one gateway as
/// parents is listed once).
fn routes_by_gateway(cache: &ClusterCache) -> BTreeMap<&ObjKey, Vec<&RouteInfo>> {
    let mut by: BTreeMap<&ObjKey, Vec<&RouteInfo>> = BTreeMap::new();
    for r in cache
        .routes
        .values()
        .filter(|r| r.kind != RouteKind::Virtual)
    {
        let gateways: BTreeSet<&ObjKey> = r
            .parents
            .iter()
            .filter(|p| p.is_gateway())
            .map(|p| &p.key)
            .collect();
        for gw in gateways {
            by.entry(gw).or_default().push(r);
        }
    }
    by
}

/// `routes`: the gateway's. Adds the namespaces it read to `read`.
fn gateway_into_strict(
    judge: &Judge,
    gw: &GatewayInfo,
    routes_of_gw: &[&RouteInfo],
    read: &mut Vec<String>,
    out: &mut Vec<Finding>,
) {
    let (cache, mtls, extension) = (judge.cache, &judge.mtls, judge.extension);
    let Some(class) = cache.gateway_classes.get(&gw.class) else {
        return;
    };
    let controller = class.controller.as_str();
    if ISTIO_GATEWAY_CONTROLLERS.contains(&controller) {
        return;
    }
    // Whether this gateway's data plane is outside the mesh, and why.
    let why = if controller == AGC_CONTROLLER {
        match extension {
            None => return,
            Some(Some(true)) => return,
            Some(Some(false)) => {
                format!("the AGC mesh extension ({AGC_MESH_EXTENSION}) exists but has no ready pod")
            }
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
            return; // unknown data plane, or in the mesh
        }
        format!(
            "its {} proxy pod(s) ({controller}) have no sidecar",
            pods.len()
        )
    };
    let mut routes = Vec::new();
    let mut strict: Vec<&ServiceInfo> = Vec::new();
    for r in routes_of_gw.iter().copied() {
        let mut hit = false;
        for b in r
            .rules
            .iter()
            .flat_map(|x| &x.backends)
            .filter(|b| b.is_service())
        {
            read.push(b.key.ns.clone());
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
        return;
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
