//! Sidecar injection toggles and bulk restarts as data: the choices offered, the previews
//! (what changes for which pods), and the bookkeeping of writes in flight. Pure functions of
//! the cache; `app::inject` wires them to keys.

use std::collections::BTreeMap;

use crate::cluster::cache::ClusterCache;
use crate::cluster::objects::{NamespaceInfo, ObjKey, WorkloadInfo, WorkloadKind};
use crate::model::inject::{
    INJECT_LABEL, PodInject, Want, WorkloadChange, changes_in, restart_reason, totals, want,
};
use crate::model::mesh::{ControlPlanes, INJECTION_LABEL, NotReady, REV_LABEL, injection};
use crate::state::chooser::{Chooser, LabelChoice, Plan, Purpose, Then, WorkloadChoice};
use crate::state::hazard::Hazard;
use crate::state::write::WriteOp;

/// Writes in flight that something waits for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InjectState {
    /// A namespace label write; on success, the restart offer.
    pub pending_labels: Vec<(WriteOp, Then)>,
    pub batch: Option<Batch>,
}

/// Many writes confirmed together; summarized when all have answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub what: String,
    pub ops: Vec<WriteOp>,
    pub results: Vec<(WriteOp, Result<String, String>)>,
}

impl Batch {
    /// The summary once every op has answered: (text, any failed).
    pub fn summary(&self) -> Option<(String, bool)> {
        if self.results.len() < self.ops.len() {
            return None;
        }
        let failed: Vec<String> = self
            .results
            .iter()
            .filter_map(|(op, r)| r.as_ref().err().map(|e| format!("{}: {e}", op.object())))
            .collect();
        let ok = self.results.len() - failed.len();
        let mut text = format!("{}: {ok}/{} succeeded", self.what, self.ops.len());
        if !failed.is_empty() {
            text.push_str(&format!("; failed: {}", failed.join("; ")));
        }
        Some((text, !failed.is_empty()))
    }
}

fn lbl(labels: &BTreeMap<String, String>, key: &str) -> Option<String> {
    labels.get(key).cloned()
}

