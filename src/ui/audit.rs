//! The `:audit` overlay: the audit log newest first, and the selected entry's patch.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Row, Table, TableState, Wrap};

use super::theme::Role;
use super::{Ctx, hints, safe};
use crate::audit::{AuditEntry, AuditResult, AuditRow};
use crate::state::audit_view::AuditView;
use crate::state::modal_action::AuditAction;

pub const HEADERS: [&str; 7] = [
    "TIME", "CONTEXT", "USER", "VERB", "OBJECT", "DRY RUN", "OUTCOME",
];

fn result_role(r: &AuditResult) -> Role {
    match r.result.as_str() {
        "applied" | "passed" => Role::Ok,
        "conflict" | "unsupported" => Role::Warn,
        _ => Role::Error,
    }
}

/// `2026-01-01T12:03:07.123Z` → `2026-01-01 12:03:07` (what does not parse is shown as is).
fn short_time(t: &str) -> String {
    t.parse::<jiff::Timestamp>()
        .map(|ts| ts.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|_| t.to_string())
}

/// The cells of one row, each with its theme role.
pub fn cells(row: &AuditRow) -> Vec<(String, Role)> {
    match row {
        AuditRow::Entry(e) => {
            let outcome = match &e.outcome {
                Some(o) => (o.result.clone(), result_role(o)),
                // The dry run refused: nothing was sent for real.
                None => ("not sent".into(), Role::Muted),
            };
            vec![
                (short_time(&e.time), Role::Muted),
                (e.context.clone(), Role::Text),
                (e.user.clone().unwrap_or_else(|| "-".into()), Role::Text),
                (e.verb.clone(), Role::Accent),
                (e.object.display(), Role::Text),
                (e.dry_run.result.clone(), result_role(&e.dry_run)),
                outcome,
            ]
        }
        AuditRow::Unreadable { line, text } => {
            let mut cells = vec![(String::new(), Role::Muted); HEADERS.len()];
            cells[0] = (format!("line {line}"), Role::Warn);
            cells[4] = (
                format!(
                    "unreadable line: {}",
                    text.chars().take(60).collect::<String>()
                ),
                Role::Warn,
            );
            cells
        }
    }
}

fn result_line(label: &str, r: &AuditResult) -> Vec<(String, Role)> {
    let msg = r
        .message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    vec![(format!("{label:<9}{}{msg}", r.result), result_role(r))]
}

/// The detail of one row: what, where, the results with the server's words, the patch.
pub fn detail(row: &AuditRow) -> Vec<(String, Role)> {
    let mut out = Vec::new();
    match row {
        AuditRow::Entry(e) => detail_entry(e, &mut out),
        AuditRow::Unreadable { line, text } => {
            out.push((
                format!("line {line} of the audit log is not an audit entry:"),
                Role::Warn,
            ));
            out.push((text.clone(), Role::Text));
        }
    }
    out
}

fn detail_entry(e: &AuditEntry, out: &mut Vec<(String, Role)>) {
    out.push((e.summary.clone(), Role::Title));
    out.push((
        format!(
            "time {}  context {}  user {}",
            e.time,
            e.context,
            e.user.as_deref().unwrap_or("-")
        ),
        Role::Muted,
    ));
    out.extend(result_line("dry run", &e.dry_run));
    match &e.outcome {
        Some(o) => out.extend(result_line("outcome", o)),
        None => out.push((
            "outcome  not sent (the dry run refused)".into(),
            Role::Muted,
        )),
    }
    out.push((
        format!(
            "resourceVersion {} → {}",
            e.resource_version_before.as_deref().unwrap_or("-"),
            e.resource_version_after.as_deref().unwrap_or("-")
        ),
        Role::Muted,
    ));
    let json = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    out.push(("patch:".into(), Role::Title));
    out.extend(
        json(&e.patch)
            .lines()
            .map(|l| (format!("  {l}"), Role::Text)),
    );
    if let Some(u) = &e.undo {
        out.push(("undo patch:".into(), Role::Title));
        out.extend(json(u).lines().map(|l| (format!("  {l}"), Role::Text)));
    }
}

