//! The scale generator and churn driver (`meshctl_tui::demo::synthetic`) against a real
//! kube-apiserver 1.20 + etcd with the Gateway API and Istio CRDs: a 200-pod cluster is
//! loaded (statuses through the status subresource, owners' real uids), then churned at
//! 20 changes per second for 2 seconds; every count is read back from the server.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.

use crate::support::{kube_env, machine, scenario};

use std::collections::BTreeSet;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube_env::KubeEnv;
use meshctl_tui::demo::synthetic::{self, Churn, Size};
use serde_json::Value;

async fn list(env: &KubeEnv, group: &str, version: &str, kind: &str) -> Vec<Value> {
    let ar = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    let api: Api<DynamicObject> = Api::all_with(env.client(), &ar);
    api.list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("list {kind}: {e}"))
        .items
        .into_iter()
        .map(|o| serde_json::to_value(o).unwrap())
        .filter(|o| {
            o["metadata"]["namespace"]
                .as_str()
                .is_some_and(|n| n.starts_with("scale-"))
        })
        .collect()
}

fn names(objs: &[Value]) -> BTreeSet<String> {
    objs.iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["metadata"]["namespace"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn uids(objs: &[Value]) -> BTreeSet<String> {
    objs.iter()
        .map(|o| o["metadata"]["uid"].as_str().unwrap().to_string())
        .collect()
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_synthetic_cluster_loads_and_churns_on_a_real_apiserver() {
    let _machine = machine::shared().await;
    let env = KubeEnv::start().await;
    scenario::install_crds(&env).await;
    let client = env.client();
    let size = Size { pods: 200 };
    let objects = synthetic::objects(&size);

    let loaded = synthetic::load(&client, &objects, 16)
        .await
        .unwrap_or_else(|e| panic!("load: {e}"));
    assert_eq!(loaded.created, objects.len());
    let with_status = size.pods + 2 * size.deployments() + size.gateways() + size.http_routes();
    assert_eq!(loaded.statuses, with_status);
    eprintln!("loaded {} objects in {:?}", loaded.created, loaded.elapsed);

    // Counts, statuses and owners as the server keeps them.
    let pods = list(&env, "", "v1", "Pod").await;
    assert_eq!(pods.len(), size.pods);
    let not_ready = pods.iter().filter(|p| !ready(p)).count();
    assert!(not_ready > 0 && not_ready < size.pods / 10, "{not_ready}");
    assert!(pods.iter().all(|p| p["status"]["phase"] == "Running"));
    let replica_sets = list(&env, "apps", "v1", "ReplicaSet").await;
    assert_eq!(replica_sets.len(), size.deployments());
    let rs_uids: BTreeSet<&str> = replica_sets
        .iter()
        .map(|r| r["metadata"]["uid"].as_str().unwrap())
        .collect();
    let owned_by_a_replica_set = |pods: &[Value]| {
        pods.iter()
            .all(|p| rs_uids.contains(p["metadata"]["ownerReferences"][0]["uid"].as_str().unwrap()))
    };
    assert!(owned_by_a_replica_set(&pods));
    let deployments = list(&env, "apps", "v1", "Deployment").await;
    assert_eq!(deployments.len(), size.deployments());
    assert!(
        deployments
            .iter()
            .all(|d| d["status"]["replicas"].as_i64() > Some(0))
    );
    assert_eq!(list(&env, "", "v1", "Service").await.len(), size.services());
    assert_eq!(
        list(&env, "", "v1", "Secret").await.len(),
        size.tls_secrets()
    );
    let gateways = list(&env, "gateway.networking.k8s.io", "v1", "Gateway").await;
    assert_eq!(gateways.len(), size.gateways());
    assert!(
        gateways
            .iter()
            .all(|g| g["status"]["conditions"][1]["type"] == "Programmed")
    );
    let gw = |version| list(&env, "gateway.networking.k8s.io", version, "HTTPRoute");
    let routes = gw("v1").await;
    assert_eq!(routes.len(), size.http_routes());
    assert!(
        routes
            .iter()
            .all(|r| r["status"]["parents"][0]["conditions"][0]["status"] == "True")
    );
    let vs = list(&env, "networking.istio.io", "v1beta1", "VirtualService").await;
    assert_eq!(vs.len(), size.virtual_services());

    // Churn: 40 evenly spaced changes, none failing, every one of a counted type.
    let churn = Churn {
        rate: 20,
        seconds: 2,
    };
    let report = synthetic::churn(&client, &size, churn)
        .await
        .unwrap_or_else(|e| panic!("churn: {e}"));
    eprintln!("churn: {report:?}");
    assert_eq!(report.issued + report.skipped, 40);
    assert_eq!(report.failed, 0, "{:?}", report.first_error);
    assert_eq!(
        report.labels + report.readiness + report.recreated + report.weights,
        report.issued
    );
    assert!(report.labels > 0);
    assert!(report.elapsed.as_secs_f64() >= 1.9, "{:?}", report.elapsed);

    // The server saw them: the pod count stays (delete + create), replacements are new
    // objects owned by their ReplicaSet, labelled pods and changed routes are counted.
    let after = list(&env, "", "v1", "Pod").await;
    assert_eq!(after.len(), size.pods);
    assert!(owned_by_a_replica_set(&after));
    assert_eq!(names(&after), names(&pods), "replacements keep their names");
    let replaced = uids(&after).difference(&uids(&pods)).count();
    assert!(
        replaced <= report.recreated && (report.recreated == 0 || replaced > 0),
        "{replaced} new uids for {} recreated",
        report.recreated
    );
    let labelled = after
        .iter()
        .filter(|p| p["metadata"]["labels"]["meshctl.dev/churn"].is_string())
        .count();
    assert!(labelled > 0 && labelled <= report.labels, "{labelled}");
    let changed_routes = gw("v1")
        .await
        .iter()
        .filter(|r| r["spec"]["rules"][0]["backendRefs"][0]["weight"] != 90)
        .count();
    assert!(changed_routes <= report.weights);
    let flipped = after.iter().filter(|p| !ready(p)).count();
    if report.readiness == 0 && report.recreated == 0 {
        assert_eq!(flipped, not_ready);
    }
}
