//! The Diagnostics view's fix key: the selected finding's fix opens the existing flow that
//! makes it (injection chooser, restart confirm, bulk restart chooser, weight editor). Those
//! flows confirm before they write and refuse in read-only mode; the jump says so first.

use crate::app::msg::Effect;
use crate::model::diagnostics::{Finding, Fix};
use crate::state::action::ViewId;
use crate::state::view_state::ViewState;
use crate::state::{AppState, Detail, Level};

/// The finding the Diagnostics view points at: the detail's, else the selected row's.
pub fn selected(state: &AppState, ui: &ViewState) -> Option<Finding> {
    if state.view != ViewId::Diagnostics {
        return None;
    }
    match state.detail() {
        Some(Detail::Finding(id)) => crate::state::diagnostics::find(state, id).cloned(),
        Some(_) => None,
        None => state
            .derived
            .findings
            .get(ui.selected(ViewId::Diagnostics))
            .map(|f| Finding::clone(f)),
    }
}

/// `F`: perform the selected finding's fix.
pub fn fix(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if state.view != ViewId::Diagnostics {
        state.flash("fixes work in the Diagnostics view (6)", Level::Warn);
        return vec![];
    }
    let Some(f) = selected(state, ui) else {
        let text = match state.detail() {
            Some(Detail::Finding(_)) => "this finding is gone: nothing to fix",
            _ => "no finding selected",
        };
        state.flash(text, Level::Info);
        return vec![];
    };
    let Some(fix) = f.fix.clone() else {
        state.flash(
            format!(
                "{}: the console has no fix for this one; the detail (enter) says what to change",
                f.code
            ),
            Level::Info,
        );
        return vec![];
    };
    if crate::app::writes::refused_for(state, &format!("{} fix ({})", f.code, fix.describe())) {
        return vec![];
    }
    match fix {
        Fix::ToggleInjection { namespace } => {
            crate::app::inject::open_injection_for(state, &namespace)
        }
        Fix::RolloutRestart { kind, workload } => {
            crate::app::restart::confirm_restart(state, kind, &workload)
        }
        Fix::BulkRestartNamespace { namespace } => {
            crate::app::inject::open_bulk_for(state, vec![namespace.clone()], Some(namespace))
        }
        Fix::OpenWeightEditor { kind, route, rule } => {
            crate::app::weights::open_rule(state, kind, &route, rule)
        }
    }
}

#[cfg(test)]
mod tests {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use serde_json::json;

    use super::*;
    use crate::app::msg::Msg;
    use crate::app::testkit::{namespace as ns, workload};
    use crate::app::update::update;
    use crate::cluster::kinds::{Kind, WatchState};
    use crate::cluster::objects::{ObjKey, PodInfo, RouteInfo, RouteKind, WorkloadKind};
    use crate::cluster::watch::{WatchEvent, WatchMsg};
    use crate::config::Keymap;
    use crate::state::chooser::Purpose;
    use crate::state::write::WriteOp;
    use crate::state::{ConnInfo, Modal};

    fn pod(ns: &str, app: &str, i: usize, rev: Option<&str>) -> PodInfo {
        PodInfo::running(ObjKey::new(ns, format!("{app}-{i}")), Some(app), rev)
    }

    /// legacy: both labels (MESH001). shop: cart misses a sidecar (MESH003, one workload).
    /// batch: api and worker miss theirs (MESH003, bulk). lab: ambient without ztunnel
    /// (MESH007, no fix). app/zero: an HTTPRoute with all weights 0 (ROUTE004) to a Service
    /// that does not exist (ROUTE002, no fix).
    fn cluster(read_only: bool) -> (AppState, ViewState, Keymap) {
        let conn = ConnInfo {
            context: "prod".into(),
            ..Default::default()
        };
        let mut s = AppState::new(conn, None, read_only, jiff::Timestamp::UNIX_EPOCH);
        for k in Kind::ALL {
            s.watch.insert(k, WatchState::Live);
        }
        let c = &mut s.cache;
        for n in [
            ns(
                "legacy",
                &[("istio-injection", "enabled"), ("istio.io/rev", "asm-1-22")],
            ),
            ns("shop", &[("istio.io/rev", "asm-1-22")]),
            ns("batch", &[("istio.io/rev", "asm-1-22")]),
            ns("lab", &[("istio.io/dataplane-mode", "ambient")]),
        ] {
            c.namespaces.insert(n.name.clone(), n);
        }
        let cp = workload(
            "aks-istio-system",
            "istiod-asm-1-22",
            &[("app", "istiod"), ("istio.io/rev", "asm-1-22")],
        );
        c.control_planes.insert(cp.key.clone(), cp.clone());
        for w in [
            cp,
            workload("shop", "cart", &[]),
            workload("batch", "api", &[]),
            workload("batch", "worker", &[]),
        ] {
            c.workloads.insert((w.key.clone(), w.kind), w);
        }
        for p in [
            pod("shop", "cart", 1, None),
            pod("batch", "api", 1, None),
            pod("batch", "worker", 1, None),
        ] {
            c.pods.insert(p.key.clone(), p);
        }
        let r: gateway_api::httproutes::HttpRoute = serde_json::from_value(json!({
            "metadata": {"name": "zero", "namespace": "app", "resourceVersion": "3"},
            "spec": {"rules": [{"backendRefs": [{"name": "a", "port": 80, "weight": 0}]}]}
        }))
        .unwrap();
        let r = RouteInfo::from(&r);
        c.routes.insert((r.key.clone(), r.kind), r);
        (s, ViewState::default(), Keymap::default())
    }

