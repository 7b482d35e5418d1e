//! Namespace mesh membership: injection labels, control planes, sidecars that differ from
//! what new pods get, ambient without ztunnel. The rules are model::mesh's and
//! model::inject's (the Mesh view and the restart dialogs use the same ones).

use crate::cluster::cache::ClusterCache;
use crate::cluster::kinds::Kind;
use crate::cluster::objects::{NamespaceInfo, ObjKey, WorkloadKind};
use crate::model::inject::{Want, WorkloadChange, changes_in, restart_reason};
use crate::model::mesh::{
    ControlPlaneState, ControlPlanes, INJECTION_LABEL, Injection, NotReady, REV_LABEL,
    RestartReason, injection, mesh_row,
};

use super::{Finding, Fix, Live, ObjRef, count, some_names};

/// What every namespace's mesh findings share: the control planes, the root namespace and
/// whether ztunnel runs.
#[derive(Debug)]
pub struct MeshScope {
    cps: ControlPlanes,
    root: String,
    ztunnel: Option<bool>,
}

/// None when namespaces are not known (no mesh finding then).
pub fn scope(cache: &ClusterCache, live: &Live) -> Option<MeshScope> {
    if !live.has(Kind::Namespaces) {
        return None;
    }
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    Some(MeshScope {
        root: cps.root_namespace(),
        cps,
        ztunnel: ztunnel_found(cache, live),
    })
}

pub(super) fn findings(cache: &ClusterCache, live: &Live, out: &mut Vec<Finding>) {
    let Some(scope) = scope(cache, live) else {
        return;
    };
    for ns in cache.namespaces.values().filter(|n| live.in_scope(&n.name)) {
        in_namespace(cache, live, &scope, ns, out);
    }
}

/// One namespace's findings. Reads, besides what `scope` read: the namespace, and its
/// pods and workloads (see `state::diagnostics::MESH_INPUTS`).
pub fn in_namespace(
    cache: &ClusterCache,
    live: &Live,
    scope: &MeshScope,
    ns: &NamespaceInfo,
    out: &mut Vec<Finding>,
) {
    let MeshScope { cps, root, ztunnel } = scope;
    labels_conflict(ns, cps, live, out);
    if !live.has(Kind::ControlPlanes) {
        return;
    }
    let row = mesh_row(cache, cps, root, ns);
    match &row.control_plane {
        ControlPlaneState::Missing { wanted } => {
            out.push(no_control_plane(cache, live, ns, wanted, cps));
        }
        ControlPlaneState::Present { revision, .. } => {
            if let Some(nr) = cps.not_ready(revision) {
                out.push(control_plane_not_ready(
                    cache,
                    ns,
                    &row.injection.effective,
                    &nr,
                ));
            }
        }
        ControlPlaneState::NotNeeded => {}
    }
    if !cps.by_revision.is_empty() {
        disabled(cache, live, ns, out);
    }
    if row.injection.effective == Injection::Ambient && *ztunnel == Some(false) {
        out.push(ambient_without_ztunnel(ns));
    }
    if live.sees(Kind::Pods, &ns.name) {
        restarts(cache, cps, ns, out);
    }
}

fn labels_conflict(ns: &NamespaceInfo, cps: &ControlPlanes, live: &Live, out: &mut Vec<Finding>) {
    let labels = injection(ns);
    if !labels.conflict {
        return;
    }
    let inj = ns.labels.get(INJECTION_LABEL).cloned().unwrap_or_default();
    let rev = ns.labels.get(REV_LABEL).cloned().unwrap_or_default();
    let outcome = match &labels.effective {
        Injection::Enabled => match cps.default_revision() {
            Some(r) if live.has(Kind::ControlPlanes) => {
                format!("new pods get the default revision's sidecar ({r})")
            }
            _ => "new pods get the default revision's sidecar".to_string(),
        },
        _ => "new pods get no sidecar at all".to_string(),
    };
    let advice = if inj == "enabled" {
        format!(
            "Keep only one: usually istio.io/rev={rev} (revision-based upgrades, the AKS add-on), \
             i.e. remove istio-injection."
        )
    } else {
        format!(
            "If the namespace should be out of the mesh, remove istio.io/rev; if it should be in \
             it, remove istio-injection={inj}."
        )
    };
    out.push(
        Finding::new(
            "MESH001",
            vec![ObjRef::namespace(&ns.name)],
            "",
            format!(
                "{}: istio-injection={inj} and istio.io/rev={rev} both set; istio-injection wins",
                ns.name
            ),
            format!(
                "Namespace {} has both istio-injection={inj} and istio.io/rev={rev}. Istio's \
                 injection webhooks give istio-injection precedence, so {outcome}, whatever \
                 istio.io/rev says. {advice} Running pods change only when restarted.",
                ns.name
            ),
        )
        .with_fix(Fix::ToggleInjection {
            namespace: ns.name.clone(),
        }),
    );
}

