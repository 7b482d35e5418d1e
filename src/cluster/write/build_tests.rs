use super::*;

fn ops(v: Value) -> Vec<PatchOperation> {
    serde_json::from_value(v).unwrap()
}

fn merge(req: &WriteRequest) -> &Value {
    match &req.patch {
        PatchBody::Merge(v) => v,
        other => panic!("expected a merge patch, got {other:?}"),
    }
}

fn json_ops(req: &WriteRequest) -> Value {
    match &req.patch {
        PatchBody::Json(p) => serde_json::to_value(p).unwrap(),
        other => panic!("expected a JSON patch, got {other:?}"),
    }
}

#[test]
fn restart_sets_the_kubectl_annotation_with_a_precondition() {
    let now: jiff::Timestamp = "2024-05-01T12:03:07.123456Z".parse().unwrap();
    let req = rollout_restart(Target::deployment("shop", "cart"), "42", now);
    assert_eq!(
        merge(&req),
        &json!({
            "metadata": {"resourceVersion": "42"},
            "spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": "2024-05-01T12:03:07Z"}}}}
        })
    );
    assert_eq!(req.verb, "rollout-restart");
    assert_eq!(req.patch.precondition(), Some("42"));
    assert_eq!(req.summary, "rollout restart Deployment shop/cart");
    // Same shape as Go's time.RFC3339 in UTC: whole seconds, `Z`.
    let at = req.patch.to_json()["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        at.parse::<jiff::Timestamp>().unwrap().as_second(),
        now.as_second()
    );
}

#[test]
fn namespace_labels_set_a_revision_and_remove_injection() {
    let req = set_namespace_labels(
        "shop",
        "7",
        &[("istio.io/rev".into(), "asm-1-22".into())],
        &["istio-injection".into()],
    );
    assert_eq!(req.target, Target::namespace("shop"));
    assert_eq!(
        merge(&req),
        &json!({"metadata": {"resourceVersion": "7", "labels": {
            "istio.io/rev": "asm-1-22", "istio-injection": null}}})
    );
    assert_eq!(
        req.summary,
        "label Namespace shop: istio.io/rev=asm-1-22 istio-injection-"
    );
}

#[test]
fn a_label_both_set_and_removed_is_set() {
    let req = set_namespace_labels("a", "1", &[("x".into(), "y".into())], &["x".into()]);
    assert_eq!(merge(&req)["metadata"]["labels"], json!({"x": "y"}));
    assert_eq!(req.summary, "label Namespace a: x=y");
}

#[test]
fn json_patch_starts_with_the_resource_version_test() {
    let req = guarded_json_patch(
        Target::httproute("shop", "web"),
        "9",
        ops(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "1"},
            {"op": "replace", "path": "/spec/rules/0/backendRefs/0/weight", "value": 10}
        ])),
        "set-weights",
        "weights".into(),
    );
    assert_eq!(
        json_ops(&req),
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "9"},
            {"op": "replace", "path": "/spec/rules/0/backendRefs/0/weight", "value": 10}
        ])
    );
    assert_eq!(req.patch.precondition(), Some("9"));
}

#[test]
fn precondition_is_required() {
    let bare = PatchBody::Merge(json!({"metadata": {"labels": {"a": "b"}}}));
    assert_eq!(bare.precondition(), None);
    let empty = PatchBody::Merge(json!({"metadata": {"resourceVersion": ""}}));
    assert_eq!(empty.precondition(), None);
    let late_test = PatchBody::Json(Patch(ops(json!([
        {"op": "add", "path": "/metadata/labels/a", "value": "b"},
        {"op": "test", "path": "/metadata/resourceVersion", "value": "3"}
    ]))));
    assert_eq!(late_test.precondition(), None);
}

#[test]
fn undo_of_a_label_change_restores_old_values_and_removes_new_ones() {
    let before = json!({"metadata": {"name": "shop", "resourceVersion": "7",
        "labels": {"istio-injection": "enabled", "team": "a"}}});
    let req = set_namespace_labels(
        "shop",
        "7",
        &[("istio.io/rev".into(), "asm-1-22".into())],
        &["istio-injection".into()],
    );
    let undo = undo_of(&req, &before, "8").unwrap();
    assert_eq!(undo.verb, "undo");
    assert_eq!(undo.target, req.target);
    assert_eq!(
        merge(&undo),
        &json!({"metadata": {"resourceVersion": "8", "labels": {
            "istio.io/rev": null, "istio-injection": "enabled"}}})
    );
    // Applying the write then the undo gives back the labels of `before`.
    let mut doc = before.clone();
    json_patch::merge(&mut doc, merge(&req));
    json_patch::merge(&mut doc, merge(&undo));
    assert_eq!(doc["metadata"]["labels"], before["metadata"]["labels"]);
}

