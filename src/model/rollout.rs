//! Rollout status of a workload, computed exactly as `kubectl rollout status` does
//! (kubectl `polymorphichelpers/rollout_status.go`: DeploymentStatusViewer,
//! DaemonSetStatusViewer, StatefulSetStatusViewer), plus the "stuck" verdict.

use jiff::{SignedDuration, Timestamp};

use crate::cluster::objects::{WorkloadInfo, WorkloadKind, find_cond};

/// Where a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The controller has not observed the latest spec yet (generation > observedGeneration).
    Waiting,
    /// Pods are being replaced or becoming available.
    Progressing,
    /// `successfully rolled out` / `rolling update complete`.
    Complete,
    /// The Deployment's Progressing condition says ProgressDeadlineExceeded.
    DeadlineExceeded,
    /// kubectl has no status for this update strategy (OnDelete).
    Unsupported,
}

impl Phase {
    /// A rollout that is not over: it can make progress, or get stuck.
    pub fn in_progress(self) -> bool {
        matches!(self, Phase::Waiting | Phase::Progressing)
    }
}

/// The counts a progress bar shows, and kubectl's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolloutStatus {
    pub phase: Phase,
    pub message: String,
    pub desired: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
}

/// kubectl's `TimedOutReason`.
pub const DEADLINE_EXCEEDED: &str = "ProgressDeadlineExceeded";

pub fn status(w: &WorkloadInfo) -> RolloutStatus {
    let (phase, message) = match w.kind {
        WorkloadKind::Deployment => deployment(w),
        WorkloadKind::DaemonSet => daemonset(w),
        WorkloadKind::StatefulSet => statefulset(w),
    };
    RolloutStatus {
        phase,
        message,
        desired: w.desired,
        updated: w.updated,
        ready: w.ready,
        available: w.available,
    }
}

/// Missing generation/observedGeneration read as 0, like Go's zero values.
fn observed(w: &WorkloadInfo) -> bool {
    w.generation.unwrap_or(0) <= w.observed_generation.unwrap_or(0)
}

fn deployment(w: &WorkloadInfo) -> (Phase, String) {
    if !observed(w) {
        return (
            Phase::Waiting,
            "waiting for deployment spec update to be observed".into(),
        );
    }
    if find_cond(&w.conditions, "Progressing").is_some_and(|c| c.reason == DEADLINE_EXCEEDED) {
        return (
            Phase::DeadlineExceeded,
            format!("deployment {:?} exceeded its progress deadline", w.key.name),
        );
    }
    let p = Phase::Progressing;
    if w.updated < w.desired {
        return (
            p,
            format!(
                "{} out of {} new replicas have been updated",
                w.updated, w.desired
            ),
        );
    }
    if w.rollout.total > w.updated {
        return (
            p,
            format!(
                "{} old replicas are pending termination",
                w.rollout.total - w.updated
            ),
        );
    }
    if w.available < w.updated {
        return (
            p,
            format!(
                "{} of {} updated replicas are available",
                w.available, w.updated
            ),
        );
    }
    (Phase::Complete, "successfully rolled out".into())
}

fn daemonset(w: &WorkloadInfo) -> (Phase, String) {
    if w.rollout.on_delete {
        return (
            Phase::Unsupported,
            "rollout status is only available for RollingUpdate strategy type".into(),
        );
    }
    if !observed(w) {
        return (
            Phase::Waiting,
            "waiting for daemon set spec update to be observed".into(),
        );
    }
    // For a DaemonSet, `desired` is status.desiredNumberScheduled.
    if w.updated < w.desired {
        return (
            Phase::Progressing,
            format!(
                "{} out of {} new pods have been updated",
                w.updated, w.desired
            ),
        );
    }
    if w.available < w.desired {
        return (
            Phase::Progressing,
            format!(
                "{} of {} updated pods are available",
                w.available, w.desired
            ),
        );
    }
    (Phase::Complete, "successfully rolled out".into())
}