fn no_control_plane(
    cache: &ClusterCache,
    live: &Live,
    ns: &NamespaceInfo,
    wanted: &str,
    cps: &ControlPlanes,
) -> Finding {
    let served = if cps.by_revision.is_empty() {
        "no istiod control plane was found".to_string()
    } else {
        format!(
            "control planes found: {}",
            cps.by_revision
                .iter()
                .map(|(r, (n, _, _))| format!("{r} in {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let asked = if wanted == "default" {
        "istio-injection=enabled (the default revision)".to_string()
    } else {
        format!("istio.io/rev={wanted}")
    };
    let bare = if live.sees(Kind::Pods, &ns.name) {
        let n = cache
            .pods_in(&ns.name)
            .filter(|p| {
                p.sidecar.is_none()
                    && p.gateway.is_none()
                    && !p.deleting
                    && !matches!(p.phase.as_str(), "Succeeded" | "Failed")
            })
            .count();
        format!(" {} run without a sidecar.", count(n, "pod", "pods"))
    } else {
        String::new()
    };
    Finding::new(
        "MESH002",
        vec![ObjRef::namespace(&ns.name)],
        "",
        format!("{}: {asked} but no control plane serves {wanted}", ns.name),
        format!(
            "Namespace {} asks for {asked}, but no istiod of revision {wanted} exists ({served}). \
             New pods get no sidecar (or, with a webhook left behind, may fail to be created).\
             {bare} Point the namespace at a revision that exists, or install that revision.",
            ns.name
        ),
    )
    .with_fix(Fix::ToggleInjection {
        namespace: ns.name.clone(),
    })
}

/// The namespace's revision has an istiod, but not one ready replica: its injection webhook
/// has nobody to answer, so every pod created there now is at risk.
fn control_plane_not_ready(
    cache: &ClusterCache,
    ns: &NamespaceInfo,
    asked: &Injection,
    nr: &NotReady,
) -> Finding {
    let asked = match asked {
        Injection::Enabled => format!("istio-injection=enabled (default revision {})", nr.revision),
        other => other.label(),
    };
    let mut objects = vec![ObjRef::namespace(&ns.name)];
    objects.extend(
        cache
            .control_planes
            .values()
            .filter(|w| w.control_plane_revision().as_deref() == Some(nr.revision.as_str()))
            .map(|w| ObjRef::new(w.kind.as_str(), &w.key)),
    );
    Finding::new(
        "MESH008",
        objects,
        "",
        format!(
            "{}: {asked} but istiod {} has no ready replica ({}/{})",
            ns.name, nr.revision, nr.ready, nr.desired
        ),
        format!(
            "Namespace {} asks for {asked}; {}. Its sidecar injection webhook has nobody to \
             answer, so every pod created in the namespace now (a restart, a scale-up, a pod \
             rescheduled after a node drain) is refused when the webhook fails closed, and \
             rollouts stall; when it fails open the pod starts without a sidecar. Running pods \
             keep their sidecars until they are replaced. Find out why istiod is not ready \
             (pods pending, crashing, image not pulled, scaled to 0), or point the namespace \
             at a revision whose istiod is ready.",
            ns.name,
            nr.summary()
        ),
    )
    .with_fix(Fix::ToggleInjection {
        namespace: ns.name.clone(),
    })
}

/// `istio-injection` set to something other than `enabled`, without `istio.io/rev` (that
/// case is MESH001): the namespace opted out explicitly.
fn disabled(cache: &ClusterCache, live: &Live, ns: &NamespaceInfo, out: &mut Vec<Finding>) {
    let labels = injection(ns);
    if labels.conflict || labels.effective != Injection::Disabled {
        return;
    }
    let workloads = cache.workloads_in(&ns.name).count();
    let pods = if live.sees(Kind::Pods, &ns.name) {
        cache.pods_in(&ns.name).count()
    } else {
        0
    };
    if workloads == 0 && pods == 0 {
        return;
    }
    let value = ns.labels.get(INJECTION_LABEL).cloned().unwrap_or_default();
    out.push(
        Finding::new(
            "MESH006",
            vec![ObjRef::namespace(&ns.name)],
            "",
            format!("{}: injection disabled (istio-injection={value})", ns.name),
            format!(
                "Namespace {} opts out of the mesh with istio-injection={value}: no pod gets a \
                 sidecar, even one that asks for it. Its workloads talk plaintext and cannot \
                 reach STRICT mTLS services. istioctl analyze reports unlabelled namespaces as \
                 IST0102; this one is an explicit opt-out, so it is information only.",
                ns.name
            ),
        )
        .with_fix(Fix::ToggleInjection {
            namespace: ns.name.clone(),
        }),
    );
}

/// Whether a ztunnel DaemonSet exists anywhere; None when that cannot be known.
fn ztunnel_found(cache: &ClusterCache, live: &Live) -> Option<bool> {
    if !live.sees_all(Kind::DaemonSets) {
        return None;
    }
    Some(cache.workloads.values().any(|w| {
        w.kind == WorkloadKind::DaemonSet
            && (w.key.name == "ztunnel" || w.labels.get("app").is_some_and(|a| a == "ztunnel"))
    }))
}

fn ambient_without_ztunnel(ns: &NamespaceInfo) -> Finding {
    Finding::new(
        "MESH007",
        vec![ObjRef::namespace(&ns.name)],
        "",
        format!(
            "{}: istio.io/dataplane-mode=ambient but no ztunnel DaemonSet found",
            ns.name
        ),
        format!(
            "Namespace {} is labelled for Istio's ambient data plane, which needs the ztunnel \
             DaemonSet on every node. No DaemonSet named or labelled ztunnel exists, so its pods \
             are not in the mesh: no mTLS, and STRICT services refuse them. The AKS Istio add-on \
             runs sidecar mode only: use istio.io/rev=<revision> there.",
            ns.name
        ),
    )
}

/// Pods that differ from what new pods would get, per namespace and reason (the Mesh
/// view's NEEDS RESTART, explained).
fn restarts(cache: &ClusterCache, cps: &ControlPlanes, ns: &NamespaceInfo, out: &mut Vec<Finding>) {
    let changes = changes_in(cache, cps, &ns.name, &ns.labels);
    let gaining: Vec<&WorkloadChange> = changes.iter().filter(|c| c.gain > 0).collect();
    let changing: Vec<&WorkloadChange> = changes.iter().filter(|c| !c.change.is_empty()).collect();
    let losing: Vec<&WorkloadChange> = changes.iter().filter(|c| c.lose > 0).collect();
    // Pod names per workload for one reason, by the rule that made the counts.
    let pods_of = |c: &WorkloadChange, pick: fn(&RestartReason) -> bool| -> Vec<String> {
        let Some(w) = cache.workloads.get(&(c.key.clone(), c.kind)) else {
            return Vec::new();
        };
        cache
            .pods_in(&ns.name)
            .filter(|p| w.selects(p))
            .filter(|p| !p.deleting && restart_reason(p, &c.want).as_ref().is_some_and(pick))
            .map(|p| p.key.name.clone())
            .collect()
    };
    if !gaining.is_empty() {
        let pods: Vec<String> = gaining
            .iter()
            .flat_map(|c| pods_of(c, |r| matches!(r, RestartReason::MissingSidecar)))
            .collect();
        let n: usize = gaining.iter().map(|c| c.gain).sum();
        let rev = match &gaining[0].want {
            Want::Revision(r) => r.clone(),
            _ => String::new(),
        };
        out.push(
            group(ns, "MESH003", &gaining)
                .title(format!(
                    "{}: {} without sidecar in an injected namespace ({})",
                    ns.name,
                    count(n, "pod", "pods"),
                    workload_names(&gaining)
                ))
                .explain(format!(
                    "Namespace {} injects sidecars (revision {rev}), but {} {} none: {}. They \
                     were created before injection was enabled, while the injector was down, \
                     or bypassed it. They are outside the mesh: no mTLS, no policy, and STRICT \
                     services refuse their calls. A rollout restart gives the new pods a \
                     sidecar.",
                    ns.name,
                    count(n, "pod", "pods"),
                    if n == 1 { "has" } else { "have" },
                    some_names(&pods, 5)
                ))
                .done(&pods),
        );
    }
    if !changing.is_empty() {
        let pods: Vec<String> = changing
            .iter()
            .flat_map(|c| pods_of(c, |r| matches!(r, RestartReason::RevisionMismatch { .. })))
            .collect();
        let (from, to) = changing[0].change[0].clone();
        let n: usize = changing.iter().map(|c| c.change.len()).sum();
        out.push(
            group(ns, "MESH004", &changing)
                .title(format!(
                    "{}: {} sidecar {from}, namespace wants {to}: restart needed ({})",
                    ns.name,
                    count(n, "pod runs", "pods run"),
                    workload_names(&changing)
                ))
                .explain(format!(
                    "{} in namespace {} still run the {from} sidecar; new pods get {to}. This \
                     is what is left after a control-plane upgrade or a revision change: the \
                     old proxies keep talking to the old control plane (or to none once it is \
                     removed). Pods: {}. A rollout restart moves them to {to}.",
                    count(n, "pod", "pods"),
                    ns.name,
                    some_names(&pods, 5)
                ))
                .done(&pods),
        );
    }
    if !losing.is_empty() {
        let pods: Vec<String> = losing
            .iter()
            .flat_map(|c| pods_of(c, |r| matches!(r, RestartReason::UnwantedSidecar)))
            .collect();
        let n: usize = losing.iter().map(|c| c.lose).sum();
        out.push(
            group(ns, "MESH005", &losing)
                .title(format!(
                    "{}: {} keep a sidecar new pods would not get ({})",
                    ns.name,
                    count(n, "pod", "pods"),
                    workload_names(&losing)
                ))
                .explain(format!(
                    "{} in namespace {} run a sidecar, but injection was turned off or the \
                     workload opted out since they started: after a restart they run without \
                     one. Pods: {}.",
                    count(n, "pod", "pods"),
                    ns.name,
                    some_names(&pods, 5)
                ))
                .done(&pods),
        );
    }
}

fn workload_names(cs: &[&WorkloadChange]) -> String {
    let names: Vec<String> = cs.iter().map(|c| c.key.name.clone()).collect();
    some_names(&names, 3)
}

/// A per-namespace restart finding under construction.
struct Group {
    code: &'static str,
    namespace: String,
    workloads: Vec<(WorkloadKind, ObjKey)>,
    title: String,
    explanation: String,
}

fn group(ns: &NamespaceInfo, code: &'static str, cs: &[&WorkloadChange]) -> Group {
    Group {
        code,
        namespace: ns.name.clone(),
        workloads: cs.iter().map(|c| (c.kind, c.key.clone())).collect(),
        title: String::new(),
        explanation: String::new(),
    }
}

impl Group {
    fn title(mut self, t: String) -> Self {
        self.title = t;
        self
    }

    fn explain(mut self, e: String) -> Self {
        self.explanation = e;
        self
    }

    /// Main object: the one workload, else the namespace. The fix: restart that workload,
    /// else the namespace's bulk restart (which lists exactly those that need it).
    fn done(self, pods: &[String]) -> Finding {
        let mut objects = Vec::new();
        let fix = match self.workloads.as_slice() {
            [(kind, key)] => {
                objects.push(ObjRef::new(kind.as_str(), key));
                objects.push(ObjRef::namespace(&self.namespace));
                Fix::RolloutRestart {
                    kind: *kind,
                    workload: key.clone(),
                }
            }
            many => {
                objects.push(ObjRef::namespace(&self.namespace));
                objects.extend(many.iter().map(|(k, key)| ObjRef::new(k.as_str(), key)));
                Fix::BulkRestartNamespace {
                    namespace: self.namespace.clone(),
                }
            }
        };
        objects.extend(
            pods.iter()
                .take(5)
                .map(|p| ObjRef::new("Pod", &ObjKey::new(self.namespace.clone(), p.clone()))),
        );
        Finding::new(self.code, objects, "", self.title, self.explanation).with_fix(fix)
    }
}
