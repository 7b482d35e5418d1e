//! Header (context, cluster, scope, connection, read-only, view tabs) and footer (keys).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Role;
use super::{Ctx, hints, safe};
use crate::config::Keymap;
use crate::state::action::{Action, ViewId};
use crate::state::modal_action::{
    AuditAction, ChooserAction, DialogAction, FilterAction, PaletteAction, WeightsAction,
};
use crate::state::{AppState, Health, Level, Modal};

pub fn header(f: &mut Frame, area: Rect, state: &AppState, ctx: &Ctx) {
    let th = ctx.theme;
    let h = th.style(Role::Header);
    let a = th.style(Role::HeaderAccent);
    let (health, role) = match state.health() {
        Health::Connecting => ("● connecting".to_string(), Role::Warn),
        Health::Syncing => ("● syncing".to_string(), Role::Warn),
        Health::Live => ("● live".to_string(), Role::Ok),
        // Short, so the findings count still fits; the view's banner tells the reason.
        Health::Stale { since, .. } => (
            format!("● stale since {}, retrying", super::time::local_hms(since)),
            Role::Error,
        ),
        Health::Disconnected(m) => (
            format!(
                "● disconnected, retrying: {}",
                crate::text::truncate_to(&m, 60)
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
    spans.extend(super::diagnostics::header_count(state, th));
    spans.extend(super::rollout::indicator(
        state.rollouts.summary(&state.cache, state.now),
        th,
    ));
    let mut tabs = vec![Span::styled(" ", h)];
    for (i, v) in ViewId::ALL.iter().enumerate() {
        let style = if *v == state.view {
            th.style(Role::Selection)
        } else {
            h
        };
        tabs.push(Span::styled(tab_label(i, *v), style));
        tabs.push(Span::styled("  ", h));
    }
    let mut lines = vec![Line::from(spans)];
    if let Some((msg, level)) = &state.flash {
        let role = match level {
            Level::Info => Role::Info,
            Level::Warn => Role::Warn,
            Level::Error => Role::Error,
        };
        let rows = flash_rows(msg, area.width);
        if rows.is_empty() {
            tabs.push(Span::styled(msg.clone(), th.style(role)));
            lines.push(Line::from(tabs));
        } else {
            // Too long for the tabs line (e.g. a write refused with the server's reason):
            // on rows of its own, in full.
            lines.push(Line::from(tabs));
            lines.extend(
                rows.into_iter()
                    .map(|r| Line::from(Span::styled(format!(" {r}"), th.style(role)))),
            );
        }
    } else {
        lines.push(Line::from(tabs));
    }
    // Context, cluster, user and namespace names come from the kubeconfig and the cluster.
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| safe::fit(l, usize::from(area.width)))
        .collect();
    f.render_widget(Paragraph::new(lines).style(h), area);
}

/// Most rows a flash message may take below the tabs.
const MAX_FLASH_ROWS: usize = 6;

fn tab_label(i: usize, v: ViewId) -> String {
    format!("{} {}", i + 1, v.title())
}

/// Width of the tabs line without a flash: " 1 Gateways  2 Routes  ...  ".
fn tabs_width() -> usize {
    1 + ViewId::ALL
        .iter()
        .enumerate()
        .map(|(i, v)| Line::raw(tab_label(i, *v)).width() + 2)
        .sum::<usize>()
}

/// Empty when `msg` fits on the tabs line of a `width`-column header; else the message
/// word-wrapped to `width - 1` columns (indented by one), at most [`MAX_FLASH_ROWS`] rows.
fn flash_rows(msg: &str, width: u16) -> Vec<String> {
    // Measured as shown: a server's reason may hold control characters.
    let msg = crate::text::sanitize(msg);
    let msg = msg.as_ref();
    let width = usize::from(width);
    let w = |s: &str| Line::raw(s.to_string()).width();
    if tabs_width() + w(msg) <= width {
        return Vec::new();
    }
    let room = width.saturating_sub(1).max(1);
    let mut rows: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in msg.split(' ') {
        let sep = usize::from(!cur.is_empty());
        if w(&cur) + sep + w(word) <= room {
            if sep == 1 {
                cur.push(' ');
            }
            cur.push_str(word);
            continue;
        }
        if !cur.is_empty() {
            rows.push(std::mem::take(&mut cur));
        }
        // A word longer than a row is cut.
        let mut rest = word;
        while w(rest) > room {
            let cut = rest
                .char_indices()
                .scan(0, |acc, (i, c)| {
                    *acc += w(&c.to_string());
                    Some((i + c.len_utf8(), *acc))
                })
                .take_while(|(_, acc)| *acc <= room)
                .last()
                .map_or(rest.len(), |(i, _)| i);
            rows.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        cur.push_str(rest);
    }
    if !cur.is_empty() {
        rows.push(cur);
    }
    if rows.len() > MAX_FLASH_ROWS {
        rows.truncate(MAX_FLASH_ROWS);
        if let Some(last) = rows.last_mut() {
            while w(last) + 1 > room {
                last.pop();
            }
            last.push('…');
        }
    }
    rows
}

/// Rows the header needs at `width` columns: context line, tabs line, and the flash on rows
/// of its own when it does not fit after the tabs.
pub fn header_height(state: &AppState, width: u16) -> u16 {
    let extra = state
        .flash
        .as_ref()
        .map_or(0, |(msg, _)| flash_rows(msg, width).len());
    2 + extra as u16
}

pub fn footer(f: &mut Frame, area: Rect, state: &AppState, ctx: &Ctx) {
    let th = ctx.theme;
    let keys: &[Action] = match state.modals.last() {
        Some(Modal::Palette(_)) => &[],
        Some(Modal::Filter(_)) => &[],
        Some(Modal::Help { .. }) => &[Action::Back, Action::Down, Action::Up],
        Some(
            Modal::Notice(_)
            | Modal::Confirm(_)
            | Modal::Chooser(_)
            | Modal::Plan(_)
            | Modal::Weights(_)
            | Modal::Migrate,
        ) => &[],
        // The overlay's own keys come from `[keys.audit]` (below); undo is a global key.
        Some(Modal::Audit(_)) => &[Action::Undo],
        None if state.detail().is_some() => &[
            Action::Back,
            Action::Down,
            Action::Up,
            Action::EditWeights,
            Action::RolloutRestart,
            Action::FixFinding,
            Action::Help,
            Action::Quit,
        ],
        None => match state.view {
            ViewId::Gateways => &[
                Action::Enter,
                Action::ExpandAll,
                Action::CollapseAll,
                Action::EditWeights,
                Action::Filter,
                Action::CommandPalette,
                Action::ToggleAllNamespaces,
                Action::Help,
                Action::Quit,
            ],
            _ => &[
                Action::Enter,
                Action::EditWeights,
                Action::FixFinding,
                Action::Filter,
                Action::CommandPalette,
                Action::ToggleAllNamespaces,
                Action::Help,
                Action::Quit,
            ],
        },
    };
    let mut spans = Vec::new();
    if let Some(text) = modal_hint(state, ctx.keymap) {
        spans.push(Span::styled(format!(" {text}"), th.style(Role::Footer)));
    }
    if let Some(Modal::Audit(_)) = state.modals.last() {
        for (a, label) in [
            (AuditAction::Close, Action::Back.short()),
            (AuditAction::Down, Action::Down.short()),
            (AuditAction::Up, Action::Up.short()),
            (AuditAction::ToggleDetail, Action::Enter.short()),
        ] {
            if let Some(k) = hints::keys(ctx.keymap, &[a]) {
                spans.push(Span::styled(format!(" <{k}>"), th.style(Role::KeyHint)));
                spans.push(Span::styled(format!(" {label}"), th.style(Role::Footer)));
            }
        }
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

/// The footer line of a dialog or prompt, from its `[keys.<section>]`.
fn modal_hint(state: &AppState, km: &Keymap) -> Option<String> {
    use DialogAction as D;
    let dialog = |scrolls: bool| {
        let mut items: Vec<hints::Item<'_, D>> = Vec::new();
        if scrolls {
            items.push((&[D::ScrollDown, D::ScrollUp], "scroll"));
        }
        items.extend([
            (&[D::SwitchFocus][..], "switch Cancel/Confirm"),
            (&[D::Choose], "choose"),
            (&[D::Cancel], "cancel"),
        ]);
        hints::line(km, &items, "  ")
    };
    Some(match state.modals.last()? {
        Modal::Palette(_) => {
            use PaletteAction as P;
            let items: [hints::Item<'_, P>; 3] = [
                (&[P::Run], "run"),
                (&[P::Complete], "complete"),
                (&[P::Cancel], "cancel"),
            ];
            hints::line(km, &items, "  ")
        }
        Modal::Confirm(_) => dialog(false),
        Modal::Plan(_) => dialog(true),
        Modal::Weights(_) => {
            let review = hints::keys(km, &[WeightsAction::Review])
                .map(|k| format!("{k} reviews the diff, "))
                .unwrap_or_default();
            format!(
                "weight editor: keys listed in the dialog; {review}nothing is written before confirm"
            )
        }
        Modal::Migrate => "revision migration: keys listed on the screen; every wave and rollback is confirmed first".to_string(),
        Modal::Chooser(_) => {
            use ChooserAction as C;
            let items: [hints::Item<'_, C>; 3] = [
                (&[C::Down, C::Up], "choose"),
                (&[C::Pick], "next"),
                (&[C::Cancel], "cancel"),
            ];
            hints::line(km, &items, "  ")
        }
        Modal::Filter(_) => {
            use FilterAction as F;
            let items: [hints::Item<'_, F>; 2] = [(&[F::Keep], "keep"), (&[F::Clear], "clear")];
            ["type to filter".to_string(), hints::line(km, &items, "  ")]
                .join("  ")
                .trim_end()
                .to_string()
        }
        Modal::Audit(_) | Modal::Help { .. } | Modal::Notice(_) => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_flash_stays_on_the_tabs_line() {
        assert!(flash_rows("cancelled; nothing was written", 160).is_empty());
    }

    #[test]
    fn a_long_flash_gets_rows_of_its_own_in_full() {
        let msg = "rollout restart Deployment shop/cart failed: forbidden: deployments.apps \"cart\" is forbidden: User \"e2e-limited\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\"";
        let rows = flash_rows(msg, 160);
        assert_eq!(rows.len(), 2, "{rows:?}");
        assert!(rows.iter().all(|r| r.chars().count() <= 159), "{rows:?}");
        assert_eq!(rows.join(" "), msg);
        // A word longer than a row is cut, nothing is lost.
        let long = "x".repeat(50);
        let rows = flash_rows(&long, 20);
        assert!(rows.iter().all(|r| r.chars().count() <= 19), "{rows:?}");
        assert_eq!(rows.concat(), long);
        // At most MAX_FLASH_ROWS rows, the last one ends with an ellipsis.
        let rows = flash_rows(&"word ".repeat(200), 40);
        assert_eq!(rows.len(), MAX_FLASH_ROWS);
        assert!(
            rows.last()
                .is_some_and(|r| r.ends_with('…') && r.chars().count() <= 39)
        );
    }
}
