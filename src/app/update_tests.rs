//! Reducer tests that drive `update` as the loop does: keys, messages, effects.

use super::*;
use crate::app::navigate::moved;
use crate::cluster::cache::Obj;
use crate::cluster::kinds::{Kind, WatchState};
use crate::cluster::objects::NamespaceInfo;
use crate::cluster::watch::{WatchEvent, WatchMsg};
use crate::state::ConnInfo;
use crate::state::Detail;
use crate::state::write::{Confirm, WriteOp};
use crossterm::event::KeyCode;

fn state() -> AppState {
    let conn = ConnInfo {
        context: "a".into(),
        cluster: "c".into(),
        user: None,
        contexts: vec!["a".into(), "b".into()],
        error: None,
    };
    AppState::new(conn, None, false, jiff::Timestamp::UNIX_EPOCH)
}

fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn typed(s: &mut AppState, ui: &mut ViewState, km: &Keymap, text: &str) -> Vec<Effect> {
    let mut effects = Vec::new();
    for c in text.chars() {
        effects.extend(update(s, ui, km, key(c)));
    }
    effects
}

fn ns_msg(generation: u64, name: &str) -> Msg {
    Msg::Watch(WatchMsg {
        generation,
        kind: Kind::Namespaces,
        event: WatchEvent::Apply(Box::new(Obj::Namespace(NamespaceInfo {
            name: name.into(),
            labels: Default::default(),
            phase: None,
            resource_version: None,
        }))),
    })
}

#[test]
fn a_new_day_re_judges_certificate_findings() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    let t0: jiff::Timestamp = "2026-11-23T23:58:00Z".parse().unwrap();
    s.now = t0;
    s.diagnostics.stale = false;
    let minute = jiff::SignedDuration::from_secs(60);
    update(&mut s, &mut ui, &km, Msg::Tick(t0 + minute));
    assert!(!s.diagnostics.stale, "same day: nothing to re-judge");
    update(&mut s, &mut ui, &km, Msg::Tick(t0 + minute * 3));
    assert!(s.diagnostics.stale, "a new day: days left changed");
}

#[test]
fn number_keys_and_palette_switch_views() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    update(&mut s, &mut ui, &km, key('4'));
    assert_eq!(s.view, ViewId::Mesh);
    typed(&mut s, &mut ui, &km, ":fe");
    assert!(matches!(s.modals.last(), Some(Modal::Palette(_))));
    update(&mut s, &mut ui, &km, code(KeyCode::Enter));
    assert_eq!(s.view, ViewId::Frontends);
    assert!(s.modals.is_empty());
    typed(&mut s, &mut ui, &km, ":nonsense");
    update(&mut s, &mut ui, &km, code(KeyCode::Enter));
    assert!(matches!(&s.flash, Some((m, Level::Error)) if m.contains("unknown command")));
}

#[test]
fn namespace_switch_restarts_watchers_and_drops_old_messages() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    update(&mut s, &mut ui, &km, ns_msg(1, "bookinfo"));
    s.watch.insert(Kind::Namespaces, WatchState::Live);
    typed(&mut s, &mut ui, &km, ":ns bookinfo");
    let fx = update(&mut s, &mut ui, &km, code(KeyCode::Enter));
    assert_eq!(fx, vec![Effect::Rewatch { generation: 2 }]);
    assert_eq!(s.namespace.as_deref(), Some("bookinfo"));
    assert!(
        s.cache.namespaces.is_empty(),
        "cache is rebuilt by the new watchers"
    );
    update(&mut s, &mut ui, &km, ns_msg(1, "stale"));
    assert!(
        s.cache.namespaces.is_empty(),
        "messages of the old generation are ignored"
    );
    update(&mut s, &mut ui, &km, ns_msg(2, "bookinfo"));
    assert_eq!(s.cache.namespaces.len(), 1);
    // 0 toggles to all namespaces and back.
    assert_eq!(
        update(&mut s, &mut ui, &km, key('0')),
        vec![Effect::Rewatch { generation: 3 }]
    );
    assert_eq!(s.namespace, None);
    update(&mut s, &mut ui, &km, key('0'));
    assert_eq!(s.namespace.as_deref(), Some("bookinfo"));
}

