//! Istio's vocabulary as this console reads it: the injection labels and how a namespace
//! asks for sidecars, the control planes by revision (and which are ready), and why a pod
//! does not match what its namespace asks for. `mesh` (the Mesh view's rows) and `inject`
//! (what a label change does to pods) both build on it.

use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::objects::{NamespaceInfo, WorkloadInfo};

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
