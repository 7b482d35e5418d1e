//! End-to-end tests of the REAL `meshctl-tui` binary: it runs in a pseudo-terminal
//! (160x48, `TERM=xterm-256color`, a throw-away `MESHCTL_CONFIG_DIR`) against a real
//! kube-apiserver 1.20 + etcd on loopback, and the tests read its screen through a
//! vt100 emulator, typing keys like a user.
//!
//! Scenario: `tests/fixtures/console_scenario.yaml` (mesh namespaces, istiod, STRICT
//! PeerAuthentication, pods with and without sidecars, GatewayClass, Gateway, two
//! HTTPRoutes, Services) and `tests/fixtures/console_agc.yaml` (an
//! ApplicationLoadBalancer) with the minimal AGC CRDs of `tests/fixtures/agc_crds.yaml`.
//! Statuses are written through the status subresource, as controllers would.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.
//!
//! The tests run one at a time (a process-wide lock): each starts its own control plane,
//! and the live-update assertion measures a 1-second budget that a machine busy with
//! three apiservers at once would make flaky.

use crate::support::{crds, kube_env, machine, pty, scenario};

use std::path::PathBuf;
use std::time::{Duration, Instant};

use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube_env::KubeEnv;
use pty::{Console, ENTER, ESC, Screen};
use serde_json::{Value, json};

/// First sync of all watchers (cold binary start, TLS, 13 lists).
const STARTUP: Duration = Duration::from_secs(60);
/// Any one UI step after that.
const STEP: Duration = Duration::from_secs(15);
/// The live-update budget from the API write to the screen.
const LIVE_BUDGET: Duration = Duration::from_secs(1);

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures")).join(name)
}

fn read_fixture(name: &str) -> String {
    let p = fixture(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn ar(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn gateway_class_ar() -> ApiResource {
    ar(
        "gateway.networking.k8s.io",
        "v1",
        "GatewayClass",
        "gatewayclasses",
    )
}
fn gateway_ar() -> ApiResource {
    ar("gateway.networking.k8s.io", "v1", "Gateway", "gateways")
}
fn httproute_ar() -> ApiResource {
    ar("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes")
}
fn alb_ar() -> ApiResource {
    ar(
        "alb.networking.azure.io",
        "v1",
        "ApplicationLoadBalancer",
        "applicationloadbalancer",
    )
}

const T0: &str = "2025-01-01T00:00:00Z";
const AGC: &str = "alb.networking.azure.io/alb-controller";
const FQDN: &str = "xyz.fz12.alb.azure.com";

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({
        "type": type_, "status": status, "reason": reason, "message": message,
        "lastTransitionTime": T0, "observedGeneration": 1,
    })
}

/// Merge-patches `status` through the status subresource.
async fn patch_status(
    client: &Client,
    ar: &ApiResource,
    ns: Option<&str>,
    name: &str,
    status: Value,
) {
    let api: Api<DynamicObject> = match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, ar),
        None => Api::all_with(client.clone(), ar),
    };
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": status })),
    )
    .await
    .unwrap_or_else(|e| panic!("patch status of {} {name}: {e}", ar.kind));
}

