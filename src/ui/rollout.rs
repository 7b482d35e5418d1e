//! Rollout progress as drawn: a bar per unfinished workload in the namespace detail, a mark
//! on finished ones, and the `rollouts: 2 running, 1 stuck` header indicator.

use jiff::SignedDuration;
use ratatui::text::{Line, Span};

use super::theme::{Role, Theme};
use crate::cluster::objects::WorkloadInfo;
use crate::model::rollout::{Phase, RolloutStatus};
use crate::state::AppState;
use crate::state::rollout::Summary;

const BAR: usize = 16;

/// `███▓▓░░░`: available, updated but not yet available, not updated; out of desired.
pub fn bar(s: &RolloutStatus) -> String {
    let desired = s.desired.max(1) as usize;
    let cells = |n: i32| (n.clamp(0, s.desired.max(0)) as usize * BAR) / desired;
    let available = cells(s.available.min(s.updated));
    let updated = cells(s.updated).max(available);
    format!(
        "{}{}{}",
        "█".repeat(available),
        "▓".repeat(updated - available),
        "░".repeat(BAR - updated)
    )
}

/// `5m`, `90s` → `1m 30s`.
pub fn friendly(d: SignedDuration) -> String {
    format!("{d:#}")
}

/// The mark after a workload's name line: finished, or not tracked by kubectl.
pub fn mark(s: &RolloutStatus, th: &Theme) -> Option<Span<'static>> {
    match s.phase {
        Phase::Complete => Some(Span::styled("  ✓ rolled out", th.style(Role::Ok))),
        Phase::Unsupported => Some(Span::styled(
            "  (OnDelete: no rollout status)",
            th.style(Role::Muted),
        )),
        _ => None,
    }
}

/// The progress line under an unfinished (or stuck) workload; `None` when it is finished.
pub fn progress_line(w: &WorkloadInfo, state: &AppState, th: &Theme) -> Option<Line<'static>> {
    let (s, stuck) = state.rollouts.status(w, state.now);
    if !stuck && !s.phase.in_progress() {
        return None;
    }
    let role = if stuck { Role::Error } else { Role::Warn };
    let mut spans = vec![
        Span::raw("    "),
        Span::styled(bar(&s), th.style(role)),
        Span::raw(format!(
            " updated {u}/{d} ready {r}/{d} available {a}/{d}  ",
            u = s.updated,
            r = s.ready,
            a = s.available,
            d = s.desired
        )),
    ];
    if stuck {
        spans.push(Span::styled("STUCK ", th.style(Role::Error)));
        let why = if s.phase == Phase::DeadlineExceeded {
            s.message.clone()
        } else {
            let since = state
                .rollouts
                .since(w)
                .map(|t| t.strftime("%H:%M:%SZ").to_string())
                .unwrap_or_default();
            format!(
                "no progress for {} (since {since}): {}",
                friendly(state.rollouts.stuck_after),
                s.message
            )
        };
        spans.push(Span::styled(why, th.style(Role::Error)));
    } else {
        spans.push(Span::styled(s.message.clone(), th.style(Role::Muted)));
    }
    Some(Line::from(spans))
}

/// `rollouts: 2 running, 1 stuck` for the header; nothing when no rollout is unfinished.
pub fn indicator(sum: Summary, th: &Theme) -> Vec<Span<'static>> {
    if sum == Summary::default() {
        return Vec::new();
    }
    let mut spans = vec![Span::styled("  rollouts: ", th.style(Role::Header))];
    if sum.running > 0 {
        spans.push(Span::styled(
            format!("{} running", sum.running),
            th.style(Role::Warn),
        ));
    }
    if sum.stuck > 0 {
        if sum.running > 0 {
            spans.push(Span::styled(", ", th.style(Role::Header)));
        }
        spans.push(Span::styled(
            format!("{} stuck", sum.stuck),
            th.style(Role::Error),
        ));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(desired: i32, updated: i32, available: i32) -> RolloutStatus {
        RolloutStatus {
            phase: Phase::Progressing,
            message: String::new(),
            desired,
            updated,
            ready: available,
            available,
        }
    }

    #[test]
    fn bar_shows_available_updated_and_the_rest() {
        let b = |a: usize, u: usize, r: usize| {
            format!("{}{}{}", "█".repeat(a), "▓".repeat(u), "░".repeat(r))
        };
        assert_eq!(bar(&st(4, 2, 1)), b(4, 4, 8));
        assert_eq!(bar(&st(2, 2, 2)), b(16, 0, 0));
        assert_eq!(
            bar(&st(0, 0, 0)),
            b(0, 0, 16),
            "no replicas: empty, no panic"
        );
        assert_eq!(
            bar(&st(2, 5, 9)),
            b(16, 0, 0),
            "counts above desired are clamped"
        );
        assert_eq!(bar(&st(2, -1, 0)), b(0, 0, 16));
    }

    #[test]
    fn durations_read_like_the_config() {
        assert_eq!(friendly(SignedDuration::from_mins(5)), "5m");
        assert_eq!(friendly(SignedDuration::from_secs(90)), "1m 30s");
    }
}
