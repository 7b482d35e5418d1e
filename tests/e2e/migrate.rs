//! End-to-end test of the revision-migration screen through the REAL `meshctl-tui` binary in
//! a pseudo-terminal against a real kube-apiserver 1.20 + kube-controller-manager (so the
//! Deployments have pods, Pending without a kubelet). Two istiod Deployments: asm-1-22
//! (its pod marked ready through the status subresource) and the newly installed asm-1-23
//! (its pod stays Pending: 0/1 ready); namespaces `shop` and `web` on asm-1-22, and
//! `leftover` still labelled with the long-gone asm-1-21. By keystrokes: `4`, `M` opens on
//! `asm-1-22 → asm-1-23` (towards the newest, not the leftover pair) and flags asm-1-23 NOT
//! READY; `w` (wave 1 = shop) warns first, Cancel writes nothing; `w`, Tab, Enter only arms
//! the confirm (nothing written), a second Enter relabels shop and then restarts cart; `b`
//! rolls shop back to the ready asm-1-22 with one Enter. Everything is read back through
//! the API; `web` is never touched; `--read-only` writes nothing.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the test FAILS with a message saying so, it is never skipped.

use crate::support::{kube_env, machine, pty, scenario};

use std::time::{Duration, Instant};

use kube_env::KubeEnv;
use pty::{Console, ENTER};
use scenario::*;

fn istiod(rev: &str) -> String {
    format!(
        r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: istiod-{rev}
  namespace: aks-istio-system
  labels: {{app: istiod, istio.io/rev: {rev}}}
spec:
  replicas: 1
  selector:
    matchLabels: {{app: istiod, istio.io/rev: {rev}}}
  template:
    metadata:
      labels: {{app: istiod, istio.io/rev: {rev}}}
    spec:
      containers:
      - name: discovery
        image: mcr.microsoft.com/oss/istio/pilot:1.22.5
"#
    )
}

const LEFTOVER: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: leftover
  labels: {istio.io/rev: asm-1-21}
"#;

fn app_ns(ns: &str, app: &str) -> String {
    format!(
        r#"
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
  labels: {{istio.io/rev: asm-1-22}}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {ns}
spec:
  replicas: 1
  progressDeadlineSeconds: 3600
  selector:
    matchLabels: {{app: {app}}}
  template:
    metadata:
      labels: {{app: {app}}}
    spec:
      containers:
      - name: {app}
        image: registry.example/{app}:1.0
"#
    )
}

fn step(name: &str, started: Instant) {
    scenario::step("e2e_migrate", name, started);
}

async fn cart_restarted_at(env: &KubeEnv) -> Option<String> {
    restarted_at(&deployment(env, "shop", "cart").await)
}

