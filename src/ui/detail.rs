//! Drill-in screens: one route, one namespace's workloads and pods, one frontend.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::{Role, Theme};
use super::{Ctx, rollout, safe, tone_role};
use crate::cluster::objects::{ObjKey, RouteKind, find_cond};
use crate::model::inject::{pod_want, restart_reason};
use crate::model::mesh::{ControlPlanes, injection};
use crate::model::routes::{Presence, parent_gateway};
use crate::model::topology::route_node;
use crate::model::tree::Node;
use crate::state::action::Action;
use crate::state::derived::known;
use crate::state::view_state::ViewState;
use crate::state::{AppState, Detail};

fn flatten(n: &Node, depth: usize, th: &Theme, out: &mut Vec<Line<'static>>) {
    let mut spans = vec![Span::raw("  ".repeat(depth))];
    spans.extend(
        n.spans
            .iter()
            .map(|(t, tone)| Span::styled(t.clone(), th.style(tone_role(*tone)))),
    );
    out.push(Line::from(spans));
    for c in &n.children {
        flatten(c, depth + 1, th, out);
    }
}

/// The detail text, and the line of each selectable workload (namespace detail only).
pub fn lines(state: &AppState, th: &Theme) -> (String, Vec<Line<'static>>, Vec<usize>) {
    let mut anchors = Vec::new();
    let cache = &state.cache;
    let mut out = Vec::new();
    let title;
    match state.detail() {
        // Drawn (wrapped) by ui::diagnostics.
        None | Some(Detail::Finding(_)) => return (String::new(), out, anchors),
        Some(Detail::Cert(_)) => {
            let (title, lines) = super::certs::detail_lines(state, th);
            return (title, lines, anchors);
        }
        Some(Detail::Route { kind, key }) => {
            title = format!("{} {key}", kind.kind());
            let Some(r) = cache.routes.get(&(key.clone(), *kind)) else {
                out.push(Line::styled(
                    "This route no longer exists.",
                    th.style(Role::Warn),
                ));
                return (title, out, anchors);
            };
            let heading = if *kind == RouteKind::Virtual {
                "Istio gateways (a VirtualService has no status; `mesh` = sidecars):"
            } else {
                "Parents and status:"
            };
            out.push(Line::styled(heading, th.style(Role::Title)));
            for p in &r.parents {
                let sec = p
                    .section
                    .as_ref()
                    .map(|s| format!(" section {s}"))
                    .unwrap_or_default();
                let (exists, role) = match p
                    .is_gateway()
                    .then(|| parent_gateway(cache, known(state), r, p))
                {
                    Some(Presence::Missing) => ("  (NOT FOUND)", Role::Error),
                    Some(Presence::Unknown)
                        if state.namespace.is_some() && p.key.ns != r.key.ns =>
                    {
                        ("  (unknown: outside the namespace scope)", Role::Muted)
                    }
                    Some(Presence::Unknown) => ("  (unknown: Gateways not listed)", Role::Muted),
                    _ => ("", Role::Muted),
                };
                out.push(Line::from(vec![
                    Span::raw(format!("  {} {}{sec}", p.kind, p.key)),
                    Span::styled(exists, th.style(role)),
                ]));
                for s in r.status.iter().filter(|s| s.parent.matches(p)) {
                    out.push(Line::styled(
                        format!("    controller {}", s.controller),
                        th.style(Role::Muted),
                    ));
                    for c in &s.conditions {
                        let role = if c.is_true() { Role::Ok } else { Role::Error };
                        out.push(Line::styled(
                            format!("    {}={} {} {}", c.type_, c.status, c.reason, c.message),
                            th.style(role),
                        ));
                    }
                }
            }
            out.push(Line::raw(""));
            out.push(Line::styled("Rules:", th.style(Role::Title)));
            flatten(&route_node(cache, known(state), r), 0, th, &mut out);
        }
        Some(Detail::Namespace(ns)) => {
            title = format!("Namespace {ns}");
            let Some(n) = cache.namespaces.get(ns) else {
                out.push(Line::styled(
                    "This namespace no longer exists.",
                    th.style(Role::Warn),
                ));
                return (title, out, anchors);
            };
            let inj = injection(n);
            let cps = ControlPlanes::from_workloads(cache.control_planes.values());
            let expected = cps.expected_revision(&inj.effective);
            out.push(Line::raw(format!(
                "injection: {}   expected sidecar revision: {}",
                inj.effective.label(),
                expected.as_deref().unwrap_or("-")
            )));
            let labels: Vec<String> = n.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push(Line::styled(
                format!("labels: {}", labels.join(" ")),
                th.style(Role::Muted),
            ));
            out.push(Line::raw(""));
            let mut shown: Vec<&ObjKey> = Vec::new();
            let workloads: Vec<_> = cache.workloads_in(ns).collect();
            let want = |p| pod_want(&inj.effective, &workloads, p, &cps);
            for w in cache.workloads_in(ns) {
                anchors.push(out.len());
                let pods: Vec<_> = cache.pods_in(ns).filter(|p| w.selects(p)).collect();
                let with = pods.iter().filter(|p| p.sidecar.is_some()).count();
                let mut spans = vec![
                    Span::styled(
                        format!("{} {}", w.kind.as_str(), w.key.name),
                        th.style(Role::Accent),
                    ),
                    Span::raw(format!(
                        "  ready {}/{}  sidecars {with}/{}",
                        w.ready,
                        w.desired,
                        pods.len()
                    )),
                ];
                let (rs, stuck) = state.rollouts.status(w, state.now);
                spans.extend(rollout::mark(&rs, th).filter(|_| !stuck));
                out.push(Line::from(spans));
                out.extend(rollout::progress_line(w, state, th));
                for p in pods {
                    shown.push(&p.key);
                    out.push(pod_line(p, &want(p), th));
                }
            }
            let orphans: Vec<_> = cache
                .pods_in(ns)
                .filter(|p| !shown.contains(&&p.key))
                .collect();
            if !orphans.is_empty() {
                out.push(Line::styled(
                    "pods without a Deployment/StatefulSet/DaemonSet",
                    th.style(Role::Accent),
                ));
                for p in orphans {
                    out.push(pod_line(p, &want(p), th));
                }
            }
        }
        Some(Detail::Gateway(key)) => {
            title = format!("Gateway {key}");
            let Some(g) = cache.gateways.get(key) else {
                out.push(Line::styled(
                    "This gateway no longer exists.",
                    th.style(Role::Warn),
                ));
                return (title, out, anchors);
            };
            out.push(Line::raw(format!("class: {}", g.class)));
            for (k, v) in &g.alb_annotations {
                out.push(Line::raw(format!("{k}: {v}")));
            }
            for (t, v) in &g.status_addresses {
                out.push(Line::raw(format!("address ({t}): {v}")));
            }
            for c in &g.conditions {
                let role = if c.is_true() { Role::Ok } else { Role::Error };
                out.push(Line::styled(
                    format!("{}={} {} {}", c.type_, c.status, c.reason, c.message),
                    th.style(role),
                ));
            }
            for l in &g.listeners {
                out.push(Line::raw(format!(
                    "listener {} :{} {} {}  attachedRoutes {}",
                    l.name,
                    l.port,
                    l.protocol,
                    l.hostname.as_deref().unwrap_or("*"),
                    l.attached_routes.map_or("?".into(), |a| a.to_string())
                )));
            }
        }
        Some(Detail::Alb(key)) => {
            title = format!("ApplicationLoadBalancer {key}");
            let Some(a) = cache.albs.get(key) else {
                out.push(Line::styled(
                    "This ApplicationLoadBalancer no longer exists.",
                    th.style(Role::Warn),
                ));
                return (title, out, anchors);
            };
            for s in &a.associations {
                out.push(Line::raw(format!("association: {s}")));
            }
            for c in &a.conditions {
                let role = if c.is_true() { Role::Ok } else { Role::Error };
                out.push(Line::styled(
                    format!("{}={} {} {}", c.type_, c.status, c.reason, c.message),
                    th.style(role),
                ));
            }
            if find_cond(&a.conditions, "Deployment").is_none() {
                out.push(Line::styled(
                    "no Deployment condition yet: the ALB controller has not reported",
                    th.style(Role::Warn),
                ));
            }
        }
    }
    (title, out, anchors)
}

