//! The kinds the console watches: one table ([`Kind::spec`]) says, per kind, where it is
//! served (group, version, kind, plural), how it is watched (scope, selector) and what its
//! absence means. See "How to add a kind" in `docs/ARCHITECTURE.md`.

use std::sync::LazyLock;

use kube::api::ApiResource;

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
    /// Every kind, in declaration order: one watcher each.
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

    /// THE table of kinds: where each is served, how it is watched, what its absence means.
    /// The watchers, the one-shot snapshot, write targets, discovery and the banners all
    /// read it; nothing else spells a group, version or plural.
    // One row per kind reads better than rustfmt's vertical layout.
    #[rustfmt::skip]
    pub const fn spec(self) -> KindSpec {
        use KindSpec as S;
        use Selector::{Field, Label};
        match self {
            Kind::Namespaces => S::builtin("", "v1", "Namespace", "namespaces").cluster(),
            Kind::Pods => S::builtin("", "v1", "Pod", "pods"),
            Kind::Services => S::builtin("", "v1", "Service", "services"),
            Kind::Deployments => S::builtin("apps", "v1", "Deployment", "deployments"),
            Kind::StatefulSets => S::builtin("apps", "v1", "StatefulSet", "statefulsets"),
            Kind::DaemonSets => S::builtin("apps", "v1", "DaemonSet", "daemonsets"),
            Kind::GatewayClasses => S::crd(GATEWAY_API, "v1", "GatewayClass", "gatewayclasses").cluster(),
            Kind::Gateways => S::crd(GATEWAY_API, "v1", "Gateway", "gateways"),
            Kind::HttpRoutes => S::crd(GATEWAY_API, "v1", "HTTPRoute", "httproutes"),
            Kind::GrpcRoutes => S::crd(GATEWAY_API, "v1", "GRPCRoute", "grpcroutes"),
            // v1beta1: served by every Istio release in support (v1 only from 1.22 on).
            Kind::VirtualServices => S::crd(ISTIO_NETWORKING, "v1beta1", "VirtualService", "virtualservices"),
            Kind::PeerAuthentications => S::crd(ISTIO_SECURITY, "v1", "PeerAuthentication", "peerauthentications").every_namespace(),
            // AGC uses the singular word as its plural.
            Kind::ApplicationLoadBalancers => S::crd(AGC, "v1", "ApplicationLoadBalancer", "applicationloadbalancer"),
            Kind::FrontendTlsPolicies => S::crd(AGC, "v1", "FrontendTLSPolicy", "frontendtlspolicies"),
            Kind::ControlPlanes => S::builtin("apps", "v1", "Deployment", "deployments").every_namespace().select(Label("app=istiod")),
            Kind::Ingresses => S::builtin("networking.k8s.io", "v1", "Ingress", "ingresses"),
            Kind::IngressClasses => S::builtin("networking.k8s.io", "v1", "IngressClass", "ingressclasses").cluster(),
            // v1beta1: served by every Gateway API release that has the kind (v1 from 1.3).
            Kind::ReferenceGrants => S::crd(GATEWAY_API, "v1beta1", "ReferenceGrant", "referencegrants"),
            // Lean: only the Secrets that can hold certificates are listed at all.
            Kind::TlsSecrets => S::builtin("", "v1", "Secret", "secrets").select(Field("type=kubernetes.io/tls")),
            Kind::IstioCaCerts => S::builtin("", "v1", "Secret", "secrets").every_namespace().select(Field("metadata.name=cacerts")),
            Kind::IstioCaSecrets => S::builtin("", "v1", "Secret", "secrets").every_namespace().select(Field("metadata.name=istio-ca-secret")),
            Kind::ConfigMaps => S::builtin("", "v1", "ConfigMap", "configmaps"),
            Kind::CertManagerCertificates => S::crd(CERT_MANAGER, "v1", "Certificate", "certificates"),
            Kind::BackendTlsPolicies => S::crd(GATEWAY_API_BACKEND_TLS, "v1", "BackendTLSPolicy", "backendtlspolicies"),
            Kind::AlbBackendTlsPolicies => S::crd(AGC, "v1", "BackendTLSPolicy", "backendtlspolicies"),
        }
    }

    /// `resource.group` as kubectl prints it, e.g. `httproutes.gateway.networking.k8s.io`,
    /// with the selector if the watch has one: `secrets (type=kubernetes.io/tls)`.
    pub fn resource(self) -> &'static str {
        static NAMES: LazyLock<Vec<String>> =
            LazyLock::new(|| Kind::ALL.iter().map(|k| k.spec().resource()).collect());
        // A kind missing from `ALL` (a bug) reads as its plural rather than panicking.
        match Kind::ALL.iter().position(|k| *k == self) {
            Some(i) => &NAMES[i],
            None => self.spec().plural,
        }
    }

    /// `(plural, group)` of a kind that comes from a CRD (not built into Kubernetes):
    /// discovery can tell whether it is installed.
    pub fn crd(self) -> Option<(&'static str, &'static str)> {
        let s = self.spec();
        matches!(s.origin, Origin::Crd(_)).then_some((s.plural, s.group))
    }

    /// What is missing when the API answers 404 for this kind.
    pub fn missing_what(self) -> &'static str {
        match self.spec().origin {
            Origin::BuiltIn => "API",
            Origin::Crd(set) => set.name,
        }
    }

    /// Kinds that are cluster-scoped: their watchers ignore the namespace scope.
    pub fn cluster_scoped(self) -> bool {
        self.spec().scope == Scope::Cluster
    }

    /// Kinds watched in every namespace whatever the scope: small, and needed to judge the
    /// mesh (control planes live in istio namespaces, the mesh-wide policy in the root one,
    /// the mesh CA next to istiod).
    pub fn always_all_namespaces(self) -> bool {
        self.spec().scope == Scope::EveryNamespace
    }
}

