//! A write's answer comes back here and is routed once, by its id, to the flow that asked
//! for it (`state::write::Writes` remembers which). Also where a confirm dialog's "yes"
//! becomes a write with the origin its op implies.

use crate::app::msg::Effect;
use crate::app::writes::issue_one;
use crate::state::write::{Origin, WriteDone, WriteOp};
use crate::state::{AppState, Level};

/// The user said yes in a confirm dialog: the write goes out with the origin its op
/// implies, and a weight draft under its id (so only this write's answer can bring it back).
pub fn confirmed(state: &mut AppState, op: WriteOp) -> Vec<Effect> {
    let origin = match &op {
        WriteOp::SetWeights { .. } => Origin::Weights,
        WriteOp::Undo(_) => Origin::Undo,
        _ => Origin::Single,
    };
    let draft = crate::app::weights::take_confirmed_draft(state, &op);
    let (verb, object) = (op.verb(), op.object());
    let Some((id, effect)) = issue_one(state, origin, op) else {
        return vec![];
    };
    if let Some(d) = draft {
        state.writes.keep_draft(id, d);
    }
    state.flash(
        format!("{verb} {object}: dry run, then write…"),
        Level::Info,
    );
    vec![effect]
}

/// The answer to a write: to the flow that issued it (found by id), then the common parts
/// (undo bookkeeping, the audit overlay). An id this session did not issue is reported
/// as a plain message and changes no flow.
pub fn done(state: &mut AppState, d: WriteDone) -> Vec<Effect> {
    let pending = state.writes.finish(d.id);
    crate::app::undo::written(state, &d.op, d.outcome.applied());
    let mut effects = Vec::new();
    let handled = match pending.as_ref().map(|p| p.origin) {
        Some(Origin::Weights) => {
            let draft = pending.and_then(|p| p.draft);
            crate::app::weights::write_done(state, draft, &d);
            false
        }
        Some(Origin::MigrationWave) => match crate::app::migrate::on_write_done(state, &d) {
            Some(next) => {
                effects = next;
                true
            }
            None => false,
        },
        Some(Origin::Bulk | Origin::Label | Origin::LabelThenRestart) => {
            crate::app::plan::on_write_done(state, &d.op, &d.result())
        }
        Some(Origin::Single | Origin::Undo) | None => false,
    };
    if !handled {
        let text = &d.text;
        if d.outcome.applied() {
            state.flash(
                format!("{} {}: {text}", d.op.verb(), d.op.object()),
                Level::Info,
            );
        } else {
            state.flash(
                format!("{} {} failed: {text}", d.op.verb(), d.op.object()),
                Level::Error,
            );
        }
    }
    // The audit overlay shows this write's line as soon as it is written.
    if crate::app::audit_view::is_open(state) {
        effects.push(Effect::LoadAudit);
    }
    effects
}