#[test]
fn unknown_namespace_and_context_are_refused() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    s.watch.insert(Kind::Namespaces, WatchState::Live);
    typed(&mut s, &mut ui, &km, ":ns nope");
    assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
    assert_eq!(s.namespace, None);
    typed(&mut s, &mut ui, &km, ":ctx zzz");
    assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
    typed(&mut s, &mut ui, &km, ":ctx b");
    assert_eq!(
        update(&mut s, &mut ui, &km, code(KeyCode::Enter)),
        vec![Effect::Connect {
            context: Some("b".into()),
            generation: 2
        }]
    );
}

#[test]
fn filter_is_live_kept_on_enter_and_cleared_by_esc() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    typed(&mut s, &mut ui, &km, "/shop");
    assert_eq!(s.active_filter(), "shop");
    assert!(
        s.filter(ViewId::Gateways).is_empty(),
        "not kept until enter"
    );
    update(&mut s, &mut ui, &km, code(KeyCode::Enter));
    assert_eq!(s.filter(ViewId::Gateways), "shop");
    // q inside the filter is text, not quit.
    typed(&mut s, &mut ui, &km, "/q");
    assert!(!s.quit);
    update(&mut s, &mut ui, &km, code(KeyCode::Esc));
    assert_eq!(s.filter(ViewId::Gateways), "");
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

#[test]
fn typing_into_the_filter_does_not_re_derive_per_key() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    update(&mut s, &mut ui, &km, key('2'));
    typed(&mut s, &mut ui, &km, "/");
    let version = s.derived_version;
    typed(&mut s, &mut ui, &km, &"x".repeat(100));
    assert_eq!(
        s.derived_version, version,
        "keys into the filter edit text; the loop derives once per frame"
    );
    assert!(
        s.refilter,
        "the next frame (or row key) filters with the new filter"
    );
    update(&mut s, &mut ui, &km, code(KeyCode::Enter));
    update(&mut s, &mut ui, &km, key('j'));
    assert_eq!(
        s.derived_version,
        version + 1,
        "a key on rows sees them filtered"
    );
    assert_eq!(s.filter(ViewId::Routes), "x".repeat(100));
}

#[test]
fn the_filter_and_palette_stop_at_256_chars_and_say_so() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    typed(&mut s, &mut ui, &km, "/");
    typed(&mut s, &mut ui, &km, &"y".repeat(300));
    assert_eq!(s.active_filter(), "y".repeat(256));
    assert!(
        matches!(&s.flash, Some((m, Level::Warn)) if m.contains("limited to 256")),
        "{:?}",
        s.flash
    );
    update(&mut s, &mut ui, &km, code(KeyCode::Backspace));
    assert!(s.flash.is_none(), "room again: no message");
    update(&mut s, &mut ui, &km, code(KeyCode::Esc));
    typed(&mut s, &mut ui, &km, ":");
    typed(&mut s, &mut ui, &km, &"n".repeat(257));
    let Some(Modal::Palette(input)) = s.modals.last() else {
        panic!("palette open")
    };
    assert_eq!(input.text.len(), 256);
    assert!(matches!(&s.flash, Some((m, _)) if m.contains("a command is limited")));
}

#[test]
fn a_paste_is_text_for_the_focused_input_and_never_keys() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    // No input focused: ignored, even when it spells keys.
    let fx = update(&mut s, &mut ui, &km, Msg::Paste("2q:quit\r".into()));
    assert_eq!(fx, vec![]);
    assert_eq!((s.view, s.quit), (ViewId::Gateways, false));
    assert!(s.modals.is_empty());
    // Into the filter: the first line, live, the input stays open.
    typed(&mut s, &mut ui, &km, "/sh");
    update(&mut s, &mut ui, &km, Msg::Paste("op\nq\n".into()));
    assert_eq!(s.active_filter(), "shop");
    assert!(matches!(s.modals.last(), Some(Modal::Filter(_))));
    assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("first line only")));
    update(&mut s, &mut ui, &km, Msg::Paste("z".repeat(10_000)));
    assert_eq!(s.active_filter().len(), 256);
    assert!(matches!(&s.flash, Some((m, _)) if m.contains("the filter is limited to 256")));
    update(&mut s, &mut ui, &km, code(KeyCode::Esc));
    // Into the palette.
    typed(&mut s, &mut ui, &km, ":");
    update(&mut s, &mut ui, &km, Msg::Paste("rt".into()));
    update(&mut s, &mut ui, &km, code(KeyCode::Enter));
    assert_eq!(s.view, ViewId::Routes);
}

