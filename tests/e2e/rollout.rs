//! End-to-end tests of rollout progress, STUCK detection, the `:audit` overlay and undo,
//! through the REAL `meshctl-tui` binary in a pseudo-terminal (160x48) against a real
//! kube-apiserver 1.20 + etcd (plus kube-controller-manager where rollouts must happen).
//! Without a kubelet new pods stay Pending: a real stuck rollout.
//!
//! 1. restart by keys: the progress bar appears, then STUCK after the configured
//!    `rollout_stuck_after` (4s here); `:audit` shows the write; `U` restores the previous
//!    `restartedAt` although the controller updated the status meanwhile.
//! 2. undo after a concurrent spec change: refused with the reason, nothing written.
//! 3. read-only: `U` writes nothing.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.

use crate::support::{kube_env, machine, pty, scenario};

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use kube_env::KubeEnv;
use pty::{Console, ENTER, ESC, Screen};
use scenario::*;
use serde_json::{Value, json};

/// The restart before the console's: what an undo must bring back.
const PREVIOUS_RESTART: &str = "2025-01-01T00:00:00Z";
const NS: &str = "shop";
const CONFIG: &str = "rollout_stuck_after = \"4s\"\n";

fn step(name: &str, started: Instant) {
    scenario::step("e2e_rollout", name, started);
}

/// `cart` (2 replicas, restarted once before) and `web`; deadlines long enough that only
/// the no-progress timer can flag them.
const SHOP: &str = include_str!("../fixtures/rollout_shop.yaml");

async fn cart(env: &KubeEnv) -> Deployment {
    Api::<Deployment>::namespaced(env.client(), NS)
        .get("cart")
        .await
        .expect("get Deployment shop/cart")
}

/// The line under `Deployment cart` (its progress bar, when a rollout is unfinished).
fn cart_progress(s: &Screen) -> Option<&str> {
    let i = s.lines.iter().position(|l| l.contains("Deployment cart"))?;
    s.lines.get(i + 1).map(String::as_str)
}

fn open_shop_detail(console: &mut Console) {
    console.send("4");
    console.wait_for("┌ Mesh [", STEP);
    console.wait_until("the shop row", STEP, |s| row(s, NS).is_some());
    console.send("/shop");
    console.wait_for("type to filter", STEP);
    console.send(ENTER);
    console.wait_until("only the shop row", STEP, |s| {
        !s.text.contains("type to filter") && row(s, "default").is_none()
    });
    console.send(ENTER);
    console.wait_for_all(
        &["Namespace shop", "Deployment cart", "Deployment web"],
        STEP,
    );
}

fn restart_cart_by_keys(console: &mut Console) {
    console.send("R");
    console.wait_for_all(
        &["rollout restart Deployment shop/cart?", "[ Cancel ]"],
        STEP,
    );
    console.send("\t");
    console.send(ENTER);
    wait_header(
        console,
        &["rollout restart Deployment shop/cart: applied (resourceVersion "],
    );
}

fn quit_from_detail(console: &mut Console) {
    console.send(ESC);
    console.wait_for_absent("(esc: back", STEP);
    console.send("q");
    assert!(console.wait_exit(STEP).success());
}

