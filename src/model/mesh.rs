//! Mesh membership per namespace: injection mode, control plane, effective mTLS, and which
//! pods need a restart to match what the namespace asks for.

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{MtlsMode, NamespaceInfo, PeerAuthInfo, WorkloadInfo};
use crate::model::inject::{pod_want, restart_reason};

pub const INJECTION_LABEL: &str = "istio-injection";
pub const REV_LABEL: &str = "istio.io/rev";
pub const DATAPLANE_LABEL: &str = "istio.io/dataplane-mode";
pub const DEFAULT_ROOT_NAMESPACE: &str = "istio-system";

/// How a namespace asks for sidecars. Istio's webhooks give `istio-injection` precedence
/// over `istio.io/rev` when both are set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Injection {
    /// `istio-injection=enabled`: the default revision injects.
    Enabled,
    /// `istio.io/rev=<rev>`.
    Revision(String),
    /// `istio-injection=disabled` (or any value other than enabled).
    Disabled,
    /// `istio.io/dataplane-mode=ambient`: ztunnel, no sidecars.
    Ambient,
    None,
}

impl Injection {
    pub fn label(&self) -> String {
        match self {
            Injection::Enabled => "istio-injection=enabled".into(),
            Injection::Revision(r) => format!("istio.io/rev={r}"),
            Injection::Disabled => "istio-injection=disabled".into(),
            Injection::Ambient => "ambient".into(),
            Injection::None => "-".into(),
        }
    }

    pub fn wants_sidecars(&self) -> bool {
        matches!(self, Injection::Enabled | Injection::Revision(_))
    }
}

/// The namespace's labels read the way Istio reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectionLabels {
    pub effective: Injection,
    /// Both `istio-injection` and `istio.io/rev` are set (Istio IST0123): the first wins.
    pub conflict: bool,
}

pub fn injection(ns: &NamespaceInfo) -> InjectionLabels {
    let inj = ns.labels.get(INJECTION_LABEL);
    let rev = ns.labels.get(REV_LABEL);
    let effective = match (inj.map(String::as_str), rev) {
        (Some("enabled"), _) => Injection::Enabled,
        (Some(_), _) => Injection::Disabled,
        (None, Some(r)) => Injection::Revision(r.clone()),
        (None, None) if ns.labels.get(DATAPLANE_LABEL).map(String::as_str) == Some("ambient") => {
            Injection::Ambient
        }
        (None, None) => Injection::None,
    };
    InjectionLabels {
        effective,
        conflict: inj.is_some() && rev.is_some(),
    }
}

/// istiod control planes by revision, from Deployments labelled `app=istiod`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ControlPlanes {
    /// revision -> (namespace, ready replicas, desired replicas)
    pub by_revision: BTreeMap<String, (String, i32, i32)>,
    /// The revision of the oldest istiod: during a canary upgrade the new control plane is
    /// installed next to the old one, and the default tag stays on the old one until the
    /// operator moves it.
    pub oldest: Option<String>,
    /// The revision of the newest istiod: where a canary upgrade goes.
    pub newest: Option<String>,
}

/// A control plane that cannot serve: its istiod has no ready replica (scaled to zero, its
/// pods pending, crashing or not pulled), so its injection webhook has nobody to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotReady {
    pub revision: String,
    pub namespace: String,
    pub ready: i32,
    pub desired: i32,
}

impl NotReady {
    /// "istiod asm-1-23 (aks-istio-system) has 0 of 1 replicas ready".
    pub fn summary(&self) -> String {
        let replicas = if self.desired == 1 {
            "replica"
        } else {
            "replicas"
        };
        format!(
            "istiod {} ({}) has {} of {} {replicas} ready",
            self.revision, self.namespace, self.ready, self.desired
        )
    }
}