/// CRDs, scenario objects and their statuses. `agc`: also the AGC CRDs (the ALB itself is
/// created by [`create_alb`]).
async fn seed(env: &KubeEnv, agc: bool) {
    let t = Instant::now();
    // The AGC CRDs come from the fixture or not at all, whatever the set holds.
    env.install_crd_documents(crds::except_groups(&[crds::AGC]))
        .await;
    if agc {
        install_agc(env).await;
    }
    env.apply_yaml(&read_fixture("console_scenario.yaml")).await;
    let c = env.client();
    patch_status(
        &c,
        &gateway_class_ar(),
        None,
        "azure-alb-external",
        json!({
            "conditions": [cond("Accepted", "True", "Accepted", "Valid GatewayClass")],
        }),
    )
    .await;
    let listener = |name: &str, attached: i64| {
        json!({
            "name": name,
            "attachedRoutes": attached,
            "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
            "conditions": [
                cond("Accepted", "True", "Accepted", "Listener is accepted"),
                cond("Programmed", "True", "Programmed", "Listener is programmed"),
                cond("ResolvedRefs", "True", "ResolvedRefs", "All references resolved"),
            ],
        })
    };
    patch_status(&c, &gateway_ar(), Some("test-infra"), "gateway-01", json!({
        "addresses": [{"type": "Hostname", "value": FQDN}],
        "conditions": [
            cond("Accepted", "True", "Accepted", "Valid Gateway"),
            cond("Programmed", "True", "Programmed", "Application Gateway for Containers resource has been successfully updated."),
        ],
        "listeners": [listener("http", 2), listener("https", 0)],
    }))
    .await;
    let parent = |ns: Option<&str>| {
        let mut p = json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gateway-01", "sectionName": "http"});
        if let Some(ns) = ns {
            p["namespace"] = json!(ns);
        }
        p
    };
    patch_status(
        &c,
        &httproute_ar(),
        Some("test-infra"),
        "traffic-split-mesh-route",
        json!({
            "parents": [{
                "parentRef": parent(None),
                "controllerName": AGC,
                "conditions": [
                    cond("Accepted", "True", "Accepted", "Route is Accepted"),
                    cond("ResolvedRefs", "True", "ResolvedRefs", "All references resolved"),
                ],
            }],
        }),
    )
    .await;
    patch_status(
        &c,
        &httproute_ar(),
        Some("shop"),
        "broken",
        json!({
            "parents": [{
                "parentRef": parent(Some("test-infra")),
                "controllerName": AGC,
                "conditions": [
                    cond("Accepted", "True", "Accepted", "Route is Accepted"),
                    // Short: the route line of the detail view is not wrapped.
                    // (An empty message is turned into null by the 1.20 apiserver: 422.)
                    cond("ResolvedRefs", "False", "BackendNotFound", "shop/gone"),
                ],
            }],
        }),
    )
    .await;
    eprintln!("[e2e_console] scenario seeded in {:?}", t.elapsed());
}

/// The minimal AGC CRDs (`tests/fixtures/agc_crds.yaml`), Established.
async fn install_agc(env: &KubeEnv) {
    env.install_crds(&[fixture("agc_crds.yaml")]).await;
}

/// The ApplicationLoadBalancer `alb-infra/alb-test` and its status (Deployment condition).
async fn create_alb(env: &KubeEnv) {
    env.apply_yaml(&read_fixture("console_agc.yaml")).await;
    patch_status(&env.client(), &alb_ar(), Some("alb-infra"), "alb-test", json!({
        "conditions": [
            cond("Accepted", "True", "Accepted", "Valid Application Gateway for Containers resource"),
            cond("Deployment", "True", "Ready", "alb-id=/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-e2e/providers/Microsoft.ServiceNetworking/trafficControllers/alb-e2e"),
        ],
    }))
    .await;
}

/// The table row whose first cell is exactly `first`.
fn row<'a>(s: &'a Screen, first: &str) -> Option<&'a str> {
    s.lines
        .iter()
        .map(String::as_str)
        .find(|l| l.trim_start_matches('│').split_whitespace().next() == Some(first))
}

/// The row's cells as whitespace-separated words, without the border.
fn words(line: &str) -> Vec<&str> {
    line.split_whitespace().filter(|w| *w != "│").collect()
}

/// Row `first` contains every part and its words end with `tail` (the last columns).
fn row_matches(s: &Screen, first: &str, parts: &[&str], tail: &[&str]) -> bool {
    row(s, first).is_some_and(|l| {
        let w: Vec<&str> = words(l)
            .into_iter()
            .map(|w| w.trim_end_matches('│'))
            .filter(|w| !w.is_empty())
            .collect();
        parts.iter().all(|p| l.contains(p)) && w.ends_with(tail)
    })
}

/// Switches views with a number key and waits until the view's title is drawn (so that
/// later waits cannot match text still on screen from the previous view).
fn show(console: &mut Console, key: &str, title: &str) {
    console.send(key);
    console.wait_for(&format!("┌ {title} ["), STEP);
}

fn step(name: &str, started: Instant) {
    eprintln!(
        "[e2e_console] {:>7.2}s  {name}",
        started.elapsed().as_secs_f64()
    );
}

