//! The generic chooser and plan dialogs (state::chooser), and the Mesh view's help notes on
//! sidecar injection.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::theme::{Role, Theme};
use super::{Ctx, hints};
use crate::state::chooser::{Chooser, Plan};
use crate::state::hazard;
use crate::state::modal_action::ChooserAction;

use super::dialog::{buttons, centered};

pub fn chooser(f: &mut Frame, area: Rect, ctx: &Ctx, c: &Chooser) {
    let th = ctx.theme;
    let mut text: Vec<Line> = c
        .intro
        .iter()
        .map(|l| Line::styled(l.clone(), th.style(Role::Muted)))
        .collect();
    text.push(Line::raw(""));
    for (i, o) in c.options.iter().enumerate() {
        // A step towards a control plane that is not ready stands out even unselected.
        let (mark, role) = if i == c.cursor {
            ("> ", Role::Selection)
        } else if c.flagged.contains(&i) {
            ("  ", Role::Error)
        } else {
            ("  ", Role::Modal)
        };
        text.push(Line::styled(format!("{mark}{o}"), th.style(role)));
    }
    text.push(Line::raw(""));
    text.push(Line::styled(
        hints::line(
            ctx.keymap,
            &[
                (&[ChooserAction::Down, ChooserAction::Up], "choose"),
                (&[ChooserAction::Pick], "next (a confirm follows)"),
                (&[ChooserAction::Cancel], "cancel"),
            ],
            "  ",
        ),
        th.style(Role::Muted),
    ));
    let width = area.width.saturating_sub(8).min(100);
    let text = fit_all(text, width);
    let r = centered(area, width, text.len() as u16 + 2);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(crate::text::sanitize_owned(format!(" {} ", c.title)))
        .border_style(th.style(Role::BorderFocus))
        .style(th.style(Role::Modal));
    f.render_widget(Paragraph::new(text).block(block), r);
}

pub fn plan(f: &mut Frame, area: Rect, ctx: &Ctx, p: &Plan) {
    let th = ctx.theme;
    let width = area.width.saturating_sub(8).min(110);
    // A hazard comes first and stays; the body scrolls; the buttons stay visible under it.
    let mut text: Vec<Line> = hazard_lines(th, p.hazard.as_ref(), width);
    let room = area.height.saturating_sub(6 + text.len() as u16).max(1);
    let body_rows = (p.body.len() as u16).min(room);
    let max_scroll = (p.body.len() as u16).saturating_sub(body_rows);
    let scroll = p.scroll.min(max_scroll);
    text.extend(
        p.body
            .iter()
            .skip(usize::from(scroll))
            .take(usize::from(body_rows))
            .map(|l| Line::raw(l.clone())),
    );
    let more = if max_scroll > 0 {
        let keys = hints::scroll_keys(ctx.keymap)
            .map(|k| format!(" ({k} scroll)"))
            .unwrap_or_default();
        format!(
            "lines {}-{} of {}{keys}",
            scroll + 1,
            scroll + body_rows,
            p.body.len()
        )
    } else {
        String::new()
    };
    text.push(Line::styled(more, th.style(Role::Muted)));
    text.push(buttons(
        th,
        &super::dialog::ok_label(ctx.keymap, &p.hazard, &p.ok_label),
        p.ok_focused,
    ));
    let text = fit_all(text, width);
    let r = centered(area, width, text.len() as u16 + 2);
    f.render_widget(Clear, r);
    let border = if p.hazard.is_some() {
        Role::Error
    } else {
        Role::Warn
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(crate::text::sanitize_owned(format!(" {} ", p.title)))
        .border_style(th.style(border))
        .style(th.style(Role::Modal));
    f.render_widget(Paragraph::new(text).block(block), r);
}

/// Dialog lines sanitised and cut with `…` inside a `width`-column box.
fn fit_all(text: Vec<Line<'_>>, width: u16) -> Vec<Line<'_>> {
    let room = usize::from(width.saturating_sub(2));
    text.into_iter()
        .map(|l| super::safe::fit(l, room))
        .collect()
}

/// A dialog's hazard, first and in the error colour, then a blank line; nothing without.
/// Wrapped (never cut) to a `width`-column box: the warning must be read whole.
pub fn hazard_lines(th: &Theme, h: Option<&hazard::Hazard>, width: u16) -> Vec<Line<'static>> {
    let Some(h) = h else {
        return Vec::new();
    };
    let mut out: Vec<Line> = h
        .lines
        .iter()
        .flat_map(|l| {
            super::safe::wrap(
                Line::styled(l.clone(), th.style(Role::Error)),
                usize::from(width.saturating_sub(2)),
            )
        })
        .collect();
    out.push(Line::raw(""));
    out
}

/// How the injection keys behave, for the Mesh view's help.
pub fn help_notes(th: &Theme) -> Vec<Line<'static>> {
    [
        "Sidecar injection: only new pods; running pods change on restart",
        "  ns istio-injection=enabled: default revision; istio.io/rev=R: R.",
        "  Both set: conflict (IST0123), istio-injection wins; I offers fixes.",
        "  I disable = remove both labels (kubectl label ns X istio-injection-):",
        "  pods labelled sidecar.istio.io/inject=true or istio.io/rev=R still",
        "  opt in. istio-injection=disabled turns it off for every pod.",
        "  S sets the pod-template LABEL sidecar.istio.io/inject: false opts",
        "  out anywhere, true opts in where the namespace has no label. The",
        "  legacy annotation counts only without the label. The template",
        "  change rolls the workload itself. After I, a restart is offered.",
        "  A revision whose istiod has no ready replica is NOT READY: a step",
        "  towards it warns first and takes Enter twice on Confirm.",
    ]
    .iter()
    .enumerate()
    .map(|(i, l)| {
        let role = if i == 0 { Role::Title } else { Role::Muted };
        Line::styled(l.to_string(), th.style(role))
    })
    .collect()
}
