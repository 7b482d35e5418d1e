//! Table views. Only the rows in the window are built, so a frame costs the same with 10
//! or 10,000 objects.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table, TableState};

use super::theme::Role;
use super::{Ctx, safe};
use crate::cluster::kinds::Kind;
use crate::cluster::objects::MtlsMode;
use crate::model::frontends::FrontendMode;
use crate::model::mesh::{ControlPlaneState, MtlsSource};
use crate::state::AppState;
use crate::state::action::ViewId;
use crate::state::derived::RouteRow;
use crate::state::view_state::ViewState;
use crate::text::width;

/// Renders rows `[offset, offset + height)` of `len`, keeping the selection in view.
/// `widths` sees the visible range, so columns can fit what is on screen. Every cell is
/// sanitised and, when wider than its column, cut with `…` (`safe::fit`).
#[allow(clippy::too_many_arguments)]
pub(crate) fn window<'a>(
    f: &mut Frame,
    area: Rect,
    ctx: &Ctx,
    ts: &mut TableState,
    headers: &[&'a str],
    widths: impl Fn(std::ops::Range<usize>) -> Vec<Constraint>,
    len: usize,
    row: impl Fn(usize) -> Vec<Line<'a>>,
) {
    let th = ctx.theme;
    let height = usize::from(area.height.saturating_sub(1)).max(1);
    let sel = ts.selected().unwrap_or(0).min(len.saturating_sub(1));
    let mut offset = ts.offset();
    if sel < offset {
        offset = sel;
    } else if sel >= offset + height {
        offset = sel + 1 - height;
    }
    offset = offset.min(len.saturating_sub(height.min(len)));
    *ts = TableState::default()
        .with_selected(Some(sel))
        .with_offset(offset);
    let end = (offset + height).min(len);
    let constraints = widths(offset..end);
    let cols = column_widths(&constraints, COLUMN_SPACING, area.width);
    let cells = |lines: Vec<Line<'a>>| fitted_row(lines, &cols);
    let rows: Vec<Row> = (offset..end).map(|i| cells(row(i))).collect();
    let mut local =
        TableState::default().with_selected(if len == 0 { None } else { Some(sel - offset) });
    let header =
        cells(headers.iter().map(|h| Line::from(*h)).collect()).style(th.style(Role::TableHeader));
    let table = Table::new(rows, constraints)
        .header(header)
        .row_highlight_style(th.style(Role::Selection))
        .column_spacing(COLUMN_SPACING);
    f.render_stateful_widget(table, area, &mut local);
}

const COLUMN_SPACING: u16 = 2;

/// The columns' widths as `Table` lays them out (no highlight symbol), so each cell can be
/// cut to its own width with a marker instead of at the border without one.
pub(crate) fn column_widths(constraints: &[Constraint], spacing: u16, width: u16) -> Vec<usize> {
    Layout::horizontal(constraints.iter().copied())
        .spacing(spacing)
        .split(Rect::new(0, 0, width, 1))
        .iter()
        .map(|r| usize::from(r.width))
        .collect()
}

/// A table row of sanitised cells, each cut with `…` to its column's width.
pub(crate) fn fitted_row<'a>(lines: Vec<Line<'a>>, cols: &[usize]) -> Row<'a> {
    Row::new(
        lines
            .into_iter()
            .zip(cols)
            .map(|(l, w)| Cell::from(safe::fit(l, *w))),
    )
}

pub(super) fn empty(f: &mut Frame, area: Rect, ctx: &Ctx, state: &AppState, what: &str) {
    let msg = if state.active_filter().is_empty() {
        format!("No {what}.")
    } else {
        format!("No {what} match the filter.")
    };
    f.render_widget(
        Paragraph::new(msg).style(ctx.theme.style(Role::Muted)),
        area,
    );
}

