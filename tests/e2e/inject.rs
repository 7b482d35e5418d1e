//! End-to-end tests of the sidecar-injection toggles and bulk restarts through the REAL
//! `meshctl-tui` binary in a pseudo-terminal against a real kube-apiserver 1.20 + etcd (and
//! kube-controller-manager: Deployments get ReplicaSets and Pending pods; there is no
//! kubelet and no Istio webhook, so pods never get sidecars). Keys are typed like a user;
//! every effect is read back through the API and in the audit log.
//!
//! 1. one console, in order: fix a both-labels conflict (exactly one label remains); enable
//!    injection by revision on a namespace and accept the restart offer (labels and the
//!    restart read back); set a workload's `sidecar.istio.io/inject=false` template label
//!    (read back from the Deployment; it rolls by itself: a new ReplicaSet); bulk restart
//!    "needs a restart" restarts exactly the expected Deployments, the others untouched.
//! 2. `--read-only`: I, S and B open nothing and write nothing.
//! 3. a newly installed istiod `asm-1-23` that is not ready (0/1: its pod stays Pending):
//!    the chooser marks it NOT READY; choosing it warns first in the confirm, one Enter on
//!    Confirm writes nothing, the deliberate second one does; the restart offer that follows
//!    asks twice the same way; the Diagnostics view shows MESH008 until istiod is ready.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.

use crate::support::{kube_env, machine, pty, scenario};

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use kube_env::{CONTEXT, KubeEnv};
use pty::{Console, ENTER, ESC};
use scenario::*;

const INJECT: &str = "sidecar.istio.io/inject";

fn step(name: &str, started: Instant) {
    scenario::step("e2e_inject", name, started);
}

/// - istiod `asm-1-22` in aks-istio-system (the only control plane, so also the default);
/// - `legacy`: both injection labels (IST0123), no workloads;
/// - `plain`: no label, Deployment `api`;
/// - `shop`: istio.io/rev=asm-1-22, Deployments `cart` and `web` (pods without sidecars:
///   both need a restart) and `quiet` (opted out: needs none).
const CLUSTER: &str = include_str!("../fixtures/inject_cluster.yaml");

async fn ns_labels(env: &KubeEnv, name: &str) -> BTreeMap<String, String> {
    Api::<Namespace>::all(env.client())
        .get(name)
        .await
        .unwrap_or_else(|e| panic!("get Namespace {name}: {e}"))
        .metadata
        .labels
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| !k.starts_with("kubernetes.io/"))
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn template(d: &Deployment) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
    d.spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .expect("a pod template with metadata")
}

/// Mesh view filtered to the one namespace `ns` (selected, as the only row).
fn mesh_only(console: &mut Console, ns: &str) {
    console.send("4");
    console.wait_for("┌ Mesh [", STEP);
    console.send(ESC); // clears a kept filter
    console.send(&format!("/{ns}"));
    console.wait_for("type to filter", STEP);
    console.send(ENTER);
    let ns = ns.to_string();
    console.wait_until(&format!("only the {ns} row"), STEP, |s| {
        !s.text.contains("type to filter")
            && row(s, &ns).is_some()
            && row(s, "default").is_none()
            && row(s, "kube-system").is_none()
    });
}

/// Tab to Confirm, Enter, and wait for the dialog to close.
fn confirm(console: &mut Console, button: &str) {
    console.wait_for_all(&["[ Cancel ]", button], STEP);
    console.send("\t");
    console.send(ENTER);
    console.wait_for_absent(button, STEP);
}