/// Quits with `q` and checks the exit status and that the terminal was restored.
fn quit_and_check_restored(console: &mut Console) {
    console.send("q");
    let status = console.wait_exit(STEP);
    assert!(
        status.success(),
        "`q` must exit with status 0, got {status:?}\n{}",
        console.framed_screen()
    );
    console.wait_output_end(STEP);
    let raw = console.raw_output();
    let entered = pty::rfind_bytes(&raw, pty::ENTER_ALT_SCREEN)
        .expect("the console never entered the alternate screen (\\x1b[?1049h)");
    let left = pty::rfind_bytes(&raw, pty::LEAVE_ALT_SCREEN).unwrap_or_else(|| {
        panic!(
            "the console did not leave the alternate screen: no \\x1b[?1049l in its output; last bytes: {:?}",
            String::from_utf8_lossy(&raw[raw.len().saturating_sub(200)..])
        )
    });
    assert!(
        left > entered,
        "\\x1b[?1049l must come after the last \\x1b[?1049h"
    );
    let tail = &raw[left + pty::LEAVE_ALT_SCREEN.len()..];
    // Only control sequences (e.g. show cursor) may follow, no more drawing.
    let tail_text = String::from_utf8_lossy(tail);
    assert!(
        tail.len() <= 32 && (tail.is_empty() || tail[0] == 0x1b),
        "output after leaving the alternate screen: {tail_text:?}"
    );
    assert!(
        !console.on_alternate_screen(),
        "emulated terminal still on the alternate screen"
    );
    assert!(
        console.cooked_mode(),
        "terminal left in raw mode (ICANON/ECHO off) after exit"
    );
}