pub fn routes(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let rows = &state.derived.routes;
    if rows.is_empty() {
        return empty(f, area, ctx, state, "routes");
    }
    let th = ctx.theme;
    // Columns fit the visible rows (capped), and PROBLEMS takes what is left: the one
    // column that must never be starved.
    let fit =
        |range: std::ops::Range<usize>, cap: u16, min: u16, f: &dyn Fn(&RouteRow) -> usize| {
            let w = rows[range].iter().map(f).max().unwrap_or(0);
            Constraint::Length((w.min(usize::from(cap)) as u16).max(min))
        };
    let widths = |r: std::ops::Range<usize>| {
        vec![
            fit(r.clone(), 14, 9, &|x| x.kind.kind().len()),
            fit(r.clone(), 44, 14, &|x| width(&x.key.to_string())),
            fit(r.clone(), 28, 9, &|x| width(&x.hostnames)),
            fit(r.clone(), 32, 7, &|x| width(&x.parents)),
            Constraint::Length(5),
            fit(r.clone(), 40, 8, &|x| width(&x.backends)),
            fit(r, 15, 6, &|x| x.status.len()),
            Constraint::Min(24),
        ]
    };
    window(
        f,
        area,
        ctx,
        ui.table(ViewId::Routes),
        &[
            "KIND",
            "NAMESPACE/NAME",
            "HOSTNAMES",
            "PARENTS",
            "RULES",
            "BACKENDS",
            "STATUS",
            "PROBLEMS",
        ],
        widths,
        rows.len(),
        |i| {
            let r = &rows[i];
            let status_role = if r.status == "Accepted" {
                Role::Ok
            } else {
                Role::Warn
            };
            vec![
                Line::from(r.kind.kind()),
                Line::from(r.key.to_string()),
                Line::from(r.hostnames.clone()),
                Line::from(r.parents.clone()),
                Line::from(r.rules.to_string()),
                Line::from(r.backends.clone()),
                Line::from(Span::styled(r.status, th.style(status_role))),
                Line::from(Span::styled(r.problems.join("; "), th.style(Role::Error))),
            ]
        },
    );
}

pub fn frontends(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let albs = &state.derived.albs;
    let gws = &state.derived.frontends;
    if albs.is_empty() && gws.is_empty() {
        return empty(f, area, ctx, state, "frontends");
    }
    let th = ctx.theme;
    // Fixed columns first, the rest shared: with percentages the DETAILS column (mode,
    // FrontendTLSPolicy, hosts) was cut even at 220 columns.
    let widths = [
        Constraint::Length(28),
        Constraint::Fill(2),
        Constraint::Fill(3),
        Constraint::Length(6),
        Constraint::Fill(5),
    ];
    let cond = |s: Option<&String>| match s.map(String::as_str) {
        Some("True") => Span::styled("True", th.style(Role::Ok)),
        Some(other) => Span::styled(other.to_string(), th.style(Role::Error)),
        None => Span::styled("-", th.style(Role::Muted)),
    };
    window(
        f,
        area,
        ctx,
        ui.table(ViewId::Frontends),
        &[
            "TYPE",
            "NAMESPACE/NAME",
            "FRONTEND / FQDN",
            "READY",
            "DETAILS",
        ],
        |_| widths.to_vec(),
        albs.len() + gws.len(),
        |i| {
            if let Some(a) = albs.get(i) {
                let gws: Vec<String> = a.gateways.iter().map(|g| g.to_string()).collect();
                return vec![
                    Line::from("ApplicationLoadBalancer"),
                    Line::from(a.alb.key.to_string()),
                    Line::from(a.deployment_message.clone()),
                    Line::from(cond(a.deployment.as_ref())),
                    Line::from(format!(
                        "gateways: {}  subnets: {}",
                        if gws.is_empty() {
                            "-".into()
                        } else {
                            gws.join(",")
                        },
                        a.alb.associations.len()
                    )),
                ];
            }
            let g = &gws[i - albs.len()];
            let addrs: Vec<&str> = g.addresses.iter().map(|(_, v)| v.as_str()).collect();
            let (mode, role) = match &g.mode {
                FrontendMode::AgcManaged {
                    alb,
                    alb_exists: Some(false),
                } => (format!("AGC managed by {alb} (ALB NOT FOUND)"), Role::Error),
                FrontendMode::AgcManaged { alb, .. } => {
                    (format!("AGC managed by {alb}"), Role::Text)
                }
                FrontendMode::AgcByo { alb_id } => (
                    format!("AGC BYO {}", alb_id.rsplit('/').next().unwrap_or(alb_id)),
                    Role::Text,
                ),
                FrontendMode::AgcUnbound => (
                    "AGC class without alb-name/alb-id annotation".into(),
                    Role::Error,
                ),
                FrontendMode::Other { controller } => (controller.clone(), Role::Muted),
            };
            let mut details = vec![Span::styled(mode, th.style(role))];
            if !g.tls_policies.is_empty() {
                details.push(Span::raw(format!(
                    "  FrontendTLSPolicy {}",
                    g.tls_policies.join(",")
                )));
            }
            if !g.hostnames.is_empty() {
                details.push(Span::styled(
                    format!("  hosts {}", g.hostnames.join(",")),
                    th.style(Role::Muted),
                ));
            }
            vec![
                Line::from(format!("Gateway ({})", g.class)),
                Line::from(g.gateway.to_string()),
                Line::from(if addrs.is_empty() {
                    Span::styled("no address", th.style(Role::Warn))
                } else {
                    Span::raw(addrs.join(","))
                }),
                Line::from(cond(g.programmed.as_ref())),
                Line::from(details),
            ]
        },
    );
}

