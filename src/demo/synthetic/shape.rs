//! The generated cluster's shape: which namespace holds which apps, and every object of
//! it as JSON, status included.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use super::certs;
use crate::demo::PLACEHOLDER_KEY;

/// Pods per namespace, as on the measured cluster (10,021 pods in 212 namespaces).
pub const PODS_PER_NAMESPACE: usize = 50;
/// Pods per Deployment (10,021 pods, 1,015 Deployments).
pub const PODS_PER_DEPLOYMENT: usize = 10;
/// The revision of the demo's ready control plane, and an older one whose pods need a
/// restart (the demo's `istiod-asm-1-21`).
pub const REVISION: &str = "asm-1-22";
pub const STALE_REVISION: &str = "asm-1-21";
/// Fixed timestamps keep the output deterministic; the API server sets its own
/// creationTimestamp.
const SINCE: &str = "2026-11-20T08:00:00Z";

const WORDS: [&str; 10] = [
    "api", "web", "cart", "search", "orders", "billing", "auth", "media", "ledger", "stock",
];

/// How a namespace takes part in the mesh.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Injection {
    Revision,
    Enabled,
    None,
}

#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    /// The ReplicaSet's pod-template-hash.
    pub hash: String,
    pub replicas: usize,
    /// Its pods run the stale sidecar revision.
    pub stale: bool,
}

#[derive(Debug, Clone)]
pub struct Namespace {
    pub index: usize,
    pub name: String,
    pub injection: Injection,
    pub apps: Vec<App>,
    /// The namespace whose Gateway this namespace's routes attach to (its own when it has
    /// one).
    pub gateway_ns: usize,
}

impl Namespace {
    pub fn has_gateway(&self) -> bool {
        self.gateway_ns == self.index
    }
}

/// The namespace name of index `i` (from 1): `scale-0001`.
pub fn namespace_name(i: usize) -> String {
    format!("scale-{i:04}")
}

/// Characters of generated names, like Kubernetes' (no vowels, no look-alikes).
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

/// `len` name-safe characters from a number.
pub fn suffix(mut n: u64, len: usize) -> String {
    let mut out = String::with_capacity(len);
    for _ in 0..len {
        out.push(ALPHABET[(n % ALPHABET.len() as u64) as usize] as char);
        n /= ALPHABET.len() as u64;
    }
    out
}

fn fnv(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Pods `pods` split into namespaces of `PODS_PER_NAMESPACE` and Deployments of about
/// `PODS_PER_DEPLOYMENT`.
pub fn plan(pods: usize) -> Vec<Namespace> {
    let count = pods.div_ceil(PODS_PER_NAMESPACE);
    (1..=count)
        .map(|i| {
            let in_ns = (pods - (i - 1) * PODS_PER_NAMESPACE).min(PODS_PER_NAMESPACE);
            let deployments = in_ns.div_ceil(PODS_PER_DEPLOYMENT);
            let injection = match i % 3 {
                1 => Injection::Revision,
                2 => Injection::Enabled,
                _ => Injection::None,
            };
            let name = namespace_name(i);
            let apps = (0..deployments)
                .map(|j| {
                    let word = WORDS[j % WORDS.len()];
                    let app = if j < WORDS.len() {
                        word.to_string()
                    } else {
                        format!("{word}-{}", j / WORDS.len())
                    };
                    App {
                        hash: suffix(fnv(&format!("{name}/{app}")), 10),
                        name: app,
                        replicas: in_ns / deployments + usize::from(j < in_ns % deployments),
                        stale: injection == Injection::Revision && j == 0 && i % 4 == 1,
                    }
                })
                .collect();
            // Gateways in odd namespaces; an even namespace routes through the one before.
            let gateway_ns = if i % 2 == 1 { i } else { i - 1 };
            Namespace {
                index: i,
                name,
                injection,
                apps,
                gateway_ns,
            }
        })
        .collect()
}

fn condition(kind: &str, ok: bool, reason: &str, message: &str) -> Value {
    json!({"type": kind, "status": if ok { "True" } else { "False" }, "reason": reason,
           "message": message, "lastTransitionTime": SINCE, "observedGeneration": 1})
}

pub fn namespace(ns: &Namespace) -> Value {
    let mut labels = json!({"kubernetes.io/metadata.name": ns.name, "meshctl.dev/scale": "true"});
    match ns.injection {
        Injection::Revision => labels["istio.io/rev"] = REVISION.into(),
        Injection::Enabled => labels["istio-injection"] = "enabled".into(),
        Injection::None => {}
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": labels}})
}

fn app_labels(app: &App) -> Value {
    json!({"app": app.name, "version": "v1"})
}

fn template(app: &App, ns: &Namespace) -> Value {
    json!({
        "metadata": {"labels": {"app": app.name, "version": "v1", "app.kubernetes.io/part-of": ns.name}},
        "spec": {"containers": [{
            "name": app.name,
            "image": format!("contosoacr.azurecr.io/{}/{}:1.{}.0", ns.name, app.name, ns.index % 10),
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}
        }]}
    })
}

fn template_with_hash(app: &App, ns: &Namespace) -> Value {
    let mut t = template(app, ns);
    t["metadata"]["labels"]["pod-template-hash"] = app.hash.clone().into();
    t
}

/// A deterministic uid standing in for an owner's until `load` (or the demo's loader)
/// puts the real one in.
pub fn placeholder_uid(kind: &str, ns: &str, name: &str) -> String {
    let h = fnv(&format!("{kind}/{ns}/{name}"));
    format!("00000000-0000-4000-8000-{:012x}", h & 0xffff_ffff_ffff)
}

fn owner(api_version: &str, kind: &str, ns: &str, name: &str) -> Value {
    json!([{"apiVersion": api_version, "kind": kind, "name": name,
            "uid": placeholder_uid(kind, ns, name), "controller": true, "blockOwnerDeletion": true}])
}

pub fn deployment(app: &App, ns: &Namespace) -> Value {
    let ready = app.replicas - not_ready_count(app, ns);
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": app.name, "namespace": ns.name, "labels": app_labels(app),
                     "annotations": {"deployment.kubernetes.io/revision": "1"}},
        "spec": {"replicas": app.replicas, "selector": {"matchLabels": app_labels(app)},
                 "template": template(app, ns)},
        "status": {
            "observedGeneration": 1, "replicas": app.replicas, "updatedReplicas": app.replicas,
            "readyReplicas": ready, "availableReplicas": ready,
            "unavailableReplicas": app.replicas - ready,
            "conditions": [
                {"type": "Available", "status": if ready == app.replicas { "True" } else { "False" },
                 "reason": if ready == app.replicas { "MinimumReplicasAvailable" } else { "MinimumReplicasUnavailable" },
                 "message": "Deployment availability", "lastUpdateTime": SINCE, "lastTransitionTime": SINCE},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                 "message": format!("ReplicaSet \"{}-{}\" has successfully progressed.", app.name, app.hash),
                 "lastUpdateTime": SINCE, "lastTransitionTime": SINCE}
            ]
        }
    })
}

