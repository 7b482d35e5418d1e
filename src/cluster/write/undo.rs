//! Undo of a write made in this session, for every kind of write: the object is read just
//! before the write, and `undo_of` turns (request, object before) into the inverse patch.
//!
//! The inverse is guarded by the resourceVersion the write produced. Controllers bump that
//! version with status-only updates right after most writes (a restarted Deployment's
//! status changes within milliseconds), which would make every undo a conflict. So, when
//! the version moved, the object is read again: if its spec (generation), labels and
//! annotations are still what the write left, the undo is re-guarded by the CURRENT
//! resourceVersion (the server still refuses with 409 if anything changes in between);
//! otherwise it is refused without writing.

use serde_json::Value;

use super::{
    DryRun, PatchBody, RV_POINTER, WriteOutcome, WriteReport, WriteRequest, current, execute,
    undo_of,
};

/// Everything needed to revert one applied write.
#[derive(Debug, Clone, PartialEq)]
pub struct Undoable {
    /// The kubeconfig context the write went to: an undo goes to the same one.
    pub context: String,
    pub original: WriteRequest,
    /// The object as read right before the write (its resourceVersion is the write's
    /// precondition).
    pub before: Value,
    /// The object as the write left it.
    pub applied: Value,
    /// The inverse, guarded by the applied resourceVersion (what the confirm shows).
    pub inverse: WriteRequest,
}

// Equality of JSON documents and patches is reflexive (no NaN in JSON).
impl Eq for Undoable {}

impl Undoable {
    /// The undo of `req` if it was applied and the object before it is known. Undos and
    /// Secrets are not undoable (no redo; Secret values are never kept).
    pub fn of(
        context: &str,
        req: &WriteRequest,
        before: Option<Value>,
        report: &WriteReport,
    ) -> Option<Undoable> {
        if req.verb == "undo" || req.target.is_secret() {
            return None;
        }
        let Some(WriteOutcome::Applied {
            resource_version,
            object,
        }) = &report.outcome
        else {
            return None;
        };
        let before = before?;
        let inverse = undo_of(req, &before, resource_version).ok()?;
        Some(Undoable {
            context: context.into(),
            original: req.clone(),
            before,
            applied: object.clone(),
            inverse,
        })
    }

