//! The revision-migration screen: control planes, one row per namespace (wave, label, pods
//! per sidecar revision, rollouts, state), the recent steps, the keys; and a wave's confirm
//! on top. Drawn from the cache every frame it is visible, so progress shows live.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Ctx;
use super::dialog::{below_header, buttons, centered};
use super::hints::{self, scroll_keys};
use super::theme::Role;
use crate::config::Keymap;
use crate::model::mesh::{ControlPlanes, REV_LABEL};
use crate::state::AppState;
use crate::state::action::{Action, ViewId};
use crate::state::migrate::{Migration, WaveConfirm};
use crate::state::modal_action::MigrationAction;

pub fn lines(state: &AppState, m: &Migration, ctx: &Ctx) -> Vec<Line<'static>> {
    let th = ctx.theme;
    let cache = &state.cache;
    let cps = ControlPlanes::from_workloads(cache.control_planes.values());
    // One namespace (the usual case) is named once, so three revisions fit a line.
    let one_ns = cps
        .by_revision
        .values()
        .map(|(ns, _, _)| ns)
        .collect::<std::collections::BTreeSet<_>>()
        .len()
        == 1;
    let mut planes: Vec<Span> = Vec::new();
    for (rev, (ns, ready, desired)) in &cps.by_revision {
        if !planes.is_empty() {
            planes.push(Span::raw(", "));
        }
        let text = if one_ns {
            format!("{rev} ready {ready}/{desired}")
        } else {
            format!("{rev} ({ns}) ready {ready}/{desired}")
        };
        planes.push(match cps.not_ready(rev) {
            Some(_) => Span::styled(format!("{text} NOT READY"), th.style(Role::Error)),
            None => Span::raw(text),
        });
    }
    let pods_head = format!("PODS {} / {} / none", m.from, m.to);
    let pw = pods_head.chars().count().max(18) + 1;
    let title = match cps.by_revision.values().next() {
        Some((ns, _, _)) if one_ns => format!("   control planes in {ns}: "),
        _ => "   control planes: ".to_string(),
    };
    let mut head = vec![
        Span::styled(format!("{} → {}", m.from, m.to), th.style(Role::Accent)),
        Span::styled(title, th.style(Role::Muted)),
    ];
    head.extend(planes);
    let mut out = vec![Line::from(head)];
    // Said where the eye goes first, not only in the list of control planes.
    match cps.not_ready(&m.to) {
        Some(nr) => out.push(Line::styled(
            format!(
                "{}: NOT READY. Pods restarted into {} may not be created; a wave asks twice.",
                nr.summary(),
                m.to
            ),
            th.style(Role::Error),
        )),
        None => out.push(Line::raw("")),
    }
    out.push(Line::styled(
        format!(
            "  {:<24} {:>4}  {:<12} {:<pw$} {:<20} STATE",
            "NAMESPACE", "WAVE", "LABEL", pods_head, "ROLLOUTS"
        ),
        th.style(Role::Title),
    ));
    if m.rows.is_empty() {
        out.push(Line::styled(
            format!(
                "  no namespace is labelled {REV_LABEL}={} or {}",
                m.from, m.to
            ),
            th.style(Role::Muted),
        ));
    }
    for (i, r) in m.rows.iter().enumerate() {
        let label = cache
            .namespaces
            .get(&r.namespace)
            .and_then(|n| n.labels.get(REV_LABEL))
            .cloned()
            .unwrap_or_else(|| "-".into());
        let pods = m.pods(cache, &r.namespace);
        let (mut running, mut stuck) = (0, 0);
        for w in cache.workloads_in(&r.namespace) {
            match state.rollouts.status(w, state.now) {
                (_, true) => stuck += 1,
                (s, false) if s.phase.in_progress() => running += 1,
                _ => {}
            }
        }
        let rollouts = match (running, stuck) {
            (0, 0) => "-".to_string(),
            (r, 0) => format!("{r} running"),
            (r, s) => format!("{r} running, {s} STUCK"),
        };
        let wave = r.wave.map_or("out".to_string(), |w| w.to_string());
        let other = if pods.other > 0 {
            format!(" (+{} other)", pods.other)
        } else {
            String::new()
        };
        let state_word = m.state_of(cache, &r.namespace);
        let state_role = if state_word.starts_with("FAILED") || stuck > 0 {
            Role::Error
        } else if state_word.starts_with("migrated") {
            Role::Ok
        } else if state_word.ends_with('…') || running > 0 {
            Role::Warn
        } else {
            Role::Text
        };
        let selected = i == m.cursor;
        out.push(Line::from(vec![
            Span::styled(if selected { "▶ " } else { "  " }, th.style(Role::Accent)),
            Span::styled(
                format!("{:<24}", r.namespace),
                if selected {
                    th.style(Role::Selection)
                } else {
                    th.style(Role::Text)
                },
            ),
            Span::raw(format!(
                " {wave:>4}  {label:<12} {:<pw$} ",
                format!("{} / {} / {}{other}", pods.from, pods.to, pods.none)
            )),
            Span::styled(
                format!("{rollouts:<20} "),
                if stuck > 0 {
                    th.style(Role::Error)
                } else {
                    th.style(Role::Text)
                },
            ),
            Span::styled(state_word, th.style(state_role)),
        ]));
    }
    if !m.by_injection_label.is_empty() {
        out.push(Line::styled(
            format!(
                "  not here (istio-injection selects their revision through the default tag): {}",
                m.by_injection_label.join(", ")
            ),
            th.style(Role::Muted),
        ));
    }
    out.push(Line::raw(""));
    let next = match m.next_wave(cache) {
        Some((w, names)) => format!("next: wave {w} ({})", names.join(", ")),
        None => format!("every included namespace is on {}", m.to),
    };
    out.push(Line::styled(next, th.style(Role::Accent)));
    for l in m.log.iter().rev().take(6).rev() {
        out.push(Line::styled(format!("  {l}"), th.style(Role::Muted)));
    }
    out.push(Line::raw(""));
    for keys in key_lines(ctx.keymap) {
        out.push(Line::styled(keys, th.style(Role::KeyHint)));
    }
    out
}

