//! The demo cluster through a real `kube::Client`: the same calls the app makes.

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Client, Discovery, ResourceExt};
use meshctl_tui::demo::DemoCluster;
use serde_json::{Value, json};

const FIXTURE: &str = include_str!("../fixtures/demo_server.yaml");

fn cluster() -> (DemoCluster, Client) {
    let c = DemoCluster::from_yaml(&[FIXTURE]).expect("fixture loads");
    let client = c.client();
    (c, client)
}

fn api_code<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> u16 {
    match r {
        Err(kube::Error::Api(s)) => s.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// Waits (up to 20 s) until `check` holds for the demo cluster.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn ready(pod: &Value) -> bool {
    pod["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

#[tokio::test]
async fn list_get_create_and_selectors() {
    let (_c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "shop");
    let list = cms.list(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 3);
    assert!(
        list.metadata
            .resource_version
            .is_some_and(|rv| !rv.is_empty())
    );
    let fe = cms
        .list(&ListParams::default().labels("tier in (fe),tier!=be"))
        .await
        .unwrap();
    assert_eq!(
        fe.items.iter().map(|c| c.name_any()).collect::<Vec<_>>(),
        ["settings"]
    );
    let by_name = cms
        .list(&ListParams::default().fields("metadata.name=other"))
        .await
        .unwrap();
    assert_eq!(by_name.items.len(), 1);
    let all: Api<ConfigMap> = Api::all(client.clone());
    let not_shop = all
        .list(&ListParams::default().fields("metadata.namespace!=shop"))
        .await
        .unwrap();
    assert!(not_shop.items.is_empty());
    let got = cms.get("settings").await.unwrap();
    assert_eq!(got.data.unwrap()["color"], "blue");
    assert_eq!(api_code(cms.get("nope").await), 404);

    let new: ConfigMap =
        serde_json::from_value(json!({"metadata": {"generateName": "gen-"}, "data": {"a": "b"}}))
            .unwrap();
    let created = cms.create(&PostParams::default(), &new).await.unwrap();
    assert!(created.name_any().starts_with("gen-") && created.name_any().len() == 9);
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    let named: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "settings"}})).unwrap();
    assert_eq!(
        api_code(cms.create(&PostParams::default(), &named).await),
        409
    );

    let secrets: Api<Secret> = Api::namespaced(client.clone(), "shop");
    let tls = secrets
        .list(&ListParams::default().fields("type=kubernetes.io/tls"))
        .await
        .unwrap();
    assert_eq!(tls.items.len(), 3);
    let plain = secrets.get("plain").await.unwrap();
    assert_eq!(plain.data.unwrap()["password"].0, b"hunter2");
    assert_eq!(
        api_code(
            secrets
                .list(&ListParams::default().fields("spec.bogus=1"))
                .await
        ),
        400
    );
    assert_eq!(
        api_code(cms.list(&ListParams::default().labels("a in b")).await),
        400
    );
}

#[tokio::test]
async fn paged_lists_carry_continue_tokens() {
    let (_c, client) = cluster();
    let cms: Api<ConfigMap> = Api::all(client);
    let first = cms.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let token = first.metadata.continue_.clone().expect("continue token");
    let rest = cms
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(rest.items.len(), 1);
    assert!(rest.metadata.continue_.is_none());
    assert_eq!(
        first.metadata.resource_version,
        rest.metadata.resource_version
    );
}

#[tokio::test]
async fn merge_patch_with_stale_resource_version_conflicts() {
    let (_c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let cur = cms.get("settings").await.unwrap();
    let rv = cur.resource_version().unwrap();
    let pp = PatchParams::default();
    let ok = Patch::Merge(json!({"metadata": {"resourceVersion": rv}, "data": {"color": "green"}}));
    let patched = cms.patch("settings", &pp, &ok).await.unwrap();
    assert_ne!(patched.resource_version().unwrap(), rv);
    let stale =
        Patch::Merge(json!({"metadata": {"resourceVersion": rv}, "data": {"color": "pink"}}));
    match cms.patch("settings", &pp, &stale).await {
        Err(kube::Error::Api(s)) => {
            assert_eq!((s.code, s.reason.as_str()), (409, "Conflict"));
            assert!(
                s.message.contains("the object has been modified"),
                "{}",
                s.message
            );
        }
        other => panic!("expected 409, got {other:?}"),
    }
    // PUT with a stale resourceVersion conflicts too.
    assert_eq!(
        api_code(cms.replace("settings", &PostParams::default(), &cur).await),
        409
    );
    assert_eq!(
        cms.get("settings").await.unwrap().data.unwrap()["color"],
        "green"
    );
}

#[tokio::test]
async fn json_patch_test_op_guards_the_write() {
    let (_c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let rv = cms
        .get("settings")
        .await
        .unwrap()
        .resource_version()
        .unwrap();
    let patch = |rv: &str| -> json_patch::Patch {
        serde_json::from_value(json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": rv},
            {"op": "replace", "path": "/data/color", "value": "teal"}
        ]))
        .unwrap()
    };
    let pp = PatchParams::default();
    assert_eq!(
        api_code(
            cms.patch("settings", &pp, &Patch::<()>::Json(patch("1")))
                .await
        ),
        422
    );
    let done = cms
        .patch("settings", &pp, &Patch::<()>::Json(patch(&rv)))
        .await
        .unwrap();
    assert_eq!(done.data.unwrap()["color"], "teal");
}