fn open_migration(console: &mut Console) {
    console.send("4");
    console.wait_for("┌ Mesh [", STEP);
    console.wait_for_line(&["shop", "istio.io/rev=asm-1-22"], STEP);
    console.send("M");
    console.wait_for_all(
        &[
            "Revision migration",
            "asm-1-22 → asm-1-23",
            "control planes in aks-istio-system: asm-1-22 ready 1/1, asm-1-23 ready 0/1 NOT READY",
            "istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY",
            "next: wave 1 (shop)",
        ],
        STEP,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_a_wave_then_roll_it_back_by_keys() {
    let _machine = machine::shared().await;
    let t = Instant::now();
    let mut env = KubeEnv::start().await;
    env.start_controller_manager().await;
    env.apply_yaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: aks-istio-system\n")
        .await;
    env.apply_yaml(&istiod("asm-1-22")).await;
    env.apply_yaml(&istiod("asm-1-23")).await;
    env.apply_yaml(&app_ns("shop", "cart")).await;
    env.apply_yaml(&app_ns("web", "front")).await;
    env.apply_yaml(LEFTOVER).await;
    make_ready(&env, "aks-istio-system", "istiod-asm-1-22").await;
    step(
        "apiserver, controller manager, asm-1-22 ready, asm-1-23 not, shop, web, leftover",
        t,
    );

    // Read-only first: the screen opens, a wave cannot be started.
    let mut console = Console::start(env.kubeconfig_path(), &["--read-only"]);
    console.wait_for_all(&["● live", "[read-only]"], STARTUP);
    open_migration(&mut console);
    console.send("w");
    console.wait_for("read-only mode: writes are disabled", STEP);
    assert!(!console.screen().contains("[ Cancel ]"));
    console.send("q");
    console.send("q");
    assert!(console.wait_exit(STEP).success());
    assert_eq!(rev_label(&env, "shop").await.as_deref(), Some("asm-1-22"));
    assert!(audit_verbs(&console).is_empty());
    step("read-only: no confirm, nothing written", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["● live", "[read-write]"], STARTUP);
    open_migration(&mut console);
    // The controller manager made cart's Pending pod (no sidecar: it gains one on restart).
    console.wait_for_line(&["shop", "0 / 0 / 1", "on asm-1-22"], STEP);
    console.send("w");
    console.wait_for_all(
        &[
            "migrate wave 1 to asm-1-23?",
            "WARNING: istiod asm-1-23 (aks-istio-system) has 0 of 1 replica ready: NOT READY",
            "go through an injection webhook that",
            "context:   e2e",
            "Namespace shop: label istio.io/rev=asm-1-22 -> asm-1-23",
            "then rollout restart Deployment cart",
            "[ Cancel ]",
        ],
        STEP,
    );
    assert!(!console.screen().contains("Namespace web"), "web is wave 2");
    console.send(ENTER);
    console.wait_for("cancelled; nothing was written", STEP);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(rev_label(&env, "shop").await.as_deref(), Some("asm-1-22"));
    step("Cancel: nothing written", t);

    // Tab to Confirm, Enter: towards a control plane that is not ready, that only arms it.
    console.send("w");
    console.wait_for("[ Cancel ]", STEP);
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
    assert_eq!(rev_label(&env, "shop").await.as_deref(), Some("asm-1-22"));
    assert!(audit_verbs(&console).is_empty(), "nothing attempted");
    step("not ready: one Enter on Confirm writes nothing", t);
    // The deliberate second Enter.
    console.send(ENTER);
    console.wait_for("shop: 1 restart(s) applied", STEP);
    assert_eq!(rev_label(&env, "shop").await.as_deref(), Some("asm-1-23"));
    let first = cart_restarted_at(&env).await;
    assert!(first.is_some(), "cart restarted after the relabel");
    assert_eq!(rev_label(&env, "web").await.as_deref(), Some("asm-1-22"));
    assert_eq!(
        restarted_at(&deployment(&env, "web", "front").await),
        None,
        "wave 2 untouched"
    );
    console.wait_for_line(&["shop", "asm-1-23"], STEP);
    console.wait_for("next: wave 2 (web)", STEP);
    step(
        "wave 1: shop relabelled, then cart restarted; web untouched",
        t,
    );

    // restartedAt has whole seconds: make the rollback's restart visibly newer.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    console.send("b");
    console.wait_for_all(
        &[
            "roll back wave 1 to asm-1-22?",
            "Namespace shop: label istio.io/rev=asm-1-23 -> asm-1-22",
        ],
        STEP,
    );
    assert!(
        !console.screen().contains("WARNING: istiod"),
        "asm-1-22 is ready: no warning, one Enter\n{}",
        console.framed_screen()
    );
    console.send("\t");
    console.send(ENTER);
    console.wait_for("rolled back to asm-1-22", STEP);
    assert_eq!(rev_label(&env, "shop").await.as_deref(), Some("asm-1-22"));
    let second = cart_restarted_at(&env).await;
    assert!(
        second > first,
        "restarted again on rollback: {first:?} -> {second:?}"
    );
    assert_eq!(
        audit_verbs(&console),
        vec![
            "label-namespace shop applied",
            "rollout-restart cart applied",
            "label-namespace shop applied",
            "rollout-restart cart applied",
        ]
    );
    step("rollback: label back, cart restarted, 4 audit lines", t);
    console.send("q");
    console.send("q");
    assert!(console.wait_exit(STEP).success());
}
