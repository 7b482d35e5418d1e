//! The app loop's copy of the cluster: lean objects per kind, fed by watch messages.

use std::collections::BTreeMap;

use crate::cluster::kinds::Kind;
use crate::cluster::objects::{
    AlbInfo, CmCertificateInfo, ConfigMapCerts, FrontendTlsPolicyInfo, GatewayClassInfo,
    GatewayInfo, IngressClassInfo, IngressInfo, NamespaceInfo, ObjKey, PeerAuthInfo, PodInfo,
    ReferenceGrantInfo, RouteInfo, RouteKind, SecretCerts, ServiceInfo, TlsPolicyInfo,
    WorkloadInfo, WorkloadKind,
};
pub use crate::cluster::stamps::Stamps;

/// One lean object of any watched kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    Namespace(NamespaceInfo),
    Pod(PodInfo),
    Service(ServiceInfo),
    Workload(WorkloadInfo),
    /// An istiod Deployment from the cluster-wide control-plane watch.
    ControlPlane(WorkloadInfo),
    GatewayClass(GatewayClassInfo),
    Gateway(GatewayInfo),
    Route(RouteInfo),
    PeerAuth(PeerAuthInfo),
    Alb(AlbInfo),
    FrontendTls(FrontendTlsPolicyInfo),
    Ingress(IngressInfo),
    IngressClass(IngressClassInfo),
    ReferenceGrant(ReferenceGrantInfo),
    /// A certificate-holding Secret, from the watch of `Kind` (TLS type, or an Istio CA name).
    CertSecret(Kind, SecretCerts),
    /// A ConfigMap's PEM keys (none: not kept).
    CertConfigMap(ConfigMapCerts),
    CmCertificate(CmCertificateInfo),
    TlsPolicy(TlsPolicyInfo),
    /// An object the watcher could not read into its type (schema drift, bad data): kept so
    /// that it is shown as a problem instead of vanishing.
    Unreadable {
        kind: Kind,
        key: ObjKey,
        error: String,
    },
}

impl Obj {
    /// The watch it came from and the namespace it is stamped in (see [`Stamps`]).
    fn origin(&self) -> (Kind, &str) {
        match self {
            Obj::Namespace(n) => (Kind::Namespaces, &n.name),
            Obj::Pod(p) => (Kind::Pods, &p.key.ns),
            Obj::Service(s) => (Kind::Services, &s.key.ns),
            Obj::Workload(w) => (w.kind.watched(), &w.key.ns),
            Obj::ControlPlane(w) => (Kind::ControlPlanes, &w.key.ns),
            Obj::GatewayClass(_) => (Kind::GatewayClasses, ""),
            Obj::Gateway(g) => (Kind::Gateways, &g.key.ns),
            Obj::Route(r) => (r.kind.watched(), &r.key.ns),
            Obj::PeerAuth(p) => (Kind::PeerAuthentications, &p.key.ns),
            Obj::Alb(a) => (Kind::ApplicationLoadBalancers, &a.key.ns),
            Obj::FrontendTls(f) => (Kind::FrontendTlsPolicies, &f.key.ns),
            Obj::Ingress(i) => (Kind::Ingresses, &i.key.ns),
            Obj::IngressClass(_) => (Kind::IngressClasses, ""),
            Obj::ReferenceGrant(g) => (Kind::ReferenceGrants, &g.key.ns),
            Obj::CertSecret(kind, s) => (*kind, &s.key.ns),
            Obj::CertConfigMap(c) => (Kind::ConfigMaps, &c.key.ns),
            Obj::CmCertificate(c) => (Kind::CertManagerCertificates, &c.key.ns),
            Obj::TlsPolicy(p) => (p.kind, &p.key.ns),
            Obj::Unreadable { kind, key, .. } => (*kind, stamped_ns(*kind, key)),
        }
    }
}

/// The namespace a change of `key` is stamped in: a Namespace object's own name.
fn stamped_ns(kind: Kind, key: &ObjKey) -> &str {
    if kind == Kind::Namespaces {
        &key.name
    } else {
        &key.ns
    }
}