// ---------------------------------------------------------------------------
// 1-6, 9: the full scenario with an admin user
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_gateways_live_weights_routes_frontends_mesh_ns_filter_and_quit() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    step("apiserver ready", t);
    seed(&env, true).await;
    create_alb(&env).await;
    step("scenario seeded", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);

    // --- 1. Gateways view: class, gateway, FQDN -----------------------------------------
    console.wait_for_all(
        &[
            "ctx:e2e",
            "cluster:e2e",
            "user:e2e-admin",
            "ns:all",
            "● live",
            "Gateways [all]",
        ],
        STARTUP,
    );
    console.wait_for_line(
        &[
            "GatewayClass azure-alb-external",
            "alb.networking.azure.io/alb-controller",
            "Accepted ✓",
        ],
        STEP,
    );
    console.wait_for_line(
        &[
            "Gateway test-infra/gateway-01",
            FQDN,
            "Accepted ✓",
            "Programmed ✓",
        ],
        STEP,
    );
    assert!(
        !console.cooked_mode(),
        "the console must run the terminal in raw mode"
    );
    step("1. gateways view shows class, gateway and FQDN", t);

    // E expands the whole tree: listeners, routes, rules, backends with shares.
    console.send("E");
    console.wait_for_line(&["listener http", ":80 HTTP", "routes 2"], STEP);
    console.wait_for_line(
        &["listener https", ":443 HTTPS", "*.contoso.com", "routes 0"],
        STEP,
    );
    console.wait_for_line(
        &["HTTPRoute test-infra/traffic-split-mesh-route", "Accepted"],
        STEP,
    );
    console.wait_for_line(
        &["→ Service test-infra/backend-v1:80", "weight 50", "50%"],
        STEP,
    );
    console.wait_for_line(
        &["→ Service test-infra/backend-v2:80", "weight 50", "50%"],
        STEP,
    );
    console.wait_for_line(&["pod backend-v1-0", "sidecar asm-1-22"], STEP);
    console.wait_for_line(&["pod backend-v2-0", "sidecar asm-1-21"], STEP);
    console.wait_for_line(&["→ Service shop/gone:80", "Service not found"], STEP);
    step("1. E expands: route and 50%/50% backends", t);

    // --- 2. Live update through the API: on screen within 1 second ----------------------
    let routes: Api<DynamicObject> =
        Api::namespaced_with(env.client(), "test-infra", &httproute_ar());
    let patch = json!([
        {"op": "test", "path": "/spec/rules/0/backendRefs/0/name", "value": "backend-v1"},
        {"op": "replace", "path": "/spec/rules/0/backendRefs/0/weight", "value": 80},
        {"op": "test", "path": "/spec/rules/0/backendRefs/1/name", "value": "backend-v2"},
        {"op": "replace", "path": "/spec/rules/0/backendRefs/1/weight", "value": 20},
    ]);
    let patch: json_patch::Patch = serde_json::from_value(patch).expect("json patch");
    let started = Instant::now();
    routes
        .patch(
            "traffic-split-mesh-route",
            &PatchParams::default(),
            &Patch::<()>::Json(patch),
        )
        .await
        .expect("patch route weights");
    let api_done = started.elapsed();
    console.wait_until(
        "backend-v1 at 80% and backend-v2 at 20% in the tree",
        STEP,
        |s| {
            s.line_with(&["→ Service test-infra/backend-v1:80", "weight 80", "80%"])
                .is_some()
                && s.line_with(&["→ Service test-infra/backend-v2:80", "weight 20", "20%"])
                    .is_some()
        },
    );
    let elapsed = started.elapsed();
    eprintln!(
        "[e2e_console] live update: API patch took {api_done:?}, on screen after {elapsed:?}"
    );
    assert!(
        elapsed <= LIVE_BUDGET,
        "the weight change reached the screen after {elapsed:?} (API call {api_done:?}); budget {LIVE_BUDGET:?}"
    );
    step("2. live weight change 80/20 on screen", t);

    // --- 3. Routes view: both routes, the missing-Service problem -----------------------
    show(&mut console, "2", "Routes");
    console.wait_for_all(
        &["Routes [all]", "KIND", "NAMESPACE/NAME", "PROBLEMS"],
        STEP,
    );
    // At 160 columns the table cuts NAMESPACE/NAME after 24 characters, PARENTS after
    // 20 ("test-infra/gateway-0"), BACKENDS after 28 and PROBLEMS after 29, so the rows
    // are matched on what is visible and the full problem text is checked in the
    // route's detail screen below.
    console.wait_for_line(
        &[
            "HTTPRoute",
            "test-infra/traffic-split",
            "test-infra/gateway-0",
            "backend-v1 80%",
            "Accepted",
        ],
        STEP,
    );
    console.wait_for_line(
        &[
            "HTTPRoute",
            "shop/broken",
            "test-infra/gateway-0",
            "gone 100%",
            "RefsNotResolved",
            "ResolvedRefs=False",
        ],
        STEP,
    );
    // Narrow to the broken route and open it: the full problem list.
    console.send("/broken");
    // The filter prompt is drawn over the top of the screen.
    console.wait_for_all(&["│/broken", "type to filter"], STEP);
    console.send(ENTER);
    console.wait_for_all(&["Routes [all] /broken"], STEP);
    console.wait_for_absent("type to filter", STEP);
    console.wait_for_absent("traffic-split", STEP);
    console.wait_for("shop/broken", STEP);
    console.send(ENTER);
    console.wait_for_all(
        &[
            "HTTPRoute shop/broken   (esc: back, W: weights)",
            "Parents and status:",
            "Gateway test-infra/gateway-01 section http",
            "ResolvedRefs=False BackendNotFound shop/gone",
            "backend Service shop/gone not found",
        ],
        STEP,
    );
    console.wait_for_line(&["→ Service shop/gone:80", "Service not found"], STEP);
    console.send(ESC);
    console.wait_for_absent("(esc: back", STEP);
    console.send(ESC);
    console.wait_for("test-infra/traffic-split", STEP);
    step("3. routes view lists routes and the missing Service", t);

    // --- 4. Frontends view: the ALB and the gateway FQDN --------------------------------
    show(&mut console, "3", "Frontends");
    console.wait_for_all(&["Frontends [all]", "FRONTEND / FQDN"], STEP);
    console.wait_for_line(
        &[
            "ApplicationLoadBalancer",
            "alb-infra/alb-test",
            "alb-id=/subscriptions/",
            "True",
            "gateways: test-infra/gateway-01",
            "subnets: 1",
        ],
        STEP,
    );
    console.wait_for_line(
        &[
            "Gateway (azure-alb-external)",
            "test-infra/gateway-01",
            FQDN,
            "True",
            "AGC managed by alb-infra/alb-test",
        ],
        STEP,
    );
    let s = console.screen();
    assert!(
        !s.contains("not installed"),
        "no AGC banner expected:\n{}",
        console.framed_screen()
    );
    assert!(
        !s.contains("ALB NOT FOUND"),
        "the ALB exists:\n{}",
        console.framed_screen()
    );
    step("4. frontends view shows ALB and FQDN", t);

    // --- 5. Mesh view -------------------------------------------------------------------
    show(&mut console, "4", "Mesh");
    console.wait_for_all(
        &[
            "Mesh [all]",
            "INJECTION",
            "CONTROL PLANE",
            "mTLS",
            "SIDECARS",
            "NEED RESTART",
        ],
        STEP,
    );
    let expect: &[(&str, &[&str], &[&str])] = &[
        // namespace, parts, last columns (SIDECARS, NEED RESTART)
        (
            "test-infra",
            &[
                "istio.io/rev=asm-1-22",
                // No kubelet runs here: istiod has no ready replica.
                "asm-1-22 0/2 NOT READY",
                "STRICT (mesh)",
            ],
            &["2/3", "2"],
        ),
        (
            "shop",
            &[
                "istio-injection=enabled",
                "CONFLICT",
                "asm-1-22 0/2 NOT READY",
                "STRICT (mesh)",
            ],
            &["1/1", "0"],
        ),
        (
            "app-canary",
            &[
                "istio.io/rev=asm-1-23",
                "MISSING for asm-1-23",
                "STRICT (mesh)",
            ],
            &["0/1", "0"],
        ),
        ("aks-istio-system", &["STRICT (ns)"], &["0/0", "0"]),
        ("alb-infra", &["STRICT (mesh)"], &["0/0", "0"]),
    ];
    let what = format!("mesh rows {expect:?}");
    console.wait_until(&what, STEP, |s| {
        expect
            .iter()
            .all(|(ns, parts, tail)| row_matches(s, ns, parts, tail))
    });
    step(
        "5. mesh view: injection, CONFLICT, MISSING, STRICT, sidecars, need restart",
        t,
    );

    // --- 6a. `/` filter narrows the rows ------------------------------------------------
    console.send("/canary");
    console.wait_for_all(&["│/canary", "type to filter"], STEP);
    console.send(ENTER);
    console.wait_until("only app-canary left after /canary", STEP, |s| {
        !s.text.contains("type to filter")
            && s.text.contains("Mesh [all] /canary")
            && row(s, "app-canary").is_some()
            && row(s, "test-infra").is_none()
            && row(s, "shop").is_none()
    });
    console.send(ESC);
    console.wait_until("all rows back after esc", STEP, |s| {
        row(s, "test-infra").is_some() && row(s, "shop").is_some()
    });
    step("6. / filter narrows rows, esc clears", t);

    // --- 5b. enter on a namespace: pods and NEEDS RESTART reasons -----------------------
    console.send("/test-infra");
    console.wait_for("type to filter", STEP);
    console.send(ENTER);
    console.wait_until("only test-infra left", STEP, |s| {
        !s.text.contains("type to filter")
            && row(s, "test-infra").is_some()
            && row(s, "shop").is_none()
    });
    console.send(ENTER);
    console.wait_for_all(
        &[
            "Namespace test-infra   (esc: back",
            "injection: istio.io/rev=asm-1-22   expected sidecar revision: asm-1-22",
        ],
        STEP,
    );
    console.wait_for_line(
        &[
            "pod backend-v2-0",
            "sidecar asm-1-21",
            "NEEDS RESTART: sidecar asm-1-21, namespace wants asm-1-22",
        ],
        STEP,
    );
    console.wait_for_line(
        &[
            "pod debug-shell",
            "no sidecar",
            "NEEDS RESTART: no sidecar; new pods get one",
        ],
        STEP,
    );
    {
        let s = console.screen();
        let v1 = s
            .lines()
            .find(|l| l.contains("pod backend-v1-0"))
            .unwrap_or_default();
        assert!(
            v1.contains("sidecar asm-1-22") && !v1.contains("NEEDS RESTART"),
            "backend-v1-0 runs the wanted revision and needs no restart:\n{}",
            console.framed_screen()
        );
    }
    console.send(ESC);
    console.wait_for_absent("(esc: back", STEP);
    console.send(ESC);
    console.wait_until("filter cleared", STEP, |s| row(s, "shop").is_some());
    step("5. enter on test-infra shows NEEDS RESTART reasons", t);

    // --- 6b. `:ns shop` scopes the console ----------------------------------------------
    console.send(":");
    console.wait_for("enter run", STEP);
    console.send("ns shop");
    console.send(ENTER);
    console.wait_for_all(&["ns:shop", "Mesh [shop]", "● live"], STEP);
    console.wait_until("only the shop row in ns shop", STEP, |s| {
        row_matches(s, "shop", &["CONFLICT"], &["1/1", "0"]) && row(s, "test-infra").is_none()
    });
    // The route's parent Gateway lives in test-infra, which `ns shop` does not list: its
    // detail says unknown, not NOT FOUND (as the Routes view and the findings do).
    show(&mut console, "2", "Routes");
    console.wait_for("shop/broken", STEP);
    console.send(ENTER);
    console.wait_for_line(
        &[
            "Gateway test-infra/gateway-01 section http",
            "(unknown: outside the namespace scope)",
        ],
        STEP,
    );
    assert!(
        !console.screen().contains("NOT FOUND"),
        "a Gateway outside the namespace scope is unknown, not missing:\n{}",
        console.framed_screen()
    );
    console.send(ESC);
    console.wait_for_absent("(esc: back", STEP);
    show(&mut console, "4", "Mesh");
    console.send(":");
    console.wait_for("enter run", STEP);
    console.send("ns all");
    console.send(ENTER);
    console.wait_for_all(&["ns:all", "Mesh [all]"], STEP);
    console.wait_until("all namespaces again", STEP, |s| {
        row(s, "test-infra").is_some() && row(s, "shop").is_some()
    });
    step("6. :ns shop / :ns all change the header and the rows", t);

    // --- 9. q exits 0 and restores the terminal -----------------------------------------
    quit_and_check_restored(&mut console);
    step("9. q exits 0, terminal restored", t);
}

