//! Executing a confirmed write: the request for a `WriteOp`, dry run and guarded patch (in
//! `cluster::write`), the audit line, and the answer to the reducer.

use tokio::sync::mpsc::UnboundedSender;

use super::session::Session;
use crate::app::msg::Msg;
use crate::audit::AuditEntry;
use crate::cluster::objects::{RouteKind, WorkloadKind};
use crate::cluster::write;
use crate::state::AppState;
use crate::state::write::WriteOp;

impl Session {
    /// Runs a confirmed write in the background (dry run, then the real patch), records it in
    /// the audit log and reports back as `Msg::WriteDone`. The UI stays responsive meanwhile.
    pub(super) fn write(&self, op: WriteOp, state: &AppState, tx: &UnboundedSender<Msg>) {
        let Some(client) = self.client.clone() else {
            let _ = tx.send(Msg::WriteDone {
                op,
                result: Err("not connected".into()),
                conflict: false,
            });
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
            let conflict = matches!(
                report.final_outcome(),
                Some(write::WriteOutcome::Conflict { .. })
            );
            let mut result = describe(&report, req.verb);
            if let Some(e) = audit_error {
                result = result.map(|ok| format!("{ok} (audit log: {e})"));
            }
            if let Some(u) = undo {
                let _ = tx.send(Msg::Undoable(Box::new(u)));
            }
            let _ = tx.send(Msg::WriteDone {
                op,
                result,
                conflict,
            });
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

/// The report in words: what happened, with the server's reason when it refused.
fn describe(report: &write::WriteReport, verb: &str) -> Result<String, String> {
    match report.final_outcome() {
        Some(write::WriteOutcome::Conflict { message, .. }) if verb == "undo" => Err(format!(
            "changed since your write; undo refused, nothing was written. ({message})"
        )),
        Some(write::WriteOutcome::Applied {
            resource_version, ..
        }) => Ok(format!("applied (resourceVersion {resource_version})")),
        Some(write::WriteOutcome::Conflict { message, .. }) => Err(format!(
            "the object changed since you opened it; nothing was written. Review and retry. ({message})"
        )),
        Some(other) => Err(format!(
            "{}: {}",
            other.name(),
            other.message().unwrap_or_default()
        )),
        None => Err("no outcome".into()),
    }
}
