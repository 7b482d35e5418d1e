//! The safe-write contract (`cluster::write` + `audit`), one body run against the embedded
//! demo cluster and against a real kube-apiserver (1.20), so the demo cannot drift from
//! what a real server does with our writes.
//!
//! The real server needs the binaries from `tests/e2e/kube-assets.sh` (or
//! KUBEBUILDER_ASSETS); without them the harness panics, the test is never skipped.

use crate::support::{crds, kube_env, machine};

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};
use meshctl_tui::audit::{AuditEntry, AuditLog};
use meshctl_tui::cluster::write::{
    DryRun, PatchBody, RESTARTED_AT, Target, WriteOutcome, WriteReport, WriteRequest, dry_run_only,
    execute, guarded_json_patch, rollout_restart, set_namespace_labels, undo_of,
};
use meshctl_tui::demo::DemoCluster;
use serde_json::{Value, json};

const NS: &str = "wr";

const FIXTURE: &str = include_str!("../fixtures/write_contract.yaml");

/// 2024-05-01T12:03:07Z and one second later.
const T1: i64 = 1_714_564_987;

fn ts(second: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(second).unwrap()
}

async fn get(client: &Client, t: &Target) -> Value {
    let api: Api<DynamicObject> = match &t.namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &t.api_resource()),
        None => Api::all_with(client.clone(), &t.api_resource()),
    };
    let obj = api
        .get(&t.name)
        .await
        .unwrap_or_else(|e| panic!("get {}: {e}", t.display()));
    serde_json::to_value(obj).unwrap()
}

fn rv(obj: &Value) -> String {
    obj["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion")
        .to_string()
}