pub fn replica_set_name(app: &App) -> String {
    format!("{}-{}", app.name, app.hash)
}

pub fn replica_set(app: &App, ns: &Namespace) -> Value {
    let ready = app.replicas - not_ready_count(app, ns);
    let mut selector = app_labels(app);
    selector["pod-template-hash"] = app.hash.clone().into();
    let mut labels = selector.clone();
    labels["app.kubernetes.io/part-of"] = ns.name.clone().into();
    json!({
        "apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"name": replica_set_name(app), "namespace": ns.name, "labels": labels,
                     "annotations": {"deployment.kubernetes.io/revision": "1",
                                     "deployment.kubernetes.io/desired-replicas": app.replicas.to_string()},
                     "ownerReferences": owner("apps/v1", "Deployment", &ns.name, &app.name)},
        "spec": {"replicas": app.replicas, "selector": {"matchLabels": selector},
                 "template": template_with_hash(app, ns)},
        "status": {"observedGeneration": 1, "replicas": app.replicas, "fullyLabeledReplicas": app.replicas,
                   "readyReplicas": ready, "availableReplicas": ready}
    })
}

/// Pod `k` of an app is not ready when its global position falls on every 37th pod.
fn pod_ready(ns: &Namespace, app_index: usize, k: usize) -> bool {
    (ns.index * 131 + app_index * 17 + k) % 37 != 5
}

fn not_ready_count(app: &App, ns: &Namespace) -> usize {
    let j = ns.apps.iter().position(|a| a.name == app.name).unwrap_or(0);
    (0..app.replicas).filter(|k| !pod_ready(ns, j, *k)).count()
}

/// The sidecar revision of the app's pods, `None` when they run without one.
pub fn sidecar_revision(app: &App, ns: &Namespace) -> Option<&'static str> {
    match ns.injection {
        Injection::None => None,
        _ if app.stale => Some(STALE_REVISION),
        _ => Some(REVISION),
    }
}

fn proxy_image(rev: &str) -> &'static str {
    if rev == STALE_REVISION {
        "mcr.microsoft.com/oss/istio/proxyv2:1.21.6-distroless"
    } else {
        "mcr.microsoft.com/oss/istio/proxyv2:1.22.5-distroless"
    }
}

/// The name of pod `k` of an app (`web-<hash>-<5 chars>`).
pub fn pod_name(app: &App, ns: &Namespace, k: usize) -> String {
    let n = fnv(&format!("{}/{}/{k}", ns.name, app.name));
    format!("{}-{}", replica_set_name(app), suffix(n, 5))
}