fn pod_line(
    p: &crate::cluster::objects::PodInfo,
    want: &crate::model::inject::Want,
    th: &Theme,
) -> Line<'static> {
    let proxy = |kind: &str, sc: &crate::cluster::objects::SidecarInfo| {
        Span::styled(
            format!(
                "{kind} {} {}",
                sc.revision.as_deref().unwrap_or("default"),
                sc.image_tag.as_deref().unwrap_or("")
            ),
            th.style(Role::Ok),
        )
    };
    let sidecar = match (&p.sidecar, &p.gateway) {
        (Some(sc), _) => proxy("sidecar", sc),
        (None, Some(gw)) => proxy("gateway proxy", gw),
        (None, None) => Span::styled("no sidecar", th.style(Role::Muted)),
    };
    let mut spans = vec![
        Span::raw(format!(
            "  pod {}  {} {}/{}  restarts {}  ",
            p.key.name, p.phase, p.ready, p.containers, p.restarts
        )),
        sidecar,
    ];
    if let Some(r) = restart_reason(p, want) {
        spans.push(Span::styled(
            format!("  NEEDS RESTART: {}", r.describe()),
            th.style(Role::Error),
        ));
    }
    Line::from(spans)
}

pub fn draw(f: &mut Frame, area: Rect, state: &AppState, ui: &mut ViewState, ctx: &Ctx) {
    let th = ctx.theme;
    let (title, mut body, anchors) = lines(state, th);
    let height = usize::from(area.height.saturating_sub(1)).max(1);
    let scroll = ui.detail_scroll.entry(state.view).or_default();
    // With selectable workloads the view follows the cursor, like a table.
    let mut follow = None;
    if !anchors.is_empty() {
        let cursor = ui.detail_cursor.entry(state.view).or_default();
        *cursor = (*cursor).min(anchors.len() - 1);
        let at = anchors[*cursor];
        if let Some(line) = body.get_mut(at) {
            *line = line.clone().style(th.style(Role::Selection));
        }
        follow = Some(at);
    }
    // Long values (a 10k-character condition message, 20,000 SANs) wrap, and the scroll
    // counts wrapped rows, so every part of them can be reached.
    let visible = safe::scroll_window(body, usize::from(area.width), height, scroll, follow);
    // The write keys as bound now (config may rebind them); none in read-only mode.
    let writes: Vec<String> = [
        (Action::RolloutRestart, "restart"),
        (Action::WorkloadInjection, "sidecar label"),
        (Action::ToggleInjection, "injection"),
        (Action::BulkRestart, "bulk restart"),
        (Action::EditWeights, "weights"),
    ]
    .iter()
    .filter_map(|(a, what)| Some(format!("{}: {what}", ctx.keymap.key_for(state.view, *a)?)))
    .collect();
    let hint = match (anchors.is_empty(), state.read_only) {
        (_, true) if !anchors.is_empty() => "(esc: back, j/k: select workload; read-only)".into(),
        (true, _) if writes.is_empty() || state.read_only => "(esc: back)".to_string(),
        (true, _) => format!("(esc: back, {})", writes.join(", ")),
        (false, _) => format!("(esc: back, j/k: select workload, {})", writes.join(", ")),
    };
    let head = Line::styled(format!("{title}   {hint}"), th.style(Role::Title));
    let head = safe::fit(head, usize::from(area.width));
    let text: Vec<Line> = std::iter::once(head).chain(visible).collect();
    f.render_widget(Paragraph::new(text), area);
}
