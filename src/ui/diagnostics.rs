//! The Diagnostics view: the findings table, one finding's detail, and the header count.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::tables::{empty, window};
use super::theme::{Role, Theme};
use super::{Ctx, safe};
use crate::cluster::kinds::WatchState;
use crate::model::diagnostics::{Finding, Severity};
use crate::state::AppState;
use crate::state::action::{Action, ViewId};
use crate::state::diagnostics::{INPUTS, find};
use crate::state::view_state::ViewState;

pub fn severity_role(s: Severity) -> Role {
    match s {
        Severity::Error => Role::Error,
        Severity::Warning => Role::Warn,
        Severity::Info => Role::Info,
    }
}

/// `  findings: 2 errors 5 warnings` for the header; nothing while an input still syncs and
/// nothing was found yet (an empty list then means "not known yet", not "clean").
pub fn header_count(state: &AppState, th: &Theme) -> Vec<Span<'static>> {
    let c = state.diagnostics.counts;
    let syncing = INPUTS
        .iter()
        .any(|k| matches!(state.watch.get(k), Some(WatchState::Syncing) | None));
    if c.errors + c.warnings + c.infos == 0 && syncing {
        return Vec::new();
    }
    let role = if c.errors > 0 {
        Role::Error
    } else if c.warnings > 0 {
        Role::Warn
    } else {
        Role::Ok
    };
    let mut out = vec![
        Span::styled("  findings: ", th.style(Role::Header)),
        Span::styled(c.describe(), th.style(role)),
    ];
    let stale = state.diagnostics.stale_ids.len();
    if stale > 0 {
        let all = stale == state.diagnostics.findings.len();
        out.push(Span::styled(
            if all {
                " (stale)".to_string()
            } else {
                format!(" ({stale} stale)")
            },
            th.style(Role::Warn),
        ));
    }
    out
}

fn objects_cell(f: &Finding) -> String {
    match f.objects.as_slice() {
        [] => "-".into(),
        [one] => one.short(),
        [first, rest @ ..] => format!("{} +{}", first.short(), rest.len()),
    }
}

pub fn table(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    // Under a namespace scope, say what is not judged rather than look clean.
    let area = match &state.namespace {
        Some(ns) if area.height > 2 => {
            let [note, rest] =
                Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
            f.render_widget(
                Paragraph::new(crate::text::sanitize_owned(format!(
                    "namespace {ns} only: checks across namespaces (Ingress controllers, ztunnel, \
                     mesh extensions, other namespaces' objects) are skipped; 0 shows all"
                )))
                .style(ctx.theme.style(Role::Muted)),
                note,
            );
            rest
        }
        _ => area,
    };
    let rows = &state.derived.findings;
    if rows.is_empty() {
        return empty(f, area, ctx, state, "findings");
    }
    let th = ctx.theme;
    // OBJECTS fits the visible rows (capped); TITLE takes the rest.
    let widths = |range: std::ops::Range<usize>| {
        let objects = rows[range]
            .iter()
            .map(|r| crate::text::width(&objects_cell(r)))
            .max()
            .unwrap_or(0)
            .clamp(7, 48) as u16;
        vec![
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(objects),
            Constraint::Fill(1),
        ]
    };
    window(
        f,
        area,
        ctx,
        ui.table(ViewId::Diagnostics),
        &["SEVERITY", "CODE", "ISTIO", "OBJECTS", "TITLE"],
        widths,
        rows.len(),
        |i| {
            let r = &rows[i];
            vec![
                Line::from(Span::styled(
                    r.severity.label(),
                    th.style(severity_role(r.severity)),
                )),
                Line::from(r.code),
                Line::from(Span::styled(
                    r.istio.map(|c| c.code).unwrap_or("-"),
                    th.style(Role::Muted),
                )),
                Line::from(objects_cell(r)),
                Line::from(if state.diagnostics.is_stale(r) {
                    // Judged on the last known objects of a watch that broke.
                    vec![
                        Span::styled("(stale) ", th.style(Role::Warn)),
                        Span::raw(r.title.clone()),
                    ]
                } else {
                    vec![Span::raw(r.title.clone())]
                }),
            ]
        },
    );
}

