//! Reducer hooks for the injection toggles and bulk restarts: open a chooser, turn a pick
//! into a plan, confirm a plan into writes, and follow the writes' answers (restart offer,
//! batch summary). Every entry point refuses in read-only mode.

use crossterm::event::KeyEvent;

use crate::app::action::ViewId;
use crate::app::msg::Effect;
use crate::app::update::{READ_ONLY, selectable_workloads};
use crate::model::inject::changes_in;
use crate::model::mesh::ControlPlanes;
use crate::state::chooser::{ChooserKey, Plan, PlanKey, Purpose, Then};
use crate::state::inject::{
    self, Batch, RestartItem, all_in, bulk_chooser, injection_chooser, label_plan, needs_restart,
    restart_plan, workload_chooser, workload_plan,
};
use crate::state::write::WriteOp;
use crate::state::{AppState, Detail, Level, Modal};
use crate::ui::view_state::ViewState;

fn refuse_read_only(state: &mut AppState) -> bool {
    if state.read_only {
        state.flash(READ_ONLY, Level::Warn);
    }
    state.read_only
}

/// The namespace the Mesh view points at: the detail's, else the selected row's.
fn selected_namespace(state: &AppState, ui: &ViewState) -> Option<String> {
    if state.view != ViewId::Mesh {
        return None;
    }
    match state.detail() {
        Some(Detail::Namespace(ns)) => Some(ns.clone()),
        Some(_) => None,
        None => state
            .derived
            .mesh
            .get(ui.selected(ViewId::Mesh))
            .map(|r| r.namespace.clone()),
    }
}

/// `I`: the namespace injection chooser.
pub fn open_injection(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if refuse_read_only(state) {
        return vec![];
    }
    let Some(ns) = selected_namespace(state, ui).and_then(|n| state.cache.namespaces.get(&n))
    else {
        state.flash(
            "select a namespace first: Mesh view (4), j/k on the list",
            Level::Warn,
        );
        return vec![];
    };
    let cps = ControlPlanes::from_workloads(state.cache.control_planes.values());
    let chooser = injection_chooser(&state.conn.context, ns, &cps);
    if chooser.options.is_empty() {
        state.flash(
            format!("{}: nothing to change", chooser.title),
            Level::Info,
        );
        return vec![];
    }
    state.modals.push(Modal::Chooser(Box::new(chooser)));
    vec![]
}

/// `S`: the selected workload's pod-template `sidecar.istio.io/inject` label.
pub fn open_workload(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if refuse_read_only(state) {
        return vec![];
    }
    let cursor = ui.detail_cursor.get(&state.view).copied().unwrap_or(0);
    let Some(w) = selectable_workloads(state).get(cursor).copied() else {
        state.flash(
            "select a workload first: Mesh view, enter on a namespace, then j/k",
            Level::Warn,
        );
        return vec![];
    };
    let chooser = workload_chooser(&state.cache, &state.conn.context, w);
    state.modals.push(Modal::Chooser(Box::new(chooser)));
    vec![]
}

/// `B`: bulk restart, over the listed namespaces (or the detail's one).
pub fn open_bulk(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if refuse_read_only(state) {
        return vec![];
    }
    if state.view != ViewId::Mesh {
        state.flash("bulk restart works in the Mesh view (4)", Level::Warn);
        return vec![];
    }
    let (scope, namespace) = match state.detail() {
        Some(Detail::Namespace(ns)) => (vec![ns.clone()], Some(ns.clone())),
        _ => (
            state
                .derived
                .mesh
                .iter()
                .map(|r| r.namespace.clone())
                .collect(),
            selected_namespace(state, ui),
        ),
    };
    if scope.is_empty() {
        state.flash("no namespace in view", Level::Warn);
        return vec![];
    }
    let chooser = bulk_chooser(&state.cache, &state.conn.context, scope, namespace);
    state.modals.push(Modal::Chooser(Box::new(chooser)));
    vec![]
}

pub fn chooser_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    let Some(Modal::Chooser(c)) = state.modals.last_mut() else {
        return vec![];
    };
    let picked = match c.key(&key) {
        ChooserKey::Picked(i) => i,
        ChooserKey::Cancelled => {
            state.modals.pop();
            state.flash("cancelled; nothing was written", Level::Info);
            return vec![];
        }
        ChooserKey::Moved | ChooserKey::Ignored => return vec![],
    };
    let purpose = c.purpose.clone();
    state.modals.pop();
    if refuse_read_only(state) {
        return vec![];
    }
    let ctx = state.conn.context.clone();
    let plan = match purpose {
        Purpose::NamespaceInjection { namespace, choices } => {
            let (Some(ns), Some(choice)) = (state.cache.namespaces.get(&namespace), choices.get(picked))
            else {
                state.flash(format!("namespace {namespace} is gone"), Level::Warn);
                return vec![];
            };
            label_plan(&state.cache, &ctx, ns, choice)
        }
        Purpose::WorkloadInjection { kind, key, choices } => {
            let (Some(w), Some(choice)) =
                (state.cache.workloads.get(&(key.clone(), kind)), choices.get(picked))
            else {
                state.flash(format!("{} {key} is gone", kind.as_str()), Level::Warn);
                return vec![];
            };
            if w.template_inject_label == choice.value {
                state.flash(
                    format!("{} {key}: already so; nothing to change", kind.as_str()),
                    Level::Info,
                );
                return vec![];
            }
            workload_plan(&state.cache, &ctx, w, choice)
        }
        Purpose::BulkRestart { scope, namespace } => {
            let (items, what, where_): (Vec<RestartItem>, _, _) = match (picked, &namespace) {
                (1, Some(ns)) => (
                    all_in(&state.cache, ns),
                    format!("restart all workloads in {ns}"),
                    ns.clone(),
                ),
                _ => (
                    needs_restart(&state.cache, &scope),
                    "restart workloads that need it".to_string(),
                    scope.join(", "),
                ),
            };
            if items.is_empty() {
                state.flash(format!("{what}: none; nothing to do"), Level::Info);
                return vec![];
            }
            Ok(restart_plan(&ctx, &where_, &what, &items))
        }
    };
    match plan {
        Ok(p) => state.modals.push(Modal::Plan(Box::new(p))),
        Err(e) => state.flash(e, Level::Warn),
    }
    vec![]
}

pub fn plan_key(state: &mut AppState, key: KeyEvent) -> Vec<Effect> {
    let Some(Modal::Plan(p)) = state.modals.last_mut() else {
        return vec![];
    };
    match p.key(&key) {
        PlanKey::Handled => vec![],
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
            if refuse_read_only(state) {
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
                state.inject.pending_labels.push((op.clone(), p.then.clone()));
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
    p.ops.into_iter().map(Effect::Write).collect()
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
    if let Some(i) = state.inject.pending_labels.iter().position(|(o, _)| o == op) {
        let (_, then) = state.inject.pending_labels.remove(i);
        if let (Ok(text), Then::OfferRestart { namespace, labels_after }) = (result, then) {
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
    let mut plan = restart_plan(&state.conn.context, namespace, &what, &items);
    plan.body.insert(0, format!("Labels written: {}", inject::injection_labels(labels_after)));
    state.flash(
        format!("{done}; restart the affected workloads now? (Cancel keeps them as they are)"),
        Level::Info,
    );
    state.modals.push(Modal::Plan(Box::new(plan)));
}
