//! The weight editor's part of the reducer: which route and rule `W` opens, the editor's
//! keys, the confirm with the diff, and what a finished write does to the draft (gone when
//! applied, back in the editor beside the fresh object when refused).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::msg::Effect;
use crate::cluster::objects::{ObjKey, RouteInfo, RouteKind};
use crate::config::Keymap;
use crate::model::weights::{format_percent, shares};
use crate::state::action::ViewId;
use crate::state::modal_action::WeightsAction;
use crate::state::view_state::ViewState;
use crate::state::weights::{LARGE_STEP, Note, SMALL_STEP, WeightChange, WeightEditor};
use crate::state::write::{Confirm, Outcome, WriteDone, WriteOp};
use crate::state::{AppState, Detail, Level, Modal};

/// `W`: the editor for the selected route (Routes view, route detail) or the selected
/// route/rule/backend in the Gateways tree.
pub fn open(state: &mut AppState, ui: &ViewState) -> Vec<Effect> {
    if crate::app::writes::refused(state) {
        return vec![];
    }
    let Some((kind, key, rule)) = selected_route(state, ui) else {
        state.flash(
            "select a route first: Routes view (2) or a route in the Gateways tree (1)",
            Level::Warn,
        );
        return vec![];
    };
    open_rule(state, kind, &key, rule)
}

/// The editor on rule `rule` of one route (also the Diagnostics fix of a weights finding).
pub fn open_rule(state: &mut AppState, kind: RouteKind, key: &ObjKey, rule: usize) -> Vec<Effect> {
    if crate::app::writes::refused(state) {
        return vec![];
    }
    let Some(route) = state.cache.routes.get(&(key.clone(), kind)) else {
        state.flash(
            format!("{} {key} no longer exists", kind.kind()),
            Level::Warn,
        );
        return vec![];
    };
    match WeightEditor::open(route, rule) {
        Ok(e) => state.modals.push(Modal::Weights(Box::new(e))),
        Err(why) => state.flash(why, Level::Warn),
    }
    vec![]
}

fn selected_route(state: &AppState, ui: &ViewState) -> Option<(RouteKind, ObjKey, usize)> {
    match state.view {
        ViewId::Routes => match state.detail() {
            Some(Detail::Route { kind, key }) => Some((*kind, key.clone(), 0)),
            _ => state
                .derived
                .routes
                .get(ui.selected(ViewId::Routes))
                .map(|r| (r.kind, r.key.clone(), 0)),
        },
        ViewId::Gateways => from_tree_path(ui.tree.selected()),
        _ => None,
    }
}

/// Tree ids are `…/r:<Kind>:<ns>/<name>/rule:<i>/b:<j>`; the route is the `r:` element,
/// the rule the `rule:` element after it (the first rule when a route line is selected).
fn from_tree_path(path: &[String]) -> Option<(RouteKind, ObjKey, usize)> {
    let at = path.iter().position(|id| id.starts_with("r:"))?;
    let (kind, key) = path[at].strip_prefix("r:")?.split_once(':')?;
    let kind = [RouteKind::Http, RouteKind::Grpc, RouteKind::Virtual]
        .into_iter()
        .find(|k| k.kind() == kind)?;
    let (ns, name) = key.split_once('/')?;
    let rule = path
        .get(at + 1)
        .and_then(|id| id.strip_prefix("rule:"))
        .and_then(|i| i.parse().ok())
        .unwrap_or(0);
    Some((kind, ObjKey::new(ns, name), rule))
}

fn route_of<'a>(state: &'a AppState, e: &WeightEditor) -> Option<&'a RouteInfo> {
    state.cache.routes.get(&(e.key.clone(), e.kind))
}

/// What an action asks of the editor's caller.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Next {
    Stay,
    Close,
    Confirm(Vec<WeightChange>),
}

