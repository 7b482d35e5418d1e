//! What the undo confirm says: where it goes, what it reverts, the inverse patch, and what
//! the cluster will do about it.

use crate::cluster::write::PatchBody;
use crate::cluster::write::undo::Undoable;

pub fn confirm_lines(u: &Undoable) -> Vec<String> {
    let inv = &u.inverse;
    let mut out = vec![
        format!(
            "namespace: {}",
            inv.target
                .namespace
                .as_deref()
                .unwrap_or("(cluster-scoped)")
        ),
        format!(
            "reverts:   {} (this session's last change)",
            u.original.summary
        ),
        String::new(),
        match inv.patch {
            PatchBody::Merge(_) => "inverse patch (merge, with resourceVersion precondition):",
            PatchBody::Json(_) => "inverse patch (JSON patch, with resourceVersion test):",
        }
        .into(),
    ];
    let pretty = serde_json::to_string_pretty(&inv.patch.to_json()).unwrap_or_default();
    out.extend(pretty.lines().map(|l| format!("  {l}")));
    out.push(String::new());
    if u.touches_pod_template() {
        out.push(
            "Effect: the pod template goes back to how it was; that is itself a template change,"
                .into(),
        );
        out.push(format!(
            "so the {} controller starts a new rollout (a restart's previous restartedAt comes back).",
            inv.target.kind
        ));
    }
    out.push(
        "Refused, with nothing written, if the object changed since your write (its spec, labels"
            .into(),
    );
    out.push(
        "or annotations); status-only updates by controllers do not count. Dry run first.".into(),
    );
    out
}