#[tokio::test]
async fn dry_run_validates_without_persisting() {
    let (c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let rv_before = c.resource_version();
    let pp = PostParams {
        dry_run: true,
        ..Default::default()
    };
    let new: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "dry"}})).unwrap();
    cms.create(&pp, &new).await.unwrap();
    assert_eq!(api_code(cms.get("dry").await), 404);
    let patched = cms
        .patch(
            "settings",
            &PatchParams::default().dry_run(),
            &Patch::Merge(json!({"data": {"color": "x"}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.data.unwrap()["color"], "x");
    assert_eq!(
        cms.get("settings").await.unwrap().data.unwrap()["color"],
        "blue"
    );
    cms.delete("settings", &DeleteParams::default().dry_run())
        .await
        .unwrap();
    assert!(cms.get("settings").await.is_ok());
    assert_eq!(c.resource_version(), rv_before);
}

fn gvk(group: &str, version: &str, kind: &str) -> GroupVersionKind {
    GroupVersionKind::gvk(group, version, kind)
}

#[tokio::test]
async fn unknown_crd_is_404_and_discovery_finds_registered_kinds() {
    let (_c, client) = cluster();
    let vs = ApiResource::from_gvk(&gvk("networking.istio.io", "v1", "VirtualService"));
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &vs);
    match api.list(&ListParams::default()).await {
        Err(kube::Error::Api(s)) => assert_eq!((s.code, s.reason.as_str()), (404, "NotFound")),
        other => panic!("expected 404, got {other:?}"),
    }
    for aggregated in [false, true] {
        let d = Discovery::new(client.clone());
        let d = if aggregated {
            d.run_aggregated().await
        } else {
            d.run().await
        }
        .unwrap();
        let (ar, caps) = d
            .resolve_gvk(&gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"))
            .expect("HTTPRoute discovered");
        assert_eq!(ar.plural, "httproutes");
        assert!(caps.supports_operation("watch"));
        assert!(d.resolve_gvk(&gvk("apps", "v1", "Deployment")).is_some());
        assert!(d.resolve_gvk(&gvk("", "v1", "Pod")).is_some());
        assert!(
            d.resolve_gvk(&gvk("networking.istio.io", "v1", "VirtualService"))
                .is_none()
        );
    }
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");
    // Both served versions of the CRD work, each answering with its own apiVersion.
    let beta = ApiResource::from_gvk(&gvk("gateway.networking.k8s.io", "v1beta1", "HTTPRoute"));
    let routes: Api<DynamicObject> = Api::namespaced_with(client, "shop", &beta);
    let r = routes.get("web").await.unwrap();
    assert_eq!(
        r.types.unwrap().api_version,
        "gateway.networking.k8s.io/v1beta1"
    );
}

#[tokio::test]
async fn too_old_resource_version_gets_410() {
    let (c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let old_rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    cms.patch(
        "settings",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"n": "1"}})),
    )
    .await
    .unwrap();
    // Within history: the change is replayed.
    let mut s = cms
        .watch(&WatchParams::default().timeout(5), &old_rv)
        .await
        .unwrap()
        .boxed();
    match s.try_next().await.unwrap() {
        Some(WatchEvent::Modified(cm)) => assert_eq!(cm.data.unwrap()["n"], "1"),
        other => panic!("expected MODIFIED, got {other:?}"),
    }
    c.compact_history();
    let mut s = cms
        .watch(&WatchParams::default().timeout(5), &old_rv)
        .await
        .unwrap()
        .boxed();
    match s.try_next().await.unwrap() {
        Some(WatchEvent::Error(e)) => assert_eq!((e.code, e.reason.as_str()), (410, "Expired")),
        other => panic!("expected 410, got {other:?}"),
    }
}