// ---------------------------------------------------------------------------
// 1. Toggles and restarts by keystrokes
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_toggles_restart_offer_template_label_and_bulk_restart() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let mut env = KubeEnv::start().await;
    env.start_controller_manager().await;
    install_crds(&env).await;
    env.apply_yaml(CLUSTER).await;
    for (ns, name) in [
        ("plain", "api"),
        ("shop", "cart"),
        ("shop", "web"),
        ("shop", "quiet"),
    ] {
        kube_env::eventually(Duration::from_secs(60), "a ReplicaSet", || async {
            replica_sets_of(&env, ns, name).await.into_iter().next()
        })
        .await;
        settled(&env, ns, name).await;
    }
    make_ready(&env, "aks-istio-system", "istiod-asm-1-22").await;
    step("cluster seeded, ReplicaSets made, istiod ready", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["ctx:e2e", "● live", "[read-write]"], STARTUP);

    // --- 1. Fix the conflict in `legacy`: keep istio.io/rev ---------------------------------
    mesh_only(&mut console, "legacy");
    console.wait_for("CONFLICT: both labels", STEP);
    console.send("I");
    console.wait_for_all(
        &[
            "Sidecar injection for namespace legacy",
            "CONFLICT (Istio IST0123)",
            "control planes: asm-1-22 (aks-istio-system",
            "> fix conflict: keep istio-injection=enabled, remove istio.io/rev=asm-1-22",
            "  fix conflict: keep istio.io/rev=asm-1-22, remove istio-injection=enabled",
        ],
        STEP,
    );
    console.send("j");
    console.wait_for("> fix conflict: keep istio.io/rev=asm-1-22", STEP);
    console.send(ENTER);
    console.wait_for_all(
        &[
            "label Namespace legacy?",
            &format!("context:   {CONTEXT}"),
            "istio-injection=enabled istio.io/rev=asm-1-22  ->  istio.io/rev=asm-1-22",
            "metadata.labels.istio-injection: null (removed)",
            "On restart: no running pod would change.",
        ],
        STEP,
    );
    // Enter on the focused Cancel writes nothing.
    console.send(ENTER);
    console.wait_for("cancelled; nothing was written", STEP);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        ns_labels(&env, "legacy").await,
        labels(&[("istio-injection", "enabled"), ("istio.io/rev", "asm-1-22")])
    );
    assert!(audit_lines(&console).is_empty());
    console.send("I");
    console.wait_for("Sidecar injection for namespace legacy", STEP);
    console.send("j");
    console.send(ENTER);
    confirm(&mut console, "[ Confirm label change ]");
    wait_header(
        &mut console,
        &["no running pod changes on restart, nothing to restart"],
    );
    assert_eq!(
        ns_labels(&env, "legacy").await,
        labels(&[("istio.io/rev", "asm-1-22")]),
        "exactly one injection label remains"
    );
    console.wait_until("the legacy row without conflict", STEP, |s| {
        row(s, "legacy").is_some_and(|r| !r.contains("CONFLICT"))
    });
    step("conflict fixed: only istio.io/rev left", t);

    // --- 2. Enable `plain` by revision; accept the restart offer ----------------------------
    let api0 = settled(&env, "plain", "api").await;
    mesh_only(&mut console, "plain");
    console.send("I");
    console.wait_for_all(
        &[
            "> enable: istio-injection=enabled (default revision: asm-1-22)",
            "  enable revision asm-1-22: istio.io/rev=asm-1-22",
        ],
        STEP,
    );
    console.send("j");
    console.send(ENTER);
    console.wait_for_all(
        &[
            "label Namespace plain?",
            "(no injection label)  ->  istio.io/rev=asm-1-22",
            "Running pods do not change now",
            "Deployment api: 1 pod gains a sidecar (asm-1-22)",
        ],
        STEP,
    );
    confirm(&mut console, "[ Confirm label change ]");
    console.wait_for_all(
        &[
            "restart workloads affected by the new labels of plain?",
            "Labels written: istio.io/rev=asm-1-22",
            "Deployment plain/api: 1 pod gains a sidecar (asm-1-22)",
            "[ Confirm restart of 1 ]",
        ],
        STEP,
    );
    assert_eq!(
        ns_labels(&env, "plain").await,
        labels(&[("istio.io/rev", "asm-1-22")])
    );
    assert_eq!(restarted_at(&deployment(&env, "plain", "api").await), None);
    confirm(&mut console, "[ Confirm restart of 1 ]");
    wait_header(
        &mut console,
        &["restart workloads affected by the new labels of plain: 1/1 succeeded"],
    );
    let api1 = deployment(&env, "plain", "api").await;
    assert!(restarted_at(&api1).is_some(), "the offer restarted api");
    assert_eq!(generation(&api1), generation(&api0) + 1);
    step("plain: istio.io/rev set, api restarted from the offer", t);

    // --- 3. shop/cart: template label sidecar.istio.io/inject=false -------------------------
    let cart0 = settled(&env, "shop", "cart").await;
    mesh_only(&mut console, "shop");
    console.send(ENTER);
    console.wait_for_all(
        &["Deployment cart", "Deployment quiet", "Deployment web"],
        STEP,
    );
    console.send("S"); // cart is selected first
    console.wait_for_all(
        &[
            "Sidecar injection for Deployment cart",
            "pod template label sidecar.istio.io/inject: (not set)",
            "remove the label: follow the namespace (current)",
        ],
        STEP,
    );
    console.send("j");
    console.send(ENTER);
    console.wait_for_all(
        &[
            "set sidecar.istio.io/inject on Deployment shop/cart?",
            "(not set)  ->  \"false\"",
            "New pods get no sidecar (before: a sidecar of revision asm-1-22).",
            "the Deployment rolls out by itself:",
        ],
        STEP,
    );
    confirm(&mut console, "[ Confirm template change ]");
    wait_header(&mut console, &["the template change rolls its pods"]);
    assert!(
        !console.screen().contains("[ Cancel ]"),
        "no redundant restart offer\n{}",
        console.framed_screen()
    );
    let cart1 = deployment(&env, "shop", "cart").await;
    assert_eq!(
        template(&cart1)
            .labels
            .as_ref()
            .and_then(|l| l.get(INJECT))
            .map(String::as_str),
        Some("false")
    );
    assert_eq!(
        restarted_at(&cart1),
        None,
        "no restart annotation: the template change rolls"
    );
    assert_eq!(
        generation(&cart1),
        generation(&cart0) + 1,
        "one template change"
    );
    kube_env::eventually(
        Duration::from_secs(60),
        "a second ReplicaSet of cart",
        || async {
            let n = replica_sets_of(&env, "shop", "cart").await.len();
            (n == 2).then_some(())
        },
    )
    .await;
    step("cart: template label false, a new ReplicaSet", t);

    // --- 4. Bulk: "needs a restart" across the listed namespaces ----------------------------
    let cart1 = settled(&env, "shop", "cart").await;
    let quiet0 = settled(&env, "shop", "quiet").await;
    let web0 = settled(&env, "shop", "web").await;
    let api1 = settled(&env, "plain", "api").await;
    let istiod0 = deployment(&env, "aks-istio-system", "istiod-asm-1-22").await;
    console.send(ESC); // leave the detail
    console.wait_for_absent("(esc: back", STEP);
    console.send(ESC); // clear the filter: every namespace is in scope
    console.wait_until("all namespaces listed", STEP, |s| {
        row(s, "default").is_some() && row(s, "shop").is_some()
    });
    console.send("B");
    // Needs a restart: web (shop, no sidecar) and api (plain: pods still without sidecar,
    // no webhook here). Not cart (opted out), not quiet, not istiod.
    console.wait_for("> all workloads that need a restart in", STEP);
    console.send(ENTER);
    console.wait_for_all(
        &[
            "restart workloads that need it?",
            "2 workload(s) to rollout restart",
            "Deployment shop/web: 1 pod gains a sidecar (asm-1-22)",
            "[ Confirm restart of 2 ]",
        ],
        STEP,
    );
    // api's rollout from the offer never finishes (no kubelet): old and new pod both count.
    console.wait_for_line(
        &["Deployment plain/api: ", " gain", "a sidecar (asm-1-22)"],
        STEP,
    );
    let screen = console.screen();
    for no in ["shop/cart", "shop/quiet", "istiod"] {
        assert!(
            !screen.contains(no),
            "{no} listed\n{}",
            console.framed_screen()
        );
    }
    confirm(&mut console, "[ Confirm restart of 2 ]");
    wait_header(
        &mut console,
        &["restart workloads that need it: 2/2 succeeded"],
    );
    let web1 = deployment(&env, "shop", "web").await;
    assert!(restarted_at(&web1).is_some());
    assert_eq!(generation(&web1), generation(&web0) + 1);
    let api2 = deployment(&env, "plain", "api").await;
    assert_eq!(
        generation(&api2),
        generation(&api1) + 1,
        "api restarted again"
    );
    for (before, ns, name) in [
        (&cart1, "shop", "cart"),
        (&quiet0, "shop", "quiet"),
        (&istiod0, "aks-istio-system", "istiod-asm-1-22"),
    ] {
        let now = deployment(&env, ns, name).await;
        assert_eq!(
            generation(&now),
            generation(before),
            "{ns}/{name} untouched"
        );
        assert_eq!(restarted_at(&now), None, "{ns}/{name} untouched");
    }
    step(
        "bulk: web and api restarted, cart/quiet/istiod untouched",
        t,
    );

    // --- The audit log: one line per write --------------------------------------------------
    // The two bulk writes run concurrently: their order is not fixed.
    let mut v = audit_verbs(&console);
    assert_eq!(v.len(), 6, "one audit line per write: {v:#?}");
    let mut bulk = v.split_off(4);
    bulk.sort();
    assert_eq!(
        v,
        vec![
            "label-namespace legacy applied",
            "label-namespace plain applied",
            "rollout-restart api applied",
            "label-template cart applied",
        ]
    );
    assert_eq!(
        bulk,
        vec!["rollout-restart api applied", "rollout-restart web applied"]
    );
    quit(&mut console);
    step("done", t);
}