/// A pod of an app named `name`, ready or not (its status included).
pub fn pod_named(app: &App, ns: &Namespace, name: &str, node: usize, ready: bool) -> Value {
    let t = template_with_hash(app, ns);
    let mut labels = t["metadata"]["labels"].clone();
    let mut annotations = json!({"kubectl.kubernetes.io/default-container": app.name});
    let mut containers = t["spec"]["containers"].clone();
    let rev = sidecar_revision(app, ns);
    if let Some(rev) = rev {
        labels["security.istio.io/tlsMode"] = "istio".into();
        labels["service.istio.io/canonical-name"] = app.name.clone().into();
        labels["service.istio.io/canonical-revision"] = "v1".into();
        labels["istio.io/rev"] = rev.into();
        annotations["sidecar.istio.io/status"] = format!(
            "{{\"initContainers\":[\"istio-init\"],\"containers\":[\"istio-proxy\"],\"volumes\":[\"istio-envoy\",\"istio-data\",\"istio-podinfo\",\"istio-token\",\"istiod-ca-cert\"],\"imagePullSecrets\":null,\"revision\":\"{rev}\"}}"
        )
        .into();
        if let Some(list) = containers.as_array_mut() {
            list.push(json!({"name": "istio-proxy", "image": proxy_image(rev),
                "args": ["proxy", "sidecar"],
                "ports": [{"name": "http-envoy-prom", "containerPort": 15090, "protocol": "TCP"}],
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}));
        }
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns.name, "labels": labels, "annotations": annotations,
                     "generateName": format!("{}-", replica_set_name(app)),
                     "ownerReferences": owner("apps/v1", "ReplicaSet", &ns.name, &replica_set_name(app))},
        "spec": {"containers": containers, "nodeName": format!("meshctl-demo-node-{}", node % 3 + 1),
                 "restartPolicy": "Always", "terminationGracePeriodSeconds": 30},
        "status": pod_status(&containers, node, ready)
    })
}

/// A running pod's status; when not ready, its app container is not ready and restarting.
pub fn pod_status(containers: &Value, node: usize, ready: bool) -> Value {
    let statuses: Vec<Value> = containers
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, c)| {
            let ok = ready || i > 0;
            json!({"name": c["name"], "image": c["image"],
                   "imageID": format!("{}@sha256:{:064x}", c["image"].as_str().unwrap_or_default(), i),
                   "ready": ok, "started": true, "restartCount": if ok { 0 } else { 3 },
                   "state": {"running": {"startedAt": SINCE}}})
        })
        .collect();
    let flag = if ready { "True" } else { "False" };
    json!({
        "phase": "Running", "hostIP": format!("10.224.0.{}", node % 3 + 4),
        "podIP": format!("10.244.{}.{}", node % 3, node % 250 + 2), "startTime": SINCE, "qosClass": "Burstable",
        "conditions": [
            {"type": "Initialized", "status": "True", "lastTransitionTime": SINCE},
            {"type": "Ready", "status": flag, "lastTransitionTime": SINCE},
            {"type": "ContainersReady", "status": flag, "lastTransitionTime": SINCE},
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": SINCE}
        ],
        "containerStatuses": statuses
    })
}

pub fn pods(app: &App, ns: &Namespace, app_index: usize, first_node: usize) -> Vec<Value> {
    (0..app.replicas)
        .map(|k| {
            pod_named(
                app,
                ns,
                &pod_name(app, ns, k),
                first_node + k,
                pod_ready(ns, app_index, k),
            )
        })
        .collect()
}

pub fn canary_service(app: &App) -> String {
    format!("{}-canary", app.name)
}

pub fn services(app: &App, ns: &Namespace) -> [Value; 2] {
    let service = |name: &str, selector: Value| {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": ns.name, "labels": {"app": app.name}},
               "spec": {"type": "ClusterIP", "selector": selector,
                        "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}})
    };
    [
        service(&app.name, json!({"app": app.name})),
        service(&canary_service(app), app_labels(app)),
    ]
}

pub fn tls_secret_name(app: &App, ns: &Namespace) -> String {
    format!("{}-{}-tls", ns.name, app.name)
}

fn host(app: &App, ns: &Namespace) -> String {
    format!("{}.{}.scale.example", app.name, ns.name)
}

/// The TLS Secret of an app, in its Gateway's namespace; `cert` picks from the pool.
pub fn tls_secret(app: &App, ns: &Namespace, gateway_ns: &Namespace, cert: usize) -> Value {
    let pem = &certs::pool()[cert % certs::POOL];
    json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
           "metadata": {"name": tls_secret_name(app, ns), "namespace": gateway_ns.name,
                        "labels": {"app": app.name}},
           "data": {"tls.crt": B64.encode(pem), "tls.key": B64.encode(PLACEHOLDER_KEY)}})
}

