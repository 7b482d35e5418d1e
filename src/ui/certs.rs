//! The Certificates view: the inventory table (only visible rows built) and one row's detail.

use jiff::Timestamp;
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Ctx;
use super::tables::window;
use super::theme::{Role, Theme};
use crate::model::certs::{Band, CertRow};
use crate::state::AppState;
use crate::state::action::ViewId;
use crate::state::view_state::ViewState;
use crate::text::width;

pub fn band_role(b: Band) -> Role {
    match b {
        Band::Expired => Role::SeverityCritical,
        Band::Unparseable | Band::NotReady | Band::Critical => Role::Error,
        Band::Warning | Band::NotYetValid => Role::Warn,
        Band::Soon => Role::Info,
        Band::Ok => Role::Ok,
    }
}

fn datetime(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// What the SUBJECT column shows: the CN, or why there is none.
fn subject_cell(r: &CertRow) -> String {
    match &r.problem {
        Some(p) => p.clone(),
        None => r.subject(),
    }
}

pub fn table(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let rows = &state.derived.certs;
    let th = ctx.theme;
    if rows.is_empty() {
        let msg = if state.active_filter().is_empty() {
            "No certificates: no TLS Secrets, Istio CA, PEM ConfigMaps or cert-manager \
             Certificates in scope."
        } else {
            "No certificates match the filter."
        };
        f.render_widget(Paragraph::new(msg).style(th.style(Role::Muted)), area);
        return;
    }
    let fit =
        |range: std::ops::Range<usize>, cap: usize, min: usize, f: &dyn Fn(&CertRow) -> usize| {
            rows[range].iter().map(f).max().unwrap_or(0).clamp(min, cap)
        };
    // USED BY matters as much as SOURCE: both share what BAND, DAYS, SUBJECT and CHAIN
    // leave, SOURCE taking at most what leaves USED BY 30 columns. The detail has it all.
    let avail = usize::from(area.width).saturating_sub(2 * 5);
    let widths = |r: std::ops::Range<usize>| {
        let band = fit(r.clone(), 13, 4, &|x| x.band.label().len());
        let subject = fit(r.clone(), 28, 7, &|x| width(&subject_cell(x)));
        let chain = fit(r.clone(), 18, 5, &|x| width(&x.place()));
        let rest = avail.saturating_sub(band + 5 + subject + chain);
        let source = fit(r, 64, 6, &|x| width(&x.source()))
            .min(rest.saturating_sub(30))
            .max(24.min(rest));
        [band, 5, source, subject, chain]
            .into_iter()
            .map(|w| Constraint::Length(w as u16))
            .chain(std::iter::once(Constraint::Fill(1)))
            .collect()
    };
    window(
        f,
        area,
        ctx,
        ui.table(ViewId::Certs),
        &["BAND", "DAYS", "SOURCE", "SUBJECT", "CHAIN", "USED BY"],
        widths,
        rows.len(),
        |i| {
            let r = &rows[i];
            let role = band_role(r.band);
            let subject = match &r.problem {
                Some(p) => Span::styled(p.clone(), th.style(Role::Error)),
                None => Span::raw(r.subject()),
            };
            let used = if r.used_by.is_empty() {
                Span::styled("-", th.style(Role::Muted))
            } else {
                Span::raw(r.used_by.join("; "))
            };
            vec![
                Line::from(Span::styled(r.band.label(), th.style(role))),
                Line::from(Span::styled(
                    r.days_left.map(|d| d.to_string()).unwrap_or("-".into()),
                    th.style(role),
                )),
                Line::from(r.source()),
                Line::from(subject),
                Line::from(r.place()),
                Line::from(used),
            ]
        },
    );
}

fn field(name: &str, value: impl Into<String>) -> Line<'static> {
    Line::raw(format!("{name:<14}{}", value.into()))
}

fn status_line(r: &CertRow, th: &Theme) -> Line<'static> {
    let text = match (r.band, r.days_left) {
        (Band::Expired, Some(d)) if d < 0 => format!("EXPIRED {} days ago", -d),
        (Band::Expired, _) => "EXPIRED".to_string(),
        (b, Some(d)) => format!("{}: {d} days left", b.label()),
        (b, None) => b.label().to_string(),
    };
    Line::from(vec![
        Span::raw(format!("{:<14}", "status")),
        Span::styled(text, th.style(band_role(r.band))),
    ])
}

