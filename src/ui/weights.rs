//! The weight editor overlay: one row per backend with the weight it had, the draft, its
//! live share and a bar; the cluster's current weights beside them when the route changed
//! meanwhile; the editor's own keys at the bottom.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Role;
use super::{Ctx, hints};
use crate::config::Keymap;
use crate::model::weights::format_percent;
use crate::state::modal_action::WeightsAction;
use crate::state::weights::{Drift, Note, Scale, WeightEditor};

const BAR: usize = 20;

fn bar(pct: f64) -> String {
    let filled = ((pct / 100.0) * BAR as f64).round() as usize;
    let filled = if pct > 0.0 { filled.max(1) } else { 0 }.min(BAR);
    format!("{}{}", "█".repeat(filled), "·".repeat(BAR - filled))
}

pub fn lines(e: &WeightEditor, ctx: &Ctx) -> Vec<Line<'static>> {
    let th = ctx.theme;
    let scale = match e.scale() {
        Scale::Relative => "Gateway API: relative weights 0–1,000,000; share = weight / total",
        Scale::Percent => "VirtualService: percentages, must sum to 100",
    };
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                format!("{}/{}  ", e.rule + 1, e.rules.max(1)),
                th.style(Role::Muted),
            ),
            Span::styled(e.rule_label.clone(), th.style(Role::Accent)),
        ]),
        Line::styled(scale, th.style(Role::Muted)),
        Line::raw(""),
    ];
    let label_w = e
        .backends
        .iter()
        .map(|b| b.label.chars().count())
        .max()
        .unwrap_or(7)
        .clamp(7, 44);
    let fresh = match &e.drift {
        Drift::Changed { weights, .. } => Some(weights.clone()),
        _ => None,
    };
    let mut head = format!(
        "  {:<label_w$}  {:>9}    {:>9}  {:>6}  {:<BAR$}",
        "BACKEND", "WAS", "DRAFT", "SHARE", "TRAFFIC"
    );
    if fresh.is_some() {
        head.push_str("  CLUSTER NOW");
    }
    out.push(Line::styled(head, th.style(Role::Title)));
    let pct = e.percent();
    for (i, b) in e.backends.iter().enumerate() {
        let selected = i == e.cursor;
        let draft = match (&e.typing, selected) {
            (Some(t), true) => format!("[{t}_]"),
            _ => b.weight.to_string(),
        };
        let changed = b.weight != b.before;
        let label: String = b.label.chars().take(label_w).collect();
        let mut spans = vec![
            Span::styled(if selected { "▶ " } else { "  " }, th.style(Role::Accent)),
            Span::styled(
                format!("{label:<label_w$}"),
                if selected {
                    th.style(Role::Selection)
                } else {
                    th.style(Role::Text)
                },
            ),
            Span::styled(format!("  {:>9}", b.before), th.style(Role::Muted)),
            Span::styled(if changed { "  → " } else { "    " }, th.style(Role::Muted)),
            Span::styled(
                format!("{draft:>9}"),
                if changed {
                    th.style(Role::Warn)
                } else {
                    th.style(Role::Text)
                },
            ),
            Span::styled(
                format!("  {:>6}  ", format_percent(pct[i])),
                th.style(if b.invalid_kind {
                    Role::Error
                } else {
                    Role::Text
                }),
            ),
            Span::styled(
                bar(pct[i]),
                th.style(if b.invalid_kind {
                    Role::Error
                } else {
                    Role::Accent
                }),
            ),
        ];
        if let Some(f) = &fresh {
            let now = f.get(i).copied().unwrap_or_default();
            let role = if now != b.before {
                Role::Error
            } else {
                Role::Muted
            };
            spans.push(Span::styled(format!("  {now:>11}"), th.style(role)));
        }
        if b.invalid_kind {
            // Gateway API InvalidKind: this weight only sets how many requests get a 500.
            spans.push(Span::styled(
                "  → HTTP 500: unsupported kind",
                th.style(Role::Error),
            ));
        }
        out.push(Line::from(spans));
    }
    out.push(Line::raw(""));
    let total = e.total();
    let total_role = match e.scale() {
        Scale::Percent if e.backends.len() > 1 && total != 100 => Role::Error,
        Scale::Relative if total == 0 && !e.backends.is_empty() => Role::Error,
        _ => Role::Ok,
    };
    let mut summary = vec![
        Span::raw("total "),
        Span::styled(total.to_string(), th.style(total_role)),
    ];
    if e.scale() == Scale::Percent && e.backends.len() > 1 && total != 100 {
        summary.push(Span::styled(
            format!(
                " (must be 100: {} normalises)",
                hints::key(ctx.keymap, WeightsAction::Normalise)
            ),
            th.style(Role::Error),
        ));
    }
    if e.scale() == Scale::Relative && total == 0 && !e.backends.is_empty() {
        summary.push(Span::styled(
            " (all zero: NO traffic)",
            th.style(Role::Error),
        ));
    }
    summary.push(Span::styled(
        if e.modified() {
            "   draft modified"
        } else {
            "   no changes"
        },
        th.style(Role::Muted),
    ));
    out.push(Line::from(summary));
    match &e.drift {
        Drift::None => {}
        Drift::Changed {
            resource_version, ..
        } => out.push(Line::styled(
            format!(
                "The route changed in the cluster (resourceVersion {} → {resource_version}): \
                 {} keeps your draft on it, {} takes its weights.",
                e.resource_version,
                hints::key(ctx.keymap, WeightsAction::Rebase),
                hints::key(ctx.keymap, WeightsAction::Reset),
            ),
            th.style(Role::Warn),
        )),
        Drift::Reshaped(why) => out.push(Line::styled(
            format!(
                "{why}: this draft cannot be applied; {} reloads, {} closes.",
                hints::key(ctx.keymap, WeightsAction::Reset),
                hints::key(ctx.keymap, WeightsAction::Close),
            ),
            th.style(Role::Error),
        )),
    }
    if let Some(n) = &e.note {
        let (text, role) = match n {
            Note::Info(t) => (t, Role::Muted),
            Note::Warn(t) => (t, Role::Warn),
            Note::Error(t) => (t, Role::Error),
        };
        let text = hints::fill::<WeightsAction>(ctx.keymap, text);
        out.push(Line::styled(text, th.style(role)));
    }
    out.push(Line::raw(""));
    for keys in key_lines(ctx.keymap) {
        out.push(Line::styled(keys, th.style(Role::KeyHint)));
    }
    out
}