/// The injection labels of a label set, "istio-injection=enabled istio.io/rev=x" or "(none)".
pub fn injection_labels(labels: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = [INJECTION_LABEL, REV_LABEL]
        .iter()
        .filter_map(|k| labels.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    if parts.is_empty() {
        "(no injection label)".into()
    } else {
        parts.join(" ")
    }
}

/// Labels after a merge patch that sets `set` and removes `remove`.
pub fn apply(
    labels: &BTreeMap<String, String>,
    set: &[(String, String)],
    remove: &[String],
) -> BTreeMap<String, String> {
    let mut out = labels.clone();
    for k in remove {
        out.remove(k);
    }
    for (k, v) in set {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// The choices for a namespace: fix a conflict (both labels set, Istio IST0123), enable by
/// `istio-injection=enabled` (when a default revision exists) or by each installed revision,
/// disable. Choices that change nothing are left out.
pub fn injection_choices(ns: &NamespaceInfo, cps: &ControlPlanes) -> Vec<LabelChoice> {
    let inj = lbl(&ns.labels, INJECTION_LABEL);
    let rev = lbl(&ns.labels, REV_LABEL);
    let s = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    let mut out = Vec::new();
    if let (Some(i), Some(r)) = (&inj, &rev) {
        out.push(LabelChoice {
            label: format!("fix conflict: keep {INJECTION_LABEL}={i}, remove {REV_LABEL}={r}"),
            set: vec![],
            remove: vec![REV_LABEL.into()],
        });
        out.push(LabelChoice {
            label: format!("fix conflict: keep {REV_LABEL}={r}, remove {INJECTION_LABEL}={i}"),
            set: vec![],
            remove: vec![INJECTION_LABEL.into()],
        });
    }
    // Each revision's readiness in its line: a step towards one that cannot serve shows.
    let ready = |r: &str| cps.readiness(r).unwrap_or_default();
    if let Some(def) = cps.default_revision() {
        out.push(LabelChoice {
            label: format!(
                "enable: {INJECTION_LABEL}=enabled (default revision: {def})  {}",
                ready(def)
            ),
            set: s(INJECTION_LABEL, "enabled"),
            remove: vec![REV_LABEL.into()],
        });
    }
    for r in cps.by_revision.keys() {
        out.push(LabelChoice {
            label: format!("enable revision {r}: {REV_LABEL}={r}  {}", ready(r)),
            set: s(REV_LABEL, r),
            remove: vec![INJECTION_LABEL.into()],
        });
    }
    if inj.is_some() || rev.is_some() {
        out.push(LabelChoice {
            label: format!(
                "disable: remove {INJECTION_LABEL} and {REV_LABEL} (pods may still opt in)"
            ),
            set: vec![],
            remove: vec![INJECTION_LABEL.into(), REV_LABEL.into()],
        });
    }
    out.push(LabelChoice {
        label: format!("disable for every pod: {INJECTION_LABEL}=disabled (beats pod opt-ins)"),
        set: s(INJECTION_LABEL, "disabled"),
        remove: vec![REV_LABEL.into()],
    });
    // Leave out what changes nothing, and what a conflict fix above already does.
    let mut seen = vec![ns.labels.clone()];
    out.retain(|c| {
        let after = apply(&ns.labels, &c.set, &c.remove);
        let new = !seen.contains(&after);
        seen.push(after);
        new
    });
    out
}

pub fn control_plane_line(cps: &ControlPlanes) -> String {
    if cps.by_revision.is_empty() {
        return "control planes: none found (no istiod Deployment): nothing can inject".into();
    }
    let list: Vec<String> = cps
        .by_revision
        .iter()
        .map(|(r, (ns, ready, desired))| {
            let flag = if *ready <= 0 { " NOT READY" } else { "" };
            format!("{r} ({ns} {ready}/{desired}{flag})")
        })
        .collect();
    format!("control planes: {}", list.join(", "))
}

pub fn injection_chooser(context: &str, ns: &NamespaceInfo, cps: &ControlPlanes) -> Chooser {
    let choices = injection_choices(ns, cps);
    let inj = injection(ns);
    let mut intro = vec![
        format!("context {context}, namespace {}", ns.name),
        format!("now: {}", injection_labels(&ns.labels)),
    ];
    if inj.conflict {
        intro.push(format!(
            "CONFLICT (Istio IST0123): both labels set; {INJECTION_LABEL} wins, {REV_LABEL} is ignored"
        ));
    }
    intro.push(control_plane_line(cps));
    let flagged = choices
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            cps.not_ready_for(&apply(&ns.labels, &c.set, &c.remove))
                .is_some()
        })
        .map(|(i, _)| i)
        .collect();
    Chooser {
        title: format!("Sidecar injection for namespace {}", ns.name),
        intro,
        options: choices.iter().map(|c| c.label.clone()).collect(),
        flagged,
        cursor: 0,
        purpose: Purpose::NamespaceInjection {
            namespace: ns.name.clone(),
            choices,
        },
    }
}

fn change_lines(changes: &[WorkloadChange], out: &mut Vec<String>) {
    for c in changes {
        out.push(format!(
            "  {} {}: {}",
            c.kind.as_str(),
            c.key.name,
            c.describe()
        ));
    }
}

/// The confirm for a namespace label change: before -> after, the patch, and which running
/// pods would change when restarted.
pub fn label_plan(
    cache: &ClusterCache,
    context: &str,
    ns: &NamespaceInfo,
    choice: &LabelChoice,
) -> Result<Plan, String> {
    let rv = ns.resource_version.clone().ok_or_else(|| {
        format!(
            "namespace {} has no resourceVersion yet; try again",
            ns.name
        )
    })?;
    let after = apply(&ns.labels, &choice.set, &choice.remove);
    let remove: Vec<String> = choice
        .remove
        .iter()
        .filter(|k| ns.labels.contains_key(*k))
        .cloned()
        .collect();
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    let changes = changes_in(cache, &cps, &ns.name, &after);
    let (w, gain, lose, rev) = totals(&changes);
    let mut body = vec![
        format!("context:   {context}"),
        format!("namespace: {}", ns.name),
        format!("object:    Namespace {}", ns.name),
        format!(
            "labels:    {}  ->  {}",
            injection_labels(&ns.labels),
            injection_labels(&after)
        ),
        String::new(),
        "patch (merge, with resourceVersion precondition):".into(),
        format!("  metadata.resourceVersion: \"{rv}\""),
    ];
    for (k, v) in &choice.set {
        body.push(format!("  metadata.labels.{k}: \"{v}\""));
    }
    for k in remove
        .iter()
        .filter(|k| !choice.set.iter().any(|(s, _)| s == *k))
    {
        body.push(format!("  metadata.labels.{k}: null (removed)"));
    }
    body.push(String::new());
    body.push(
        "Running pods do not change now: Istio injects when a pod is created, so only".into(),
    );
    body.push("restarted or new pods follow the new labels.".into());
    if changes.is_empty() {
        body.push("On restart: no running pod would change.".into());
    } else {
        body.push(format!(
            "On restart, {w} workload(s): {gain} pod(s) gain a sidecar, {lose} lose it, {rev} change revision:"
        ));
        change_lines(&changes, &mut body);
        body.push("After the write you are offered to restart them.".into());
    }
    body.push("A server dry-run runs first; nothing is written if it fails.".into());
    let op = WriteOp::SetNamespaceLabels {
        namespace: ns.name.clone(),
        resource_version: rv,
        set: choice.set.clone(),
        remove,
    };
    let hazard = Hazard::not_ready(
        &cps.not_ready_for(&after).into_iter().collect::<Vec<_>>(),
        &format!("namespace {}", ns.name),
    );
    Ok(Plan {
        title: format!("label Namespace {}?", ns.name),
        body,
        ops: vec![op],
        ok_label: "Confirm label change".into(),
        ok_focused: false,
        scroll: 0,
        then: Then::OfferRestart {
            namespace: ns.name.clone(),
            labels_after: after,
        },
        hazard,
    })
}

/// One workload to restart, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestartItem {
    pub kind: WorkloadKind,
    pub key: ObjKey,
    pub resource_version: Option<String>,
    pub note: String,
}