/// Objects sorted by namespace then name, so a namespace is a range scan.
///
/// Change every field through `apply`, `delete`, `reset` and `clear` only: they stamp what
/// changed (`stamps`), and memoised derivations trust the stamps.
#[derive(Debug, Default, Clone)]
pub struct ClusterCache {
    pub namespaces: BTreeMap<String, NamespaceInfo>,
    pub pods: BTreeMap<ObjKey, PodInfo>,
    pub services: BTreeMap<ObjKey, ServiceInfo>,
    pub workloads: BTreeMap<(ObjKey, WorkloadKind), WorkloadInfo>,
    pub control_planes: BTreeMap<ObjKey, WorkloadInfo>,
    pub gateway_classes: BTreeMap<String, GatewayClassInfo>,
    pub gateways: BTreeMap<ObjKey, GatewayInfo>,
    pub routes: BTreeMap<(ObjKey, RouteKind), RouteInfo>,
    pub peer_auths: BTreeMap<ObjKey, PeerAuthInfo>,
    pub albs: BTreeMap<ObjKey, AlbInfo>,
    pub frontend_tls: BTreeMap<ObjKey, FrontendTlsPolicyInfo>,
    pub ingresses: BTreeMap<ObjKey, IngressInfo>,
    pub ingress_classes: BTreeMap<String, IngressClassInfo>,
    pub reference_grants: BTreeMap<ObjKey, ReferenceGrantInfo>,
    /// By watch kind: a Secret both TLS-typed and named `cacerts` is seen by two watches.
    pub cert_secrets: BTreeMap<(Kind, ObjKey), SecretCerts>,
    pub cert_config_maps: BTreeMap<ObjKey, ConfigMapCerts>,
    pub cm_certificates: BTreeMap<ObjKey, CmCertificateInfo>,
    pub tls_policies: BTreeMap<(Kind, ObjKey), TlsPolicyInfo>,
    pub unreadable: BTreeMap<(Kind, ObjKey), String>,
    /// When each kind last changed, per namespace.
    pub stamps: Stamps,
}

impl ClusterCache {
    /// The one per-kind dispatch of the cache: the field that holds a watch's objects.
    fn slot(&mut self, kind: Kind) -> &mut dyn Slot {
        match kind {
            Kind::Namespaces => &mut self.namespaces,
            Kind::Pods => &mut self.pods,
            Kind::Services => &mut self.services,
            Kind::Deployments | Kind::StatefulSets | Kind::DaemonSets => &mut self.workloads,
            Kind::ControlPlanes => &mut self.control_planes,
            Kind::GatewayClasses => &mut self.gateway_classes,
            Kind::Gateways => &mut self.gateways,
            Kind::HttpRoutes | Kind::GrpcRoutes | Kind::VirtualServices => &mut self.routes,
            Kind::PeerAuthentications => &mut self.peer_auths,
            Kind::ApplicationLoadBalancers => &mut self.albs,
            Kind::FrontendTlsPolicies => &mut self.frontend_tls,
            Kind::Ingresses => &mut self.ingresses,
            Kind::IngressClasses => &mut self.ingress_classes,
            Kind::ReferenceGrants => &mut self.reference_grants,
            Kind::TlsSecrets | Kind::IstioCaCerts | Kind::IstioCaSecrets => &mut self.cert_secrets,
            Kind::ConfigMaps => &mut self.cert_config_maps,
            Kind::CertManagerCertificates => &mut self.cm_certificates,
            Kind::BackendTlsPolicies | Kind::AlbBackendTlsPolicies => &mut self.tls_policies,
        }
    }

    /// Drops everything of one kind (before a fresh list replaces it).
    pub fn clear(&mut self, kind: Kind) {
        self.stamps.touch_all(kind);
        self.slot(kind).clear_kind(kind);
        self.unreadable.retain(|(k, _), _| *k != kind);
    }

    /// Replaces all objects of a kind with a fresh list.
    pub fn reset(&mut self, kind: Kind, objs: Vec<Obj>) {
        self.clear(kind);
        for o in objs {
            self.apply(o);
        }
    }