pub fn draw(f: &mut Frame, area: Rect, top: u16, v: &AuditView, scroll: &mut u16, ctx: &Ctx) {
    let th = ctx.theme;
    let area = super::dialog::below_header(area, top);
    f.render_widget(Clear, area);
    let path = v
        .rows
        .as_ref()
        .and_then(|r| r.path.clone())
        .unwrap_or_default();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(th.style(Role::BorderFocus))
        .title(Span::styled(
            crate::text::sanitize_owned(format!(
                " Audit log {path} (newest first; {}: detail, {} there: scroll; {}: close) ",
                hints::key(ctx.keymap, AuditAction::ToggleDetail),
                hints::keys(ctx.keymap, &[AuditAction::Down, AuditAction::Up])
                    .unwrap_or_else(|| "(unbound)".into()),
                hints::key(ctx.keymap, AuditAction::Close),
            )),
            th.style(Role::Title),
        ))
        .style(th.style(Role::Modal));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(rows) = &v.rows else {
        f.render_widget(Paragraph::new("reading the audit log…"), inner);
        return;
    };
    let mut note = Vec::new();
    if let Some(e) = &rows.error {
        note.push(safe::line(Line::styled(e.clone(), th.style(Role::Error))));
    } else if rows.rows.is_empty() {
        note.push(Line::styled(
            "no writes recorded yet",
            th.style(Role::Muted),
        ));
    }
    if !note.is_empty() {
        f.render_widget(Paragraph::new(note).wrap(Wrap { trim: false }), inner);
        return;
    }
    let selected = rows.rows.get(v.selected);
    let detail_lines: Vec<Line> = selected
        .map(detail)
        .unwrap_or_default()
        .into_iter()
        .map(|(t, r)| safe::line(Line::styled(t, th.style(r))))
        .collect();
    if v.detail_only {
        let rows = safe::scroll_window(
            detail_lines,
            usize::from(inner.width),
            usize::from(inner.height),
            scroll,
            None,
        );
        f.render_widget(Paragraph::new(rows), inner);
        return;
    }
    let list_h = (rows.rows.len() as u16 + 1).clamp(2, inner.height / 2);
    let [list, rule, pane] = Layout::vertical([
        Constraint::Length(list_h),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);
    let widths = [
        Constraint::Length(19),
        Constraint::Length(14),
        Constraint::Length(14),
        Constraint::Length(16),
        Constraint::Min(20),
        Constraint::Length(11),
        Constraint::Length(10),
    ];
    // The log is a file anyone with access may have edited: its text is shown sanitised.
    let cols = super::tables::column_widths(&widths, 1, list.width);
    let table_rows = rows.rows.iter().map(|r| {
        let lines = cells(r)
            .into_iter()
            .map(|(t, role)| Line::styled(t, th.style(role)))
            .collect();
        super::tables::fitted_row(lines, &cols)
    });
    let table = Table::new(table_rows, widths)
        .header(Row::new(HEADERS).style(th.style(Role::TableHeader)))
        .row_highlight_style(th.style(Role::Selection));
    let mut ts = TableState::default().with_selected(Some(v.selected));
    f.render_stateful_widget(table, list, &mut ts);
    f.render_widget(
        Paragraph::new(Line::styled(
            "─".repeat(usize::from(rule.width)),
            th.style(Role::Border),
        )),
        rule,
    );
    // The pane shows the entry's first rows; a longer entry says where the rest is.
    let (mut rows, _) = safe::wrap_all(detail_lines, usize::from(pane.width));
    let height = usize::from(pane.height);
    if rows.len() > height && height > 0 {
        rows.truncate(height - 1);
        rows.push(Line::styled(
            format!(
                "… ({}: the whole entry, {} to scroll)",
                hints::key(ctx.keymap, AuditAction::ToggleDetail),
                hints::keys(ctx.keymap, &[AuditAction::Down, AuditAction::Up])
                    .unwrap_or_else(|| "(unbound)".into()),
            ),
            th.style(Role::Muted),
        ));
    }
    f.render_widget(Paragraph::new(rows), pane);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::write::{DryRun, Target, WriteOutcome, WriteReport, rollout_restart};

    fn entry(report: WriteReport) -> AuditRow {
        let req = rollout_restart(
            Target::deployment("shop", "cart"),
            "5",
            "2026-01-01T00:00:00Z".parse().unwrap(),
        );
        let mut e = AuditEntry::from_report("prod", Some("alice"), &req, &report, Some("5"));
        e.time = "2026-03-04T05:06:07.890Z".into();
        AuditRow::Entry(Box::new(e))
    }

    #[test]
    fn rows_show_who_what_and_results_in_their_roles() {
        let applied = entry(WriteReport {
            dry_run: DryRun::Passed,
            outcome: Some(WriteOutcome::Applied {
                resource_version: "6".into(),
                object: serde_json::Value::Null,
            }),
        });
        assert_eq!(
            cells(&applied),
            vec![
                ("2026-03-04 05:06:07".into(), Role::Muted),
                ("prod".into(), Role::Text),
                ("alice".into(), Role::Text),
                ("rollout-restart".into(), Role::Accent),
                ("Deployment shop/cart".into(), Role::Text),
                ("passed".into(), Role::Ok),
                ("applied".into(), Role::Ok),
            ]
        );
        let refused = entry(WriteReport {
            dry_run: DryRun::Rejected(WriteOutcome::Forbidden("no patch for you".into())),
            outcome: None,
        });
        let c = cells(&refused);
        assert_eq!(c[5], ("rejected".into(), Role::Error));
        assert_eq!(c[6], ("not sent".into(), Role::Muted));
        let d = detail(&refused);
        assert!(
            d.iter()
                .any(|(t, r)| t.contains("forbidden: no patch for you") && *r == Role::Error)
        );
        assert!(
            d.iter()
                .any(|(t, _)| t.contains("\"kubectl.kubernetes.io/restartedAt\""))
        );
        let conflict = entry(WriteReport {
            dry_run: DryRun::Passed,
            outcome: Some(WriteOutcome::Conflict {
                current: None,
                message: "x".into(),
            }),
        });
        assert_eq!(cells(&conflict)[6], ("conflict".into(), Role::Warn));
    }

    #[test]
    fn unreadable_lines_show_as_such() {
        let row = AuditRow::Unreadable {
            line: 7,
            text: "{oops".into(),
        };
        let c = cells(&row);
        assert_eq!(c.len(), HEADERS.len());
        assert_eq!(c[0], ("line 7".into(), Role::Warn));
        assert_eq!(c[4], ("unreadable line: {oops".into(), Role::Warn));
        assert_eq!(detail(&row)[1].0, "{oops");
    }
}
