//! End-to-end tests of the first write, `rollout restart`, through the REAL `meshctl-tui`
//! binary in a pseudo-terminal (160x48) against a real kube-apiserver 1.20 + etcd on
//! loopback (plus kube-controller-manager where ReplicaSets matter). Keys are typed like a
//! user: `4` (Mesh), `/shop` Enter, Enter (namespace detail), `R`, Tab, Enter. Every effect
//! is checked through the API and in the audit log (`$MESHCTL_DATA_DIR/audit.jsonl`).
//!
//! 1. restart: Cancel (focused first) writes nothing; Confirm sets the pod-template
//!    annotation, the Deployment controller makes a new ReplicaSet, one audit line.
//! 2. `--read-only`: no dialog, nothing written, no audit line.
//! 3. a user without `patch` on deployments: the server's reason in the header, nothing
//!    written, the refusal audited, the console keeps working.
//! 4. the object changes while the dialog is open: conflict, nothing written; a retry uses
//!    the fresh resourceVersion.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.
//!
//! One test at a time (a process-wide lock): each starts its own control plane.

use crate::support::{kube_env, machine, pty, scenario};

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use kube_env::{ADMIN_USER, CONTEXT, KubeEnv, LIMITED_USER};
use pty::{Console, ENTER, ESC};
use scenario::*;
use serde_json::{Value, json};

const NS: &str = "shop";

/// One test at a time. A tokio mutex: held across awaits, not poisoned by a failing test.
fn step(name: &str, started: Instant) {
    scenario::step("e2e_write", name, started);
}

/// Namespace `shop` (injection by revision) with two Deployments: `cart` (the first in
/// name order, so selected by default) and `web`.
const SHOP: &str = include_str!("../fixtures/write_shop.yaml");

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

fn deployments(env: &KubeEnv) -> Api<Deployment> {
    Api::namespaced(env.client(), NS)
}

const DETAIL_TITLE: &str = "Namespace shop   (esc: back, j/k: select workload, R: restart, S: sidecar label, I: injection, B: bulk restart)";
/// The same title in read-only mode: no write key is advertised.
const DETAIL_TITLE_READ_ONLY: &str =
    "Namespace shop   (esc: back, j/k: select workload; read-only)";

/// From anywhere without a dialog: Mesh view, filter to `shop`, open its detail, and wait
/// until both workloads are listed.
fn open_shop_detail(console: &mut Console) {
    show(console, "4", "Mesh");
    console.wait_until("the shop row in the Mesh view", STEP, |s| {
        row(s, NS).is_some()
    });
    console.send("/shop");
    console.wait_for("type to filter", STEP);
    console.send(ENTER);
    console.wait_until("only the shop row left", STEP, |s| {
        !s.text.contains("type to filter")
            && row(s, NS).is_some()
            && row(s, "default").is_none()
            && row(s, "kube-system").is_none()
    });
    console.send(ENTER);
    let title = if console.screen().contains("[read-only]") {
        DETAIL_TITLE_READ_ONLY
    } else {
        DETAIL_TITLE
    };
    console.wait_for_all(
        &[
            title,
            "injection: istio.io/rev=asm-1-22",
            "Deployment cart",
            "Deployment web",
        ],
        STEP,
    );
}

/// The dialog for `object` (e.g. `Deployment shop/cart`) as drawn, with the resourceVersion
/// its precondition names.
fn wait_dialog(console: &mut Console, object: &str) -> String {
    let title = format!("rollout restart {object}?");
    console.wait_for_all(
        &[
            &title,
            &format!("context:   {CONTEXT}"),
            &format!("object:    {object}"),
            &format!("namespace: {NS}"),
            "patch (merge, with resourceVersion precondition):",
            "metadata.resourceVersion: \"",
            "spec.template.metadata.annotations:",
            &format!("{RESTARTED_AT}: <now, RFC 3339>"),
            "A server dry-run runs first; nothing is written if it fails.",
            "[ Cancel ]",
            "[ Confirm rollout restart ]",
        ],
        STEP,
    );
    let screen = console.screen();
    let line = screen
        .lines()
        .find(|l| l.contains("metadata.resourceVersion: \""))
        .expect("resourceVersion line");
    let rest = &line[line.find("metadata.resourceVersion: \"").unwrap()
        + "metadata.resourceVersion: \"".len()..];
    let rv = rest.split('"').next().unwrap_or_default().to_string();
    assert!(
        !rv.is_empty() && rv.chars().all(|c| c.is_ascii_digit()),
        "the dialog must name a numeric resourceVersion, got {rv:?}\n{}",
        console.framed_screen()
    );
    rv
}