pub fn mesh(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let rows = &state.derived.mesh;
    if rows.is_empty() {
        return empty(f, area, ctx, state, "namespaces");
    }
    let th = ctx.theme;
    // Fixed columns first, the rest shared: percentages cut "CONFLICT: both labels" and the
    // NEED RESTART header at 150 columns.
    let widths = [
        Constraint::Fill(3),
        Constraint::Fill(7),
        Constraint::Fill(5),
        Constraint::Fill(3),
        Constraint::Length(11),
        Constraint::Length(12),
    ];
    // Counts from a kind that is not listed (syncing, forbidden) are unknown, not zero: a
    // forbidden pod list must not read as "nothing needs a restart".
    let pods_known = state.is_live(Kind::Pods);
    let cps_known = state.is_live(Kind::ControlPlanes);
    let mtls_known = state.is_live(Kind::PeerAuthentications);
    let unknown = || Span::styled("?", th.style(Role::Muted));
    window(
        f,
        area,
        ctx,
        ui.table(ViewId::Mesh),
        &[
            "NAMESPACE",
            "INJECTION",
            "CONTROL PLANE",
            "mTLS",
            "SIDECARS",
            "NEED RESTART",
        ],
        |_| widths.to_vec(),
        rows.len(),
        |i| {
            let r = &rows[i];
            let mut inj = vec![Span::raw(r.injection.effective.label())];
            if r.injection.conflict {
                inj.push(Span::styled(
                    " CONFLICT: both labels",
                    th.style(Role::Error),
                ));
            }
            let cp = match &r.control_plane {
                ControlPlaneState::NotNeeded => Span::styled("-", th.style(Role::Muted)),
                _ if !cps_known => unknown(),
                ControlPlaneState::Present {
                    revision,
                    namespace,
                    ready,
                    desired,
                } if *ready <= 0 => Span::styled(
                    // As in the chooser and MESH008: pods restarted here may not be created.
                    format!("{revision} {ready}/{desired} NOT READY ({namespace})"),
                    th.style(Role::Error),
                ),
                ControlPlaneState::Present {
                    revision,
                    namespace,
                    ready,
                    desired,
                } => Span::styled(
                    format!("{revision} ({namespace} {ready}/{desired})"),
                    th.style(Role::Ok),
                ),
                ControlPlaneState::Missing { wanted } => {
                    Span::styled(format!("MISSING for {wanted}"), th.style(Role::Error))
                }
            };
            let src = match &r.mtls.source {
                MtlsSource::Namespace(_) => "ns",
                MtlsSource::MeshWide(_) => "mesh",
                MtlsSource::Default => "default",
            };
            let mtls_role = match r.mtls.mode {
                MtlsMode::Strict => Role::Ok,
                MtlsMode::Disable => Role::Warn,
                _ => Role::Text,
            };
            let mut mtls = format!("{} ({src})", r.mtls.mode.as_str());
            if r.mtls.workload_policies > 0 {
                mtls.push_str(&format!(" +{}", r.mtls.workload_policies));
            }
            let restart = if !pods_known || !cps_known {
                unknown()
            } else if r.needs_restart > 0 {
                Span::styled(r.needs_restart.to_string(), th.style(Role::Error))
            } else {
                Span::styled("0", th.style(Role::Muted))
            };
            vec![
                Line::from(r.namespace.clone()),
                Line::from(inj),
                Line::from(cp),
                Line::from(if mtls_known {
                    Span::styled(mtls, th.style(mtls_role))
                } else {
                    unknown()
                }),
                Line::from(if pods_known {
                    Span::raw(if r.gateways > 0 {
                        format!("{}/{} +{} gw", r.with_sidecar, r.pods, r.gateways)
                    } else {
                        format!("{}/{}", r.with_sidecar, r.pods)
                    })
                } else {
                    unknown()
                }),
                Line::from(restart),
            ]
        },
    );
}