/// The lines of one finding's detail (wrapped by the caller).
pub fn detail_lines(state: &AppState, id: &str, th: &Theme, fix_key: &str) -> Vec<Line<'static>> {
    let Some(f) = find(state, id) else {
        return vec![Line::styled(
            "This finding is gone: the problem was fixed, or its objects changed or were deleted.",
            th.style(Role::Ok),
        )];
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(f.severity.label(), th.style(severity_role(f.severity))),
            Span::raw(format!("  {}  ", f.code)),
            Span::styled(f.title.clone(), th.style(Role::Title)),
        ]),
        Line::raw(""),
    ];
    if state.diagnostics.is_stale(f) {
        let since = state
            .stale_since
            .map(|t| format!(" since {}", super::time::local_hms(t)))
            .unwrap_or_default();
        out.push(Line::styled(
            format!(
                "Stale: judged on the last known objects; their watch has not been live{since}.                  Re-judged when it is."
            ),
            th.style(Role::Warn),
        ));
        out.push(Line::raw(""));
    }
    if let Some(i) = f.istio {
        out.push(Line::from(vec![
            Span::styled("Istio analyzer: ", th.style(Role::Muted)),
            Span::raw(format!("{} {}", i.code, i.name)),
        ]));
        out.push(Line::raw(""));
    }
    out.push(Line::styled("Objects:", th.style(Role::Title)));
    for o in &f.objects {
        let name = if o.namespace.is_empty() {
            o.name.clone()
        } else {
            format!("{}/{}", o.namespace, o.name)
        };
        out.push(Line::raw(format!("  {} {name}", o.kind)));
    }
    out.push(Line::raw(""));
    out.push(Line::styled("What is wrong:", th.style(Role::Title)));
    out.push(Line::raw(f.explanation.clone()));
    out.push(Line::raw(""));
    match &f.fix {
        Some(fix) if state.read_only => out.push(Line::from(vec![
            Span::styled("Fix: ", th.style(Role::Title)),
            Span::raw(fix.describe()),
            Span::styled(
                "  (read-only mode: writes are disabled)",
                th.style(Role::Warn),
            ),
        ])),
        Some(fix) => out.push(Line::from(vec![
            Span::styled(format!("Fix ({fix_key}): "), th.style(Role::Title)),
            Span::styled(fix.describe(), th.style(Role::Accent)),
            Span::styled(
                "  opens the dialog; nothing is written before its confirm",
                th.style(Role::Muted),
            ),
        ])),
        None => out.push(Line::styled(
            "Fix: none the console can make; see above for what to change.",
            th.style(Role::Muted),
        )),
    }
    out
}

/// One finding, wrapped to the width, scrolled with j/k.
pub fn detail(
    f: &mut Frame,
    area: Rect,
    state: &AppState,
    ui: &mut ViewState,
    ctx: &Ctx,
    id: &str,
) {
    let th = ctx.theme;
    let fix_key = ctx
        .keymap
        .key_for(ViewId::Diagnostics, Action::FixFinding)
        .unwrap_or_else(|| "unbound".into());
    let mut lines = vec![Line::styled(
        format!("Finding   (esc: back, {fix_key}: fix)"),
        th.style(Role::Title),
    )];
    lines.extend(detail_lines(state, id, th, &fix_key));
    let scroll = ui.detail_scroll.entry(ViewId::Diagnostics).or_default();
    let rows = safe::scroll_window(
        lines,
        usize::from(area.width),
        usize::from(area.height),
        scroll,
        None,
    );
    f.render_widget(Paragraph::new(rows), area);
}

/// The Diagnostics view's part of `?` help.
pub fn help_notes(th: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::styled(
        "Findings (the header counts them on every view)",
        th.style(Role::Title),
    )];
    for t in [
        "Sorted by severity, then code. ISTIO: the istioctl analyze",
        "message that says the same, if any. Enter: explanation,",
        "objects and the fix. F: the fix opens the console's own",
        "dialog (injection labels, rollout restart, bulk restart,",
        "weight editor); nothing is written before its confirm.",
        "Only listed kinds are judged: a kind syncing, forbidden or",
        "not installed gives no finding. Checks across namespaces",
        "need all namespaces (0).",
    ] {
        out.push(Line::raw(format!("  {t}")));
    }
    out.push(Line::raw("  Codes:"));
    for c in crate::model::diagnostics::CATALOG {
        out.push(Line::from(vec![
            Span::styled(format!("  {:<9}", c.code), th.style(Role::KeyHint)),
            Span::styled(
                format!("{:<8}", c.severity.label()),
                th.style(severity_role(c.severity)),
            ),
            Span::raw(c.summary),
        ]));
    }
    out
}
