use super::*;
use crate::cluster::objects::RuleInfo;

fn backend(name: &str, weight: i64) -> BackendInfo {
    BackendInfo {
        group: String::new(),
        kind: "Service".into(),
        key: ObjKey::new("shop", name),
        port: Some(8080),
        weight,
        subset: None,
    }
}

fn route(kind: RouteKind, rules: Vec<Vec<BackendInfo>>) -> RouteInfo {
    RouteInfo {
        kind,
        key: ObjKey::new("shop", "checkout"),
        generation: Some(1),
        resource_version: Some("100".into()),
        hostnames: vec![],
        parents: vec![],
        rules: rules
            .into_iter()
            .map(|backends| RuleInfo {
                name: None,
                matches: vec!["PathPrefix /".into()],
                backends,
            })
            .collect(),
        status: vec![],
        created: None,
    }
}

fn http(weights: &[i64]) -> RouteInfo {
    let names = ["v1", "v2", "v3", "v4"];
    route(
        RouteKind::Http,
        vec![
            weights
                .iter()
                .zip(names)
                .map(|(w, n)| backend(n, *w))
                .collect(),
        ],
    )
}

fn vs(weights: &[i64]) -> RouteInfo {
    let mut r = http(weights);
    r.kind = RouteKind::Virtual;
    r
}

fn editor(r: &RouteInfo) -> WeightEditor {
    WeightEditor::open(r, 0).unwrap()
}

fn error_text(n: Note) -> String {
    match n {
        Note::Error(t) | Note::Warn(t) | Note::Info(t) => t,
    }
}

#[test]
fn small_and_large_steps_clamp_to_the_kinds_range() {
    let mut e = editor(&http(&[90, 10]));
    e.step(SMALL_STEP);
    assert_eq!(e.weights(), vec![91, 10]);
    e.step(-LARGE_STEP);
    assert_eq!(e.weights(), vec![81, 10]);
    e.move_cursor(true);
    e.step(-LARGE_STEP);
    e.step(-LARGE_STEP);
    assert_eq!(e.weights(), vec![81, 0], "never below 0");
    assert!(matches!(e.note, Some(Note::Warn(_))));
    e.backends[1].weight = 999_995;
    e.step(LARGE_STEP);
    assert_eq!(e.backends[1].weight, 1_000_000, "Gateway API maximum");

    let mut v = editor(&vs(&[95, 5]));
    v.step(LARGE_STEP);
    assert_eq!(v.weights(), vec![100, 5], "a percentage stops at 100");
}

#[test]
fn cursor_stays_on_the_backends() {
    let mut e = editor(&http(&[1, 1, 1]));
    e.move_cursor(false);
    assert_eq!(e.cursor, 0);
    for _ in 0..5 {
        e.move_cursor(true);
    }
    assert_eq!(e.cursor, 2);
}

#[test]
fn typed_values_are_validated_and_bad_text_is_kept_with_a_reason() {
    let mut e = editor(&http(&[90, 10]));
    e.start_typing(Some('4'));
    e.type_char('2');
    e.commit_typing();
    assert_eq!(e.weights(), vec![42, 10]);
    assert_eq!(e.typing, None);

    for (text, says) in [
        ("abc", "not a whole number"),
        ("-5", "cannot be negative"),
        ("1000001", "too large"),
        ("99999999999999999999", "too large"),
        ("", "type a number"),
        ("4.5", "not a whole number"),
    ] {
        e.start_typing(None);
        for c in text.chars() {
            e.type_char(c);
        }
        e.commit_typing();
        assert_eq!(
            e.weights(),
            vec![42, 10],
            "{text:?} must not change the draft"
        );
        assert_eq!(
            e.typing.as_deref(),
            Some(text),
            "the typed text stays to be fixed"
        );
        let Some(Note::Error(msg)) = &e.note else {
            panic!("{text:?}: expected an error, got {:?}", e.note)
        };
        assert!(msg.contains(says), "{text:?}: {msg}");
        e.cancel_typing();
    }
    assert_eq!(parse_weight("1,000,000", Scale::Relative), Ok(1_000_000));
    assert!(
        parse_weight("101", Scale::Percent)
            .unwrap_err()
            .contains("100")
    );
}

#[test]
fn even_split_and_presets_sum_to_100() {
    let mut e = editor(&http(&[7, 3, 0]));
    e.even_split();
    assert_eq!(e.weights(), vec![34, 33, 33]);

    // 10% to the selected backend; the others keep their proportions.
    let mut e = editor(&http(&[60, 30, 10]));
    e.cursor = 2;
    e.preset(50);
    assert_eq!(e.weights(), vec![33, 17, 50]);
    e.preset(100);
    assert_eq!(e.weights(), vec![0, 0, 100]);
    e.preset(0);
    assert_eq!(
        e.weights(),
        vec![50, 50, 0],
        "others had nothing: they split evenly"
    );
}

#[test]
fn the_canary_preset_cycles_0_10_50_100() {
    let mut e = editor(&http(&[100, 0]));
    e.cursor = 1;
    let mut seen = vec![];
    for _ in 0..4 {
        e.cycle_preset();
        seen.push(e.weights());
    }
    assert_eq!(
        seen,
        vec![vec![90, 10], vec![50, 50], vec![0, 100], vec![100, 0]]
    );
}

