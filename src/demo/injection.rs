//! Pod admission: API-server defaults plus Istio's sidecar injection webhook, with
//! Istio's selection rules, the same as `model::inject::want`: pod `sidecar.istio.io/inject
//! =false` opts out; namespace `istio-injection` beats `istio.io/rev`; without a namespace
//! label the pod's own `istio.io/rev` or `sidecar.istio.io/inject=true` LABEL opts in.

use serde_json::{Value, json};

use crate::demo::error::ApiError;
use crate::demo::meta;
use crate::demo::store::Store;

const DEFAULT_PROXY_VERSION: &str = "1.22.5";
const DEFAULT_PROXY_REPO: &str = "mcr.microsoft.com/oss/istio/proxyv2";
const INJECT: &str = "sidecar.istio.io/inject";
const REV: &str = "istio.io/rev";

/// An installed Istio control plane: a Deployment labelled `app=istiod`.
#[derive(Debug, Clone, PartialEq)]
pub struct ControlPlane {
    pub revision: String,
    /// The sidecar image matching the control plane's version.
    pub proxy_image: String,
    /// creationTimestamp (RFC 3339, so it sorts by time): the oldest is the default.
    pub created: String,
    pub namespace: String,
    /// False once its controller reported no ready replica: the webhook has no endpoint.
    pub serving: bool,
}

pub fn control_planes(s: &Store) -> Vec<ControlPlane> {
    s.list("deployments.apps", None)
        .filter(|d| meta::label(d, "app") == Some("istiod"))
        .map(|d| {
            let revision = meta::label(d, REV).unwrap_or("default").to_string();
            let image = d["spec"]["template"]["spec"]["containers"][0]["image"]
                .as_str()
                .unwrap_or_default();
            // Judged by its pods, not its status (which lags at start-up): serving unless it
            // has pods and none is ready. (Scaled to zero it would not serve either; the
            // demo has no such control plane.)
            let ns = meta::namespace(d);
            let mut pods = s.list("pods", Some(ns)).filter(|p| {
                meta::label(p, "app") == Some("istiod")
                    && meta::label(p, REV).unwrap_or("default") == revision
                    && meta::is_active(p)
            });
            let first = pods.next();
            let serving =
                first.is_none_or(|p| meta::is_ready(p) || pods.any(|p| meta::is_ready(p)));
            ControlPlane {
                revision,
                proxy_image: proxy_image_for(image),
                created: d["metadata"]["creationTimestamp"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                namespace: meta::namespace(d).to_string(),
                serving,
            }
        })
        .collect()
}

/// `.../pilot:1.23.2` → `.../proxyv2:1.23.2`; otherwise the default repository.
fn proxy_image_for(istiod_image: &str) -> String {
    let (repo, tag) = match istiod_image.rsplit_once(':') {
        Some((r, t)) if !t.contains('/') => (r, t),
        _ => (istiod_image, ""),
    };
    let tag = if tag.is_empty() {
        DEFAULT_PROXY_VERSION
    } else {
        tag
    };
    match repo.strip_suffix("/pilot") {
        Some(registry) => format!("{registry}/proxyv2:{tag}"),
        None => format!("{DEFAULT_PROXY_REPO}:{tag}"),
    }
}

fn find<'a>(cps: &'a [ControlPlane], rev: &str) -> Option<&'a ControlPlane> {
    cps.iter().find(|cp| cp.revision == rev)
}

/// The revision named `default`, else the oldest control plane: where the default tag stays
/// during a canary upgrade (as `model::mesh::ControlPlanes::default_revision` judges it).
fn default_plane(cps: &[ControlPlane]) -> Option<&ControlPlane> {
    find(cps, "default").or_else(|| {
        cps.iter()
            .min_by(|a, b| (&a.created, &a.revision).cmp(&(&b.created, &b.revision)))
    })
}

/// Which control plane injects this pod, if any.
pub fn injecting_plane(s: &Store, pod: &Value) -> Option<ControlPlane> {
    let has_proxy = pod["spec"]["containers"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| c["name"] == "istio-proxy"));
    if has_proxy {
        return None;
    }
    // The label wins over the legacy annotation; either `false` opts out everywhere.
    let pod_inject = meta::label(pod, INJECT).or_else(|| meta::annotation(pod, INJECT));
    if pod_inject == Some("false") {
        return None;
    }
    let ns = s.get("namespaces", "", meta::namespace(pod))?;
    let cps = control_planes(s);
    match meta::label(ns, "istio-injection") {
        Some("enabled") => default_plane(&cps).cloned(),
        Some(_) => None,
        None => match meta::label(ns, REV) {
            Some(rev) => find(&cps, rev).cloned(),
            // No namespace label: the webhooks' object selectors see pod LABELS only, so
            // `istio.io/rev=<rev>` or `sidecar.istio.io/inject=true` opt in; an annotation
            // cannot.
            None => match (meta::label(pod, REV), meta::label(pod, INJECT)) {
                (Some(rev), _) => find(&cps, rev).cloned(),
                (None, Some("true")) => default_plane(&cps).cloned(),
                _ => None,
            },
        },
    }
}