impl ControlPlanes {
    pub fn from_workloads<'a>(ws: impl Iterator<Item = &'a WorkloadInfo>) -> Self {
        let mut by_revision = BTreeMap::new();
        let mut oldest: Option<(Option<jiff::Timestamp>, String)> = None;
        let mut newest: Option<(Option<jiff::Timestamp>, String)> = None;
        for w in ws {
            if let Some(rev) = w.control_plane_revision() {
                by_revision.insert(rev.clone(), (w.key.ns.clone(), w.ready, w.desired));
                // Unknown creation times sort last, ties by revision name.
                let key = (w.created.or(Some(jiff::Timestamp::MAX)), rev.clone());
                if oldest.as_ref().is_none_or(|o| key < *o) {
                    oldest = Some(key);
                }
                // Unknown creation times are not the newest (None sorts first).
                let key = (w.created, rev);
                if newest.as_ref().is_none_or(|n| key > *n) {
                    newest = Some(key);
                }
            }
        }
        ControlPlanes {
            by_revision,
            oldest: oldest.map(|(_, rev)| rev),
            newest: newest.map(|(_, rev)| rev),
        }
    }

    /// The revision's istiod when it has no ready replica; None when it has one, or when
    /// there is no istiod of that revision at all (MESH002's case, not this one).
    pub fn not_ready(&self, rev: &str) -> Option<NotReady> {
        let (ns, ready, desired) = self.by_revision.get(rev)?;
        (*ready <= 0).then(|| NotReady {
            revision: rev.to_string(),
            namespace: ns.clone(),
            ready: *ready,
            desired: *desired,
        })
    }

    /// "istiod 1/1 ready", or "istiod 0/1 ready — NOT READY"; None without that istiod.
    pub fn readiness(&self, rev: &str) -> Option<String> {
        let (_, ready, desired) = self.by_revision.get(rev)?;
        let flag = if *ready <= 0 { " — NOT READY" } else { "" };
        Some(format!("istiod {ready}/{desired} ready{flag}"))
    }

    /// The control plane that would inject new pods of a namespace labelled `labels`, if
    /// it has no ready replica.
    pub fn not_ready_for(&self, labels: &BTreeMap<String, String>) -> Option<NotReady> {
        let ns = NamespaceInfo {
            name: String::new(),
            labels: labels.clone(),
            phase: None,
            resource_version: None,
        };
        let rev = self.expected_revision(&injection(&ns).effective)?;
        self.not_ready(&rev)
    }

    /// The revision `istio-injection=enabled` resolves to: `default`, else the oldest
    /// control plane (the only one, or the one a canary upgrade started from: where the
    /// `default` tag points until it is moved; we do not watch the tag's webhook).
    pub fn default_revision(&self) -> Option<&str> {
        if self.by_revision.contains_key("default") {
            return Some("default");
        }
        self.oldest
            .as_deref()
            .filter(|r| self.by_revision.contains_key(*r))
    }

    /// Istio's root namespace: where the control plane runs (e.g. `aks-istio-system`).
    pub fn root_namespace(&self) -> String {
        let namespaces: BTreeSet<&str> = self
            .by_revision
            .values()
            .map(|(ns, _, _)| ns.as_str())
            .collect();
        match namespaces.into_iter().collect::<Vec<_>>().as_slice() {
            [only] => only.to_string(),
            _ => DEFAULT_ROOT_NAMESPACE.into(),
        }
    }

    /// The revision a namespace's pods should run, if a control plane serves it.
    pub fn expected_revision(&self, inj: &Injection) -> Option<String> {
        match inj {
            Injection::Enabled => self.default_revision().map(String::from),
            Injection::Revision(r) if self.by_revision.contains_key(r) => Some(r.clone()),
            _ => None,
        }
    }
}

/// Where the effective mTLS mode comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MtlsSource {
    Namespace(String),
    MeshWide(String),
    Default,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveMtls {
    pub mode: MtlsMode,
    pub source: MtlsSource,
    /// Workload-scoped policies in the namespace that may override the mode for some pods.
    pub workload_policies: usize,
}