impl From<&WorkloadChange> for RestartItem {
    fn from(c: &WorkloadChange) -> Self {
        RestartItem {
            kind: c.kind,
            key: c.key.clone(),
            resource_version: c.resource_version.clone(),
            note: c.describe(),
        }
    }
}

/// A confirm listing every workload to restart; one guarded rollout restart each.
pub fn restart_plan(context: &str, scope: &[String], what: &str, items: &[RestartItem]) -> Plan {
    let scope = match scope {
        [one] => format!("namespace: {one}"),
        few if few.len() <= 3 => format!("namespaces: {}", few.join(", ")),
        many => format!("namespaces: {} in view", many.len()),
    };
    let mut body = vec![
        format!("context:   {context}"),
        scope,
        String::new(),
        format!(
            "{} workload(s) to rollout restart (one guarded patch each, like kubectl rollout restart):",
            items.len()
        ),
    ];
    let mut ops = Vec::new();
    let mut skipped = 0;
    for i in items {
        let note = if i.note.is_empty() {
            String::new()
        } else {
            format!(": {}", i.note)
        };
        match &i.resource_version {
            Some(rv) => {
                body.push(format!("  {} {}{note}", i.kind.as_str(), i.key));
                ops.push(WriteOp::RolloutRestart {
                    kind: i.kind,
                    key: i.key.clone(),
                    resource_version: rv.clone(),
                });
            }
            None => {
                skipped += 1;
                body.push(format!(
                    "  {} {}: SKIPPED (no resourceVersion yet)",
                    i.kind.as_str(),
                    i.key
                ));
            }
        }
    }
    body.push(String::new());
    body.push(
        "Each controller replaces every pod of its workload; new pods get the injection".into(),
    );
    body.push(
        "their namespace and template ask for. Each write: dry run, then patch, audited.".into(),
    );
    if skipped > 0 {
        body.push(format!(
            "{skipped} workload(s) skipped; retry once they are synced."
        ));
    }
    Plan {
        title: format!("{what}?"),
        body,
        ok_label: format!("Confirm restart of {}", ops.len()),
        ops,
        ok_focused: false,
        scroll: 0,
        then: Then::Summarize { what: what.into() },
        hazard: None,
    }
}