pub const GATEWAY: &str = "edge";

fn gateway_class(gateway_ns: &Namespace) -> (&'static str, &'static str) {
    if gateway_ns.index % 4 == 1 {
        ("istio", "istio.io/gateway-controller")
    } else {
        (
            "azure-alb-external",
            "alb.networking.azure.io/alb-controller",
        )
    }
}

/// The Gateway of `gw` (an odd namespace): an HTTP listener and one HTTPS listener per app
/// of `served` (its own namespace and the next), each with its app's Secret.
pub fn gateway(gw: &Namespace, served: &[&Namespace]) -> Value {
    let (class, _) = gateway_class(gw);
    let ok = |kind: &str, reason: &str| condition(kind, true, reason, "");
    let mut listeners = vec![json!({"name": "http", "port": 80, "protocol": "HTTP",
                                    "allowedRoutes": {"namespaces": {"from": "All"}}})];
    let mut statuses = vec![];
    let route_kinds = json!([{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]);
    for ns in served {
        for app in &ns.apps {
            listeners.push(json!({
                "name": format!("https-{}-{}", ns.index, app.name), "hostname": host(app, ns),
                "port": 443, "protocol": "HTTPS",
                "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": tls_secret_name(app, ns)}]},
                "allowedRoutes": {"namespaces": {"from": "All"}}
            }));
        }
    }
    for l in &listeners {
        let attached = if l["name"] == "http" { 0 } else { 1 };
        statuses.push(json!({"name": l["name"], "supportedKinds": route_kinds, "attachedRoutes": attached,
            "conditions": [ok("Accepted", "Accepted"), ok("Programmed", "Programmed"), ok("ResolvedRefs", "ResolvedRefs")]}));
    }
    let mut metadata = json!({"name": GATEWAY, "namespace": gw.name});
    if class == "azure-alb-external" {
        metadata["annotations"] = json!({"alb.networking.azure.io/alb-namespace": "alb-test-infra",
                                         "alb.networking.azure.io/alb-name": "alb-test"});
    }
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway", "metadata": metadata,
        "spec": {"gatewayClassName": class, "listeners": listeners},
        "status": {
            "addresses": [{"type": "IPAddress", "value": format!("20.{}.{}.10", gw.index / 250, gw.index % 250)}],
            "conditions": [ok("Accepted", "Accepted"), ok("Programmed", "Programmed")],
            "listeners": statuses
        }
    })
}

/// The two weighted backends of a route: the app's Service and its canary.
pub fn route_rules(app: &App, stable: u32) -> Value {
    json!([{
        "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
        "backendRefs": [
            {"group": "", "kind": "Service", "name": app.name, "port": 80, "weight": stable},
            {"group": "", "kind": "Service", "name": canary_service(app), "port": 80, "weight": 100 - stable}
        ]
    }])
}

pub fn http_route(app: &App, ns: &Namespace, gw: &Namespace) -> Value {
    let (_, controller) = gateway_class(gw);
    let parent = json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": GATEWAY,
                        "namespace": gw.name, "sectionName": format!("https-{}-{}", ns.index, app.name)});
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
        "metadata": {"name": app.name, "namespace": ns.name, "labels": {"app": app.name}},
        "spec": {"parentRefs": [parent], "hostnames": [host(app, ns)], "rules": route_rules(app, 90)},
        "status": {"parents": [{"parentRef": parent, "controllerName": controller,
            "conditions": [condition("Accepted", true, "Accepted", "Route was valid"),
                           condition("ResolvedRefs", true, "ResolvedRefs", "All references resolved")]}]}
    })
}

/// A VirtualService splitting the namespace's first app 80/20 between its two Services.
pub fn virtual_service(ns: &Namespace) -> Option<Value> {
    let app = ns.apps.first()?;
    let dest = |svc: String, weight: u32| {
        json!({"destination": {"host": format!("{svc}.{}.svc.cluster.local", ns.name), "port": {"number": 80}},
               "weight": weight})
    };
    Some(json!({
        "apiVersion": "networking.istio.io/v1beta1", "kind": "VirtualService",
        "metadata": {"name": format!("{}-split", app.name), "namespace": ns.name},
        "spec": {"hosts": [format!("{}.{}.svc.cluster.local", app.name, ns.name)],
                 "http": [{"route": [dest(app.name.clone(), 80), dest(canary_service(app), 20)]}]}
    }))
}

/// A CA bundle ConfigMap with three PEMs from the pool.
pub fn bundle(ns: &Namespace) -> Value {
    let pool = certs::pool();
    let pems: String = (0..3)
        .map(|k| pool[(ns.index * 3 + k) % certs::POOL].as_str())
        .collect();
    json!({"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "ca-bundle", "namespace": ns.name},
           "data": {"ca.pem": pems}})
}