/// A key while the editor is the top modal: an action of `[keys.weights]`, or text while a
/// value is typed (see `WeightsAction`).
pub fn key(state: &mut AppState, keymap: &Keymap, key: KeyEvent) -> Vec<Effect> {
    let Some(Modal::Weights(e)) = state.modals.last() else {
        return vec![];
    };
    // The editor works on a copy so it can look at the cache while it changes.
    let mut e = e.clone();
    let route = route_of(state, &e).cloned();
    let action = keymap.modal::<WeightsAction>(&key);
    let next = if e.typing.is_some() {
        type_key(&mut e, action, &key);
        Next::Stay
    } else {
        match (action, typed_char(&key)) {
            (Some(a), _) => apply(&mut e, a, route.as_ref()),
            (None, Some(d @ '0'..='9')) => {
                e.start_typing(Some(d));
                Next::Stay
            }
            _ => Next::Stay,
        }
    };
    let (close, confirm) = match next {
        Next::Stay => (false, None),
        Next::Close => (true, None),
        Next::Confirm(changes) => (false, Some(changes)),
    };
    if close {
        state.modals.pop();
        if e.modified() {
            state.flash("weight draft discarded; nothing was written", Level::Info);
        }
        return vec![];
    }
    if let Some(changes) = confirm {
        let body = diff_body(&state.conn.context, &e, &changes);
        let op = WriteOp::SetWeights {
            kind: e.kind,
            key: e.key.clone(),
            rule: e.rule,
            resource_version: e.resource_version.clone(),
            changes,
        };
        if let Some(Modal::Weights(top)) = state.modals.last_mut() {
            *top = e.clone();
        }
        state
            .modals
            .push(Modal::Confirm(Box::new(Confirm::with_body(op, body))));
        return vec![];
    }
    if let Some(Modal::Weights(top)) = state.modals.last_mut() {
        *top = e.clone();
    }
    vec![]
}

/// A printable key (no ctrl or alt): text when a value is typed.
fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// While a value is typed: printable keys are text, backspace edits, review's keys set the
/// value and close's keys cancel it.
fn type_key(e: &mut WeightEditor, action: Option<WeightsAction>, key: &KeyEvent) {
    match (typed_char(key), action) {
        (Some(c), _) => e.type_char(c),
        (None, Some(WeightsAction::Review)) => e.commit_typing(),
        (None, Some(WeightsAction::Close)) => e.cancel_typing(),
        _ if key.code == KeyCode::Backspace => e.type_backspace(),
        _ => {}
    }
}

/// One editor action (no value being typed): a pure transition of the draft.
fn apply(e: &mut WeightEditor, action: WeightsAction, route: Option<&RouteInfo>) -> Next {
    use WeightsAction as A;
    match action {
        A::Down => e.move_cursor(true),
        A::Up => e.move_cursor(false),
        A::Increase => e.step(SMALL_STEP),
        A::Decrease => e.step(-SMALL_STEP),
        A::IncreaseMore => e.step(LARGE_STEP),
        A::DecreaseMore => e.step(-LARGE_STEP),
        A::TypeValue => e.start_typing(None),
        A::EvenSplit => e.even_split(),
        A::CanaryPreset => e.cycle_preset(),
        A::Normalise => e.normalise(),
        A::Reset => e.reset(route),
        A::Rebase => e.rebase(),
        A::NextRule => e.switch_rule(route, true),
        A::PreviousRule => e.switch_rule(route, false),
        A::Review => match e.review() {
            Ok(changes) => return Next::Confirm(changes),
            Err(note) => e.note = Some(note),
        },
        A::Close if e.wants_close() => return Next::Close,
        A::Close => {}
    }
    Next::Stay
}

/// A paste into the editor goes into the value being typed (its first line, as if typed);
/// with no value being typed it is ignored: keys here are commands, a paste is never keys.
pub fn paste(state: &mut AppState, text: &str) -> crate::state::input::Cut {
    use crate::state::input::{MAX_CHARS, one_line};
    let Some(Modal::Weights(e)) = state.modals.last_mut() else {
        return Default::default();
    };
    let Some(typed) = &mut e.typing else {
        return Default::default();
    };
    let (taken, cut) = one_line(text, MAX_CHARS.saturating_sub(typed.chars().count()));
    typed.push_str(&taken);
    cut
}