#[test]
fn undo_of_a_first_restart_removes_the_annotations_it_created() {
    let before = json!({"metadata": {"resourceVersion": "5"},
        "spec": {"template": {"metadata": {"labels": {"app": "cart"}}}}});
    let req = rollout_restart(
        Target::deployment("shop", "cart"),
        "5",
        jiff::Timestamp::UNIX_EPOCH,
    );
    let undo = undo_of(&req, &before, "6").unwrap();
    assert_eq!(
        merge(&undo),
        &json!({"metadata": {"resourceVersion": "6"},
            "spec": {"template": {"metadata": {"annotations": null}}}})
    );
}

#[test]
fn undo_of_a_later_restart_restores_the_previous_timestamp() {
    let before = json!({"metadata": {"resourceVersion": "5"},
        "spec": {"template": {"metadata": {"annotations": {
            RESTARTED_AT: "2020-01-01T00:00:00Z", "other": "x"}}}}});
    let req = rollout_restart(
        Target::deployment("shop", "cart"),
        "5",
        jiff::Timestamp::UNIX_EPOCH,
    );
    let undo = undo_of(&req, &before, "6").unwrap();
    assert_eq!(
        merge(&undo)["spec"]["template"]["metadata"]["annotations"],
        json!({RESTARTED_AT: "2020-01-01T00:00:00Z"})
    );
}

#[test]
fn undo_of_a_json_patch_is_the_inverse_in_reverse_order() {
    let before = json!({"metadata": {"resourceVersion": "3", "labels": {"a": "1"}},
        "spec": {"refs": [{"w": 90}, {"w": 10}]}});
    let req = guarded_json_patch(
        Target::httproute("shop", "web"),
        "3",
        ops(json!([
            {"op": "replace", "path": "/spec/refs/0/w", "value": 50},
            {"op": "add", "path": "/spec/refs/-", "value": {"w": 0}},
            {"op": "remove", "path": "/metadata/labels/a"},
            {"op": "add", "path": "/metadata/labels/b", "value": "2"}
        ])),
        "set-weights",
        "w".into(),
    );
    let undo = undo_of(&req, &before, "4").unwrap();
    assert_eq!(
        json_ops(&undo),
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "4"},
            {"op": "remove", "path": "/metadata/labels/b"},
            {"op": "add", "path": "/metadata/labels/a", "value": "1"},
            {"op": "remove", "path": "/spec/refs/2"},
            {"op": "replace", "path": "/spec/refs/0/w", "value": 90}
        ])
    );
    // Round trip: write, then undo (rv bumped by "the server" in between).
    let mut doc = before.clone();
    let PatchBody::Json(p) = &req.patch else {
        unreachable!()
    };
    json_patch::patch(&mut doc, p).unwrap();
    doc["metadata"]["resourceVersion"] = "4".into();
    let PatchBody::Json(u) = &undo.patch else {
        unreachable!()
    };
    json_patch::patch(&mut doc, u).unwrap();
    doc["metadata"]["resourceVersion"] = "3".into();
    assert_eq!(doc, before);
}

#[test]
fn undo_refuses_a_before_object_of_another_version() {
    let req = set_namespace_labels("shop", "7", &[("a".into(), "b".into())], &[]);
    let before = json!({"metadata": {"resourceVersion": "6"}});
    assert!(
        undo_of(&req, &before, "8")
            .unwrap_err()
            .contains("resourceVersion")
    );
}

#[test]
fn undo_refuses_move_and_copy() {
    let before = json!({"metadata": {"resourceVersion": "1", "labels": {"a": "1"}}});
    let req = guarded_json_patch(
        Target::namespace("n"),
        "1",
        ops(json!([{"op": "copy", "from": "/metadata/labels/a", "path": "/metadata/labels/b"}])),
        "label-namespace",
        "copy".into(),
    );
    assert!(undo_of(&req, &before, "2").is_err());
}

#[test]
fn targets_display_and_resolve() {
    assert_eq!(
        Target::deployment("shop", "cart").display(),
        "Deployment shop/cart"
    );
    assert_eq!(Target::namespace("shop").display(), "Namespace shop");
    let ar = Target::virtualservice("a", "b").api_resource();
    assert_eq!(ar.api_version, "networking.istio.io/v1beta1");
    assert_eq!(Target::namespace("x").api_resource().api_version, "v1");
    assert_eq!(Target::grpcroute("a", "b").plural, "grpcroutes");
    assert_eq!(Target::statefulset("a", "b").kind, "StatefulSet");
    assert_eq!(Target::daemonset("a", "b").group, "apps");
}