#[tokio::test]
async fn watch_sends_bookmarks_and_honours_timeout() {
    let (c, client) = cluster();
    c.set_bookmark_interval(Duration::from_millis(100));
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let s = cms
        .watch(&WatchParams::default().timeout(1), &rv)
        .await
        .unwrap();
    let events: Vec<_> = tokio::time::timeout(Duration::from_secs(5), s.collect::<Vec<_>>())
        .await
        .expect("stream ends");
    let bookmarks = events
        .iter()
        .filter(|e| matches!(e, Ok(WatchEvent::Bookmark(_))))
        .count();
    assert!(bookmarks >= 3, "{events:?}");
}

#[tokio::test]
async fn dropped_watch_releases_its_subscription() {
    let (c, client) = cluster();
    let base = c.subscriber_count();
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let mut s = cms
        .watch(&WatchParams::default(), "0")
        .await
        .unwrap()
        .boxed();
    assert!(matches!(
        s.try_next().await.unwrap(),
        Some(WatchEvent::Added(_))
    ));
    assert_eq!(c.subscriber_count(), base + 1);
    drop(s);
    eventually("subscription released", || c.subscriber_count() == base).await;
}

#[tokio::test]
async fn watch_with_selector_sees_objects_leave_and_enter() {
    let (_c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let rv = cms
        .list(&ListParams::default())
        .await
        .unwrap()
        .metadata
        .resource_version
        .unwrap();
    let mut s = cms
        .watch(&WatchParams::default().labels("tier=fe").timeout(5), &rv)
        .await
        .unwrap()
        .boxed();
    let pp = PatchParams::default();
    cms.patch(
        "settings",
        &pp,
        &Patch::Merge(json!({"metadata": {"labels": {"tier": "x"}}})),
    )
    .await
    .unwrap();
    cms.patch(
        "other",
        &pp,
        &Patch::Merge(json!({"metadata": {"labels": {"tier": "fe"}}})),
    )
    .await
    .unwrap();
    let a = s.try_next().await.unwrap();
    let b = s.try_next().await.unwrap();
    assert!(
        matches!(&a, Some(WatchEvent::Deleted(cm)) if cm.name_any() == "settings"),
        "{a:?}"
    );
    assert!(
        matches!(&b, Some(WatchEvent::Added(cm)) if cm.name_any() == "other"),
        "{b:?}"
    );
}

#[tokio::test]
async fn reflector_follows_adds_changes_and_deletes() {
    let (_c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    for streaming in [false, true] {
        let (reader, writer) = reflector::store();
        let cfg = if streaming {
            watcher::Config::default().streaming_lists()
        } else {
            watcher::Config::default().any_semantic()
        };
        let stream = watcher(cms.clone(), cfg)
            .default_backoff()
            .reflect(writer)
            .applied_objects();
        let task = tokio::spawn(stream.for_each(|_| async {}));
        reader.wait_until_ready().await.unwrap();
        assert_eq!(reader.len(), 3);
        let name = if streaming { "new-s" } else { "new-l" };
        let new: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": "1"}}))
                .unwrap();
        cms.create(&PostParams::default(), &new).await.unwrap();
        cms.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"v": "2"}})),
        )
        .await
        .unwrap();
        let r = reader.clone();
        eventually("reflector sees MODIFIED", || {
            r.state()
                .iter()
                .any(|cm| cm.name_any() == name && cm.data.as_ref().is_some_and(|d| d["v"] == "2"))
        })
        .await;
        cms.delete(name, &DeleteParams::default()).await.unwrap();
        let r = reader.clone();
        eventually("reflector sees DELETED", || r.len() == 3).await;
        task.abort();
    }
}

#[tokio::test]
async fn metadata_only_requests() {
    let (_c, client) = cluster();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "shop");
    let list = cms.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(list.items.len(), 3);
    assert_eq!(
        list.items[0].types.as_ref().unwrap().kind,
        "PartialObjectMetadata"
    );
    let one = cms.get_metadata("settings").await.unwrap();
    assert_eq!(one.types.unwrap().api_version, "meta.k8s.io/v1");
    // Api<PartialObjectMeta<K>> makes the watcher ask for metadata only (like the app's
    // wait-for-CRD watch).
    let meta_api: Api<kube::core::PartialObjectMeta<ConfigMap>> = Api::namespaced(client, "shop");
    let (reader, writer) = reflector::store();
    let stream = watcher(
        meta_api,
        watcher::Config::default().fields("metadata.name=settings"),
    )
    .reflect(writer)
    .applied_objects();
    let task = tokio::spawn(stream.for_each(|_| async {}));
    reader.wait_until_ready().await.unwrap();
    assert_eq!(reader.len(), 1);
    task.abort();
}