    pub fn applied_resource_version(&self) -> &str {
        self.applied
            .pointer(RV_POINTER)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// Whether the inverse changes the pod template (so the controller rolls out again).
    pub fn touches_pod_template(&self) -> bool {
        match &self.inverse.patch {
            PatchBody::Merge(v) => v.pointer("/spec/template").is_some(),
            PatchBody::Json(p) => p
                .iter()
                .any(|op| op.path().as_str().starts_with("/spec/template")),
        }
    }
}

/// Annotations controllers maintain on the objects we write; they change after our write
/// without anyone changing what the user changed.
const CONTROLLER_ANNOTATIONS: [&str; 2] = [
    "deployment.kubernetes.io/revision",
    "deprecated.daemonset.template.generation",
];

/// Why `current` is not the object the write left (`applied`), ignoring status and
/// bookkeeping; `None` when only those changed.
pub fn changed_since(applied: &Value, current: &Value) -> Option<String> {
    let at = |v: &Value, p: &str| v.pointer(p).cloned().unwrap_or(Value::Null);
    let (g0, g1) = (
        at(applied, "/metadata/generation"),
        at(current, "/metadata/generation"),
    );
    if g0 != g1 {
        return Some(format!("its spec changed (generation {g0} → {g1})"));
    }
    if at(applied, "/spec") != at(current, "/spec") {
        return Some("its spec changed".into());
    }
    if at(applied, "/metadata/labels") != at(current, "/metadata/labels") {
        return Some("its labels changed".into());
    }
    let annotations = |v: &Value| {
        let mut a = at(v, "/metadata/annotations");
        if let Some(m) = a.as_object_mut() {
            m.retain(|k, _| !CONTROLLER_ANNOTATIONS.contains(&k.as_str()));
        }
        a
    };
    if annotations(applied) != annotations(current) {
        return Some("its annotations changed".into());
    }
    None
}

/// The undo request to send now, or the refusal (nothing is sent then).
async fn prepare(client: &kube::Client, u: &Undoable) -> Result<WriteRequest, WriteOutcome> {
    let target = &u.inverse.target;
    let Some(now) = current(client, target).await else {
        return Err(WriteOutcome::NotFound(format!(
            "{} could not be read",
            target.display()
        )));
    };
    let rv = now
        .pointer(RV_POINTER)
        .and_then(Value::as_str)
        .unwrap_or("");
    if rv == u.applied_resource_version() {
        return Ok(u.inverse.clone());
    }
    if let Some(why) = changed_since(&u.applied, &now) {
        return Err(WriteOutcome::Conflict {
            message: format!(
                "{} changed since your write: {why} (resourceVersion {} then, {rv} now)",
                target.display(),
                u.applied_resource_version()
            ),
            current: Some(now),
        });
    }
    undo_of(&u.original, &u.before, rv).map_err(WriteOutcome::Invalid)
}

/// Checks, then runs the undo like any write (dry run, then the patch). Returns the request
/// as sent (or as it would have been) for the audit log.
pub async fn execute_undo(client: &kube::Client, u: &Undoable) -> (WriteRequest, WriteReport) {
    match prepare(client, u).await {
        Ok(req) => {
            let report = execute(client, &req).await;
            (req, report)
        }
        Err(refused) => (
            u.inverse.clone(),
            WriteReport {
                dry_run: DryRun::Rejected(refused),
                outcome: None,
            },
        ),
    }
}

/// Reads the object, then writes: the object before is what an undo restores. A failed read
/// does not stop the write (it only makes it not undoable).
pub async fn execute_undoable(
    client: &kube::Client,
    context: &str,
    req: &WriteRequest,
) -> (WriteReport, Option<Undoable>) {
    let before = current(client, &req.target).await;
    let report = execute(client, req).await;
    let undo = Undoable::of(context, req, before, &report);
    (report, undo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::write::{Target, rollout_restart};
    use serde_json::json;

    fn deployment(rv: &str, generation: i64, revision: &str, restarted: Option<&str>) -> Value {
        let mut d = json!({
            "metadata": {"name": "cart", "namespace": "shop", "resourceVersion": rv,
                "generation": generation, "labels": {"app": "cart"},
                "annotations": {"deployment.kubernetes.io/revision": revision}},
            "spec": {"replicas": 2, "template": {"metadata": {"labels": {"app": "cart"}}}},
            "status": {"observedGeneration": generation - 1},
        });
        if let Some(at) = restarted {
            d["spec"]["template"]["metadata"]["annotations"] =
                json!({"kubectl.kubernetes.io/restartedAt": at});
        }
        d
    }

    fn applied(object: Value) -> WriteReport {
        WriteReport {
            dry_run: DryRun::Passed,
            outcome: Some(WriteOutcome::Applied {
                resource_version: object["metadata"]["resourceVersion"]
                    .as_str()
                    .unwrap()
                    .into(),
                object,
            }),
        }
    }

    fn restart() -> WriteRequest {
        rollout_restart(
            Target::deployment("shop", "cart"),
            "10",
            "2026-01-01T00:00:00Z".parse().unwrap(),
        )
    }

    #[test]
    fn only_an_applied_write_with_a_known_before_is_undoable() {
        let before = deployment("10", 1, "1", None);
        let after = deployment("11", 2, "1", Some("2026-01-01T00:00:00Z"));
        let u = Undoable::of(
            "ctx",
            &restart(),
            Some(before.clone()),
            &applied(after.clone()),
        )
        .expect("undoable");
        assert_eq!(u.applied_resource_version(), "11");
        assert_eq!(u.inverse.verb, "undo");
        assert_eq!(u.inverse.patch.precondition(), Some("11"));
        assert!(u.touches_pod_template());
        assert_eq!(u.context, "ctx");
        assert_eq!(
            Undoable::of("ctx", &restart(), None, &applied(after.clone())),
            None
        );
        let refused = WriteReport {
            dry_run: DryRun::Rejected(WriteOutcome::Forbidden("no".into())),
            outcome: None,
        };
        assert_eq!(
            Undoable::of("ctx", &restart(), Some(before.clone()), &refused),
            None
        );
        // No redo: an undo is not undoable.
        assert_eq!(
            Undoable::of("ctx", &u.inverse, Some(after.clone()), &applied(before)),
            None
        );
    }

    #[test]
    fn status_and_controller_bookkeeping_are_not_a_change_the_rest_is() {
        let after = deployment("11", 2, "1", Some("t1"));
        // The controller observed the generation and bumped its revision annotation.
        let mut status_only = deployment("14", 2, "2", Some("t1"));
        status_only["status"] = json!({"observedGeneration": 2, "updatedReplicas": 2});
        assert_eq!(changed_since(&after, &status_only), None);
        let respec = deployment("15", 3, "2", Some("t2"));
        assert!(
            changed_since(&after, &respec)
                .unwrap()
                .contains("generation 2 → 3")
        );
        let mut relabel = status_only.clone();
        relabel["metadata"]["labels"]["team"] = json!("x");
        assert_eq!(
            changed_since(&after, &relabel).as_deref(),
            Some("its labels changed")
        );
        let mut annotated = status_only.clone();
        annotated["metadata"]["annotations"]["note"] = json!("x");
        assert_eq!(
            changed_since(&after, &annotated).as_deref(),
            Some("its annotations changed")
        );
        // Objects without a generation (Namespaces): the spec itself is compared.
        let ns =
            json!({"metadata": {"labels": {"a": "1"}}, "spec": {"finalizers": ["kubernetes"]}});
        let mut ns2 = ns.clone();
        ns2["spec"]["finalizers"] = json!([]);
        assert_eq!(
            changed_since(&ns, &ns2).as_deref(),
            Some("its spec changed")
        );
    }
}