/// The object diff the confirm shows: the rule's backends with each changed weight as a
/// `-`/`+` pair, shares in percent, the precondition, and the all-zero warning.
pub fn diff_body(context: &str, e: &WeightEditor, changes: &[WeightChange]) -> Vec<String> {
    let before: Vec<i64> = e.backends.iter().map(|b| b.before).collect();
    let p_before = shares(&before).percent;
    let p_after = e.percent();
    let (list, item) = match e.kind {
        RouteKind::Virtual => (format!("spec.http[{}].route:", e.rule), "destination"),
        _ => (format!("spec.rules[{}].backendRefs:", e.rule), "backendRef"),
    };
    let mut body = vec![
        format!("context:   {context}"),
        format!("object:    {} {}", e.kind.kind(), e.key),
        format!("namespace: {}", e.key.ns),
        format!("{}", e.rule_label),
        String::new(),
        format!("  {list}"),
    ];
    for (i, b) in e.backends.iter().enumerate() {
        body.push(format!("    - {item}: {}", b.label));
        if changes.iter().any(|c| c.index == i) {
            body.push(format!(
                "-     weight: {:<9} # {}",
                b.before,
                format_percent(p_before[i])
            ));
            body.push(format!(
                "+     weight: {:<9} # {}",
                b.weight,
                format_percent(p_after[i])
            ));
        } else {
            body.push(format!(
                "      weight: {:<9} # {}",
                b.weight,
                format_percent(p_after[i])
            ));
        }
    }
    body.push(String::new());
    body.push(format!(
        "JSON patch: test resourceVersion \"{}\"{}, then set {} weight(s).",
        e.resource_version,
        if e.kind == RouteKind::Virtual {
            ""
        } else {
            " and each backend's name"
        },
        changes.len()
    ));
    body.push(
        "A server dry run runs first; if the route changed since, nothing is written.".into(),
    );
    if e.total() == 0 {
        body.push(String::new());
        body.push(
            "⚠ ALL WEIGHTS ARE 0: this rule will send NO traffic (clients get HTTP 500).".into(),
        );
    }
    body
}

/// The confirmed editor leaves the modal stack; its draft waits with the write it became
/// (`app::writes`), so only that write's answer decides what happens to it.
pub fn take_confirmed_draft(state: &mut AppState, op: &WriteOp) -> Option<Box<WeightEditor>> {
    if matches!(op, WriteOp::SetWeights { .. })
        && let Some(Modal::Weights(_)) = state.modals.last()
        && let Some(Modal::Weights(e)) = state.modals.pop()
    {
        return Some(e);
    }
    None
}

/// The answer to the weight write that carried `draft`: applied drops the draft; refused
/// brings the editor back with the draft and, beside it, the cluster's weights now, so
/// nothing is lost or overwritten.
pub fn write_done(state: &mut AppState, draft: Option<Box<WeightEditor>>, done: &WriteDone) {
    let Some(mut e) = draft else {
        return;
    };
    if done.outcome.applied() {
        return;
    }
    let why = &done.text;
    let route = route_of(state, &e).cloned();
    e.sync(route.as_ref());
    e.note = Some(if done.outcome == Outcome::Conflict {
        Note::Error(
            "CONFLICT: the route changed since you opened it; nothing was written. \
             Compare: {Rebase} keeps your draft on the fresh object, {Reset} takes the fresh \
             weights, {Close} discards."
                .into(),
        )
    } else {
        Note::Error(format!("not written: {why}"))
    });
    state.modals.push(Modal::Weights(e));
}

