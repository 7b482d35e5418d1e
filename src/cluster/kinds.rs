//! The kinds the console watches, and how each one is described to the user.

/// One watched resource kind. Each has exactly one watcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Namespaces,
    Pods,
    Services,
    Deployments,
    StatefulSets,
    DaemonSets,
    GatewayClasses,
    Gateways,
    HttpRoutes,
    GrpcRoutes,
    /// Istio VirtualServices (networking.istio.io/v1beta1).
    VirtualServices,
    PeerAuthentications,
    ApplicationLoadBalancers,
    FrontendTlsPolicies,
    /// istiod Deployments (`app=istiod`) in every namespace, whatever the scope: the mesh
    /// view needs them to judge any namespace.
    ControlPlanes,
    /// networking.k8s.io/v1 Ingress: traffic from Ingress controllers (diagnostics).
    Ingresses,
    IngressClasses,
    /// gateway.networking.k8s.io/v1beta1 ReferenceGrant: cross-namespace backendRefs.
    ReferenceGrants,
    /// Secrets of type kubernetes.io/tls (field selector: only these are listed).
    TlsSecrets,
    /// The Istio plugin CA Secret `cacerts`, in any namespace.
    IstioCaCerts,
    /// istiod's self-signed CA Secret `istio-ca-secret`, in any namespace.
    IstioCaSecrets,
    /// ConfigMaps, kept only when a key holds PEM certificates (trust bundles, istio-ca-root-cert).
    ConfigMaps,
    /// cert-manager Certificates (cert-manager.io/v1).
    CertManagerCertificates,
    /// Gateway API BackendTLSPolicy (gateway.networking.k8s.io/v1).
    BackendTlsPolicies,
    /// AGC BackendTLSPolicy (alb.networking.azure.io/v1).
    AlbBackendTlsPolicies,
}

impl Kind {
    pub const ALL: [Kind; 25] = [
        Kind::Namespaces,
        Kind::Pods,
        Kind::Services,
        Kind::Deployments,
        Kind::StatefulSets,
        Kind::DaemonSets,
        Kind::GatewayClasses,
        Kind::Gateways,
        Kind::HttpRoutes,
        Kind::GrpcRoutes,
        Kind::VirtualServices,
        Kind::PeerAuthentications,
        Kind::ApplicationLoadBalancers,
        Kind::FrontendTlsPolicies,
        Kind::ControlPlanes,
        Kind::Ingresses,
        Kind::IngressClasses,
        Kind::ReferenceGrants,
        Kind::TlsSecrets,
        Kind::IstioCaCerts,
        Kind::IstioCaSecrets,
        Kind::ConfigMaps,
        Kind::CertManagerCertificates,
        Kind::BackendTlsPolicies,
        Kind::AlbBackendTlsPolicies,
    ];