/// How one kind is served and watched. Built with [`KindSpec::builtin`] or
/// [`KindSpec::crd`], then narrowed (`.cluster()`, `.every_namespace()`, `.select(..)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    /// API group; `""` for the core group.
    pub group: &'static str,
    /// The version the watcher lists (and writes go to).
    pub version: &'static str,
    /// The object kind as the API names it: `HTTPRoute`.
    pub kind: &'static str,
    /// The resource name in URLs: `httproutes`.
    pub plural: &'static str,
    pub scope: Scope,
    /// Lists only matching objects (server side): keeps the cache lean.
    pub selector: Option<Selector>,
    /// Built in, or from which optional set of CRDs: what a 404 means.
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Watched in the console's namespace scope (all namespaces when it has none).
    Namespaced,
    /// Cluster-scoped objects: one watch, whatever the scope.
    Cluster,
    /// Namespaced, but watched in every namespace whatever the scope (see
    /// [`Kind::always_all_namespaces`]).
    EveryNamespace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selector {
    /// A label selector: `app=istiod`.
    Label(&'static str),
    /// A field selector: `type=kubernetes.io/tls`, `metadata.name=cacerts`.
    Field(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Served by every supported Kubernetes: a 404 means the server lacks this API version.
    BuiltIn,
    /// An optional add-on: a 404 means it is not installed, so nothing of the kind exists
    /// (shown as a banner, and not a problem for `check`/`certs`).
    Crd(CrdSet),
}

/// A set of CRDs a user installs together, named the way the banners say it is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrdSet {
    pub group: &'static str,
    /// "Gateway API CRDs" in "Gateway API CRDs not installed: …".
    pub name: &'static str,
}

const GATEWAY_API: CrdSet = CrdSet {
    group: "gateway.networking.k8s.io",
    name: "Gateway API CRDs",
};
/// BackendTLSPolicy joined the standard channel late: often missing where the rest is not.
const GATEWAY_API_BACKEND_TLS: CrdSet = CrdSet {
    name: "Gateway API BackendTLSPolicy CRD",
    ..GATEWAY_API
};
const ISTIO_NETWORKING: CrdSet = CrdSet {
    group: "networking.istio.io",
    name: "Istio CRDs",
};
const ISTIO_SECURITY: CrdSet = CrdSet {
    group: "security.istio.io",
    name: "Istio CRDs",
};
const CERT_MANAGER: CrdSet = CrdSet {
    group: "cert-manager.io",
    name: "cert-manager CRDs",
};
const AGC: CrdSet = CrdSet {
    group: "alb.networking.azure.io",
    name: "Application Gateway for Containers (ALB controller) CRDs",
};

impl KindSpec {
    /// A namespaced kind built into Kubernetes (`group` `""` is the core group).
    pub const fn builtin(
        group: &'static str,
        version: &'static str,
        kind: &'static str,
        plural: &'static str,
    ) -> KindSpec {
        KindSpec {
            group,
            version,
            kind,
            plural,
            scope: Scope::Namespaced,
            selector: None,
            origin: Origin::BuiltIn,
        }
    }

    /// A namespaced kind defined by one of `set`'s CRDs (its group is the set's).
    pub const fn crd(
        set: CrdSet,
        version: &'static str,
        kind: &'static str,
        plural: &'static str,
    ) -> KindSpec {
        KindSpec {
            origin: Origin::Crd(set),
            ..KindSpec::builtin(set.group, version, kind, plural)
        }
    }

    pub const fn cluster(self) -> KindSpec {
        KindSpec {
            scope: Scope::Cluster,
            ..self
        }
    }

    pub const fn every_namespace(self) -> KindSpec {
        KindSpec {
            scope: Scope::EveryNamespace,
            ..self
        }
    }

    pub const fn select(self, selector: Selector) -> KindSpec {
        KindSpec {
            selector: Some(selector),
            ..self
        }
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// What kube's dynamic API needs to address the kind.
    pub fn api_resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.into(),
            version: self.version.into(),
            api_version: self.api_version(),
            kind: self.kind.into(),
            plural: self.plural.into(),
        }
    }

    /// The CRD's object name, `plural.group`; `None` for built-in kinds.
    pub fn crd_name(&self) -> Option<String> {
        matches!(self.origin, Origin::Crd(_)).then(|| format!("{}.{}", self.plural, self.group))
    }

    /// The name users read in banners and command output (see [`Kind::resource`]).
    fn resource(&self) -> String {
        let mut s = self.plural.to_string();
        if !self.group.is_empty() {
            s.push('.');
            s.push_str(self.group);
        }
        match self.selector {
            Some(Selector::Label(l)) => s.push_str(&format!(" ({l})")),
            Some(Selector::Field(f)) => {
                s.push_str(&format!(" ({})", f.trim_start_matches("metadata.")))
            }
            None => {}
        }
        s
    }
}