/// Namespace-wide PeerAuthentication, else the mesh-wide one in the root namespace, else
/// PERMISSIVE (Istio's default). UNSET inherits from the next level.
pub fn effective_mtls<'a>(
    ns: &str,
    root_ns: &str,
    policies: impl Iterator<Item = &'a PeerAuthInfo> + Clone,
) -> EffectiveMtls {
    let scope_wide = |in_ns: &str| {
        policies
            .clone()
            .filter(|p| p.key.ns == in_ns && !p.has_selector)
            .min_by(|a, b| a.key.name.cmp(&b.key.name))
            .and_then(|p| match p.mode {
                Some(MtlsMode::Unset) | None => None,
                Some(m) => Some((m, p.key.name.clone())),
            })
    };
    let workload_policies = policies
        .clone()
        .filter(|p| p.key.ns == ns && p.has_selector)
        .count();
    let (mode, source) = if let Some((m, name)) = scope_wide(ns) {
        (m, MtlsSource::Namespace(name))
    } else if let Some((m, name)) = scope_wide(root_ns) {
        (m, MtlsSource::MeshWide(format!("{root_ns}/{name}")))
    } else {
        (MtlsMode::Permissive, MtlsSource::Default)
    };
    EffectiveMtls {
        mode,
        source,
        workload_policies,
    }
}

/// Why a running pod does not match what its namespace asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartReason {
    /// The namespace injects but the pod has no sidecar (created before the label).
    MissingSidecar,
    /// The sidecar is from another revision than new pods get (after an upgrade).
    RevisionMismatch { pod: String, namespace: String },
    /// The pod has a sidecar but new pods would not (injection was turned off or opted out).
    UnwantedSidecar,
}

impl RestartReason {
    pub fn describe(&self) -> String {
        match self {
            RestartReason::MissingSidecar => "no sidecar; new pods get one".into(),
            RestartReason::UnwantedSidecar => "sidecar; new pods get none".into(),
            RestartReason::RevisionMismatch { pod, namespace } => {
                format!("sidecar {pod}, namespace wants {namespace}")
            }
        }
    }
}

/// One row of the Mesh view.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshRow {
    pub namespace: String,
    pub injection: InjectionLabels,
    /// The revision pods should run; None when nothing injects or no control plane serves it.
    pub expected_revision: Option<String>,
    /// For namespaces that want sidecars: whether a control plane serves them.
    pub control_plane: ControlPlaneState,
    pub mtls: EffectiveMtls,
    pub pods: usize,
    pub with_sidecar: usize,
    /// Gateway pods (istio-proxy is the workload), not counted in `pods`.
    pub gateways: usize,
    pub needs_restart: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ControlPlaneState {
    NotNeeded,
    Present {
        revision: String,
        namespace: String,
        ready: i32,
        desired: i32,
    },
    Missing {
        wanted: String,
    },
}

pub fn mesh_rows(cache: &ClusterCache) -> Vec<MeshRow> {
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    let root = cps.root_namespace();
    cache
        .namespaces
        .values()
        .map(|ns| mesh_row(cache, &cps, &root, ns))
        .collect()
}

