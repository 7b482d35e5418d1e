//! The app loop's copy of the cluster: lean objects per kind, fed by watch messages.

use std::collections::BTreeMap;

use crate::cluster::kinds::Kind;
use crate::cluster::objects::{
    AlbInfo, CmCertificateInfo, ConfigMapCerts, FrontendTlsPolicyInfo, GatewayClassInfo,
    GatewayInfo, IngressClassInfo, IngressInfo, NamespaceInfo, ObjKey, PeerAuthInfo, PodInfo,
    ReferenceGrantInfo, RouteInfo, RouteKind, SecretCerts, ServiceInfo, TlsPolicyInfo,
    WorkloadInfo, WorkloadKind,
};

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

/// Objects sorted by namespace then name, so a namespace is a range scan.
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
}

fn workload_kind(kind: Kind) -> Option<WorkloadKind> {
    match kind {
        Kind::Deployments => Some(WorkloadKind::Deployment),
        Kind::StatefulSets => Some(WorkloadKind::StatefulSet),
        Kind::DaemonSets => Some(WorkloadKind::DaemonSet),
        _ => None,
    }
}

fn route_kind(kind: Kind) -> Option<RouteKind> {
    match kind {
        Kind::HttpRoutes => Some(RouteKind::Http),
        Kind::GrpcRoutes => Some(RouteKind::Grpc),
        Kind::VirtualServices => Some(RouteKind::Virtual),
        _ => None,
    }
}

impl ClusterCache {
    /// Drops everything of one kind (before a fresh list replaces it).
    pub fn clear(&mut self, kind: Kind) {
        match kind {
            Kind::Namespaces => self.namespaces.clear(),
            Kind::Pods => self.pods.clear(),
            Kind::Services => self.services.clear(),
            Kind::Deployments | Kind::StatefulSets | Kind::DaemonSets => {
                let wk = workload_kind(kind);
                self.workloads.retain(|(_, k), _| Some(*k) != wk);
            }
            Kind::GatewayClasses => self.gateway_classes.clear(),
            Kind::Gateways => self.gateways.clear(),
            Kind::HttpRoutes | Kind::GrpcRoutes | Kind::VirtualServices => {
                let rk = route_kind(kind);
                self.routes.retain(|(_, k), _| Some(*k) != rk);
            }
            Kind::PeerAuthentications => self.peer_auths.clear(),
            Kind::ApplicationLoadBalancers => self.albs.clear(),
            Kind::FrontendTlsPolicies => self.frontend_tls.clear(),
            Kind::ControlPlanes => self.control_planes.clear(),
            Kind::Ingresses => self.ingresses.clear(),
            Kind::IngressClasses => self.ingress_classes.clear(),
            Kind::ReferenceGrants => self.reference_grants.clear(),
            Kind::TlsSecrets | Kind::IstioCaCerts | Kind::IstioCaSecrets => {
                self.cert_secrets.retain(|(k, _), _| *k != kind)
            }
            Kind::ConfigMaps => self.cert_config_maps.clear(),
            Kind::CertManagerCertificates => self.cm_certificates.clear(),
            Kind::BackendTlsPolicies | Kind::AlbBackendTlsPolicies => {
                self.tls_policies.retain(|(k, _), _| *k != kind)
            }
        }
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
                let kind = match r.kind {
                    RouteKind::Http => Kind::HttpRoutes,
                    RouteKind::Grpc => Kind::GrpcRoutes,
                    RouteKind::Virtual => Kind::VirtualServices,
                };
                self.unreadable.remove(&(kind, r.key.clone()));
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
        match kind {
            Kind::Namespaces => {
                self.namespaces.remove(&key.name);
            }
            Kind::Pods => {
                self.pods.remove(key);
            }
            Kind::Services => {
                self.services.remove(key);
            }
            Kind::Deployments | Kind::StatefulSets | Kind::DaemonSets => {
                if let Some(wk) = workload_kind(kind) {
                    self.workloads.remove(&(key.clone(), wk));
                }
            }
            Kind::GatewayClasses => {
                self.gateway_classes.remove(&key.name);
            }
            Kind::Gateways => {
                self.gateways.remove(key);
            }
            Kind::HttpRoutes | Kind::GrpcRoutes | Kind::VirtualServices => {
                if let Some(rk) = route_kind(kind) {
                    self.routes.remove(&(key.clone(), rk));
                }
            }
            Kind::PeerAuthentications => {
                self.peer_auths.remove(key);
            }
            Kind::ApplicationLoadBalancers => {
                self.albs.remove(key);
            }
            Kind::FrontendTlsPolicies => {
                self.frontend_tls.remove(key);
            }
            Kind::ControlPlanes => {
                self.control_planes.remove(key);
            }
            Kind::Ingresses => {
                self.ingresses.remove(key);
            }
            Kind::IngressClasses => {
                self.ingress_classes.remove(&key.name);
            }
            Kind::ReferenceGrants => {
                self.reference_grants.remove(key);
            }
            Kind::TlsSecrets | Kind::IstioCaCerts | Kind::IstioCaSecrets => {
                self.cert_secrets.remove(&(kind, key.clone()));
            }
            Kind::ConfigMaps => {
                self.cert_config_maps.remove(key);
            }
            Kind::CertManagerCertificates => {
                self.cm_certificates.remove(key);
            }
            Kind::BackendTlsPolicies | Kind::AlbBackendTlsPolicies => {
                self.tls_policies.remove(&(kind, key.clone()));
            }
        }
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

    pub fn workloads_in<'a>(&'a self, ns: &'a str) -> impl Iterator<Item = &'a WorkloadInfo> + 'a {
        self.workloads.values().filter(move |w| w.key.ns == ns)
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
}