fn pods_of(c: &DemoCluster, ns: &str, app: &str) -> Vec<Value> {
    c.list("pods", Some(ns))
        .into_iter()
        .filter(|p| p["metadata"]["labels"]["app"] == app)
        .collect()
}

fn has_sidecar(pod: &Value) -> bool {
    pod["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "istio-proxy")
}

#[tokio::test]
async fn startup_keeps_asset_pods_and_settles_workloads() {
    let (c, client) = cluster();
    let pods = pods_of(&c, "shop", "web");
    assert_eq!(pods.len(), 2, "one asset pod adopted, one created");
    assert!(
        pods.iter()
            .all(|p| p["status"]["phase"] == "Running" && ready(p))
    );
    let old = c
        .get("pods", "shop", "web-old-pod")
        .expect("asset pod kept");
    assert!(!has_sidecar(&old), "asset pod models pre-injection history");
    let new = pods
        .iter()
        .find(|p| p["metadata"]["name"] != "web-old-pod")
        .unwrap();
    assert!(has_sidecar(new));
    let rs_name = old["metadata"]["ownerReferences"][0]["name"]
        .as_str()
        .unwrap();
    assert!(rs_name.starts_with("web-"));
    let deploys: Api<Deployment> = Api::namespaced(client, "shop");
    let d = deploys.get_status("web").await.unwrap();
    let st = d.status.unwrap();
    assert_eq!(
        (st.replicas, st.ready_replicas, st.updated_replicas),
        (Some(2), Some(2), Some(2))
    );
    assert_eq!(st.observed_generation, d.metadata.generation);
}

#[tokio::test]
async fn rollout_restart_replaces_pods_through_a_new_replicaset() {
    let (c, client) = cluster();
    let deploys: Api<Deployment> = Api::namespaced(client.clone(), "shop");
    let rss: Api<ReplicaSet> = Api::namespaced(client.clone(), "shop");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let before: Vec<String> = pods_of(&c, "shop", "web")
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();

    let (reader, writer) = reflector::store();
    let stream = watcher(pods.clone(), watcher::Config::default().labels("app=web"))
        .default_backoff()
        .reflect(writer)
        .touched_objects();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen2 = seen.clone();
    let task = tokio::spawn(stream.for_each(move |p| {
        if let Ok(p) = p {
            seen2.lock().unwrap().push(p.name_any());
        }
        async {}
    }));
    reader.wait_until_ready().await.unwrap();

    let restart = json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2025-06-01T10:00:00Z"}}}}});
    deploys
        .patch("web", &PatchParams::default(), &Patch::Strategic(restart))
        .await
        .unwrap();
    eventually("rollout completes", || {
        let d = c.get("deployments.apps", "shop", "web").unwrap();
        let st = &d["status"];
        let progressing = st["conditions"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Progressing" && c["reason"] == "NewReplicaSetAvailable")
        });
        let now = pods_of(&c, "shop", "web");
        progressing
            && st["observedGeneration"] == d["metadata"]["generation"]
            && st["updatedReplicas"] == 2
            && st["availableReplicas"] == 2
            && now.len() == 2
            && now.iter().all(|p| {
                !before
                    .iter()
                    .any(|b| b == p["metadata"]["name"].as_str().unwrap())
                    && ready(p)
            })
    })
    .await;
    let sets = rss
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    assert_eq!(sets.items.len(), 2);
    let new_rs = sets
        .items
        .iter()
        .find(|rs| rs.spec.as_ref().unwrap().replicas == Some(2))
        .unwrap();
    assert!(
        pods_of(&c, "shop", "web")
            .iter()
            .all(|p| p["metadata"]["ownerReferences"][0]["name"] == new_rs.name_any().as_str())
    );
    assert!(
        pods_of(&c, "shop", "web").iter().all(has_sidecar),
        "restart brings the sidecar"
    );
    let d = deploys.get("web").await.unwrap();
    assert_eq!(d.annotations()["deployment.kubernetes.io/revision"], "2");
    let r = reader.clone();
    eventually("watcher saw the new pods", || {
        r.state().iter().all(|p| !before.contains(&p.name_any())) && r.len() == 2
    })
    .await;
    assert!(
        seen.lock().unwrap().len() >= 4,
        "watch events pushed during the rollout"
    );
    task.abort();
}