// ---------------------------------------------------------------------------
// 2. Read-only: nothing opens, nothing is written
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_injection_toggles_and_bulk_restart() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    install_crds(&env).await;
    env.apply_yaml(CLUSTER).await;
    let before = ns_labels(&env, "legacy").await;
    let cart0 = deployment(&env, "shop", "cart").await;
    let mut console = Console::start(env.kubeconfig_path(), &["--read-only"]);
    console.wait_for_all(&["ctx:e2e", "● live", "[read-only]"], STARTUP);
    const REFUSED: &str = "read-only mode: writes are disabled";
    mesh_only(&mut console, "legacy");
    for key in ["I", "B"] {
        console.send(key);
        console.wait_for(REFUSED, STEP);
        // What would confirm a dialog, had one opened.
        console.send("\t");
        console.send(ENTER);
        tokio::time::sleep(Duration::from_millis(500)).await;
        let screen = console.screen();
        assert!(
            !screen.contains("[ Cancel ]") && !screen.contains("j/k choose"),
            "{key}: no dialog in read-only\n{}",
            console.framed_screen()
        );
        console.send(ESC); // leaves the detail that Enter may have opened
    }
    mesh_only(&mut console, "shop");
    console.send(ENTER);
    console.wait_for("Deployment cart", STEP);
    console.send("S");
    console.wait_for(REFUSED, STEP);
    console.send("B");
    console.wait_for(REFUSED, STEP);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(ns_labels(&env, "legacy").await, before);
    let cart = deployment(&env, "shop", "cart").await;
    assert_eq!(
        cart.metadata.resource_version,
        cart0.metadata.resource_version
    );
    assert!(!audit_path(&console).exists(), "no audit file in read-only");
    quit(&mut console);
    step("done", t);
}

