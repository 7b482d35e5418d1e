//! Which control plane injects a NEW pod, by Istio's rules, and what that means for the pods
//! running now. Shared by the Mesh view's needs-restart, the injection dialogs' previews and
//! the bulk restart, so they always agree.
//!
//! Istio's sidecar-injector webhooks (one set per revision, plus the `default` one):
//! - the pod LABEL `sidecar.istio.io/inject=false` excludes the pod from every webhook
//!   (object selector `NotIn [false]`); the legacy ANNOTATION `=false` is honoured by the
//!   injector itself (the label wins when both are set);
//! - namespace `istio-injection`: `enabled` = the default revision injects; any other value
//!   (`disabled`) = nothing injects, whatever the pod says. It beats `istio.io/rev`;
//! - namespace `istio.io/rev=<rev>`: that revision injects;
//! - neither namespace label: the pod opts in by itself, with its LABEL `istio.io/rev=<rev>`
//!   (that revision) or its LABEL `sidecar.istio.io/inject=true` (the default revision).
//!   Webhook selectors see labels only: the annotation cannot opt a pod in.

use std::collections::BTreeMap;

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{NamespaceInfo, PodInfo, WorkloadInfo, WorkloadKind};
use crate::model::istio::{ControlPlanes, Injection, RestartReason, injection};

pub const INJECT_LABEL: &str = "sidecar.istio.io/inject";

/// What a pod (template) says about injection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodInject {
    /// The `sidecar.istio.io/inject` label.
    pub label: Option<String>,
    /// The label, else the legacy annotation, as the injector reads it (true/false).
    pub effective: Option<bool>,
    /// The `istio.io/rev` label.
    pub rev: Option<String>,
}

impl PodInject {
    /// istiod never gets a sidecar: Istio's charts label its pods `inject=false`; clusters
    /// (and fixtures) that omit it must not see istiod as "needs restart".
    pub fn of_template(w: &WorkloadInfo) -> PodInject {
        if w.control_plane_revision().is_some() {
            return PodInject {
                label: Some("false".into()),
                effective: Some(false),
                rev: None,
            };
        }
        PodInject {
            label: w.template_inject_label.clone(),
            effective: w.template_inject,
            rev: w.template_rev.clone(),
        }
    }

    /// For a pod without a workload. Its `istio.io/rev` label may have been added by the
    /// injector itself, so it only counts while the pod has no sidecar.
    pub fn of_pod(p: &PodInfo) -> PodInject {
        PodInject {
            label: p.labels.get(INJECT_LABEL).cloned(),
            effective: p.inject_override,
            rev: p
                .labels
                .get(crate::model::istio::REV_LABEL)
                .filter(|_| p.sidecar.is_none())
                .cloned(),
        }
    }
}

/// What the webhooks would do to a pod created now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    /// No sidecar.
    Nothing,
    /// A sidecar of this revision.
    Revision(String),
    /// A revision is asked for but no control plane serves it: no prediction (a restart
    /// would at best inject nothing, at worst be refused by a webhook without a backend).
    NoControlPlane(String),
}

pub fn want(ns: &Injection, pod: &PodInject, cps: &ControlPlanes) -> Want {
    if pod.label.as_deref() == Some("false") || pod.effective == Some(false) {
        return Want::Nothing;
    }
    let serve = |rev: &str| match cps.by_revision.contains_key(rev) {
        true => Want::Revision(rev.to_string()),
        false => Want::NoControlPlane(rev.to_string()),
    };
    let default = || match cps.default_revision() {
        Some(r) => Want::Revision(r.to_string()),
        None => Want::NoControlPlane("default".into()),
    };
    match ns {
        Injection::Enabled => default(),
        Injection::Disabled => Want::Nothing,
        Injection::Revision(r) => serve(r),
        Injection::Ambient | Injection::None => match (&pod.rev, pod.label.as_deref()) {
            (Some(r), _) => serve(r),
            (None, Some("true")) => default(),
            _ => Want::Nothing,
        },
    }
}

/// Why a running pod differs from what a new pod would get; None when it matches, cannot
/// be replaced meaningfully (finished, deleting, gateway, ambient) or nothing serves it.
pub fn restart_reason(pod: &PodInfo, want: &Want) -> Option<RestartReason> {
    if pod.deleting
        || matches!(pod.phase.as_str(), "Succeeded" | "Failed")
        || pod.ambient
        || pod.gateway.is_some()
    {
        return None;
    }
    match (&pod.sidecar, want) {
        (None, Want::Revision(_)) => Some(RestartReason::MissingSidecar),
        (Some(sc), Want::Revision(w)) => {
            let have = sc.revision.as_deref().unwrap_or("default");
            (have != w).then(|| RestartReason::RevisionMismatch {
                pod: have.to_string(),
                namespace: w.clone(),
            })
        }
        (Some(_), Want::Nothing) => Some(RestartReason::UnwantedSidecar),
        (None, Want::Nothing) | (_, Want::NoControlPlane(_)) => None,
    }
}