#[tokio::test]
async fn scaling_through_spec_and_scale_subresource() {
    let (c, client) = cluster();
    let deploys: Api<Deployment> = Api::namespaced(client, "shop");
    deploys
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 3}})),
        )
        .await
        .unwrap();
    eventually("3 ready pods", || {
        pods_of(&c, "shop", "web")
            .iter()
            .filter(|p| ready(p))
            .count()
            == 3
    })
    .await;
    let scale = deploys.get_scale("web").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(3));
    deploys
        .patch_scale(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 1}})),
        )
        .await
        .unwrap();
    eventually("1 pod left", || {
        c.list("pods", Some("shop"))
            .iter()
            .filter(|p| p["metadata"]["labels"]["app"] == "web")
            .count()
            == 1
    })
    .await;
}

#[tokio::test]
async fn deleting_a_pod_terminates_it_and_the_replicaset_replaces_it() {
    let (c, client) = cluster();
    let pods: Api<Pod> = Api::namespaced(client, "shop");
    let victim = pods_of(&c, "shop", "web")
        .into_iter()
        .find(|p| p["metadata"]["name"] != "web-old-pod")
        .unwrap();
    let name = victim["metadata"]["name"].as_str().unwrap().to_string();
    let res = pods.delete(&name, &DeleteParams::default()).await.unwrap();
    let terminating = res.left().expect("pod object returned");
    assert!(
        terminating.metadata.deletion_timestamp.is_some(),
        "graceful deletion shows Terminating"
    );
    eventually("pod gone and replaced", || {
        let now = pods_of(&c, "shop", "web");
        c.get("pods", "shop", &name).is_none() && now.len() == 2 && now.iter().all(ready)
    })
    .await;
}

#[tokio::test]
async fn sidecar_injection_follows_istio_rules() {
    let (_c, client) = cluster();
    let pod = |name: &str, labels: Value| -> Pod {
        serde_json::from_value(json!({"metadata": {"name": name, "labels": labels},
            "spec": {"containers": [{"name": "app", "image": "busybox"}]}}))
        .unwrap()
    };
    let create = |ns: &str, p: Pod| {
        let api: Api<Pod> = Api::namespaced(client.clone(), ns);
        async move { api.create(&PostParams::default(), &p).await.unwrap() }
    };
    let containers = |p: &Pod| {
        p.spec
            .as_ref()
            .unwrap()
            .containers
            .iter()
            .map(|c| c.name.clone())
            .collect::<Vec<_>>()
    };

    let injected = create("shop", pod("a", json!({"app": "a"}))).await;
    assert_eq!(containers(&injected), ["app", "istio-proxy"]);
    let spec = injected.spec.as_ref().unwrap();
    assert_eq!(spec.init_containers.as_ref().unwrap()[0].name, "istio-init");
    assert_eq!(
        spec.containers[1].image.as_deref(),
        Some("mcr.microsoft.com/oss/istio/proxyv2:1.22.5")
    );
    let labels = injected.labels();
    assert_eq!(labels["istio.io/rev"], "default");
    assert_eq!(labels["security.istio.io/tlsMode"], "istio");
    assert_eq!(labels["service.istio.io/canonical-name"], "a");
    let status: Value =
        serde_json::from_str(&injected.annotations()["sidecar.istio.io/status"]).unwrap();
    assert_eq!(status["revision"], "default");
    assert_eq!(status["initContainers"], json!(["istio-init"]));

    let opted_out = create(
        "shop",
        pod("b", json!({"sidecar.istio.io/inject": "false"})),
    )
    .await;
    assert_eq!(containers(&opted_out), ["app"]);
    // istio-injection=disabled wins over istio.io/rev on the namespace.
    let disabled = create(
        "legacy",
        pod("c", json!({"sidecar.istio.io/inject": "true"})),
    )
    .await;
    assert_eq!(containers(&disabled), ["app"]);
    let canary = create("canary", pod("d", json!({}))).await;
    assert_eq!(
        canary.spec.as_ref().unwrap().containers[1].image.as_deref(),
        Some("mcr.microsoft.com/oss/istio/proxyv2:1.23.2")
    );
    assert_eq!(canary.labels()["istio.io/rev"], "1-23");
    let opt_in = create(
        "default",
        pod(
            "e",
            json!({"sidecar.istio.io/inject": "true", "istio.io/rev": "1-23"}),
        ),
    )
    .await;
    assert_eq!(opt_in.labels()["istio.io/rev"], "1-23");
    let plain = create("default", pod("f", json!({}))).await;
    assert_eq!(containers(&plain), ["app"]);
}