// ---------------------------------------------------------------------------
// 1. Progress, STUCK, :audit, undo (with kube-controller-manager)
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_shows_progress_then_stuck_audit_lists_it_and_undo_restores_the_annotation() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let mut env = KubeEnv::start().await;
    env.start_controller_manager().await;
    install_crds(&env).await;
    env.apply_yaml(SHOP).await;
    kube_env::eventually(Duration::from_secs(60), "cart's status", || async {
        let d = cart(&env).await;
        let st = d.status?;
        (st.observed_generation == d.metadata.generation && st.replicas == Some(2)).then_some(())
    })
    .await;
    step("control plane with controller manager, shop seeded", t);

    let args = vec![
        "--kubeconfig".to_string(),
        env.kubeconfig_path().display().to_string(),
    ];
    let mut console = Console::start_with(&args, Some(CONFIG), &[]);
    console.wait_for_all(&["ctx:e2e", "● live", "[read-write]"], STARTUP);
    open_shop_detail(&mut console);
    // No kubelet: the first pods never become available, so both rollouts are unfinished
    // from the start and turn stuck after 4s without progress.
    console.wait_until("cart stuck before the restart", STEP, |s| {
        cart_progress(s).is_some_and(|l| l.contains("STUCK no progress for 4s"))
    });
    step("pre-existing rollouts flagged STUCK after 4s", t);

    restart_cart_by_keys(&mut console);
    let restarted = cart(&env).await;
    let new_at = restarted_at(&restarted).expect("restart sets restartedAt");
    assert_ne!(new_at, PREVIOUS_RESTART);
    // The controller makes a new ReplicaSet with one surge pod (Pending forever): the bar
    // shows the rollout in progress, and no longer STUCK right after the change...
    console.wait_until("cart's rollout in progress", STEP, |s| {
        cart_progress(s).is_some_and(|l| {
            l.contains("updated 1/2")
                && l.contains("1 out of 2 new replicas have been updated")
                && !l.contains("STUCK")
        })
    });
    assert!(
        console.screen().contains("rollouts: "),
        "the header counts rollouts\n{}",
        console.framed_screen()
    );
    let in_progress = Instant::now();
    eprintln!("[e2e_rollout] in progress:\n{}", console.framed_screen());
    step("progress bar: 1 out of 2 new replicas updated", t);
    // ... and STUCK once nothing moved for 4s (a one-shot timer; no watch event comes).
    console.wait_until("cart's rollout STUCK", STEP, |s| {
        cart_progress(s).is_some_and(|l| {
            l.contains("STUCK no progress for 4s")
                && l.contains("1 out of 2 new replicas have been updated")
        })
    });
    assert!(
        in_progress.elapsed() >= Duration::from_secs(2),
        "STUCK only after the configured time"
    );
    wait_header(&mut console, &["rollouts: ", "stuck"]);
    step("STUCK after the configured 4s", t);

    // :audit lists the write, newest first.
    console.send(":audit");
    console.send(ENTER);
    console.wait_for("Audit log ", STEP);
    console.wait_for_line(
        &[
            "rollout-restart",
            "Deployment shop/cart",
            "passed",
            "applied",
        ],
        STEP,
    );
    console.wait_for_all(
        &["patch:", &format!("\"{RESTARTED_AT}\": \"{new_at}\"")],
        STEP,
    );
    step(":audit shows the restart and its patch", t);

    // U from the overlay: the confirm names the object and shows the inverse patch.
    console.send("U");
    console.wait_for_all(
        &[
            "undo Deployment shop/cart?",
            "namespace: shop",
            "reverts:   rollout restart Deployment shop/cart",
            &format!("\"{RESTARTED_AT}\": \"{PREVIOUS_RESTART}\""),
            "starts a new rollout",
            "[ Cancel ]",
            "[ Confirm undo ]",
        ],
        STEP,
    );
    // The controller has updated cart's status since the write: the undo still applies.
    assert_ne!(
        rv(&cart(&env).await),
        audit_str(&audit_lines(&console)[0], "/resource_version_after"),
        "status updates moved the resourceVersion"
    );
    console.send("\t");
    console.send(ENTER);
    wait_header(
        &mut console,
        &["undo Deployment shop/cart: applied (resourceVersion "],
    );
    let undone = cart(&env).await;
    assert_eq!(
        restarted_at(&undone).as_deref(),
        Some(PREVIOUS_RESTART),
        "undo restores the previous restartedAt"
    );
    step("U, Tab, Enter: restartedAt is back through the API", t);

    // The overlay re-read the log after the undo: two lines, the undo on top.
    console.wait_for_line(&["undo", "Deployment shop/cart", "passed", "applied"], STEP);
    let lines = audit_lines(&console);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(audit_str(&lines[1], "/verb"), "undo");
    assert_eq!(audit_str(&lines[1], "/outcome/result"), "applied");
    assert!(
        lines[0].get("undo").is_some(),
        "the restart's line holds its undo patch"
    );
    // Nothing left to undo (no redo).
    console.send(ESC);
    console.wait_for_absent("Audit log ", STEP);
    console.send("U");
    console.wait_for("nothing to undo", STEP);
    quit_from_detail(&mut console);
    step("done", t);
}

// ---------------------------------------------------------------------------
// 2. Undo refused after a concurrent change
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undo_after_a_concurrent_change_is_refused_and_writes_nothing() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    install_crds(&env).await;
    env.apply_yaml(SHOP).await;
    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["ctx:e2e", "● live"], STARTUP);
    open_shop_detail(&mut console);
    console.send("U");
    console.wait_for(
        "nothing to undo: no change was applied in this session",
        STEP,
    );
    assert!(!console.screen().contains("[ Cancel ]"));
    restart_cart_by_keys(&mut console);
    let restarted = restarted_at(&cart(&env).await).expect("restarted");
    step("restart applied", t);

    // Someone else changes cart's pod template.
    let changed = Api::<Deployment>::namespaced(env.client(), NS)
        .patch(
            "cart",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"template": {"metadata": {"labels": {"tier": "x"}}}}})),
        )
        .await
        .expect("concurrent change");
    console.send("U");
    console.wait_for("undo Deployment shop/cart?", STEP);
    console.send("\t");
    console.send(ENTER);
    wait_header(
        &mut console,
        &[
            "undo Deployment shop/cart failed: changed since your write; undo refused",
            "its spec changed",
        ],
    );
    step("undo refused with the reason", t);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let now = cart(&env).await;
    assert_eq!(
        rv(&now),
        rv(&changed),
        "nothing written after the other change"
    );
    assert_eq!(restarted_at(&now), Some(restarted));
    let lines = audit_lines(&console);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(audit_str(&lines[1], "/verb"), "undo");
    assert_eq!(audit_str(&lines[1], "/dry_run/result"), "rejected");
    assert!(audit_str(&lines[1], "/dry_run/message").starts_with("conflict: "));
    assert!(lines[1].get("outcome").is_none_or(Value::is_null));
    quit_from_detail(&mut console);
    step("done", t);
}

// ---------------------------------------------------------------------------
// 3. Read-only: U writes nothing
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_undo_writes_nothing() {
    let _machine = machine::alone().await;
    let env = KubeEnv::start().await;
    install_crds(&env).await;
    env.apply_yaml(SHOP).await;
    let before = cart(&env).await;
    let mut console = Console::start(env.kubeconfig_path(), &["--read-only"]);
    console.wait_for_all(&["ctx:e2e", "● live", "[read-only]"], STARTUP);
    open_shop_detail(&mut console);
    console.send("U");
    console.wait_for("read-only mode: writes are disabled", STEP);
    console.send("\t");
    console.send(ENTER);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(!console.screen().contains("[ Cancel ]"));
    assert_eq!(rv(&cart(&env).await), rv(&before));
    assert!(!audit_path(&console).exists());
    quit_from_detail(&mut console);
}