#[test]
fn ctrl_z_suspends_from_anywhere_and_signals_end_or_suspend() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    assert_eq!(
        update(&mut s, &mut ui, &km, ctrl('z')),
        vec![Effect::Suspend]
    );
    typed(&mut s, &mut ui, &km, "/ab");
    assert_eq!(
        update(&mut s, &mut ui, &km, ctrl('z')),
        vec![Effect::Suspend]
    );
    assert_eq!(s.active_filter(), "ab", "the filter being typed is kept");
    assert!(matches!(s.modals.last(), Some(Modal::Filter(_))));
    // Rebound away: ctrl-z is no suspend (and no text).
    let mut km2 = Keymap::default();
    km2.bind(
        crate::config::keymap::Scope::Global,
        "ctrl-z".parse().unwrap(),
        Action::None,
    );
    assert_eq!(update(&mut s, &mut ui, &km2, ctrl('z')), vec![]);
    assert_eq!(s.active_filter(), "ab");

    let sig = Msg::Signal;
    assert_eq!(
        update(&mut s, &mut ui, &km, sig(Signal::Stop)),
        vec![Effect::Suspend]
    );
    assert_eq!(
        update(&mut s, &mut ui, &km, sig(Signal::Continue)),
        vec![Effect::Resume]
    );
    assert!(!s.quit);
    assert_eq!(
        update(&mut s, &mut ui, &km, sig(Signal::Exit(15))),
        vec![Effect::Quit]
    );
    assert!(s.quit);
    assert_eq!(s.exit_signal, Some(15));
}

#[test]
fn only_changes_to_the_views_inputs_re_derive_it() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    update(&mut s, &mut ui, &km, key('2'));
    s.refresh();
    let msg = |kind| {
        Msg::Watch(WatchMsg {
            generation: 1,
            kind,
            event: WatchEvent::State(WatchState::Live),
        })
    };
    update(&mut s, &mut ui, &km, msg(Kind::Pods));
    assert!(!s.stale, "pods do not feed the Routes table");
    update(&mut s, &mut ui, &km, msg(Kind::HttpRoutes));
    assert!(s.stale);
    s.refresh();
    update(&mut s, &mut ui, &km, key('4'));
    assert!(s.stale, "switching view derives the new one");
}

fn shop_with_cart(read_only: bool) -> (AppState, ViewState, Keymap) {
    use crate::cluster::objects::{WorkloadInfo, WorkloadKind};
    let (mut s, ui, km) = (state(), ViewState::default(), Keymap::default());
    s.read_only = read_only;
    s.cache.namespaces.insert(
        "shop".into(),
        NamespaceInfo {
            name: "shop".into(),
            labels: Default::default(),
            phase: None,
            resource_version: None,
        },
    );
    let w = WorkloadInfo {
        kind: WorkloadKind::Deployment,
        key: crate::cluster::objects::ObjKey::new("shop", "cart"),
        labels: Default::default(),
        selector: Default::default(),
        template_inject: None,
        template_rev: None,
        images: vec![],
        desired: 3,
        updated: 3,
        ready: 3,
        available: 3,
        generation: None,
        resource_version: Some("42".into()),
        observed_generation: None,
        conditions: vec![],
        created: None,
        ..Default::default()
    };
    s.cache.workloads.insert((w.key.clone(), w.kind), w);
    s.view = ViewId::Mesh;
    s.details
        .insert(ViewId::Mesh, Detail::Namespace("shop".into()));
    (s, ui, km)
}