#[test]
fn normalise_scales_to_exactly_100() {
    let mut v = editor(&vs(&[80, 10, 0]));
    v.normalise();
    assert_eq!(v.weights(), vec![89, 11, 0]);
    assert_eq!(v.total(), 100);
    let mut z = editor(&vs(&[0, 0]));
    z.normalise();
    assert_eq!(z.weights(), vec![0, 0], "nothing to scale");
    assert!(matches!(z.note, Some(Note::Warn(_))));
}

#[test]
fn a_virtual_service_must_sum_to_100_before_review() {
    let mut v = editor(&vs(&[80, 20]));
    v.step(-LARGE_STEP);
    let err = error_text(v.review().unwrap_err());
    assert!(
        err.contains("sum to 90") && err.contains("n normalises"),
        "{err}"
    );
    v.normalise();
    let changes = v.review().unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.index, c.before, c.after))
            .collect::<Vec<_>>(),
        vec![(0, 80, 78), (1, 20, 22)]
    );
    assert!(
        changes.iter().all(|c| c.identity.is_none()),
        "VS hosts are not tested"
    );
}

#[test]
fn all_zero_gateway_weights_need_a_second_explicit_enter() {
    let mut e = editor(&http(&[1, 1]));
    e.step(-1);
    e.move_cursor(true);
    e.step(-1);
    assert_eq!(e.weights(), vec![0, 0]);
    let first = e.review().unwrap_err();
    assert!(error_text(first).contains("NO traffic"));
    assert!(e.zero_armed);
    let changes = e.review().expect("the second enter reviews");
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0].identity.as_deref(), Some("v1"));
    // Any change disarms it again.
    e.step(1);
    e.step(-1);
    assert!(!e.zero_armed);
}

#[test]
fn no_change_is_not_written() {
    let mut e = editor(&http(&[90, 10]));
    assert!(error_text(e.review().unwrap_err()).contains("no change"));
    e.step(5);
    e.step(-5);
    assert!(e.review().is_err(), "back to the start is no change");
}

#[test]
fn typing_must_finish_before_review() {
    let mut e = editor(&http(&[90, 10]));
    e.start_typing(Some('5'));
    assert!(error_text(e.review().unwrap_err()).contains("finish typing"));
}

#[test]
fn a_concurrent_change_is_shown_and_can_be_rebased_onto() {
    let mut e = editor(&http(&[90, 10]));
    e.step(-40);
    let mut fresh = http(&[80, 20]);
    fresh.resource_version = Some("101".into());
    e.sync(Some(&fresh));
    assert_eq!(
        e.drift,
        Drift::Changed {
            resource_version: "101".into(),
            weights: vec![80, 20]
        }
    );
    assert_eq!(e.weights(), vec![50, 10], "the draft is kept");
    e.rebase();
    assert_eq!(e.resource_version, "101");
    assert_eq!(
        e.backends[0].before, 80,
        "the diff is now against the fresh object"
    );
    let changes = e.review().unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| (c.before, c.after))
            .collect::<Vec<_>>(),
        vec![(80, 50), (20, 10)]
    );
}

#[test]
fn a_route_that_changed_shape_cannot_be_written() {
    let mut e = editor(&http(&[90, 10]));
    e.step(1);
    let reshaped = http(&[90, 10, 5]);
    e.sync(Some(&reshaped));
    assert!(matches!(e.drift, Drift::Reshaped(_)));
    let err = error_text(e.review().unwrap_err());
    assert!(
        err.contains("changed shape") && err.contains("cannot write"),
        "{err}"
    );
    e.step(1);
    assert_eq!(e.weights(), vec![91, 10], "no more edits on a dead draft");
    e.reset(Some(&reshaped));
    assert_eq!(e.weights(), vec![90, 10, 5], "r reloads the fresh route");
    e.sync(None);
    assert_eq!(e.drift, Drift::Reshaped("the route was deleted".into()));
}

#[test]
fn rules_switch_only_without_unsaved_changes() {
    let two = route(
        RouteKind::Http,
        vec![
            vec![backend("a", 1), backend("b", 1)],
            vec![backend("c", 5)],
        ],
    );
    let mut e = editor(&two);
    e.step(1);
    e.switch_rule(Some(&two), true);
    assert_eq!(e.rule, 0, "refused with changes");
    e.reset(Some(&two));
    e.switch_rule(Some(&two), true);
    assert_eq!((e.rule, e.backends.len()), (1, 1));
    e.switch_rule(Some(&two), true);
    assert_eq!(e.rule, 0, "wraps");
}

#[test]
fn routes_without_backends_or_version_are_refused() {
    let mut r = route(RouteKind::Http, vec![vec![]]);
    assert!(
        WeightEditor::open(&r, 0)
            .unwrap_err()
            .contains("no backends")
    );
    r = http(&[1]);
    r.resource_version = None;
    assert!(WeightEditor::open(&r, 0).is_err());
    // The first rule with backends is opened when the asked one has none.
    let r = route(RouteKind::Http, vec![vec![], vec![backend("x", 1)]]);
    assert_eq!(WeightEditor::open(&r, 0).unwrap().rule, 1);
}

#[test]
fn esc_discards_a_modified_draft_only_the_second_time() {
    let mut e = editor(&http(&[90, 10]));
    assert!(e.wants_close(), "nothing to lose");
    e.step(1);
    assert!(!e.wants_close());
    assert!(e.wants_close());
    let mut t = editor(&http(&[90, 10]));
    t.start_typing(Some('1'));
    assert!(!t.wants_close(), "esc first cancels typing");
    assert_eq!(t.typing, None);
}
