//! Mesh membership per namespace: injection mode, control plane, effective mTLS, and which
//! pods need a restart to match what the namespace asks for.

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{MtlsMode, NamespaceInfo, PeerAuthInfo, WorkloadInfo};
use crate::model::inject::{pod_want, restart_reason};
pub use crate::model::istio::{
    ControlPlanes, DATAPLANE_LABEL, DEFAULT_ROOT_NAMESPACE, INJECTION_LABEL, Injection,
    InjectionLabels, NotReady, REV_LABEL, RestartReason, injection,
};

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
        let labels =
            |k: &str, v: &str| std::collections::BTreeMap::from([(k.to_string(), v.to_string())]);
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
