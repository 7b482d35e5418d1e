//! The Gateways tree (tui-tree-widget). Items are rebuilt only when the derived tree changes;
//! the widget itself renders only the opened, visible part.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use tui_tree_widget::{Tree, TreeItem};

use super::theme::{Role, Theme};
use super::{Ctx, safe, tone_role};
use crate::model::tree::Node;
use crate::state::AppState;
use crate::state::view_state::ViewState;

/// `room`: the columns left for the text at this depth (the widget indents two columns per
/// level and draws a two-column open/closed symbol).
fn item(n: &Node, th: &Theme, room: usize) -> TreeItem<'static, String> {
    let line = Line::from(
        n.spans
            .iter()
            .map(|(t, tone)| Span::styled(t.clone(), th.style(tone_role(*tone))))
            .collect::<Vec<_>>(),
    );
    let line = safe::fit(line, room);
    if n.children.is_empty() {
        return TreeItem::new_leaf(n.id.clone(), line);
    }
    let children: Vec<_> = n
        .children
        .iter()
        .map(|c| item(c, th, room.saturating_sub(2)))
        .collect();
    // Ids are unique among siblings by construction; fall back to a leaf if not.
    TreeItem::new(n.id.clone(), line.clone(), children)
        .unwrap_or_else(|_| TreeItem::new_leaf(n.id.clone(), line))
}

pub fn draw(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let th = ctx.theme;
    if ui.tree_version != state.derived_version
        || ui.tree_width != area.width
        || ui.tree_items.is_empty()
    {
        let room = usize::from(area.width).saturating_sub(2);
        ui.tree_items = state
            .derived
            .gateway_tree
            .iter()
            .map(|n| item(n, th, room))
            .collect();
        ui.tree_version = state.derived_version;
        ui.tree_width = area.width;
        // Open the class level by default so gateways are visible at first sight.
        if ui.tree.opened().is_empty() {
            for n in &state.derived.gateway_tree {
                ui.tree.open(vec![n.id.clone()]);
            }
        }
        if ui.tree.selected().is_empty() {
            ui.tree.select_first();
        }
    }
    if ui.tree_items.is_empty() {
        let msg = if state.active_filter().is_empty() {
            "No gateways."
        } else {
            "No gateway matches the filter."
        };
        f.render_widget(Paragraph::new(msg).style(th.style(Role::Muted)), area);
        return;
    }
    match Tree::new(&ui.tree_items) {
        Ok(tree) => {
            let tree = tree
                .highlight_style(th.style(Role::Selection))
                .node_closed_symbol("▸ ")
                .node_open_symbol("▾ ")
                .node_no_children_symbol("  ");
            f.render_stateful_widget(tree, area, &mut ui.tree);
        }
        Err(e) => f.render_widget(
            // The error names item ids: cluster text.
            Paragraph::new(crate::text::sanitize_owned(format!("tree error: {e}")))
                .style(th.style(Role::Error)),
            area,
        ),
    }
}