    pub fn apply(&mut self, obj: Obj) {
        let (kind, ns) = obj.origin();
        self.stamps.touch(kind, ns);
        match obj {
            Obj::Namespace(n) => {
                self.namespaces.insert(n.name.clone(), n);
            }
            Obj::Pod(p) => {
                self.unreadable.remove(&(Kind::Pods, p.key.clone()));
                self.pods.insert(p.key.clone(), p);
            }
            Obj::Service(s) => {
                self.services.insert(s.key.clone(), s);
            }
            Obj::Workload(w) => {
                self.workloads.insert((w.key.clone(), w.kind), w);
            }
            Obj::ControlPlane(w) => {
                self.control_planes.insert(w.key.clone(), w);
            }
            Obj::GatewayClass(g) => {
                self.unreadable
                    .remove(&(Kind::GatewayClasses, ObjKey::new("", g.name.clone())));
                self.gateway_classes.insert(g.name.clone(), g);
            }
            Obj::Gateway(g) => {
                self.unreadable.remove(&(Kind::Gateways, g.key.clone()));
                self.gateways.insert(g.key.clone(), g);
            }
            Obj::Route(r) => {
                self.unreadable.remove(&(r.kind.watched(), r.key.clone()));
                self.routes.insert((r.key.clone(), r.kind), r);
            }
            Obj::PeerAuth(p) => {
                self.peer_auths.insert(p.key.clone(), p);
            }
            Obj::Alb(a) => {
                self.albs.insert(a.key.clone(), a);
            }
            Obj::FrontendTls(f) => {
                self.frontend_tls.insert(f.key.clone(), f);
            }
            Obj::Ingress(i) => {
                self.ingresses.insert(i.key.clone(), i);
            }
            Obj::IngressClass(c) => {
                self.ingress_classes.insert(c.name.clone(), c);
            }
            Obj::ReferenceGrant(g) => {
                self.reference_grants.insert(g.key.clone(), g);
            }
            Obj::CertSecret(kind, s) => {
                self.cert_secrets.insert((kind, s.key.clone()), s);
            }
            Obj::CertConfigMap(c) => {
                if c.data.is_empty() {
                    self.cert_config_maps.remove(&c.key);
                } else {
                    self.cert_config_maps.insert(c.key.clone(), c);
                }
            }
            Obj::CmCertificate(c) => {
                self.unreadable
                    .remove(&(Kind::CertManagerCertificates, c.key.clone()));
                self.cm_certificates.insert(c.key.clone(), c);
            }
            Obj::TlsPolicy(p) => {
                self.tls_policies.insert((p.kind, p.key.clone()), p);
            }
            Obj::Unreadable { kind, key, error } => {
                self.delete(kind, &key);
                self.unreadable.insert((kind, key), error);
            }
        }
    }

    pub fn delete(&mut self, kind: Kind, key: &ObjKey) {
        self.stamps.touch(kind, stamped_ns(kind, key));
        self.slot(kind).remove(kind, key);
        self.unreadable.remove(&(kind, key.clone()));
    }

    /// Pods of one namespace, in name order.
    pub fn pods_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a PodInfo> + 'a {
        let start = ObjKey::new(ns, "");
        self.pods
            .range(start..)
            .take_while(move |(k, _)| k.ns == ns)
            .map(|(_, p)| p)
    }

    /// Workloads of one namespace (a range scan: keys sort by namespace first).
    pub fn workloads_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a WorkloadInfo> + 'a {
        let start = (ObjKey::new(ns, ""), WorkloadKind::ALL[0]);
        self.workloads
            .range(start..)
            .take_while(move |((k, _), _)| k.ns == ns)
            .map(|(_, w)| w)
    }
}

/// A cache field as `clear` and `delete` see it. A field holds one kind, or several told
/// apart by a part of the key.
trait Slot {
    /// Drops the objects that came from the watch of `kind`.
    fn clear_kind(&mut self, kind: Kind);
    fn remove(&mut self, kind: Kind, key: &ObjKey);
}

