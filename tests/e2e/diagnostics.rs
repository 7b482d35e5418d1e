//! End-to-end test of the Diagnostics view through the REAL `meshctl-tui` binary in a
//! pseudo-terminal against a real kube-apiserver 1.20 + etcd + kube-controller-manager
//! (Deployments get ReplicaSets and Pending pods; no kubelet, no Istio webhook: a pod has a
//! sidecar exactly when its template names an `istio-proxy` container).
//!
//! Broken configurations, each read on the console's Diagnostics view:
//! - `legacy`: both injection labels (MESH001, IST0123);
//! - ingress-nginx (IngressClass `nginx`) without sidecar, Ingress `shop/storefront` into
//!   Service `shop/web`, whose pod has a sidecar, under a mesh-wide STRICT policy (MTLS001);
//! - HTTPRoute `infra/cross` to `shop/web` without a ReferenceGrant (ROUTE007; its
//!   RefNotPermitted status is told there, not twice);
//! - Gateway `infra/gw` Accepted but not Programmed (GW002).
//!
//! Then problems are fixed through the API and the findings change live: the label
//! conflict disappears; the route's backend moved to its own namespace turns ROUTE007 into
//! the controller's (stale) ResolvedRefs=False, which goes once the status says True. A healthy namespace never
//! shows. F on a finding in `--read-only` opens nothing and says so.
//!
//! Needs the binaries from `tests/e2e/kube-assets.sh` (or `KUBEBUILDER_ASSETS`): without
//! them the tests FAIL with a message saying so, they are never skipped.

use crate::support::{crds, kube_env, machine, pty, scenario};

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube_env::KubeEnv;
use pty::{Console, ENTER, Screen};
use serde_json::{Value, json};

const STARTUP: Duration = Duration::from_secs(60);
const STEP: Duration = Duration::from_secs(15);

const CLUSTER: &str = include_str!("../fixtures/diagnostics_cluster.yaml");

/// Points the route at the Service `infra/web` of its own namespace: no grant needed.
/// (kube-apiserver 1.20 refuses a ReferenceGrant's `to.group: ""` as null, so the fix
/// here is the route's, not a grant.)
async fn route_to_own_namespace(env: &KubeEnv) {
    let api: Api<DynamicObject> =
        Api::namespaced_with(env.client(), "infra", &ar("HTTPRoute", "httproutes"));
    api.patch(
        "cross",
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"rules": [{"backendRefs": [{"name": "web", "port": 80}]}]}})),
    )
    .await
    .expect("patch the route's backendRef");
}

fn ar(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("gateway.networking.k8s.io", "v1", kind),
        plural,
    )
}

fn cond(type_: &str, status: &str, reason: &str, message: &str) -> Value {
    json!({"type": type_, "status": status, "reason": reason, "message": message,
        "lastTransitionTime": "2025-01-01T00:00:00Z", "observedGeneration": 1})
}

async fn patch_status(env: &KubeEnv, kind: &str, plural: &str, name: &str, status: Value) {
    let api: Api<DynamicObject> = Api::namespaced_with(env.client(), "infra", &ar(kind, plural));
    api.patch_status(
        name,
        &PatchParams::default(),
        &Patch::Merge(json!({ "status": status })),
    )
    .await
    .unwrap_or_else(|e| panic!("patch status of {kind} {name}: {e}"));
}

/// The route's status as its controller would write it: accepted, refs resolved or not.
async fn route_status(env: &KubeEnv, resolved: bool) {
    let refs = if resolved {
        cond("ResolvedRefs", "True", "ResolvedRefs", "resolved")
    } else {
        cond(
            "ResolvedRefs",
            "False",
            "RefNotPermitted",
            "backendRef shop/web not permitted by any ReferenceGrant",
        )
    };
    patch_status(
        env,
        "HTTPRoute",
        "httproutes",
        "cross",
        json!({"parents": [{
            "parentRef": {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "gw"},
            "controllerName": "example.com/gateway-controller",
            "conditions": [cond("Accepted", "True", "Accepted", "accepted"), refs],
        }]}),
    )
    .await;
}

async fn seed(env: &mut KubeEnv) {
    env.start_controller_manager().await;
    env.install_crd_groups(&[
        crds::GATEWAY_API,
        crds::ISTIO_NETWORKING,
        crds::ISTIO_SECURITY,
    ])
    .await;
    env.apply_yaml(CLUSTER).await;
    patch_status(
        env,
        "Gateway",
        "gateways",
        "gw",
        json!({
            "conditions": [
                cond("Accepted", "True", "Accepted", "accepted"),
                cond("Programmed", "False", "AddressNotAssigned", "no address for the data plane yet"),
            ],
            "listeners": [{"name": "http", "attachedRoutes": 1,
                "supportedKinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}],
                "conditions": [cond("Accepted", "True", "Accepted", "ok")]}],
        }),
    )
    .await;
    route_status(env, false).await;
    // Pods of every Deployment (Pending: no scheduler), so sidecars can be judged.
    for (ns, name) in [
        ("ingress-nginx", "ingress-nginx-controller"),
        ("shop", "web"),
        ("healthy", "api"),
    ] {
        kube_env::eventually(Duration::from_secs(60), "pods of a Deployment", || async {
            let rs = Api::<ReplicaSet>::namespaced(env.client(), ns)
                .list(&ListParams::default())
                .await
                .ok()?;
            let made = rs.items.iter().any(|r| {
                r.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.name == name)
                    && r.status.as_ref().is_some_and(|s| s.replicas > 0)
            });
            made.then_some(())
        })
        .await;
    }
    // istiod serves (no kubelet: its pod is marked ready), or every injected namespace
    // would be MESH008.
    scenario::make_ready(env, "aks-istio-system", "istiod-asm-1-22").await;
}

