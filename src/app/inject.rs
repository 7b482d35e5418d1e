//! Reducer hooks for the injection toggles and bulk restarts: open a chooser and turn a pick
//! into a plan (`app::plan` confirms it and follows the answers).
//! Every entry point refuses in read-only mode.

use crate::app::msg::Effect;
use crate::app::restart::selected_workload;
use crate::app::writes;
use crate::cluster::kinds::{Kind, WatchState};
use crate::model::mesh::ControlPlanes;
use crate::state::action::ViewId;
use crate::state::chooser::{ChooserKey, Purpose};
use crate::state::hazard::Hazard;
use crate::state::inject::{
    self, RestartItem, all_in, bulk_chooser, injection_chooser, label_plan, needs_restart,
    restart_plan, workload_chooser, workload_plan,
};
use crate::state::modal_action::ChooserAction;
use crate::state::view_state::ViewState;
use crate::state::{AppState, Detail, Level, Modal};

/// The namespace the Mesh view points at: the detail's, else the selected row's.
fn selected_namespace(state: &AppState, ui: &ViewState) -> Option<String> {
    if state.view != ViewId::Mesh {
        return None;
    }
    match state.detail() {
        Some(Detail::Namespace(ns)) => Some(ns.clone()),
        Some(_) => None,
        None => state
            .derived
            .mesh
            .get(ui.selected(ViewId::Mesh))
            .map(|r| r.namespace.clone()),
    }
}

/// `I`: the namespace injection chooser.
pub fn open_injection(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if writes::refused(state) {
        return vec![];
    }
    let Some(ns) = selected_namespace(state, ui) else {
        state.flash(
            "select a namespace first: Mesh view (4), j/k on the list",
            Level::Warn,
        );
        return vec![];
    };
    open_injection_for(state, &ns)
}

/// The namespace injection chooser for `namespace` (also the Diagnostics fix of MESH00x).
pub fn open_injection_for(state: &mut AppState, namespace: &str) -> Vec<Effect> {
    if writes::refused(state) {
        return vec![];
    }
    let Some(ns) = state.cache.namespaces.get(namespace) else {
        state.flash(format!("namespace {namespace} not found"), Level::Warn);
        return vec![];
    };
    let cps = ControlPlanes::from_workloads(state.cache.control_planes.values());
    let mut chooser = injection_chooser(&state.conn.context, ns, &cps);
    if let Some(why) = control_planes_unseen(state).filter(|_| cps.by_revision.is_empty()) {
        // "none found" would be a claim about the cluster: we could not look.
        let none = inject::control_plane_line(&cps);
        for line in chooser.intro.iter_mut().filter(|l| **l == none) {
            *line = why.clone();
        }
    }
    if chooser.options.is_empty() {
        state.flash(format!("{}: nothing to change", chooser.title), Level::Info);
        return vec![];
    }
    state.modals.push(Modal::Chooser(Box::new(chooser)));
    vec![]
}

/// Why the istiod Deployments are not known, when they are not listed.
fn control_planes_unseen(state: &AppState) -> Option<String> {
    let what = "control planes: cannot see them";
    match state.watch.get(&Kind::ControlPlanes)? {
        WatchState::Forbidden(_) => Some(format!(
            "{what}: listing istiod Deployments is forbidden (RBAC); revisions unknown"
        )),
        WatchState::Failing(m) => Some(format!("{what}: istiod Deployments: {m}")),
        WatchState::Syncing => Some(format!("{what} yet: istiod Deployments still loading")),
        WatchState::Live | WatchState::NotInstalled => None,
    }
}

/// `S`: the selected workload's pod-template `sidecar.istio.io/inject` label.
pub fn open_workload(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if writes::refused(state) {
        return vec![];
    }
    let Some((kind, key)) = selected_workload(state, ui) else {
        return vec![];
    };
    let Some(w) = state.cache.workloads.get(&(key, kind)) else {
        return vec![];
    };
    let chooser = workload_chooser(&state.cache, &state.conn.context, w);
    state.modals.push(Modal::Chooser(Box::new(chooser)));
    vec![]
}