/// The screen's own keys at its bottom, from `[keys.migration]` (and the Mesh view's key that
/// reopens it).
fn key_lines(km: &Keymap) -> [String; 3] {
    use MigrationAction as A;
    // The first two keys of the next wave: enter is worth naming beside `w`.
    let mut next: Vec<String> = km
        .modal_keys(A::NextWave)
        .into_iter()
        .take(2)
        .map(hints::shown)
        .collect();
    let next = match next.len() {
        2 => {
            let second = next.pop().unwrap_or_default();
            format!("{} (or {second}) migrate the next wave (confirm)", next[0])
        }
        1 => format!("{} migrate the next wave (confirm)", next[0]),
        _ => String::new(),
    };
    let rollback = hints::line(
        km,
        &[(
            &[A::Rollback],
            "roll back the selected row's wave (confirm)",
        )],
        "",
    );
    let reopen = km
        .key_for(ViewId::Mesh, Action::Migrate)
        .map(|k| format!("; {k} reopens"))
        .unwrap_or_default();
    let close = format!("close (a running wave goes on{reopen})");
    [
        hints::line(
            km,
            &[
                (&[A::Down, A::Up], "select"),
                (
                    &[A::LaterWave, A::EarlierWave],
                    "wave of the selected namespace",
                ),
                (&[A::Toggle], "include/exclude"),
            ],
            "   ",
        ),
        [next, rollback]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("   "),
        hints::line(
            km,
            &[
                (&[A::OtherPair], "other revision pair"),
                (&[A::Close], &close),
            ],
            "   ",
        ),
    ]
}

pub fn draw(f: &mut Frame, area: Rect, top: u16, state: &AppState, ctx: &Ctx) {
    let Some(m) = &state.migration else {
        return;
    };
    let th = ctx.theme;
    let body = below_header(area, top);
    f.render_widget(Clear, body);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(th.style(Role::BorderFocus))
        .title(Span::styled(" Revision migration ", th.style(Role::Title)))
        .style(th.style(Role::Modal));
    let room = usize::from(body.width.saturating_sub(2));
    let text: Vec<Line> = lines(state, m, ctx)
        .into_iter()
        .map(|l| super::safe::fit(l, room))
        .collect();
    f.render_widget(Paragraph::new(text).block(block), body);
    if let Some(c) = &m.confirm {
        confirm(f, body, c, ctx);
    }
}

fn confirm(f: &mut Frame, area: Rect, c: &WaveConfirm, ctx: &Ctx) {
    let th = ctx.theme;
    // The hazard first; it scrolls with the body, which starts at it.
    let width = area.width.saturating_sub(6).min(110);
    let mut text: Vec<Line> = super::chooser::hazard_lines(th, c.hazard.as_ref(), width);
    text.extend(
        c.body
            .iter()
            .map(|l| super::safe::line(Line::raw(l.clone()))),
    );
    text.push(Line::raw(""));
    let ok = format!("Confirm {} namespace(s)", c.ops.len());
    text.push(buttons(
        th,
        &super::dialog::ok_label(ctx.keymap, &c.hazard, &ok),
        c.ok_focused,
    ));
    let height = (text.len() as u16 + 2).min(area.height.saturating_sub(2));
    let r = centered(area, width, height);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(crate::text::sanitize_owned(match scroll_keys(ctx.keymap) {
            Some(k) => format!(" {} ({k} scroll) ", c.title),
            None => format!(" {} ", c.title),
        }))
        .border_style(th.style(if c.hazard.is_some() {
            Role::Error
        } else {
            Role::Warn
        }))
        .style(th.style(Role::Modal));
    f.render_widget(
        Paragraph::new(text)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((c.scroll, 0)),
        r,
    );
}
