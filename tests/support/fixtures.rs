//! YAML fixtures turned into the app's `Obj`s exactly the way the watchers do it: core kinds
//! through their k8s-openapi types, Gateway API kinds through the gateway-api types, and
//! the Istio / AGC custom resources as `DynamicObject`s, then the `From` impls of
//! `meshctl_tui::cluster::objects`.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, Service};
use kube::api::DynamicObject;
use meshctl_tui::cluster::cache::Obj;
use meshctl_tui::cluster::kinds::Kind;
use meshctl_tui::cluster::objects::{
    AlbInfo, CmCertificateInfo, ConfigMapCerts, FrontendTlsPolicyInfo, GatewayClassInfo,
    GatewayInfo, IngressClassInfo, IngressInfo, NamespaceInfo, PeerAuthInfo, PodInfo,
    ReferenceGrantInfo, RouteInfo, SecretCerts, ServiceInfo, TlsPolicyInfo, VirtualService,
    WorkloadInfo,
};
use serde::de::DeserializeOwned;

use super::certs;
use serde_json::Value;

/// Reads `tests/fixtures/<name>`.
pub fn read(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn typed<T: DeserializeOwned>(doc: &Value) -> T {
    serde_json::from_value(doc.clone()).unwrap_or_else(|e| {
        panic!(
            "fixture {}/{}: {e}",
            doc["kind"].as_str().unwrap_or("?"),
            doc["metadata"]["name"].as_str().unwrap_or("?")
        )
    })
}

/// The watched kind and the lean object of one document, or None for kinds no watcher reads.
pub fn to_obj(doc: &Value) -> Option<(Kind, Obj)> {
    let api_version = doc["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = doc["kind"].as_str().unwrap_or_default();
    Some(match (group, kind) {
        ("", "Namespace") => (
            Kind::Namespaces,
            Obj::Namespace(NamespaceInfo::from(&typed::<Namespace>(doc))),
        ),
        ("", "Pod") => (Kind::Pods, Obj::Pod(PodInfo::from(&typed::<Pod>(doc)))),
        ("", "Service") => (
            Kind::Services,
            Obj::Service(ServiceInfo::from(&typed::<Service>(doc))),
        ),
        ("apps", "Deployment") => (
            Kind::Deployments,
            Obj::Workload(WorkloadInfo::from(&typed::<Deployment>(doc))),
        ),
        ("apps", "StatefulSet") => (
            Kind::StatefulSets,
            Obj::Workload(WorkloadInfo::from(&typed::<StatefulSet>(doc))),
        ),
        ("apps", "DaemonSet") => (
            Kind::DaemonSets,
            Obj::Workload(WorkloadInfo::from(&typed::<DaemonSet>(doc))),
        ),
        ("gateway.networking.k8s.io", "GatewayClass") => (
            Kind::GatewayClasses,
            Obj::GatewayClass(GatewayClassInfo::from(&typed::<
                gateway_api::gatewayclasses::GatewayClass,
            >(doc))),
        ),
        ("gateway.networking.k8s.io", "Gateway") => (
            Kind::Gateways,
            Obj::Gateway(GatewayInfo::from(&typed::<gateway_api::gateways::Gateway>(
                doc,
            ))),
        ),
        ("gateway.networking.k8s.io", "HTTPRoute") => (
            Kind::HttpRoutes,
            Obj::Route(RouteInfo::from(
                &typed::<gateway_api::httproutes::HttpRoute>(doc),
            )),
        ),
        ("gateway.networking.k8s.io", "GRPCRoute") => (
            Kind::GrpcRoutes,
            Obj::Route(RouteInfo::from(
                &typed::<gateway_api::grpcroutes::GrpcRoute>(doc),
            )),
        ),
        ("networking.istio.io", "VirtualService") => (
            Kind::VirtualServices,
            Obj::Route(RouteInfo::from(&typed::<VirtualService>(doc))),
        ),
        ("security.istio.io", "PeerAuthentication") => (
            Kind::PeerAuthentications,
            Obj::PeerAuth(PeerAuthInfo::from(&typed::<DynamicObject>(doc))),
        ),
        ("alb.networking.azure.io", "ApplicationLoadBalancer") => (
            Kind::ApplicationLoadBalancers,
            Obj::Alb(AlbInfo::from(&typed::<DynamicObject>(doc))),
        ),
        ("", "Secret") => {
            let secret = typed::<Secret>(doc);
            let kind = match secret.metadata.name.as_deref() {
                Some("cacerts") => Kind::IstioCaCerts,
                Some("istio-ca-secret") => Kind::IstioCaSecrets,
                _ => Kind::TlsSecrets,
            };
            (kind, Obj::CertSecret(kind, SecretCerts::from(&secret)))
        }
        ("", "ConfigMap") => (
            Kind::ConfigMaps,
            Obj::CertConfigMap(ConfigMapCerts::from(&typed::<ConfigMap>(doc))),
        ),
        ("cert-manager.io", "Certificate") => (
            Kind::CertManagerCertificates,
            Obj::CmCertificate(CmCertificateInfo::from(&typed::<DynamicObject>(doc))),
        ),
        ("gateway.networking.k8s.io", "BackendTLSPolicy") => (
            Kind::BackendTlsPolicies,
            Obj::TlsPolicy(TlsPolicyInfo::from_dynamic(
                Kind::BackendTlsPolicies,
                &typed::<DynamicObject>(doc),
            )),
        ),
        ("alb.networking.azure.io", "BackendTLSPolicy") => (
            Kind::AlbBackendTlsPolicies,
            Obj::TlsPolicy(TlsPolicyInfo::from_dynamic(
                Kind::AlbBackendTlsPolicies,
                &typed::<DynamicObject>(doc),
            )),
        ),
        ("alb.networking.azure.io", "FrontendTLSPolicy") => (
            Kind::FrontendTlsPolicies,
            Obj::FrontendTls(FrontendTlsPolicyInfo::from(&typed::<DynamicObject>(doc))),
        ),
        ("networking.k8s.io", "Ingress") => (
            Kind::Ingresses,
            Obj::Ingress(IngressInfo::from(&typed::<
                k8s_openapi::api::networking::v1::Ingress,
            >(doc))),
        ),
        ("networking.k8s.io", "IngressClass") => (
            Kind::IngressClasses,
            Obj::IngressClass(IngressClassInfo::from(&typed::<
                k8s_openapi::api::networking::v1::IngressClass,
            >(doc))),
        ),
        ("gateway.networking.k8s.io", "ReferenceGrant") => (
            Kind::ReferenceGrants,
            Obj::ReferenceGrant(ReferenceGrantInfo::from(&typed::<DynamicObject>(doc))),
        ),
        _ => return None,
    })
}

/// All documents of a multi-document YAML text, as the `Reset` list of each watched kind.
/// Every kind is present (possibly empty), like after every watcher's initial list.
pub fn objs_by_kind(yaml: &str) -> BTreeMap<Kind, Vec<Obj>> {
    let mut docs: Vec<Value> =
        serde_saphyr::from_multiple(yaml).unwrap_or_else(|e| panic!("fixture YAML: {e}"));
    certs::fill(&mut docs);
    let mut out: BTreeMap<Kind, Vec<Obj>> = Kind::ALL.iter().map(|k| (*k, Vec::new())).collect();
    for doc in docs.iter().filter(|d| !d.is_null()) {
        let (kind, obj) =
            to_obj(doc).unwrap_or_else(|| panic!("fixture has a kind no watcher reads: {doc}"));
        // istiod Deployments are also seen by the cluster-wide control-plane watcher.
        if let Obj::Workload(w) = &obj
            && w.control_plane_revision().is_some()
        {
            out.get_mut(&Kind::ControlPlanes)
                .expect("every kind")
                .push(Obj::ControlPlane(w.clone()));
        }
        out.get_mut(&kind).expect("every kind").push(obj);
    }
    out
}
