//! The Gateways tree (tui-tree-widget). Items exist for the opened part of the tree only and
//! are rebuilt when the derived tree, the width or the opened set changes; the widget renders
//! the visible part of them.

use std::collections::HashSet;

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
/// level and draws a two-column open/closed symbol). `path` is the node's parent path.
///
/// Only the children of opened nodes become items: a closed node gets one placeholder child,
/// never drawn, so the widget still shows it as closed rather than as a leaf. At 10k pods
/// the whole tree as items was 13 MB, the largest single part of the heap; the items are
/// rebuilt when the opened set changes (`draw`).
fn item(
    n: &Node,
    th: &Theme,
    room: usize,
    path: &mut Vec<String>,
    opened: &HashSet<Vec<String>>,
) -> TreeItem<'static, String> {
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
    path.push(n.id.clone());
    let children: Vec<_> = if opened.contains(path.as_slice()) {
        n.children
            .iter()
            .map(|c| item(c, th, room.saturating_sub(2), path, opened))
            .collect()
    } else {
        vec![TreeItem::new_leaf(String::new(), "")]
    };
    path.pop();
    // Ids are unique among siblings by construction; fall back to a leaf if not.
    TreeItem::new(n.id.clone(), line.clone(), children)
        .unwrap_or_else(|_| TreeItem::new_leaf(n.id.clone(), line))
}

/// The items of `tree` for the nodes `opened` shows (and the closed nodes' placeholders).
fn items(
    tree: &[Node],
    th: &Theme,
    width: u16,
    opened: &HashSet<Vec<String>>,
) -> Vec<TreeItem<'static, String>> {
    let room = usize::from(width).saturating_sub(2);
    let mut path = Vec::new();
    tree.iter()
        .map(|n| item(n, th, room, &mut path, opened))
        .collect()
}

pub fn draw(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let th = ctx.theme;
    let stale = ui.tree_version != state.derived_version
        || ui.tree_width != area.width
        || ui.tree_items.is_empty();
    // Open the class level by default so gateways are visible at first sight.
    if stale && ui.tree.opened().is_empty() {
        for n in &state.derived.gateway_tree {
            ui.tree.open(vec![n.id.clone()]);
        }
    }
    if stale || ui.tree.opened() != &ui.tree_opened {
        let tree = &state.derived.gateway_tree;
        ui.tree_items = items(tree, th, area.width, ui.tree.opened());
        ui.tree_opened = ui.tree.opened().clone();
        ui.tree_version = state.derived_version;
        ui.tree_width = area.width;
    }
    if stale && ui.tree.selected().is_empty() {
        ui.tree.select_first();
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

#[cfg(test)]
mod tests {
    use ratatui::buffer::Buffer;
    use ratatui::widgets::StatefulWidget;
    use tui_tree_widget::TreeState;

    use super::*;
    use crate::model::tree::Tone;

    /// Two classes, three levels below each, four leaves per route.
    fn tree() -> Vec<Node> {
        let route = |r: &str| {
            (0..4).fold(Node::new(r).span(r, Tone::Normal), |n, i| {
                n.child(Node::new(format!("pod-{i}")).span(format!("pod-{i}"), Tone::Ok))
            })
        };
        let gateway = |g: &str| {
            Node::new(g)
                .span(g, Tone::Normal)
                .child(route("r1"))
                .child(route("r2"))
        };
        vec![
            Node::new("istio")
                .span("istio", Tone::Normal)
                .child(gateway("a"))
                .child(gateway("b")),
            Node::new("alb").span("alb", Tone::Warn).child(gateway("c")),
        ]
    }

    fn count(items: &[TreeItem<'static, String>]) -> usize {
        items.iter().map(|i| 1 + count(i.children())).sum()
    }

    fn paths(nodes: &[Node], parent: &mut Vec<String>, out: &mut HashSet<Vec<String>>) {
        for n in nodes {
            parent.push(n.id.clone());
            out.insert(parent.clone());
            paths(&n.children, parent, out);
            parent.pop();
        }
    }

    fn render(items: &[TreeItem<'static, String>], state: &mut TreeState<String>) -> Buffer {
        let area = Rect::new(0, 0, 30, 20);
        let mut buf = Buffer::empty(area);
        Tree::new(items)
            .unwrap()
            .node_closed_symbol("▸ ")
            .node_open_symbol("▾ ")
            .node_no_children_symbol("  ")
            .render(area, &mut buf, state);
        buf
    }

    #[test]
    fn closed_nodes_get_a_placeholder_instead_of_their_subtree() {
        let th = Theme::resolve(None, true, None).0;
        let opened: HashSet<Vec<String>> = [vec!["istio".to_string()]].into();
        let items = items(&tree(), &th, 30, &opened);
        // istio, a, b and their placeholders; alb and its placeholder.
        assert_eq!(count(&items), 7);
        let mut all = HashSet::new();
        paths(&tree(), &mut Vec::new(), &mut all);
        assert_eq!(count(&super::items(&tree(), &th, 30, &all)), 2 + 3 + 6 + 24);
    }

    /// Whatever is opened, the lazy items draw exactly what the whole tree as items draws.
    #[test]
    fn lazy_items_draw_what_the_whole_tree_draws() {
        let th = Theme::resolve(None, true, None).0;
        let mut all = HashSet::new();
        paths(&tree(), &mut Vec::new(), &mut all);
        let whole = items(&tree(), &th, 30, &all);
        let some_open: Vec<Vec<&str>> = vec![
            vec!["istio"],
            vec!["istio", "b"],
            vec!["istio", "b", "r2"],
            vec!["alb"],
        ];
        for n in 0..=some_open.len() {
            let mut state = TreeState::default();
            for p in &some_open[..n] {
                state.open(p.iter().map(|s| s.to_string()).collect());
            }
            state.select(vec!["istio".to_string()]);
            let lazy = items(&tree(), &th, 30, state.opened());
            let expected = render(&whole, &mut state);
            assert_eq!(render(&lazy, &mut state), expected, "opened: {n}");
        }
    }
}