/// `B`: bulk restart, over the listed namespaces (or the detail's one).
pub fn open_bulk(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if writes::refused(state) {
        return vec![];
    }
    if state.view != ViewId::Mesh {
        state.flash("bulk restart works in the Mesh view (4)", Level::Warn);
        return vec![];
    }
    let (scope, namespace) = match state.detail() {
        Some(Detail::Namespace(ns)) => (vec![ns.clone()], Some(ns.clone())),
        _ => (
            state
                .derived
                .mesh
                .iter()
                .map(|r| r.namespace.clone())
                .collect(),
            selected_namespace(state, ui),
        ),
    };
    open_bulk_for(state, scope, namespace)
}

/// The bulk-restart chooser over `scope`, offering "all in `namespace`" when one is given.
pub fn open_bulk_for(
    state: &mut AppState,
    scope: Vec<String>,
    namespace: Option<String>,
) -> Vec<Effect> {
    if writes::refused(state) {
        return vec![];
    }
    if scope.is_empty() {
        state.flash("no namespace in view", Level::Warn);
        return vec![];
    }
    let chooser = bulk_chooser(&state.cache, &state.conn.context, scope, namespace);
    state.modals.push(Modal::Chooser(Box::new(chooser)));
    vec![]
}

/// An action of `[keys.chooser]` while the chooser is on top.
pub fn chooser_key(state: &mut AppState, action: Option<ChooserAction>) -> Vec<Effect> {
    let (Some(Modal::Chooser(c)), Some(action)) = (state.modals.last_mut(), action) else {
        return vec![];
    };
    let picked = match c.apply(action) {
        ChooserKey::Picked(i) => i,
        ChooserKey::Cancelled => {
            state.modals.pop();
            state.flash("cancelled; nothing was written", Level::Info);
            return vec![];
        }
        ChooserKey::Moved | ChooserKey::Ignored => return vec![],
    };
    let purpose = c.purpose.clone();
    state.modals.pop();
    if writes::refused(state) {
        return vec![];
    }
    let ctx = state.conn.context.clone();
    let plan = match purpose {
        Purpose::NamespaceInjection { namespace, choices } => {
            let (Some(ns), Some(choice)) =
                (state.cache.namespaces.get(&namespace), choices.get(picked))
            else {
                state.flash(format!("namespace {namespace} is gone"), Level::Warn);
                return vec![];
            };
            label_plan(&state.cache, &ctx, ns, choice)
        }
        Purpose::WorkloadInjection { kind, key, choices } => {
            let (Some(w), Some(choice)) = (
                state.cache.workloads.get(&(key.clone(), kind)),
                choices.get(picked),
            ) else {
                state.flash(format!("{} {key} is gone", kind.as_str()), Level::Warn);
                return vec![];
            };
            if w.template_inject_label == choice.value {
                state.flash(
                    format!("{} {key}: already so; nothing to change", kind.as_str()),
                    Level::Info,
                );
                return vec![];
            }
            workload_plan(&state.cache, &ctx, w, choice)
        }
        Purpose::BulkRestart { scope, namespace } => {
            let (items, what, where_): (Vec<RestartItem>, _, _) = match (picked, &namespace) {
                (1, Some(ns)) => (
                    all_in(&state.cache, ns),
                    format!("restart all workloads in {ns}"),
                    vec![ns.clone()],
                ),
                _ => (
                    needs_restart(&state.cache, &scope),
                    "restart workloads that need it".to_string(),
                    scope,
                ),
            };
            if items.is_empty() {
                state.flash(format!("{what}: none; nothing to do"), Level::Info);
                return vec![];
            }
            let mut plan = restart_plan(&ctx, &where_, &what, &items);
            let mut namespaces: Vec<&str> = items.iter().map(|i| i.key.ns.as_str()).collect();
            namespaces.dedup();
            plan.hazard = Hazard::not_ready(
                &inject::not_ready_in(&state.cache, &namespaces),
                &inject::namespaces_text(&namespaces),
            );
            Ok(plan)
        }
    };
    match plan {
        Ok(p) => state.modals.push(Modal::Plan(Box::new(p))),
        Err(e) => state.flash(e, Level::Warn),
    }
    vec![]
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    use super::*;
    use crate::app::msg::Msg;
    use crate::app::testkit::{answer, namespace as ns, workload, write_ops};
    use crate::app::update::update;
    use crate::cluster::objects::{ObjKey, PodInfo, WorkloadKind};
    use crate::config::Keymap;
    use crate::state::ConnInfo;
    use crate::state::chooser::Plan;
    use crate::state::write::Outcome;
    use crate::state::write::WriteOp;

    fn pod(ns: &str, app: &str, rev: Option<&str>) -> PodInfo {
        PodInfo::running(ObjKey::new(ns, format!("{app}-1")), Some(app), rev)
    }

    /// shop: both labels (conflict), cart without sidecar, web with asm-1-22.
    /// plain: no label, api without sidecar. Control plane asm-1-22.
    fn cluster(read_only: bool) -> (AppState, ViewState, Keymap) {
        let conn = ConnInfo {
            context: "prod".into(),
            ..Default::default()
        };
        let mut s = AppState::new(conn, None, read_only, jiff::Timestamp::UNIX_EPOCH);
        s.view = ViewId::Mesh;
        let c = &mut s.cache;
        for n in [
            ns(
                "shop",
                &[("istio-injection", "enabled"), ("istio.io/rev", "asm-1-22")],
            ),
            ns("plain", &[]),
        ] {
            c.namespaces.insert(n.name.clone(), n);
        }
        let cp = workload(
            "aks-istio-system",
            "istiod-asm-1-22",
            &[("app", "istiod"), ("istio.io/rev", "asm-1-22")],
        );
        c.control_planes.insert(cp.key.clone(), cp);
        for w in [
            workload("shop", "cart", &[]),
            workload("shop", "web", &[]),
            workload("plain", "api", &[]),
        ] {
            c.workloads.insert((w.key.clone(), w.kind), w);
        }
        for p in [
            pod("shop", "cart", None),
            pod("shop", "web", Some("asm-1-22")),
            pod("plain", "api", None),
        ] {
            c.pods.insert(p.key.clone(), p);
        }
        s.stale = true;
        s.refresh();
        (s, ViewState::default(), Keymap::default())
    }

    fn key(s: &mut AppState, ui: &mut ViewState, km: &Keymap, code: KeyCode) -> Vec<Effect> {
        update(s, ui, km, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn ch(s: &mut AppState, ui: &mut ViewState, km: &Keymap, c: char) -> Vec<Effect> {
        key(s, ui, km, KeyCode::Char(c))
    }

    fn chooser(s: &AppState) -> &crate::state::chooser::Chooser {
        match s.modals.last() {
            Some(Modal::Chooser(c)) => c,
            other => panic!("chooser expected, got {other:?}"),
        }
    }

    fn plan(s: &AppState) -> &Plan {
        match s.modals.last() {
            Some(Modal::Plan(p)) => p,
            other => panic!("plan expected, got {other:?}"),
        }
    }

    fn select_ns(s: &AppState, ui: &mut ViewState, name: &str) {
        let i = s.derived.mesh.iter().position(|r| r.namespace == name);
        ui.table(ViewId::Mesh).select(i);
    }

    /// With Deployments forbidden the chooser must not claim there is no istiod: it says
    /// it cannot see them (and "none found" stays for a cluster that really has none).
    #[test]
    fn the_chooser_says_when_it_cannot_see_the_control_planes() {
        let (mut s, mut ui, km) = cluster(false);
        s.cache.control_planes.clear();
        s.watch.insert(
            Kind::ControlPlanes,
            WatchState::Forbidden("deployments.apps is forbidden".into()),
        );
        select_ns(&s, &mut ui, "plain");
        ch(&mut s, &mut ui, &km, 'I');
        let intro = chooser(&s).intro.join("\n");
        assert!(
            intro.contains(
                "control planes: cannot see them: listing istiod Deployments is forbidden (RBAC)"
            ),
            "{intro}"
        );
        assert!(!intro.contains("none found"), "{intro}");
        key(&mut s, &mut ui, &km, KeyCode::Esc);
        s.watch.insert(Kind::ControlPlanes, WatchState::Live);
        ch(&mut s, &mut ui, &km, 'I');
        let intro = chooser(&s).intro.join("\n");
        assert!(
            intro.contains("none found (no istiod Deployment)"),
            "{intro}"
        );
    }

    #[test]
    fn conflict_fix_is_offered_first_and_needs_an_explicit_confirm() {
        let (mut s, mut ui, km) = cluster(false);
        select_ns(&s, &mut ui, "shop");
        assert_eq!(ch(&mut s, &mut ui, &km, 'I'), vec![]);
        let c = chooser(&s);
        assert_eq!(
            c.options,
            vec![
                "fix conflict: keep istio-injection=enabled, remove istio.io/rev=asm-1-22",
                "fix conflict: keep istio.io/rev=asm-1-22, remove istio-injection=enabled",
                "disable: remove istio-injection and istio.io/rev (pods may still opt in)",
                "disable for every pod: istio-injection=disabled (beats pod opt-ins)",
            ],
            "enabling by either label is what a conflict fix does: not offered twice"
        );
        assert!(c.intro.iter().any(|l| l.contains("IST0123")));
        // Second option: keep the revision.
        ch(&mut s, &mut ui, &km, 'j');
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
        let p = plan(&s);
        assert!(!p.ok_focused, "Cancel has the focus");
        let body = p.body.join("\n");
        assert!(body.contains("context:   prod"), "{body}");
        assert!(
            body.contains(
                "istio-injection=enabled istio.io/rev=asm-1-22  ->  istio.io/rev=asm-1-22"
            ),
            "{body}"
        );
        assert!(body.contains("Running pods do not change now"), "{body}");
        assert!(
            body.contains("cart: 1 pod gains a sidecar (asm-1-22)"),
            "{body}"
        );
        // Enter on Cancel: nothing.
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
        assert!(s.modals.is_empty());
        // Again, Tab to Confirm, Enter: one guarded write.
        ch(&mut s, &mut ui, &km, 'I');
        ch(&mut s, &mut ui, &km, 'j');
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        let fx = key(&mut s, &mut ui, &km, KeyCode::Enter);
        let op = WriteOp::SetNamespaceLabels {
            namespace: "shop".into(),
            resource_version: "7".into(),
            set: vec![],
            remove: vec!["istio-injection".into()],
        };
        assert_eq!(write_ops(&fx), vec![op.clone()]);
        // Success: the restart offer lists exactly the workloads whose pods change.
        let done = answer(&fx[0], Outcome::Applied, "applied (resourceVersion 8)");
        assert_eq!(update(&mut s, &mut ui, &km, done), vec![]);
        let p = plan(&s);
        assert!(!p.ok_focused);
        assert_eq!(
            p.ops,
            vec![WriteOp::RolloutRestart {
                kind: WorkloadKind::Deployment,
                key: ObjKey::new("shop", "cart"),
                resource_version: "rv-cart".into(),
            }]
        );
        // Cancel keeps the pods as they are.
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Esc), vec![]);
        assert!(s.modals.is_empty());
    }

    /// A second control plane asm-1-23 with no ready replica (installed, not up yet).
    fn with_not_ready_canary(s: &mut AppState) {
        let mut cp = workload(
            "aks-istio-system",
            "istiod-asm-1-23",
            &[("app", "istiod"), ("istio.io/rev", "asm-1-23")],
        );
        cp.ready = 0;
        s.cache.control_planes.insert(cp.key.clone(), cp);
        s.stale = true;
        s.refresh();
    }

    #[test]
    fn a_step_towards_a_not_ready_control_plane_warns_and_needs_a_second_enter() {
        let (mut s, mut ui, km) = cluster(false);
        with_not_ready_canary(&mut s);
        select_ns(&s, &mut ui, "plain");
        ch(&mut s, &mut ui, &km, 'I');
        let c = chooser(&s);
        let at = c
            .options
            .iter()
            .position(|o| o.starts_with("enable revision asm-1-23"))
            .expect("offered");
        assert!(
            c.options[at].ends_with("istiod 0/1 ready — NOT READY"),
            "{}",
            c.options[at]
        );
        assert_eq!(c.flagged, vec![at]);
        for _ in 0..at {
            ch(&mut s, &mut ui, &km, 'j');
        }
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        let p = plan(&s);
        assert!(!p.ok_focused, "Cancel has the focus");
        assert!(
            p.hazard.as_ref().unwrap().lines[0].contains("istiod asm-1-23"),
            "{:?}",
            p.hazard
        );
        // Tab to Confirm, Enter: armed, nothing written yet.
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
        assert!(plan(&s).hazard.as_ref().unwrap().armed);
        // The deliberate second Enter writes.
        let fx = key(&mut s, &mut ui, &km, KeyCode::Enter);
        let op = WriteOp::SetNamespaceLabels {
            namespace: "plain".into(),
            resource_version: "7".into(),
            set: vec![("istio.io/rev".into(), "asm-1-23".into())],
            remove: vec![],
        };
        assert_eq!(write_ops(&fx), vec![op.clone()]);
        // The restart offer that follows warns the same way (labels from the write, the
        // namespace's watch event has not come yet).
        let done = answer(&fx[0], Outcome::Applied, "applied");
        update(&mut s, &mut ui, &km, done);
        let p = plan(&s);
        assert!(p.hazard.is_some(), "{:?}", p.body);
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter).len(), 1);
        // A ready revision stays one Enter: asm-1-22 for shop's conflict fix.
        select_ns(&s, &mut ui, "shop");
        ch(&mut s, &mut ui, &km, 'I');
        assert!(
            chooser(&s).flagged.iter().all(|i| *i > 1),
            "fixes are not flagged"
        );
        ch(&mut s, &mut ui, &km, 'j');
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        assert_eq!(plan(&s).hazard, None);
    }

    #[test]
    fn bulk_restart_into_a_not_ready_revision_warns() {
        let (mut s, mut ui, km) = cluster(false);
        with_not_ready_canary(&mut s);
        s.cache
            .namespaces
            .get_mut("shop")
            .unwrap()
            .labels
            .retain(|k, _| k == "istio.io/rev");
        s.cache
            .namespaces
            .get_mut("shop")
            .unwrap()
            .labels
            .insert("istio.io/rev".into(), "asm-1-23".into());
        s.stale = true;
        s.refresh();
        select_ns(&s, &mut ui, "shop");
        ch(&mut s, &mut ui, &km, 'B');
        ch(&mut s, &mut ui, &km, 'j'); // all in shop
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        let h = plan(&s).hazard.clone().expect("shop's pods go to asm-1-23");
        assert!(h.lines[1].contains("namespace shop"), "{:?}", h.lines);
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter).len(), 2);
    }

    #[test]
    fn a_single_restart_into_a_not_ready_revision_warns() {
        let (mut s, mut ui, km) = cluster(false);
        with_not_ready_canary(&mut s);
        let shop = s.cache.namespaces.get_mut("shop").unwrap();
        shop.labels.remove("istio-injection");
        shop.labels.insert("istio.io/rev".into(), "asm-1-23".into());
        s.details
            .insert(ViewId::Mesh, Detail::Namespace("shop".into()));
        ch(&mut s, &mut ui, &km, 'R');
        let Some(Modal::Confirm(c)) = s.modals.last() else {
            panic!("confirm expected: {:?}", s.modals)
        };
        let h = c.hazard.as_ref().expect("shop's new pods go to asm-1-23");
        assert!(h.lines[1].contains("Deployment shop/cart"), "{:?}", h.lines);
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("press enter again")));
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter).len(), 1);
    }

    #[test]
    fn a_failed_label_write_offers_no_restart() {
        let (mut s, mut ui, km) = cluster(false);
        select_ns(&s, &mut ui, "plain");
        ch(&mut s, &mut ui, &km, 'I');
        assert_eq!(
            chooser(&s).options[0],
            "enable: istio-injection=enabled (default revision: asm-1-22)  istiod 1/1 ready"
        );
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        let fx = key(&mut s, &mut ui, &km, KeyCode::Enter);
        let Some(write) = fx.first() else {
            panic!("write expected: {fx:?}")
        };
        let done = answer(write, Outcome::Conflict, "conflict: changed");
        update(&mut s, &mut ui, &km, done);
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, Level::Error)) if m.contains("conflict")));
        assert!(s.inject.pending_labels.is_empty());
    }

    #[test]
    fn read_only_refuses_every_step_in_the_reducer() {
        let (mut s, mut ui, km) = cluster(true);
        select_ns(&s, &mut ui, "shop");
        for c in ['I', 'B'] {
            assert_eq!(ch(&mut s, &mut ui, &km, c), vec![]);
            assert!(s.modals.is_empty(), "{c} opens nothing");
            assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("read-only")));
        }
        s.details
            .insert(ViewId::Mesh, Detail::Namespace("shop".into()));
        assert_eq!(ch(&mut s, &mut ui, &km, 'S'), vec![]);
        assert!(s.modals.is_empty());
        // Dialogs already open (e.g. read-only switched on by config reload) write nothing.
        let cps = ControlPlanes::from_workloads(s.cache.control_planes.values());
        let c = injection_chooser("prod", &s.cache.namespaces["shop"], &cps);
        s.modals.push(Modal::Chooser(Box::new(c)));
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
        assert!(s.modals.is_empty(), "the pick is refused");
        let items = needs_restart(&s.cache, &["shop".into()]);
        let mut p = restart_plan("prod", &["shop".into()], "restart", &items);
        p.ok_focused = true;
        s.modals.push(Modal::Plan(Box::new(p)));
        assert_eq!(key(&mut s, &mut ui, &km, KeyCode::Enter), vec![]);
    }

    #[test]
    fn workload_label_preview_says_the_template_change_rolls_and_offers_no_restart() {
        let (mut s, mut ui, km) = cluster(false);
        s.details
            .insert(ViewId::Mesh, Detail::Namespace("shop".into()));
        // Workloads in the detail: cart, web. Select web (has a sidecar).
        ch(&mut s, &mut ui, &km, 'j');
        ch(&mut s, &mut ui, &km, 'S');
        let c = chooser(&s);
        assert_eq!(c.options.len(), 3);
        assert!(c.options[2].ends_with("(current)"), "no label set now");
        // Picking the current value changes nothing.
        ch(&mut s, &mut ui, &km, 'G');
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        assert!(s.modals.is_empty());
        ch(&mut s, &mut ui, &km, 'S');
        ch(&mut s, &mut ui, &km, 'j'); // false: opt out
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        let body = plan(&s).body.join("\n");
        assert!(body.contains("Deployment shop/web"), "{body}");
        assert!(body.contains("(not set)  ->  \"false\""), "{body}");
        assert!(
            body.contains("New pods get no sidecar (before: a sidecar of revision asm-1-22)"),
            "{body}"
        );
        assert!(body.contains("rolls out by itself"), "{body}");
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        let fx = key(&mut s, &mut ui, &km, KeyCode::Enter);
        let op = WriteOp::SetInjectLabel {
            kind: WorkloadKind::Deployment,
            key: ObjKey::new("shop", "web"),
            resource_version: "rv-web".into(),
            value: Some("false".into()),
        };
        assert_eq!(write_ops(&fx), vec![op.clone()]);
        let done = answer(&fx[0], Outcome::Applied, "applied");
        update(&mut s, &mut ui, &km, done);
        assert!(s.modals.is_empty(), "no redundant restart offer");
        assert!(matches!(&s.flash, Some((m, _)) if m.contains("rolls its pods")));
    }

    #[test]
    fn bulk_restart_lists_those_in_need_and_summarizes_failures() {
        let (mut s, mut ui, km) = cluster(false);
        select_ns(&s, &mut ui, "shop");
        ch(&mut s, &mut ui, &km, 'B');
        assert_eq!(
            chooser(&s).options,
            vec![
                "all workloads that need a restart in 2 namespaces in view (1)",
                "all workloads in namespace shop (2)",
            ]
        );
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        let p = plan(&s);
        assert_eq!(
            p.ops.len(),
            1,
            "only cart: plain injects nothing, web matches"
        );
        assert!(
            p.body
                .iter()
                .any(|l| l.contains("Deployment shop/cart: 1 pod gains"))
        );
        key(&mut s, &mut ui, &km, KeyCode::Esc);
        // All in the namespace: two restarts, each its own write.
        ch(&mut s, &mut ui, &km, 'B');
        ch(&mut s, &mut ui, &km, 'j');
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        let fx = key(&mut s, &mut ui, &km, KeyCode::Enter);
        assert_eq!(write_ops(&fx).len(), 2);
        update(
            &mut s,
            &mut ui,
            &km,
            answer(&fx[0], Outcome::Applied, "applied"),
        );
        assert!(matches!(&s.flash, Some((m, Level::Info)) if m.contains("1/2 answered")));
        update(
            &mut s,
            &mut ui,
            &km,
            answer(&fx[1], Outcome::Forbidden, "forbidden: denied"),
        );
        let Some((m, Level::Error)) = &s.flash else {
            panic!("{:?}", s.flash)
        };
        assert!(
            m.contains("1/2 succeeded") && m.contains("Deployment shop/web: forbidden: denied"),
            "{m}"
        );
        assert!(s.inject.batch.is_none());
    }
}
