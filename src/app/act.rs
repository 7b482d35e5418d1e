//! One action outside any modal (a view key, or a command of the palette): navigation,
//! views, details, and the flows each action opens.

use crate::app::msg::Effect;
use crate::app::navigate::{collect_paths, enter, moved, rows_len, show, tree_move};
use crate::app::restart::selectable_workloads;
use crate::app::scope::set_namespace;
use crate::app::weights;
use crate::state::action::{Action, ViewId};
use crate::state::input::TextInput;
use crate::state::view_state::ViewState;
use crate::state::{AppState, Detail, Level, Modal};

/// Applies one action outside any modal. Public so tests and the palette can drive it.
pub fn act(state: &mut AppState, ui: &mut ViewState, action: Action) -> Vec<Effect> {
    let view = state.view;
    let in_detail = state.detail().is_some();
    match action {
        Action::Quit => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        Action::Suspend => return vec![Effect::Suspend],
        Action::Help => state.modals.push(Modal::Help { scroll: 0 }),
        Action::CommandPalette => state.modals.push(Modal::Palette(TextInput::default())),
        Action::Filter => state
            .modals
            .push(Modal::Filter(TextInput::with(state.filter(view)))),
        Action::Back => {
            // Close the drill-in first; a second esc clears the filter.
            if state.details.remove(&view).is_some() || state.filters.remove(&view).is_some() {
                state.stale = true;
            }
        }
        Action::ShowGateways => show(state, ViewId::Gateways),
        Action::ShowRoutes => show(state, ViewId::Routes),
        Action::ShowFrontends => show(state, ViewId::Frontends),
        Action::ShowMesh => show(state, ViewId::Mesh),
        Action::ShowCerts => show(state, ViewId::Certs),
        Action::ShowDiagnostics => show(state, ViewId::Diagnostics),
        Action::FixFinding => return crate::app::diagnostics::fix(state, ui),
        Action::ToggleAllNamespaces => {
            let next = if state.namespace.is_some() {
                None
            } else {
                state.last_namespace.clone()
            };
            if next.is_none() && state.namespace.is_none() {
                state.flash(
                    "showing all namespaces; pick one with :ns <name>",
                    Level::Info,
                );
                return vec![];
            }
            return set_namespace(state, next);
        }
        Action::RolloutRestart => return crate::app::restart::rollout_restart(state, ui),
        Action::EditWeights => return weights::open(state, ui),
        Action::Migrate => return crate::app::migrate::open(state),
        Action::Undo => return crate::app::undo::request(state),
        Action::ShowAudit => return crate::app::audit_view::open(state),
        Action::ToggleInjection => return crate::app::inject::open_injection(state, ui),
        Action::WorkloadInjection => return crate::app::inject::open_workload(state, ui),
        Action::BulkRestart => return crate::app::inject::open_bulk(state, ui),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
            if matches!(state.detail(), Some(Detail::Namespace(_))) =>
        {
            let last = selectable_workloads(state).len().saturating_sub(1);
            let page = usize::from(ui.page.max(1));
            let c = ui.detail_cursor.entry(view).or_default();
            *c = moved(*c, action, page, last);
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
            if in_detail =>
        {
            let page = usize::from(ui.page.max(1));
            let s = ui.detail_scroll.entry(view).or_default();
            // The draw clamps the scroll to the text's length.
            *s = moved(usize::from(*s), action, page, usize::from(u16::MAX / 2)) as u16;
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom
        | Action::Left
        | Action::Right
            if view == ViewId::Gateways =>
        {
            tree_move(ui, action)
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => {
            let last = rows_len(state).saturating_sub(1);
            let page = usize::from(ui.page.max(1));
            let t = ui.table(view);
            let next = moved(t.selected().unwrap_or(0), action, page, last);
            t.select(Some(next));
        }
        Action::Enter => enter(state, ui),
        Action::ExpandAll if view == ViewId::Gateways => {
            let mut paths = Vec::new();
            collect_paths(&state.derived.gateway_tree, &mut Vec::new(), &mut paths);
            for p in paths {
                ui.tree.open(p);
            }
        }
        Action::CollapseAll if view == ViewId::Gateways => {
            ui.tree.close_all();
        }
        Action::Left | Action::Right | Action::ExpandAll | Action::CollapseAll | Action::None => {}
    }
    vec![]
}
