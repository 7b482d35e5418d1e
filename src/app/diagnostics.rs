//! The Diagnostics view's fix key: the selected finding's fix opens the existing flow that
//! makes it (injection chooser, restart confirm, bulk restart chooser, weight editor). Those
//! flows confirm before they write and refuse in read-only mode; the jump says so first.

use crate::app::action::ViewId;
use crate::app::msg::Effect;
use crate::app::update::READ_ONLY;
use crate::model::diagnostics::{Finding, Fix};
use crate::state::{AppState, Detail, Level};
use crate::ui::view_state::ViewState;

/// The finding the Diagnostics view points at: the detail's, else the selected row's.
pub fn selected(state: &AppState, ui: &ViewState) -> Option<Finding> {
    if state.view != ViewId::Diagnostics {
        return None;
    }
    match state.detail() {
        Some(Detail::Finding(id)) => crate::state::diagnostics::find(state, id).cloned(),
        Some(_) => None,
        None => state
            .derived
            .findings
            .get(ui.selected(ViewId::Diagnostics))
            .cloned(),
    }
}

/// `F`: perform the selected finding's fix.
pub fn fix(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if state.view != ViewId::Diagnostics {
        state.flash("fixes work in the Diagnostics view (6)", Level::Warn);
        return vec![];
    }
    let Some(f) = selected(state, ui) else {
        let text = match state.detail() {
            Some(Detail::Finding(_)) => "this finding is gone: nothing to fix",
            _ => "no finding selected",
        };
        state.flash(text, Level::Info);
        return vec![];
    };
    let Some(fix) = f.fix.clone() else {
        state.flash(
            format!(
                "{}: the console has no fix for this one; the detail (enter) says what to change",
                f.code
            ),
            Level::Info,
        );
        return vec![];
    };
    if state.read_only {
        state.flash(
            format!("{} fix ({}): {READ_ONLY}", f.code, fix.describe()),
            Level::Warn,
        );
        return vec![];
    }
    match fix {
        Fix::ToggleInjection { namespace } => {
            crate::app::inject::open_injection_for(state, &namespace)
        }
        Fix::RolloutRestart { kind, workload } => {
            crate::app::update::confirm_restart(state, kind, &workload)
        }
        Fix::BulkRestartNamespace { namespace } => {
            crate::app::inject::open_bulk_for(state, vec![namespace.clone()], Some(namespace))
        }
        Fix::OpenWeightEditor { kind, route, rule } => {
            crate::app::weights::open_rule(state, kind, &route, rule)
        }
    }
}
