//! Header (context, cluster, scope, connection, read-only, view tabs) and footer (keys).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ctx;
use super::theme::Role;
use crate::app::action::{Action, ViewId};
use crate::state::{AppState, Health, Level, Modal};

pub fn header(f: &mut Frame, area: Rect, state: &AppState, ctx: &Ctx) {
    let th = ctx.theme;
    let h = th.style(Role::Header);
    let a = th.style(Role::HeaderAccent);
    let (health, role) = match state.health() {
        Health::Connecting => ("● connecting".to_string(), Role::Warn),
        Health::Syncing => ("● syncing".to_string(), Role::Warn),
        Health::Live => ("● live".to_string(), Role::Ok),
        Health::Disconnected(m) => (
            format!(
                "● disconnected, retrying: {}",
                m.chars().take(60).collect::<String>()
            ),
            Role::Error,
        ),
    };
    let mut spans = vec![
        Span::styled(" meshctl ", a),
        Span::styled(" ctx:", h),
        Span::styled(state.conn.context.clone(), a),
        Span::styled("  cluster:", h),
        Span::styled(state.conn.cluster.clone(), a),
    ];
    if let Some(u) = &state.conn.user {
        spans.push(Span::styled("  user:", h));
        spans.push(Span::styled(u.clone(), a));
    }
    spans.push(Span::styled("  ns:", h));
    spans.push(Span::styled(
        state.namespace.clone().unwrap_or_else(|| "all".into()),
        a,
    ));
    spans.push(Span::styled("  ", h));
    spans.push(Span::styled(health, th.style(role)));
    spans.push(Span::styled(
        if state.read_only {
            "  [read-only]"
        } else {
            "  [read-write]"
        },
        if state.read_only {
            th.style(Role::Warn)
        } else {
            h
        },
    ));
    let mut tabs = vec![Span::styled(" ", h)];
    for (i, v) in ViewId::ALL.iter().enumerate() {
        let style = if *v == state.view {
            th.style(Role::Selection)
        } else {
            h
        };
        tabs.push(Span::styled(format!("{} {}", i + 1, v.title()), style));
        tabs.push(Span::styled("  ", h));
    }
    if let Some((msg, level)) = &state.flash {
        let role = match level {
            Level::Info => Role::Info,
            Level::Warn => Role::Warn,
            Level::Error => Role::Error,
        };
        tabs.push(Span::styled(msg.clone(), th.style(role)));
    }
    f.render_widget(
        Paragraph::new(vec![Line::from(spans), Line::from(tabs)]).style(h),
        area,
    );
}

pub fn footer(f: &mut Frame, area: Rect, state: &AppState, ctx: &Ctx) {
    let th = ctx.theme;
    let keys: &[Action] = match state.modals.last() {
        Some(Modal::Palette(_)) => &[],
        Some(Modal::Filter(_)) => &[],
        Some(Modal::Help { .. }) => &[Action::Back, Action::Down, Action::Up],
        Some(Modal::Notice(_)) | Some(Modal::Confirm(_)) => &[],
        None if state.detail().is_some() => &[
            Action::Back,
            Action::Down,
            Action::Up,
            Action::Help,
            Action::Quit,
        ],
        None => match state.view {
            ViewId::Gateways => &[
                Action::Enter,
                Action::ExpandAll,
                Action::CollapseAll,
                Action::Filter,
                Action::CommandPalette,
                Action::ToggleAllNamespaces,
                Action::Help,
                Action::Quit,
            ],
            _ => &[
                Action::Enter,
                Action::Filter,
                Action::CommandPalette,
                Action::ToggleAllNamespaces,
                Action::Help,
                Action::Quit,
            ],
        },
    };
    let mut spans = Vec::new();
    match state.modals.last() {
        Some(Modal::Palette(_)) => spans.push(Span::styled(
            " enter run  tab complete  esc cancel",
            th.style(Role::Footer),
        )),
        Some(Modal::Confirm(_)) => spans.push(Span::styled(
            " tab switch Cancel/Confirm  enter choose  esc cancel",
            th.style(Role::Footer),
        )),
        Some(Modal::Filter(_)) => spans.push(Span::styled(
            " type to filter  enter keep  esc clear",
            th.style(Role::Footer),
        )),
        _ => {}
    }
    for a in keys {
        if let Some(k) = ctx.keymap.key_for(state.view, *a) {
            spans.push(Span::styled(format!(" <{k}>"), th.style(Role::KeyHint)));
            spans.push(Span::styled(
                format!(" {}", a.short()),
                th.style(Role::Footer),
            ));
        }
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)).style(th.style(Role::Footer)),
        area,
    );
}