/// The workload a pod belongs to, among a namespace's workloads.
pub fn owner<'a>(ws: &[&'a WorkloadInfo], p: &PodInfo) -> Option<&'a WorkloadInfo> {
    ws.iter().copied().find(|w| w.selects(p))
}

/// What a new pod of this pod's workload (or of the pod itself) would get.
pub fn pod_want(ns: &Injection, ws: &[&WorkloadInfo], p: &PodInfo, cps: &ControlPlanes) -> Want {
    let pi = match owner(ws, p) {
        Some(w) => PodInject::of_template(w),
        None => PodInject::of_pod(p),
    };
    want(ns, &pi, cps)
}

/// One workload whose pods would change on restart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadChange {
    pub kind: WorkloadKind,
    pub key: crate::cluster::objects::ObjKey,
    pub resource_version: Option<String>,
    /// Running pods now, and how many of them would change.
    pub pods: usize,
    pub gain: usize,
    pub lose: usize,
    /// (from, to) revision, for pods whose sidecar revision changes.
    pub change: Vec<(String, String)>,
    /// What the new pods get.
    pub want: Want,
    pub paused: bool,
}

impl WorkloadChange {
    pub fn changed(&self) -> usize {
        self.gain + self.lose + self.change.len()
    }

    /// "2 pods gain a sidecar (asm-1-22)", "1 pod loses its sidecar", ...
    pub fn describe(&self) -> String {
        // "1 pod gains", "2 pods gain".
        let pods = |n: usize, verb: &str| match n {
            1 => format!("1 pod {verb}s"),
            n => format!("{n} pods {verb}"),
        };
        let mut parts = Vec::new();
        if self.gain > 0 {
            let rev = match &self.want {
                Want::Revision(r) => format!(" ({r})"),
                _ => String::new(),
            };
            parts.push(format!("{} a sidecar{rev}", pods(self.gain, "gain")));
        }
        if self.lose > 0 {
            parts.push(format!("{} the sidecar", pods(self.lose, "lose")));
        }
        if let Some((from, to)) = self.change.first() {
            parts.push(format!(
                "{} revision {from} -> {to}",
                pods(self.change.len(), "change")
            ));
        }
        if self.paused {
            parts.push("paused: rolls only when resumed".into());
        }
        parts.join(", ")
    }
}

/// The workloads of `ns` whose running pods differ from what new pods would get if the
/// namespace had `labels`. With the namespace's own labels this is the needs-restart list.
pub fn changes_in(
    cache: &ClusterCache,
    cps: &ControlPlanes,
    ns: &str,
    labels: &BTreeMap<String, String>,
) -> Vec<WorkloadChange> {
    let inj = injection(&NamespaceInfo {
        name: ns.into(),
        labels: labels.clone(),
        phase: None,
        resource_version: None,
    })
    .effective;
    let mut out = Vec::new();
    for w in cache.workloads_in(ns) {
        let want = want(&inj, &PodInject::of_template(w), cps);
        let mut c = WorkloadChange {
            kind: w.kind,
            key: w.key.clone(),
            resource_version: w.resource_version.clone(),
            pods: 0,
            gain: 0,
            lose: 0,
            change: Vec::new(),
            want: want.clone(),
            paused: w.paused,
        };
        for p in cache.pods_in(ns).filter(|p| w.selects(p)) {
            if p.deleting || matches!(p.phase.as_str(), "Succeeded" | "Failed") {
                continue;
            }
            c.pods += 1;
            match restart_reason(p, &want) {
                Some(RestartReason::MissingSidecar) => c.gain += 1,
                Some(RestartReason::UnwantedSidecar) => c.lose += 1,
                Some(RestartReason::RevisionMismatch { pod, namespace }) => {
                    c.change.push((pod, namespace))
                }
                None => {}
            }
        }
        if c.changed() > 0 {
            out.push(c);
        }
    }
    out
}