/// The control planes without a ready replica that new pods of these namespaces (with
/// their labels now) would be injected by; one entry per revision.
pub fn not_ready_in(cache: &ClusterCache, namespaces: &[&str]) -> Vec<NotReady> {
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    let mut out: Vec<NotReady> = Vec::new();
    for ns in namespaces.iter().filter_map(|n| cache.namespaces.get(*n)) {
        if let Some(nr) = cps.not_ready_for(&ns.labels)
            && !out.iter().any(|o| o.revision == nr.revision)
        {
            out.push(nr);
        }
    }
    out
}

/// "namespace shop", "namespaces shop, web".
pub fn namespaces_text(namespaces: &[&str]) -> String {
    match namespaces {
        [one] => format!("namespace {one}"),
        many => format!("namespaces {}", many.join(", ")),
    }
}

/// The workloads that need a restart in these namespaces (the Mesh view's needs-restart).
pub fn needs_restart(cache: &ClusterCache, scope: &[String]) -> Vec<RestartItem> {
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    scope
        .iter()
        .filter_map(|ns| cache.namespaces.get(ns))
        .flat_map(|ns| changes_in(cache, &cps, &ns.name, &ns.labels))
        .map(|c| RestartItem::from(&c))
        .collect()
}

pub fn all_in(cache: &ClusterCache, ns: &str) -> Vec<RestartItem> {
    cache
        .workloads_in(ns)
        .map(|w| RestartItem {
            kind: w.kind,
            key: w.key.clone(),
            resource_version: w.resource_version.clone(),
            note: format!("{}/{} ready", w.ready, w.desired),
        })
        .collect()
}

/// The two bulk options, with their counts.
pub fn bulk_chooser(
    cache: &ClusterCache,
    context: &str,
    scope: Vec<String>,
    namespace: Option<String>,
) -> Chooser {
    let needs = needs_restart(cache, &scope);
    let where_ = match scope.as_slice() {
        [one] => format!("namespace {one}"),
        many => format!("{} namespaces in view", many.len()),
    };
    let mut options = vec![format!(
        "all workloads that need a restart in {where_} ({})",
        needs.len()
    )];
    if let Some(ns) = &namespace {
        options.push(format!(
            "all workloads in namespace {ns} ({})",
            all_in(cache, ns).len()
        ));
    }
    Chooser {
        title: "Bulk rollout restart".into(),
        intro: vec![
            format!("context {context}"),
            "needs a restart = pods without the sidecar new pods get, with another revision's,"
                .into(),
            "or with a sidecar new pods would not get (same rule as the Mesh view's RESTART)."
                .into(),
        ],
        options,
        flagged: vec![],
        cursor: 0,
        purpose: Purpose::BulkRestart { scope, namespace },
    }
}

fn template_with(w: &WorkloadInfo, value: Option<&str>) -> PodInject {
    let effective = match value {
        Some("true") => Some(true),
        Some("false") => Some(false),
        // Without the label the injector falls back to the legacy annotation.
        _ => match w.template_inject_annotation.as_deref() {
            Some("true") => Some(true),
            Some("false") => Some(false),
            _ => None,
        },
    };
    PodInject {
        label: value.map(String::from),
        effective,
        rev: w.template_rev.clone(),
    }
}