// ---------------------------------------------------------------------------
// 3. A control plane that is not ready: warned, confirmed twice, a finding
// ---------------------------------------------------------------------------

/// The canary control plane of an upgrade, installed but not up (no kubelet: Pending).
const CANARY: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod-asm-1-23
  namespace: aks-istio-system
  labels: {app: istiod, istio.io/rev: asm-1-23}
spec:
  replicas: 1
  progressDeadlineSeconds: 3600
  selector: {matchLabels: {app: istiod, istio.io/rev: asm-1-23}}
  template:
    metadata: {labels: {app: istiod, istio.io/rev: asm-1-23}}
    spec:
      containers: [{name: discovery, image: "mcr.microsoft.com/oss/istio/pilot:1.23.2"}]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_not_ready_control_plane_is_flagged_and_needs_a_second_confirm() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let mut env = KubeEnv::start().await;
    env.start_controller_manager().await;
    install_crds(&env).await;
    env.apply_yaml(CLUSTER).await;
    env.apply_yaml(CANARY).await;
    kube_env::eventually(Duration::from_secs(60), "a ReplicaSet of api", || async {
        replica_sets_of(&env, "plain", "api")
            .await
            .into_iter()
            .next()
    })
    .await;
    let api0 = settled(&env, "plain", "api").await;
    // The old one serves (its pod marked ready), the new one never became ready.
    make_ready(&env, "aks-istio-system", "istiod-asm-1-22").await;
    settled(&env, "aks-istio-system", "istiod-asm-1-23").await;
    step("asm-1-22 ready, asm-1-23 installed with 0/1 ready", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["ctx:e2e", "● live", "[read-write]"], STARTUP);
    mesh_only(&mut console, "plain");
    console.send("I");
    console.wait_for_all(
        &[
            "Sidecar injection for namespace plain",
            "asm-1-23 (aks-istio-system 0/1 NOT READY)",
            "enable revision asm-1-22: istio.io/rev=asm-1-22  istiod 1/1 ready",
            "enable revision asm-1-23: istio.io/rev=asm-1-23  istiod 0/1 ready — NOT READY",
        ],
        STEP,
    );
    // enabled (default asm-1-22), asm-1-22, asm-1-23: the third.
    console.send("jj");
    console.wait_for("> enable revision asm-1-23", STEP);
    console.send(ENTER);
    console.wait_for_all(
        &[
            "label Namespace plain?",
            "WARNING: istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY",
            "Pods of namespace plain created or restarted into asm-1-23",
            "(no injection label)  ->  istio.io/rev=asm-1-23",
            "[ Cancel ]",
            "[ Confirm label change ]",
        ],
        STEP,
    );
    // Tab to Confirm, Enter: only armed.
    console.send("\t");
    console.send(ENTER);
    console.wait_for_all(
        &[
            "[ Press enter again to write anyway ]",
            "press enter again to write anyway",
        ],
        STEP,
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        ns_labels(&env, "plain").await,
        labels(&[]),
        "nothing written"
    );
    assert!(audit_lines(&console).is_empty(), "nothing attempted");
    step("one Enter on Confirm: armed, nothing written", t);

    // The deliberate second Enter writes; the restart offer warns the same way.
    console.send(ENTER);
    console.wait_for_all(
        &[
            "restart workloads affected by the new labels of plain?",
            "WARNING: istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY",
            "Deployment plain/api: 1 pod gains a sidecar (asm-1-23)",
            "[ Confirm restart of 1 ]",
        ],
        STEP,
    );
    assert_eq!(
        ns_labels(&env, "plain").await,
        labels(&[("istio.io/rev", "asm-1-23")])
    );
    console.send("\t");
    console.send(ENTER);
    console.wait_for("[ Press enter again to write anyway ]", STEP);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(restarted_at(&deployment(&env, "plain", "api").await), None);
    console.send(ENTER);
    wait_header(
        &mut console,
        &["restart workloads affected by the new labels of plain: 1/1 succeeded"],
    );
    let api1 = deployment(&env, "plain", "api").await;
    assert!(restarted_at(&api1).is_some());
    assert_eq!(generation(&api1), generation(&api0) + 1);
    assert_eq!(
        audit_verbs(&console),
        vec![
            "label-namespace plain applied",
            "rollout-restart api applied"
        ]
    );
    step(
        "second Enter: label written; the restart offer also asked twice",
        t,
    );

    // The finding, until the control plane becomes ready.
    console.send(ESC);
    console.send("6");
    console.wait_for_line(&["ERROR", "MESH008", "Namespace/plain"], STEP);
    make_ready(&env, "aks-istio-system", "istiod-asm-1-23").await;
    console.wait_until("MESH008 gone once istiod asm-1-23 is ready", STEP, |s| {
        !s.text.contains("MESH008")
    });
    step(
        "MESH008 while asm-1-23 had no ready replica, gone once it has",
        t,
    );
    quit(&mut console);
}
