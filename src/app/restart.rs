//! Rollout restart of one workload: the selected workload of a namespace detail (`R`), or
//! the Diagnostics fix of a finding, always through a confirm.

use crate::app::msg::Effect;
use crate::app::writes;
use crate::cluster::objects::{ObjKey, WorkloadInfo, WorkloadKind};
use crate::state::view_state::ViewState;
use crate::state::write::{Confirm, WriteOp};
use crate::state::{AppState, Detail, Level, Modal};

/// The workloads of the namespace being shown, in the order the detail lists them.
/// The workloads of the namespace being shown, in the order the detail lists them.
pub fn selectable_workloads(state: &AppState) -> Vec<&WorkloadInfo> {
    match state.detail() {
        Some(Detail::Namespace(ns)) => state.cache.workloads_in(ns).collect(),
        _ => Vec::new(),
    }
}

pub fn rollout_restart(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if writes::refused(state) {
        return vec![];
    }
    let Some((kind, key)) = selected_workload(state, ui) else {
        return vec![];
    };
    confirm_restart(state, kind, &key)
}

/// The workload the namespace detail's cursor is on; without one, says how to pick one.
pub fn selected_workload(state: &mut AppState, ui: &ViewState) -> Option<(WorkloadKind, ObjKey)> {
    let cursor = ui.detail_cursor.get(&state.view).copied().unwrap_or(0);
    let picked = selectable_workloads(state)
        .get(cursor)
        .map(|w| (w.kind, w.key.clone()));
    if picked.is_none() {
        state.flash(
            "select a workload first: Mesh view, enter on a namespace, then j/k",
            Level::Warn,
        );
    }
    picked
}

/// The rollout-restart confirm for one workload (also the Diagnostics fix of MESH00x).
pub fn confirm_restart(state: &mut AppState, kind: WorkloadKind, key: &ObjKey) -> Vec<Effect> {
    if writes::refused(state) {
        return vec![];
    }
    let Some(w) = state.cache.workloads.get(&(key.clone(), kind)) else {
        state.flash(
            format!("{} {key} no longer exists", kind.as_str()),
            Level::Warn,
        );
        return vec![];
    };
    let Some(rv) = w.resource_version.clone() else {
        state.flash(
            format!("{} has no resourceVersion yet; try again", w.key),
            Level::Warn,
        );
        return vec![];
    };
    let op = WriteOp::RolloutRestart {
        kind: w.kind,
        key: w.key.clone(),
        resource_version: rv,
    };
    let mut confirm = Confirm::new(op, &state.conn.context);
    let not_ready = crate::state::inject::not_ready_in(&state.cache, &[key.ns.as_str()]);
    confirm.hazard =
        crate::state::hazard::Hazard::not_ready(&not_ready, &format!("{} {key}", kind.as_str()));
    state.modals.push(Modal::Confirm(Box::new(confirm)));
    vec![]
}