/// Defaults the API server applies to every new pod, then sidecar injection. Istio's
/// injection webhooks fail closed (`failurePolicy: Fail`): a pod whose control plane has no
/// ready replica is refused, as the real API server refuses it, and its rollout stalls.
pub fn admit_pod(s: &Store, pod: &mut Value) -> Result<(), ApiError> {
    let spec = meta::map_at(pod, &["spec"]);
    spec.entry("restartPolicy").or_insert("Always".into());
    spec.entry("dnsPolicy").or_insert("ClusterFirst".into());
    spec.entry("schedulerName")
        .or_insert("default-scheduler".into());
    spec.entry("serviceAccountName").or_insert("default".into());
    spec.entry("terminationGracePeriodSeconds")
        .or_insert(30.into());
    meta::as_map(pod).insert(
        "status".into(),
        json!({"phase": "Pending", "qosClass": "Burstable"}),
    );
    if let Some(cp) = injecting_plane(s, pod) {
        if !cp.serving {
            return Err(ApiError::internal(format!(
                "Internal error occurred: failed calling webhook \"rev.namespace.sidecar-injector.istio.io\": \
                 failed to call webhook: Post \"https://istiod-{rev}.{ns}.svc:443/inject?timeout=10s\": \
                 no endpoints available for service \"istiod-{rev}\"",
                rev = cp.revision,
                ns = cp.namespace
            )));
        }
        inject(pod, &cp);
    }
    Ok(())
}

/// The workload name Istio derives for telemetry when no label names it.
fn canonical_name(pod: &Value) -> String {
    for key in [
        "service.istio.io/canonical-name",
        "app.kubernetes.io/name",
        "app",
    ] {
        if let Some(v) = meta::label(pod, key) {
            return v.to_string();
        }
    }
    let base = meta::str_at(pod, &["metadata", "generateName"])
        .map(|g| g.trim_end_matches('-'))
        .unwrap_or_else(|| meta::name(pod));
    match meta::label(pod, "pod-template-hash") {
        Some(hash) => base
            .trim_end_matches(hash)
            .trim_end_matches('-')
            .to_string(),
        None => base.to_string(),
    }
}

fn canonical_revision(pod: &Value) -> String {
    [
        "service.istio.io/canonical-revision",
        "app.kubernetes.io/version",
        "version",
    ]
    .iter()
    .find_map(|k| meta::label(pod, k))
    .unwrap_or("latest")
    .to_string()
}

const VOLUMES: [&str; 8] = [
    "workload-socket",
    "credential-socket",
    "workload-certs",
    "istio-envoy",
    "istio-data",
    "istio-podinfo",
    "istio-token",
    "istiod-ca-cert",
];

fn volumes() -> Vec<Value> {
    VOLUMES
        .iter()
        .map(|name| match *name {
            "istio-envoy" => json!({"name": name, "emptyDir": {"medium": "Memory"}}),
            "istio-podinfo" => json!({"name": name, "downwardAPI": {"items": [
                {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}}]}}),
            "istio-token" => json!({"name": name, "projected": {"sources": [{"serviceAccountToken":
                {"audience": "istio-ca", "expirationSeconds": 43200, "path": "istio-token"}}]}}),
            "istiod-ca-cert" => json!({"name": name, "configMap": {"name": "istio-ca-root-cert"}}),
            _ => json!({"name": name, "emptyDir": {}}),
        })
        .collect()
}

