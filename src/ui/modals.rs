//! Overlays: help, command palette, filter prompt.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::Role;
use super::{Ctx, hints, safe};
use crate::app::palette::palette_candidates;
use crate::config::Scope;
use crate::state::action::{Action, ViewId};
use crate::state::input::TextInput;
use crate::state::modal_action::{
    AuditAction, ChooserAction, DialogAction, FilterAction, MigrationAction, ModalAction,
    PaletteAction, WeightsAction,
};
use crate::state::{AppState, Modal};

pub fn draw(f: &mut Frame, area: Rect, state: &AppState, audit_scroll: &mut u16, ctx: &Ctx) {
    // The audit overlay stays visible under a dialog opened from it (undo, help).
    let below = state.modals.iter().rev().skip(1);
    if let Some(v) = below
        .filter_map(|m| match m {
            Modal::Audit(v) => Some(v),
            _ => None,
        })
        .next()
    {
        let top = super::chrome::header_height(state, area.width);
        super::audit::draw(f, area, top, v, audit_scroll, ctx);
    }
    match state.modals.last() {
        Some(Modal::Help { scroll }) => help(f, area, state, ctx, *scroll),
        Some(Modal::Palette(input)) => {
            prompt(f, area, ctx, ":", input, &palette_candidates(state), 2)
        }
        // Over the header, not the body: the rows being filtered (the first match above all)
        // stay visible while typing.
        Some(Modal::Filter(input)) => {
            // It covers the flash on the tabs line: a message about the input (cut, full)
            // shows in the prompt instead.
            let note: Vec<String> = state.flash.iter().map(|(m, _)| m.clone()).collect();
            prompt(f, area, ctx, "/", input, &note, 0)
        }
        Some(Modal::Notice(lines)) => notice(f, area, ctx, lines),
        Some(Modal::Confirm(c)) => confirm(f, area, ctx, c),
        Some(Modal::Weights(e)) => super::weights::draw(f, area, e, ctx),
        Some(Modal::Migrate) => super::migrate::draw(
            f,
            area,
            super::chrome::header_height(state, area.width),
            state,
            ctx,
        ),
        Some(Modal::Audit(v)) => super::audit::draw(
            f,
            area,
            super::chrome::header_height(state, area.width),
            v,
            audit_scroll,
            ctx,
        ),
        Some(Modal::Chooser(c)) => super::chooser::chooser(f, area, ctx, c),
        Some(Modal::Plan(p)) => super::chooser::plan(f, area, ctx, p),
        None => {}
    }
}

use super::dialog::{buttons, centered};

/// Help text for a view: every binding from the keymap, plus the palette commands.
pub fn help_lines(state: &AppState, ctx: &Ctx) -> Vec<Line<'static>> {
    let th = ctx.theme;
    let view = state.view;
    let mut out = vec![Line::styled(
        format!("Keys in {}", view.title()),
        th.style(Role::Title),
    )];
    for b in ctx.keymap.bindings(view) {
        let scope = match b.scope {
            Scope::Global => "",
            Scope::View(_) => " (this view)",
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {:<10}", b.key), th.style(Role::KeyHint)),
            Span::raw(format!("{}{scope}", b.action.describe())),
        ]));
    }
    if matches!(view, ViewId::Routes | ViewId::Gateways) {
        out.push(Line::raw(""));
        let opener = ctx
            .keymap
            .key_for(view, Action::EditWeights)
            .map(|k| format!(" ({k} on a route, rule or backend)"))
            .unwrap_or_default();
        out.push(Line::styled(
            format!("Weight editor{opener}"),
            th.style(Role::Title),
        ));
        out.extend(modal_help_lines::<WeightsAction>(ctx));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Commands (type : then Enter; Tab completes)",
        th.style(Role::Title),
    ));
    for v in ViewId::ALL {
        out.push(Line::raw(format!(
            "  :{:<22} {} view",
            v.commands().join(" :"),
            v.title()
        )));
    }
    for (c, d) in [
        (
            ":ns <name> | :ns all",
            "watch one namespace / all namespaces",
        ),
        (":ctx <name>", "switch kubeconfig context"),
        (":audit", "audit log of writes, newest first"),
        (":migrate", "revision migration (waves, rollback)"),
        (":help", "this help"),
        (":q", "quit"),
    ] {
        out.push(Line::raw(format!("  {c:<24}{d}")));
    }
    if view == ViewId::Mesh {
        out.push(Line::raw(""));
        out.extend(super::chooser::help_notes(th));
    }
    if view == ViewId::Diagnostics {
        out.push(Line::raw(""));
        out.extend(super::diagnostics::help_notes(th));
    }
    if view == ViewId::Certs {
        out.extend(super::certs::help_lines(state, th));
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Dialogs and prompts", th.style(Role::Title)));
    out.extend(dialog_hint_lines(ctx));
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Filters: / then text; matches names, hosts, labels. Esc clears.",
        th.style(Role::Muted),
    ));
    out.push(Line::styled(
        "Keys are configurable: [keys.global] / [keys.<view>] / [keys.dialog] … in config.toml.",
        th.style(Role::Muted),
    ));
    out
}

