//! Moving through a view: cursor movement in tables and the tree, switching views, and
//! `enter` (a row's detail, a tree node opened or closed).

use crate::model::tree::Node;
use crate::state::action::{Action, ViewId};
use crate::state::view_state::ViewState;
use crate::state::{AppState, Detail};

/// Where a cursor goes for a movement action, within `0..=last`.
pub(super) fn moved(cur: usize, action: Action, page: usize, last: usize) -> usize {
    match action {
        Action::Up => cur.saturating_sub(1),
        Action::Down => cur.saturating_add(1),
        Action::PageUp => cur.saturating_sub(page),
        Action::PageDown => cur.saturating_add(page),
        Action::Top => 0,
        _ => last,
    }
    .min(last)
}

pub(super) fn show(state: &mut AppState, view: ViewId) {
    if state.view != view {
        state.view = view;
        state.stale = true;
    }
}

pub(super) fn tree_move(ui: &mut ViewState, action: Action) {
    let t = &mut ui.tree;
    match action {
        Action::Up => {
            t.key_up();
        }
        Action::Down => {
            t.key_down();
        }
        Action::Left => {
            t.key_left();
        }
        Action::Right => {
            t.key_right();
        }
        Action::Top => {
            t.select_first();
        }
        Action::Bottom => {
            t.select_last();
        }
        Action::PageUp => {
            let page = usize::from(ui.page.max(1));
            t.select_relative(|c| c.map_or(0, |c| c.saturating_sub(page)));
        }
        Action::PageDown => {
            let page = usize::from(ui.page.max(1));
            t.select_relative(|c| c.map_or(0, |c| c.saturating_add(page)));
        }
        _ => {}
    }
}

pub(super) fn collect_paths(nodes: &[Node], prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for n in nodes {
        prefix.push(n.id.clone());
        if !n.children.is_empty() {
            out.push(prefix.clone());
            collect_paths(&n.children, prefix, out);
        }
        prefix.pop();
    }
}

pub(super) fn rows_len(state: &AppState) -> usize {
    match state.view {
        ViewId::Routes => state.derived.routes.len(),
        ViewId::Frontends => state.derived.albs.len() + state.derived.frontends.len(),
        ViewId::Mesh => state.derived.mesh.len(),
        ViewId::Diagnostics => state.derived.findings.len(),
        ViewId::Certs => state.derived.certs.len(),
        ViewId::Gateways => 0,
    }
}

pub(super) fn enter(state: &mut AppState, ui: &mut ViewState) {
    let view = state.view;
    if state.detail().is_some() {
        return;
    }
    let i = ui.selected(view);
    let detail = match view {
        ViewId::Gateways => {
            ui.tree.toggle_selected();
            None
        }
        ViewId::Routes => state.derived.routes.get(i).map(|r| Detail::Route {
            kind: r.kind,
            key: r.key.clone(),
        }),
        ViewId::Mesh => state
            .derived
            .mesh
            .get(i)
            .map(|r| Detail::Namespace(r.namespace.clone())),
        ViewId::Frontends => {
            let albs = state.derived.albs.len();
            if i < albs {
                state
                    .derived
                    .albs
                    .get(i)
                    .map(|a| Detail::Alb(a.alb.key.clone()))
            } else {
                state
                    .derived
                    .frontends
                    .get(i - albs)
                    .map(|f| Detail::Gateway(f.gateway.clone()))
            }
        }
        ViewId::Certs => state
            .derived
            .certs
            .get(i)
            .map(|r| Detail::Cert(r.id.clone())),
        ViewId::Diagnostics => state
            .derived
            .findings
            .get(i)
            .map(|f| Detail::Finding(f.id.clone())),
    };
    if let Some(d) = detail {
        ui.detail_scroll.insert(view, 0);
        state.details.insert(view, d);
        // The certificate detail is derived (it follows its row across recomputations).
        state.stale |= view == ViewId::Certs;
    }
}