/// Totals over changes: (workloads, pods gaining, losing, changing revision).
pub fn totals(changes: &[WorkloadChange]) -> (usize, usize, usize, usize) {
    changes.iter().fold((0, 0, 0, 0), |(w, g, l, c), x| {
        (w + 1, g + x.gain, l + x.lose, c + x.change.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::objects::ObjKey;

    fn cps(revs: &[&str]) -> ControlPlanes {
        ControlPlanes {
            by_revision: revs
                .iter()
                .map(|r| (r.to_string(), ("istio-system".into(), 1, 1)))
                .collect(),
            oldest: (revs.len() == 1).then(|| revs[0].to_string()),
            newest: revs.last().map(|r| r.to_string()),
        }
    }

    fn pi(label: Option<&str>, annotation: Option<bool>, rev: Option<&str>) -> PodInject {
        PodInject {
            label: label.map(String::from),
            effective: label.map(|l| l == "true").or(annotation),
            rev: rev.map(String::from),
        }
    }

    fn r(s: &str) -> Want {
        Want::Revision(s.into())
    }

    #[test]
    fn istio_precedence() {
        let cp = cps(&["default", "asm-1-22"]);
        let rev = Injection::Revision("asm-1-22".into());
        // Namespace levels.
        assert_eq!(
            want(&Injection::Enabled, &pi(None, None, None), &cp),
            r("default")
        );
        assert_eq!(want(&rev, &pi(None, None, None), &cp), r("asm-1-22"));
        assert_eq!(
            want(&Injection::Disabled, &pi(Some("true"), None, None), &cp),
            Want::Nothing
        );
        // The pod label opts out everywhere; so does the legacy annotation.
        assert_eq!(
            want(&rev, &pi(Some("false"), None, None), &cp),
            Want::Nothing
        );
        assert_eq!(
            want(&Injection::Enabled, &pi(None, Some(false), None), &cp),
            Want::Nothing
        );
        // The label wins over the annotation.
        assert_eq!(
            want(&rev, &pi(Some("true"), Some(false), None), &cp),
            r("asm-1-22")
        );
        // The namespace revision beats the pod's revision label.
        assert_eq!(
            want(&rev, &pi(None, None, Some("default")), &cp),
            r("asm-1-22")
        );
        // Unlabelled namespace: only pod labels opt in, never the annotation.
        assert_eq!(
            want(&Injection::None, &pi(Some("true"), None, None), &cp),
            r("default")
        );
        assert_eq!(
            want(&Injection::None, &pi(None, None, Some("asm-1-22")), &cp),
            r("asm-1-22")
        );
        assert_eq!(
            want(&Injection::None, &pi(None, Some(true), None), &cp),
            Want::Nothing
        );
        assert_eq!(
            want(&Injection::None, &pi(None, None, None), &cp),
            Want::Nothing
        );
        // Nothing serves the revision.
        assert_eq!(
            want(&Injection::Revision("x".into()), &pi(None, None, None), &cp),
            Want::NoControlPlane("x".into())
        );
        assert_eq!(
            want(
                &Injection::Enabled,
                &pi(None, None, None),
                &cps(&["a", "b"])
            ),
            Want::NoControlPlane("default".into())
        );
    }

    fn pod(name: &str, rev: Option<&str>) -> PodInfo {
        PodInfo::running(ObjKey::new("shop", name), Some("cart"), rev)
    }

    #[test]
    fn reasons() {
        assert_eq!(
            restart_reason(&pod("a", None), &r("x")),
            Some(RestartReason::MissingSidecar)
        );
        assert_eq!(
            restart_reason(&pod("a", Some("x")), &Want::Nothing),
            Some(RestartReason::UnwantedSidecar)
        );
        assert_eq!(restart_reason(&pod("a", Some("x")), &r("x")), None);
        assert_eq!(
            restart_reason(&pod("a", None), &Want::NoControlPlane("x".into())),
            None
        );
    }

    #[test]
    fn changes_follow_the_hypothetical_labels() {
        let mut c = ClusterCache::default();
        let w = WorkloadInfo {
            key: ObjKey::new("shop", "cart"),
            selector: [("app".to_string(), "cart".to_string())].into(),
            resource_version: Some("1".into()),
            ..Default::default()
        };
        c.workloads.insert((w.key.clone(), w.kind), w);
        for p in [pod("a", None), pod("b", Some("old"))] {
            c.pods.insert(p.key.clone(), p);
        }
        let cp = cps(&["new"]);
        let labels = |k: &str, v: &str| BTreeMap::from([(k.to_string(), v.to_string())]);
        let ch = changes_in(&c, &cp, "shop", &labels("istio.io/rev", "new"));
        assert_eq!(ch.len(), 1);
        assert_eq!((ch[0].pods, ch[0].gain, ch[0].lose), (2, 1, 0));
        assert_eq!(ch[0].change, vec![("old".to_string(), "new".to_string())]);
        assert_eq!(
            ch[0].describe(),
            "1 pod gains a sidecar (new), 1 pod changes revision old -> new"
        );
        let ch = changes_in(&c, &cp, "shop", &BTreeMap::new());
        assert_eq!(
            (ch[0].gain, ch[0].lose),
            (0, 1),
            "removing injection drops it"
        );
        assert_eq!(totals(&ch), (1, 0, 1, 0));
    }
}
