use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec, Service};

use super::common::{Cond, ObjKey, created};
use crate::cluster::kinds::Kind;

pub const PROXY_CONTAINER: &str = "istio-proxy";

/// The Istio sidecar of a pod: its revision and proxy version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarInfo {
    pub revision: Option<String>,
    pub image_tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    /// Kind and name of the controlling owner (ReplicaSet, StatefulSet, ...).
    pub owner: Option<(String, String)>,
    pub phase: String,
    pub ready: u16,
    pub containers: u16,
    pub restarts: u32,
    pub sidecar: Option<SidecarInfo>,
    /// The pod IS a gateway (ingress/egress/waypoint): its only proxy is the workload, not a
    /// sidecar, so it never counts as injected or as needing a restart.
    pub gateway: Option<SidecarInfo>,
    /// Explicit opt-out/opt-in from the pod (`sidecar.istio.io/inject` label or annotation).
    pub inject_override: Option<bool>,
    pub ambient: bool,
    pub node: Option<String>,
    pub created: Option<Timestamp>,
    pub deleting: bool,
}

#[cfg(test)]
impl PodInfo {
    /// A running, ready pod for tests: label `app=<app>` when given, and an `istio-proxy`
    /// sidecar of revision `rev` when given.
    pub fn running(key: ObjKey, app: Option<&str>, rev: Option<&str>) -> PodInfo {
        PodInfo {
            key,
            labels: app
                .map(|a| [("app".to_string(), a.to_string())].into())
                .unwrap_or_default(),
            owner: None,
            phase: "Running".into(),
            ready: 1,
            containers: 1,
            restarts: 0,
            sidecar: rev.map(|r| SidecarInfo {
                revision: Some(r.into()),
                image_tag: None,
            }),
            gateway: None,
            inject_override: None,
            ambient: false,
            node: None,
            created: None,
            deleting: false,
        }
    }
}

fn image_tag(image: &str) -> Option<String> {
    let last = image.rsplit('/').next()?;
    last.split_once(':').map(|(_, t)| t.to_string())
}

fn inject_override(
    labels: Option<&BTreeMap<String, String>>,
    annotations: Option<&BTreeMap<String, String>>,
) -> Option<bool> {
    let v = labels
        .and_then(|l| l.get("sidecar.istio.io/inject"))
        .or_else(|| annotations.and_then(|a| a.get("sidecar.istio.io/inject")))?;
    match v.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// Istio gateways are injected with the `gateway` template (or deployed by the Gateway API
/// controller) and run istio-proxy as their only container.
fn is_gateway_pod(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    spec: Option<&k8s_openapi::api::core::v1::PodSpec>,
) -> bool {
    let templated = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get("inject.istio.io/templates"))
        .is_some_and(|t| {
            t.split(',')
                .any(|t| t.trim() == "gateway" || t.trim() == "waypoint")
        });
    let managed = meta.labels.as_ref().is_some_and(|l| {
        l.contains_key("gateway.istio.io/managed")
            || l.contains_key("gateway.networking.k8s.io/gateway-name")
    });
    let proxy_only =
        spec.is_some_and(|s| s.containers.len() == 1 && s.containers[0].name == PROXY_CONTAINER);
    templated || managed || proxy_only
}

