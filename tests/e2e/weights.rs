//! End-to-end tests of the weight editor through the REAL `meshctl-tui` binary in a
//! pseudo-terminal (160x48) against a real kube-apiserver 1.20 + etcd on loopback, with the
//! upstream Gateway API and Istio CRDs. Keys are typed like a user (`2`, `/name` Enter, `W`,
//! editor keys, Enter, Tab, Enter) and every effect is read back through the API.
//!
//! 1. HTTPRoute: the diff names context/namespace/object; Cancel returns to the editor and
//!    writes nothing; Confirm writes exactly the new weights; all-zero needs a second Enter;
//!    one audit line per write.
//! 2. VirtualService: a sum other than 100 is refused in the editor; `n` normalises; the
//!    written weights sum to 100. A concurrent change between open and confirm gives the
//!    conflict flow: nothing is overwritten, the fresh weights are shown beside the draft,
//!    `b` applies the draft to the fresh object. A route that changes shape cannot be
//!    written.
//! 3. `--read-only` opens no editor; a user without `patch` sees the server's reason and
//!    keeps the draft; nothing is written in either case (checked through the API).
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.

use crate::support::{kube_env, machine, pty, scenario};

use std::time::{Duration, Instant};

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube_env::{CONTEXT, KubeEnv};
use pty::{Console, ENTER, ESC};
use scenario::*;
use serde_json::{Value, json};

fn step(name: &str, started: Instant) {
    scenario::step("e2e_weights", name, started);
}

const ROUTES: &str = include_str!("../fixtures/weights_routes.yaml");

async fn seeded_env() -> KubeEnv {
    let env = KubeEnv::start().await;
    install_crds(&env).await;
    env.apply_yaml(ROUTES).await;
    env
}

fn httproutes(env: &KubeEnv) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", "HTTPRoute");
    Api::namespaced_with(env.client(), "shop", &ApiResource::from_gvk(&gvk))
}

fn virtualservices(env: &KubeEnv) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("networking.istio.io", "v1beta1", "VirtualService");
    Api::namespaced_with(env.client(), "shop", &ApiResource::from_gvk(&gvk))
}

async fn object(api: &Api<DynamicObject>, name: &str) -> Value {
    let o = api
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("get {name}: {e}"));
    serde_json::to_value(o).unwrap()
}

/// The weights of rule 0 as stored (`None` = omitted).
async fn weights(api: &Api<DynamicObject>, name: &str, list: &str) -> Vec<Option<i64>> {
    let o = object(api, name).await;
    o.pointer(list)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("{name} has no {list}: {o:#}"))
        .iter()
        .map(|b| b.get("weight").and_then(Value::as_i64))
        .collect()
}

const HTTP_BACKENDS: &str = "/spec/rules/0/backendRefs";
const VS_ROUTE: &str = "/spec/http/0/route";

fn rv(o: &Value) -> String {
    o.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .expect("resourceVersion")
        .to_string()
}

/// Routes view, filtered to `name`, editor opened on it.
fn open_editor(console: &mut Console, name: &str, kind: &str) {
    console.send("2");
    console.wait_for("┌ Routes [", STEP);
    console.wait_for(&format!("shop/{name}"), STEP);
    console.send(&format!("/{name}"));
    console.wait_for("type to filter", STEP);
    console.send(ENTER);
    console.wait_for_absent("type to filter", STEP);
    console.send("W");
    console.wait_for_all(&[&format!("Weights · {kind} shop/{name}"), "BACKEND"], STEP);
}