    fn key(s: &mut AppState, ui: &mut ViewState, km: &Keymap, code: KeyCode) -> Vec<Effect> {
        update(s, ui, km, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn ch(s: &mut AppState, ui: &mut ViewState, km: &Keymap, c: char) -> Vec<Effect> {
        key(s, ui, km, KeyCode::Char(c))
    }

    /// Shows the view and selects the row of the finding whose id starts with `id`.
    fn select(s: &mut AppState, ui: &mut ViewState, km: &Keymap, id: &str) {
        ch(s, ui, km, '6');
        s.refresh();
        let i = s.derived.findings.iter().position(|f| f.id.starts_with(id));
        assert!(i.is_some(), "{id} in {:#?}", s.derived.findings);
        ui.table(ViewId::Diagnostics).select(i);
    }

    #[test]
    fn six_shows_the_findings_and_enter_opens_one() {
        let (mut s, mut ui, km) = cluster(false);
        select(&mut s, &mut ui, &km, "MESH001");
        assert_eq!(s.view, ViewId::Diagnostics);
        let codes: Vec<&str> = s.derived.findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                "MESH007", "ROUTE002", "MESH001", "MESH003", "MESH003", "ROUTE004"
            ]
        );
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        assert_eq!(
            s.detail(),
            Some(&Detail::Finding("MESH001 Namespace/legacy".into()))
        );
        // The filter narrows the rows.
        key(&mut s, &mut ui, &km, KeyCode::Esc);
        for c in "/ist0103".chars() {
            ch(&mut s, &mut ui, &km, c);
        }
        key(&mut s, &mut ui, &km, KeyCode::Enter);
        s.refresh();
        assert_eq!(s.derived.findings.len(), 2);
    }

    #[test]
    fn fix_of_a_label_conflict_opens_the_injection_chooser_for_that_namespace() {
        let (mut s, mut ui, km) = cluster(false);
        select(&mut s, &mut ui, &km, "MESH001");
        key(&mut s, &mut ui, &km, KeyCode::Enter); // from the detail, too
        assert_eq!(ch(&mut s, &mut ui, &km, 'F'), vec![]);
        match s.modals.last() {
            Some(Modal::Chooser(c)) => match &c.purpose {
                Purpose::NamespaceInjection { namespace, .. } => assert_eq!(namespace, "legacy"),
                other => panic!("{other:?}"),
            },
            other => panic!("chooser expected, got {other:?}"),
        }
    }

    #[test]
    fn fix_of_one_workload_opens_its_restart_confirm() {
        let (mut s, mut ui, km) = cluster(false);
        select(&mut s, &mut ui, &km, "MESH003 Deployment/shop/cart");
        ch(&mut s, &mut ui, &km, 'F');
        let Some(Modal::Confirm(c)) = s.modals.last() else {
            panic!("confirm expected: {:?}", s.modals)
        };
        assert!(!c.ok_focused, "Cancel has the focus");
        assert_eq!(
            c.op,
            WriteOp::RolloutRestart {
                kind: WorkloadKind::Deployment,
                key: ObjKey::new("shop", "cart"),
                resource_version: "rv-cart".into(),
            }
        );
        // Tab, Enter: the same guarded write as R in the Mesh view.
        key(&mut s, &mut ui, &km, KeyCode::Tab);
        let fx = key(&mut s, &mut ui, &km, KeyCode::Enter);
        assert!(matches!(
            crate::app::testkit::write_ops(&fx).as_slice(),
            [WriteOp::RolloutRestart { .. }]
        ));
    }

