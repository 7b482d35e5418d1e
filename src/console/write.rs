//! Executing a confirmed write: the request for a `WriteOp`, dry run and guarded patch (in
//! `cluster::write`), the audit line, and the answer to the reducer.

use tokio::sync::mpsc::UnboundedSender;

use super::session::Session;
use crate::app::msg::Msg;
use crate::audit::AuditEntry;
use crate::cluster::objects::{RouteKind, WorkloadKind};
use crate::cluster::write;
use crate::state::AppState;
use crate::state::write::{Outcome, WriteDone, WriteId, WriteOp};

impl Session {
    /// Runs a confirmed write in the background (dry run, then the real patch), records it in
    /// the audit log and reports back as `Msg::WriteDone`. The UI stays responsive meanwhile.
    pub(super) fn write(
        &self,
        id: WriteId,
        op: WriteOp,
        state: &AppState,
        tx: &UnboundedSender<Msg>,
    ) {
        let Some(client) = self.client.clone() else {
            let _ = tx.send(Msg::WriteDone(WriteDone {
                id,
                op,
                outcome: Outcome::Unreachable,
                text: "not connected".into(),
            }));
            return;
        };
        let (context, user) = (state.conn.context.clone(), state.conn.user.clone());
        let audit = self.audit.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            // Every write reads its object first, so that it can be undone; an undo is
            // checked against what the write left (see cluster::write::undo).
            let (req, report, undo) = match &op {
                WriteOp::Undo(u) => {
                    let (req, report) = write::undo::execute_undo(&client, u).await;
                    (req, report, None)
                }
                other => {
                    let (req, _) = request_for(other);
                    let (report, undo) =
                        write::undo::execute_undoable(&client, &context, &req).await;
                    (req, report, undo)
                }
            };
            let rv_before = req.patch.precondition().map(String::from);
            let mut entry = AuditEntry::from_report(
                &context,
                user.as_deref(),
                &req,
                &report,
                rv_before.as_deref(),
            );
            if let Some(u) = &undo {
                entry = entry.with_undo(&u.inverse);
            }
            let audit_error = audit.append(&entry).err();
            let outcome = outcome_of(&report);
            let mut text = describe(&report, req.verb);
            if let Some(e) = audit_error {
                text = format!("{text} (audit log: {e})");
            }
            if let Some(u) = undo {
                let _ = tx.send(Msg::Undoable(Box::new(u)));
            }
            let _ = tx.send(Msg::WriteDone(WriteDone {
                id,
                op,
                outcome,
                text,
            }));
        });
    }
}

/// The patch for a write op, and the resourceVersion it is conditioned on.
fn request_for(op: &WriteOp) -> (write::WriteRequest, String) {
    match op {
        WriteOp::RolloutRestart {
            kind,
            key,
            resource_version,
        } => (
            write::rollout_restart(
                workload_target(*kind, key),
                resource_version,
                jiff::Timestamp::now(),
            ),
            resource_version.clone(),
        ),
        WriteOp::SetNamespaceLabels {
            namespace,
            resource_version,
            set,
            remove,
        } => (
            write::set_namespace_labels(namespace, resource_version, set, remove),
            resource_version.clone(),
        ),
        WriteOp::SetInjectLabel {
            kind,
            key,
            resource_version,
            value,
        } => (
            write::set_template_label(
                workload_target(*kind, key),
                resource_version,
                crate::model::inject::INJECT_LABEL,
                value.as_deref(),
            ),
            resource_version.clone(),
        ),
        WriteOp::SetWeights {
            kind,
            key,
            rule,
            resource_version,
            changes,
        } => {
            let target = match kind {
                RouteKind::Http => write::Target::httproute(&key.ns, &key.name),
                RouteKind::Grpc => write::Target::grpcroute(&key.ns, &key.name),
                RouteKind::Virtual => write::Target::virtualservice(&key.ns, &key.name),
            };
            let changes: Vec<_> = changes
                .iter()
                .map(|c| (c.index, c.identity.clone(), c.after))
                .collect();
            (
                write::set_weights(target, resource_version, *rule, &changes),
                resource_version.clone(),
            )
        }
        WriteOp::Undo(u) => (u.inverse.clone(), u.applied_resource_version().into()),
    }
}