// ---------------------------------------------------------------------------
// 7: AGC CRDs not installed
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_without_agc_crds_says_not_installed_and_other_views_work() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    seed(&env, false).await;
    step("apiserver ready, scenario without AGC CRDs", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["ctx:e2e", "ns:all", "Gateways [all]"], STARTUP);
    // NotInstalled is a final state, not "syncing" or "disconnected".
    console.wait_for("● live", STARTUP);

    show(&mut console, "3", "Frontends");
    console.wait_for_all(
        &[
            "Frontends [all]",
            "Application Gateway for Containers (ALB controller) CRDs not installed: applicationloadbalancer.alb.networking.azure.io (the API answered 404)",
            "Application Gateway for Containers (ALB controller) CRDs not installed: frontendtlspolicies.alb.networking.azure.io (the API answered 404)",
        ],
        STEP,
    );
    // The gateway frontends still show; nothing claims the ALB is missing.
    console.wait_for_line(
        &[
            "Gateway (azure-alb-external)",
            "test-infra/gateway-01",
            FQDN,
            "AGC managed by alb-infra/alb-test",
        ],
        STEP,
    );
    assert!(
        !console.screen().contains("ALB NOT FOUND"),
        "ALBs are unknown, not missing:\n{}",
        console.framed_screen()
    );
    step("7. frontends view: not installed banners", t);

    // Other views work and carry no such banner.
    show(&mut console, "1", "Gateways");
    console.wait_for_line(&["Gateway test-infra/gateway-01", FQDN], STEP);
    show(&mut console, "2", "Routes");
    console.wait_for_line(
        &["HTTPRoute", "test-infra/traffic-split", "backend-v1 50%"],
        STEP,
    );
    show(&mut console, "4", "Mesh");
    console.wait_until("mesh rows", STEP, |s| {
        row_matches(s, "test-infra", &["asm-1-22"], &["2/3", "2"])
            && row_matches(s, "app-canary", &["MISSING for asm-1-23"], &["0/1", "0"])
    });
    assert!(
        !console.screen().contains("not installed"),
        "only the Frontends view needs AGC:\n{}",
        console.framed_screen()
    );
    step("7. gateways, routes and mesh views work", t);

    // Installing the CRDs later: the console notices without a restart.
    show(&mut console, "3", "Frontends");
    console.wait_for("not installed", STEP);
    install_agc(&env).await;
    create_alb(&env).await;
    console.wait_for_absent("not installed", Duration::from_secs(30));
    console.wait_for_line(
        &[
            "ApplicationLoadBalancer",
            "alb-infra/alb-test",
            "True",
            "gateways: test-infra/gateway-01",
        ],
        STEP,
    );
    step("7. CRDs installed later: banner gone, ALB shown", t);

    quit_and_check_restored(&mut console);
}