#[test]
fn set_weights_tests_version_and_names_then_sets_weights() {
    let req = set_weights(
        Target::httproute("shop", "checkout"),
        "41",
        1,
        &[(0, Some("v1".into()), 50), (1, Some("v2".into()), 50)],
    );
    assert_eq!(
        req.patch.to_json(),
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "41"},
            {"op": "test", "path": "/spec/rules/1/backendRefs/0/name", "value": "v1"},
            {"op": "add", "path": "/spec/rules/1/backendRefs/0/weight", "value": 50},
            {"op": "test", "path": "/spec/rules/1/backendRefs/1/name", "value": "v2"},
            {"op": "add", "path": "/spec/rules/1/backendRefs/1/weight", "value": 50}
        ])
    );
    assert_eq!(
        req.summary,
        "set weights HTTPRoute shop/checkout rule 2: #1=50 #2=50"
    );

    // Applied to the object it was made for, it changes exactly the weights; an omitted
    // weight (default 1) is added.
    let mut obj = json!({"metadata": {"resourceVersion": "41"}, "spec": {"rules": [
        {"backendRefs": [{"name": "x"}]},
        {"backendRefs": [{"name": "v1", "weight": 90}, {"name": "v2"}]}
    ]}});
    let PatchBody::Json(p) = &req.patch else {
        panic!("a JSON patch")
    };
    json_patch::patch(&mut obj, p).unwrap();
    assert_eq!(obj["spec"]["rules"][1]["backendRefs"][0]["weight"], 50);
    assert_eq!(obj["spec"]["rules"][1]["backendRefs"][1]["weight"], 50);
    assert_eq!(
        obj["spec"]["rules"][0],
        json!({"backendRefs": [{"name": "x"}]})
    );

    // A backend that is not the one the user saw fails the patch.
    let mut swapped = json!({"metadata": {"resourceVersion": "41"}, "spec": {"rules": [{}, {"backendRefs": [{"name": "v2"}, {"name": "v1"}]}]}});
    assert!(json_patch::patch(&mut swapped, p).is_err());

    // The undo puts the old weights back (and removes the added one).
    let before = json!({"metadata": {"resourceVersion": "41"}, "spec": {"rules": [
        {"backendRefs": [{"name": "x"}]},
        {"backendRefs": [{"name": "v1", "weight": 90}, {"name": "v2"}]}
    ]}});
    let undo = undo_of(&req, &before, "42").unwrap();
    let PatchBody::Json(u) = &undo.patch else {
        panic!("a JSON patch")
    };
    json_patch::patch(&mut obj, u).unwrap_err(); // guarded by "42", obj still says 41
    obj["metadata"]["resourceVersion"] = "42".into();
    json_patch::patch(&mut obj, u).unwrap();
    obj["metadata"]["resourceVersion"] = "41".into();
    assert_eq!(obj, before);
}

#[test]
fn virtual_service_weights_live_under_http_route() {
    let req = set_weights(
        Target::virtualservice("bookinfo", "reviews"),
        "9",
        0,
        &[(2, None, 30)],
    );
    assert_eq!(
        req.patch.to_json(),
        json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "9"},
            {"op": "add", "path": "/spec/http/0/route/2/weight", "value": 30}
        ])
    );
}

#[test]
fn template_label_is_set_or_removed_under_the_precondition() {
    let req = set_template_label(
        Target::deployment("shop", "cart"),
        "42",
        "sidecar.istio.io/inject",
        Some("false"),
    );
    assert_eq!(
        merge(&req),
        &json!({"metadata": {"resourceVersion": "42"}, "spec": {"template": {"metadata":
            {"labels": {"sidecar.istio.io/inject": "false"}}}}})
    );
    assert_eq!(
        req.summary,
        "label Deployment shop/cart pod template: sidecar.istio.io/inject=false"
    );
    let req = set_template_label(
        Target::statefulset("db", "pg"),
        "7",
        "sidecar.istio.io/inject",
        None,
    );
    assert_eq!(
        merge(&req)["spec"]["template"]["metadata"]["labels"]["sidecar.istio.io/inject"],
        Value::Null
    );
    assert_eq!(req.verb, "label-template");
}