/// One line per action of a modal context: its first key (or `unbound`) and what it does.
fn modal_help_lines<A: ModalAction>(ctx: &Ctx) -> Vec<Line<'static>> {
    hints::help::<A>(ctx.keymap)
        .into_iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!("  {k:<10}"), ctx.theme.style(Role::KeyHint)),
                Span::raw(what),
            ])
        })
        .collect()
}

/// The keys of every dialog and prompt, one context a line, from their `[keys.<section>]`.
fn dialog_hint_lines(ctx: &Ctx) -> Vec<Line<'static>> {
    use ChooserAction as C;
    use DialogAction as D;
    use MigrationAction as M;
    let km = ctx.keymap;
    let rows = [
        (
            "confirm",
            hints::line(
                km,
                &[
                    (&[D::SwitchFocus][..], "switch Cancel/Confirm"),
                    (&[D::Choose], "choose"),
                    (&[D::Cancel], "cancel"),
                    (&[D::ScrollDown, D::ScrollUp], "scroll"),
                ],
                "  ",
            ),
        ),
        (
            "chooser",
            hints::line(
                km,
                &[
                    (&[C::Down, C::Up][..], "choose"),
                    (&[C::Pick], "next"),
                    (&[C::Cancel], "cancel"),
                ],
                "  ",
            ),
        ),
        (
            "filter",
            hints::line(
                km,
                &[
                    (&[FilterAction::Keep][..], "keep"),
                    (&[FilterAction::Clear], "clear"),
                ],
                "  ",
            ),
        ),
        (
            "palette",
            hints::line(
                km,
                &[
                    (&[PaletteAction::Run][..], "run"),
                    (&[PaletteAction::Complete], "complete"),
                    (&[PaletteAction::Cancel], "cancel"),
                ],
                "  ",
            ),
        ),
        (
            "migration",
            hints::line(
                km,
                &[
                    (&[M::Down, M::Up][..], "select"),
                    (&[M::LaterWave, M::EarlierWave], "wave"),
                    (&[M::Toggle], "include/exclude"),
                    (&[M::NextWave], "next wave"),
                ],
                "  ",
            ),
        ),
        (
            "",
            hints::line(
                km,
                &[
                    (&[M::Rollback][..], "roll back"),
                    (&[M::OtherPair], "other pair"),
                    (&[M::Close], "close"),
                ],
                "  ",
            ),
        ),
        (
            "audit",
            hints::line(
                km,
                &[
                    (&[AuditAction::Down, AuditAction::Up][..], "move"),
                    (&[AuditAction::ToggleDetail], "detail"),
                    (&[AuditAction::Reload], "reload"),
                    (&[AuditAction::Close], "close"),
                ],
                "  ",
            ),
        ),
    ];
    rows.into_iter()
        .map(|(what, keys)| {
            Line::from(vec![
                Span::styled(format!("  {what:<10}"), ctx.theme.style(Role::KeyHint)),
                Span::raw(keys),
            ])
        })
        .collect()
}