fn want_text(w: &Want) -> String {
    match w {
        Want::Nothing => "no sidecar".into(),
        Want::Revision(r) => format!("a sidecar of revision {r}"),
        Want::NoControlPlane(r) => format!("nothing: revision {r} has no control plane"),
    }
}

pub fn workload_chooser(cache: &ClusterCache, context: &str, w: &WorkloadInfo) -> Chooser {
    let current = w.template_inject_label.clone();
    let mark = |v: Option<&str>| {
        if current.as_deref() == v {
            " (current)"
        } else {
            ""
        }
    };
    let choices = vec![
        WorkloadChoice {
            label: format!("{INJECT_LABEL}=true: opt in{}", mark(Some("true"))),
            value: Some("true".into()),
        },
        WorkloadChoice {
            label: format!("{INJECT_LABEL}=false: opt out{}", mark(Some("false"))),
            value: Some("false".into()),
        },
        WorkloadChoice {
            label: format!("remove the label: follow the namespace{}", mark(None)),
            value: None,
        },
    ];
    let ns_labels = cache
        .namespaces
        .get(&w.key.ns)
        .map(|n| injection_labels(&n.labels))
        .unwrap_or_else(|| "(namespace not seen)".into());
    let mut intro = vec![
        format!("context {context}, {} {}", w.kind.as_str(), w.key),
        format!("namespace labels: {ns_labels}"),
        format!(
            "pod template label {INJECT_LABEL}: {}",
            current.as_deref().unwrap_or("(not set)")
        ),
    ];
    if let Some(a) = &w.template_inject_annotation {
        intro.push(format!(
            "legacy pod template ANNOTATION {INJECT_LABEL}={a}: used only when the label is absent"
        ));
    }
    Chooser {
        title: format!("Sidecar injection for {} {}", w.kind.as_str(), w.key.name),
        intro,
        options: choices.iter().map(|c| c.label.clone()).collect(),
        flagged: vec![],
        cursor: 0,
        purpose: Purpose::WorkloadInjection {
            kind: w.kind,
            key: w.key.clone(),
            choices,
        },
    }
}

/// What changing the template does to running pods, by kind and strategy.
fn roll_text(w: &WorkloadInfo) -> Vec<String> {
    let kind = w.kind.as_str();
    if w.paused {
        return vec![
            format!("The {kind} is PAUSED: the template changes now, but no pod is replaced until"),
            "`kubectl rollout resume` (a rollout restart would not help either).".into(),
        ];
    }
    if w.on_delete {
        return vec![
            format!("The {kind} uses updateStrategy OnDelete: running pods keep their current"),
            "sidecar until you delete them (a rollout restart would not replace them either)."
                .into(),
        ];
    }
    let how = match w.kind {
        WorkloadKind::Deployment => "creates a new ReplicaSet and replaces every pod",
        WorkloadKind::StatefulSet => "replaces its pods one by one, highest ordinal first",
        WorkloadKind::DaemonSet => "replaces its pods node by node",
    };
    vec![
        format!("This changes the pod template, so the {kind} rolls out by itself:"),
        format!("it {how}. No separate restart is needed."),
    ]
}