/// Word-wraps a long message (cert-manager's ACME errors) to `width` columns.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Title and lines of the detail of the row the Certificates view has open.
pub fn detail_lines(state: &AppState, th: &Theme) -> (String, Vec<Line<'static>>) {
    let Some(r) = &state.derived.cert_detail else {
        return (
            "Certificate".into(),
            vec![Line::styled(
                "This certificate is no longer in the inventory.",
                th.style(Role::Warn),
            )],
        );
    };
    let mut out = Vec::new();
    let id = &r.id;
    out.push(field("source", format!("{} {}", id.kind.label(), id.key)));
    if !r.also_in.is_empty() {
        out.push(field(
            "same copy in",
            format!(
                "{} more namespace(s): {}",
                r.also_in.len(),
                r.also_in.join(", ")
            ),
        ));
    }
    if !id.data_key.is_empty() {
        out.push(field(
            "data key",
            format!("{} (entry {} of {})", id.data_key, id.index, r.of),
        ));
    }
    out.push(status_line(r, th));
    if let Some(p) = &r.problem {
        out.push(Line::from(vec![
            Span::raw(format!("{:<14}", "unparseable")),
            Span::styled(p.clone(), th.style(Role::Error)),
        ]));
    }
    if let Some(f) = &r.facts {
        out.push(field("subject", f.subject.clone()));
        out.push(field("issuer", f.issuer.clone()));
        out.push(field(
            "SANs",
            if f.sans.is_empty() {
                "-".to_string()
            } else {
                f.sans.join(", ")
            },
        ));
        out.push(field("serial", f.serial.clone()));
        out.push(field("key", f.key_type.clone()));
        out.push(field("not before", datetime(f.not_before)));
        out.push(field("not after", datetime(f.not_after)));
        out.push(field(
            "chain",
            format!(
                "{}{}",
                f.chain_place().label(),
                if f.is_ca { ", CA:true" } else { "" }
            ),
        ));
    }
    if let Some(c) = &r.cm {
        out.push(field("secret", format!("{}/{}", c.key.ns, c.secret_name)));
        if let Some(cn) = &c.common_name {
            out.push(field("common name", cn.clone()));
        }
        out.push(field("DNS names", c.dns_names.join(", ")));
        out.push(field("issuer", c.issuer_ref.clone()));
        let t = |v: Option<Timestamp>| v.map(datetime).unwrap_or_else(|| "-".into());
        out.push(field("not before", t(c.not_before)));
        out.push(field("not after", t(c.not_after)));
        out.push(field("renewal", t(c.renewal_time)));
        if let Some(n) = c.failed_attempts {
            out.push(Line::styled(
                format!("{:<14}{n}", "failed tries"),
                th.style(Role::Error),
            ));
        }
        for cond in &c.conditions {
            let role = match (cond.type_.as_str(), cond.is_true()) {
                ("Ready", true) => Role::Ok,
                ("Issuing", true) => Role::Info,
                (_, true) => Role::Text,
                _ => Role::Error,
            };
            out.push(Line::styled(
                format!(
                    "{:<14}{}={} {}",
                    "condition", cond.type_, cond.status, cond.reason
                ),
                th.style(role),
            ));
            for part in wrap(&cond.message, 100) {
                out.push(Line::styled(format!("{:<14}{part}", ""), th.style(role)));
            }
        }
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Used by", th.style(Role::Title)));
    if r.used_by.is_empty() {
        out.push(Line::styled(
            "  nothing the console watches refers to it",
            th.style(Role::Muted),
        ));
    }
    for u in &r.used_by {
        out.push(Line::raw(format!("  {u}")));
    }
    (r.source(), out)
}

/// The Certificates part of `?` help.
pub fn help_lines(state: &AppState, th: &Theme) -> Vec<Line<'static>> {
    let b = state.cert_bands;
    vec![
        Line::raw(""),
        Line::styled("Certificates", th.style(Role::Title)),
        Line::raw("  One row per certificate (every PEM block) and per cert-manager Certificate,"),
        Line::raw("  soonest expiry first; unreadable data first of all, with the reason."),
        Line::from(vec![
            Span::raw("  Bands (config [certs] bands): "),
            Span::styled("EXPIRED", th.style(band_role(Band::Expired))),
            Span::raw(", "),
            Span::styled(
                format!("CRITICAL ≤{}d", b.critical),
                th.style(band_role(Band::Critical)),
            ),
            Span::raw(", "),
            Span::styled(
                format!("WARNING ≤{}d", b.warning),
                th.style(band_role(Band::Warning)),
            ),
            Span::raw(", "),
            Span::styled(
                format!("SOON ≤{}d", b.soon),
                th.style(band_role(Band::Soon)),
            ),
            Span::raw(", "),
            Span::styled("OK", th.style(band_role(Band::Ok))),
        ]),
        Line::raw("  Enter: every field (issuer, SANs, serial, key, dates, used by)."),
        Line::raw("  / filters on source, subject, band, chain and users (e.g. /expired)."),
        Line::raw("  Same list without the console: meshctl-tui certs [-o json]."),
    ]
}