fn parse_cert(pem: &[u8]) -> (i64, String, String) {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem).expect("PEM");
    let cert = pem.parse_x509().expect("X.509");
    (
        cert.validity().not_after.timestamp(),
        cert.subject().to_string(),
        cert.issuer().to_string(),
    )
}

#[tokio::test]
async fn certificates_are_generated_relative_to_now() {
    let (_c, client) = cluster();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "shop");
    let now = jiff::Timestamp::now().as_second();
    let data = |s: &Secret, k: &str| s.data.as_ref().unwrap()[k].0.clone();

    let web = secrets.get("web-tls").await.unwrap();
    let (not_after, subject, issuer) = parse_cert(&data(&web, "tls.crt"));
    assert!(
        (not_after - (now + 5 * 86_400)).abs() < 120,
        "notAfter ≈ now + 5d"
    );
    assert!(subject.contains("web.shop.example"), "{subject}");
    assert!(issuer.contains("Demo Root CA"), "{issuer}");
    let (_, ca_subject, _) = parse_cert(&data(&web, "ca.crt"));
    assert!(ca_subject.contains("Demo Root CA"));
    assert!(
        String::from_utf8(data(&web, "tls.key"))
            .unwrap()
            .contains("placeholder")
    );

    let old = secrets.get("old-tls").await.unwrap();
    let (not_after, _, issuer) = parse_cert(&data(&old, "tls.crt"));
    assert!(not_after < now - 86_400, "expired two days ago");
    assert!(issuer.contains("old.shop.example"), "self-signed");
    assert!(old.data.as_ref().unwrap().get("ca.crt").is_none());

    let cms: Api<ConfigMap> = Api::namespaced(client, "shop");
    let bundle = cms.get("trust-bundle").await.unwrap().data.unwrap()["ca.pem"].clone();
    assert_eq!(bundle.matches("BEGIN CERTIFICATE").count(), 2);
}

#[tokio::test]
async fn route_status_follows_spec_generation() {
    let (c, client) = cluster();
    let ar = ApiResource::from_gvk(&gvk("gateway.networking.k8s.io", "v1", "HTTPRoute"));
    let routes: Api<DynamicObject> = Api::namespaced_with(client, "shop", &ar);
    let patch = json!({"spec": {"rules": [{"backendRefs": [{"name": "web", "port": 8080}]}]}});
    let r = routes
        .patch("web", &PatchParams::default(), &Patch::Merge(patch))
        .await
        .unwrap();
    assert_eq!(r.metadata.generation, Some(2));
    eventually("observedGeneration bumped", || {
        let r = c
            .get("httproutes.gateway.networking.k8s.io", "shop", "web")
            .unwrap();
        r["status"]["parents"][0]["conditions"][0]["observedGeneration"] == 2
    })
    .await;
    // A metadata-only change keeps the generation.
    let r = routes
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"x": "y"}}})),
        )
        .await
        .unwrap();
    assert_eq!(r.metadata.generation, Some(2));
    // The status subresource is the only way to change status.
    let r = routes
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"parents": []}})),
        )
        .await
        .unwrap();
    assert_eq!(
        r.data["status"]["parents"].as_array().map(Vec::len),
        Some(1)
    );
    let r = routes
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"parents": []}})),
        )
        .await
        .unwrap();
    assert_eq!(
        r.data["status"]["parents"].as_array().map(Vec::len),
        Some(0)
    );
}

#[tokio::test]
async fn self_subject_access_review_allows() {
    let (_c, client) = cluster();
    use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
    let api: Api<SelfSubjectAccessReview> = Api::all(client);
    let review: SelfSubjectAccessReview = serde_json::from_value(json!({"spec": {"resourceAttributes": {"verb": "patch", "resource": "deployments", "group": "apps"}}})).unwrap();
    let r = api.create(&PostParams::default(), &review).await.unwrap();
    assert!(r.status.unwrap().allowed);
}

#[tokio::test]
async fn embedded_assets_load() {
    let c = DemoCluster::start().expect("assets/demo/*.yaml load without error");
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(c.client());
    assert!(namespaces.get("default").await.is_ok());
}