fn proxy_container(image: &str) -> Value {
    json!({
        "name": "istio-proxy",
        "image": image,
        "args": ["proxy", "sidecar", "--domain", "$(POD_NAMESPACE).svc.cluster.local",
                 "--proxyLogLevel=warning", "--proxyComponentLogLevel=misc:error",
                 "--log_output_level=default:info"],
        "env": [
            {"name": "PILOT_CERT_PROVIDER", "value": "istiod"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
            {"name": "ISTIO_META_CLUSTER_ID", "value": "Kubernetes"}
        ],
        "ports": [{"containerPort": 15090, "name": "http-envoy-prom", "protocol": "TCP"}],
        "readinessProbe": {"httpGet": {"path": "/healthz/ready", "port": 15021},
                           "periodSeconds": 15, "timeoutSeconds": 3, "failureThreshold": 4},
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"},
                      "requests": {"cpu": "100m", "memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": false, "privileged": false,
                            "readOnlyRootFilesystem": true, "runAsGroup": 1337,
                            "runAsNonRoot": true, "runAsUser": 1337,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [
            {"mountPath": "/var/run/secrets/workload-spiffe-uds", "name": "workload-socket"},
            {"mountPath": "/var/run/secrets/credential-uds", "name": "credential-socket"},
            {"mountPath": "/var/run/secrets/workload-spiffe-credentials", "name": "workload-certs"},
            {"mountPath": "/var/run/secrets/istio", "name": "istiod-ca-cert"},
            {"mountPath": "/var/lib/istio/data", "name": "istio-data"},
            {"mountPath": "/etc/istio/proxy", "name": "istio-envoy"},
            {"mountPath": "/var/run/secrets/tokens", "name": "istio-token"},
            {"mountPath": "/etc/istio/pod", "name": "istio-podinfo"}
        ]
    })
}

fn init_container(image: &str) -> Value {
    json!({
        "name": "istio-init",
        "image": image,
        "args": ["istio-iptables", "-p", "15001", "-z", "15006", "-u", "1337", "-m", "REDIRECT",
                 "-i", "*", "-x", "", "-b", "*", "-d", "15090,15021,15020",
                 "--log_output_level=default:info"],
        "resources": {"limits": {"cpu": "2", "memory": "1Gi"},
                      "requests": {"cpu": "100m", "memory": "128Mi"}},
        "securityContext": {"allowPrivilegeEscalation": false, "privileged": false,
                            "readOnlyRootFilesystem": false, "runAsGroup": 0,
                            "runAsNonRoot": false, "runAsUser": 0,
                            "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}}
    })
}

/// `sidecar.istio.io/status`, with the key order real Istio writes.
fn status_annotation(revision: &str) -> String {
    let volumes = serde_json::to_string(&VOLUMES).unwrap_or_default();
    let revision = serde_json::to_string(revision).unwrap_or_default();
    format!(
        r#"{{"initContainers":["istio-init"],"containers":["istio-proxy"],"volumes":{volumes},"imagePullSecrets":null,"revision":{revision}}}"#
    )
}

/// Mutates the pod the way istio-sidecar-injector does.
pub fn inject(pod: &mut Value, cp: &ControlPlane) {
    let first_container = pod["spec"]["containers"][0]["name"]
        .as_str()
        .map(String::from);
    let (name, revision) = (canonical_name(pod), canonical_revision(pod));
    meta::set_label(pod, REV, &cp.revision);
    meta::set_label(pod, "security.istio.io/tlsMode", "istio");
    meta::set_label(pod, "service.istio.io/canonical-name", &name);
    meta::set_label(pod, "service.istio.io/canonical-revision", &revision);
    meta::set_annotation(pod, REV, &cp.revision);
    meta::set_annotation(
        pod,
        "sidecar.istio.io/status",
        &status_annotation(&cp.revision),
    );
    meta::set_annotation(pod, "prometheus.io/path", "/stats/prometheus");
    meta::set_annotation(pod, "prometheus.io/port", "15020");
    meta::set_annotation(pod, "prometheus.io/scrape", "true");
    if let Some(c) = first_container {
        meta::set_annotation(pod, "kubectl.kubernetes.io/default-container", &c);
        meta::set_annotation(pod, "kubectl.kubernetes.io/default-logs-container", &c);
    }
    let spec = meta::map_at(pod, &["spec"]);
    push_all(
        spec,
        "containers",
        vec![proxy_container(&cp.proxy_image)],
        false,
    );
    push_all(
        spec,
        "initContainers",
        vec![init_container(&cp.proxy_image)],
        true,
    );
    push_all(spec, "volumes", volumes(), false);
}

fn push_all(spec: &mut serde_json::Map<String, Value>, key: &str, items: Vec<Value>, front: bool) {
    let list = spec.entry(key).or_insert(json!([]));
    if !list.is_array() {
        *list = json!([]);
    }
    if let Value::Array(a) = list {
        if front {
            a.splice(0..0, items);
        } else {
            a.extend(items);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_image_follows_istiod() {
        assert_eq!(
            proxy_image_for("mcr.microsoft.com/oss/istio/pilot:1.23.2"),
            "mcr.microsoft.com/oss/istio/proxyv2:1.23.2"
        );
        assert_eq!(
            proxy_image_for("istiod"),
            "mcr.microsoft.com/oss/istio/proxyv2:1.22.5"
        );
        assert_eq!(
            proxy_image_for("registry:5000/x/istiod:1.20.0"),
            "mcr.microsoft.com/oss/istio/proxyv2:1.20.0"
        );
    }

    #[test]
    fn status_annotation_is_json() {
        let v: Value = serde_json::from_str(&status_annotation("asm-1-22")).unwrap();
        assert_eq!(v["revision"], "asm-1-22");
        assert_eq!(v["containers"], json!(["istio-proxy"]));
    }

    fn store(ns_labels: Value) -> Store {
        let mut s = Store::default();
        s.insert(
            "namespaces",
            json!({"metadata": {"name": "shop", "labels": ns_labels}}),
        );
        for rev in ["default", "asm-1-22"] {
            s.insert(
                "deployments.apps",
                json!({"metadata": {"name": format!("istiod-{rev}"), "namespace": "istio-system",
                    "labels": {"app": "istiod", "istio.io/rev": rev}},
                    "spec": {"template": {"spec": {"containers": [{"image": "x/pilot:1.22.1"}]}}}}),
            );
        }
        s
    }

    fn injected(s: &Store, labels: Value, annotations: Value) -> Option<String> {
        let pod = json!({"metadata": {"name": "p", "namespace": "shop", "labels": labels,
            "annotations": annotations}, "spec": {"containers": [{"name": "app"}]}});
        injecting_plane(s, &pod).map(|cp| cp.revision)
    }

    #[test]
    fn istio_precedence() {
        let none = store(json!({}));
        assert_eq!(injected(&none, json!({}), json!({})), None);
        assert_eq!(
            injected(&none, json!({"istio.io/rev": "asm-1-22"}), json!({})),
            Some("asm-1-22".into())
        );
        assert_eq!(
            injected(&none, json!({INJECT: "true"}), json!({})),
            Some("default".into())
        );
        assert_eq!(
            injected(&none, json!({}), json!({INJECT: "true"})),
            None,
            "an annotation cannot opt in"
        );
        let rev = store(json!({"istio.io/rev": "asm-1-22"}));
        assert_eq!(
            injected(&rev, json!({}), json!({})),
            Some("asm-1-22".into())
        );
        assert_eq!(injected(&rev, json!({INJECT: "false"}), json!({})), None);
        assert_eq!(injected(&rev, json!({}), json!({INJECT: "false"})), None);
        assert_eq!(
            injected(&rev, json!({INJECT: "true"}), json!({INJECT: "false"})),
            Some("asm-1-22".into()),
            "the label wins over the annotation"
        );
        let both = store(json!({"istio-injection": "enabled", "istio.io/rev": "asm-1-22"}));
        assert_eq!(
            injected(&both, json!({}), json!({})),
            Some("default".into())
        );
        let disabled = store(json!({"istio-injection": "disabled"}));
        assert_eq!(
            injected(&disabled, json!({INJECT: "true"}), json!({})),
            None
        );
    }

    #[test]
    fn a_control_plane_without_ready_replicas_refuses_pods() {
        let mut s = store(json!({"istio.io/rev": "asm-1-22"}));
        let pod = || {
            json!({"metadata": {"name": "p", "namespace": "shop"},
                "spec": {"containers": [{"name": "app"}]}})
        };
        let mut p = pod();
        assert!(admit_pod(&s, &mut p).is_ok(), "no istiod pod yet: serving");
        assert!(p["spec"]["containers"].to_string().contains("istio-proxy"));
        // Its pod cannot pull its image: pending, not ready.
        s.insert(
            "pods",
            json!({"metadata": {"name": "istiod-asm-1-22-x", "namespace": "istio-system",
                "labels": {"app": "istiod", "istio.io/rev": "asm-1-22"}},
                "status": {"phase": "Pending"}}),
        );
        let err = admit_pod(&s, &mut pod()).unwrap_err().status();
        let msg = err["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains(r#"no endpoints available for service "istiod-asm-1-22""#),
            "{msg}"
        );
        assert_eq!(err["code"], 500);
        // Pods the webhook is not asked about are admitted.
        let mut out = pod();
        meta::set_label(&mut out, INJECT, "false");
        assert!(admit_pod(&s, &mut out).is_ok());
    }

    #[test]
    fn canonical_names() {
        let pod = json!({"metadata": {"generateName": "reviews-v1-7d9c8b6f5-",
            "labels": {"pod-template-hash": "7d9c8b6f5", "version": "v1"}}});
        assert_eq!(canonical_name(&pod), "reviews-v1");
        assert_eq!(canonical_revision(&pod), "v1");
    }
}