    /// `resource.group` as kubectl prints it, e.g. `httproutes.gateway.networking.k8s.io`.
    pub fn resource(self) -> &'static str {
        match self {
            Kind::Namespaces => "namespaces",
            Kind::Pods => "pods",
            Kind::Services => "services",
            Kind::Deployments => "deployments.apps",
            Kind::StatefulSets => "statefulsets.apps",
            Kind::DaemonSets => "daemonsets.apps",
            Kind::GatewayClasses => "gatewayclasses.gateway.networking.k8s.io",
            Kind::Gateways => "gateways.gateway.networking.k8s.io",
            Kind::HttpRoutes => "httproutes.gateway.networking.k8s.io",
            Kind::GrpcRoutes => "grpcroutes.gateway.networking.k8s.io",
            Kind::VirtualServices => "virtualservices.networking.istio.io",
            Kind::PeerAuthentications => "peerauthentications.security.istio.io",
            Kind::ApplicationLoadBalancers => "applicationloadbalancer.alb.networking.azure.io",
            Kind::FrontendTlsPolicies => "frontendtlspolicies.alb.networking.azure.io",
            Kind::ControlPlanes => "deployments.apps (app=istiod)",
            Kind::Ingresses => "ingresses.networking.k8s.io",
            Kind::IngressClasses => "ingressclasses.networking.k8s.io",
            Kind::ReferenceGrants => "referencegrants.gateway.networking.k8s.io",
            Kind::TlsSecrets => "secrets (type=kubernetes.io/tls)",
            Kind::IstioCaCerts => "secrets (name=cacerts)",
            Kind::IstioCaSecrets => "secrets (name=istio-ca-secret)",
            Kind::ConfigMaps => "configmaps",
            Kind::CertManagerCertificates => "certificates.cert-manager.io",
            Kind::BackendTlsPolicies => "backendtlspolicies.gateway.networking.k8s.io",
            Kind::AlbBackendTlsPolicies => "backendtlspolicies.alb.networking.azure.io",
        }
    }

    /// `(plural, group)` of a kind that comes from a CRD (not built into Kubernetes), read
    /// off `resource()`: discovery can tell whether it is installed.
    pub fn crd(self) -> Option<(&'static str, &'static str)> {
        let r = self.resource();
        let (plural, group) = r.split_once('.')?;
        let builtin = r.contains(' ') || matches!(group, "apps" | "networking.k8s.io");
        (!builtin).then_some((plural, group))
    }

    /// What is missing when the API answers 404 for this kind.
    pub fn missing_what(self) -> &'static str {
        match self {
            Kind::GatewayClasses
            | Kind::Gateways
            | Kind::HttpRoutes
            | Kind::GrpcRoutes
            | Kind::ReferenceGrants => "Gateway API CRDs",
            Kind::BackendTlsPolicies => "Gateway API BackendTLSPolicy CRD",
            Kind::CertManagerCertificates => "cert-manager CRDs",
            Kind::PeerAuthentications | Kind::VirtualServices => "Istio CRDs",
            Kind::ApplicationLoadBalancers
            | Kind::FrontendTlsPolicies
            | Kind::AlbBackendTlsPolicies => {
                "Application Gateway for Containers (ALB controller) CRDs"
            }
            _ => "API",
        }
    }

    /// Kinds that are cluster-scoped: their watchers ignore the namespace scope.
    pub fn cluster_scoped(self) -> bool {
        matches!(
            self,
            Kind::Namespaces | Kind::GatewayClasses | Kind::IngressClasses
        )
    }

    /// Kinds watched in every namespace whatever the scope: small, and needed to judge the
    /// mesh (control planes live in istio namespaces, the mesh-wide policy in the root one,
    /// the mesh CA next to istiod).
    pub fn always_all_namespaces(self) -> bool {
        matches!(
            self,
            Kind::PeerAuthentications
                | Kind::ControlPlanes
                | Kind::IstioCaCerts
                | Kind::IstioCaSecrets
        )
    }
}

/// Where a watcher stands. Shown in the header and, per view, when data is missing.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crd_kinds_are_named_by_plural_and_group() {
        assert_eq!(
            Kind::HttpRoutes.crd(),
            Some(("httproutes", "gateway.networking.k8s.io"))
        );
        assert_eq!(
            Kind::ApplicationLoadBalancers.crd(),
            Some(("applicationloadbalancer", "alb.networking.azure.io"))
        );
        for k in [
            Kind::Pods,
            Kind::Deployments,
            Kind::ControlPlanes,
            Kind::Ingresses,
            Kind::TlsSecrets,
        ] {
            assert_eq!(k.crd(), None, "{k:?} is built in");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchState {
    /// Listing for the first time (or again after a reconnect).
    Syncing,
    /// Listed and watching.
    Live,
    /// The API answered 404: the CRD (or API group) is not installed.
    NotInstalled,
    /// RBAC forbids list/watch; the server's message.
    Forbidden(String),
    /// Connection or server trouble; the watcher retries by itself with backoff.
    Failing(String),
}
