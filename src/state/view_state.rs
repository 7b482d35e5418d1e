//! Interaction state of widgets (selection, scroll) — separate from the domain state so
//! `draw` can update offsets while the domain state stays read-only there.

use std::collections::{BTreeMap, HashSet};

use ratatui::widgets::TableState;
use tui_tree_widget::TreeState;

use crate::state::action::ViewId;

#[derive(Debug, Default)]
pub struct ViewState {
    pub tree: TreeState<String>,
    pub tables: BTreeMap<ViewId, TableState>,
    pub detail_scroll: BTreeMap<ViewId, u16>,
    /// The selected workload in a namespace detail (actions apply to it).
    pub detail_cursor: BTreeMap<ViewId, usize>,
    /// Rows of the body at the last render, for page up/down.
    pub page: u16,
    /// Tree items built from `derived.gateway_tree`, and the derived version and width they
    /// were built for (lines are cut to the width with `…`).
    pub tree_items: Vec<tui_tree_widget::TreeItem<'static, String>>,
    pub tree_version: u64,
    pub tree_width: u16,
    /// The opened set `tree_items` were built for (closed nodes have no child items).
    pub tree_opened: HashSet<Vec<String>>,
    /// Scroll of the audit overlay's whole-overlay detail, in wrapped rows (clamped when
    /// drawn).
    pub audit_scroll: u16,
    /// The object each table view's cursor is on (see `state::selection`).
    pub anchors: BTreeMap<ViewId, String>,
    /// The watch generation the anchors were taken in (a switch makes them moot).
    pub anchored_generation: u64,
}

impl ViewState {
    pub fn table(&mut self, view: ViewId) -> &mut TableState {
        self.tables
            .entry(view)
            .or_insert_with(|| TableState::default().with_selected(Some(0)))
    }

    pub fn selected(&self, view: ViewId) -> usize {
        self.tables
            .get(&view)
            .and_then(|t| t.selected())
            .unwrap_or(0)
    }
}