// ---------------------------------------------------------------------------
// 8: RBAC, a user who may not list pods
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_with_limited_user_shows_forbidden_and_keeps_working() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    seed(&env, true).await;
    create_alb(&env).await;
    // Everything but pods.
    env.apply_yaml(&scenario::read_rbac(
        "meshctl-e2e-no-pods",
        &["namespaces", "services"],
    ))
    .await;
    // RBAC is applied from the apiserver's informer: wait until the grant is in force.
    let limited = env.limited_client().await;
    kube_env::eventually(
        Duration::from_secs(30),
        "the limited user to list namespaces",
        || {
            let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(limited.clone());
            async move { api.list(&Default::default()).await.ok().map(|_| ()) }
        },
    )
    .await;
    step("apiserver ready, limited user may list all but pods", t);

    let mut console = Console::start(env.limited_kubeconfig_path(), &[]);
    console.wait_for_all(
        &["ctx:e2e", "user:e2e-limited", "ns:all", "Gateways [all]"],
        STARTUP,
    );
    // The Gateways view needs pods (for the Service -> pods level): it explains why.
    console.wait_for_all(
        &["forbidden: pods: pods is forbidden: User \"e2e-limited\" cannot list resource \"pods\""],
        STARTUP,
    );
    // ... and keeps working for everything else.
    console.wait_for("● live", STEP);
    console.wait_for_line(&["Gateway test-infra/gateway-01", FQDN], STEP);
    step("8. forbidden banner for pods; gateways still shown", t);

    console.send("E");
    console.wait_for_line(&["→ Service test-infra/backend-v1:80", "50%"], STEP);
    // Pods cannot be listed: the tree must not claim the Services have none.
    console.wait_for_line(
        &["Service test-infra/backend-v1  ClusterIP", "pods ?"],
        STEP,
    );
    assert!(
        !console.screen().contains("no pods"),
        "pods are forbidden, so \"no pods\" would be a false claim:\n{}",
        console.framed_screen()
    );
    show(&mut console, "2", "Routes");
    console.wait_for_line(&["HTTPRoute", "shop/broken", "RefsNotResolved"], STEP);
    assert!(
        !console.screen().contains("forbidden"),
        "the Routes view does not need pods:\n{}",
        console.framed_screen()
    );
    show(&mut console, "3", "Frontends");
    console.wait_for_line(&["ApplicationLoadBalancer", "alb-infra/alb-test"], STEP);
    show(&mut console, "4", "Mesh");
    console.wait_for("forbidden: pods:", STEP);
    // Pod counts are unknown ("?"), not zero: nothing may read as "no restart needed".
    console.wait_until("mesh rows with unknown pod counts", STEP, |s| {
        row_matches(
            s,
            "test-infra",
            &[
                "istio.io/rev=asm-1-22",
                "asm-1-22 0/2 NOT READY",
                "STRICT (mesh)",
            ],
            &["?", "?"],
        ) && row_matches(s, "shop", &["CONFLICT"], &["?", "?"])
            && row_matches(s, "app-canary", &["MISSING for asm-1-23"], &["?", "?"])
    });
    step("8. routes, frontends and mesh views work", t);

    // A namespace switch restarts the watchers; still forbidden, still working.
    console.send(":");
    console.wait_for("enter run", STEP);
    console.send("ns test-infra");
    console.send(ENTER);
    console.wait_for_all(&["ns:test-infra", "Mesh [test-infra]"], STEP);
    console.wait_for(
        "cannot list resource \"pods\" in API group \"\" in the namespace \"test-infra\"",
        STEP,
    );
    console.wait_until("the test-infra row", STEP, |s| {
        row(s, "test-infra").is_some() && row(s, "shop").is_none()
    });
    step("8. :ns test-infra: namespaced forbidden banner", t);

    quit_and_check_restored(&mut console);
}
