//! Findings: problems the API already reveals, joined across kinds. Pure: `findings(cache,
//! live)` judges only against kinds whose watch is live (no false alarm while a kind is
//! syncing, forbidden or not installed) and only what the namespace scope lets it see.
//!
//! Every finding has a stable code (see [`CATALOG`]), a severity, the objects involved, a
//! one-line title, an explanation, the Istio analyzer equivalent where one exists, and the
//! console action that fixes it, if there is one. Serialisable for `check -o json`.
//!
//! Adding findings from another source (e.g. certificates): build [`Finding`]s with
//! [`Finding::new`] and a code listed in [`CATALOG`], append them, then [`sort`].

mod certs;
mod gateway;
mod mesh;
mod traffic;

#[cfg(test)]
mod tests;

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::objects::{ObjKey, RouteKind, WorkloadKind};
use crate::model::certs::CertRow;
use crate::model::routes::Known;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Traffic fails or a control loop is broken now.
    Error,
    /// Works by accident, partly, or will break on the next change.
    Warning,
    /// Worth knowing; nothing is broken.
    Info,
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "ERROR",
            Severity::Warning => "WARNING",
            Severity::Info => "INFO",
        }
    }
}

/// An object a finding is about: kind, namespace (empty for cluster-scoped) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjRef {
    pub kind: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    pub name: String,
}

impl ObjRef {
    pub fn new(kind: impl Into<String>, key: &ObjKey) -> ObjRef {
        ObjRef {
            kind: kind.into(),
            namespace: key.ns.clone(),
            name: key.name.clone(),
        }
    }

    pub fn namespace(name: &str) -> ObjRef {
        ObjRef::new("Namespace", &ObjKey::new("", name))
    }

    /// `Namespace/shop`, `HTTPRoute/shop/web`, as kubectl-ish text.
    pub fn short(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// The message of `istioctl analyze` that says the same thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct IstioCode {
    pub code: &'static str,
    pub name: &'static str,
}

impl IstioCode {
    pub const fn new(code: &'static str, name: &'static str) -> IstioCode {
        IstioCode { code, name }
    }
}

pub const IST0101: IstioCode = IstioCode::new("IST0101", "ReferencedResourceNotFound");
pub const IST0102: IstioCode = IstioCode::new("IST0102", "NamespaceNotInjected");
pub const IST0103: IstioCode = IstioCode::new("IST0103", "PodMissingProxy");
pub const IST0105: IstioCode = IstioCode::new("IST0105", "IstioProxyImageMismatch");
pub const IST0123: IstioCode = IstioCode::new("IST0123", "NamespaceMultipleInjectionLabels");

/// What the console can do about a finding: each opens an existing flow (which confirms
/// before it writes, and refuses in read-only mode).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Fix {
    /// The weight editor on one rule of a route.
    OpenWeightEditor {
        kind: RouteKind,
        route: ObjKey,
        rule: usize,
    },
    /// The namespace injection-label chooser.
    ToggleInjection { namespace: String },
    /// The rollout-restart confirm for one workload.
    RolloutRestart {
        kind: WorkloadKind,
        workload: ObjKey,
    },
    /// The bulk-restart chooser for one namespace.
    BulkRestartNamespace { namespace: String },
}