impl From<&Pod> for PodInfo {
    fn from(p: &Pod) -> Self {
        let meta = &p.metadata;
        let spec = p.spec.as_ref();
        let status = p.status.as_ref();
        // Native sidecars (Istio >= 1.27 default) put istio-proxy among the init containers.
        let proxy = spec.and_then(|s| {
            s.containers
                .iter()
                .chain(s.init_containers.iter().flatten())
                .find(|c| c.name == PROXY_CONTAINER)
        });
        let proxy_info = proxy.map(|c| {
            let from_status = meta
                .annotations
                .as_ref()
                .and_then(|a| a.get("sidecar.istio.io/status"))
                .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
                .and_then(|v| v["revision"].as_str().map(String::from));
            let from_label = meta
                .labels
                .as_ref()
                .and_then(|l| l.get("istio.io/rev"))
                .cloned();
            SidecarInfo {
                revision: from_status.or(from_label),
                image_tag: c.image.as_deref().and_then(image_tag),
            }
        });
        let gateway = proxy.is_some() && is_gateway_pod(meta, spec);
        let statuses = status.and_then(|s| s.container_statuses.as_ref());
        let owner = meta
            .owner_references
            .iter()
            .flatten()
            .find(|o| o.controller == Some(true))
            .map(|o| (o.kind.clone(), o.name.clone()));
        PodInfo {
            key: ObjKey::of(meta),
            labels: meta.labels.clone().unwrap_or_default(),
            owner,
            phase: status
                .and_then(|s| s.phase.clone())
                .unwrap_or_else(|| "Unknown".into()),
            ready: statuses.map_or(0, |s| s.iter().filter(|c| c.ready).count() as u16),
            containers: spec.map_or(0, |s| s.containers.len() as u16),
            restarts: statuses.map_or(0, |s| s.iter().map(|c| c.restart_count.max(0) as u32).sum()),
            sidecar: if gateway { None } else { proxy_info.clone() },
            gateway: if gateway { proxy_info } else { None },
            inject_override: inject_override(meta.labels.as_ref(), meta.annotations.as_ref()),
            ambient: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get("ambient.istio.io/redirection"))
                .is_some_and(|v| v == "enabled"),
            node: spec.and_then(|s| s.node_name.clone()),
            created: created(meta),
            deleting: meta.deletion_timestamp.is_some(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    pub name: Option<String>,
    pub port: i32,
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceInfo {
    pub key: ObjKey,
    pub type_: String,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<ServicePort>,
    pub cluster_ip: Option<String>,
    pub external: Vec<String>,
}

impl From<&Service> for ServiceInfo {
    fn from(s: &Service) -> Self {
        let spec = s.spec.as_ref();
        ServiceInfo {
            key: ObjKey::of(&s.metadata),
            type_: spec
                .and_then(|s| s.type_.clone())
                .unwrap_or_else(|| "ClusterIP".into()),
            selector: spec.and_then(|s| s.selector.clone()).unwrap_or_default(),
            ports: spec
                .and_then(|s| s.ports.as_ref())
                .map(|ports| {
                    ports
                        .iter()
                        .map(|p| ServicePort {
                            name: p.name.clone(),
                            port: p.port,
                            protocol: p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            cluster_ip: spec.and_then(|s| s.cluster_ip.clone()),
            external: s
                .status
                .as_ref()
                .and_then(|st| st.load_balancer.as_ref())
                .and_then(|lb| lb.ingress.as_ref())
                .map(|i| {
                    i.iter()
                        .filter_map(|x| x.ip.clone().or_else(|| x.hostname.clone()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl ServiceInfo {
    /// A Service with an empty selector selects no pods (its endpoints are managed by hand).
    pub fn selects(&self, pod: &PodInfo) -> bool {
        !self.selector.is_empty()
            && pod.key.ns == self.key.ns
            && self
                .selector
                .iter()
                .all(|(k, v)| pod.labels.get(k) == Some(v))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    StatefulSet,
    DaemonSet,
}

impl WorkloadKind {
    pub const ALL: [WorkloadKind; 3] = [
        WorkloadKind::Deployment,
        WorkloadKind::StatefulSet,
        WorkloadKind::DaemonSet,
    ];

    /// The watch workloads of this kind come from.
    pub fn watched(self) -> Kind {
        match self {
            WorkloadKind::Deployment => Kind::Deployments,
            WorkloadKind::StatefulSet => Kind::StatefulSets,
            WorkloadKind::DaemonSet => Kind::DaemonSets,
        }
    }

    /// The workload kind a watch delivers; None for a watch of something else (the
    /// control-plane watch has its own cache field).
    pub fn of(kind: Kind) -> Option<WorkloadKind> {
        WorkloadKind::ALL.into_iter().find(|w| w.watched() == kind)
    }

    /// `Deployment`, `StatefulSet`, `DaemonSet`.
    pub fn as_str(self) -> &'static str {
        self.watched().spec().kind
    }
}

/// The status fields `kubectl rollout status` reads beyond the common counts
/// (see `model::rollout`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RolloutFields {
    /// Deployment `status.replicas`: pods of every ReplicaSet, old ones included.
    pub total: i32,
    /// StatefulSet/DaemonSet `spec.updateStrategy.type` is not RollingUpdate (OnDelete):
    /// kubectl has no rollout status for it.
    pub on_delete: bool,
    /// StatefulSet `spec.updateStrategy.rollingUpdate` is set (the API server defaults its
    /// partition to 0), with that partition.
    pub rolling_update: Option<Option<i32>>,
    /// StatefulSet `status.currentRevision` / `status.updateRevision` / `currentReplicas`.
    pub current_revision: Option<String>,
    pub update_revision: Option<String>,
    pub current_replicas: i32,
}

/// Deployments, StatefulSets and DaemonSets: enough to group pods, find control planes and
/// show rollout progress.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkloadInfo {
    pub kind: WorkloadKind,
    pub key: ObjKey,
    pub labels: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
    /// `sidecar.istio.io/inject` as the injector reads it: the label, else the annotation.
    pub template_inject: Option<bool>,
    /// The pod-template LABEL `sidecar.istio.io/inject` alone (what the inject toggle writes).
    pub template_inject_label: Option<String>,
    /// The pod-template ANNOTATION `sidecar.istio.io/inject` (legacy).
    pub template_inject_annotation: Option<String>,
    pub template_rev: Option<String>,
    /// A paused Deployment does not roll on template changes (nor on restarts) until resumed.
    pub paused: bool,
    /// `updateStrategy: OnDelete` (StatefulSet, DaemonSet): template changes reach only pods
    /// created after someone deletes the old ones.
    pub on_delete: bool,
    pub images: Vec<String>,
    pub desired: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub generation: Option<i64>,
    /// The write precondition (rollout restart, injection label).
    pub resource_version: Option<String>,
    pub observed_generation: Option<i64>,
    pub conditions: Vec<Cond>,
    pub created: Option<Timestamp>,
    pub rollout: RolloutFields,
}

impl WorkloadInfo {
    fn base(
        kind: WorkloadKind,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        template: &PodTemplateSpec,
        selector: Option<&BTreeMap<String, String>>,
    ) -> Self {
        let tmeta = template.metadata.as_ref();
        WorkloadInfo {
            kind,
            key: ObjKey::of(meta),
            labels: meta.labels.clone().unwrap_or_default(),
            selector: selector.cloned().unwrap_or_default(),
            template_inject: inject_override(
                tmeta.and_then(|m| m.labels.as_ref()),
                tmeta.and_then(|m| m.annotations.as_ref()),
            ),
            template_inject_label: tmeta
                .and_then(|m| m.labels.as_ref())
                .and_then(|l| l.get("sidecar.istio.io/inject"))
                .cloned(),
            template_inject_annotation: tmeta
                .and_then(|m| m.annotations.as_ref())
                .and_then(|a| a.get("sidecar.istio.io/inject"))
                .cloned(),
            template_rev: tmeta
                .and_then(|m| m.labels.as_ref())
                .and_then(|l| l.get("istio.io/rev"))
                .cloned(),
            paused: false,
            on_delete: false,
            images: template
                .spec
                .as_ref()
                .map(|s| {
                    s.containers
                        .iter()
                        .filter_map(|c| c.image.clone())
                        .collect()
                })
                .unwrap_or_default(),
            desired: 0,
            updated: 0,
            ready: 0,
            available: 0,
            generation: meta.generation,
            resource_version: meta.resource_version.clone(),
            observed_generation: None,
            conditions: Vec::new(),
            created: created(meta),
            rollout: RolloutFields::default(),
        }
    }

    /// Whether a pod belongs to this workload (same namespace, selector matches).
    pub fn selects(&self, pod: &PodInfo) -> bool {
        !self.selector.is_empty()
            && pod.key.ns == self.key.ns
            && self
                .selector
                .iter()
                .all(|(k, v)| pod.labels.get(k) == Some(v))
    }

    /// The Istio revision of an istiod control plane (`app=istiod`), if this is one.
    pub fn control_plane_revision(&self) -> Option<String> {
        if self.labels.get("app").map(String::as_str) != Some("istiod") {
            return None;
        }
        Some(
            self.labels
                .get("istio.io/rev")
                .cloned()
                .unwrap_or_else(|| "default".into()),
        )
    }
}

impl From<&Deployment> for WorkloadInfo {
    fn from(d: &Deployment) -> Self {
        let spec = d.spec.as_ref();
        let template = spec.map(|s| s.template.clone()).unwrap_or_default();
        let mut w = WorkloadInfo::base(
            WorkloadKind::Deployment,
            &d.metadata,
            &template,
            spec.and_then(|s| s.selector.match_labels.as_ref()),
        );
        let st = d.status.as_ref();
        w.desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        w.paused = spec.and_then(|s| s.paused).unwrap_or(false);
        w.updated = st.and_then(|s| s.updated_replicas).unwrap_or(0);
        w.ready = st.and_then(|s| s.ready_replicas).unwrap_or(0);
        w.available = st.and_then(|s| s.available_replicas).unwrap_or(0);
        w.observed_generation = st.and_then(|s| s.observed_generation);
        w.rollout.total = st.and_then(|s| s.replicas).unwrap_or(0);
        w.conditions = st
            .and_then(|s| s.conditions.as_ref())
            .map(|c| {
                c.iter()
                    .map(|c| Cond {
                        type_: c.type_.clone(),
                        status: c.status.clone(),
                        reason: c.reason.clone().unwrap_or_default(),
                        message: c.message.clone().unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        w
    }
}

impl From<&StatefulSet> for WorkloadInfo {
    fn from(d: &StatefulSet) -> Self {
        let spec = d.spec.as_ref();
        let template = spec.map(|s| s.template.clone()).unwrap_or_default();
        let mut w = WorkloadInfo::base(
            WorkloadKind::StatefulSet,
            &d.metadata,
            &template,
            spec.and_then(|s| s.selector.match_labels.as_ref()),
        );
        w.on_delete = spec
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.type_.as_deref())
            == Some("OnDelete");
        let st = d.status.as_ref();
        w.desired = spec.and_then(|s| s.replicas).unwrap_or(1);
        w.updated = st.and_then(|s| s.updated_replicas).unwrap_or(0);
        w.ready = st.and_then(|s| s.ready_replicas).unwrap_or(0);
        w.available = st.and_then(|s| s.available_replicas).unwrap_or(0);
        w.observed_generation = st.and_then(|s| s.observed_generation);
        let strategy = spec.and_then(|s| s.update_strategy.as_ref());
        w.rollout.on_delete = strategy
            .and_then(|u| u.type_.as_deref())
            .is_some_and(|t| t != "RollingUpdate");
        w.rollout.rolling_update = strategy
            .and_then(|u| u.rolling_update.as_ref())
            .map(|r| r.partition);
        if let Some(st) = st {
            w.rollout.current_revision = st.current_revision.clone();
            w.rollout.update_revision = st.update_revision.clone();
            w.rollout.current_replicas = st.current_replicas.unwrap_or(0);
        }
        w
    }
}

impl From<&DaemonSet> for WorkloadInfo {
    fn from(d: &DaemonSet) -> Self {
        let spec = d.spec.as_ref();
        let template = spec.map(|s| s.template.clone()).unwrap_or_default();
        let mut w = WorkloadInfo::base(
            WorkloadKind::DaemonSet,
            &d.metadata,
            &template,
            spec.and_then(|s| s.selector.match_labels.as_ref()),
        );
        w.on_delete = spec
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.type_.as_deref())
            == Some("OnDelete");
        if let Some(st) = d.status.as_ref() {
            w.desired = st.desired_number_scheduled;
            w.updated = st.updated_number_scheduled.unwrap_or(0);
            w.ready = st.number_ready;
            w.available = st.number_available.unwrap_or(0);
            w.observed_generation = st.observed_generation;
        }
        w.rollout.on_delete = spec
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.type_.as_deref())
            .is_some_and(|t| t != "RollingUpdate");
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(v: serde_json::Value) -> PodInfo {
        PodInfo::from(&serde_json::from_value::<Pod>(v).unwrap())
    }

    #[test]
    fn sidecar_revision_from_status_annotation_and_native_sidecars() {
        let p = pod(serde_json::json!({
            "metadata": {"name": "a", "namespace": "n",
                "annotations": {"sidecar.istio.io/status": "{\"revision\":\"asm-1-22\"}"}},
            "spec": {"containers": [{"name": "app"}],
                     "initContainers": [{"name": "istio-proxy", "image": "mcr.microsoft.com/oss/istio/proxyv2:1.22.5", "restartPolicy": "Always"}]}
        }));
        let sc = p.sidecar.expect("native sidecar counts");
        assert_eq!(sc.revision.as_deref(), Some("asm-1-22"));
        assert_eq!(sc.image_tag.as_deref(), Some("1.22.5"));
        assert!(p.gateway.is_none());
    }

    #[test]
    fn gateway_pods_are_not_sidecars() {
        let by_template = pod(serde_json::json!({
            "metadata": {"name": "gw", "namespace": "n", "labels": {"istio.io/rev": "asm-1-22"},
                "annotations": {"inject.istio.io/templates": "gateway"}},
            "spec": {"containers": [{"name": "istio-proxy", "image": "x/proxyv2:1.22.5"}]}
        }));
        assert!(by_template.sidecar.is_none());
        assert_eq!(
            by_template.gateway.unwrap().revision.as_deref(),
            Some("asm-1-22")
        );
        let app = pod(serde_json::json!({
            "metadata": {"name": "a", "namespace": "n"},
            "spec": {"containers": [{"name": "app"}, {"name": "istio-proxy"}]}
        }));
        assert!(app.sidecar.is_some() && app.gateway.is_none());
        let plain = pod(
            serde_json::json!({"metadata": {"name": "a", "namespace": "n"}, "spec": {"containers": [{"name": "app"}]}}),
        );
        assert!(plain.sidecar.is_none() && plain.gateway.is_none());
    }
}