    #[test]
    fn fix_of_many_workloads_opens_the_namespace_bulk_restart() {
        let (mut s, mut ui, km) = cluster(false);
        select(&mut s, &mut ui, &km, "MESH003 Namespace/batch");
        ch(&mut s, &mut ui, &km, 'F');
        match s.modals.last() {
            Some(Modal::Chooser(c)) => {
                assert_eq!(
                    c.purpose,
                    Purpose::BulkRestart {
                        scope: vec!["batch".into()],
                        namespace: Some("batch".into())
                    }
                );
                assert!(c.options[0].contains("need a restart") && c.options[0].contains("(2)"));
            }
            other => panic!("chooser expected, got {other:?}"),
        }
    }

    #[test]
    fn fix_of_zero_weights_opens_the_weight_editor_on_that_rule() {
        let (mut s, mut ui, km) = cluster(false);
        select(&mut s, &mut ui, &km, "ROUTE004");
        ch(&mut s, &mut ui, &km, 'F');
        let Some(Modal::Weights(e)) = s.modals.last() else {
            panic!("weight editor expected: {:?} {:?}", s.modals, s.flash)
        };
        assert_eq!(
            (e.kind, &e.key, e.rule),
            (RouteKind::Http, &ObjKey::new("app", "zero"), 0)
        );
    }

    #[test]
    fn no_fix_and_read_only_say_so_and_open_nothing() {
        let (mut s, mut ui, km) = cluster(false);
        select(&mut s, &mut ui, &km, "MESH007");
        assert_eq!(ch(&mut s, &mut ui, &km, 'F'), vec![]);
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, Level::Info)) if m.contains("no fix")));
        let (mut s, mut ui, km) = cluster(true);
        for id in [
            "MESH001",
            "MESH003 Deployment",
            "MESH003 Namespace",
            "ROUTE004",
        ] {
            select(&mut s, &mut ui, &km, id);
            assert_eq!(ch(&mut s, &mut ui, &km, 'F'), vec![]);
            assert!(s.modals.is_empty(), "{id}: nothing opens");
            assert!(
                matches!(&s.flash, Some((m, Level::Warn)) if m.contains("read-only")),
                "{id}: {:?}",
                s.flash
            );
        }
        // F outside the Diagnostics view is not a fix.
        ch(&mut s, &mut ui, &km, '4');
        assert_eq!(ch(&mut s, &mut ui, &km, 'F'), vec![]);
        assert!(s.modals.is_empty());
    }

    #[test]
    fn findings_are_derived_only_when_an_input_kind_changed() {
        let (mut s, mut ui, km) = cluster(false);
        s.refresh();
        let v = s.diagnostics.version;
        assert_eq!(s.diagnostics.counts.errors, 2);
        s.refresh();
        assert_eq!(s.diagnostics.version, v, "idle: nothing derived");
        let msg = |kind| {
            Msg::Watch(WatchMsg {
                generation: 1,
                kind,
                event: WatchEvent::State(WatchState::Live),
            })
        };
        update(&mut s, &mut ui, &km, msg(Kind::ApplicationLoadBalancers));
        s.refresh();
        assert_eq!(s.diagnostics.version, v, "not an input");
        // A pod gets its sidecar: derived again, the finding is gone.
        let fixed = pod("shop", "cart", 1, Some("asm-1-22"));
        let apply = Msg::Watch(WatchMsg {
            generation: 1,
            kind: Kind::Pods,
            event: WatchEvent::Apply(Box::new(crate::cluster::cache::Obj::Pod(fixed))),
        });
        update(&mut s, &mut ui, &km, apply);
        s.refresh();
        assert_eq!(s.diagnostics.version, v + 1);
        assert!(
            !s.diagnostics
                .findings
                .iter()
                .any(|f| f.id.contains("shop/cart"))
        );
        // Pods go forbidden: nothing is judged on them any more.
        let forbidden = Msg::Watch(WatchMsg {
            generation: 1,
            kind: Kind::Pods,
            event: WatchEvent::State(WatchState::Forbidden("no".into())),
        });
        update(&mut s, &mut ui, &km, forbidden);
        s.refresh();
        assert!(!s.diagnostics.findings.iter().any(|f| f.code == "MESH003"));
    }
}