fn restarted_at(obj: &Value) -> Option<&str> {
    obj["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT].as_str()
}

/// Runs writes and records each one in the audit log, like the app will.
struct Writer {
    client: Client,
    context: &'static str,
    log: AuditLog,
    /// (verb, final result) of every write, to compare with the log.
    expected: Vec<(String, String)>,
}

impl Writer {
    async fn write(&mut self, req: &WriteRequest, before_rv: Option<&str>) -> WriteReport {
        let report = execute(&self.client, req).await;
        let entry = AuditEntry::from_report(self.context, Some("tester"), req, &report, before_rv);
        self.expected
            .push((req.verb.to_string(), entry.result().result.clone()));
        if self.log.path().is_some() {
            self.log.append(&entry).expect("audit append");
        }
        report
    }

    /// Reads the object, builds the write from it, writes; retried on Conflict only
    /// because the demo's (and kube-controller-manager's) controllers may bump the
    /// resourceVersion between our read and our write. Returns the object before.
    async fn write_fresh(
        &mut self,
        t: &Target,
        build: impl Fn(&str) -> WriteRequest,
    ) -> (WriteRequest, Value, WriteReport) {
        for _ in 0..10 {
            let before = get(&self.client, t).await;
            let req = build(&rv(&before));
            let report = self.write(&req, Some(&rv(&before))).await;
            if !matches!(report.final_outcome(), Some(WriteOutcome::Conflict { .. })) {
                return (req, before, report);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{}: conflict after 10 fresh attempts", t.display());
    }
}

#[track_caller]
fn assert_applied(report: &WriteReport) -> (String, Value) {
    assert_eq!(report.dry_run, DryRun::Passed, "{report:#?}");
    match report.outcome.clone() {
        Some(WriteOutcome::Applied {
            resource_version,
            object,
        }) => (resource_version, object),
        other => panic!("expected Applied, got {other:#?}"),
    }
}

/// The dry run refused (so nothing was sent for real): returns what it said.
#[track_caller]
fn assert_rejected(report: &WriteReport) -> WriteOutcome {
    assert_eq!(report.outcome, None, "a rejected dry run must not write");
    match &report.dry_run {
        DryRun::Rejected(o) => o.clone(),
        other => panic!("expected a rejected dry run, got {other:#?}"),
    }
}

/// The fresh object of a Conflict: newer than the precondition, not newer than now
/// (controllers may have moved the object on since).
async fn assert_conflict(client: &Client, t: &Target, outcome: WriteOutcome, stale: &str) -> Value {
    let WriteOutcome::Conflict { current, message } = outcome else {
        panic!("expected Conflict, got {outcome:#?}");
    };
    eprintln!("conflict message for {}: {message}", t.display());
    let current = current.expect("a conflict carries the current object");
    let n = |rv: &str| rv.parse::<u64>().expect("numeric resourceVersion");
    let now = rv(&get(client, t).await);
    assert!(n(stale) < n(&rv(&current)) && n(&rv(&current)) <= n(&now));
    current
}

/// `limited`: a client the server's RBAC forbids to write (`None` for the demo).
async fn contract(client: Client, limited: Option<Client>, context: &'static str) {
    let audit_dir = std::env::temp_dir().join(format!(
        "meshctl-write-contract-{context}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&audit_dir);
    let mut w = Writer {
        client: client.clone(),
        context,
        log: AuditLog::open(Some(audit_dir.clone())),
        expected: Vec::new(),
    };
    let cart = Target::deployment(NS, "cart");

    // A write without precondition never reaches the server.
    let unguarded = WriteRequest {
        target: cart.clone(),
        patch: PatchBody::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        verb: "label",
        summary: "unguarded".into(),
    };
    let report = w.write(&unguarded, None).await;
    assert!(
        matches!(assert_rejected(&report), WriteOutcome::Invalid(m) if m.contains("precondition"))
    );
    assert_eq!(
        get(&client, &cart).await["metadata"]["labels"]["x"],
        Value::Null
    );

    // Dry run alone persists nothing (retried: controllers may bump the version).
    let mut before = get(&client, &cart).await;
    for _ in 0..10 {
        let req = rollout_restart(cart.clone(), &rv(&before), ts(T1));
        match dry_run_only(&client, &req).await {
            DryRun::Passed => break,
            DryRun::Rejected(WriteOutcome::Conflict { .. }) => before = get(&client, &cart).await,
            other => panic!("dry run: {other:#?}"),
        }
    }
    let after_dry = get(&client, &cart).await;
    assert_eq!(restarted_at(&after_dry), None);

    // Rollout restart: the kubectl annotation, read back.
    let (restart, restart_before, report) = w
        .write_fresh(&cart, |rv| rollout_restart(cart.clone(), rv, ts(T1)))
        .await;
    let (restart_rv, applied) = assert_applied(&report);
    assert_eq!(restarted_at(&applied), Some("2024-05-01T12:03:07Z"));
    let now = get(&client, &cart).await;
    assert_eq!(restarted_at(&now), Some("2024-05-01T12:03:07Z"));
    assert_ne!(rv(&restart_before), restart_rv);

    // A stale resourceVersion: Conflict with the current object, nothing written.
    let stale = rollout_restart(cart.clone(), &rv(&before), ts(T1 + 1));
    let outcome = assert_rejected(&w.write(&stale, Some(&rv(&before))).await);
    let current = assert_conflict(&client, &cart, outcome, &rv(&before)).await;
    assert_eq!(restarted_at(&current), Some("2024-05-01T12:03:07Z"));

    // A JSON patch whose resourceVersion test fails: Conflict too (422 on the wire).
    let label = |rv: &str| {
        let op = json!([{"op": "add", "path": "/metadata/labels/touched", "value": "yes"}]);
        let ops = serde_json::from_value(op).unwrap();
        guarded_json_patch(cart.clone(), rv, ops, "label", "touch".into())
    };
    let outcome = assert_rejected(&w.write(&label(&rv(&before)), Some(&rv(&before))).await);
    let current = assert_conflict(&client, &cart, outcome, &rv(&before)).await;
    assert_eq!(current["metadata"]["labels"]["touched"], Value::Null);

    // The same JSON patch with a fresh resourceVersion applies...
    let (_, _, report) = w.write_fresh(&cart, label).await;
    assert_applied(&report);
    assert_eq!(
        get(&client, &cart).await["metadata"]["labels"]["touched"],
        "yes"
    );
    // ...so undoing the restart now refuses: the object changed after the restart.
    let undo = undo_of(&restart, &restart_before, &restart_rv).unwrap();
    let outcome = assert_rejected(&w.write(&undo, Some(&restart_rv)).await);
    assert_conflict(&client, &cart, outcome, &restart_rv).await;
    assert_eq!(
        restarted_at(&get(&client, &cart).await),
        Some("2024-05-01T12:03:07Z")
    );

    // Namespace injection toggle: set the revision, drop istio-injection (merge null).
    let ns = Target::namespace(NS);
    let set = [("istio.io/rev".to_string(), "asm-1-22".to_string())];
    let (relabel, ns_before, report) = w
        .write_fresh(&ns, |rv| {
            set_namespace_labels(NS, rv, &set, &["istio-injection".into()])
        })
        .await;
    let (relabel_rv, _) = assert_applied(&report);
    let labels = get(&client, &ns).await["metadata"]["labels"].clone();
    assert_eq!(labels["istio.io/rev"], "asm-1-22");
    assert_eq!(labels["istio-injection"], Value::Null);
    assert_eq!(labels["team"], "shop");

    // Undo restores the labels exactly; a second undo of the same write refuses.
    let undo = undo_of(&relabel, &ns_before, &relabel_rv).unwrap();
    let report = w.write(&undo, Some(&relabel_rv)).await;
    assert_applied(&report);
    let labels = get(&client, &ns).await["metadata"]["labels"].clone();
    assert_eq!(labels, ns_before["metadata"]["labels"]);
    let outcome = assert_rejected(&w.write(&undo, Some(&relabel_rv)).await);
    assert_conflict(&client, &ns, outcome, &relabel_rv).await;

    // Traffic weights on an HTTPRoute (a CRD: JSON patch, no strategic merge), and undo.
    let route = Target::httproute(NS, "web");
    let weights = |rv: &str| {
        let ops = json!([
            {"op": "replace", "path": "/spec/rules/0/backendRefs/0/weight", "value": 50},
            {"op": "replace", "path": "/spec/rules/0/backendRefs/1/weight", "value": 50}
        ]);
        let ops = serde_json::from_value(ops).unwrap();
        guarded_json_patch(route.clone(), rv, ops, "set-weights", "50/50".into())
    };
    let (set_weights, route_before, report) = w.write_fresh(&route, weights).await;
    let (weights_rv, _) = assert_applied(&report);
    let refs = get(&client, &route).await["spec"]["rules"][0]["backendRefs"].clone();
    assert_eq!(
        (refs[0]["weight"].clone(), refs[1]["weight"].clone()),
        (json!(50), json!(50))
    );
    let undo = undo_of(&set_weights, &route_before, &weights_rv).unwrap();
    assert_applied(&w.write(&undo, Some(&weights_rv)).await);
    let refs = get(&client, &route).await["spec"]["rules"][0]["backendRefs"].clone();
    assert_eq!(
        (refs[0]["weight"].clone(), refs[1]["weight"].clone()),
        (json!(90), json!(10))
    );

    // A missing object.
    let missing = rollout_restart(Target::deployment(NS, "nope"), "1", ts(T1));
    let outcome = assert_rejected(&w.write(&missing, None).await);
    assert!(matches!(outcome, WriteOutcome::NotFound(_)), "{outcome:#?}");

    // RBAC: the server's reason comes back as Forbidden (and is audited). The demo
    // server has no RBAC (every client may do everything), so `limited` is None there
    // and this part is skipped on purpose.
    if let Some(limited) = limited {
        let fresh = rv(&get(&client, &cart).await);
        let admin = std::mem::replace(&mut w.client, limited);
        let req = rollout_restart(cart.clone(), &fresh, ts(T1 + 2));
        let report = w.write(&req, Some(&fresh)).await;
        w.client = admin;
        let WriteOutcome::Forbidden(message) = assert_rejected(&report) else {
            panic!("expected Forbidden, got {report:#?}");
        };
        eprintln!("forbidden message: {message}");
        assert!(message.contains("forbidden"), "{message}");
        assert!(message.contains(kube_env::LIMITED_USER), "{message}");
        assert!(message.contains("deployments"), "{message}");
        assert_eq!(rv(&get(&client, &cart).await), fresh);
    }

    // The audit log holds one line per attempted write, in order.
    let entries = w.log.read_last(100);
    let got: Vec<(String, String)> = entries
        .iter()
        .map(|e| (e.verb.clone(), e.result().result.clone()))
        .collect();
    assert_eq!(got, w.expected);
    let restart_entry = entries
        .iter()
        .find(|e| e.verb == "rollout-restart" && e.result().result == "applied")
        .expect("restart in the audit log");
    assert_eq!(restart_entry.context, context);
    assert_eq!(restart_entry.object, cart);
    assert_eq!(
        restart_entry.resource_version_after.as_deref(),
        Some(restart_rv.as_str())
    );
    assert_eq!(
        restart_entry.patch["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT],
        "2024-05-01T12:03:07Z"
    );
    // A conflict found by the dry run is logged as a rejected dry run naming it.
    assert!(entries.iter().any(|e| {
        e.outcome.is_none()
            && e.dry_run.result == "rejected"
            && e.dry_run
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with("conflict: "))
    }));
    let _ = std::fs::remove_dir_all(&audit_dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_contract_on_the_demo_cluster() {
    let crds = include_str!("../../assets/demo/00-crds.yaml");
    let demo = DemoCluster::from_yaml(&[crds, FIXTURE]).expect("fixture loads");
    contract(demo.client(), None, "demo").await;
}

async fn real_server() -> kube_env::KubeEnv {
    let env = kube_env::KubeEnv::start().await;
    env.install_crd_groups(&[crds::GATEWAY_API]).await;
    env.apply_yaml(FIXTURE).await;
    env
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_contract_on_a_real_apiserver() {
    let _machine = machine::shared().await;
    let env = real_server().await;
    contract(env.client(), Some(env.limited_client().await), "e2e").await;
}

/// With kube-controller-manager running, a restart really rolls out: a second
/// ReplicaSet whose pod template carries the annotation (its pods stay Pending: no
/// kubelet).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_creates_a_new_replicaset_on_a_real_apiserver() {
    let _machine = machine::shared().await;
    let mut env = real_server().await;
    env.start_controller_manager().await;
    let client = env.client();
    let rs_api: Api<ReplicaSet> = Api::namespaced(client.clone(), NS);
    let list = || {
        let rs_api = rs_api.clone();
        async move {
            rs_api
                .list(&ListParams::default().labels("app=cart"))
                .await
                .ok()
                .map(|l| l.items)
        }
    };
    let first = kube_env::eventually(Duration::from_secs(60), "the first ReplicaSet", || async {
        list().await.filter(|items| items.len() == 1)
    })
    .await;
    let cart = Target::deployment(NS, "cart");
    let mut w = Writer {
        client: client.clone(),
        context: "e2e",
        log: AuditLog::open(None::<PathBuf>),
        expected: Vec::new(),
    };
    let (_, _, report) = w
        .write_fresh(&cart, |rv| rollout_restart(cart.clone(), rv, ts(T1)))
        .await;
    assert_applied(&report);
    let second = kube_env::eventually(
        Duration::from_secs(60),
        "a second ReplicaSet with the restart annotation",
        || async {
            list().await?.into_iter().find(|rs| {
                rs.spec
                    .as_ref()
                    .and_then(|s| s.template.as_ref())
                    .and_then(|t| t.metadata.as_ref())
                    .and_then(|m| m.annotations.as_ref())
                    .and_then(|a| a.get(RESTARTED_AT))
                    .is_some_and(|v| v == "2024-05-01T12:03:07Z")
            })
        },
    )
    .await;
    assert_ne!(second.metadata.name, first[0].metadata.name);
}
