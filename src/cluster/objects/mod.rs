//! Lean projections of the Kubernetes objects the views use.
//!
//! Watchers convert every object into one of these before it reaches the app loop, so the
//! cache holds only what a view shows (no managedFields, no pod specs, no Secret data).

mod certs;
mod common;
mod gateway;
mod ingress;
mod mesh;
mod route;
mod virtual_service;
mod workload;
pub mod x509;

pub use certs::{
    CertData, CertRef, CmCertificateInfo, ConfigMapCerts, ISTIO_CA_SECRET, ISTIO_CACERTS,
    ISTIO_ROOT_CERT_CONFIGMAP, RefRole, SecretCerts, TLS_SECRET_TYPE, TlsPolicyInfo, TlsPolicyRef,
};
pub use common::{Cond, ObjKey, find_cond};
pub use gateway::{AlbInfo, FrontendTlsPolicyInfo, GatewayClassInfo, GatewayInfo, ListenerInfo};
pub use ingress::{
    GrantFrom, GrantTo, IngressClassInfo, IngressInfo, IngressServiceRef, ReferenceGrantInfo,
};
pub use mesh::{MtlsMode, NamespaceInfo, PeerAuthInfo};
pub use route::{BackendInfo, ParentRef, ParentStatus, RouteInfo, RouteKind, RuleInfo};
pub use virtual_service::{ISTIO_NETWORKING_GROUP, VirtualService};
pub use workload::{PodInfo, ServiceInfo, ServicePort, SidecarInfo, WorkloadInfo, WorkloadKind};
