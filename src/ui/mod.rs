//! Drawing: pure functions of the state (plus widget interaction state). No I/O.
pub mod audit;
pub mod certs;
pub mod chooser;
pub mod chrome;
pub mod detail;
pub mod diagnostics;
pub mod dialog;
pub mod hints;
pub mod migrate;
pub mod modals;
pub mod rollout;
pub mod safe;
pub mod tables;
pub mod theme;
pub mod time;
pub mod tree_view;
pub mod weights;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::cluster::kinds::WatchState;
use crate::config::Keymap;
use crate::model::tree::Tone;
use crate::state::AppState;
use crate::state::action::ViewId;
use crate::state::derived::inputs;
use crate::state::view_state::ViewState;
use theme::{Role, Theme};

/// Everything `draw` reads besides the state.
pub struct Ctx<'a> {
    pub theme: &'a Theme,
    pub keymap: &'a Keymap,
}

pub fn tone_role(t: Tone) -> Role {
    match t {
        Tone::Normal => Role::Text,
        Tone::Muted => Role::Muted,
        Tone::Accent => Role::Accent,
        Tone::Ok => Role::Ok,
        Tone::Warn => Role::Warn,
        Tone::Error => Role::Error,
    }
}

pub fn draw(f: &mut Frame, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(chrome::header_height(state, f.area().width)),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(f.area());
    chrome::header(f, header, state, ctx);
    chrome::footer(f, footer, state, ctx);
    body_view(f, body, state, ui, ctx);
    modals::draw(f, f.area(), state, &mut ui.audit_scroll, ctx);
    safe::guard(f.buffer_mut());
}

/// One line per kind of this view that is not live.
pub fn banners(state: &AppState, view: ViewId) -> Vec<(Role, String)> {
    let mut lines = Vec::new();
    let mut failing: Vec<(&str, &str)> = Vec::new();
    // One line per reason: three Secret watches refused alike read as one refusal.
    let mut forbidden: Vec<(String, &str)> = Vec::new();
    for k in inputs(view) {
        match state.watch.get(k) {
            Some(WatchState::NotInstalled) => lines.push((
                Role::Warn,
                format!(
                    "{} not installed: {} (the API answered 404)",
                    k.missing_what(),
                    k.resource()
                ),
            )),
            Some(WatchState::Forbidden(msg)) => {
                match forbidden.iter_mut().find(|(_, m)| m == msg) {
                    Some((res, _)) => {
                        res.push_str(", ");
                        res.push_str(k.resource());
                    }
                    None => forbidden.push((k.resource().to_string(), msg)),
                }
            }
            Some(WatchState::Failing(msg)) => failing.push((k.resource(), msg.as_str())),
            Some(WatchState::Syncing) => {
                lines.push((Role::Muted, format!("syncing {}…", k.resource())))
            }
            _ => {}
        }
    }
    if let Some(why) = &state.probe_failed {
        lines.push((
            Role::Error,
            format!("API server not answering: {why} (showing the last known data; retrying)"),
        ));
    }
    for (res, msg) in forbidden {
        lines.push((Role::Error, format!("forbidden: {res}: {msg}")));
    }
    // One line when the whole server is unreachable, not one per kind.
    match failing.as_slice() {
        [] => {}
        [(_, first), rest @ ..] if !rest.is_empty() && rest.iter().all(|(_, m)| m == first) => {
            lines.push((Role::Error, format!("API server: {first} (retrying)")))
        }
        all => {
            for (res, msg) in all {
                lines.push((Role::Error, format!("{res}: {msg} (retrying)")));
            }
        }
    }
    lines
}

fn body_view(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let th = ctx.theme;
    let view = state.view;
    let mut title = format!(" {} ", view.title());
    if let Some(ns) = &state.namespace {
        title.push_str(&format!("[{ns}] "));
    } else {
        title.push_str("[all] ");
    }
    let filter = state.active_filter();
    if !filter.is_empty() {
        title.push_str(&format!("/{filter} "));
    }
    let title = crate::text::truncate_to(&title, usize::from(area.width.saturating_sub(2)));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(th.style(Role::Border))
        .title(Span::styled(title, th.style(Role::Title)))
        .style(th.style(Role::Text));
    let inner = block.inner(area);
    f.render_widget(block, area);

    let banner_lines: Vec<Line> = banners(state, view)
        .into_iter()
        .map(|(role, text)| safe::line(Line::styled(text, th.style(role))))
        .collect();
    let n = (banner_lines.len() as u16).min(inner.height / 2);
    let [top, rest] = Layout::vertical([Constraint::Length(n), Constraint::Min(0)]).areas(inner);
    if n > 0 {
        f.render_widget(Paragraph::new(banner_lines).wrap(Wrap { trim: true }), top);
    }
    ui.page = rest.height.saturating_sub(1);
    if let Some(crate::state::Detail::Finding(id)) = state.detail() {
        diagnostics::detail(f, rest, state, ui, ctx, id);
        return;
    }
    if state.detail().is_some() {
        detail::draw(f, rest, state, ui, ctx);
        return;
    }
    match view {
        ViewId::Gateways => tree_view::draw(f, rest, state, ui, ctx),
        ViewId::Routes => tables::routes(f, rest, state, ui, ctx),
        ViewId::Frontends => tables::frontends(f, rest, state, ui, ctx),
        ViewId::Mesh => tables::mesh(f, rest, state, ui, ctx),
        ViewId::Diagnostics => diagnostics::table(f, rest, state, ui, ctx),
        ViewId::Certs => certs::table(f, rest, state, ui, ctx),
    }
}