pub fn workload_plan(
    cache: &ClusterCache,
    context: &str,
    w: &WorkloadInfo,
    choice: &WorkloadChoice,
) -> Result<Plan, String> {
    let rv = w
        .resource_version
        .clone()
        .ok_or_else(|| format!("{} has no resourceVersion yet; try again", w.key))?;
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    let ns_inj = cache
        .namespaces
        .get(&w.key.ns)
        .map(|n| injection(n).effective)
        .unwrap_or(crate::model::mesh::Injection::None);
    let before = want(
        &ns_inj,
        &template_with(w, w.template_inject_label.as_deref()),
        &cps,
    );
    let after = want(&ns_inj, &template_with(w, choice.value.as_deref()), &cps);
    let pods: Vec<_> = cache
        .pods_in(&w.key.ns)
        .filter(|p| w.selects(p) && !p.deleting)
        .collect();
    let changing = pods
        .iter()
        .filter(|p| restart_reason(p, &after).is_some())
        .count();
    let show = |v: Option<&str>| v.map_or("(not set)".to_string(), |v| format!("\"{v}\""));
    let mut body = vec![
        format!("context:   {context}"),
        format!("namespace: {}", w.key.ns),
        format!("object:    {} {}", w.kind.as_str(), w.key),
        format!(
            "pod template label {INJECT_LABEL}: {}  ->  {}",
            show(w.template_inject_label.as_deref()),
            show(choice.value.as_deref())
        ),
        String::new(),
        "patch (merge, with resourceVersion precondition):".into(),
        format!("  metadata.resourceVersion: \"{rv}\""),
        format!(
            "  spec.template.metadata.labels.{INJECT_LABEL}: {}",
            choice
                .value
                .as_deref()
                .map_or("null (removed)".to_string(), |v| format!("\"{v}\""))
        ),
        String::new(),
        format!(
            "New pods get {} (before: {}).",
            want_text(&after),
            want_text(&before)
        ),
        format!(
            "{} running pod(s); {changing} of them differ from what new pods get.",
            pods.len()
        ),
    ];
    body.extend(roll_text(w));
    body.push("A server dry-run runs first; nothing is written if it fails.".into());
    // The template change rolls the workload at once: its new pods need that injector.
    let not_ready: Vec<NotReady> = match &after {
        Want::Revision(r) => cps.not_ready(r).into_iter().collect(),
        _ => vec![],
    };
    let hazard = Hazard::not_ready(&not_ready, &format!("{} {}", w.kind.as_str(), w.key));
    Ok(Plan {
        title: format!("set {INJECT_LABEL} on {} {}?", w.kind.as_str(), w.key),
        body,
        ops: vec![WriteOp::SetInjectLabel {
            kind: w.kind,
            key: w.key.clone(),
            resource_version: rv,
            value: choice.value.clone(),
        }],
        ok_label: "Confirm template change".into(),
        ok_focused: false,
        scroll: 0,
        then: Then::Nothing,
        hazard,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(labels: &[(&str, &str)]) -> NamespaceInfo {
        NamespaceInfo {
            name: "shop".into(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            phase: None,
            resource_version: Some("7".into()),
        }
    }

    fn cps(revs: &[&str]) -> ControlPlanes {
        ControlPlanes {
            by_revision: revs
                .iter()
                .map(|r| (r.to_string(), ("aks-istio-system".into(), 1, 1)))
                .collect(),
            oldest: (revs.len() == 1).then(|| revs[0].to_string()),
            newest: revs.last().map(|r| r.to_string()),
        }
    }

    fn labels(cs: &[LabelChoice]) -> Vec<&str> {
        cs.iter().map(|c| c.label.as_str()).collect()
    }

    #[test]
    fn choices_offer_installed_revisions_and_skip_no_ops() {
        let cs = injection_choices(&ns(&[]), &cps(&["asm-1-22", "asm-1-23"]));
        assert_eq!(
            labels(&cs),
            vec![
                "enable revision asm-1-22: istio.io/rev=asm-1-22  istiod 1/1 ready",
                "enable revision asm-1-23: istio.io/rev=asm-1-23  istiod 1/1 ready",
                "disable for every pod: istio-injection=disabled (beats pod opt-ins)",
            ],
            "no default revision among two: enabled is not offered; nothing to remove"
        );
        let cs = injection_choices(&ns(&[("istio.io/rev", "asm-1-22")]), &cps(&["asm-1-22"]));
        assert_eq!(
            labels(&cs)[0],
            "enable: istio-injection=enabled (default revision: asm-1-22)  istiod 1/1 ready"
        );
        assert!(
            !labels(&cs)
                .iter()
                .any(|l| l.contains("enable revision asm-1-22"))
        );
        assert!(labels(&cs).iter().any(|l| l.starts_with("disable: remove")));
    }

    #[test]
    fn a_not_ready_revision_is_flagged_and_its_label_change_confirms_twice() {
        let mut c = cps(&["asm-1-22", "asm-1-23"]);
        c.by_revision.get_mut("asm-1-23").unwrap().1 = 0;
        let n = ns(&[("istio.io/rev", "asm-1-22")]);
        let ch = injection_chooser("prod", &n, &c);
        assert_eq!(
            ch.options[0],
            "enable revision asm-1-23: istio.io/rev=asm-1-23  istiod 0/1 ready — NOT READY"
        );
        assert_eq!(ch.flagged, vec![0], "only the step towards asm-1-23");
        assert!(
            ch.intro
                .iter()
                .any(|l| l.contains("asm-1-23 (aks-istio-system 0/1 NOT READY)")),
            "{:?}",
            ch.intro
        );
        let mut cache = ClusterCache::default();
        for rev in ["asm-1-22", "asm-1-23"] {
            let w = WorkloadInfo {
                key: ObjKey::new("aks-istio-system", format!("istiod-{rev}")),
                labels: [("app", "istiod"), ("istio.io/rev", rev)]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                desired: 1,
                ready: i32::from(rev == "asm-1-22"),
                ..Default::default()
            };
            cache.control_planes.insert(w.key.clone(), w);
        }
        let Purpose::NamespaceInjection { choices, .. } = &ch.purpose else {
            panic!("{:?}", ch.purpose)
        };
        let p = label_plan(&cache, "prod", &n, &choices[0]).unwrap();
        let h = p
            .hazard
            .expect("towards a control plane with no ready replica");
        assert_eq!(
            h.lines[0],
            "WARNING: istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY"
        );
        assert!(!h.armed);
        // Disabling points new pods at no control plane: one confirm, as ever.
        let off = choices.last().unwrap();
        assert_eq!(label_plan(&cache, "prod", &n, off).unwrap().hazard, None);
        cache.namespaces.insert("shop".into(), n.clone());
        assert_eq!(
            not_ready_in(&cache, &["shop"]),
            vec![],
            "shop is on asm-1-22"
        );
        let on_new = ns(&[("istio.io/rev", "asm-1-23")]);
        cache.namespaces.insert("shop".into(), on_new);
        let nr = not_ready_in(&cache, &["shop", "shop", "gone"]);
        assert_eq!(nr.len(), 1);
        assert_eq!((nr[0].revision.as_str(), nr[0].ready), ("asm-1-23", 0));
    }

    #[test]
    fn conflict_offers_one_winner_each_first() {
        let n = ns(&[("istio-injection", "enabled"), ("istio.io/rev", "asm-1-22")]);
        let cs = injection_choices(&n, &cps(&["asm-1-22"]));
        assert_eq!(cs[0].remove, vec!["istio.io/rev".to_string()]);
        assert_eq!(cs[1].remove, vec!["istio-injection".to_string()]);
        assert!(
            cs[0]
                .label
                .starts_with("fix conflict: keep istio-injection=enabled")
        );
        let after = apply(&n.labels, &cs[1].set, &cs[1].remove);
        assert_eq!(injection_labels(&after), "istio.io/rev=asm-1-22");
    }

    #[test]
    fn batch_summary_waits_for_all_and_names_failures() {
        let op = |n: &str| WriteOp::RolloutRestart {
            kind: WorkloadKind::Deployment,
            key: ObjKey::new("shop", n),
            resource_version: "1".into(),
        };
        let mut b = Batch {
            what: "restart".into(),
            ops: vec![op("a"), op("b")],
            results: vec![(op("a"), Ok("applied".into()))],
        };
        assert_eq!(b.summary(), None);
        b.results.push((op("b"), Err("forbidden: no".into())));
        assert_eq!(
            b.summary(),
            Some((
                "restart: 1/2 succeeded; failed: Deployment shop/b: forbidden: no".into(),
                true
            ))
        );
    }
}
