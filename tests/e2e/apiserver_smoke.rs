//! Smoke test of the e2e tooling itself: a real kube-apiserver (1.20) with all
//! CRDs of the selected set (`support::crds`), some Gateway API objects and a Deployment that
//! kube-controller-manager turns into a ReplicaSet.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or KUBEBUILDER_ASSETS).

use crate::support::{crds, kube_env, machine};

use std::time::Duration;

use k8s_openapi::api::{
    apps::v1::{Deployment, ReplicaSet},
    core::v1::Namespace,
};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube_env::KubeEnv;

const OBJECTS: &str = include_str!("../fixtures/apiserver_smoke.yaml");

fn gateway_api(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", kind),
        plural,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_apiserver_with_crds_gateway_objects_and_controller_manager() {
    let _machine = machine::shared().await;
    let mut env = KubeEnv::start().await;
    let client = env.client();

    // The server really is the 1.20 build.
    let version = client.apiserver_version().await.expect("server version");
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "20")
    );

    // All CRDs of the selected set.
    let crds = env.install_all_crds().await;
    for expected in [
        "gateways.gateway.networking.k8s.io",
        "httproutes.gateway.networking.k8s.io",
        "grpcroutes.gateway.networking.k8s.io",
        "virtualservices.networking.istio.io",
        "destinationrules.networking.istio.io",
        "certificates.cert-manager.io",
    ] {
        assert!(
            crds.iter().any(|c| c == expected),
            "{expected} not installed"
        );
    }

    env.start_controller_manager().await;

    let created = env.apply_yaml(OBJECTS).await;
    assert_eq!(created.len(), 5);

    // Read everything back through kube.
    let ns: Api<Namespace> = Api::all(client.clone());
    ns.get("smoke").await.expect("namespace smoke");

    let gateways: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "smoke", &gateway_api("Gateway", "gateways"));
    let gw_list = gateways
        .list(&ListParams::default())
        .await
        .expect("list gateways");
    assert_eq!(gw_list.items.len(), 1);
    let gw = &gw_list.items[0];
    assert_eq!(gw.metadata.name.as_deref(), Some("edge"));
    assert_eq!(gw.data["spec"]["gatewayClassName"], "smoke-class");
    assert_eq!(gw.data["spec"]["listeners"][0]["port"], 80);
    assert_eq!(
        gw.data["spec"]["listeners"][0]["hostname"],
        "shop.example.com"
    );

    let routes: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "smoke",
        &gateway_api("HTTPRoute", "httproutes"),
    );
    let route = routes.get("shop").await.expect("get httproute");
    assert_eq!(route.data["spec"]["parentRefs"][0]["name"], "edge");
    assert_eq!(route.data["spec"]["hostnames"][0], "shop.example.com");
    let backends = route.data["spec"]["rules"][0]["backendRefs"]
        .as_array()
        .expect("backendRefs");
    assert_eq!(backends.len(), 2);
    assert_eq!(backends[0]["weight"], 90);
    assert_eq!(backends[1]["name"], "shop-api-canary");
    // Structural-schema defaults of the CRD were applied by the server. Only the upstream
    // Gateway API CRDs have them: with another set this fails, naming it.
    let set = crds::crd_set();
    let needs_upstream = format!(
        "this check needs the upstream Gateway API CRDs (schema defaults); the CRD set is {} ({})",
        set.dir.display(),
        set.origin
    );
    assert_eq!(
        route.data["spec"]["rules"][0]["matches"][0]["path"]["type"], "PathPrefix",
        "{needs_upstream}"
    );
    assert_eq!(
        route.data["spec"]["parentRefs"][0]["kind"], "Gateway",
        "{needs_upstream}"
    );

    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "smoke");
    let dep = deployments.get("shop-api").await.expect("get deployment");
    assert_eq!(dep.spec.as_ref().and_then(|s| s.replicas), Some(2));

    // The controller manager reacts: Deployment -> ReplicaSet (pods stay
    // Pending: no scheduler, no kubelet).
    let replicasets: Api<ReplicaSet> = Api::namespaced(client.clone(), "smoke");
    let rs = kube_env::eventually(Duration::from_secs(60), "a ReplicaSet for shop-api", || {
        let replicasets = replicasets.clone();
        async move {
            let list = replicasets
                .list(&ListParams::default().labels("app=shop-api"))
                .await
                .ok()?;
            list.items.into_iter().next()
        }
    })
    .await;
    let owner = &rs.metadata.owner_references.as_ref().expect("owner refs")[0];
    assert_eq!(owner.kind, "Deployment");
    assert_eq!(owner.name, "shop-api");
    assert_eq!(rs.spec.as_ref().and_then(|s| s.replicas), Some(2));

    // The low-privilege user is authenticated but forbidden to list.
    let limited = env.limited_client().await;
    let err = Api::<Deployment>::namespaced(limited, "smoke")
        .list(&ListParams::default())
        .await
        .expect_err("limited user must not list deployments");
    match err {
        kube::Error::Api(status) => assert_eq!(status.code, 403, "{status:?}"),
        other => panic!("expected 403 Forbidden, got {other}"),
    }

    // The kubeconfig file the app would get via --kubeconfig works as well.
    let from_file = kube_env::client_from_kubeconfig(env.kubeconfig_path()).await;
    Api::<Deployment>::namespaced(from_file, "smoke")
        .get("shop-api")
        .await
        .expect("client from kubeconfig file");
}