/// How the two buttons are drawn: (Cancel, Confirm).
fn button_styles(console: &Console) -> (pty::CellStyle, pty::CellStyle) {
    let get = |label: &str| {
        console
            .style_of(label)
            .unwrap_or_else(|| panic!("no {label} on screen\n{}", console.framed_screen()))
    };
    (get("[ Cancel ]"), get("[ Confirm rollout restart ]"))
}

/// Waits until the buttons are drawn as `want` (Cancel, Confirm).
fn wait_button_styles(console: &Console, want: (pty::CellStyle, pty::CellStyle), what: &str) {
    let deadline = Instant::now() + STEP;
    while button_styles(console) != want {
        assert!(
            Instant::now() < deadline,
            "{what}: buttons drawn as {:?}, expected {want:?}\n{}",
            button_styles(console),
            console.framed_screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Parses `RFC 3339` and checks it is within a minute of now.
fn assert_recent_rfc3339(value: &str, what: &str) {
    let ts: jiff::Timestamp = value
        .parse()
        .unwrap_or_else(|e| panic!("{what} {value:?} is not RFC 3339: {e}"));
    let age = jiff::Timestamp::now().duration_since(ts);
    assert!(
        age.abs() <= jiff::SignedDuration::from_secs(60),
        "{what} {value:?} is not within a minute of now (off by {age:?})"
    );
}

// ---------------------------------------------------------------------------
// 1. Restart by keystrokes, with kube-controller-manager
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollout_restart_by_keys_cancel_writes_nothing_confirm_makes_a_new_replicaset() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let mut env = KubeEnv::start().await;
    env.start_controller_manager().await;
    step("apiserver and controller manager ready", t);
    install_crds(&env).await;
    env.apply_yaml(SHOP).await;
    let first_rs = kube_env::eventually(
        Duration::from_secs(60),
        "the first ReplicaSet of Deployment shop/cart",
        || async { replica_sets_of(&env, NS, "cart").await.into_iter().next() },
    )
    .await;
    let first_rs_name = first_rs.metadata.name.clone().expect("ReplicaSet name");
    kube_env::eventually(
        Duration::from_secs(60),
        "the first ReplicaSet of Deployment shop/web",
        || async { replica_sets_of(&env, NS, "web").await.into_iter().next() },
    )
    .await;
    let cart0 = settled(&env, NS, "cart").await;
    let web0 = settled(&env, NS, "web").await;
    assert_eq!(restarted_at(&cart0), None, "fresh Deployment");
    step("shop/cart and shop/web have their ReplicaSets", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(
        &["ctx:e2e", "user:e2e-admin", "● live", "[read-write]"],
        STARTUP,
    );
    open_shop_detail(&mut console);
    // The controller manager made 2 Pending pods of the first ReplicaSet.
    console.wait_until("both cart pods of the first ReplicaSet", STEP, |s| {
        s.count(&format!("pod {first_rs_name}-")) == 2
    });
    step("namespace detail shows cart, web and cart's pods", t);

    // The selected workload (cart, the first) is drawn in the selection style.
    let selected = console
        .style_of("ready 0/2")
        .unwrap_or_else(|| panic!("cart's line\n{}", console.framed_screen()));
    assert_ne!(
        Some(selected),
        console.style_of("ready 0/1"),
        "cart, not web, is selected by default\n{}",
        console.framed_screen()
    );

    // --- Cancel is focused: R then Enter writes nothing ---------------------------------
    console.send("R");
    let dialog_rv = wait_dialog(&mut console, "Deployment shop/cart");
    assert_eq!(
        dialog_rv,
        rv(&cart0),
        "the precondition must be the Deployment's current resourceVersion"
    );
    eprintln!("[e2e_write] the dialog:\n{}", console.framed_screen());
    // Cancel has the focus: the two buttons are drawn differently.
    let (focused, unfocused) = button_styles(&console);
    eprintln!("[e2e_write] focused button {focused:?}, unfocused {unfocused:?}");
    assert_eq!(
        focused,
        selected,
        "Cancel must be drawn focused (selection style) when the dialog opens\n{}",
        console.framed_screen()
    );
    assert_ne!(
        focused,
        unfocused,
        "the focused button must look different\n{}",
        console.framed_screen()
    );
    console.send(ENTER);
    console.wait_for_absent("[ Cancel ]", STEP);
    console.wait_for("cancelled; nothing was written", STEP);
    console.wait_for(DETAIL_TITLE, STEP);
    // Give a (wrong) write time to land before looking.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let cart = deployment(&env, NS, "cart").await;
    assert_eq!(
        restarted_at(&cart),
        None,
        "Enter on the focused Cancel must not write"
    );
    assert_eq!(generation(&cart), generation(&cart0), "spec unchanged");
    assert_eq!(replica_sets_of(&env, NS, "cart").await.len(), 1);
    assert!(
        audit_lines(&console).is_empty(),
        "a cancelled dialog writes no audit line: {:?}",
        audit_lines(&console)
    );
    step("R, Enter on Cancel: dialog closed, nothing written", t);

    // --- R, Tab, Enter: applied -------------------------------------------------------
    console.send("R");
    let dialog_rv = wait_dialog(&mut console, "Deployment shop/cart");
    assert_eq!(dialog_rv, rv(&cart0));
    wait_button_styles(
        &console,
        (focused, unfocused),
        "the reopened dialog focuses Cancel again",
    );
    console.send("\t");
    wait_button_styles(
        &console,
        (unfocused, focused),
        "after Tab, Confirm has the focus",
    );
    let before_write = jiff::Timestamp::now();
    console.send(ENTER);
    console.wait_for_absent("[ Cancel ]", STEP);
    let header = wait_header(
        &mut console,
        &["rollout restart Deployment shop/cart: applied (resourceVersion "],
    );
    let flash = &header[header
        .find("rollout restart Deployment shop/cart: applied (resourceVersion ")
        .unwrap()..];
    let applied_rv = flash
        .trim_start_matches("rollout restart Deployment shop/cart: applied (resourceVersion ")
        .split(')')
        .next()
        .unwrap()
        .to_string();
    assert!(
        applied_rv.parse::<u64>().is_ok() && applied_rv != dialog_rv,
        "the header must name the new resourceVersion: {flash:?}"
    );
    step("R, Tab, Enter: header says applied", t);

    // Through the API: the annotation, RFC 3339, now; a new ReplicaSet.
    let cart = deployment(&env, NS, "cart").await;
    let at = restarted_at(&cart).unwrap_or_else(|| {
        panic!(
            "the pod template has no {RESTARTED_AT} after 'applied': {:?}",
            cart.spec.as_ref().map(|s| &s.template.metadata)
        )
    });
    assert_recent_rfc3339(&at, RESTARTED_AT);
    let at_ts: jiff::Timestamp = at.parse().unwrap();
    assert!(
        at_ts
            >= before_write
                .checked_sub(jiff::SignedDuration::from_secs(1))
                .unwrap(),
        "{RESTARTED_AT} {at} is older than the keypress ({before_write})"
    );
    assert_eq!(
        generation(&cart),
        generation(&cart0) + 1,
        "one spec change (the template annotation)"
    );
    assert!(
        rv(&cart).parse::<u64>().unwrap() >= applied_rv.parse::<u64>().unwrap(),
        "the Deployment's resourceVersion {} is older than the applied one {applied_rv}",
        rv(&cart)
    );
    // The rest of the template is untouched.
    let tpl = |d: &Deployment| {
        let mut t = serde_json::to_value(&d.spec.as_ref().unwrap().template).unwrap();
        if let Some(a) = t.pointer_mut("/metadata/annotations") {
            a.as_object_mut().unwrap().remove(RESTARTED_AT);
            if a.as_object().unwrap().is_empty() {
                t["metadata"].as_object_mut().unwrap().remove("annotations");
            }
        }
        t
    };
    assert_eq!(tpl(&cart), tpl(&cart0), "only the annotation changed");
    let new_rs = kube_env::eventually(
        Duration::from_secs(60),
        "a new ReplicaSet of shop/cart with the restartedAt annotation",
        || async {
            replica_sets_of(&env, NS, "cart")
                .await
                .into_iter()
                .find(|rs| rs_restarted_at(rs).as_deref() == Some(at.as_str()))
        },
    )
    .await;
    let new_rs_name = new_rs.metadata.name.clone().unwrap();
    assert_ne!(new_rs_name, first_rs_name);
    let all = replica_sets_of(&env, NS, "cart").await;
    assert_eq!(
        all.len(),
        2,
        "the old and the new ReplicaSet: {:?}",
        all.iter().map(|r| &r.metadata.name).collect::<Vec<_>>()
    );
    // The other workload was not touched.
    let web = deployment(&env, NS, "web").await;
    assert_eq!(restarted_at(&web), None, "web was not selected");
    assert_eq!(generation(&web), generation(&web0));
    assert_eq!(replica_sets_of(&env, NS, "web").await.len(), 1);
    step("API: annotation set, new ReplicaSet, web untouched", t);

    // The console sees the new ReplicaSet's (Pending) pod live.
    console.wait_for(&format!("pod {new_rs_name}-"), STEP);
    step("the new ReplicaSet's pod shows in the detail", t);

    // --- The audit log: exactly one line, for this write ----------------------------------
    let lines = audit_lines(&console);
    assert_eq!(
        lines.len(),
        1,
        "exactly one audit line (Cancel writes none): {lines:#?}"
    );
    let e = &lines[0];
    assert_eq!(audit_str(e, "/verb"), "rollout-restart", "{e:#}");
    assert_eq!(audit_str(e, "/context"), CONTEXT, "{e:#}");
    assert_eq!(audit_str(e, "/user"), ADMIN_USER, "{e:#}");
    assert_eq!(audit_str(e, "/dry_run/result"), "passed", "{e:#}");
    assert_eq!(audit_str(e, "/outcome/result"), "applied", "{e:#}");
    assert_eq!(audit_str(e, "/object/kind"), "Deployment", "{e:#}");
    assert_eq!(audit_str(e, "/object/group"), "apps", "{e:#}");
    assert_eq!(audit_str(e, "/object/namespace"), NS, "{e:#}");
    assert_eq!(audit_str(e, "/object/name"), "cart", "{e:#}");
    assert_eq!(audit_str(e, "/resource_version_before"), dialog_rv, "{e:#}");
    assert_eq!(audit_str(e, "/resource_version_after"), applied_rv, "{e:#}");
    assert_eq!(
        e.pointer("/patch"),
        Some(&json!({
            "metadata": {"resourceVersion": dialog_rv},
            "spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}},
        })),
        "the audit line holds the patch as sent: {e:#}"
    );
    assert_recent_rfc3339(audit_str(e, "/time"), "audit time");
    step("audit: one line, rollout-restart, passed, applied", t);

    console.send(ESC);
    console.wait_for_absent("(esc: back", STEP);
    quit(&mut console);
    assert_eq!(audit_lines(&console).len(), 1);
    step("done", t);
}

// ---------------------------------------------------------------------------
// 2. Read-only: no dialog, nothing written
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_console_opens_no_dialog_and_writes_nothing() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    install_crds(&env).await;
    env.apply_yaml(SHOP).await;
    let cart0 = deployment(&env, NS, "cart").await;
    step("apiserver ready, shop seeded", t);

    let mut console = Console::start(env.kubeconfig_path(), &["--read-only"]);
    console.wait_for_all(&["ctx:e2e", "● live", "[read-only]"], STARTUP);
    assert!(
        !console.screen().contains("[read-write]"),
        "{}",
        console.framed_screen()
    );
    open_shop_detail(&mut console);
    step("read-only header; shop detail open", t);

    console.send("R");
    console.wait_for(
        "read-only mode: writes are disabled (started with --read-only or read_only = true)",
        STEP,
    );
    let screen = console.screen();
    for no in [
        "rollout restart Deployment",
        "[ Cancel ]",
        "[ Confirm rollout restart ]",
        "resourceVersion precondition",
    ] {
        assert!(
            !screen.contains(no),
            "read-only: no confirm dialog ({no:?} on screen)\n{}",
            console.framed_screen()
        );
    }
    // What would confirm a dialog, had one opened: still nothing.
    console.send("\t");
    console.send(ENTER);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let screen = console.screen();
    assert!(
        !screen.contains("[ Cancel ]") && !screen.contains("dry run, then write"),
        "read-only: Tab/Enter after R must not open or confirm anything\n{}",
        console.framed_screen()
    );
    step("R: read-only message, no dialog", t);

    let cart = deployment(&env, NS, "cart").await;
    assert_eq!(
        rv(&cart),
        rv(&cart0),
        "read-only: the Deployment must not change"
    );
    assert_eq!(restarted_at(&cart), None);
    assert_eq!(
        serde_json::to_value(&cart.spec).unwrap(),
        serde_json::to_value(&cart0.spec).unwrap(),
        "read-only: template unchanged"
    );
    let web = deployment(&env, NS, "web").await;
    assert_eq!(restarted_at(&web), None);
    assert!(
        !audit_path(&console).exists(),
        "read-only: no audit file may be written, found {:?}",
        std::fs::read_to_string(audit_path(&console))
    );
    step("API unchanged, no audit file", t);

    // The console is still fine.
    console.send(ESC);
    console.wait_for_absent("(esc: back", STEP);
    show(&mut console, "2", "Routes");
    show(&mut console, "4", "Mesh");
    quit(&mut console);
    assert!(!audit_path(&console).exists());
    step("done", t);
}

// ---------------------------------------------------------------------------
// 3. RBAC: the server's reason, nothing written, refusal audited
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_restart_shows_the_servers_reason_and_console_keeps_working() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    install_crds(&env).await;
    env.apply_yaml(SHOP).await;
    env.apply_yaml(&read_everything_rbac()).await;
    // RBAC is applied from the apiserver's informer: wait until the grant is in force.
    let limited = env.limited_client().await;
    kube_env::eventually(
        Duration::from_secs(30),
        "the limited user to list deployments in shop",
        || {
            let api: Api<Deployment> = Api::namespaced(limited.clone(), NS);
            async move { api.list(&Default::default()).await.ok().map(|_| ()) }
        },
    )
    .await;
    // ... and the grant really lacks patch.
    let denied = Api::<Deployment>::namespaced(limited.clone(), NS)
        .patch(
            "cart",
            &PatchParams {
                dry_run: true,
                ..Default::default()
            },
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await;
    assert!(
        matches!(&denied, Err(kube::Error::Api(s)) if s.code == 403),
        "the limited user must not be allowed to patch deployments: {denied:?}"
    );
    let cart0 = deployment(&env, NS, "cart").await;
    step("apiserver ready, limited user may read but not patch", t);

    let mut console = Console::start(env.limited_kubeconfig_path(), &[]);
    console.wait_for_all(
        &["ctx:e2e", "user:e2e-limited", "● live", "[read-write]"],
        STARTUP,
    );
    open_shop_detail(&mut console);
    assert!(
        !console.screen().contains("forbidden"),
        "the user may read everything the console watches:\n{}",
        console.framed_screen()
    );
    step("limited console live, shop detail open", t);

    console.send("R");
    let dialog_rv = wait_dialog(&mut console, "Deployment shop/cart");
    assert_eq!(dialog_rv, rv(&cart0));
    console.send("\t");
    console.send(ENTER);
    console.wait_for_absent("[ Cancel ]", STEP);
    // The server's reason, in full, as the server put it.
    let header = wait_header(
        &mut console,
        &["rollout restart Deployment shop/cart failed: forbidden: "],
    );
    let reason = format!(
        "rollout restart Deployment shop/cart failed: forbidden: deployments.apps \"cart\" is forbidden: \
         User \"{LIMITED_USER}\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\""
    );
    assert!(
        header.contains(&reason),
        "the header must show the server's whole reason\nwant: {reason}\nhave: {header}\n{}",
        console.framed_screen()
    );
    // The header grew by the flash rows; the detail below is drawn whole, one row lower.
    console.wait_until("the detail drawn below the taller header", STEP, |s| {
        s.lines.len() > 6
            && s.lines[4].starts_with('┌')
            && s.lines[5].contains(DETAIL_TITLE)
            && s.lines[6].contains("injection: istio.io/rev=asm-1-22")
            && s.line_with(&["Deployment cart", "ready 0/2"]).is_some()
            && s.line_with(&["Deployment web", "ready 0/1"]).is_some()
    });
    eprintln!(
        "[e2e_write] the refused write:\n{}",
        console.framed_screen()
    );
    step("header: failed: forbidden: <the server's reason>", t);

    let cart = deployment(&env, NS, "cart").await;
    assert_eq!(
        rv(&cart),
        rv(&cart0),
        "forbidden: the Deployment must not change"
    );
    assert_eq!(restarted_at(&cart), None);

    let lines = audit_lines(&console);
    assert_eq!(
        lines.len(),
        1,
        "one audit line for the refused write: {lines:#?}"
    );
    let e = &lines[0];
    assert_eq!(audit_str(e, "/verb"), "rollout-restart", "{e:#}");
    assert_eq!(audit_str(e, "/context"), CONTEXT, "{e:#}");
    assert_eq!(audit_str(e, "/user"), LIMITED_USER, "{e:#}");
    assert_eq!(audit_str(e, "/object/name"), "cart", "{e:#}");
    assert_eq!(audit_str(e, "/resource_version_before"), dialog_rv, "{e:#}");
    // The dry run is authorized like the write: RBAC refuses it, so nothing is sent for real.
    assert_eq!(audit_str(e, "/dry_run/result"), "rejected", "{e:#}");
    let why = audit_str(e, "/dry_run/message");
    assert!(
        why.starts_with("forbidden: ")
            && why.contains("cannot patch resource \"deployments\" in API group \"apps\""),
        "the audit line records the server's refusal: {e:#}"
    );
    assert!(
        e.get("outcome").is_none_or(Value::is_null),
        "no real write after a rejected dry run: {e:#}"
    );
    assert!(
        e.get("resource_version_after").is_none_or(Value::is_null),
        "{e:#}"
    );
    step("API unchanged; audit: rejected, forbidden", t);

    // The console keeps working: views switch, data stays live.
    console.send(ESC);
    console.wait_for_absent("(esc: back", STEP);
    show(&mut console, "1", "Gateways");
    show(&mut console, "2", "Routes");
    show(&mut console, "4", "Mesh");
    console.wait_until("the shop row", STEP, |s| row(s, NS).is_some());
    // A change made elsewhere still reaches the screen.
    env.apply_yaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: after-forbidden\n")
        .await;
    console.send(ESC); // clear the /shop filter
    console.wait_until("the new namespace, live", STEP, |s| {
        row(s, "after-forbidden").is_some()
    });
    console.wait_for("● live", STEP);
    quit(&mut console);
    step("done", t);
}

// ---------------------------------------------------------------------------
// 4. Conflict: the object changed while the dialog was open
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_of_an_object_changed_since_the_dialog_opened_is_a_conflict() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let env = KubeEnv::start().await;
    install_crds(&env).await;
    env.apply_yaml(SHOP).await;
    let web0 = deployment(&env, NS, "web").await;
    step("apiserver ready, shop seeded", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["ctx:e2e", "● live"], STARTUP);
    open_shop_detail(&mut console);
    // j selects the second workload, web.
    console.send("j");
    console.send("R");
    let dialog_rv = wait_dialog(&mut console, "Deployment shop/web");
    assert_eq!(dialog_rv, rv(&web0));
    step("j, R: dialog for shop/web", t);

    // Someone else changes web while the dialog is open.
    let changed = deployments(&env)
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"changed-by": "someone-else"}}})),
        )
        .await
        .expect("label web");
    let changed_rv = rv(&changed);
    assert_ne!(changed_rv, dialog_rv);
    // The dialog keeps the resourceVersion it showed (what the user reviewed).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        console
            .screen()
            .contains(&format!("metadata.resourceVersion: \"{dialog_rv}\"")),
        "{}",
        console.framed_screen()
    );

    console.send("\t");
    console.send(ENTER);
    console.wait_for_absent("[ Cancel ]", STEP);
    wait_header(
        &mut console,
        &[
            "rollout restart Deployment shop/web failed: the object changed since you opened it; \
             nothing was written. Review and retry.",
            // ... and the server's word for it.
            "the object has been modified",
        ],
    );
    step("Tab, Enter: header says conflict", t);

    let web = deployment(&env, NS, "web").await;
    assert_eq!(
        restarted_at(&web),
        None,
        "conflict: the annotation must NOT be set"
    );
    assert_eq!(
        rv(&web),
        changed_rv,
        "conflict: nothing written after the label"
    );
    assert_eq!(generation(&web), generation(&web0));
    assert_eq!(restarted_at(&deployment(&env, NS, "cart").await), None);
    let lines = audit_lines(&console);
    assert_eq!(lines.len(), 1, "{lines:#?}");
    let e = &lines[0];
    assert_eq!(audit_str(e, "/verb"), "rollout-restart", "{e:#}");
    assert_eq!(audit_str(e, "/user"), ADMIN_USER, "{e:#}");
    assert_eq!(audit_str(e, "/object/name"), "web", "{e:#}");
    assert_eq!(audit_str(e, "/resource_version_before"), dialog_rv, "{e:#}");
    assert_eq!(audit_str(e, "/dry_run/result"), "rejected", "{e:#}");
    assert!(
        audit_str(e, "/dry_run/message").starts_with("conflict: "),
        "{e:#}"
    );
    assert!(e.get("outcome").is_none_or(Value::is_null), "{e:#}");
    step("API: annotation not set; audit: rejected, conflict", t);

    // Review and retry: the dialog now names the fresh resourceVersion, and it applies.
    console.send("R");
    let retry_rv = wait_dialog(&mut console, "Deployment shop/web");
    assert_eq!(
        retry_rv, changed_rv,
        "a new dialog must use the resourceVersion the watch delivered"
    );
    console.send("\t");
    console.send(ENTER);
    wait_header(
        &mut console,
        &["rollout restart Deployment shop/web: applied (resourceVersion "],
    );
    let web = deployment(&env, NS, "web").await;
    let at = restarted_at(&web).expect("retry sets the annotation");
    assert_recent_rfc3339(&at, RESTARTED_AT);
    assert_eq!(
        web.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("changed-by"))
            .map(String::as_str),
        Some("someone-else"),
        "the other change is kept"
    );
    let lines = audit_lines(&console);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(
        audit_str(&lines[1], "/outcome/result"),
        "applied",
        "{:#}",
        lines[1]
    );
    assert_eq!(audit_str(&lines[1], "/resource_version_before"), changed_rv);
    step("retry with the fresh resourceVersion: applied", t);

    console.send(ESC);
    // Wait for the ESC to land: ESC and q in one burst read as alt-q.
    console.wait_for_absent("(esc: back", STEP);
    quit(&mut console);
    step("done", t);
}