/// The editor's own keys at its bottom, from `[keys.weights]`.
fn key_lines(km: &Keymap) -> [String; 3] {
    use WeightsAction as A;
    let typing = hints::keys(km, &[A::TypeValue])
        .map(|k| format!("0-9 or {k}"))
        .unwrap_or_else(|| "0-9".to_string());
    let type_value = format!("{typing} type a value");
    // A step names its second keys too: arrows beside +/-, >/< beside L/H.
    let step = |up: A, down: A, alt: [A; 2], what: &str| {
        let first = hints::keys(km, &[up, down])?;
        Some(match hints::second_keys(km, &alt) {
            Some(second) => format!("{first} or {second} {what}"),
            None => format!("{first} {what}"),
        })
    };
    let first = [
        hints::keys(km, &[A::Down, A::Up]).map(|k| format!("{k} backend")),
        step(A::Increase, A::Decrease, [A::Decrease, A::Increase], "±1"),
        step(
            A::IncreaseMore,
            A::DecreaseMore,
            [A::IncreaseMore, A::DecreaseMore],
            "±10",
        ),
        Some(type_value),
        hints::keys(km, &[A::EvenSplit]).map(|k| format!("{k} even split")),
    ];
    [
        first.into_iter().flatten().collect::<Vec<_>>().join("   "),
        hints::line(
            km,
            &[
                (&[A::CanaryPreset], "canary 0/10/50/100 to the selected"),
                (&[A::Normalise], "normalise to 100"),
                (&[A::Reset], "reset"),
                (&[A::Rebase], "rebase on the cluster's"),
            ],
            "   ",
        ),
        hints::line(
            km,
            &[
                (&[A::NextRule, A::PreviousRule], "other rule"),
                (&[A::Review], "review diff & confirm"),
                (&[A::Close], "close (twice if modified)"),
            ],
            "   ",
        ),
    ]
}

pub fn draw(f: &mut Frame, area: Rect, e: &WeightEditor, ctx: &Ctx) {
    let th = ctx.theme;
    let text: Vec<Line> = lines(e, ctx).into_iter().map(super::safe::line).collect();
    let widest = text.iter().map(|l| l.width()).max().unwrap_or(40) as u16;
    let width = (widest + 2).min(area.width.saturating_sub(4)).min(130);
    // Long notes (a server's refusal) wrap: count the rows they take.
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let rows: usize = text.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = (rows as u16 + 2).min(area.height);
    let r = super::dialog::centered(area, width, height);
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(crate::text::sanitize_owned(format!(
            " Weights · {} {} ",
            e.kind.kind(),
            e.key
        )))
        .border_style(th.style(Role::BorderFocus))
        .style(th.style(Role::Modal));
    f.render_widget(
        Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_show_any_traffic_and_never_overflow() {
        assert_eq!(bar(0.0), "·".repeat(BAR));
        assert!(bar(0.01).starts_with('█'), "a trickle is visible");
        assert_eq!(bar(100.0), "█".repeat(BAR));
        assert_eq!(bar(50.0).chars().filter(|c| *c == '█').count(), BAR / 2);
    }
}