fn statefulset(w: &WorkloadInfo) -> (Phase, String) {
    let r = &w.rollout;
    if r.on_delete {
        return (
            Phase::Unsupported,
            "rollout status is only available for RollingUpdate strategy type".into(),
        );
    }
    if w.observed_generation.unwrap_or(0) == 0 || !observed(w) {
        return (
            Phase::Waiting,
            "waiting for statefulset spec update to be observed".into(),
        );
    }
    if w.ready < w.desired {
        return (
            Phase::Progressing,
            format!("waiting for {} pods to be ready", w.desired - w.ready),
        );
    }
    if let Some(partition) = r.rolling_update {
        if let Some(partition) = partition
            && w.updated < w.desired - partition
        {
            return (
                Phase::Progressing,
                format!(
                    "waiting for partitioned roll out to finish: {} out of {} new pods have been updated",
                    w.updated,
                    w.desired - partition
                ),
            );
        }
        return (
            Phase::Complete,
            format!(
                "partitioned roll out complete: {} new pods have been updated",
                w.updated
            ),
        );
    }
    if r.update_revision != r.current_revision {
        return (
            Phase::Progressing,
            format!(
                "waiting for statefulset rolling update to complete {} pods at revision {}",
                w.updated,
                r.update_revision.as_deref().unwrap_or("")
            ),
        );
    }
    (
        Phase::Complete,
        format!(
            "statefulset rolling update complete {} pods at revision {}",
            r.current_replicas,
            r.current_revision.as_deref().unwrap_or("")
        ),
    )
}