fn confirm(f: &mut Frame, area: Rect, ctx: &Ctx, c: &crate::state::write::Confirm) {
    let th = ctx.theme;
    let width = area.width.saturating_sub(8).min(100);
    // A hazard first; a diff reads at a glance: removed lines red, added green, warnings amber.
    let mut text: Vec<Line> = super::chooser::hazard_lines(th, c.hazard.as_ref(), width);
    text.extend(c.body.iter().map(|l| match l.chars().next() {
        Some('-') => Line::styled(l.clone(), th.style(Role::Error)),
        Some('+') => Line::styled(l.clone(), th.style(Role::Ok)),
        Some('⚠') => Line::styled(l.clone(), th.style(Role::Warn)),
        _ => Line::raw(l.clone()),
    }));
    let mut text: Vec<Line> = text
        .into_iter()
        .map(|l| safe::fit(l, usize::from(width.saturating_sub(2))))
        .collect();
    text.push(Line::raw(""));
    let ok = format!("Confirm {}", c.op.verb());
    text.push(buttons(
        th,
        &super::dialog::ok_label(ctx.keymap, &c.hazard, &ok),
        c.ok_focused,
    ));
    let r = centered(area, width, (text.len() as u16 + 2).min(area.height));
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(crate::text::sanitize_owned(format!(
            " {} {}? ",
            c.op.verb(),
            c.op.object()
        )))
        .border_style(th.style(Role::Warn))
        .style(th.style(Role::Modal));
    f.render_widget(Paragraph::new(text).block(block), r);
}

fn notice(f: &mut Frame, area: Rect, ctx: &Ctx, lines: &[String]) {
    let th = ctx.theme;
    let width = area.width.saturating_sub(8).min(110);
    let text: Vec<Line> = lines
        .iter()
        .map(|l| safe::line(Line::styled(format!("• {l}"), th.style(Role::Warn))))
        .chain([
            Line::raw(""),
            Line::styled("press any key to continue", th.style(Role::Muted)),
        ])
        .collect();
    let inner_width = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = lines
        .iter()
        .map(|l| (crate::text::width(l) + 2).div_ceil(inner_width))
        .sum::<usize>()
        + 2;
    let r = centered(area, width, (rows as u16 + 2).min(area.height));
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Started with warnings ")
        .border_style(th.style(Role::BorderFocus))
        .style(th.style(Role::Modal));
    f.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(ratatui::widgets::Wrap { trim: false }),
        r,
    );
}

fn help(f: &mut Frame, area: Rect, state: &AppState, ctx: &Ctx, scroll: u16) {
    let th = ctx.theme;
    let lines: Vec<Line> = help_lines(state, ctx)
        .into_iter()
        .map(|l| safe::fit(l, usize::from(area.width.min(76).saturating_sub(2))))
        .collect();
    let r = centered(
        area,
        76,
        (lines.len() as u16 + 2).min(area.height.saturating_sub(2)),
    );
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" Help (esc to close) ")
        .border_style(th.style(Role::BorderFocus))
        .style(th.style(Role::Modal));
    f.render_widget(Paragraph::new(lines).block(block).scroll((scroll, 0)), r);
}

fn prompt(
    f: &mut Frame,
    area: Rect,
    ctx: &Ctx,
    sigil: &str,
    input: &TextInput,
    cands: &[String],
    top: u16,
) {
    let th = ctx.theme;
    let shown = cands.len().min(8) as u16;
    let [_, r, _] = Layout::vertical([
        Constraint::Length(top),
        Constraint::Length(3 + shown),
        Constraint::Min(0),
    ])
    .areas(area);
    let r = Rect {
        x: r.x + 2,
        width: r.width.saturating_sub(4),
        ..r
    };
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(th.style(Role::BorderFocus))
        .style(th.style(Role::Modal));
    let inner = block.inner(r);
    // A text wider than the box scrolls so that the cursor stays in view.
    let skip = input
        .cursor
        .saturating_sub(usize::from(inner.width.saturating_sub(2)));
    let mut lines = vec![Line::from(vec![
        Span::styled(sigil.to_string(), th.style(Role::Accent)),
        Span::styled(
            input.text.chars().skip(skip).collect::<String>(),
            th.style(Role::Filter),
        ),
    ])];
    for c in cands.iter().take(8) {
        lines.push(Line::styled(format!(" {c}"), th.style(Role::Muted)));
    }
    let lines: Vec<Line> = lines.into_iter().map(safe::line).collect();
    f.render_widget(Paragraph::new(lines).block(block), r);
    let cx = inner.x + 1 + (input.cursor - skip) as u16;
    f.set_cursor_position((cx.min(inner.right().saturating_sub(1)), inner.y));
}
