//! The plan dialog of the injection flows: many writes reviewed and confirmed at once, then
//! their answers followed (a bulk restart summarised once all answered, the restart offer
//! after an applied namespace label).

use crate::app::msg::Effect;
use crate::app::writes;
use crate::model::inject::changes_in;
use crate::model::mesh::ControlPlanes;
use crate::state::chooser::{Plan, PlanKey, Then};
use crate::state::hazard::Hazard;
use crate::state::inject::{self, Batch, RestartItem, restart_plan};
use crate::state::modal_action::DialogAction;
use crate::state::write::{Origin, WriteOp};
use crate::state::{AppState, Level, Modal};

/// An action of `[keys.dialog]` while a plan is on top.
pub fn plan_key(
    state: &mut AppState,
    keymap: &crate::config::Keymap,
    action: Option<DialogAction>,
) -> Vec<Effect> {
    let (Some(Modal::Plan(p)), Some(action)) = (state.modals.last_mut(), action) else {
        return vec![];
    };
    let was_armed = p.hazard.as_ref().is_some_and(|h| h.armed);
    match p.apply(action) {
        PlanKey::Handled => {
            if !was_armed && p.hazard.as_ref().is_some_and(|h| h.armed) {
                state.flash(crate::config::hints::armed(keymap), Level::Warn);
            }
            vec![]
        }
        PlanKey::Cancelled => {
            state.modals.pop();
            state.flash("cancelled; nothing was written", Level::Info);
            vec![]
        }
        PlanKey::Confirmed => {
            let Some(Modal::Plan(p)) = state.modals.pop() else {
                return vec![];
            };
            // The reducer refuses, not only the key bindings: no write effect in read-only.
            if writes::refused(state) {
                return vec![];
            }
            confirmed(state, *p)
        }
    }
}

fn confirmed(state: &mut AppState, p: Plan) -> Vec<Effect> {
    if p.ops.is_empty() {
        state.flash("nothing to write", Level::Info);
        return vec![];
    }
    match &p.then {
        Then::Summarize { what } => {
            state.flash(
                format!("{what}: {} write(s), dry run then write each…", p.ops.len()),
                Level::Info,
            );
            state.inject.batch = Some(Batch {
                what: what.clone(),
                ops: p.ops.clone(),
                results: Vec::new(),
            });
        }
        Then::OfferRestart { .. } => {
            for op in &p.ops {
                state
                    .inject
                    .pending_labels
                    .push((op.clone(), p.then.clone()));
            }
        }
        Then::Nothing => {}
    }
    if !matches!(p.then, Then::Summarize { .. })
        && let Some(op) = p.ops.first()
    {
        state.flash(
            format!("{} {}: dry run, then write…", op.verb(), op.object()),
            Level::Info,
        );
    }
    let origin = match p.then {
        Then::Summarize { .. } => Origin::Bulk,
        Then::OfferRestart { .. } => Origin::LabelThenRestart,
        Then::Nothing => Origin::Label,
    };
    writes::issue(state, origin, p.ops)
}

/// Follows the answers of writes started here. Returns true when it set the message itself.
pub fn on_write_done(state: &mut AppState, op: &WriteOp, result: &Result<String, String>) -> bool {
    if let Some(b) = &mut state.inject.batch
        && b.ops.contains(op)
        && !b.results.iter().any(|(o, _)| o == op)
    {
        b.results.push((op.clone(), result.clone()));
        match b.summary() {
            Some((text, failed)) => {
                let level = if failed { Level::Error } else { Level::Info };
                state.inject.batch = None;
                state.flash(text, level);
            }
            None => {
                let text = format!("{}: {}/{} answered…", b.what, b.results.len(), b.ops.len());
                state.flash(text, Level::Info);
            }
        }
        return true;
    }
    if let Some(i) = state
        .inject
        .pending_labels
        .iter()
        .position(|(o, _)| o == op)
    {
        let (_, then) = state.inject.pending_labels.remove(i);
        if let (
            Ok(text),
            Then::OfferRestart {
                namespace,
                labels_after,
            },
        ) = (result, then)
        {
            offer_restart(state, op, text, &namespace, &labels_after);
            return true;
        }
        return false;
    }
    if let (WriteOp::SetInjectLabel { kind, key, .. }, Ok(text)) = (op, result) {
        let held = state
            .cache
            .workloads
            .get(&(key.clone(), *kind))
            .is_some_and(|w| w.paused || w.on_delete);
        let note = if held {
            "its pods change only once it is resumed or they are deleted"
        } else {
            "the template change rolls its pods"
        };
        state.flash(
            format!("{} {}: {text}; {note}", op.verb(), op.object()),
            Level::Info,
        );
        return true;
    }
    false
}

/// After a namespace label write: the restart offer for the workloads whose pods would change.
fn offer_restart(
    state: &mut AppState,
    op: &WriteOp,
    text: &str,
    namespace: &str,
    labels_after: &std::collections::BTreeMap<String, String>,
) {
    let cps = ControlPlanes::from_workloads(state.cache.control_planes.values());
    let changes = changes_in(&state.cache, &cps, namespace, labels_after);
    let done = format!("{} {}: {text}", op.verb(), op.object());
    if changes.is_empty() {
        state.flash(
            format!("{done}; no running pod changes on restart, nothing to restart"),
            Level::Info,
        );
        return;
    }
    let items: Vec<RestartItem> = changes.iter().map(RestartItem::from).collect();
    let what = format!("restart workloads affected by the new labels of {namespace}");
    let mut plan = restart_plan(&state.conn.context, &[namespace.to_string()], &what, &items);
    plan.body.insert(
        0,
        format!("Labels written: {}", inject::injection_labels(labels_after)),
    );
    // The labels just written, not the cache's (their watch event may not be here yet).
    plan.hazard = Hazard::not_ready(
        &cps.not_ready_for(labels_after)
            .into_iter()
            .collect::<Vec<_>>(),
        &format!("namespace {namespace}"),
    );
    state.flash(
        format!("{done}; restart the affected workloads now? (Cancel keeps them as they are)"),
        Level::Info,
    );
    state.modals.push(Modal::Plan(Box::new(plan)));
}