/// Watch events for an open editor's route: show drift (changed / reshaped) at once.
pub fn on_route_change(state: &mut AppState) {
    let routes = &state.cache.routes;
    for m in state.modals.iter_mut() {
        if let Modal::Weights(e) = m {
            e.sync(routes.get(&(e.key.clone(), e.kind)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::Msg;
    use crate::app::testkit::{answer, applied, press, write_ops};
    use crate::app::update::update;
    use crate::cluster::cache::Obj;
    use crate::cluster::kinds::Kind;
    use crate::cluster::objects::{BackendInfo, RuleInfo};
    use crate::cluster::watch::{WatchEvent, WatchMsg};
    use crate::config::Keymap;
    use crate::state::ConnInfo;
    use crate::state::write::{Origin, Outcome};

    fn checkout(rv: &str, weights: [i64; 2]) -> RouteInfo {
        let b = |name: &str, weight| BackendInfo {
            group: String::new(),
            kind: "Service".into(),
            key: ObjKey::new("shop", name),
            port: Some(8080),
            weight,
            subset: None,
        };
        RouteInfo {
            kind: RouteKind::Http,
            key: ObjKey::new("shop", "checkout"),
            generation: Some(1),
            resource_version: Some(rv.into()),
            hostnames: vec![],
            parents: vec![],
            rules: vec![RuleInfo {
                name: None,
                matches: vec![],
                backends: vec![b("stable", weights[0]), b("canary", weights[1])],
            }],
            status: vec![],
            created: None,
        }
    }

    fn world(read_only: bool) -> (AppState, ViewState, Keymap) {
        let conn = ConnInfo {
            context: "prod".into(),
            ..Default::default()
        };
        let mut s = AppState::new(conn, None, read_only, jiff::Timestamp::UNIX_EPOCH);
        s.generation = 1;
        let r = checkout("7", [90, 10]);
        s.cache.routes.insert((r.key.clone(), r.kind), r);
        s.view = ViewId::Routes;
        s.derived = crate::state::derived::Derived::compute(&s, &mut Default::default());
        (s, ViewState::default(), Keymap::default())
    }

    fn editor(s: &AppState) -> &WeightEditor {
        s.modals
            .iter()
            .rev()
            .find_map(|m| match m {
                Modal::Weights(e) => Some(&**e),
                _ => None,
            })
            .expect("the weight editor is open")
    }

    fn set_weights_op(weights: [i64; 2]) -> WriteOp {
        WriteOp::SetWeights {
            kind: RouteKind::Http,
            key: ObjKey::new("shop", "checkout"),
            rule: 0,
            resource_version: "7".into(),
            changes: vec![
                WeightChange {
                    index: 0,
                    identity: Some("stable".into()),
                    label: "shop/stable:8080".into(),
                    before: 90,
                    after: weights[0],
                },
                WeightChange {
                    index: 1,
                    identity: Some("canary".into()),
                    label: "shop/canary:8080".into(),
                    before: 10,
                    after: weights[1],
                },
            ],
        }
    }

    #[test]
    fn a_typed_value_is_text_and_the_review_and_close_keys_end_it() {
        let (mut s, mut ui, mut km) = world(false);
        let chord = |k: &str| k.parse::<crate::config::KeyChord>().expect("key");
        km.bind_modal(chord("ctrl-s"), Some(WeightsAction::Review));
        km.bind_modal::<WeightsAction>(chord("enter"), None);
        km.bind_modal(chord("x"), Some(WeightsAction::EvenSplit));
        press(&mut s, &mut ui, &km, "W7");
        // Bound keys are text while typing: `x` and `q` go into the value.
        press(&mut s, &mut ui, &km, "xq");
        assert_eq!(editor(&s).typing.as_deref(), Some("7xq"));
        for _ in 0..2 {
            let bs = KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE);
            update(&mut s, &mut ui, &km, Msg::Key(bs));
        }
        press(&mut s, &mut ui, &km, "\n");
        assert_eq!(editor(&s).typing.as_deref(), Some("7"), "enter is unbound");
        let ctrl_s = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
        update(&mut s, &mut ui, &km, Msg::Key(ctrl_s));
        assert_eq!(editor(&s).weights(), vec![7, 10], "ctrl-s sets the value");
        // Not typing: x is the even split it was bound to.
        press(&mut s, &mut ui, &km, "x");
        assert_eq!(editor(&s).weights(), vec![50, 50]);
        // esc (close) cancels a value being typed.
        press(&mut s, &mut ui, &km, "3\x1b");
        assert_eq!(editor(&s).typing, None);
        assert_eq!(editor(&s).weights(), vec![50, 50]);
    }

    #[test]
    fn a_paste_goes_into_the_typed_weight_only() {
        let (mut s, mut ui, km) = world(false);
        press(&mut s, &mut ui, &km, "W");
        // Not typing: the editor's keys are commands, a paste is ignored (no 'e', 'r', ...).
        update(&mut s, &mut ui, &km, Msg::Paste("e\n".into()));
        assert_eq!(editor(&s).weights(), vec![90, 10]);
        assert_eq!(editor(&s).typing, None);
        // Typing: the first line goes in, the line break does not commit it.
        press(&mut s, &mut ui, &km, "i");
        update(&mut s, &mut ui, &km, Msg::Paste("42\n7".into()));
        assert_eq!(editor(&s).typing.as_deref(), Some("42"));
        press(&mut s, &mut ui, &km, "\n");
        assert_eq!(editor(&s).weights(), vec![42, 10]);
    }

    #[test]
    fn w_opens_the_editor_and_only_an_explicit_confirm_writes() {
        let (mut s, mut ui, km) = world(false);
        assert_eq!(press(&mut s, &mut ui, &km, "W"), vec![]);
        assert_eq!(editor(&s).weights(), vec![90, 10]);
        // Canary preset to the second backend: 50%; enter shows the diff, nothing written.
        assert_eq!(press(&mut s, &mut ui, &km, "jc\n"), vec![]);
        let Some(Modal::Confirm(c)) = s.modals.last() else {
            panic!("the confirm with the diff")
        };
        assert!(!c.ok_focused, "Cancel has the focus");
        let body = c.body.join("\n");
        for want in [
            "context:   prod",
            "HTTPRoute shop/checkout",
            "-     weight: 90",
            "+     weight: 50",
            "\"7\"",
        ] {
            assert!(body.contains(want), "{want:?} missing from\n{body}");
        }
        // Enter on Cancel: back in the editor with the draft.
        assert_eq!(press(&mut s, &mut ui, &km, "\n"), vec![]);
        assert_eq!(editor(&s).weights(), vec![50, 50]);
        // Enter, Tab, Enter: one write with the precondition; the draft waits for the result.
        let fx = press(&mut s, &mut ui, &km, "\n\t\n");
        assert_eq!(write_ops(&fx), vec![set_weights_op([50, 50])]);
        assert!(s.modals.is_empty());
        assert_eq!(s.writes.in_flight(), 1, "the draft waits with its write");
        update(&mut s, &mut ui, &km, applied(&fx[0]));
        assert!(s.writes.in_flight() == 0 && s.modals.is_empty());
    }

    /// Regression: the draft used to wait in one slot that *any* write's answer emptied. With
    /// a bulk restart (or a migration wave) in flight, its answer arriving first dropped the
    /// draft, or reopened the editor with another write's error. Now each answer goes to the
    /// write that asked for it.
    #[test]
    fn another_writes_answer_neither_drops_nor_reopens_the_weight_draft() {
        let (mut s, mut ui, km) = world(false);
        let restart = WriteOp::RolloutRestart {
            kind: crate::cluster::objects::WorkloadKind::Deployment,
            key: ObjKey::new("shop", "cart"),
            resource_version: "3".into(),
        };
        let bulk = crate::app::writes::issue(&mut s, Origin::Bulk, vec![restart]);
        press(&mut s, &mut ui, &km, "W");
        let fx = press(&mut s, &mut ui, &km, "jc\n\t\n");
        assert_eq!(write_ops(&fx), vec![set_weights_op([50, 50])]);
        // The restart is refused first: no editor, and the draft still waits.
        update(
            &mut s,
            &mut ui,
            &km,
            answer(&bulk[0], Outcome::Forbidden, "forbidden: no"),
        );
        assert!(s.modals.is_empty(), "{:?}", s.modals);
        assert_eq!(s.writes.in_flight(), 1);
        // Then the weights write conflicts: the editor is back with this write's draft.
        update(
            &mut s,
            &mut ui,
            &km,
            answer(&fx[0], Outcome::Conflict, "changed"),
        );
        let e = editor(&s);
        assert_eq!(e.weights(), vec![50, 50], "the draft is not lost");
        assert!(matches!(&e.note, Some(Note::Error(t)) if t.contains("CONFLICT")));
        assert_eq!(s.writes.in_flight(), 0);
    }

    #[test]
    fn read_only_issues_no_write_whatever_the_flow() {
        let (mut s, _, _) = world(true);
        for origin in [
            Origin::Single,
            Origin::Weights,
            Origin::Bulk,
            Origin::MigrationWave,
        ] {
            let fx = crate::app::writes::issue(&mut s, origin, vec![set_weights_op([1, 2])]);
            assert_eq!(fx, vec![]);
        }
        assert_eq!(s.writes.in_flight(), 0);
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.starts_with("read-only mode")));
    }

    #[test]
    fn a_conflict_brings_back_the_draft_beside_the_fresh_weights() {
        let (mut s, mut ui, km) = world(false);
        press(&mut s, &mut ui, &km, "W");
        let fx = press(&mut s, &mut ui, &km, "jc\n\t\n");
        // Someone else changed the route meanwhile; the server refused the write.
        update(
            &mut s,
            &mut ui,
            &km,
            Msg::Watch(WatchMsg {
                generation: 1,
                kind: Kind::HttpRoutes,
                event: WatchEvent::Apply(Box::new(Obj::Route(checkout("8", [70, 30])))),
            }),
        );
        update(
            &mut s,
            &mut ui,
            &km,
            answer(&fx[0], Outcome::Conflict, "the object changed"),
        );
        let e = editor(&s);
        assert_eq!(e.weights(), vec![50, 50], "the draft is not lost");
        assert!(
            matches!(&e.drift, crate::state::weights::Drift::Changed { weights, .. } if *weights == vec![70, 30])
        );
        assert!(matches!(&e.note, Some(Note::Error(t)) if t.contains("CONFLICT")));
        // Its keys are actions: the editor draws whatever `[keys.weights]` binds to them.
        assert!(matches!(&e.note, Some(Note::Error(t)) if t.contains("{Rebase} keeps your draft")));
        // b: the draft on the fresh object; the next write is conditioned on "8".
        press(&mut s, &mut ui, &km, "b");
        let fx = press(&mut s, &mut ui, &km, "\n\t\n");
        let Some(Effect::Write {
            op:
                WriteOp::SetWeights {
                    resource_version,
                    changes,
                    ..
                },
            ..
        }) = fx.first()
        else {
            panic!("a write: {fx:?}")
        };
        assert_eq!(resource_version, "8");
        assert_eq!(
            changes
                .iter()
                .map(|c| (c.before, c.after))
                .collect::<Vec<_>>(),
            vec![(70, 50), (30, 50)]
        );
    }

    #[test]
    fn w_on_a_backend_line_of_the_gateways_tree_opens_that_rule() {
        let (mut s, mut ui, km) = world(false);
        s.view = ViewId::Gateways;
        ui.tree.select(
            [
                "class:x",
                "gw:infra/gw",
                "l:http",
                "r:HTTPRoute:shop/checkout",
                "rule:0",
                "b:1",
            ]
            .map(String::from)
            .to_vec(),
        );
        press(&mut s, &mut ui, &km, "W");
        let e = editor(&s);
        assert_eq!((e.key.name.as_str(), e.rule), ("checkout", 0));
        // A gateway line is not a route: a hint, no editor.
        press(&mut s, &mut ui, &km, "\x1b");
        ui.tree
            .select(["class:x", "gw:infra/gw"].map(String::from).to_vec());
        press(&mut s, &mut ui, &km, "W");
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("select a route first")));
    }

    #[test]
    fn keys_queued_behind_a_filter_act_on_the_filtered_rows() {
        let (mut s, mut ui, km) = world(false);
        let mut first = checkout("3", [1, 1]);
        first.key = ObjKey::new("shop", "a-first");
        s.cache
            .routes
            .insert((first.key.clone(), first.kind), first);
        s.derived = crate::state::derived::Derived::compute(&s, &mut Default::default());
        assert_eq!(s.derived.routes[0].key.name, "a-first");
        // No frame is drawn between the filter's Enter and W (fast typing, a paste).
        press(&mut s, &mut ui, &km, "/checkout\nW");
        assert_eq!(editor(&s).key, ObjKey::new("shop", "checkout"));
    }

    #[test]
    fn read_only_opens_no_editor_and_refuses_an_open_confirm() {
        let (mut s, mut ui, km) = world(true);
        assert_eq!(press(&mut s, &mut ui, &km, "W"), vec![]);
        assert!(s.modals.is_empty());
        assert!(matches!(&s.flash, Some((m, Level::Warn)) if m.contains("read-only")));
        let mut c = Confirm::with_body(set_weights_op([50, 50]), vec![]);
        c.ok_focused = true;
        s.modals.push(Modal::Confirm(Box::new(c)));
        assert_eq!(press(&mut s, &mut ui, &km, "\n"), vec![]);
    }

    #[test]
    fn bad_typed_input_never_reaches_the_api() {
        let (mut s, mut ui, km) = world(false);
        press(&mut s, &mut ui, &km, "W");
        for bad in ["iabc\n\n", "i-3\n\n", "2000000\n\n"] {
            let fx = press(&mut s, &mut ui, &km, bad);
            assert_eq!(fx, vec![], "{bad:?}");
            assert!(
                matches!(s.modals.last(), Some(Modal::Weights(_))),
                "{bad:?}: still in the editor"
            );
            assert!(matches!(&editor(&s).note, Some(Note::Error(_))), "{bad:?}");
            press(&mut s, &mut ui, &km, "\x1b");
        }
        assert_eq!(editor(&s).weights(), vec![90, 10]);
        // Esc with no changes closes.
        press(&mut s, &mut ui, &km, "\x1b");
        assert!(s.modals.is_empty());
    }

    #[test]
    fn tree_paths_name_route_and_rule() {
        let p = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            from_tree_path(&p(&[
                "class:x",
                "gw:infra/gw",
                "l:http",
                "r:HTTPRoute:shop/web",
                "rule:2",
                "b:0"
            ])),
            Some((RouteKind::Http, ObjKey::new("shop", "web"), 2))
        );
        assert_eq!(
            from_tree_path(&p(&["class:x", "gw:infra/gw", "l:http", "r:GRPCRoute:s/g"])),
            Some((RouteKind::Grpc, ObjKey::new("s", "g"), 0))
        );
        assert_eq!(from_tree_path(&p(&["class:x", "gw:infra/gw"])), None);
    }
}