#[test]
fn rollout_restart_needs_a_selection_and_an_explicit_confirm() {
    let (mut s, mut ui, km) = shop_with_cart(false);
    s.details.clear();
    assert_eq!(update(&mut s, &mut ui, &km, key('R')), vec![]);
    assert!(s.modals.is_empty(), "no workload selected: no dialog");
    let (mut s, mut ui, km) = shop_with_cart(false);
    assert_eq!(update(&mut s, &mut ui, &km, key('R')), vec![]);
    let Some(Modal::Confirm(c)) = s.modals.last() else {
        panic!("confirm dialog expected")
    };
    assert!(!c.ok_focused, "Cancel has the focus");
    assert!(
        c.body.iter().any(|l| l.contains("context:   a"))
            && c.body.iter().any(|l| l.contains("\"42\""))
    );
    // Enter on Cancel writes nothing.
    assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
    assert!(s.modals.is_empty());
    // R, Tab to Confirm, Enter: one write, with the precondition.
    update(&mut s, &mut ui, &km, key('R'));
    update(&mut s, &mut ui, &km, code(KeyCode::Tab));
    let fx = update(&mut s, &mut ui, &km, code(KeyCode::Enter));
    assert_eq!(
        crate::app::testkit::write_ops(&fx),
        vec![WriteOp::RolloutRestart {
            kind: crate::cluster::objects::WorkloadKind::Deployment,
            key: crate::cluster::objects::ObjKey::new("shop", "cart"),
            resource_version: "42".into(),
        }]
    );
}

#[test]
fn read_only_refuses_writes_in_the_reducer() {
    let (mut s, mut ui, km) = shop_with_cart(true);
    assert_eq!(update(&mut s, &mut ui, &km, key('R')), vec![]);
    assert!(s.modals.is_empty());
    assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("read-only")));
    // Even a confirm dialog that is already open (e.g. from a stale binding) yields no write.
    let op = WriteOp::RolloutRestart {
        kind: crate::cluster::objects::WorkloadKind::Deployment,
        key: crate::cluster::objects::ObjKey::new("shop", "cart"),
        resource_version: "42".into(),
    };
    let mut c = Confirm::new(op, "a");
    c.ok_focused = true;
    s.modals.push(Modal::Confirm(Box::new(c)));
    assert_eq!(update(&mut s, &mut ui, &km, code(KeyCode::Enter)), vec![]);
}

#[test]
fn any_key_dismisses_a_notice_without_acting() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    s.modals.push(Modal::Notice(vec!["bad config".into()]));
    assert_eq!(update(&mut s, &mut ui, &km, key('q')), vec![]);
    assert!(!s.quit && s.modals.is_empty());
}

#[test]
fn movement_stays_within_rows() {
    assert_eq!(moved(0, Action::Up, 10, 5), 0);
    assert_eq!(moved(4, Action::Down, 10, 5), 5);
    assert_eq!(moved(5, Action::Down, 10, 5), 5);
    assert_eq!(moved(1, Action::PageDown, 10, 5), 5);
    assert_eq!(moved(5, Action::PageUp, 3, 5), 2);
    assert_eq!(moved(3, Action::Top, 3, 5), 0);
    assert_eq!(moved(0, Action::Bottom, 3, 5), 5);
    assert_eq!(moved(0, Action::Down, 3, 0), 0, "no rows: stays at 0");
}

#[test]
fn help_opens_and_closes_and_quit_quits() {
    let (mut s, mut ui, km) = (state(), ViewState::default(), Keymap::default());
    update(&mut s, &mut ui, &km, key('?'));
    assert!(matches!(s.modals.last(), Some(Modal::Help { .. })));
    update(&mut s, &mut ui, &km, code(KeyCode::Esc));
    assert!(s.modals.is_empty());
    assert_eq!(update(&mut s, &mut ui, &km, key('q')), vec![Effect::Quit]);
    assert!(s.quit);
}