/// Where a watcher stands. Shown in the header and, per view, when data is missing.
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn all_lists_every_kind_once_in_declaration_order() {
        for (i, k) in Kind::ALL.iter().enumerate() {
            assert_eq!(*k as usize, i, "{k:?}");
        }
    }

    #[test]
    fn resource_names_read_as_kubectl_prints_them() {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.resource()).collect();
        assert_eq!(
            names,
            [
                "namespaces",
                "pods",
                "services",
                "deployments.apps",
                "statefulsets.apps",
                "daemonsets.apps",
                "gatewayclasses.gateway.networking.k8s.io",
                "gateways.gateway.networking.k8s.io",
                "httproutes.gateway.networking.k8s.io",
                "grpcroutes.gateway.networking.k8s.io",
                "virtualservices.networking.istio.io",
                "peerauthentications.security.istio.io",
                "applicationloadbalancer.alb.networking.azure.io",
                "frontendtlspolicies.alb.networking.azure.io",
                "deployments.apps (app=istiod)",
                "ingresses.networking.k8s.io",
                "ingressclasses.networking.k8s.io",
                "referencegrants.gateway.networking.k8s.io",
                "secrets (type=kubernetes.io/tls)",
                "secrets (name=cacerts)",
                "secrets (name=istio-ca-secret)",
                "configmaps",
                "certificates.cert-manager.io",
                "backendtlspolicies.gateway.networking.k8s.io",
                "backendtlspolicies.alb.networking.azure.io",
            ]
        );
    }

    #[test]
    fn crd_kinds_are_named_by_plural_and_group() {
        assert_eq!(
            Kind::HttpRoutes.crd(),
            Some(("httproutes", "gateway.networking.k8s.io"))
        );
        for k in Kind::ALL {
            let s = k.spec();
            match s.origin {
                Origin::Crd(set) => {
                    assert_eq!(s.group, set.group, "{k:?}");
                    assert_eq!(k.crd(), Some((s.plural, s.group)), "{k:?}");
                    assert_eq!(s.crd_name(), Some(k.resource().to_string()), "{k:?}");
                    assert_eq!(s.selector, None, "{k:?}: a CRD is named by its resource");
                }
                Origin::BuiltIn => {
                    assert!(
                        matches!(s.group, "" | "apps" | "networking.k8s.io"),
                        "{k:?}: {} is not a built-in group",
                        s.group
                    );
                    assert_eq!((k.crd(), s.crd_name()), (None, None), "{k:?}");
                    assert_eq!(k.missing_what(), "API");
                }
            }
        }
    }

    /// Two kinds may watch one resource only with different selectors, and then they
    /// must agree on what the resource is.
    #[test]
    fn a_resource_is_watched_once_per_selector_and_spelled_alike() {
        let mut seen: BTreeMap<(&str, &str), Vec<KindSpec>> = BTreeMap::new();
        for k in Kind::ALL {
            let s = k.spec();
            assert!(!s.plural.is_empty() && !s.kind.is_empty() && !s.version.is_empty());
            assert_eq!(s.plural, s.plural.to_lowercase(), "{k:?}");
            let same = seen.entry((s.group, s.plural)).or_default();
            for other in same.iter() {
                assert_ne!(other.selector, s.selector, "{k:?} watched twice");
                assert_eq!(
                    (other.version, other.kind, other.origin),
                    (s.version, s.kind, s.origin),
                    "{k:?}"
                );
            }
            same.push(s);
        }
        let names: std::collections::BTreeSet<&str> =
            Kind::ALL.iter().map(|k| k.resource()).collect();
        assert_eq!(
            names.len(),
            Kind::ALL.len(),
            "resource names tell kinds apart"
        );
    }

    #[test]
    fn scope_and_missing_sets_read_off_the_table() {
        let cluster: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| k.cluster_scoped())
            .collect();
        assert_eq!(
            cluster,
            [Kind::Namespaces, Kind::GatewayClasses, Kind::IngressClasses]
        );
        let everywhere: Vec<Kind> = Kind::ALL
            .into_iter()
            .filter(|k| k.always_all_namespaces())
            .collect();
        assert_eq!(
            everywhere,
            [
                Kind::PeerAuthentications,
                Kind::ControlPlanes,
                Kind::IstioCaCerts,
                Kind::IstioCaSecrets
            ]
        );
        assert_eq!(Kind::GrpcRoutes.missing_what(), "Gateway API CRDs");
        assert_eq!(
            Kind::BackendTlsPolicies.missing_what(),
            "Gateway API BackendTLSPolicy CRD"
        );
        assert_eq!(Kind::VirtualServices.missing_what(), "Istio CRDs");
        assert_eq!(Kind::PeerAuthentications.missing_what(), "Istio CRDs");
        assert_eq!(
            Kind::CertManagerCertificates.missing_what(),
            "cert-manager CRDs"
        );
        assert_eq!(
            Kind::AlbBackendTlsPolicies.missing_what(),
            "Application Gateway for Containers (ALB controller) CRDs"
        );
    }

    /// The certificate watches select what the projections expect to receive.
    #[test]
    fn secret_selectors_name_what_the_projections_read() {
        use crate::cluster::objects::{ISTIO_CA_SECRET, ISTIO_CACERTS, TLS_SECRET_TYPE};
        let field = |k: Kind| match k.spec().selector {
            Some(Selector::Field(f)) => f.to_string(),
            other => panic!("{k:?}: {other:?}"),
        };
        assert_eq!(field(Kind::TlsSecrets), format!("type={TLS_SECRET_TYPE}"));
        assert_eq!(
            field(Kind::IstioCaCerts),
            format!("metadata.name={ISTIO_CACERTS}")
        );
        assert_eq!(
            field(Kind::IstioCaSecrets),
            format!("metadata.name={ISTIO_CA_SECRET}")
        );
    }

    #[test]
    fn api_resources_carry_the_api_version() {
        let ar = Kind::Pods.spec().api_resource();
        assert_eq!(
            (ar.api_version.as_str(), ar.plural.as_str()),
            ("v1", "pods")
        );
        let ar = Kind::VirtualServices.spec().api_resource();
        assert_eq!(ar.api_version, "networking.istio.io/v1beta1");
        assert_eq!(ar.kind, "VirtualService");
    }

    /// The demo cluster (and so `--demo`, the snapshots and the demo tests) must serve
    /// every CRD kind at the version its watcher lists.
    #[test]
    fn every_crd_kind_has_its_demo_crd() {
        let yaml = include_str!("../../assets/demo/00-crds.yaml");
        let docs: Vec<serde_json::Value> = serde_saphyr::from_multiple(yaml).expect("CRD yaml");
        for k in Kind::ALL {
            let s = k.spec();
            let Some(name) = s.crd_name() else { continue };
            let crd = docs
                .iter()
                .find(|d| d["metadata"]["name"] == name.as_str())
                .unwrap_or_else(|| panic!("{k:?}: no CRD {name} in assets/demo/00-crds.yaml"));
            let spec = &crd["spec"];
            assert_eq!(spec["group"], s.group, "{name}");
            assert_eq!(spec["names"]["plural"], s.plural, "{name}");
            assert_eq!(spec["names"]["kind"], s.kind, "{name}");
            let scope = if s.scope == Scope::Cluster {
                "Cluster"
            } else {
                "Namespaced"
            };
            assert_eq!(spec["scope"], scope, "{name}");
            let served = spec["versions"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|v| v["name"] == s.version && v["served"] == true);
            assert!(served, "{name}: version {} not served", s.version);
        }
    }
}