/// The stuck verdict: the deadline condition, or an unfinished rollout whose counts have
/// not changed for `after` (since `last_change`, from the watch events).
pub fn is_stuck(
    s: &RolloutStatus,
    last_change: Option<Timestamp>,
    now: Timestamp,
    after: SignedDuration,
) -> bool {
    match s.phase {
        Phase::DeadlineExceeded => true,
        p if p.in_progress() => last_change.is_some_and(|t| now.duration_since(t) >= after),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::objects::{Cond, ObjKey};

    fn dep(desired: i32, total: i32, updated: i32, available: i32) -> WorkloadInfo {
        let mut w = WorkloadInfo {
            kind: WorkloadKind::Deployment,
            key: ObjKey::new("shop", "cart"),
            desired,
            updated,
            ready: available,
            available,
            generation: Some(2),
            observed_generation: Some(2),
            ..Default::default()
        };
        w.rollout.total = total;
        w
    }

    fn phase(w: &WorkloadInfo) -> (Phase, String) {
        let s = status(w);
        (s.phase, s.message)
    }

    #[test]
    fn deployment_rules_in_kubectl_order() {
        let mut w = dep(3, 3, 3, 3);
        w.generation = Some(3);
        assert_eq!(phase(&w).0, Phase::Waiting, "generation not observed yet");
        assert_eq!(
            phase(&dep(3, 4, 1, 1)),
            (
                Phase::Progressing,
                "1 out of 3 new replicas have been updated".into()
            )
        );
        assert_eq!(
            phase(&dep(3, 5, 3, 3)),
            (
                Phase::Progressing,
                "2 old replicas are pending termination".into()
            )
        );
        assert_eq!(
            phase(&dep(3, 3, 3, 1)),
            (
                Phase::Progressing,
                "1 of 3 updated replicas are available".into()
            )
        );
        assert_eq!(phase(&dep(3, 3, 3, 3)).0, Phase::Complete);
        // No generation at all (fixtures, old servers) reads as observed.
        let mut w = dep(1, 1, 1, 1);
        (w.generation, w.observed_generation) = (None, None);
        assert_eq!(phase(&w).0, Phase::Complete);
    }

    #[test]
    fn deadline_exceeded_wins_over_counts_once_observed() {
        let mut w = dep(2, 3, 1, 0);
        w.conditions = vec![Cond {
            type_: "Progressing".into(),
            status: "False".into(),
            reason: DEADLINE_EXCEEDED.into(),
            message: String::new(),
        }];
        assert_eq!(
            phase(&w),
            (
                Phase::DeadlineExceeded,
                "deployment \"cart\" exceeded its progress deadline".into()
            )
        );
        w.generation = Some(3);
        assert_eq!(phase(&w).0, Phase::Waiting, "a new spec resets the verdict");
    }

    fn ds(desired: i32, updated: i32, available: i32) -> WorkloadInfo {
        WorkloadInfo {
            kind: WorkloadKind::DaemonSet,
            desired,
            updated,
            available,
            generation: Some(1),
            observed_generation: Some(1),
            ..Default::default()
        }
    }

    #[test]
    fn daemonset_rules() {
        assert_eq!(
            phase(&ds(3, 1, 1)),
            (
                Phase::Progressing,
                "1 out of 3 new pods have been updated".into()
            )
        );
        assert_eq!(
            phase(&ds(3, 3, 2)),
            (
                Phase::Progressing,
                "2 of 3 updated pods are available".into()
            )
        );
        assert_eq!(phase(&ds(3, 3, 3)).0, Phase::Complete);
        let mut w = ds(3, 3, 3);
        w.generation = Some(2);
        assert_eq!(phase(&w).0, Phase::Waiting);
        w.rollout.on_delete = true;
        assert_eq!(phase(&w).0, Phase::Unsupported);
    }

    fn sts(desired: i32, ready: i32, updated: i32) -> WorkloadInfo {
        WorkloadInfo {
            kind: WorkloadKind::StatefulSet,
            desired,
            ready,
            updated,
            generation: Some(4),
            observed_generation: Some(4),
            ..Default::default()
        }
    }

    #[test]
    fn statefulset_rules_with_and_without_partition() {
        let mut w = sts(3, 3, 3);
        w.observed_generation = None;
        w.generation = None;
        assert_eq!(phase(&w).0, Phase::Waiting, "observedGeneration 0");
        assert_eq!(
            phase(&sts(3, 1, 3)),
            (Phase::Progressing, "waiting for 2 pods to be ready".into())
        );
        let mut w = sts(4, 4, 1);
        w.rollout.rolling_update = Some(Some(2));
        assert_eq!(
            phase(&w),
            (
                Phase::Progressing,
                "waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated"
                    .into()
            )
        );
        w.updated = 2;
        assert_eq!(
            phase(&w),
            (
                Phase::Complete,
                "partitioned roll out complete: 2 new pods have been updated".into()
            )
        );
        // rollingUpdate without a partition: kubectl calls it complete.
        w.rollout.rolling_update = Some(None);
        w.updated = 0;
        assert_eq!(phase(&w).0, Phase::Complete);
        // No rollingUpdate: revisions decide.
        let mut w = sts(2, 2, 1);
        w.rollout.current_revision = Some("web-1".into());
        w.rollout.update_revision = Some("web-2".into());
        assert_eq!(
            phase(&w),
            (
                Phase::Progressing,
                "waiting for statefulset rolling update to complete 1 pods at revision web-2"
                    .into()
            )
        );
        w.rollout.current_revision = Some("web-2".into());
        w.rollout.current_replicas = 2;
        assert_eq!(
            phase(&w),
            (
                Phase::Complete,
                "statefulset rolling update complete 2 pods at revision web-2".into()
            )
        );
        w.rollout.on_delete = true;
        assert_eq!(phase(&w).0, Phase::Unsupported);
    }

    #[test]
    fn stuck_by_deadline_or_by_no_progress_for_the_configured_time() {
        let t0: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        let five = SignedDuration::from_mins(5);
        let at = |s: i64| t0 + SignedDuration::from_secs(s);
        let running = status(&dep(3, 3, 3, 1));
        assert!(!is_stuck(&running, Some(t0), at(299), five));
        assert!(is_stuck(&running, Some(t0), at(300), five));
        assert!(!is_stuck(&running, None, at(10_000), five), "never seen");
        let done = status(&dep(3, 3, 3, 3));
        assert!(!is_stuck(&done, Some(t0), at(10_000), five));
        let mut w = dep(3, 3, 3, 1);
        w.conditions = vec![Cond {
            type_: "Progressing".into(),
            reason: DEADLINE_EXCEEDED.into(),
            ..Default::default()
        }];
        assert!(is_stuck(&status(&w), Some(t0), t0, five), "at once");
    }
}