impl Fix {
    pub fn describe(&self) -> String {
        match self {
            Fix::OpenWeightEditor { kind, route, rule } => format!(
                "open the weight editor on {} {route}, rule {}",
                kind.kind(),
                rule + 1
            ),
            Fix::ToggleInjection { namespace } => {
                format!("open the injection labels of namespace {namespace}")
            }
            Fix::RolloutRestart { kind, workload } => {
                format!("rollout restart {} {workload} (confirms)", kind.as_str())
            }
            Fix::BulkRestartNamespace { namespace } => {
                format!("bulk restart in namespace {namespace} (lists, confirms)")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code, e.g. `MESH001`; see [`CATALOG`].
    pub code: &'static str,
    pub severity: Severity,
    /// Stable identity across re-derivations: code, main object and what tells two findings
    /// of one code on one object apart (a rule, a backend).
    pub id: String,
    /// The objects involved, main object first.
    pub objects: Vec<ObjRef>,
    pub title: String,
    pub explanation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub istio: Option<IstioCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding of a catalogued code (severity from the catalog). `discriminator` tells
    /// apart findings of one code on one main object (empty when there is one at most).
    pub fn new(
        code: &'static str,
        objects: Vec<ObjRef>,
        discriminator: &str,
        title: impl Into<String>,
        explanation: impl Into<String>,
    ) -> Finding {
        let info = code_info(code);
        let main = objects.first().map(ObjRef::short).unwrap_or_default();
        let id = if discriminator.is_empty() {
            format!("{code} {main}")
        } else {
            format!("{code} {main} {discriminator}")
        };
        Finding {
            code,
            severity: info.map_or(Severity::Warning, |i| i.severity),
            id,
            objects,
            title: title.into(),
            explanation: explanation.into(),
            istio: info.and_then(|i| i.istio),
            fix: None,
        }
    }

    pub fn with_fix(mut self, fix: Fix) -> Finding {
        self.fix = Some(fix);
        self
    }

    pub fn with_severity(mut self, s: Severity) -> Finding {
        self.severity = s;
        self
    }

    /// The objects as one line: `Namespace/shop, Deployment/shop/cart`.
    pub fn objects_text(&self) -> String {
        self.objects
            .iter()
            .map(ObjRef::short)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One code's fixed facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CodeInfo {
    pub code: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
    pub istio: Option<IstioCode>,
}

const fn code(
    code: &'static str,
    severity: Severity,
    summary: &'static str,
    istio: Option<IstioCode>,
) -> CodeInfo {
    CodeInfo {
        code,
        severity,
        summary,
        istio,
    }
}

use Severity::{Error, Info, Warning};

/// Every code this module emits. Codes are never reused for another meaning.
pub const CATALOG: &[CodeInfo] = &[
    code(
        "MESH001",
        Warning,
        "namespace has both istio-injection and istio.io/rev",
        Some(IST0123),
    ),
    code(
        "MESH002",
        Error,
        "revision label with no control plane for it",
        None,
    ),
    code(
        "MESH003",
        Warning,
        "pods without sidecar in an injected namespace",
        Some(IST0103),
    ),
    code(
        "MESH004",
        Warning,
        "old sidecar revision: restart after an upgrade",
        Some(IST0105),
    ),
    code(
        "MESH005",
        Info,
        "pods keep a sidecar that new pods would not get",
        None,
    ),
    code(
        "MESH006",
        Info,
        "sidecar injection explicitly disabled",
        Some(IST0102),
    ),
    code(
        "MESH007",
        Error,
        "ambient namespace but no ztunnel DaemonSet",
        None,
    ),
    code(
        "MESH008",
        Error,
        "namespace's revision has no ready istiod",
        None,
    ),
    code(
        "MTLS001",
        Error,
        "Ingress controller outside the mesh into STRICT mTLS",
        None,
    ),
    code(
        "MTLS002",
        Error,
        "Gateway without mesh integration into STRICT mTLS",
        None,
    ),
    code(
        "MTLS003",
        Warning,
        "AGC Ingress API into the mesh: unsupported",
        None,
    ),
    code(
        "ROUTE001",
        Error,
        "route's parent Gateway not found",
        Some(IST0101),
    ),
    code(
        "ROUTE002",
        Error,
        "route's backend Service not found",
        Some(IST0101),
    ),
    code(
        "ROUTE003",
        Error,
        "route's backend Service has no such port",
        None,
    ),
    code(
        "ROUTE004",
        Warning,
        "all backend weights of a rule are 0",
        None,
    ),
    code("ROUTE005", Error, "route not Accepted by its parent", None),
    code("ROUTE006", Error, "route ResolvedRefs is False", None),
    code(
        "ROUTE007",
        Error,
        "cross-namespace backend without a ReferenceGrant",
        None,
    ),
    code(
        "ROUTE008",
        Warning,
        "no controller has reported status for the route",
        None,
    ),
    code(
        "ROUTE009",
        Warning,
        "VirtualService weights do not sum to 100",
        None,
    ),
    code(
        "ROUTE010",
        Error,
        "backendRef to an unsupported kind (InvalidKind)",
        None,
    ),
    code("GW001", Error, "Gateway not Accepted", None),
    code("GW002", Error, "Gateway not Programmed", None),
    code("GW003", Info, "listener with no attached routes", None),
    code(
        "GW004",
        Error,
        "listener certificateRef missing or not a TLS Secret",
        None,
    ),
    code(
        "GW005",
        Error,
        "listener serves an expired certificate",
        None,
    ),
    code("CERT001", Error, "certificate expired", None),
    code(
        "CERT002",
        Error,
        "certificate expires within the critical band (7 days)",
        None,
    ),
    code(
        "CERT003",
        Warning,
        "certificate expires within the warning band (14 days)",
        None,
    ),
    code(
        "CERT004",
        Info,
        "certificate expires within the soon band (30 days)",
        None,
    ),
    code("CERT005", Warning, "unreadable certificate data", None),
    code("CERT006", Error, "cert-manager Certificate not Ready", None),
    code(
        "CERT007",
        Warning,
        "CA bundle intermediate expires before the leaves it issued",
        None,
    ),
];

pub fn code_info(code: &str) -> Option<&'static CodeInfo> {
    CATALOG.iter().find(|c| c.code == code)
}

/// What the findings may rely on: the kinds whose watch is live, and the namespace scope
/// (namespaced kinds other than the always-cluster-wide ones list only that namespace).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Live {
    pub kinds: BTreeSet<Kind>,
    /// None = all namespaces.
    pub scope: Option<String>,
}

impl Live {
    pub fn new(watch: &BTreeMap<Kind, WatchState>, scope: Option<String>) -> Live {
        Live {
            kinds: watch
                .iter()
                .filter(|(_, s)| **s == WatchState::Live)
                .map(|(k, _)| *k)
                .collect(),
            scope,
        }
    }

    /// Every kind live: for one-shot loaders that listed everything (e.g. `check`).
    pub fn all(scope: Option<String>) -> Live {
        Live {
            kinds: Kind::ALL.into_iter().collect(),
            scope,
        }
    }

    pub fn has(&self, k: Kind) -> bool {
        self.kinds.contains(&k)
    }

    /// Every object of kind `k` in namespace `ns` is known.
    pub fn sees(&self, k: Kind, ns: &str) -> bool {
        self.has(k)
            && (k.cluster_scoped()
                || k.always_all_namespaces()
                || self.scope.as_deref().is_none_or(|s| s == ns))
    }

    /// Every object of a namespaced kind `k`, in every namespace, is known.
    pub fn sees_all(&self, k: Kind) -> bool {
        self.has(k) && (k.cluster_scoped() || k.always_all_namespaces() || self.scope.is_none())
    }

    /// Namespaces whose own findings are shown: the scope's, or all.
    pub fn in_scope(&self, ns: &str) -> bool {
        self.scope.as_deref().is_none_or(|s| s == ns)
    }

    pub fn route_known(&self) -> Known {
        Known {
            gateways: self.has(Kind::Gateways),
            services: self.has(Kind::Services),
            pods: self.has(Kind::Pods),
            all_namespaces: self.scope.is_none(),
        }
    }
}

/// Every finding, sorted (severity, code, id). `certs` is the certificate inventory of
/// `cache` (`model::certs::inventory`; empty = no certificate findings).
pub fn findings(cache: &ClusterCache, live: &Live, cert_rows: &[CertRow]) -> Vec<Finding> {
    let mut out = Vec::new();
    mesh::findings(cache, live, &mut out);
    traffic::findings(cache, live, &mut out);
    gateway::findings(cache, live, &mut out);
    certs::findings(cache, live, cert_rows, &mut out);
    finish(out)
}

/// The findings by concern, for a caller that keeps each part until its inputs change
/// (`state::diagnostics`): concatenated in this order (mesh per namespace in name order,
/// traffic per Ingress then per Gateway, per route, per Gateway, certificates), then
/// [`finish`]ed, they are [`findings`].
pub mod parts {
    pub use super::certs::findings as certs;
    pub use super::gateway::{gateway_findings, route_findings};
    pub use super::mesh::{MeshScope, in_namespace as mesh_in_namespace, scope as mesh_scope};
    pub use super::traffic::{ControllerPod, Judge as TrafficJudge, controller_pods};
}

/// Sorted, one finding per id (findings, or shared ones: `state::diagnostics` keeps them
/// between derivations).
pub fn finish<F: Borrow<Finding>>(mut out: Vec<F>) -> Vec<F> {
    sort(&mut out);
    // Two backends of one rule to one Service (VirtualService subsets) are one problem.
    out.dedup_by(|a, b| Borrow::<Finding>::borrow(a).id == Borrow::<Finding>::borrow(b).id);
    out
}

/// The order of the view and of `check`: errors first, then by code, then by object.
pub fn sort<F: Borrow<Finding>>(findings: &mut [F]) {
    findings.sort_by(|a, b| {
        let (a, b) = (a.borrow(), b.borrow());
        (a.severity, a.code, &a.id).cmp(&(b.severity, b.code, &b.id))
    });
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
    pub infos: usize,
}

impl Counts {
    pub fn of<F: Borrow<Finding>>(findings: &[F]) -> Counts {
        let mut c = Counts::default();
        for f in findings {
            match f.borrow().severity {
                Severity::Error => c.errors += 1,
                Severity::Warning => c.warnings += 1,
                Severity::Info => c.infos += 1,
            }
        }
        c
    }

    /// `2 errors 5 warnings 1 info`, or `none` when clean.
    pub fn describe(&self) -> String {
        let plural = |n: usize, one: &str, many: &str| match n {
            1 => format!("1 {one}"),
            n => format!("{n} {many}"),
        };
        let mut parts = Vec::new();
        if self.errors > 0 {
            parts.push(plural(self.errors, "error", "errors"));
        }
        if self.warnings > 0 {
            parts.push(plural(self.warnings, "warning", "warnings"));
        }
        if self.infos > 0 {
            parts.push(plural(self.infos, "info", "infos"));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(" ")
        }
    }
}

/// "1 pod", "3 pods".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

/// At most `max` names, then "and N more".
pub(crate) fn some_names<S: AsRef<str>>(names: &[S], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).map(AsRef::as_ref).collect();
    let mut s = shown.join(", ");
    if names.len() > max {
        s.push_str(&format!(" and {} more", names.len() - max));
    }
    s
}