fn workload_target(kind: WorkloadKind, key: &crate::cluster::objects::ObjKey) -> write::Target {
    match kind {
        WorkloadKind::Deployment => write::Target::deployment(&key.ns, &key.name),
        WorkloadKind::StatefulSet => write::Target::statefulset(&key.ns, &key.name),
        WorkloadKind::DaemonSet => write::Target::daemonset(&key.ns, &key.name),
    }
}

/// What the write did, typed for the reducer. A dry run that refused for a reason other
/// than a conflict, RBAC or an unreachable server is `DryRunFailed`: nothing was written.
fn outcome_of(report: &write::WriteReport) -> Outcome {
    use write::WriteOutcome as W;
    let dry_run_refused = report.outcome.is_none();
    match report.final_outcome() {
        Some(W::Applied { .. }) => Outcome::Applied,
        Some(W::Conflict { .. }) => Outcome::Conflict,
        Some(W::Forbidden(_)) => Outcome::Forbidden,
        Some(W::Unreachable(_)) => Outcome::Unreachable,
        Some(_) if dry_run_refused => Outcome::DryRunFailed,
        Some(W::Invalid(_)) => Outcome::Invalid,
        Some(W::NotFound(_)) => Outcome::NotFound,
        Some(W::Failed(_)) | None => Outcome::Failed,
    }
}

/// The report in words: what happened, with the server's reason when it refused.
fn describe(report: &write::WriteReport, verb: &str) -> String {
    match report.final_outcome() {
        Some(write::WriteOutcome::Conflict { message, .. }) if verb == "undo" => {
            format!("changed since your write; undo refused, nothing was written. ({message})")
        }
        Some(write::WriteOutcome::Applied {
            resource_version, ..
        }) => format!("applied (resourceVersion {resource_version})"),
        Some(write::WriteOutcome::Conflict { message, .. }) => format!(
            "the object changed since you opened it; nothing was written. Review and retry. ({message})"
        ),
        Some(other) => format!("{}: {}", other.name(), other.message().unwrap_or_default()),
        None => "no outcome".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use write::{DryRun, WriteOutcome, WriteReport};

    fn report(dry_run: DryRun, outcome: Option<WriteOutcome>) -> WriteReport {
        WriteReport { dry_run, outcome }
    }

    #[test]
    fn every_outcome_is_typed_from_the_report() {
        let applied = WriteOutcome::Applied {
            resource_version: "7".into(),
            object: serde_json::Value::Null,
        };
        let cases = [
            (report(DryRun::Passed, Some(applied)), Outcome::Applied),
            (
                report(
                    DryRun::Passed,
                    Some(WriteOutcome::Conflict {
                        current: None,
                        message: "rv".into(),
                    }),
                ),
                Outcome::Conflict,
            ),
            (
                report(DryRun::Rejected(WriteOutcome::Forbidden("no".into())), None),
                Outcome::Forbidden,
            ),
            (
                report(
                    DryRun::Rejected(WriteOutcome::Invalid("webhook".into())),
                    None,
                ),
                Outcome::DryRunFailed,
            ),
            (
                report(DryRun::Passed, Some(WriteOutcome::Invalid("bad".into()))),
                Outcome::Invalid,
            ),
            (
                report(
                    DryRun::Passed,
                    Some(WriteOutcome::Unreachable("reset".into())),
                ),
                Outcome::Unreachable,
            ),
            (
                report(DryRun::Passed, Some(WriteOutcome::NotFound("gone".into()))),
                Outcome::NotFound,
            ),
        ];
        for (r, want) in cases {
            assert_eq!(outcome_of(&r), want, "{r:?}");
        }
    }
}