pub fn mesh_row(
    cache: &ClusterCache,
    cps: &ControlPlanes,
    root: &str,
    ns: &NamespaceInfo,
) -> MeshRow {
    let labels = injection(ns);
    let expected = cps.expected_revision(&labels.effective);
    let control_plane = match (&labels.effective, &expected) {
        (inj, Some(rev)) if inj.wants_sidecars() => {
            let (cp_ns, ready, desired) = cps.by_revision.get(rev).cloned().unwrap_or_default();
            ControlPlaneState::Present {
                revision: rev.clone(),
                namespace: cp_ns,
                ready,
                desired,
            }
        }
        (Injection::Enabled, None) => ControlPlaneState::Missing {
            wanted: "default".into(),
        },
        (Injection::Revision(r), None) => ControlPlaneState::Missing { wanted: r.clone() },
        _ => ControlPlaneState::NotNeeded,
    };
    let mut pods = 0;
    let mut with_sidecar = 0;
    let mut needs_restart = 0;
    let mut gateways = 0;
    let workloads: Vec<&WorkloadInfo> = cache.workloads_in(&ns.name).collect();
    for p in cache.pods_in(&ns.name) {
        if matches!(p.phase.as_str(), "Succeeded" | "Failed") {
            continue;
        }
        if p.gateway.is_some() {
            gateways += 1;
            continue;
        }
        pods += 1;
        with_sidecar += usize::from(p.sidecar.is_some());
        let want = pod_want(&labels.effective, &workloads, p, cps);
        needs_restart += usize::from(restart_reason(p, &want).is_some());
    }
    MeshRow {
        namespace: ns.name.clone(),
        mtls: effective_mtls(&ns.name, root, cache.peer_auths.values()),
        injection: labels,
        expected_revision: expected,
        control_plane,
        pods,
        with_sidecar,
        gateways,
        needs_restart,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::objects::{ObjKey, PodInfo, SidecarInfo, WorkloadKind};

    fn ns(name: &str, labels: &[(&str, &str)]) -> NamespaceInfo {
        NamespaceInfo {
            name: name.into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            phase: None,
            resource_version: None,
        }
    }

    fn pod(ns: &str, name: &str, rev: Option<&str>) -> PodInfo {
        PodInfo::running(ObjKey::new(ns, name), None, rev)
    }

    fn istiod(ns: &str, rev: &str) -> WorkloadInfo {
        WorkloadInfo {
            kind: WorkloadKind::Deployment,
            key: ObjKey::new(ns, format!("istiod-{rev}")),
            labels: [("app", "istiod"), ("istio.io/rev", rev)]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            selector: Default::default(),
            template_inject: None,
            template_rev: None,
            images: vec![],
            desired: 2,
            updated: 2,
            ready: 2,
            available: 2,
            generation: None,
            resource_version: None,
            observed_generation: None,
            conditions: vec![],
            created: None,
            ..Default::default()
        }
    }

    fn pa(ns: &str, name: &str, mode: Option<MtlsMode>, selector: bool) -> PeerAuthInfo {
        PeerAuthInfo {
            key: ObjKey::new(ns, name),
            has_selector: selector,
            mode,
            raw_mode: None,
            port_overrides: 0,
        }
    }

    #[test]
    fn injection_label_wins_over_revision_and_is_a_conflict() {
        let i = injection(&ns(
            "a",
            &[("istio-injection", "enabled"), ("istio.io/rev", "asm-1-22")],
        ));
        assert_eq!(i.effective, Injection::Enabled);
        assert!(i.conflict);
        let i = injection(&ns(
            "a",
            &[
                ("istio-injection", "disabled"),
                ("istio.io/rev", "asm-1-22"),
            ],
        ));
        assert_eq!(i.effective, Injection::Disabled);
        assert!(i.conflict);
    }

    #[test]
    fn revision_ambient_and_none() {
        assert_eq!(
            injection(&ns("a", &[("istio.io/rev", "asm-1-22")])).effective,
            Injection::Revision("asm-1-22".into())
        );
        assert_eq!(
            injection(&ns("a", &[("istio.io/dataplane-mode", "ambient")])).effective,
            Injection::Ambient
        );
        assert_eq!(injection(&ns("a", &[])).effective, Injection::None);
        assert!(!injection(&ns("a", &[("istio.io/rev", "x")])).conflict);
    }

    #[test]
    fn control_planes_and_root_namespace() {
        let ws = [istiod("aks-istio-system", "asm-1-22")];
        let cps = ControlPlanes::from_workloads(ws.iter());
        assert_eq!(cps.root_namespace(), "aks-istio-system");
        assert_eq!(cps.default_revision(), Some("asm-1-22"));
        assert_eq!(
            cps.expected_revision(&Injection::Revision("asm-1-23".into())),
            None
        );
        // A canary upgrade: the new control plane is created after the old one, which
        // keeps the default tag, whatever the names sort like.
        let mut old = istiod("aks-istio-system", "asm-1-23");
        old.created = Some("2026-01-01T00:00:00Z".parse().unwrap());
        let mut new = istiod("aks-istio-system", "asm-1-22");
        new.created = Some("2026-06-01T00:00:00Z".parse().unwrap());
        let cps = ControlPlanes::from_workloads([new.clone(), old.clone()].iter());
        assert_eq!(cps.default_revision(), Some("asm-1-23"), "the oldest");
        let mut named = istiod("istio-system", "default");
        named.created = Some("2026-09-01T00:00:00Z".parse().unwrap());
        let cps = ControlPlanes::from_workloads([new, old, named].iter());
        assert_eq!(
            cps.default_revision(),
            Some("default"),
            "a `default` revision wins"
        );
        assert_eq!(ControlPlanes::default().root_namespace(), "istio-system");
    }

    #[test]
    fn newest_and_readiness_of_control_planes() {
        let mut old = istiod("aks-istio-system", "asm-1-23");
        old.created = Some("2026-01-01T00:00:00Z".parse().unwrap());
        let mut new = istiod("aks-istio-system", "asm-1-22");
        new.created = Some("2026-06-01T00:00:00Z".parse().unwrap());
        (new.ready, new.desired) = (0, 1);
        let unknown = istiod("aks-istio-system", "zzz");
        let cps = ControlPlanes::from_workloads([old, new, unknown].iter());
        assert_eq!(
            cps.newest.as_deref(),
            Some("asm-1-22"),
            "by creation time, not by name; unknown times are not newest"
        );
        assert_eq!(cps.not_ready("asm-1-23"), None, "2/2 ready");
        assert_eq!(cps.not_ready("missing"), None, "no istiod: MESH002's case");
        let nr = cps.not_ready("asm-1-22").expect("0/1 ready");
        assert_eq!(
            nr.summary(),
            "istiod asm-1-22 (aks-istio-system) has 0 of 1 replica ready"
        );
        assert_eq!(
            cps.readiness("asm-1-22").as_deref(),
            Some("istiod 0/1 ready — NOT READY")
        );
        assert_eq!(
            cps.readiness("asm-1-23").as_deref(),
            Some("istiod 2/2 ready")
        );
        let labels = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        assert_eq!(cps.not_ready_for(&labels(REV_LABEL, "asm-1-22")), Some(nr));
        assert_eq!(cps.not_ready_for(&labels(INJECTION_LABEL, "enabled")), None);
        assert_eq!(
            cps.not_ready_for(&labels(INJECTION_LABEL, "disabled")),
            None
        );
    }

    #[test]
    fn mtls_namespace_then_mesh_then_permissive() {
        let p = [
            pa("root", "default", Some(MtlsMode::Strict), false),
            pa("legacy", "default", Some(MtlsMode::Permissive), false),
        ];
        let m = effective_mtls("legacy", "root", p.iter());
        assert_eq!(
            (m.mode, m.source),
            (
                MtlsMode::Permissive,
                MtlsSource::Namespace("default".into())
            )
        );
        let m = effective_mtls("app", "root", p.iter());
        assert_eq!(
            (m.mode, m.source),
            (
                MtlsMode::Strict,
                MtlsSource::MeshWide("root/default".into())
            )
        );
        let m = effective_mtls("app", "root", [].iter());
        assert_eq!(
            (m.mode, m.source),
            (MtlsMode::Permissive, MtlsSource::Default)
        );
    }

    #[test]
    fn mtls_unset_and_workload_policies_inherit() {
        let p = [
            pa("root", "default", Some(MtlsMode::Strict), false),
            pa("app", "default", Some(MtlsMode::Unset), false),
            pa("app", "only-db", Some(MtlsMode::Disable), true),
        ];
        let m = effective_mtls("app", "root", p.iter());
        assert_eq!(m.mode, MtlsMode::Strict);
        assert_eq!(m.workload_policies, 1);
    }

    #[test]
    fn needs_restart_rules() {
        use crate::model::inject::Want;
        let want = Want::Revision("asm-1-22".into());
        assert_eq!(
            restart_reason(&pod("a", "p", None), &want),
            Some(RestartReason::MissingSidecar)
        );
        assert_eq!(
            restart_reason(&pod("a", "p", Some("asm-1-21")), &want),
            Some(RestartReason::RevisionMismatch {
                pod: "asm-1-21".into(),
                namespace: "asm-1-22".into()
            })
        );
        assert_eq!(
            restart_reason(&pod("a", "p", Some("asm-1-22")), &want),
            None
        );
        // Nothing injects and no sidecar, finished pod, missing control plane: no.
        assert_eq!(restart_reason(&pod("a", "p", None), &Want::Nothing), None);
        let mut done = pod("a", "p", None);
        done.phase = "Succeeded".into();
        assert_eq!(restart_reason(&done, &want), None);
        let missing = Want::NoControlPlane("asm-1-22".into());
        assert_eq!(restart_reason(&pod("a", "p", None), &missing), None);
        // An opted-out pod wants nothing (see inject::want), so only a sidecar is wrong.
        let mut opted_out = pod("a", "p", None);
        opted_out.inject_override = Some(false);
        let cps = ControlPlanes::from_workloads([istiod("x", "asm-1-22")].iter());
        let w = pod_want(
            &Injection::Revision("asm-1-22".into()),
            &[],
            &opted_out,
            &cps,
        );
        assert_eq!(restart_reason(&opted_out, &w), None);
    }

    #[test]
    fn gateway_pods_are_neither_sidecars_nor_restart_candidates() {
        let mut gw = pod("ingress", "gw", None);
        gw.gateway = Some(SidecarInfo {
            revision: Some("asm-1-21".into()),
            image_tag: None,
        });
        assert_eq!(
            restart_reason(
                &gw,
                &crate::model::inject::Want::Revision("asm-1-22".into())
            ),
            None
        );
        let mut c = ClusterCache::default();
        c.namespaces.insert(
            "ingress".into(),
            ns("ingress", &[("istio.io/rev", "asm-1-22")]),
        );
        let cp = istiod("aks-istio-system", "asm-1-22");
        c.control_planes.insert(cp.key.clone(), cp);
        c.pods.insert(gw.key.clone(), gw);
        let rows = mesh_rows(&c);
        let r = rows.iter().find(|r| r.namespace == "ingress").unwrap();
        assert_eq!(
            (r.pods, r.with_sidecar, r.gateways, r.needs_restart),
            (0, 0, 1, 0)
        );
    }

    #[test]
    fn mesh_row_counts() {
        let mut c = ClusterCache::default();
        c.namespaces
            .insert("app".into(), ns("app", &[("istio.io/rev", "asm-1-22")]));
        c.namespaces
            .insert("new".into(), ns("new", &[("istio.io/rev", "asm-1-23")]));
        let cp = istiod("aks-istio-system", "asm-1-22");
        c.control_planes.insert(cp.key.clone(), cp);
        for p in [
            pod("app", "a", Some("asm-1-22")),
            pod("app", "b", None),
            pod("app", "c", Some("asm-1-21")),
            pod("new", "x", None),
        ] {
            c.pods.insert(p.key.clone(), p);
        }
        c.peer_auths.insert(
            ObjKey::new("aks-istio-system", "default"),
            pa("aks-istio-system", "default", Some(MtlsMode::Strict), false),
        );
        let rows = mesh_rows(&c);
        let app = rows.iter().find(|r| r.namespace == "app").unwrap();
        assert_eq!((app.pods, app.with_sidecar, app.needs_restart), (3, 2, 2));
        assert_eq!(app.mtls.mode, MtlsMode::Strict);
        assert!(
            matches!(app.control_plane, ControlPlaneState::Present { ref revision, .. } if revision == "asm-1-22")
        );
        let new = rows.iter().find(|r| r.namespace == "new").unwrap();
        assert_eq!(
            new.control_plane,
            ControlPlaneState::Missing {
                wanted: "asm-1-23".into()
            }
        );
        assert_eq!(new.needs_restart, 0);
    }
}