/// Waits until the editor's line for `backend` shows `was → draft` (or `draft` alone when
/// unchanged), e.g. `("checkout-stable", "90", "50")`.
fn wait_row(console: &mut Console, backend: &str, was: &str, draft: &str) {
    let arrow = if was == draft { " " } else { "→" };
    console.wait_until(&format!("{backend}: {was} {arrow} {draft}"), STEP, |s| {
        s.lines.iter().any(|l| {
            let Some(at) = l.find(backend) else {
                return false;
            };
            let words: Vec<&str> = l[at + backend.len()..].split_whitespace().collect();
            if was == draft {
                words.first() == Some(&was) && words.get(1) == Some(&draft)
            } else {
                words.first() == Some(&was)
                    && words.get(1) == Some(&"→")
                    && words.get(2) == Some(&draft)
            }
        })
    });
}

// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_route_weights_by_keys_cancel_then_confirm_then_all_zero() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = seeded_env().await;
    let api = httproutes(&env);
    let rv0 = rv(&object(&api, "checkout").await);
    // The canary's weight as stored: the upstream CRD's schema default 1, or omitted with
    // a CRD set without that default (MESHCTL_CRDS_DIR=assets/demo).
    let stored0 = weights(&api, "checkout", HTTP_BACKENDS).await;
    assert!(
        matches!(stored0.as_slice(), [Some(90), Some(1) | None]),
        "{stored0:?}"
    );
    step("apiserver ready, routes seeded", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["ctx:e2e", "● live"], STARTUP);
    open_editor(&mut console, "checkout", "HTTPRoute");
    // The omitted weight is Gateway API's default 1 (also for the console).
    wait_row(&mut console, "shop/checkout-stable:8080", "90", "90");
    wait_row(&mut console, "shop/checkout-canary:8080", "1", "1");
    console.wait_for_all(&["98.9%", "1.1%", "relative weights 0–1,000,000"], STEP);

    // Canary preset on the second backend: 10%, then 50%.
    console.send("jcc");
    wait_row(&mut console, "shop/checkout-canary:8080", "1", "50");
    wait_row(&mut console, "shop/checkout-stable:8080", "90", "50");
    console.send(ENTER);
    console.wait_for_all(
        &[
            "set weights HTTPRoute shop/checkout?",
            &format!("context:   {CONTEXT}"),
            "object:    HTTPRoute shop/checkout",
            "namespace: shop",
            "spec.rules[0].backendRefs:",
            "- backendRef: shop/checkout-stable:8080",
            "-     weight: 90",
            "+     weight: 50",
            "-     weight: 1",
            &format!("test resourceVersion \"{rv0}\""),
            "[ Cancel ]",
        ],
        STEP,
    );
    step("diff shown", t);

    // Enter on Cancel: back in the editor, draft intact, nothing written.
    console.send(ENTER);
    console.wait_for_absent("[ Cancel ]", STEP);
    wait_row(&mut console, "shop/checkout-canary:8080", "1", "50");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(weights(&api, "checkout", HTTP_BACKENDS).await, stored0);
    assert!(audit_lines(&console).is_empty());
    step("cancel wrote nothing; the draft is kept", t);

    // Enter, Tab, Enter: written.
    console.send(ENTER);
    console.wait_for("[ Cancel ]", STEP);
    console.send("\t");
    console.send(ENTER);
    console.wait_for("set weights HTTPRoute shop/checkout: applied", STEP);
    assert_eq!(
        weights(&api, "checkout", HTTP_BACKENDS).await,
        vec![Some(50), Some(50)]
    );
    let after = object(&api, "checkout").await;
    assert_eq!(
        after.pointer("/spec/rules/0/backendRefs/0/name"),
        Some(&json!("checkout-stable")),
        "nothing else changed"
    );
    // The Routes table shows the new split live.
    console.wait_for_line(
        &[
            "shop/checkout",
            "checkout-stable 50%",
            "checkout-canary 50%",
        ],
        STEP,
    );
    let lines = audit_lines(&console);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    assert_eq!(lines[0]["verb"], "set-weights");
    assert_eq!(lines[0]["outcome"]["result"], "applied");
    assert_eq!(lines[0]["resource_version_before"], json!(rv0));
    step("confirm wrote 50/50, one audit line", t);

    // All zero: the first Enter only warns, the second reviews, the confirm warns again.
    console.send("W");
    console.wait_for("Weights · HTTPRoute shop/checkout", STEP);
    console.send("i0");
    console.send(ENTER);
    console.send("ji0");
    console.send(ENTER);
    wait_row(&mut console, "shop/checkout-canary:8080", "50", "0");
    console.send(ENTER);
    console.wait_for("ALL WEIGHTS ARE 0: this rule will send NO traffic", STEP);
    assert!(!console.screen().contains("[ Cancel ]"));
    console.send(ENTER);
    console.wait_for_all(&["[ Cancel ]", "⚠ ALL WEIGHTS ARE 0"], STEP);
    console.send("\t");
    console.send(ENTER);
    console.wait_for("set weights HTTPRoute shop/checkout: applied", STEP);
    assert_eq!(
        weights(&api, "checkout", HTTP_BACKENDS).await,
        vec![Some(0), Some(0)]
    );
    // (PROBLEMS holds more than its column: the cut cell ends with `…` at 160 columns.)
    console.wait_for("rule 1 has all backend weights 0: no traff", STEP);
    assert_eq!(audit_lines(&console).len(), 2);
    step("all-zero written after the explicit second enter", t);
    quit(&mut console);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn virtual_service_must_sum_to_100_and_a_concurrent_change_is_never_overwritten() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = seeded_env().await;
    let api = virtualservices(&env);
    step("apiserver ready, routes seeded", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["ctx:e2e", "● live"], STARTUP);
    open_editor(&mut console, "reviews", "VirtualService");
    wait_row(&mut console, "shop/reviews subset v1", "80", "80");
    // +10 on v1: 90 + 20 = 110, refused in the editor.
    console.send("L");
    wait_row(&mut console, "shop/reviews subset v1", "80", "90");
    console.send(ENTER);
    console.wait_for(
        "weights sum to 110; VirtualService weights must sum to 100",
        STEP,
    );
    assert!(!console.screen().contains("[ Cancel ]"));
    // n: 82 + 18.
    console.send("n");
    wait_row(&mut console, "shop/reviews subset v1", "80", "82");
    wait_row(&mut console, "shop/reviews subset v2", "20", "18");
    step("110 refused, normalised to 82/18", t);

    // Someone else writes 70/30 while the editor is open: shown at once.
    let before = object(&api, "reviews").await;
    api.patch(
        "reviews",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"http": [{"name": "canary", "route": [
            {"destination": {"host": "reviews", "subset": "v1"}, "weight": 70},
            {"destination": {"host": "reviews", "subset": "v2"}, "weight": 30}
        ]}]}})),
    )
    .await
    .expect("concurrent patch");
    console.wait_for_all(&["The route changed in the cluster", "CLUSTER NOW"], STEP);
    step("concurrent change shown live in the editor", t);

    // Confirming the stale draft: the server refuses, nothing is overwritten.
    console.send(ENTER);
    console.wait_for(&format!("test resourceVersion \"{}\"", rv(&before)), STEP);
    console.send("\t");
    console.send(ENTER);
    console.wait_for(
        "CONFLICT: the route changed since you opened it; nothing was written",
        STEP,
    );
    assert_eq!(
        weights(&api, "reviews", VS_ROUTE).await,
        vec![Some(70), Some(30)],
        "the other writer's change survives"
    );
    wait_row(&mut console, "shop/reviews subset v1", "80", "82");
    step(
        "409: nothing overwritten; draft beside the fresh weights",
        t,
    );

    // b: the draft on the fresh object; the diff is now 70 -> 82, 30 -> 18.
    console.send("b");
    wait_row(&mut console, "shop/reviews subset v1", "70", "82");
    console.send(ENTER);
    console.wait_for_all(&["-     weight: 70", "+     weight: 82"], STEP);
    console.send("\t");
    console.send(ENTER);
    console.wait_for("set weights VirtualService shop/reviews: applied", STEP);
    assert_eq!(
        weights(&api, "reviews", VS_ROUTE).await,
        vec![Some(82), Some(18)]
    );
    // Two audit lines: the conflict (caught by the dry run, so no real write was tried)
    // and the applied rebased draft.
    let audit = audit_lines(&console);
    assert_eq!(audit.len(), 2, "{audit:#?}");
    assert_eq!(audit[0]["dry_run"]["result"], "rejected", "{audit:#?}");
    assert!(
        audit[0]["dry_run"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("conflict:")),
        "{audit:#?}"
    );
    assert_eq!(audit[0]["outcome"], Value::Null, "{audit:#?}");
    assert_eq!(audit[1]["outcome"]["result"], "applied", "{audit:#?}");
    step("rebased draft written", t);

    // A third destination appears while the editor is open: the draft cannot be applied.
    console.send("W");
    console.wait_for("Weights · VirtualService shop/reviews", STEP);
    console.send("L");
    api.patch(
        "reviews",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"http": [{"name": "canary", "route": [
            {"destination": {"host": "reviews", "subset": "v1"}, "weight": 80},
            {"destination": {"host": "reviews", "subset": "v2"}, "weight": 10},
            {"destination": {"host": "reviews", "subset": "v3"}, "weight": 10}
        ]}]}})),
    )
    .await
    .expect("reshaping patch");
    console.wait_for("the route changed shape meanwhile", STEP);
    console.send(ENTER);
    console.wait_for("cannot write this draft: the route changed shape", STEP);
    assert!(!console.screen().contains("[ Cancel ]"));
    console.send("r");
    wait_row(&mut console, "shop/reviews subset v3", "10", "10");
    assert_eq!(audit_lines(&console).len(), 2, "nothing more was attempted");
    step("reshaped route refused, r reloads it", t);
    console.send(ESC);
    console.wait_for_absent("Weights ·", STEP);
    quit(&mut console);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_forbidden_write_nothing() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = seeded_env().await;
    env.apply_yaml(&read_everything_rbac()).await;
    let api = httproutes(&env);
    let rv0 = rv(&object(&api, "checkout").await);
    step("apiserver ready", t);

    let mut console = Console::start(env.kubeconfig_path(), &["--read-only"]);
    console.wait_for_all(&["● live", "[read-only]"], STARTUP);
    console.send("2");
    console.wait_for("shop/checkout", STEP);
    console.send("W");
    console.wait_for("read-only mode: writes are disabled", STEP);
    assert!(!console.screen().contains("Weights ·"));
    quit(&mut console);
    assert!(audit_lines(&console).is_empty());
    step("read-only: no editor", t);

    let mut console = Console::start(env.limited_kubeconfig_path(), &[]);
    console.wait_for_all(&["user:e2e-limited", "● live"], STARTUP);
    open_editor(&mut console, "checkout", "HTTPRoute");
    console.send("jc");
    wait_row(&mut console, "shop/checkout-canary:8080", "1", "10");
    console.send(ENTER);
    console.wait_for("[ Cancel ]", STEP);
    console.send("\t");
    console.send(ENTER);
    console.wait_for_all(
        &[
            "not written: forbidden",
            "User \"e2e-limited\" cannot patch resource",
        ],
        STEP,
    );
    // The draft is still there to copy or retry.
    wait_row(&mut console, "shop/checkout-canary:8080", "1", "10");
    assert_eq!(rv(&object(&api, "checkout").await), rv0, "nothing written");
    let audit = audit_lines(&console);
    assert_eq!(audit.len(), 1, "the refusal is audited: {audit:#?}");
    step("forbidden: server's reason, draft kept, nothing written", t);
    console.send(ESC);
    console.send(ESC);
    console.wait_for_absent("Weights ·", STEP);
    quit(&mut console);
}