fn step(name: &str, started: Instant) {
    eprintln!(
        "[e2e_diagnostics] {:>7.2}s  {name}",
        started.elapsed().as_secs_f64()
    );
}

/// The table row whose CODE column is `code` and that mentions `what`.
fn finding<'a>(s: &'a Screen, code: &str, what: &str) -> Option<&'a str> {
    s.lines
        .iter()
        .map(String::as_str)
        .find(|l| l.split_whitespace().any(|w| w == code) && l.contains(what))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_view_reads_broken_configurations_and_follows_fixes_live() {
    let _machine = machine::alone().await;
    let t = Instant::now();
    let mut env = KubeEnv::start().await;
    seed(&mut env).await;
    step("cluster seeded", t);

    let mut console = Console::start(env.kubeconfig_path(), &[]);
    console.wait_for_all(&["● live", "[read-write]"], STARTUP);
    console.send("6");
    console.wait_for("┌ Diagnostics [all]", STEP);
    console.wait_until("every broken configuration's finding", STEP, |s| {
        finding(s, "MESH001", "legacy").is_some()
            && finding(s, "MTLS001", "shop/storefront").is_some()
            && finding(s, "ROUTE007", "infra/cross").is_some()
            && finding(s, "GW002", "infra/gw").is_some()
    });
    console.wait_for("findings: 3 errors 1 warning", STEP);
    let screen = console.screen();
    assert!(
        !screen.contains("healthy") && !screen.contains("ROUTE006") && !screen.contains("GW003"),
        "a healthy namespace has no finding; RefNotPermitted is told once:\n{screen}"
    );
    step("four findings shown", t);

    // The nginx finding's detail: why, and which controller.
    console.send("/MTLS001");
    console.send(ENTER);
    console.wait_for_absent("type to filter", STEP);
    console.send(ENTER);
    console.wait_for_all(
        &[
            "Ingress shop/storefront is served by k8s.io/ingress-nginx (class nginx)",
            "Deployment ingress-nginx/ingress-nginx-controller",
            "mesh-wide PeerAuthentication aks-istio-system/default",
            "Fix (F): open the injection labels of namespace ingress-nginx",
        ],
        STEP,
    );
    console.send("\x1b"); // back to the list
    console.send("\x1b"); // clear the filter
    console.wait_until("the whole list again", STEP, |s| {
        finding(s, "MESH001", "legacy").is_some()
    });

    // Fix the label conflict through the API: the finding goes, live.
    let api = Api::<Namespace>::all(env.client());
    api.patch(
        "legacy",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"istio-injection": null}}})),
    )
    .await
    .expect("remove istio-injection");
    console.wait_until("MESH001 to disappear", STEP, |s| {
        finding(s, "MESH001", "legacy").is_none() && finding(s, "GW002", "infra/gw").is_some()
    });
    console.wait_for("findings: 3 errors", STEP);
    step("label conflict fixed through the API", t);

    // The route's backend moves to its own namespace: ROUTE007 goes; the controller's
    // status still says RefNotPermitted until it is rewritten, and then that goes too.
    route_to_own_namespace(&env).await;
    console.wait_until("ROUTE007 replaced by the stale status", STEP, |s| {
        finding(s, "ROUTE007", "infra/cross").is_none()
            && finding(s, "ROUTE006", "infra/cross").is_some()
    });
    route_status(&env, true).await;
    console.wait_until("the route to be clean", STEP, |s| {
        finding(s, "ROUTE006", "infra/cross").is_none()
    });
    console.wait_for("findings: 2 errors", STEP);
    step("route fixed through the API, then its status", t);

    console.send("q");
    assert!(
        console.wait_exit(STEP).success(),
        "{}",
        console.framed_screen()
    );
    drop(console);

    // Read-only: the fix key opens nothing and says why.
    let mut ro = Console::start(env.kubeconfig_path(), &["--read-only"]);
    ro.wait_for_all(&["● live", "[read-only]"], STARTUP);
    ro.send("6");
    ro.wait_until("the nginx finding", STEP, |s| {
        finding(s, "MTLS001", "shop/storefront").is_some()
    });
    ro.send("/MTLS001");
    ro.send(ENTER);
    ro.wait_for_absent("type to filter", STEP);
    ro.send("F");
    ro.wait_for("read-only mode: writes are disabled", STEP);
    assert!(!ro.screen().contains("Sidecar injection for namespace"));
    ro.send("q");
    assert!(ro.wait_exit(STEP).success());
    step("read-only refuses the fix", t);
}