/// One namespaced kind.
impl<T> Slot for BTreeMap<ObjKey, T> {
    fn clear_kind(&mut self, _: Kind) {
        self.clear();
    }
    fn remove(&mut self, _: Kind, key: &ObjKey) {
        BTreeMap::remove(self, key);
    }
}

/// One cluster-scoped kind, keyed by name.
impl<T> Slot for BTreeMap<String, T> {
    fn clear_kind(&mut self, _: Kind) {
        self.clear();
    }
    fn remove(&mut self, _: Kind, key: &ObjKey) {
        BTreeMap::remove(self, &key.name);
    }
}

/// Several kinds keyed by the watch they came from (certificate Secrets, TLS policies).
impl<T> Slot for BTreeMap<(Kind, ObjKey), T> {
    fn clear_kind(&mut self, kind: Kind) {
        self.retain(|(k, _), _| *k != kind);
    }
    fn remove(&mut self, kind: Kind, key: &ObjKey) {
        BTreeMap::remove(self, &(kind, key.clone()));
    }
}

/// Several kinds keyed by a kind of their own (workloads, routes).
impl<S: SubKind, T> Slot for BTreeMap<(ObjKey, S), T> {
    fn clear_kind(&mut self, kind: Kind) {
        let sub = S::of(kind);
        self.retain(|(_, s), _| Some(*s) != sub);
    }
    fn remove(&mut self, kind: Kind, key: &ObjKey) {
        if let Some(sub) = S::of(kind) {
            BTreeMap::remove(self, &(key.clone(), sub));
        }
    }
}

/// The part of a key that names the watch an object came from.
trait SubKind: Copy + Ord {
    fn of(kind: Kind) -> Option<Self>;
}

impl SubKind for WorkloadKind {
    fn of(kind: Kind) -> Option<Self> {
        WorkloadKind::of(kind)
    }
}

impl SubKind for RouteKind {
    fn of(kind: Kind) -> Option<Self> {
        RouteKind::of(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(name: &str) -> Obj {
        Obj::Namespace(NamespaceInfo {
            name: name.into(),
            labels: Default::default(),
            phase: None,
            resource_version: None,
        })
    }

    #[test]
    fn reset_replaces_only_its_kind() {
        let mut c = ClusterCache::default();
        c.apply(ns("a"));
        c.apply(Obj::Unreadable {
            kind: Kind::Gateways,
            key: ObjKey::new("x", "gw"),
            error: "bad".into(),
        });
        c.reset(Kind::Namespaces, vec![ns("b")]);
        assert_eq!(c.namespaces.keys().collect::<Vec<_>>(), ["b"]);
        assert_eq!(c.unreadable.len(), 1);
        c.reset(Kind::Gateways, vec![]);
        assert!(c.unreadable.is_empty());
    }

    #[test]
    fn unreadable_replaces_a_readable_object_and_back() {
        let mut c = ClusterCache::default();
        c.apply(ns("a"));
        c.delete(Kind::Namespaces, &ObjKey::new("", "a"));
        assert!(c.namespaces.is_empty());
    }

    fn workload(kind: WorkloadKind, name: &str) -> Obj {
        Obj::Workload(WorkloadInfo {
            kind,
            key: ObjKey::new("shop", name),
            ..Default::default()
        })
    }

    #[test]
    fn kinds_sharing_a_field_are_cleared_and_deleted_apart() {
        let mut c = ClusterCache::default();
        c.apply(workload(WorkloadKind::Deployment, "cart"));
        c.apply(workload(WorkloadKind::StatefulSet, "db"));
        c.apply(workload(WorkloadKind::DaemonSet, "agent"));
        c.reset(Kind::Deployments, vec![]);
        c.delete(Kind::DaemonSets, &ObjKey::new("shop", "agent"));
        // Deleting under another kind's name leaves the object alone.
        c.delete(Kind::Deployments, &ObjKey::new("shop", "db"));
        let left: Vec<_> = c
            .workloads
            .keys()
            .map(|(k, w)| (k.name.as_str(), *w))
            .collect();
        assert_eq!(left, [("db", WorkloadKind::StatefulSet)]);
    }
}
